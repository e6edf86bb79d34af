"""`fargate-lab`: ecs-cli's commands for ECS on Fargate, on the local cloud (default) or on AWS.

The talk's commands work as typed, with `fargate-lab` in place of `ecs-cli`:

    fargate-lab configure --region us-east-1 --default-launch-type FARGATE
    fargate-lab up
    fargate-lab compose --project-name my-application service up

Every command is a thin shell over `fargate_lab.ops` (which only sees a boto3
session), so what a command does can be done from a notebook too.  Errors print
one line, `Error: ...`, on stderr and exit 1; `--debug` adds the traceback.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import secrets
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Sequence

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ParamValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import __version__
from . import backend as backends
from .compose import ComposeError, ComposeWarning, to_task_definition
from .ops import config, errors, services, tasks
from .ops.errors import OpsError

DEFAULT_COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml")
OVERRIDE_FILES = ("docker-compose.override.yml", "docker-compose.override.yaml")
DEFAULT_ECS_PARAMS = "ecs-params.yml"
DEFAULT_TIMEOUT_MINUTES = 5.0
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


# ====================================================================================== output

def _is_terminal() -> bool:
    return sys.stdout.isatty()


def _console() -> Console:
    # Off a terminal rich would wrap at 80 columns; a wide, soft-wrapped console keeps lines whole for pipes and CI.
    if _is_terminal():
        return Console(highlight=False, soft_wrap=True)
    return Console(highlight=False, soft_wrap=True, width=250, no_color=True)


def say(message: str) -> None:
    click.echo(message)


def note(message: str) -> None:
    """Side remarks (the local cloud starting) on stderr, so stdout stays the command's output."""
    click.echo(message, err=True)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def print_rows(rows: Sequence[tasks.TaskRow], console: Console | None = None) -> None:
    console = console or _console()
    if not rows:
        console.print("No tasks.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in tasks.HEADERS:
        # a narrow terminal folds the long columns rather than cutting task ids and addresses short
        table.add_column(header, overflow="fold", no_wrap=header in ("State", "Health"))
    for row in rows:
        table.add_row(*row.as_tuple())
    console.print(table)


# ====================================================================================== the session

@dataclasses.dataclass
class State:
    """The global options, and the session made from them on first use."""
    backend: str | None = None
    region: str | None = None
    cluster: str | None = None
    config_name: str | None = None
    port: int = backends.DEFAULT_PORT
    dry_run: bool = False
    debug: bool = False
    compose: "ComposeOptions | None" = None
    _session: boto3.session.Session | None = None

    def settings(self, launch_type: str | None = None) -> config.Settings:
        return config.resolve(cluster=self.cluster, region=self.region, launch_type=launch_type,
                              backend=self.backend, config_name=self.config_name)

    def session(self, autostart: bool = False) -> boto3.session.Session:
        """`autostart`: on the local backend, may this command start a cloud if none was ever started?
        Commands that make something may (a first run just works); commands that only look or remove
        would start an empty cloud to find nothing in it, so they say there is none instead."""
        if self._session is None:
            self._session = make_session(self.settings(), self.port, self.dry_run, autostart=autostart)
        return self._session


def make_session(settings: config.Settings, port: int, dry_run: bool = False,
                 autostart: bool = True) -> boto3.session.Session:
    if settings.backend == "local":
        session: boto3.session.Session = backends.local_backend(settings.region, port, autostart=autostart,
                                                                say=note).session()
    else:
        made = backends.aws_backend(settings.region)
        session = boto3.session.Session(region_name=settings.region, profile_name=made.profile)
    if dry_run:
        from .ops import dryrun
        dryrun.install(session, say=say)   # the plan is the command's output: stdout
        say(f"Dry run on {settings.backend}: calls that would change something are printed, not made.")
    return session


def _state(ctx: click.Context) -> State:
    return ctx.find_object(State)


def config_options(fn):
    """ecs-cli accepted its config flags at any level; so do we (the command's value wins over the global one)."""
    fn = click.option("--cluster", "-c", "cluster_opt", help="Cluster name (default: from the configuration).")(fn)
    fn = click.option("--region", "-r", "region_opt", help="AWS region (default: from the configuration).")(fn)
    fn = click.option("--config-name", "--cluster-config", "config_name_opt",
                      help="Named configuration to use (see `configure`).")(fn)
    return fn


def _apply_config_options(ctx: click.Context, cluster_opt, region_opt, config_name_opt) -> State:
    state = _state(ctx)
    state.cluster = cluster_opt or state.cluster
    state.region = region_opt or state.region
    state.config_name = config_name_opt or state.config_name
    return state


def _parse_tags(value: str | None) -> dict[str, str]:
    """--tags key=value,key2=value2"""
    if not value:
        return {}
    tags = {}
    for item in value.split(","):
        key, sep, val = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{item!r} is not key=value; write --tags key=value,key2=value2",
                                     param_hint="--tags")
        tags[key.strip()] = val.strip()
    return tags


