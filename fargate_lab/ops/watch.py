"""A service's deployments, watched: the data (`DeploymentSnapshot`) and two views of it.

    watcher = ServiceWatcher.starting_now(ecs, "default", "my-application")
    snapshot = watcher.poll()            # one DescribeServices call -> a DeploymentSnapshot
    with DeploymentView() as view:       # rich Live on a terminal, one plain line per change otherwise
        view.update(snapshot)

The snapshot is plain data (no rich, no boto3), so a notebook can draw it its own
way.  A deployment that moves traffic (BLUE_GREEN, CANARY, LINEAR) adds its stage, traffic
split, bake countdown, paused hook and load-balancer rates (`traffic`, from ops.traffic_watch,
when the watcher was given a TrafficReader).  "New events" are the service events that were not there when the watcher
started (`service_reader.EventLog`).  The read calls live in `ops.service_reader`,
which the notebooks' sampler shares.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
import sys
import time
from dataclasses import dataclass, replace
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .plumbing import Client, Json, name_of
from .service_reader import EventLog
from .service_reader import describe_service as describe_service   # callers import it from here too
from .traffic_watch import TrafficReader, TrafficView, traffic_lines

EVENTS_SHOWN = 8   # events under the live table: enough to follow a rollout, short enough to fit


@dataclass(frozen=True)
class DeploymentRow:
    id: str
    status: str             # PRIMARY | ACTIVE
    rollout_state: str      # IN_PROGRESS | COMPLETED | FAILED ("" when ECS does not say)
    desired: int
    running: int
    pending: int
    failed: int
    task_definition: str    # family:revision
    reason: str = ""        # rolloutStateReason

    @classmethod
    def from_api(cls, d: Json) -> DeploymentRow:
        return cls(id=d["id"], status=d.get("status", ""), rollout_state=d.get("rolloutState", ""),
                   desired=d.get("desiredCount", 0), running=d.get("runningCount", 0),
                   pending=d.get("pendingCount", 0), failed=d.get("failedTasks", 0),
                   task_definition=short_task_definition(d.get("taskDefinition", "")),
                   reason=d.get("rolloutStateReason", ""))

    def line(self) -> str:
        return (f"{self.id} {self.status} {self.rollout_state or '-'} {self.task_definition} "
                f"desired={self.desired} running={self.running} pending={self.pending} failed={self.failed}")


@dataclass(frozen=True)
class ServiceEvent:
    id: str
    at: _dt.datetime
    message: str

    def line(self) -> str:
        return f"{self.at.astimezone():%H:%M:%S} {self.message}"


@dataclass(frozen=True)
class DeploymentSnapshot:
    """What one DescribeServices call said about a service, plus the events seen since the start."""
    cluster: str
    service: str
    status: str                                  # ACTIVE | DRAINING | INACTIVE | MISSING
    desired: int
    running: int
    pending: int
    deployments: tuple[DeploymentRow, ...]
    events: tuple[ServiceEvent, ...] = ()        # every new event since the watcher started, oldest first
    new_events: tuple[ServiceEvent, ...] = ()    # the ones this poll added
    elapsed: float = 0.0                         # seconds since the watcher started
    traffic: TrafficView | None = None           # a deployment that moves traffic: stage, split, bake, rates

    @property
    def primary(self) -> DeploymentRow | None:
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)

    def deployment(self, deployment_id: str) -> DeploymentRow | None:
        return next((d for d in self.deployments if d.id == deployment_id), None)

    @property
    def settled(self) -> bool:
        """One deployment, rolled out, with every desired task running and none pending."""
        primary = self.primary
        return (primary is not None and len(self.deployments) == 1
                and primary.rollout_state in ("COMPLETED", "")
                and self.running == self.desired and self.pending == 0)

    def state_key(self) -> tuple[Any, ...]:
        """Changes when something a person would want to see changed (not the elapsed time)."""
        return (self.status, self.desired, self.running, self.pending,
                tuple((d.id, d.status, d.rollout_state, d.desired, d.running, d.pending, d.failed)
                      for d in self.deployments),
                self.traffic.key() if self.traffic else None)

    def summary(self) -> str:
        return f"{self.running}/{self.desired} running, {self.pending} pending, {len(self.deployments)} deployment(s)"


def short_task_definition(arn: str) -> str:
    """arn:aws:ecs:...:task-definition/web:3 -> web:3"""
    return name_of(arn)


class ServiceWatcher:
    """Polls one service; each `poll()` is one DescribeServices call."""

    def __init__(self, ecs: Client, cluster: str, service: str, seen_event_ids: Iterable[str] = (),
                 clock: Callable[[], float] = time.monotonic, traffic: TrafficReader | None = None) -> None:
        self.ecs, self.cluster, self.service = ecs, cluster, service
        self.traffic = traffic   # None: no traffic-strategy lines (DescribeServices only)
        self._log = EventLog(seen_event_ids)
        self._events: list[ServiceEvent] = []
        self._clock = clock
        self._started = clock()

    @classmethod
    def starting_now(cls, ecs: Client, cluster: str, service: str, clock: Callable[[], float] = time.monotonic,
                     traffic: TrafficReader | None = None) -> ServiceWatcher:
        """A watcher that treats every event already recorded as old news."""
        watcher = cls(ecs, cluster, service, clock=clock, traffic=traffic)
        watcher._log = EventLog.seen_in(describe_service(ecs, cluster, service))
        return watcher

    def poll(self) -> DeploymentSnapshot:
        described = describe_service(self.ecs, self.cluster, self.service)
        snapshot = self.snapshot_of(described)
        if self.traffic is not None:
            snapshot = replace(snapshot, traffic=self.traffic.read(described))
        return snapshot

    def snapshot_of(self, described: Json | None) -> DeploymentSnapshot:
        elapsed = self._clock() - self._started
        if described is None:
            return DeploymentSnapshot(self.cluster, self.service, "MISSING", 0, 0, 0, (),
                                      tuple(self._events), (), elapsed)
        fresh = [ServiceEvent(e["id"], _as_datetime(e["createdAt"]), e["message"])
                 for e in self._log.fresh(described)]
        self._events.extend(fresh)
        return DeploymentSnapshot(
            cluster=self.cluster, service=self.service, status=described.get("status", ""),
            desired=described.get("desiredCount", 0), running=described.get("runningCount", 0),
            pending=described.get("pendingCount", 0),
            deployments=tuple(DeploymentRow.from_api(d) for d in described.get("deployments", [])),
            events=tuple(self._events), new_events=tuple(fresh), elapsed=elapsed)


def _as_datetime(value: _dt.datetime | float | str) -> _dt.datetime:
    if isinstance(value, _dt.datetime):
        return value
    return _dt.datetime.fromtimestamp(float(value), _dt.timezone.utc)


# -- plain lines (CI logs, pipes) -------------------------------------------------------

def plain_lines(previous: DeploymentSnapshot | None, current: DeploymentSnapshot) -> list[str]:
    """The lines to print for `current`, given what was printed for `previous`: changes only."""
    lines = []
    if previous is None or previous.state_key() != current.state_key():
        lines.append(f"[{current.elapsed:5.0f}s] service {current.service}: {current.summary()}")
        lines.extend(f"         {row.line()}" for row in current.deployments)
        if current.traffic is not None:
            lines.extend(f"         {line}" for line in traffic_lines(current.traffic))
    lines.extend(f"         event {e.line()}" for e in current.new_events)
    return lines


# -- rich (a terminal, a notebook) ---------------------------------------------------------

ROLLOUT_STYLE = {"COMPLETED": "green", "IN_PROGRESS": "yellow", "FAILED": "bold red"}


COMPACT_BELOW = 100   # terminal columns: narrower ones get short headers and ids without "ecs-svc/"


def deployments_table(snapshot: DeploymentSnapshot, width: int = 120) -> Table:
    compact = width < COMPACT_BELOW
    table = Table(title=f"service {snapshot.service} ({snapshot.cluster}): {snapshot.summary()}",
                  title_justify="left", box=None, header_style="bold", pad_edge=False, padding=(0, 1, 0, 0))
    table.add_column("Deployment (ecs-svc/)" if compact else "Deployment", no_wrap=True)
    for column in ("Status", "Rollout", "Task definition"):
        table.add_column(column, no_wrap=True)
    counts = ("Des", "Run", "Pend", "Fail") if compact else ("Desired", "Running", "Pending", "Failed")
    for column in counts:
        table.add_column(column, justify="right", no_wrap=True)
    for row in snapshot.deployments:
        table.add_row(row.id.removeprefix("ecs-svc/") if compact else row.id, row.status,
                      Text(row.rollout_state or "-", style=ROLLOUT_STYLE.get(row.rollout_state, "")),
                      row.task_definition, str(row.desired), str(row.running), str(row.pending),
                      Text(str(row.failed), style="red" if row.failed else ""))
    return table


TARGET_GROUP_ARN = re.compile(r"arn:aws[a-z-]*:elasticloadbalancing:[^ )]*:targetgroup/([^/ )]+)/[0-9a-f]+")
LOAD_BALANCER_ARN = re.compile(r"arn:aws[a-z-]*:elasticloadbalancing:[^ )]*:loadbalancer/[a-z]+/([^/ )]+)/[0-9a-f]+")
OTHER_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[^ )]*[:/]([^:/ )]+)")
LONG_IDS = (   # (what, how many characters of its tail stay): enough to tell them apart, to match the table's ids
    (re.compile(r"(?<=ecs-svc/)(\d+)"), 6),                             # deployments and task sets
    (re.compile(r"(?<=\(service-revision )(\d+)"), 6),
    (re.compile(r"(?<=\(task )([0-9a-f]{32})"), 8),
    (re.compile(r"(?<=\(container-instance )([0-9a-f]{32})"), 8),
)
ELLIPSIS = "…"
TIMESTAMP_WIDTH = len("HH:MM:SS ")


def short_event(message: str, service: str, width: int | None = None) -> str:
    """What fits on a line: no "(service name)" prefix (the table says which), target groups and load balancers by
    name; given a `width` it does not fit, also other ARNs by name and long ids by their tail (`(task …c2094cac)`,
    `ecs-svc/…964941`).  The view then cuts what is still too long with an ellipsis."""
    message = message.removeprefix(f"(service {service}) ")
    message = message.replace(f"(service {service}, ", "(", 1)   # "(service app, taskSet ecs-svc/1) has begun ..."
    message = LOAD_BALANCER_ARN.sub(r"\1", TARGET_GROUP_ARN.sub(r"\1", message))
    if width is None or len(message) <= width:
        return message
    message = OTHER_ARN.sub(r"\1", message)
    for pattern, keep in LONG_IDS:
        message = pattern.sub(functools.partial(_tail, keep=keep), message)
    return message


def _tail(match: re.Match[str], keep: int) -> str:
    text = match.group(1)
    return text if len(text) <= keep + 1 else ELLIPSIS + text[-keep:]


def elapsed_text(seconds: float) -> str:
    """The view's timer, labelled: `elapsed 9s`, `elapsed 2m05s`."""
    whole = int(round(seconds))
    return f"elapsed {whole}s" if whole < 60 else f"elapsed {whole // 60}m{whole % 60:02d}s"


