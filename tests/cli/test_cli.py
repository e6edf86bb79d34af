"""The `fargate-lab` command, run as a user runs it: separate processes against one local server.

A `LocalServer` runs in this process on a free port with a real clock 60 times faster
than AWS; each command is `python -m fargate_lab.cli --port <port> ...` in a temporary
HOME, so state carries from one command to the next as in a terminal.  The tests in
the talk's story run in file order and build on each other (configure, up, deploy,
day-two commands, down).  Checks of what exists use boto3 in this process, which
reaches the same cloud.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import pytest

from fargate_lab import local
from fargate_lab.local.server import LocalServer

from tests.paths import REPO

SPEED = 60            # cloud seconds per real second: a rolling deploy takes a couple of seconds
REGION = "us-east-1"
PROJECT = "my-application"

COMPOSE = """\
services:
  web:
    image: fargatelab/web:{tag}
    ports:
      - "80:80"
    logging:
      driver: awslogs
      options:
        awslogs-group: /ecs/my-application
        awslogs-region: us-east-1
        awslogs-stream-prefix: my-application
        awslogs-create-group: "true"
"""
ECS_PARAMS = """\
version: 1
task_definition:
  ecs_network_mode: awsvpc
  task_execution_role: ecsTaskExecutionRole
  task_size:
    cpu_limit: 256
    mem_limit: 0.5GB
"""


# ---------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def server():
    cloud = local.start(clock="real", speed=SPEED)
    served = LocalServer(cloud, port=0).start()   # port 0: a free one
    yield served
    served.shutdown()
    cloud.stop()


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def project(home):
    directory = home / PROJECT
    directory.mkdir()
    release(directory, "v1")
    (directory / "ecs-params.yml").write_text(ECS_PARAMS)
    return directory


def release(directory: Path, tag: str) -> None:
    (directory / "docker-compose.yml").write_text(COMPOSE.format(tag=tag))


def environment(home: Path) -> dict[str, str]:
    """A clean user: no AWS or compose settings leak in from the machine running the tests."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "ECS_", "FARGATE_LAB_", "COMPOSE_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_STATE_HOME=str(home / ".state"),
               PYTHONPATH=str(REPO), FARGATE_LAB_POLL_SECONDS="0.25", AWS_EC2_METADATA_DISABLED="true")
    return env


@pytest.fixture(scope="module")
def cli(server, home):
    def run(*args: str, cwd: Path | None = None, ok: bool = True, timeout: float = 120):
        done = subprocess.run([sys.executable, "-m", "fargate_lab.cli", "--port", str(server.port), *args],
                              cwd=cwd or home, env=environment(home), capture_output=True, text=True,
                              timeout=timeout)
        if ok:
            assert done.returncode == 0, f"fargate-lab {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done
    return run


def ecs():
    return boto3.client("ecs", region_name=REGION)


def service(cluster: str = "default", name: str = PROJECT) -> dict:
    return ecs().describe_services(cluster=cluster, services=[name])["services"][0]


def running_definitions(cluster: str = "default") -> set[str]:
    client = ecs()
    arns = client.list_tasks(cluster=cluster, serviceName=PROJECT, desiredStatus="RUNNING")["taskArns"]
    tasks = client.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    return {t["taskDefinitionArn"].rsplit("/", 1)[-1] for t in tasks if t["lastStatus"] == "RUNNING"}


