"""Check responses against botocore's output shapes, enums included.

botocore's parser keeps whatever it is given (a misspelt member is dropped in
silence, a wrong enum passes through), so the local cloud checks its own output
with botocore's `ParamValidator` plus the enum and vocabulary checks it lacks
(botocore/validate.py checks types, required members and ranges, not enums).  Used by the test suite on every response, and at run
time when FARGATE_LAB_STRICT=1.
"""
from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore.validate import ParamValidator, ValidationErrors

from ..engine.records import (CONTAINER_STATUSES, DEPLOYMENT_STATUSES, SERVICE_STATUSES,
                              TASK_DESIRED_STATUSES, TASK_LAST_STATUSES)
from ..engine.types import Json

if TYPE_CHECKING:
    from botocore.model import ServiceModel, Shape

# Fields the model types as free strings, with the values ECS documents.
VOCABULARY = {
    ("Task", "lastStatus"): TASK_LAST_STATUSES,
    ("Task", "desiredStatus"): TASK_DESIRED_STATUSES,
    ("Container", "lastStatus"): CONTAINER_STATUSES,
    ("Deployment", "status"): DEPLOYMENT_STATUSES,
    ("Service", "status"): SERVICE_STATUSES,
    ("Cluster", "status"): ("ACTIVE", "PROVISIONING", "DEPROVISIONING", "FAILED", "INACTIVE"),
}


# botocore ships no types, so its classes are Any to mypy, and subclassing Any needs the ignores below.
class _OutputErrors(ValidationErrors):  # type: ignore[misc]
    """ValidationErrors that can print the enum problems OutputValidator adds (kept to this
    validator: botocore's own client-side validation is left as it is)."""

    def _format_error(self, error: tuple[str, str, dict[str, Any]]) -> str:
        kind, name, extra = error
        if kind == "invalid enum value":
            return (f"Invalid enum value for {name[1:] or 'output'}: {extra['param']!r} not in "
                    f"{extra['valid_values'][:8]}")
        text: str = super()._format_error(error)
        return text


class OutputValidator(ParamValidator):  # type: ignore[misc]
    """ParamValidator that also checks enums and the vocabularies above."""

    def validate(self, params: Any, shape: Shape) -> _OutputErrors:
        errors = _OutputErrors()
        self._validate(params, shape, errors, name="")
        return errors

    def _validate_structure(self, params: Any, shape: Shape, errors: _OutputErrors, name: str) -> None:
        super()._validate_structure(params, shape, errors, name)
        if isinstance(params, dict):
            for member, allowed in ((m, VOCABULARY.get((shape.name, m))) for m in params):
                if allowed and params[member] not in allowed:
                    errors.report(f"{name}.{member}", "invalid enum value", param=params[member],
                                  valid_values=list(allowed))

    def _validate_string(self, param: Any, shape: Shape, errors: _OutputErrors, name: str) -> None:
        super()._validate_string(param, shape, errors, name)
        if isinstance(param, str) and shape.enum and param not in shape.enum:
            errors.report(name, "invalid enum value", param=param, valid_values=shape.enum)


@cache
def service_model(service: str = "ecs") -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def check_output(operation: str, body: Json, service: str = "ecs") -> str | None:
    """None if `body` fits the operation's output shape, else a report."""
    shape = service_model(service).operation_model(operation).output_shape
    if shape is None:
        return None if not body else f"{operation} has no output, got {sorted(body)}"
    errors = OutputValidator().validate(body, shape)
    return errors.generate_report() if errors.has_errors() else None


def check_error(operation: str, code: str, service: str = "ecs") -> str | None:
    """None if `code` is one of the operation's modeled errors."""
    modeled = {s.name for s in service_model(service).operation_model(operation).error_shapes}
    return None if code in modeled else f"{operation} returned unmodeled error {code}"
