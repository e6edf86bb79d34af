"""Malformed ECS requests, as the issue's outside tester sent them: boto3 with its own parameter
validation off (so the request reaches the wire as typed), and raw bodies for what boto3 cannot send.

Each is answered before the engine with the error AWS's protocol and model allow, a one-line message
that starts with the member's path and says what to send, and nothing is made.
"""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from fargate_lab.wire.ecs_json import TARGET_PREFIX

from tests.conftest import network, web_definition

SERVICE = dict(cluster="c", serviceName="s", desiredCount=1, launchType="FARGATE")
CONTAINERS = [{"name": "web", "image": "fargatelab/web:v1"}]

# (operation, parameters, error code, the message's start)
CASES = [
    ("create_service", {**SERVICE, "desiredCount": 10**12}, "InvalidParameterException",
     "desiredCount: 1000000000000 is above the 5,000 tasks a service can run"),
    ("create_service", {**SERVICE, "desiredCount": 1.5}, "SerializationException",
     "desiredCount: expected a whole number, got 1.5"),
    ("create_service", {**SERVICE, "desiredCount": True}, "SerializationException",
     "desiredCount: expected a whole number, got true"),
    ("create_service", {**SERVICE, "desiredCount": -1}, "InvalidParameterException", "desiredCount:"),
    ("update_service", {"cluster": "c", "service": "s", "desiredCount": 10**12}, "InvalidParameterException",
     "desiredCount: 1000000000000 is above the 5,000"),
    ("create_service", {k: v for k, v in SERVICE.items() if k != "serviceName"}, "InvalidParameterException",
     "serviceName: missing; CreateService needs it"),
    ("create_service", {**SERVICE, "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"] * 17}}},
     "InvalidParameterException", "networkConfiguration.awsvpcConfiguration.subnets: 17 items is above the 16"),
    ("create_service", {**SERVICE, "networkConfiguration": {"awsvpcConfiguration": {
        "subnets": ["s"], "securityGroups": ["g"] * 6}}}, "InvalidParameterException",
     "networkConfiguration.awsvpcConfiguration.securityGroups: 6 items"),
    ("create_service", {**SERVICE, "taskDefinition": None}, "InvalidParameterException",
     "taskDefinition is required for services that use the ECS deployment controller"),
    ("create_service", {**SERVICE, "serviceName": 7}, "SerializationException", "serviceName: expected a string"),
    ("create_service", {**SERVICE, "launchType": "LAMBDA"}, "InvalidParameterException",
     'launchType: "LAMBDA" should be one of'),
    ("register_task_definition", {"containerDefinitions": CONTAINERS}, "ClientException",
     "family: missing; RegisterTaskDefinition needs it"),
    ("register_task_definition", {"family": "f"}, "ClientException", "containerDefinitions: missing"),
    ("register_task_definition", {"family": "f", "containerDefinitions": CONTAINERS * 11}, "ClientException",
     "containerDefinitions: 11 items"),
    ("register_task_definition", {"family": 5, "containerDefinitions": CONTAINERS}, "SerializationException",
     "family: expected a string, got 5"),
    ("register_task_definition", {"family": "f", "containerDefinitions": [
        {"name": "web", "image": "x", "portMappings": [{"containerPort": "eighty"}]}]}, "SerializationException",
     "containerDefinitions[0].portMappings[0].containerPort: expected a whole number"),
    ("run_task", {"cluster": "c", "taskDefinition": "web", "count": 11}, "InvalidParameterException",
     "count: 11 is above the 10 tasks one RunTask call can start"),
    ("run_task", {"cluster": "c", "taskDefinition": "web", "launchType": "FOO"}, "InvalidParameterException",
     'launchType: "FOO" should be one of'),
    ("describe_tasks", {"cluster": "c"}, "InvalidParameterException", "tasks: missing"),
    ("describe_tasks", {"cluster": "c", "tasks": ["t"] * 101}, "InvalidParameterException", "tasks: 101 items"),
    ("describe_services", {"cluster": "c", "services": ["a"] * 11}, "InvalidParameterException",
     "services: 11 items is above the 10"),
    ("describe_clusters", {"clusters": ["x"] * 500}, "InvalidParameterException", "clusters: 500 items"),
    ("list_tasks", {"cluster": "c", "desiredStatus": "FOO"}, "InvalidParameterException",
     'desiredStatus: "FOO" should be one of'),
    ("tag_resource", {"resourceArn": "arn:aws:ecs:us-east-1:123456789012:cluster/c",
                      "tags": [{"key": f"k{i}", "value": "v"} for i in range(51)]}, "InvalidParameterException",
     "tags: 51 items"),
]


@pytest.fixture
def loose(cloud, subnets):
    """A boto3 ECS client that sends what it is given (the issue's tester), and a cluster to aim at."""
    client = boto3.client("ecs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    client.create_cluster(clusterName="c")
    return client


@pytest.mark.parametrize("operation,params,code,start", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_malformed_request_gets_a_modeled_error_naming_the_field(loose, cloud, subnets, operation, params, code,
                                                                   start):
    if operation in ("create_service", "run_task"):
        params = {"taskDefinition": web_definition(loose), "networkConfiguration": network(subnets), **params}
        params = {k: v for k, v in params.items() if v is not None}   # None: the member left out
    before = snapshot(loose)
    with pytest.raises(ClientError) as refused:
        getattr(loose, operation)(**params)
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (error["Code"], error["Message"][:len(start)]) == (code, start), error
    assert "\n" not in error["Message"] and "internal error" not in error["Message"]
    assert snapshot(loose) == before   # nothing half made
    cloud.advance(60)                  # and the engine has nothing to chew on
    assert snapshot(loose) == before


def snapshot(ecs) -> tuple:
    return (ecs.list_services(cluster="c")["serviceArns"], ecs.list_tasks(cluster="c")["taskArns"],
            ecs.list_task_definitions()["taskDefinitionArns"], ecs.list_clusters()["clusterArns"])


@pytest.mark.parametrize("operation,body,start", [
    # a string where a list belongs (boto3 without validation would split it into letters itself)
    ("DescribeClusters", b'{"clusters": "probe"}', 'clusters: expected a JSON list, got the string "probe"'),
    ("RegisterTaskDefinition", b'{"family": "f", "containerDefinitions": [{"name": "w", "image": "x", '
                               b'"portMappings": "80"}]}', "containerDefinitions[0].portMappings: expected a JSON list"),
    ("CreateService", b"[1, 2]", "request body: expected a JSON object of CreateService's parameters, got a list"),
    ("CreateService", b'"a string"', "request body: expected a JSON object of CreateService's parameters, got the string"),
    ("CreateService", b"{bad json", "request body: not valid JSON"),
    ("CreateService", b"[" * 10_000 + b"]" * 10_000, "request body: JSON nested deeper than 64 levels"),
    ("CreateService", b'{"desiredCount": NaN}', "request body: not valid JSON"),
])
def test_a_body_that_is_not_a_request_is_a_serialization_error(cloud, operation, body, start):
    status, _, answer = cloud.wire.handle("us-east-1", TARGET_PREFIX + operation, body)
    doc = json.loads(answer)
    assert (status, doc["__type"], doc["message"][:len(start)]) == (400, "SerializationException", start), doc
