"""Fargate task sizes (Linux): the valid task-level cpu/memory pairs.

Source: docs/ecs-behaviour.md §7.1 (74 valid pairs; 8 and 16 vCPU step by 4 and 8 GiB).
"""
from __future__ import annotations

import re

from .errors import client_error

_RANGES = {  # cpu units -> (min MiB, max MiB, step MiB)
    256: None,
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}


def _pairs() -> dict[int, tuple[int, ...]]:
    out: dict[int, tuple[int, ...]] = {256: (512, 1024, 2048)}
    for cpu, rng in _RANGES.items():
        if rng:
            lo, hi, step = rng
            out[cpu] = tuple(range(lo, hi + 1, step))
    return out


VALID_SIZES: dict[int, tuple[int, ...]] = _pairs()


def parse_cpu(value: str | int) -> int:
    """'1 vCPU' / '0.25 vcpu' / '1024' -> 1024 cpu units."""
    text = str(value).strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*vcpu", text, re.IGNORECASE)
    if m:
        return int(round(float(m.group(1)) * 1024))
    if text.isdigit():
        return int(text)
    raise client_error("Invalid 'cpu' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")


def parse_memory(value: str | int) -> int:
    """'2 GB' / '512' -> MiB."""
    text = str(value).strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*gb", text, re.IGNORECASE)
    if m:
        return int(round(float(m.group(1)) * 1024))
    if text.isdigit():
        return int(text)
    raise client_error("Invalid 'memory' setting for task. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")


def check_size(cpu: int, memory: int) -> None:
    if memory not in VALID_SIZES.get(cpu, ()):
        raise client_error(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
            "See the Amazon ECS documentation for the valid values.")


def smallest_size(cpu: int = 0, memory: int = 0) -> tuple[int, int]:
    """The cheapest valid (cpu, memory) with at least the given cpu units and MiB."""
    for c in sorted(VALID_SIZES):
        for m in VALID_SIZES[c]:
            if c >= cpu and m >= memory:
                return c, m
    raise ValueError(f"no Fargate size holds {cpu} cpu units and {memory} MiB (max 16384 / 122880)")
