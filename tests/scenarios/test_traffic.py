"""Traffic through the load balancer, read only through boto3: CloudWatch's AWS/ApplicationELB metrics
and a metric alarm, while ECS rolls a service behind an ALB."""
from __future__ import annotations

import datetime as _dt

import boto3
import pytest

from fargate_lab import local
from tests.conftest import network, web_definition


@pytest.fixture
def site(ecs, ec2, subnets, cloud):
    return make_site(ecs, ec2, subnets)


def make_site(ecs, ec2, subnets):
    """An ALB named shop, listener :80 forwarding to an ip target group (30 s drain), a cluster shop."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    elb = boto3.client("elbv2")
    lb = elb.create_load_balancer(Name="shop", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="shop-web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                 HealthCheckPath="/health")["TargetGroups"][0]
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    ecs.create_cluster(clusterName="shop")
    dims = {"LoadBalancer": lb["LoadBalancerArn"].split(":loadbalancer/")[1],
            "TargetGroup": tg["TargetGroupArn"].rsplit(":", 1)[1]}
    return {"tg": tg["TargetGroupArn"], "net": network(subnets), "dims": dims, "cw": boto3.client("cloudwatch")}


def start_service(ecs, cloud, site, image="fargatelab/web:v1", desired=4, **config):
    ecs.create_service(cluster="shop", serviceName="web", taskDefinition=web_definition(ecs, image), desiredCount=desired,
                       launchType="FARGATE", networkConfiguration=site["net"],
                       loadBalancers=[{"targetGroupArn": site["tg"], "containerName": "web", "containerPort": 80}],
                       deploymentConfiguration=config or {"minimumHealthyPercent": 100, "maximumPercent": 200})
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])


def next_minute(cloud):
    """Advance to the start of the next whole minute (metrics come per minute) and return it."""
    now = cloud.now()
    cloud.advance(60 - now.second - now.microsecond / 1e6)
    return cloud.now()


def per_minute(site, metric, since, until, dims=("LoadBalancer",)):
    """{minute: Sum} for a metric, as GetMetricStatistics answers, from the minute `since` falls in."""
    since = since.replace(second=0, microsecond=0)
    found = site["cw"].get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=metric, Statistics=["Sum"], Period=60,
        Dimensions=[{"Name": d, "Value": site["dims"][d]} for d in dims], StartTime=since, EndTime=until)
    return {p["Timestamp"]: p["Sum"] for p in found["Datapoints"]}


def test_requests_are_counted_each_minute_and_reach_only_healthy_targets(ecs, cloud, site):
    start_service(ecs, cloud, site)
    cloud.advance(60)                                       # every target healthy
    since = next_minute(cloud)
    cloud.advance(300)
    requests = per_minute(site, "RequestCount", since, cloud.now())
    assert len(requests) >= 4 and all(count == 600 for count in requests.values())   # 10 a second
    assert per_minute(site, "HTTPCode_Target_2XX_Count", since, cloud.now()) == requests
    assert per_minute(site, "HTTPCode_ELB_5XX_Count", since, cloud.now()) == {}   # none: not reported
    healthy = site["cw"].get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName="HealthyHostCount", Statistics=["Average"], Period=60,
        Dimensions=[{"Name": k, "Value": v} for k, v in site["dims"].items()], StartTime=since, EndTime=cloud.now())
    assert healthy["Datapoints"] and all(p["Average"] == 4 for p in healthy["Datapoints"])


def test_a_default_rolling_deploy_loses_no_request(ecs, cloud, site):
    start_service(ecs, cloud, site)
    cloud.advance(60)                                       # every target healthy
    since = next_minute(cloud)
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2"))
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])
    cloud.advance(120)
    assert sum(per_minute(site, "RequestCount", since, cloud.now()).values()) >= 1200   # 2 whole minutes or more
    assert per_minute(site, "HTTPCode_ELB_5XX_Count", since, cloud.now()) == {}
    assert per_minute(site, "HTTPCode_Target_5XX_Count", since, cloud.now()) == {}


def test_minimum_zero_maximum_100_is_an_outage_customers_see(ecs, cloud, site):
    start_service(ecs, cloud, site, minimumHealthyPercent=0, maximumPercent=100)
    cloud.advance(60)
    since = next_minute(cloud)
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2"))
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])
    cloud.advance(120)
    outage = per_minute(site, "HTTPCode_ELB_503_Count", since, cloud.now())
    assert sum(outage.values()) > 100, "every old task stopped before a new one was healthy: 503s"


def test_an_alarm_on_target_errors_goes_to_alarm_when_a_bad_release_takes_traffic(ecs, cloud, site):
    start_service(ecs, cloud, site)
    site["cw"].put_metric_alarm(
        AlarmName="shop-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[{"Name": "LoadBalancer", "Value": site["dims"]["LoadBalancer"]}], Statistic="Sum",
        Period=60, EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=10,
        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")
    cloud.advance(180)
    alarm = site["cw"].describe_alarms(AlarmNames=["shop-5xx"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK"
    assert alarm["StateReason"].startswith("Threshold Crossed: no datapoints were received for 2 periods")

    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2-errors"))
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])
    cloud.advance(120)
    alarm = site["cw"].describe_alarms(AlarmNames=["shop-5xx"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "ALARM"
    assert "was greater than the threshold (10.0)" in alarm["StateReason"]
    assert alarm["StateUpdatedTimestamp"] <= _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(hours=2)


def test_alarm_history_records_creation_and_each_change_of_state(ecs, cloud, site):
    cw = site["cw"]
    cw.put_metric_alarm(
        AlarmName="shop-requests", Namespace="AWS/ApplicationELB", MetricName="RequestCount",
        Dimensions=[{"Name": "LoadBalancer", "Value": site["dims"]["LoadBalancer"]}], Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=100, ComparisonOperator="GreaterThanThreshold")
    alarm = cw.describe_alarms(AlarmNames=["shop-requests"])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA"        # as AWS starts an alarm, before any evaluation
    start_service(ecs, cloud, site)
    cloud.advance(240)
    assert cw.describe_alarms(AlarmNames=["shop-requests"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    history = cw.describe_alarm_history(AlarmName="shop-requests")["AlarmHistoryItems"]
    kinds = [(h["HistoryItemType"], h["HistorySummary"]) for h in history]
    assert kinds[-1] == ("ConfigurationUpdate", 'Alarm "shop-requests" created')
    changes = [summary for kind, summary in reversed(kinds) if kind == "StateUpdate"]
    assert changes[0].startswith("Alarm updated from INSUFFICIENT_DATA to ") and changes[-1].endswith(" to ALARM")
    assert [h["Timestamp"] for h in history] == sorted((h["Timestamp"] for h in history), reverse=True)
    only_states = cw.describe_alarm_history(AlarmName="shop-requests", HistoryItemType="StateUpdate")
    assert all(h["HistoryItemType"] == "StateUpdate" for h in only_states["AlarmHistoryItems"])
    first = cw.describe_alarm_history(AlarmName="shop-requests", MaxRecords=1)
    assert len(first["AlarmHistoryItems"]) == 1 and "NextToken" in first


def error_alarm(site, name="shop-5xx"):
    site["cw"].put_metric_alarm(
        AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Dimensions=[{"Name": "LoadBalancer", "Value": site["dims"]["LoadBalancer"]}], Statistic="Sum",
        Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching")
    return {"alarms": {"alarmNames": [name], "enable": True, "rollback": True},
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "minimumHealthyPercent": 100, "maximumPercent": 200}


def until_completed(ecs, cloud):
    """With alarms, a deployment completes only after its bake time, after services_stable returned."""
    def completed():
        service = ecs.describe_services(cluster="shop", services=["web"])["services"][0]
        return [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
    assert cloud.run_until(completed, timeout=600, step=5)


def deployments(ecs):
    arns = [d["serviceDeploymentArn"] for d in
            ecs.list_service_deployments(cluster="shop", service="web")["serviceDeployments"]]
    return {d["targetServiceRevision"]["arn"]: d for d in
            ecs.describe_service_deployments(serviceDeploymentArns=arns)["serviceDeployments"]}


def test_a_release_that_fails_only_with_traffic_is_rolled_back_by_its_alarm(ecs, cloud, site):
    start_service(ecs, cloud, site, **error_alarm(site))
    v1 = ecs.describe_services(cluster="shop", services=["web"])["services"][0]["taskDefinition"]
    until_completed(ecs, cloud)      # a rollback goes back to the last COMPLETED deployment
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2-errors"))
    failed = None
    for _ in range(120):                         # 10 minutes in 5 s steps, as a client polls
        cloud.advance(5)
        service = ecs.describe_services(cluster="shop", services=["web"])["services"][0]
        failed = failed or next((d for d in service["deployments"] if d["rolloutState"] == "FAILED"), None)
        if failed and len(service["deployments"]) == 1 and service["deployments"][0]["rolloutState"] == "COMPLETED":
            break
    assert failed is not None and "alarm" in failed["rolloutStateReason"]
    assert failed["failedTasks"] == 0                      # every task passed its checks: only traffic told
    assert service["taskDefinition"] == v1 and service["deployments"][0]["taskDefinition"] == v1
    said = [e["message"] for e in service["events"]]
    assert any("deployment failed: alarm detected." in m for m in said)
    bad = next(d for d in deployments(ecs).values() if d.get("alarms", {}).get("status") == "TRIGGERED")
    assert bad["status"] == "ROLLBACK_SUCCESSFUL" and bad["alarms"]["triggeredAlarmNames"] == ["shop-5xx"]
    assert bad["deploymentCircuitBreaker"]["status"] == "MONITORING_COMPLETE"   # the alarm, not the breaker
    # customers saw errors for a while, and none once v1 was back
    cloud.advance(180)
    recent = per_minute(site, "HTTPCode_Target_5XX_Count", cloud.now() - _dt.timedelta(minutes=2), cloud.now())
    assert recent == {}


def test_a_healthy_release_with_alarms_completes_after_a_bake_time(ecs, cloud, site):
    start_service(ecs, cloud, site, **error_alarm(site))
    until_completed(ecs, cloud)
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2"))
    seen = []
    for _ in range(120):
        cloud.advance(5)
        service = ecs.describe_services(cluster="shop", services=["web"])["services"][0]
        old_tasks = sum(d["runningCount"] + d["pendingCount"] for d in service["deployments"][1:])
        seen.append((service["deployments"][0]["rolloutState"], len(service["deployments"]), old_tasks))
        if seen[-1][:2] == ("COMPLETED", 1):
            break
    assert seen[-1][:2] == ("COMPLETED", 1)
    # no old task runs, yet the deployment stays IN_PROGRESS with the old one listed: the old targets
    # drain (30 s), then the bake time (the alarm looks back 1 x 60 s)
    baking = [s for s in seen if s == ("IN_PROGRESS", 2, 0)]
    assert 85 <= len(baking) * 5 <= 120
    done = [d for d in deployments(ecs).values() if d["status"] == "SUCCESSFUL"]
    assert done and all(d["alarms"]["status"] == "MONITORING_COMPLETE" for d in done)


def test_an_alarm_already_firing_when_the_deployment_starts_is_ignored(ecs, cloud, site):
    start_service(ecs, cloud, site, **error_alarm(site))
    until_completed(ecs, cloud)
    site["cw"].set_alarm_state(AlarmName="shop-5xx", StateValue="ALARM", StateReason="testing")
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2"))
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])
    newest = max(deployments(ecs).values(), key=lambda d: d["createdAt"])
    assert newest["status"] == "SUCCESSFUL" and newest["alarms"]["status"] == "DISABLED"


def test_an_alarm_the_model_cannot_evaluate_stops_nothing(ecs, cloud, site):
    site["cw"].put_metric_alarm(   # moto takes it; AWS would not: DatapointsToAlarm above EvaluationPeriods
        AlarmName="odd", Namespace="AWS/ApplicationELB", MetricName="RequestCount", Statistic="Sum",
        Period=60, EvaluationPeriods=1, DatapointsToAlarm=3, Threshold=1, ComparisonOperator="GreaterThanThreshold")
    start_service(ecs, cloud, site)
    cloud.advance(60)
    since = next_minute(cloud)
    cloud.advance(180)
    assert sum(per_minute(site, "RequestCount", since, cloud.now()).values()) == 1800   # traffic went on
    assert any("odd" in problem for problem in cloud.traffic.problems)


def test_updating_an_alarm_keeps_its_state_and_history(ecs, cloud, site):
    start_service(ecs, cloud, site)
    error_alarm(site)
    cloud.advance(120)
    before = site["cw"].describe_alarms(AlarmNames=["shop-5xx"])["MetricAlarms"][0]
    assert before["StateValue"] == "OK"
    error_alarm(site)                                       # PutMetricAlarm again, same name
    after = site["cw"].describe_alarms(AlarmNames=["shop-5xx"])["MetricAlarms"][0]
    assert (after["StateValue"], after["StateReason"]) == (before["StateValue"], before["StateReason"])
    summaries = [h["HistorySummary"] for h in site["cw"].describe_alarm_history(AlarmName="shop-5xx")["AlarmHistoryItems"]]
    assert summaries[0] == 'Alarm "shop-5xx" updated' and summaries[-1] == 'Alarm "shop-5xx" created'


def test_paths_given_with_the_rate_reach_path_rules(ecs, cloud, site):
    elb = boto3.client("elbv2")
    listener = elb.describe_listeners(LoadBalancerArn=elb.describe_load_balancers(Names=["shop"])["LoadBalancers"][0][
        "LoadBalancerArn"])["Listeners"][0]["ListenerArn"]
    elb.create_rule(ListenerArn=listener, Priority=5, Conditions=[{"Field": "path-pattern", "Values": ["/health*"]}],
                    Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])
    cloud.traffic.set_rate("shop", 10, paths=["/", "/healthz"])
    start_service(ecs, cloud, site)
    cloud.advance(60)
    since = next_minute(cloud)
    cloud.advance(120)
    assert per_minute(site, "HTTP_Fixed_Response_Count", since, cloud.now()) == {
        since: 300.0, since + _dt.timedelta(minutes=1): 300.0}
    assert sum(per_minute(site, "HTTPCode_Target_2XX_Count", since, cloud.now()).values()) == 600
    with pytest.raises(ValueError, match="paths"):
        cloud.traffic.set_rate("shop", 10, paths=["healthz"])


def test_a_deployment_the_breaker_rolls_back_stops_watching_its_alarms(ecs, cloud, site):
    start_service(ecs, cloud, site, **error_alarm(site))
    until_completed(ecs, cloud)
    ecs.update_service(cluster="shop", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:crash"))
    until_completed(ecs, cloud)                             # rolled back to v1 by the breaker
    crashed = next(d for d in deployments(ecs).values() if d["status"] == "ROLLBACK_SUCCESSFUL")
    assert crashed["deploymentCircuitBreaker"]["status"] == "TRIGGERED"
    assert crashed["alarms"]["status"] == "MONITORING_COMPLETE"


def test_the_same_seed_gives_the_same_metrics():
    """Two clouds, one after the other, same seed: the same errors in the same minutes."""
    def one_run() -> list[float]:
        cloud = local.start(seed=0)
        try:
            ecs, ec2 = boto3.client("ecs"), boto3.client("ec2")
            subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
                Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
            made = make_site(ecs, ec2, subnets)
            start_service(ecs, cloud, made)
            cloud.advance(60)
            since = next_minute(cloud)
            ecs.update_service(cluster="shop", service="web",
                               taskDefinition=web_definition(ecs, "fargatelab/web:v2-errors"))
            cloud.advance(300)
            return list(per_minute(made, "HTTPCode_Target_5XX_Count", since, cloud.now()).values())
        finally:
            cloud.stop()

    first = one_run()
    assert sum(first) > 0
    assert one_run() == first


def test_a_health_check_path_the_image_does_not_serve_fails_with_404_until_fixed(ecs, cloud, site):
    """The demo web images answer 200 on /, /health and /index.html; any other path is a 404, so every
    target fails its checks and ECS replaces the tasks, until the path is fixed."""
    elb = boto3.client("elbv2")
    elb.modify_target_group(TargetGroupArn=site["tg"], HealthCheckPath="/healthz")
    ecs.create_service(cluster="shop", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=2,
                       launchType="FARGATE", networkConfiguration=site["net"],
                       loadBalancers=[{"targetGroupArn": site["tg"], "containerName": "web", "containerPort": 80}])
    cloud.advance(300)
    events = [e["message"] for e in ecs.describe_services(cluster="shop", services=["web"])["services"][0]["events"]]
    assert any("Health checks failed with these codes: [404]" in m for m in events), events[:5]
    assert any("is unhealthy in (target-group" in m for m in events)
    elb.modify_target_group(TargetGroupArn=site["tg"], HealthCheckPath="/health")
    assert cloud.run_until(lambda: sum(d["TargetHealth"]["State"] == "healthy" for d in elb.describe_target_health(
        TargetGroupArn=site["tg"])["TargetHealthDescriptions"]) == 2, timeout=900)
    ecs.get_waiter("services_stable").wait(cluster="shop", services=["web"])
