"""BLUE_GREEN, CANARY and LINEAR deployments with lifecycle hooks, read only through boto3:
DescribeServiceDeployments (stage, hooks, revision weights), the listener rules' forward weights,
DescribeServices and CloudWatch's ALB metrics, sampled as a client would."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import network, web_definition

STAGE_ORDER = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
               "POST_TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME",
               "CLEAN_UP")
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:check-green"
ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructureRoleForLoadBalancers"


@pytest.fixture
def site(ecs, ec2, subnets, cloud):
    """An ALB: listener :80 with a production rule (path /*) forwarding to blue's group, listener
    :8080 with a test rule forwarding to the alternate; cluster shop."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    elb = boto3.client("elbv2")
    lb = elb.create_load_balancer(Name="shop", Subnets=subnets)["LoadBalancers"][0]
    groups = []
    for name in ("shop-blue", "shop-green"):
        tg = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                     HealthCheckPath="/health")["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
        groups.append(tg)
    rules = []
    for port, group in ((80, groups[0]), (8080, groups[1])):
        listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=port, DefaultActions=[
            {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
        rules.append(elb.create_rule(ListenerArn=listener, Priority=10, Conditions=[
            {"Field": "path-pattern", "Values": ["/*"]}], Actions=[{"Type": "forward", "TargetGroupArn": group}]
        )["Rules"][0]["RuleArn"])
    ecs.create_cluster(clusterName="shop")
    return {"blue": groups[0], "green": groups[1], "prod": rules[0], "test": rules[1], "net": network(subnets),
            "elb": elb, "lb": lb["LoadBalancerArn"], "cw": boto3.client("cloudwatch")}


def load_balancers(site):
    return [{"targetGroupArn": site["blue"], "containerName": "web", "containerPort": 80,
             "advancedConfiguration": {"alternateTargetGroupArn": site["green"], "productionListenerRule": site["prod"],
                                       "testListenerRule": site["test"], "roleArn": ROLE}}]


def create(ecs, cloud, site, strategy="BLUE_GREEN", desired=4, image="fargatelab/web:v1", **config):
    config = {"strategy": strategy, "bakeTimeInMinutes": 2, **config}
    ecs.create_service(cluster="shop", serviceName="web", taskDefinition=web_definition(ecs, image), desiredCount=desired,
                       launchType="FARGATE", networkConfiguration=site["net"], loadBalancers=load_balancers(site),
                       deploymentConfiguration=config)
    settle(ecs, cloud)


def settle(ecs, cloud):
    """ServicesStable, then the deployment's own end (a client's next deployment needs a COMPLETED one
    to have a blue to shift from; ServicesStable counts running tasks, not health)."""
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])
    assert cloud.run_until(lambda: current_deployment(ecs)["status"] == "SUCCESSFUL", timeout=600)


def deploy(ecs, image, **config):
    kwargs = {"deploymentConfiguration": config} if config else {}
    return ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, image), **kwargs)


def weights(site, rule="prod"):
    """{target group: weight} of a rule's forward action, as DescribeRules shows it."""
    action = site["elb"].describe_rules(RuleArns=[site[rule]])["Rules"][0]["Actions"][0]
    if "ForwardConfig" in action:
        return {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
    return {action["TargetGroupArn"]: 1}


def current_deployment(ecs):
    arn = ecs.list_service_deployments(cluster="shop", service="web")["serviceDeployments"][0]["serviceDeploymentArn"]
    return ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]


def sample(ecs, cloud, site, seconds, step=10.0):
    """What a client polling every `step` seconds sees: (cloud second, deployment, production weights,
    test weights, running tasks per task definition revision)."""
    seen = []
    for i in range(int(seconds / step)):
        cloud.advance(step)
        dep = current_deployment(ecs)
        arns = ecs.list_tasks(cluster="shop", serviceName="web")["taskArns"]
        tasks = ecs.describe_tasks(cluster="shop", tasks=arns)["tasks"] if arns else []
        running = {}
        for t in tasks:
            if t["lastStatus"] == "RUNNING":
                rev = t["taskDefinitionArn"].rsplit(":", 1)[1]
                running[rev] = running.get(rev, 0) + 1
        seen.append(((i + 1) * step, dep, weights(site), weights(site, "test"), running))
        if dep["status"] not in ("IN_PROGRESS", "PENDING", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"):
            break
    return seen


def assert_stages_never_go_back(seen):
    order = [STAGE_ORDER.index(dep["lifecycleStage"]) for _, dep, *_ in seen if "lifecycleStage" in dep]
    assert order and order == sorted(order), [STAGE_ORDER[i] for i in order]


def test_blue_green_moves_all_traffic_bakes_then_stops_blue(ecs, cloud, site):
    create(ecs, cloud, site, desired=3)
    assert weights(site) == {site["blue"]: 1}          # the first deployment moved nothing
    deploy(ecs, "fargatelab/web:v2")
    seen = sample(ecs, cloud, site, 900)
    assert_stages_never_go_back(seen)
    final = seen[-1][1]
    assert final["status"] == "SUCCESSFUL" and final["lifecycleStage"] == "CLEAN_UP"
    stages = [dep["lifecycleStage"] for _, dep, *_ in seen]
    assert {"SCALE_UP", "BAKE_TIME"} <= set(stages)
    for _, dep, prod, test, running in seen:
        if dep["lifecycleStage"] in ("PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP"):
            assert prod.get(site["green"], 0) == 0          # production stays on blue until the shift
        if dep["lifecycleStage"] == "BAKE_TIME":
            assert prod == {site["blue"]: 0, site["green"]: 999} and test == prod
            assert running == {"1": 3, "2": 3}              # both revisions run through the bake
            target = dep["targetServiceRevision"]
            assert target["requestedProductionTrafficWeight"] == 100.0
            assert dep["sourceServiceRevisions"][0]["requestedProductionTrafficWeight"] == 0.0
            assert dep["sourceServiceRevisions"][0]["requestedTaskCount"] == target["requestedTaskCount"] == 3
    assert seen[-1][4] == {"2": 3}
    bake = [t for t, dep, *_ in seen if dep["lifecycleStage"] == "BAKE_TIME"]
    assert 100 <= bake[-1] - bake[0] + 10 <= 140            # bakeTimeInMinutes 2, sampled every 10 s
    service = ecs.describe_services(cluster="shop", services=["web"])["services"][0]
    assert len(service["deployments"]) == 1 and service["runningCount"] == 3
    # the roles swap: the next deployment's green goes back into the first target group
    deploy(ecs, "fargatelab/web:v1")
    seen = sample(ecs, cloud, site, 900)
    assert seen[-1][1]["status"] == "SUCCESSFUL"
    assert seen[-1][2] == {site["green"]: 0, site["blue"]: 999}
    healthy = site["elb"].describe_target_health(TargetGroupArn=site["blue"])["TargetHealthDescriptions"]
    assert sum(d["TargetHealth"]["State"] == "healthy" for d in healthy) == 3


def test_canary_holds_its_share_through_the_canary_bake(ecs, cloud, site):
    create(ecs, cloud, site, "CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})
    deploy(ecs, "fargatelab/web:v2")
    seen = sample(ecs, cloud, site, 1500)
    assert_stages_never_go_back(seen)
    assert seen[-1][1]["status"] == "SUCCESSFUL"
    canary = [t for t, dep, prod, *_ in seen if prod == {site["blue"]: 900, site["green"]: 100}]
    assert canary and 290 <= canary[-1] - canary[0] + 10 <= 320      # 90/10 for the 5-minute canary bake
    shares = [dep["targetServiceRevision"].get("requestedProductionTrafficWeight") for _, dep, *_ in seen]
    assert sorted(shares) == shares and {10.0, 100.0} <= set(shares)   # green's share never falls


def test_linear_steps_in_order(ecs, cloud, site):
    create(ecs, cloud, site, "LINEAR", desired=2, linearConfiguration={"stepPercent": 25.0, "stepBakeTimeInMinutes": 1})
    deploy(ecs, "fargatelab/web:v2")
    seen = sample(ecs, cloud, site, 1500, step=5.0)
    assert seen[-1][1]["status"] == "SUCCESSFUL"
    green = [prod.get(site["green"], 0) for _, _, prod, *_ in seen]
    steps = [w for i, w in enumerate(green) if i == 0 or w != green[i - 1]]
    assert steps == [0, 250, 500, 750, 999]


def test_a_pause_hook_holds_with_production_on_blue_and_test_on_green(ecs, cloud, site):
    create(ecs, cloud, site)
    deploy(ecs, "fargatelab/web:v2", strategy="BLUE_GREEN", bakeTimeInMinutes=2, lifecycleHooks=[
        {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}])
    seen = sample(ecs, cloud, site, 900)
    _, dep, prod, test, running = seen[-1]
    assert dep["status"] == "IN_PROGRESS"               # still waiting after 15 minutes
    hook = dep["lifecycleHookDetails"][0]
    assert hook["status"] == "AWAITING_ACTION" and hook["targetType"] == "PAUSE" and "targetArn" not in hook
    assert prod == {site["blue"]: 999, site["green"]: 0} and test == {site["blue"]: 0, site["green"]: 999}
    assert running == {"1": 4, "2": 4}
    service = ecs.describe_services(cluster="shop", services=["web"])["services"][0]
    assert any("is paused at PRE_PRODUCTION_TRAFFIC_SHIFT" in e["message"] for e in service["events"])
    with pytest.raises(ClientError) as refused:
        ecs.continue_service_deployment(serviceDeploymentArn=dep["serviceDeploymentArn"], hookId="not-a-hook")
    assert refused.value.response["Error"]["Code"] == "InvalidParameterException"
    ecs.continue_service_deployment(serviceDeploymentArn=dep["serviceDeploymentArn"], hookId=hook["hookId"])
    seen = sample(ecs, cloud, site, 900)
    assert seen[-1][1]["status"] == "SUCCESSFUL"
    assert seen[-1][1]["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"
    assert seen[-1][2] == {site["blue"]: 0, site["green"]: 999}
    with pytest.raises(ClientError) as late:             # nothing awaits any more
        ecs.continue_service_deployment(serviceDeploymentArn=dep["serviceDeploymentArn"], hookId=hook["hookId"])
    assert late.value.response["Error"]["Code"] == "InvalidParameterException"


def test_rolling_back_at_a_pause_puts_traffic_back_on_blue(ecs, cloud, site):
    create(ecs, cloud, site)
    deploy(ecs, "fargatelab/web:v2", strategy="BLUE_GREEN", bakeTimeInMinutes=2, lifecycleHooks=[
        {"targetType": "PAUSE", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}])
    cloud.run_until(lambda: current_deployment(ecs).get("lifecycleHookDetails"), timeout=600)
    dep = current_deployment(ecs)
    ecs.continue_service_deployment(serviceDeploymentArn=dep["serviceDeploymentArn"],
                                    hookId=dep["lifecycleHookDetails"][0]["hookId"], action="ROLLBACK")
    seen = sample(ecs, cloud, site, 900)
    final = seen[-1][1]
    assert final["status"] == "ROLLBACK_SUCCESSFUL", final["status"]
    assert "rolling back" in final["rollback"]["reason"]
    assert seen[-1][2] == {site["blue"]: 999, site["green"]: 0}
    assert seen[-1][3] == {site["blue"]: 999, site["green"]: 0}
    assert seen[-1][4] == {"1": 4}
    service = ecs.describe_services(cluster="shop", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith(":1") and len(service["deployments"]) == 1


def test_a_lambda_hook_is_called_again_until_it_succeeds(ecs, cloud, site):
    calls = []

    def check_green(payload):
        calls.append((cloud.now(), payload))
        if len(calls) < 3:
            return {"hookStatus": "IN_PROGRESS", "callBackDelay": 20, "hookDetails": {"tries": len(calls)}}
        return {"hookStatus": "SUCCEEDED"}
    cloud.register_function(FUNCTION, check_green)
    create(ecs, cloud, site, lifecycleHooks=[{"hookTargetArn": FUNCTION, "roleArn": ROLE,
                                       "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "hookDetails": {"suite": "smoke"}}])
    calls.clear()                                        # the first deployment passed the hook too
    deploy(ecs, "fargatelab/web:v2")
    seen = sample(ecs, cloud, site, 900)
    assert seen[-1][1]["status"] == "SUCCESSFUL"
    assert len(calls) == 3
    # callBackDelay 20: invoked again at the scheduler's next step after it (1 s later, a model)
    assert all(20.0 <= (b - a).total_seconds() <= 22.0 for (a, _), (b, _) in zip(calls, calls[1:]))
    first, second = calls[0][1], calls[1][1]
    assert first["hookDetails"] == {"suite": "smoke"} and second["hookDetails"] == {"tries": 1}
    green_arn = first["targetServiceRevisionArn"]
    assert first["testTrafficWeights"][green_arn] == 100.0 and first["productionTrafficWeights"][green_arn] == 0.0
    assert set(first) == {"serviceArn", "targetServiceRevisionArn", "testTrafficWeights", "productionTrafficWeights",
                          "hookDetails"}


@pytest.mark.parametrize("answer", [{"hookStatus": "FAILED"}, {"hookStatus": "MAYBE"}, "raise"])
def test_a_failing_lambda_hook_rolls_back(ecs, cloud, site, answer):
    def hook(payload):
        if answer == "raise":
            raise RuntimeError("smoke test failed")
        return answer
    create(ecs, cloud, site)
    cloud.register_function(FUNCTION, hook)
    deploy(ecs, "fargatelab/web:v2", strategy="BLUE_GREEN", bakeTimeInMinutes=2, lifecycleHooks=[
        {"hookTargetArn": FUNCTION, "roleArn": ROLE, "lifecycleStages": ["POST_PRODUCTION_TRAFFIC_SHIFT"]}])
    seen = sample(ecs, cloud, site, 900)
    final = seen[-1][1]
    assert final["status"] == "ROLLBACK_SUCCESSFUL"
    assert final["lifecycleHookDetails"][0]["status"] == "FAILED"
    assert seen[-1][2] == {site["blue"]: 999, site["green"]: 0} and seen[-1][4] == {"1": 4}


def test_an_unregistered_function_rolls_back_with_its_name(ecs, cloud, site):
    create(ecs, cloud, site)
    deploy(ecs, "fargatelab/web:v2", strategy="BLUE_GREEN", bakeTimeInMinutes=0, lifecycleHooks=[
        {"hookTargetArn": FUNCTION, "roleArn": ROLE, "lifecycleStages": ["PRE_SCALE_UP"]}])
    seen = sample(ecs, cloud, site, 600)
    assert seen[-1][1]["status"] == "ROLLBACK_SUCCESSFUL"
    events = ecs.describe_services(cluster="shop", services=["web"])["services"][0]["events"]
    assert any("check-green" in e["message"] and "no local stand-in" in e["message"] for e in events)


def test_an_erroring_canary_trips_its_alarm_and_rolls_back(ecs, cloud, site):
    dims = [{"Name": "LoadBalancer", "Value": site["lb"].split(":loadbalancer/")[1]}]
    site["cw"].put_metric_alarm(AlarmName="web-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                                Dimensions=dims, Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=5,
                                ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")
    create(ecs, cloud, site, "CANARY", canaryConfiguration={"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 10},
           alarms={"alarmNames": ["web-5xx"], "enable": True, "rollback": True})
    cloud.advance(120)
    deploy(ecs, "fargatelab/web:v2-errors")
    seen = sample(ecs, cloud, site, 1500)
    final = seen[-1][1]
    assert final["status"] == "ROLLBACK_SUCCESSFUL"
    assert final["alarms"]["triggeredAlarmNames"] == ["web-5xx"]
    # the alarm fired during the canary: green never got more than its 10 %
    assert max(prod.get(site["green"], 0) for _, _, prod, *_ in seen) == 100
    assert seen[-1][2] == {site["blue"]: 999, site["green"]: 0} and seen[-1][4] == {"1": 4}
    service = ecs.describe_services(cluster="shop", services=["web"])["services"][0]
    assert service["taskDefinition"].endswith(":1")


def test_a_healthy_blue_green_loses_no_request(ecs, cloud, site):
    create(ecs, cloud, site)
    cloud.advance(60)
    start = cloud.now()
    deploy(ecs, "fargatelab/web:v2")
    seen = sample(ecs, cloud, site, 900)
    assert seen[-1][1]["status"] == "SUCCESSFUL"
    cloud.advance(120)
    dims = [{"Name": "LoadBalancer", "Value": site["lb"].split(":loadbalancer/")[1]}]
    total = {}
    for metric in ("RequestCount", "HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"):
        points = site["cw"].get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dims,
                                                  StartTime=start, EndTime=cloud.now(), Period=60, Statistics=["Sum"])
        total[metric] = sum(p["Sum"] for p in points["Datapoints"])
    assert total["RequestCount"] > 5000
    assert total["HTTPCode_ELB_5XX_Count"] == 0 and total["HTTPCode_Target_5XX_Count"] == 0


@pytest.mark.parametrize("change, field", [
    ({"loadBalancers": "plain"}, "advancedConfiguration is required"),
    ({"alternate": "same"}, "alternateTargetGroupArn must be a second target group"),
    ({"rule": "missing"}, "productionListenerRule: the listener rule"),
    ({"role": "not-an-arn"}, "roleArn must be the ARN of an IAM role"),
    ({"config": {"strategy": "BLUE_GREEN"}}, "bakeTimeInMinutes is required"),
    ({"config": {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 0.05}}}, "canaryPercent must be"),
    ({"config": {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 2.0}}}, "stepPercent must be"),
    ({"config": {"strategy": "CANARY", "lifecycleHooks": [{"targetType": "PAUSE",
                                                            "lifecycleStages": ["TEST_TRAFFIC_SHIFT"]}]}},
     "TEST_TRAFFIC_SHIFT is not a stage a PAUSE hook can use"),
    ({"config": {"strategy": "CANARY", "lifecycleHooks": [{"lifecycleStages": ["PRE_SCALE_UP"]}]}},
     "hookTargetArn must be a Lambda function ARN"),
    ({"config": {"strategy": "ROLLING", "lifecycleHooks": [{"targetType": "PAUSE",
                                                             "lifecycleStages": ["PRE_SCALE_UP"]}]}},
     "only with the BLUE_GREEN, CANARY or LINEAR strategy"),
])
def test_bad_strategy_settings_are_refused_with_the_field_named(ecs, site, change, field):
    lbs = load_balancers(site)
    advanced = lbs[0]["advancedConfiguration"]
    if change.get("loadBalancers") == "plain":
        del lbs[0]["advancedConfiguration"]
    if change.get("alternate") == "same":
        advanced["alternateTargetGroupArn"] = site["blue"]
    if change.get("rule") == "missing":
        advanced["productionListenerRule"] = site["prod"][:-4] + "0000"
    if "role" in change:
        advanced["roleArn"] = change["role"]
    config = change.get("config", {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
    with pytest.raises(ClientError) as refused:
        ecs.create_service(cluster="shop", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=1,
                           launchType="FARGATE", networkConfiguration=site["net"], loadBalancers=lbs,
                           deploymentConfiguration=config)
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterException" and field in error["Message"], error
    assert "\n" not in error["Message"]
    assert ecs.list_services(cluster="shop")["serviceArns"] == []   # nothing half made


def test_a_service_switches_between_rolling_and_blue_green(ecs, cloud, site):
    lbs = load_balancers(site)
    ecs.create_service(cluster="shop", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=2,
                       launchType="FARGATE", networkConfiguration=site["net"],
                       loadBalancers=[{k: v for k, v in lbs[0].items() if k != "advancedConfiguration"}])
    settle(ecs, cloud)
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2"),
                       loadBalancers=lbs, deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})
    seen = sample(ecs, cloud, site, 900)
    assert seen[-1][1]["status"] == "SUCCESSFUL" and "lifecycleStage" in seen[-1][1]
    assert seen[-1][2] == {site["blue"]: 0, site["green"]: 999}
    # and back: a rolling deployment puts its tasks where production is now (the alternate group)
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v1"),
                       deploymentConfiguration={"strategy": "ROLLING"})
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])
    healthy = site["elb"].describe_target_health(TargetGroupArn=site["green"])["TargetHealthDescriptions"]
    assert sum(d["TargetHealth"]["State"] in ("healthy", "initial") for d in healthy) == 2
    rolling = current_deployment(ecs)
    assert rolling["status"] == "SUCCESSFUL" and "lifecycleStage" not in rolling


def test_the_test_listener_can_be_kept_quiet(ecs, cloud, site):
    """Every listener gets the default 10 requests a second; `set_rate(..., port=)` changes one listener's."""
    create(ecs, cloud, site)
    dims = [{"Name": "LoadBalancer", "Value": site["lb"].split(":loadbalancer/")[1]}]

    def per_minute(minutes):
        cloud.advance(60 - cloud.now().second)
        start = cloud.now()
        cloud.advance(60 * minutes + 5)
        points = site["cw"].get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName="RequestCount",
                                                  Dimensions=dims, StartTime=start, EndTime=cloud.now(), Period=60,
                                                  Statistics=["Sum"])["Datapoints"]
        return sorted({p["Sum"] for p in points})
    assert per_minute(2) == [1200.0]                    # :80 and :8080, 600 a minute each
    cloud.traffic.set_rate("shop", 0, port=8080)
    per_minute(1)                                      # the minute it changed in
    assert per_minute(2) == [600.0]
    with pytest.raises(ValueError, match="port"):
        cloud.traffic.set_rate("shop", 5, port=0)
