"""Check an ECS request against botocore's input shape before the engine sees it.

`parse(operation, body)` returns the parameters the engine may trust, or raises `BadRequest`
with the error AWS gives for that mistake.  Everything structural comes from botocore's
model (members, required, types, enums, min/max); only ECS's documented quotas are listed
here (docs/ecs-behaviour.md §8 and the model's own documentation text).

Which error, and why (evidence in the README's "Known differences"):
- a body that is not JSON, not an object, or a member of the wrong JSON type: the protocol's
  `SerializationException` (AWS's JSON services reject these while deserialising, before
  the operation runs; ECS answered it to traefik's ECS provider, traefik#3831);
- a missing required member, an enum value, a range, a list length or a quota:
  `InvalidParameterException` ("Services cannot be empty.", "service names can have at most
  10 items.", "include should be one of [...]", "Desired count exceeds limit."), except in
  RegisterTaskDefinition, whose validator answers `ClientException` ("Family can not be
  blank.", "Container list cannot be empty.");
- an unknown member is dropped, not refused: AWS's JSON services ignore members they do not
  know (an older server must accept a newer client), and only botocore's client-side
  validator refuses them.  Dropping them also keeps them out of the engine's echoes.
- JSON null is an absent member, as AWS's deserialisers read it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from ..engine.types import Json
from .validate import service_model

if TYPE_CHECKING:
    from botocore.model import Shape

SERIALIZATION = "SerializationException"
INVALID = "InvalidParameterException"
CODE_BY_OPERATION = {"RegisterTaskDefinition": "ClientException"}

# The largest ECS request is a task definition, which AWS caps at 64 KiB (docs/ecs-behaviour.md §8); 1 MiB leaves
# 16 times that for tags and overrides, and bounds what one request can make us read.
MAX_BODY = 1 << 20
MAX_DEPTH = 64   # ECS's deepest input shape is 9 levels; deeper JSON is junk, refused before parsing

INT_RANGE = {"integer": (-2 ** 31, 2 ** 31 - 1), "long": (-2 ** 63, 2 ** 63 - 1)}
KIND = {"structure": "a JSON object", "map": "a JSON object of key/value pairs", "list": "a JSON list",
        "string": "a string", "integer": "a whole number", "long": "a whole number", "boolean": "true or false",
        "double": "a number", "float": "a number", "timestamp": "a number of seconds since 1970",
        "blob": "a base64 string"}


class BadRequest(Exception):
    """A request AWS would refuse: its error code, HTTP status and a one-line message."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status = code, message, status


@dataclass(frozen=True)
class Quota:
    low: int | None
    high: int
    phrase: str     # completes "above the {high} ..."


# ECS's documented per-request quotas, keyed by (structure shape, member).  List quotas count items.
QUOTAS = {
    ("CreateServiceRequest", "desiredCount"): Quota(0, 5000, 'tasks a service can run (ECS service quota '
                                                             '"Tasks per service")'),
    ("UpdateServiceRequest", "desiredCount"): Quota(0, 5000, 'tasks a service can run (ECS service quota '
                                                             '"Tasks per service")'),
    ("RunTaskRequest", "count"): Quota(1, 10, "tasks one RunTask call can start"),
    ("AwsVpcConfiguration", "subnets"): Quota(1, 16, "subnets an awsvpcConfiguration can name"),
    ("AwsVpcConfiguration", "securityGroups"): Quota(None, 5, "security groups an awsvpcConfiguration can name"),
    ("RegisterTaskDefinitionRequest", "containerDefinitions"): Quota(1, 10, "containers a task definition "
                                                                           "can have"),
    ("DescribeServicesRequest", "services"): Quota(1, 10, "services DescribeServices takes in one call"),
    ("DescribeTasksRequest", "tasks"): Quota(1, 100, "tasks DescribeTasks takes in one call"),
    ("DescribeClustersRequest", "clusters"): Quota(None, 100, "clusters DescribeClusters takes in one call"),
    ("GetTaskProtectionRequest", "tasks"): Quota(None, 100, "tasks GetTaskProtection takes in one call"),
    ("DeleteTaskDefinitionsRequest", "taskDefinitions"): Quota(1, 10, "task definitions DeleteTaskDefinitions "
                                                                      "takes in one call"),
    ("DescribeServiceDeploymentsRequest", "serviceDeploymentArns"): Quota(1, 20, "ARNs one call takes"),
    ("DescribeServiceRevisionsRequest", "serviceRevisionArns"): Quota(1, 20, "ARNs one call takes"),
    ("CreateServiceRequest", "loadBalancers"): Quota(None, 5, "target groups a service can use"),
    ("UpdateServiceRequest", "loadBalancers"): Quota(None, 5, "target groups a service can use"),
    ("StartTaskRequest", "containerInstances"): Quota(None, 10, "container instances one StartTask call takes"),
    ("UntagResourceRequest", "tagKeys"): Quota(None, 50, "tags a resource can have"),
}
for _op in ("CreateServiceRequest", "UpdateServiceRequest", "RunTaskRequest", "CreateClusterRequest",
            "PutClusterCapacityProvidersRequest"):
    for _member in ("capacityProviderStrategy", "defaultCapacityProviderStrategy", "capacityProviders"):
        QUOTAS[(_op, _member)] = Quota(None, 20, "capacity providers a strategy or cluster can have")
