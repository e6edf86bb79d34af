"""`fargate-lab`: ecs-cli's commands for ECS on Fargate, on the local cloud (default) or on AWS.

The talk's commands work as typed, with `fargate-lab` in place of `ecs-cli`:

    fargate-lab configure --region us-east-1 --default-launch-type FARGATE
    fargate-lab up
    fargate-lab compose --project-name my-application service up

Every command is a thin shell over `fargate_lab.ops` (which only sees a boto3
session), so what a command does can be done from a notebook too.  Errors print
one line, `Error: ...`, on stderr and exit 1; `--debug` adds the traceback.

Where each part lives: `group` (the `fargate-lab` group, its options and the session),
`output` (what commands print), `configure`, `cluster` (up, down, ps, logs), `compose_cmds`
(`compose` up/ps/down), `service_cmds` (`compose service ...`, `scale`), `cost`,
`local_cloud` (`local ...`), `demo` (the scripted talk demo), `slides` (offline decks) and `entry_point` (`main`).
"""
from __future__ import annotations

# Importing the command modules registers their commands on `cli`.
from . import cluster, configure, cost, demo, local_cloud, service_cmds, slides
from .compose_cmds import (
    DEFAULT_COMPOSE_FILES,
    DEFAULT_ECS_PARAMS,
    DEFAULT_TIMEOUT_MINUTES,
    OVERRIDE_FILES,
    ComposeOptions,
    default_compose_files,
)
from .demo import DEMO_COMPOSE, DEMO_PARAMS, DEMO_PROJECT, DEMO_SPEED, Demo, run_demo
from .entry_point import USER_ERRORS, error_message, main
from .group import CONTEXT, AliasedGroup, State, cli, config_options, make_session
from .output import note, one_line, print_rows, say

__all__ = [
    "CONTEXT", "DEFAULT_COMPOSE_FILES", "DEFAULT_ECS_PARAMS", "DEFAULT_TIMEOUT_MINUTES", "DEMO_COMPOSE", "DEMO_PARAMS",
    "DEMO_PROJECT", "DEMO_SPEED", "OVERRIDE_FILES", "USER_ERRORS", "AliasedGroup", "ComposeOptions", "Demo", "State",
    "cli", "cluster", "config_options", "configure", "cost", "default_compose_files", "demo", "error_message",
    "local_cloud", "main", "make_session", "note", "one_line", "print_rows", "run_demo", "say", "service_cmds", "slides",
]
