"""`configure`: save named cluster configurations (ecs-cli `configure`)."""
from __future__ import annotations

import click

from ..ops import config
from .group import AliasedGroup, _state, cli
from .output import say


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
