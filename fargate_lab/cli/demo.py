"""`demo`: the talk's demo, scripted, on an in-process local cloud (its compose files are here too)."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import boto3
import click
from rich.console import Console
from rich.text import Text

from .. import backend as backends
from ..ops import config, services
from ..ops.errors import OpsError
from ..ops.load_balancers import TEST_LISTENER_PORT
from ..ops.services import ServiceOptions
from .group import cli
from .output import _console, command_lines, print_rows

DEMO_SPEED = 7.0
DEMO_PROJECT = "my-application"
DEMO_DEREGISTRATION_DELAY = 60   # seconds a replaced task's target drains (AWS default 300: too long to watch)
DEMO_TIMEOUT_MINUTES = 30        # of the cloud's clock: a deploy of the demo takes a few
NEXT_RELEASE = ServiceOptions(timeout_minutes=DEMO_TIMEOUT_MINUTES)   # `service up` with no flags
DEMO_ALARM = "my-application-5xx"
STRATEGIES = ("rolling", "canary")   # how the demo's v2 goes out
V2_CANARY_FLAGS = "--deployment-strategy canary --canary-percent 20 --canary-bake-minutes 3 --bake-minutes 1 " \
                  "--create-load-balancer"
V2_CANARY = ServiceOptions(deployment_strategy="canary", canary_percent=20.0, canary_bake_minutes=3, bake_minutes=1,
                           create_load_balancer=True, deregistration_delay=DEMO_DEREGISTRATION_DELAY,
                           timeout_minutes=DEMO_TIMEOUT_MINUTES)
CANARY_RELEASE = ServiceOptions(deployment_strategy="canary", canary_percent=20.0, canary_bake_minutes=5, bake_minutes=2,
                                alarm_names=(DEMO_ALARM,), create_load_balancer=True,
                                deregistration_delay=DEMO_DEREGISTRATION_DELAY, timeout_minutes=DEMO_TIMEOUT_MINUTES)
DEMO_COMPOSE = """\
services:
  web:
    image: fargatelab/web:{tag}
    ports:
      - "80:80"
    logging:
      driver: awslogs
      options:
        awslogs-group: /ecs/{project}
        awslogs-region: {region}
        awslogs-stream-prefix: {project}
"""
DEMO_PARAMS = """\
version: 1
task_definition:
  ecs_network_mode: awsvpc
  task_execution_role: ecsTaskExecutionRole
  task_size:
    cpu_limit: 256
    mem_limit: 0.5GB
