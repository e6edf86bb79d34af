"""Shared fixtures: a local cloud per test, with every ECS response checked
against botocore's output shape (enums and ECS vocabularies included)."""
from __future__ import annotations

import os
import tempfile

import boto3
import pytest

# Every local cloud started by the tests checks each ECS response against botocore's
# output shape; a response that does not fit comes back as an error and fails the test.
os.environ["FARGATE_LAB_STRICT"] = "1"
# Exercise and challenge passes made by tests (and the kernels they start) go to a file of their own.
os.environ.setdefault("FARGATE_LAB_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="fargate-lab-progress-"),
                                                           "progress.json"))

from fargate_lab import local


EXTERNAL_KINDS = ("browser", "binder", "clients")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test marked browser, binder or clients is marked external too, so that -m 'not external' skips it."""
    unmarked = [item.nodeid for item in items if not item.get_closest_marker("external")
                and any(item.get_closest_marker(kind) for kind in EXTERNAL_KINDS)]
    if unmarked:
        raise pytest.UsageError("marked " + "/".join(EXTERNAL_KINDS) + " but not external: " + ", ".join(unmarked))


@pytest.fixture
def cloud():
    made = local.start(seed=0)
    made.wire.validate = True   # record every shape problem; the test fails on any
    yield made
    violations = list(made.wire.violations)
    made.stop()
    assert not violations, "responses that do not fit botocore's output shapes:\n" + "\n".join(violations)


@pytest.fixture
def ecs(cloud):
    return boto3.client("ecs")


@pytest.fixture
def ec2(cloud):
    return boto3.client("ec2")


@pytest.fixture
def subnets(ec2):
    found = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    return sorted(s["SubnetId"] for s in found)[:2]


WEB = {"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"}


def web_definition(ecs, image="fargatelab/web:v1", family="web", **extra):
    """Register a one-container Fargate web task definition; returns its ARN."""
    container = {"name": "web", "image": image, "portMappings": [{"containerPort": 80}], **extra.pop("container", {})}
    return ecs.register_task_definition(family=family, containerDefinitions=[container], **{**WEB, **extra})[
        "taskDefinition"]["taskDefinitionArn"]


def network(subnets, public=False):
    return {"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "ENABLED" if public else "DISABLED"}}
