"""A deployment that moves traffic (BLUE_GREEN, CANARY, LINEAR), watched: its lifecycle stage, the
production traffic split, a bake countdown (an estimate), a PAUSE hook awaiting action, the load
balancer's request and 5xx rates, and at the end the service deployment's verdict.

    reader = TrafficReader(ecs, elbv2, cloudwatch, now=cloud.now)   # now: the cloud's clock (see below)
    view = reader.read(described)     # None unless the service's strategy moves traffic
    traffic_lines(view)               # what the deployment view prints under its table

The view is plain data made from DescribeServiceDeployments' answer (`view_of`), so it can be tested
from recorded answers. `now` must be the clock the cloud's timestamps are on: the wall clock on AWS
and against `fargate-lab local serve` (it shows wall-clock times), `cloud.now` in process on the
virtual clock (which runs ahead of the wall once it is advanced). Without `now=`, `cloud_now()`: what
`lend_now` was given, else the wall clock.
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .deployment_strategy import CANARY_DEFAULTS, LINEAR_DEFAULTS, PAUSE_STAGE, TRAFFIC_STRATEGIES
from .plumbing import Client, Json, name_of

Now = Callable[[], _dt.datetime]   # the cloud's notion of now, timezone-aware

TERMINAL = frozenset({"SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"})
STRATEGY_LABEL = {"BLUE_GREEN": "blue/green", "CANARY": "canary", "LINEAR": "linear"}
ALB_METRICS = ("RequestCount", "HTTPCode_Target_5XX_Count", "HTTPCode_ELB_5XX_Count")
METRIC_PERIOD = 60            # seconds: ALB publishes one datapoint a minute
METRIC_WINDOW = 5 * 60        # seconds looked back for the latest complete minute
METRICS_EVERY = 30.0          # cloud seconds between two reads of the metrics (they change once a minute)
CONTINUE_HINT = "run `fargate-lab compose service continue` or `fargate-lab compose service rollback`"
CONTINUE_LINE = "  run `fargate-lab compose service continue` (or `... service rollback`)"


def wall_now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


_lent_now: Now | None = None


def lend_now(now: Now | None) -> None:
    """Make `cloud_now` call `now`: what an in-process local cloud would lend (as it lends its sleep to
    plumbing), so that a notebook on the virtual clock reads metrics without passing now=cloud.now."""
    global _lent_now
    _lent_now = now


def cloud_now() -> _dt.datetime:
    """The lent clock, else the wall clock's (AWS, a `local serve` server)."""
    return wall_now() if _lent_now is None else _lent_now()


@dataclass(frozen=True)
class HookWait:
    """A PAUSE hook whose status is AWAITING_ACTION: ContinueServiceDeployment goes on or rolls back."""
    hook_id: str
    before_production: bool            # the service's only PAUSE stage is PRE_PRODUCTION_TRAFFIC_SHIFT
    expires_at: _dt.datetime | None = None
    timeout_action: str = ""


@dataclass(frozen=True)
class AlbMinute:
    """One minute of the load balancer's AWS/ApplicationELB metrics (Sum)."""
    at: _dt.datetime
    requests: float
    target_5xx: float
    elb_5xx: float

    @property
    def error_percent(self) -> float:
        return 100.0 * (self.target_5xx + self.elb_5xx) / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class TrafficView:
    deployment_arn: str
    strategy: str                      # BLUE_GREEN | CANARY | LINEAR
    status: str                        # the service deployment's: IN_PROGRESS, SUCCESSFUL, ROLLBACK_SUCCESSFUL...
    reason: str = ""                   # statusReason
    stage: str = ""                    # lifecycleStage ("" when ECS does not say)
    new_weight: float | None = None    # targetServiceRevision.requestedProductionTrafficWeight
    old_weight: float | None = None    # the source revisions' together
    test_weight: float | None = None   # targetServiceRevision.requestedTestTrafficWeight
    hook: HookWait | None = None
    bake: str = ""                     # "canary bake", "step bake", "bake time": what the countdown counts
    bake_left: float | None = None     # seconds, estimated from when this view saw the phase begin
    alb: AlbMinute | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    def key(self) -> tuple[Any, ...]:
        """Changes when something a person would want to see changed (not the countdown ticking)."""
        return (self.deployment_arn, self.status, self.stage, self.new_weight, self.old_weight, self.test_weight,
                self.hook, self.bake, self.alb)


# -- from DescribeServiceDeployments' answer ------------------------------------------------

def _weight(revision: Json | None, member: str) -> float | None:
    value = (revision or {}).get(member)
    return None if value is None else float(value)


def awaiting_hook(deployment: Json) -> Json | None:
    """The lifecycle hook waiting for ContinueServiceDeployment, if any."""
    return next((h for h in deployment.get("lifecycleHookDetails") or [] if h.get("status") == "AWAITING_ACTION"),
                None)


