"""Named cluster configurations, and which cluster/region/backend a command uses.

The file lives at `$FARGATE_LAB_CONFIG`, else `$XDG_CONFIG_HOME/fargate-lab/config.yml`
(`~/.config/fargate-lab/config.yml`), and looks like ecs-cli's `~/.ecs/config`:

    default: demo
    clusters:
      demo: {cluster: demo, region: eu-west-1, default_launch_type: FARGATE, backend: local}

Precedence, highest first: flags > environment (AWS_REGION, then AWS_DEFAULT_REGION;
ECS_CLUSTER; FARGATE_LAB_BACKEND) > the config file > defaults (cluster "default",
region us-east-1, launch type FARGATE, backend local).  Unlike ecs-cli, the environment
beats the file, as it does for the AWS CLI: `AWS_REGION=eu-west-1 fargate-lab ...` is
how people expect a one-off override to work.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import yaml

from .errors import ConfigError

LAUNCH_TYPES = ("EC2", "FARGATE")
BACKENDS = ("local", "aws")
DEFAULT_CLUSTER = "default"   # the cluster ECS itself uses when none is named
DEFAULT_REGION = "us-east-1"
DEFAULT_LAUNCH_TYPE = "FARGATE"
DEFAULT_BACKEND = "local"     # AWS is opt-in: nobody should get a bill by accident

CLUSTER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
CONFIG_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class ClusterConfig:
    """One named entry of the config file; None means "not set here"."""
    name: str
    cluster: str
    region: str | None = None
    default_launch_type: str | None = None
    backend: str | None = None

    def to_yaml(self) -> dict[str, str]:
        fields = {"cluster": self.cluster, "region": self.region,
                  "default_launch_type": self.default_launch_type, "backend": self.backend}
        return {k: v for k, v in fields.items() if v is not None}


@dataclass(frozen=True)
class Settings:
    """What a command runs against, after precedence."""
    cluster: str
    region: str
    launch_type: str
    backend: str
    config_name: str | None   # the config entry used, None if no file or no entry


# -- the file ----------------------------------------------------------------------
class ConfigFile(TypedDict):
    """The file's contents, as `load` returns them and `_save` writes them.  What `load` read from a
    hand-edited file is checked where it is used (`_chosen_entry`), so these are the shapes meant."""
    default: str | None        # the entry used when no --config-name is given
    clusters: dict[str, Any]   # entry name -> that entry's mapping (ClusterConfig.to_yaml's when written)


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    if env.get("FARGATE_LAB_CONFIG"):
        return Path(env["FARGATE_LAB_CONFIG"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "fargate-lab" / "config.yml"


def load(path: Path | None = None) -> ConfigFile:
    """The file as {"default": name | None, "clusters": {name: {...}}}; empty if there is none."""
    path = path or config_path()
    if not path.exists():
        return {"default": None, "clusters": {}}
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]}); fix it or delete it and run "
                          "`fargate-lab configure` again") from None
    clusters = data.get("clusters") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(clusters or {}, dict):
        raise ConfigError(f"{path}: expected `default:` and a `clusters:` mapping; fix it or delete it and run "
                          "`fargate-lab configure` again")
    return {"default": data.get("default"), "clusters": dict(clusters or {})}


def _save(data: ConfigFile, path: Path) -> None:
    """Write atomically and private (0600), as ecs-cli does: a half-written config is worse than none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump({"default": data["default"], "clusters": data["clusters"]}, sort_keys=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".yml")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- validation: one line that names where the bad value came from and the fix -------
def check_launch_type(value: str, source: str = "--default-launch-type") -> str:
    normalised = str(value).upper()
    if normalised not in LAUNCH_TYPES:
        raise ConfigError(f"{source}: {value!r} is not a launch type; use FARGATE or EC2")
    return normalised


def check_backend(value: str, source: str = "--backend") -> str:
    normalised = str(value).lower()
    if normalised not in BACKENDS:
        raise ConfigError(f"{source}: {value!r} is not a backend; use local (the built-in cloud) or aws")
    return normalised


def check_cluster(value: str, source: str = "--cluster") -> str:
    if not CLUSTER_NAME.match(str(value)):
        raise ConfigError(f"{source}: {value!r} is not a valid cluster name; use up to 255 letters, "
                          "digits, hyphens and underscores")
    return value