# ====================================================================================== the group

class AliasedGroup(click.Group):
    """A group whose commands have aliases (ecs-cli: `service rm` = `delete` = `down`, `ps` = `list`)."""

    aliases: dict[str, str] = {}

    def get_command(self, ctx, name):
        return super().get_command(ctx, self.aliases.get(name, name))

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command else name), command, rest


def _default_port() -> int:
    text = os.environ.get("FARGATE_LAB_PORT")
    if not text:
        return backends.DEFAULT_PORT
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise click.BadParameter(f"FARGATE_LAB_PORT={text!r} is not a port number", param_hint="FARGATE_LAB_PORT")
    return int(text)


@click.group(context_settings=CONTEXT)
@click.option("--backend", "backend_name", type=click.Choice(["local", "aws"]),
              help="local: the built-in cloud (default); aws: your AWS account.")
@click.option("--region", "-r", help="AWS region (default: from the configuration, else us-east-1).")
@click.option("--cluster", "-c", help="Cluster name (default: from the configuration, else 'default').")
@click.option("--config-name", "--cluster-config", "config_name", help="Named configuration to use.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Local cloud port (default 4566 or $FARGATE_LAB_PORT).")
@click.option("--dry-run", is_flag=True, help="Print the calls that would change something; make none of them.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(__version__, prog_name="fargate-lab")
@click.pass_context
def cli(ctx, backend_name, region, cluster, config_name, port, dry_run, debug):
    """Learn and run ECS on Fargate: ecs-cli's commands, on a local cloud or on AWS."""
    ctx.obj = State(backend=backend_name, region=region, cluster=cluster, config_name=config_name,
                    port=port or _default_port(), dry_run=dry_run, debug=debug)


# ====================================================================================== configure

@cli.group(invoke_without_command=True, cls=AliasedGroup)
@click.option("--cluster", "-c", help="Cluster name to save (default 'default').")
@click.option("--region", "-r", help="AWS region to save.")
@click.option("--default-launch-type", help="FARGATE or EC2.")
@click.option("--config-name", "--cluster-config", default=None, help="Name of this configuration (default 'default').")
@click.option("--backend", "backend_name", type=click.Choice(["local", "aws"]), help="Backend to save.")
@click.pass_context
def configure(ctx, cluster, region, default_launch_type, config_name, backend_name):
    """Save a named cluster configuration (ecs-cli `configure`)."""
    if ctx.invoked_subcommand:
        return
    state = _state(ctx)
    made = config.configure(cluster=cluster or state.cluster, region=region or state.region,
                            default_launch_type=default_launch_type, config_name=config_name or state.config_name
                            or "default", backend=backend_name or state.backend)
    details = ", ".join(f"{k} {v}" for k, v in (("cluster", made.cluster), ("region", made.region),
                                                ("launch type", made.default_launch_type),
                                                ("backend", made.backend)) if v)
    say(f"Saved fargate-lab cluster configuration {made.name} ({details}) to {config.config_path()}")


@configure.command("default")
@click.option("--config-name", "--cluster-config", required=True, help="The configuration to make the default.")
def configure_default(config_name):
    """Make a saved configuration the default."""
    config.set_default(config_name)
    say(f"Default configuration: {config_name}")


# ====================================================================================== up / down / ps / logs

@cli.command()
@config_options
@click.option("--port", type=click.IntRange(1, 65535), default=80, show_default=True,
              help="Port the security group opens to the internet.")
@click.option("--vpc", help="Use this VPC instead of creating one (with --subnets).")
@click.option("--subnets", help="Comma-separated subnet ids in --vpc.")
@click.option("--force", "-f", is_flag=True, help="Recreate the cluster's network if it exists.")
@click.option("--empty", "-e", is_flag=True, help="Create the cluster only, no network.")
@click.option("--tags", help="Extra tags, key=value,key2=value2.")
@click.pass_context
def up(ctx, cluster_opt, region_opt, config_name_opt, port, vpc, subnets, force, empty, tags):
    """Create the cluster and its network: a VPC, two public subnets, a security group (ecs-cli `up`)."""
    from .ops import cluster as cluster_ops
    state = _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    subnet_ids = [s.strip() for s in subnets.split(",") if s.strip()] if subnets else None
    cluster_ops.up(state.session(autostart=True), cluster=state.settings().cluster, port=port, vpc=vpc,
                   subnets=subnet_ids, force=force, empty=empty, tags=_parse_tags(tags) or None, say=say)


@cli.command()
@config_options
@click.option("--force", "-f", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def down(ctx, cluster_opt, region_opt, config_name_opt, force):
    """Delete the cluster and the network `up` made (ecs-cli `down`)."""
    from .ops import cluster as cluster_ops
    state = _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    name = state.settings().cluster
    session = state.session()
    cluster_ops.require_something_to_remove(session, name)   # a typo'd name is an error, not a no-op
    if not force and not state.dry_run:
        if not sys.stdin.isatty():
            raise OpsError(f"not deleting cluster {name} without confirmation: pass --force (no terminal to ask on)")
        if not click.confirm(f"Delete cluster {name} and everything fargate-lab made for it?", default=False,
                             err=True):
            raise OpsError("not deleted: answer y, or pass --force")
    # load balancers are not `down`'s business, but one left in the subnets would keep the VPC alive
    services.delete_cluster_load_balancers(session, name, say=say, poll_seconds=_poll_seconds())
    # --force only skips the question (as in ecs-cli): what fargate-lab did not make is never deleted
    cluster_ops.down(session, cluster=name, force=False, say=say)


@cli.command()
@config_options
@click.option("--desired-status", type=click.Choice(["RUNNING", "STOPPED"]), help="Only tasks with this status.")
@click.pass_context
def ps(ctx, cluster_opt, region_opt, config_name_opt, desired_status):
    """Every task in the cluster: Name, State, Ports, TaskDefinition, Health (ecs-cli `ps`)."""
    state = _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    session = state.session()
    services.require_cluster(session.client("ecs"), state.settings().cluster)
    print_rows(tasks.cluster_ps(session, state.settings().cluster, desired_status))


@cli.command()
@config_options
@click.option("--task-id", required=True, help="The task (id or ARN).")
@click.option("--task-def", "task_definition", help="family:revision, for a task ECS no longer lists.")
@click.option("--container-name", help="Only this container.")
@click.option("--follow", is_flag=True, help="Keep printing new lines until the task stops.")
@click.option("--since", type=click.FloatRange(min=0, min_open=True), help="Only lines from the last N minutes.")
@click.option("--filter-pattern", help="CloudWatch Logs filter pattern.")
@click.option("--timestamps", "-t", is_flag=True, help="Show each line's time.")
@click.pass_context
def logs(ctx, cluster_opt, region_opt, config_name_opt, task_id, task_definition, container_name, follow, since,
         filter_pattern, timestamps):
    """A task's CloudWatch logs (awslogs driver with a stream prefix) (ecs-cli `logs`)."""
    from .ops import logs as log_ops
    state = _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    count = log_ops.logs(state.session(), state.settings().cluster, task_id, follow=follow, since_minutes=since,
                         filter_pattern=filter_pattern, timestamps=timestamps, container_name=container_name,
                         task_definition=task_definition, say=say)
    if count == 0:
        note("No log lines (yet).")


# ====================================================================================== compose

@dataclasses.dataclass
class ComposeOptions:
    files: list[str]
    project: str | None
    ecs_params: str | None
    task_role_arn: str | None

    def project_name(self) -> str:
        """-p, else what the compose files say (COMPOSE_PROJECT_NAME, name:, the directory)."""
        if self.project:
            return self.project
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return to_task_definition(self.files, self.ecs_params)["family"]
        except (ComposeError, OSError):
            return os.environ.get("COMPOSE_PROJECT_NAME") or _directory_project(self.files)


def _directory_project(files: Sequence[str]) -> str:
    directory = Path(files[0]).resolve().parent if files else Path.cwd()
    return re.sub(r"[^A-Za-z0-9_-]", "-", directory.name) or "default"


def default_compose_files(cwd: Path | None = None) -> list[str]:
    """docker-compose.yml (+ docker-compose.override.yml), as ecs-cli and docker compose look for them."""
    cwd = cwd or Path.cwd()
    from_env = os.environ.get("COMPOSE_FILE")
    if from_env:
        return [f for f in from_env.split(os.pathsep) if f]
    main = next((name for name in DEFAULT_COMPOSE_FILES if (cwd / name).exists()), None)
    if main is None:
        raise OpsError(f"no docker-compose.yml in {cwd}: run from the project's directory or pass --file")
    override = next((name for name in OVERRIDE_FILES if (cwd / name).exists()), None)
    return [main] + ([override] if override else [])


@cli.group(cls=AliasedGroup)
@click.option("--file", "-f", "files", multiple=True, help="Compose file (repeatable; default docker-compose.yml "
                                                            "+ docker-compose.override.yml).")
@click.option("--project-name", "-p", help="Project name: the task-definition family and service name "
                                           "(default: the directory name).")
@click.option("--ecs-params", help="ecs-params.yml (default: ./ecs-params.yml if present).")
@click.option("--task-role-arn", help="IAM role for the task's containers.")
@config_options
@click.pass_context
def compose(ctx, files, project_name, ecs_params, task_role_arn, cluster_opt, region_opt, config_name_opt):
    """A compose project as standalone tasks (up/ps/down) or as a service (`compose service ...`)."""
    _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    ctx.obj.compose = ComposeOptions(list(files), project_name, ecs_params, task_role_arn)


def _compose(ctx: click.Context) -> ComposeOptions:
    """The compose options with defaults filled in (files looked up only when a command needs them)."""
    options: ComposeOptions = ctx.obj.compose
    if not options.files:
        options.files = default_compose_files()
    if options.ecs_params is None and Path(DEFAULT_ECS_PARAMS).exists():
        options.ecs_params = DEFAULT_ECS_PARAMS
    return options


compose.aliases = {"start": "up", "stop": "down", "list": "ps"}


def _launch_type_option(fn):
    return click.option("--launch-type", type=click.Choice(["FARGATE", "EC2"]),
                        help="Default: the configuration's default launch type, else FARGATE.")(fn)


def _timeout_option(fn):
    return click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT_MINUTES, show_default=True,
                        help="Minutes to wait in all (0: do not wait).")(fn)


@compose.command("up")
@_launch_type_option
@click.option("--create-log-groups/--no-create-log-groups", default=True, show_default=True,
              help="Create missing awslogs log groups (tagged) first; --no-create-log-groups fails instead.")
@click.option("--force-update", "-u", is_flag=True, help="Replace running tasks even if nothing changed.")
@click.option("--tags", help="Extra tags, key=value,...")
@_timeout_option
@click.pass_context
def compose_up(ctx, launch_type, create_log_groups, force_update, tags, timeout):
    """Run the project as one standalone task; wait for RUNNING, fail if it stops."""
    state, options = _state(ctx), _compose(ctx)
    settings = state.settings(launch_type=launch_type)
    result = services.compose_up(state.session(autostart=True), settings.cluster, options.project, options.files,
                                 options.ecs_params, launch_type=settings.launch_type,
                                 create_log_groups=create_log_groups, force_update=force_update,
                                 timeout_minutes=timeout, tags=_parse_tags(tags) or None, say=say,
                                 task_role_arn=options.task_role_arn, poll_seconds=_poll_seconds())
    if result.rows:
        print_rows(result.rows)


@compose.command("ps")
@click.option("--desired-status", type=click.Choice(["RUNNING", "STOPPED"]))
@click.pass_context
def compose_ps(ctx, desired_status):
    """The project's standalone tasks."""
    state, options = _state(ctx), ctx.obj.compose
    project = options.project or _compose(ctx).project_name()
    print_rows(services.compose_ps(state.session(), state.settings().cluster, project, desired_status))


@compose.command("down")
@_timeout_option
@click.pass_context
def compose_down(ctx, timeout):
    """Stop the project's standalone tasks (nothing is deleted)."""
    state, options = _state(ctx), ctx.obj.compose
    project = options.project or _compose(ctx).project_name()
    services.compose_down(state.session(), state.settings().cluster, project, timeout_minutes=timeout, say=say,
                          poll_seconds=_poll_seconds())


# -------------------------------------------------------------------------------------- compose service

def _deployment_options(fn):
    fn = click.option("--deployment-min-healthy-percent", "min_healthy", type=int,
                      help="Lowest share of desired tasks kept healthy during a deployment (ECS default 100).")(fn)
    fn = click.option("--deployment-max-percent", "max_percent", type=int,
                      help="Highest share of desired tasks running during a deployment (ECS default 200).")(fn)
    return fn


def _service_options(fn):
    """create/up: what the service is made with."""
    fn = click.option("--tags", help="Extra tags, key=value,...")(fn)
    fn = _launch_type_option(fn)
    fn = click.option("--create-log-groups/--no-create-log-groups", default=True, show_default=True,
                      help="Create missing awslogs log groups (tagged) first; --no-create-log-groups fails "
                           "instead.")(fn)
    fn = click.option("--create-load-balancer", is_flag=True,
                      help="Make an ALB, an ip target group (health check /) and a listener on the container port.")(fn)
    fn = click.option("--container-port", type=click.IntRange(1, 65535),
                      help="Container port for the load balancer.")(fn)
    fn = click.option("--container-name", help="Container for the load balancer.")(fn)
    fn = click.option("--target-group-arn", help="Register the tasks in this (ip) target group.")(fn)
    fn = click.option("--no-rollback", is_flag=True, help="Circuit breaker without rollback.")(fn)
    fn = click.option("--no-circuit-breaker", is_flag=True, help="No deployment circuit breaker.")(fn)
    return _deployment_options(fn)


@compose.group("service", cls=AliasedGroup)
def service_group():
    """The project as an ECS service: up, create, start, stop, scale, ps, rm."""


service_group.aliases = {"delete": "rm", "down": "rm", "list": "ps"}


def _service_kwargs(max_percent, min_healthy, no_circuit_breaker, no_rollback, target_group_arn, container_name,
                    container_port, create_load_balancer, create_log_groups, tags) -> dict:
    return dict(max_percent=max_percent, min_healthy_percent=min_healthy, circuit_breaker=not no_circuit_breaker,
                rollback=not no_rollback, target_group_arn=target_group_arn, container_name=container_name,
                container_port=container_port, create_load_balancer=create_load_balancer,
                create_log_groups=create_log_groups, tags=_parse_tags(tags) or None)


@service_group.command("up")
@_service_options
@click.option("--desired-count", type=click.IntRange(min=0), help="Tasks to run (default: 1 for a new service, "
                                                                  "else unchanged).")
@click.option("--force-deployment", is_flag=True, help="Start a new deployment even if nothing changed.")
@_timeout_option
@click.pass_context
def service_up(ctx, max_percent, min_healthy, no_circuit_breaker, no_rollback, target_group_arn, container_name,
               container_port, create_load_balancer, create_log_groups, launch_type, tags, desired_count,
               force_deployment, timeout):
    """Create or update the service and wait until the deployment COMPLETED (or say why it failed)."""
    state, options = _state(ctx), _compose(ctx)
    settings = state.settings(launch_type=launch_type)
    kwargs = _service_kwargs(max_percent, min_healthy, no_circuit_breaker, no_rollback, target_group_arn,
                             container_name, container_port, create_load_balancer, create_log_groups, tags)
    session = state.session(autostart=True)
    with _deployment_view() as view:
        services.service_up(session, settings.cluster, options.project, options.files, options.ecs_params,
                            desired=desired_count, force_deployment=force_deployment, timeout_minutes=timeout,
                            launch_type=settings.launch_type, say=view.say, on_update=view.update,
                            task_role_arn=options.task_role_arn, poll_seconds=_poll_seconds(), **kwargs)


@service_group.command("create")
@_service_options
@click.pass_context
def service_create(ctx, max_percent, min_healthy, no_circuit_breaker, no_rollback, target_group_arn, container_name,
                   container_port, create_load_balancer, create_log_groups, launch_type, tags):
    """Create the service with 0 tasks (start it with `service start`)."""
    state, options = _state(ctx), _compose(ctx)
    settings = state.settings(launch_type=launch_type)
    kwargs = _service_kwargs(max_percent, min_healthy, no_circuit_breaker, no_rollback, target_group_arn,
                             container_name, container_port, create_load_balancer, create_log_groups, tags)
    services.service_create(state.session(autostart=True), settings.cluster, options.project, options.files,
                            options.ecs_params, launch_type=settings.launch_type, say=say,
                            task_role_arn=options.task_role_arn, **kwargs)


def _service_project(ctx: click.Context) -> str:
    options: ComposeOptions = ctx.obj.compose
    return options.project or _compose(ctx).project_name()


@service_group.command("start")
@click.option("--force-deployment", is_flag=True, help="Start a new deployment even if nothing changed.")
@_timeout_option
@click.pass_context
def service_start(ctx, force_deployment, timeout):
    """Desired count 0 -> 1 (a created or stopped service)."""
    state = _state(ctx)
    project = _service_project(ctx)
    with _deployment_view() as view:
        services.service_start(state.session(autostart=True), state.settings().cluster, project, force_deployment,
                               timeout, say=view.say, on_update=view.update, poll_seconds=_poll_seconds())


@service_group.command("stop")
@_timeout_option
@click.pass_context
def service_stop(ctx, timeout):
    """Desired count 0: stop every task, keep the service."""
    state = _state(ctx)
    project = _service_project(ctx)
    with _deployment_view() as view:
        services.service_stop(state.session(), state.settings().cluster, project, timeout, say=view.say,
                              on_update=view.update, poll_seconds=_poll_seconds())


@service_group.command("scale")
@click.argument("count", type=click.IntRange(min=0))
@_deployment_options
@_timeout_option
@click.pass_context
def service_scale(ctx, count, max_percent, min_healthy, timeout):
    """Run COUNT tasks."""
    _scale(ctx, _service_project(ctx), count, max_percent, min_healthy, timeout)


def _scale(ctx, project, count, max_percent, min_healthy, timeout):
    state = _state(ctx)
    with _deployment_view() as view:
        services.service_scale(state.session(), state.settings().cluster, project, count, max_percent, min_healthy,
                               timeout, say=view.say, on_update=view.update, poll_seconds=_poll_seconds())


@service_group.command("ps")
@click.option("--desired-status", type=click.Choice(["RUNNING", "STOPPED"]))
@click.pass_context
def service_ps(ctx, desired_status):
    """The service's tasks."""
    state = _state(ctx)
    print_rows(services.service_ps(state.session(), state.settings().cluster, _service_project(ctx), desired_status))


@service_group.command("rm")
@_timeout_option
@click.pass_context
def service_rm(ctx, timeout):
    """Delete the service (its tasks stop) and the load balancer --create-load-balancer made."""
    state = _state(ctx)
    services.service_rm(state.session(), state.settings().cluster, _service_project(ctx), timeout, say=say,
                        poll_seconds=_poll_seconds())


# -------------------------------------------------------------------------------------- scale / cost

@cli.command()
@click.argument("count", type=click.IntRange(min=0), required=False)
@click.option("--size", type=click.IntRange(min=0), help="Same as COUNT (ecs-cli's flag).")
@click.option("--project-name", "-p", help="The service (default: the project of ./docker-compose.yml).")
@config_options
@_deployment_options
@_timeout_option
@click.pass_context
def scale(ctx, count, size, project_name, cluster_opt, region_opt, config_name_opt, max_percent, min_healthy, timeout):
    """Run COUNT tasks of the project's service (ecs-cli's `scale` sized EC2 instances; Fargate has none)."""
    _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    wanted = count if count is not None else size
    if wanted is None:
        raise click.UsageError("give the number of tasks: fargate-lab scale 3")
    if project_name is None:
        try:
            files = default_compose_files()
        except OpsError:
            raise OpsError("which service? pass --project-name (there is no docker-compose.yml here to take "
                           "the project name from)") from None
        project_name = ComposeOptions(files, None, None, None).project_name()
    _scale(ctx, project_name, wanted, max_percent, min_healthy, timeout)


@cli.command()
@click.option("--file", "-f", "files", multiple=True, help="Compose file(s) (default docker-compose.yml).")
@click.option("--ecs-params", help="ecs-params.yml (default: ./ecs-params.yml if present).")
@click.option("--project-name", "-p")
@click.option("--task-definition", "--task-def", "task_definition",
              help="Price a registered task definition (family[:revision]) instead of compose files.")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True, help="Tasks.")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True), default=730.0, show_default=True,
              help="Hours each task runs (730 = a month).")
