"""The checks CreateService and UpdateService make of BLUE_GREEN, CANARY and LINEAR settings:
deploymentConfiguration (bake times, canary and linear shares, lifecycle hooks) and
loadBalancers[].advancedConfiguration, with the ranges of the ECS model (docs/ecs-2026.md §1.1).
Every message names the field and what would be accepted."""
from __future__ import annotations

import re

from ..errors import invalid_parameter
from ..strategies import TRAFFIC_STRATEGIES
from ..strategies.shifts import HOOK_STAGES, PAUSE_STAGES
from ..substrate import Substrate, TargetGroupSettings
from ..types import Json

ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}\Z")
FUNCTION_ARN = re.compile(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]{1,64}(:[\w$-]+)?\Z")
CONFIG = "deploymentConfiguration"


def _minutes(value: object, field: str, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
        raise invalid_parameter(f"{field} must be a whole number of minutes from 0 to {high}, not {value!r}.")


def _percent(value: object, field: str, low: float) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= 100.0 \
        and abs(value * 10 - round(value * 10)) < 1e-6
    if not ok:
        raise invalid_parameter(f"{field} must be a multiple of 0.1 from {low:g} to 100, not {value!r}.")


def check_traffic_strategy(config: Json, given: Json) -> None:
    """deploymentConfiguration's strategy settings, once merged (`config`) and as sent (`given`)."""
    strategy = config.get("strategy", "ROLLING")
    if strategy == "BLUE_GREEN" and given.get("strategy") == "BLUE_GREEN" and "bakeTimeInMinutes" not in given:
        raise invalid_parameter(f"{CONFIG}.bakeTimeInMinutes is required with the BLUE_GREEN deployment strategy "
                                "(minutes both revisions run after production traffic has moved, 0 to 1440).")
    if config.get("bakeTimeInMinutes") is not None:
        _minutes(config["bakeTimeInMinutes"], f"{CONFIG}.bakeTimeInMinutes", 1440)
    canary = config.get("canaryConfiguration")
    if canary is not None:
        if "canaryPercent" in canary:
            _percent(canary["canaryPercent"], f"{CONFIG}.canaryConfiguration.canaryPercent", 0.1)
        if "canaryBakeTimeInMinutes" in canary:
            _minutes(canary["canaryBakeTimeInMinutes"], f"{CONFIG}.canaryConfiguration.canaryBakeTimeInMinutes", 1440)
    linear = config.get("linearConfiguration")
    if linear is not None:
        if "stepPercent" in linear:
            _percent(linear["stepPercent"], f"{CONFIG}.linearConfiguration.stepPercent", 3.0)
        if "stepBakeTimeInMinutes" in linear:
            _minutes(linear["stepBakeTimeInMinutes"], f"{CONFIG}.linearConfiguration.stepBakeTimeInMinutes", 1440)
    hooks = config.get("lifecycleHooks") or []
    if hooks and strategy not in TRAFFIC_STRATEGIES:
        raise invalid_parameter(f"{CONFIG}.lifecycleHooks: the local cloud runs lifecycle hooks only with the "
                                f"BLUE_GREEN, CANARY or LINEAR strategy, not {strategy} (README, known differences).")
    for i, hook in enumerate(hooks):
        _check_hook(hook, f"{CONFIG}.lifecycleHooks[{i}]")


def _check_hook(hook: Json, field: str) -> None:
    kind = hook.get("targetType", "AWS_LAMBDA")
    if kind not in ("AWS_LAMBDA", "PAUSE"):
        raise invalid_parameter(f"{field}.targetType must be AWS_LAMBDA or PAUSE, not {kind!r}.")
    stages = hook.get("lifecycleStages") or []
    if not stages:
        raise invalid_parameter(f"{field}.lifecycleStages is required: one or more of {', '.join(HOOK_STAGES)}.")
    allowed = PAUSE_STAGES if kind == "PAUSE" else HOOK_STAGES
    wrong = [s for s in stages if s not in allowed]
    if wrong:
        raise invalid_parameter(f"{field}.lifecycleStages: {', '.join(map(str, wrong))} is not a stage a {kind} hook "
                                f"can use; choose from {', '.join(allowed)}.")
    if kind == "AWS_LAMBDA":
        if not FUNCTION_ARN.match(str(hook.get("hookTargetArn") or "")):
            raise invalid_parameter(f"{field}.hookTargetArn must be a Lambda function ARN "
                                    f"(arn:aws:lambda:REGION:ACCOUNT:function:NAME), not {hook.get('hookTargetArn')!r}.")
        if not ROLE_ARN.match(str(hook.get("roleArn") or "")):
            raise invalid_parameter(f"{field}.roleArn must be the ARN of an IAM role ECS may invoke the function "
                                    f"with, not {hook.get('roleArn')!r}.")
    timeout = hook.get("timeoutConfiguration")
    if timeout is not None:
        minutes = timeout.get("timeoutInMinutes")
        if minutes is not None and (not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 20160):
            raise invalid_parameter(f"{field}.timeoutConfiguration.timeoutInMinutes must be from 1 to 20160, not {minutes!r}.")
        if timeout.get("action", "ROLLBACK") not in ("CONTINUE", "ROLLBACK"):
            raise invalid_parameter(f"{field}.timeoutConfiguration.action must be CONTINUE or ROLLBACK, "
                                    f"not {timeout.get('action')!r}.")


def check_advanced(substrate: Substrate, region: str, lb: Json, settings: TargetGroupSettings, strategy: str) -> Json:
    """loadBalancers[].advancedConfiguration: required by the traffic strategies; the alternate target
    group exists, differs from targetGroupArn and has its target type; the listener rules exist and
    forward to one of the two groups; roleArn is a role's ARN."""
    field = "loadBalancers[].advancedConfiguration"
    advanced = lb.get("advancedConfiguration")
    if advanced is None:
        raise invalid_parameter(f"{field} is required with the {strategy} deployment strategy: give "
                                "alternateTargetGroupArn, productionListenerRule and roleArn (testListenerRule optional).")
    out = {k: advanced[k] for k in ("alternateTargetGroupArn", "productionListenerRule", "testListenerRule", "roleArn")
           if advanced.get(k)}
    if strategy not in TRAFFIC_STRATEGIES:
        return out   # kept for a later switch to BLUE_GREEN; checked then
    missing = [k for k in ("alternateTargetGroupArn", "productionListenerRule", "roleArn") if k not in out]
    if missing:
        raise invalid_parameter(f"{field} needs {' and '.join(missing)} with the {strategy} deployment strategy.")
    primary, alternate = lb["targetGroupArn"], out["alternateTargetGroupArn"]
    if alternate == primary:
        raise invalid_parameter(f"{field}.alternateTargetGroupArn must be a second target group, not the "
                                "service's targetGroupArn.")
    other = substrate.target_group(region, alternate)
    if other is None:
        raise invalid_parameter(f"The target group with alternateTargetGroupArn {alternate} does not exist.")
    if other.target_type != settings.target_type:
        raise invalid_parameter(f"{field}.alternateTargetGroupArn has target type {other.target_type}; it must "
                                f"match targetGroupArn's ({settings.target_type}).")
    for key in ("productionListenerRule", "testListenerRule"):
        if key not in out:
            continue
        groups = substrate.forward_groups(region, out[key])
        if groups is None:
            raise invalid_parameter(f"{field}.{key}: the listener rule {out[key]} does not exist.")
        if primary not in groups and alternate not in groups:
            raise invalid_parameter(f"{field}.{key}: the listener rule must forward to targetGroupArn or "
                                    "alternateTargetGroupArn.")
    if not ROLE_ARN.match(out["roleArn"]):
        raise invalid_parameter(f"{field}.roleArn must be the ARN of an IAM role (the ECS infrastructure role for "
                                f"load balancers), not {out['roleArn']!r}.")
    return out
