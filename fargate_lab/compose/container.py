"""One compose service -> one ContainerDefinition: the keys that are read, and the parts put together."""
from __future__ import annotations

import shlex
from typing import Any

from .dependencies import _Dependencies
from .environment import _Environment
from .health import _HealthCheck
from .logs import _Logging
from .mounts import _Mounts
from .options import _ContainerOptions
from .ports import _Ports
from .readers import _sequence, _text
from .resources import _Resources

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
    "build": "ECS runs images and cannot build one: build and push it (docker compose build && docker compose push, "
             "to ECR or Docker Hub), then add image: <repository>:<tag> next to build:",
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


class _ServiceTranslator(_Resources, _Ports, _Environment, _Mounts, _HealthCheck, _Logging, _ContainerOptions,
                         _Dependencies):
    """Translates one compose service (+ its ecs-params entry) into a ContainerDefinition."""

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
        for key in self.spec:
            if key == "build" and self.spec.get("image"):
                # docker compose builds and tags `image`; ECS can only pull it, so the image is what runs
                self.warn("build", f"ignored: ECS runs the image {self.spec['image']!r} and cannot build it; build "
                                   "and push it first (docker compose build && docker compose push)")
                continue
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
