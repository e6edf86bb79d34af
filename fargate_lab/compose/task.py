"""The task level: cpu/memory, execution role and task modes, and `to_task_definition` itself."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..engine.fargate import VALID_SIZES, smallest_size
from .container import _ServiceTranslator
from .dependencies import _link_dependencies
from .ecs_params import EcsParams, read_ecs_params
from .environment import _secret_sources
from .errors import ComposeError
from .errors import strict as _strict
from .files import PathLike, _load_project, _Project
from .project import _active_services, _check_params_services, _family
from .volumes import _TaskVolumes

_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/")


def _task_cpu_memory(containers: list[dict], params: EcsParams, project: _Project) -> tuple[int | None, int | None]:
    """Task cpu/memory: ecs-params task_size, else (Fargate) the smallest size that fits the containers."""
    needed_cpu = sum(c.get("cpu", 0) for c in containers)
    needed_memory = sum(c.get("memory", c.get("memoryReservation", 0)) for c in containers)
    cpu, memory = params.cpu, params.memory
    size_field = "task_definition.task_size"
    if params.launch_type == "FARGATE":
        if cpu is None and memory is None:
            try:
                return smallest_size(needed_cpu, needed_memory)
            except ValueError:
                raise ComposeError(project.files[0], "services", f"the containers need {needed_cpu} cpu units and "
                                   f"{needed_memory} MiB, more than any Fargate task", "lower the containers' cpu/memory") from None
        if cpu is None:
            cpu = next((c for c in sorted(VALID_SIZES) if memory in VALID_SIZES[c] and c >= needed_cpu), None)
            if cpu is None:
                raise ComposeError(params.file, f"{size_field}.mem_limit", f"no Fargate size has {memory} MiB",
                                   "pick a memory size from the Fargate table, or set cpu_limit too")
        if memory is None:
            memory = next((m for m in VALID_SIZES.get(cpu, ()) if m >= needed_memory), None)
            if memory is None:
                raise ComposeError(params.file, f"{size_field}.cpu_limit", f"no Fargate size has {cpu} cpu units",
                                   f"use one of {', '.join(map(str, sorted(VALID_SIZES)))}")
        if memory not in VALID_SIZES.get(cpu, ()):
            valid = VALID_SIZES.get(cpu)
            fix = (f"with {cpu} cpu units use {valid[0]}-{valid[-1]} MiB" if valid
                   else f"use cpu units {', '.join(map(str, sorted(VALID_SIZES)))}")
            raise ComposeError(params.file, size_field, f"Fargate has no {cpu} cpu / {memory} MiB size", fix)
    if cpu is not None and needed_cpu > cpu:
        raise ComposeError(params.file, f"{size_field}.cpu_limit",
                           f"the containers reserve {needed_cpu} cpu units, more than the task's {cpu}",
                           "raise cpu_limit or lower the containers' cpu")
    if memory is not None and needed_memory > memory:
        raise ComposeError(params.file, f"{size_field}.mem_limit",
                           f"the containers need {needed_memory} MiB, more than the task's {memory} MiB",
                           "raise mem_limit or lower the containers' memory")
    return cpu, memory


def _execution_role(params: EcsParams, translators: dict[str, _ServiceTranslator], containers: dict[str, dict],
                    fallback: str | None) -> str | None:
    """ecs-params' execution role; on Fargate, where pulling ECR images, shipping awslogs and fetching
    secrets need one, `fallback` (the role `fargate-lab up` made) with a warning, else an error."""
    if params.launch_type != "FARGATE" or params.execution_role:
        return params.execution_role
    fix = "set task_definition.task_execution_role in ecs-params.yml (e.g. ecsTaskExecutionRole)"
    for name, container in containers.items():
        need = _role_need(container)
        if need is None:
            continue
        key, needs = need
        translator = translators[name]
        if fallback:
            translator.warn(key, f"{needs} a task execution role and ecs-params names none: using "
                                 f"{fallback.rsplit('/', 1)[-1]}, the one `fargate-lab up` creates ({fix} to "
                                 "choose another)")
            return fallback
        raise translator.fail(key, f"{needs} a task execution role",
                              fix + ", or run `fargate-lab up`, which creates ecsTaskExecutionRole")
    return None


def _role_need(container: dict) -> tuple[str, str] | None:
    """(the compose key, "<what> on Fargate need(s)") of the first thing in `container` that needs the role."""
    if (container.get("logConfiguration") or {}).get("logDriver") == "awslogs":
        return "logging", "the awslogs driver on Fargate needs"
    if container.get("secrets"):
        return "secrets", "secrets on Fargate need"
    if _ECR_IMAGE.match(container["image"]):
        return "image", "ECR images on Fargate need"
    if container.get("repositoryCredentials"):
        return "image", "private registry credentials on Fargate need"
    return None


def _check_task_modes(params: EcsParams) -> None:
    if params.launch_type != "FARGATE":
        return
    if params.pid_mode == "host":
        raise ComposeError(params.file, "task_definition.pid_mode", "Fargate only supports pid_mode: task", "use task or remove it")
    if params.ipc_mode is not None:
        raise ComposeError(params.file, "task_definition.ipc_mode", "Fargate does not support ipc_mode", "remove it")


def _default_container_memory(containers: list[dict], memory: int | None) -> None:
    # EC2 without a task size: ECS needs memory on every container; ecs-cli used 512 MiB.
    if memory is None:
        for container in containers:
            if "memory" not in container and "memoryReservation" not in container:
                container["memory"] = 512


def to_task_definition(compose_file: PathLike | Sequence[PathLike], ecs_params_file: PathLike | None = None,
                       project_name: str | None = None, execution_role: str | None = None,
                       strict: bool = False) -> dict:
    """Compose file(s) + optional ecs-params.yml -> kwargs for ecs.register_task_definition.

    Nothing is registered here: on any problem a `ComposeError` is raised before an
    AWS call could be made, so a failed translation never leaves a half-registered
    revision.  The same files always give an identical dict.  See the module
    docstring for the rules.  `execution_role`: the role to use on Fargate when the
    task needs one and ecs-params names none (with a warning).  `strict`: every
    warning is an error instead."""
    with _strict(strict):
        return _translate(compose_file, ecs_params_file, project_name, execution_role)


def _translate(compose_file: PathLike | Sequence[PathLike], ecs_params_file: PathLike | None,
               project_name: str | None, execution_role: str | None) -> dict:
    project = _load_project(compose_file)
    params = read_ecs_params(ecs_params_file, env=project.env) if ecs_params_file is not None else EcsParams()
    family = _family(project_name, project)
    services = _active_services(project)
    _check_params_services(params, project, services)
    _check_task_modes(params)
    volumes = _TaskVolumes(project, params)
    secret_sources = _secret_sources(project)
    translators = {name: _ServiceTranslator(name, spec, project, params, volumes, secret_sources)
                   for name, spec in services.items()}
    containers = {name: translator.container() for name, translator in translators.items()}
    _link_dependencies(translators, containers, project.data.get("services") or {})
    role = _execution_role(params, translators, containers, execution_role)
    definitions = list(containers.values())
    cpu, memory = _task_cpu_memory(definitions, params, project)
    if params.launch_type == "EC2":
        _default_container_memory(definitions, memory)

    kwargs: dict[str, Any] = {"family": family}
    if params.task_role_arn:
        kwargs["taskRoleArn"] = params.task_role_arn
    if role:
        kwargs["executionRoleArn"] = role
    kwargs["networkMode"] = params.network_mode
    kwargs["containerDefinitions"] = definitions
    task_volumes = volumes.task_volumes()
    if task_volumes:
        kwargs["volumes"] = task_volumes
    if params.placement_constraints:
        kwargs["placementConstraints"] = [dict(c) for c in params.placement_constraints]
    kwargs["requiresCompatibilities"] = [params.launch_type]
    if cpu is not None:
        kwargs["cpu"] = str(cpu)
    if memory is not None:
        kwargs["memory"] = str(memory)
    if params.pid_mode:
        kwargs["pidMode"] = params.pid_mode
    if params.ipc_mode:
        kwargs["ipcMode"] = params.ipc_mode
    return kwargs
