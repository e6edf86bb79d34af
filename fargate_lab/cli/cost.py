"""`cost`: what tasks cost on Fargate."""
from __future__ import annotations

from pathlib import Path

import click
from botocore.exceptions import ClientError

from ..compose import to_task_definition
from ..ops import errors
from ..ops.errors import OpsError
from .compose_cmds import DEFAULT_ECS_PARAMS, default_compose_files
from .group import _apply_config_options, cli, config_options
from .output import say


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
    from ..ops.cost import estimate_cost
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
