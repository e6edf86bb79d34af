"""What every part of a service's translation shares: its inputs and how it names fields in messages."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .ecs_params import EcsParams, ServiceParams
from .errors import ComposeError, _warn
from .readers import _flag, _sequence, _text

if TYPE_CHECKING:
    from .files import _Project
    from .volumes import _TaskVolumes


class _ServiceBase:
    """One compose service (+ its ecs-params entry) on its way to a ContainerDefinition."""

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

    def plain(self, key: str) -> str | None:
        return None if self.spec.get(key) is None else _text(self.spec[key], self.file(key), self.field(key))

    def boolean(self, key: str) -> bool | None:
        return None if self.spec.get(key) is None else _flag(self.spec[key], self.file(key), self.field(key))

    def texts(self, key: str) -> list[str]:
        """A list of strings (an absent key is an empty list)."""
        return [_text(item, self.file(key), self.field(key))
                for item in _sequence(self.spec.get(key), self.file(key), self.field(key))]
