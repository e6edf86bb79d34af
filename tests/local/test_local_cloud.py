"""The local cloud's fixed interface and its wiring into botocore and moto."""
from __future__ import annotations

import datetime as dt
import threading
import time

import boto3
import botocore.handlers
import botocore.session
import pytest
from botocore.exceptions import ClientError

from fargate_lab import local

from tests.conftest import network, web_definition


def test_start_answers_plain_boto3_without_endpoint_or_credentials(ecs):
    ecs.create_cluster(clusterName="demo")
    assert ecs.list_clusters()["clusterArns"] == ["arn:aws:ecs:us-east-1:123456789012:cluster/demo"]
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"  # moto


def test_advance_and_now_move_virtual_time(cloud):
    before = cloud.now()
    assert before.tzinfo is not None
    assert abs((before - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60  # anchored at wall time
    cloud.advance(90)
    assert (cloud.now() - before).total_seconds() == pytest.approx(90)


def test_any_region_works_and_regions_are_separate(cloud):
    west = boto3.client("ecs", region_name="eu-west-1")
    west.create_cluster(clusterName="w")
    assert west.list_clusters()["clusterArns"] == ["arn:aws:ecs:eu-west-1:123456789012:cluster/w"]
    assert boto3.client("ecs").list_clusters()["clusterArns"] == []


def test_every_ecs_operation_is_answered(ecs, cloud):
    """Implemented, or a modeled error; never None (that would go to AWS), never a Python exception."""
    model = botocore.session.get_session().get_service_model("ecs")
    for name in model.operation_names:
        op = model.operation_model(name)
        response = cloud.wire.handle("us-east-1", "AmazonEC2ContainerServiceV20141113." + name, b"{}")
        status, _, body = response
        if status != 200:
            import json
            code = json.loads(body)["__type"]
            assert code in {s.name for s in op.error_shapes}, (name, code)


def test_unsupported_operation_is_a_modeled_error_through_boto3(ecs):
    with pytest.raises(ClientError) as err:
        ecs.list_daemons()
    assert err.value.response["Error"]["Code"] in ("UnsupportedFeatureException", "ClientException")
    assert "not supported by the fargate-lab local cloud" in err.value.response["Error"]["Message"]


def test_moto_own_ecs_stays_empty(ecs):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecs.models import ecs_backends  # only the test peeks at moto, to prove passthrough
    ecs.create_cluster(clusterName="demo")
    assert not ecs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].clusters


def test_patch_client_routes_a_client_made_before_start():
    early = botocore.session.get_session().create_client(
        "ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")
    cloud = local.start(seed=1)
    try:
        local.patch_client(early)
        early.create_cluster(clusterName="early")
        assert boto3.client("ecs").list_clusters()["clusterArns"][0].endswith("cluster/early")
    finally:
        cloud.stop()


def test_stop_undoes_everything():
    import botocore.waiter
    original_time = botocore.waiter.time
    cloud = local.start(seed=0)
    assert local.current() is cloud
    cloud.stop()
    assert local.current() is None
    assert botocore.waiter.time is original_time
    assert not [h for h in botocore.handlers.BUILTIN_HANDLERS if getattr(h[1], "__module__", "").startswith("fargate_lab")]


def test_start_twice_replaces_the_running_cloud():
    first = local.start(seed=0)
    second = local.start(seed=0)
    try:
        assert first.stopped and local.current() is second
    finally:
        second.stop()


def test_context_manager_real_clock_moves_with_wall_time():
    with local.cloud(clock="real", speed=50) as cloud:
        t0 = cloud.now()
        local.sleep(25)  # 25 cloud seconds = 0.5 s of wall time at speed 50
        assert (cloud.now() - t0).total_seconds() >= 25
    assert cloud.stopped


def test_one_lock_serialises_a_widget_thread_and_the_kernel(ecs, cloud, subnets):
    td = web_definition(ecs)
    ecs.create_cluster(clusterName="c")
    ecs.create_service(cluster="c", serviceName="s", taskDefinition=td, desiredCount=2,
                       launchType="FARGATE", networkConfiguration=network(subnets))
    errors = []

    def poll():
        client = boto3.client("ecs")
        try:
            for _ in range(50):
                client.describe_services(cluster="c", services=["s"])
        except Exception as e:  # pragma: no cover - the assertion below reports it
            errors.append(e)

    threads = [threading.Thread(target=poll) for _ in range(3)]
    for t in threads:
        t.start()
    for _ in range(30):
        cloud.advance(5)
    for t in threads:
        t.join()
    assert not errors
    s = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    assert s["runningCount"] == 2


def test_moto_calls_from_threads_are_serialised_with_the_engine(ecs, cloud, subnets):
    """The engine creates ENIs in moto while other threads call EC2: one lock covers both."""
    td = web_definition(ecs)
    ecs.create_cluster(clusterName="c")
    ecs.create_service(cluster="c", serviceName="s", taskDefinition=td, desiredCount=6,
                       launchType="FARGATE", networkConfiguration=network(subnets))
    errors, stop = [], threading.Event()

    def hammer():
        ec2 = boto3.client("ec2")
        try:
            while not stop.is_set():
                ec2.describe_network_interfaces()
                ec2.create_security_group(GroupName=f"g{threading.get_ident()}{time.perf_counter_ns()}",
                                          Description="x")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for _ in range(40):
            cloud.advance(5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert not cloud.lock._is_owned()  # every acquire was released
    enis = boto3.client("ec2").describe_network_interfaces()["NetworkInterfaces"]
    assert len(enis) == 6


def test_a_hold_stops_cloud_time_and_no_timestamp_runs_ahead_of_the_client():
    """A presenter's hold at a milestone, seen through boto3 at speed 50: a service made during a
    hold is stamped when the hold began; nothing made before it is re-stamped; waiting 10 cloud
    seconds waits the hold out; and every createdAt is at or before the client's wall clock."""
    with local.cloud(clock="real", speed=50) as cloud:
        ecs = boto3.client("ecs", region_name="us-east-1")
        ecs.create_cluster(clusterName="hold")
        definition = web_definition(ecs)
        subnets = sorted(s["SubnetId"] for s in boto3.client("ec2", region_name="us-east-1").describe_subnets(
            Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]

        def create(name):
            ecs.create_service(cluster="hold", serviceName=name, taskDefinition=definition, desiredCount=0,
                               launchType="FARGATE", networkConfiguration=network(subnets))
            return ecs.describe_services(cluster="hold", services=[name])["services"][0]["createdAt"]

        first = create("before")
        held_at = dt.datetime.now(dt.timezone.utc)
        assert cloud.hold(1.0)
        time.sleep(0.5)
        during = create("during")
        assert during <= held_at + dt.timedelta(seconds=0.2), (during, held_at)   # unheld: 25 cloud s later
        began = time.monotonic()
        local.sleep(10)                     # waits out the rest of the hold, then 0.2 s at speed 50
        assert time.monotonic() - began >= 0.4
        after = create("after")
        again = ecs.describe_services(cluster="hold", services=["before"])["services"][0]["createdAt"]
        assert again == first and first <= during < after <= dt.datetime.now(dt.timezone.utc)


def test_the_virtual_clock_is_never_held():
    with local.cloud() as cloud:
        assert cloud.hold(5) is False


def test_aws_managed_policies_are_there_for_the_clouds_partition_and_moto_is_put_back():
    """The local cloud builds moto's AWS managed policies for its own partition only (a faster start);
    roles can still attach them by ARN, and moto's IAM is as it was once the cloud stops."""
    from moto.iam.models import IAMBackend
    before = IAMBackend._init_aws_policies
    with local.cloud():
        iam = boto3.client("iam")
        arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        assert iam.get_policy(PolicyArn=arn)["Policy"]["PolicyName"] == "AmazonECSTaskExecutionRolePolicy"
        iam.create_role(RoleName="exec", AssumeRolePolicyDocument="{}")
        iam.attach_role_policy(RoleName="exec", PolicyArn=arn)
        assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="exec")["AttachedPolicies"]] == [arn]
        with pytest.raises(ClientError):
            iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert IAMBackend._init_aws_policies is before


def test_jsonschema_still_checks_iris_after_the_cloud_deferred_rfc3987_syntax():
    """The local cloud defers rfc3987-syntax's import (1 s of moto's CloudFormation import); whoever
    checks an "iri" format later still gets the real answer."""
    import subprocess
    import sys
    code = ("from fargate_lab import local\n"
            "cloud = local.start()\n"
            "import moto.cloudformation.parsing, jsonschema, sys\n"
            "deferred = sys.modules['rfc3987_syntax'].__doc__ is not None\n"
            "checker = jsonschema.FormatChecker()\n"
            "import importlib.util\n"
            "found = importlib.util.find_spec('rfc3987_syntax') is not None\n"
            "print(deferred, found, checker.conforms('http://example.com/ä', 'iri'), checker.conforms('not an iri', 'iri'))\n"
            "import rfc3987_syntax.utils\n"
            "cloud.stop()\n")
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert found.stdout.split() == ["True", "True", "True", "False"], found.stdout + found.stderr


def test_a_start_that_fails_leaves_moto_and_the_process_as_they_were():
    from moto.iam.models import IAMBackend
    before = IAMBackend._init_aws_policies
    with pytest.raises(ValueError, match="^timing: unknown preset 'bogus'"):
        local.start(timing="bogus")
    assert IAMBackend._init_aws_policies is before and local.current() is None
    with local.cloud() as cloud:        # and the next start works as usual
        assert cloud.session().client("ecs").list_clusters()["clusterArns"] == []
