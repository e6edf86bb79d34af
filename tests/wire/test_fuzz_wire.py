"""Fuzzing the ECS wire with requests generated from botocore's input shapes.

For every ECS operation the engine implements, hypothesis draws a request from the operation's
input shape (required members always, optional ones sometimes; enums from the model; strings
from a pool that names the lab's real cluster, service, task definition and subnets, so that
requests reach deep into the engine), and then maybe mutates it: drops a required member, puts a
value of the wrong JSON type somewhere, sets a number out of range, makes a list huge, hides
nested junk under a member, sends a body that is not an object or not JSON, or adds an unknown
member.  Each request goes to ``cloud.wire.handle`` in-process or, in the HTTP test, to a
``LocalServer`` on port 0.  Asserted for every answer:

- 200, or 400/413 with an ``__type`` the operation models, or one of the awsJson protocol's own
  errors (SerializationException, UnknownOperationException, RequestEntityTooLarge: raised before
  an operation runs, so no operation models them);
- a non-empty one-line message, and never the "internal error … Please report it" text;
- afterwards DescribeClusters still answers, and a normal create-service → services_stable →
  update → services_stable flow still works (``Lab`` from test_client_invariants).

The default run is 1,000 examples in-process and 300 over HTTP;
``-m slow`` runs 4,000 and 1,000.
"""
from __future__ import annotations

import http.client
import json
import string

import boto3
import botocore.session
import pytest
from botocore.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fargate_lab.local.server import LocalServer
from fargate_lab.wire.ecs_json import PROTOCOL_ERRORS, TARGET_PREFIX

from tests.scenarios.test_client_invariants import CLUSTER, ROLLBACK_TO_COMPLETED, SERVICE, Lab, Run

MODEL = botocore.session.get_session().get_service_model("ecs")
INTERNAL = "internal error"


def supported_operations() -> list[str]:
    from fargate_lab.engine.ecs import Engine
    engine = Engine()
    return [name for name in MODEL.operation_names if engine.supports(name)]


OPERATIONS = supported_operations()


# ------------------------------------------------------------------------ values from shapes

def string_pool(lab: Lab) -> dict[str, list[str]]:
    """Strings that name the lab's real resources, by member name, so generated requests get past
    'not found' into the engine's deeper paths."""
    region, account = "us-east-1", "123456789012"
    cluster_arn = f"arn:aws:ecs:{region}:{account}:cluster/{CLUSTER}"
    td = lab.definition("v1")
    subnets = lab.network["awsvpcConfiguration"]["subnets"]
    service_arn = f"arn:aws:ecs:{region}:{account}:service/{CLUSTER}/{SERVICE}"
    return {
        "cluster": [CLUSTER, cluster_arn, "nope", "default"],
        "clusters": [CLUSTER, "nope"],
        "clusterName": [CLUSTER, "fuzz", "bad name!"],
        "service": [SERVICE, service_arn, "nope"], "services": [SERVICE, "nope"],
        "serviceName": [SERVICE, "fuzz", "x" * 300],
        "taskDefinition": [td, "web", "web:1", "web:999", "nope:1", "web:x"],
        "taskDefinitions": [td, "web:1", "nope:3"],
        "family": ["web", "fuzz", "bad family!"], "familyPrefix": ["web", "w"],
        "subnets": subnets + ["subnet-nope"], "securityGroups": ["sg-nope"],
        "image": ["fargatelab/web:v1", "fargatelab/web:crash", "nginx"],
        "name": ["web", "app", ""], "containerName": ["web", "nope"],
        "resourceArn": [cluster_arn, service_arn, td, "arn:aws:ecs:us-east-1:1:task/x/y", "not-an-arn"],
        "cpu": ["256", "512", "1 vCPU", "abc"], "memory": ["512", "1024", "2 GB", "abc"],
        "networkMode": ["awsvpc", "bridge"], "capacityProvider": ["FARGATE", "FARGATE_SPOT", "nope"],
        "capacityProviders": ["FARGATE", "FARGATE_SPOT", "nope"],
        "targetGroupArn": ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/1"],
        "nextToken": ["eyJvZmZzZXQiOiAxfQ==", "junk"],
        "serviceDeploymentArn": [f"arn:aws:ecs:{region}:{account}:service-deployment/{CLUSTER}/{SERVICE}/x"],
    }


TEXT = st.text(alphabet=string.ascii_letters + string.digits + "-_:/.", max_size=12)


