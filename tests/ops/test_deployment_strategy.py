"""Deployment strategies in the ops layer: the flags (ServiceOptions), the deploymentConfiguration they
make, and what `--create-load-balancer` makes for a strategy that moves traffic (the alternate target
group, the listener rules, the test listener, the infrastructure role), tagged and removed again.

Against the in-process local cloud on its virtual clock, through boto3 only.
"""
from __future__ import annotations

import dataclasses
import json

import boto3
import pytest

from fargate_lab.ops import deployment_strategy as strategies
from fargate_lab.ops import services
from fargate_lab.ops.errors import OpsError
from fargate_lab.ops.load_balancers import INFRASTRUCTURE_POLICY_ARN, _elb_name
from fargate_lab.ops.services import ServiceOptions
from tests.ops.test_ops_services import cloud, files, lab, project, session, up  # noqa: F401  (fixtures)
from tests.ops.test_service_options import calls_of, waits

TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"
BREAKER = {"enable": True, "rollback": True}


# ---------------------------------------------------------------------------------- the flags

@pytest.mark.parametrize(("flags", "message"), [
    ({"deployment_strategy": "big-bang"}, "--deployment-strategy big-bang: use rolling, blue-green, canary or linear"),
    ({"deployment_strategy": "blue-green"},
     "--deployment-strategy blue-green needs --bake-minutes N (ECS requires a bake time for BLUE_GREEN: the minutes "
     "both revisions run after production traffic has moved, 0 to 1440)"),
    ({"deployment_strategy": "canary", "canary_percent": 0.05}, "--canary-percent 0.05: must be between 0.1 and 100"),
    ({"deployment_strategy": "canary", "canary_percent": 100.5}, "--canary-percent 100.5: must be between 0.1 and 100"),
    ({"deployment_strategy": "canary", "canary_percent": 12.34},
     "--canary-percent 12.34: ECS takes multiples of 0.1 (say 12.3)"),
    ({"deployment_strategy": "linear", "linear_step_percent": 2.9},
     "--linear-step-percent 2.9: must be between 3 and 100"),
    ({"deployment_strategy": "canary", "canary_bake_minutes": 1441},
     "--canary-bake-minutes 1441: must be between 0 and 1440 minutes"),
    ({"deployment_strategy": "linear", "linear_step_bake_minutes": -1},
     "--linear-step-bake-minutes -1: must be between 0 and 1440 minutes"),
    ({"deployment_strategy": "canary", "bake_minutes": 2000}, "--bake-minutes 2000: must be between 0 and 1440 minutes"),
    ({"canary_percent": 20}, "--canary-percent needs --deployment-strategy canary"),
    ({"deployment_strategy": "linear", "canary_bake_minutes": 3}, "--canary-bake-minutes needs --deployment-strategy canary"),
    ({"deployment_strategy": "canary", "linear_step_percent": 10},
     "--linear-step-percent needs --deployment-strategy linear"),
    ({"bake_minutes": 5}, "--bake-minutes needs --deployment-strategy blue-green, canary or linear (a strategy that "
                          "moves traffic between two target groups)"),
    ({"deployment_strategy": "rolling", "pause_before_production_traffic": True},
     "--pause-before-production-traffic needs --deployment-strategy blue-green, canary or linear (a strategy that "
     "moves traffic between two target groups)"),
    ({"deployment_strategy": "canary", "pause_timeout_minutes": 30},
     "--pause-timeout needs --pause-before-production-traffic"),
    ({"deployment_strategy": "canary", "pause_before_production_traffic": True, "pause_timeout_minutes": 0},
     "--pause-timeout 0: must be between 1 and 20160 minutes"),
    ({"deployment_strategy": "canary", "pause_before_production_traffic": True, "pause_timeout_action": "wait"},
     "--pause-timeout-action wait: use rollback or continue"),
    ({"deployment_strategy": "canary", "target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 80},
     "--deployment-strategy canary needs --create-load-balancer, not --target-group-arn: ECS moves traffic between "
     "two target groups through listener rules, which --create-load-balancer makes"),
    ({"alarm_names": ("",)}, "--alarm: an alarm name cannot be empty; pass --alarm NAME once per CloudWatch alarm"),
])
def test_impossible_strategy_flags_are_refused_in_one_line_naming_the_flag(flags, message):
    with pytest.raises(OpsError) as refused:
        ServiceOptions(**flags)
    assert str(refused.value) == message


@pytest.mark.parametrize("flags", [
    {"deployment_strategy": "rolling"},
    {"deployment_strategy": "blue-green", "bake_minutes": 0, "create_load_balancer": True},
    {"deployment_strategy": "canary", "canary_percent": 0.1, "canary_bake_minutes": 0, "create_load_balancer": True},
    {"deployment_strategy": "canary", "canary_percent": 100.0, "canary_bake_minutes": 1440},
    {"deployment_strategy": "linear", "linear_step_percent": 3.0, "linear_step_bake_minutes": 1440},
    {"deployment_strategy": "linear", "pause_before_production_traffic": True, "pause_timeout_minutes": 20160,
     "pause_timeout_action": "CONTINUE"},
    {"alarm_names": ("web-5xx",), "rollback": False},
])
def test_possible_strategy_flags_are_kept(flags):
    options = ServiceOptions(**flags)
    assert {name: getattr(options, name) for name in flags} == flags


# ---------------------------------------------------------------------------------- the mapping

def configured(**flags) -> dict:
    return strategies.apply_strategy({"deploymentCircuitBreaker": BREAKER}, ServiceOptions(**flags))


def test_each_strategy_makes_the_model_s_deployment_configuration():
    assert configured() == {"deploymentCircuitBreaker": BREAKER}   # rolling by default: nothing added
    assert configured(deployment_strategy="rolling") == {"deploymentCircuitBreaker": BREAKER, "strategy": "ROLLING"}
    assert configured(deployment_strategy="blue-green", bake_minutes=5) == {
        "deploymentCircuitBreaker": BREAKER, "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}
    assert configured(deployment_strategy="canary", canary_percent=20, canary_bake_minutes=3, bake_minutes=2) == {
        "deploymentCircuitBreaker": BREAKER, "strategy": "CANARY", "bakeTimeInMinutes": 2,
        "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 3}}
    assert configured(deployment_strategy="canary") == {   # ECS's defaults, written out
        "deploymentCircuitBreaker": BREAKER, "strategy": "CANARY",
        "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}}
    assert configured(deployment_strategy="linear", linear_step_percent=25) == {
        "deploymentCircuitBreaker": BREAKER, "strategy": "LINEAR",
        "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": 6}}


def test_a_pause_is_a_pause_hook_before_production_traffic_and_alarms_roll_back():
    assert configured(deployment_strategy="blue-green", bake_minutes=1, pause_before_production_traffic=True,
                      alarm_names=("web-5xx", "web-latency")) == {
        "deploymentCircuitBreaker": BREAKER, "strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1,
        "lifecycleHooks": [{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}],
        "alarms": {"alarmNames": ["web-5xx", "web-latency"], "enable": True, "rollback": True}}
    timed = configured(deployment_strategy="linear", pause_before_production_traffic=True, pause_timeout_minutes=30,
                       pause_timeout_action="continue")
    assert timed["lifecycleHooks"] == [{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
                                        "timeoutConfiguration": {"timeoutInMinutes": 30, "action": "CONTINUE"}}]
    assert configured(alarm_names=("a",), rollback=False)["alarms"] == {"alarmNames": ["a"], "enable": True,
                                                                        "rollback": False}


def test_a_new_strategy_replaces_the_old_one_s_members_and_pause_but_keeps_other_hooks():
    lambda_hook = {"targetType": "AWS_LAMBDA", "hookTargetArn": "arn:aws:lambda:us-east-1:1:function:f",
                   "roleArn": "arn:aws:iam::1:role/r", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}
    current = {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10},
               "bakeTimeInMinutes": 3, "lifecycleHooks": [lambda_hook, strategies.pause_hook(ServiceOptions(
                   deployment_strategy="canary", pause_before_production_traffic=True))]}
    changed = strategies.apply_strategy(current, ServiceOptions(deployment_strategy="linear"))
    assert changed == {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6},
                       "lifecycleHooks": [lambda_hook]}
    assert strategies.apply_strategy(current, ServiceOptions()) == current   # no flag: the service keeps its own
    assert current["strategy"] == "CANARY"   # a copy was changed


def test_create_service_gets_the_strategy_and_the_advanced_configuration(tmp_path):
    def deploy(session, cloud, files, params):
        return services.service_up(session, "lab", "canary", files, params, options=ServiceOptions(
            create_load_balancer=True, deployment_strategy="canary", canary_percent=20, canary_bake_minutes=1,
            bake_minutes=0, alarm_names=("canary-5xx",)), **waits(cloud))

    calls, result = calls_of(tmp_path, deploy)
    created = dict(calls)["CreateService"]
    assert created["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": BREAKER, "strategy": "CANARY", "bakeTimeInMinutes": 0,
        "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 1},
        "alarms": {"alarmNames": ["canary-5xx"], "enable": True, "rollback": True}}
    advanced = created["loadBalancers"][0]["advancedConfiguration"]
    rules = {name: params for name, params in calls if name == "CreateRule"}
    assert rules and set(advanced) == {"alternateTargetGroupArn", "productionListenerRule", "testListenerRule",
                                       "roleArn"}
    assert advanced["roleArn"].endswith(":role/lab-canary-ecs-lb-us-east-1")
    assert created["loadBalancers"][0]["targetGroupArn"] == result.target_group_arn != advanced["alternateTargetGroupArn"]
    names = [name for name, _ in calls]
    assert names.index("CreateRole") < names.index("CreateService")
    assert ("AttachRolePolicy", {"RoleName": "lab-canary-ecs-lb-us-east-1",
                                 "PolicyArn": INFRASTRUCTURE_POLICY_ARN}) in calls


# ---------------------------------------------------------------------------------- what is made, and removed

def forwarded(rule: dict) -> dict[str, int]:
    action = rule["Actions"][0]
    return {g["TargetGroupArn"].split("/")[1]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}


def tags_of(elbv2, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in elbv2.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]}


