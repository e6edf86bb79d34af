"""`service continue` and `service rollback`: acting on a service's deployment in progress, which
ecs-cli never could (service deployments came in 2024, PAUSE hooks in May 2026: docs/ecs-2026.md §1.2, §1.4).

    service_continue(session, "default", "web")   # the hook AWAITING_ACTION: ContinueServiceDeployment(CONTINUE)
    service_rollback(session, "default", "web")   # ContinueServiceDeployment(ROLLBACK) when a hook waits,
                                                  # else StopServiceDeployment(stopType=ROLLBACK)

Both find the service's IN_PROGRESS service deployment (ListServiceDeployments), act, and then follow
it until ECS ends it (SUCCESSFUL, ROLLBACK_SUCCESSFUL...), showing the deployment view meanwhile;
`timeout_minutes` 0 returns at once.
"""
from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, replace

from . import dryrun
from .errors import OpsError
from .plumbing import Client, Clock, Json, Pace, Session, Sleep, name_of
from .project_common import POLL_SECONDS, OnUpdate, Say, _reporter, require_cluster
from .service_reader import describe_service
from .traffic_watch import TERMINAL, Now, TrafficReader, awaiting_hook, cloud_now
from .watch import ServiceWatcher

IN_PROGRESS = "IN_PROGRESS"


@dataclass(frozen=True)
class DeploymentAction:
    """What `service continue` or `service rollback` did, and how the service deployment ended."""
    service: str
    service_deployment_arn: str
    call: str                  # ContinueServiceDeployment | StopServiceDeployment
    action: str                # CONTINUE | ROLLBACK
    hook_id: str | None        # the hook continued (None for StopServiceDeployment)
    outcome: str               # the service deployment's status at the end; NOT_WAITED when not followed
    reason: str = ""           # its statusReason


def _newest(briefs: list[Json]) -> Json | None:
    epoch = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)
    return max(briefs, key=lambda b: b.get("createdAt") or epoch, default=None)


def deployment_in_progress(ecs: Client, cluster: str, service: str, verb: str) -> Json:
    """The service's IN_PROGRESS service deployment, described; a one-line OpsError when there is none."""
    require_cluster(ecs, cluster)
    if (describe_service(ecs, cluster, service) or {}).get("status") != "ACTIVE":
        raise OpsError(f"service {service} not found in cluster {cluster}: nothing to {verb}")
    running = ecs.list_service_deployments(cluster=cluster, service=service, status=[IN_PROGRESS])["serviceDeployments"]
    chosen = _newest(running)
    if chosen is None:
        latest = _newest(ecs.list_service_deployments(cluster=cluster, service=service, maxResults=5)["serviceDeployments"])
        said = f" (its latest, {name_of(latest['serviceDeploymentArn'])}, is {latest['status']})" if latest else ""
        raise OpsError(f"service {service} has no deployment in progress{said}: nothing to {verb}")
    found: list[Json] = ecs.describe_service_deployments(
        serviceDeploymentArns=[chosen["serviceDeploymentArn"]])["serviceDeployments"]
    if not found:
        raise OpsError(f"service deployment {name_of(chosen['serviceDeploymentArn'])} of service {service} "
                       f"could not be described: nothing to {verb}")
    return found[0]


def service_continue(session: Session, cluster: str, project: str, timeout_minutes: float = 5.0,
                     say: Say = print, on_update: OnUpdate | None = None, sleep: Sleep = time.sleep,
                     clock: Clock = time.monotonic, poll_seconds: float = POLL_SECONDS,
                     now: Now = cloud_now) -> DeploymentAction:
    """The paused deployment goes on: ContinueServiceDeployment(action=CONTINUE) for the hook that waits."""
    ecs = session.client("ecs")
    deployment = deployment_in_progress(ecs, cluster, project, "continue")
    hook = awaiting_hook(deployment)
    short = name_of(deployment["serviceDeploymentArn"])
    if hook is None:
        stage = deployment.get("lifecycleStage")
        raise OpsError(f"deployment {short} of service {project} is not paused (no lifecycle hook is "
                       f"AWAITING_ACTION{', stage ' + stage if stage else ''}): nothing to continue; "
                       "it goes on by itself")
    ecs.continue_service_deployment(serviceDeploymentArn=deployment["serviceDeploymentArn"], hookId=hook["hookId"],
                                    action="CONTINUE")
    _reporter(session, say)(f"Deployment {short} of service {project} goes on (hook {hook['hookId']} continued)")
    action = DeploymentAction(project, deployment["serviceDeploymentArn"], "ContinueServiceDeployment", "CONTINUE",
                              hook["hookId"], "NOT_WAITED")
    return _follow(session, cluster, action, "SUCCESSFUL", timeout_minutes, say, on_update,
                   Pace(sleep, clock, poll_seconds), now)


