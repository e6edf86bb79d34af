"""logConfiguration from compose `logging` (+ ecs-params secret_options)."""
from __future__ import annotations

from typing import Any

from .errors import ComposeError
from .readers import _mapping, _sorted_by, _string_map
from .service_base import _ServiceBase

_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens", "json-file", "syslog", "journald", "gelf", "fluentd", "logentries")
_FARGATE_LOG_DRIVERS = ("awslogs", "splunk", "awsfirelens")


class _Logging(_ServiceBase):
    """logConfiguration."""

    def log_configuration(self) -> dict | None:
        logging = _mapping(self.spec.get("logging"), self.file("logging"), self.field("logging"))
        for key in logging:
            if key not in ("driver", "options"):
                raise self.fail(f"logging.{key}", "unknown logging field", "use driver and options")
        driver, options = logging.get("driver"), _string_map(logging.get("options"), self.file("logging"), self.field("logging.options"))
        if driver is None:
            if options:
                raise self.fail("logging.driver", "missing (options were given)", "write driver: awslogs")
            if self.extra.log_secret_options:
                raise ComposeError(self.params.file, self.params_field("logging.secret_options"),
                                   "the service has no logging driver", "add logging: driver: in the compose file")
            return None
        allowed = _FARGATE_LOG_DRIVERS if self.fargate else _LOG_DRIVERS
        if driver not in allowed:
            raise self.fail("logging.driver", f"{driver!r} is not available" + (" on Fargate" if self.fargate else ""),
                            f"use one of {', '.join(allowed)}")
        if driver == "awslogs":
            self.check_awslogs(options)
        out: dict[str, Any] = {"logDriver": driver}
        if options:
            out["options"] = dict(sorted(options.items()))
        if self.extra.log_secret_options:
            out["secretOptions"] = _sorted_by(self.extra.log_secret_options, "name")
        return out

    def check_awslogs(self, options: dict[str, str]) -> None:
        required = ["awslogs-group", "awslogs-region"] + (["awslogs-stream-prefix"] if self.fargate else [])
        for option in required:
            if not options.get(option):
                raise self.fail(f"logging.options.{option}", "missing" + (" (required on Fargate)" if option.endswith("prefix") else ""),
                                f"add {option}: under logging.options")
