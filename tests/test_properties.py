"""Property tests of the ECS engine alone (no moto, no botocore).

Each example builds ``Engine(clock=VirtualClock(1.7e9), seed=..., substrate=OfflineSubstrate())``,
creates a Fargate service on ``fargatelab/web:v1``, waits until it is stable (one deployment,
COMPLETED, runningCount == desiredCount), then calls UpdateService with a second revision whose
image is ``fargatelab/web:v2`` (healthy) or a bad one (``:crash`` exits 3 s after it starts,
``:unhealthy`` fails its health checks, ``:missing`` cannot be pulled) and a random deployment
configuration, and advances virtual time in 5 s steps for up to two hours, stopping random
service tasks (StopTask) at random times.  A clock observer checks the invariants after EVERY
clock event; the outcome is checked at the end.  Reference: ecs-behaviour.md sections 2 and 3.

Notation: N = desiredCount (1..12), min = minimumHealthyPercent (0..100),
max = maximumPercent (100..200), lo = ceil(N*min/100), hi = floor(N*max/100),
threshold = clamp(ceil(0.5*N), 3, 200).  A task is *active* when its desiredStatus is RUNNING;
it is *healthy* when ``engine.healthy_for_deployment(task)`` says so (RUNNING, and HEALTHY when
it has a container health check, else RUNNING for 40 s).  The "rollout" is everything after the
UpdateService call, rollback included.  The new image is *bad* when it is ``:crash``,
``:missing``, or ``:unhealthy`` with a container health check (without a health check and
without a load balancer nothing ever asks ``:unhealthy`` whether it is healthy, so it behaves
as a healthy image, §2.2).

Invariants, after every clock event:

1. Max bound (§2.1): during the rollout the service never has more than hi active tasks, over
   all deployments.  Since maximumPercent >= 100 is enforced, hi >= N always, so
   "floor(N*max/100) < N" cannot be configured; the special case that remains is hi == N (e.g.
   N=3, max=125: no room to start a task before one is stopped).  What ``scheduler.plan``
   guarantees is that a launch never pushes the active count above hi
   (``launch <= hi - active_after_stops``); as the rollout starts with exactly N <= hi active
   tasks and only launches add active tasks, that is the same as "active <= hi at every event".
   The observer also checks the plan's guarantee literally: an event that creates tasks leaves
   at most hi active tasks.
2. Min bound (§2.1, §2.2): during the rollout, when no task is killed, the number of healthy
   tasks never falls below lo.  (A StopTask removes a healthy task behind the scheduler's back,
   so examples with kills skip this check.)  This holds whatever the new image is: the scheduler
   only stops a healthy task when at least lo healthy ones remain.
3. Counts (§2.6): the service's runningCount / pendingCount equal the number of its tasks, as
   DescribeTasks shows them, whose lastStatus is RUNNING / one of PROVISIONING, PENDING,
   ACTIVATING; each listed deployment's counts equal that tally over the tasks it started
   (startedBy == deployment id), and every counted task belongs to a listed deployment; the
   cluster's runningTasksCount / pendingTasksCount equal the tally over DescribeTasks of every
   task in the cluster.  (STOPPED is final, so a task already seen STOPPED is not described
   again at every event; ``_check_terminal`` re-describes all of them at the end.)

Outcome, at the end (a "deadlocked" configuration is one with hi == N and lo == N, e.g.
min=100/max=100 or N=1 with 0 < min and max < 200: the plan can neither start nor stop a task,
§2.1; "kills" means at least one StopTask happened during the rollout):

4a. good image, not deadlocked (or deadlocked but a kill freed a slot and the rollout could
    finish): the new deployment is COMPLETED, it is the only deployment, and
    runningCount == N.  Good image, deadlocked, no kills: the new deployment stays PRIMARY /
    IN_PROGRESS and the service emitted "(service web) was unable to stop or start tasks
    during a deployment because of the service deployment configuration. Update the
    minimumHealthyPercent or maximumPercent value and try again."  Deadlocked with kills:
    COMPLETED or that event was emitted.
4b. bad image, breaker enabled, not deadlocked (or deadlocked with kills): the new deployment
    becomes FAILED with failedTasks == threshold exactly (never more at any event) and
    rolloutStateReason "ECS deployment circuit breaker: tasks failed to start.".  With
    rollback, the v1 deployment becomes PRIMARY again with the same id and reason
    "ECS deployment circuit breaker: rolling back to deploymentId <v1 id>.", and ends
    COMPLETED as the only deployment with runningCount == N; without rollback the failed
    deployment stays PRIMARY / FAILED.
4c. bad image, breaker disabled: the new deployment stays PRIMARY / IN_PROGRESS for the whole
    run; when it was able to launch tasks its failedTasks reached at least the threshold (the
    breaker would have tripped, §3.4 "failedTasks keeps growing").
4d. bad image, deadlocked, no kills: nothing is launched, nothing fails (failedTasks == 0), the
    deployment stays IN_PROGRESS and the deadlock event is emitted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fargate_lab.engine import Engine, OfflineSubstrate, VirtualClock

REGION = "us-east-1"
CLUSTER = "lab"
SERVICE = "web"
T0 = 1.7e9
STEP = 5.0
HORIZON = 2 * 3600.0          # virtual seconds after UpdateService
SETTLE_MARGIN = 15 * 60.0     # keep checking this long after a final, steady state
KILL_WINDOW = 30 * 60         # kills happen within this many seconds after UpdateService
NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b", "subnet-c"],
                                   "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}
PENDING = ("PROVISIONING", "PENDING", "ACTIVATING")
DEADLOCK_EVENT = (f"(service {SERVICE}) was unable to stop or start tasks during a deployment because of the "
                  "service deployment configuration. Update the minimumHealthyPercent or maximumPercent value "
                  "and try again.")
IMAGES = ("v2", "crash", "unhealthy", "missing")


@dataclass(frozen=True)
class Scenario:
    seed: int
    desired: int
    min_pct: int
    max_pct: int
    image: str                       # tag of fargatelab/web for the update
    health_check: bool               # container healthCheck in both revisions
    hc_interval: int
    hc_retries: int
    breaker: bool
    rollback: bool
    kills: tuple[tuple[int, int], ...] = ()   # (seconds after UpdateService, which active task)

    @property
    def lo(self) -> int:
        return math.ceil(self.desired * self.min_pct / 100)

    @property
    def hi(self) -> int:
        return math.floor(self.desired * self.max_pct / 100)

    @property
    def threshold(self) -> int:
        return min(max(math.ceil(0.5 * self.desired), 3), 200)

    @property
    def bad(self) -> bool:
        return self.image in ("crash", "missing") or (self.image == "unhealthy" and self.health_check)

    @property
    def deadlocked(self) -> bool:
        """At the start of the rollout (N healthy v1 tasks) the plan can neither launch (hi - N == 0)
        nor stop a healthy task (N - 1 < lo)."""
        return self.hi == self.desired and self.lo == self.desired


scenarios = st.builds(
    Scenario,
    seed=st.integers(0, 2**32 - 1),
    desired=st.integers(1, 12),
    min_pct=st.integers(0, 100),
    max_pct=st.integers(100, 200),
    image=st.sampled_from(IMAGES),
    health_check=st.booleans(),
    hc_interval=st.sampled_from([5, 10, 30]),
    hc_retries=st.integers(1, 3),
    breaker=st.booleans(),
    rollback=st.booleans(),
    kills=st.lists(st.tuples(st.integers(0, KILL_WINDOW), st.integers(0, 11)), max_size=3).map(
        lambda ks: tuple(sorted(ks))),
)


# -- driving the engine -------------------------------------------------------------
def _definition(engine: Engine, sc: Scenario, tag: str) -> str:
    container = {"name": "web", "image": f"fargatelab/web:{tag}", "portMappings": [{"containerPort": 80}]}
    if sc.health_check:
        container["healthCheck"] = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
                                    "interval": sc.hc_interval, "timeout": 5, "retries": sc.hc_retries}
    return engine.call(REGION, "RegisterTaskDefinition", {
        "family": "web", "containerDefinitions": [container], "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"})["taskDefinition"]["taskDefinitionArn"]


def describe_service(engine: Engine) -> dict:
    return engine.call(REGION, "DescribeServices", {"cluster": CLUSTER, "services": [SERVICE]})["services"][0]


def describe_tasks(engine: Engine, ids: list[str]) -> list[dict]:
    out = []
    for i in range(0, len(ids), 100):
        resp = engine.call(REGION, "DescribeTasks", {"cluster": CLUSTER, "tasks": ids[i:i + 100]})
        assert not resp["failures"], resp["failures"]
        out += resp["tasks"]
    return out


def active_service_tasks(engine: Engine) -> list[str]:
    arns, token = [], None
    while True:
        params = {"cluster": CLUSTER, "serviceName": SERVICE, "desiredStatus": "RUNNING"}
        if token:
            params["nextToken"] = token
        resp = engine.call(REGION, "ListTasks", params)
        arns += resp["taskArns"]
        token = resp.get("nextToken")
        if not token:
            return arns


@dataclass
class Run:
    """What one example did, as seen through the API and the clock observer."""
    sc: Scenario
    engine: Engine
    check: bool = True
    rolling: bool = False             # UpdateService has been called
    v1_id: str | None = None
    new_id: str | None = None
    kills_done: int = 0
    stopped: set = field(default_factory=set)          # task ids seen STOPPED (final)
    open: dict = field(default_factory=dict)           # task ids not yet seen STOPPED (ordered)
    events_checked: int = 0
    max_failed: int = 0               # the new deployment's failedTasks, highest seen
    tripped_failed: int | None = None  # failedTasks when the new deployment first showed FAILED
    rollback_seen: bool = False
    trace: list = field(default_factory=list)          # (time, task id, lastStatus, desiredStatus) changes
    _last: dict = field(default_factory=dict)

    @property
    def cluster(self):
        return self.engine.regions[REGION].clusters[CLUSTER]

    def where(self) -> str:
        return f"t={self.engine.clock.now() - T0:.3f}s {self.sc}"

    # -- the observer: runs after every clock event ------------------------------------
    def observe(self, when: float) -> None:
        self.events_checked += 1
        cluster = self.cluster
        new = []
        for tid in reversed(cluster.tasks):     # tasks are only ever appended; new ones are last
            if tid in self.open or tid in self.stopped:
                break
            new.append(tid)
        self.open.update(dict.fromkeys(reversed(new)))
        tasks = describe_tasks(self.engine, list(self.open))
        for t in tasks:
            tid = t["taskArn"].rsplit("/", 1)[-1]
            state = (t["lastStatus"], t["desiredStatus"])
            if self._last.get(tid) != state:
                self._last[tid] = state
                self.trace.append((round(when - T0, 6), tid) + state)
            if t["lastStatus"] == "STOPPED":
                assert t["desiredStatus"] == "STOPPED", (t, self.where())
                self.stopped.add(tid)
                del self.open[tid]
        if not self.check:
            return
        svc = describe_service(self.engine)
        self._check_counts(svc, tasks)
        if self.rolling:
            self._check_bounds(tasks)
            self._follow_deployments(svc)

    def _check_counts(self, svc: dict, tasks: list[dict]) -> None:
        """Invariant 3."""
        mine = [t for t in tasks if t["group"] == f"service:{SERVICE}"]
        running = [t for t in mine if t["lastStatus"] == "RUNNING"]
        pending = [t for t in mine if t["lastStatus"] in PENDING]
        assert (svc["runningCount"], svc["pendingCount"]) == (len(running), len(pending)), self.where()
        listed = set()
        for d in svc["deployments"]:
            listed.add(d["id"])
            got = (d["runningCount"], d["pendingCount"])
            want = (sum(t.get("startedBy") == d["id"] for t in running),
                    sum(t.get("startedBy") == d["id"] for t in pending))
            assert got == want, (d["id"], d["status"], got, want, self.where())
        orphans = [t["taskArn"] for t in running + pending if t.get("startedBy") not in listed]
        assert not orphans, ("counted tasks of an unlisted deployment", orphans, self.where())
        cl = self.engine.call(REGION, "DescribeClusters", {"clusters": [CLUSTER]})["clusters"][0]
        want = (sum(t["lastStatus"] == "RUNNING" for t in tasks), sum(t["lastStatus"] in PENDING for t in tasks))
        assert (cl["runningTasksCount"], cl["pendingTasksCount"]) == want, self.where()

    def _check_bounds(self, tasks: list[dict]) -> None:
        """Invariants 1 and 2."""
        sc = self.sc
        service = self.cluster.services[SERVICE]
        active = [t for t in tasks if t["group"] == f"service:{SERVICE}" and t["desiredStatus"] == "RUNNING"]
        assert len(active) <= sc.hi, (f"{len(active)} active tasks > hi={sc.hi}", self.where())
        if not sc.kills:
            healthy = sum(self.engine.healthy_for_deployment(t) for t in service.live.values())
            assert healthy >= sc.lo, (f"{healthy} healthy tasks < lo={sc.lo}", self.where())

    def _follow_deployments(self, svc: dict) -> None:
        sc = self.sc
        new = next((d for d in svc["deployments"] if d["id"] == self.new_id), None)
        if new is not None:
            self.max_failed = max(self.max_failed, new["failedTasks"])
            if sc.breaker:
                assert new["failedTasks"] <= sc.threshold, (new, self.where())
            if new["rolloutState"] == "FAILED" and self.tripped_failed is None:
                self.tripped_failed = new["failedTasks"]
                assert new["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start.", new
        primary = svc["deployments"][0]
        assert primary["status"] == "PRIMARY", svc["deployments"]
        assert [d["status"] for d in svc["deployments"][1:]] == ["ACTIVE"] * (len(svc["deployments"]) - 1)
        if primary["id"] == self.v1_id:
            assert sc.breaker and sc.rollback and self.tripped_failed is not None, (
                "the v1 deployment is PRIMARY again without a circuit-breaker rollback", self.where())
            if primary["rolloutState"] == "IN_PROGRESS":
                assert primary["rolloutStateReason"] == (
                    f"ECS deployment circuit breaker: rolling back to deploymentId {self.v1_id}."), primary
            self.rollback_seen = True
        else:
            assert primary["id"] == self.new_id, (primary, self.where())

    # -- the flow -------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.engine.clock.advance(seconds)

    def start(self) -> None:
        e, sc = self.engine, self.sc
        e.clock.observers.append(self.observe)
        e.call(REGION, "CreateCluster", {"clusterName": CLUSTER})
        v1 = _definition(e, sc, "v1")
        self.v2_arn = _definition(e, sc, sc.image)
        created = e.call(REGION, "CreateService", {
            "cluster": CLUSTER, "serviceName": SERVICE, "taskDefinition": v1, "desiredCount": sc.desired,
            "launchType": "FARGATE", "networkConfiguration": NETWORK})["service"]
        self.v1_id = created["deployments"][0]["id"]
        for _ in range(int(600 / STEP)):
            self.advance(STEP)
            svc = describe_service(e)
            if (len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED"
                    and svc["runningCount"] == sc.desired):
                break
        else:
            raise AssertionError(f"the v1 service never became stable: {svc['deployments']} {self.where()}")
        assert svc["deployments"][0]["id"] == self.v1_id

    def update(self) -> dict:
        sc = self.sc
        resp = self.engine.call(REGION, "UpdateService", {
            "cluster": CLUSTER, "service": SERVICE, "taskDefinition": self.v2_arn,
            "deploymentConfiguration": {"minimumHealthyPercent": sc.min_pct, "maximumPercent": sc.max_pct,
                                        "deploymentCircuitBreaker": {"enable": sc.breaker,
                                                                     "rollback": sc.rollback}}})["service"]
        self.rolling = True
        self.new_id = resp["deployments"][0]["id"]
        self.t_update = self.engine.clock.now()
        assert self.new_id != self.v1_id
        assert [(d["id"], d["status"]) for d in resp["deployments"]] == [(self.new_id, "PRIMARY"), (self.v1_id, "ACTIVE")]
        return resp

    def _kill(self) -> None:
        arns = active_service_tasks(self.engine)
        _, pick = self.sc.kills[self.kills_done]
        self.kills_done += 1
        if arns:
            self.engine.call(REGION, "StopTask", {"cluster": CLUSTER, "task": arns[pick % len(arns)],
                                                  "reason": "chaos: killed by the property test"})

    def _final(self, svc: dict) -> bool:
        """A steady end state: one COMPLETED deployment, N running, nothing pending."""
        return (len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED"
                and svc["runningCount"] == self.sc.desired and svc["pendingCount"] == 0)

    def roll(self, horizon: float = HORIZON, settle_margin: float | None = SETTLE_MARGIN) -> dict:
        clock = self.engine.clock
        end = self.t_update + horizon
        settled_at = None
        while clock.now() < end:
            if self.kills_done < len(self.sc.kills):
                due = self.t_update + self.sc.kills[self.kills_done][0]
                if due <= clock.now():
                    self._kill()
                    continue
                self.advance(min(STEP, due - clock.now(), end - clock.now()))
            else:
                self.advance(min(STEP, end - clock.now()))
            if settle_margin is None or self.kills_done < len(self.sc.kills):
                continue
            if self._final(describe_service(self.engine)):
                settled_at = settled_at if settled_at is not None else clock.now()
                if clock.now() - settled_at >= settle_margin:
                    break
            else:
                settled_at = None
        return describe_service(self.engine)

    def check_terminal(self) -> None:
        """STOPPED is final: every task seen STOPPED and still describable is still STOPPED."""
        ids = [i for i in self.cluster.tasks if i in self.stopped]
        for t in describe_tasks(self.engine, ids):
            assert (t["lastStatus"], t["desiredStatus"]) == ("STOPPED", "STOPPED"), t


def simulate(sc: Scenario, check: bool = True, **roll) -> tuple[Run, dict]:
    engine = Engine(clock=VirtualClock(T0), seed=sc.seed, substrate=OfflineSubstrate())
    run = Run(sc, engine, check=check)
    run.start()
    run.update()
    svc = run.roll(**roll)
    run.check_terminal()
    return run, svc


# -- the outcome (invariant 4) ---------------------------------------------------------
def check_outcome(run: Run, svc: dict) -> None:
    sc = run.sc
    deps = {d["id"]: d for d in svc["deployments"]}
    primary = svc["deployments"][0]
    events = [e["message"] for e in svc["events"]]
    deadlock_reported = DEADLOCK_EVENT in events
    killed = run.kills_done > 0
    ctx = (sc, [(d["id"], d["status"], d["rolloutState"], d["failedTasks"], d["runningCount"]) for d in
                svc["deployments"]], events[:8])
    stable = (len(deps) == 1 and primary["rolloutState"] == "COMPLETED" and svc["runningCount"] == sc.desired)

    if not sc.bad:                                                        # 4a
        if not sc.deadlocked:
            assert stable and primary["id"] == run.new_id, ctx
        elif not killed:
            assert primary["id"] == run.new_id and primary["rolloutState"] == "IN_PROGRESS", ctx
            assert deadlock_reported, ctx
        else:
            assert (stable and primary["id"] == run.new_id) or deadlock_reported, ctx
        assert run.tripped_failed is None, ctx
        return

    if sc.deadlocked and not killed:                                      # 4d
        assert primary["id"] == run.new_id and primary["rolloutState"] == "IN_PROGRESS", ctx
        assert primary["failedTasks"] == 0 and deadlock_reported, ctx
        return

    if sc.breaker:                                                        # 4b
        assert run.tripped_failed == sc.threshold, (run.tripped_failed, sc.threshold, ctx)
        assert run.max_failed == sc.threshold, (run.max_failed, ctx)
        if sc.rollback:
            assert run.rollback_seen, ctx
            assert stable and primary["id"] == run.v1_id, ctx
            assert primary["rolloutStateReason"] == f"ECS deployment {run.v1_id} completed.", ctx
            assert (f"(service {SERVICE}) rolling back to deployment {run.v1_id}." in events
                    or len(svc["events"]) == 100), ctx
        else:
            assert primary["id"] == run.new_id and primary["status"] == "PRIMARY", ctx
            assert primary["rolloutState"] == "FAILED", ctx
            assert primary["failedTasks"] == sc.threshold, ctx
        return

    # 4c: breaker disabled
    assert primary["id"] == run.new_id and primary["rolloutState"] == "IN_PROGRESS", ctx
    assert run.tripped_failed is None, ctx
    assert primary["failedTasks"] >= sc.threshold, ctx


def _property(sc: Scenario) -> None:
    run, svc = simulate(sc)
    assert run.events_checked > 0
    check_outcome(run, svc)


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False)


@settings(max_examples=30, **COMMON)
@given(sc=scenarios)
def test_rolling_deployment_properties(sc):
    _property(sc)


@pytest.mark.slow
@settings(max_examples=1000, **COMMON)
@given(sc=scenarios)
def test_rolling_deployment_properties_slow(sc):
    _property(sc)


# -- determinism -------------------------------------------------------------------------
def _fingerprint(sc: Scenario) -> dict:
    run, svc = simulate(sc, check=False, horizon=3600.0, settle_margin=None)
    cluster = run.cluster
    service = cluster.services[SERVICE]
    return {
        "tasks": list(run._last),          # every task id, in the order the observer first saw it
        "visible": list(cluster.tasks),
        "deployments": [d.id for d in service.history],
        "events": [(e["id"], e["createdAt"], e["message"]) for e in svc["events"]],
        "timeline": run.trace,
        "clock_events": run.engine.clock.events_run,
        "final": describe_tasks(run.engine, list(cluster.tasks)),
    }


@settings(max_examples=5, deadline=None)
@given(sc=scenarios)
def test_same_seed_same_calls_same_history(sc):
    first, second = _fingerprint(sc), _fingerprint(sc)
    assert first == second
    assert first["tasks"] and len(first["deployments"]) == 2


def test_the_seed_matters():
    sc = Scenario(seed=1, desired=3, min_pct=50, max_pct=200, image="crash", health_check=False,
                  hc_interval=10, hc_retries=3, breaker=True, rollback=True, kills=((30, 1), (400, 0)))
    a, b = _fingerprint(sc), _fingerprint(Scenario(**{**sc.__dict__, "seed": 2}))
    assert a == _fingerprint(sc)
    assert not set(a["tasks"]) & set(b["tasks"])
    assert a["deployments"] != b["deployments"]