def service_rollback(session: Session, cluster: str, project: str, timeout_minutes: float = 5.0,
                     say: Say = print, on_update: OnUpdate | None = None, sleep: Sleep = time.sleep,
                     clock: Clock = time.monotonic, poll_seconds: float = POLL_SECONDS,
                     now: Now = cloud_now) -> DeploymentAction:
    """Back to the last successful revision: ContinueServiceDeployment(action=ROLLBACK) when a hook waits,
    otherwise StopServiceDeployment(stopType=ROLLBACK)."""
    ecs = session.client("ecs")
    deployment = deployment_in_progress(ecs, cluster, project, "roll back")
    arn, short = deployment["serviceDeploymentArn"], name_of(deployment["serviceDeploymentArn"])
    hook = awaiting_hook(deployment)
    if hook is not None:
        ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"], action="ROLLBACK")
        action = DeploymentAction(project, arn, "ContinueServiceDeployment", "ROLLBACK", hook["hookId"], "NOT_WAITED")
    else:
        ecs.stop_service_deployment(serviceDeploymentArn=arn, stopType="ROLLBACK")
        action = DeploymentAction(project, arn, "StopServiceDeployment", "ROLLBACK", None, "NOT_WAITED")
    _reporter(session, say)(f"Rolling back deployment {short} of service {project}: ECS returns to the last "
                            "successful revision")
    return _follow(session, cluster, action, "ROLLBACK_SUCCESSFUL", timeout_minutes, say, on_update,
                   Pace(sleep, clock, poll_seconds), now)


def _follow(session: Session, cluster: str, action: DeploymentAction, wanted: str, timeout_minutes: float,
            say: Say, on_update: OnUpdate | None, pace: Pace, now: Now) -> DeploymentAction:
    """Poll until ECS ends the service deployment; OpsError unless it ends `wanted`."""
    if timeout_minutes <= 0 or dryrun.is_active(session):
        if dryrun.is_active(session):
            say("Dry run: nothing was changed.")
        return action
    ecs = session.client("ecs")
    watcher = ServiceWatcher.starting_now(ecs, cluster, action.service, clock=pace.clock,
                                          traffic=TrafficReader(ecs, session.client("elbv2"),
                                                                session.client("cloudwatch"), now))
    deadline = pace.deadline(timeout_minutes)
    short = name_of(action.service_deployment_arn)
    while True:
        if on_update is not None:
            on_update(watcher.poll())
        found = ecs.describe_service_deployments(serviceDeploymentArns=[action.service_deployment_arn])
        deployment: Json = (found["serviceDeployments"] or [{}])[0]
        status, reason = deployment.get("status", "MISSING"), deployment.get("statusReason", "")
        hook = awaiting_hook(deployment)
        if status in TERMINAL or status == "MISSING":
            break
        if hook is not None and hook.get("hookId") != action.hook_id:
            say(f"Deployment {short} is paused again (hook {hook.get('hookId')}): run `fargate-lab compose service "
                "continue` or `fargate-lab compose service rollback`")
            return replace(action, outcome="PAUSED")
        if pace.past(deadline):
            raise OpsError(f"deployment {short} of service {action.service} is still {status} after "
                           f"{timeout_minutes:g} minutes; it goes on in the background: watch it with "
                           "`fargate-lab compose service ps`, or raise --timeout")
        pace.wait()
    ended = replace(action, outcome=status, reason=reason)
    text = f"service deployment {status}" + (f": {reason}" if reason else "")
    if status != wanted:
        raise OpsError(f"deployment {short} of service {action.service} ended {text.removeprefix('service deployment ')}"
                       f" (asked to {action.action.lower()})")
    say(f"Deployment {short}: {text}")
    return ended
