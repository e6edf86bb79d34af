"""The deployment view of a strategy that moves traffic, from answers shaped as botocore parses
DescribeServiceDeployments (timestamps as timezone-aware datetimes), and the load balancer's rates
read from the local cloud's CloudWatch on the cloud's clock."""
from __future__ import annotations

import datetime as dt

import boto3
from rich.console import Console

from fargate_lab.ops.traffic_watch import (AlbMinute, TrafficReader, alb_dimension, bake_phase, latest_minute,
                                           traffic_lines, verdict, view_of)
from fargate_lab.ops.watch import DeploymentRow, DeploymentSnapshot, plain_lines, snapshot_renderable

T0 = dt.datetime(2026, 12, 1, 10, 0, 0, tzinfo=dt.timezone.utc)
ARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/lab/web/7781938645310492791"
TARGET = "arn:aws:ecs:us-east-1:123456789012:service-revision/lab/web/7781938645310492791"
SOURCE = "arn:aws:ecs:us-east-1:123456789012:service-revision/lab/web/1120044391276115022"
PAUSE = {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"],
         "timeoutConfiguration": {"timeoutInMinutes": 60, "action": "ROLLBACK"}}


def recorded(**changes) -> dict:
    """One `serviceDeployments[]` member of DescribeServiceDeployments, as botocore returns it."""
    deployment = {
        "serviceDeploymentArn": ARN, "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/lab/web",
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/lab", "createdAt": T0, "startedAt": T0,
        "updatedAt": T0 + dt.timedelta(minutes=3),
        "sourceServiceRevisions": [{"arn": SOURCE, "requestedTaskCount": 2, "runningTaskCount": 2,
                                    "pendingTaskCount": 0, "requestedTestTrafficWeight": 0.0,
                                    "requestedProductionTrafficWeight": 80.0}],
        "targetServiceRevision": {"arn": TARGET, "requestedTaskCount": 2, "runningTaskCount": 2,
                                  "pendingTaskCount": 0, "requestedTestTrafficWeight": 100.0,
                                  "requestedProductionTrafficWeight": 20.0},
        "status": "IN_PROGRESS", "lifecycleStage": "PRODUCTION_TRAFFIC_SHIFT",
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True}, "maximumPercent": 200,
            "minimumHealthyPercent": 100, "strategy": "CANARY", "bakeTimeInMinutes": 2,
            "canaryConfiguration": {"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 5}},
        "deploymentCircuitBreaker": {"status": "MONITORING", "failureCount": 0, "threshold": 3},
    }
    deployment.update(changes)
    return deployment


def test_a_canary_shift_shows_its_stage_split_and_bake_estimate():
    view = view_of(recorded(), phase_seen_at=T0, now=T0 + dt.timedelta(seconds=90))
    assert (view.strategy, view.stage, view.new_weight, view.old_weight, view.test_weight) == (
        "CANARY", "PRODUCTION_TRAFFIC_SHIFT", 20.0, 80.0, 100.0)
    assert (view.bake, view.bake_left) == ("canary bake", 210.0)
    assert traffic_lines(view) == [
        "canary 7781938645310492791: IN_PROGRESS, stage PRODUCTION_TRAFFIC_SHIFT",
        "production traffic: new 20%, old 80%; test traffic: new 100%",
        "canary bake: about 3m30s left (an estimate, from when this view saw it begin)"]


