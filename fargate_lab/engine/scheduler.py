"""The service scheduler's decision, as one pure function.

Given a service's desired count, its deployment limits and the tasks it has,
`plan()` says which tasks to stop and how many new tasks to start.  No clock, no
I/O: the engine feeds it a snapshot and carries the plan out, so the maths of a
rolling deployment can be read and tested on its own (docs/ecs-behaviour.md §2.1–2.4).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .types import Json


@dataclass(frozen=True)
class TaskView:
    id: str
    deployment: str          # the deployment that started it (its startedBy)
    running: bool            # lastStatus RUNNING (else still starting)
    healthy: bool            # counts towards minimumHealthyPercent (docs/ecs-behaviour.md §2.2)
    az: str = ""
    failing: bool = False    # a health check has failed: unhealthy, not merely "not yet counted"


@dataclass(frozen=True)
class Plan:
    stop: tuple[str, ...] = ()
    launch: int = 0
    deadlocked: bool = False  # unfinished, nothing can move: the config-deadlock event
    retired: tuple[str, ...] = ()                   # old tasks among `stop` that scale their revision down
    replace: tuple[tuple[str, int], ...] = ()       # (old deployment, tasks to start on its own revision)
    held: int = 0             # starts the limits allow but the launch budget defers to a later step


def limits(desired: int, minimum_healthy_percent: int, maximum_percent: int) -> tuple[int, int]:
    """(lowest healthy count, highest RUNNING+PENDING count) for a deployment.

    minimumHealthyPercent rounds up, maximumPercent rounds down."""
    low = math.ceil(desired * minimum_healthy_percent / 100)
    high = math.floor(desired * maximum_percent / 100)
    return low, high


def _stop_order(tasks: list[TaskView]) -> list[TaskView]:
    """Cheapest first: not yet running, then failing, then not yet counted, then the busiest AZ."""
    per_az = Counter(t.az for t in tasks)
    return sorted(tasks, key=lambda t: (t.running, not t.failing, t.healthy, -per_az[t.az]))


def plan(desired: int, minimum_healthy_percent: int, maximum_percent: int,
         primary: str, tasks: list[TaskView], can_launch: bool = True,
         can_replace_old: bool = True, keep: dict[str, int] | None = None,
         can_launch_old: bool = True, budget: int | None = None) -> Plan:
    """Decide one scheduler step.

    `tasks` are the service's tasks whose desiredStatus is RUNNING, in a stable
    (seeded) order; `primary` is the PRIMARY deployment's id.  `can_launch` is
    False while the primary deployment is FAILED or launches are throttled;
    `can_replace_old` is False when a failed deployment without rollback must
    leave the previous tasks alone.  `keep` says how many tasks each older
    deployment still has a claim to: since November 2025 a task of an older
    revision that dies or turns unhealthy during a rollout is replaced on its own
    revision (docs/ecs-2026.md §1.6), within the same limits.

    `budget` caps the tasks this step starts (replacements first, then new ones): the
    service scheduler launches in batches, at most 500 Fargate tasks per service per
    minute (docs/ecs-behaviour.md §2.4), so no desired count makes one step unbounded.  What
    the limits allow beyond it is `held` for a later step, and is not a deadlock.
    """
    low, high = limits(desired, minimum_healthy_percent, maximum_percent)
    keep = dict(keep or {})
    new = [t for t in tasks if t.deployment == primary]
    old = [t for t in tasks if t.deployment != primary]
    healthy = sum(t.healthy for t in tasks)
    stop: list[str] = []
    retired: list[str] = []

    # The floor is about tasks that stay RUNNING.  A task that failed a check is replaced.  A
    # task not yet *counted* as healthy (still starting, the 40 s rule, a target still
    # `initial`) is no less there than a healthy one: it is retired only while the counted
    # ones alone keep the floor.
    for t in _stop_order(old):
        if t.failing:
            stop.append(t.id)
        elif not can_replace_old:
            continue
        elif t.healthy and healthy - 1 >= low:
            retired.append(t.id)
            healthy -= 1
        elif not t.healthy and healthy >= low:
            retired.append(t.id)
    stop += retired
    gone = set(stop)            # membership on a hot path: 5,000 tasks make a list quadratic
    for t in old:
        if t.id in gone and not t.failing:
            keep[t.deployment] = max(0, keep.get(t.deployment, 0) - 1)

    surplus = len(new) - desired
    if surplus > 0:  # scale in: the primary has more than it needs
        for t in _stop_order(new)[:surplus]:
            stop.append(t.id)

    room = high - (len(tasks) - len(stop))
    left = budget                                       # starts this step may still make (None: no cap)
    replace = []
    wanted = 0                                          # starts the limits allow, budget aside
    if can_launch_old:
        for deployment, claim in keep.items():
            alive = sum(t.deployment == deployment and t.id not in gone for t in old)
            count = max(0, min(claim - alive, room))
            wanted += count
            room -= count
            if left is not None:
                count = min(count, left)
                left -= count
            if count:
                replace.append((deployment, count))
    remaining_new = len(new) - max(surplus, 0)
    launch = max(0, min(desired - remaining_new, room)) if can_launch else 0
    wanted += launch
    if left is not None:
        launch = min(launch, left)
    held = wanted - launch - sum(count for _, count in replace)

    unfinished = bool(old) or remaining_new < desired
    settled = all(t.healthy for t in tasks)  # nothing in flight that could unblock it
    deadlocked = unfinished and can_launch and not wanted and not stop and settled and bool(tasks)
    return Plan(stop=tuple(stop), launch=launch, deadlocked=deadlocked, retired=tuple(retired),
                replace=tuple(replace), held=held)


def circuit_breaker_threshold(desired: int, breaker: Json | None = None) -> int:
    """Failures that trip the breaker (docs/ecs-behaviour.md §3.2; the July 2026 settings from the
    model's ThresholdConfiguration).  Percent types multiply `value` by the latest desired
    count; BOUNDED_PERCENT (the default, 50) is then held within 3..200, COUNT is `value` as is."""
    threshold = (breaker or {}).get("thresholdConfiguration") or {}
    kind = threshold.get("type", "BOUNDED_PERCENT")
    value: int = threshold.get("value", 50)
    if kind == "COUNT":
        return max(1, value)
    count = math.ceil(value / 100 * desired)
    return max(count, 1) if kind == "UNBOUNDED_PERCENT" else min(max(count, 3), 200)