"""


@cli.command()
@click.option("--clock", type=click.Choice(["real", "virtual"]), default="real", show_default=True,
              help="real: watch it happen; virtual: as fast as the machine goes (tests).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=DEMO_SPEED, show_default=True,
              help="Real clock only: how many times faster than AWS.")
@click.option("--desired", type=click.IntRange(1, 10), default=4, show_default=True, help="Tasks in the service.")
@click.option("--strategy", type=click.Choice(STRATEGIES), default="rolling", show_default=True,
              help="How v2 goes out: rolling (the talk: new tasks, old targets drain), or canary (20 % of the traffic "
                   "for 3 minutes, then all of it; the service stays canary for the releases after it).")
def demo(clock, speed, desired, strategy):
    """The talk's demo on an in-process local cloud: configure, up, deploy v1, roll to v2, a broken release
    rolled back by the circuit breaker, a canary rolled back by its alarm, then down."""
    ok = run_demo(clock=clock, speed=speed, desired=desired, strategy=strategy)
    if not ok:
        raise OpsError("the demo did not go as expected (see above)")


def run_demo(clock: str = "real", speed: float = DEMO_SPEED, desired: int = 4, region: str = "us-east-1",
             console: Console | None = None, strategy: str = "rolling") -> bool:
    """The demo in a throwaway config and an in-process cloud; True if every step went as expected."""
    from .. import local
    console = console or _console()
    started = time.monotonic()
    endpoints = {k: None for k in os.environ if k.startswith("AWS_ENDPOINT_URL")}   # the cloud is in-process
    with tempfile.TemporaryDirectory(prefix="fargate-lab-demo-") as tmp, \
            _temporary_env(FARGATE_LAB_CONFIG=str(Path(tmp) / "config.yml"), AWS_PROFILE=None, **endpoints), \
            local.cloud(clock=clock, speed=speed) as cloud:
        demo = Demo(console, cloud, Path(tmp), region, desired, strategy)
        ok = demo.run()
        cloud_minutes = (cloud.now() - demo.cloud_start).total_seconds() / 60
    console.print()
    console.print(f"Demo {'done' if ok else 'FAILED'}: {cloud_minutes:.1f} minutes of ECS time in "
                  f"{time.monotonic() - started:.0f} s.")
    return ok


class Demo:
    """The talk's story, step by step, each step printed as the command a person would type."""

    def __init__(self, console: Console, cloud, workdir: Path, region: str, desired: int, strategy: str = "rolling"):
        if strategy not in STRATEGIES:
            raise OpsError(f"the demo's strategy is one of {', '.join(STRATEGIES)}, not {strategy!r}")
        self.console, self.cloud, self.region, self.desired = console, cloud, region, desired
        self.strategy = strategy
        self.say = lambda message: console.print(message, markup=False, highlight=False)
        self.session = boto3.session.Session(region_name=region, **backends.LOCAL_CREDENTIALS)
        self.cloud_start = cloud.now()
        if cloud.mode == "virtual":   # polls move the virtual clock; the deadline is in cloud time too
            self.waits = {"sleep": cloud.sleep, "clock": cloud.clock.now, "poll_seconds": 5.0}
        else:
            self.waits = {"sleep": time.sleep, "clock": time.monotonic, "poll_seconds": 0.5}
        project = workdir / DEMO_PROJECT
        project.mkdir()
        self.compose_file, self.params_file = project / "docker-compose.yml", project / "ecs-params.yml"
        self.params_file.write_text(DEMO_PARAMS)

    def run(self) -> bool:
        from ..ops import cluster as cluster_ops
        self.step(f"fargate-lab configure --region {self.region} --default-launch-type FARGATE")
        made = config.configure(region=self.region, default_launch_type="FARGATE")
        self.say(f"Saved configuration {made.name} (cluster {made.cluster}, region {made.region})")
        self.step("fargate-lab up")
        cluster_ops.up(self.session, cluster="default", say=self.say)
        first = self.deploy("v1", "the first release, behind a new load balancer",
                            flags=f"--create-load-balancer --create-log-groups --desired-count {self.desired}",
                            options=ServiceOptions(desired_count=self.desired, create_load_balancer=True,
                                                   create_log_groups=True,
                                                   deregistration_delay=DEMO_DEREGISTRATION_DELAY,
                                                   timeout_minutes=DEMO_TIMEOUT_MINUTES))
        if self.strategy == "canary":
            second = self.deploy("v2", "a new release as a canary: 20 % of the traffic for 3 minutes, then all of it",
                                 flags=V2_CANARY_FLAGS, options=V2_CANARY)
        else:
            second = self.deploy("v2", "a new release: a rolling deployment, old targets drain")
        rolled_back = self.broken_release(serving=second.task_definition)
        canary_caught = self.erroring_canary(serving=second.task_definition, target_group=first.target_group_arn)
        serving = self.show_tasks()
        self.tear_down()
        return (first.outcome == second.outcome == "COMPLETED" and rolled_back and canary_caught
                and serving == {second.task_definition})

    def step(self, command: str, remark: str = "") -> None:
        """The command as typed; on a terminal too narrow for it and its remark, the remark goes on a line of its
        own above it and the command is broken before its options (` \\`), so nothing wraps mid-word."""
        self.console.print()
        line = f"$ {command}" + (f"  # {remark}" if remark else "")
        if not self.console.is_terminal or len(line) <= self.console.width:
            self.console.print(Text.assemble((f"$ {command}", "bold"), (f"  # {remark}" if remark else "", "dim")))
            return
        if remark:
            self.console.print(Text(f"# {remark}", style="dim"))
        for part in command_lines(f"$ {command}", self.console.width):
            self.console.print(Text(part, style="bold"))

    def deploy(self, tag: str, remark: str, flags: str = "",
               options: ServiceOptions = NEXT_RELEASE) -> services.DeployResult:
        from ..ops.watch import DeploymentView
        self.compose_file.write_text(DEMO_COMPOSE.format(tag=tag, project=DEMO_PROJECT, region=self.region))
        self.step(f"fargate-lab compose --project-name {DEMO_PROJECT} service up {flags}".strip(),
                  f"{remark} (image fargatelab/web:{tag})")
        with DeploymentView(console=self.console) as view:
            return services.service_up(self.session, "default", DEMO_PROJECT, [str(self.compose_file)],
                                       str(self.params_file), options=options, say=view.say,
                                       on_update=view.update, **self.waits)

    def broken_release(self, serving: str) -> bool:
        """Deploy an image that crashes; True if the failure names the rollback."""
        try:
            self.deploy("crash", "a broken release: it crashes on start")
        except OpsError as e:
            self.console.print(Text.assemble(("Error: ", "bold red"), str(e)))   # what the command prints
            if "rolled back to" in str(e):
                self.console.print(f"[green]The circuit breaker rolled the service back; it keeps serving "
                                   f"{serving}.[/green]")
                return True
        return False

    def erroring_canary(self, serving: str, target_group: str | None) -> bool:
        """A canary of a release that fails one request in three: its alarm fires while it has 20 % of the
        traffic and ECS puts all of it back; True if the failure says so."""
        elbv2 = self.session.client("elbv2")
        balancer = elbv2.describe_target_groups(TargetGroupArns=[target_group])["TargetGroups"][0]["LoadBalancerArns"][0]
        dimension = balancer.split(":loadbalancer/")[1]
        self.step(f"aws cloudwatch put-metric-alarm --alarm-name {DEMO_ALARM} --namespace AWS/ApplicationELB "
                  f"--metric-name HTTPCode_Target_5XX_Count --dimensions Name=LoadBalancer,Value={dimension} "
                  "--statistic Sum --period 60 --evaluation-periods 1 --threshold 10 "
                  "--comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching",
                  "more than 10 errors a minute is an incident")
        # nobody tests through the test listener here: its synthetic requests would reach green first
        self.cloud.traffic.set_rate(balancer, 0, port=TEST_LISTENER_PORT)
        self.session.client("cloudwatch").put_metric_alarm(
            AlarmName=DEMO_ALARM, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
            Dimensions=[{"Name": "LoadBalancer", "Value": dimension}], Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanOrEqualToThreshold",
            TreatMissingData="notBreaching")
        try:
            self.deploy("v2-errors", "a canary: 20 % of the traffic first, to a release that fails 1 request in 3",
                        flags=f"--deployment-strategy canary --canary-percent 20 --canary-bake-minutes 5 "
                              f"--bake-minutes 2 --alarm {DEMO_ALARM} --create-load-balancer",
                        options=CANARY_RELEASE)
        except OpsError as e:
            self.console.print(Text.assemble(("Error: ", "bold red"), str(e)))
            if "ROLLBACK_SUCCESSFUL" in str(e) or "rolled back" in str(e):
                self.console.print(f"[green]The alarm caught the canary while it had 20 % of the traffic; ECS moved "
                                   f"all of it back to {serving}.[/green]")
                return True
        return False

    def show_tasks(self) -> set[str]:
        self.step(f"fargate-lab compose --project-name {DEMO_PROJECT} service ps")
        rows = services.service_ps(self.session, "default", DEMO_PROJECT, "RUNNING")
        print_rows(rows, self.console)
        return {r.task_definition for r in rows if r.state == "RUNNING"}

    def tear_down(self) -> None:
        from ..ops import cluster as cluster_ops
        self.step(f"fargate-lab compose --project-name {DEMO_PROJECT} service rm")
        services.service_rm(self.session, "default", DEMO_PROJECT, timeout_minutes=DEMO_TIMEOUT_MINUTES, say=self.say,
                            **self.waits)
        self.step("fargate-lab down --force")
        cluster_ops.down(self.session, cluster="default", force=True, say=self.say)


@contextlib.contextmanager
def _temporary_env(**values: str | None):
    """Set (or, with None, remove) environment variables for the duration."""
    saved = {k: os.environ.get(k) for k in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
