"""A compose project as an ECS service: `service up|create|start|stop|scale|ps|rm`, the deployment
configuration the flags make, and removing the services that have a load balancer of ours.

Split out of `services.py` (which re-exports it).
"""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from . import cluster as cluster_ops
from . import dryrun
from . import tags as project_tags
from .deploy_wait import _plain_updates, wait_for_deployment
from .deployment_strategy import apply_strategy, check_strategy_load_balancer, moves_traffic
from .errors import OpsError
from .load_balancers import LoadBalancer, check_load_balancer_flags, delete_load_balancer, ensure_load_balancer
from .log_groups import create_log_groups as create_log_groups_fn   # service_up's parameter hides the name
from .log_groups import missing_log_groups
from .plumbing import (DESCRIBE_LIMITS, Client, Clock, Json, Pace, Session, Sleep, batches, cloud_sleep, ecs_tags,
                       pages)
from .project_common import (POLL_SECONDS, PROJECT_TAG, OnUpdate, Say, _dry_run_note, _first_deployment, _reporter,
                             _same_network, network_configuration, require_cluster, resource_tags)
from .service_options import CreateKeywords, ServiceOptions, UpKeywords, check_deployment_flags, merged
from .task_definitions import Project, load_project, register_if_changed
from .tasks import TaskRow, describe_tasks, list_task_arns, rows_for_tasks
from .traffic_watch import Now, TrafficReader, cloud_now, verdict
from .watch import DeploymentSnapshot, ServiceWatcher, describe_service, short_task_definition

if TYPE_CHECKING:   # only mypy reads it (typing.Unpack is 3.11+; typing_extensions is no dependency of ours)
    from typing_extensions import Unpack

__all__ = ["DeployResult", "check_deployment_flags", "delete_cluster_load_balancers", "deployment_configuration",
           "service_create", "service_ps", "service_rm", "service_scale", "service_start", "service_stop",
           "service_up"]

@dataclass
class DeployResult:
    cluster: str
    service: str
    service_arn: str
    task_definition: str            # family:revision
    task_definition_arn: str
    registered: bool                # a new revision was registered
    created: bool                   # the service was created (not updated)
    deployment_id: str | None       # the deployment waited for
    outcome: str                    # COMPLETED | NOT_WAITED | UNCHANGED
    desired_count: int
    load_balancer_dns: str | None = None
    target_group_arn: str | None = None
    snapshot: DeploymentSnapshot | None = None


# ---------------------------------------------------------------------------------- deployment config

def deployment_configuration(current: Json | None, max_percent: int | None, min_healthy_percent: int | None,
                             circuit_breaker: bool, rollback: bool) -> Json:
    """The service's deploymentConfiguration with the flags applied (unspecified values kept)."""
    config: Json = json.loads(json.dumps(current or {}))   # a copy: settings the flags do not name are kept
    if max_percent is not None:
        config["maximumPercent"] = max_percent
    if min_healthy_percent is not None:
        config["minimumHealthyPercent"] = min_healthy_percent
    config["deploymentCircuitBreaker"] = {"enable": bool(circuit_breaker),
                                          "rollback": bool(circuit_breaker and rollback)}
    return config


# ---------------------------------------------------------------------------------- service up