def snapshot_renderable(snapshot: DeploymentSnapshot, events_shown: int = EVENTS_SHOWN, width: int = 120) -> Group:
    events = Text(no_wrap=True, overflow="ellipsis")
    for e in snapshot.events[-events_shown:]:
        style = "red" if _looks_bad(e.message) else "dim"
        message = short_event(e.message, snapshot.service, width - TIMESTAMP_WIDTH)
        events.append(f"{e.at.astimezone():%H:%M:%S} {message}\n", style=style)
    events.rstrip()
    elapsed = Text(elapsed_text(snapshot.elapsed), style="dim")
    parts = [deployments_table(snapshot, width)] + traffic_renderables(snapshot.traffic)
    parts += ([events] if snapshot.events else []) + [elapsed]
    return Group(*parts)


def traffic_renderables(traffic: TrafficView | None) -> list[Text]:
    """The traffic strategy's lines, each cut to the terminal's width rather than wrapped."""
    out = []
    for line in traffic_lines(traffic) if traffic else []:
        style = "bold yellow" if line.startswith("paused") else "red" if "ROLLBACK" in line or "FAILED" in line else ""
        out.append(Text(line, style=style, no_wrap=True, overflow="ellipsis"))
    return out


def _looks_bad(message: str) -> bool:
    # AWS Copilot's filter for failure events (aws/copilot-cli)
    words = ("fail", "unhealthy", "error", "unable", "missing", "rolling back")
    return any(w in message.lower() for w in words)


