"""Samples of one service, as plain data, so every plot is a pure function of them.

    recorder = Recorder(ecs, "talk", "web", elbv2=elb)
    recorder.sample()                    # one Sample, also kept in recorder.samples
    recorder.record(600, step=5, sleep=lab.sleep)   # sample every 5 cloud seconds for 600

A `Sample` is what DescribeServices, DescribeTargetHealth and ListTasks/DescribeTasks
said at one moment of cloud time.  The calls are the ops layer's (`ops.service_reader`,
shared with the terminal's deployment view); this module only turns their answers
into plain data on the cloud's timeline.
"""
from __future__ import annotations

import datetime as _dt
import threading
import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from ..ops.plumbing import Client, Json, name_of
from ..ops.service_reader import EventLog, ServiceReader

TARGET_STATES = ("healthy", "initial", "draining", "unhealthy", "unused", "unavailable")


# -- the data -----------------------------------------------------------------------------

@dataclass(frozen=True)
class DeploymentState:
    id: str                   # ecs-svc/...
    status: str               # PRIMARY | ACTIVE
    rollout_state: str        # IN_PROGRESS | COMPLETED | FAILED
    task_definition: str      # family:revision
    desired: int
    running: int
    pending: int
    failed: int
    created_at: float         # epoch seconds


@dataclass(frozen=True)
class TargetCounts:
    """How many targets the load balancer reports in each state (all target groups together)."""
    healthy: int = 0
    initial: int = 0
    draining: int = 0
    unhealthy: int = 0
    unused: int = 0
    unavailable: int = 0

    @property
    def total(self) -> int:
        return sum(getattr(self, state) for state in TARGET_STATES)


@dataclass(frozen=True)
class TaskState:
    """One task as DescribeTasks showed it; times are epoch seconds or None (not reached yet)."""
    id: str
    deployment: str           # startedBy: the deployment that launched it
    task_definition: str      # family:revision
    last_status: str
    desired_status: str
    health: str
    created_at: float | None = None
    pull_started_at: float | None = None
    pull_stopped_at: float | None = None
    started_at: float | None = None
    stopping_at: float | None = None
    execution_stopped_at: float | None = None
    stopped_at: float | None = None
    stop_code: str = ""
    stopped_reason: str = ""


@dataclass(frozen=True)
class TimelineEvent:
    """A service event placed on the cloud's timeline (the terminal view's `ops.watch.ServiceEvent`
    keeps the datetime ECS showed instead)."""
    id: str
    at: float                 # epoch seconds of cloud time
    message: str


@dataclass(frozen=True)
class Sample:
    at: float                              # cloud time, epoch seconds
    status: str                            # ACTIVE | DRAINING | INACTIVE | MISSING
    desired: int
    running: int
    pending: int
    minimum_healthy_percent: int
    maximum_percent: int
    deployments: tuple[DeploymentState, ...]
    targets: TargetCounts
    tasks: tuple[TaskState, ...] | None    # None when the recorder does not read tasks
    new_events: tuple[TimelineEvent, ...]  # service events first seen in this sample, oldest first

    def deployment(self, deployment_id: str) -> DeploymentState | None:
        return next((d for d in self.deployments if d.id == deployment_id), None)

    @property
    def primary(self) -> DeploymentState | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)

    @property
    def settled(self) -> bool:
        """One deployment, rolled out, every desired task running.  ("" rollout state: ECS reports
        none for some deployment setups, e.g. behind a Classic Load Balancer.)"""
        primary = self.primary
        return (primary is not None and len(self.deployments) == 1 and primary.rollout_state in ("COMPLETED", "")
                and self.running == self.desired and self.pending == 0)

    def summary(self) -> str:
        """e.g. "4/4 running, 0 pending, 1 deployment; targets 4 healthy"."""
        count = len(self.deployments)
        text = f"{self.running}/{self.desired} running, {self.pending} pending, {count} deployment{'s' * (count != 1)}"
        if self.targets.total:
            parts = [f"{getattr(self.targets, s)} {s}" for s in TARGET_STATES if getattr(self.targets, s)]
            text += "; targets " + ", ".join(parts)
        return text


# -- API answers -> plain data --------------------------------------------------------------

def epoch(value: _dt.datetime | float | None) -> float | None:
    """boto3 datetimes (or epoch numbers) as epoch seconds of cloud time (the local cloud shows
    wall-clock times; its own clock runs `speed` times faster)."""
    if value is None:
        return None
    from .. import local
    cloud = local.current()
    if cloud is not None:
        return cloud.cloud_seconds(value)
    return value.timestamp() if isinstance(value, _dt.datetime) else float(value)


def short_task_definition(arn: str) -> str:
    """arn:aws:ecs:...:task-definition/web:3 -> web:3"""
    return name_of(arn)


