"""A task's CloudWatch logs, as ecs-cli `logs` read them: stream `<prefix>/<container>/<taskId>`.

    for line in log_lines(session, "default", "0f3c...", follow=False):
        print(line.text())
    logs(session, "default", "0f3c...", since_minutes=10, timestamps=True)   # prints them

Every container read must use the awslogs driver with an awslogs-stream-prefix
(without a prefix ECS names the stream after the task alone and it cannot be told
apart); the error says how to fix the compose file.  Unlike ecs-cli, containers
that log to different groups are read too (one FilterLogEvents per group), and
`follow` stops by itself once the task has stopped and its last lines are in.
"""
from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from botocore.exceptions import ClientError

from .errors import OpsError
from .plumbing import Client, Json, Pace, Session, Sleep, name_of, pages

FOLLOW_POLL_SECONDS = 2.0   # ecs-cli polled every 10 s; a demo wants lines sooner


@dataclass(frozen=True)
class LogSource:
    container: str
    group: str
    region: str
    stream: str


@dataclass(frozen=True)
class LogLine:
    container: str
    timestamp: int          # ms since the epoch
    message: str
    event_id: str

    def text(self, timestamps: bool = False, prefix: bool = False) -> str:
        out = self.message
        if prefix:
            out = f"{self.container} | {out}"
        if timestamps:
            at = _dt.datetime.fromtimestamp(self.timestamp / 1000, _dt.timezone.utc)
            out = f"{at.isoformat(timespec='milliseconds').replace('+00:00', 'Z')} {out}"
        return out


def _describe_task(ecs: Client, cluster: str, task_id: str) -> Json | None:
    try:
        tasks = ecs.describe_tasks(cluster=cluster, tasks=[task_id])["tasks"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ClusterNotFoundException":
            raise OpsError(f"cluster {cluster} not found: create it with `fargate-lab up`") from None
        raise
    found: Json | None = tasks[0] if tasks else None
    return found


def log_sources(session: Session, cluster: str, task_id: str, container_name: str | None = None,
                task_definition: str | None = None) -> list[LogSource]:
    """Where each container of the task logs (OpsError when it cannot be read)."""
    ecs = session.client("ecs")
    task_id = name_of(task_id)
    task = _describe_task(ecs, cluster, task_id)
    if task_definition:
        reference = task_definition
    elif task is not None:
        reference = task["taskDefinitionArn"]
    else:
        raise OpsError(f"task {task_id} not found in cluster {cluster} (ECS forgets stopped tasks after about an "
                       "hour): pass --task-def family:revision to read its logs anyway")
    try:
        td = ecs.describe_task_definition(taskDefinition=reference)["taskDefinition"]
    except ClientError:
        raise OpsError(f"task definition {reference} not found") from None
    containers = td.get("containerDefinitions", [])
    if container_name is not None:
        containers = [c for c in containers if c["name"] == container_name]
        if not containers:
            names = ", ".join(c["name"] for c in td.get("containerDefinitions", []))
            raise OpsError(f"--container-name {container_name}: no such container in {td['family']}:{td['revision']} "
                           f"(it has {names})")
    return [_source(c, task_id, session.region_name) for c in containers]


def _source(container: Json, task_id: str, default_region: str) -> LogSource:
    name = container["name"]
    logging = container.get("logConfiguration") or {}
    if logging.get("logDriver") != "awslogs":
        driver = logging.get("logDriver") or "no log driver"
        raise OpsError(f"container {name} uses {driver}, not awslogs, so its logs are not in CloudWatch: add "
                       "logging: {driver: awslogs, options: {awslogs-group, awslogs-region, awslogs-stream-prefix}} "
                       "to the compose service")
    options = logging.get("options") or {}
    if not options.get("awslogs-group"):
        raise OpsError(f"container {name}: the awslogs driver has no awslogs-group option: add one")
    if not options.get("awslogs-stream-prefix"):
        raise OpsError(f"container {name}: the awslogs driver has no awslogs-stream-prefix, so its stream cannot be "
                       "found by task id: add awslogs-stream-prefix to its logging options")
    stream = f"{options['awslogs-stream-prefix']}/{name}/{task_id}"
    return LogSource(name, options["awslogs-group"], options.get("awslogs-region") or default_region, stream)


def _fetch(session: Session, sources: list[LogSource], start_ms: int | None, filter_pattern: str | None) -> list[LogLine]:
    """Every event of the sources' streams from start_ms on, oldest first."""
    lines: list[LogLine] = []
    by_group: dict[tuple[str, str], list[LogSource]] = {}
    for s in sources:
        by_group.setdefault((s.group, s.region), []).append(s)
    for (group, region), group_sources in by_group.items():
        client = session.client("logs", region_name=region)
        container_of = {s.stream: s.container for s in group_sources}
        request: Json = {"logGroupName": group, "logStreamNames": list(container_of)}
        if start_ms is not None:
            request["startTime"] = start_ms
        if filter_pattern:
            request["filterPattern"] = filter_pattern
        try:
            for page in pages(client, "filter_log_events", **request):
                lines.extend(LogLine(container_of.get(e.get("logStreamName"), "?"), e["timestamp"], e["message"],
                                     e.get("eventId", f"{e['timestamp']}-{e['message']}"))
                             for e in page.get("events", []))
        except ClientError as e:
            if e.response["Error"]["Code"] == "ResourceNotFoundException":
                raise OpsError(f"log group {group} does not exist in {region}: deploy with "
                               "--create-log-groups") from None
            raise
    return sorted(lines, key=lambda line: line.timestamp)


def log_lines(session: Session, cluster: str, task_id: str, follow: bool = False, since_minutes: float | None = None,
              filter_pattern: str | None = None, container_name: str | None = None,
              task_definition: str | None = None, sleep: Sleep = time.sleep,
              poll_seconds: float = FOLLOW_POLL_SECONDS) -> Iterator[LogLine]:
    """The task's log lines; with `follow`, keeps polling until the task has stopped."""
    sources = log_sources(session, cluster, task_id, container_name, task_definition)
    start = int((time.time() - since_minutes * 60) * 1000) if since_minutes is not None else None
    seen: set[str] = set()
    ecs = session.client("ecs")
    pace = Pace(sleep=sleep, seconds=poll_seconds)
    while True:
        stopped_before_fetch = follow and _stopped(ecs, cluster, task_id)
        for line in _fetch(session, sources, start, filter_pattern):
            if line.event_id not in seen:
                seen.add(line.event_id)
                yield line
        if not follow or stopped_before_fetch:
            return
        pace.wait()


def _stopped(ecs: Client, cluster: str, task_id: str) -> bool:
    task = _describe_task(ecs, cluster, name_of(task_id))
    return task is None or task.get("lastStatus") == "STOPPED"


def logs(session: Session, cluster: str, task_id: str, follow: bool = False, since_minutes: float | None = None,
         filter_pattern: str | None = None, timestamps: bool = False, container_name: str | None = None,
         task_definition: str | None = None, say: Callable[[str], None] = print,
         sleep: Sleep = time.sleep) -> int:
    """Print the task's logs (ecs-cli `logs`); returns the number of lines printed."""
    several = container_name is None and len({s.container for s in log_sources(
        session, cluster, task_id, container_name, task_definition)}) > 1
    count = 0
    for line in log_lines(session, cluster, task_id, follow, since_minutes, filter_pattern, container_name,
                          task_definition, sleep):
        say(line.text(timestamps=timestamps, prefix=several))
        count += 1
    return count
