"""Property tests of the ECS engine alone (no moto, no botocore).

Each example builds ``Engine(clock=VirtualClock(1.7e9), seed=..., substrate=OfflineSubstrate())``,
creates a Fargate service of N tasks on ``fargatelab/web:v1``, advances until it is stable (one
deployment, COMPLETED, runningCount == N), then calls UpdateService with a second revision whose
image is ``fargatelab/web:v2`` (healthy) or a bad one (``:crash`` exits ~3 s after it starts,
``:unhealthy`` fails its health checks, ``:missing`` cannot be pulled) and a random deployment
configuration, and advances virtual time in 5 s steps for up to two hours, calling StopTask on a
random active service task at up to three random times in the first 30 minutes.  Half the
examples give the task definitions a container healthCheck, half put the service behind an ALB
target group (the OfflineSubstrate accepts any target group: 30 s checks, 300 s deregistration
delay, so stopped tasks sit in DEACTIVATING for 300 s).  A clock observer
(``engine.clock.observers``) checks invariants 1-6 after EVERY clock event; the outcome (7) is
checked at the end.  Reference: docs/ecs-behaviour.md sections 2 and 3.

Notation: N = desiredCount (1..12), min = minimumHealthyPercent (0..100),
max = maximumPercent (100..200), lo = ceil(N*min/100), hi = floor(N*max/100),
threshold = clamp(ceil(0.5*N), 3, 200).  A task is *active* when its desiredStatus is RUNNING.
A task is *healthy* (counts towards the minimum, §2.2) when it is active, its lastStatus is
RUNNING, and: its container health check reports HEALTHY (with a healthCheck) and its target is
healthy (with a load balancer), or, with neither, it has been RUNNING for at least 40 s.  The
*rollout* is everything after the UpdateService call, rollback included.  The new image is *bad*
when it is ``:crash``, ``:missing``, or ``:unhealthy`` with a health check or a load balancer
(with neither, nothing asks ``:unhealthy`` about its health, so by §2.2 it is a good image).
A configuration is *deadlocked* when hi == N and lo == N (e.g. min=100/max=100, or N=1 with
min > 0 and max < 200): with N healthy v1 tasks the scheduler can neither start a task nor stop
one (§2.1, the documented "cannot start any" / "cannot stop any" examples).

Invariants, after every clock event:

1. Max bound (§2.1): during the rollout the service never has more than hi active tasks, summed
   over all deployments.  Because the engine refuses maximumPercent < 100, hi >= N always, so
   "floor(N*max/100) < N" cannot be configured; the boundary case that remains is hi == N (e.g.
   N=3, max=125): no room to start a task before one is stopped.  ``scheduler.plan`` guarantees
   that launches never push the active count above hi (``launch <= hi - active_after_stops``,
   and 0 when that is negative); it does not promise to stop tasks to get under hi.  The observer
   asserts that literally (an event that created tasks leaves at most hi active tasks) and also
   the absolute form (active <= hi at every event), which follows because the rollout starts
   with exactly N <= hi active tasks and only launches add active tasks.
2. Min bound (§2.1): during the rollout of an example without kills, the number of healthy
   tasks (``engine.healthy_for_deployment``) never falls below lo, whatever the new image.
   Examples with kills skip this: StopTask removes a healthy task behind the scheduler's back.
3. Counts (§2.6): the service's runningCount / pendingCount equal the number of its tasks, as
   DescribeTasks shows them, whose lastStatus is RUNNING / one of PROVISIONING, PENDING,
   ACTIVATING; each listed deployment's runningCount / pendingCount equal that tally over the
   tasks it started (startedBy == deployment id); no counted task belongs to an unlisted
   deployment; the cluster's runningTasksCount / pendingTasksCount (DescribeClusters) equal the
   tally over DescribeTasks of every task in the cluster.  To keep this affordable the observer
   re-describes, at each event, only new tasks and tasks whose record ``version`` moved (§1.2:
   version increments on every state change) and re-uses its last DescribeTasks entry for the
   others; ``verify_cache`` re-describes every task not yet STOPPED each VERIFY_EVERY (60 s) and
   asserts nothing changed without a version bump.  STOPPED is final: a task once seen STOPPED
   (it must then have desiredStatus STOPPED) contributes nothing, and ``check_terminal``
   re-describes all of them at the end.  desiredStatus never goes back from STOPPED.  A task
   that is not STOPPED must stay describable (no MISSING failures).
4. The 40 s rule (§2.2): ``engine.healthy_for_deployment(task)`` agrees, for every service task,
   with the definition of *healthy* above computed from DescribeTasks (startedAt, healthStatus)
   and, behind the load balancer, the task record's target state.
5. Deployment state: during the rollout the PRIMARY deployment is listed first and is the new
   deployment, or the v1 deployment only after the circuit breaker tripped with rollback on (its
   rolloutStateReason is then "ECS deployment circuit breaker: rolling back to deploymentId
   <v1 id>." while IN_PROGRESS); its desiredCount is N.  Every other listed deployment is ACTIVE
   with desiredCount 0 and keeps its rolloutState (v1: COMPLETED; the new one after a rollback:
   FAILED) (§2.6).  While IN_PROGRESS the new deployment's reason is "ECS deployment <id> in
   progress.".  With the breaker on its failedTasks never exceeds threshold.  Once it is FAILED
   it launches no task (§2.6), and with rollback off and no kills the number of active v1 tasks
   stays what it was when the breaker tripped (§3.4 "the previous deployment's tasks keep
   running").
6. Completion (§2.4 step 4, §5.2): at the event where a deployment turns COMPLETED it is the only
   listed deployment, it has exactly N active healthy tasks, and every other task of the service
   has left RUNNING / pending / DEACTIVATING (it is STOPPING, DEPROVISIONING or STOPPED).

7. Outcome, at the end ("kills" = at least one StopTask was made during the rollout; "stable" =
   one deployment, COMPLETED, runningCount == N):
   a. good image, not deadlocked: stable on the new deployment, and the
      "(service web) (deployment <new id>) deployment completed." event was emitted.
      Good image, deadlocked, no kills: the new deployment stays PRIMARY / IN_PROGRESS and the
      service emitted "(service web) was unable to stop or start tasks during a deployment
      because of the service deployment configuration. Update the minimumHealthyPercent or
      maximumPercent value and try again."  Deadlocked with kills: since November 2025 a killed
      v1 task is replaced on v1 (docs/ecs-2026.md §1.6), so the slot it frees does not go to the new
      deployment: that event was emitted (or the rollout got through: stable on the new one).  The
      breaker never trips on a good image.
   b. bad image, breaker enabled, not deadlocked: the new deployment turns
      FAILED with failedTasks == threshold exactly, rolloutStateReason "ECS deployment circuit
      breaker: tasks failed to start." and the event "(deployment <new id>) deployment failed:
      tasks failed to start.".  Rollback on: the v1 deployment becomes PRIMARY again under the
      same id ("rolling back to deployment <v1 id>." event), and the service ends stable on it
      with rolloutStateReason "ECS deployment <v1 id> completed.".  Rollback off: the failed
      deployment stays PRIMARY / FAILED.
   c. bad image, breaker disabled, not deadlocked: the new deployment stays
      PRIMARY / IN_PROGRESS and its failedTasks reaches at least threshold (§3.4: it keeps
      growing; the breaker would have tripped).
   d. bad image, deadlocked (kills or not: killed v1 tasks come back on v1): nothing is launched, failedTasks == 0, the deployment
      stays IN_PROGRESS and the deadlock event was emitted.
   Events are collected by the observer at every clock event, so the 100-event ring cannot hide
   one.

An example stops before the two-hour horizon once its outcome can no longer change and has
stayed so for SETTLE_MARGIN (15 min) of further checked events: stable, or (7c) failing with
failedTasks >= threshold 30 minutes after the update.  Examples where nothing happens (deadlock,
FAILED without rollback) do run to the horizon; they are cheap, the clock is idle.

Also here: ``test_plan_keeps_its_promises`` (the pure ``scheduler.plan``, maximumPercent < 100
included, which the API refuses), the threshold formula, and determinism (same seed + same calls
-> same task ids, deployment ids, event timeline and task-state timeline, in this process and in
a fresh interpreter with another PYTHONHASHSEED).

Runs: ``python3 -m pytest -q tests/engine/test_properties.py`` (40 examples, seconds);
``python3 -m pytest -q tests/engine/test_properties.py -m slow`` (1,000 examples, a few minutes).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fargate_lab.engine import Engine, OfflineSubstrate, VirtualClock
from fargate_lab.engine.scheduler import TaskView, circuit_breaker_threshold, limits, plan
from fargate_lab.engine.timing import preset

REGION = "us-east-1"
CLUSTER = "lab"
SERVICE = "web"
T0 = 1.7e9
STEP = 5.0
HORIZON = 2 * 3600.0          # virtual seconds after UpdateService
SETTLE_MARGIN = 15 * 60.0     # keep checking this long after the outcome is final
BREAKER_OFF_HORIZON = 30 * 60.0  # a failing deployment with the breaker off is watched at least this long
KILL_WINDOW = 30 * 60         # kills happen within this many seconds after UpdateService
VERIFY_EVERY = 60.0           # virtual seconds between full re-describes of every task not yet STOPPED
NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b", "subnet-c"],
                                   "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}}
PENDING = ("PROVISIONING", "PENDING", "ACTIVATING")
COUNTED = ("RUNNING",) + PENDING
TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
DEADLOCK_EVENT = (f"(service {SERVICE}) was unable to stop or start tasks during a deployment because of the "
                  "service deployment configuration. Update the minimumHealthyPercent or maximumPercent value "
                  "and try again.")
IMAGES = ("v2", "crash", "unhealthy", "missing")


def lowest_healthy(desired: int, minimum_percent: int) -> int:
    """ceil(N * min / 100), in exact integer arithmetic (§2.1)."""
    return -(-desired * minimum_percent // 100)


def highest_active(desired: int, maximum_percent: int) -> int:
    """floor(N * max / 100), in exact integer arithmetic (§2.1)."""
    return desired * maximum_percent // 100


def breaker_threshold(desired: int) -> int:
    """clamp(ceil(0.5 * N), 3, 200) (§3.2)."""
    return min(max((desired + 1) // 2, 3), 200)


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
    load_balancer: bool = False      # behind an ALB target group (OfflineSubstrate: 30 s checks, 300 s drain)

    @property
    def lo(self) -> int:
        return lowest_healthy(self.desired, self.min_pct)

    @property
    def hi(self) -> int:
        return highest_active(self.desired, self.max_pct)

    @property
    def threshold(self) -> int:
        return breaker_threshold(self.desired)

    @property
    def bad(self) -> bool:
        return self.image in ("crash", "missing") or (
            self.image == "unhealthy" and (self.health_check or self.load_balancer))

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
    load_balancer=st.booleans(),
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
    v2_arn: str = ""                  # the revision the update deploys
    t_update: float = 0.0             # when UpdateService was called
    v1_id: str | None = None
    new_id: str | None = None
    kills_done: int = 0
    stopped: set = field(default_factory=set)          # task ids seen STOPPED (final)
    open: dict = field(default_factory=dict)           # task id -> (version, DescribeTasks entry), not yet STOPPED
    counted: dict = field(default_factory=dict)        # task id -> entry, for tasks active or RUNNING/pending
    events_checked: int = 0
    max_failed: int = 0               # the new deployment's failedTasks, highest seen
    tripped_failed: int | None = None  # failedTasks when the new deployment first showed FAILED
    rollback_seen: bool = False
    v1_active_at_trip: int = 0
    next_verify: float = 0.0
    states: dict = field(default_factory=dict)         # deployment id -> rolloutState last seen
    messages: dict = field(default_factory=dict)       # every service event seen: id -> (createdAt, message)
    completions: int = 0
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
        new.reverse()
        vanished = [tid for tid in self.open if tid not in cluster.tasks]
        assert not vanished, ("tasks disappeared before they were STOPPED", vanished, self.where())
        # Re-describe the new tasks and those whose version moved (§1.2: it increments on every
        # state change); verify_cache() checks that nothing changes without a version bump.
        stale = [tid for tid, (version, _) in self.open.items() if cluster.tasks[tid].version != version]
        changed = describe_tasks(self.engine, stale + new)
        created = changed[len(stale):]
        live = cluster.services[SERVICE].live
        for t in changed:
            tid = t["taskArn"].rsplit("/", 1)[-1]
            self.open[tid] = (t["version"], t)
            state = (t["lastStatus"], t["desiredStatus"])
            before = self._last.get(tid)
            if before != state:
                self._last[tid] = state
                self.trace.append((round(when - T0, 6), tid) + state)
            assert not (before and before[1] == "STOPPED" and state[1] != "STOPPED"), (
                "desiredStatus went back from STOPPED", t, self.where())
            if t["desiredStatus"] == "RUNNING" or t["lastStatus"] in COUNTED:
                self.counted[tid] = t
            else:  # on its way out for good: it can count for nothing until its version moves again
                self.counted.pop(tid, None)
                assert tid not in live or not self.engine.healthy_for_deployment(live[tid]), (t, self.where())
            if t["lastStatus"] == "STOPPED":
                assert t["desiredStatus"] == "STOPPED", (t, self.where())
                self.stopped.add(tid)
                del self.open[tid]
        svc = describe_service(self.engine)
        fresh = []
        for e in svc["events"]:              # newest first; the ring keeps only the last 100
            if e["id"] in self.messages:
                break
            fresh.append(e)
        for e in reversed(fresh):
            self.messages[e["id"]] = (e["createdAt"], e["message"])
        if not self.check:
            return
        # Every task that is active or RUNNING/pending; the others add 0 to every tally below.
        tasks = list(self.counted.values())
        self._check_counts(svc, tasks)
        healthy = self._check_health_rule(when, tasks)
        self._check_completions(svc, tasks, healthy)
        if self.rolling:
            self._check_bounds(tasks, bool(new), healthy)
            self._follow_deployments(svc, tasks, created)

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

    def _check_health_rule(self, when: float, tasks: list[dict]) -> set[str]:
        """Invariant 4: engine.healthy_for_deployment is the rule of §2.2, read off DescribeTasks and,
        behind the load balancer, the state of the task's target (its record: OfflineSubstrate has
        no ELB to ask).  Returns the healthy task ids."""
        live = self.cluster.services[SERVICE].live
        healthy = set()
        for t in tasks:
            tid = t["taskArn"].rsplit("/", 1)[-1]
            if tid not in live:
                continue
            want = t["lastStatus"] == "RUNNING" and t["desiredStatus"] == "RUNNING"
            if self.sc.health_check:
                want = want and t["healthStatus"] == "HEALTHY"
            targets = [(x.group_arn, x.port, x.state) for x in live[tid].targets]
            if self.sc.load_balancer:
                want = want and targets == [(TARGET_GROUP, 80, "healthy")]
            if not self.sc.health_check and not self.sc.load_balancer:
                want = want and when >= t["startedAt"] + 40
            assert self.engine.healthy_for_deployment(live[tid]) == want, (t, targets, when - T0, self.where())
            if want:
                healthy.add(tid)
        return healthy

    def _check_completions(self, svc: dict, tasks: list[dict], healthy: set[str]) -> None:
        """Invariant 6: at the event where a deployment turns COMPLETED it has exactly N healthy,
        active tasks and every other task of the service has left RUNNING/pending states (§2.4, §5.2)."""
        for d in svc["deployments"]:
            before = self.states.get(d["id"])
            self.states[d["id"]] = d["rolloutState"]
            if d["rolloutState"] != "COMPLETED" or before == "COMPLETED":
                continue
            self.completions += 1
            mine = [t for t in tasks if t.get("startedBy") == d["id"] and t["desiredStatus"] == "RUNNING"]
            ids = {t["taskArn"].rsplit("/", 1)[-1] for t in mine}
            assert len(mine) == self.sc.desired and ids <= healthy, (d, mine, self.where())
            others = [t for _, t in self.open.values() if t["group"] == f"service:{SERVICE}"
                      and t.get("startedBy") != d["id"]
                      and t["lastStatus"] not in ("STOPPING", "DEPROVISIONING", "STOPPED")]
            assert not others, (d["id"], others, self.where())
            assert [x["id"] for x in svc["deployments"]] == [d["id"]], (svc["deployments"], self.where())

    def _check_bounds(self, tasks: list[dict], launched: bool, healthy: set[str]) -> None:
        """Invariants 1 and 2."""
        sc = self.sc
        active = [t for t in tasks if t["group"] == f"service:{SERVICE}" and t["desiredStatus"] == "RUNNING"]
        if launched:  # what scheduler.plan promises: a launch never pushes the active count above hi
            assert len(active) <= sc.hi, (f"a launch left {len(active)} active tasks > hi={sc.hi}", self.where())
        assert len(active) <= sc.hi, (f"{len(active)} active tasks > hi={sc.hi}", self.where())
        if not sc.kills:
            assert len(healthy) >= sc.lo, (f"{len(healthy)} healthy tasks < lo={sc.lo}", self.where())

    def _follow_deployments(self, svc: dict, tasks: list[dict], created: list[dict]) -> None:
        """Invariant 5, and what the outcome needs to know (when the breaker tripped, rollback)."""
        sc = self.sc
        deps = svc["deployments"]
        primary = deps[0]
        assert primary["status"] == "PRIMARY" and primary["desiredCount"] == sc.desired, (deps, self.where())
        for d in deps[1:]:  # §2.6: the old deployment keeps its rolloutState, its desiredCount drops to 0
            assert d["status"] == "ACTIVE" and d["desiredCount"] == 0, (deps, self.where())
            assert (d["id"], d["rolloutState"]) in ((self.v1_id, "COMPLETED"), (self.new_id, "FAILED")), (
                deps, self.where())
        new = next((d for d in deps if d["id"] == self.new_id), None)
        if new is not None:
            self.max_failed = max(self.max_failed, new["failedTasks"])
            if sc.breaker:
                assert new["failedTasks"] <= sc.threshold, (new, self.where())
            if new["rolloutState"] == "IN_PROGRESS":
                assert new["rolloutStateReason"] == f"ECS deployment {self.new_id} in progress.", new
            if new["rolloutState"] == "FAILED" and self.tripped_failed is None:
                self.tripped_failed = new["failedTasks"]
                self.v1_active_at_trip = self._active_of(tasks, self.v1_id)
                assert new["rolloutStateReason"] == "ECS deployment circuit breaker: tasks failed to start.", new
        if self.tripped_failed is not None:
            # §2.6 / §3.4: "A deployment in FAILED state doesn't launch any new tasks."
            late = [t["taskArn"] for t in created if t.get("startedBy") == self.new_id]
            assert not late, ("the FAILED deployment launched tasks", late, self.where())
            if not sc.rollback and not sc.kills:
                # §3.4 rollback=false: "The previous deployment's tasks keep running."
                assert self._active_of(tasks, self.v1_id) == self.v1_active_at_trip, self.where()
        if primary["id"] == self.v1_id:
            assert sc.breaker and sc.rollback and self.tripped_failed is not None, (
                "the v1 deployment is PRIMARY again without a circuit-breaker rollback", self.where())
            if primary["rolloutState"] == "IN_PROGRESS":
                assert primary["rolloutStateReason"] == (
                    f"ECS deployment circuit breaker: rolling back to deploymentId {self.v1_id}."), primary
            self.rollback_seen = True
        else:
            assert primary["id"] == self.new_id, (primary, self.where())

    @staticmethod
    def _active_of(tasks: list[dict], deployment_id: str) -> int:
        return sum(t.get("startedBy") == deployment_id and t["desiredStatus"] == "RUNNING" for t in tasks)

    # -- the flow -------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        self.engine.clock.advance(seconds)
        if self.engine.clock.now() >= self.next_verify:
            self.next_verify = self.engine.clock.now() + VERIFY_EVERY
            self.verify_cache()

    def verify_cache(self) -> None:
        """Every task not yet STOPPED, described afresh, is exactly what the observer last saw unless
        its version moved (§1.2: version increments on every state change)."""
        for t in describe_tasks(self.engine, list(self.open)):
            version, seen = self.open[t["taskArn"].rsplit("/", 1)[-1]]
            if t["version"] == version:
                assert t == seen, ("DescribeTasks changed without a version bump", seen, t, self.where())

    def start(self) -> None:
        e, sc = self.engine, self.sc
        e.clock.observers.append(self.observe)
        e.call(REGION, "CreateCluster", {"clusterName": CLUSTER})
        v1 = _definition(e, sc, "v1")
        self.v2_arn = _definition(e, sc, sc.image)
        params = {"cluster": CLUSTER, "serviceName": SERVICE, "taskDefinition": v1, "desiredCount": sc.desired,
                  "launchType": "FARGATE", "networkConfiguration": NETWORK}
        if sc.load_balancer:
            params["loadBalancers"] = [{"targetGroupArn": TARGET_GROUP, "containerName": "web", "containerPort": 80}]
        created = e.call(REGION, "CreateService", params)["service"]
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
        listed = [(d["id"], d["status"]) for d in resp["deployments"]]
        assert listed == [(self.new_id, "PRIMARY"), (self.v1_id, "ACTIVE")], listed
        return resp

    def _kill(self) -> None:
        arns = active_service_tasks(self.engine)
        _, pick = self.sc.kills[self.kills_done]
        self.kills_done += 1
        if arns:
            self.engine.call(REGION, "StopTask", {"cluster": CLUSTER, "task": arns[pick % len(arns)],
                                                  "reason": "chaos: killed by the property test"})

    def _final(self, svc: dict) -> bool:
        """The outcome can no longer change: a steady end state (one COMPLETED deployment, N running,
        nothing pending), or (breaker disabled, bad image) a deployment that kept failing with
        failedTasks >= threshold for BREAKER_OFF_HORIZON without the breaker tripping."""
        if (len(svc["deployments"]) == 1 and svc["deployments"][0]["rolloutState"] == "COMPLETED"
                and svc["runningCount"] == self.sc.desired and svc["pendingCount"] == 0):
            return True
        new = svc["deployments"][0]
        return (not self.sc.breaker and self.sc.bad and new["id"] == self.new_id
                and new["failedTasks"] >= self.sc.threshold
                and self.engine.clock.now() - self.t_update >= BREAKER_OFF_HORIZON - SETTLE_MARGIN)

    def roll(self, horizon: float = HORIZON, settle_margin: float | None = SETTLE_MARGIN) -> dict:
        """Advance in STEP seconds, doing the kills on time, until the horizon, or until the outcome
        has been final for settle_margin seconds (None: always run to the horizon)."""
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


def simulate(sc: Scenario, check: bool = True, timing="realistic", **roll) -> tuple[Run, dict]:
    engine = Engine(clock=VirtualClock(T0), seed=sc.seed, substrate=OfflineSubstrate(), timing=timing)
    engine.verify_views = True   # every step also checks the scheduler's cached task views
    run = Run(sc, engine, check=check)
    run.start()
    run.update()
    svc = run.roll(**roll)
    run.check_terminal()
    return run, svc


# -- the outcome (7) ---------------------------------------------------------
def check_outcome(run: Run, svc: dict) -> None:
    sc = run.sc
    deps = {d["id"]: d for d in svc["deployments"]}
    primary = svc["deployments"][0]
    events = [m for _, m in run.messages.values()]   # every event the observer saw, not only the last 100
    deadlock_reported = DEADLOCK_EVENT in events
    killed = run.kills_done > 0
    ctx = (sc, [(d["id"], d["status"], d["rolloutState"], d["failedTasks"], d["runningCount"]) for d in
                svc["deployments"]], events[-8:])
    stable = (len(deps) == 1 and primary["rolloutState"] == "COMPLETED" and svc["runningCount"] == sc.desired)

    if not sc.bad:                                                        # 7a
        if not sc.deadlocked:
            assert stable and primary["id"] == run.new_id, ctx
            assert f"(service {SERVICE}) (deployment {run.new_id}) deployment completed." in events, ctx
        elif not killed:
            assert primary["id"] == run.new_id and primary["rolloutState"] == "IN_PROGRESS", ctx
            assert deadlock_reported, ctx
        else:
            assert (stable and primary["id"] == run.new_id) or deadlock_reported, ctx
        assert run.tripped_failed is None, ctx
        return

    if sc.deadlocked:                                                     # 7d
        assert primary["id"] == run.new_id and primary["rolloutState"] == "IN_PROGRESS", ctx
        assert primary["failedTasks"] == 0 and deadlock_reported, ctx
        return

    if sc.breaker:                                                        # 7b
        assert run.tripped_failed == sc.threshold, (run.tripped_failed, sc.threshold, ctx)
        assert run.max_failed == sc.threshold, (run.max_failed, ctx)
        assert (f"(service {SERVICE}) (deployment {run.new_id}) deployment failed: tasks failed to start."
                in events), ctx
        if sc.rollback:
            assert run.rollback_seen, ctx
            assert stable and primary["id"] == run.v1_id, ctx
            assert primary["rolloutStateReason"] == f"ECS deployment {run.v1_id} completed.", ctx
            assert f"(service {SERVICE}) rolling back to deployment {run.v1_id}." in events, ctx
            assert f"(service {SERVICE}) (deployment {run.v1_id}) deployment completed." in events, ctx
        else:
            assert primary["id"] == run.new_id and primary["status"] == "PRIMARY", ctx
            assert primary["rolloutState"] == "FAILED", ctx
            assert primary["failedTasks"] == sc.threshold, ctx
        return

    # 7c: breaker disabled
    assert primary["id"] == run.new_id and primary["rolloutState"] == "IN_PROGRESS", ctx
    assert run.tripped_failed is None, ctx
    assert primary["failedTasks"] >= sc.threshold, ctx


def outcome_class(sc: Scenario, killed: bool) -> str:
    if not sc.bad:
        return "7a good image" + (", deadlocked" if sc.deadlocked else "") + (", kills" if killed else "")
    if sc.deadlocked:
        return "7d bad image, deadlocked" + (", kills" if killed else "")
    if sc.breaker:
        return "7b breaker, " + ("rollback" if sc.rollback else "no rollback") + (", kills" if killed else "")
    return "7c breaker off" + (", kills" if killed else "")


def _property(sc: Scenario) -> None:
    run, svc = simulate(sc)
    event(outcome_class(sc, run.kills_done > 0))
    n = run.events_checked
    event("clock events checked: " + ("<100" if n < 100 else "<1000" if n < 1000 else ">=1000"))
    check_outcome(run, svc)


COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(max_examples=40, **COMMON)
@given(sc=scenarios)
def test_rolling_deployment_properties(sc):
    _property(sc)


@pytest.mark.slow
@settings(max_examples=1000, **COMMON)
@given(sc=scenarios)
def test_rolling_deployment_properties_slow(sc):
    _property(sc)


# -- the scheduler's decision on its own ------------------------------------------------
@st.composite
def plan_inputs(draw):
    desired = draw(st.integers(0, 12))
    minimum = draw(st.integers(0, 100))
    maximum = draw(st.integers(0, 200))        # below 100 too: the API refuses it, plan must not care
    views = []
    for i in range(draw(st.integers(0, 30))):
        running = draw(st.booleans())
        views.append(TaskView(id=f"t{i}", deployment=draw(st.sampled_from(["new", "old", "older"])),
                              running=running, healthy=running and draw(st.booleans()),
                              az=draw(st.sampled_from(["a", "b", "c"]))))
    return desired, minimum, maximum, views, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(plan_inputs())
def test_plan_keeps_its_promises(args):
    """What ``scheduler.plan`` guarantees for one step (tasks = the active ones):

    - it stops only tasks it was given, each once; nothing of an old deployment when it may not
      replace old tasks; launches nothing when it may not launch;
    - launches never push the active count above hi = floor(N*max/100): after a launch,
      active - stopped + launched <= hi.  When there are already more than hi it launches nothing
      and does NOT stop tasks to get under hi (that is how a rollout that starts above hi, e.g.
      maximumPercent < 100 which the API refuses, stays legal step by step);
    - it never takes the primary deployment above N;
    - it stops a healthy task of an old deployment only while at least lo = ceil(N*min/100)
      healthy tasks remain (scale-in of a primary surplus is the only other healthy stop);
    - "deadlocked" means: nothing to stop, nothing to launch, the rollout unfinished, every
      task healthy (so nothing in flight can unblock it).
    """
    desired, minimum, maximum, views, can_launch, can_replace_old = args
    step = plan(desired, minimum, maximum, "new", views, can_launch=can_launch, can_replace_old=can_replace_old)
    lo, hi = lowest_healthy(desired, minimum), highest_active(desired, maximum)
    assert limits(desired, minimum, maximum) == (lo, hi)
    by_id = {v.id: v for v in views}
    assert len(set(step.stop)) == len(step.stop) and set(step.stop) <= set(by_id)
    stopped = [by_id[i] for i in step.stop]
    new = [v for v in views if v.deployment == "new"]
    assert step.launch >= 0
    if not can_launch:
        assert step.launch == 0
    if not can_replace_old:
        assert all(v.deployment == "new" for v in stopped)
    active_after = len(views) - len(stopped)
    new_after = len(new) - sum(v.deployment == "new" for v in stopped)
    assert new_after == min(len(new), desired)           # only a surplus of the primary is scaled in
    if step.launch:
        assert active_after + step.launch <= hi, (active_after, step.launch, hi)
        assert new_after + step.launch <= desired
    healthy = sum(v.healthy for v in views)
    old_healthy_stopped = sum(v.healthy and v.deployment != "new" for v in stopped)
    assert old_healthy_stopped <= max(0, healthy - lo), (healthy, lo, step)
    if step.deadlocked:
        assert step.launch == 0 and not step.stop and all(v.healthy for v in views) and views
        assert can_launch and (len(new) < desired or any(v.deployment != "new" for v in views))


@settings(max_examples=300, deadline=None)
@given(plan_inputs(), st.integers(0, 40), st.sampled_from([0, 1, 12, 10**6, 10**12]))
def test_a_launch_budget_only_defers_starts(args, budget, extra):
    """``budget`` caps the tasks one step starts (replacements and new ones) and changes nothing
    else: the same tasks stop, the same deadlock verdict, and what the limits allow beyond the
    budget is ``held`` for a later step -- whatever the desired count (up to 10^12)."""
    desired, minimum, maximum, views, can_launch, can_replace_old = args
    desired += extra
    keep = {"old": sum(v.deployment == "old" for v in views) + 2}
    free = plan(desired, minimum, maximum, "new", views, can_launch=can_launch,
                can_replace_old=can_replace_old, keep=keep)
    step = plan(desired, minimum, maximum, "new", views, can_launch=can_launch,
                can_replace_old=can_replace_old, keep=keep, budget=budget)
    starts = step.launch + sum(count for _, count in step.replace)
    free_starts = free.launch + sum(count for _, count in free.replace)
    assert starts == min(budget, free_starts)
    assert step.held == free_starts - starts and free.held == 0
    assert (step.stop, step.retired, step.deadlocked) == (free.stop, free.retired, free.deadlocked)
    if step.held:
        assert not step.deadlocked


@given(st.integers(0, 10_000))
def test_breaker_threshold_is_the_documented_clamp(desired):
    assert circuit_breaker_threshold(desired) == breaker_threshold(desired)
    assert [breaker_threshold(n) for n in (1, 25, 400, 800)] == [3, 13, 200, 200]   # §3.2 table


# -- determinism -------------------------------------------------------------------------
def _fingerprint(sc: Scenario, timing="realistic") -> dict:
    run, svc = simulate(sc, check=False, timing=timing, horizon=1800.0, settle_margin=None)
    cluster = run.cluster
    service = cluster.services[SERVICE]
    return {
        "tasks": list(run._last),          # every task id, in the order the observer first saw it
        "visible": list(cluster.tasks),
        "deployments": [d.id for d in service.history],
        "events": list(run.messages.items()),   # the whole event timeline, oldest first
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


@settings(max_examples=5, deadline=None)
@given(sc=scenarios)
def test_the_launch_budget_never_binds_a_small_service(sc):
    """A service of a few tasks has the same history with the 500-a-minute budget as with none."""
    unbounded = replace(preset("realistic"), service_launches_per_window=10**9)
    assert _fingerprint(sc) == _fingerprint(sc, timing=unbounded)


def test_the_seed_matters():
    sc = Scenario(seed=1, desired=3, min_pct=50, max_pct=200, image="crash", health_check=False,
                  hc_interval=10, hc_retries=3, breaker=True, rollback=True, kills=((30, 1), (400, 0)))
    a, b = _fingerprint(sc), _fingerprint(Scenario(**{**sc.__dict__, "seed": 2}))
    assert a == _fingerprint(sc)
    assert not set(a["tasks"]) & set(b["tasks"])
    assert a["deployments"] != b["deployments"]


CHAOS = Scenario(seed=7, desired=4, min_pct=50, max_pct=150, image="missing", health_check=True,
                 hc_interval=10, hc_retries=2, breaker=True, rollback=True, kills=((20, 0), (95, 3), (700, 1)),
                 load_balancer=True)


def test_same_history_in_a_fresh_interpreter():
    """Nothing depends on the process (string hashing, id(), wall time): another interpreter with
    another PYTHONHASHSEED replays exactly the same history."""
    import json
    import os
    import subprocess
    import sys

    from tests.paths import REPO as root

    here = json.loads(json.dumps(_fingerprint(CHAOS)))
    script = ("import json, sys; from tests.engine.test_properties import CHAOS, _fingerprint; "
              "json.dump(_fingerprint(CHAOS), sys.stdout)")
    for hash_seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed,
               "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
        out = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True,
                             text=True, check=True).stdout
        assert json.loads(out) == here
    assert here["tasks"] and here["events"] and len(here["deployments"]) == 2