class DeploymentView:
    """Shows snapshots: redrawn in place on a terminal, one plain line per change otherwise.

    `say` (plain mode) defaults to printing on the console; in live mode messages
    should go through `view.say` so they print above the live table."""

    def __init__(self, console: Console | None = None, live: bool | None = None,
                 say: Callable[[str], None] | None = None):
        self.console = console or Console()
        self.live_mode = self.console.is_terminal if live is None else live
        self._say = say
        self._live: Live | None = None
        self._previous: DeploymentSnapshot | None = None

    def say(self, message: str) -> None:
        if self._say is not None and not self._live:
            self._say(message)
        else:
            self.console.print(message, markup=False, highlight=False)

    def update(self, snapshot: DeploymentSnapshot) -> None:
        if self.live_mode:
            if self._live is None:
                self._live = Live(console=self.console, refresh_per_second=4, transient=False)
                self._live.start()
            self._live.update(snapshot_renderable(snapshot, width=self.console.width), refresh=True)
        else:
            for line in plain_lines(self._previous, snapshot):
                self.say(line)
        self._previous = snapshot

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __enter__(self) -> DeploymentView:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def render_live(snapshots: Iterable[DeploymentSnapshot], console: Console | None = None,
                live: bool | None = None) -> DeploymentSnapshot | None:
    """Draw a stream of snapshots (e.g. from a polling loop); returns the last one."""
    last = None
    with DeploymentView(console or Console(file=sys.stdout), live=live) as view:
        for snapshot in snapshots:
            view.update(snapshot)
            last = snapshot
    return last
