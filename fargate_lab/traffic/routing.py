"""Which target group a request goes to, and which target in it, as an Application Load Balancer decides.

    rules = [Rule.from_api(r) for r in elbv2.describe_rules(ListenerArn=arn)["Rules"]]
    action = first_match(rules, Request(host="my-lb-1.elb.amazonaws.com", path="/api/orders"))
    group = action.pick_target_group(rng)            # a weighted forward picks by weight
    targets = routable(states)                       # healthy ones; all unhealthy: fail open

What ALB does, from its user guide:
- Rules are evaluated in priority order, the default rule last; a rule matches when every one of its
  conditions does, and a condition matches when any of its values does ("Listener rules").
- host-header is case-insensitive, path-pattern case-sensitive; both take * (any characters) and
  ? (one character) in Values ("Condition types for listener rules"). RegexValues (2025) are matched
  here with Python's `re.search`, a model.
- A forward action to several target groups sends each a share of requests proportional to its
  weight (0 to 999); weight 0 gets none.
- A load balancer node routes only to healthy targets, and a target is healthy after its first
  passing check. A target group with only unhealthy registered targets fails open: every one of
  them gets requests ("Health checks for Application Load Balancer target groups"); read here as
  "no healthy target and at least one unhealthy one", the targets still in `initial` left out.
  Draining targets get no new requests. No routable target: the load balancer answers 503 itself.
"""
from __future__ import annotations

import fnmatch
import ipaddress
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Request:
    host: str
    path: str = "/"
    method: str = "GET"
    headers: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    source_ip: str = "203.0.113.10"


@dataclass(frozen=True)
class Condition:
    field: str                       # host-header, path-pattern, http-request-method, http-header, query-string, source-ip
    values: tuple[str, ...] = ()
    regex: tuple[str, ...] = ()
    header: str = ""                 # http-header: which header
    pairs: tuple[tuple[str, str], ...] = ()   # query-string: (key or "", value)

    @classmethod
    def from_api(cls, c: Json) -> Condition:
        name = c["Field"]
        config_key = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig",
                      "http-header": "HttpHeaderConfig", "http-request-method": "HttpRequestMethodConfig",
                      "source-ip": "SourceIpConfig", "query-string": "QueryStringConfig"}.get(name, "")
        config = c.get(config_key) or {}
        if name == "query-string":
            pairs = tuple((p.get("Key", ""), p.get("Value", "")) for p in config.get("Values", []))
            return cls(name, pairs=pairs)
        values = tuple(config.get("Values") or c.get("Values") or ())
        regex = tuple(config.get("RegexValues") or c.get("RegexValues") or ())
        return cls(name, values, regex, header=config.get("HttpHeaderName", ""))

    def matches(self, request: Request) -> bool:
        if self.field == "host-header":
            return self._any(request.host.lower(), [v.lower() for v in self.values])
        if self.field == "path-pattern":
            return self._any(request.path, list(self.values))
        if self.field == "http-request-method":
            return request.method in self.values
        if self.field == "http-header":
            value = {k.lower(): v for k, v in request.headers.items()}.get(self.header.lower())
            return value is not None and self._any(value.lower(), [v.lower() for v in self.values])
        if self.field == "query-string":
            return any((not key or key in request.query) and
                       any(_glob(v, value) for k, v in request.query.items() if not key or k == key)
                       for key, value in self.pairs)
        if self.field == "source-ip":
            return _in_any_cidr(request.source_ip, self.values)
        return False

    def _any(self, text: str, patterns: list[str]) -> bool:
        return any(_glob(text, p) for p in patterns) or any(re.search(r, text) for r in self.regex)


def _glob(text: str, pattern: str) -> bool:
    """ALB wildcards: * any characters, ? exactly one; nothing else is special."""
    return fnmatch.fnmatchcase(text, pattern.replace("[", "[[]"))


def _in_any_cidr(address: str, cidrs: Iterable[str]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(c, strict=False) for c in cidrs)


@dataclass(frozen=True)
class Action:
    """What a matching rule does with a request: forward (to weighted groups) or answer itself."""
    kind: str                                         # forward | fixed-response | redirect | ...
    groups: tuple[tuple[str, int], ...] = ()          # forward: (target group ARN, weight)
    status: int = 0                                   # fixed-response / redirect: the status code

    @classmethod
    def from_api(cls, actions: Sequence[Json]) -> Action:
        """The action that answers: authenticate-* steps run first and are not modelled."""
        final = sorted(actions, key=lambda a: a.get("Order", 0))[-1]
        kind = final["Type"]
        if kind == "forward":
            weighted = (final.get("ForwardConfig") or {}).get("TargetGroups")
            if weighted:
                return cls(kind, tuple((g["TargetGroupArn"], int(g.get("Weight", 1))) for g in weighted))
            return cls(kind, ((final["TargetGroupArn"], 1),))
        if kind == "fixed-response":
            return cls(kind, status=int(final["FixedResponseConfig"]["StatusCode"]))
        if kind == "redirect":
            return cls(kind, status=301 if final["RedirectConfig"]["StatusCode"] == "HTTP_301" else 302)
        return cls(kind)

    def weights(self) -> dict[str, float]:
        """Each target group's share in percent (the shares add up to 100 when any weight is set)."""
        total = sum(w for _, w in self.groups)
        return {arn: (100.0 * w / total if total else 0.0) for arn, w in self.groups}

    def pick_target_group(self, rng: random.Random) -> str | None:
        """One request's target group, drawn by weight; None when every weight is 0."""
        live = [(arn, w) for arn, w in self.groups if w > 0]
        if not live:
            return None
        if len(live) == 1:
            return live[0][0]
        point = rng.uniform(0, sum(w for _, w in live))
        for arn, w in live:
            point -= w
            if point < 0:
                return arn
        return live[-1][0]


@dataclass(frozen=True)
class Rule:
    priority: float                                   # the default rule sorts last
    conditions: tuple[Condition, ...]
    action: Action
    arn: str = ""

    @classmethod
    def from_api(cls, r: Json) -> Rule:
        default = r.get("IsDefault") or r.get("Priority") == "default"
        priority = float("inf") if default else float(r["Priority"])
        return cls(priority, tuple(Condition.from_api(c) for c in r.get("Conditions", [])),
                   Action.from_api(r["Actions"]), r.get("RuleArn", ""))

    def matches(self, request: Request) -> bool:
        return all(c.matches(request) for c in self.conditions)


def first_match(rules: Iterable[Rule], request: Request) -> Action | None:
    """The action of the first rule, in priority order, whose conditions all match."""
    for rule in sorted(rules, key=lambda r: r.priority):
        if rule.matches(request):
            return rule.action
    return None


def routable(states: Mapping[str, str]) -> list[str]:
    """The targets of one group that get new requests, given each target's DescribeTargetHealth state."""
    healthy = [t for t, s in states.items() if s == "healthy"]
    if healthy:
        return healthy
    # fail open: a group with only unhealthy registered targets routes to all of them
    return [t for t, s in states.items() if s == "unhealthy"]