def value_for(shape, name: str, pool: dict, depth: int) -> st.SearchStrategy:
    kind = shape.type_name
    if kind == "structure":
        return structure_for(shape, pool, depth + 1)
    if kind == "list":
        low = shape.metadata.get("min", 0)
        return st.lists(value_for(shape.member, name, pool, depth + 1), min_size=low, max_size=max(low, 3))
    if kind == "map":
        return st.dictionaries(value_for(shape.key, name, pool, depth + 1), value_for(shape.value, name, pool,
                                                                                        depth + 1), max_size=2)
    if kind == "string":
        if shape.enum:
            return st.sampled_from(shape.enum)
        return st.sampled_from(pool[name]) | TEXT if name in pool else TEXT
    if kind in ("integer", "long"):
        # small numbers mostly (a desiredCount of thousands is the bench's business), the model's edges too
        low, high = shape.metadata.get("min", -2), shape.metadata.get("max", 12)
        return st.integers(low, min(high, max(low, 12))) | st.sampled_from([low, high])
    if kind == "boolean":
        return st.booleans()
    if kind in ("double", "float"):
        return st.floats(0, 100, allow_nan=False)
    if kind == "timestamp":
        return st.integers(1_600_000_000, 1_900_000_000)
    return st.none()


def structure_for(shape, pool: dict, depth: int = 0) -> st.SearchStrategy:
    required = {n: value_for(shape.members[n], n, pool, depth) for n in shape.required_members}
    optional = {} if depth > 3 else {n: value_for(s, n, pool, depth) for n, s in shape.members.items()
                                     if n not in required}
    return st.fixed_dictionaries(required, optional=optional)


# ------------------------------------------------------------------------------- mutations

JUNK = st.sampled_from([None, True, 1.5, -1, 10 ** 12, "x", [], {}, [1, [2, [3]]], {"a": {"b": [None]}}])


def paths(value, prefix=()):
    """Every (path, value) inside a request, so a mutation can land anywhere."""
    yield prefix, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


def replace(value, path, new):
    """`value` with the item at `path` set to `new` (a missing last key is added)."""
    if not path:
        return new
    if isinstance(value, dict) and path[0] not in value:
        return {**value, path[0]: new}
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replace(value[head], rest, new)}
    out = list(value)
    out[head] = replace(value[head], rest, new)
    return out


@st.composite
def requests(draw, pool: dict, operations=OPERATIONS) -> tuple[str, bytes, str]:
    """(operation, body, mutation)"""
    operation = draw(st.sampled_from(operations))
    shape = MODEL.operation_model(operation).input_shape
    params = draw(structure_for(shape, pool))
    mutation = draw(st.sampled_from(["none", "none", "drop-required", "wrong-type", "out-of-range", "huge-list",
                                     "nested-junk", "not-an-object", "not-json", "unknown-member"]))
    if mutation == "drop-required" and shape.required_members:
        params.pop(draw(st.sampled_from(shape.required_members)), None)
    elif mutation == "wrong-type":
        inside = [p for p, _ in paths(params) if p] or [(draw(st.sampled_from(sorted(shape.members))),)]
        params = replace(params, draw(st.sampled_from(inside)), draw(JUNK))
    elif mutation == "out-of-range":
        numbers = [p for p, v in paths(params) if type(v) is int]
        big = draw(st.sampled_from([10 ** 12, -10 ** 12, 2 ** 31, -1, 5001, 11, 0]))
        params = replace(params, draw(st.sampled_from(numbers)), big) if numbers else {**params, "count": big}
    elif mutation == "huge-list":
        lists = [p for p, v in paths(params) if isinstance(v, list)] or [("tags",)]
        where = draw(st.sampled_from(lists))
        item = {"key": "k", "value": "v"} if where == ("tags",) else "x"
        params = replace(params, where, [item] * draw(st.sampled_from([101, 5_000, 60_000])))
    elif mutation == "nested-junk":
        depth = draw(st.sampled_from([30, 70, 2_000, 100_000]))
        member = draw(st.sampled_from(sorted(shape.members)))
        return operation, json.dumps({**params, "x": 1}).encode()[:-1] + (
            f', "{member}": ' + "[" * depth + "]" * depth + "}").encode(), mutation
    elif mutation == "not-an-object":
        return operation, draw(st.sampled_from([b"[]", b'"ListClusters"', b"42", b"null", b"true", b"[{}]"])), mutation
    elif mutation == "not-json":
        return operation, draw(st.sampled_from([b"{", b"{'a': 1}", b"\xff\xfe", b"NaN", b'{"a": NaN}',
                                                b"1" * 5000, b'{"cluster": "\\ud800"}'])), mutation
    elif mutation == "unknown-member":
        params = {**params, draw(st.sampled_from(["junk", "desiredcount", "__type"])): draw(JUNK)}
    return operation, json.dumps(params).encode(), mutation


# ------------------------------------------------------------------------------ assertions

def check_answer(operation: str, status: int, body: bytes, mutation: str = "") -> None:
    assert status in (200, 400, 413), (operation, mutation, status, body[:300])
    if status == 200:
        json.loads(body)
        return
    error = json.loads(body)
    code, message = error["__type"], error["message"]
    modeled = {s.name for s in MODEL.operation_model(operation).error_shapes}
    assert code in modeled | PROTOCOL_ERRORS, (operation, mutation, code, message)
    assert message and "\n" not in message, (operation, mutation, message)
    assert INTERNAL not in message and "Please report it" not in message, (operation, mutation, message)


