"""Self-checks that teach: each grader knows its exercise's answer (kept out of the learner's view) and
the common ways to miss it, and says which one this is.

    from fargate_lab.teach import exercises
    exercises.stage_mode(stage_mode)         # prints "Not tried yet …", "Not quite yet. <why>" or well done
    exercises.secret_names(secret_names)
    exercises.rollout_limits(limits)
    exercises.worker_size(worker_size)
    exercises.linear_minutes(linear_minutes)

Each grader returns True when the answer is right (False otherwise, or when not tried), never raises.
"""
from __future__ import annotations

from typing import Any

from .lesson import grade
from .rollout import explain_rollout


# -- 00 · which mode on stage ------------------------------------------------------------------------
def stage_mode(answer: Any) -> bool:
    def diagnose(value: Any) -> str | None:
        mode = str(value).strip().lower()
        if mode == "real":
            return None
        if mode in ("virtual", "sim", "simulated", "local"):
            return ("virtual time moves only when the notebook says so: a rollout is over in milliseconds of wall "
                    "time, too fast to watch. Which mode follows the wall clock?")
        if mode == "aws":
            return "on AWS a rollout takes several minutes of wall time, not about one. Which mode is faster than AWS?"
        return f"{value!r} is not a mode: the table above lists virtual, real and aws"
    return grade(answer, diagnose, "the mode that follows the wall clock, but faster than AWS (see the table above)",
                 "Yes: FARGATE_LAB_MODE=real, and FARGATE_LAB_SPEED sets how much faster than AWS.", key="00 stage_mode")


# -- 02 · the cheapest Fargate size for 3 GB ------------------------------------------------------------
def worker_size(answer: Any) -> bool:
    from ..engine.fargate import VALID_SIZES   # the valid cpu/memory table (data only)
    from ..ops.cost import estimate_cost

    def price(cpu: int, memory: int) -> float:
        return estimate_cost({"cpu": str(cpu), "memory": str(memory)}).per_task_hour

    best = min(((c, m) for c, sizes in VALID_SIZES.items() for m in sizes if m >= 3072), key=lambda s: price(*s))

    def diagnose(value: Any) -> str | None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return "give a pair of strings, (cpu, memory), e.g. ('1024', '4096')"
        cpu, memory = int(value[0]), int(value[1])
        if memory < 3072:
            return f"{memory} MiB is less than the 3 GB (3072 MiB) the worker needs"
        if cpu not in VALID_SIZES:
            return f"{cpu} is not a Fargate CPU value: 256, 512, 1024, 2048, 4096, 8192 or 16384"
        if memory not in VALID_SIZES[cpu]:
            allowed = VALID_SIZES[cpu]
            return (f"Fargate refuses {cpu} CPU units with {memory} MiB: that CPU allows {min(allowed)} to "
                    f"{max(allowed)} MiB; look at the next row of the table")
        if (cpu, memory) != best:
            return (f"({cpu}, {memory}) is valid, but costs ${price(cpu, memory):.4f} an hour; a smaller size that "
                    f"still has 3 GB costs less")
        return None
    return grade(answer, diagnose, "0.25 vCPU allows at most 2048 MiB; look at the next row of the table",
                 "Well done: 0.5 vCPU is the smallest CPU that may have 3 GB.", key="02 worker_size")


# -- 05 · secrets or environment ------------------------------------------------------------------------
SECRETS = frozenset({"DB_PASSWORD", "STRIPE_API_KEY"})
NAMES = ("APP_ENV", "DB_HOST", "DB_PASSWORD", "PHP_OPCACHE_ENABLE", "STRIPE_API_KEY", "LOG_LEVEL")


def secret_names(answer: Any) -> bool:
    def diagnose(value: Any) -> str | None:
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            return "give a set of names, e.g. {'A', 'B'}"
        chosen = {v.strip().upper() for v in value}
        unknown = sorted(chosen - set(NAMES))
        if unknown:
            return f"{', '.join(unknown)} is not one of the six names listed"
        config = sorted(chosen - SECRETS)
        if config:
            return (f"{', '.join(config)} would do no harm in a screenshot: configuration, so `environment`; "
                    "a secret is what would")
        missing = len(SECRETS - chosen)
        if missing:
            return f"{missing} more of the six would hurt if it showed up in the console or in a screenshot"
        return None
    return grade(answer, diagnose, "a secret is something that would hurt if it showed up in the console or in a "
                 "screenshot", "Well done: a host name is configuration, a password is a secret.", key="05 secret_names")


# -- 06 · minimum healthy and maximum percent for 4 tasks -------------------------------------------------
def rollout_limits(answer: Any, desired: int = 4, most: int = 5, fewest: int = 3) -> bool:
    def diagnose(value: Any) -> str | None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return "give a pair of numbers, (minimumHealthyPercent, maximumPercent)"
        low, high = int(value[0]), int(value[1])
        if not 0 <= low <= 100 or high < 100:
            return "minimumHealthyPercent is 0 to 100 and maximumPercent at least 100"
        explained = explain_rollout(desired, low, high)
        if explained.deadlocked:
            return f"({low}, {high}) deadlocks: {explained.why_deadlocked()}"
        if explained.peak_tasks > most:
            return (f"with maximumPercent {high} up to {explained.peak_tasks} tasks run at once (the cap is "
                    f"floor({desired} x {high} %) = {desired * high // 100}); {most} is the most allowed")
        if explained.lowest_healthy < fewest:
            return (f"with minimumHealthyPercent {low} only {explained.lowest_healthy} stay healthy (rounded up: "
                    f"ceil({desired} x {low} %)); at least {fewest} must")
        return None
    return grade(answer, diagnose, f"at most {most} of {desired} is {most * 100 // desired} %; at least {fewest} of "
                 f"{desired} is {fewest * 100 // desired} %",
                 "Well done: one task of headroom each way, so the rollout goes in small batches.", key="06 rollout_limits")


# -- 07 · how long a linear deployment takes --------------------------------------------------------------
def linear_minutes(answer: Any, step_percent: int = 20, step_bake: int = 3, bake: int = 5) -> bool:
    shifts = -(-100 // step_percent)
    right = (shifts - 1) * step_bake + bake

    def diagnose(value: Any) -> str | None:
        if value == right:
            return None
        if value == shifts * step_bake + bake:
            return "there is no step bake after the last shift, which reaches 100 %"
        if value == (shifts - 1) * step_bake:
            return "after the last shift comes bakeTimeInMinutes too"
        if value == shifts * step_bake:
            return "a step bake sits between two shifts (none after 100 %), and the bake time follows"
        return (f"shifts at {', '.join(str(step_percent * k) for k in range(1, shifts + 1))} %, a step bake "
                "between shifts, then the bake time")
    return grade(answer, diagnose, "count the shifts first, then the bakes between them",
                 f"Well done: {shifts - 1} step bakes of {step_bake} minutes, then {bake} minutes of bake time.", key="07 linear_minutes")


GRADERS = {"00 stage_mode": stage_mode, "02 worker_size": worker_size, "05 secret_names": secret_names,
           "06 rollout_limits": rollout_limits, "07 linear_minutes": linear_minutes}
