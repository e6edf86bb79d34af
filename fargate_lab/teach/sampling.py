"""Samples of one service, as plain data, so every plot is a pure function of them.

    recorder = Recorder(ecs, "talk", "web", elbv2=elb)
    recorder.sample()                    # one Sample, also kept in recorder.samples
    recorder.record(600, step=5, sleep=lab.sleep)   # sample every 5 cloud seconds for 600

A `Sample` is what DescribeServices, DescribeTargetHealth and ListTasks/DescribeTasks
said at one moment of cloud time, and (behind a load balancer, every `TRAFFIC_EVERY` cloud
seconds) the minutes of AWS/ApplicationELB metrics CloudWatch had for its target groups.  The calls are the ops layer's (`ops.service_reader`,
shared with the terminal's deployment view); this module only turns their answers
into plain data on the cloud's timeline.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import threading
import time
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from ..ops.plumbing import Client, Json, name_of
from ..ops.service_reader import EventLog, ServiceReader
from ..ops.traffic_watch import METRIC_PERIOD, alb_dimension

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
    ip: str = ""              # its ENI's private IPv4 address: how a target group names it (awsvpc)


@dataclass(frozen=True)
class TimelineEvent:
    """A service event placed on the cloud's timeline (the terminal view's `ops.watch.ServiceEvent`
    keeps the datetime ECS showed instead)."""
    id: str
    at: float                 # epoch seconds of cloud time
    message: str


@dataclass(frozen=True)
class TrafficMinute:
    """One minute of a target group's AWS/ApplicationELB metrics, as CloudWatch returned them.

    CloudWatch splits them by target group, not by task definition: `revisions` are the task
    definitions whose tasks were the group's targets during the minute (healthy ones, or all
    registered when none was), so one revision means the minute is that revision's, and two
    (a rolling deployment in one group) mean it is theirs together, not split."""
    at: float                          # the minute's start, epoch seconds of cloud time
    target_group: str                  # the group's name; "" for the load balancer as a whole
    revisions: tuple[str, ...]         # family:revision, sorted; () when no task was seen in the group
    requests: float                    # RequestCount (Sum)
    errors: float                      # HTTPCode_Target_5XX_Count; for "" HTTPCode_ELB_5XX_Count (Sum)
    latency: float | None = None       # TargetResponseTime (Average), seconds


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
    traffic: tuple[TrafficMinute, ...] = ()  # minutes CloudWatch gave, new or changed since the last read

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


def shown(seconds: float) -> _dt.datetime:
    """Cloud epoch seconds as the datetime a client sends and reads (the inverse of `epoch`)."""
    from .. import local
    cloud = local.current()
    if cloud is not None:
        seconds = cloud.client_seconds(seconds)
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc)


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
        stopped_reason=t.get("stoppedReason", ""), ip=_private_ip(t))


def _private_ip(t: Json) -> str:
    for attachment in t.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return str(detail.get("value", ""))
    return ""


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
                 target_groups: list[str] | None = None, clock: Callable[[], float] = default_clock,
                 cloudwatch: Client | None = None) -> None:
        """`cloudwatch` (with `elbv2`): also read the load balancer's request metrics per target group."""
        self.reader = ServiceReader(ecs, cluster, service, elbv2, target_groups)
        self.traffic = TrafficReader(elbv2, cloudwatch)
        self.cluster, self.service = cluster, service
        self.read_tasks = tasks
        self.clock = clock
        self.samples: list[Sample] = []
        self._events = EventLog()
        self._last_tasks: dict[str, TaskState] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_session(cls, session: Any, cluster: str, service: str, **kwargs: Any) -> Recorder:
        kwargs.setdefault("cloudwatch", session.client("cloudwatch"))
        return cls(session.client("ecs"), cluster, service, elbv2=session.client("elbv2"), **kwargs)

    def sample(self) -> Sample:
        with self._lock:
            described = self.reader.describe_service()
            targets = target_counts(self.reader.target_states(described))
            tasks = self._task_states() if self.read_tasks else None
            made = self._sample_of(described, targets, tasks)
            if described is not None:
                traffic = self.traffic.read(self.reader.target_groups(described), tasks, made.at)
                if traffic:
                    made = dataclasses.replace(made, traffic=traffic)
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


# -- the load balancer's traffic ------------------------------------------------------------

TRAFFIC_EVERY = 30.0          # cloud seconds between two reads (ALB publishes a datapoint a minute)
TRAFFIC_LOOKBACK = 5 * 60     # seconds of minutes each read asks for: late datapoints fill in
SERVING_STATES = ("healthy",)  # targets the load balancer sends new requests to
NAMESPACE = "AWS/ApplicationELB"