def check_region(value: str, source: str = "--region") -> str:
    if not REGION_NAME.match(str(value)):
        raise ConfigError(f"{source}: {value!r} is not an AWS region name; use one like us-east-1 or eu-west-1")
    return value


def check_config_name(value: str, source: str = "--config-name") -> str:
    if not CONFIG_NAME.match(str(value)):
        raise ConfigError(f"{source}: {value!r} is not a usable name; use letters, digits, '.', '_' or '-'")
    return value


# -- writing -----------------------------------------------------------------------
def configure(cluster: str | None = None, region: str | None = None, default_launch_type: str | None = None,
              config_name: str = "default", backend: str | None = None) -> ClusterConfig:
    """Save (or replace) a named cluster configuration; the first one saved becomes the default."""
    made = ClusterConfig(
        name=check_config_name(config_name),
        cluster=check_cluster(cluster) if cluster else DEFAULT_CLUSTER,
        region=check_region(region) if region else None,
        default_launch_type=check_launch_type(default_launch_type) if default_launch_type else None,
        backend=check_backend(backend) if backend else None)
    path = config_path()
    data = load(path)
    data["clusters"][made.name] = made.to_yaml()
    if data["default"] not in data["clusters"]:
        data["default"] = made.name
    _save(data, path)
    return made


def set_default(config_name: str) -> None:
    path = config_path()
    data = load(path)
    if config_name not in data["clusters"]:
        raise ConfigError(_unknown_config(config_name, data, path))
    data["default"] = config_name
    _save(data, path)


def _unknown_config(name: str, data: ConfigFile, path: Path) -> str:
    known = ", ".join(sorted(data["clusters"])) or "none yet"
    return (f"--config-name: no configuration named {name!r} in {path} (known: {known}); "
            f"create it with `fargate-lab configure --config-name {name} --cluster ...`")


# -- reading -----------------------------------------------------------------------
def _chosen_entry(config_name: str | None, path: Path) -> tuple[str | None, dict[str, Any]]:
    data = load(path)
    if config_name is not None and config_name not in data["clusters"]:
        raise ConfigError(_unknown_config(config_name, data, path))
    if config_name is None and data["default"] is not None and data["default"] not in data["clusters"]:
        known = ", ".join(sorted(map(str, data["clusters"]))) or "none"
        raise ConfigError(f"{path}: default: {data['default']!r} names no configuration under clusters: (known: "
                          f"{known}); run `fargate-lab configure default --config-name NAME` or fix the file")
    name = config_name or data["default"]
    entry = data["clusters"].get(name) if name else None
    if entry is not None and not isinstance(entry, dict):
        raise ConfigError(f"{path}: clusters.{name} is not a mapping; run `fargate-lab configure "
                          f"--config-name {name} ...` to rewrite it")
    return (name, entry) if entry is not None else (None, {})


def resolve(cluster: str | None = None, region: str | None = None, launch_type: str | None = None,
            backend: str | None = None, config_name: str | None = None,
            env: Mapping[str, str] = os.environ) -> Settings:
    """Settings for one command: flags > environment > config file > defaults.

    `env` supplies the overriding variables; the file is the one `configure` writes
    (found from os.environ), so a test or caller can pass a small `env` safely."""
    path = config_path()
    name, entry = _chosen_entry(config_name, path)
    in_file = f"{path} (config {name!r})"

    def pick(flag_value: str | None, flag: str, env_names: tuple[str, ...], file_key: str, default: str,
             check: Callable[[str, str], str]) -> str:
        for value, source in ((flag_value, flag), *((env.get(n), n) for n in env_names),
                              (entry.get(file_key), in_file)):
            if value not in (None, ""):   # "" counts as unset, as exported-but-empty variables are
                return check(value, source)
        return default

    return Settings(
        cluster=pick(cluster, "--cluster", ("ECS_CLUSTER",), "cluster", DEFAULT_CLUSTER, check_cluster),
        region=pick(region, "--region", ("AWS_REGION", "AWS_DEFAULT_REGION"), "region", DEFAULT_REGION,
                    check_region),
        launch_type=pick(launch_type, "--launch-type", (), "default_launch_type", DEFAULT_LAUNCH_TYPE,
                         check_launch_type),
        backend=pick(backend, "--backend", ("FARGATE_LAB_BACKEND",), "backend", DEFAULT_BACKEND, check_backend),
        config_name=name)