def deployment_state(d: Json) -> DeploymentState:
    return DeploymentState(
        id=d["id"], status=d.get("status", ""), rollout_state=d.get("rolloutState", ""),
        task_definition=short_task_definition(d.get("taskDefinition", "")), desired=d.get("desiredCount", 0),
        running=d.get("runningCount", 0), pending=d.get("pendingCount", 0), failed=d.get("failedTasks", 0),
        created_at=epoch(d.get("createdAt")) or 0.0)


def task_state(t: Json) -> TaskState:
    return TaskState(
        id=name_of(t["taskArn"]), deployment=t.get("startedBy", ""),
        task_definition=short_task_definition(t.get("taskDefinitionArn", "")),
        last_status=t.get("lastStatus", ""), desired_status=t.get("desiredStatus", ""),
        health=t.get("healthStatus", "UNKNOWN"),
        created_at=epoch(t.get("createdAt")), pull_started_at=epoch(t.get("pullStartedAt")),
        pull_stopped_at=epoch(t.get("pullStoppedAt")), started_at=epoch(t.get("startedAt")),
        stopping_at=epoch(t.get("stoppingAt")), execution_stopped_at=epoch(t.get("executionStoppedAt")),
        stopped_at=epoch(t.get("stoppedAt")), stop_code=t.get("stopCode", ""),
        stopped_reason=t.get("stoppedReason", ""))


def target_counts(states: list[str]) -> TargetCounts:
    return TargetCounts(**{s: states.count(s) for s in TARGET_STATES})


def default_clock() -> float:
    """Cloud time: the running local cloud's clock, else the wall clock (AWS)."""
    from .. import local
    cloud = local.current()
    return cloud.now().timestamp() if cloud is not None else time.time()


# -- the recorder ---------------------------------------------------------------------------

class Recorder:
    """Samples one service on demand and keeps every sample (thread-safe: a live plot's
    sampler thread and the notebook may both call `sample()`)."""

    def __init__(self, ecs: Client, cluster: str, service: str, elbv2: Client | None = None, tasks: bool = True,
                 target_groups: list[str] | None = None, clock: Callable[[], float] = default_clock) -> None:
        self.reader = ServiceReader(ecs, cluster, service, elbv2, target_groups)
        self.cluster, self.service = cluster, service
        self.read_tasks = tasks
        self.clock = clock
        self.samples: list[Sample] = []
        self._events = EventLog()
        self._last_tasks: dict[str, TaskState] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_session(cls, session: Any, cluster: str, service: str, **kwargs: Any) -> Recorder:
        return cls(session.client("ecs"), cluster, service, elbv2=session.client("elbv2"), **kwargs)

    def sample(self) -> Sample:
        with self._lock:
            described = self.reader.describe_service()
            targets = target_counts(self.reader.target_states(described))
            tasks = self._task_states() if self.read_tasks else None
            made = self._sample_of(described, targets, tasks)
            self.samples.append(made)
            return made

    def record(self, seconds: float, step: float = 5, sleep: Callable[[float], None] | None = None,
               until: Callable[[Sample], bool] | None = None) -> list[Sample]:
        """Sample now and then every `step` cloud seconds for `seconds` (or until `until(sample)`)."""
        if sleep is None:
            from .. import local
            sleep = local.sleep
        taken = [self.sample()]
        waited = 0.0
        while waited < seconds and not (until and until(taken[-1])):
            sleep(step)
            waited += step
            taken.append(self.sample())
        return taken

    def clear(self) -> None:
        with self._lock:
            self.samples.clear()

    @property
    def last(self) -> Sample | None:
        return self.samples[-1] if self.samples else None

    # -- helpers ------------------------------------------------------------------------
    def _task_states(self) -> tuple[TaskState, ...]:
        states = []
        for raw in self.reader.tasks():
            state = task_state(raw)
            previous = self._last_tasks.get(state.id)
            # An unchanged task reuses the previous object: thousands of samples share one copy.
            if previous == state:
                state = previous
            self._last_tasks[state.id] = state
            states.append(state)
        return tuple(sorted(states, key=lambda t: (t.created_at or 0.0, t.id)))

    def _sample_of(self, described: Json | None, targets: TargetCounts,
                   tasks: tuple[TaskState, ...] | None) -> Sample:
        now = self.clock()
        if described is None:
            return Sample(now, "MISSING", 0, 0, 0, 0, 0, (), targets, tasks, ())
        config = described.get("deploymentConfiguration", {})
        return Sample(
            at=now, status=described.get("status", ""), desired=described.get("desiredCount", 0),
            running=described.get("runningCount", 0), pending=described.get("pendingCount", 0),
            minimum_healthy_percent=config.get("minimumHealthyPercent", 100),
            maximum_percent=config.get("maximumPercent", 200),
            deployments=tuple(deployment_state(d) for d in described.get("deployments", [])),
            targets=targets, tasks=tasks, new_events=self._fresh_events(described))

    def _fresh_events(self, described: Json) -> tuple[TimelineEvent, ...]:
        return tuple(TimelineEvent(e["id"], epoch(e["createdAt"]) or 0.0, e["message"])
                     for e in self._events.fresh(described))
