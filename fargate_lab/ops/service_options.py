"""The settings of `compose service up|create` as one typed, frozen object.

    options = ServiceOptions(desired_count=3, create_load_balancer=True)  # --desired-count 3 --create-load-balancer
    service_up(session, "default", "my-application", ["docker-compose.yml"], "ecs-params.yml", options=options)

Each field is one of ecs-cli's flags, named after it (`--deployment-max-percent` is `max_percent`,
`--no-circuit-breaker` is `circuit_breaker=False`, `--timeout` is `timeout_minutes`). The CLI builds one
from its flags and the notebooks write one. How a function waits and reports (say, on_update, sleep,
clock, poll_seconds) is not a setting of the service: those stay parameters.

The flags' own limits are checked when the object is made, with the CLI's one-line messages, so an
impossible ServiceOptions never exists. What needs the compose files (does the container publish that
port?) is checked by `service_up` once it has read them, still before anything is created.

`UpKeywords` and `CreateKeywords` are the keyword arguments `service_up` and `service_create` took before
this object existed; `merged` turns them into one, so that old calls keep working.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from .deployment_strategy import check_strategy_flags
from .errors import OpsError


def check_deployment_flags(desired: int | None, max_percent: int | None, min_healthy_percent: int | None) -> None:
    """ECS's own limits, checked before anything is created."""
    if desired is not None and desired < 0:
        raise OpsError(f"desired count {desired}: must be 0 or more")
    if min_healthy_percent is not None and not 0 <= min_healthy_percent <= 100:
        raise OpsError(f"--deployment-min-healthy-percent {min_healthy_percent}: must be between 0 and 100")
    if max_percent is not None and max_percent < 100:
        raise OpsError(f"--deployment-max-percent {max_percent}: must be at least 100 (ECS's minimum)")
    if max_percent is not None and max_percent > 400:
        raise OpsError(f"--deployment-max-percent {max_percent}: must be at most 400")
    if max_percent == 100 and min_healthy_percent == 100:
        raise OpsError("--deployment-max-percent 100 with --deployment-min-healthy-percent 100 leaves ECS no room "
                       "to replace a task: lower the minimum or raise the maximum")


@dataclass(frozen=True)
class ServiceOptions:
    """What `service up` (and `service create`) makes the service with; the defaults are the CLI's."""
    desired_count: int | None = None          # --desired-count (None: 1 for a new service, else unchanged)
    max_percent: int | None = None            # --deployment-max-percent (None: ECS's 200, or the service's)
    min_healthy_percent: int | None = None    # --deployment-min-healthy-percent (None: ECS's 100, or the service's)
    circuit_breaker: bool = True              # --no-circuit-breaker: False
    rollback: bool = True                     # --no-rollback: False (the breaker stops, nothing is rolled back)
    target_group_arn: str | None = None       # --target-group-arn: register the tasks in this (ip) target group
    container_name: str | None = None         # --container-name: the container the load balancer sends to
    container_port: int | None = None         # --container-port: and its port
    create_load_balancer: bool = False        # --create-load-balancer: an ALB, an ip target group, a listener
    deregistration_delay: int | None = None   # seconds a replaced task's target drains (the target group made)
    create_log_groups: bool = True            # --no-create-log-groups: False (fail if an awslogs group is missing)
    force_deployment: bool = False            # --force-deployment: a new deployment even if nothing changed
    timeout_minutes: float = 5.0              # --timeout: minutes to wait in all (0: do not wait)
    launch_type: str = "FARGATE"              # --launch-type
    tags: Mapping[str, str] | None = field(default=None, hash=False)   # --tags key=value,...
    task_role_arn: str | None = None          # compose --task-role-arn: the IAM role of the task's containers
    strict: bool = False                      # compose --strict: a compose warning is an error (CI)
    # how a new revision takes over (ops.deployment_strategy): None keeps the service's (ROLLING for a new one)
    deployment_strategy: str | None = None    # --deployment-strategy rolling | blue-green | canary | linear
    canary_percent: float | None = None       # --canary-percent (ECS's 5.0): production traffic of the first shift
    canary_bake_minutes: int | None = None    # --canary-bake-minutes (ECS's 10): then the rest
    linear_step_percent: float | None = None  # --linear-step-percent (ECS's 10.0): each shift
    linear_step_bake_minutes: int | None = None   # --linear-step-bake-minutes (ECS's 6): between shifts
    bake_minutes: int | None = None           # --bake-minutes: both revisions run after the last shift (BLUE_GREEN needs it)
    alarm_names: tuple[str, ...] = ()         # --alarm NAME...: CloudWatch alarms that fail the deployment (--no-rollback)
    pause_before_production_traffic: bool = False   # --pause-before-production-traffic: a PAUSE lifecycle hook
    pause_timeout_minutes: int | None = None  # --pause-timeout: then --pause-timeout-action (None: ECS's own timeout)
    pause_timeout_action: str = "ROLLBACK"    # --pause-timeout-action rollback | continue

    def __post_init__(self) -> None:
        check_deployment_flags(self.desired_count, self.max_percent, self.min_healthy_percent)
        if self.target_group_arn and self.create_load_balancer:
            raise OpsError("--target-group-arn and --create-load-balancer are exclusive: use one")
        if self.target_group_arn and not (self.container_name and self.container_port):
            raise OpsError("--target-group-arn needs --container-name and --container-port")
        if (self.container_name or self.container_port) and not (self.target_group_arn or self.create_load_balancer):
            raise OpsError("--container-name/--container-port need --target-group-arn or --create-load-balancer")
        check_strategy_flags(self)


# ---------------------------------------------------------------------------------- the keywords of before

class CreateKeywords(TypedDict, total=False):
    """service_create's keyword arguments before ServiceOptions: each sets the field of the same name."""
    max_percent: int | None
    min_healthy_percent: int | None
    circuit_breaker: bool
    rollback: bool
    target_group_arn: str | None
    container_name: str | None
    container_port: int | None
    create_load_balancer: bool
    create_log_groups: bool
    launch_type: str
    tags: Mapping[str, str] | None
    task_role_arn: str | None
    strict: bool
    deregistration_delay: int | None


class UpKeywords(CreateKeywords, total=False):
    """service_up's: service_create's, and these three."""
    desired: int | None          # ServiceOptions.desired_count
    force_deployment: bool
    timeout_minutes: float


RENAMED = {"desired": "desired_count"}   # keyword of before -> field


def merged(function: str, allowed: frozenset[str], options: ServiceOptions | None,
           keywords: Mapping[str, Any]) -> ServiceOptions:
    """`options` (else the defaults) with the keywords' values in their place; a keyword that `function`
    never took is the TypeError Python gives for it. `allowed`: UpKeywords.__optional_keys__ or
    CreateKeywords's."""
    unknown = sorted(set(keywords) - allowed)
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")
    changes = {RENAMED.get(name, name): value for name, value in keywords.items()}
    return replace(options or ServiceOptions(), **changes)