def service_up(session: Session, cluster: str, project: str | None, compose_files: Sequence[str],
               ecs_params: str | None = None, *, options: ServiceOptions | None = None, say: Say = print,
               on_update: OnUpdate | None = None, sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
               poll_seconds: float = POLL_SECONDS, now: Now = cloud_now,
               **keywords: Unpack[UpKeywords]) -> DeployResult:
    """Create or update the project's service and wait for its deployment (see the module docstring).

    `options` are the flags (ServiceOptions: the defaults are the CLI's). `project` None: the compose
    files name it. The keyword arguments of before (desired=, max_percent=, ...) still work: each
    replaces one field of `options`. `now`: the cloud's clock, for a traffic strategy's bake countdown
    and load-balancer rates (`cloud.now` in process on the virtual clock; the wall clock otherwise)."""
    options = merged("service_up", UpKeywords.__optional_keys__, options, keywords)
    started = clock()
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    spec, lb_target, network = _checked_project(session, ecs, cluster, project, compose_files, ecs_params, options)
    existing = _active_service(ecs, cluster, spec.name)
    check_strategy_load_balancer(options, spec.name, existing)
    if options.create_load_balancer and existing is None:
        cluster_ops.network_for(session, cluster)   # the load balancer goes in up's VPC: fail now if there is none
    missing = missing_log_groups(session, spec.task_definition)
    if missing and not options.create_log_groups:
        raise OpsError(f"log group {missing[0][0]} does not exist, so the tasks could not start: drop "
                       "--no-create-log-groups (or add awslogs-create-group: \"true\" to the logging options)")
    owned = resource_tags(cluster, spec.name, options.tags)

    candidates = [existing["taskDefinition"]] if existing else []
    td, registered = register_if_changed(ecs, spec.task_definition, owned, candidates)
    revision = short_task_definition(td["taskDefinitionArn"])
    say(f"{'Registered task definition' if registered else 'Task definition unchanged:'} {revision}")
    if options.create_log_groups:
        create_log_groups_fn(session, spec.task_definition, owned, say)

    lb = None
    if existing is None and lb_target is not None:
        lb = _service_load_balancer(session, cluster, spec.name, options, lb_target, owned, say)
    elif existing is not None and lb_target is not None and _switches_to_traffic(existing, options):
        # ROLLING -> a traffic strategy: the second target group, the rules and the role are made now and
        # UpdateService gives the service its advancedConfiguration
        lb = _service_load_balancer(session, cluster, spec.name, options, lb_target, owned, say)
        if lb.target_group_arn != existing["loadBalancers"][0]["targetGroupArn"]:
            raise OpsError(f"service {spec.name} is behind target group {existing['loadBalancers'][0]['targetGroupArn']}, "
                           "not the one --create-load-balancer makes: give the service its advancedConfiguration "
                           "yourself, or `service rm` and start again")
    elif existing is not None and lb_target is not None:
        say("Load balancer settings apply when a service is created; the existing service keeps its own "
            "(`service rm`, then `service up`, to change them).")

    watcher = ServiceWatcher.starting_now(ecs, cluster, spec.name, clock=clock, traffic=traffic_reader(session, now))
    if existing is None:
        service, deployment_id = _create_service(ecs, cluster, spec.name, td, options.desired_count, network,
                                                 options, lb, owned)
        say(f"Created service {spec.name} with {service['desiredCount']} task(s) of {revision}")
        outcome_if_waited = "COMPLETED"
    else:
        service, deployment_id, changed = _update_service(ecs, existing, td, network, options, say, lb)
        outcome_if_waited = "COMPLETED" if changed else "UNCHANGED"

    result = DeployResult(cluster=cluster, service=spec.name, service_arn=service["serviceArn"],
                          task_definition=revision, task_definition_arn=td["taskDefinitionArn"], registered=registered,
                          created=existing is None, deployment_id=deployment_id, outcome="NOT_WAITED",
                          desired_count=service["desiredCount"],
                          load_balancer_dns=lb.dns_name if lb and lb.dns_name else None,
                          target_group_arn=lb.target_group_arn if lb else None)
    if options.timeout_minutes <= 0 or dryrun.is_active(session) or deployment_id is None:
        _dry_run_note(session, outer_say)
        return result   # nothing to wait for (a dry run changed nothing)
    breaker = bool(service.get("deploymentConfiguration", {}).get("deploymentCircuitBreaker", {}).get("enable"))
    snapshot = wait_for_deployment(ecs, cluster, spec.name, deployment_id, watcher, breaker=breaker,
                                   rollback=options.rollback, on_update=on_update or _plain_updates(say),
                                   sleep=sleep, clock=clock, poll_seconds=poll_seconds,
                                   deadline=started + options.timeout_minutes * 60.0)
    result.outcome, result.snapshot = outcome_if_waited, snapshot
    say(f"Deployment {deployment_id} completed: {snapshot.running} task(s) of {revision} running"
        + (f"; http://{lb.dns_name}:{lb.container_port}/" if lb else ""))
    final = watcher.traffic.read(describe_service(ecs, cluster, spec.name)) if watcher.traffic else None
    if final is not None:
        say(verdict(final))
    return result


