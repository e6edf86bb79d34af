"""The shape of a traffic-moving deployment: its lifecycle stages and its production traffic shifts.

    production_shifts("CANARY", {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5})
        -> (Shift(green_percent=10.0, bake_seconds=300.0), Shift(green_percent=100.0, bake_seconds=0.0))

From the ECS model and guide (docs/ecs-2026.md §1.1–1.3):
- BLUE_GREEN moves all production traffic at once.
- CANARY moves canaryPercent (default 5.0), waits canaryBakeTimeInMinutes (default 10), then the rest.
- LINEAR moves stepPercent (default 10.0) at a time with stepBakeTimeInMinutes (default 6) between
  steps, and no step bake after 100 %. How a stepPercent that does not divide 100 ends is not
  published: here the last step is capped at 100 (30 -> 30, 60, 90, 100).
- Then bakeTimeInMinutes with both revisions running, then blue's tasks stop (CLEAN_UP).
ELB weights are whole numbers from 0 to 999 and ECS's percentages have one decimal, so a share becomes
a weight of ten times the percent (5.5 % -> 945 and 55), a whole share 999: a model, as AWS does not
say which weights it writes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..status import StrEnum


class LifecycleStage(StrEnum):
    """ServiceDeploymentLifecycleStage, in the order a deployment passes them."""
    RECONCILE_SERVICE = "RECONCILE_SERVICE"
    PRE_SCALE_UP = "PRE_SCALE_UP"
    SCALE_UP = "SCALE_UP"
    POST_SCALE_UP = "POST_SCALE_UP"
    TEST_TRAFFIC_SHIFT = "TEST_TRAFFIC_SHIFT"
    POST_TEST_TRAFFIC_SHIFT = "POST_TEST_TRAFFIC_SHIFT"
    PRODUCTION_TRAFFIC_SHIFT = "PRODUCTION_TRAFFIC_SHIFT"
    POST_PRODUCTION_TRAFFIC_SHIFT = "POST_PRODUCTION_TRAFFIC_SHIFT"
    BAKE_TIME = "BAKE_TIME"
    CLEAN_UP = "CLEAN_UP"


# Where lifecycle hooks attach (DeploymentLifecycleHookStage): the reported stages but SCALE_UP,
# BAKE_TIME and CLEAN_UP, plus PRE_PRODUCTION_TRAFFIC_SHIFT, which is a hook point with no reported stage.
HOOK_STAGES = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
               "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
               "POST_PRODUCTION_TRAFFIC_SHIFT")
# PAUSE hooks wait only between stages, never during a shift (docs/ecs-2026.md §1.2).
PAUSE_STAGES = tuple(s for s in HOOK_STAGES if s not in ("TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"))

CANARY_DEFAULTS = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}
LINEAR_DEFAULTS = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}


@dataclass(frozen=True)
class Shift:
    green_percent: float      # production traffic on the new revision after this shift
    bake_seconds: float       # how long to wait before the next shift (0 after the last)


def production_shifts(strategy: str, config: dict[str, Any] | None = None) -> tuple[Shift, ...]:
    """The production shifts of a BLUE_GREEN, CANARY or LINEAR deployment, in order, ending at 100 %."""
    config = config or {}
    if strategy == "BLUE_GREEN":
        return (Shift(100.0, 0.0),)
    if strategy == "CANARY":
        canary = {**CANARY_DEFAULTS, **config}
        percent = float(canary["canaryPercent"])
        if percent >= 100.0:
            return (Shift(100.0, 0.0),)
        return (Shift(percent, 60.0 * canary["canaryBakeTimeInMinutes"]), Shift(100.0, 0.0))
    if strategy == "LINEAR":
        linear = {**LINEAR_DEFAULTS, **config}
        step, bake = float(linear["stepPercent"]), 60.0 * linear["stepBakeTimeInMinutes"]
        tenths = round(step * 10)          # whole tenths of a percent: no float drift over 33 steps
        if tenths < 1:
            raise ValueError(f"stepPercent {step}: must be at least 0.1")
        shares = [min(1000, k * tenths) / 10 for k in range(1, -(-1000 // tenths) + 1)]
        return tuple(Shift(share, 0.0 if share >= 100.0 else bake) for share in shares)
    raise ValueError(f"{strategy} does not move traffic")


def elb_weights(green_percent: float) -> tuple[int, int]:
    """(blue, green) forward weights for a production share: tenths of a percent (a model), a whole
    share written as 999, ELB's largest weight."""
    green = round(green_percent * 10)
    return min(1000 - green, 999), min(green, 999)