@click.option("--arch", type=click.Choice(["x86_64", "arm64"]), help="CPU architecture (default: the task "
                                                                      "definition's, else x86_64).")
@config_options
@click.pass_context
def cost(ctx, files, ecs_params, project_name, task_definition, count, hours, arch, cluster_opt, region_opt,
         config_name_opt):
    """Estimate what tasks cost on Fargate, from dated on-demand prices."""
    from .ops.cost import estimate_cost
    state = _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    if task_definition:
        ecs = state.session().client("ecs")
        try:
            definition = ecs.describe_task_definition(taskDefinition=task_definition)["taskDefinition"]
        except ClientError as e:
            raise OpsError(f"task definition {task_definition}: {errors.error_text(e)}") from None
    else:
        files = list(files) or default_compose_files()
        if ecs_params is None and Path(DEFAULT_ECS_PARAMS).exists():
            ecs_params = DEFAULT_ECS_PARAMS
        definition = to_task_definition(files, ecs_params, project_name=project_name)
    estimate = estimate_cost(definition, count=count, hours=hours, region=state.settings().region,
                             platform=f"linux/{arch}" if arch else None)
    for line in estimate.lines():
        say(line)


# ====================================================================================== the live view

@contextlib.contextmanager
def _deployment_view():
    from .ops.watch import DeploymentView
    with DeploymentView(console=_console(), say=say) as view:
        yield view


