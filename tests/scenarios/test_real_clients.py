"""Real third-party clients, written by nobody here, against `fargate-lab local serve` over HTTP.

* fabfuel's ecs-deploy (`ecs deploy`, `ecs scale`, `ecs run`), run as its console script;
* the AWS SDK for JavaScript v3 (tests/clients/js: waiters, paginators, typed errors), run by node;
* aiobotocore (tests/clients/aiobotocore), in a venv of its own because it pins a botocore older
  than the one fargate-lab's venv has;
* the AWS CLI v1 (`aws ecs ...`).

Each module-scoped server is a separate `fargate-lab local serve` process on a free loopback port,
with FARGATE_LAB_STRICT=1 (every ECS response is checked against botocore's output shape, so a
misshapen response fails loudly instead of being half-parsed by a client).  Clients reach it the
way a user's would: AWS_ENDPOINT_URL and any access key.  Tests share a server only with distinct
cluster names and task-definition families.

These tests assert what the clients do against AWS.  Where that differs from the local cloud, the
test fails; it is not skipped.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.paths import CLIENTS, REPO

pytestmark = [pytest.mark.external, pytest.mark.clients]

JS = CLIENTS / "js"
AIO = CLIENTS / "aiobotocore"
AIO_VENV = AIO / ".venv"
REGION = "us-east-1"
SPEED = 20            # cloud seconds per real second, for everything that is not about speed itself
BIN = Path(sys.executable).parent


# ---------------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home: Path) -> dict[str, str]:
    """This machine's AWS settings and profiles never leak into a client."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FARGATE_LAB_", "NODE_OPTIONS"))}
    env.update(HOME=str(home), AWS_CONFIG_FILE=str(home / "no-aws-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"), AWS_EC2_METADATA_DISABLED="true")
    return env


class Served:
    """`fargate-lab local serve --port P --speed S` as a child process."""

    def __init__(self, speed: float, home: Path):
        self.speed, self.home, self.port = speed, home, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / f"serve-{self.port}.log"
        env = clean_env(home)
        env.update(FARGATE_LAB_STRICT="1", PYTHONPATH=str(REPO))
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "fargate_lab.cli", "local", "serve", "--port", str(self.port),
                 "--speed", str(speed)], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fargate-lab local serve exited {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if self.status()["status"] == "running":
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"fargate-lab local serve did not answer within 60 s:\n{self.log.read_text()}")

    def status(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/fargate-lab/status", timeout=5) as answer:
            return json.load(answer)

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                urllib.request.urlopen(urllib.request.Request(f"{self.url}/fargate-lab/shutdown", method="POST"),
                                       timeout=5).read()
                self.process.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()

    def env(self) -> dict[str, str]:
        """What a user exports to point a client at the local cloud."""
        env = clean_env(self.home)
        env.update(AWS_ENDPOINT_URL=self.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_DEFAULT_REGION=REGION, AWS_REGION=REGION)
        return env

    def client(self, service: str):
        return boto3.client(service, region_name=REGION, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """servers(speed): one `fargate-lab local serve` per speed for this module, stopped at its end."""
    started: dict[float, Served] = {}

    def get(speed: float = SPEED) -> Served:
        if speed not in started:
            started[speed] = Served(speed, tmp_path_factory.mktemp(f"serve-{speed:g}x"))
        return started[speed]

    yield get
    for served in started.values():
        served.stop()


@pytest.fixture(scope="module")
def server(servers) -> Served:
    return servers(SPEED)


# ---------------------------------------------------------------------------------- helpers

def network(served: Served) -> tuple[list[str], str]:
    """Two default-VPC subnets and the default security group, through EC2 on the same endpoint."""
    ec2 = served.client("ec2")
    found = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    subnets = sorted(s["SubnetId"] for s in found)[:2]
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(subnets) == 2 and group, (found, group)
    return subnets, group[0]["GroupId"]


def awsvpc(served: Served) -> dict:
    subnets, group = network(served)
    return {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "DISABLED"}}


def register(served: Served, family: str, image: str = "fargatelab/web:v1") -> str:
    return served.client("ecs").register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "essential": True,
                               "portMappings": [{"containerPort": 80}]}])["taskDefinition"]["taskDefinitionArn"]


