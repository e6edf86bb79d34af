"""A container's mountPoints and volumesFrom."""
from __future__ import annotations

from typing import Any

from .errors import ComposeError, _warn
from .readers import _sequence, _text
from .service_base import _ServiceBase


class _Mounts(_ServiceBase):
    """mountPoints (adding the task volumes they use) and volumesFrom."""

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