def _poll_seconds() -> float:
    """Real seconds between polls; FARGATE_LAB_POLL_SECONDS lets tests poll faster."""
    text = os.environ.get("FARGATE_LAB_POLL_SECONDS")
    try:
        return float(text) if text else services.POLL_SECONDS
    except ValueError:
        raise OpsError(f"FARGATE_LAB_POLL_SECONDS={text!r} is not a number") from None


# ====================================================================================== local

@cli.group("local")
def local_group():
    """The local cloud server that the other commands (and the AWS CLI) talk to."""


def _local_port(ctx: click.Context, port: int | None) -> int:
    return port or _state(ctx).port


@local_group.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=backends.DEFAULT_SPEED,
              show_default=True, help="How many times faster than AWS the cloud's clock runs.")
@click.option("--seed", type=int, default=0, help="Seed for ids and timings.")
@click.pass_context
def local_serve(ctx, port, speed, seed):
    """Serve the local cloud in the foreground (Ctrl-C stops it)."""
    from . import local
    from .local.server import LocalServer
    port = _local_port(ctx, port)
    if backends.server_status(port):
        raise OpsError(f"a local cloud already answers on port {port}: `fargate-lab local stop --port {port}` first")
    token = secrets.token_urlsafe(32)   # only in the 0600 record: shutdown needs it, a web page cannot read it
    cloud = local.start(clock="real", speed=speed, seed=seed)
    server = None
    try:
        try:
            server = LocalServer(cloud, port, token=token)
        except OSError as e:
            raise OpsError(f"port {port} is in use ({e.strerror}); choose another with --port") from None
        backends.write_record(server.port, speed, token)
        say(f"fargate-lab local cloud on {server.url} ({speed:g}x AWS speed, pid {os.getpid()}); Ctrl-C stops it.")
        say(f"For the AWS CLI and SDKs: export AWS_ENDPOINT_URL={server.url}  (any access key works locally)")
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, _interrupt)   # `kill PID` stops it as cleanly as Ctrl-C (record removed)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            say("Stopping the local cloud.")
    finally:
        if server is not None:
            backends.forget_record(server.port, os.getpid())
        cloud.stop()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@local_group.command("status")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.pass_context