def test_the_bakes_each_strategy_times():
    assert bake_phase(recorded(lifecycleStage="BAKE_TIME")) == ("bake time", 2.0)
    assert bake_phase(recorded(lifecycleStage="SCALE_UP")) is None
    linear = recorded(deploymentConfiguration={"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 10.0}})
    assert bake_phase(linear) == ("step bake", 6.0)   # ECS's default step bake
    full = recorded(targetServiceRevision={"arn": TARGET, "requestedProductionTrafficWeight": 100.0})
    assert bake_phase(full) is None   # no step bake after 100 %
    blue_green = recorded(lifecycleStage="BAKE_TIME", deploymentConfiguration={"strategy": "BLUE_GREEN"})
    assert bake_phase(blue_green) is None   # no bake time in the answer: no countdown
    late = view_of(recorded(lifecycleStage="BAKE_TIME"), phase_seen_at=T0, now=T0 + dt.timedelta(minutes=9))
    assert late.bake_left == 0.0
    assert view_of(recorded()).bake_left is None   # never seen begin: no estimate


def test_a_pause_before_production_traffic_says_what_to_run():
    expires = dt.datetime(2026, 12, 1, 11, 0, 0, tzinfo=dt.timezone.utc)
    paused = recorded(
        lifecycleStage="POST_TEST_TRAFFIC_SHIFT",
        targetServiceRevision={"arn": TARGET, "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0,
                               "requestedTestTrafficWeight": 100.0, "requestedProductionTrafficWeight": 0.0},
        sourceServiceRevisions=[{"arn": SOURCE, "requestedTaskCount": 2, "runningTaskCount": 2,
                                 "pendingTaskCount": 0, "requestedTestTrafficWeight": 0.0,
                                 "requestedProductionTrafficWeight": 100.0}],
        deploymentConfiguration={**recorded()["deploymentConfiguration"], "lifecycleHooks": [PAUSE]},
        lifecycleHookDetails=[{"hookId": "hook-1", "targetType": "PAUSE", "status": "AWAITING_ACTION",
                               "expiresAt": expires, "timeoutAction": "ROLLBACK"}])
    lines = traffic_lines(view_of(paused))
    assert lines[1] == "production traffic: new 0%, old 100%; test traffic: new 100%"
    assert lines[2:4] == [f"paused before production traffic until {expires.astimezone():%H:%M:%S}, then ECS does "
                          "ROLLBACK:", "  run `fargate-lab compose service continue` (or `... service rollback`)"]
    running = {**paused, "lifecycleHookDetails": [{**paused["lifecycleHookDetails"][0], "status": "SUCCEEDED"}]}
    assert not any(line.startswith("paused") for line in traffic_lines(view_of(running)))


def test_the_verdict_names_the_outcome_and_its_reason():
    rolled = view_of(recorded(status="ROLLBACK_SUCCESSFUL", lifecycleStage="CLEAN_UP",
                              statusReason="Service deployment rolled back because a lifecycle hook was "
                                           "continued with ROLLBACK."))
    assert verdict(rolled) == ("service deployment ROLLBACK_SUCCESSFUL: Service deployment rolled back because a "
                               "lifecycle hook was continued with ROLLBACK.")
    assert traffic_lines(rolled)[-1] == verdict(rolled)
    done = view_of(recorded(status="SUCCESSFUL", lifecycleStage="CLEAN_UP"), phase_seen_at=T0, now=T0)
    assert verdict(done) == "service deployment SUCCESSFUL"
    assert not any("left" in line for line in traffic_lines(done))


def test_the_load_balancer_line_gives_rates_per_second_and_the_5xx_share():
    alb = AlbMinute(T0, requests=600.0, target_5xx=170.0, elb_5xx=10.0)
    line = traffic_lines(view_of(recorded(), alb=alb))[-1]
    assert line == (f"load balancer, minute from {T0.astimezone():%H:%M}: 10.0 req/s, 5xx 30.0% "
                    "(target 170, load balancer 10)")
    assert AlbMinute(T0, 0.0, 0.0, 0.0).error_percent == 0.0


def snapshot(view) -> DeploymentSnapshot:
    rows = (DeploymentRow("ecs-svc/7781938645310492791", "PRIMARY", "IN_PROGRESS", 2, 2, 0, 0, "web:2"),
            DeploymentRow("ecs-svc/1120044391276115022", "ACTIVE", "COMPLETED", 2, 2, 0, 0, "web:1"))
    return DeploymentSnapshot("lab", "web", "ACTIVE", 2, 4, 0, rows, traffic=view)


def test_plain_lines_print_the_traffic_when_it_changes_not_when_the_countdown_ticks():
    first = snapshot(view_of(recorded(), phase_seen_at=T0, now=T0))
    later = snapshot(view_of(recorded(), phase_seen_at=T0, now=T0 + dt.timedelta(seconds=20)))
    shifted = snapshot(view_of(recorded(lifecycleStage="BAKE_TIME", targetServiceRevision={
        "arn": TARGET, "requestedProductionTrafficWeight": 100.0}), phase_seen_at=T0, now=T0))
    lines = plain_lines(None, first)
    assert "         production traffic: new 20%, old 80%; test traffic: new 100%" in lines
    assert plain_lines(first, later) == []
    assert "         bake time: about 2m00s left (an estimate, from when this view saw it begin)" in plain_lines(
        first, shifted)


def test_the_live_view_keeps_every_line_within_the_terminal():
    alb = AlbMinute(T0, requests=600.0, target_5xx=170.0, elb_5xx=10.0)
    view = view_of(recorded(lifecycleHookDetails=[{"hookId": "h", "targetType": "PAUSE", "status": "AWAITING_ACTION"}],
                            deploymentConfiguration={**recorded()["deploymentConfiguration"],
                                                     "lifecycleHooks": [PAUSE]}),
                   phase_seen_at=T0, now=T0, alb=alb)
    for width in (60, 80, 120):
        console = Console(width=width, record=True, color_system=None)
        console.print(snapshot_renderable(snapshot(view), width=width))
        text = console.export_text()
        assert "paused before production traffic:" in text
        assert "run `fargate-lab compose service continue`" in text
        assert max(len(line) for line in text.splitlines()) <= width


def test_alb_rates_come_from_cloudwatch_on_the_cloud_s_clock(cloud):
    """The window ends at the cloud's now: on the virtual clock, far from the wall clock's."""
    cloud.advance(3 * 3600)   # the cloud runs hours ahead of the wall
    lb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lab-web/50dc6c495c0c9188"
    assert alb_dimension(lb) == "app/lab-web/50dc6c495c0c9188"
    cloudwatch = boto3.client("cloudwatch")
    minute = cloud.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
    dims = [{"Name": "LoadBalancer", "Value": alb_dimension(lb)}]
    for name, value in (("RequestCount", 600.0), ("HTTPCode_Target_5XX_Count", 30.0)):
        cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
            {"MetricName": name, "Dimensions": dims, "Timestamp": minute, "Value": value, "Unit": "Count"}])
    read = latest_minute(cloudwatch, alb_dimension(lb), cloud.now())
    assert read is not None and (read.requests, read.target_5xx, read.elb_5xx) == (600.0, 30.0, 0.0)
    assert read.at == minute
    assert latest_minute(cloudwatch, alb_dimension(lb), dt.datetime.now(dt.timezone.utc)) is None   # the wall's


def test_a_rolling_service_gets_no_traffic_view(cloud):
    reader = TrafficReader(boto3.client("ecs"), now=cloud.now)
    assert reader.read({"deploymentConfiguration": {"strategy": "ROLLING"}}) is None
    assert reader.read({"deploymentConfiguration": {}}) is None
    assert reader.read(None) is None


def test_a_lent_clock_is_the_default_now(cloud):
    """What the in-process cloud may lend (as it lends its sleep): readers made without now= use it."""
    from fargate_lab.ops import traffic_watch
    cloud.advance(3600)
    traffic_watch.lend_now(cloud.now)
    try:
        assert TrafficReader(boto3.client("ecs")).now() == cloud.now()
    finally:
        traffic_watch.lend_now(None)
    assert abs((traffic_watch.cloud_now() - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
