"""Synthetic traffic and the ALB metrics it produces: counts that add up, weights, fail-open, 503s,
and datums that botocore accepts as PutMetricData input."""
from __future__ import annotations

import botocore.session
import pytest
from botocore.validate import ParamValidator

from fargate_lab.engine.catalog import ResponseProfile
from fargate_lab.engine.records import ServedTarget as Target
from fargate_lab.traffic.load import (NAMESPACE, Listener, LoadGenerator, MetricBook,
                                      load_balancer_dimension, target_group_dimension)
from fargate_lab.traffic.routing import Action, Rule

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"
BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/73e2d6bc24d8a067"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef"
LB = load_balancer_dimension(LB_ARN)
V1, V2 = ResponseProfile("v1"), ResponseProfile("v2", error_rate=0.3)


def listener(weights: dict[str, int], rate: float = 10.0) -> Listener:
    action = Action("forward", tuple(weights.items()))
    return Listener(LB, "web-1.us-east-1.elb.amazonaws.com", (Rule(float("inf"), (), action),), rate)


def targets(group: str, n: int, state: str = "healthy", profile: ResponseProfile = V1, revision: str = "web:1"):
    return [Target(f"10.0.{group[-1:]}.{i}:80", state, profile, revision) for i in range(n)]


def totals(datums: list[dict], metric: str, group: str | None = None) -> float:
    wanted = [{"Name": "LoadBalancer", "Value": LB}] + (
        [{"Name": "TargetGroup", "Value": target_group_dimension(group)}] if group else [])
    return sum(d["StatisticValues"]["Sum"] for d in datums if d["MetricName"] == metric and d["Dimensions"] == wanted)


def run(minutes: int, listeners, members, seed: int = 0, tick: float = 0.7) -> list[dict]:
    book, generator, now = MetricBook(), LoadGenerator(seed), 0.0
    while now < minutes * 60:
        step = min(tick, minutes * 60 - now)
        generator.run(now, step, listeners, members, book)
        now += step
    return book.datums_before(now)


def test_dimensions_are_the_ends_of_the_arns():
    assert LB == "app/web/50dc6c495c0c9188"
    assert target_group_dimension(BLUE) == "targetgroup/blue/73e2d6bc24d8a067"


def test_the_rate_is_kept_exactly_and_every_request_is_answered_once():
    datums = run(3, [listener({BLUE: 1}, rate=2.5)], {BLUE: targets(BLUE, 3)})
    assert totals(datums, "RequestCount") == 450          # 2.5 a second for 180 s, ticks of 0.7 s
    assert totals(datums, "RequestCount", BLUE) == 450
    assert totals(datums, "HTTPCode_Target_2XX_Count") == 450
    per_minute = sorted({d["Timestamp"] for d in datums})
    assert len(per_minute) == 3 and all(t.second == 0 for t in per_minute)


def test_weights_split_the_requests_and_errors_come_from_the_bad_revision():
    members = {BLUE: targets(BLUE, 4), GREEN: targets(GREEN, 4, profile=V2, revision="web:2")}
    datums = run(10, [listener({BLUE: 90, GREEN: 10})], members)
    total = totals(datums, "RequestCount")
    green = totals(datums, "RequestCount", GREEN)
    assert total == 6000 and totals(datums, "RequestCount", BLUE) + green == total
    assert 0.08 < green / total < 0.12
    errors = totals(datums, "HTTPCode_Target_5XX_Count")
    assert errors == totals(datums, "HTTPCode_Target_5XX_Count", GREEN)   # only v2 fails
    assert 0.25 < errors / green < 0.35


def test_no_routable_target_is_a_503_and_all_unhealthy_fails_open():
    starting = run(1, [listener({BLUE: 1})], {BLUE: targets(BLUE, 2, state="initial")})
    assert totals(starting, "HTTPCode_ELB_503_Count") == 600 == totals(starting, "HTTPCode_ELB_5XX_Count")
    assert totals(starting, "HTTPCode_Target_2XX_Count") == 0

    sick = run(1, [listener({BLUE: 1})], {BLUE: targets(BLUE, 2, state="unhealthy")})
    assert totals(sick, "HTTPCode_Target_2XX_Count") == 600            # fail open: the targets still answer
    assert totals(sick, "UnHealthyHostCount", BLUE) / 86 == pytest.approx(2.0)   # 86 ticks, 2 each


def test_draining_targets_get_no_new_requests():
    members = {BLUE: targets(BLUE, 2, state="draining", revision="web:1") + targets(GREEN, 2, revision="web:2")}
    book, generator = MetricBook(), LoadGenerator(0)
    generator.run(0.0, 60.0, [listener({BLUE: 1})], members, book)
    assert set(book.revision_series(LB)[0]) == {"web:2"}
    assert book.revision_series(LB)[0]["web:2"].requests == 600
    assert book.revision_series("app/other/1") == {0: {}}


def test_same_seed_same_datums_other_seed_other_latencies():
    members = {BLUE: targets(BLUE, 3), GREEN: targets(GREEN, 3, profile=V2)}
    first = run(2, [listener({BLUE: 50, GREEN: 50})], members, seed=3)
    assert first == run(2, [listener({BLUE: 50, GREEN: 50})], members, seed=3)
    assert first != run(2, [listener({BLUE: 50, GREEN: 50})], members, seed=4)


def test_datums_are_valid_put_metric_data_input():
    datums = run(2, [listener({BLUE: 80, GREEN: 20})], {BLUE: targets(BLUE, 2), GREEN: targets(GREEN, 1, profile=V2)})
    model = botocore.session.get_session().get_service_model("cloudwatch")
    shape = model.operation_model("PutMetricData").input_shape
    report = ParamValidator().validate({"Namespace": NAMESPACE, "MetricData": datums}, shape)
    assert not report.has_errors(), report.generate_report()
    names = {d["MetricName"] for d in datums}
    assert names == {"RequestCount", "HTTPCode_Target_2XX_Count", "HTTPCode_Target_5XX_Count",
                     "TargetResponseTime", "HealthyHostCount", "UnHealthyHostCount"}
    latency = [d for d in datums if d["MetricName"] == "TargetResponseTime"]
    assert all(d["Unit"] == "Seconds" and 0 < d["StatisticValues"]["Minimum"] < 1 for d in latency)