def _hook_wait(deployment: Json) -> HookWait | None:
    hook = awaiting_hook(deployment)
    if hook is None:
        return None
    pauses = [h for h in (deployment.get("deploymentConfiguration") or {}).get("lifecycleHooks") or []
              if h.get("targetType") == "PAUSE"]
    before = bool(pauses) and all(h.get("lifecycleStages") == [PAUSE_STAGE] for h in pauses)
    expires = hook.get("expiresAt")
    return HookWait(hook.get("hookId", ""), before, expires if isinstance(expires, _dt.datetime) else None,
                    hook.get("timeoutAction", ""))


def bake_phase(deployment: Json) -> tuple[str, float] | None:
    """(what bakes, its minutes) when the deployment is in a bake its configuration times, else None."""
    config = deployment.get("deploymentConfiguration") or {}
    stage = deployment.get("lifecycleStage", "")
    if stage == "BAKE_TIME":
        minutes = config.get("bakeTimeInMinutes")
        return None if minutes is None else ("bake time", float(minutes))
    weight = _weight(deployment.get("targetServiceRevision"), "requestedProductionTrafficWeight")
    if stage != "PRODUCTION_TRAFFIC_SHIFT" or weight is None or not 0.0 < weight < 100.0:
        return None
    if config.get("strategy") == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        return "canary bake", float(canary.get("canaryBakeTimeInMinutes", CANARY_DEFAULTS["canaryBakeTimeInMinutes"]))
    if config.get("strategy") == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        return "step bake", float(linear.get("stepBakeTimeInMinutes", LINEAR_DEFAULTS["stepBakeTimeInMinutes"]))
    return None


def phase_key(deployment: Json) -> tuple[Any, ...]:
    """What marks the start of a bake: the stage and the production weight it shifted to."""
    return (deployment.get("serviceDeploymentArn"), deployment.get("lifecycleStage"),
            _weight(deployment.get("targetServiceRevision"), "requestedProductionTrafficWeight"))


def view_of(deployment: Json, *, phase_seen_at: _dt.datetime | None = None, now: _dt.datetime | None = None,
            alb: AlbMinute | None = None) -> TrafficView:
    """The view of one DescribeServiceDeployments `serviceDeployments[]` member. With `phase_seen_at`
    (when the current stage and weight were first seen) and `now`, a bake's time left is estimated."""
    config = deployment.get("deploymentConfiguration") or {}
    target = deployment.get("targetServiceRevision")
    sources = [_weight(s, "requestedProductionTrafficWeight") for s in deployment.get("sourceServiceRevisions") or []]
    known = [w for w in sources if w is not None]
    bake, left = "", None
    phase = bake_phase(deployment)
    if phase is not None:
        bake = phase[0]
        if phase_seen_at is not None and now is not None:
            left = max(0.0, phase[1] * 60.0 - (now - phase_seen_at).total_seconds())
    return TrafficView(deployment_arn=deployment.get("serviceDeploymentArn", ""), strategy=config.get("strategy", ""),
                       status=deployment.get("status", ""), reason=deployment.get("statusReason", ""),
                       stage=deployment.get("lifecycleStage", ""),
                       new_weight=_weight(target, "requestedProductionTrafficWeight"),
                       old_weight=sum(known) if known else None,
                       test_weight=_weight(target, "requestedTestTrafficWeight"),
                       hook=_hook_wait(deployment), bake=bake, bake_left=left, alb=alb)


# -- lines ---------------------------------------------------------------------------------------

