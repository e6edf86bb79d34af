"""Services through plain boto3: deployments, health, the circuit breaker, waiters."""
from __future__ import annotations

import pytest
from botocore.exceptions import WaiterError

from fargate_lab import local

from tests.conftest import network, web_definition


@pytest.fixture
def demo(ecs, subnets):
    ecs.create_cluster(clusterName="demo")
    return {"v1": web_definition(ecs, "fargatelab/web:v1"), "v2": web_definition(ecs, "fargatelab/web:v2"),
            "crash": web_definition(ecs, "fargatelab/web:crash"),
            "missing": web_definition(ecs, "fargatelab/web:missing"), "net": network(subnets)}


def create(ecs, demo, desired=2, td="v1", breaker=True, rollback=True, **extra):
    config = {"deploymentCircuitBreaker": {"enable": breaker, "rollback": rollback},
              "minimumHealthyPercent": 100, "maximumPercent": 200, **extra.pop("config", {})}
    return ecs.create_service(cluster="demo", serviceName="web", taskDefinition=demo[td], desiredCount=desired,
                              launchType="FARGATE", networkConfiguration=demo["net"],
                              deploymentConfiguration=config, **extra)["service"]


def describe(ecs):
    return ecs.describe_services(cluster="demo", services=["web"])["services"][0]


def stable(ecs):
    """services_stable, then the 40 s after which ECS counts the new tasks healthy.

    (The waiter only needs one deployment and runningCount == desiredCount, so on
    AWS too it can return before the rollout is marked COMPLETED.)"""
    ecs.get_waiter("services_stable").wait(cluster="demo", services=["web"])
    local.sleep(60)
    return describe(ecs)


def test_service_starts_tasks_and_services_stable_succeeds(ecs, demo, cloud):
    created = create(ecs, demo, desired=3)
    assert created["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    assert created["runningCount"] == 0
    s = stable(ecs)
    assert s["runningCount"] == 3 and len(s["deployments"]) == 1
    assert s["deployments"][0]["rolloutState"] == "COMPLETED"
    assert s["events"][0]["message"] == "(service web) has reached a steady state."
    assert any(e["message"].startswith("(service web) has started 3 tasks: (task ") for e in s["events"])
    tasks = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]
    described = ecs.describe_tasks(cluster="demo", tasks=tasks)["tasks"]
    assert {t["group"] for t in described} == {"service:web"}
    assert {t["startedBy"] for t in described} == {s["deployments"][0]["id"]}


def test_rolling_update_without_load_balancer(ecs, demo, cloud):
    create(ecs, demo, desired=2)
    first = stable(ecs)["deployments"][0]["id"]
    updated = ecs.update_service(cluster="demo", service="web", taskDefinition=demo["v2"])["service"]
    assert [d["status"] for d in updated["deployments"]] == ["PRIMARY", "ACTIVE"]
    assert updated["deployments"][1]["id"] == first
    s = stable(ecs)
    assert s["deployments"][0]["taskDefinition"] == demo["v2"]
    assert s["deployments"][0]["rolloutStateReason"] == f"ECS deployment {s['deployments'][0]['id']} completed."
    stopped = ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    reasons = {t["stoppedReason"] for t in ecs.describe_tasks(cluster="demo", tasks=stopped)["tasks"]}
    assert reasons == {f"Scaling activity initiated by (deployment {first})"}


def test_desired_count_change_makes_no_new_deployment(ecs, demo, cloud):
    create(ecs, demo, desired=2)
    dep = stable(ecs)["deployments"][0]["id"]
    s = ecs.update_service(cluster="demo", service="web", desiredCount=4)["service"]
    assert [d["id"] for d in s["deployments"]] == [dep]
    assert s["deployments"][0]["desiredCount"] == 4
    assert stable(ecs)["runningCount"] == 4
    ecs.update_service(cluster="demo", service="web", desiredCount=1)
    s = stable(ecs)
    assert s["runningCount"] == 1 and [d["id"] for d in s["deployments"]] == [dep]


