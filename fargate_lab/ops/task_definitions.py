"""A compose project as a task definition: translate the files, compare with what is registered,
and register a new revision only when it differs (compared on the server, not a local cache).

Split out of `services.py` (which re-exports it).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ..compose import EcsParams, read_ecs_params, to_task_definition
from .errors import OpsError
from .plumbing import Client, Json, ecs_tags

@dataclass(frozen=True)
class Project:
    """A compose project translated: the RegisterTaskDefinition input and its ecs-params."""
    name: str
    task_definition: Json
    params: EcsParams | None


def load_project(project: str, compose_files: Sequence[str], ecs_params: str | None = None,
                 task_role_arn: str | None = None, execution_role: str | None = None,
                 strict: bool = False) -> Project:
    """Translate the files (raises ComposeError before any AWS call).  `execution_role`: what Fargate
    uses when the task needs one and ecs-params names none (`existing_execution_role`); `strict`:
    compose warnings are errors."""
    if not compose_files:
        raise OpsError("no compose file given: pass --file docker-compose.yml")
    definition = to_task_definition(list(compose_files), ecs_params, project_name=project,
                                    execution_role=execution_role, strict=strict)
    if task_role_arn:
        definition["taskRoleArn"] = task_role_arn
    params = read_ecs_params(ecs_params) if ecs_params else None
    return Project(definition["family"], definition, params)


# ---------------------------------------------------------------------------------- task definitions

_CONTAINER_DEFAULTS = {"cpu": 0, "essential": True}


def _prune(value: Any) -> Any:
    """Drop what ECS adds or leaves out when it is empty, so a request and its echo compare equal."""
    if isinstance(value, dict):
        return _pruned(value)
    if isinstance(value, list):
        items = [_prune(v) for v in value]
        if items and all(isinstance(i, dict) and "name" in i for i in items):
            items = sorted(items, key=lambda i: str(i["name"]))   # environment, secrets, volumes, ...
        return items
    return value


def _pruned(value: Json) -> Json:
    """`_prune` of a dict (its members pruned, the empty ones dropped)."""
    out = {k: _prune(v) for k, v in value.items()}
    return {k: v for k, v in out.items() if v not in (None, [], {}, "")}


def _normal_size(value: object) -> str | None:
    """'1 vCPU' -> '1024', '2 GB' -> '2048', '512' -> '512' (ECS stores plain numbers)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(vcpu|gb)", text)
    return str(int(round(float(m.group(1)) * 1024))) if m else text


def _container_comparable(container: Json, network_mode: str | None) -> Json:
    c = {k: v for k, v in container.items() if _CONTAINER_DEFAULTS.get(k, object()) != v}
    ports: list[Json] = []
    for m in c.get("portMappings", []):
        m = dict(m)
        m.setdefault("protocol", "tcp")
        if network_mode == "awsvpc":
            m.setdefault("hostPort", m.get("containerPort"))
        ports.append(m)
    if ports:
        c["portMappings"] = ports
    return _pruned(c)


COMPARED_KEYS = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "volumes", "placementConstraints",
                 "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode", "proxyConfiguration",
                 "inferenceAccelerators", "ephemeralStorage", "runtimePlatform")


def comparable_definition(definition: Json) -> Json:
    """The parts of a task definition that make it a different revision, normalised."""
    mode = definition.get("networkMode")
    out = {k: definition.get(k) for k in COMPARED_KEYS}
    out["cpu"], out["memory"] = _normal_size(out["cpu"]), _normal_size(out["memory"])
    out["requiresCompatibilities"] = sorted(out["requiresCompatibilities"] or [])
    containers = (_container_comparable(c, mode) for c in definition.get("containerDefinitions", []))
    out["containerDefinitions"] = sorted(containers, key=lambda c: c.get("name", ""))
    return _pruned(out)


def same_definition(request: Json, registered: Json) -> bool:
    return comparable_definition(request) == comparable_definition(registered)


def _describe_definition(ecs: Client, reference: str) -> Json | None:
    try:
        definition: Json = ecs.describe_task_definition(taskDefinition=reference)["taskDefinition"]
        return definition
    except ClientError as e:
        if e.response["Error"]["Code"] in ("ClientException", "InvalidParameterException"):
            return None   # no such family or revision yet
        raise


RECENT_REVISIONS = 5   # how far back an identical revision is looked for (a revert to v2 finds v2's revision)


def _recent_revisions(ecs: Client, family: str) -> list[str]:
    try:
        arns: list[str] = ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC",
                                                    maxResults=RECENT_REVISIONS)["taskDefinitionArns"]
        return arns
    except ClientError:
        return []


def register_if_changed(ecs: Client, request: Json, tags: dict[str, str],
                        candidates: Sequence[str] = ()) -> tuple[Json, bool]:
    """(task definition, True if newly registered).

    Reuses an ACTIVE revision identical to `request`: the candidates first (e.g. the
    service's current revision), then the family's latest few (ecs-cli's RegisterTaskDefinitionIfNeeded in
    clients/aws/ecs/client.go kept a per-machine cache instead, so another machine registered again)."""
    checked: set[str] = set()
    for reference in [*candidates, *_recent_revisions(ecs, request["family"])]:
        if reference in checked:
            continue
        checked.add(reference)
        existing = _describe_definition(ecs, reference)
        if existing and existing.get("status") == "ACTIVE" and same_definition(request, existing):
            return existing, False
    registered: Json = ecs.register_task_definition(**request, tags=ecs_tags(tags))["taskDefinition"]
    return registered, True
