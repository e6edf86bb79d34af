"""ALB routing from listener rules as ELBv2 returns them (moto through boto3), not hand-written dicts."""
from __future__ import annotations

import random
from collections import Counter

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fargate_lab.traffic.routing import Action, Request, Rule, first_match, routable
from tests.conftest import cloud, ec2, subnets  # noqa: F401  (fixtures)


@pytest.fixture
def alb(cloud, ec2, subnets):
    elbv2 = boto3.client("elbv2")
    vpc = ec2.describe_subnets(SubnetIds=subnets)["Subnets"][0]["VpcId"]
    lb = elbv2.create_load_balancer(Name="web", Subnets=subnets, Type="application")["LoadBalancers"][0]

    def group(name):
        return elbv2.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc,
                                         TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]

    blue, green, api = group("blue"), group("green"), group("api")
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response",
                         "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}],
    )["Listeners"][0]["ListenerArn"]
    elbv2.create_rule(ListenerArn=listener, Priority=10,
                      Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
                      Actions=[{"Type": "forward", "TargetGroupArn": api}])
    elbv2.create_rule(ListenerArn=listener, Priority=20,
                      Conditions=[{"Field": "host-header", "Values": ["*.example.com"]}],
                      Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
                          {"TargetGroupArn": blue, "Weight": 90}, {"TargetGroupArn": green, "Weight": 10}]}}])
    rules = [Rule.from_api(r) for r in elbv2.describe_rules(ListenerArn=listener)["Rules"]]
    return rules, {"blue": blue, "green": green, "api": api}


def test_rules_from_elbv2_route_by_priority_path_and_host(alb):
    rules, groups = alb
    api = first_match(rules, Request(host="shop.example.com", path="/api/orders"))
    assert api is not None and api.kind == "forward" and api.weights() == {groups["api"]: 100.0}
    weighted = first_match(rules, Request(host="SHOP.Example.com", path="/"))   # host is case-insensitive
    assert weighted is not None and weighted.weights() == {groups["blue"]: 90.0, groups["green"]: 10.0}
    fallback = first_match(rules, Request(host="other.test", path="/API/orders"))  # path is case-sensitive
    assert fallback is not None and (fallback.kind, fallback.status) == ("fixed-response", 404)


def test_a_weighted_forward_splits_requests_by_weight(alb):
    rules, groups = alb
    action = first_match(rules, Request(host="a.example.com"))
    assert action is not None
    rng = random.Random(7)
    counts = Counter(action.pick_target_group(rng) for _ in range(20_000))
    assert set(counts) == {groups["blue"], groups["green"]}
    assert 0.085 < counts[groups["green"]] / 20_000 < 0.115


def test_weight_zero_gets_nothing_and_all_zero_is_no_group():
    action = Action("forward", (("blue", 100), ("green", 0)))
    rng = random.Random(1)
    assert {action.pick_target_group(rng) for _ in range(500)} == {"blue"}
    assert Action("forward", (("blue", 0), ("green", 0))).pick_target_group(rng) is None


def test_wildcards_are_alb_wildcards_only():
    rule = Rule.from_api({"Priority": "1", "Conditions": [{"Field": "path-pattern", "Values": ["/img/?.png"]}],
                          "Actions": [{"Type": "forward", "TargetGroupArn": "tg"}]})
    assert rule.matches(Request("h", "/img/a.png"))
    assert not rule.matches(Request("h", "/img/ab.png"))
    literal = Rule.from_api({"Priority": "1", "Conditions": [{"Field": "path-pattern", "Values": ["/[a]"]}],
                             "Actions": [{"Type": "forward", "TargetGroupArn": "tg"}]})
    assert literal.matches(Request("h", "/[a]")) and not literal.matches(Request("h", "/a"))


states = st.dictionaries(st.text("abcdef", min_size=1, max_size=3),
                         st.sampled_from(["healthy", "initial", "unhealthy", "draining", "unused", "unavailable"]),
                         max_size=8)


@settings(max_examples=300, deadline=None)
@given(states)
def test_routable_targets(health):
    chosen = routable(health)
    assert all(health[t] in ("healthy", "unhealthy") for t in chosen)      # never draining or initial
    if any(s == "healthy" for s in health.values()):
        assert sorted(chosen) == sorted(t for t, s in health.items() if s == "healthy")
    else:   # fail open
        assert sorted(chosen) == sorted(t for t, s in health.items() if s == "unhealthy")
