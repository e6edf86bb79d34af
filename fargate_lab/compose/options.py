"""The container's smaller settings: stop timeout, labels, ulimits, Linux parameters, networking, credentials, GPU."""
from __future__ import annotations

import re
from typing import Any

from .errors import ComposeError
from .readers import _mapping, _sequence, _text, _whole
from .service_base import _ServiceBase
from .units import _compose_mib, _seconds

_ULIMITS = ("core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss",
            "rtprio", "rttime", "sigpending", "stack")
_FARGATE_STOP_TIMEOUT = 120


class _ContainerOptions(_ServiceBase):
    """Fields that map one to one, or nearly (the ECS limits checked on the way)."""

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
            names = [name.upper().removeprefix("CAP_") for name in self.texts(key)]
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
            device: dict[str, Any] = {"hostPath": parts[0], "containerPath": parts[1] if len(parts) > 1 else parts[0]}
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
        options = self.texts("security_opt")
        if options:
            self.ec2_only("security_opt", "Docker security options cannot be set")
        return options

    def links(self) -> list[str]:
        links = self.texts("links")
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