def local_status(ctx, port):
    """Is a local cloud running, and how fast?"""
    port = _local_port(ctx, port)
    status = backends.server_status(port)
    if not status:
        record = backends.read_record(port)
        if record and not backends.pid_alive(record["pid"]):
            raise backends.CloudGone(backends.gone_message(port, record))
        raise OpsError(f"no local cloud on port {port}: start one with `fargate-lab local serve --port {port}`")
    say(f"Local cloud at {status['url']}: {status['clock']} clock, {status.get('speed') or 1:g}x AWS speed, "
        f"pid {status['pid']}, up {status['uptime_seconds']:g}s, cloud time {status['now']}, "
        f"{status['ecs_calls']} ECS calls")


@local_group.command("stop")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.pass_context
def local_stop(ctx, port):
    """Stop the local cloud (its state is lost)."""
    port = _local_port(ctx, port)
    say(_stop_local(port))


def _stop_local(port: int, end_unresponsive: bool = False) -> str:
    """Stop the cloud on `port` and drop its record; one line for what was done.

    `end_unresponsive` (reset): a recorded server that runs but does not answer is ended with a signal."""
    stopped = backends.stop_server(port)
    if stopped:
        return f"Stopped the local cloud on port {port} (pid {stopped.get('pid')}); its state is gone."
    record = backends.read_record(port)
    if record and backends.pid_alive(record["pid"]):
        if not end_unresponsive:
            raise OpsError(backends.not_answering_message(port, record, advice="`fargate-lab local reset` ends it "
                                                                               "and starts a fresh one"))
        backends.end_process(record["pid"])
        backends.forget_record(port, record["pid"])
        return f"Ended the unresponsive local cloud on port {port} (pid {record['pid']}); its state is gone."
    if record:
        backends.forget_record(port, record["pid"])
        return f"The local cloud on port {port} (pid {record['pid']}) had already stopped; cleared its record."
    return f"No local cloud was running on port {port}."


