"""Synthetic clients: requests sent through listeners on the cloud's clock, answered by the targets.

    generator = LoadGenerator(seed=0)
    generator.run(start, seconds, listeners, targets, book)     # one tick of cloud time
    book.datums_before(now)                                     # finished minutes, as PutMetricData datums

Each listener gets `rate` requests a second, spread evenly (a fractional carry keeps the count exact
over time, so the same seed gives the same requests). A request is routed by `routing`, goes to the
next routable target of its group in turn (ALB's default round robin), and is answered as the
target's image says (`engine.catalog.ResponseProfile`): an error with probability `error_rate`, after
a log-normal latency. A target that cannot answer (`ServedTarget.reachable` false: its container is
gone) costs the load balancer a 502; no routable target, a 503.

`MetricBook` adds up what an Application Load Balancer publishes to CloudWatch, from its user guide
("CloudWatch metrics for your Application Load Balancer"): namespace AWS/ApplicationELB; one
datapoint a minute, and only when requests flow; HTTPCode_* counts only when not zero;
TargetResponseTime in seconds; dimensions LoadBalancer (app/name/id) and LoadBalancer with
TargetGroup (targetgroup/name/id). It also keeps a finer series per revision, which ALB does not
have, for plots.
"""
from __future__ import annotations

import datetime as _dt
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine.records import ServedTarget
from .routing import Request, Rule, first_match, routable

NAMESPACE = "AWS/ApplicationELB"
PERIOD = 60                       # ELB publishes one datapoint a minute


@dataclass(frozen=True)
class Listener:
    load_balancer: str                 # the LoadBalancer dimension: app/name/id
    host: str                          # the load balancer's DNS name
    rules: tuple[Rule, ...]
    rate: float                        # requests a second
    paths: tuple[str, ...] = ("/",)    # requests cycle through these


@dataclass
class _Stat:
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf

    def add(self, value: float, times: int = 1) -> None:
        self.count += times
        self.total += value * times
        self.low = min(self.low, value)
        self.high = max(self.high, value)


@dataclass
class RevisionMinute:
    """What one revision's targets served in one minute (a local series; ALB has no such metric)."""
    requests: int = 0
    errors: int = 0
    latency_total: float = 0.0


Dimensions = tuple[tuple[str, str], ...]


