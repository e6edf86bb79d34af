"""What a list of samples says happened: deployments, milestones, each task's phases.

Pure functions of `Sample`s (fargate_lab.teach.sampling), shared by the static
plots and the live plot so both name and colour things the same way.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .sampling import Sample, TaskState, TimelineEvent

# The task lifecycle in order (docs/ecs-behaviour.md §1.1).
TASK_STATES = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING",
               "DEPROVISIONING", "STOPPED")
# A deployment that started shortly before the first sample still gets its "started" marker.
LOOKBACK_SECONDS = 60.0

_DEPLOYMENT_IN = re.compile(r"\(deployment (ecs-svc/\d+)\)")
_ROLLBACK_TO = re.compile(r"rolling back to deployment (ecs-svc/\d+)")


# -- deployments ----------------------------------------------------------------------------

@dataclass(frozen=True)
class DeploymentInfo:
    id: str
    task_definition: str        # family:revision ("" when only its tasks were seen)
    created_at: float | None    # None when no sample showed the deployment itself

    @property
    def label(self) -> str:
        """web:2 (…101436): the version people recognise, plus enough of the id to tell two apart.
        Tasks outside a service are grouped by their startedBy, shown whole ("web:1 (ci-job)")."""
        if not self.id:
            return self.task_definition or "no startedBy"
        short = "…" + self.id[-6:] if self.id.startswith("ecs-svc/") else self.id
        return f"{self.task_definition} ({short})" if self.task_definition else short


def deployments_of(samples: list[Sample]) -> list[DeploymentInfo]:
    """Every deployment seen in the samples or named by a task's startedBy, oldest first."""
    found: dict[str, DeploymentInfo] = {}
    for s in samples:
        for d in s.deployments:
            found.setdefault(d.id, DeploymentInfo(d.id, d.task_definition, d.created_at))
    for s in samples:
        for t in s.tasks or ():
            if t.deployment not in found:
                found[t.deployment] = DeploymentInfo(t.deployment, t.task_definition, t.created_at)
    return sorted(found.values(), key=lambda d: (d.created_at is None, d.created_at or 0.0, d.id))


# -- milestones -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Milestone:
    at: float                  # epoch seconds
    kind: str                  # started | completed | failed | rollback | deadlock
    deployment: str            # the deployment it is about ("" when the event names none)
    text: str


MILESTONE_KINDS = ("started", "completed", "failed", "rollback", "deadlock")


def events_of(samples: list[Sample]) -> list[TimelineEvent]:
    return sorted((e for s in samples for e in s.new_events), key=lambda e: e.at)


def classify_event(message: str) -> str | None:
    """Which milestone a service event marks, from its exact ECS wording (docs/ecs-behaviour.md §2.7)."""
    if message.endswith("deployment completed."):
        return "completed"
    if "deployment failed" in message:
        return "failed"
    if "rolling back to deployment" in message:
        return "rollback"
    if "was unable to stop or start tasks during a deployment" in message:
        return "deadlock"
    return None


def milestones(samples: list[Sample], lookback: float = LOOKBACK_SECONDS) -> list[Milestone]:
    """Deployment started (its createdAt; ECS logs no event for it), completed, failed, rolled
    back and deadlocked (service events), within the samples' time span.  A deployment
    started up to `lookback` seconds before the first sample keeps its "started" mark:
    notebooks often deploy first and start recording a moment later."""
    if not samples:
        return []
    first, last = samples[0].at, samples[-1].at
    marks = [Milestone(d.created_at, "started", d.id, f"{d.label} started")
             for d in deployments_of(samples) if d.created_at is not None and first - lookback <= d.created_at <= last]
    for e in events_of(samples):
        kind = classify_event(e.message)
        if kind is None or not first <= e.at <= last:
            continue
        named = _ROLLBACK_TO.search(e.message) or _DEPLOYMENT_IN.search(e.message)
        marks.append(Milestone(e.at, kind, named.group(1) if named else "", e.message))
    return sorted(marks, key=lambda m: m.at)


# -- tasks ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Phase:
    state: str
    start: float
    end: float


@dataclass
class TaskHistory:
    """A task's last known state plus when each lastStatus was first and last sampled."""
    last: TaskState
    first_seen: dict[str, float] = field(default_factory=dict)
    last_seen: dict[str, float] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.last.id


def task_histories(samples: list[Sample]) -> list[TaskHistory]:
    """One history per task the samples show, in order of creation."""
    found: dict[str, TaskHistory] = {}
    for s in samples:
        for t in s.tasks or ():
            history = found.setdefault(t.id, TaskHistory(t))
            history.last = t
            history.first_seen.setdefault(t.last_status, s.at)
            history.last_seen[t.last_status] = s.at
    return sorted(found.values(), key=lambda h: (h.last.created_at or 0.0, h.id))


def task_phases(history: TaskHistory, end: float) -> list[Phase]:
    """The task's states as time spans, from its timestamps (docs/ecs-behaviour.md §1.2).

    The API has no timestamp for the DEACTIVATING -> STOPPING step, so the samples
    decide it: DEACTIVATING (deregistering from the load balancer) appears only if it
    was sampled, and STOPPING begins when it was first sampled.  STOPPED is a moment,
    not a span: the last phase ends at stoppedAt, or at `end` for a task still alive."""
    t = history.last
    starts = [("PROVISIONING", t.created_at), ("PENDING", t.pull_started_at), ("ACTIVATING", t.pull_stopped_at),
              ("RUNNING", t.started_at)]
    if t.stopping_at is not None:
        starts += _stop_starts(history)
    starts.append(("DEPROVISIONING", t.execution_stopped_at))
    known = [(state, at) for state, at in starts if at is not None]
    finish = t.stopped_at if t.stopped_at is not None else end
    phases = []
    for i, (state, at) in enumerate(known):
        until = known[i + 1][1] if i + 1 < len(known) else finish
        at, until = min(at, finish), min(max(until, at), finish)
        if until > at:
            phases.append(Phase(state, at, until))
    return phases


def _stop_starts(history: TaskHistory) -> list[tuple[str, float | None]]:
    t, seen = history.last, history.first_seen
    if "DEACTIVATING" not in seen:
        return [("STOPPING", t.stopping_at)]
    if "STOPPING" in seen:
        return [("DEACTIVATING", t.stopping_at), ("STOPPING", seen["STOPPING"])]
    # STOPPING fell between two samples: it began after the last sample that still showed
    # DEACTIVATING and before the first that showed something later; take the middle.
    after = TASK_STATES[TASK_STATES.index("DEACTIVATING") + 1:]
    bounds = [at for state, at in seen.items() if state in after] + [
        at for at in (t.execution_stopped_at,) if at is not None]
    if not bounds:
        return [("DEACTIVATING", t.stopping_at)]  # still draining
    still, later = history.last_seen["DEACTIVATING"], min(bounds)
    return [("DEACTIVATING", t.stopping_at), ("STOPPING", min((still + later) / 2, later))]


def overlaps(history: TaskHistory, start: float, end: float) -> bool:
    """Did the task exist at some moment between start and end?"""
    t = history.last
    born = t.created_at if t.created_at is not None else start
    gone = t.stopped_at if t.stopped_at is not None else end
    return born <= end and gone >= start
