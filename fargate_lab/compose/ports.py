"""portMappings from compose `ports` (short and long syntax, ranges)."""
from __future__ import annotations

import re
from typing import Any

from .errors import ComposeError, _warn
from .readers import _sequence
from .service_base import _ServiceBase


class _Ports(_ServiceBase):
    """portMappings."""

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
                # most published files map ports ("8000:80"); the task can still run, on the container's port
                _warn(file, field, f"{entry!r}: {self.params.network_mode} tasks cannot remap ports, so the task "
                                   f"listens on container port {container}, not {host}; to serve port {host}, put a "
                                   f"load-balancer listener on {host} in front of it (service up "
                                   f"--create-load-balancer listens on {container})")
            host = container
        return {"containerPort": container, "hostPort": host if host is not None else 0, "protocol": protocol, **extra}
