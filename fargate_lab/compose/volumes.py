"""The task's `volumes`: named, anonymous and host-path volumes, and ecs-params docker/EFS ones."""
from __future__ import annotations

import re

from .ecs_params import EcsParams
from .errors import ComposeError
from .files import _Project
from .readers import _mapping, _sorted_by


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