def _percent(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0") + "%"


def _duration(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}m{whole % 60:02d}s" if whole >= 60 else f"{whole}s"


def verdict(view: TrafficView) -> str:
    """The outcome in ECS's words: `service deployment ROLLBACK_SUCCESSFUL: <why>`."""
    return f"service deployment {view.status}" + (f": {view.reason}" if view.reason else "")


def traffic_lines(view: TrafficView) -> list[str]:
    """What the deployment view shows of a traffic strategy, one short line each."""
    label = STRATEGY_LABEL.get(view.strategy, view.strategy.lower())
    lines = [f"{label} {name_of(view.deployment_arn)}: {view.status}"
             + (f", stage {view.stage}" if view.stage else "")]
    if view.new_weight is not None or view.old_weight is not None:
        split = f"production traffic: new {_percent(view.new_weight or 0.0)}, old {_percent(view.old_weight or 0.0)}"
        if view.test_weight is not None:
            split += f"; test traffic: new {_percent(view.test_weight)}"
        lines.append(split)
    if view.bake and view.bake_left is not None and not view.finished:
        lines.append(f"{view.bake}: about {_duration(view.bake_left)} left "
                     "(an estimate, from when this view saw it begin)")
    if view.hook is not None:
        where = "before production traffic" if view.hook.before_production else f"at {view.stage or 'a hook'}"
        timeout = ""
        if view.hook.expires_at is not None:
            action = view.hook.timeout_action or "its timeout action"
            timeout = f" until {view.hook.expires_at.astimezone():%H:%M:%S}, then ECS does {action}"
        lines += [f"paused {where}{timeout}:", CONTINUE_LINE]   # two short lines: the command fits a terminal
    if view.alb is not None:
        alb = view.alb
        lines.append(f"load balancer, minute from {alb.at.astimezone():%H:%M}: {alb.requests / METRIC_PERIOD:.1f} req/s, "
                     f"5xx {alb.error_percent:.1f}% (target {alb.target_5xx:.0f}, load balancer {alb.elb_5xx:.0f})")
    if view.finished:
        lines.append(verdict(view))
    return lines


# -- reading ----------------------------------------------------------------------------------------

def alb_dimension(load_balancer_arn: str) -> str:
    """CloudWatch's LoadBalancer dimension: the ARN's `app/name/id`."""
    return load_balancer_arn.split(":loadbalancer/", 1)[-1]


def latest_minute(cloudwatch: Client, dimension: str, now: _dt.datetime) -> AlbMinute | None:
    """The newest minute with requests in the last few: GetMetricStatistics, Period 60, Sum."""
    sums: dict[str, dict[_dt.datetime, float]] = {}
    for metric in ALB_METRICS:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/ApplicationELB", MetricName=metric,
            Dimensions=[{"Name": "LoadBalancer", "Value": dimension}],
            StartTime=now - _dt.timedelta(seconds=METRIC_WINDOW), EndTime=now, Period=METRIC_PERIOD,
            Statistics=["Sum"])["Datapoints"]
        sums[metric] = {p["Timestamp"]: float(p.get("Sum", 0.0)) for p in points}
    requests = sums["RequestCount"]
    if not requests:
        return None
    at = max(requests)
    return AlbMinute(at, requests[at], sums["HTTPCode_Target_5XX_Count"].get(at, 0.0),
                     sums["HTTPCode_ELB_5XX_Count"].get(at, 0.0))


class TrafficReader:
    """Reads a traffic strategy's deployment for the view; keeps what a countdown needs between polls.

    `elbv2` and `cloudwatch` are optional: without either, no request rates. A read that AWS refuses
    (no permission for CloudWatch, say) drops the rates for the rest of the watch, not the watch."""

    def __init__(self, ecs: Client, elbv2: Client | None = None, cloudwatch: Client | None = None,
                 now: Now = cloud_now) -> None:
        self.ecs, self.elbv2, self.cloudwatch, self.now = ecs, elbv2, cloudwatch, now
        self._phase: tuple[Any, ...] | None = None
        self._phase_seen_at: _dt.datetime | None = None
        self._dimension: str | None = None
        self._metrics_off = elbv2 is None or cloudwatch is None
        self._alb: AlbMinute | None = None
        self._alb_read_at: _dt.datetime | None = None

    def read(self, described: Json | None) -> TrafficView | None:
        config = (described or {}).get("deploymentConfiguration") or {}
        if described is None or config.get("strategy") not in TRAFFIC_STRATEGIES:
            return None
        deployment = self.latest_deployment(described)
        if deployment is None:
            return None
        now = self.now()
        if phase_key(deployment) != self._phase:
            self._phase, self._phase_seen_at = phase_key(deployment), now
        return view_of(deployment, phase_seen_at=self._phase_seen_at, now=now, alb=self._rates(described, now))

    def latest_deployment(self, described: Json) -> Json | None:
        """The service's newest service deployment, described."""
        briefs = self.ecs.list_service_deployments(cluster=described["clusterArn"], service=described["serviceArn"],
                                                   maxResults=5)["serviceDeployments"]
        if not briefs:
            return None
        newest = max(briefs, key=lambda b: b.get("createdAt") or b.get("startedAt") or _dt.datetime.min)
        found: list[Json] = self.ecs.describe_service_deployments(
            serviceDeploymentArns=[newest["serviceDeploymentArn"]])["serviceDeployments"]
        return found[0] if found else None

    def _rates(self, described: Json, now: _dt.datetime) -> AlbMinute | None:
        if self._metrics_off:
            return None
        if self._alb_read_at is not None and (now - self._alb_read_at).total_seconds() < METRICS_EVERY:
            return self._alb
        try:
            if self._dimension is None:
                self._dimension = self._load_balancer_dimension(described)
            if self._dimension is None:
                self._metrics_off = True
                return None
            self._alb, self._alb_read_at = latest_minute(self.cloudwatch, self._dimension, now), now
        except ClientError:
            self._metrics_off, self._alb = True, None
        return self._alb

    def _load_balancer_dimension(self, described: Json) -> str | None:
        groups = [lb["targetGroupArn"] for lb in described.get("loadBalancers", []) if lb.get("targetGroupArn")]
        if not groups or self.elbv2 is None:
            return None
        found = self.elbv2.describe_target_groups(TargetGroupArns=groups[:1])["TargetGroups"]
        arns = found[0].get("LoadBalancerArns") if found else None
        return alb_dimension(arns[0]) if arns else None
