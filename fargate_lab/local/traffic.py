"""The load balancers' data plane and CloudWatch's alarms, run on the cloud clock.

Every `TICK` cloud seconds, for each region with load balancers:
1. the listeners and their rules are read through boto3 (moto keeps them; they are read again only
   after an ELBv2 call changed something, which `changed()` is told of);
2. each target group's targets come from the engine (`Engine.served_targets`: health, revision and how
   the task's image answers);
3. `traffic.load.LoadGenerator` sends the tick's requests and adds up ALB's metrics; each finished
   minute goes to CloudWatch with PutMetricData (namespace AWS/ApplicationELB), as ALB publishes;
4. on every minute, each metric alarm is evaluated (`cloudwatch.alarms.evaluate`) on the datapoints
   GetMetricStatistics returns, and a change of state is written with SetAlarmState.

A load balancer gets `DEFAULT_RATE` requests a second on each listener until `set_rate` says otherwise
(a model: AWS has no synthetic clients). Only the targets the engine placed answer requests; a target
registered by hand has no image to answer with and is left out.
"""
from __future__ import annotations

import datetime as _dt
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from ..cloudwatch.alarms import AlarmRule, AlarmState, Comparison, Datapoint, MissingData, Verdict, evaluate
from ..engine import Engine
from ..engine.clock import Clock
from ..engine.records import ServedTarget
from ..traffic.load import (NAMESPACE, PERIOD, Listener, LoadGenerator, MetricBook, RevisionMinute,
                            load_balancer_dimension)
from ..traffic.routing import Rule

TICK = 5.0                 # cloud seconds between traffic steps
DEFAULT_RATE = 10.0        # requests a second on each listener of a load balancer
PUT_LIMIT = 1000           # PutMetricData takes at most 1,000 datums a call

Json = dict[str, Any]


@dataclass
class _RegionTopology:
    generation: int = -1
    listeners: list[tuple[str, Listener]] = field(default_factory=list)   # (load balancer ARN, listener)


