"""The awslogs groups a task definition names: which are missing, and creating them (tagged).

Split out of `services.py` (which re-exports it).
"""
from __future__ import annotations

from botocore.exceptions import ClientError

from .plumbing import Client, Json, Session
from .project_common import Say

# ---------------------------------------------------------------------------------- log groups

def awslogs_groups(definition: Json) -> list[tuple[str, str | None, bool]]:
    """(group, region, created by ECS itself) for every awslogs container."""
    out: list[tuple[str, str | None, bool]] = []
    for c in definition.get("containerDefinitions", []):
        logs = c.get("logConfiguration") or {}
        if logs.get("logDriver") != "awslogs":
            continue
        opts = logs.get("options") or {}
        if opts.get("awslogs-group"):
            entry = (opts["awslogs-group"], opts.get("awslogs-region"),
                     str(opts.get("awslogs-create-group", "")).lower() == "true")
            if entry not in out:
                out.append(entry)
    return out


def _log_group_exists(logs: Client, name: str) -> bool:
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in found)


def missing_log_groups(session: Session, definition: Json) -> list[tuple[str, str | None]]:
    missing: list[tuple[str, str | None]] = []
    for group, region, ecs_creates in awslogs_groups(definition):
        if ecs_creates:
            continue
        if not _log_group_exists(session.client("logs", region_name=region or session.region_name), group):
            missing.append((group, region))
    return missing


def create_log_groups(session: Session, definition: Json, tags: dict[str, str], say: Say = print) -> list[str]:
    """ecs-cli's --create-log-groups (on by default here): each missing awslogs group, tagged."""
    groups = awslogs_groups(definition)
    made: list[str] = []
    for group, region, _ in groups:
        logs = session.client("logs", region_name=region or session.region_name)
        try:
            logs.create_log_group(logGroupName=group, tags=tags)
            say(f"Created log group {group}")
            made.append(group)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
    return made