def still_works(lab: Lab) -> None:
    """The cloud still answers, and a normal rollout still completes.  On a cluster and family of its
    own: the fuzz may have deleted the lab's (DeleteService, DeleteCluster, DeleteTaskDefinitions are
    fuzzed too)."""
    assert "clusters" in lab.ecs.describe_clusters(clusters=[CLUSTER])
    ecs, name = lab.ecs, "after-fuzz"
    ecs.create_cluster(clusterName=name)
    v1, v2 = (ecs.register_task_definition(
        family=name, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": f"fargatelab/web:{tag}"}])["taskDefinition"]["taskDefinitionArn"]
        for tag in ("v1", "v2"))
    ecs.create_service(cluster=name, serviceName=name, taskDefinition=v1, desiredCount=2, launchType="FARGATE",
                       networkConfiguration=lab.network)
    waiter = ecs.get_waiter("services_stable")
    waiter.wait(cluster=name, services=[name])
    ecs.update_service(cluster=name, service=name, taskDefinition=v2)
    waiter.wait(cluster=name, services=[name])
    svc = ecs.describe_services(cluster=name, services=[name])["services"][0]
    assert [d["rolloutState"] for d in svc["deployments"]] == ["COMPLETED"]
    assert svc["runningCount"] == 2 and svc["taskDefinition"] == v2


# ---------------------------------------------------------------------------------- tests

FUZZ = dict(deadline=None, derandomize=True, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example,
                                   HealthCheck.filter_too_much])


@pytest.fixture(scope="module")
def lab():
    with Lab(seed=3) as made:
        made.create_service(desired=2)
        made.wait_stable()
        made.pool = string_pool(made)
        made.seen = {}
        yield made


def fuzz_in_process(lab: Lab, examples: int) -> None:
    @settings(max_examples=examples, **FUZZ)
    @given(requests(lab.pool))
    def run(request):
        operation, body, mutation = request
        status, _, answer = lab.cloud.wire.handle("us-east-1", TARGET_PREFIX + operation, body)
        check_answer(operation, status, answer, mutation)
        lab.seen[(mutation, status)] = lab.seen.get((mutation, status), 0) + 1
        lab.cloud.advance(1)    # let whatever a request started run a little
    run()
    # the fuzz reached the engine: some examples succeeded and some were refused by it
    assert any(status == 200 for _, status in lab.seen), lab.seen
    lab.ecs.describe_clusters()


def test_generated_requests_in_process_get_modeled_errors_only(lab):
    fuzz_in_process(lab, 1000)


@pytest.mark.slow
def test_generated_requests_in_process_many(lab):
    fuzz_in_process(lab, 4000)


def fuzz_over_http(lab: Lab, examples: int) -> None:
    server = LocalServer(lab.cloud, port=0).start()
    try:
        @settings(max_examples=examples, **FUZZ)
        @given(requests(lab.pool))
        def run(request):
            operation, body, mutation = request
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            conn.request("POST", "/", body=body, headers={
                "X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": "application/x-amz-json-1.1",
                "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/ecs/aws4_request, "
                                 "SignedHeaders=host, Signature=x"})
            reply = conn.getresponse()
            check_answer(operation, reply.status, reply.read(), mutation)
            conn.close()
        run()
        client = boto3.client("ecs", endpoint_url=server.url, region_name="us-east-1",
                              aws_access_key_id="x", aws_secret_access_key="x",
                              config=Config(retries={"max_attempts": 1}))
        assert client.describe_clusters(clusters=[CLUSTER])["clusters"][0]["clusterName"] == CLUSTER
    finally:
        server.shutdown()


def test_generated_requests_over_http_get_modeled_errors_only(lab):
    fuzz_over_http(lab, 300)


@pytest.mark.slow
def test_generated_requests_over_http_many(lab):
    fuzz_over_http(lab, 1000)


def test_after_the_fuzz_a_normal_rollout_still_works(lab):
    assert lab.seen, "no fuzz example ran before this test"
    still_works(lab)


def test_after_the_fuzz_the_client_visible_rollout_invariants_hold(lab):
    """The fidelity issue's invariants (test_client_invariants.Run: minimum healthy and maximum percent at
    every sample, a breaker trip observable as FAILED, the outcome when one is due), on the fuzzed cloud
    itself: v1, v2 right after services_stable, then a crashing image with the breaker and rollback on."""
    assert lab.seen, "no fuzz example ran before this test"
    ecs = lab.ecs
    ecs.create_cluster(clusterName=CLUSTER)     # the fuzz may have deleted it (an INACTIVE name is reused)
    if any(s["status"] != "INACTIVE" for s in ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]):
        ecs.delete_service(cluster=CLUSTER, service=SERVICE, force=True)
        ecs.get_waiter("services_inactive").wait(cluster=CLUSTER, services=[SERVICE])
    lab.definitions.clear()                     # the fuzz may have deregistered or deleted them
    lab.forget_what_was_seen()                  # the service made before the fuzz is gone
    run = Run(ROLLBACK_TO_COMPLETED, lab)
    run.play()
    run.check_outcome()
    lab.assert_no_future_timestamps()