def test_a_traffic_strategy_makes_its_load_balancer_parts_tagged_and_rm_removes_only_them(up, session, cloud, files,
                                                                                          project):
    elbv2, iam = session.client("elbv2"), session.client("iam")
    theirs = elbv2.create_target_group(Name="not-ours", Protocol="HTTP", Port=80, TargetType="ip",
                                       VpcId=session.client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"])
    iam.create_role(RoleName="not-ours", AssumeRolePolicyDocument=json.dumps(strategies_trust()))
    result = up(files("fargatelab/web:v1"), options=ServiceOptions(
        create_load_balancer=True, deployment_strategy="blue-green", bake_minutes=0, deregistration_delay=5))
    name = _elb_name("lab", project)
    lb = elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    listeners = {listener["Port"]: listener for listener in
                 elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert set(listeners) == {80, 8080}
    for port in (80, 8080):
        rules = [r for r in elbv2.describe_rules(ListenerArn=listeners[port]["ListenerArn"])["Rules"]
                 if not r["IsDefault"]]
        assert len(rules) == 1 and rules[0]["Conditions"][0]["PathPatternConfig"]["Values"] == ["/*"]
        assert forwarded(rules[0]) == {name: 1, _elb_name("lab", project, "-alt"): 0}
        assert tags_of(elbv2, rules[0]["RuleArn"])["fargate-lab:project"] == project
    alternate = elbv2.describe_target_groups(Names=[_elb_name("lab", project, "-alt")])["TargetGroups"][0]
    primary = elbv2.describe_target_groups(TargetGroupArns=[result.target_group_arn])["TargetGroups"][0]
    same = ("Protocol", "Port", "VpcId", "TargetType", "HealthCheckPath")
    assert {k: alternate[k] for k in same} == {k: primary[k] for k in same}
    delay = elbv2.describe_target_group_attributes(TargetGroupArn=alternate["TargetGroupArn"])["Attributes"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "5"} in delay
    assert alternate["TargetGroupName"] == _elb_name("lab", project, "-alt") and len(alternate["TargetGroupName"]) <= 32
    assert tags_of(elbv2, alternate["TargetGroupArn"])["fargate-lab:managed"] == "true"
    role_name = f"{name}-ecs-lb-us-east-1"   # the load balancer's name, then the region
    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs.amazonaws.com"}
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]] == [
        INFRASTRUCTURE_POLICY_ARN]
    role_tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role_name)["Tags"]}
    assert role_tags["fargate-lab:cluster"] == "lab" and role_tags["fargate-lab:project"] == project
    described = session.client("ecs").describe_services(cluster="lab", services=[project])["services"][0]
    assert described["deploymentConfiguration"]["strategy"] == "BLUE_GREEN"

    assert services.service_rm(session, "lab", project, say=lambda _: None, sleep=cloud.sleep, clock=cloud.clock.now)
    groups = {g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]}
    assert groups == {"not-ours"}
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert role_name not in roles and "not-ours" in roles
    elbv2.delete_target_group(TargetGroupArn=theirs["TargetGroups"][0]["TargetGroupArn"])
    iam.delete_role(RoleName="not-ours")


