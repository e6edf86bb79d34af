"""Compose files: load, check, interpolate and merge them as `docker compose -f a -f b` does."""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from .errors import ComposeError, _warn
from .interpolation import _interpolate_tree, _project_environment
from .readers import _mapping, _scalar_text, _text
from .yaml_loader import _RESET, _load_yaml, _Override

PathLike = Union[str, "os.PathLike[str]"]


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
    out_services: dict[Any, Any] = {}   # a service spec, or a !reset or !override marker
    for name, spec in services.items():
        if spec is _RESET or isinstance(spec, _Override):
            out_services[str(name)] = spec   # keyed as every other service is (YAML may read `1:` as an int)
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
    return {str(key): (None if item is None else _scalar_text(item, file, f"{field}.{key}"))
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
