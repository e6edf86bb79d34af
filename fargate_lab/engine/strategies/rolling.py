"""The rolling update (ECS's own deployment controller): replace tasks within minimumHealthyPercent
and maximumPercent (`scheduler.plan`), complete when the new revision runs the desired count,
healthy, and nothing older is left, or earlier with earlySuccessCriteria."""
from __future__ import annotations

import math

from ..records import Deployment, Service, Task
from ..scheduler import Plan, TaskView, plan


class RollingStrategy:
    name = "ROLLING"

    def next_step(self, service: Service, primary: Deployment, views: list[TaskView], *, can_launch: bool,
                  can_replace_old: bool, can_launch_old: bool, budget: int) -> Plan:
        cfg = service.spec.config
        return plan(service.spec.desired_count, cfg.get("minimumHealthyPercent", 100), cfg.get("maximumPercent", 200),
                    primary.id, views, can_launch=can_launch, can_replace_old=can_replace_old,
                    keep={d.id: d.book.keep for d in service.deployments[1:]}, can_launch_old=can_launch_old,
                    budget=budget)

    def is_complete(self, service: Service, primary: Deployment, mine: list[Task], health: dict[str, bool],
                    others_left: bool) -> bool:
        mine_healthy = all(health.get(t.id, False) for t in mine)
        return (len(mine) == service.spec.desired_count and not others_left and mine_healthy) or \
            self.early_success(service, primary, mine, health, others_left)

    @staticmethod
    def early_success(service: Service, dep: Deployment, mine: list[Task], health: dict[str, bool],
                      others_left: bool) -> bool:
        """earlySuccessCriteria (model, DeploymentEarlySuccessCriteria): complete once healthyPercent of the
        desired count (rounded up) of the new revision's tasks is healthy; BLOCKING also waits until the
        old tasks are gone.  The rest of the new tasks start after completion, outside the deployment
        (the breaker no longer counts them).  A rollback completes the ordinary way."""
        early = dep.config.get("earlySuccessCriteria") or {}
        if not early.get("enable") or dep.rollback_reason:
            return False
        needed = math.ceil(service.spec.desired_count * early["healthyPercent"] / 100)
        healthy = sum(health.get(t.id, False) for t in mine)
        return healthy >= needed and (early["sourceServiceRevisionCleanup"] == "DEFERRED" or not others_left)