def strategies_trust() -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}


def test_down_removes_a_traffic_strategy_s_parts_with_its_load_balancer(up, session, cloud, files, project):
    up(files("fargatelab/web:v1"), options=ServiceOptions(create_load_balancer=True, deployment_strategy="linear",
                                                          timeout_minutes=0))
    removed = services.delete_cluster_load_balancers(session, "lab", say=lambda _: None, sleep=cloud.sleep,
                                                     clock=cloud.clock.now)
    assert project in removed
    elbv2 = session.client("elbv2")
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    assert not [r for r in session.client("iam").list_roles()["Roles"] if r["RoleName"].endswith("-ecs-lb-us-east-1")]


def test_a_rolling_load_balancer_gets_no_traffic_parts(up, session, files, project):
    up(files("fargatelab/web:v1"), options=ServiceOptions(create_load_balancer=True, timeout_minutes=0))
    elbv2 = session.client("elbv2")
    assert [g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]] == [_elb_name("lab", project)]
    lb = elbv2.describe_load_balancers(Names=[_elb_name("lab", project)])["LoadBalancers"][0]
    assert [listener["Port"] for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])[
        "Listeners"]] == [80]
    assert not [r for r in session.client("iam").list_roles()["Roles"] if r["RoleName"].endswith("-ecs-lb-us-east-1")]
    services.delete_load_balancer(session, "lab", project, say=lambda _: None)


