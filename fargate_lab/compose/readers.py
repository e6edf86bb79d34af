"""Small typed readers: a value of the expected kind, or a one-line ComposeError."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .errors import ComposeError


def _mapping(value: Any, file: str, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ComposeError(file, field, f"must be a mapping, not {_kind(value)}", "write it as key: value lines")
    return value


def _sequence(value: Any, file: str, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ComposeError(file, field, f"must be a list, not {_kind(value)}", "write it as '- item' lines")
    return value


def _text(value: Any, file: str, field: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ComposeError(file, field, f"must be a string, not {_kind(value)}", "quote the value")
    return str(value)


def _flag(value: Any, file: str, field: str) -> bool:
    if not isinstance(value, bool):
        raise ComposeError(file, field, f"must be true or false, not {value!r}", "write true or false")
    return value


def _whole(value: Any, file: str, field: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise ComposeError(file, field, f"must be a whole number, not {value!r}", "write a whole number")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ComposeError(file, field, f"{number} is out of range", f"ECS accepts {bounds}")
    return number


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", type(None): "empty", bool: "a boolean"}.get(type(value), repr(value))


def _string_map(value: Any, file: str, field: str) -> dict[str, str]:
    """A mapping of strings (booleans written the YAML way: true/false)."""
    return {str(key): _scalar_text(item, file, f"{field}.{key}") for key, item in _mapping(value, file, field).items()}


def _scalar_text(value: Any, file: str, field: str) -> str:
    """A string, number, boolean or null as text; a mapping or list is refused, as Compose refuses it."""
    if isinstance(value, (dict, list)):
        raise ComposeError(file, field, f"contains {_kind(value)}, which is an invalid type",
                           "it should be a string, number, boolean or null (quote it to pass it as text)")
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _sorted_by(items: Iterable[dict], key: str) -> list[dict]:
    return sorted(items, key=lambda item: str(item[key]))
