"""`compose`: a compose project's options, and the project as standalone tasks (up, ps, down)."""
from __future__ import annotations

import dataclasses
import os
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

import click

from ..compose import ComposeError, to_task_definition
from ..ops import services
from ..ops.errors import OpsError
from .group import (
    AliasedGroup,
    _apply_config_options,
    _parse_tags,
    _state,
    cli,
    config_options,
)
from .output import _poll_seconds, print_rows, say

DEFAULT_COMPOSE_FILES = ("docker-compose.yml", "docker-compose.yaml", "compose.yaml", "compose.yml")
OVERRIDE_FILES = ("docker-compose.override.yml", "docker-compose.override.yaml")
DEFAULT_ECS_PARAMS = "ecs-params.yml"
DEFAULT_TIMEOUT_MINUTES = 5.0


# ====================================================================================== compose

@dataclasses.dataclass
class ComposeOptions:
    files: list[str]
    project: str                    # -p; "" when not given (the compose files name the project)
    ecs_params: str | None
    task_role_arn: str | None
    strict: bool = False            # --strict: compose warnings are errors

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


@cli.group(cls=AliasedGroup, aliases={"start": "up", "stop": "down", "list": "ps"})
@click.option("--file", "-f", "files", multiple=True, help="Compose file (repeatable; default docker-compose.yml "
                                                            "+ docker-compose.override.yml).")
@click.option("--project-name", "-p", help="Project name: the task-definition family and service name "
                                           "(default: the directory name).")
@click.option("--ecs-params", help="ecs-params.yml (default: ./ecs-params.yml if present).")
@click.option("--task-role-arn", help="IAM role for the task's containers.")
@click.option("--strict", is_flag=True, help="Fail on what would only be a warning (a remapped port, build: next "
                                             "to image:, a role chosen for you...): for CI.")
@config_options
@click.pass_context
def compose(ctx, files, project_name, ecs_params, task_role_arn, strict, cluster_opt, region_opt, config_name_opt):
    """A compose project as standalone tasks (up/ps/down) or as a service (`compose service ...`)."""
    _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    ctx.obj.compose = ComposeOptions(list(files), project_name or "", ecs_params, task_role_arn, strict)


def _compose(ctx: click.Context) -> ComposeOptions:
    """The compose options with defaults filled in (files looked up only when a command needs them)."""
    options: ComposeOptions = ctx.obj.compose
    if not options.files:
        options.files = default_compose_files()
    if options.ecs_params is None and Path(DEFAULT_ECS_PARAMS).exists():
        options.ecs_params = DEFAULT_ECS_PARAMS
    return options



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
                                 task_role_arn=options.task_role_arn, poll_seconds=_poll_seconds(),
                                 strict=options.strict)
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