def test_a_traffic_strategy_without_a_load_balancer_is_refused_before_anything_is_made(up, session, files, project):
    with pytest.raises(OpsError, match=r"^--deployment-strategy canary needs a load balancer: add "
                                       r"--create-load-balancer \(it makes the alternate target group"):
        up(files("fargatelab/web:v1"), options=ServiceOptions(deployment_strategy="canary"))
    assert session.client("ecs").describe_services(cluster="lab", services=[project])["services"] == []
    with pytest.raises(OpsError, match="^--deployment-strategy blue-green needs a load balancer"):
        services.service_create(session, "lab", project, *files("fargatelab/web:v1"), say=lambda _: None,
                                options=ServiceOptions(deployment_strategy="blue-green", bake_minutes=1))


def test_a_service_made_rolling_cannot_turn_to_a_traffic_strategy_without_its_parts(up, files, project):
    up(files("fargatelab/web:v1"), options=ServiceOptions(create_load_balancer=True, timeout_minutes=0))
    with pytest.raises(OpsError, match=rf"^service {project} was made without the alternate target group and "
                                       r"listener rules --deployment-strategy canary needs: add --create-load-balancer"):
        up(files("fargatelab/web:v2"), options=ServiceOptions(deployment_strategy="canary"))


def test_create_load_balancer_turns_a_rolling_service_into_a_canary_one(up, files, project):
    first = up(files("fargatelab/web:v1"), options=ServiceOptions(create_load_balancer=True))
    assert first.outcome == "COMPLETED"
    second = up(files("fargatelab/web:v2"), options=ServiceOptions(
        deployment_strategy="canary", canary_percent=20.0, canary_bake_minutes=1, bake_minutes=0,
        create_load_balancer=True, timeout_minutes=30))
    assert second.outcome == "COMPLETED"
    ecs, elbv2 = boto3.client("ecs"), boto3.client("elbv2")
    service = ecs.describe_services(cluster="lab", services=[project])["services"][0]
    advanced = service["loadBalancers"][0]["advancedConfiguration"]
    assert service["deploymentConfiguration"]["strategy"] == "CANARY"
    arn = ecs.list_service_deployments(cluster="lab", service=project)["serviceDeployments"][0]["serviceDeploymentArn"]
    deployment = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]
    assert deployment["status"] == "SUCCESSFUL" and deployment["lifecycleStage"] == "CLEAN_UP"
    rule = elbv2.describe_rules(RuleArns=[advanced["productionListenerRule"]])["Rules"][0]["Actions"][0]
    weights = {g["TargetGroupArn"]: g["Weight"] for g in rule["ForwardConfig"]["TargetGroups"]}
    assert weights == {service["loadBalancers"][0]["targetGroupArn"]: 0, advanced["alternateTargetGroupArn"]: 999}