def traffic_reader(session: Session, now: Now = cloud_now) -> TrafficReader:
    """What the deployment view reads of a traffic strategy (nothing more for a rolling service)."""
    return TrafficReader(session.client("ecs"), session.client("elbv2"), session.client("cloudwatch"), now)


def _checked_project(session: Session, ecs: Client, cluster: str, project: str | None,
                     compose_files: Sequence[str], ecs_params: str | None,
                     options: ServiceOptions) -> tuple[Project, tuple[str, int] | None, Json]:
    """The project translated and every flag checked, before the first call that creates something:
    (project, the load balancer's (container, port) or None, the awsvpc network).

    The flags alone were checked when `options` was made; here, what they say of the task definition."""
    # load_project takes "" as None: the compose files name the project
    spec = load_project(project or "", compose_files, ecs_params, options.task_role_arn,
                        execution_role=cluster_ops.existing_execution_role(session), strict=options.strict)
    lb_target = check_load_balancer_flags(spec.task_definition, options.target_group_arn, options.container_name,
                                          options.container_port, options.create_load_balancer)
    require_cluster(ecs, cluster)
    return spec, lb_target, network_configuration(session, cluster, spec.params)


def _active_service(ecs: Client, cluster: str, name: str) -> Json | None:
    found = describe_service(ecs, cluster, name)
    return found if found and found.get("status") == "ACTIVE" else None


def _service_load_balancer(session: Session, cluster: str, project: str, options: ServiceOptions,
                           lb_target: tuple[str, int], tags: dict[str, str], say: Say) -> LoadBalancer:
    container, port = lb_target
    if options.target_group_arn:
        return LoadBalancer("", "", options.target_group_arn, container, port)
    return ensure_load_balancer(session, cluster, project, container, port, tags, options.deregistration_delay, say,
                                traffic=moves_traffic(options.deployment_strategy))


def _create_service(ecs: Client, cluster: str, name: str, td: Json, desired: int | None, network: Json,
                    options: ServiceOptions, lb: LoadBalancer | None, tags: dict[str, str]) -> tuple[Json, str | None]:
    config = apply_strategy(deployment_configuration(None, options.max_percent, options.min_healthy_percent,
                                                     options.circuit_breaker, options.rollback), options)
    request: Json = {"cluster": cluster, "serviceName": name, "taskDefinition": td["taskDefinitionArn"],
                     "desiredCount": 1 if desired is None else desired, "networkConfiguration": network,
                     "deploymentConfiguration": config, "tags": ecs_tags(tags), "propagateTags": "SERVICE",
                     "enableECSManagedTags": True}
    if options.launch_type:
        request["launchType"] = options.launch_type
    if lb is not None:
        request["loadBalancers"] = [{"targetGroupArn": lb.target_group_arn, "containerName": lb.container_name,
                                     "containerPort": lb.container_port}]
        advanced = lb.advanced_configuration()
        if advanced is not None:
            request["loadBalancers"][0]["advancedConfiguration"] = advanced
    service: Json = _create_with_new_role(ecs, request, fresh_role=bool(lb and lb.role_arn))["service"]
    return service, _first_deployment(service)


ROLE_RETRIES = 12          # IAM is eventually consistent: ECS may not see a role made a moment ago
ROLE_RETRY_SECONDS = 5.0


def _create_with_new_role(ecs: Client, request: Json, fresh_role: bool) -> Json:
    """CreateService; with a role made just now, retried while ECS cannot assume it yet (on AWS, seconds)."""
    for attempt in range(ROLE_RETRIES):
        try:
            created: Json = ecs.create_service(**request)
            return created
        except ClientError as e:
            message = e.response["Error"].get("Message", "").lower()
            if not (fresh_role and e.response["Error"]["Code"] == "InvalidParameterException"
                    and "role" in message and attempt < ROLE_RETRIES - 1):
                raise
            cloud_sleep(ROLE_RETRY_SECONDS)
    raise AssertionError("unreachable")


def _switches_to_traffic(existing: Json, options: ServiceOptions) -> bool:
    """`service up --deployment-strategy blue-green|canary|linear --create-load-balancer` on a load-balanced
    service that has no advancedConfiguration yet."""
    return bool(options.create_load_balancer and moves_traffic(options.deployment_strategy)
                and existing.get("loadBalancers")
                and not any(lb.get("advancedConfiguration") for lb in existing["loadBalancers"]))


