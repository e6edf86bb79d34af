"""Faults told plainly: a local cloud that died, concurrent starts, a typo'd cluster, a bad config, reset, the token.

Everything here is real: `fargate-lab local serve` and the CLI run as subprocesses, each test on a free port
with its own XDG_STATE_HOME (never ~/.local/state, never port 4566), killed with SIGKILL where a test says so.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest

from fargate_lab import backend

from tests.paths import REPO

REGION = "us-east-1"
COMPOSE = "services:\n  web:\n    image: fargatelab/web:{tag}\n    ports: ['80:80']\n"
ECS_PARAMS = ("version: 1\ntask_definition:\n  ecs_network_mode: awsvpc\n  task_size:\n    cpu_limit: 256\n"
              "    mem_limit: 0.5GB\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class User:
    """One person's terminal: a HOME, a state directory, a port; runs `fargate-lab` as they would."""

    def __init__(self, home: Path, port: int | None = None):
        self.home, self.port = home, port or free_port()
        self.state = home / ".state" / "fargate-lab"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("AWS_", "ECS_", "FARGATE_LAB_", "COMPOSE_", "XDG_"))}
        self.env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_STATE_HOME=str(home / ".state"),
                        PYTHONPATH=str(REPO), FARGATE_LAB_POLL_SECONDS="0.25", AWS_EC2_METADATA_DISABLED="true",
                        FARGATE_LAB_PORT=str(self.port), COLUMNS="100")

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "fargate_lab.cli", *args]

    def run(self, *args: str, cwd: Path | None = None, timeout: float = 120, **env) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(*args), cwd=cwd or self.home, env={**self.env, **env},
                              capture_output=True, text=True, timeout=timeout)

    def start(self, *args: str, cwd: Path | None = None) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), cwd=cwd or self.home, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def serve(self, speed: float = 30) -> subprocess.Popen:
        """`fargate-lab local serve` in the foreground of a child process, once it answers."""
        process = self.start("local", "serve", "--speed", str(speed))
        deadline = time.monotonic() + 60
        while not backend.server_status(self.port):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "local serve did not answer within 60 s"
            time.sleep(0.1)
        return process

    def record(self) -> dict | None:
        path = self.state / f"server-{self.port}.json"
        return json.loads(path.read_text()) if path.exists() else None

    def ecs(self):
        return boto3.client("ecs", region_name=REGION, endpoint_url=f"http://127.0.0.1:{self.port}",
                            **backend.LOCAL_CREDENTIALS)

    def stop(self) -> None:
        """Stop whatever cloud this user's port has, without the CLI (test clean-up)."""
        record = self.record()
        status = backend.server_status(self.port)
        if status:
            os.kill(status["pid"], signal.SIGKILL)
        if record and backend.pid_alive(record["pid"]):
            os.kill(record["pid"], signal.SIGKILL)


@pytest.fixture
def user(tmp_path):
    made = User(tmp_path)
    yield made
    made.stop()


