"""The cluster commands: up, down, ps, logs."""
from __future__ import annotations

import sys

import click

from ..ops import services, tasks
from ..ops.errors import OpsError
from .group import _apply_config_options, _parse_tags, cli, config_options
from .output import _poll_seconds, note, print_rows, say


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
    from ..ops import cluster as cluster_ops
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
    from ..ops import cluster as cluster_ops
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
    from ..ops import logs as log_ops
    state = _apply_config_options(ctx, cluster_opt, region_opt, config_name_opt)
    count = log_ops.logs(state.session(), state.settings().cluster, task_id, follow=follow, since_minutes=since,
                         filter_pattern=filter_pattern, timestamps=timestamps, container_name=container_name,
                         task_definition=task_definition, say=say)
    if count == 0:
        note("No log lines (yet).")
