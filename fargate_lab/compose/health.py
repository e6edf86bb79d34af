"""healthCheck from compose `healthcheck` and ecs-params `healthcheck`."""
from __future__ import annotations

from typing import Any

from .errors import ComposeError
from .readers import _mapping, _sequence, _text, _whole
from .service_base import _ServiceBase
from .units import _seconds


class _HealthCheck(_ServiceBase):
    """healthCheck."""

    def health_check(self) -> dict | None:
        compose = _mapping(self.spec.get("healthcheck"), self.file("healthcheck"), self.field("healthcheck"))
        extra = self.extra.healthcheck
        if compose.get("disable") is True and not extra:
            return None
        fields: dict[str, tuple[Any, str, str]] = {}   # key -> (value, file, field)
        for key, value in compose.items():
            if key == "disable":
                continue
            if key == "start_interval":
                self.warn("healthcheck.start_interval", "ignored: ECS has no start interval")
                continue
            if key not in ("test", "interval", "timeout", "retries", "start_period"):
                raise self.fail(f"healthcheck.{key}", "unknown healthcheck field", "use test, interval, timeout, retries, start_period")
            fields[key] = (value, self.file("healthcheck"), self.field(f"healthcheck.{key}"))
        for key, value in extra.items():
            name = "test" if key == "command" else key
            if name not in ("test", "interval", "timeout", "retries", "start_period"):
                raise ComposeError(self.params.file, self.params_field(f"healthcheck.{key}"), "unknown healthcheck field",
                                   "use test (or command), interval, timeout, retries, start_period")
            fields[name] = (value, self.params.file, self.params_field(f"healthcheck.{key}"))
        if not fields:
            return None
        if "test" not in fields:
            file, field = fields[next(iter(fields))][1:]
            raise ComposeError(file, field.rsplit(".", 1)[0] + ".test", "missing",
                               "ECS does not use the image's HEALTHCHECK: write the test command")
        command = self.health_command(*fields.pop("test"))
        if command is None:
            return None
        out: dict[str, Any] = {"command": command}
        limits = {"interval": ("interval", 5, 300), "timeout": ("timeout", 2, 120),
                  "retries": ("retries", 1, 10), "start_period": ("startPeriod", 0, 300)}
        for key, (ecs_key, low, high) in limits.items():
            if key in fields:
                value, file, field = fields[key]
                number = _whole(value, file, field) if key == "retries" else _seconds(value, file, field)
                if not low <= number <= high:
                    raise ComposeError(file, field, f"{number} is out of range", f"ECS accepts {low} to {high}")
                out[ecs_key] = number
        return out

    @staticmethod
    def health_command(test: Any, file: str, field: str) -> list[str] | None:
        if isinstance(test, str):
            return ["CMD-SHELL", test]  # a string runs in a shell, in compose and in ecs-cli alike
        parts = [_text(p, file, field) for p in _sequence(test, file, field)]
        if parts[:1] == ["NONE"]:
            return None
        if parts[:1] not in (["CMD"], ["CMD-SHELL"]) or len(parts) < 2:
            raise ComposeError(file, field, f"{test!r} is not a health check command",
                               "write [\"CMD\", ...], [\"CMD-SHELL\", \"...\"] or a string")
        return parts
