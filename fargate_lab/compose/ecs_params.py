"""ecs-cli's ecs-params.yml (version 1 schema): read, validated, as EcsParams."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ComposeError, _warn
from .files import PathLike
from .interpolation import _interpolate_tree, _project_environment
from .readers import _flag, _mapping, _sequence, _string_map, _text, _whole
from .units import _compose_mib, _cpu_units, _task_mib
from .yaml_loader import _load_yaml

_NETWORK_MODES = ("awsvpc", "bridge", "host", "none")
_CONDITIONS = ("START", "COMPLETE", "SUCCESS", "HEALTHY")
_ROLE = re.compile(r"^(?:arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+|[\w+=,.@/-]{1,512})$")
_PARAMS_KEYS = ("version", "task_definition", "run_params")
_TASK_KEYS = ("ecs_network_mode", "task_role_arn", "task_execution_role", "task_size", "pid_mode", "ipc_mode",
              "services", "docker_volumes", "efs_volumes", "placement_constraints")
_SERVICE_PARAM_KEYS = ("essential", "depends_on", "repository_credentials", "cpu_shares", "mem_limit",
                       "mem_reservation", "gpu", "init_process_enabled", "healthcheck", "logging",
                       "firelens_configuration", "secrets")
_RUN_KEYS = ("network_configuration", "task_placement", "service_discovery")


@dataclass(frozen=True)
class ServiceParams:
    """ecs-params `task_definition.services.<name>`, validated (sizes already in MiB)."""
    essential: bool | None = None
    depends_on: tuple[dict, ...] = ()          # ECS dependsOn entries
    cpu_shares: int | None = None
    mem_limit: int | None = None
    mem_reservation: int | None = None
    healthcheck: dict = field(default_factory=dict)   # raw fields; checked with the compose one
    secrets: tuple[dict, ...] = ()             # ECS secrets entries
    log_secret_options: tuple[dict, ...] = ()
    firelens: dict | None = None               # ECS firelensConfiguration
    repository_credentials: str | None = None
    gpu: str | None = None
    init_process_enabled: bool | None = None


@dataclass(frozen=True)
class EcsParams:
    """An ecs-params.yml file (ecs-cli's schema, version 1), validated.

    Task-definition parts feed `to_task_definition`; `run_params` parts are for
    CreateService/RunTask: see `network_configuration()` and `placement()`."""
    file: str = "ecs-params.yml"
    network_mode: str = "awsvpc"
    task_role_arn: str | None = None
    execution_role: str | None = None
    cpu: int | None = None                     # task cpu units
    memory: int | None = None                  # task MiB
    pid_mode: str | None = None
    ipc_mode: str | None = None
    services: dict[str, ServiceParams] = field(default_factory=dict)
    docker_volumes: tuple[dict, ...] = ()      # ECS volumes with dockerVolumeConfiguration
    efs_volumes: tuple[dict, ...] = ()         # ECS volumes with efsVolumeConfiguration
    placement_constraints: tuple[dict, ...] = ()
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    assign_public_ip: str | None = None        # ENABLED / DISABLED
    placement_strategy: tuple[dict, ...] = ()  # run_params.task_placement.strategy
    run_constraints: tuple[dict, ...] = ()     # run_params.task_placement.constraints

    @property
    def launch_type(self) -> str:
        return "FARGATE" if self.network_mode == "awsvpc" else "EC2"

    def network_configuration(self, subnets: Sequence[str] | None = None,
                              security_groups: Sequence[str] | None = None,
                              assign_public_ip: str | None = None) -> dict | None:
        """`networkConfiguration` for CreateService/RunTask (None unless awsvpc).

        Arguments replace the file's values: pass the subnets that `up` reports
        ("Subnet created: subnet-...") when the file leaves them empty."""
        if self.network_mode != "awsvpc":
            return None
        chosen = list(subnets if subnets is not None else self.subnets)
        if not chosen:
            raise ComposeError(self.file, "run_params.network_configuration.awsvpc_configuration.subnets",
                               "no subnets given", "list the subnets that `up` printed, or pass subnets=[...]")
        config: dict[str, Any] = {"subnets": chosen}
        groups = list(security_groups if security_groups is not None else self.security_groups)
        if groups:
            config["securityGroups"] = groups
        public = assign_public_ip or self.assign_public_ip
        if public:
            config["assignPublicIp"] = public
        return {"awsvpcConfiguration": config}

    def placement(self) -> dict:
        """placementConstraints/placementStrategy for RunTask/CreateService (EC2 only; {} on Fargate)."""
        out: dict[str, list] = {}
        if self.launch_type == "EC2":
            if self.run_constraints:
                out["placementConstraints"] = [dict(c) for c in self.run_constraints]
            if self.placement_strategy:
                out["placementStrategy"] = [dict(s) for s in self.placement_strategy]
        return out


def read_ecs_params(path: PathLike, env: dict[str, str] | None = None) -> EcsParams:
    """Read and validate an ecs-params.yml (ecs-cli's version 1 schema).

    `env` is used for ${VAR} interpolation; by default .env next to the file,
    overridden by os.environ."""
    file, path = str(path), Path(path)
    raw = _load_yaml(path, file)
    raw = _mapping(raw, file, "(top level)")
    values = env if env is not None else _project_environment(path.resolve().parent)
    raw = _interpolate_tree(raw, values.get, file, ())
    _warn_unknown(raw, _PARAMS_KEYS, file, "")
    if "version" in raw and str(raw["version"]) not in ("1", "1.0"):
        raise ComposeError(file, "version", f"unsupported ecs-params version {raw['version']!r}", "write version: 1")
    task = _mapping(raw.get("task_definition"), file, "task_definition")
    _warn_unknown(task, _TASK_KEYS, file, "task_definition")
    network_mode = _network_mode(task, file)
    fargate = network_mode == "awsvpc"
    cpu, memory = _params_task_size(task.get("task_size"), file)
    run = _mapping(raw.get("run_params"), file, "run_params")
    _warn_unknown(run, _RUN_KEYS, file, "run_params")
    subnets, groups, public = _awsvpc_configuration(run, network_mode, file)
    strategy, run_constraints = _task_placement(run, fargate, file)
    if "service_discovery" in run:
        _warn(file, "run_params.service_discovery", "ignored: service discovery is not supported")
    services = _mapping(task.get("services"), file, "task_definition.services")
    return EcsParams(
        file=file, network_mode=network_mode,
        task_role_arn=_role(task, "task_role_arn", file), execution_role=_role(task, "task_execution_role", file),
        cpu=cpu, memory=memory,
        pid_mode=_choice(task, "pid_mode", ("task", "host"), file, "task_definition"),
        ipc_mode=_choice(task, "ipc_mode", ("task", "host", "none"), file, "task_definition"),
        services={str(name): _service_params(str(name), spec, file) for name, spec in services.items()},
        docker_volumes=tuple(_docker_volume(item, file, f"task_definition.docker_volumes[{i}]")
                             for i, item in enumerate(_sequence(task.get("docker_volumes"), file, "task_definition.docker_volumes"))),
        efs_volumes=tuple(_efs_volume(item, file, f"task_definition.efs_volumes[{i}]")
                          for i, item in enumerate(_sequence(task.get("efs_volumes"), file, "task_definition.efs_volumes"))),
        placement_constraints=_task_constraints(task, fargate, file),
        subnets=subnets, security_groups=groups, assign_public_ip=public,
        placement_strategy=strategy, run_constraints=run_constraints)


def _warn_unknown(mapping: dict, known: Sequence[str], file: str, prefix: str) -> None:
    # ecs-cli parsed ecs-params leniently: unknown keys are reported, not fatal.
    for key in mapping:
        if key not in known:
            _warn(file, f"{prefix}.{key}" if prefix else str(key), "unknown ecs-params key ignored")


def _choice(mapping: dict, key: str, allowed: Sequence[str], file: str, prefix: str) -> str | None:
    if mapping.get(key) is None:
        return None
    value = str(mapping[key])
    if value not in allowed:
        raise ComposeError(file, f"{prefix}.{key}", f"{value!r} is not valid", f"use one of {', '.join(allowed)}")
    return value


def _network_mode(task: dict, file: str) -> str:
    return _choice(task, "ecs_network_mode", _NETWORK_MODES, file, "task_definition") or "awsvpc"


def _role(task: dict, key: str, file: str) -> str | None:
    if task.get(key) is None:
        return None
    role = _text(task[key], file, f"task_definition.{key}")
    if not _ROLE.match(role):
        raise ComposeError(file, f"task_definition.{key}", f"{role!r} is not an IAM role name or ARN",
                           "write a role name (ecsTaskExecutionRole) or arn:aws:iam::<account>:role/<name>")
    return role  # names pass through unchanged, as ecs-cli did (see the module docstring)


def _params_task_size(value: Any, file: str) -> tuple[int | None, int | None]:
    size = _mapping(value, file, "task_definition.task_size")
    _warn_unknown(size, ("cpu_limit", "mem_limit"), file, "task_definition.task_size")
    cpu = _cpu_units(size["cpu_limit"], file, "task_definition.task_size.cpu_limit") if size.get("cpu_limit") is not None else None
    memory = _task_mib(size["mem_limit"], file, "task_definition.task_size.mem_limit") if size.get("mem_limit") is not None else None
    return cpu, memory


def _service_params(name: str, value: Any, file: str) -> ServiceParams:
    prefix = f"task_definition.services.{name}"
    spec = _mapping(value, file, prefix)
    _warn_unknown(spec, _SERVICE_PARAM_KEYS, file, prefix)

    def sized(key: str) -> int | None:
        return _compose_mib(spec[key], file, f"{prefix}.{key}") if spec.get(key) is not None else None

    logging = _mapping(spec.get("logging"), file, f"{prefix}.logging")
    _warn_unknown(logging, ("secret_options",), file, f"{prefix}.logging")
    credentials = _mapping(spec.get("repository_credentials"), file, f"{prefix}.repository_credentials")
    return ServiceParams(
        essential=_flag(spec["essential"], file, f"{prefix}.essential") if spec.get("essential") is not None else None,
        depends_on=tuple(_params_dependency(item, file, f"{prefix}.depends_on[{i}]")
                         for i, item in enumerate(_sequence(spec.get("depends_on"), file, f"{prefix}.depends_on"))),
        cpu_shares=_whole(spec["cpu_shares"], file, f"{prefix}.cpu_shares", 0) if spec.get("cpu_shares") is not None else None,
        mem_limit=sized("mem_limit"), mem_reservation=sized("mem_reservation"),
        healthcheck=_mapping(spec.get("healthcheck"), file, f"{prefix}.healthcheck"),
        secrets=tuple(_name_value_from(item, file, f"{prefix}.secrets[{i}]")
                      for i, item in enumerate(_sequence(spec.get("secrets"), file, f"{prefix}.secrets"))),
        log_secret_options=tuple(_name_value_from(item, file, f"{prefix}.logging.secret_options[{i}]")
                                 for i, item in enumerate(_sequence(logging.get("secret_options"), file,
                                                                    f"{prefix}.logging.secret_options"))),
        firelens=_firelens(spec.get("firelens_configuration"), file, f"{prefix}.firelens_configuration"),
        repository_credentials=_text(credentials["credentials_parameter"], file,
                                     f"{prefix}.repository_credentials.credentials_parameter")
        if credentials.get("credentials_parameter") else None,
        gpu=_text(spec["gpu"], file, f"{prefix}.gpu") if spec.get("gpu") is not None else None,
        init_process_enabled=_flag(spec["init_process_enabled"], file, f"{prefix}.init_process_enabled")
        if spec.get("init_process_enabled") is not None else None)


def _params_dependency(value: Any, file: str, field: str) -> dict:
    item = _mapping(value, file, field)
    if not item.get("container_name"):
        raise ComposeError(file, f"{field}.container_name", "missing", "name the service this one waits for")
    condition = str(item.get("condition", "START")).upper()
    if condition not in _CONDITIONS:
        raise ComposeError(file, f"{field}.condition", f"{item.get('condition')!r} is not valid",
                           f"use one of {', '.join(_CONDITIONS)}")
    return {"containerName": str(item["container_name"]), "condition": condition}


def _name_value_from(value: Any, file: str, field: str) -> dict:
    item = _mapping(value, file, field)
    for key in ("name", "value_from"):
        if not item.get(key):
            raise ComposeError(file, f"{field}.{key}", "missing",
                               "give name (the variable) and value_from (an SSM parameter or Secrets Manager ARN)")
    return {"name": str(item["name"]), "valueFrom": str(item["value_from"])}


def _firelens(value: Any, file: str, field: str) -> dict | None:
    if value is None:
        return None
    spec = _mapping(value, file, field)
    kind = _choice(spec, "type", ("fluentbit", "fluentd"), file, field)
    if kind is None:
        raise ComposeError(file, f"{field}.type", "missing", "write type: fluentbit or type: fluentd")
    out: dict[str, Any] = {"type": kind}
    if spec.get("options"):
        out["options"] = _string_map(spec["options"], file, f"{field}.options")
    return out


def _docker_volume(value: Any, file: str, field: str) -> dict:
    spec = _mapping(value, file, field)
    if not spec.get("name"):
        raise ComposeError(file, f"{field}.name", "missing", "every docker volume needs a name")
    config: dict[str, Any] = {}
    scope = _choice(spec, "scope", ("task", "shared"), file, field)
    if scope:
        config["scope"] = scope
    if spec.get("autoprovision") is not None:
        if scope != "shared":
            raise ComposeError(file, f"{field}.autoprovision", "only valid with scope: shared", "set scope: shared or remove autoprovision")
        config["autoprovision"] = _flag(spec["autoprovision"], file, f"{field}.autoprovision")
    if spec.get("driver"):
        config["driver"] = _text(spec["driver"], file, f"{field}.driver")
    if spec.get("driver_opts"):
        config["driverOpts"] = _string_map(spec["driver_opts"], file, f"{field}.driver_opts")
    if spec.get("labels"):
        config["labels"] = _string_map(spec["labels"], file, f"{field}.labels")
    return {"name": str(spec["name"]), "dockerVolumeConfiguration": config}


def _efs_volume(value: Any, file: str, field: str) -> dict:
    spec = _mapping(value, file, field)
    for key in ("name", "filesystem_id"):
        if not spec.get(key):
            raise ComposeError(file, f"{field}.{key}", "missing", "EFS volumes need a name and a filesystem_id (fs-...)")
    config: dict[str, Any] = {"fileSystemId": str(spec["filesystem_id"])}
    if spec.get("root_directory"):
        config["rootDirectory"] = str(spec["root_directory"])
    encryption = _choice(spec, "transit_encryption", ("ENABLED", "DISABLED"), file, field)
    if encryption:
        config["transitEncryption"] = encryption
    if spec.get("transit_encryption_port") is not None:
        config["transitEncryptionPort"] = _whole(spec["transit_encryption_port"], file, f"{field}.transit_encryption_port", 1, 65535)
    authorization: dict[str, str] = {}
    if spec.get("access_point"):
        authorization["accessPointId"] = str(spec["access_point"])
    iam = _choice(spec, "iam", ("ENABLED", "DISABLED"), file, field)
    if iam:
        authorization["iam"] = iam
    if (iam == "ENABLED" or "accessPointId" in authorization) and encryption != "ENABLED":
        raise ComposeError(file, f"{field}.transit_encryption", "must be ENABLED with iam: ENABLED or an access_point",
                           "set transit_encryption: ENABLED")
    if authorization:
        config["authorizationConfig"] = authorization
    return {"name": str(spec["name"]), "efsVolumeConfiguration": config}


def _task_constraints(task: dict, fargate: bool, file: str) -> tuple[dict, ...]:
    items = _sequence(task.get("placement_constraints"), file, "task_definition.placement_constraints")
    if items and fargate:
        _warn(file, "task_definition.placement_constraints", "ignored: Fargate tasks cannot have placement constraints")
        return ()
    return tuple(_constraint(item, file, f"task_definition.placement_constraints[{i}]", ("memberOf",))
                 for i, item in enumerate(items))


def _constraint(value: Any, file: str, field: str, kinds: Sequence[str]) -> dict:
    spec = _mapping(value, file, field)
    kind = _choice(spec, "type", kinds, file, field)
    if kind is None:
        raise ComposeError(file, f"{field}.type", "missing", f"use one of {', '.join(kinds)}")
    out = {"type": kind}
    if spec.get("expression"):
        out["expression"] = str(spec["expression"])
    return out


def _awsvpc_configuration(run: dict, network_mode: str, file: str) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    network = _mapping(run.get("network_configuration"), file, "run_params.network_configuration")
    prefix = "run_params.network_configuration.awsvpc_configuration"
    config = _mapping(network.get("awsvpc_configuration"), file, prefix)
    if config and network_mode != "awsvpc":
        _warn(file, prefix, f"ignored: the task's network mode is {network_mode}, not awsvpc")
        return (), (), None
    subnets = tuple(_text(s, file, f"{prefix}.subnets[{i}]")
                    for i, s in enumerate(_sequence(config.get("subnets"), file, f"{prefix}.subnets")))
    groups = tuple(_text(g, file, f"{prefix}.security_groups[{i}]")
                   for i, g in enumerate(_sequence(config.get("security_groups"), file, f"{prefix}.security_groups")))
    public = _choice(config, "assign_public_ip", ("ENABLED", "DISABLED"), file, prefix)
    return subnets, groups, public


def _task_placement(run: dict, fargate: bool, file: str) -> tuple[tuple[dict, ...], tuple[dict, ...]]:
    placement = _mapping(run.get("task_placement"), file, "run_params.task_placement")
    if placement and fargate:
        _warn(file, "run_params.task_placement", "ignored: Fargate places tasks itself")
        return (), ()
    strategy = []
    for i, item in enumerate(_sequence(placement.get("strategy"), file, "run_params.task_placement.strategy")):
        spec = _mapping(item, file, f"run_params.task_placement.strategy[{i}]")
        kind = _choice(spec, "type", ("spread", "binpack", "random"), file, f"run_params.task_placement.strategy[{i}]")
        if kind is None:
            raise ComposeError(file, f"run_params.task_placement.strategy[{i}].type", "missing", "use spread, binpack or random")
        strategy.append({"type": kind, **({"field": str(spec["field"])} if spec.get("field") else {})})
    constraints = tuple(_constraint(item, file, f"run_params.task_placement.constraints[{i}]", ("memberOf", "distinctInstance"))
                        for i, item in enumerate(_sequence(placement.get("constraints"), file, "run_params.task_placement.constraints")))
    return tuple(strategy), constraints