@local_group.command("reset")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True),
              help=f"Speed of the fresh cloud (default: the old one's, else {backends.DEFAULT_SPEED:g}).")
@click.pass_context
def local_reset(ctx, port, speed):
    """A clean slate: stop the local cloud (if any), clear its record, start a fresh, empty one."""
    port = _local_port(ctx, port)
    status = backends.server_status(port)
    record = backends.read_record(port)
    speed = speed or (status or {}).get("speed") or (record or {}).get("speed") or backends.DEFAULT_SPEED
    say(_stop_local(port, end_unresponsive=True))
    with backends.start_lock(port):
        started = backends.start_server(port, speed)
    say(f"Started a fresh local cloud at {started['url']} ({started['speed']:g}x AWS speed, pid {started['pid']}).")


# ====================================================================================== demo

DEMO_SPEED = 7.0
DEMO_PROJECT = "my-application"
DEMO_DEREGISTRATION_DELAY = 60   # seconds a replaced task's target drains (AWS default 300: too long to watch)
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
def demo(clock, speed, desired):
    """The talk's demo on an in-process local cloud: configure, up, deploy v1, roll to v2, a broken release
    rolled back by the circuit breaker, then down."""
    ok = run_demo(clock=clock, speed=speed, desired=desired)
    if not ok:
        raise OpsError("the demo did not go as expected (see above)")