def _update_service(ecs: Client, existing: Json, td: Json, network: Json, options: ServiceOptions,
                    say: Say, lb: LoadBalancer | None = None) -> tuple[Json, str | None, bool]:
    """UpdateService with only what differs; (service, deployment to follow, whether a deployment started).
    `lb`: the load balancer's traffic parts, made for a switch to a traffic strategy."""
    desired = options.desired_count
    config = apply_strategy(deployment_configuration(existing.get("deploymentConfiguration"), options.max_percent,
                                                     options.min_healthy_percent, options.circuit_breaker,
                                                     options.rollback), options)
    request: Json = {"cluster": existing["clusterArn"], "service": existing["serviceName"]}
    new_revision = existing["taskDefinition"] != td["taskDefinitionArn"]
    if new_revision:
        request["taskDefinition"] = td["taskDefinitionArn"]
    if options.force_deployment:
        request["forceNewDeployment"] = True
    if desired is not None and desired != existing["desiredCount"]:
        request["desiredCount"] = desired
    elif desired is None and existing["desiredCount"] == 0:
        request["desiredCount"] = 1   # ecs-cli: `service up` on a stopped service starts one task
    if config != existing.get("deploymentConfiguration"):
        request["deploymentConfiguration"] = config
    if not _same_network(existing.get("networkConfiguration"), network):
        request["networkConfiguration"] = network
    advanced = lb.advanced_configuration() if lb is not None else None
    if advanced is not None and lb is not None:
        request["loadBalancers"] = [{"targetGroupArn": lb.target_group_arn, "containerName": lb.container_name,
                                     "containerPort": lb.container_port, "advancedConfiguration": advanced}]
        say(f"Service {existing['serviceName']} moves to {options.deployment_strategy}: ECS shifts traffic between "
            f"its two target groups from now on")
    starts_deployment = bool({"taskDefinition", "forceNewDeployment", "deploymentConfiguration",
                              "networkConfiguration", "loadBalancers"} & request.keys())
    if len(request) == 2:
        say(f"Service {existing['serviceName']} is up to date ({short_task_definition(td['taskDefinitionArn'])}, "
            f"{existing['desiredCount']} task(s)); nothing to deploy")
        return existing, _first_deployment(existing), False
    service: Json = ecs.update_service(**request)["service"]
    if new_revision:
        say(f"Updated service {existing['serviceName']} to {short_task_definition(td['taskDefinitionArn'])}: "
            "new tasks start, then the old ones are stopped")
    elif options.force_deployment:
        say(f"Forced a new deployment of service {existing['serviceName']}")
    elif starts_deployment:
        say(f"Updated service {existing['serviceName']}'s deployment settings: ECS starts a new deployment")
    if "desiredCount" in request:
        say(f"Desired count {existing['desiredCount']} -> {request['desiredCount']}")
    return service, _first_deployment(service), True


# ---------------------------------------------------------------------------------- other service verbs

def service_create(session: Session, cluster: str, project: str | None, compose_files: Sequence[str],
                   ecs_params: str | None = None, *, options: ServiceOptions | None = None, say: Say = print,
                   **keywords: Unpack[CreateKeywords]) -> DeployResult:
    """ecs-cli `compose service create`: the service with desiredCount 0 (start it with `service start`).

    `options` as for `service_up`, but for what only `service up` does: a desired count is refused
    (the service starts with 0 tasks), a forced deployment and the timeout mean nothing here."""
    options = merged("service_create", CreateKeywords.__optional_keys__, options, keywords)
    if options.desired_count is not None:
        raise OpsError(f"desired count {options.desired_count}: `service create` makes the service with 0 tasks; "
                       "`service up` (or `service start`) runs them")
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    spec, lb_target, network = _checked_project(session, ecs, cluster, project, compose_files, ecs_params, options)
    if _active_service(ecs, cluster, spec.name):
        raise OpsError(f"service {spec.name} already exists: use `service up` to update it")
    check_strategy_load_balancer(options, spec.name, None)
    missing = missing_log_groups(session, spec.task_definition)
    if missing and not options.create_log_groups:
        raise OpsError(f"log group {missing[0][0]} does not exist: drop --no-create-log-groups")
    owned = resource_tags(cluster, spec.name, options.tags)
    td, registered = register_if_changed(ecs, spec.task_definition, owned)
    if options.create_log_groups:
        create_log_groups_fn(session, spec.task_definition, owned, say)
    lb = None
    if lb_target is not None:
        lb = _service_load_balancer(session, cluster, spec.name, options, lb_target, owned, say)
    service, deployment_id = _create_service(ecs, cluster, spec.name, td, 0, network, options, lb, owned)
    revision = short_task_definition(td["taskDefinitionArn"])
    say(f"Created service {spec.name} ({revision}) with 0 tasks; start it with `fargate-lab compose service start`")
    _dry_run_note(session, outer_say)
    return DeployResult(cluster, spec.name, service["serviceArn"], revision, td["taskDefinitionArn"], registered, True,
                        deployment_id, "NOT_WAITED", 0, lb.dns_name if lb and lb.dns_name else None,
                        lb.target_group_arn if lb else None)


