"""The talk's deploy: a 4-task service behind a load balancer rolls from v1 to v2.

The sampled timeline must have the shape of docs/ecs-behaviour.md §2.4: ramp to 8
tasks, a plateau until the new targets are healthy, the old tasks draining for
the deregistration delay (two deployments all the while), then back to 4 with one.
"""
from __future__ import annotations

import boto3
import pytest

from tests.conftest import network, web_definition


@pytest.fixture
def load_balanced(ecs, ec2, subnets):
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    elb = boto3.client("elbv2")
    lb = elb.create_load_balancer(Name="talk", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="talk-web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                 HealthCheckPath="/health")["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    ecs.create_cluster(clusterName="talk")
    return {"tg": tg["TargetGroupArn"], "elb": elb, "net": network(subnets),
            "v1": web_definition(ecs, "fargatelab/web:v1"), "v2": web_definition(ecs, "fargatelab/web:v2")}


def sample(ecs, elb, tg):
    s = ecs.describe_services(cluster="talk", services=["web"])["services"][0]
    health = [d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
    return {"running": s["runningCount"], "pending": s["pendingCount"], "deployments": len(s["deployments"]),
            "healthy": health.count("healthy"), "initial": health.count("initial"),
            "draining": health.count("draining")}


def test_talk_rolling_deploy_timeline(ecs, cloud, load_balanced):
    lb = load_balanced
    ecs.create_service(cluster="talk", serviceName="web", taskDefinition=lb["v1"], desiredCount=4,
                       launchType="FARGATE", networkConfiguration=lb["net"],
                       loadBalancers=[{"targetGroupArn": lb["tg"], "containerName": "web", "containerPort": 80}])
    ecs.get_waiter("services_stable").wait(cluster="talk", services=["web"])
    cloud.advance(60)
    assert sample(ecs, lb["elb"], lb["tg"])["healthy"] == 4

    ecs.update_service(cluster="talk", service="web", taskDefinition=lb["v2"])
    timeline = []
    for _ in range(200):  # 1,000 s in 5 s steps
        cloud.advance(5)
        timeline.append(sample(ecs, lb["elb"], lb["tg"]))

    peak = max(t["running"] + t["pending"] for t in timeline)
    assert peak == 8  # maximumPercent 200: all four new tasks start at once
    first_peak = next(i for i, t in enumerate(timeline) if t["running"] == 8)
    # plateau: 8 running while the new targets pass their first health check
    plateau = [t for t in timeline[first_peak:] if t["running"] == 8]
    assert len(plateau) >= 2 and all(t["initial"] > 0 for t in plateau[:1])
    draining = [i for i, t in enumerate(timeline) if t["draining"] == 4]
    assert draining, "the old targets never drained"
    drain_seconds = 5 * len(draining)
    assert 290 <= drain_seconds <= 320  # the default 300 s deregistration delay
    assert all(timeline[i]["running"] == 4 and timeline[i]["deployments"] == 2 for i in draining)
    end = timeline[-1]
    assert end == {"running": 4, "pending": 0, "deployments": 1, "healthy": 4, "initial": 0, "draining": 0}
    s = ecs.describe_services(cluster="talk", services=["web"])["services"][0]
    assert s["deployments"][0]["taskDefinition"] == lb["v2"]
    assert len(ecs.list_service_deployments(cluster="talk", service="web")["serviceDeployments"]) == 2
    messages = [e["message"] for e in s["events"]]
    assert sum(m.startswith("(service web) registered 1 targets in (target-group ") for m in messages) == 8
    assert sum(m.endswith("has begun draining connections on 1 tasks.") for m in messages) == 4


def test_unhealthy_targets_are_replaced_after_grace_and_trip_the_breaker(ecs, cloud, load_balanced):
    lb = load_balanced
    bad = web_definition(ecs, "fargatelab/web:unhealthy")
    lb["elb"].modify_target_group_attributes(TargetGroupArn=lb["tg"], Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])
    ecs.create_service(cluster="talk", serviceName="web", taskDefinition=lb["v1"], desiredCount=2,
                       launchType="FARGATE", networkConfiguration=lb["net"], healthCheckGracePeriodSeconds=60,
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}},
                       loadBalancers=[{"targetGroupArn": lb["tg"], "containerName": "web", "containerPort": 80}])
    ecs.get_waiter("services_stable").wait(cluster="talk", services=["web"])
    cloud.advance(60)
    good = ecs.describe_services(cluster="talk", services=["web"])["services"][0]["deployments"][0]["id"]
    ecs.update_service(cluster="talk", service="web", taskDefinition=bad)
    ecs.get_waiter("services_stable").wait(cluster="talk", services=["web"])
    s = ecs.describe_services(cluster="talk", services=["web"])["services"][0]
    assert s["deployments"][0]["id"] == good
    messages = [e["message"] for e in s["events"]]
    unhealthy = [m for m in messages if "is unhealthy in (target-group" in m]
    assert len(unhealthy) >= 3  # tasks that fail together are all reported
    assert "due to (reason Health checks failed with these codes: [500])" in unhealthy[0]
    stopped = ecs.list_tasks(cluster="talk", serviceName="web", desiredStatus="STOPPED")["taskArns"]
    reasons = {t["stoppedReason"] for t in ecs.describe_tasks(cluster="talk", tasks=stopped)["tasks"]}
    assert f"Task failed ELB health checks in (target-group {lb['tg']})" in reasons
    # the grace period held the first unhealthy verdict back until 60 s after start
    assert any("Amazon ECS replaced 1 tasks due to an unhealthy status." in m for m in messages)