def test_force_new_deployment_makes_one(ecs, demo, cloud):
    create(ecs, demo, desired=1)
    dep = stable(ecs)["deployments"][0]["id"]
    s = ecs.update_service(cluster="demo", service="web", forceNewDeployment=True)["service"]
    assert s["deployments"][0]["id"] != dep and s["deployments"][1]["id"] == dep


def test_stopped_task_is_replaced(ecs, demo, cloud):
    create(ecs, demo, desired=2)
    stable(ecs)
    victim = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"][0]
    stopped = ecs.stop_task(cluster="demo", task=victim)["task"]
    assert stopped["desiredStatus"] == "STOPPED" and stopped["stopCode"] == "UserInitiated"
    assert stopped["stoppedReason"] == "Task stopped by user"
    ecs.get_waiter("tasks_stopped").wait(cluster="demo", tasks=[victim])
    s = stable(ecs)
    assert s["runningCount"] == 2
    assert victim not in ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]


def test_circuit_breaker_rolls_back_and_services_stable_still_succeeds(ecs, demo, cloud):
    create(ecs, demo, desired=4)
    good = stable(ecs)["deployments"][0]["id"]
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["missing"])
    s = stable(ecs)  # the waiter succeeds after a rollback, as on AWS
    assert [d["id"] for d in s["deployments"]] == [good]
    assert s["deployments"][0]["taskDefinition"] == demo["v1"]
    assert s["taskDefinition"] == demo["v1"]
    messages = [e["message"] for e in s["events"]]
    failed = [m for m in messages if m.endswith("deployment failed: tasks failed to start.")]
    assert len(failed) == 1
    assert f"(service web) rolling back to deployment {good}." in messages
    assert messages.index(f"(service web) rolling back to deployment {good}.") < messages.index(failed[0])
    deps = ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"]
    assert deps[0]["status"] == "ROLLBACK_SUCCESSFUL"
    full = ecs.describe_service_deployments(serviceDeploymentArns=[deps[0]["serviceDeploymentArn"]])
    breaker = full["serviceDeployments"][0]["deploymentCircuitBreaker"]
    assert breaker == {"status": "TRIGGERED", "failureCount": 3, "threshold": 3}


def test_crash_loop_trips_the_breaker_after_exactly_the_threshold(ecs, demo, cloud):
    create(ecs, demo, desired=1)
    good = stable(ecs)["deployments"][0]["id"]
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["crash"])
    s = stable(ecs)
    assert [d["id"] for d in s["deployments"]] == [good]
    started = [e for e in s["events"] if "has started 1 tasks" in e["message"]]
    assert len(started) == 1 + 3  # the first v1 task, then three crashing tasks: the threshold for desired 1
    latest = ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"][0]
    detail = ecs.describe_service_deployments(serviceDeploymentArns=[latest["serviceDeploymentArn"]])
    assert detail["serviceDeployments"][0]["deploymentCircuitBreaker"]["failureCount"] == 3
    crashed = ecs.list_tasks(cluster="demo", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster="demo", tasks=crashed)["tasks"]
    assert {t["stopCode"] for t in tasks} == {"EssentialContainerExited"}
    assert {t["containers"][0]["exitCode"] for t in tasks} == {1}


def test_without_rollback_the_deployment_stays_failed(ecs, demo, cloud):
    create(ecs, demo, desired=2, rollback=False)
    stable(ecs)
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["missing"])
    cloud.advance(1800)
    s = describe(ecs)
    assert s["deployments"][0]["status"] == "PRIMARY" and s["deployments"][0]["rolloutState"] == "FAILED"
    assert s["runningCount"] == 2  # the previous tasks keep serving
    with pytest.raises(WaiterError):
        ecs.get_waiter("services_stable").wait(cluster="demo", services=["web"],
                                               WaiterConfig={"Delay": 15, "MaxAttempts": 8})