def _existing_service(ecs: Client, cluster: str, project: str) -> Json:
    require_cluster(ecs, cluster)
    service = _active_service(ecs, cluster, project)
    if service is None:
        raise OpsError(f"service {project} not found in cluster {cluster}: create it with "
                       "`fargate-lab compose service up`")
    return service


def _set_desired(session: Session, cluster: str, project: str, count: int | None, force: bool,
                 timeout_minutes: float, say: Say, on_update: OnUpdate | None, sleep: Sleep, clock: Clock,
                 poll_seconds: float,
                 max_percent: int | None = None, min_healthy_percent: int | None = None) -> DeploymentSnapshot | None:
    started = clock()
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    check_deployment_flags(count, max_percent, min_healthy_percent)
    service = _existing_service(ecs, cluster, project)
    request: Json = {"cluster": cluster, "service": project}
    if count is not None and count != service["desiredCount"]:
        request["desiredCount"] = count
    if force:
        request["forceNewDeployment"] = True
    if max_percent is not None or min_healthy_percent is not None:
        current = service.get("deploymentConfiguration") or {}
        current_breaker = current.get("deploymentCircuitBreaker") or {}
        config = deployment_configuration(current, max_percent, min_healthy_percent,
                                          current_breaker.get("enable", False), current_breaker.get("rollback", False))
        if config != current:
            request["deploymentConfiguration"] = config
    watcher = ServiceWatcher.starting_now(ecs, cluster, project, clock=clock)
    if len(request) > 2:
        service = ecs.update_service(**request)["service"]
        if "desiredCount" in request:
            say(f"Service {project}: desired count {request['desiredCount']}")
    else:
        say(f"Service {project} already has desired count {service['desiredCount']}")
    deployment_id = _first_deployment(service)
    if timeout_minutes <= 0 or dryrun.is_active(session) or deployment_id is None:
        _dry_run_note(session, outer_say)
        return None
    breaker = service.get("deploymentConfiguration", {}).get("deploymentCircuitBreaker", {})
    snapshot = wait_for_deployment(ecs, cluster, project, deployment_id, watcher,
                                   breaker=bool(breaker.get("enable")), rollback=bool(breaker.get("rollback")),
                                   on_update=on_update or _plain_updates(say), sleep=sleep, clock=clock,
                                   poll_seconds=poll_seconds, deadline=started + timeout_minutes * 60.0)
    say(f"Service {project} is steady: {snapshot.running} task(s) running")
    return snapshot


def service_start(session: Session, cluster: str, project: str, force_deployment: bool = False,
                  timeout_minutes: float = 5.0, say: Say = print, on_update: OnUpdate | None = None,
                  sleep: Sleep = time.sleep, clock: Clock = time.monotonic, poll_seconds: float = POLL_SECONDS) -> DeploymentSnapshot | None:
    """ecs-cli `compose service start`: desired 0 -> 1; otherwise nothing (or a forced deployment)."""
    service = _existing_service(session.client("ecs"), cluster, project)
    count = 1 if service["desiredCount"] == 0 else None
    return _set_desired(session, cluster, project, count, force_deployment, timeout_minutes, say, on_update,
                        sleep, clock, poll_seconds)


