"""A compose project as standalone tasks: `compose up|ps|down` (RunTask in the project's group).

Split out of `services.py` (which re-exports it).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from collections.abc import Sequence

from . import dryrun
from .cluster import existing_execution_role
from .deploy_wait import task_failure
from .errors import OpsError
from .log_groups import create_log_groups as create_log_groups_fn   # compose_up's parameter hides the name
from .log_groups import missing_log_groups
from .plumbing import Client, Clock, Json, Pace, Session, Sleep, ecs_tags, name_of
from .project_common import (POLL_SECONDS, Say, _dry_run_note, _reporter, network_configuration, require_cluster,
                             resource_tags)
from .task_definitions import load_project, register_if_changed
from .tasks import TaskRow, describe_tasks, list_task_arns, rows_for_tasks, task_id
from .watch import short_task_definition

TASK_GROUP_PREFIX = "task:"   # RunTask group of a project's standalone tasks (ecs-cli)


@dataclass
class TaskRunResult:
    cluster: str
    project: str
    task_definition: str
    started: list[str] = field(default_factory=list)     # task ids
    stopped: list[str] = field(default_factory=list)
    rows: list[TaskRow] = field(default_factory=list)


# ---------------------------------------------------------------------------------- standalone tasks

def _project_tasks(ecs: Client, cluster: str, family: str, project: str,
                   desired_status: str | None = "RUNNING") -> list[Json]:
    arns = list_task_arns(ecs, cluster, desired_status, family=family)
    return [t for t in describe_tasks(ecs, cluster, arns) if t.get("group") == TASK_GROUP_PREFIX + project]


def compose_up(session: Session, cluster: str, project: str, compose_files: Sequence[str], ecs_params: str | None = None,
               launch_type: str = "FARGATE", create_log_groups: bool = True, force_update: bool = False,
               timeout_minutes: float = 5.0, tags: dict[str, str] | None = None, say: Say = print,
               task_role_arn: str | None = None, sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
               poll_seconds: float = POLL_SECONDS, strict: bool = False) -> TaskRunResult:
    """ecs-cli `compose up`: one standalone task of the project (replaced when the definition changed).

    Waits until the new tasks are RUNNING and fails if one stops on the way (ecs-cli
    exited 0 then); a task whose essential containers all exit 0 is a finished job.  `strict`:
    compose warnings are errors."""
    started_at = clock()
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    spec = load_project(project, compose_files, ecs_params, task_role_arn,
                        execution_role=existing_execution_role(session), strict=strict)
    require_cluster(ecs, cluster)
    network = network_configuration(session, cluster, spec.params)
    missing = missing_log_groups(session, spec.task_definition)
    if missing and not create_log_groups:
        raise OpsError(f"log group {missing[0][0]} does not exist, so the task could not start: "
                       "drop --no-create-log-groups")
    owned = resource_tags(cluster, spec.name, tags)
    running = _project_tasks(ecs, cluster, spec.name, spec.name)
    candidates = [running[0]["taskDefinitionArn"]] if running else []
    td, registered = register_if_changed(ecs, spec.task_definition, owned, candidates)
    revision = short_task_definition(td["taskDefinitionArn"])
    say(f"{'Registered task definition' if registered else 'Task definition unchanged:'} {revision}")
    if create_log_groups:
        create_log_groups_fn(session, spec.task_definition, owned, say)
    result = TaskRunResult(cluster, spec.name, revision)

    if running and not force_update and all(t["taskDefinitionArn"] == td["taskDefinitionArn"] for t in running):
        say(f"{len(running)} task(s) of {revision} already running; nothing to do (--force-update replaces them)")
        result.rows = rows_for_tasks(ecs, session.client("ec2"), cluster, running)
        return result
    count = max(1, len(running))
    if running:
        result.stopped = _stop_tasks(ecs, cluster, running, f"replaced by {revision} (fargate-lab compose up)")
        say(f"Stopped {len(result.stopped)} task(s) of the previous definition")
    request: Json = {"cluster": cluster, "taskDefinition": td["taskDefinitionArn"], "count": count,
                     "group": TASK_GROUP_PREFIX + spec.name, "networkConfiguration": network,
                     "tags": ecs_tags(owned), "enableECSManagedTags": True}
    if launch_type:
        request["launchType"] = launch_type
    response = ecs.run_task(**request)
    if response.get("failures"):
        failure = response["failures"][0]
        raise OpsError(f"RunTask failed: {failure.get('reason')} {failure.get('detail', '')}".strip())
    arns = [t["taskArn"] for t in response["tasks"]]
    result.started = [name_of(a) for a in arns]
    say(f"Started {len(arns)} task(s): {', '.join(result.started)}")
    if timeout_minutes > 0 and arns and not dryrun.is_active(session):
        tasks = _wait_for_tasks_running(ecs, cluster, arns, started_at + timeout_minutes * 60.0, say,
                                        Pace(sleep, clock, poll_seconds))
        result.rows = rows_for_tasks(ecs, session.client("ec2"), cluster, tasks)
    _dry_run_note(session, outer_say)
    return result


def _stop_tasks(ecs: Client, cluster: str, tasks: list[Json], reason: str) -> list[str]:
    for t in tasks:
        ecs.stop_task(cluster=cluster, task=t["taskArn"], reason=reason)
    return [task_id(t) for t in tasks]


def _wait_for_tasks_running(ecs: Client, cluster: str, arns: list[str], deadline: float, say: Say,
                            pace: Pace) -> list[Json]:
    reported: dict[str, str] = {}
    while True:
        tasks = describe_tasks(ecs, cluster, arns)
        for t in tasks:
            if reported.get(task_id(t)) != t["lastStatus"]:
                reported[task_id(t)] = t["lastStatus"]
                say(f"Task {task_id(t)}: {t['lastStatus']}")
        stopped = [t for t in tasks if t["lastStatus"] == "STOPPED" or t.get("desiredStatus") == "STOPPED"]
        failed = [t for t in stopped if not _finished_cleanly(t)]
        if failed:
            raise OpsError(f"task {task_id(failed[0])} stopped: {task_failure(failed[0])}"
                           + (f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""))
        if all(t["lastStatus"] == "RUNNING" or _finished_cleanly(t) for t in tasks) and \
                all(t["lastStatus"] in ("RUNNING", "STOPPED") for t in tasks):
            return tasks
        if pace.past(deadline):
            states = ", ".join(f"{task_id(t)} {t['lastStatus']}" for t in tasks)
            raise OpsError(f"tasks not RUNNING in time ({states}); they go on starting in the background")
        pace.wait()


def _finished_cleanly(task: Json) -> bool:
    """A job that ran to the end: every essential container exited 0."""
    if task.get("lastStatus") != "STOPPED" or task.get("stopCode") != "EssentialContainerExited":
        return False
    return all(c.get("exitCode") == 0 for c in task.get("containers", []))


def compose_ps(session: Session, cluster: str, project: str, desired_status: str | None = None) -> list[TaskRow]:
    ecs = session.client("ecs")
    require_cluster(ecs, cluster)
    tasks = _project_tasks(ecs, cluster, project, project, desired_status)
    return rows_for_tasks(ecs, session.client("ec2"), cluster, tasks)


def compose_down(session: Session, cluster: str, project: str, timeout_minutes: float = 5.0, say: Say = print,
                 sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
                 poll_seconds: float = POLL_SECONDS) -> list[str]:
    """ecs-cli `compose down` (= stop): StopTask every running task of the project, wait for STOPPED."""
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    require_cluster(ecs, cluster)
    running = _project_tasks(ecs, cluster, project, project)
    if not running:
        say(f"No running tasks of project {project}")
        return []
    stopped = _stop_tasks(ecs, cluster, running, "fargate-lab compose down")
    say(f"Stopping {len(stopped)} task(s): {', '.join(stopped)}")
    pace = Pace(sleep, clock, poll_seconds)
    deadline = pace.deadline(timeout_minutes)
    arns = [t["taskArn"] for t in running]
    while timeout_minutes > 0 and not dryrun.is_active(session):
        left = [t for t in describe_tasks(ecs, cluster, arns) if t["lastStatus"] != "STOPPED"]
        if not left:
            say(f"Stopped {len(stopped)} task(s)")
            break
        if pace.past(deadline):
            raise OpsError(f"{len(left)} task(s) still stopping; ECS finishes in the background")
        pace.wait()
    _dry_run_note(session, outer_say)
    return stopped
