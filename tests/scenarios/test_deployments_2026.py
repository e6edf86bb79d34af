"""ECS deployment features of 2025-26, through plain boto3: the configurable circuit breaker
(thresholdConfiguration, resetOnHealthyTask), StopServiceDeployment with ROLLBACK, and the
per-revision counts of service deployments, and early success criteria (docs/ecs-2026.md §1.1, §1.4, §1.5,
§1.7; the model's DeploymentEarlySuccessCriteria)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from fargate_lab import local

from tests.conftest import web_definition
from tests.scenarios.test_client_invariants import Lab, running_tasks, waiter_state_once
from tests.scenarios.test_services import create, demo, describe, stable  # noqa: F401  (demo is a fixture)


def service_deployments(ecs):
    arns = [d["serviceDeploymentArn"] for d in
            ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"]]
    return ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]


def failed_after(ecs, demo, breaker, desired=4):
    """Deploy the crash image to a stable service; return how many failures tripped the breaker."""
    create(ecs, demo, desired=desired, config={"deploymentCircuitBreaker": breaker})
    stable(ecs)
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["crash"])
    for _ in range(720):
        local.sleep(5)
        for d in describe(ecs)["deployments"]:
            if d["rolloutState"] == "FAILED":
                return d["failedTasks"]
    raise AssertionError("the breaker never tripped")


@pytest.mark.parametrize("threshold, desired, expected", [
    (None, 4, 3),                                              # the default: BOUNDED_PERCENT 50, at least 3
    ({"type": "COUNT", "value": 1}, 4, 1),
    ({"type": "UNBOUNDED_PERCENT", "value": 25}, 4, 1),       # ceil(0.25 x 4), no floor of 3
    ({"type": "BOUNDED_PERCENT", "value": 100}, 4, 4),
])
def test_threshold_configuration_decides_when_the_breaker_trips(ecs, demo, cloud, threshold, desired, expected):
    breaker = {"enable": True, "rollback": True, **({"thresholdConfiguration": threshold} if threshold else {})}
    assert failed_after(ecs, demo, breaker, desired) == expected
    failed = next(d for d in service_deployments(ecs) if d["deploymentCircuitBreaker"]["status"] == "TRIGGERED")
    assert failed["deploymentCircuitBreaker"]["threshold"] == expected


@pytest.mark.parametrize("threshold, field", [
    ({"type": "BOUNDED_PERCENT", "value": 0}, "thresholdConfiguration.value"),
    ({"type": "UNBOUNDED_PERCENT", "value": 101}, "thresholdConfiguration.value"),
    ({"type": "COUNT", "value": 0}, "thresholdConfiguration.value"),
])
def test_a_bad_threshold_is_refused_naming_the_field(ecs, demo, cloud, threshold, field):
    with pytest.raises(ClientError) as e:
        create(ecs, demo, config={"deploymentCircuitBreaker": {
            "enable": True, "rollback": True, "thresholdConfiguration": threshold}})
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert field in e.value.response["Error"]["Message"]
    assert ecs.list_services(cluster="demo")["serviceArns"] == []     # nothing half made


EARLY = "earlySuccessCriteria"


@pytest.mark.parametrize("criteria, field", [
    ({"enable": True, "sourceServiceRevisionCleanup": "DEFERRED"}, "healthyPercent"),
    ({"enable": True, "healthyPercent": 80}, "sourceServiceRevisionCleanup"),
    ({"enable": True, "healthyPercent": 50, "sourceServiceRevisionCleanup": "DEFERRED"}, "healthyPercent"),
    ({"enable": True, "healthyPercent": 100, "sourceServiceRevisionCleanup": "LATER"}, "sourceServiceRevisionCleanup"),
])
def test_bad_early_success_criteria_are_refused_naming_the_field(ecs, demo, cloud, criteria, field):
    """The model: with enable, healthyPercent and sourceServiceRevisionCleanup are required, and
    healthyPercent must be >= minimumHealthyPercent (100 here)."""
    with pytest.raises(ClientError) as e:
        create(ecs, demo, config={EARLY: criteria})
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert f"{EARLY}.{field}" in e.value.response["Error"]["Message"] or field in e.value.response["Error"]["Message"]
    assert ecs.list_services(cluster="demo")["serviceArns"] == []     # nothing half made


def test_early_success_is_for_rolling_deployments_only(ecs, demo, cloud):
    with pytest.raises(ClientError) as e:
        create(ecs, demo, config={"strategy": "BLUE_GREEN", EARLY: {
            "enable": True, "healthyPercent": 100, "sourceServiceRevisionCleanup": "BLOCKING"}})
    assert "ROLLING" in e.value.response["Error"]["Message"]
    created = create(ecs, demo, config={EARLY: {"enable": False}})   # off is fine, and echoed
    assert created["deploymentConfiguration"][EARLY] == {"enable": False}


def drain_timeline(cleanup: str | None, seed: int = 0) -> dict:
    """Four tasks behind a target group with the default 300 s deregistration delay: v1 → v2, polled
    every 5 s as a client would.  Seconds after UpdateService at which the client first saw the new
    deployment COMPLETED, and first saw it as the only deployment."""
    with Lab(seed, load_balancer=True) as lab:
        config = {EARLY: {"enable": True, "healthyPercent": 100, "sourceServiceRevisionCleanup": cleanup}} \
            if cleanup else {}
        lab.create_service(4, config=config)
        assert lab.wait_stable()
        lab.update("v2")
        new = lab.service()["deployments"][0]["id"]
        seen = {"completed": None, "alone": None}
        elapsed = 0
        while elapsed <= 3600 and seen["alone"] is None:
            deps = lab.service()["deployments"]
            primary = deps[0]
            if primary["id"] == new and primary["rolloutState"] == "COMPLETED":
                if seen["completed"] is None:
                    seen["completed"] = elapsed
                    old_ids = {d["id"] for d in deps[1:]}
                    seen["old_tasks_when_completed"] = sorted(
                        t["lastStatus"] for t in lab.describe_tasks(lab.task_arns("STOPPED"))
                        if t["startedBy"] in old_ids and t["lastStatus"] != "STOPPED")
                    seen["old_status_when_completed"] = sorted({d["status"] for d in deps[1:]})
                    seen["sd_status"] = lab.ecs.list_service_deployments(
                        cluster="lab", service="web")["serviceDeployments"][0]["status"]
                    seen["waiter_when_completed"] = waiter_state_once(lab.ecs)
                if len(deps) == 1:
                    seen["alone"] = elapsed
            lab.cloud.advance(5)
            elapsed += 5
        assert lab.wait_stable(), "the service must end stable"
        assert len(running_tasks(lab)) == 4
        lab.assert_no_future_timestamps()
        return seen


def test_deferred_cleanup_completes_before_the_old_tasks_have_drained():
    """healthyPercent 100 with DEFERRED: the deployment is SUCCESSFUL once the four new tasks are healthy,
    while the old tasks are still draining (300 s); the old deployment stays listed, ACTIVE, until they are
    gone (lastStatus DEACTIVATING while the target drains), so services_stable (one deployment) still waits.  BLOCKING and no early success wait."""
    deferred, blocking, default = (drain_timeline(c) for c in ("DEFERRED", "BLOCKING", None))
    assert deferred["old_tasks_when_completed"] and set(deferred["old_tasks_when_completed"]) == {"DEACTIVATING"}, \
        deferred                                                             # draining from the target group
    assert deferred["old_status_when_completed"] == ["ACTIVE"], deferred
    assert deferred["sd_status"] == "SUCCESSFUL" and deferred["waiter_when_completed"] == "retry", deferred
    assert deferred["alone"] - deferred["completed"] >= 240, deferred        # the drain, not the deployment
    for other in (blocking, default):
        assert other["completed"] == other["alone"], other                   # completion waits for the drain
        assert other["completed"] - deferred["completed"] >= 240, (deferred, other)


def test_early_success_completes_at_the_healthy_percent_and_scales_on():
    """desired 8, min 50 %, max 100 %: ECS retires 4 old tasks and starts 4 new, then the next 4.
    healthyPercent 50 with BLOCKING → COMPLETED once ceil(0.5 × 8) = 4 new tasks are healthy and the old
    ones are gone, with the last four new ones still starting; the service still ends with 8 RUNNING
    on v2, and is steady only then."""
    with Lab(1) as lab:
        lab.create_service(8, minimum=50, maximum=100, breaker=True, rollback=True, config={EARLY: {
            "enable": True, "healthyPercent": 50, "sourceServiceRevisionCleanup": "BLOCKING"}})
        assert lab.wait_stable()
        lab.cloud.advance(60)          # the old tasks count as healthy: ECS may retire half of them at once
        lab.update("v2")
        new = lab.service()["deployments"][0]["id"]
        completed_short, elapsed = None, 0
        while elapsed < 1800:
            svc = lab.service()
            primary = svc["deployments"][0]
            if primary["id"] == new and primary["rolloutState"] == "COMPLETED" and completed_short is None:
                completed_short = (primary["runningCount"], primary["pendingCount"], len(svc["deployments"]))
            if len(svc["deployments"]) == 1 and svc["runningCount"] == 8 and primary["rolloutState"] == "COMPLETED":
                break
            lab.cloud.advance(5)
            elapsed += 5
        assert completed_short is not None and completed_short[0] < 8 and completed_short[1] > 0, completed_short
        assert completed_short[2] == 1, "BLOCKING: the old tasks are gone before the deployment completes"
        sd = lab.service_deployments()[0]
        assert sd["status"] == "SUCCESSFUL"
        assert sd["deploymentConfiguration"][EARLY]["healthyPercent"] == 50
        assert lab.wait_stable()
        tasks = running_tasks(lab)
        assert len(tasks) == 8 and {t["taskDefinitionArn"] for t in tasks} == {lab.definition("v2")}
        lab.cloud.advance(60)
        lab.service()                  # the steady-state event comes on the scheduler's next look
        messages = [m for _, m in lab.event_messages()]
        completed_at = next(i for i, m in enumerate(messages) if f"(deployment {new}) deployment completed" in m)
        assert messages[-1].endswith("has reached a steady state.") and len(messages) - 1 > completed_at


def test_stop_service_deployment_rolls_back_through_the_normal_path(ecs, demo, cloud):
    create(ecs, demo, desired=2, breaker=False, rollback=False)
    stable(ecs)
    first = describe(ecs)["deployments"][0]["id"]
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["v2"])
    local.sleep(20)
    newest = ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"][0]
    assert newest["status"] == "IN_PROGRESS"
    ecs.stop_service_deployment(serviceDeploymentArn=newest["serviceDeploymentArn"], stopType="ROLLBACK")
    s = describe(ecs)
    assert [d["id"] for d in s["deployments"]][0] == first                   # the same id, PRIMARY again
    assert s["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert any(d["rolloutState"] == "FAILED" for d in s["deployments"][1:])  # still listed beside it
    assert s["taskDefinition"] == demo["v1"]
    ecs.get_waiter("services_stable").wait(cluster="demo", services=["web"])
    local.sleep(120)
    stopped = ecs.describe_service_deployments(serviceDeploymentArns=[newest["serviceDeploymentArn"]])[
        "serviceDeployments"][0]
    assert stopped["status"] == "ROLLBACK_SUCCESSFUL"
    assert stopped["rollback"]["serviceRevisionArn"].endswith(first.split("/")[-1])
    s = describe(ecs)
    assert len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED"
    # a second stop of a finished deployment is a conflict, not a change
    with pytest.raises(ClientError) as e:
        ecs.stop_service_deployment(serviceDeploymentArn=newest["serviceDeploymentArn"], stopType="ROLLBACK")
    assert e.value.response["Error"]["Code"] == "ConflictException"


def test_stop_of_an_unknown_deployment_is_modeled(ecs, demo, cloud):
    create(ecs, demo, desired=1)
    arn = ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"][0]["serviceDeploymentArn"]
    with pytest.raises(ClientError) as e:
        ecs.stop_service_deployment(serviceDeploymentArn=arn[:-3] + "999", stopType="ROLLBACK")
    assert e.value.response["Error"]["Code"] == "ServiceDeploymentNotFoundException"
    with pytest.raises(ClientError) as e:   # nothing COMPLETED yet to roll back to
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
    assert e.value.response["Error"]["Code"] == "ConflictException"


def test_revision_counts_follow_the_rollout(ecs, demo, cloud):
    create(ecs, demo, desired=2)
    stable(ecs)
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["v2"])
    seen_both = False
    for _ in range(60):
        local.sleep(5)
        target = service_deployments(ecs)[0]
        source = target["sourceServiceRevisions"][0]
        running = describe(ecs)["runningCount"]   # tasks being stopped are still RUNNING, and counted
        assert target["targetServiceRevision"]["runningTaskCount"] + source["runningTaskCount"] == running
        seen_both |= target["targetServiceRevision"]["runningTaskCount"] > 0 and source["runningTaskCount"] > 0
        if target["status"] == "SUCCESSFUL":
            break
    assert seen_both, "never saw both revisions running during the rollout"
    assert target["status"] == "SUCCESSFUL" and target["targetServiceRevision"]["runningTaskCount"] == 2
    assert source["runningTaskCount"] == 0


def tasks_of(ecs):
    arns = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]
    return ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"] if arns else []


def start_slow_rollout(ecs, demo) -> tuple[str, str]:
    """A stable 2-task v1 service rolling to the `:slow` image (40 s pull, 45 s warm-up), 20 s in:
    a rollout long enough to act in.  Returns (v1's deployment id, the slow revision)."""
    slow = web_definition(ecs, "fargatelab/web:slow")
    create(ecs, demo, desired=2)
    old = stable(ecs)["deployments"][0]["id"]
    ecs.update_service(cluster="demo", service="web", taskDefinition=slow)
    local.sleep(20)                                    # the slow revision is still pulling
    return old, slow


def test_a_task_killed_mid_rollout_is_replaced_on_its_own_revision(ecs, demo, cloud):
    """November 2025: unhealthy or terminated tasks are replaced with the revision they belong to."""
    old, slow = start_slow_rollout(ecs, demo)
    victim = next(t for t in tasks_of(ecs) if t["startedBy"] == old)
    ecs.stop_task(cluster="demo", task=victim["taskArn"])
    local.sleep(15)
    replacements = [t for t in tasks_of(ecs) if t["startedBy"] == old and t["taskArn"] != victim["taskArn"]
                    and t["createdAt"] > victim["createdAt"]]
    assert len(replacements) == 1 and replacements[0]["taskDefinitionArn"] == demo["v1"]
    ecs.get_waiter("services_stable").wait(cluster="demo", services=["web"])
    local.sleep(120)
    s = describe(ecs)
    assert s["taskDefinition"] == slow and s["deployments"][0]["rolloutState"] == "COMPLETED"
    assert {t["taskDefinitionArn"] for t in tasks_of(ecs)} == {slow}


def test_after_a_failed_deployment_without_rollback_killed_tasks_come_back_on_their_revision(ecs, demo, cloud):
    create(ecs, demo, desired=2, breaker=True, rollback=False)
    old = stable(ecs)["deployments"][0]["id"]
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["missing"])
    for _ in range(400):
        local.sleep(5)
        if describe(ecs)["deployments"][0]["rolloutState"] == "FAILED":
            break
    assert describe(ecs)["deployments"][0]["rolloutState"] == "FAILED"
    ecs.stop_task(cluster="demo", task=next(t for t in tasks_of(ecs) if t["startedBy"] == old)["taskArn"])
    local.sleep(90)
    running = [t for t in tasks_of(ecs) if t["lastStatus"] == "RUNNING"]
    assert len(running) == 2 and {t["taskDefinitionArn"] for t in running} == {demo["v1"]}


def test_a_scale_out_during_a_rollout_applies_to_both_revisions(ecs, demo, cloud):
    """November 2025: scale-out during a rolling deployment goes to both revisions, within the limits."""
    old, slow = start_slow_rollout(ecs, demo)
    ecs.update_service(cluster="demo", service="web", desiredCount=4)
    local.sleep(15)
    mine = [t for t in tasks_of(ecs) if t["startedBy"] == old]
    assert len(mine) == 4 and {t["taskDefinitionArn"] for t in mine} == {demo["v1"]}
    assert len(tasks_of(ecs)) <= 8                    # maximumPercent 200 of 4
    ecs.get_waiter("services_stable").wait(cluster="demo", services=["web"])
    local.sleep(120)
    s = describe(ecs)
    assert s["runningCount"] == 4 and s["deployments"][0]["rolloutState"] == "COMPLETED"
    assert {t["taskDefinitionArn"] for t in tasks_of(ecs)} == {slow}
