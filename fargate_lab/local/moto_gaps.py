"""Where moto's CloudWatch answers differently from AWS's, corrected while a local cloud runs.

- GetMetricStatistics: AWS returns only the datapoints published with exactly the dimensions asked
  for ("You can't retrieve statistics using combinations of dimensions that were not specially
  published", ELB user guide, "CloudWatch metrics for your Application Load Balancer"); moto adds up
  every datapoint whose dimensions include them, so ALB's per-target-group counts were counted into
  the load balancer's twice. (moto's GetMetricData already matches exactly.)
- GetMetricStatistics under the real clock: datapoints carry client timestamps, and a client's minute
  holds `speed` cloud minutes; periods are cut in cloud time here, so a Period of 60 answers one cloud
  minute per datapoint, as on AWS (alarms, `ecs-cli`'s live view and the notebooks' traffic panel read
  requests per AWS second).
- PutMetricAlarm: a new alarm starts in INSUFFICIENT_DATA on AWS ("The alarm has just started", CloudWatch
  user guide, "Alarm states"); moto starts it in OK.
- DescribeAlarmHistory: moto has none. Here every alarm keeps its creation and each change of state as
  AlarmHistoryItems (newest first, filtered by name, item type and dates, paged by MaxRecords), stamped
  with the cloud's time as clients see it, as alarm states are.

And one place where moto is slower than it needs to be:

- IAM: with AWS managed policies on (the local cloud attaches AmazonECSTaskExecutionRolePolicy and the
  load balancers' infrastructure policy by ARN), moto parses its 1,582 policies from JSON and builds them
  for each of its 6 partitions: about 0.5 s of every cloud's start. `install_iam(partition)` parses
  them once per process and builds them only for the partition the cloud's region is in.

- CloudFormation: moto's template parser imports every backend, API Gateway's imports
  openapi-spec-validator, which imports jsonschema, whose format checker imports rfc3987-syntax (when
  installed, as Jupyter's jsonschema[format-nongpl] does), which compiles a Lark grammar at import:
  about 1 s of the first `ecs-cli up` in every kernel, for an "iri" format check nobody here makes.
  `defer_rfc3987_syntax()` puts a stand-in module in its place that imports the real one on first use.

`install()` / `install_iam()` patch moto's classes and return what `uninstall` needs to put them back;
the local cloud does both around its life. This module is the only place that changes moto.
"""
from __future__ import annotations

import datetime as _dt
import importlib
import importlib.util
import json
import sys
import threading
import types
from collections.abc import Callable
from typing import Any

Patches = list[tuple[Any, str, Any]]


def install(now: Callable[[], _dt.datetime], to_cloud: Callable[[float], float] | None = None,
            to_client: Callable[[float], float] | None = None) -> Patches:
    """`now`: the cloud's time as clients see it (alarm states and history are stamped with it).
    `to_cloud` / `to_client` (a real clock's, epoch seconds): GetMetricStatistics cuts its periods in
    cloud time, so that under a clock `speed` times faster a Period of 60 is one cloud minute, not the
    `speed` cloud minutes a client's minute holds; its datapoints keep client timestamps."""
    import copy

    from moto.cloudwatch.models import Alarm, CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    saved: Patches = []

    def patch(owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        original = getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, make(original))

    def shifted(when: _dt.datetime, shift: Callable[[float], float]) -> _dt.datetime:
        # to the millisecond (CloudWatch's own resolution): a client stamp has microseconds, which the
        # speed multiplies, and a minute's datapoint must not slip into the minute before
        return _dt.datetime.fromtimestamp(round(shift(when.timestamp()), 3), when.tzinfo or _dt.timezone.utc)

    def exact_dimensions(original: Any) -> Any:
        def get_metric_statistics(self: Any, namespace: str, metric_name: str, start_time: Any, end_time: Any,
                                  period: int, stats: list[str], dimensions: list[dict[str, str]],
                                  unit: str | None = None) -> Any:
            wanted = sorted((d["Name"], d.get("Value")) for d in dimensions or [])
            every = self.get_all_metrics

            def matching() -> list[Any]:
                found = [md for md in every() if sorted((d.name, d.value) for d in md.dimensions) == wanted]
                if to_cloud is None:
                    return found
                in_cloud_time = []
                for md in found:      # copies: the stored datapoints keep their client timestamps
                    twin = copy.copy(md)
                    twin.timestamp = shifted(md.timestamp, to_cloud)
                    in_cloud_time.append(twin)
                return in_cloud_time

            if to_cloud is not None and to_client is not None:
                start_time, end_time = shifted(start_time, to_cloud), shifted(end_time, to_cloud)
            self.get_all_metrics = matching          # for this call only (under the cloud's lock)
            try:
                found = original(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit)
            finally:
                del self.get_all_metrics
            if to_client is not None:
                for statistics in found:
                    statistics.timestamp = shifted(statistics.timestamp, to_client)
            return found
        return get_metric_statistics

    def starts_insufficient(original: Any) -> Any:
        def put_metric_alarm(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            before = self.alarms.get(name)
            alarm = original(self, name, *args, **kwargs)   # moto makes a new Alarm object either way
            alarm.configuration_updated_timestamp = now()
            if before is None:
                alarm.state_value = "INSUFFICIENT_DATA"
                alarm.state_updated_timestamp = alarm.configuration_updated_timestamp
                _remember(alarm, "ConfigurationUpdate", f'Alarm "{name}" created',
                          {"version": "1.0", "type": "Create", "createdAlarm": {"alarmName": name}})
            else:   # an update keeps the alarm's state, its reason and its history, as on AWS
                for kept in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp"):
                    setattr(alarm, kept, getattr(before, kept))
                alarm.__dict__["fargate_lab_history"] = before.__dict__.get("fargate_lab_history", [])
                _remember(alarm, "ConfigurationUpdate", f'Alarm "{name}" updated',
                          {"version": "1.0", "type": "Update", "updatedAlarm": {"alarmName": name}})
            return alarm
        return put_metric_alarm

    def records_changes(original: Any) -> Any:
        def update_state(self: Any, reason: str, reason_data: str, state_value: str) -> None:
            old = {"stateValue": self.state_value, "stateReason": self.state_reason}
            original(self, reason, reason_data, state_value)
            self.state_updated_timestamp = now()
            if old["stateValue"] != state_value:
                _remember(self, "StateUpdate", f"Alarm updated from {old['stateValue']} to {state_value}",
                          {"version": "1.0", "oldState": old,
                           "newState": {"stateValue": state_value, "stateReason": reason}})
        return update_state

    def _remember(alarm: Any, kind: str, summary: str, data: dict[str, Any]) -> None:
        items = alarm.__dict__.setdefault("fargate_lab_history", [])
        items.append({"AlarmName": alarm.name, "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm",
                      "Timestamp": now(), "HistoryItemType": kind, "HistorySummary": summary,
                      "HistoryData": json.dumps(data)})

    def describe_alarm_history(self: Any) -> Any:
        name = self._get_param("AlarmName")
        kind = self._get_param("HistoryItemType")
        types = self._get_param("AlarmTypes") or ["MetricAlarm", "CompositeAlarm"]
        start, end = self._get_param("StartDate"), self._get_param("EndDate")
        limit = int(self._get_param("MaxRecords") or 100)
        offset = int(self._get_param("NextToken") or 0)
        alarms = self.cloudwatch_backend.alarms
        items = [item for alarm in alarms.values() if name in (None, alarm.name)
                 for item in alarm.__dict__.get("fargate_lab_history", [])
                 if (kind is None or item["HistoryItemType"] == kind) and item["AlarmType"] in types
                 and (start is None or item["Timestamp"] >= _aware(start))
                 and (end is None or item["Timestamp"] <= _aware(end))]
        items.sort(key=lambda item: item["Timestamp"],
                   reverse=self._get_param("ScanBy", "TimestampDescending") == "TimestampDescending")
        result: dict[str, Any] = {"AlarmHistoryItems": items[offset:offset + limit]}
        if offset + limit < len(items):
            result["NextToken"] = str(offset + limit)
        return ActionResult(result)

    patch(CloudWatchBackend, "get_metric_statistics", exact_dimensions)
    patch(CloudWatchBackend, "put_metric_alarm", starts_insufficient)
    patch(Alarm, "update_state", records_changes)
    saved.append((CloudWatchResponse, "describe_alarm_history", None))
    CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]  # moto has none
    return saved