@dataclass
class MetricBook:
    """ALB metrics by minute, until they are handed over as PutMetricData datums."""
    minutes: dict[int, dict[tuple[str, Dimensions], _Stat]] = field(default_factory=lambda: defaultdict(dict))
    # per minute, per (LoadBalancer dimension, revision): a finer series than ALB's, for plots
    revisions: dict[int, dict[tuple[str, str], RevisionMinute]] = field(default_factory=lambda: defaultdict(dict))

    def count(self, at: float, metric: str, dims: Dimensions, value: float = 1.0) -> None:
        bucket = self.minutes[int(at // PERIOD) * PERIOD]
        stat = bucket.get((metric, dims))
        if stat is None:
            stat = bucket[(metric, dims)] = _Stat()
        stat.add(value)

    def served(self, at: float, load_balancer: str, revision: str, error: bool, latency: float) -> None:
        minute = self.revisions[int(at // PERIOD) * PERIOD]
        row = minute.get((load_balancer, revision))
        if row is None:
            row = minute[(load_balancer, revision)] = RevisionMinute()
        row.requests += 1
        row.errors += int(error)
        row.latency_total += latency

    def revision_series(self, load_balancer: str) -> dict[int, dict[str, RevisionMinute]]:
        """Per minute (epoch seconds of its start), what each revision behind a load balancer served."""
        return {minute: {rev: row for (lb, rev), row in rows.items() if lb == load_balancer}
                for minute, rows in sorted(self.revisions.items())}

    def datums_before(self, now: float) -> list[dict[str, Any]]:
        """PutMetricData datums for every minute that ended by `now`, removed from the book."""
        datums: list[dict[str, Any]] = []
        for start in sorted(m for m in self.minutes if m + PERIOD <= now):
            stamp = _dt.datetime.fromtimestamp(start, _dt.timezone.utc)
            for (metric, dims), stat in sorted(self.minutes.pop(start).items()):
                datums.append({
                    "MetricName": metric, "Timestamp": stamp,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                    "Unit": "Seconds" if metric == "TargetResponseTime" else "Count",
                    "StatisticValues": {"SampleCount": float(stat.count), "Sum": stat.total,
                                        "Minimum": stat.low, "Maximum": stat.high},
                })
        return datums


def target_group_dimension(arn: str) -> str:
    """arn:aws:elasticloadbalancing:...:targetgroup/web/0123 -> targetgroup/web/0123"""
    return arn.rsplit(":", 1)[-1]


def load_balancer_dimension(arn: str) -> str:
    """arn:aws:elasticloadbalancing:...:loadbalancer/app/web/0123 -> app/web/0123"""
    return arn.rsplit(":", 1)[-1].removeprefix("loadbalancer/")


class _Rotation:
    """A group's routable targets in a fixed order, for round robin."""

    def __init__(self, members: Sequence[ServedTarget]) -> None:
        by_id = {t.id: t for t in members}
        self.order = [by_id[i] for i in sorted(routable({t.id: t.state for t in members}))]


class LoadGenerator:
    """Sends the listeners' requests tick by tick; deterministic for a seed."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = random.Random(seed)
        self._carry: dict[tuple[str, str], float] = defaultdict(float)
        self._turn: dict[str, int] = defaultdict(int)
        self._sent: dict[tuple[str, str], int] = defaultdict(int)

    def run(self, start: float, seconds: float, listeners: Iterable[Listener],
            targets: Mapping[str, Sequence[ServedTarget]], book: MetricBook) -> int:
        """Send `seconds` worth of requests, beginning at `start`; returns how many were sent.
        `targets`: each target group's registered targets, by target group ARN."""
        sent = 0
        # who gets requests does not change within a tick: work it out once per group, not per request
        routing = {group: _Rotation(members) for group, members in targets.items()}
        for listener in listeners:
            key = (listener.load_balancer, listener.host)
            due = listener.rate * seconds + self._carry[key]
            count = int(due + 1e-9)   # 0.7 s at 10 a second is 6.999999999999999 in binary
            self._carry[key] = max(0.0, due - count)
            for i in range(count):
                at = start + seconds * (i + 0.5) / count
                path = listener.paths[self._sent[key] % len(listener.paths)]
                self._sent[key] += 1
                self._one(at, listener, Request(host=listener.host, path=path), routing, book)
            sent += count
        self._host_counts(start + seconds / 2, listeners, targets, book)
        return sent

    @staticmethod
    def _host_counts(at: float, listeners: Iterable[Listener], targets: Mapping[str, Sequence[ServedTarget]],
                     book: MetricBook) -> None:
        """HealthyHostCount and UnHealthyHostCount of every group a listener forwards to, once a tick
        (ALB reports them whenever health checks are on, requests or not; Average is their statistic)."""
        seen: set[tuple[str, str]] = set()
        for listener in listeners:
            for rule in listener.rules:
                for group, _ in rule.action.groups:
                    if (listener.load_balancer, group) in seen:
                        continue
                    seen.add((listener.load_balancer, group))
                    dims: Dimensions = (("LoadBalancer", listener.load_balancer),
                                        ("TargetGroup", target_group_dimension(group)))
                    states = [t.state for t in targets.get(group, ())]
                    book.count(at, "HealthyHostCount", dims, states.count("healthy"))
                    book.count(at, "UnHealthyHostCount", dims, states.count("unhealthy"))

    def _one(self, at: float, listener: Listener, request: Request, routing: Mapping[str, _Rotation],
             book: MetricBook) -> None:
        lb_dims: Dimensions = (("LoadBalancer", listener.load_balancer),)
        book.count(at, "RequestCount", lb_dims)
        action = first_match(listener.rules, request)
        group = action.pick_target_group(self.rng) if action is not None and action.kind == "forward" else None
        if action is None or (action.kind == "forward" and group is None):
            book.count(at, "HTTPCode_ELB_5XX_Count", lb_dims)
            book.count(at, "HTTPCode_ELB_503_Count", lb_dims)
            return
        if group is None:   # fixed-response, redirect: the load balancer answers
            book.count(at, "HTTP_Fixed_Response_Count" if action.kind == "fixed-response" else "HTTP_Redirect_Count",
                       lb_dims)
            if action.status // 100 in (3, 4, 5):   # ALB has HTTPCode_ELB_3XX/4XX/5XX, no 2XX
                book.count(at, f"HTTPCode_ELB_{action.status // 100}XX_Count", lb_dims)
            return
        tg_dims: Dimensions = lb_dims + (("TargetGroup", target_group_dimension(group)),)
        book.count(at, "RequestCount", tg_dims)
        rotation = routing.get(group)
        if rotation is None or not rotation.order:
            for dims in (lb_dims, tg_dims):
                book.count(at, "HTTPCode_ELB_5XX_Count", dims)
                book.count(at, "HTTPCode_ELB_503_Count", dims)
            return
        turn = self._turn[group]
        self._turn[group] = turn + 1
        target = rotation.order[turn % len(rotation.order)]
        if not target.reachable:
            for dims in (lb_dims, tg_dims):
                book.count(at, "HTTPCode_ELB_5XX_Count", dims)
                book.count(at, "HTTPCode_ELB_502_Count", dims)
            book.served(at, listener.load_balancer, target.revision, True, 0.0)
            return
        profile = target.profile
        error = self.rng.random() < profile.error_rate
        latency = profile.latency * math.exp(self.rng.gauss(0.0, profile.latency_spread))
        for dims in (lb_dims, tg_dims):
            book.count(at, "HTTPCode_Target_5XX_Count" if error else "HTTPCode_Target_2XX_Count", dims)
            book.count(at, "TargetResponseTime", dims, latency)
        book.served(at, listener.load_balancer, target.revision, error, latency)
