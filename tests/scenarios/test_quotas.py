"""ECS's quotas on what requests can make the local cloud keep, seen through boto3.

Sizes that are cheap to reach are tested at AWS's own values (a 64 KiB task definition, 8,192
characters of RunTask overrides); counts that would take minutes to reach (10,000 clusters, 5,000
services, 1,000,000 revisions) at a lowered quota on the same code path. Each refusal is AWS's
error code with a one-line message, and leaves nothing made.
"""
from __future__ import annotations

import dataclasses

import pytest
from botocore.exceptions import ClientError

from fargate_lab.engine.ecs import Quotas

from tests.conftest import network, web_definition


def refused(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call(**params)
    error = e.value.response["Error"]
    assert "\n" not in error["Message"] and "internal error" not in error["Message"]
    return error["Code"], error["Message"]


def lower(cloud, **quotas) -> None:
    cloud.engine.quotas = dataclasses.replace(Quotas(), **quotas)


def test_a_task_definition_over_64_kib_is_refused_as_aws_does(ecs):
    def register(size: int):
        return dict(family="big", requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256",
                    memory="512", containerDefinitions=[{"name": "web", "image": "fargatelab/web:v1",
                                                         "environment": [{"name": "PAD", "value": "x" * size}]}])
    assert ecs.register_task_definition(**register(60_000))["taskDefinition"]["revision"] == 1
    code, message = refused(ecs.register_task_definition, **register(66_000))
    assert code == "ClientException"
    assert message.startswith("Actual length: '") and message.endswith("'. Max allowed length is '65536' bytes.")
    assert int(message.split("'")[1]) > 65_536
    assert [d.rsplit("/", 1)[1] for d in ecs.list_task_definitions(familyPrefix="big")["taskDefinitionArns"]] \
        == ["big:1"]


def test_run_task_overrides_over_8192_characters_are_refused(ecs, subnets):
    td = web_definition(ecs)
    common = dict(cluster="default", taskDefinition=td, launchType="FARGATE", networkConfiguration=network(subnets))
    ecs.create_cluster(clusterName="default")

    def overrides(n: int) -> dict:
        return {"containerOverrides": [{"name": "web", "environment": [{"name": "PAD", "value": "x" * n}]}]}
    assert ecs.run_task(**common, overrides=overrides(8_000))["tasks"]
    code, message = refused(ecs.run_task, **common, overrides=overrides(8_200))
    assert (code, message) == ("InvalidParameterException", "Container Overrides length must be at most 8192")
    assert len(ecs.list_tasks(cluster="default")["taskArns"]) == 1


def test_clusters_per_region(cloud, ecs):
    lower(cloud, clusters_per_region=3)
    for name in ("a", "b", "c"):
        ecs.create_cluster(clusterName=name)
    assert ecs.create_cluster(clusterName="a")["cluster"]["status"] == "ACTIVE"   # idempotent: no new cluster
    code, message = refused(ecs.create_cluster, clusterName="d")
    assert code == "ClientException" and "limit of 3 clusters in us-east-1" in message
    ecs.delete_cluster(cluster="c")                                              # room again
    assert ecs.create_cluster(clusterName="d")["cluster"]["status"] == "ACTIVE"
    assert sorted(a.rsplit("/", 1)[1] for a in ecs.list_clusters()["clusterArns"]) == ["a", "b", "d"]


def test_services_per_cluster(cloud, ecs, subnets):
    lower(cloud, services_per_cluster=2)
    ecs.create_cluster(clusterName="c")
    td = web_definition(ecs)
    make = dict(cluster="c", taskDefinition=td, desiredCount=0, launchType="FARGATE",
                networkConfiguration=network(subnets))
    for name in ("one", "two"):
        ecs.create_service(serviceName=name, **make)
    code, message = refused(ecs.create_service, serviceName="three", **make)
    assert code == "ClientException" and message.startswith("Cluster c has reached the limit of 2 services")
    assert len(ecs.list_services(cluster="c")["serviceArns"]) == 2
    ecs.delete_service(cluster="c", service="two")
    assert refused(ecs.create_service, serviceName="three", **make)[0] == "ClientException"   # DRAINING counts
    ecs.get_waiter("services_inactive").wait(cluster="c", services=["two"])
    assert ecs.create_service(serviceName="three", **make)["service"]["status"] == "ACTIVE"


def test_revisions_per_family_count_deregistered_ones(cloud, ecs):
    lower(cloud, revisions_per_family=2)
    first = web_definition(ecs, family="fam")
    web_definition(ecs, family="fam")
    ecs.deregister_task_definition(taskDefinition=first)
    code, message = refused(ecs.register_task_definition, family="fam", containerDefinitions=[
        {"name": "web", "image": "fargatelab/web:v1", "memory": 512}])
    assert code == "LimitExceededException" and "limit of 2 revisions" in message
    assert web_definition(ecs, family="other").endswith("other:1")