def service_stop(session: Session, cluster: str, project: str, timeout_minutes: float = 5.0, say: Say = print,
                 on_update: OnUpdate | None = None, sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
                 poll_seconds: float = POLL_SECONDS) -> DeploymentSnapshot | None:
    """ecs-cli `compose service stop`: desired count 0 (the service stays, with no tasks)."""
    return _set_desired(session, cluster, project, 0, False, timeout_minutes, say, on_update, sleep, clock,
                        poll_seconds)


def service_scale(session: Session, cluster: str, project: str, count: int, max_percent: int | None = None,
                  min_healthy_percent: int | None = None, timeout_minutes: float = 5.0, say: Say = print,
                  on_update: OnUpdate | None = None, sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
                  poll_seconds: float = POLL_SECONDS) -> DeploymentSnapshot | None:
    """ecs-cli `compose service scale N` (tasks, not instances)."""
    return _set_desired(session, cluster, project, count, False, timeout_minutes, say, on_update, sleep, clock,
                        poll_seconds, max_percent, min_healthy_percent)


def service_ps(session: Session, cluster: str, project: str, desired_status: str | None = None) -> list[TaskRow]:
    ecs = session.client("ecs")
    require_cluster(ecs, cluster)
    if describe_service(ecs, cluster, project) is None:
        raise OpsError(f"service {project} not found in cluster {cluster}: create it with "
                       "`fargate-lab compose service up` (or pass --project-name)")
    arns = list_task_arns(ecs, cluster, desired_status, serviceName=project)
    return rows_for_tasks(ecs, session.client("ec2"), cluster, describe_tasks(ecs, cluster, arns))


def service_rm(session: Session, cluster: str, project: str, timeout_minutes: float = 15.0, say: Say = print,
               sleep: Sleep = time.sleep, clock: Clock = time.monotonic, poll_seconds: float = POLL_SECONDS) -> bool:
    """ecs-cli `compose service rm`: DeleteService(force) and wait until its tasks are gone; False if none."""
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    require_cluster(ecs, cluster)
    if _active_service(ecs, cluster, project) is None:
        say(f"Service {project} does not exist in cluster {cluster}; nothing to remove")
        delete_load_balancer(session, cluster, project, say)
        return False
    ecs.delete_service(cluster=cluster, service=project, force=True)
    say(f"Deleting service {project}: its tasks are stopping")
    pace = Pace(sleep, clock, poll_seconds)
    deadline = pace.deadline(timeout_minutes)
    while timeout_minutes > 0 and not dryrun.is_active(session):
        found = describe_service(ecs, cluster, project)
        if found is None or found["status"] == "INACTIVE":
            say(f"Deleted service {project}")
            break
        if pace.past(deadline):
            raise OpsError(f"service {project} is still {found['status']} ({found['runningCount']} tasks running); "
                           "ECS goes on deleting it in the background")
        pace.wait()
    delete_load_balancer(session, cluster, project, say)
    _dry_run_note(session, outer_say)
    return True


def delete_cluster_load_balancers(session: Session, cluster: str, timeout_minutes: float = 10.0, say: Say = print,
                                  sleep: Sleep = time.sleep, clock: Clock = time.monotonic,
                                  poll_seconds: float = POLL_SECONDS) -> list[str]:
    """Before `down`: remove each service that has a load balancer we made, then the load balancer.

    `down` deletes services and the network but knows nothing of load balancers, and an
    ALB left in the subnets would keep the VPC from being deleted on AWS."""
    elbv2 = session.client("elbv2")
    projects: list[str] = []
    for page in pages(elbv2, "describe_load_balancers"):
        arns = [lb["LoadBalancerArn"] for lb in page["LoadBalancers"]]
        for batch in batches(arns, DESCRIBE_LIMITS["elbv2_tags"]):
            for described in elbv2.describe_tags(ResourceArns=batch)["TagDescriptions"]:
                tags = project_tags.as_dict(described.get("Tags"))
                if project_tags.is_managed(tags, cluster) and tags.get(PROJECT_TAG):
                    projects.append(tags[PROJECT_TAG])
    for project in projects:
        service_rm(session, cluster, project, timeout_minutes, say, sleep, clock, poll_seconds)
    return projects
