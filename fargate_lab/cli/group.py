"""The `fargate-lab` group: global options, config options any command accepts, and the session."""
from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

import boto3
import click

from .. import __version__
from .. import backend as backends
from ..ops import config
from .output import note, say

if TYPE_CHECKING:
    from .compose_cmds import ComposeOptions

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


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
    compose: ComposeOptions | None = None
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
        from ..ops import dryrun
        dryrun.install(session, say=say)   # the plan is the command's output: stdout
        say(f"Dry run on {settings.backend}: calls that would change something are printed, not made.")
    return session


def _state(ctx: click.Context) -> State:
    state = ctx.find_object(State)
    if state is None:   # `cli` makes one for every command under it
        raise RuntimeError("a fargate-lab command ran outside the `fargate-lab` group")
    return state


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

    def __init__(self, *args: Any, aliases: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.aliases = dict(aliases or {})

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