def stable_service(served: Served, cluster: str, family: str, *, count: int = 1,
                   breaker: dict | None = None) -> str:
    """A cluster with one stable Fargate service `web` on revision 1 of `family`; returns that revision's ARN."""
    ecs = served.client("ecs")
    ecs.create_cluster(clusterName=cluster)
    revision = register(served, family)
    config = {"deploymentCircuitBreaker": breaker} if breaker else {}
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=revision, desiredCount=count,
                       launchType="FARGATE", networkConfiguration=awsvpc(served), deploymentConfiguration=config)
    ecs.get_waiter("services_stable").wait(cluster=cluster, services=["web"],
                                           WaiterConfig={"Delay": 1, "MaxAttempts": 120})
    # services_stable only means one deployment with runningCount == desiredCount; the deployment is
    # COMPLETED later (on Fargate without health checks, 40 s after its tasks are RUNNING).  A circuit
    # breaker can only roll back to a COMPLETED deployment, so wait for that too.
    deadline = time.monotonic() + 60
    while describe(served, cluster)["deployments"][0]["rolloutState"] != "COMPLETED":
        assert time.monotonic() < deadline, describe(served, cluster)["deployments"]
        time.sleep(0.25)
    return revision


def describe(served: Served, cluster: str, name: str = "web") -> dict:
    return served.client("ecs").describe_services(cluster=cluster, services=[name])["services"][0]