for _op in ("CreateServiceRequest", "UpdateServiceRequest", "RunTaskRequest", "RegisterTaskDefinitionRequest"):
    QUOTAS[(_op, "placementConstraints")] = Quota(None, 10, "placement constraints a task can have")
    QUOTAS[(_op, "placementStrategy")] = Quota(None, 5, "placement strategy rules a service or task can have")


def _describe(value: Any) -> str:
    if value is True or value is False:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return f"the string {json.dumps(value[:40] + ('…' if len(value) > 40 else ''), ensure_ascii=False)}"
    names: dict[type, str] = {dict: "an object", list: "a list"}
    return names.get(type(value), type(value).__name__)


def too_deep(text: bytes) -> bool:
    """Nesting deeper than MAX_DEPTH, found by one pass over the bytes (strings skipped), so that
    no JSON parser, ours or moto's, recurses on it."""
    depth, in_string, escaped = 0, False, False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:      # backslash
                escaped = True
            elif byte == 0x22:      # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def load_json(body: bytes | str | None, what: str = "request body") -> Any:
    """The JSON document of a request body, or BadRequest(SerializationException)."""
    raw = body.encode() if isinstance(body, str) else (body or b"")
    if len(raw) > MAX_BODY:
        raise BadRequest("RequestEntityTooLarge", f"{what}: {len(raw):,} bytes is above the local cloud's "
                                                  f"{MAX_BODY:,}-byte limit for one request; send less", 413)
    if not raw.strip():
        return {}
    if too_deep(raw):
        raise BadRequest(SERIALIZATION, f"{what}: JSON nested deeper than {MAX_DEPTH} levels; "
                                        "send the operation's parameters as a flat JSON object")
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        detail = str(e).split("\n", 1)[0][:120]
        raise BadRequest(SERIALIZATION, f"{what}: not valid JSON ({detail}); "
                                        "send the operation's parameters as a JSON object") from None


def parse(operation: str, body: bytes | str | None) -> Json:
    """The request's parameters, checked against the operation's input shape (see the module doc)."""
    params = load_json(body)
    shape = service_model().operation_model(operation).input_shape
    if not isinstance(params, dict):
        raise BadRequest(SERIALIZATION, f"request body: expected a JSON object of {operation}'s parameters, "
                                        f"got {_describe(params)}; send {{...}} with its members")
    if shape is None:
        return {}
    return _Checker(operation).structure(params, shape, "")