def _aware(when: Any) -> _dt.datetime:
    if isinstance(when, _dt.datetime):
        return when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)
    if isinstance(when, (int, float)):
        return _dt.datetime.fromtimestamp(when, _dt.timezone.utc)
    return _dt.datetime.fromisoformat(str(when).replace("Z", "+00:00"))


_MANAGED_POLICIES: dict[str, Any] = {}   # moto's AWS managed policies, parsed once per process


def install_iam(partition: str) -> Patches:
    """AWS managed policies for `partition` only (e.g. "aws"), from one parse of moto's data."""
    from moto.iam import aws_managed_policies
    from moto.iam.models import AWSManagedPolicy, IAMBackend
    from moto.settings import load_iam_aws_managed_policies

    original = IAMBackend._init_aws_policies

    def init_aws_policies(self: Any) -> Any:
        if self.region_name != partition or not load_iam_aws_managed_policies():   # its region: a partition
            return []
        if not _MANAGED_POLICIES:
            _MANAGED_POLICIES.update(json.loads(aws_managed_policies.aws_managed_policies_data))
        return [AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data)
                for name, data in _MANAGED_POLICIES.items()]

    IAMBackend._init_aws_policies = init_aws_policies  # type: ignore[method-assign]
    return [(IAMBackend, "_init_aws_policies", original)]


def defer_rfc3987_syntax() -> None:
    """Until something uses it, `rfc3987_syntax` is a stand-in that imports the real module on first
    use (a call of `is_valid_syntax`, or any other attribute).  Process-wide and left in place: it
    carries the real module's spec and path, so `find_spec` and submodule imports work as before."""
    name = "rfc3987_syntax"
    spec = None if name in sys.modules else importlib.util.find_spec(name)
    if spec is None:
        return
    stand_in = types.ModuleType(name, "fargate-lab's stand-in: the real module is imported on first use")
    stand_in.__spec__ = spec
    if spec.submodule_search_locations is not None:
        stand_in.__path__ = list(spec.submodule_search_locations)
    swap = threading.Lock()

    def real() -> types.ModuleType:
        with swap:
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            return importlib.import_module(name)

    def is_valid_syntax(*args: Any, **kwargs: Any) -> Any:   # what jsonschema imports by name
        return real().is_valid_syntax(*args, **kwargs)

    def attribute_of_real(attribute: str) -> Any:        # PEP 562: names the stand-in does not have
        if attribute.startswith("__"):                   # the import system's own probes
            raise AttributeError(attribute)
        return getattr(real(), attribute)

    stand_in.is_valid_syntax = is_valid_syntax       # type: ignore[attr-defined]
    stand_in.__getattr__ = attribute_of_real         # type: ignore[method-assign]
    sys.modules[name] = stand_in


def uninstall(saved: Patches) -> None:
    for owner, name, original in reversed(saved):
        if original is None:
            delattr(owner, name)       # added here, not moto's
        else:
            setattr(owner, name, original)