def one_error(done: subprocess.CompletedProcess) -> str:
    """The single `Error:` line a refused command prints: exit 1, no traceback, nothing else on stderr."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr
    return lines[0][len("Error: "):]


def gone_line(port: int, pid: int) -> str:
    return (f"the local cloud on port {port} stopped (pid {pid}, started {time.strftime('%H:%M')}"), (
        "); its state is gone. Start a fresh one with `fargate-lab local reset` (or run the command again to "
        "start one)")


def assert_gone(line: str, port: int, pid: int) -> None:
    head, tail = gone_line(port, pid)
    assert line.startswith(head[:-2]) and line.endswith(tail), line   # the minute may turn during a test


# ---------------------------------------------------------------------------------- a cloud that died

def test_a_killed_cloud_is_named_and_never_silently_replaced(user):
    server = user.serve()
    made = user.run("up", "--empty")
    assert made.returncode == 0, made.stderr
    assert [c.rsplit("/", 1)[-1] for c in user.ecs().list_clusters()["clusterArns"]] == ["default"]
    pid = user.record()["pid"]
    saved = (user.state / f"server-{user.port}.json").read_text()

    os.kill(pid, signal.SIGKILL)
    server.wait(timeout=10)

    # a command that would create things does not start an empty cloud over the lost one
    assert_gone(one_error(user.run("up", "--empty")), user.port, pid)
    assert backend.server_status(user.port) is None
    # told once; now the record is gone and a read-only command says there is nothing (and starts nothing)
    assert "no local cloud is running on port" in one_error(user.run("ps"))
    assert backend.server_status(user.port) is None and user.record() is None

    # --debug: the traceback, then the same line last
    (user.state / f"server-{user.port}.json").write_text(saved)
    debugged = user.run("--debug", "ps")
    assert debugged.returncode == 1 and "Traceback (most recent call last)" in debugged.stderr
    assert_gone(debugged.stderr.strip().splitlines()[-1][len("Error: "):], user.port, pid)

    # run again: a fresh, empty cloud, and the user is told it started
    again = user.run("up", "--empty")
    assert again.returncode == 0, again.stderr
    assert "Started the local cloud at" in again.stderr
    assert user.record()["pid"] != pid


def test_the_cloud_dying_mid_deploy_is_named_in_one_line(user):
    user.serve(speed=2)   # a slow image at 2x: the deploy is still waiting when the cloud dies
    assert user.run("up").returncode == 0
    project = user.home / "app"
    project.mkdir()
    (project / "docker-compose.yml").write_text(COMPOSE.format(tag="slow"))
    (project / "ecs-params.yml").write_text(ECS_PARAMS)
    pid = user.record()["pid"]
    deploying = user.start("compose", "service", "up", "--timeout", "10", cwd=project)
    deadline = time.monotonic() + 60
    while not user.ecs().list_services(cluster="default")["serviceArns"]:
        assert deploying.poll() is None and time.monotonic() < deadline, deploying.communicate()
        time.sleep(0.2)
    time.sleep(1)
    os.kill(pid, signal.SIGKILL)
    stdout, stderr = deploying.communicate(timeout=90)
    done = subprocess.CompletedProcess(deploying.args, deploying.returncode, stdout, stderr)
    assert_gone(one_error(done), user.port, pid)
    assert "Could not connect" not in stdout + stderr
    assert backend.server_status(user.port) is None


def test_a_first_ever_read_command_starts_nothing(user):
    line = one_error(user.run("ps"))
    assert line == (f"no local cloud is running on port {user.port}, so there is nothing here yet: `fargate-lab up` "
                    "starts one")
    assert backend.server_status(user.port) is None and user.record() is None


# ---------------------------------------------------------------------------------- starting together

def test_concurrent_ups_share_one_server_and_one_cluster(user):
    both = [user.start("up") for _ in range(2)]
    results = [(p.wait(timeout=180), *p.communicate()) for p in both]
    for code, stdout, stderr in results:
        assert code == 0, stdout + stderr
        assert stdout.strip().splitlines()[-1] in ("Cluster creation succeeded.",
                                                    "Cluster default is already up; nothing to create.")
    assert sum("Started the local cloud" in stderr for _, _, stderr in results) == 1
    assert user.ecs().list_clusters()["clusterArns"] == ["arn:aws:ecs:us-east-1:123456789012:cluster/default"]
    cfn = boto3.client("cloudformation", region_name=REGION, endpoint_url=f"http://127.0.0.1:{user.port}",
                       **backend.LOCAL_CREDENTIALS)
    assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == ["amazon-ecs-cli-setup-default"]
    assert backend.server_status(user.port)["pid"] == user.record()["pid"]
    assert sorted(p.name for p in user.state.glob("server-*.json")) == [f"server-{user.port}.json"]

    again = user.run("up")   # and once more, alone: idempotent, said in its last line
    assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == \
        "Cluster default is already up; nothing to create."


# ---------------------------------------------------------------------------------- typos, config, reset, token

def test_down_of_a_cluster_that_does_not_exist_is_refused_by_name(user):
    user.serve()
    assert user.run("up", "--empty").returncode == 0
    done = user.run("down", "--force", "--cluster", "defualt")
    assert one_error(done) == ("no cluster named defualt in us-east-1 (clusters there: default); nothing to take "
                               "down: check the name")
    assert done.stdout == ""
    assert user.ecs().describe_clusters(clusters=["default"])["clusters"][0]["status"] == "ACTIVE"


def test_a_config_default_that_names_nothing_is_refused(user):
    path = user.home / "config.yml"
    path.write_text("default: demo\nclusters:\n  prod: {cluster: prod, region: eu-west-1}\n")
    line = one_error(user.run("ps", FARGATE_LAB_CONFIG=str(path)))
    assert line.startswith(f"{path}: default: 'demo' names no configuration under clusters: (known: prod)")
    fixed = user.run("configure", "default", "--config-name", "prod", FARGATE_LAB_CONFIG=str(path))
    assert fixed.returncode == 0, fixed.stderr


def test_local_reset_gives_a_clean_slate(user):
    assert user.run("up", "--empty").returncode == 0
    first = user.record()["pid"]
    reset = user.run("local", "reset")
    assert reset.returncode == 0, reset.stderr
    lines = reset.stdout.strip().splitlines()
    assert lines[0] == f"Stopped the local cloud on port {user.port} (pid {first}); its state is gone."
    second = user.record()["pid"]
    assert second != first and not backend.pid_alive(first)
    assert lines[1] == (f"Started a fresh local cloud at http://127.0.0.1:{user.port} (10x AWS speed, "
                        f"pid {second}).")
    assert user.ecs().list_clusters()["clusterArns"] == []

    os.kill(second, signal.SIGKILL)   # reset also clears up after a cloud that died
    lines = user.run("local", "reset").stdout.strip().splitlines()
    assert lines[0] == f"The local cloud on port {user.port} (pid {second}) had already stopped; cleared its record."
    assert lines[1].startswith("Started a fresh local cloud")
    assert backend.server_status(user.port)["pid"] == user.record()["pid"] != second


def shutdown(port: int, token: str | None = None) -> int:
    headers = {"X-Fargate-Lab-Token": token} if token is not None else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/fargate-lab/shutdown", method="POST", data=b"",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_shutdown_needs_the_token_in_the_private_record(user, tmp_path_factory):
    server = user.serve()
    path = user.state / f"server-{user.port}.json"
    assert path.stat().st_mode & 0o777 == 0o600
    record = user.record()
    assert set(record) == {"port", "pid", "started", "speed", "token"} and len(record["token"]) >= 32
    assert record["token"] not in " ".join(server.args)   # never on a command line

    assert shutdown(user.port) == 403 and shutdown(user.port, "guess") == 403
    assert backend.server_status(user.port)["pid"] == record["pid"]

    stranger = User(tmp_path_factory.mktemp("stranger"), port=user.port)   # another state directory: no token
    line = one_error(stranger.run("local", "stop"))
    assert line.startswith(f"the local cloud on port {user.port} (pid {record['pid']}) wants a shutdown token")
    assert backend.server_status(user.port)

    stopped = user.run("local", "stop")
    assert stopped.returncode == 0 and stopped.stdout.strip() == \
        f"Stopped the local cloud on port {user.port} (pid {record['pid']}); its state is gone."
    assert server.wait(timeout=10) == 0
    assert backend.server_status(user.port) is None and not path.exists()
