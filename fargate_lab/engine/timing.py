"""How long things take.  "realistic" follows docs/ecs-behaviour.md §1.5 (fitted ranges);
"fast" is the same shape ten times quicker, for demos that must fit in seconds."""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Timing:
    provisioning: tuple[float, float] = (4.0, 10.0)      # ENI attach
    activating: tuple[float, float] = (1.0, 3.0)
    stopping: tuple[float, float] = (1.0, 5.0)           # SIGTERM -> exit for a well-behaved app
    deprovisioning: tuple[float, float] = (10.0, 25.0)   # ENI detach and delete
    failed_pull: tuple[float, float] = (15.0, 20.0)      # pull retries before CannotPullContainerError
    scheduler_reaction: float = 1.0                       # service scheduler tick after a change
    deployment_start: tuple[float, float] = (4.0, 11.0)  # UpdateService -> first task created
    # breaker trip -> rollback COMPLETED at the earliest; fitted around the one public 2026
    # record (79 s, docs/ecs-behaviour.md §3.3), so a client polling every 5-15 s sees FAILED
    rollback_settle: tuple[float, float] = (65.0, 90.0)
    stopped_task_visible: float = 3600.0                  # then DescribeTasks says MISSING
    no_check_health_delay: float = 40.0                   # the 40 s rule (no LB, no health check)
    target_checks_to_healthy: int = 1                     # ALB: passing checks before healthy (docs/ecs-behaviour.md §2.3)
    # The service scheduler starts at most this many Fargate tasks per service in any
    # `launch_window` seconds (docs/ecs-behaviour.md §2.4 and §8: 500 per service per minute).
    service_launches_per_window: int = 500
    launch_window: float = 60.0
    scale: float = 1.0                                    # multiplies image pull/start times too
    # ECS polls DescribeAlarms for deploymentConfiguration.alarms (docs/ecs-behaviour.md §3.5); how
    # often is not published: a model, on the order of CloudWatch's one-minute evaluations
    alarm_poll: float = 15.0

    def scaled(self, factor: float) -> Timing:
        def s(pair: tuple[float, float]) -> tuple[float, float]:
            return (pair[0] * factor, pair[1] * factor)
        return replace(self, provisioning=s(self.provisioning), activating=s(self.activating),
                       stopping=s(self.stopping), deprovisioning=s(self.deprovisioning),
                       failed_pull=s(self.failed_pull), deployment_start=s(self.deployment_start),
                       rollback_settle=s(self.rollback_settle), launch_window=self.launch_window * factor,
                       scheduler_reaction=self.scheduler_reaction * factor, scale=self.scale * factor,
                       alarm_poll=self.alarm_poll * factor)


PRESETS = {"realistic": Timing(), "fast": Timing().scaled(0.1)}


def preset(name: str | Timing) -> Timing:
    if isinstance(name, Timing):
        return name
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"timing: unknown preset {name!r}; use one of {sorted(PRESETS)}") from None
