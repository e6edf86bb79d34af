"""Docker compose files (+ ecs-cli's ecs-params.yml) -> RegisterTaskDefinition input.

    kwargs = to_task_definition(["docker-compose.yml", "docker-compose.prod.yml"], "ecs-params.yml",
                                project_name="my-application")
    boto3.client("ecs").register_task_definition(**kwargs)
    params = read_ecs_params("ecs-params.yml")
    network = params.network_configuration(subnets=[...])   # for CreateService / RunTask

As with ecs-cli, one compose project becomes ONE task definition: every service is a
container of the same task (reference ecs-cli.md §2).  This module only *translates*:
it registers nothing and calls no AWS API, so a translation that fails leaves nothing
registered, by construction.

Errors and warnings
-------------------
Anything that cannot work on ECS raises `ComposeError` (a ValueError) with a one-line
message ``<file>: <field>: <problem>; <what to do>`` (e.g.
``docker-compose.yml: services.web.build: ...``).  Fields that are harmless but have no
ECS meaning (container_name, restart, networks, expose, deploy.replicas, ...) are
dropped with a `ComposeWarning` naming file and field.  Unknown service keys are errors
(a typo such as ``enviroment:`` must not silently drop the environment); keys starting
with ``x-`` are extensions and are ignored (``x-aws-*`` ones with a warning, except
``x-aws-pull_credentials``).  Unknown ecs-params keys only warn, because ecs-cli parsed
that file leniently and published examples carry keys it never read (``os_family``).

What is read
------------
* Compose versions 2.x, 3.x and the unversioned Compose Spec.  Unlike ecs-cli (which
  accepted exactly 1/2/3 and rejected 3.7), the version is only checked, never used to
  switch behaviour: every file is read as the Compose Spec, as docker compose v2 does.
  Version 1 files (services at the top level) are rejected.
* YAML is read with YAML 1.2 scalars as docker compose does, so ``- 22:22`` is a string
  (YAML 1.1 would read the number 1342) and ``yes``/``on`` are strings.
* Interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
  ``${VAR:?message}``, ``${VAR?message}``, ``${VAR:+alt}``, ``${VAR+alt}``, ``$$``.  Values
  come from ``.env`` next to the FIRST compose file, overridden by os.environ (docker
  compose's precedence).  The ecs-params file is interpolated with the same values
  (ecs-cli ran it through os.ExpandEnv).  An unset variable becomes "" with a warning.
* Several files merge the way ``docker compose -f a -f b`` merges them: mappings merge
  key by key and later scalars win; ``command``, ``entrypoint`` and ``healthcheck.test``
  are replaced; ``environment``/``labels``/``sysctls``/``depends_on`` merge by key
  (list forms are turned into mappings first); ``ports`` merge without duplicates;
  ``volumes`` merge by container path and ``secrets`` by name (a later entry for the same
  path/name replaces the earlier one); other lists (dns, cap_add, env_file, ...) are
  concatenated without duplicates.  ``!reset`` removes a value and ``!override``
  replaces it instead of merging.  Relative paths (env_file) are relative to the first
  file's directory, as in docker compose.
* Project name / family: ``project_name`` argument, else COMPOSE_PROJECT_NAME (process
  environment or .env), else the top-level ``name:``, else the directory name of the
  first compose file (characters ECS does not allow in a family are replaced by "-").
* ``profiles``: services whose profiles are not in COMPOSE_PROFILES are left out (warning).

Decisions (and why)
-------------------
* Launch type: ``awsvpc`` (the default when ecs-params says nothing) means FARGATE:
  ``requiresCompatibilities: ["FARGATE"]`` plus a valid Fargate cpu/memory pair.  Any other
  ``ecs_network_mode`` means EC2 only, with no Fargate size.  (ecs-cli left networkMode
  unset without ecs-params; this library is about Fargate.)
* Task size: ecs-params ``task_size`` if given (``0.5 vCPU``, ``512``, ``1GB``, ``2048``),
  checked against the Fargate table; otherwise the smallest Fargate size that holds the
  sum of the containers' cpu and memory (`engine.fargate.smallest_size`).  Output is
  always plain numbers as strings ("512", "1024"), the form DescribeTaskDefinition returns,
  so that comparing with the registered revision is easy.
* Roles: ``task_role_arn``/``task_execution_role`` are passed through unchanged, names or
  ARNs, as ecs-cli did.  ECS documents taskRoleArn as "the short name or full ARN" and
  ecs-cli's own Fargate tutorial uses ``task_execution_role: ecsTaskExecutionRole``.
* Memory: compose sizes without a unit are BYTES (``mem_limit: 512`` is 512 bytes, an
  ecs-cli trap); they are converted to MiB (truncated) and anything under 6 MiB (the ECS
  minimum) is an error that suggests writing ``512m``.  Task-level ``task_size.mem_limit``
  without a unit is MiB, as in ecs-cli.
* cpu: ecs-params cpu_shares, else ``cpu_shares``, else ``deploy.resources.reservations.cpus``,
  else ``deploy.resources.limits.cpus``, else ``cpus`` (1 cpu = 1024 units).
* Secrets: compose secrets are files in /run/secrets; ECS injects secrets as environment
  variables.  A service secret becomes an ECS secret named after its ``target`` (else the
  secret's name) and a warning says so.  Top-level secrets must point at AWS:
  ``x-aws-value-from: <ARN or SSM parameter>`` or ``external: true`` (+ ``name:``).
* ``depends_on`` maps service_started/service_healthy/service_completed_successfully to
  START/HEALTHY/SUCCESS; ecs-params ``depends_on`` entries win for the same container.
  ECS refuses COMPLETE/SUCCESS on an essential container, so a container that another
  one waits on to finish is made non-essential automatically (with a warning unless
  ecs-params already says ``essential: false``; ``essential: true`` is an error).
* environment, secrets, dependsOn, volumes, ulimits, ... are sorted by name so the same
  files always give the same dict (idempotent registration); containers keep file order.
* Task ``volumes`` are the named volumes some service mounts, plus every ecs-params
  docker/EFS volume (a compose volume nobody mounts is left out).  Anonymous volumes
  (``- /scratch``) become ``anonymous-<service>-<n>`` task volumes.
* A healthcheck only sets the fields that are written; ECS defaults apply to the rest
  (note: ECS's default timeout is 5 s where docker's is 30 s).
* A port published on a different host port ("8080:80") is an error under awsvpc:
  Fargate tasks have their own IP and no port translation.
* Without an ecs-params file nothing is looked up implicitly (ecs-cli read
  ./ecs-params.yml from the working directory); pass the file you mean.

Not supported (ComposeError): build, extends, include, configs, gpus, per-service pid/ipc,
external containers in volumes_from, host bind mounts and ecs-params docker_volumes on
Fargate, and on Fargate also privileged, devices, tmpfs, shm_size, security_opt, cap_add
other than SYS_PTRACE, links/hostname/dns/extra_hosts (awsvpc), stop_grace_period > 120.
ecs-params ``run_params.task_placement`` and ``placement_constraints`` are ignored with a
warning on Fargate; ``service_discovery`` is ignored with a warning.
"""
from __future__ import annotations

import os
import re
import shlex
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, Union

import yaml

from .engine.fargate import VALID_SIZES, smallest_size

__all__ = ["ComposeError", "ComposeWarning", "EcsParams", "ServiceParams", "read_ecs_params",
           "to_task_definition"]

PathLike = Union[str, "os.PathLike[str]"]


# ----------------------------------------------------------------------------- errors

class ComposeError(ValueError):
    """A compose or ecs-params input that cannot become a task definition.

    The message is one line: ``<file>: <field>: <problem>; <what to do>``."""

    def __init__(self, file: str, field: str, problem: str, fix: str = ""):
        self.file, self.field, self.problem, self.fix = str(file), field, problem, fix
        text = f"{file}: {field}: {problem}" + (f"; {fix}" if fix else "")
        super().__init__(_one_line(text))


class ComposeWarning(UserWarning):
    """A compose field that was ignored or changed on the way to ECS."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _warn(file: str, field: str, text: str) -> None:
    warnings.warn(ComposeWarning(_one_line(f"{file}: {field}: {text}")), stacklevel=3)


# ----------------------------------------------------------------------------- YAML

_BOOL, _INT, _FLOAT = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _Loader(yaml.SafeLoader):
    """YAML 1.2 core scalars, as docker compose reads them.

    With PyYAML's YAML 1.1 rules `- 22:22` would be the base-60 number 1342 and
    `DEBUG: yes` the boolean True; docker compose sees the strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))


def _construct_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    text = loader.construct_scalar(node)
    # YAML 1.2: "010" is ten (YAML 1.1 read it as octal 8).
    return int(text, 0) if text.lower().startswith(("0x", "0o")) else int(text, 10)


class _Reset:
    """`!reset` in an override file: remove the value from the merged result."""

    def __repr__(self) -> str:
        return "!reset"


_RESET = _Reset()


@dataclass(frozen=True)
class _Override:
    """`!override` in an override file: replace the value instead of merging it."""
    value: Any