def test_without_breaker_it_retries_forever_throttled(ecs, demo, cloud):
    create(ecs, demo, desired=1, breaker=False, rollback=False)
    stable(ecs)
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["missing"])
    cloud.advance(3600)
    s = describe(ecs)
    assert s["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    failed = s["deployments"][0]["failedTasks"]
    assert 3 <= failed <= 10  # throttled: far fewer than an attempt every minute
    assert "(service web) is unable to consistently start tasks successfully." in [e["message"] for e in s["events"]]


def test_config_deadlock_event(ecs, demo, cloud):
    create(ecs, demo, desired=2, config={"minimumHealthyPercent": 100, "maximumPercent": 100})
    stable(ecs)
    ecs.update_service(cluster="demo", service="web", taskDefinition=demo["v2"])
    cloud.advance(120)
    messages = [e["message"] for e in describe(ecs)["events"]]
    assert ("(service web) was unable to stop or start tasks during a deployment because of the service "
            "deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again."
            ) in messages


def test_delete_service_drains_then_inactive(ecs, demo, cloud):
    create(ecs, demo, desired=2)
    stable(ecs)
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="scaled above 0"):
        ecs.delete_service(cluster="demo", service="web")
    assert ecs.delete_service(cluster="demo", service="web", force=True)["service"]["status"] == "DRAINING"
    assert ecs.list_services(cluster="demo")["serviceArns"] == []
    ecs.get_waiter("services_inactive").wait(cluster="demo", services=["web"])
    with pytest.raises(ecs.exceptions.ServiceNotActiveException):
        ecs.update_service(cluster="demo", service="web", desiredCount=1)


def test_services_stable_fails_for_missing_service(ecs, demo):
    with pytest.raises(WaiterError, match="MISSING|failure"):
        ecs.get_waiter("services_stable").wait(cluster="demo", services=["nope"])


def test_tasks_running_fails_when_the_task_stops(ecs, demo, cloud):
    task = ecs.run_task(cluster="demo", taskDefinition=demo["missing"], launchType="FARGATE",
                        networkConfiguration=demo["net"])["tasks"][0]["taskArn"]
    with pytest.raises(WaiterError):
        ecs.get_waiter("tasks_running").wait(cluster="demo", tasks=[task])
    t = ecs.describe_tasks(cluster="demo", tasks=[task])["tasks"][0]
    assert t["lastStatus"] == "STOPPED" and t["stopCode"] == "TaskFailedToStart"
    assert t["stoppedReason"].startswith("CannotPullContainerError: pull image manifest has been retried")
    assert "startedAt" not in t


def test_task_lifecycle_timestamps_and_hour_of_visibility(ecs, demo, cloud):
    task = ecs.run_task(cluster="demo", taskDefinition=demo["v1"], launchType="FARGATE",
                        networkConfiguration=demo["net"])["tasks"][0]
    assert task["lastStatus"] == "PROVISIONING" and task["desiredStatus"] == "RUNNING"
    arn = task["taskArn"]
    ecs.get_waiter("tasks_running").wait(cluster="demo", tasks=[arn])
    ecs.stop_task(cluster="demo", task=arn, reason="done for today")
    ecs.get_waiter("tasks_stopped").wait(cluster="demo", tasks=[arn])
    t = ecs.describe_tasks(cluster="demo", tasks=[arn])["tasks"][0]
    order = [t[k] for k in ("createdAt", "pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt",
                            "executionStoppedAt", "stoppedAt")]
    assert order == sorted(order)
    assert t["stoppedReason"] == "done for today" and t["version"] >= 7
    assert t["containers"][0]["lastStatus"] == "STOPPED"
    cloud.advance(3601)
    gone = ecs.describe_tasks(cluster="demo", tasks=[arn])
    assert gone["tasks"] == [] and gone["failures"][0]["reason"] == "MISSING"