def test_a_pause_is_dropped_when_the_next_release_does_not_ask_for_one(up, files, project, session):
    up(files("fargatelab/web:v1"), options=ServiceOptions(create_load_balancer=True, deployment_strategy="blue-green",
                                                           bake_minutes=0))
    ecs = boto3.client("ecs")
    up(files("fargatelab/web:v2"), options=ServiceOptions(deployment_strategy="blue-green", bake_minutes=0,
                                                           pause_before_production_traffic=True, timeout_minutes=0))
    config = ecs.describe_services(cluster="lab", services=[project])["services"][0]["deploymentConfiguration"]
    assert [h["targetType"] for h in config["lifecycleHooks"]] == ["PAUSE"]
    services.service_rollback(session, "lab", project, timeout_minutes=0, say=lambda _: None)
    up(files("fargatelab/web:v3"), options=ServiceOptions(deployment_strategy="rolling", timeout_minutes=0))
    config = ecs.describe_services(cluster="lab", services=[project])["services"][0]["deploymentConfiguration"]
    assert config["strategy"] == "ROLLING" and not config.get("lifecycleHooks")


def test_a_dry_run_prints_the_traffic_parts_and_makes_none(tmp_path):
    from fargate_lab.ops import dryrun

    said: list[str] = []

    def deploy(session, cloud, files, params):
        dryrun.install(session, say=said.append)
        return services.service_up(session, "lab", "dry", files, params, options=ServiceOptions(
            create_load_balancer=True, deployment_strategy="canary"), **waits(cloud))

    calls, _ = calls_of(tmp_path, deploy)
    printed = "\n".join(said)
    for call in ("elbv2.CreateRule(", "iam.CreateRole(", "iam.AttachRolePolicy(", "ecs.CreateService("):
        assert f"would call {call}" in printed
    assert printed.count("would call elbv2.CreateListener(") == 2


def test_the_options_are_still_frozen_and_replaceable():
    options = ServiceOptions(deployment_strategy="canary", canary_percent=20, create_load_balancer=True)
    with pytest.raises(OpsError, match="^--canary-percent 200: must be between 0.1 and 100$"):
        dataclasses.replace(options, canary_percent=200)
    assert hash(options) == hash(dataclasses.replace(options))

