"""The deployment strategy of `service up|create`: ROLLING (ECS's default), or BLUE_GREEN, CANARY or
LINEAR, which move production traffic between two target groups (docs/ecs-2026.md §1.2-1.3).

    check_strategy_flags(strategy="canary", canary_percent=20, ...)   # one-line errors naming the flag
    apply_strategy(config, options)   # deploymentConfiguration with strategy, canaryConfiguration, ...

The limits are botocore's model's: canaryPercent 0.1-100 and stepPercent 3.0-100, both in multiples
of 0.1; the bake times 0-1440 minutes; a PAUSE hook's timeout 1-20160 minutes. BLUE_GREEN needs
bakeTimeInMinutes. A strategy that moves traffic needs a load balancer with a second target group
and listener rules (`--create-load-balancer` makes them: ops.load_balancers).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import OpsError
from .plumbing import Json

if TYPE_CHECKING:
    from .service_options import ServiceOptions

STRATEGIES = {"rolling": "ROLLING", "blue-green": "BLUE_GREEN", "canary": "CANARY", "linear": "LINEAR"}
TRAFFIC_STRATEGIES = frozenset({"BLUE_GREEN", "CANARY", "LINEAR"})
CANARY_DEFAULTS = {"canaryPercent": 5.0, "canaryBakeTimeInMinutes": 10}     # ECS's, from the model
LINEAR_DEFAULTS = {"stepPercent": 10.0, "stepBakeTimeInMinutes": 6}
BAKE_LIMIT = 1440            # minutes, every bake time
PAUSE_TIMEOUT_LIMIT = 20160  # minutes (14 days), a lifecycle hook's timeoutInMinutes
PAUSE_STAGE = "PRE_PRODUCTION_TRAFFIC_SHIFT"
PAUSE_ACTIONS = ("ROLLBACK", "CONTINUE")
STRATEGY_MEMBERS = ("strategy", "canaryConfiguration", "linearConfiguration", "bakeTimeInMinutes")


def api_strategy(flag: str | None) -> str | None:
    """--deployment-strategy's value (rolling, blue-green, canary, linear) as ECS spells it; None stays None."""
    if flag is None:
        return None
    found = STRATEGIES.get(flag.lower()) or (flag.upper() if flag.upper() in STRATEGIES.values() else None)
    if found is None:
        raise OpsError(f"--deployment-strategy {flag}: use rolling, blue-green, canary or linear")
    return found


def moves_traffic(strategy: str | None) -> bool:
    return api_strategy(strategy) in TRAFFIC_STRATEGIES


def _percent(flag: str, value: float | None, low: float) -> None:
    if value is None:
        return
    if not low <= value <= 100.0:
        raise OpsError(f"{flag} {value:g}: must be between {low:g} and 100")
    if abs(value * 10 - round(value * 10)) > 1e-6:
        raise OpsError(f"{flag} {value:g}: ECS takes multiples of 0.1 (say {round(value, 1):g})")


def _minutes(flag: str, value: int | None, low: int = 0, high: int = BAKE_LIMIT) -> None:
    if value is not None and not low <= value <= high:
        raise OpsError(f"{flag} {value}: must be between {low} and {high} minutes")


def check_strategy_flags(options: ServiceOptions) -> None:
    """The strategy flags' own limits and the ones that need each other, before anything is created."""
    strategy = api_strategy(options.deployment_strategy)
    flag = f"--deployment-strategy {options.deployment_strategy}"
    _percent("--canary-percent", options.canary_percent, 0.1)
    _percent("--linear-step-percent", options.linear_step_percent, 3.0)
    _minutes("--canary-bake-minutes", options.canary_bake_minutes)
    _minutes("--linear-step-bake-minutes", options.linear_step_bake_minutes)
    _minutes("--bake-minutes", options.bake_minutes)
    _minutes("--pause-timeout", options.pause_timeout_minutes, 1, PAUSE_TIMEOUT_LIMIT)
    wants = {"--canary-percent": (options.canary_percent, "CANARY"),
             "--canary-bake-minutes": (options.canary_bake_minutes, "CANARY"),
             "--linear-step-percent": (options.linear_step_percent, "LINEAR"),
             "--linear-step-bake-minutes": (options.linear_step_bake_minutes, "LINEAR")}
    for name, (value, needed) in wants.items():
        if value is not None and strategy != needed:
            raise OpsError(f"{name} needs --deployment-strategy {needed.lower()}")
    traffic_only = {"--bake-minutes": options.bake_minutes is not None,
                    "--pause-before-production-traffic": options.pause_before_production_traffic}
    for name, given in traffic_only.items():
        if given and strategy not in TRAFFIC_STRATEGIES:
            raise OpsError(f"{name} needs --deployment-strategy blue-green, canary or linear (a strategy that "
                           "moves traffic between two target groups)")
    if options.pause_timeout_minutes is not None and not options.pause_before_production_traffic:
        raise OpsError("--pause-timeout needs --pause-before-production-traffic")
    if options.pause_timeout_action.upper() not in PAUSE_ACTIONS:
        raise OpsError(f"--pause-timeout-action {options.pause_timeout_action}: use rollback or continue")
    if strategy == "BLUE_GREEN" and options.bake_minutes is None:
        raise OpsError(f"{flag} needs --bake-minutes N (ECS requires a bake time for BLUE_GREEN: the minutes both "
                       f"revisions run after production traffic has moved, 0 to {BAKE_LIMIT})")
    if strategy in TRAFFIC_STRATEGIES and options.target_group_arn:
        raise OpsError(f"{flag} needs --create-load-balancer, not --target-group-arn: ECS moves traffic between two "
                       "target groups through listener rules, which --create-load-balancer makes")
    for name in options.alarm_names:
        if not name.strip():
            raise OpsError("--alarm: an alarm name cannot be empty; pass --alarm NAME once per CloudWatch alarm")