class CloudTraffic:
    def __init__(self, clock: Clock, engine: Engine, client: Callable[[str, str], Any],
                 regions: Callable[[], Iterable[str]], seed: int = 0) -> None:
        self.clock, self.engine, self._client, self._regions = clock, engine, client, regions
        self.generator = LoadGenerator(seed)
        self.books: dict[str, MetricBook] = {}
        self.rates: dict[str, float] = {}          # load balancer ARN or name -> requests a second
        self.port_rates: dict[tuple[str, int], float] = {}   # (load balancer ARN or name, listener port) -> the same
        self._generation = 0
        self._topology: dict[str, _RegionTopology] = {}
        self._last_alarm_minute = -1
        self._started = False
        self.requests: dict[str, tuple[tuple[str, ...], str | None]] = {}   # load balancer -> (paths, host)
        self.problems: list[str] = []   # the last errors a tick met (a bad alarm, a moto gap), newest last

    # -- what the cloud's users change -------------------------------------------------------------------
    def start(self) -> None:
        if not self._started:
            self._started = True
            now = self.clock.now()
            self.clock.call_at((now // TICK + 1) * TICK, self._tick)

    def changed(self) -> None:
        """An ELBv2 call changed load balancers, listeners or rules: read them again on the next tick."""
        self._generation += 1

    def set_rate(self, load_balancer: str, requests_per_second: float, paths: Sequence[str] = ("/",),
                 host: str | None = None, port: int | None = None) -> None:
        """Requests a second on each listener of a load balancer (its name or ARN); 0 stops its traffic.
        Requests cycle through `paths` and carry `host` (default: the load balancer's DNS name), so that
        path and host rules get their share.  With `port`, only the listener on that port (a blue/green
        test listener nobody tests through, say) gets this rate; the others keep theirs."""
        if requests_per_second < 0:
            raise ValueError("requests_per_second: must be 0 or more")
        if not paths or any(not p.startswith("/") for p in paths):
            raise ValueError("paths: give one or more paths, each starting with /")
        if port is not None and not (isinstance(port, int) and 1 <= port <= 65535):
            raise ValueError(f"port: a listener port from 1 to 65535, not {port!r}")
        if port is None:
            self.rates[load_balancer] = float(requests_per_second)
        else:
            self.port_rates[(load_balancer, port)] = float(requests_per_second)
        self.requests[load_balancer] = (tuple(paths), host)
        self._generation += 1

    # -- one step ------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        now = self.clock.now()
        try:
            if int(now // PERIOD) != int((now - TICK) // PERIOD):
                self._generation += 1   # once a minute, read listeners again (a stack may have made some)
            for region in sorted(set(self._regions())):
                self._isolated(f"traffic in {region}", functools.partial(self._serve, region, now))
            minute = int(now // PERIOD)
            if minute != self._last_alarm_minute:
                self._last_alarm_minute = minute
                for region in sorted(set(self._regions())):
                    self._isolated(f"alarms in {region}", functools.partial(self._evaluate_alarms, region, now))
        finally:
            self.clock.call_at(now + TICK, self._tick)   # whatever happened, the next tick comes

    def _isolated(self, what: str, step: Callable[[], None]) -> None:
        """One region's traffic or alarms failing must not stop the others, or the clock."""
        try:
            step()
        except Exception as error:   # reported in .problems, and the cloud goes on
            self.problems.append(f"{what}: {type(error).__name__}: {error}")
            del self.problems[:-20]

    def _serve(self, region: str, now: float) -> None:
        listeners = self._listeners(region)
        book = self.books.setdefault(region, MetricBook())
        if listeners:
            groups = {arn for _, listener in listeners for rule in listener.rules for arn, _ in rule.action.groups}
            targets: dict[str, list[ServedTarget]] = {g: self.engine.served_targets(region, g) for g in sorted(groups)}
            self.generator.run(now - TICK, TICK, [listener for _, listener in listeners], targets, book)
        datums = book.datums_before(now)
        if datums:
            cloudwatch = self._client("cloudwatch", region)
            for start in range(0, len(datums), PUT_LIMIT):
                shown = [dict(d, Timestamp=self._shown(d["Timestamp"])) for d in datums[start:start + PUT_LIMIT]]
                cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=shown)

    def revision_series(self, region: str, load_balancer_arn: str) -> dict[int, dict[str, RevisionMinute]]:
        """What each revision behind a load balancer served, minute by minute (cloud epoch seconds)."""
        book = self.books.get(region)
        return book.revision_series(load_balancer_dimension(load_balancer_arn)) if book else {}

    def _listeners(self, region: str) -> list[tuple[str, Listener]]:
        topology = self._topology.setdefault(region, _RegionTopology())
        if topology.generation == self._generation:
            return topology.listeners
        elbv2 = self._client("elbv2", region)
        found: list[tuple[str, Listener]] = []
        for page in elbv2.get_paginator("describe_load_balancers").paginate():
            for lb in page["LoadBalancers"]:
                if lb.get("Type") != "application":
                    continue
                arn, name = lb["LoadBalancerArn"], lb["LoadBalancerName"]
                rate = self.rates.get(arn, self.rates.get(name, DEFAULT_RATE))
                paths, host = self.requests.get(arn, self.requests.get(name, (("/",), None)))
                for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
                    rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
                    port = listener.get("Port")
                    own = self.port_rates.get((arn, port), self.port_rates.get((name, port), rate))
                    found.append((arn, Listener(load_balancer_dimension(arn), host or lb["DNSName"],
                                                tuple(Rule.from_api(r) for r in rules), own, paths)))
        topology.generation, topology.listeners = self._generation, found
        return found

    # -- alarms -------------------------------------------------------------------------------------------
    def _evaluate_alarms(self, region: str, now: float) -> None:
        cloudwatch = self._client("cloudwatch", region)
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm"]):
            for alarm in page["MetricAlarms"]:
                try:
                    verdict = self._verdict(cloudwatch, alarm, now)
                except (ValueError, KeyError, ClientError) as error:   # cannot be evaluated here: left alone
                    self.problems.append(f"alarm {alarm['AlarmName']} not evaluated: {error}")
                    continue
                if verdict is None or (verdict.state == alarm["StateValue"]
                                       and not alarm["StateReason"].startswith("Unchecked")):
                    continue
                cloudwatch.set_alarm_state(AlarmName=alarm["AlarmName"], StateValue=str(verdict.state),
                                           StateReason=verdict.reason,
                                           StateReasonData=json.dumps({"version": "1.0", "statistic":
                                                                       alarm.get("Statistic", "")}))

    def _verdict(self, cloudwatch: Any, alarm: Json, now: float) -> Verdict | None:
        if "MetricName" not in alarm or alarm.get("Metrics") or "Statistic" not in alarm:
            return None   # metric math and extended statistics are not evaluated (README, known differences)
        rule = AlarmRule(Comparison(alarm["ComparisonOperator"]), float(alarm["Threshold"]),
                         int(alarm["EvaluationPeriods"]),
                         int(alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"]),
                         MissingData(alarm.get("TreatMissingData") or "missing"))
        period = int(alarm["Period"])
        end = (now // period) * period
        window = []
        for t in (end - (rule.evaluation_range - i) * period for i in range(rule.evaluation_range)):
            # one period a call: under the real clock a cloud minute is a few seconds of client time, so
            # CloudWatch's own bucketing by Period cannot be used to split them
            found = cloudwatch.get_metric_statistics(
                Namespace=alarm["Namespace"], MetricName=alarm["MetricName"], Dimensions=alarm.get("Dimensions", []),
                StartTime=self._shown(t), EndTime=self._shown(t + period), Period=period,
                Statistics=[alarm["Statistic"]])["Datapoints"]
            window.append(Datapoint(self._shown(t), float(found[0][alarm["Statistic"]]) if found else None))
        verdict = evaluate(rule, window)
        if verdict is None and alarm["StateReason"].startswith("Unchecked"):
            # "ignore" keeps the state it has, and a new alarm has none yet: CloudWatch starts in INSUFFICIENT_DATA
            missing = sum(p.value is None for p in window[-rule.evaluation_periods:])
            return Verdict(AlarmState.INSUFFICIENT_DATA, f"Insufficient Data: {missing} datapoints were unknown.")
        return verdict

    # -- time as clients see it ---------------------------------------------------------------------------
    def _shown(self, when: float | _dt.datetime) -> _dt.datetime:
        seconds = when.timestamp() if isinstance(when, _dt.datetime) else when
        return _dt.datetime.fromtimestamp(self.clock.to_client(seconds), _dt.timezone.utc)