def running_revisions(served: Served, cluster: str) -> list[str]:
    ecs = served.client("ecs")
    arns = ecs.list_tasks(cluster=cluster, serviceName="web", desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    return sorted(t["taskDefinitionArn"].rsplit("/", 1)[1] for t in tasks if t["lastStatus"] == "RUNNING")


def run(command: list[str], env: dict, timeout: float, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess, float]:
    began = time.monotonic()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return done, time.monotonic() - began


def shown(done: subprocess.CompletedProcess) -> str:
    return f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"


# =================================================================================== ecs-deploy
#
# How ecs-deploy 1.17.0 (ecs_deploy/cli.py wait_for_finish, ecs_deploy/ecs.py) decides, once a second
# (--sleep-time 1), after UpdateService:
#
#  1. inspect_errors(): DescribeServices, then EcsService.get_warnings(since, until) keeps the service
#     events whose message contains "unable" and whose createdAt lies strictly between `since` (the
#     PRIMARY deployment's createdAt) and `until` = datetime.now(tz=tzlocal()), i.e. ecs-deploy's OWN
#     wall clock.  Any such event -> "ERROR: <message>" on stderr and TaskPlacementError
#     ("Deployment failed"), exit 1.  An event stamped in the future (a cloud clock running ahead of
#     the wall clock) is silently ignored, so ecs-deploy then waits for its --timeout instead.
#  2. is_deployed(): if the PRIMARY deployment's rolloutState is FAILED -> EcsDeploymentError
#     "Deployment Failed! <rolloutStateReason>", exit 1.  failedTasks > 0 only logs a warning.
#     Otherwise success needs exactly one deployment and desiredCount tasks of the service's
#     taskDefinition in lastStatus RUNNING (ListTasks + DescribeTasks).  No timestamps involved.
#  3. --timeout N (wall seconds) -> "Deployment failed due to timeout", exit 1.
#
# Consequences, on AWS as here:
#  * circuit breaker enable + rollback=false: the failed deployment stays PRIMARY with rolloutState
#    FAILED, so (2) fails fast, whatever the timestamps.
#  * circuit breaker enable + rollback=true: the trip and the rollback are one step in DescribeServices
#    (the previous COMPLETED deployment becomes PRIMARY again, IN_PROGRESS, and the failed one ACTIVE),
#    so (2) never sees FAILED.  Once the failed deployment is gone, the service is on the OLD revision
#    with desiredCount tasks RUNNING, which (2) takes for success: ecs-deploy prints "Deployment
#    successful" and deregisters the previous (now running) revision.  That is fabfuel/ecs-deploy#185
#    (open), reported against AWS.  The only fail-fast signal left is (1): AWS's throttle event
#    "(service S) is unable to consistently start tasks successfully.", which AWS logs for tasks that go
#    PENDING -> STOPPED (an image that cannot be pulled), not for a container that crashes after RUNNING
#    (docs/ecs-behaviour.md 4.2).  And (1) only works when event createdAt values are wall-clock times.

def ecs_deploy(served: Served, *args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    ecs = BIN / "ecs"
    assert ecs.exists(), "ecs-deploy (PyPI ecs-deploy) is part of the test extra"
    return run([str(ecs), *args], served.env(), timeout=timeout)


def test_ecs_deploy_rolls_out_a_new_image_and_scales(server):
    cluster = "ecsdeploy-ok"
    stable_service(server, cluster, "ecsdeploy-ok")

    done, _ = ecs_deploy(server, "deploy", cluster, "web", "--image", "web", "fargatelab/web:v2", "--timeout", "60")
    assert done.returncode == 0, shown(done)
    assert 'Changed image of container "web" to: "fargatelab/web:v2" (was: "fargatelab/web:v1")' in done.stdout
    assert "Successfully changed task definition to: ecsdeploy-ok:2" in done.stdout
    assert "Deployment successful" in done.stdout
    assert "Successfully deregistered revision: 1" in done.stdout
    service = describe(server, cluster)
    assert service["taskDefinition"].endswith("task-definition/ecsdeploy-ok:2")
    assert [d["rolloutState"] for d in service["deployments"]] == ["COMPLETED"]
    assert running_revisions(server, cluster) == ["ecsdeploy-ok:2"]
    old = server.client("ecs").describe_task_definition(taskDefinition="ecsdeploy-ok:1")["taskDefinition"]
    assert old["status"] == "INACTIVE"

    done, _ = ecs_deploy(server, "scale", cluster, "web", "3", "--timeout", "60")
    assert done.returncode == 0, shown(done)
    assert "Successfully changed desired count to: 3" in done.stdout and "Scaling successful" in done.stdout
    service = describe(server, cluster)
    assert service["desiredCount"] == service["runningCount"] == 3
    assert running_revisions(server, cluster) == ["ecsdeploy-ok:2"] * 3


@pytest.mark.parametrize("speed", [20, 60])
def test_ecs_deploy_fails_fast_when_the_circuit_breaker_trips(servers, speed):
    """Breaker on, rollback off, the crashing image: rolloutState FAILED -> "Deployment Failed!" (rule 2)."""
    served = servers(speed)
    cluster = f"ecsdeploy-breaker-{speed}"
    stable_service(served, cluster, cluster, breaker={"enable": True, "rollback": False})

    timeout = 60
    done, took = ecs_deploy(served, "deploy", cluster, "web", "--image", "web", "fargatelab/web:crash",
                            "--timeout", str(timeout), timeout=timeout + 30)
    assert done.returncode == 1, shown(done)
    assert "Deployment Failed! ECS deployment circuit breaker: tasks failed to start." in done.stderr, shown(done)
    assert "due to timeout" not in done.stderr
    # 3 failed tasks (the threshold for desiredCount 1) of ~15 cloud seconds each, plus scheduling
    assert took < timeout / 3, f"took {took:.1f}s of its {timeout}s timeout\n{shown(done)}"
    primary = describe(served, cluster)["deployments"][0]
    assert primary["status"] == "PRIMARY" and primary["rolloutState"] == "FAILED"
    assert primary["taskDefinition"].endswith(f"{cluster}:2") and primary["failedTasks"] >= 3


@pytest.mark.parametrize("speed", [20, 60])
def test_ecs_deploy_fails_fast_on_the_unable_to_start_event(servers, speed):
    """Breaker on with rollback, an image that cannot be pulled: ECS throttles the failing starts and logs
    "is unable to consistently start tasks successfully."; ecs-deploy fails on that event (rule 1),
    which needs the event's createdAt to be in ecs-deploy's past, as on AWS."""
    served = servers(speed)
    cluster = f"ecsdeploy-unable-{speed}"
    stable_service(served, cluster, cluster, breaker={"enable": True, "rollback": True})

    # The third failed start comes after back-offs of about 60 and 120 cloud seconds: ~250 cloud seconds,
    # 13 s at 20x and 4 s at 60x.
    timeout = 45 if speed < 60 else 25
    done, took = ecs_deploy(served, "deploy", cluster, "web", "--image", "web", "fargatelab/web:missing",
                            "--timeout", str(timeout), timeout=timeout + 30)
    events = [(e["createdAt"].isoformat(), e["message"]) for e in describe(served, cluster)["events"][:8]]
    context = f"{shown(done)}\n--- wall clock now {time.strftime('%H:%M:%S', time.gmtime())} UTC; newest events:\n" + \
        "\n".join(f"{at}  {message}" for at, message in events)
    assert any("is unable to consistently start tasks successfully." in m for _, m in events), context
    assert done.returncode == 1, context
    assert "(service web) is unable to consistently start tasks successfully." in done.stderr, context
    assert "Deployment failed" in done.stderr and "due to timeout" not in done.stderr, context
    assert took < timeout * 0.66, f"took {took:.1f}s of its {timeout}s timeout\n{context}"


def test_ecs_deploy_takes_a_circuit_breaker_rollback_for_success(server):
    """fabfuel/ecs-deploy#185, as on AWS: breaker with rollback, the crashing image (it reaches RUNNING, so
    no throttle event).  ECS rolls back in the same step as it fails the deployment; ecs-deploy never sees
    rolloutState FAILED on the PRIMARY deployment, sees the old revision running and reports success."""
    cluster = "ecsdeploy-rollback"
    stable_service(server, cluster, cluster, breaker={"enable": True, "rollback": True})

    done, took = ecs_deploy(server, "deploy", cluster, "web", "--image", "web", "fargatelab/web:crash",
                            "--timeout", "60")
    assert done.returncode == 0, shown(done)
    assert "Deployment successful" in done.stdout, shown(done)
    assert "tasks failed to start" in done.stderr    # its failedTasks warnings on the way
    assert took < 30, shown(done)
    service = describe(server, cluster)
    assert service["taskDefinition"].endswith(f"{cluster}:1")        # rolled back by ECS
    assert running_revisions(server, cluster) == [f"{cluster}:1"]
    messages = [e["message"] for e in service["events"]]
    failed = next(i for i, m in enumerate(messages) if "deployment failed: tasks failed to start." in m)
    back = next(i for i, m in enumerate(messages) if "rolling back to deployment ecs-svc/" in m)
    assert back < failed                                               # newest first: the rollback follows
    # ... and ecs-deploy then deregistered the previous revision, the one ECS is running again
    assert "Successfully deregistered revision: 1" in done.stdout
    ecs = server.client("ecs")
    assert ecs.describe_task_definition(taskDefinition=f"{cluster}:1")["taskDefinition"]["status"] == "INACTIVE"


def test_ecs_run_with_a_command_override(server):
    cluster, family = "ecsdeploy-run", "ecsdeploy-run-job"
    server.client("ecs").create_cluster(clusterName=cluster)
    register(server, family, image="busybox:1.36")
    subnets, group = network(server)
    done, _ = ecs_deploy(server, "run", cluster, f"{family}:1", "-c", "web", "echo hi", "--launchtype", "FARGATE",
                         "--subnet", subnets[0], "--securitygroup", group, timeout=60)
    assert done.returncode == 0, shown(done)
    assert 'Changed command of container "web" to: "echo hi"' in done.stdout
    assert f"Successfully started 1 instances of task: {family}:1" in done.stdout, shown(done)
    arns = re.findall(r"^- (arn:aws:ecs:\S+:task/\S+)$", done.stdout, re.M)
    assert len(arns) == 1, shown(done)

    task = server.client("ecs").describe_tasks(cluster=cluster, tasks=arns)["tasks"][0]
    assert task["startedBy"] == "ECS Deploy" and task["launchType"] == "FARGATE"
    assert task["group"] == f"family:{family}"
    # AWS echoes the overrides RunTask was given (ecs-deploy splits "echo hi" on whitespace)
    assert task["overrides"]["containerOverrides"] == [{"name": "web", "command": ["echo", "hi"]}], task["overrides"]


# =================================================================================== JavaScript

def npm_ci() -> None:
    """The pinned SDK from package-lock.json (.ci/run does this too; here for a developer's checkout)."""
    if (JS / "node_modules" / "@aws-sdk" / "client-ecs" / "package.json").exists():
        return
    npm = shutil.which("npm")
    assert npm, "node and npm are needed for the JavaScript SDK tests"
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, shown(done)


def report(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, shown(done)
    try:
        return json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"no JSON report\n{shown(done)}")


def assert_every_check_passed(result: dict, expected: int) -> None:
    checks = result["checks"]
    failed = [f"{c['name']}: {c['detail']}" for c in checks if not c["ok"]]
    assert not failed, f"{len(failed)} of {len(checks)} checks failed:\n" + "\n".join(failed)
    assert len(checks) == expected, [c["name"] for c in checks]


def test_the_javascript_sdk_v3(server):
    node = shutil.which("node")
    assert node, "node is needed for the JavaScript SDK tests"
    npm_ci()
    subnets, group = network(server)
    env = server.env()
    env.update(FARGATE_LAB_CLUSTER="js-sdk", FARGATE_LAB_SUBNETS=",".join(subnets), FARGATE_LAB_SECURITY_GROUP=group)
    done, _ = run([node, "ecs-checks.mjs"], env, timeout=300, cwd=JS)
    assert_every_check_passed(report(done), expected=14)


# =================================================================================== aiobotocore

def aiobotocore_python() -> Path:
    """tests/clients/aiobotocore/.venv (made by .ci/run; made here when absent)."""
    python = AIO_VENV / "bin" / "python"
    if not python.exists():
        done = subprocess.run([sys.executable, "-m", "venv", str(AIO_VENV)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, shown(done)
    check = subprocess.run([str(python), "-c", "import aiobotocore"], capture_output=True)
    if check.returncode != 0:
        done = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(AIO / "requirements.txt")],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, shown(done)
    return python


def test_aiobotocore(server):
    python = aiobotocore_python()
    subnets, group = network(server)
    env = server.env()
    env.update(FARGATE_LAB_CLUSTER="aiobotocore", FARGATE_LAB_SUBNETS=",".join(subnets),
               FARGATE_LAB_SECURITY_GROUP=group)
    done, _ = run([str(python), str(AIO / "ecs_checks.py")], env, timeout=300)
    result = report(done)
    assert result["aiobotocore"].startswith("3.") and result["botocore"].startswith("1.43."), result
    assert_every_check_passed(result, expected=9)


# =================================================================================== AWS CLI

def aws(served: Served, *args: str, ok: bool = True, timeout: float = 120):
    cli = shutil.which("aws", path=str(BIN)) or shutil.which("aws")
    assert cli, "the AWS CLI is part of the test extra"
    done, _ = run([cli, *args], served.env(), timeout=timeout)
    if ok:
        assert done.returncode == 0, shown(done)
    return done


def aws_json(served: Served, *args: str):
    return json.loads(aws(served, *args, "--output", "json").stdout)


def test_the_aws_cli(server):
    cluster, family = "aws-cli", "aws-cli-web"
    made = aws_json(server, "ecs", "create-cluster", "--cluster-name", cluster)["cluster"]
    assert made["status"] == "ACTIVE"
    assert made["clusterArn"] in aws_json(server, "ecs", "list-clusters")["clusterArns"]
    described = aws_json(server, "ecs", "describe-clusters", "--clusters", cluster)
    assert described["clusters"][0]["clusterName"] == cluster and described["failures"] == []
    revision = register(server, family)
    assert aws_json(server, "ecs", "list-task-definitions", "--family-prefix", family)["taskDefinitionArns"] == [revision]

    subnets, group = network(server)
    vpc = f"awsvpcConfiguration={{subnets=[{','.join(subnets)}],securityGroups=[{group}],assignPublicIp=DISABLED}}"
    aws(server, "ecs", "create-service", "--cluster", cluster, "--service-name", "web", "--task-definition", revision,
        "--desired-count", "3", "--launch-type", "FARGATE", "--network-configuration", vpc)
    # the CLI's waiter polls every 15 s (40 attempts) until one deployment runs all 3 tasks
    aws(server, "ecs", "wait", "services-stable", "--cluster", cluster, "--services", "web", timeout=300)
    # services-stable does not look at rolloutState (on AWS either): without a health check the rollout
    # is COMPLETED once the tasks have run 40 cloud seconds, which a loaded machine may not have reached
    # at the waiter's first poll; ask again, as a script after the waiter would
    deadline = time.monotonic() + 120
    while True:
        state = aws(server, "ecs", "describe-services", "--cluster", cluster, "--services", "web",
                    "--query", "services[0].deployments[0].rolloutState", "--output", "text").stdout.strip()
        if state != "IN_PROGRESS" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert state == "COMPLETED"
    counts = aws_json(server, "ecs", "describe-services", "--cluster", cluster, "--services", "web",
                      "--query", "services[0].[desiredCount,runningCount,length(deployments)]")
    assert counts == [3, 3, 1]

    # pagination: --page-size sets maxResults per request and the CLI follows nextToken to the end
    everything = aws_json(server, "ecs", "list-tasks", "--cluster", cluster, "--service-name", "web")["taskArns"]
    assert len(everything) == 3
    calls = server.status()["ecs_calls"]
    paged = aws_json(server, "ecs", "list-tasks", "--cluster", cluster, "--service-name", "web", "--page-size", "1")
    assert sorted(paged["taskArns"]) == sorted(everything) and "NextToken" not in paged
    assert server.status()["ecs_calls"] - calls >= 3, "three tasks at one per page take three ListTasks calls"
    first = aws_json(server, "ecs", "list-tasks", "--cluster", cluster, "--service-name", "web",
                     "--page-size", "1", "--max-items", "2")
    assert len(first["taskArns"]) == 2 and first["NextToken"]
    rest = aws_json(server, "ecs", "list-tasks", "--cluster", cluster, "--service-name", "web",
                    "--page-size", "1", "--max-items", "2", "--starting-token", first["NextToken"])
    assert sorted(first["taskArns"] + rest["taskArns"]) == sorted(everything) and "NextToken" not in rest

    # a modeled error: exit status 255 (AWS CLI v1) and the error code in stderr
    missing = aws(server, "ecs", "describe-services", "--cluster", "no-such-cluster", "--services", "web", ok=False)
    assert missing.returncode == 255, shown(missing)
    assert "An error occurred (ClusterNotFoundException) when calling the DescribeServices operation" in missing.stderr
    absent = aws(server, "ecs", "update-service", "--cluster", cluster, "--service", "nope", "--desired-count", "1",
                 ok=False)
    assert absent.returncode == 255 and "(ServiceNotFoundException)" in absent.stderr, shown(absent)


def test_the_aws_cli_reads_load_balancer_metrics_and_alarm_history(server):
    """Traffic, CloudWatch metrics and alarms on the real clock (speed 20), read by the AWS CLI."""
    cluster, family = "aws-cli-traffic", "aws-cli-traffic-web"
    subnets, group = network(server)
    elb, ecs, ec2 = server.client("elbv2"), server.client("ecs"), server.client("ec2")
    vpc = ec2.describe_subnets(SubnetIds=subnets)["Subnets"][0]["VpcId"]
    lb = elb.create_load_balancer(Name="cli-traffic", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="cli-traffic", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ecs.create_cluster(clusterName=cluster)
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=register(server, family), desiredCount=2,
                       launchType="FARGATE", networkConfiguration=awsvpc(server),
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    dimension = "Name=LoadBalancer,Value=" + lb.split(":loadbalancer/")[1]
    aws(server, "cloudwatch", "put-metric-alarm", "--alarm-name", "cli-requests", "--namespace", "AWS/ApplicationELB",
        "--metric-name", "RequestCount", "--dimensions", dimension, "--statistic", "Sum", "--period", "60",
        "--evaluation-periods", "1", "--threshold", "100", "--comparison-operator", "GreaterThanThreshold")
    aws(server, "ecs", "wait", "services-stable", "--cluster", cluster, "--services", "web", timeout=300)
    deadline = time.monotonic() + 60          # 20 cloud minutes at speed 20
    while time.monotonic() < deadline:
        state = aws_json(server, "cloudwatch", "describe-alarms", "--alarm-names", "cli-requests")["MetricAlarms"][0]
        if state["StateValue"] == "ALARM":
            break
        time.sleep(1)
    assert state["StateValue"] == "ALARM", state
    assert state["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [")
    history = aws_json(server, "cloudwatch", "describe-alarm-history", "--alarm-name", "cli-requests",
                       "--history-item-type", "StateUpdate")["AlarmHistoryItems"]
    assert history and history[0]["HistorySummary"].endswith("to ALARM")
    assert history[-1]["HistorySummary"].startswith("Alarm updated from INSUFFICIENT_DATA to ")   # as it started
    now = time.time()
    stats = aws_json(server, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ApplicationELB",
                     "--metric-name", "RequestCount", "--dimensions", dimension, "--statistics", "Sum",
                     "--period", "60", "--start-time", str(int(now - 3600)), "--end-time", str(int(now + 60)))
    assert sum(p["Sum"] for p in stats["Datapoints"]) >= 600   # at least one cloud minute of 10 a second
    # none in the client's future (CloudWatch speaks CBOR, so the CLI prints epoch seconds)
    assert all(float(p["Timestamp"]) <= time.time() + 1 for p in stats["Datapoints"])


def test_the_aws_cli_continues_a_paused_blue_green_deployment(server):
    """BLUE_GREEN with a PAUSE hook on the real clock (speed 20): the AWS CLI finds the hook in
    describe-service-deployments, sees production still on blue, and continues it to SUCCESSFUL."""
    cluster, family = "aws-cli-bluegreen", "aws-cli-bluegreen-web"
    subnets, _ = network(server)
    elb, ecs, ec2 = server.client("elbv2"), server.client("ecs"), server.client("ec2")
    vpc = ec2.describe_subnets(SubnetIds=subnets)["Subnets"][0]["VpcId"]
    lb = elb.create_load_balancer(Name="cli-bluegreen", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
                   ["TargetGroups"][0]["TargetGroupArn"] for name in ("cli-blue", "cli-green"))
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                           Actions=[{"Type": "forward", "TargetGroupArn": blue}])["Rules"][0]["RuleArn"]
    ecs.create_cluster(clusterName=cluster)
    ecs.create_service(cluster=cluster, serviceName="web", taskDefinition=register(server, family), desiredCount=2,
                       launchType="FARGATE", networkConfiguration=awsvpc(server), loadBalancers=[
                           {"targetGroupArn": blue, "containerName": "web", "containerPort": 80, "advancedConfiguration": {
                               "alternateTargetGroupArn": green, "productionListenerRule": rule,
                               "roleArn": "arn:aws:iam::123456789012:role/ecs-lb"}}],
                       deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1})

    def latest() -> dict:
        arn = aws_json(server, "ecs", "list-service-deployments", "--cluster", cluster, "--service", "web"
                       )["serviceDeployments"][0]["serviceDeploymentArn"]
        return aws_json(server, "ecs", "describe-service-deployments", "--service-deployment-arns", arn
                        )["serviceDeployments"][0]

    def wait_for(condition, seconds: float = 90) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            found = latest()
            if condition(found) or time.monotonic() > deadline:
                return found
            time.sleep(1)

    assert wait_for(lambda d: d["status"] == "SUCCESSFUL")["status"] == "SUCCESSFUL"
    ecs.update_service(cluster=cluster, service="web", taskDefinition=register(server, family, "fargatelab/web:v2"),
                       deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 1, "lifecycleHooks": [
                           {"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}]})
    paused = wait_for(lambda d: any(h["status"] == "AWAITING_ACTION" for h in d.get("lifecycleHookDetails", [])))
    hook = paused["lifecycleHookDetails"][0]
    assert hook["status"] == "AWAITING_ACTION" and paused["lifecycleStage"] == "POST_TEST_TRAFFIC_SHIFT", paused
    forward = aws_json(server, "elbv2", "describe-rules", "--rule-arns", rule)["Rules"][0]["Actions"][0]["ForwardConfig"]
    assert {g["TargetGroupArn"]: g["Weight"] for g in forward["TargetGroups"]} == {blue: 999, green: 0}
    assert paused["targetServiceRevision"]["requestedProductionTrafficWeight"] == 0.0
    done = aws_json(server, "ecs", "continue-service-deployment", "--service-deployment-arn",
                    paused["serviceDeploymentArn"], "--hook-id", hook["hookId"])
    assert done["serviceDeploymentArn"] == paused["serviceDeploymentArn"]
    final = wait_for(lambda d: d["status"] != "IN_PROGRESS")
    assert final["status"] == "SUCCESSFUL" and final["lifecycleStage"] == "CLEAN_UP", final
    assert final["lifecycleHookDetails"][0]["status"] == "SUCCEEDED"
    forward = aws_json(server, "elbv2", "describe-rules", "--rule-arns", rule)["Rules"][0]["Actions"][0]["ForwardConfig"]
    assert {g["TargetGroupArn"]: g["Weight"] for g in forward["TargetGroups"]} == {blue: 0, green: 999}
