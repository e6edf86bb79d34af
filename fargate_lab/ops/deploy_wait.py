"""Waiting for a deployment: polling the service until its rolloutState is COMPLETED, and telling
why it failed (the circuit breaker, tasks that keep stopping, the deadline) from the stopped tasks.

Split out of `services.py` (which re-exports it).
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Literal

from .errors import OpsError
from .plumbing import Client, Clock, Json, Pace, Sleep
from .project_common import POLL_SECONDS, OnUpdate, Say
from .tasks import describe_tasks, list_task_arns
from .traffic_watch import CONTINUE_HINT, verdict
from .watch import DeploymentRow, DeploymentSnapshot, ServiceWatcher

MISSING_GRACE_POLLS = 3       # polls a just-created service may be missing from DescribeServices
ROLLBACK_GRACE_POLLS = 3      # polls to wait for a rollback to show after a deployment FAILED
KEEPS_STOPPING = 3            # failed tasks in a row before we call it failing (the breaker's minimum)


# ---------------------------------------------------------------------------------- failure reasons

def stopped_reasons(ecs: Client, cluster: str, service: str, deployment_id: str | None = None,
                    tasks: list[Json] | None = None) -> list[tuple[int, str]]:
    """Stopped tasks of a deployment (or of the given tasks), grouped: [(count, reason)], most first."""
    if tasks is None:
        arns = list_task_arns(ecs, cluster, "STOPPED", serviceName=service)
        tasks = describe_tasks(ecs, cluster, arns[:100])
        if deployment_id:
            tasks = [t for t in tasks if t.get("startedBy") == deployment_id]
    counts = Counter(task_failure(t) for t in tasks if t.get("stoppedReason") and not _routine_stop(t))
    return [(count, reason) for reason, count in counts.most_common()]


def _routine_stop(task: Json) -> bool:
    """Stopped by a person or by the scheduler's scale-in/rollback, not because something failed."""
    return (task.get("stopCode") == "UserInitiated"
            or task.get("stoppedReason", "").startswith("Scaling activity initiated by"))


def task_failure(task: Json) -> str:
    """'Essential container in task exited (web: exit code 1)' — the task's reason plus its containers'."""
    details = []
    for c in task.get("containers", []):
        if c.get("exitCode") not in (None, 0):
            details.append(f"{c['name']}: exit code {c['exitCode']}")
        elif c.get("reason") and c["reason"] not in task.get("stoppedReason", ""):
            details.append(f"{c['name']}: {c['reason']}")
    reason = task.get("stoppedReason", "stopped")
    return f"{reason} ({'; '.join(details)})" if details else reason


def reasons_text(reasons: list[tuple[int, str]]) -> str:
    return "; ".join(f"{n} × {reason}" for n, reason in reasons[:3])


# ---------------------------------------------------------------------------------- waiting

