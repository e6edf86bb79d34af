"""The service scheduler's decision, as one pure function.

Given a service's desired count, its deployment limits and the tasks it has,
`plan()` says which tasks to stop and how many new tasks to start.  No clock, no
I/O: the engine feeds it a snapshot and carries the plan out, so the maths of a
rolling deployment can be read and tested on its own (ecs-behaviour.md §2.1–2.4).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskView:
    id: str
    deployment: str          # the deployment that started it (its startedBy)
    running: bool            # lastStatus RUNNING (else still starting)
    healthy: bool            # counts towards minimumHealthyPercent (§2.2)
    az: str = ""
    failing: bool = False    # a health check has failed: unhealthy, not merely "not yet counted"


@dataclass(frozen=True)
class Plan:
    stop: tuple[str, ...] = ()
    launch: int = 0
    deadlocked: bool = False  # unfinished, nothing can move: the config-deadlock event


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
         can_replace_old: bool = True) -> Plan:
    """Decide one scheduler step.

    `tasks` are the service's tasks whose desiredStatus is RUNNING, in a stable
    (seeded) order; `primary` is the PRIMARY deployment's id.  `can_launch` is
    False while the primary deployment is FAILED or launches are throttled;
    `can_replace_old` is False when a failed deployment without rollback must
    leave the previous tasks alone.
    """
    low, high = limits(desired, minimum_healthy_percent, maximum_percent)
    new = [t for t in tasks if t.deployment == primary]
    old = [t for t in tasks if t.deployment != primary]
    healthy = sum(t.healthy for t in tasks)
    stop: list[str] = []

    if can_replace_old:
        # The floor is about tasks that stay RUNNING: a task that has not started yet, or has
        # failed a check, may go; a RUNNING task not yet *counted* as healthy (the 40 s rule, a
        # target still `initial`) is no less RUNNING, so it goes only while the counted ones
        # alone keep the floor, exactly like a healthy one.
        for t in _stop_order(old):
            if not t.running or t.failing:
                stop.append(t.id)
            elif t.healthy and healthy - 1 >= low:
                stop.append(t.id)
                healthy -= 1
            elif not t.healthy and healthy >= low:
                stop.append(t.id)

    surplus = len(new) - desired
    if surplus > 0:  # scale in: the primary has more than it needs
        for t in _stop_order(new)[:surplus]:
            stop.append(t.id)

    remaining_new = len(new) - max(surplus, 0)
    active_after = len(tasks) - len(stop)
    launch = max(0, min(desired - remaining_new, high - active_after)) if can_launch else 0

    unfinished = bool(old) or remaining_new < desired
    settled = all(t.healthy for t in tasks)  # nothing in flight that could unblock it
    deadlocked = unfinished and can_launch and launch == 0 and not stop and settled and bool(tasks)
    return Plan(stop=tuple(stop), launch=launch, deadlocked=deadlocked)


def circuit_breaker_threshold(desired: int) -> int:
    """clamp(ceil(0.5 × desired), 3, 200): ecs-behaviour.md §3.2."""
    return min(max(math.ceil(0.5 * desired), 3), 200)
