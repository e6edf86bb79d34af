"""What just happened to a service, in one sentence a presenter can read aloud, from successive samples.

    narrator = Narrator()
    for sample in samples:
        said = narrator.update(sample)   # None, or e.g. "web:4: 3 tasks failed to start → FAILED → rolling back to web:3"

Outcomes only (a deployment starting, completing, failing, rolling back, rolled back; with blue/green,
canary and linear also each traffic shift and a paused lifecycle hook, read from the service's events),
each said once; the demo panel keeps the last one on its status line until the next, so a key moment
stays on screen.  `MilestoneHold` turns the same sentences into pauses of the real clock.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .sampling import DeploymentState, Sample


@dataclass
class Narrator:
    _state: dict[str, str] = field(default_factory=dict)    # deployment id -> rollout state last seen
    _moving: set[str] = field(default_factory=set)          # deployments seen IN_PROGRESS (so their end is news)
    _done: set[str] = field(default_factory=set)            # deployments whose COMPLETED was said
    _failure: str = ""                                      # "web:4: 3 tasks failed to start → FAILED"
    _rolling_back_to: str | None = None
    last: str | None = None

    def update(self, sample: Sample) -> str | None:
        said: list[str] = []
        first_look = not self._state
        fresh = set()
        for dep in sample.deployments:
            before = self._state.get(dep.id)
            if before is None:
                fresh.add(dep.id)
            if before is None and dep.status == "PRIMARY" and not first_look and dep.rollout_state == "IN_PROGRESS":
                said.append(f"deploying {dep.task_definition}")
            if dep.rollout_state == "FAILED" and before != "FAILED" and not first_look:
                self._failure = f"{dep.task_definition}: {_failures(dep)} → FAILED"
                said.append(self._failure)
            if dep.rollout_state == "IN_PROGRESS":
                self._moving.add(dep.id)
            self._state[dep.id] = dep.rollout_state
        said += [line for line in map(lambda event: _traffic_news(event.message, sample), sample.new_events) if line]
        primary = sample.primary
        failed_listed = any(d.rollout_state == "FAILED" for d in sample.deployments)
        # ECS rolls back by making the last COMPLETED deployment (same id, seen before) PRIMARY again
        if primary is not None and primary.rollout_state == "IN_PROGRESS" and failed_listed and self._failure \
                and primary.id != self._rolling_back_to and primary.id not in fresh:
            self._rolling_back_to = primary.id
            said.append(f"{self._failure} → rolling back to {primary.task_definition}")
        if primary is not None and primary.rollout_state == "COMPLETED" and len(sample.deployments) == 1 \
                and primary.id in self._moving:
            self._moving.discard(primary.id)
            if primary.id == self._rolling_back_to:
                said.append(f"rolled back: {primary.task_definition} serves again")
                self._rolling_back_to, self._failure = None, ""
            else:
                said.append(f"{primary.task_definition} rolled out: COMPLETED")
            self._done.add(primary.id)
        if not said:
            return None
        self.last = said[-1]
        return self.last


# The service events ECS writes as traffic moves (the local cloud's wording; on AWS a sentence it does not
# recognise is simply not narrated).
_SHIFTED = re.compile(r"\(deployment (?P<id>[^)]+)\) shifted (?P<percent>[\d.]+)% of production traffic")
_TEST_TRAFFIC = re.compile(r"\(deployment (?P<id>[^)]+)\) shifted test traffic")
_PAUSED = re.compile(r"\(deployment (?P<id>[^)]+)\) is paused at (?P<stage>[A-Z_]+)")


def _traffic_news(message: str, sample: Sample) -> str | None:
    def name(deployment_id: str) -> str:
        dep = sample.deployment(deployment_id)
        return dep.task_definition if dep is not None else "the new revision"
    if found := _SHIFTED.search(message):
        return f"{name(found['id'])}: {float(found['percent']):g}% of production traffic"
    if found := _TEST_TRAFFIC.search(message):
        return f"{name(found['id'])}: test traffic (test listener), production still on the old revision"
    if found := _PAUSED.search(message):
        return (f"{name(found['id'])}: paused at {found['stage']}, waiting for "
                "ContinueServiceDeployment (continue or roll back)")
    return None


@dataclass
class MilestoneHold:
    """A LivePlot listener for the real clock: when something happens (not a deployment merely
    starting), hold cloud time for `seconds` of wall time, so the moment stays on screen while the
    presenter talks.  `hold` is e.g. a local cloud's `hold`; `held` keeps what was held for."""
    hold: Callable[[float], object]
    seconds: float
    narrator: Narrator = field(default_factory=Narrator)
    held: list[str] = field(default_factory=list)

    def __call__(self, sample: Sample) -> None:
        said = self.narrator.update(sample)
        if said and not said.startswith("deploying ") and self.seconds > 0:
            self.held.append(said)
            self.hold(self.seconds)


def _failures(dep: DeploymentState) -> str:
    if dep.failed:
        return f"{dep.failed} task{'s' * (dep.failed != 1)} failed to start"
    return "failed"