def _construct_override(loader: yaml.SafeLoader, node: yaml.Node) -> _Override:
    if isinstance(node, yaml.MappingNode):
        return _Override(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return _Override(loader.construct_sequence(node, deep=True))
    return _Override(loader.construct_scalar(node))


_Loader.add_constructor(_INT, _construct_int)
_Loader.add_constructor("!reset", lambda loader, node: _RESET)
_Loader.add_constructor("!override", _construct_override)


def _load_yaml(path: Path, file: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ComposeError(file, "file", "no such file", "check the path") from None
    except OSError as exc:
        raise ComposeError(file, "file", f"cannot read it ({exc.strerror})", "check the path") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark else "yaml"
        raise ComposeError(file, where, f"invalid YAML: {exc.problem or exc.context}",
                           "fix the YAML syntax (indentation, quotes, colons)") from None
    except yaml.YAMLError as exc:
        raise ComposeError(file, "yaml", f"invalid YAML: {exc}", "fix the YAML syntax") from None


# ----------------------------------------------------------------------------- .env files and interpolation

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*(?:(?P<eq>=)(?P<value>.*))?$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$$"}

Lookup = Callable[[str], Union[str, None]]


def _interpolate(text: str, lookup: Lookup, file: str, field: str) -> str:
    """Expand $VAR / ${VAR...} in one string, docker compose style."""
    out: list[str] = []
    i = 0
    while i < len(text):
        dollar = text.find("$", i)
        if dollar < 0:
            out.append(text[i:])
            break
        out.append(text[i:dollar])
        following = text[dollar + 1:dollar + 2]
        if following == "$":
            out.append("$")
            i = dollar + 2
        elif following == "{":
            end = _closing_brace(text, dollar + 1)
            if end is None:
                raise ComposeError(file, field, f"unterminated '${{' in {text!r}", "close it with '}' (write $$ for a literal $)")
            out.append(_expand(text[dollar + 2:end], lookup, file, field))
            i = end + 1
        else:
            name = _NAME.match(text, dollar + 1)
            if not name:
                raise ComposeError(file, field, f"invalid interpolation in {text!r}", "write $$ for a literal $")
            out.append(_variable(name.group(), lookup, file, field))
            i = name.end()
    return "".join(out)


def _closing_brace(text: str, opening: int) -> int | None:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return None


def _variable(name: str, lookup: Lookup, file: str, field: str) -> str:
    value = lookup(name)
    if value is None:
        _warn(file, field, f'the "{name}" variable is not set; using an empty string')
        return ""
    return value


def _expand(body: str, lookup: Lookup, file: str, field: str) -> str:
    """The inside of ${...}: a name, optionally an operator and a word (itself interpolated)."""
    name = _NAME.match(body)
    if not name:
        raise ComposeError(file, field, f"invalid variable '${{{body}}}'", "use ${NAME}, ${NAME:-default} or ${NAME:?message}")
    rest = body[name.end():]
    if not rest:
        return _variable(name.group(), lookup, file, field)
    for operator in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(operator):
            break
    else:
        raise ComposeError(file, field, f"invalid variable '${{{body}}}'", "use ${NAME}, ${NAME:-default} or ${NAME:?message}")
    word = rest[len(operator):]
    value = lookup(name.group())
    is_set, non_empty = value is not None, bool(value)
    usable = non_empty if operator.startswith(":") else is_set
    if operator in (":-", "-"):
        return value if usable else _interpolate(word, lookup, file, field)
    if operator in (":+", "+"):
        return _interpolate(word, lookup, file, field) if usable else ""
    if not usable:
        message = _interpolate(word, lookup, file, field) or "required variable is missing"
        raise ComposeError(file, field, f"{name.group()} is not set: {message}",
                           f"set {name.group()} in the environment or in .env")
    return value


def _interpolate_tree(value: Any, lookup: Lookup, file: str, path: tuple) -> Any:
    """Interpolate every string value (never keys) of a loaded YAML document."""
    if isinstance(value, dict):
        return {key: _interpolate_tree(item, lookup, file, path + (str(key),)) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate_tree(item, lookup, file, path + (f"[{i}]",)) for i, item in enumerate(value)]
    if isinstance(value, _Override):
        return _Override(_interpolate_tree(value.value, lookup, file, path))
    if isinstance(value, str):
        return _interpolate(value, lookup, file, _dotted(path))
    return value


def _dotted(path: Iterable[str]) -> str:
    return ".".join(path).replace(".[", "[") or "(top level)"


def _read_env_file(path: Path, file: str, lookup: Lookup, interpolate: bool = True) -> dict[str, str | None]:
    """KEY=VALUE lines (docker compose's dotenv rules); a bare KEY maps to None."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ComposeError(file, "file", f"cannot read it ({exc.strerror})", "check the path") from None
    values: dict[str, str | None] = {}

    def seen_first(name: str) -> str | None:  # later lines may use earlier ones
        return values[name] if values.get(name) is not None else lookup(name)

    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise ComposeError(file, f"line {number}", f"not a KEY=VALUE line: {stripped!r}",
                               "write KEY=VALUE (quote values that contain spaces)")
        key = match["key"]
        if match["eq"] is None:
            values[key] = None
            continue
        raw, expand = _dotenv_value(match["value"], file, number)
        values[key] = _interpolate(raw, seen_first, file, f"line {number}") if (expand and interpolate) else raw
    return values


def _dotenv_value(text: str, file: str, number: int) -> tuple[str, bool]:
    """(value, interpolate?) of the text after '=': 'single' is literal, "double" has escapes."""
    text = text.strip()
    if text[:1] in ("'", '"'):
        quote = text[0]
        end = 1
        while end < len(text) and not (text[end] == quote and (quote == "'" or text[end - 1] != "\\")):
            end += 1
        if end >= len(text):
            raise ComposeError(file, f"line {number}", f"unterminated {quote} quote", "close the quote on the same line")
        body = text[1:end]
        if quote == "'":
            return body, False
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body), True
    comment = re.search(r"\s#", text)
    return (text[:comment.start()] if comment else text).strip(), True


def _project_environment(directory: Path) -> dict[str, str]:
    """The values for interpolation: .env in the project directory, overridden by os.environ."""
    dotenv = directory / ".env"
    values: dict[str, str] = {}
    if dotenv.is_file():
        parsed = _read_env_file(dotenv, str(dotenv), os.environ.get)
        values = {key: value for key, value in parsed.items() if value is not None}
    values.update(os.environ)
    return values


# ----------------------------------------------------------------------------- small typed readers

def _mapping(value: Any, file: str, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ComposeError(file, field, f"must be a mapping, not {_kind(value)}", "write it as key: value lines")
    return value


def _sequence(value: Any, file: str, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ComposeError(file, field, f"must be a list, not {_kind(value)}", "write it as '- item' lines")
    return value


def _text(value: Any, file: str, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ComposeError(file, field, f"must be a string, not {_kind(value)}", "quote the value")
    return str(value)


def _flag(value: Any, file: str, field: str) -> bool:
    if not isinstance(value, bool):
        raise ComposeError(file, field, f"must be true or false, not {value!r}", "write true or false")
    return value


def _whole(value: Any, file: str, field: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise ComposeError(file, field, f"must be a whole number, not {value!r}", "write a whole number")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ComposeError(file, field, f"{number} is out of range", f"ECS accepts {bounds}")
    return number


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "empty", bool: "a boolean"}.get(type(value), repr(value))


def _string_map(value: Any, file: str, field: str) -> dict[str, str]:
    """A mapping of strings (booleans written the YAML way: true/false)."""
    return {str(key): _scalar_text(item) for key, item in _mapping(value, file, field).items()}


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _sorted_by(items: Iterable[dict], key: str) -> list[dict]:
    return sorted(items, key=lambda item: str(item[key]))


# ----------------------------------------------------------------------------- units

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)")
_DURATION_UNITS = {"h": Fraction(3600), "m": Fraction(60), "s": Fraction(1), "ms": Fraction(1, 1000),
                   "us": Fraction(1, 10**6), "µs": Fraction(1, 10**6), "ns": Fraction(1, 10**9)}
_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1024**3, "gib": 1024**3, "t": 1024**4, "tb": 1024**4, "tib": 1024**4}
_MIN_CONTAINER_MIB = 6  # the smallest container memory ECS accepts


def _seconds(value: Any, file: str, field: str) -> int:
    """'1m30s' / '30s' / 45 (seconds) -> whole seconds."""
    if isinstance(value, bool):
        raise ComposeError(file, field, f"{value!r} is not a duration", "write e.g. 30s or 1m30s")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ComposeError(file, field, f"{value!r} is not a duration", "write e.g. 30s, 1m30s or 500ms")
    total = sum(Fraction(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if total.denominator != 1:
        raise ComposeError(file, field, f"{value!r} is not a whole number of seconds",
                           "ECS counts health checks and stop timeouts in whole seconds")
    return int(total)


def _compose_mib(value: Any, file: str, field: str) -> int:
    """A compose size ('512m', '1g', or a number of BYTES) -> MiB, truncated like ecs-cli."""
    if isinstance(value, bool):
        raise ComposeError(file, field, f"{value!r} is not a size", "write e.g. 512m or 1g")
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _BYTE_UNITS:
        raise ComposeError(file, field, f"{value!r} is not a size", "write e.g. 512m or 1g")
    mib = int(Fraction(match.group(1)) * _BYTE_UNITS[match.group(2).lower()] / 1024**2)
    if mib < _MIN_CONTAINER_MIB:
        hint = f"{match.group(1)} without a unit is bytes; write {match.group(1)}m for MiB" if not match.group(2) \
            else f"ECS needs at least {_MIN_CONTAINER_MIB} MiB per container"
        raise ComposeError(file, field, f"{value!r} is {mib} MiB", hint)
    return mib


def _cpu_units(value: Any, file: str, field: str) -> int:
    """Task cpu: '0.5 vCPU' / '1 vcpu' / '512' / 512 -> cpu units (1 vCPU = 1024)."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*v?cpus?", text, re.IGNORECASE)
    if match and not isinstance(value, bool):
        return int(Fraction(match.group(1)) * 1024)
    if not isinstance(value, bool) and re.fullmatch(r"\d+", text):
        return int(text)
    raise ComposeError(file, field, f"{value!r} is not a cpu size", "write e.g. 256, 512, 1024 or '0.5 vCPU'")


def _task_mib(value: Any, file: str, field: str) -> int:
    """Task memory: '1GB' / '0.5 GB' / '512' (MiB without a unit, as ecs-cli) -> MiB."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(gb|gib|g|mb|mib|m)?\s*", str(value), re.IGNORECASE)
    if isinstance(value, bool) or not match:
        raise ComposeError(file, field, f"{value!r} is not a memory size", "write e.g. 512, 1024, '1GB' or '2 GB'")
    factor = 1024 if (match.group(2) or "m").lower().startswith("g") else 1
    return int(Fraction(match.group(1)) * factor)


def _cpus_to_units(value: Any, file: str, field: str) -> int:
    """compose `cpus: 0.5` -> 512 cpu units."""
    try:
        return int(Fraction(str(value).strip()) * 1024)
    except (ValueError, ZeroDivisionError):
        raise ComposeError(file, field, f"{value!r} is not a number of cpus", "write e.g. 0.5 or '1'") from None


# ----------------------------------------------------------------------------- ecs-params.yml

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


# ----------------------------------------------------------------------------- compose files: load, check, merge

_TOP_LEVEL = ("version", "name", "services", "volumes", "secrets", "networks", "configs")
_REJECTED_TOP_LEVEL = {"include": "pass each file with several compose files (a list) instead"}
_VERSION = re.compile(r"^[23](?:\.\d+)?$")


@dataclass
class _Project:
    files: list[str]
    directory: Path                       # relative paths are relative to the first file's directory
    env: dict[str, str]                   # interpolation values: .env overridden by os.environ
    data: dict                            # the merged, interpolated document
    origins: dict[tuple, str]             # ("services", name, key) -> the file that last set it

    def file_of(self, *path: str) -> str:
        while path:
            if path in self.origins:
                return self.origins[path]
            path = path[:-1]
        return self.files[0]


def _load_project(compose_file: PathLike | Sequence[PathLike]) -> _Project:
    paths = [Path(p) for p in ([compose_file] if isinstance(compose_file, (str, os.PathLike)) else list(compose_file))]
    if not paths:
        raise ComposeError("(no file)", "compose_file", "no compose file given", "pass a path or a list of paths")
    files = [str(p) for p in paths]
    directory = paths[0].resolve().parent
    env = _project_environment(directory)
    merged: dict = {}
    origins: dict[tuple, str] = {}
    for index, (path, file) in enumerate(zip(paths, files)):
        document = _check_document(_load_yaml(path, file), file, first=index == 0)
        document = _interpolate_tree(document, env.get, file, ())
        document = _normalise_document(document, file)
        _record_origins(document, file, origins)
        merged = _merge(merged, document, _merge_top_level)
    return _Project(files, directory, env, _strip_markers(merged), origins)


def _check_document(document: Any, file: str, first: bool) -> dict:
    document = _mapping(document, file, "(top level)")
    version = document.get("version")
    if version is not None and not _VERSION.match(str(version)):
        fix = ("version 1 files are not supported: put the services under 'services:'"
               if str(version) in ("1", "1.0") else "use a 2.x or 3.x version, or remove 'version:' (Compose Spec)")
        raise ComposeError(file, "version", f"unsupported compose version {version!r}", fix)
    if "services" not in document:
        if any(key not in _TOP_LEVEL and not str(key).startswith("x-") for key in document):
            raise ComposeError(file, "services", "missing: services at the top level are the version 1 format, "
                               "which is not supported", "put the services under services:")
        if first:
            raise ComposeError(file, "services", "missing", "add a services: mapping")
    for key in document:
        if str(key).startswith("x-aws"):
            _warn(file, str(key), "ignored: this x-aws extension is not supported")
        elif key in _REJECTED_TOP_LEVEL:
            raise ComposeError(file, str(key), "not supported", _REJECTED_TOP_LEVEL[key])
        elif key not in _TOP_LEVEL and not str(key).startswith("x-"):
            raise ComposeError(file, str(key), "unknown top-level key", f"use only {', '.join(_TOP_LEVEL)} (or x- extensions)")
    return document


def _normalise_document(document: dict, file: str) -> dict:
    """Turn the list forms into mappings so that files merge key by key."""
    services = _mapping(_unwrap(document.get("services")), file, "services")
    out_services = {}
    for name, spec in services.items():
        if spec is _RESET or isinstance(spec, _Override):
            out_services[name] = spec
            continue
        spec = _mapping(spec, file, f"services.{name}")
        out_services[str(name)] = {key: _normalise_field(key, value, file, f"services.{name}.{key}")
                                   for key, value in spec.items()}
    return {**document, "services": out_services}


def _normalise_field(key: str, value: Any, file: str, field: str) -> Any:
    if isinstance(value, _Override):
        return _Override(_normalise_field(key, value.value, file, field))
    if value is _RESET:
        return value
    if key in ("environment", "labels", "sysctls", "annotations"):
        return _key_value_mapping(value, file, field, separator="=")
    if key == "depends_on":
        if isinstance(value, list):
            return {str(item): {"condition": "service_started"} for item in value}
        return {str(k): v for k, v in _mapping(value, file, field).items()}
    if key == "env_file" and isinstance(value, (str, dict)):
        return [value]
    return value


def _key_value_mapping(value: Any, file: str, field: str, separator: str) -> dict:
    """['A=1', 'B'] or {A: 1, B: null} -> {'A': '1', 'B': None}."""
    if isinstance(value, list):
        out: dict[str, Any] = {}
        for item in value:
            text = _text(item, file, field)
            key, has_value, rest = text.partition(separator)
            out[key.strip()] = rest if has_value else None
        return out
    return {str(key): (None if item is None else _scalar_text(item))
            for key, item in _mapping(value, file, field).items()}


def _record_origins(document: dict, file: str, origins: dict[tuple, str]) -> None:
    for key in document:
        origins[(str(key),)] = file
    for section in ("volumes", "secrets", "networks", "configs"):
        for name in (document.get(section) or {}) if isinstance(document.get(section), dict) else ():
            origins[(section, str(name))] = file
    for name, spec in document["services"].items():  # (normalised: always present)
        origins.setdefault(("services", name), file)  # the file that introduced the service
        if isinstance(spec, dict):
            for key in spec:
                origins[("services", name, str(key))] = file


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, _Override) else value


def _merge(base: Any, override: Any, merge_value: Callable[[str, Any, Any], Any]) -> Any:
    """Merge two mappings key by key; `merge_value(key, old, new)` decides for keys in both."""
    out = dict(base)
    for key, value in override.items():
        if value is _RESET:
            out.pop(key, None)
        elif isinstance(value, _Override) or key not in out:
            out[key] = _unwrap(value)
        else:
            out[key] = merge_value(str(key), out[key], value)
    return out


def _merge_top_level(key: str, old: Any, new: Any) -> Any:
    if key == "services" and isinstance(old, dict) and isinstance(new, dict):
        return _merge(old, new, lambda name, a, b: _merge(a, b, _merge_service_field)
                      if isinstance(a, dict) and isinstance(b, dict) else b)
    if isinstance(old, dict) and isinstance(new, dict):
        return _merge(old, new, _merge_nested)
    return new


_REPLACED_LISTS = ("command", "entrypoint")


def _merge_service_field(key: str, old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return _merge(old, new, _merge_nested)
    if isinstance(old, list) and isinstance(new, list) and key not in _REPLACED_LISTS:
        identity = _LIST_IDENTITY.get(key, repr)
        merged = {identity(item): item for item in old}
        for item in new:
            merged[identity(item)] = item  # a later entry for the same path/name replaces the earlier one
        return list(merged.values())
    return new


def _merge_nested(key: str, old: Any, new: Any) -> Any:
    # Inside a service field (deploy, logging, healthcheck, ...): mappings merge, everything else is replaced.
    if isinstance(old, dict) and isinstance(new, dict):
        return _merge(old, new, _merge_nested)
    return new


def _mount_identity(entry: Any) -> str:
    if isinstance(entry, dict):
        return str(entry.get("target"))
    parts = str(entry).split(":")
    return parts[1] if len(parts) > 1 else parts[0]


def _secret_identity(entry: Any) -> str:
    return str(entry.get("target") or entry.get("source")) if isinstance(entry, dict) else str(entry)


def _port_identity(entry: Any) -> str:
    return repr(sorted(entry.items())) if isinstance(entry, dict) else str(entry)


_LIST_IDENTITY: dict[str, Callable[[Any], str]] = {
    "volumes": _mount_identity, "secrets": _secret_identity, "configs": _secret_identity, "ports": _port_identity}


def _strip_markers(value: Any) -> Any:
    """Drop `!reset` values and unwrap `!override` ones that had nothing to merge with."""
    if isinstance(value, _Override):
        return _strip_markers(value.value)
    if isinstance(value, dict):
        return {k: _strip_markers(v) for k, v in value.items() if v is not _RESET}
    if isinstance(value, list):
        return [_strip_markers(v) for v in value if v is not _RESET]
    return value


# ----------------------------------------------------------------------------- project-level decisions

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


# ----------------------------------------------------------------------------- volumes (task level)

class _TaskVolumes:
    """Collects the task's `volumes` while services' mounts are translated."""

    def __init__(self, project: _Project, params: EcsParams):
        self.project, self.params = project, params
        self.declared = _mapping(project.data.get("volumes"), project.file_of("volumes"), "volumes")
        self.volumes: dict[str, dict] = {}
        for volume in params.docker_volumes + params.efs_volumes:
            if volume["name"] in self.volumes:
                raise ComposeError(params.file, "task_definition", f"volume {volume['name']!r} is declared twice",
                                   "declare it once, as a docker volume or as an EFS volume")
            if "dockerVolumeConfiguration" in volume and params.launch_type == "FARGATE":
                raise ComposeError(params.file, "task_definition.docker_volumes", "Docker volume drivers are not available on Fargate",
                                   "remove docker_volumes (plain named volumes need nothing here) or use efs_volumes")
            self.volumes[volume["name"]] = dict(volume)

    def named(self, name: str, file: str, field: str) -> str:
        """A named volume used by a service: declared at the top level or in ecs-params."""
        if name in self.volumes:
            return name
        if name not in self.declared:
            raise ComposeError(file, field, f"volume {name!r} is not declared",
                               f"add '{name}:' under the top-level volumes: key")
        self._check_declaration(name)
        self.volumes[name] = {"name": name}
        return name

    def _check_declaration(self, name: str) -> None:
        file = self.project.file_of("volumes", name)
        spec = self.declared[name]
        if spec is None:
            return
        spec = _mapping(spec, file, f"volumes.{name}")
        for key, value in spec.items():
            if key == "driver" and value in (None, "local"):
                continue
            if key in ("driver", "driver_opts", "labels", "external"):
                raise ComposeError(file, f"volumes.{name}.{key}", "volume options cannot go into the task definition",
                                   "remove it; on EC2 declare the volume in ecs-params docker_volumes, on Fargate use efs_volumes")
            if key != "name" and not str(key).startswith("x-"):
                raise ComposeError(file, f"volumes.{name}.{key}", "unknown volume option", "remove it")

    def anonymous(self, service: str) -> str:
        index = sum(1 for n in self.volumes if n.startswith(f"anonymous-{service}-")) + 1
        name = f"anonymous-{service}-{index}"
        self.volumes[name] = {"name": name}  # no host: Docker-managed / Fargate task storage
        return name

    def host_path(self, source: str, file: str, field: str) -> str:
        if self.params.launch_type == "FARGATE":
            raise ComposeError(file, field, f"host path {source!r} cannot be mounted on Fargate (there is no host)",
                               "copy the files into an image and share them through a named volume, or use EFS")
        if not source.startswith("/"):
            raise ComposeError(file, field, f"relative host path {source!r} refers to your machine, not the EC2 instance",
                               "use an absolute path on the instance")
        name = "host" + re.sub(r"[^A-Za-z0-9_-]+", "-", source).rstrip("-")
        existing = self.volumes.get(name)
        if existing and existing.get("host", {}).get("sourcePath") != source:
            raise ComposeError(file, field, f"host path {source!r} clashes with another host path", "use distinct paths")
        self.volumes[name] = {"name": name, "host": {"sourcePath": source}}
        return name

    def task_volumes(self) -> list[dict]:
        return _sorted_by(self.volumes.values(), "name")


# ----------------------------------------------------------------------------- secrets (top level)

def _secret_sources(project: _Project) -> dict[str, str]:
    """Top-level compose secrets -> the valueFrom (SSM parameter or Secrets Manager ARN) of each."""
    section = _mapping(project.data.get("secrets"), project.file_of("secrets"), "secrets")
    sources = {}
    for name, spec in section.items():
        file, field = project.file_of("secrets", name), f"secrets.{name}"
        spec = _mapping(spec, file, field)
        if spec.get("x-aws-value-from"):
            sources[str(name)] = _text(spec["x-aws-value-from"], file, f"{field}.x-aws-value-from")
        elif spec.get("external"):
            sources[str(name)] = str(spec.get("name") or name)
        else:
            raise ComposeError(file, field, "file/environment secrets cannot be shipped to ECS",
                               "store the value in Secrets Manager or SSM and set x-aws-value-from: <ARN or parameter> "
                               "(or external: true with name: <ARN>)")
    return sources


# ----------------------------------------------------------------------------- service -> container definition

# Fields with no ECS meaning that are dropped with a warning.
_IGNORED = {
    "container_name": "ECS names the container after the service",
    "restart": "ECS replaces stopped tasks of a service; essential containers stop the task",
    "networks": "all containers of a task share one network (awsvpc): reach other services on localhost",
    "expose": "every container port is reachable inside the task; security groups control the rest",
    "external_links": "not available on ECS",
    "scale": "the desired count comes from `service scale` (CreateService/UpdateService desiredCount)",
    "pull_policy": "ECS always pulls", "platform": "set the platform with the task's runtimePlatform",
    "stop_signal": "ECS stops containers with SIGTERM", "domainname": "not available on ECS",
    "mac_address": "not available on ECS", "cpuset": "not available on ECS", "cpu_quota": "use cpus",
    "cpu_period": "use cpus", "cpu_count": "use cpus", "cpu_percent": "use cpus", "cpu_rt_runtime": "not available",
    "cpu_rt_period": "not available", "memswap_limit": "not available on ECS", "mem_swappiness": "not available on ECS",
    "oom_kill_disable": "not available on ECS", "oom_score_adj": "not available on ECS", "pids_limit": "not available on ECS",
    "cgroup": "not available on ECS", "cgroup_parent": "not available on ECS", "isolation": "not available on ECS",
    "group_add": "not available on ECS", "dns_opt": "not available on ECS", "userns_mode": "not available on ECS",
    "uts": "not available on ECS", "volume_driver": "not available on ECS", "storage_opt": "not available on ECS",
    "blkio_config": "not available on ECS", "runtime": "not available on ECS", "attach": "local docker compose only",
    "develop": "local docker compose only", "annotations": "not available on ECS",
}
# Fields that cannot be translated: the fix to suggest.
_UNSUPPORTED = {
    "build": "build and push the image yourself, then keep only image: (or move build: to an override file you do not pass here)",
    "extends": "inline the extended service (`docker compose config` prints the resolved file)",
    "configs": "copy the file into the image, or share it from a code-only container through a named volume",
    "gpus": "Fargate has no GPUs; on EC2 set gpu: in ecs-params services",
    "pid": "set pid_mode for the whole task in ecs-params task_definition",
    "ipc": "set ipc_mode for the whole task in ecs-params task_definition",
    "credential_spec": "gMSA credential specs are not supported here",
    "device_cgroup_rules": "not available on ECS",
    "label_file": "write the labels under labels:",
    "post_start": "run it in the image's entrypoint", "pre_stop": "handle SIGTERM in the container",
    "use_api_socket": "there is no Docker API socket on ECS",
}
_MAPPED = (
    "image", "command", "entrypoint", "environment", "env_file", "ports", "healthcheck", "depends_on", "logging",
    "secrets", "volumes", "volumes_from", "working_dir", "user", "hostname", "labels", "ulimits", "read_only",
    "stop_grace_period", "mem_limit", "mem_reservation", "cpu_shares", "cpus", "deploy", "tty", "stdin_open", "init",
    "sysctls", "cap_add", "cap_drop", "dns", "dns_search", "extra_hosts", "links", "privileged", "security_opt",
    "devices", "tmpfs", "shm_size", "network_mode", "profiles", "x-aws-pull_credentials")
_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens", "json-file", "syslog", "journald", "gelf", "fluentd", "logentries")
_FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")
_ULIMITS = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
            "rtprio", "rttime", "sigpending", "stack")
_DEPENDENCY_CONDITIONS = {"service_started": "START", "service_healthy": "HEALTHY",
                          "service_completed_successfully": "SUCCESS"}
_FARGATE_STOP_TIMEOUT = 120
_ECR_IMAGE = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/")


class _ServiceTranslator:
    """Translates one compose service (+ its ecs-params entry) into a ContainerDefinition."""

    def __init__(self, name: str, spec: dict, project: _Project, params: EcsParams,
                 volumes: _TaskVolumes, secret_sources: dict[str, str]):
        self.name, self.spec, self.project, self.params = name, spec, project, params
        self.task_volumes, self.secret_sources = volumes, secret_sources
        self.extra = params.services.get(name, ServiceParams())
        self.fargate = params.launch_type == "FARGATE"
        self.awsvpc = params.network_mode == "awsvpc"
        self._environment: list[dict] | None = None

    # -- messages -------------------------------------------------------------
    def file(self, key: str) -> str:
        return self.project.file_of("services", self.name, key.split(".")[0].split("[")[0])

    def field(self, key: str) -> str:
        return f"services.{self.name}.{key}"

    def fail(self, key: str, problem: str, fix: str) -> ComposeError:
        return ComposeError(self.file(key), self.field(key), problem, fix)

    def warn(self, key: str, text: str) -> None:
        _warn(self.file(key), self.field(key), text)

    def params_field(self, key: str) -> str:
        return f"task_definition.services.{self.name}.{key}"

    # -- the container --------------------------------------------------------
    def container(self) -> dict:
        self.check_keys()
        out: dict[str, Any] = {"name": self.name, "image": self.image(),
                               "essential": True if self.extra.essential is None else self.extra.essential}
        out.update(self.resources())
        parts: dict[str, Any] = {
            "portMappings": self.port_mappings(), "entryPoint": self.argv("entrypoint"),
            "command": self.argv("command"), "environment": self.environment(), "secrets": self.secrets(),
            "mountPoints": self.mount_points(), "volumesFrom": self.volumes_from(), "healthCheck": self.health_check(),
            "logConfiguration": self.log_configuration(), "workingDirectory": self.plain("working_dir"),
            "user": self.plain("user"), "readonlyRootFilesystem": self.boolean("read_only"),
            "pseudoTerminal": self.boolean("tty"), "interactive": self.boolean("stdin_open"),
            "stopTimeout": self.stop_timeout(), "dockerLabels": self.labels(), "ulimits": self.ulimits(),
            "systemControls": self.system_controls(), "linuxParameters": self.linux_parameters(),
            "privileged": self.privileged(), "dockerSecurityOptions": self.security_options(),
            "links": self.links(), "hostname": self.awsvpc_forbidden("hostname"),
            "dnsServers": self.awsvpc_forbidden("dns"), "dnsSearchDomains": self.awsvpc_forbidden("dns_search"),
            "extraHosts": self.extra_hosts(), "repositoryCredentials": self.repository_credentials(),
            "resourceRequirements": self.gpu(), "firelensConfiguration": self.extra.firelens,
        }
        out.update({key: value for key, value in parts.items() if value not in (None, [], {})})
        return out

    def check_keys(self) -> None:
        for key, value in self.spec.items():
            if key in _UNSUPPORTED:
                raise self.fail(key, "not supported on ECS", _UNSUPPORTED[key])
            if key in _IGNORED:
                self.warn(key, f"ignored: {_IGNORED[key]}")
            elif key.startswith("x-aws") and key not in _MAPPED:
                self.warn(key, "ignored: this x-aws extension is not supported")
            elif key not in _MAPPED and not key.startswith("x-"):
                raise self.fail(key, "unknown compose field", "check the spelling (see the Compose Specification)")
        mode = self.spec.get("network_mode")
        if mode is not None and str(mode) != self.params.network_mode:
            raise self.fail("network_mode", f"{mode!r} differs from the task's network mode {self.params.network_mode!r}",
                            "the network mode is per task: remove it and set ecs_network_mode in ecs-params "
                            "(Fargate needs awsvpc)")

    def image(self) -> str:
        if not self.spec.get("image"):
            raise self.fail("image", "missing", "every service needs an image: ECS cannot build one")
        return _text(self.spec["image"], self.file("image"), self.field("image"))

    def argv(self, key: str) -> list[str] | None:
        value = self.spec.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return shlex.split(value)  # docker compose splits a string command the shell way
            except ValueError as exc:
                raise self.fail(key, f"cannot split {value!r}: {exc}", "close the quotes or write it as a list") from None
        return [_text(part, self.file(key), f"{self.field(key)}[{i}]")
                for i, part in enumerate(_sequence(value, self.file(key), self.field(key)))]

    def plain(self, key: str) -> str | None:
        return None if self.spec.get(key) is None else _text(self.spec[key], self.file(key), self.field(key))

    def boolean(self, key: str) -> bool | None:
        return None if self.spec.get(key) is None else _flag(self.spec[key], self.file(key), self.field(key))

    # -- resources ------------------------------------------------------------
    def resources(self) -> dict:
        deploy = _mapping(self.spec.get("deploy"), self.file("deploy"), self.field("deploy"))
        self.check_deploy(deploy)
        resources = _mapping(deploy.get("resources"), self.file("deploy"), self.field("deploy.resources"))
        limits = _mapping(resources.get("limits"), self.file("deploy"), self.field("deploy.resources.limits"))
        reservations = _mapping(resources.get("reservations"), self.file("deploy"), self.field("deploy.resources.reservations"))
        for section, values in (("limits", limits), ("reservations", reservations)):
            for key in values:
                if key in ("devices", "generic_resources"):
                    raise self.fail(f"deploy.resources.{section}.{key}", "not supported",
                                    "Fargate has no GPUs; on EC2 set gpu: in ecs-params services")
                if key not in ("cpus", "memory"):
                    self.warn(f"deploy.resources.{section}.{key}", "ignored: not available on ECS")
        out: dict[str, int] = {}
        cpu = self.cpu(limits, reservations)
        if cpu is not None:
            out["cpu"] = cpu
        memory = self.memory("mem_limit", limits, self.extra.mem_limit, "deploy.resources.limits.memory")
        reservation = self.memory("mem_reservation", reservations, self.extra.mem_reservation,
                                  "deploy.resources.reservations.memory")
        if memory is not None and reservation is not None and memory < reservation:
            raise self.fail("mem_limit", f"the limit ({memory} MiB) is below the reservation ({reservation} MiB)",
                            "raise mem_limit or lower mem_reservation")
        if memory is not None:
            out["memory"] = memory
        if reservation is not None:
            out["memoryReservation"] = reservation
        return out

    def check_deploy(self, deploy: dict) -> None:
        for key in deploy:
            if key == "replicas":
                self.warn("deploy.replicas", "ignored: the desired count comes from `service scale` "
                                             "(CreateService/UpdateService desiredCount), not the task definition")
            elif key != "resources":
                self.warn(f"deploy.{key}", "ignored: not part of a task definition")

    def cpu(self, limits: dict, reservations: dict) -> int | None:
        if self.extra.cpu_shares is not None:
            return self.extra.cpu_shares
        if self.spec.get("cpu_shares") is not None:
            return _whole(self.spec["cpu_shares"], self.file("cpu_shares"), self.field("cpu_shares"), 0)
        for values, key in ((reservations, "reservations"), (limits, "limits")):
            if values.get("cpus") is not None:
                return _cpus_to_units(values["cpus"], self.file("deploy"), self.field(f"deploy.resources.{key}.cpus"))
        if self.spec.get("cpus") is not None:
            return _cpus_to_units(self.spec["cpus"], self.file("cpus"), self.field("cpus"))
        return None

    def memory(self, key: str, deploy_values: dict, from_params: int | None, deploy_field: str) -> int | None:
        if from_params is not None:
            return from_params  # ecs-params overrides compose, as in ecs-cli
        direct = _compose_mib(self.spec[key], self.file(key), self.field(key)) if self.spec.get(key) is not None else None
        deployed = (_compose_mib(deploy_values["memory"], self.file("deploy"), self.field(deploy_field))
                    if deploy_values.get("memory") is not None else None)
        if direct is not None and deployed is not None and direct != deployed:
            raise self.fail(key, f"{direct} MiB differs from {deploy_field} ({deployed} MiB)", "set only one of them")
        return direct if direct is not None else deployed

    # -- ports ----------------------------------------------------------------
    def port_mappings(self) -> list[dict]:
        entries = _sequence(self.spec.get("ports"), self.file("ports"), self.field("ports"))
        if entries and self.params.network_mode == "none":
            raise self.fail("ports", "a task with network mode none has no ports", "remove ports or change ecs_network_mode")
        mappings: list[dict] = []
        for index, entry in enumerate(entries):
            for mapping in self.port_entry(entry, self.field(f"ports[{index}]")):
                if mapping not in mappings:
                    mappings.append(mapping)
        return mappings

    def port_entry(self, entry: Any, field: str) -> list[dict]:
        file = self.file("ports")
        extra: dict[str, str] = {}
        if isinstance(entry, dict):
            if entry.get("target") is None:
                raise ComposeError(file, field, "target is missing", "write target: <container port>")
            container, host, protocol = str(entry["target"]), entry.get("published"), entry.get("protocol", "tcp")
            host = None if host in (None, "") else str(host)
            if entry.get("name"):
                extra["name"] = str(entry["name"])
            if entry.get("app_protocol"):
                extra["appProtocol"] = self.app_protocol(entry["app_protocol"], file, field)
            if entry.get("host_ip"):
                _warn(file, field, "host_ip ignored: a task's ports listen on its own network interface")
        elif isinstance(entry, (str, int)) and not isinstance(entry, bool):
            text, _, protocol = str(entry).partition("/")
            parts = text.rsplit(":", 2)
            container = parts[-1]
            host = parts[-2] if len(parts) > 1 and parts[-2] else None
            if len(parts) == 3 and parts[0]:
                _warn(file, field, f"host IP {parts[0]} ignored: a task's ports listen on its own network interface")
            protocol = protocol or "tcp"
        else:
            raise ComposeError(file, field, f"{entry!r} is not a port", "write e.g. '80', '80:80' or target: 80")
        protocol = str(protocol).lower()
        if protocol not in ("tcp", "udp"):
            raise ComposeError(file, field, f"protocol {protocol!r} is not supported", "use tcp or udp")
        containers = self.port_range(container, file, field)
        hosts = self.port_range(host, file, field) if host else None
        if hosts is not None and len(hosts) != len(containers):
            raise ComposeError(file, field, f"{entry!r} maps ranges of different sizes", "use ranges of the same size")
        return [self.one_mapping(entry, c, hosts[i] if hosts else None, protocol, extra, file, field)
                for i, c in enumerate(containers)]

    @staticmethod
    def app_protocol(value: Any, file: str, field: str) -> str:
        if str(value).lower() not in ("http", "http2", "grpc"):
            raise ComposeError(file, field, f"app_protocol {value!r} is not valid", "use http, http2 or grpc")
        return str(value).lower()

    @staticmethod
    def port_range(text: str, file: str, field: str) -> list[int]:
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", str(text).strip())
        if not match:
            raise ComposeError(file, field, f"{text!r} is not a port number", "write a number from 1 to 65535")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if not 1 <= low <= high <= 65535:
            raise ComposeError(file, field, f"{text!r} is not a valid port or range", "use ports from 1 to 65535")
        return list(range(low, high + 1))

    def one_mapping(self, entry: Any, container: int, host: int | None, protocol: str,
                    extra: dict, file: str, field: str) -> dict:
        if self.params.network_mode in ("awsvpc", "host"):
            if host is not None and host != container:
                raise ComposeError(file, field, f"{entry!r} maps host port {host} to container port {container}, "
                                                f"but {self.params.network_mode} tasks cannot remap ports",
                                   f"publish the container port itself ('{container}' or '{container}:{container}'); "
                                   f"put a load-balancer listener on {host} if you need that port")
            host = container
        return {"containerPort": container, "hostPort": host if host is not None else 0, "protocol": protocol, **extra}

    # -- environment and secrets ----------------------------------------------
    def environment(self) -> list[dict]:
        if self._environment is None:   # computed once: secrets() checks against it too
            values: dict[str, str] = {}
            for path, entries in self.env_files():
                values.update(self.resolved(entries, path, ""))
            declared = _mapping(self.spec.get("environment"), self.file("environment"), self.field("environment"))
            values.update(self.resolved(declared, self.file("environment"), self.field("environment.")))
            self._environment = [{"name": name, "value": values[name]} for name in sorted(values)]
        return self._environment

    def resolved(self, entries: dict[str, str | None], file: str, prefix: str) -> dict[str, str]:
        """Bare KEYs take their value from the environment (.env + os.environ); unset ones are dropped."""
        out = {}
        for name, value in entries.items():
            if value is None:
                value = self.project.env.get(name)
                if value is None:
                    _warn(file, prefix + name, "not set in the environment; left out of the container's environment")
                    continue
            out[name] = value
        return out

    def env_files(self) -> list[tuple[str, dict[str, str | None]]]:
        entries = _sequence(self.spec.get("env_file"), self.file("env_file"), self.field("env_file"))
        out = []
        for index, entry in enumerate(entries):
            field = self.field(f"env_file[{index}]")
            spec = entry if isinstance(entry, dict) else {"path": entry}
            if not spec.get("path"):
                raise ComposeError(self.file("env_file"), field, "path is missing", "write path: <file>")
            path = self.project.directory / str(spec["path"])
            if not path.is_file():
                if spec.get("required", True) is False:
                    continue
                raise ComposeError(self.file("env_file"), field, f"{path} does not exist",
                                   "create it, fix the path (relative to the first compose file) or set required: false")
            raw_format = spec.get("format") == "raw"
            out.append((str(path), _read_env_file(path, str(path), self.project.env.get, interpolate=not raw_format)))
        return out

    def secrets(self) -> list[dict]:
        entries = _sequence(self.spec.get("secrets"), self.file("secrets"), self.field("secrets"))
        chosen: dict[str, str] = {}
        for index, entry in enumerate(entries):
            field = self.field(f"secrets[{index}]")
            source = entry.get("source") if isinstance(entry, dict) else entry
            target = entry.get("target") if isinstance(entry, dict) else None
            if not source or str(source) not in self.secret_sources:
                raise ComposeError(self.file("secrets"), field, f"secret {source!r} is not declared",
                                   f"add it under the top-level secrets: key with x-aws-value-from: <ARN>")
            variable = str(target or source)
            self.warn("secrets", f"secret {source} is given to the container as the environment variable "
                                 f"{variable}, not as the file /run/secrets/{variable}")
            chosen[variable] = self.secret_sources[str(source)]
        for item in self.extra.secrets:
            chosen[item["name"]] = item["valueFrom"]
        plain = {item["name"] for item in self.environment()}
        for name in chosen:
            if name in plain:
                raise self.fail("secrets", f"{name} is both an environment variable and a secret",
                                "remove it from environment (or env_file)")
        return [{"name": name, "valueFrom": chosen[name]} for name in sorted(chosen)]

    # -- volumes --------------------------------------------------------------
    def mount_points(self) -> list[dict]:
        entries = _sequence(self.spec.get("volumes"), self.file("volumes"), self.field("volumes"))
        return [self.mount(entry, self.field(f"volumes[{index}]")) for index, entry in enumerate(entries)]

    def mount(self, entry: Any, field: str) -> dict:
        file = self.file("volumes")
        if isinstance(entry, dict):
            kind = entry.get("type", "volume")
            source, target, read_only = entry.get("source"), entry.get("target"), bool(entry.get("read_only", False))
            if kind not in ("volume", "bind"):
                raise ComposeError(file, field, f"mount type {kind!r} is not supported",
                                   "use a named volume (type: volume)" + ("" if kind != "tmpfs" or self.fargate else " or tmpfs:"))
            if (entry.get("volume") or {}).get("subpath"):
                raise ComposeError(file, field, "volume subpath is not supported on ECS", "mount the whole volume")
            if (entry.get("volume") or {}).get("nocopy"):
                _warn(file, field, "volume.nocopy ignored")
            if kind == "bind" and source:
                source = str(source) if str(source).startswith(("/", ".", "~")) else f"./{source}"
        elif isinstance(entry, str):
            parts = entry.split(":")
            if len(parts) > 3:
                raise ComposeError(file, field, f"{entry!r} is not SOURCE:TARGET[:MODE]", "write e.g. code:/var/www:ro")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else (None, parts[0])
            read_only = self.read_only_mode(parts[2] if len(parts) == 3 else "", file, field)
        else:
            raise ComposeError(file, field, f"{entry!r} is not a volume", "write e.g. code:/var/www")
        if not target or not str(target).startswith("/"):
            raise ComposeError(file, field, f"container path {target!r} is not absolute", "write an absolute path, e.g. /var/www")
        return {"sourceVolume": self.source_volume(source, file, field), "containerPath": str(target), "readOnly": read_only}

    @staticmethod
    def read_only_mode(mode: str, file: str, field: str) -> bool:
        options = [o for o in mode.split(",") if o]
        for option in options:
            if option not in ("ro", "rw", "z", "Z", "nocopy", "cached", "delegated", "consistent"):
                raise ComposeError(file, field, f"mount option {option!r} is not supported", "use ro or rw")
        return "ro" in options

    def source_volume(self, source: Any, file: str, field: str) -> str:
        if not source:
            return self.task_volumes.anonymous(self.name)
        source = str(source)
        if source.startswith(("/", ".", "~")):
            return self.task_volumes.host_path(source, file, field)
        return self.task_volumes.named(source, file, field)

    def volumes_from(self) -> list[dict]:
        entries = _sequence(self.spec.get("volumes_from"), self.file("volumes_from"), self.field("volumes_from"))
        out = []
        for index, entry in enumerate(entries):
            field = self.field(f"volumes_from[{index}]")
            text = _text(entry, self.file("volumes_from"), field)
            if text.startswith("container:"):
                raise ComposeError(self.file("volumes_from"), field, "containers outside the task cannot be referenced",
                                   "name a service of this compose project")
            source, _, mode = text.partition(":")
            if source not in (self.project.data.get("services") or {}):
                raise ComposeError(self.file("volumes_from"), field, f"no service named {source!r}", "name a service of this compose project")
            out.append({"sourceContainer": source, "readOnly": self.read_only_mode(mode, self.file("volumes_from"), field)})
        return out

    # -- health, logs ---------------------------------------------------------
    def health_check(self) -> dict | None:
        compose = _mapping(self.spec.get("healthcheck"), self.file("healthcheck"), self.field("healthcheck"))
        extra = self.extra.healthcheck
        if compose.get("disable") is True and not extra:
            return None
        fields: dict[str, tuple[Any, str, str]] = {}   # key -> (value, file, field)
        for key, value in compose.items():
            if key == "disable":
                continue
            if key == "start_interval":
                self.warn("healthcheck.start_interval", "ignored: ECS has no start interval")
                continue
            if key not in ("test", "interval", "timeout", "retries", "start_period"):
                raise self.fail(f"healthcheck.{key}", "unknown healthcheck field", "use test, interval, timeout, retries, start_period")
            fields[key] = (value, self.file("healthcheck"), self.field(f"healthcheck.{key}"))
        for key, value in extra.items():
            name = "test" if key == "command" else key
            if name not in ("test", "interval", "timeout", "retries", "start_period"):
                raise ComposeError(self.params.file, self.params_field(f"healthcheck.{key}"), "unknown healthcheck field",
                                   "use test (or command), interval, timeout, retries, start_period")
            fields[name] = (value, self.params.file, self.params_field(f"healthcheck.{key}"))
        if not fields:
            return None
        if "test" not in fields:
            file, field = fields[next(iter(fields))][1:]
            raise ComposeError(file, field.rsplit(".", 1)[0] + ".test", "missing",
                               "ECS does not use the image's HEALTHCHECK: write the test command")
        command = self.health_command(*fields.pop("test"))
        if command is None:
            return None
        out: dict[str, Any] = {"command": command}
        limits = {"interval": ("interval", 5, 300), "timeout": ("timeout", 2, 120),
                  "retries": ("retries", 1, 10), "start_period": ("startPeriod", 0, 300)}
        for key, (ecs_key, low, high) in limits.items():
            if key in fields:
                value, file, field = fields[key]
                number = _whole(value, file, field) if key == "retries" else _seconds(value, file, field)
                if not low <= number <= high:
                    raise ComposeError(file, field, f"{number} is out of range", f"ECS accepts {low} to {high}")
                out[ecs_key] = number
        return out

    @staticmethod
    def health_command(test: Any, file: str, field: str) -> list[str] | None:
        if isinstance(test, str):
            return ["CMD-SHELL", test]  # a string runs in a shell, in compose and in ecs-cli alike
        parts = [_text(p, file, field) for p in _sequence(test, file, field)]
        if parts[:1] == ["NONE"]:
            return None
        if parts[:1] not in (["CMD"], ["CMD-SHELL"]) or len(parts) < 2:
            raise ComposeError(file, field, f"{test!r} is not a health check command",
                               "write [\"CMD\", ...], [\"CMD-SHELL\", \"...\"] or a string")
        return parts

    def log_configuration(self) -> dict | None:
        logging = _mapping(self.spec.get("logging"), self.file("logging"), self.field("logging"))
        for key in logging:
            if key not in ("driver", "options"):
                raise self.fail(f"logging.{key}", "unknown logging field", "use driver and options")
        driver, options = logging.get("driver"), _string_map(logging.get("options"), self.file("logging"), self.field("logging.options"))
        if driver is None:
            if options:
                raise self.fail("logging.driver", "missing (options were given)", "write driver: awslogs")
            if self.extra.log_secret_options:
                raise ComposeError(self.params.file, self.params_field("logging.secret_options"),
                                   "the service has no logging driver", "add logging: driver: in the compose file")
            return None
        allowed = _FARGATE_LOG_DRIVERS if self.fargate else _LOG_DRIVERS
        if driver not in allowed:
            raise self.fail("logging.driver", f"{driver!r} is not available" + (" on Fargate" if self.fargate else ""),
                            f"use one of {', '.join(allowed)}")
        if driver == "awslogs":
            self.check_awslogs(options)
        out: dict[str, Any] = {"logDriver": driver}
        if options:
            out["options"] = dict(sorted(options.items()))
        if self.extra.log_secret_options:
            out["secretOptions"] = _sorted_by(self.extra.log_secret_options, "name")
        return out

    def check_awslogs(self, options: dict[str, str]) -> None:
        required = ["awslogs-group", "awslogs-region"] + (["awslogs-stream-prefix"] if self.fargate else [])
        for option in required:
            if not options.get(option):
                raise self.fail(f"logging.options.{option}", "missing" + (" (required on Fargate)" if option.endswith("prefix") else ""),
                                f"add {option}: under logging.options")

    # -- small mappings ---------------------------------------------------------
    def stop_timeout(self) -> int | None:
        if self.spec.get("stop_grace_period") is None:
            return None
        seconds = _seconds(self.spec["stop_grace_period"], self.file("stop_grace_period"), self.field("stop_grace_period"))
        if self.fargate and seconds > _FARGATE_STOP_TIMEOUT:
            raise self.fail("stop_grace_period", f"{seconds}s is more than Fargate's {_FARGATE_STOP_TIMEOUT}s maximum",
                            f"use {_FARGATE_STOP_TIMEOUT}s or less")
        return seconds

    def labels(self) -> dict[str, str] | None:
        labels = self.spec.get("labels")
        if not labels:
            return None
        return {key: "" if value is None else value for key, value in sorted(labels.items())}

    def ulimits(self) -> list[dict]:
        limits = _mapping(self.spec.get("ulimits"), self.file("ulimits"), self.field("ulimits"))
        out = []
        for name, value in sorted(limits.items()):
            field = self.field(f"ulimits.{name}")
            if name not in _ULIMITS:
                raise ComposeError(self.file("ulimits"), field, f"{name!r} is not a ulimit ECS knows", f"use one of {', '.join(_ULIMITS)}")
            if isinstance(value, dict):
                soft, hard = _whole(value.get("soft"), self.file("ulimits"), f"{field}.soft"), _whole(value.get("hard"), self.file("ulimits"), f"{field}.hard")
            else:
                soft = hard = _whole(value, self.file("ulimits"), field)
            out.append({"name": name, "softLimit": soft, "hardLimit": hard})
        return out

    def system_controls(self) -> list[dict]:
        controls = self.spec.get("sysctls") or {}
        return [{"namespace": name, "value": "" if value is None else value} for name, value in sorted(controls.items())]

    def linux_parameters(self) -> dict | None:
        out: dict[str, Any] = {}
        capabilities = self.capabilities()
        if capabilities:
            out["capabilities"] = capabilities
        init = self.boolean("init")
        if self.extra.init_process_enabled is not None:
            init = self.extra.init_process_enabled
        if init is not None:
            out["initProcessEnabled"] = init
        if self.spec.get("devices"):
            out["devices"] = self.devices()
        if self.spec.get("tmpfs"):
            out["tmpfs"] = self.tmpfs()
        if self.spec.get("shm_size") is not None:
            self.ec2_only("shm_size", "Fargate does not support a custom /dev/shm size")
            out["sharedMemorySize"] = _compose_mib(self.spec["shm_size"], self.file("shm_size"), self.field("shm_size"))
        return out or None

    def capabilities(self) -> dict:
        out = {}
        for key, ecs_key in (("cap_add", "add"), ("cap_drop", "drop")):
            names = [_text(c, self.file(key), self.field(key)).upper().removeprefix("CAP_")
                     for c in _sequence(self.spec.get(key), self.file(key), self.field(key))]
            if key == "cap_add" and self.fargate:
                for name in names:
                    if name != "SYS_PTRACE":
                        raise self.fail("cap_add", f"{name} cannot be added on Fargate", "Fargate only allows adding SYS_PTRACE")
            if names:
                out[ecs_key] = names
        return out

    def ec2_only(self, key: str, reason: str) -> None:
        if self.fargate:
            raise self.fail(key, f"not supported on Fargate: {reason}", "remove it, or run on EC2 (ecs_network_mode bridge/host)")

    def devices(self) -> list[dict]:
        self.ec2_only("devices", "tasks cannot reach host devices")
        out = []
        for index, entry in enumerate(_sequence(self.spec["devices"], self.file("devices"), self.field("devices"))):
            parts = _text(entry, self.file("devices"), self.field(f"devices[{index}]")).split(":")
            device = {"hostPath": parts[0], "containerPath": parts[1] if len(parts) > 1 else parts[0]}
            if len(parts) > 2:
                device["permissions"] = [{"r": "read", "w": "write", "m": "mknod"}[c] for c in parts[2] if c in "rwm"]
            out.append(device)
        return out

    def tmpfs(self) -> list[dict]:
        self.ec2_only("tmpfs", "Fargate has no tmpfs mounts")
        entries = self.spec["tmpfs"] if isinstance(self.spec["tmpfs"], list) else [self.spec["tmpfs"]]
        out = []
        for index, entry in enumerate(entries):
            field = self.field(f"tmpfs[{index}]")
            path, _, options = _text(entry, self.file("tmpfs"), field).partition(":")
            opts = [o for o in options.split(",") if o]
            sizes = [o for o in opts if o.startswith("size=")]
            if not sizes:
                raise ComposeError(self.file("tmpfs"), field, "no size", "ECS needs a size: write e.g. /run:size=64m")
            mount = {"containerPath": path, "size": _compose_mib(sizes[0][5:], self.file("tmpfs"), field)}
            rest = [o for o in opts if not o.startswith("size=")]
            if rest:
                mount["mountOptions"] = rest
            out.append(mount)
        return out

    def privileged(self) -> bool | None:
        value = self.boolean("privileged")
        if value:
            self.ec2_only("privileged", "privileged containers are not allowed")
        return value

    def security_options(self) -> list[str]:
        options = [_text(o, self.file("security_opt"), self.field("security_opt"))
                   for o in _sequence(self.spec.get("security_opt"), self.file("security_opt"), self.field("security_opt"))]
        if options:
            self.ec2_only("security_opt", "Docker security options cannot be set")
        return options

    def links(self) -> list[str]:
        links = [_text(link, self.file("links"), self.field("links"))
                 for link in _sequence(self.spec.get("links"), self.file("links"), self.field("links"))]
        if links and self.awsvpc:
            raise self.fail("links", "links are not supported with awsvpc (Fargate)",
                            "remove them: containers of one task reach each other on localhost (e.g. 127.0.0.1:9000)")
        for link in links:
            if link.split(":")[0] not in (self.project.data.get("services") or {}):
                raise self.fail("links", f"no service named {link.split(':')[0]!r}", "link to a service of this project")
        return links

    def awsvpc_forbidden(self, key: str) -> Any:
        value = self.spec.get(key)
        if value in (None, [], ""):
            return None
        if self.awsvpc:
            raise self.fail(key, "not supported with awsvpc (Fargate) networking",
                            "remove it: the task's network interface and the VPC's DNS settings apply")
        if key == "hostname":
            return _text(value, self.file(key), self.field(key))
        return [_text(v, self.file(key), self.field(key)) for v in (value if isinstance(value, list) else [value])]

    def extra_hosts(self) -> list[dict]:
        entries = self.spec.get("extra_hosts")
        if not entries:
            return []
        if self.awsvpc:
            raise self.fail("extra_hosts", "not supported with awsvpc (Fargate) networking",
                            "remove it and use DNS (e.g. a Route 53 private zone)")
        if isinstance(entries, dict):
            pairs = [(str(host), str(ip)) for host, ip in entries.items()]
        else:
            pairs = []
            for entry in entries:
                parts = re.split(r"[=:]", str(entry), maxsplit=1)
                if len(parts) != 2:
                    raise self.fail("extra_hosts", f"{entry!r} is not HOST:IP", "write e.g. db:10.0.0.5")
                pairs.append((parts[0], parts[1]))
        return [{"hostname": host, "ipAddress": ip} for host, ip in pairs]

    def repository_credentials(self) -> dict | None:
        parameter = self.extra.repository_credentials or self.spec.get("x-aws-pull_credentials")
        return {"credentialsParameter": str(parameter)} if parameter else None

    def gpu(self) -> list[dict]:
        if self.extra.gpu is None:
            return []
        if self.fargate:
            raise ComposeError(self.params.file, self.params_field("gpu"), "Fargate has no GPUs", "remove gpu or run on EC2")
        return [{"type": "GPU", "value": self.extra.gpu}]

    # -- dependencies (checked once every container exists) ------------------
    def dependencies(self) -> dict[str, tuple[str, str, str]]:
        """containerName -> (condition, file, field)."""
        out: dict[str, tuple[str, str, str]] = {}
        declared = _mapping(self.spec.get("depends_on"), self.file("depends_on"), self.field("depends_on"))
        for target, options in declared.items():
            field = self.field(f"depends_on.{target}")
            options = _mapping(options, self.file("depends_on"), field)
            condition = str(options.get("condition", "service_started"))
            if condition not in _DEPENDENCY_CONDITIONS:
                raise ComposeError(self.file("depends_on"), f"{field}.condition", f"{condition!r} is not valid",
                                   f"use one of {', '.join(_DEPENDENCY_CONDITIONS)}")
            for key in options:
                if key in ("restart", "required"):
                    self.warn(f"depends_on.{target}.{key}", "ignored: ECS has no equivalent")
                elif key != "condition":
                    raise ComposeError(self.file("depends_on"), f"{field}.{key}", "unknown depends_on field", "use condition")
            out[target] = (_DEPENDENCY_CONDITIONS[condition], self.file("depends_on"), field)
        for index, item in enumerate(self.extra.depends_on):   # ecs-params wins for the same container
            out[item["containerName"]] = (item["condition"], self.params.file, self.params_field(f"depends_on[{index}]"))
        return out


# ----------------------------------------------------------------------------- task-level assembly

def _link_dependencies(translators: dict[str, _ServiceTranslator], containers: dict[str, dict],
                       all_services: dict) -> None:
    """Add dependsOn; make containers that others wait to finish non-essential."""
    must_exit: dict[str, tuple[str, str, str]] = {}  # container -> (who waits for it to finish, file, field)
    for name, translator in translators.items():
        entries = []
        for target, (condition, file, field) in translator.dependencies().items():
            if target == name:
                raise ComposeError(file, field, "a service cannot depend on itself", "remove this entry")
            if target not in containers:
                if target in all_services:
                    raise ComposeError(file, field, f"{target!r} is left out (its profile is not active)",
                                       "activate its profile with COMPOSE_PROFILES, or remove this dependency")
                raise ComposeError(file, field, f"{target!r} is not a service of this project", "fix the name")
            if condition == "HEALTHY" and "healthCheck" not in containers[target]:
                raise ComposeError(file, field, f"waits for {target} to be healthy but {target} has no healthcheck",
                                   f"add a healthcheck to {target}, or use service_started")
            if condition in ("COMPLETE", "SUCCESS"):
                must_exit.setdefault(target, (name, file, field))
            entries.append({"containerName": target, "condition": condition})
        if entries:
            containers[name]["dependsOn"] = _sorted_by(entries, "containerName")
    for target, (waiter, file, field) in must_exit.items():
        _make_non_essential(target, waiter, translators[target], containers[target], file, field)
    _check_cycles(containers, translators)
    if not any(c["essential"] for c in containers.values()):
        params = next(iter(translators.values())).params
        raise ComposeError(params.file, "task_definition.services", "no container is essential",
                           "leave at least one service essential (the one that serves); ECS stops the task "
                           "when an essential container stops")


def _make_non_essential(target: str, waiter: str, translator: _ServiceTranslator, container: dict,
                        file: str, field: str) -> None:
    """ECS refuses COMPLETE/SUCCESS dependencies on an essential container."""
    if translator.extra.essential is True:
        raise ComposeError(translator.params.file, translator.params_field("essential"),
                           f"{waiter} waits for {target} to finish, so {target} cannot be essential",
                           "set essential: false")
    if container["essential"]:
        container["essential"] = False
        _warn(file, field, f"{target} made non-essential because {waiter} waits for it to finish "
                           f"(say essential: false for {target} in ecs-params to silence this)")


def _check_cycles(containers: dict[str, dict], translators: dict[str, _ServiceTranslator]) -> None:
    graph = {name: [d["containerName"] for d in c.get("dependsOn", [])] for name, c in containers.items()}
    state: dict[str, int] = {}   # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in graph[name]:
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [name, target] if target in path else [name, target]
                translator = translators[name]
                raise translator.fail("depends_on", f"circular dependency {' -> '.join(cycle)}", "remove one of the dependencies")
            if state.get(target) is None:
                visit(target, path + [name])
        state[name] = 2

    for name in graph:
        if state.get(name) is None:
            visit(name, [])


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


def _check_execution_role(params: EcsParams, translators: dict[str, _ServiceTranslator],
                          containers: dict[str, dict]) -> None:
    """Fargate pulls private images, ships awslogs and fetches secrets with the execution role."""
    if params.launch_type != "FARGATE" or params.execution_role:
        return
    fix = "set task_definition.task_execution_role in ecs-params.yml (e.g. ecsTaskExecutionRole)"
    for name, container in containers.items():
        translator = translators[name]
        if (container.get("logConfiguration") or {}).get("logDriver") == "awslogs":
            raise translator.fail("logging", "the awslogs driver on Fargate needs a task execution role", fix)
        if container.get("secrets"):
            raise translator.fail("secrets", "secrets on Fargate need a task execution role", fix)
        if _ECR_IMAGE.match(container["image"]):
            raise translator.fail("image", "ECR images on Fargate need a task execution role", fix)
        if container.get("repositoryCredentials"):
            raise translator.fail("image", "private registry credentials on Fargate need a task execution role", fix)


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
                       project_name: str | None = None) -> dict:
    """Compose file(s) + optional ecs-params.yml -> kwargs for ecs.register_task_definition.

    Nothing is registered here: on any problem a `ComposeError` is raised before an
    AWS call could be made, so a failed translation never leaves a half-registered
    revision.  The same files always give an identical dict.  See the module
    docstring for the rules."""
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
    _check_execution_role(params, translators, containers)
    definitions = list(containers.values())
    cpu, memory = _task_cpu_memory(definitions, params, project)
    if params.launch_type == "EC2":
        _default_container_memory(definitions, memory)

    kwargs: dict[str, Any] = {"family": family}
    if params.task_role_arn:
        kwargs["taskRoleArn"] = params.task_role_arn
    if params.execution_role:
        kwargs["executionRoleArn"] = params.execution_role
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