class TrafficReader:
    """Reads, through boto3 as on AWS, the load balancer's minutes for a service's target groups
    (the production one and, for blue/green, canary and linear, the alternate one): RequestCount,
    HTTPCode_Target_5XX_Count and TargetResponseTime per target group, HTTPCode_ELB_5XX_Count for
    the load balancer.  Which revisions a group served comes from its targets (DescribeTargetHealth)
    matched to the tasks' addresses at each read; a minute is given every revision seen in it.

    Without `elbv2` or `cloudwatch`, or once AWS refuses a read (AccessDenied), it reads nothing; a
    throttled or failed read is tried again at the next one."""

    def __init__(self, elbv2: Client | None, cloudwatch: Client | None, every: float = TRAFFIC_EVERY) -> None:
        self.elbv2, self.cloudwatch, self.every = elbv2, cloudwatch, every
        self.off = elbv2 is None or cloudwatch is None
        self._groups: dict[str, str] = {}          # target group ARN -> name
        self._load_balancer: str | None = None     # CloudWatch's LoadBalancer dimension
        self._read_at: float | None = None
        self._served: list[tuple[float, str, frozenset[str]]] = []   # (cloud time, group name, revisions)
        self._given: dict[tuple[str, float], TrafficMinute] = {}      # what samples already carry

    def read(self, groups: list[str], tasks: tuple[TaskState, ...] | None, now: float) -> tuple[TrafficMinute, ...]:
        """`groups`: the service's target group ARNs (ServiceReader.target_groups)."""
        if self.off or (self._read_at is not None and now - self._read_at < self.every):
            return ()
        from botocore.exceptions import BotoCoreError, ClientError
        self._read_at = now
        try:
            if not self._find_groups(groups):
                return ()
            self._note_revisions(tasks, now)
            fresh = [m for m in self._minutes(now) if self._given.get((m.target_group, m.at)) != m]
            self._given.update({(m.target_group, m.at): m for m in fresh})
            return tuple(fresh)
        except ClientError as refused:   # no permission: the panel goes for good; a throttle: next read
            self.off = "AccessDenied" in refused.response.get("Error", {}).get("Code", "")
            return ()
        except BotoCoreError:            # the network: try again at the next read
            return ()

    def _find_groups(self, arns: list[str]) -> bool:
        assert self.elbv2 is not None
        fresh = [a for a in arns if a not in self._groups]
        if fresh:
            for group in self.elbv2.describe_target_groups(TargetGroupArns=fresh)["TargetGroups"]:
                self._groups[group["TargetGroupArn"]] = group["TargetGroupName"]
                if self._load_balancer is None and group.get("LoadBalancerArns"):
                    self._load_balancer = alb_dimension(group["LoadBalancerArns"][0])
        return bool(self._groups) and self._load_balancer is not None

    def _note_revisions(self, tasks: tuple[TaskState, ...] | None, now: float) -> None:
        assert self.elbv2 is not None
        by_ip = {t.ip: t.task_definition for t in tasks or () if t.ip}
        self._served = [s for s in self._served if s[0] >= now - 2 * TRAFFIC_LOOKBACK]
        for arn, name in self._groups.items():
            found = self.elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            serving = [d for d in found if d["TargetHealth"]["State"] in SERVING_STATES] or found
            self._served.append((now, name, frozenset(by_ip[d["Target"]["Id"]] for d in serving
                                                      if d["Target"]["Id"] in by_ip)))

    def _revisions(self, name: str, minute: float) -> tuple[str, ...]:
        """Every revision seen in the group from the minute's start to just after its end."""
        seen: set[str] = set()
        for at, group, revisions in self._served:
            if group == name and minute <= at <= minute + METRIC_PERIOD + 5:
                seen |= revisions
        return tuple(sorted(seen))

    def _minutes(self, now: float) -> tuple[TrafficMinute, ...]:
        # the window in the client's time, its minutes back on the cloud's timeline (the samples')
        start, end = shown(now - TRAFFIC_LOOKBACK), shown(now)
        lb = [{"Name": "LoadBalancer", "Value": self._load_balancer}]
        made: list[TrafficMinute] = []
        for arn, name in self._groups.items():
            dims = lb + [{"Name": "TargetGroup", "Value": arn.rsplit(":", 1)[-1]}]
            requests = self._metric("RequestCount", dims, "Sum", start, end)
            errors = self._metric("HTTPCode_Target_5XX_Count", dims, "Sum", start, end)
            latency = self._metric("TargetResponseTime", dims, "Average", start, end) if requests else {}
            made += [TrafficMinute(at, name, self._revisions(name, at), count, errors.get(at, 0.0), latency.get(at))
                     for at, count in sorted(requests.items())]
        refused = self._metric("HTTPCode_ELB_5XX_Count", lb, "Sum", start, end)
        made += [TrafficMinute(at, "", (), 0.0, count) for at, count in sorted(refused.items())]
        return tuple(made)

    def _metric(self, metric: str, dims: list[Json], statistic: str, start: _dt.datetime,
                end: _dt.datetime) -> dict[float, float]:
        assert self.cloudwatch is not None
        points = self.cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE, MetricName=metric, Dimensions=dims, StartTime=start, EndTime=end,
            Period=METRIC_PERIOD, Statistics=[statistic])["Datapoints"]
        # to the second: the wire carries milliseconds of client time, which a fast clock multiplies
        return {float(round(epoch(p["Timestamp"]) or 0.0)): float(p[statistic]) for p in points}
