"""`service continue` and `service rollback` in the ops layer, on the in-process local cloud's virtual clock.

The tests whose names start with `test_needs_engine_` need the local cloud to run BLUE_GREEN / CANARY /
LINEAR deployments with PAUSE hooks and ContinueServiceDeployment (the engine's side of issue 10 §3);
until then the cloud runs those strategies as rolling deployments and they fail.
"""
from __future__ import annotations

import pytest

from fargate_lab.ops import service_deployments as deployments
from fargate_lab.ops.errors import OpsError
from fargate_lab.ops.services import ServiceOptions
from fargate_lab.ops.traffic_watch import awaiting_hook
from tests.ops.test_ops_services import cloud, files, lab, project, session, up  # noqa: F401  (fixtures)

CANARY = {"create_load_balancer": True, "deployment_strategy": "canary", "canary_percent": 20.0,
          "canary_bake_minutes": 1, "bake_minutes": 1}


@pytest.fixture
def act(session, cloud, project):
    def run(verb, **kwargs):
        kwargs.setdefault("say", lambda _: None)
        return verb(session, "lab", project, sleep=cloud.sleep, clock=cloud.clock.now, poll_seconds=5,
                    now=cloud.now, **kwargs)
    return run


def test_nothing_to_act_on_is_one_line_each(act, up, files, project):
    with pytest.raises(OpsError, match=rf"^service {project} not found in cluster lab: nothing to continue$"):
        act(deployments.service_continue)
    up(files("fargatelab/web:v1"))
    with pytest.raises(OpsError, match=rf"^service {project} has no deployment in progress \(its latest, \d+, is "
                                       r"SUCCESSFUL\): nothing to continue$"):
        act(deployments.service_continue)
    with pytest.raises(OpsError, match=rf"^service {project} has no deployment in progress .*: nothing to roll back$"):
        act(deployments.service_rollback)


def test_continue_refuses_a_deployment_that_is_not_paused(act, up, files, project):
    up(files("fargatelab/web:v1"))
    up(files("fargatelab/web:slow"), timeout_minutes=0)
    with pytest.raises(OpsError, match=rf"^deployment \d+ of service {project} is not paused \(no lifecycle hook is "
                                       r"AWAITING_ACTION.*\): nothing to continue; it goes on by itself$"):
        act(deployments.service_continue)


def test_rollback_with_no_hook_waiting_stops_the_deployment_with_rollback(act, up, files, session, project):
    up(files("fargatelab/web:v1"))
    up(files("fargatelab/web:slow"), timeout_minutes=0)
    said: list[str] = []
    done = act(deployments.service_rollback, timeout_minutes=15, say=said.append)
    assert (done.call, done.action, done.hook_id, done.outcome) == ("StopServiceDeployment", "ROLLBACK", None,
                                                                    "ROLLBACK_SUCCESSFUL")
    assert said[0].startswith("Rolling back deployment ") and said[-1].startswith("Deployment ")
    assert "service deployment ROLLBACK_SUCCESSFUL" in said[-1]
    described = session.client("ecs").describe_services(cluster="lab", services=[project])["services"][0]
    assert described["taskDefinition"].endswith(f"{project}:1")


def test_not_waiting_returns_what_was_done(act, up, files):
    up(files("fargatelab/web:v1"))
    up(files("fargatelab/web:slow"), timeout_minutes=0)
    done = act(deployments.service_rollback, timeout_minutes=0)
    assert (done.call, done.outcome) == ("StopServiceDeployment", "NOT_WAITED")


# ---------------------------------------------------------------------------------- once the engine pauses

def paused_canary(up, files, session, cloud, project) -> dict:
    """v1 with a canary strategy, then v2 with a pause before production traffic, advanced to the pause."""
    up(files("fargatelab/web:v1"), options=ServiceOptions(**CANARY))
    up(files("fargatelab/web:v2"), options=ServiceOptions(**CANARY, pause_before_production_traffic=True,
                                                          timeout_minutes=0))
    ecs = session.client("ecs")

    def waiting() -> dict | None:
        running = ecs.list_service_deployments(cluster="lab", service=project, status=["IN_PROGRESS"])
        arns = [d["serviceDeploymentArn"] for d in running["serviceDeployments"]]
        found = ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"] if arns else []
        return next((d for d in found if awaiting_hook(d)), None)

    assert cloud.run_until(lambda: waiting() is not None, timeout=1800, step=5), "the deployment never paused"
    deployment = waiting()
    assert deployment is not None
    return deployment


def test_needs_engine_continue_after_a_pause_completes_the_canary(act, up, files, session, cloud, project):
    paused = paused_canary(up, files, session, cloud, project)
    assert paused["targetServiceRevision"].get("requestedProductionTrafficWeight", 0.0) == 0.0
    done = act(deployments.service_continue, timeout_minutes=30)
    assert (done.call, done.action, done.hook_id, done.outcome) == (
        "ContinueServiceDeployment", "CONTINUE", awaiting_hook(paused)["hookId"], "SUCCESSFUL")
    described = session.client("ecs").describe_services(cluster="lab", services=[project])["services"][0]
    assert described["taskDefinition"].endswith(f"{project}:2")


def test_needs_engine_rollback_at_a_pause_returns_to_the_last_revision(act, up, files, session, cloud, project):
    paused = paused_canary(up, files, session, cloud, project)
    done = act(deployments.service_rollback, timeout_minutes=30)
    assert (done.call, done.action, done.hook_id, done.outcome) == (
        "ContinueServiceDeployment", "ROLLBACK", awaiting_hook(paused)["hookId"], "ROLLBACK_SUCCESSFUL")
    described = session.client("ecs").describe_services(cluster="lab", services=[project])["services"][0]
    assert described["taskDefinition"].endswith(f"{project}:1")


def test_needs_engine_service_up_shows_the_canary_and_names_the_pause_when_it_times_out(up, files, project, cloud):
    up(files("fargatelab/web:v1"), options=ServiceOptions(**CANARY))
    seen = []
    with pytest.raises(OpsError, match=r"is paused before production traffic and waits for you: run "
                                       r"`fargate-lab compose service continue`"):
        up(files("fargatelab/web:v2"), options=ServiceOptions(**CANARY, pause_before_production_traffic=True,
                                                              timeout_minutes=20),
           on_update=seen.append, now=cloud.now)
    views = [s.traffic for s in seen if s.traffic is not None]
    assert views and views[-1].hook is not None and views[-1].strategy == "CANARY"
    assert {v.stage for v in views} - {""}, "the lifecycle stage was never shown"
