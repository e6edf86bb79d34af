"""The ECS engine: one entry point over the task lifecycle, the service controller, the deployment
book and the API handlers (`api/`, one module per resource).  `Engine.call(region, "RunTask",
params)` returns the response dict or raises `EcsError` with AWS's code and message.

Every check runs before anything is created, so a refused call leaves nothing behind.  Messages
are AWS's own where known (docs/ecs-behaviour.md §6).
"""
from __future__ import annotations

from typing import Any

from .api import RESOURCE_APIS
from .api.base import Handler
from .catalog import ImageCatalog
from .clock import Clock, VirtualClock
from .controller import ServiceController
from .deployments import DeploymentBook
from .errors import EcsError
from .ids import IdSource
from .lifecycle import TaskLifecycle
from .records import Deployment, ServedTarget, Task
from .runtime import Runtime
from .state import EngineState, Quotas, RegionState
from .substrate import OfflineSubstrate, Substrate
from .timing import Timing, preset
from .types import Json

__all__ = ["Engine", "Quotas", "RegionState"]


def _part(owner: str, name: str, settable: bool = False) -> Any:
    """An Engine attribute that is `self.<owner>.<name>`: a property, typed by the annotation of the
    class attribute it is assigned to."""
    def get(engine: Engine) -> Any:
        return getattr(getattr(engine, owner), name)

    def put(engine: Engine, value: Any) -> None:
        setattr(getattr(engine, owner), name, value)
    return property(get, put if settable else None, doc=f"{owner}.{name}")


class Engine:
    """ECS on Fargate in one process: the single entry point of the engine.  It composes the parts
    (each given what it uses) and routes every operation to its resource's handler."""

    def __init__(self, clock: Clock | None = None, seed: int = 0, substrate: Substrate | None = None,
                 catalog: ImageCatalog | None = None, timing: str | Timing = "realistic",
                 quotas: Quotas | None = None):
        self.runtime = Runtime(clock=clock or VirtualClock(0.0), ids=IdSource(seed),
                               timing=preset(timing), substrate=substrate or OfflineSubstrate(),
                               catalog=catalog or ImageCatalog.with_demo_images())
        self.state = EngineState(quotas=quotas or Quotas())
        self.book = DeploymentBook(self.runtime.ids)
        self.lifecycle = TaskLifecycle(self.runtime, self.state)
        self.controller = ServiceController(self.runtime, self.lifecycle, self.book)
        self.lifecycle.listener = self.controller   # the one call path back: task -> its service
        self._operations: dict[str, Handler] = {}
        for api_class in RESOURCE_APIS:
            api = api_class(self.runtime, self.state, self.lifecycle, self.controller, self.book)
            for name, handler in api.operations().items():
                assert name not in self._operations, f"{name} is handled twice"
                self._operations[name] = handler

    # -- entry point ----------------------------------------------------------
    def call(self, region: str, operation: str, params: Json) -> Json:
        handler = self._operations.get(operation)
        if handler is None:
            raise EcsError("UnsupportedOperation", operation)
        return handler(region, params)

    def supports(self, operation: str) -> bool:
        return operation in self._operations

    # -- what the other layers read (and, for quotas and verify_views, set), by their old names --
    clock: Clock = _part("runtime", "clock")
    ids: IdSource = _part("runtime", "ids")
    timing: Timing = _part("runtime", "timing")
    substrate: Substrate = _part("runtime", "substrate")
    catalog: ImageCatalog = _part("runtime", "catalog")
    account: str = _part("runtime", "account")
    regions: dict[str, RegionState] = _part("state", "regions")
    zones: dict[str, str] = _part("state", "zones")
    deployments: dict[str, Deployment] = _part("book", "by_id")
    quotas: Quotas = _part("state", "quotas", settable=True)
    # strict mode: every scheduler step also recomputes the cached task views and compares
    verify_views: bool = _part("controller", "verify_views", settable=True)

    def target_health(self, region: str, group_arn: str) -> list[tuple[str, int, str]]:
        return self.lifecycle.target_health(region, group_arn)

    def served_targets(self, region: str, group_arn: str) -> list[ServedTarget]:
        return self.lifecycle.served_targets(region, group_arn)

    def healthy_for_deployment(self, task: Task) -> bool:
        return self.lifecycle.healthy_for_deployment(task)

    def stop_task(self, task: Task, code: str, reason: str) -> None:
        self.lifecycle.stop_task(task, code, reason)