def error_line(done) -> str:
    """The one `Error:` line; fails unless it is the last line of stderr and there is no traceback."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    assert lines and lines[-1].startswith("Error: "), done.stderr
    assert sum(line.startswith("Error:") for line in lines) == 1, done.stderr
    return lines[-1]


# ---------------------------------------------------------------------------------- the talk

def test_the_talks_three_commands(cli, project, home):
    configured = cli("configure", "--region", "us-east-1", "--default-launch-type", "FARGATE")
    assert "Saved fargate-lab cluster configuration default" in configured.stdout
    assert (home / ".config" / "fargate-lab" / "config.yml").exists()

    made = cli("up")
    assert "VPC created: vpc-" in made.stdout
    assert made.stdout.count("Subnet created: subnet-") == 2
    assert "Cluster creation succeeded." in made.stdout

    deployed = cli("compose", "--project-name", PROJECT, "service", "up", cwd=project)
    assert "Registered task definition my-application:1" in deployed.stdout
    assert "Created service my-application with 1 task(s)" in deployed.stdout
    assert "completed: 1 task(s) of my-application:1 running" in deployed.stdout
    described = service()
    assert described["desiredCount"] == described["runningCount"] == 1
    assert described["deployments"][0]["rolloutState"] == "COMPLETED"
    breaker = described["deploymentConfiguration"]["deploymentCircuitBreaker"]
    assert breaker == {"enable": True, "rollback": True}
    tags = {t["key"]: t["value"] for t in ecs().list_tags_for_resource(resourceArn=described["serviceArn"])["tags"]}
    assert tags["fargate-lab:managed"] == "true" and tags["fargate-lab:project"] == PROJECT


def test_unchanged_files_deploy_nothing(cli, project):
    again = cli("compose", "service", "up", cwd=project)   # project name from the directory
    assert "Task definition unchanged: my-application:1" in again.stdout
    assert "nothing to deploy" in again.stdout
    assert len(service()["deployments"]) == 1
    revisions = ecs().list_task_definitions(familyPrefix=PROJECT)["taskDefinitionArns"]
    assert len(revisions) == 1


def test_a_dry_run_of_a_load_balanced_service_up_makes_nothing(cli, project):
    """--create-load-balancer under --dry-run: the calls are printed, nothing is made, no traceback."""
    done = cli("--dry-run", "compose", "--project-name", "dry-lb", "service", "up", "--create-load-balancer",
               "--container-name", "web", "--container-port", "80", cwd=project, ok=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    assert "would call elbv2.CreateLoadBalancer(" in done.stdout
    assert "would call elbv2.CreateTargetGroup(" in done.stdout
    elbv2 = boto3.client("elbv2", region_name=REGION)
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []
    assert elbv2.describe_target_groups()["TargetGroups"] == []
    assert ecs().describe_services(cluster="default", services=["dry-lb"])["services"] == []


def test_ps_logs_and_scale(cli, project):
    ps = cli("ps")
    header, *rows = ps.stdout.strip().splitlines()
    assert header.split() == ["Name", "State", "Ports", "TaskDefinition", "Health"]
    row = next(r for r in rows if "RUNNING" in r).split()
    task_id, container = row[0].split("/")
    assert container == "web" and len(task_id) == 32
    assert row[2].endswith(":80->80/tcp") and row[3] == "my-application:1"

    logs = cli("logs", "--task-id", task_id, "--timestamps")
    assert "listening on 0.0.0.0:80 (version v1)" in logs.stdout
    assert logs.stdout.splitlines()[0][:4].isdigit()   # a timestamp first

    scaled = cli("scale", "3", cwd=project)
    assert "steady: 3 task(s) running" in scaled.stdout
    assert service()["runningCount"] == 3
    assert len(cli("compose", "service", "ps", "--desired-status", "RUNNING", cwd=project).stdout.splitlines()) == 4


def test_a_new_image_tag_rolls_out(cli, project):
    release(project, "v2")
    rolled = cli("compose", "--project-name", PROJECT, "service", "up", cwd=project)
    assert "Registered task definition my-application:2" in rolled.stdout
    assert "Updated service my-application to my-application:2" in rolled.stdout
    assert "deployment completed." in rolled.stdout   # the service's own event, echoed
    assert service()["desiredCount"] == 3   # an update keeps the desired count
    assert running_definitions() == {"my-application:2"}


def test_a_broken_release_fails_after_rollback(cli, project):
    release(project, "crash")
    broken = cli("compose", "--project-name", PROJECT, "service", "up", cwd=project, ok=False)
    line = error_line(broken)
    assert "failed: tasks failed to start; rolled back to ecs-svc/" in line
    assert "(task definition my-application:2)" in line
    assert "Essential container in task exited (web: exit code 1)" in line
    described = service()
    assert len(described["deployments"]) == 1
    assert described["taskDefinition"].endswith("my-application:2")
    assert running_definitions() == {"my-application:2"}
    release(project, "v2")   # back to the good release for the tests that follow


def test_standalone_tasks_up_ps_down(cli, project, home):
    job = home / "job"
    job.mkdir()
    (job / "docker-compose.yml").write_text("services:\n  web:\n    image: fargatelab/web:v3\n    ports: ['80:80']\n")
    started = cli("compose", "up", cwd=job)
    assert "RUNNING" in started.stdout and "job:1" in started.stdout
    listed = cli("compose", "ps", cwd=job)
    assert "RUNNING" in listed.stdout
    assert "Stopped 1 task(s)" in cli("compose", "down", cwd=job).stdout

    (job / "docker-compose.yml").write_text("services:\n  web:\n    image: fargatelab/web:crash\n")
    crashed = cli("compose", "up", cwd=job, ok=False)
    assert "Essential container in task exited (web: exit code 1)" in error_line(crashed)


def test_a_published_compose_file_runs_with_one_line_per_decision(cli, home):
    """The shape most published files have: build next to image, a remapped port, awslogs and no
    ecs-params. It runs; each decision taken for the user is one `Warning:` line."""
    shop = home / "shop"
    shop.mkdir()
    (shop / "docker-compose.yml").write_text(
        "services:\n  web:\n    build: .\n    image: fargatelab/web:v1\n    ports: ['8000:80']\n"
        "    logging:\n      driver: awslogs\n      options:\n        awslogs-group: /ecs/shop\n"
        "        awslogs-region: us-east-1\n        awslogs-stream-prefix: shop\n")
    done = cli("compose", "service", "up", cwd=shop)
    warnings_said = [line for line in done.stderr.splitlines() if line.startswith("Warning: ")]
    assert len(warnings_said) == 3, done.stderr
    assert any("services.web.build: ignored: ECS runs the image 'fargatelab/web:v1'" in w for w in warnings_said)
    assert any("'8000:80'" in w and "container port 80, not 8000" in w for w in warnings_said)
    assert any("using ecsTaskExecutionRole, the one `fargate-lab up` creates" in w for w in warnings_said)
    running = service(name="shop")
    assert running["runningCount"] == 1
    definition = ecs().describe_task_definition(taskDefinition=running["taskDefinition"])["taskDefinition"]
    assert definition["executionRoleArn"].endswith(":role/ecsTaskExecutionRole")
    assert definition["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 80
    cli("compose", "service", "rm", cwd=shop)


# ---------------------------------------------------------------------------------- bad input

CORPUS_COMPOSE_GOOD = "services:\n  web:\n    image: fargatelab/web:v1\n    ports: ['80:80']\n"
CORPUS_LOGGING = ("services:\n  web:\n    image: fargatelab/web:v1\n    logging:\n      driver: awslogs\n"
                  "      options: {{awslogs-group: /ecs/corpus, awslogs-region: us-east-1{extra}}}\n")

# (case, files written in the case's directory, arguments after `--cluster corpus`, expected text in the error)
CORPUS = [
    ("build instead of image", {"docker-compose.yml": "services:\n  web:\n    build: .\n"},
     ["compose", "service", "up"], "services.web.build"),
    ("misspelt key", {"docker-compose.yml": CORPUS_COMPOSE_GOOD + "    enviroment:\n      A: b\n"},
     ["compose", "service", "up"], "enviroment"),
    ("host port differs, strict", {"docker-compose.yml": "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n"},
     ["compose", "--strict", "service", "up"], "ports"),
    ("a mapping as an environment value", {"docker-compose.yml": CORPUS_COMPOSE_GOOD + "    environment:\n"
                                                                 "      CONFIG: {nested: value}\n"},
     ["compose", "service", "up"], "services.web.environment.CONFIG"),
    ("services missing", {"docker-compose.yml": "version: '3'\nweb:\n  image: nginx\n"},
     ["compose", "service", "up"], "docker-compose.yml"),
    ("broken YAML", {"docker-compose.yml": "services:\n  web: [image: nginx\n"},
     ["compose", "service", "up"], "docker-compose.yml"),
    ("empty compose file", {"docker-compose.yml": ""}, ["compose", "service", "up"], "docker-compose.yml"),
    ("memory in bytes", {"docker-compose.yml": CORPUS_COMPOSE_GOOD + "    mem_limit: 512\n"},
     ["compose", "service", "up"], "mem_limit"),
    ("awslogs without prefix", {"docker-compose.yml": CORPUS_LOGGING.format(extra=""),
                                "ecs-params.yml": ECS_PARAMS}, ["compose", "service", "up"], "awslogs-stream-prefix"),
    ("awslogs without execution role, strict",
     {"docker-compose.yml": CORPUS_LOGGING.format(extra=", awslogs-stream-prefix: c")},
     ["compose", "--strict", "service", "up"], "execution role"),
    ("undeclared named volume", {"docker-compose.yml": CORPUS_COMPOSE_GOOD + "    volumes: ['data:/data']\n"},
     ["compose", "service", "up"], "data"),
    ("privileged on Fargate", {"docker-compose.yml": CORPUS_COMPOSE_GOOD + "    privileged: true\n"},
     ["compose", "service", "up"], "privileged"),
    ("no image", {"docker-compose.yml": "services:\n  web:\n    ports: ['80:80']\n"},
     ["compose", "service", "up"], "image"),
    ("required variable unset", {"docker-compose.yml": "services:\n  web:\n    image: web:${TAG:?set TAG}\n"},
     ["compose", "service", "up"], "TAG"),
    ("--file that does not exist", {}, ["compose", "--file", "missing.yml", "service", "up"], "missing.yml"),
    ("no compose file here", {}, ["compose", "service", "up"], "no docker-compose.yml"),
    ("cpu that Fargate lacks", {"docker-compose.yml": CORPUS_COMPOSE_GOOD,
                                "ecs-params.yml": "version: 1\ntask_definition:\n  task_size:\n    cpu_limit: 300\n"
                                                  "    mem_limit: 512\n"}, ["compose", "service", "up"], "cpu"),
    ("cpu/memory pair", {"docker-compose.yml": CORPUS_COMPOSE_GOOD,
                         "ecs-params.yml": "version: 1\ntask_definition:\n  task_size:\n    cpu_limit: 256\n"
                                           "    mem_limit: 4GB\n"}, ["compose", "service", "up"], "task_size"),
    ("ecs-params version 2", {"docker-compose.yml": CORPUS_COMPOSE_GOOD, "ecs-params.yml": "version: 2\n"},
     ["compose", "service", "up"], "version"),
    ("ecs-params broken YAML", {"docker-compose.yml": CORPUS_COMPOSE_GOOD, "ecs-params.yml": "task_definition: [\n"},
     ["compose", "service", "up"], "ecs-params.yml"),
    ("pid_mode host", {"docker-compose.yml": CORPUS_COMPOSE_GOOD,
                       "ecs-params.yml": "version: 1\ntask_definition:\n  pid_mode: host\n"},
     ["compose", "service", "up"], "pid_mode"),
    ("--ecs-params missing", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "--ecs-params", "nope.yml", "service", "up"], "nope.yml"),
    ("max percent below 100", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--deployment-max-percent", "50"], "--deployment-max-percent 50"),
    ("min healthy above 100", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--deployment-min-healthy-percent", "150"], "--deployment-min-healthy-percent"),
    ("container name alone", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--container-name", "web"], "--target-group-arn or --create-load-balancer"),
    ("target group without container", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--target-group-arn", "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
      "targetgroup/x/1"], "--container-name and --container-port"),
    ("load balancer for a missing container", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--create-load-balancer", "--container-name", "api"], "no such container"),
    ("load balancer on an unpublished port", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--create-load-balancer", "--container-port", "8080"], "8080"),
    ("negative timeout", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--timeout", "-1"], "--timeout"),
    ("unknown flag", {"docker-compose.yml": CORPUS_COMPOSE_GOOD}, ["compose", "service", "up", "--bogus"], "--bogus"),
    ("scale to a word", {"docker-compose.yml": CORPUS_COMPOSE_GOOD}, ["compose", "service", "scale", "many"],
     "many"),
    ("tags without a value", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--tags", "team"], "--tags"),
    ("reserved tag prefix", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "up", "--tags", "aws:team=x"], "aws:"),
    ("region that does not exist", {}, ["--region", "nowhere", "ps"], "--region"),
    ("backend that does not exist", {}, ["--backend", "mars", "ps"], "mars"),
    ("launch type that does not exist", {}, ["configure", "--default-launch-type", "MOON"], "MOON"),
    ("unknown configuration", {}, ["--config-name", "nope", "ps"], "nope"),
    ("task that does not exist", {}, ["logs", "--task-id", "0123456789abcdef0123456789abcdef"], "not found"),
    ("cost of zero hours", {"docker-compose.yml": CORPUS_COMPOSE_GOOD}, ["cost", "--hours", "0"], "--hours"),
    ("vpc without subnets", {}, ["up", "--vpc", "vpc-0123456789abcdef0"], "--vpc and --subnets"),
    ("service in a missing cluster", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["--cluster", "nosuch", "compose", "service", "up"], "cluster nosuch not found"),
    ("log group that does not exist", {"docker-compose.yml": CORPUS_LOGGING.format(extra=", awslogs-stream-prefix: c"),
                                       "ecs-params.yml": ECS_PARAMS},
     ["compose", "service", "up", "--no-create-log-groups"], "--no-create-log-groups"),
    ("ps of a service that does not exist", {"docker-compose.yml": CORPUS_COMPOSE_GOOD},
     ["compose", "service", "ps"], "not found"),
    ("port out of range", {}, ["--port", "99999", "ps"], "99999"),
]


def inventory() -> dict[str, set]:
    """What exists in the cloud, by kind: a refused command must not add to any of it."""
    ecs_client, ec2 = ecs(), boto3.client("ec2", region_name=REGION)
    elbv2, logs = boto3.client("elbv2", region_name=REGION), boto3.client("logs", region_name=REGION)
    clusters = ecs_client.list_clusters()["clusterArns"]
    return {
        "clusters": set(clusters),
        "services": {a for c in clusters for a in ecs_client.list_services(cluster=c)["serviceArns"]},
        "tasks": {a for c in clusters for a in ecs_client.list_tasks(cluster=c)["taskArns"]},
        "task definitions": set(ecs_client.list_task_definitions()["taskDefinitionArns"]),
        "vpcs": {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]},
        "subnets": {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]},
        "security groups": {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]},
        "load balancers": {lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]},
        "target groups": {tg["TargetGroupArn"] for tg in elbv2.describe_target_groups()["TargetGroups"]},
        "log groups": {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]},
    }


def test_bad_input_gives_one_line_and_creates_nothing(cli, home):
    assert len(CORPUS) >= 30
    cli("--cluster", "corpus", "up")
    before = inventory()

    def attempt(case):
        name, files, args, expected = case
        directory = home / "corpus" / name.replace(" ", "-").replace("/", "-")
        directory.mkdir(parents=True)
        for file_name, text in files.items():
            (directory / file_name).write_text(text)
        cluster = [] if "--cluster" in args else ["--cluster", "corpus"]
        return case, cli(*cluster, *args, cwd=directory, ok=False)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, CORPUS))
    problems = []
    for (name, _, args, expected), done in results:
        try:
            line = error_line(done)
            assert expected in line, f"expected {expected!r} in {line!r}"
        except AssertionError as e:
            problems.append(f"{name} ({' '.join(args)}): {e}")
    assert not problems, "\n".join(problems)
    assert inventory() == before
    cli("--cluster", "corpus", "down", "--force")


def test_debug_shows_the_traceback(cli, home):
    done = cli("--debug", "--region", "nowhere", "ps", ok=False)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: --region")


# ---------------------------------------------------------------------------------- the rest

def test_the_aws_cli_talks_to_the_local_server(server, home):
    env = environment(home)
    env.update(AWS_ENDPOINT_URL=server.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
               AWS_DEFAULT_REGION=REGION)
    aws = shutil.which("aws")
    assert aws, "the AWS CLI is part of the test extra"

    def run(*args):
        done = subprocess.run([aws, *args, "--output", "json"], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    made = run("ecs", "create-cluster", "--cluster-name", "from-aws-cli")
    assert made["cluster"]["status"] == "ACTIVE"
    assert made["cluster"]["clusterArn"] in run("ecs", "list-clusters")["clusterArns"]
    assert run("ec2", "describe-subnets")["Subnets"]
    ecs().delete_cluster(cluster="from-aws-cli")


def test_down_removes_everything(cli, project):
    done = cli("down", "--force")
    assert "Service deleted: my-application" in done.stdout
    assert "Cluster deleted: default" in done.stdout
    assert "VPC deleted: vpc-" in done.stdout
    assert ecs().describe_clusters(clusters=["default"])["clusters"][0]["status"] == "INACTIVE"
    again = cli("down", "--force", ok=False)   # nothing left: a second `down` names the cluster and fails
    line = error_line(again)   # which other clusters it lists depends on what earlier tests left
    assert line.startswith("Error: no cluster named default in us-east-1 (") and line.endswith(
        "); nothing to take down: check the name"), line
    assert again.stdout == ""


def test_cost_estimate(cli, project):
    done = cli("cost", "--count", "4", "--hours", "1", cwd=project)
    assert "0.25 vCPU, 0.5 GB" in done.stdout
    assert "$0.012343 per task-hour" in done.stdout
    assert "4 task(s) x 1 h = $0.0494" in done.stdout
    assert "prices as of 2026-06" in done.stdout


def test_demo_on_the_virtual_clock(home):
    done = subprocess.run([sys.executable, "-m", "fargate_lab.cli", "demo", "--clock", "virtual"], cwd=home,
                          env=environment(home), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert "rolled back to ecs-svc/" in done.stdout
    assert "Demo done" in done.stdout


def test_help_is_one_command_away(cli):
    text = cli("--help").stdout
    for command in ("configure", "up", "down", "compose", "ps", "logs", "scale", "cost", "local", "demo"):
        assert command in text
    assert "--deployment-max-percent" in cli("compose", "service", "up", "--help").stdout


def test_the_canary_demo_fits_a_100_column_terminal(monkeypatch, tmp_path):
    """`demo --strategy canary` drawn on a 100-column terminal: v2 goes out as a canary (20 %, then all), and no
    line is wider than the screen: long commands are broken before their options, remarks get a line of their own."""
    import io
    import re

    from rich.console import Console

    from fargate_lab.cli.demo import run_demo
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    screen = io.StringIO()
    console = Console(file=screen, width=100, force_terminal=True, color_system=None, highlight=False)
    assert run_demo(clock="virtual", console=console, strategy="canary")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).replace("\r", "\n")
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    assert any(line.startswith("# a new release as a canary: 20 % of the traffic") for line in lines)
    v2 = text.index("a new release as a canary")
    assert text.index("shifted 20% of production traffic", v2) < text.index("Deployment ecs-svc/", v2) \
        < text.index("a broken release")
    alarm = next(i for i, line in enumerate(lines) if line.startswith("$ aws cloudwatch put-metric-alarm"))
    assert lines[alarm].endswith(" \\") and lines[alarm + 1].startswith("    --")
    assert "could not" not in text and any(re.fullmatch(r"elapsed \d+(m\d\d)?s", line.strip()) for line in lines)


def test_the_demo_strategy_is_rolling_or_canary(home):
    done = subprocess.run([sys.executable, "-m", "fargate_lab.cli", "demo", "--strategy", "linear"], cwd=home,
                          env=environment(home), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "'rolling', 'canary'" in done.stderr, done.stderr


def test_ps_fits_a_100_column_terminal_keeping_task_ids_whole():
    """The talk's task at projector size: exit codes go under the state, then containers under the task id."""
    import io

    from rich.console import Console

    from fargate_lab.cli.output import print_rows
    from fargate_lab.ops.tasks import TaskRow
    task = "0a5d2f346baa9455e3e70682c2094cac"
    rows = [TaskRow(f"{task}/app", "STOPPED ExitCode: 0", "", "my-application:1", "-"),
            TaskRow(f"{task}/nginx", "RUNNING", "127.221.194.97:80->80/tcp", "my-application:1", "-")]
    for width, wrapped in ((160, False), (110, True), (100, True)):
        screen = io.StringIO()
        print_rows(rows, Console(file=screen, width=width))
        lines = screen.getvalue().splitlines()
        assert max(len(line.rstrip()) for line in lines) <= width
        assert sum(task in line for line in lines) == 2, lines   # whole, never folded
        exit_line = next(line for line in lines if "ExitCode: 0" in line)
        assert ("STOPPED" not in exit_line) == wrapped and "127.221.194.97:80->80/tcp" in screen.getvalue()