def run_demo(clock: str = "real", speed: float = DEMO_SPEED, desired: int = 4, region: str = "us-east-1",
             console: Console | None = None) -> bool:
    """The demo in a throwaway config and an in-process cloud; True if every step went as expected."""
    from . import local
    console = console or _console()
    started = time.monotonic()
    endpoints = {k: None for k in os.environ if k.startswith("AWS_ENDPOINT_URL")}   # the cloud is in-process
    with tempfile.TemporaryDirectory(prefix="fargate-lab-demo-") as tmp, \
            _temporary_env(FARGATE_LAB_CONFIG=str(Path(tmp) / "config.yml"), AWS_PROFILE=None, **endpoints), \
            local.cloud(clock=clock, speed=speed) as cloud:
        demo = Demo(console, cloud, Path(tmp), region, desired)
        ok = demo.run()
        cloud_minutes = (cloud.now() - demo.cloud_start).total_seconds() / 60
    console.print()
    console.print(f"Demo {'done' if ok else 'FAILED'}: {cloud_minutes:.1f} minutes of ECS time in "
                  f"{time.monotonic() - started:.0f} s.")
    return ok


class Demo:
    """The talk's story, step by step, each step printed as the command a person would type."""

    def __init__(self, console: Console, cloud, workdir: Path, region: str, desired: int):
        self.console, self.cloud, self.region, self.desired = console, cloud, region, desired
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
        from .ops import cluster as cluster_ops
        self.step(f"fargate-lab configure --region {self.region} --default-launch-type FARGATE")
        made = config.configure(region=self.region, default_launch_type="FARGATE")
        self.say(f"Saved configuration {made.name} (cluster {made.cluster}, region {made.region})")
        self.step("fargate-lab up")
        cluster_ops.up(self.session, cluster="default", say=self.say)
        first = self.deploy("v1", "the first release, behind a new load balancer",
                            flags=f"--create-load-balancer --create-log-groups --desired-count {self.desired}",
                            desired=self.desired, create_load_balancer=True, create_log_groups=True,
                            deregistration_delay=DEMO_DEREGISTRATION_DELAY)
        second = self.deploy("v2", "a new release: a rolling deployment, old targets drain")
        rolled_back = self.broken_release(serving=second.task_definition)
        serving = self.show_tasks()
        self.tear_down()
        return (first.outcome == second.outcome == "COMPLETED" and rolled_back
                and serving == {second.task_definition})

    def step(self, command: str, remark: str = "") -> None:
        self.console.print()
        self.console.print(f"[bold]$ {command}[/bold]" + (f"  [dim]# {remark}[/dim]" if remark else ""))

    def deploy(self, tag: str, remark: str, flags: str = "", **extra) -> services.DeployResult:
        from .ops.watch import DeploymentView
        self.compose_file.write_text(DEMO_COMPOSE.format(tag=tag, project=DEMO_PROJECT, region=self.region))
        self.step(f"fargate-lab compose --project-name {DEMO_PROJECT} service up {flags}".strip(),
                  f"{remark} (image fargatelab/web:{tag})")
        with DeploymentView(console=self.console) as view:
            return services.service_up(self.session, "default", DEMO_PROJECT, [str(self.compose_file)],
                                       str(self.params_file), say=view.say, on_update=view.update,
                                       timeout_minutes=30, **self.waits, **extra)

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

    def show_tasks(self) -> set[str]:
        self.step(f"fargate-lab compose --project-name {DEMO_PROJECT} service ps")
        rows = services.service_ps(self.session, "default", DEMO_PROJECT, "RUNNING")
        print_rows(rows, self.console)
        return {r.task_definition for r in rows if r.state == "RUNNING"}

    def tear_down(self) -> None:
        from .ops import cluster as cluster_ops
        self.step(f"fargate-lab compose --project-name {DEMO_PROJECT} service rm")
        services.service_rm(self.session, "default", DEMO_PROJECT, timeout_minutes=30, say=self.say,
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


# ====================================================================================== main

USER_ERRORS = (OpsError, ComposeError, backends.BackendError, ValueError)


def error_message(error: BaseException) -> str:
    """The one line a user sees for an error."""
    if isinstance(error, ClientError):
        return errors.error_text(error)
    if isinstance(error, ParamValidationError):
        return one_line(str(error).replace("Parameter validation failed:", "invalid request:"))
    if isinstance(error, click.ClickException):
        message = one_line(error.format_message())
        context = getattr(error, "ctx", None)
        if context is not None:
            message += f" (see `{context.command_path} --help`)"
        return message
    if isinstance(error, NoCredentialsError):
        return ("no AWS credentials found for the aws backend: run `aws configure`, set AWS_PROFILE, "
                "or use --backend local")
    if isinstance(error, (BotoCoreError, *USER_ERRORS)):
        return one_line(str(error))
    return one_line(f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)")


def _show_compose_warnings() -> None:
    """ComposeWarning -> `Warning: ...` on stderr; other libraries' warnings stay quiet."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ComposeWarning):
            click.echo(f"Warning: {message}", err=True)
        elif os.environ.get("PYTHONWARNINGS"):
            original(message, category, filename, lineno, file, line)
    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args   # read early: errors in parsing the other options honour it too
    _show_compose_warnings()
    try:
        result = cli.main(args=args, prog_name="fargate-lab", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("\nError: interrupted; what was already started goes on in the cloud", err=True)
        return 130
    except Exception as error:   # everything a user can cause ends as one line; --debug shows where
        if debug:
            traceback.print_exc()
        click.echo(f"Error: {error_message(error)}", err=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