class _DeploymentWait:
    """Follows one deployment until it completes, fails, or the deadline passes."""

    def __init__(self, ecs: Client, watcher: ServiceWatcher, deployment_id: str, deadline: float, breaker: bool,
                 rollback: bool, pace: Pace, on_update: OnUpdate | None) -> None:
        self.ecs, self.watcher, self.deployment_id, self.deadline = ecs, watcher, deployment_id, deadline
        self.breaker, self.rollback = breaker, rollback
        self.pace, self.on_update = pace, on_update
        self.failed_reason: str | None = None      # set once our deployment is seen FAILED
        self.rolled_back_to: str | None = None
        self.failed_polls = 0                      # polls that saw it FAILED with no rollback under way
        self.missing_polls = 0                     # polls that did not find the service (just created, on AWS)

    def run(self) -> DeploymentSnapshot:
        while True:
            snapshot = self.watcher.poll()
            if self.on_update:
                self.on_update(snapshot)
            outcome = self._judge(snapshot)
            if outcome is not None:
                return outcome
            if self.pace.past(self.deadline):
                raise OpsError(self._timeout_message(snapshot))
            self.pace.wait()

    def _judge(self, snap: DeploymentSnapshot) -> DeploymentSnapshot | None:
        if snap.status == "MISSING" and self.missing_polls < MISSING_GRACE_POLLS:
            self.missing_polls += 1   # DescribeServices is eventually consistent right after CreateService
            return None
        if snap.status in ("MISSING", "INACTIVE", "DRAINING"):
            raise OpsError(f"service {snap.service} was deleted while its deployment was being watched")
        mine, primary = snap.deployment(self.deployment_id), snap.primary
        self._note_failure(snap, mine, primary)
        if self.failed_reason is None:
            if mine is not None and mine is primary and snap.settled:
                return snap
            if mine is None and primary is not None:
                raise OpsError(f"deployment {self.deployment_id} was replaced by {primary.id} "
                               "(another update to the service) before it completed")
            self._check_keeps_stopping(snap, mine)
            return None
        if self.rolled_back_to is None:
            # ECS starts the rollback as the breaker trips; allow a few polls before concluding there is none
            self.failed_polls += 1
            if not (self.breaker and self.rollback) or self.failed_polls >= ROLLBACK_GRACE_POLLS:
                raise OpsError(self._failure_message(snap, rollback_state=None))
            return None
        if primary is not None and primary.id == self.rolled_back_to and snap.settled:
            raise OpsError(self._failure_message(snap, rollback_state="done"))
        return None

    def _note_failure(self, snap: DeploymentSnapshot, mine: DeploymentRow | None,
                      primary: DeploymentRow | None) -> None:
        failed_event = f"(deployment {self.deployment_id}) deployment failed"
        event = next((e for e in snap.events if failed_event in e.message), None)
        if (mine is None or mine.rollout_state != "FAILED") and event is None:
            return
        if self.failed_reason is None:
            # "ECS deployment circuit breaker: tasks failed to start." or the event "... deployment failed: <why>."
            text = (mine.reason if mine else "") or (event.message if event else "")
            why = text.split("circuit breaker: ", 1)[-1].split("deployment failed: ", 1)[-1].rstrip(".")
            self.failed_reason = why or "tasks failed to start"
        if self.rolled_back_to is None and primary is not None and primary.id != self.deployment_id:
            self.rolled_back_to = primary.id

    def _check_keeps_stopping(self, snap: DeploymentSnapshot, mine: DeploymentRow | None) -> None:
        """Without the circuit breaker ECS retries forever: stop waiting after a few failures in a row."""
        if self.breaker or mine is None or mine.failed < KEEPS_STOPPING:
            return
        reasons = stopped_reasons(self.ecs, snap.cluster, snap.service, self.deployment_id)
        raise OpsError(f"deployment {self.deployment_id} is failing: {mine.failed} tasks in a row stopped "
                       f"({reasons_text(reasons) or 'no reason recorded'}); the circuit breaker is off, so ECS "
                       "keeps retrying: fix the image and deploy again, or `service rm`")

    def _failure_message(self, snap: DeploymentSnapshot,
                         rollback_state: Literal["done", "in progress"] | None) -> str:
        text = f"deployment {self.deployment_id} failed: {self.failed_reason}"
        target = snap.deployment(self.rolled_back_to) if self.rolled_back_to else None
        revision = target.task_definition if target else "?"
        if rollback_state == "done":
            text += f"; rolled back to {self.rolled_back_to} (task definition {revision})"
        elif rollback_state == "in progress":
            text += f"; rolling back to {self.rolled_back_to} (task definition {revision}), still in progress"
        elif not self.rollback:
            text += "; rollback is off, so the previous deployment's tasks (if any) keep running"
        else:
            text += "; there is no completed deployment to roll back to"
        reasons = stopped_reasons(self.ecs, snap.cluster, snap.service, self.deployment_id)
        if reasons:
            text += f". Stopped tasks: {reasons_text(reasons)}"
        if snap.traffic is not None:   # a traffic strategy: ECS's own word on it, finished or not yet
            text += f" ({verdict(snap.traffic)})"
        return text

    def _timeout_message(self, snap: DeploymentSnapshot) -> str:
        if self.failed_reason and self.rolled_back_to:
            return self._failure_message(snap, rollback_state="in progress")
        if snap.traffic is not None and snap.traffic.hook is not None:
            where = "before production traffic" if snap.traffic.hook.before_production else "at a lifecycle hook"
            return (f"deployment {self.deployment_id} is paused {where} and waits for you: {CONTINUE_HINT} "
                    "(it stays paused until then, or until the hook times out)")
        mine = snap.deployment(self.deployment_id)
        state = f"rolloutState {mine.rollout_state}, " if mine and mine.rollout_state else ""
        return (f"deployment {self.deployment_id} did not complete in time ({state}{snap.summary()}); "
                "it goes on in the background: watch it with `fargate-lab compose service ps`, or raise --timeout")


def wait_for_deployment(ecs: Client, cluster: str, service: str, deployment_id: str, watcher: ServiceWatcher | None = None,
                        timeout_minutes: float = 5.0, breaker: bool = True, rollback: bool = True,
                        on_update: OnUpdate | None = None, sleep: Sleep = time.sleep,
                        clock: Clock = time.monotonic, poll_seconds: float = POLL_SECONDS,
                        deadline: float | None = None) -> DeploymentSnapshot:
    """Wait until `deployment_id` is COMPLETED with every task running; OpsError on failure or timeout."""
    watcher = watcher or ServiceWatcher(ecs, cluster, service, clock=clock)
    pace = Pace(sleep, clock, poll_seconds)
    deadline = deadline if deadline is not None else pace.deadline(timeout_minutes)
    return _DeploymentWait(ecs, watcher, deployment_id, deadline, breaker, rollback, pace, on_update).run()


def _plain_updates(say: Say) -> OnUpdate:
    from .watch import plain_lines
    previous: list[DeploymentSnapshot | None] = [None]

    def update(snapshot: DeploymentSnapshot) -> None:
        for line in plain_lines(previous[0], snapshot):
            say(line)
        previous[0] = snapshot
    return update
