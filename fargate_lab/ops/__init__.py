"""The ops layer: what the `fargate-lab` CLI does, as functions of a boto3 session.

Every function takes the session that `fargate_lab.backend` returns (local cloud or
AWS) and a `say` callable for its human-readable lines, and returns a dataclass.
Problems a user can fix raise `OpsError`, whose message is one line naming the
flag or resource and the fix.

- config:  configure(), set_default(), resolve() -> Settings   (flags > env > file > defaults)
- cluster: up() -> UpResult, network_for() -> Network, down() -> DownResult
- tags:    the ownership tags on everything we create; `down` removes only what carries them
- dryrun:  install(session) prints mutating calls instead of making them
"""
from . import dryrun, tags
from .cluster import (EXECUTION_ROLE, DownResult, Network, UpResult, down, network_for, stack_name,
                      stack_template, up)
from .config import ClusterConfig, Settings, config_path, configure, resolve, set_default
from .errors import ConfigError, OpsError
from .tags import CLUSTER_TAG, MANAGED_TAG, is_managed

__all__ = [
    "CLUSTER_TAG", "ClusterConfig", "ConfigError", "DownResult", "EXECUTION_ROLE", "MANAGED_TAG", "Network",
    "OpsError", "Settings", "UpResult", "config_path", "configure", "down", "dryrun", "is_managed",
    "network_for", "resolve", "set_default", "stack_name", "stack_template", "tags", "up",
]
