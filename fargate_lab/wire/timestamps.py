"""Timestamps between the engine's clock and the client's, found by the API model.

The engine stamps everything in cloud seconds; under a real clock at speed S those
run S times faster than the client's wall clock.  Which members are timestamps is
botocore's model's business (shape type ``timestamp``), so nothing here lists them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from botocore.model import Shape


def convert(value: Any, shape: Shape | None, fn: Callable[[float], float]) -> Any:
    """`value` with every timestamp member (per `shape`) passed through `fn`."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "timestamp":
        return fn(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: convert(v, members.get(k), fn) if k in members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [convert(v, shape.member, fn) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: convert(v, shape.value, fn) for k, v in value.items()}
    return value

