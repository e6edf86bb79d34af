"""`fargate-lab compose service up --deployment-strategy ...`, `service continue` and `service rollback`
as a user runs them: separate processes against one local server (real clock, 60 times faster than AWS).

`test_needs_engine_continue_from_the_command_line` needs the local cloud to pause a CANARY deployment
at a PAUSE hook (the engine's side of issue 10 §3).
"""
from __future__ import annotations

import time

import boto3
import pytest

from tests.cli.test_cli import ECS_PARAMS, REGION, cli, error_line, home, release, server  # noqa: F401  (fixtures)

CLUSTER = "strategies"
CANARY = ("--deployment-strategy", "canary", "--create-load-balancer", "--canary-percent", "20",
          "--canary-bake-minutes", "1", "--bake-minutes", "0")


@pytest.fixture(scope="module")
def app(home, cli):
    directory = home / "canary-app"
    directory.mkdir()
    release(directory, "v1")
    (directory / "ecs-params.yml").write_text(ECS_PARAMS)
    cli("--cluster", CLUSTER, "up")
    yield directory
    cli("--cluster", CLUSTER, "down", "--force")


def compose(project: str, *args: str) -> tuple[str, ...]:
    return ("--cluster", CLUSTER, "compose", "--project-name", project, "service", *args)


def roles() -> set[str]:
    return {r["RoleName"] for r in boto3.client("iam", region_name=REGION).list_roles()["Roles"]}


def test_strategy_flags_are_checked_in_one_line_before_anything_is_made(cli, app):
    cases = [
        (("up", "--deployment-strategy", "blue-green"), "Error: --deployment-strategy blue-green needs --bake-minutes N"),
        (("up", "--deployment-strategy", "canary"), "Error: --deployment-strategy canary needs a load balancer: add "
                                                    "--create-load-balancer"),
        (("up", "--deployment-strategy", "canary", "--canary-percent", "0.05", "--create-load-balancer"),
         "Error: --canary-percent 0.05: must be between 0.1 and 100"),
        (("up", "--canary-bake-minutes", "3"), "Error: --canary-bake-minutes needs --deployment-strategy canary"),
        (("up", "--pause-before-production-traffic"),
         "Error: --pause-before-production-traffic needs --deployment-strategy blue-green, canary or linear"),
    ]
    for args, expected in cases:
        line = error_line(cli(*compose("flags", *args), cwd=app, ok=False))
        assert line.startswith(expected), (args, line)
    assert boto3.client("ecs", region_name=REGION).describe_services(cluster=CLUSTER, services=["flags"])[
        "services"] == []


def test_continue_and_rollback_say_when_there_is_nothing_to_do(cli, app):
    line = error_line(cli(*compose("nothing", "continue"), cwd=app, ok=False))
    assert line == f"Error: service nothing not found in cluster {CLUSTER}: nothing to continue"
    cli(*compose("nothing", "up"), cwd=app)
    line = error_line(cli(*compose("nothing", "rollback"), cwd=app, ok=False))
    assert line.startswith("Error: service nothing has no deployment in progress (its latest, ")
    assert line.endswith(", is SUCCESSFUL): nothing to roll back")
    cli(*compose("nothing", "rm"), cwd=app)


def test_a_dry_run_of_a_canary_prints_its_traffic_parts_and_makes_nothing(cli, app):
    before = roles()
    done = cli("--dry-run", *compose("dry-canary", "up", *CANARY), cwd=app)
    for call in ("elbv2.CreateRule(", "iam.CreateRole(", "iam.AttachRolePolicy(", "ecs.CreateService("):
        assert f"would call {call}" in done.stdout
    assert "'strategy': 'CANARY'" in done.stdout and "'advancedConfiguration'" in done.stdout
    assert roles() == before
    assert boto3.client("elbv2", region_name=REGION).describe_target_groups()["TargetGroups"] == []


def test_a_canary_service_is_made_with_its_traffic_parts_and_rm_removes_them(cli, app):
    before = roles()
    done = cli(*compose("canary", "up", *CANARY), cwd=app)
    assert "Created test listener on port 8080" in done.stdout
    assert "Created role strategies-canary-ecs-lb-us-east-1" in done.stdout
    assert "service deployment SUCCESSFUL" in done.stdout
    described = boto3.client("ecs", region_name=REGION).describe_services(cluster=CLUSTER, services=["canary"])
    config = described["services"][0]["deploymentConfiguration"]
    assert config["strategy"] == "CANARY" and config["canaryConfiguration"] == {"canaryPercent": 20.0,
                                                                              "canaryBakeTimeInMinutes": 1}
    assert roles() - before == {"strategies-canary-ecs-lb-us-east-1"}
    removed = cli(*compose("canary", "rm"), cwd=app)
    assert "Deleted role strategies-canary-ecs-lb-us-east-1" in removed.stdout
    assert roles() == before
    assert boto3.client("elbv2", region_name=REGION).describe_target_groups()["TargetGroups"] == []


def test_the_new_verbs_and_flags_are_in_the_help(cli):
    text = cli("compose", "service", "--help").stdout
    assert "continue" in text and "rollback" in text
    up = cli("compose", "service", "up", "--help").stdout
    for flag in ("--deployment-strategy", "--canary-percent", "--linear-step-percent", "--bake-minutes", "--alarm",
                 "--pause-before-production-traffic", "--pause-timeout"):
        assert flag in up


def test_needs_engine_continue_from_the_command_line(cli, app):
    cli(*compose("paused", "up", *CANARY), cwd=app)
    release(app, "v2")
    try:
        cli(*compose("paused", "up", *CANARY, "--pause-before-production-traffic", "--timeout", "0"), cwd=app)
        ecs = boto3.client("ecs", region_name=REGION)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            running = ecs.list_service_deployments(cluster=CLUSTER, service="paused", status=["IN_PROGRESS"])
            arns = [d["serviceDeploymentArn"] for d in running["serviceDeployments"]]
            found = ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"] if arns else []
            if any(h.get("status") == "AWAITING_ACTION" for d in found for h in d.get("lifecycleHookDetails", [])):
                break
            time.sleep(0.5)
        else:
            pytest.fail("the deployment never paused")
        done = cli(*compose("paused", "continue"), cwd=app)
        assert "continued" in done.stdout and "service deployment SUCCESSFUL" in done.stdout
    finally:
        release(app, "v1")
        cli(*compose("paused", "rm"), cwd=app)
