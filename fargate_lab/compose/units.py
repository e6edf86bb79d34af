"""Durations, memory sizes and cpu units, as compose, ecs-cli and ECS write them."""
from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from .errors import ComposeError

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)")
_DURATION_UNITS = {"h": Fraction(3600), "m": Fraction(60), "s": Fraction(1), "ms": Fraction(1, 1000),
                   "us": Fraction(1, 10**6), "µs": Fraction(1, 10**6), "ns": Fraction(1, 10**9)}
_BYTE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
               "g": 1024**3, "gb": 1024**3, "gib": 1024**3, "t": 1024**4, "tb": 1024**4, "tib": 1024**4}
_MIN_CONTAINER_MIB = 6  # the smallest container memory ECS accepts


def _seconds(value: Any, file: str, field: str) -> int:
    """'1m30s' / '30s' / 45 (seconds) -> whole seconds."""
    if isinstance(value, bool):
        raise ComposeError(file, field, f"{value!r} is not a duration", "write e.g. 30s or 1m30s")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ComposeError(file, field, f"{value!r} is not a duration", "write e.g. 30s, 1m30s or 500ms")
    total = sum(Fraction(number) * _DURATION_UNITS[unit] for number, unit in parts)
    if total.denominator != 1:
        raise ComposeError(file, field, f"{value!r} is not a whole number of seconds",
                           "ECS counts health checks and stop timeouts in whole seconds")
    return int(total)


def _compose_mib(value: Any, file: str, field: str) -> int:
    """A compose size ('512m', '1g', or a number of BYTES) -> MiB, truncated like ecs-cli."""
    if isinstance(value, bool):
        raise ComposeError(file, field, f"{value!r} is not a size", "write e.g. 512m or 1g")
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(value))
    if not match or match.group(2).lower() not in _BYTE_UNITS:
        raise ComposeError(file, field, f"{value!r} is not a size", "write e.g. 512m or 1g")
    mib = int(Fraction(match.group(1)) * _BYTE_UNITS[match.group(2).lower()] / 1024**2)
    if mib < _MIN_CONTAINER_MIB:
        hint = f"{match.group(1)} without a unit is bytes; write {match.group(1)}m for MiB" if not match.group(2) \
            else f"ECS needs at least {_MIN_CONTAINER_MIB} MiB per container"
        raise ComposeError(file, field, f"{value!r} is {mib} MiB", hint)
    return mib


def _cpu_units(value: Any, file: str, field: str) -> int:
    """Task cpu: '0.5 vCPU' / '1 vcpu' / '512' / 512 -> cpu units (1 vCPU = 1024)."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*v?cpus?", text, re.IGNORECASE)
    if match and not isinstance(value, bool):
        return int(Fraction(match.group(1)) * 1024)
    if not isinstance(value, bool) and re.fullmatch(r"\d+", text):
        return int(text)
    raise ComposeError(file, field, f"{value!r} is not a cpu size", "write e.g. 256, 512, 1024 or '0.5 vCPU'")


def _task_mib(value: Any, file: str, field: str) -> int:
    """Task memory: '1GB' / '0.5 GB' / '512' (MiB without a unit, as ecs-cli) -> MiB."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(gb|gib|g|mb|mib|m)?\s*", str(value), re.IGNORECASE)
    if isinstance(value, bool) or not match:
        raise ComposeError(file, field, f"{value!r} is not a memory size", "write e.g. 512, 1024, '1GB' or '2 GB'")
    factor = 1024 if (match.group(2) or "m").lower().startswith("g") else 1
    return int(Fraction(match.group(1)) * factor)


def _cpus_to_units(value: Any, file: str, field: str) -> int:
    """compose `cpus: 0.5` -> 512 cpu units."""
    try:
        return int(Fraction(str(value).strip()) * 1024)
    except (ValueError, ZeroDivisionError):
        raise ComposeError(file, field, f"{value!r} is not a number of cpus", "write e.g. 0.5 or '1'") from None
