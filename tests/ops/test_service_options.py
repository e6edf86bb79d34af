"""ServiceOptions: the flags of `service up|create` as one frozen object, checked when made.

The checks keep the CLI's one-line messages (the flag named); the keyword arguments of before still
work and make the same AWS calls as the object, against the local cloud on its virtual clock.
"""
from __future__ import annotations

import dataclasses
import random

import boto3
import pytest

from fargate_lab import local
from fargate_lab.ops import cluster as cluster_ops
from fargate_lab.ops import services
from fargate_lab.ops.errors import OpsError
from fargate_lab.ops.service_options import merged
from fargate_lab.ops.services import CreateKeywords, ServiceOptions, UpKeywords
from tests.ops.test_ops_services import PARAMS

TARGET_GROUP = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"


# ---------------------------------------------------------------------------------- the object

def test_the_defaults_are_the_clis():
    options = ServiceOptions()
    assert (options.desired_count, options.max_percent, options.min_healthy_percent) == (None, None, None)
    assert options.circuit_breaker and options.rollback and options.create_log_groups
    assert not (options.create_load_balancer or options.force_deployment)
    assert (options.timeout_minutes, options.launch_type, options.tags) == (5.0, "FARGATE", None)


def test_it_is_frozen_and_hashable_with_tags():
    options = ServiceOptions(desired_count=3, tags={"team": "web"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.desired_count = 4   # type: ignore[misc]
    assert hash(options) == hash(ServiceOptions(desired_count=3, tags={"team": "other"}))
    assert options != ServiceOptions(desired_count=3, tags={"team": "other"})


@pytest.mark.parametrize(("flags", "message"), [
    ({"desired_count": -1}, "desired count -1: must be 0 or more"),
    ({"min_healthy_percent": 150}, "--deployment-min-healthy-percent 150: must be between 0 and 100"),
    ({"min_healthy_percent": -1}, "--deployment-min-healthy-percent -1: must be between 0 and 100"),
    ({"max_percent": 50}, "--deployment-max-percent 50: must be at least 100 (ECS's minimum)"),
    ({"max_percent": 500}, "--deployment-max-percent 500: must be at most 400"),
    ({"max_percent": 100, "min_healthy_percent": 100},
     "--deployment-max-percent 100 with --deployment-min-healthy-percent 100 leaves ECS no room to replace a task: "
     "lower the minimum or raise the maximum"),
    ({"target_group_arn": TARGET_GROUP, "create_load_balancer": True},
     "--target-group-arn and --create-load-balancer are exclusive: use one"),
    ({"target_group_arn": TARGET_GROUP, "container_name": "web"},
     "--target-group-arn needs --container-name and --container-port"),
    ({"container_name": "web"}, "--container-name/--container-port need --target-group-arn or --create-load-balancer"),
    ({"container_port": 80}, "--container-name/--container-port need --target-group-arn or --create-load-balancer"),
])
def test_impossible_flags_are_refused_when_made_with_the_clis_message(flags, message):
    with pytest.raises(OpsError) as refused:
        ServiceOptions(**flags)
    assert str(refused.value) == message
    with pytest.raises(OpsError, match="^" + message.split(":")[0]):
        dataclasses.replace(ServiceOptions(), **flags)   # replace makes a new one: checked again


@pytest.mark.parametrize("flags", [
    {"desired_count": 0, "max_percent": 400, "min_healthy_percent": 0},
    {"max_percent": 100, "min_healthy_percent": 50},
    {"create_load_balancer": True},                                      # the container and port are guessed
    {"create_load_balancer": True, "container_name": "web", "container_port": 80},
    {"target_group_arn": TARGET_GROUP, "container_name": "web", "container_port": 80},
])
def test_possible_flags_are_kept(flags):
    options = ServiceOptions(**flags)
    assert {name: getattr(options, name) for name in flags} == flags


def test_the_keywords_of_before_replace_fields():
    base = ServiceOptions(desired_count=2, create_load_balancer=True)
    made = merged("service_up", UpKeywords.__optional_keys__, base, {"desired": 5, "max_percent": 150})
    assert made == ServiceOptions(desired_count=5, create_load_balancer=True, max_percent=150)
    assert merged("service_up", UpKeywords.__optional_keys__, None, {}) == ServiceOptions()
    assert "desired" not in CreateKeywords.__optional_keys__ <= UpKeywords.__optional_keys__


def test_a_keyword_never_taken_is_pythons_type_error():
    with pytest.raises(TypeError, match=r"^service_create\(\) got an unexpected keyword argument 'desired'$"):
        merged("service_create", CreateKeywords.__optional_keys__, None, {"desired": 3})
    with pytest.raises(TypeError, match="unexpected keyword argument 'desired_count'"):
        services.service_up(None, "c", "p", ["docker-compose.yml"], desired_count=3)


def test_service_create_refuses_a_desired_count():
    with pytest.raises(OpsError, match=r"^desired count 3: `service create` makes the service with 0 tasks"):
        services.service_create(None, "c", "p", ["docker-compose.yml"], options=ServiceOptions(desired_count=3))


# ---------------------------------------------------------------------------------- the same calls

def calls_of(folder, deploy) -> tuple[list[tuple[str, dict]], object]:
    """Every AWS call (operation, parameters) that `deploy(session, cloud, compose_files, ecs_params)` makes on a
    fresh cloud, and what it returned. The cloud and moto's `random` are seeded: the same calls, the same ids."""
    (folder / "docker-compose.yml").write_text("services:\n  web:\n    image: fargatelab/web:v1\n"
                                               "    ports: ['80:80']\n")
    (folder / "ecs-params.yml").write_text(PARAMS)
    random.seed(0)
    cloud = local.start(seed=0)
    try:
        session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="testing",
                                        aws_secret_access_key="testing")
        cluster_ops.up(session, "lab", say=lambda _: None)
        calls: list[tuple[str, dict]] = []
        session.events.register("provide-client-params.*.*",
                                lambda params, model, **_: calls.append((model.name, dict(params))))
        returned = deploy(session, cloud, [str(folder / "docker-compose.yml")], str(folder / "ecs-params.yml"))
        return calls, returned
    finally:
        cloud.stop()


def waits(cloud) -> dict:
    return {"sleep": cloud.sleep, "clock": cloud.clock.now, "poll_seconds": 5, "say": lambda _: None}


def test_service_up_makes_the_same_calls_with_keywords_and_with_options(tmp_path):
    def with_keywords(session, cloud, files, params):
        first = services.service_up(session, "lab", "kw", files, params, desired=2, create_load_balancer=True,
                                    deregistration_delay=5, max_percent=150, min_healthy_percent=50,
                                    tags={"team": "web"}, **waits(cloud))
        again = services.service_up(session, "lab", "kw", files, params, desired=3, force_deployment=True,
                                    circuit_breaker=False, timeout_minutes=0, **waits(cloud))
        return first, again

    def with_options(session, cloud, files, params):
        first = services.service_up(session, "lab", "kw", files, params, options=ServiceOptions(
            desired_count=2, create_load_balancer=True, deregistration_delay=5, max_percent=150,
            min_healthy_percent=50, tags={"team": "web"}), **waits(cloud))
        again = services.service_up(session, "lab", "kw", files, params, options=ServiceOptions(
            desired_count=3, force_deployment=True, circuit_breaker=False, timeout_minutes=0), **waits(cloud))
        return first, again

    old_calls, (old_first, old_again) = calls_of(tmp_path, with_keywords)
    new_calls, (new_first, new_again) = calls_of(tmp_path, with_options)
    assert [name for name, _ in new_calls] == [name for name, _ in old_calls]
    assert new_calls == old_calls
    assert "CreateLoadBalancer" in dict(old_calls) and "UpdateService" in dict(old_calls)
    created = dict(old_calls)["CreateService"]
    assert created["desiredCount"] == 2 and created["deploymentConfiguration"] == {
        "maximumPercent": 150, "minimumHealthyPercent": 50,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    updated = dict(old_calls)["UpdateService"]
    assert updated["desiredCount"] == 3 and updated["forceNewDeployment"]
    assert updated["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": False, "rollback": False}
    assert (old_first.outcome, old_again.outcome) == (new_first.outcome, new_again.outcome) == ("COMPLETED",
                                                                                                  "NOT_WAITED")
    assert dataclasses.replace(old_first, snapshot=None) == dataclasses.replace(new_first, snapshot=None)


def test_service_create_makes_the_same_calls_with_keywords_and_with_options(tmp_path):
    def with_keywords(session, cloud, files, params):
        return services.service_create(session, "lab", "made", files, params, max_percent=200,
                                       create_load_balancer=True, container_name="web", container_port=80,
                                       rollback=False, tags={"team": "web"}, say=lambda _: None)

    def with_options(session, cloud, files, params):
        return services.service_create(session, "lab", "made", files, params, say=lambda _: None,
                                       options=ServiceOptions(max_percent=200, create_load_balancer=True,
                                                              container_name="web", container_port=80,
                                                              rollback=False, tags={"team": "web"}))

    old_calls, old = calls_of(tmp_path, with_keywords)
    new_calls, new = calls_of(tmp_path, with_options)
    assert new_calls == old_calls and new == old
    created = dict(old_calls)["CreateService"]
    assert created["desiredCount"] == 0 and created["loadBalancers"][0]["containerPort"] == 80
    assert {"key": "team", "value": "web"} in created["tags"]
