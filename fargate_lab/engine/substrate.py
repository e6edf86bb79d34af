"""What the engine needs from the services around ECS, as a small interface.

The engine never talks to EC2, ELBv2, CloudWatch Logs, ECR or IAM itself; it asks
a `Substrate`.  In the local cloud that is `fargate_lab.local.substrate.Boto3Substrate`
(ordinary boto3 clients answered by moto).  `OfflineSubstrate` is a tiny,
self-contained world for running the engine alone (benchmarks, property tests):
every subnet and security group exists and nothing is written anywhere.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from .types import Json


@dataclass
class NetworkInterface:
    id: str
    subnet_id: str
    availability_zone: str
    private_ip: str
    mac: str
    private_dns: str
    public_ip: str | None = None
    allocation_id: str | None = None


@dataclass(frozen=True)
class TargetGroupSettings:
    arn: str
    port: int = 80
    interval: int = 30
    healthy_threshold: int = 5
    unhealthy_threshold: int = 2
    deregistration_delay: int = 300
    target_type: str = "ip"
    health_path: str = "/"


class FunctionError(Exception):
    """A lifecycle hook's function could not be invoked or failed (its message says why)."""


@dataclass(frozen=True)
class AlarmInfo:
    """What a deployment needs of a CloudWatch alarm: its state, and how long it looks back
    (EvaluationPeriods x Period, which sets a deployment's bake time)."""
    state: str                         # OK | ALARM | INSUFFICIENT_DATA
    window_seconds: int = 60


class Substrate(Protocol):
    account_id: str

    def subnet_zones(self, region: str, subnet_ids: list[str]) -> dict[str, str]: ...
    def check_security_groups(self, region: str, group_ids: list[str]) -> None: ...
    def create_interface(self, region: str, subnet_id: str, groups: list[str], public: bool,
                         description: str) -> NetworkInterface: ...
    def delete_interface(self, region: str, eni: NetworkInterface) -> None: ...
    def target_group(self, region: str, arn: str) -> TargetGroupSettings | None: ...
    def register_target(self, region: str, arn: str, ip: str, port: int) -> bool:
        """False when the target group does not exist (a client may delete one no listener uses)."""
    def deregister_target(self, region: str, arn: str, ip: str, port: int) -> None: ...
    def alarms(self, region: str, names: list[str]) -> dict[str, AlarmInfo]:
        """The named CloudWatch alarms that exist (deploymentConfiguration.alarms)."""
    def forward_groups(self, region: str, rule_arn: str) -> list[str] | None:
        """The target groups a listener rule's (or, for an NLB, a listener's) forward action names;
        None when there is no such rule."""
    def set_forward(self, region: str, rule_arn: str, weights: list[tuple[str, int]]) -> None:
        """Make the rule (or listener) forward to these target groups with these weights."""
    def invoke_function(self, region: str, function_arn: str, payload: Json) -> Json:
        """Invoke a lifecycle hook's function and return what it returned; FunctionError if it failed."""
    def log_group_exists(self, region: str, name: str) -> bool: ...
    def create_log_group(self, region: str, name: str) -> None: ...
    def write_logs(self, region: str, group: str, stream: str, lines: list[tuple[float, str]]) -> None: ...
    def image_exists(self, region: str, image: str) -> bool: ...


@dataclass
class OfflineSubstrate:
    """Everything exists; interfaces get addresses from a counter; logs are kept in memory."""

    account_id: str = "123456789012"
    zones: tuple[str, ...] = ("a", "b", "c")
    logs: dict[tuple[str, str], list[tuple[float, str]]] = field(default_factory=dict)
    rules: dict[str, list[tuple[str, int]]] = field(default_factory=dict)      # rule ARN -> forward weights
    functions: dict[str, Callable[[Json], Json]] = field(default_factory=dict)  # function ARN -> stand-in
    _next: int = 0

    def subnet_zones(self, region: str, subnet_ids: list[str]) -> dict[str, str]:
        return {s: f"{region}{self.zones[i % len(self.zones)]}" for i, s in enumerate(subnet_ids)}

    def check_security_groups(self, region: str, group_ids: list[str]) -> None:
        return None

    def create_interface(self, region: str, subnet_id: str, groups: list[str], public: bool,
                         description: str) -> NetworkInterface:
        self._next += 1
        n = self._next
        ip = f"10.0.{(n >> 8) & 255}.{n & 255}"
        return NetworkInterface(
            id=f"eni-{n:017x}", subnet_id=subnet_id, availability_zone=self.subnet_zones(region, [subnet_id])[subnet_id],
            private_ip=ip, mac=f"02:00:00:{(n >> 16) & 255:02x}:{(n >> 8) & 255:02x}:{n & 255:02x}",
            private_dns=f"ip-{ip.replace('.', '-')}.ec2.internal",
            public_ip=f"54.0.{(n >> 8) & 255}.{n & 255}" if public else None)

    def delete_interface(self, region: str, eni: NetworkInterface) -> None:
        return None

    def target_group(self, region: str, arn: str) -> TargetGroupSettings | None:
        return TargetGroupSettings(arn=arn)

    def register_target(self, region: str, arn: str, ip: str, port: int) -> bool:
        return True

    def deregister_target(self, region: str, arn: str, ip: str, port: int) -> None:
        return None

    def alarms(self, region: str, names: list[str]) -> dict[str, AlarmInfo]:
        return {}

    def forward_groups(self, region: str, rule_arn: str) -> list[str] | None:
        weights = self.rules.get(rule_arn)
        return None if weights is None else [group for group, _ in weights]

    def set_forward(self, region: str, rule_arn: str, weights: list[tuple[str, int]]) -> None:
        self.rules[rule_arn] = list(weights)

    def invoke_function(self, region: str, function_arn: str, payload: Json) -> Json:
        return invoke_stand_in(self.functions, function_arn, payload)

    def log_group_exists(self, region: str, name: str) -> bool:
        return True

    def create_log_group(self, region: str, name: str) -> None:
        return None

    def write_logs(self, region: str, group: str, stream: str, lines: list[tuple[float, str]]) -> None:
        self.logs.setdefault((group, stream), []).extend(lines)

    def image_exists(self, region: str, image: str) -> bool:
        return True


def invoke_stand_in(functions: dict[str, Callable[[Json], Json]], function_arn: str, payload: Json) -> Json:
    """Call the Python stand-in registered for a Lambda function: what it returns, or FunctionError
    (not registered, raised, returned something other than a JSON object)."""
    function = functions.get(function_arn)
    if function is None:
        raise FunctionError(f"Function not found: {function_arn} (no local stand-in is registered for it)")
    try:
        answer = function(payload)
    except Exception as e:   # the function's own error, as Lambda reports an unhandled one
        raise FunctionError(f"{type(e).__name__}: {e}") from e
    if not isinstance(answer, dict):
        raise FunctionError(f"the function returned {type(answer).__name__}, not a JSON object")
    return answer
