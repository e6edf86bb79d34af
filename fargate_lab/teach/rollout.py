"""What minimumHealthyPercent and maximumPercent make the scheduler do, step by step.

    explained = explain_rollout(4, 50, 200)
    explained.batches      # ['stop 2', 'start 4', 'stop 2']
    print(explained.describe())

Computed with the engine's own scheduler (`fargate_lab.engine.scheduler.plan`), so
the explainer cannot drift from what the local cloud does.  One assumption keeps
it readable: tasks started in a step are RUNNING and healthy by the next step.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..engine.scheduler import TaskView, limits, plan

OLD, NEW = "old", "new"
MAX_STEPS = 100  # a rollout of N tasks never needs more than N+1 steps; this only guards a bug


@dataclass(frozen=True)
class RolloutStep:
    number: int
    stopped_old: int      # old tasks stopped in this step
    started: int          # new tasks started in this step
    old: int              # old tasks left after the step
    new: int              # new tasks after the step (the ones just started included)
    new_starting: int     # of those, started in this step (not healthy yet)
    lowest_healthy: int   # healthy tasks right after the stops, before the new ones are healthy
    stopped_new: int = 0  # only when the scheduler trims the new deployment (never in a plain rollout)

    @property
    def total(self) -> int:
        """Tasks counted against maximumPercent right after the step."""
        return self.old + self.new

    def describe(self) -> str:
        parts = []
        if self.stopped_old:
            parts.append(f"stop {self.stopped_old} old")
        if self.stopped_new:
            parts.append(f"stop {self.stopped_new} new")
        if self.started:
            parts.append(f"start {self.started} new")
        return ", ".join(parts) or "wait"


@dataclass(frozen=True)
class RolloutExplanation:
    desired: int
    minimum_healthy_percent: int
    maximum_percent: int
    low: int                           # at least this many healthy tasks
    high: int                          # at most this many RUNNING + PENDING tasks
    steps: tuple[RolloutStep, ...]
    deadlocked: bool

    @property
    def batches(self) -> list[str]:
        """The batches in order, stops first within a step (the scheduler stops, then launches)."""
        out = []
        for step in self.steps:
            if step.stopped_old or step.stopped_new:
                out.append(f"stop {step.stopped_old + step.stopped_new}")
            if step.started:
                out.append(f"start {step.started}")
        return out

    @property
    def peak_tasks(self) -> int:
        return max([self.desired] + [s.total for s in self.steps])

    @property
    def lowest_healthy(self) -> int:
        return min([self.desired] + [s.lowest_healthy for s in self.steps])

    def why_deadlocked(self) -> str:
        """Why nothing can move, in the numbers of this configuration ("" when it does not deadlock)."""
        if not self.deadlocked:
            return ""
        n = self.desired
        return (f"cannot stop an old task: {n} healthy - 1 < at least {self.low} healthy "
                f"(minimumHealthyPercent {self.minimum_healthy_percent} %, rounded up); "
                f"cannot start a new one: {n} tasks + 1 > at most {self.high} "
                f"(maximumPercent {self.maximum_percent} %, rounded down). ECS logs \"was unable to stop or "
                "start tasks during a deployment because of the service deployment configuration\".")

    def describe(self) -> str:
        head = (f"{self.desired} tasks, minimumHealthyPercent {self.minimum_healthy_percent} % -> at least "
                f"{self.low} healthy, maximumPercent {self.maximum_percent} % -> at most {self.high} tasks")
        if self.deadlocked:
            return f"{head}\ndeadlock: {self.why_deadlocked()}"
        lines = [head] + [f"step {s.number}: {s.describe()} ({s.old} old + {s.new} new)" for s in self.steps]
        return "\n".join(lines)


def explain_rollout(desired: int, minimum_healthy_percent: int = 100, maximum_percent: int = 200) -> RolloutExplanation:
    """Roll `desired` healthy old tasks over to a new deployment, one scheduler decision per step."""
    _check(desired, minimum_healthy_percent, maximum_percent)
    low, high = limits(desired, minimum_healthy_percent, maximum_percent)
    tasks = [TaskView(f"old-{i}", OLD, running=True, healthy=True) for i in range(desired)]
    steps: list[RolloutStep] = []
    deadlocked = False
    started_so_far = 0
    while not _finished(tasks, desired) and len(steps) < MAX_STEPS:
        decision = plan(desired, minimum_healthy_percent, maximum_percent, NEW, tasks)
        if decision.deadlocked or not (decision.stop or decision.launch):
            deadlocked = True
            break
        stopped = [t for t in tasks if t.id in decision.stop]
        tasks = [t for t in tasks if t.id not in decision.stop]
        lowest_healthy = sum(t.healthy for t in tasks)
        born = [TaskView(f"new-{started_so_far + i}", NEW, running=False, healthy=False) for i in range(decision.launch)]
        started_so_far += decision.launch
        tasks += born
        steps.append(RolloutStep(
            number=len(steps) + 1, stopped_old=sum(t.deployment == OLD for t in stopped),
            stopped_new=sum(t.deployment == NEW for t in stopped), started=decision.launch,
            old=sum(t.deployment == OLD for t in tasks), new=sum(t.deployment == NEW for t in tasks),
            new_starting=len(born), lowest_healthy=lowest_healthy))
        # The assumption that keeps the story short: new tasks are healthy by the next step.
        tasks = [replace(t, running=True, healthy=True) for t in tasks]
    return RolloutExplanation(desired, minimum_healthy_percent, maximum_percent, low, high, tuple(steps), deadlocked)


def _finished(tasks: list[TaskView], desired: int) -> bool:
    return all(t.deployment == NEW for t in tasks) and len(tasks) == desired


def _check(desired: int, minimum_healthy_percent: int, maximum_percent: int) -> None:
    """The bounds UpdateService enforces (the engine's messages), plus a task count to roll."""
    if desired < 1:
        raise ValueError("desired: a rollout needs at least 1 task")
    if not 0 <= minimum_healthy_percent <= 100:
        raise ValueError("minimumHealthyPercent must be between 0 and 100.")
    if maximum_percent < 100:
        raise ValueError("maximumPercent must be at least 100.")
