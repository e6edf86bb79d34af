"""dependsOn: compose depends_on + ecs-params depends_on, checked once every container exists."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import ComposeError, _warn
from .readers import _mapping, _sorted_by
from .service_base import _ServiceBase

if TYPE_CHECKING:
    from .container import _ServiceTranslator


_DEPENDENCY_CONDITIONS = {"service_started": "START", "service_healthy": "HEALTHY",
                          "service_completed_successfully": "SUCCESS"}


class _Dependencies(_ServiceBase):
    """The dependencies a service declares (containerName -> condition)."""

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
