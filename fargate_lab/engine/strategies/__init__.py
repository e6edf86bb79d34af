"""Deployment strategies: what the service controller asks at every step of a deployment.

The controller owns the tasks, the clock and the events; a strategy only decides.  It is asked
`next_step` (which tasks to stop, how many to start, on which revision) and `is_complete` (has the
PRIMARY deployment reached its goal).  Rolling (`rolling.py`) replaces tasks within the
deployment's limits; BLUE_GREEN, CANARY and LINEAR (`traffic_shift.py`) scale a green revision up
beside blue and leave the moving of traffic to `engine/shifter.py`.
"""
from __future__ import annotations

from typing import Protocol

from ..records import Deployment, Service, Task
from ..scheduler import Plan, TaskView
from .rolling import RollingStrategy
from .traffic_shift import TRAFFIC_STRATEGIES, TrafficShiftStrategy, is_traffic_run


class DeploymentStrategy(Protocol):
    def next_step(self, service: Service, primary: Deployment, views: list[TaskView], *, can_launch: bool,
                  can_replace_old: bool, can_launch_old: bool, budget: int) -> Plan:
        """One scheduler step over the service's tasks whose desiredStatus is RUNNING (`views`, in a
        stable order): what to stop, what to start; `budget` caps the starts."""

    def is_complete(self, service: Service, primary: Deployment, mine: list[Task], health: dict[str, bool],
                    others_left: bool) -> bool:
        """Whether the PRIMARY deployment is done: `mine` are its tasks still wanted, `health` says
        which count as healthy, `others_left` whether older deployments still have tasks."""


ROLLING = RollingStrategy()
TRAFFIC_SHIFT = TrafficShiftStrategy()
STRATEGIES: dict[str, DeploymentStrategy] = {"ROLLING": ROLLING, **{name: TRAFFIC_SHIFT for name in TRAFFIC_STRATEGIES}}


def strategy_for(deployment: Deployment) -> DeploymentStrategy:
    """A traffic-shifting deployment while its run lasts; rolling otherwise, which also carries out
    a rollback to a revision whose tasks still run."""
    if is_traffic_run(deployment):
        return STRATEGIES[deployment.config["strategy"]]
    return STRATEGIES["ROLLING"]


__all__ = ["STRATEGIES", "TRAFFIC_STRATEGIES", "DeploymentStrategy", "RollingStrategy", "TrafficShiftStrategy",
           "strategy_for"]
