"""Project-level decisions: the family name, the active services, ecs-params services that exist."""
from __future__ import annotations

import re

from .ecs_params import EcsParams
from .errors import ComposeError, _warn
from .files import _Project
from .readers import _mapping, _sequence

_FAMILY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def _family(project_name: str | None, project: _Project) -> str:
    """project_name, else COMPOSE_PROJECT_NAME, else top-level name:, else the directory name."""
    explicit = [(project_name, "project_name", "(argument)"),
                (project.env.get("COMPOSE_PROJECT_NAME"), "COMPOSE_PROJECT_NAME", "(environment)"),
                (project.data.get("name"), "name", project.file_of("name"))]
    for value, field, file in explicit:
        if value:
            name = str(value)
            if not _FAMILY.match(name):
                raise ComposeError(file, field, f"{name!r} cannot be a task definition family",
                                   "use up to 255 letters, digits, '-' and '_'")
            return name
    directory = project.directory.name
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", directory).strip("-")[:255]
    if not name:
        raise ComposeError(project.files[0], "name", f"the directory name {directory!r} cannot be a family",
                           "pass project_name or set a top-level name:")
    return name


def _active_services(project: _Project) -> dict[str, dict]:
    """The services to translate: all of them, minus those whose profiles are not active."""
    services = project.data.get("services") or {}
    if not services:
        raise ComposeError(project.files[0], "services", "no services defined", "define at least one service")
    active = {p.strip() for p in project.env.get("COMPOSE_PROFILES", "").split(",") if p.strip()}
    chosen = {}
    for name, spec in services.items():
        file = project.file_of("services", name)
        spec = _mapping(spec, file, f"services.{name}")
        profiles = [str(p) for p in _sequence(spec.get("profiles"), file, f"services.{name}.profiles")]
        if profiles and "*" not in active and not active.intersection(profiles):
            _warn(file, f"services.{name}", f"left out: its profiles ({', '.join(profiles)}) are not active "
                                            f"(set COMPOSE_PROFILES to include it)")
            continue
        if not _CONTAINER_NAME.match(name):
            raise ComposeError(file, f"services.{name}", "this name cannot be an ECS container name",
                               "rename the service using only letters, digits, '-' and '_'")
        chosen[name] = spec
    if not chosen:
        raise ComposeError(project.files[0], "services", "no active service (all are in inactive profiles)",
                           "set COMPOSE_PROFILES")
    if len(chosen) > 10:
        raise ComposeError(project.files[0], "services", f"{len(chosen)} services, but a task holds at most 10 containers",
                           "split the project into several compose projects")
    return chosen


def _check_params_services(params: EcsParams, project: _Project, active: dict) -> None:
    defined = project.data.get("services") or {}
    for name in params.services:
        if name not in defined:
            raise ComposeError(params.file, f"task_definition.services.{name}", "no such compose service",
                               f"use one of {', '.join(active)}")