class _Checker:
    def __init__(self, operation: str):
        self.operation = operation
        modeled = {s.name for s in service_model().operation_model(operation).error_shapes}
        code = CODE_BY_OPERATION.get(operation, INVALID)
        self.code = code if code in modeled else "ClientException"

    def invalid(self, message: str) -> BadRequest:
        return BadRequest(self.code, message)

    @staticmethod
    def where(path: str) -> str:
        return path or "request body"

    def value(self, value: Any, shape: Shape, path: str, quota: Quota | None = None) -> Any:
        kind = shape.type_name
        if kind == "structure" and shape.metadata.get("document"):
            return value          # a free-form document (hookDetails): any JSON, bounded by the body's size and depth
        if kind == "structure":
            if not isinstance(value, dict):
                raise self.wrong_type(value, shape, path)
            return self.structure(value, shape, path)
        if kind == "map":
            if not isinstance(value, dict):
                raise self.wrong_type(value, shape, path)
            self.length(len(value), shape, path, "entries", quota)
            entries: Json = {}
            for key, item in value.items():
                self.value(key, shape.key, f"{path}.{key}")          # keys: enums, lengths
                if item is None:
                    raise BadRequest(SERIALIZATION, f"{path}.{key}: null is not a value; send "
                                                    f"{KIND[shape.value.type_name]} or leave the key out")
                entries[key] = self.value(item, shape.value, f"{path}.{key}")
            return entries
        if kind == "list":
            if not isinstance(value, list):
                raise self.wrong_type(value, shape, path)
            self.length(len(value), shape, path, "items", quota)
            items: list[Any] = []
            for i, item in enumerate(value):
                if item is None:
                    raise BadRequest(SERIALIZATION, f"{path}[{i}]: null is not a list item; send "
                                                    f"{KIND[shape.member.type_name]} or leave it out")
                items.append(self.value(item, shape.member, f"{path}[{i}]"))
            return items
        if kind == "string":
            if not isinstance(value, str):
                raise self.wrong_type(value, shape, path)
            if shape.enum and value not in shape.enum:
                raise self.invalid(f"{self.where(path)}: {json.dumps(value[:60])} should be one of "
                                   f"[{','.join(shape.enum)}]")
            self.length(len(value), shape, path, "characters", None)
            return value
        if kind in ("integer", "long"):
            if isinstance(value, float) and value.is_integer():
                value = int(value)        # 2.0 is the number 2 on the wire
            if type(value) is not int:
                raise self.wrong_type(value, shape, path)
            low, high = INT_RANGE[kind]
            if quota is None and not low <= value <= high:
                raise BadRequest(SERIALIZATION, f"{self.where(path)}: {value} does not fit a {kind} "
                                                f"({low} to {high}); send a smaller number")
            self.bounds(value, shape, path, quota)
            return value
        if kind == "boolean":
            if type(value) is not bool:
                raise self.wrong_type(value, shape, path)
            return value
        if kind in ("double", "float", "timestamp"):
            if type(value) not in (int, float) or not math.isfinite(value):
                raise self.wrong_type(value, shape, path)
            self.bounds(value, shape, path, None)
            return value
        if kind == "blob":
            if not isinstance(value, str):
                raise self.wrong_type(value, shape, path)
            return value
        return value          # a type ECS's input model does not use

    def structure(self, value: Json, shape: Shape, path: str) -> Json:
        members = shape.members
        out: Json = {}
        for name, item in value.items():
            if name not in members or item is None:
                continue          # unknown members and nulls: absent (module doc)
            out[name] = self.value(item, members[name], f"{path}.{name}" if path else name,
                                   QUOTAS.get((shape.name, name)))
        for name in shape.required_members:
            if name not in out:
                field = f"{path}.{name}" if path else name
                raise self.invalid(f"{field}: missing; {self.operation} needs it "
                                   f"({KIND[members[name].type_name]})")
        return out

    def wrong_type(self, value: Any, shape: Shape, path: str) -> BadRequest:
        kind = KIND.get(shape.type_name, shape.type_name)
        fix = f"send {kind}"
        if shape.type_name == "list" and isinstance(value, str) and shape.member.type_name == "string":
            fix = f"send a list such as [{json.dumps(value[:40])}]"    # the commonest slip: one name, not a list
        return BadRequest(SERIALIZATION, f"{self.where(path)}: expected {kind}, got {_describe(value)}; {fix}")

    def length(self, n: int, shape: Shape, path: str, unit: str, quota: Quota | None) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if quota is not None:
            low = quota.low if quota.low is not None else low
            if n > quota.high:
                raise self.invalid(f"{self.where(path)}: {n:,} {unit} is above the {quota.high:,} "
                                   f"{quota.phrase}; send {quota.high} or fewer")
        if high is not None and n > high:
            raise self.invalid(f"{self.where(path)}: {n:,} {unit} is more than the {high:,} allowed; "
                               f"send at most {high}")
        if low is not None and n < low:
            if n == 0:
                raise self.invalid(f"{self.where(path)}: cannot be empty; send at least {low}")
            raise self.invalid(f"{self.where(path)}: {n} {unit} is fewer than the {low} required; "
                               f"send at least {low}")

    def bounds(self, value: float, shape: Shape, path: str, quota: Quota | None) -> None:
        if quota is not None:
            if value > quota.high:
                raise self.invalid(f"{self.where(path)}: {value} is above the {quota.high:,} {quota.phrase}; "
                                   f"use {quota.high} or fewer")
            if quota.low is not None and value < quota.low:
                raise self.invalid(f"{self.where(path)}: {value} is below {quota.low}; use a value from "
                                   f"{quota.low} to {quota.high}")
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"from {low} to {high}" if low is not None and high is not None else (
                f"of at least {low}" if low is not None else f"of at most {high}")
            raise self.invalid(f"{self.where(path)}: {value} is out of range; use a value {span}")
