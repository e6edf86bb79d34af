"""Deployment strategies: what the service controller asks at every step of a deployment.

The controller owns the tasks, the clock and the events; a strategy only decides.  It is asked
`next_step` (which tasks to stop, how many to start, on which revision) and `is_complete` (has the
PRIMARY deployment reached its goal).  Rolling is the one there is; blue/green, canary and linear
would be modules beside `rolling.py`, registered in `STRATEGIES` under deploymentConfiguration's
`strategy` name, with no change to the controller.
"""
from __future__ import annotations

from typing import Protocol

from ..records import Deployment, Service, Task
from ..scheduler import Plan, TaskView
from .rolling import RollingStrategy


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
STRATEGIES: dict[str, DeploymentStrategy] = {"ROLLING": ROLLING}


def strategy_for(deployment: Deployment) -> DeploymentStrategy:
    # BLUE_GREEN, LINEAR and CANARY are accepted and, for now, carried out as rolling (README,
    # "Known differences")
    return STRATEGIES.get(deployment.config.get("strategy", "ROLLING"), ROLLING)


__all__ = ["STRATEGIES", "DeploymentStrategy", "RollingStrategy", "strategy_for"]
