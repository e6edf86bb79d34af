"""`compose service ...`: the project as an ECS service; and `scale`."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from ..ops import service_deployments as deployments
from ..ops import services
from ..ops.errors import OpsError
from ..ops.services import ServiceOptions
from .compose_cmds import (
    DEFAULT_TIMEOUT_MINUTES,
    ComposeOptions,
    _compose,
    _launch_type_option,
    _timeout_option,
    compose,
    default_compose_files,
)
from .group import (
    AliasedGroup,
    _apply_config_options,
    _parse_tags,
    _state,
    cli,
    config_options,
)
from .output import _deployment_view, _poll_seconds, print_rows, say


def _deployment_options(fn):
    fn = click.option("--deployment-min-healthy-percent", "min_healthy", type=int,
                      help="Lowest share of desired tasks kept healthy during a deployment (ECS default 100).")(fn)
    fn = click.option("--deployment-max-percent", "max_percent", type=int,
                      help="Highest share of desired tasks running during a deployment (ECS default 200).")(fn)
    return fn


def _strategy_options(fn):
    """How a new revision takes over: ServiceOptions' strategy fields (ops.deployment_strategy)."""
    options = [
        click.option("--deployment-strategy", type=click.Choice(["rolling", "blue-green", "canary", "linear"]),
                     help="How a new revision takes over (default: rolling for a new service, else unchanged); "
                          "blue-green, canary and linear move traffic and need --create-load-balancer."),
        click.option("--canary-percent", type=float, help="canary: production traffic of the first shift "
                                                          "(0.1-100, ECS default 5)."),
        click.option("--canary-bake-minutes", type=int, help="canary: minutes before the rest moves (ECS default 10)."),
        click.option("--linear-step-percent", type=float, help="linear: traffic each shift moves (3-100, ECS "
                                                               "default 10)."),
        click.option("--linear-step-bake-minutes", type=int, help="linear: minutes between shifts (ECS default 6)."),
        click.option("--bake-minutes", type=int, help="Minutes both revisions run after the last shift "
                                                      "(required with blue-green)."),
        click.option("--alarm", "alarms", multiple=True, metavar="NAME",
                     help="CloudWatch alarm that fails (and rolls back) the deployment; repeatable."),
        click.option("--pause-before-production-traffic", is_flag=True,
                     help="Pause before production traffic moves, until `service continue` (or `rollback`)."),
        click.option("--pause-timeout", type=int, metavar="MINUTES",
                     help="End the pause after MINUTES (1-20160) with --pause-timeout-action."),
        click.option("--pause-timeout-action", type=click.Choice(["rollback", "continue"]), default="rollback",
                     show_default=True, help="What ECS does when the pause times out."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@compose.group("service", cls=AliasedGroup, aliases={"delete": "rm", "down": "rm", "list": "ps"})
def service_group() -> None:
    """The project as an ECS service: up, create, start, stop, scale, ps, rm, continue, rollback."""


def _service_options(*, up: bool) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The flags that make the service, handed to the command as one ServiceOptions (`options`):
    `service create`'s, and with `up` also --desired-count, --force-deployment and --timeout."""
    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(command)
        @click.pass_context
        def with_options(ctx: click.Context, **flags: Any) -> None:
            command(ctx, options=_options_from_flags(ctx, **flags))
        fn: Callable[..., None] = with_options
        if up:
            fn = _timeout_option(fn)
            fn = click.option("--force-deployment", is_flag=True,
                              help="Start a new deployment even if nothing changed.")(fn)
            fn = click.option("--desired-count", type=click.IntRange(min=0),
                              help="Tasks to run (default: 1 for a new service, else unchanged).")(fn)
        fn = click.option("--tags", help="Extra tags, key=value,...")(fn)
        fn = _launch_type_option(fn)
        fn = click.option("--create-log-groups/--no-create-log-groups", default=True, show_default=True,
                          help="Create missing awslogs log groups (tagged) first; --no-create-log-groups fails "
                               "instead.")(fn)
        fn = click.option("--create-load-balancer", is_flag=True,
                          help="Make an ALB, an ip target group (health check /) and a listener on the container "
                               "port; with blue-green, canary or linear also the alternate target group, the "
                               "listener rules, a test listener (8080) and ECS's infrastructure role.")(fn)
        fn = click.option("--container-port", type=click.IntRange(1, 65535),
                          help="Container port for the load balancer.")(fn)
        fn = click.option("--container-name", help="Container for the load balancer.")(fn)
        fn = click.option("--target-group-arn", help="Register the tasks in this (ip) target group.")(fn)
        fn = click.option("--no-rollback", is_flag=True, help="Circuit breaker (and --alarm) without rollback.")(fn)
        fn = click.option("--no-circuit-breaker", is_flag=True, help="No deployment circuit breaker.")(fn)
        return _strategy_options(_deployment_options(fn))
    return decorate


def _options_from_flags(ctx: click.Context, *, max_percent: int | None, min_healthy: int | None,
                        no_circuit_breaker: bool, no_rollback: bool, target_group_arn: str | None,
                        container_name: str | None, container_port: int | None, create_load_balancer: bool,
                        create_log_groups: bool, launch_type: str | None, tags: str | None,
                        deployment_strategy: str | None, canary_percent: float | None,
                        canary_bake_minutes: int | None, linear_step_percent: float | None,
                        linear_step_bake_minutes: int | None, bake_minutes: int | None, alarms: tuple[str, ...],
                        pause_before_production_traffic: bool, pause_timeout: int | None, pause_timeout_action: str,
                        desired_count: int | None = None, force_deployment: bool = False,
                        timeout: float = DEFAULT_TIMEOUT_MINUTES) -> ServiceOptions:
    """One ServiceOptions from the flags (the launch type defaults to the configuration's)."""
    compose_options: ComposeOptions = ctx.obj.compose
    strategy: dict[str, Any] = {
        "deployment_strategy": deployment_strategy, "canary_percent": canary_percent,
        "canary_bake_minutes": canary_bake_minutes, "linear_step_percent": linear_step_percent,
        "linear_step_bake_minutes": linear_step_bake_minutes, "bake_minutes": bake_minutes,
        "alarm_names": tuple(alarms), "pause_before_production_traffic": pause_before_production_traffic,
        "pause_timeout_minutes": pause_timeout, "pause_timeout_action": pause_timeout_action.upper()}
    return ServiceOptions(desired_count=desired_count, max_percent=max_percent, min_healthy_percent=min_healthy,
                          circuit_breaker=not no_circuit_breaker, rollback=not no_rollback,
                          target_group_arn=target_group_arn, container_name=container_name,
                          container_port=container_port, create_load_balancer=create_load_balancer,
                          create_log_groups=create_log_groups, force_deployment=force_deployment,
                          timeout_minutes=timeout, launch_type=_state(ctx).settings(launch_type).launch_type,
                          tags=_parse_tags(tags) or None, task_role_arn=compose_options.task_role_arn,
                          strict=compose_options.strict, **strategy)


@service_group.command("up")
@_service_options(up=True)
def service_up(ctx: click.Context, options: ServiceOptions) -> None:
    """Create or update the service and wait until the deployment COMPLETED (or say why it failed)."""
    state, compose_options = _state(ctx), _compose(ctx)
    session = state.session(autostart=True)
    with _deployment_view() as view:
        services.service_up(session, state.settings().cluster, compose_options.project, compose_options.files,
                            compose_options.ecs_params, options=options, say=view.say, on_update=view.update,
                            poll_seconds=_poll_seconds())


@service_group.command("create")
@_service_options(up=False)
def service_create(ctx: click.Context, options: ServiceOptions) -> None:
    """Create the service with 0 tasks (start it with `service start`)."""
    state, compose_options = _state(ctx), _compose(ctx)
    services.service_create(state.session(autostart=True), state.settings().cluster, compose_options.project,
                            compose_options.files, compose_options.ecs_params, options=options, say=say)


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


@service_group.command("continue")
@_timeout_option
@click.pass_context
def service_continue(ctx, timeout):
    """Let a paused deployment go on (its lifecycle hook AWAITING_ACTION), then follow it to the end."""
    _act_on_deployment(ctx, deployments.service_continue, timeout)


@service_group.command("rollback")
@_timeout_option
@click.pass_context
def service_rollback(ctx, timeout):
    """Roll the deployment in progress back to the last successful revision (paused or not)."""
    _act_on_deployment(ctx, deployments.service_rollback, timeout)


def _act_on_deployment(ctx, verb, timeout):
    state = _state(ctx)
    with _deployment_view() as view:
        verb(state.session(), state.settings().cluster, _service_project(ctx), timeout, say=view.say,
             on_update=view.update, poll_seconds=_poll_seconds())


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
        project_name = ComposeOptions(files, "", None, None).project_name()
    _scale(ctx, project_name, wanted, max_percent, min_healthy, timeout)
