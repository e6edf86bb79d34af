"""Properties of BLUE_GREEN, CANARY and LINEAR deployments under random settings and faults,
judged only by what a client reads (DescribeServiceDeployments, DescribeTasks, the target groups'
health) and by the listener rules the load balancer holds, sampled every few seconds:

- the revisions' requested production weights add up to 100, and so do the rule's forward weights;
- green's share never falls, except when the deployment rolls back;
- traffic moves to green only while green has a healthy target (or blue has none);
- every deployment ends SUCCESSFUL or ROLLBACK_SUCCESSFUL, traffic then wholly on the revision that won.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from fargate_lab.engine import Engine, OfflineSubstrate, VirtualClock

REGION, CLUSTER, SERVICE = "us-east-1", "lab", "web"
GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-{}/0123456789abcdef"
BLUE, GREEN = GROUP.format("blue"), GROUP.format("green")
PROD = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/1/2/prod"
TEST = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop/1/3/test"
NETWORK = {"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"], "securityGroups": ["sg-1"]}}
HORIZON = 4 * 3600.0
ENDED = ("SUCCESSFUL", "ROLLBACK_SUCCESSFUL")


@dataclass(frozen=True)
class Scenario:
    seed: int
    strategy: str
    desired: int
    percent: float
    step_bake: int
    bake: int
    image: str                   # the new revision's fargatelab/web tag
    pause: str | None            # a PAUSE hook's stage, then CONTINUE or ROLLBACK after `act_after`
    action: str
    act_after: int
    kill_after: int | None       # StopTask of one running task this many seconds after the update
    stop_after: int | None       # StopServiceDeployment (ROLLBACK) this many seconds after the update


scenarios = st.builds(
    Scenario, seed=st.integers(0, 2**31), strategy=st.sampled_from(["BLUE_GREEN", "CANARY", "LINEAR"]),
    desired=st.integers(2, 6), percent=st.sampled_from([3.0, 10.0, 33.3, 50.0, 100.0]),
    step_bake=st.integers(0, 3), bake=st.integers(0, 3), image=st.sampled_from(["v2", "v2", "crash", "unhealthy"]),
    pause=st.sampled_from([None, None, "POST_SCALE_UP", "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT",
                           "POST_PRODUCTION_TRAFFIC_SHIFT"]),
    action=st.sampled_from(["CONTINUE", "ROLLBACK"]), act_after=st.integers(30, 900),
    kill_after=st.one_of(st.none(), st.integers(0, 1200)), stop_after=st.one_of(st.none(), st.integers(0, 1800)))


def _definition(engine: Engine, tag: str) -> str:
    return engine.call(REGION, "RegisterTaskDefinition", {
        "family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "web", "image": f"fargatelab/web:{tag}", "portMappings": [{"containerPort": 80}]}],
    })["taskDefinition"]["taskDefinitionArn"]


def _config(sc: Scenario) -> dict:
    config = {"strategy": sc.strategy, "bakeTimeInMinutes": sc.bake,
              "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    if sc.strategy == "CANARY":
        config["canaryConfiguration"] = {"canaryPercent": sc.percent, "canaryBakeTimeInMinutes": sc.step_bake}
    if sc.strategy == "LINEAR":
        config["linearConfiguration"] = {"stepPercent": max(3.0, sc.percent), "stepBakeTimeInMinutes": sc.step_bake}
    if sc.pause:
        config["lifecycleHooks"] = [{"targetType": "PAUSE", "lifecycleStages": [sc.pause]}]
    return config


def _healthy(engine: Engine, group: str) -> int:
    return sum(state == "healthy" for _, _, state in engine.target_health(REGION, group))


def run(sc: Scenario) -> str:
    substrate = OfflineSubstrate()
    substrate.rules = {PROD: [(BLUE, 1)], TEST: [(GREEN, 1)]}
    engine = Engine(clock=VirtualClock(1.7e9), seed=sc.seed, substrate=substrate)
    engine.verify_views = True
    call = engine.call
    call(REGION, "CreateCluster", {"clusterName": CLUSTER})
    call(REGION, "CreateService", {
        "cluster": CLUSTER, "serviceName": SERVICE, "taskDefinition": _definition(engine, "v1"),
        "desiredCount": sc.desired, "launchType": "FARGATE", "networkConfiguration": NETWORK,
        "loadBalancers": [{"targetGroupArn": BLUE, "containerName": "web", "containerPort": 80, "advancedConfiguration": {
            "alternateTargetGroupArn": GREEN, "productionListenerRule": PROD, "testListenerRule": TEST,
            "roleArn": "arn:aws:iam::123456789012:role/ecs-lb"}}],
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}})
    first = call(REGION, "ListServiceDeployments", {"cluster": CLUSTER, "service": SERVICE})["serviceDeployments"][0]
    for _ in range(200):
        engine.clock.advance(10)
        if call(REGION, "DescribeServiceDeployments", {"serviceDeploymentArns": [first["serviceDeploymentArn"]]}
                )["serviceDeployments"][0]["status"] == "SUCCESSFUL":
            break
    else:
        raise AssertionError("the first deployment never completed")

    call(REGION, "UpdateService", {"cluster": CLUSTER, "service": SERVICE, "taskDefinition": _definition(engine, sc.image),
                                   "deploymentConfiguration": _config(sc)})
    arn = call(REGION, "ListServiceDeployments", {"cluster": CLUSTER, "service": SERVICE}
               )["serviceDeployments"][0]["serviceDeploymentArn"]
    last_share, t, acted, killed, stopped = 0.0, 0.0, False, False, False
    while t < HORIZON:
        engine.clock.advance(5)
        t += 5
        dep = call(REGION, "DescribeServiceDeployments", {"serviceDeploymentArns": [arn]})["serviceDeployments"][0]
        status = dep["status"]
        revisions = [dep["targetServiceRevision"], *dep["sourceServiceRevisions"]]
        shares = [r["requestedProductionTrafficWeight"] for r in revisions if "requestedProductionTrafficWeight" in r]
        assert abs(sum(shares) - 100.0) < 1e-6, (t, shares)
        green_share = dep["targetServiceRevision"]["requestedProductionTrafficWeight"]
        rolling_back = status.startswith("ROLLBACK")
        if not rolling_back:
            assert green_share >= last_share, (t, last_share, green_share, dep.get("lifecycleStage"))
        last_share = green_share
        rule = dict(substrate.rules[PROD])
        if len(rule) == 2:
            assert sum(rule.values()) in (999, 1000), rule           # tenths of a percent; a whole share 999
            if rule[GREEN] > 0 and _healthy(engine, BLUE) > 0:
                assert _healthy(engine, GREEN) > 0, (t, rule, dep.get("lifecycleStage"))
        if sc.pause and not acted and t >= sc.act_after and status == "IN_PROGRESS":
            waiting = [h for h in dep.get("lifecycleHookDetails", []) if h["status"] == "AWAITING_ACTION"]
            if waiting:
                call(REGION, "ContinueServiceDeployment", {"serviceDeploymentArn": arn, "hookId": waiting[0]["hookId"],
                                                           "action": sc.action})
                acted = True
                continue   # the status read above is stale now
        if sc.kill_after is not None and not killed and t >= sc.kill_after:
            tasks = call(REGION, "ListTasks", {"cluster": CLUSTER, "serviceName": SERVICE})["taskArns"]
            if tasks:
                call(REGION, "StopTask", {"cluster": CLUSTER, "task": tasks[sc.seed % len(tasks)], "reason": "chaos"})
            killed = True
        if sc.stop_after is not None and not stopped and t >= sc.stop_after and status == "IN_PROGRESS":
            call(REGION, "StopServiceDeployment", {"serviceDeploymentArn": arn, "stopType": "ROLLBACK"})
            stopped = True
        if status in ENDED and not call(REGION, "DescribeServices", {"cluster": CLUSTER, "services": [SERVICE]}
                                               )["services"][0]["deployments"][1:]:
            break
    assert status in ENDED, (status, dep.get("lifecycleStage"), dep.get("lifecycleHookDetails"))
    rule = dict(substrate.rules[PROD])
    winner = GREEN if status == "SUCCESSFUL" else BLUE
    assert rule[winner] == 999 and sum(rule.values()) == 999, (status, rule)
    if status == "SUCCESSFUL":
        assert sc.image == "v2" and not (sc.pause and sc.action == "ROLLBACK" and acted) and not stopped
    service = call(REGION, "DescribeServices", {"cluster": CLUSTER, "services": [SERVICE]})["services"][0]
    assert service["taskDefinition"].endswith(":2" if status == "SUCCESSFUL" else ":1")
    return f"{status} ({sc.strategy}, {sc.image}{', paused' if sc.pause else ''}) after {t:.0f} s"


COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@settings(max_examples=60, **COMMON)
@given(sc=scenarios)
def test_traffic_shifting_deployments_keep_their_promises(sc):
    event(run(sc).split(" after ")[0])


@pytest.mark.slow
@settings(max_examples=1000, **COMMON)
@given(sc=scenarios)
def test_traffic_shifting_deployments_keep_their_promises_slow(sc):
    run(sc)