def check_strategy_load_balancer(options: ServiceOptions, service: str, existing: Json | None) -> None:
    """A strategy that moves traffic needs the load balancer's second half: made now, or made before."""
    strategy = api_strategy(options.deployment_strategy)
    if strategy not in TRAFFIC_STRATEGIES:
        return
    flag = f"--deployment-strategy {options.deployment_strategy}"
    if existing is None and not options.create_load_balancer:
        raise OpsError(f"{flag} needs a load balancer: add --create-load-balancer (it makes the alternate target "
                       "group, the listener rules and the role ECS moves traffic with)")
    if existing is not None and not any(lb.get("advancedConfiguration") for lb in existing.get("loadBalancers", [])) \
            and not (options.create_load_balancer and existing.get("loadBalancers")):
        raise OpsError(f"service {service} was made without the alternate target group and listener rules {flag} "
                       f"needs: add --create-load-balancer to make them now (a service behind the load balancer "
                       f"`service up --create-load-balancer` made), or `service rm` and start again")


def pause_hook(options: ServiceOptions) -> Json:
    """The PAUSE lifecycle hook before production traffic moves (ContinueServiceDeployment goes on)."""
    hook: Json = {"targetType": "PAUSE", "lifecycleStages": [PAUSE_STAGE]}
    if options.pause_timeout_minutes is not None:
        hook["timeoutConfiguration"] = {"timeoutInMinutes": options.pause_timeout_minutes,
                                        "action": options.pause_timeout_action.upper()}
    return hook


def alarms(names: Sequence[str], rollback: bool) -> Json:
    return {"alarmNames": list(names), "enable": True, "rollback": bool(rollback)}


def apply_strategy(config: Json, options: ServiceOptions) -> Json:
    """`config` (a deploymentConfiguration) with the strategy flags applied; a copy.

    No --deployment-strategy: the service's own is kept (ROLLING for a new one). Given: it replaces the
    strategy's members and the PAUSE hooks (other hooks are kept). --alarm replaces the alarms."""
    out: Json = json.loads(json.dumps(config))
    strategy = api_strategy(options.deployment_strategy)
    if strategy is not None:
        for member in STRATEGY_MEMBERS:
            out.pop(member, None)
        out["strategy"] = strategy
        if strategy == "CANARY":
            out["canaryConfiguration"] = _filled(CANARY_DEFAULTS, options.canary_percent, options.canary_bake_minutes)
        elif strategy == "LINEAR":
            out["linearConfiguration"] = _filled(LINEAR_DEFAULTS, options.linear_step_percent,
                                                 options.linear_step_bake_minutes)
        if options.bake_minutes is not None:
            out["bakeTimeInMinutes"] = options.bake_minutes
        had_hooks = bool(out.get("lifecycleHooks"))
        hooks = [hook for hook in out.pop("lifecycleHooks", []) if hook.get("targetType") != "PAUSE"]
        if options.pause_before_production_traffic:
            hooks.append(pause_hook(options))
        if hooks or had_hooks:
            # an empty list says "no hooks any more": UpdateService keeps members it is not sent
            out["lifecycleHooks"] = hooks
    if options.alarm_names:
        out["alarms"] = alarms(options.alarm_names, options.rollback)
    return out


def _filled(defaults: dict[str, float], percent: float | None, bake: int | None) -> Json:
    percent_key, bake_key = defaults
    return {percent_key: round(float(defaults[percent_key] if percent is None else percent), 1),
            bake_key: int(defaults[bake_key] if bake is None else bake)}
