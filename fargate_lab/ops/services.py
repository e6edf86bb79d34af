"""A compose project as an ECS service (`compose service ...`) or as standalone tasks (`compose up/ps/down`).

    result = service_up(session, "default", "my-application", ["docker-compose.yml"], "ecs-params.yml")
    result.deployment_id, result.task_definition      # ecs-svc/..., my-application:3

What ecs-cli did (ecs-cli.md §1.5-1.6), with its gaps closed:

* the task definition is registered only when it differs from the service's current
  revision or the family's latest ACTIVE one, compared on the server (ecs-cli kept a
  per-machine cache), so unchanged files give the same revision and no deployment;
* the deployment circuit breaker is on, with rollback, unless asked otherwise;
* `service up` waits for the deployment's rolloutState to be COMPLETED (ecs-cli waited
  for counts only, so a rolled-back deploy "succeeded"), and fails with the reason and
  the stopped tasks' grouped stoppedReasons when the breaker trips or tasks keep
  stopping; the timeout is a total deadline, not an inactivity timer;
* `compose up` waits for RUNNING and fails when a task stops (ecs-cli reported success).

Only boto3 clients made from the session given are used, so the same code runs on the
local cloud and on AWS.  Waiting polls with `sleep` (time.sleep by default) and measures
the deadline with `clock`; a notebook on the virtual clock passes the cloud's own.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Sequence

from botocore.exceptions import ClientError

from ..compose import ComposeError, EcsParams, read_ecs_params, to_task_definition
from . import cluster as cluster_ops
from . import dryrun
from . import tags as project_tags
from .errors import OpsError
from .plumbing import DESCRIBE_LIMITS, Pace, batches, ecs_tags, key_value_tags, name_of, pages
from .tasks import TaskRow, describe_tasks, list_task_arns, rows_for_tasks, task_id
from .watch import DeploymentSnapshot, ServiceWatcher, describe_service, short_task_definition

POLL_SECONDS = 2.0            # between DescribeServices calls (real seconds)
MISSING_GRACE_POLLS = 3       # polls a just-created service may be missing from DescribeServices
ROLLBACK_GRACE_POLLS = 3      # polls to wait for a rollback to show after a deployment FAILED
KEEPS_STOPPING = 3            # failed tasks in a row before we call it failing (the breaker's minimum)
TASK_GROUP_PREFIX = "task:"   # RunTask group of a project's standalone tasks (ecs-cli)
HEALTH_CHECK_PATH = "/"
ELB_NAME_LIMIT = 32
PROJECT_TAG = "fargate-lab:project"   # which compose project a service, definition or load balancer is for

Say = Callable[[str], None]
OnUpdate = Callable[[DeploymentSnapshot], None]


# ---------------------------------------------------------------------------------- results

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


@dataclass
class TaskRunResult:
    cluster: str
    project: str
    task_definition: str
    started: list[str] = field(default_factory=list)     # task ids
    stopped: list[str] = field(default_factory=list)
    rows: list[TaskRow] = field(default_factory=list)


@dataclass(frozen=True)
class LoadBalancer:
    load_balancer_arn: str
    dns_name: str
    target_group_arn: str
    container_name: str
    container_port: int


@dataclass(frozen=True)
class Project:
    """A compose project translated: the RegisterTaskDefinition input and its ecs-params."""
    name: str
    task_definition: dict
    params: EcsParams | None


# ---------------------------------------------------------------------------------- small helpers

def load_project(project: str, compose_files: Sequence[str], ecs_params: str | None = None,
                 task_role_arn: str | None = None) -> Project:
    """Translate the files (raises ComposeError before any AWS call)."""
    if not compose_files:
        raise OpsError("no compose file given: pass --file docker-compose.yml")
    definition = to_task_definition(list(compose_files), ecs_params, project_name=project)
    if task_role_arn:
        definition["taskRoleArn"] = task_role_arn
    params = read_ecs_params(ecs_params) if ecs_params else None
    return Project(definition["family"], definition, params)


def require_cluster(ecs, cluster: str) -> dict:
    found = ecs.describe_clusters(clusters=[cluster])["clusters"]
    if not found or found[0].get("status") != "ACTIVE":
        flag = "" if cluster == "default" else f"--cluster {cluster} "
        raise OpsError(f"cluster {cluster} not found in {ecs.meta.region_name}: create it with "
                       f"`fargate-lab {flag}up`")
    return found[0]


def resource_tags(cluster: str, project: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The user's tags plus fargate-lab's own (managed, cluster, project); ours win."""
    return project_tags.ownership(cluster, {**project_tags.check_user_tags(extra), PROJECT_TAG: project})


def _first_deployment(service: dict) -> str | None:
    deployments = service.get("deployments") or []
    return deployments[0]["id"] if deployments else None   # a dry run's placeholder has none


def _reporter(session, say: Say) -> Say:
    """`say`, or on a dry run nothing: the `would call ...` lines tell that story, and
    "Created service" would be untrue."""
    return (lambda _message: None) if dryrun.is_active(session) else say


def _dry_run_note(session, say: Say) -> None:
    if dryrun.is_active(session):
        say("Dry run: nothing was changed.")


# ---------------------------------------------------------------------------------- task definitions

_CONTAINER_DEFAULTS = {"cpu": 0, "essential": True}


def _prune(value):
    """Drop what ECS adds or leaves out when it is empty, so a request and its echo compare equal."""
    if isinstance(value, dict):
        out = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        items = [_prune(v) for v in value]
        if items and all(isinstance(i, dict) and "name" in i for i in items):
            items = sorted(items, key=lambda i: str(i["name"]))   # environment, secrets, volumes, ...
        return items
    return value


def _normal_size(value) -> str | None:
    """'1 vCPU' -> '1024', '2 GB' -> '2048', '512' -> '512' (ECS stores plain numbers)."""
    if value is None:
        return None
    text = str(value).strip().lower()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(vcpu|gb)", text)
    return str(int(round(float(m.group(1)) * 1024))) if m else text


def _container_comparable(container: dict, network_mode: str | None) -> dict:
    c = {k: v for k, v in container.items() if _CONTAINER_DEFAULTS.get(k, object()) != v}
    ports = []
    for m in c.get("portMappings", []):
        m = dict(m)
        m.setdefault("protocol", "tcp")
        if network_mode == "awsvpc":
            m.setdefault("hostPort", m.get("containerPort"))
        ports.append(m)
    if ports:
        c["portMappings"] = ports
    return _prune(c)


COMPARED_KEYS = ("family", "taskRoleArn", "executionRoleArn", "networkMode", "volumes", "placementConstraints",
                 "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode", "proxyConfiguration",
                 "inferenceAccelerators", "ephemeralStorage", "runtimePlatform")


def comparable_definition(definition: dict) -> dict:
    """The parts of a task definition that make it a different revision, normalised."""
    mode = definition.get("networkMode")
    out = {k: definition.get(k) for k in COMPARED_KEYS}
    out["cpu"], out["memory"] = _normal_size(out["cpu"]), _normal_size(out["memory"])
    out["requiresCompatibilities"] = sorted(out["requiresCompatibilities"] or [])
    containers = (_container_comparable(c, mode) for c in definition.get("containerDefinitions", []))
    out["containerDefinitions"] = sorted(containers, key=lambda c: c.get("name", ""))
    return _prune(out)


def same_definition(request: dict, registered: dict) -> bool:
    return comparable_definition(request) == comparable_definition(registered)


def _describe_definition(ecs, reference: str) -> dict | None:
    try:
        return ecs.describe_task_definition(taskDefinition=reference)["taskDefinition"]
    except ClientError as e:
        if e.response["Error"]["Code"] in ("ClientException", "InvalidParameterException"):
            return None   # no such family or revision yet
        raise


RECENT_REVISIONS = 5   # how far back an identical revision is looked for (a revert to v2 finds v2's revision)


def _recent_revisions(ecs, family: str) -> list[str]:
    try:
        return ecs.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC",
                                         maxResults=RECENT_REVISIONS)["taskDefinitionArns"]
    except ClientError:
        return []


def register_if_changed(ecs, request: dict, tags: dict[str, str], candidates: Sequence[str] = ()) -> tuple[dict, bool]:
    """(task definition, True if newly registered).

    Reuses an ACTIVE revision identical to `request`: the candidates first (e.g. the
    service's current revision), then the family's latest few (ecs-cli.md §2.7; ecs-cli
    kept a per-machine cache instead, so another machine registered again)."""
    checked = set()
    for reference in [*candidates, *_recent_revisions(ecs, request["family"])]:
        if reference in checked:
            continue
        checked.add(reference)
        existing = _describe_definition(ecs, reference)
        if existing and existing.get("status") == "ACTIVE" and same_definition(request, existing):
            return existing, False
    registered = ecs.register_task_definition(**request, tags=ecs_tags(tags))["taskDefinition"]
    return registered, True


# ---------------------------------------------------------------------------------- network

def network_configuration(session, cluster: str, params: EcsParams | None) -> dict:
    """awsvpc settings: ecs-params run_params where given, else the network `up` made."""
    subnets = list(params.subnets) if params else []
    groups = list(params.security_groups) if params else []
    public = params.assign_public_ip if params else None
    if not subnets:
        made = cluster_ops.network_for(session, cluster)
        subnets = list(made.subnet_ids)
        groups = groups or list(made.security_group_ids)
        public = public or "ENABLED"   # up's subnets are public; a task without a public IP cannot pull
    config = {"subnets": subnets, "assignPublicIp": public or "DISABLED"}
    if groups:
        config["securityGroups"] = groups
    return {"awsvpcConfiguration": config}


def _same_network(current: dict | None, wanted: dict) -> bool:
    def norm(n):
        vpc = (n or {}).get("awsvpcConfiguration") or {}
        return (sorted(vpc.get("subnets", [])), sorted(vpc.get("securityGroups", [])),
                vpc.get("assignPublicIp", "DISABLED"))
    return norm(current) == norm(wanted)


# ---------------------------------------------------------------------------------- log groups

def awslogs_groups(definition: dict) -> list[tuple[str, str | None, bool]]:
    """(group, region, created by ECS itself) for every awslogs container."""
    out = []
    for c in definition.get("containerDefinitions", []):
        logs = c.get("logConfiguration") or {}
        if logs.get("logDriver") != "awslogs":
            continue
        opts = logs.get("options") or {}
        if opts.get("awslogs-group"):
            entry = (opts["awslogs-group"], opts.get("awslogs-region"),
                     str(opts.get("awslogs-create-group", "")).lower() == "true")
            if entry not in out:
                out.append(entry)
    return out


def _log_group_exists(logs, name: str) -> bool:
    found = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(g["logGroupName"] == name for g in found)


def missing_log_groups(session, definition: dict) -> list[tuple[str, str | None]]:
    missing = []
    for group, region, ecs_creates in awslogs_groups(definition):
        if ecs_creates:
            continue
        if not _log_group_exists(session.client("logs", region_name=region or session.region_name), group):
            missing.append((group, region))
    return missing


def create_log_groups(session, definition: dict, tags: dict[str, str], say: Say = print) -> list[str]:
    """ecs-cli's --create-log-groups (on by default here): each missing awslogs group, tagged."""
    groups = awslogs_groups(definition)
    made = []
    for group, region, _ in groups:
        logs = session.client("logs", region_name=region or session.region_name)
        try:
            logs.create_log_group(logGroupName=group, tags=tags)
            say(f"Created log group {group}")
            made.append(group)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise
    return made


# ---------------------------------------------------------------------------------- load balancer

def _elb_name(cluster: str, project: str) -> str:
    """`<cluster>-<project>`, made to fit ELB names (32 characters, letters, digits, hyphens)."""
    name = re.sub(r"[^a-zA-Z0-9-]", "-", f"{cluster}-{project}").strip("-")
    if len(name) > ELB_NAME_LIMIT:
        digest = hashlib.sha1(name.encode()).hexdigest()[:6]
        name = name[:ELB_NAME_LIMIT - 7].rstrip("-") + "-" + digest
    return name


def _container_port(definition: dict, container_name: str | None, container_port: int | None) -> tuple[str, int]:
    """The container and port the load balancer sends traffic to (checked against the task definition)."""
    containers = definition.get("containerDefinitions", [])
    with_ports = [c for c in containers if c.get("portMappings")]
    if container_name is None:
        if not with_ports:
            raise OpsError("a load balancer needs a container port, and no container publishes one: "
                           "add ports: [\"80:80\"] to a service")
        container = with_ports[0]
    else:
        container = next((c for c in containers if c["name"] == container_name), None)
        if container is None:
            raise OpsError(f"--container-name {container_name}: no such container; the task definition has "
                           f"{', '.join(c['name'] for c in containers)}")
    ports = [m.get("containerPort") for m in container.get("portMappings", [])]
    if container_port is None:
        if not ports:
            raise OpsError(f"container {container['name']} publishes no port for the load balancer: add ports: to it")
        container_port = ports[0]
    elif container_port not in ports:
        raise OpsError(f"--container-port {container_port}: container {container['name']} does not publish it "
                       f"(it publishes {', '.join(map(str, ports)) or 'nothing'})")
    return container["name"], int(container_port)


def check_load_balancer_flags(definition: dict, target_group_arn: str | None, container_name: str | None,
                              container_port: int | None, create_load_balancer: bool) -> tuple[str, int] | None:
    """Validate the load-balancer flags before anything is created; (container, port) or None."""
    if target_group_arn and create_load_balancer:
        raise OpsError("--target-group-arn and --create-load-balancer are exclusive: use one")
    if target_group_arn:
        if not container_name or not container_port:
            raise OpsError("--target-group-arn needs --container-name and --container-port")
        return _container_port(definition, container_name, container_port)
    if create_load_balancer:
        return _container_port(definition, container_name, container_port)
    if container_name or container_port:
        raise OpsError("--container-name/--container-port need --target-group-arn or --create-load-balancer")
    return None


def find_load_balancer(session, cluster: str, project: str) -> dict | None:
    elbv2 = session.client("elbv2")
    try:
        return elbv2.describe_load_balancers(Names=[_elb_name(cluster, project)])["LoadBalancers"][0]
    except ClientError as e:
        if e.response["Error"]["Code"] == "LoadBalancerNotFound":
            return None
        raise


def ensure_load_balancer(session, cluster: str, project: str, container_name: str, container_port: int,
                         tags: dict[str, str], deregistration_delay: int | None = None,
                         say: Say = print) -> LoadBalancer:
    """An internet-facing ALB in up's VPC, an ip target group (health check /), a listener on the port.

    Re-used when it already exists (the names derive from cluster and project)."""
    elbv2 = session.client("elbv2")
    network = cluster_ops.network_for(session, cluster)
    name = _elb_name(cluster, project)
    lb = find_load_balancer(session, cluster, project)
    if lb is None:
        lb = elbv2.create_load_balancer(Name=name, Subnets=list(network.subnet_ids),
                                        SecurityGroups=list(network.security_group_ids), Scheme="internet-facing",
                                        Type="application", Tags=key_value_tags(tags))["LoadBalancers"][0]
        say(f"Created load balancer {name}: http://{lb['DNSName']}:{container_port}/")
    target_group = _ensure_target_group(elbv2, name, network.vpc_id, container_port, tags, say)
    if deregistration_delay is not None:
        elbv2.modify_target_group_attributes(TargetGroupArn=target_group, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(int(deregistration_delay))}])
    listeners = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    if not any(listener["Port"] == container_port for listener in listeners):
        elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=container_port,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
                              Tags=key_value_tags(tags))
    return LoadBalancer(lb["LoadBalancerArn"], lb["DNSName"], target_group, container_name, container_port)


def _ensure_target_group(elbv2, name: str, vpc_id: str, port: int, tags: dict[str, str], say: Say) -> str:
    try:
        return elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "TargetGroupNotFound":
            raise
    group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=port, VpcId=vpc_id, TargetType="ip",
                                      HealthCheckPath=HEALTH_CHECK_PATH, Tags=key_value_tags(tags))["TargetGroups"][0]
    say(f"Created target group {name} (ip targets, health check {HEALTH_CHECK_PATH})")
    return group["TargetGroupArn"]


def delete_cluster_load_balancers(session, cluster: str, timeout_minutes: float = 10.0, say: Say = print,
                                  sleep=time.sleep, clock=time.monotonic,
                                  poll_seconds: float = POLL_SECONDS) -> list[str]:
    """Before `down`: remove each service that has a load balancer we made, then the load balancer.

    `down` deletes services and the network but knows nothing of load balancers, and an
    ALB left in the subnets would keep the VPC from being deleted on AWS."""
    elbv2 = session.client("elbv2")
    projects = []
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


def delete_load_balancer(session, cluster: str, project: str, say: Say = print) -> bool:
    """Remove the load balancer and target group `--create-load-balancer` made (ours only, by tag)."""
    elbv2 = session.client("elbv2")
    lb = find_load_balancer(session, cluster, project)
    if lb is None:
        return False
    described = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    if not described or not project_tags.is_managed(described[0].get("Tags"), cluster):
        return False   # same name, but not made by fargate-lab for this cluster: leave it alone
    groups = elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    for group in groups:
        elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    say(f"Deleted load balancer {lb['LoadBalancerName']} and its target group")
    return True


# ---------------------------------------------------------------------------------- deployment config

def deployment_configuration(current: dict | None, max_percent: int | None, min_healthy_percent: int | None,
                             circuit_breaker: bool, rollback: bool) -> dict:
    """The service's deploymentConfiguration with the flags applied (unspecified values kept)."""
    config = json.loads(json.dumps(current or {}))   # a copy: settings the flags do not name are kept
    if max_percent is not None:
        config["maximumPercent"] = max_percent
    if min_healthy_percent is not None:
        config["minimumHealthyPercent"] = min_healthy_percent
    config["deploymentCircuitBreaker"] = {"enable": bool(circuit_breaker),
                                          "rollback": bool(circuit_breaker and rollback)}
    return config


def check_deployment_flags(desired: int | None, max_percent: int | None, min_healthy_percent: int | None) -> None:
    """ECS's own limits, checked before anything is created."""
    if desired is not None and desired < 0:
        raise OpsError(f"desired count {desired}: must be 0 or more")
    if min_healthy_percent is not None and not 0 <= min_healthy_percent <= 100:
        raise OpsError(f"--deployment-min-healthy-percent {min_healthy_percent}: must be between 0 and 100")
    if max_percent is not None and max_percent < 100:
        raise OpsError(f"--deployment-max-percent {max_percent}: must be at least 100 (ECS's minimum)")
    if max_percent is not None and max_percent > 400:
        raise OpsError(f"--deployment-max-percent {max_percent}: must be at most 400")
    if max_percent == 100 and min_healthy_percent == 100:
        raise OpsError("--deployment-max-percent 100 with --deployment-min-healthy-percent 100 leaves ECS no room "
                       "to replace a task: lower the minimum or raise the maximum")


# ---------------------------------------------------------------------------------- failure reasons

def stopped_reasons(ecs, cluster: str, service: str, deployment_id: str | None = None,
                    tasks: list[dict] | None = None) -> list[tuple[int, str]]:
    """Stopped tasks of a deployment (or of the given tasks), grouped: [(count, reason)], most first."""
    if tasks is None:
        arns = list_task_arns(ecs, cluster, "STOPPED", serviceName=service)
        tasks = describe_tasks(ecs, cluster, arns[:100])
        if deployment_id:
            tasks = [t for t in tasks if t.get("startedBy") == deployment_id]
    counts = Counter(task_failure(t) for t in tasks if t.get("stoppedReason") and not _routine_stop(t))
    return [(count, reason) for reason, count in counts.most_common()]


def _routine_stop(task: dict) -> bool:
    """Stopped by a person or by the scheduler's scale-in/rollback, not because something failed."""
    return (task.get("stopCode") == "UserInitiated"
            or task.get("stoppedReason", "").startswith("Scaling activity initiated by"))


def task_failure(task: dict) -> str:
    """'Essential container in task exited (web: exit code 1)' — the task's reason plus its containers'."""
    details = []
    for c in task.get("containers", []):
        if c.get("exitCode") not in (None, 0):
            details.append(f"{c['name']}: exit code {c['exitCode']}")
        elif c.get("reason") and c["reason"] not in task.get("stoppedReason", ""):
            details.append(f"{c['name']}: {c['reason']}")
    reason = task.get("stoppedReason", "stopped")
    return f"{reason} ({'; '.join(details)})" if details else reason


def reasons_text(reasons: list[tuple[int, str]]) -> str:
    return "; ".join(f"{n} × {reason}" for n, reason in reasons[:3])


# ---------------------------------------------------------------------------------- waiting

class _DeploymentWait:
    """Follows one deployment until it completes, fails, or the deadline passes."""

    def __init__(self, ecs, watcher: ServiceWatcher, deployment_id: str, deadline: float, breaker: bool,
                 rollback: bool, pace: Pace, on_update: OnUpdate | None):
        self.ecs, self.watcher, self.deployment_id, self.deadline = ecs, watcher, deployment_id, deadline
        self.breaker, self.rollback = breaker, rollback
        self.pace, self.on_update = pace, on_update
        self.failed_reason: str | None = None      # set once our deployment is seen FAILED
        self.rolled_back_to: str | None = None
        self.failed_polls = 0                      # polls that saw it FAILED with no rollback under way
        self.missing_polls = 0                     # polls that did not find the service (just created, on AWS)

    def run(self) -> DeploymentSnapshot:
        while True:
            snapshot = self.watcher.poll()
            if self.on_update:
                self.on_update(snapshot)
            outcome = self._judge(snapshot)
            if outcome is not None:
                return outcome
            if self.pace.past(self.deadline):
                raise OpsError(self._timeout_message(snapshot))
            self.pace.wait()

    def _judge(self, snap: DeploymentSnapshot) -> DeploymentSnapshot | None:
        if snap.status == "MISSING" and self.missing_polls < MISSING_GRACE_POLLS:
            self.missing_polls += 1   # DescribeServices is eventually consistent right after CreateService
            return None
        if snap.status in ("MISSING", "INACTIVE", "DRAINING"):
            raise OpsError(f"service {snap.service} was deleted while its deployment was being watched")
        mine, primary = snap.deployment(self.deployment_id), snap.primary
        self._note_failure(snap, mine, primary)
        if self.failed_reason is None:
            if mine is not None and mine is primary and snap.settled:
                return snap
            if mine is None and primary is not None:
                raise OpsError(f"deployment {self.deployment_id} was replaced by {primary.id} "
                               "(another update to the service) before it completed")
            self._check_keeps_stopping(snap, mine)
            return None
        if self.rolled_back_to is None:
            # ECS starts the rollback as the breaker trips; allow a few polls before concluding there is none
            self.failed_polls += 1
            if not (self.breaker and self.rollback) or self.failed_polls >= ROLLBACK_GRACE_POLLS:
                raise OpsError(self._failure_message(snap, rollback_state=None))
            return None
        if primary is not None and primary.id == self.rolled_back_to and snap.settled:
            raise OpsError(self._failure_message(snap, rollback_state="done"))
        return None

    def _note_failure(self, snap: DeploymentSnapshot, mine, primary) -> None:
        failed_event = f"(deployment {self.deployment_id}) deployment failed"
        event = next((e for e in snap.events if failed_event in e.message), None)
        if (mine is None or mine.rollout_state != "FAILED") and event is None:
            return
        if self.failed_reason is None:
            # "ECS deployment circuit breaker: tasks failed to start." or the event "... deployment failed: <why>."
            text = (mine.reason if mine else "") or (event.message if event else "")
            why = text.split("circuit breaker: ", 1)[-1].split("deployment failed: ", 1)[-1].rstrip(".")
            self.failed_reason = why or "tasks failed to start"
        if self.rolled_back_to is None and primary is not None and primary.id != self.deployment_id:
            self.rolled_back_to = primary.id

    def _check_keeps_stopping(self, snap: DeploymentSnapshot, mine) -> None:
        """Without the circuit breaker ECS retries forever: stop waiting after a few failures in a row."""
        if self.breaker or mine is None or mine.failed < KEEPS_STOPPING:
            return
        reasons = stopped_reasons(self.ecs, snap.cluster, snap.service, self.deployment_id)
        raise OpsError(f"deployment {self.deployment_id} is failing: {mine.failed} tasks in a row stopped "
                       f"({reasons_text(reasons) or 'no reason recorded'}); the circuit breaker is off, so ECS "
                       "keeps retrying: fix the image and deploy again, or `service rm`")

    def _failure_message(self, snap: DeploymentSnapshot, rollback_state: str | None) -> str:
        text = f"deployment {self.deployment_id} failed: {self.failed_reason}"
        target = snap.deployment(self.rolled_back_to) if self.rolled_back_to else None
        revision = target.task_definition if target else "?"
        if rollback_state == "done":
            text += f"; rolled back to {self.rolled_back_to} (task definition {revision})"
        elif rollback_state == "in progress":
            text += f"; rolling back to {self.rolled_back_to} (task definition {revision}), still in progress"
        elif not self.rollback:
            text += "; rollback is off, so the previous deployment's tasks (if any) keep running"
        else:
            text += "; there is no completed deployment to roll back to"
        reasons = stopped_reasons(self.ecs, snap.cluster, snap.service, self.deployment_id)
        if reasons:
            text += f". Stopped tasks: {reasons_text(reasons)}"
        return text

    def _timeout_message(self, snap: DeploymentSnapshot) -> str:
        if self.failed_reason and self.rolled_back_to:
            return self._failure_message(snap, rollback_state="in progress")
        mine = snap.deployment(self.deployment_id)
        state = f"rolloutState {mine.rollout_state}, " if mine and mine.rollout_state else ""
        return (f"deployment {self.deployment_id} did not complete in time ({state}{snap.summary()}); "
                "it goes on in the background: watch it with `fargate-lab compose service ps`, or raise --timeout")


def wait_for_deployment(ecs, cluster: str, service: str, deployment_id: str, watcher: ServiceWatcher | None = None,
                        timeout_minutes: float = 5.0, breaker: bool = True, rollback: bool = True,
                        on_update: OnUpdate | None = None, sleep: Callable[[float], None] = time.sleep,
                        clock: Callable[[], float] = time.monotonic, poll_seconds: float = POLL_SECONDS,
                        deadline: float | None = None) -> DeploymentSnapshot:
    """Wait until `deployment_id` is COMPLETED with every task running; OpsError on failure or timeout."""
    watcher = watcher or ServiceWatcher(ecs, cluster, service, clock=clock)
    pace = Pace(sleep, clock, poll_seconds)
    deadline = deadline if deadline is not None else pace.deadline(timeout_minutes)
    return _DeploymentWait(ecs, watcher, deployment_id, deadline, breaker, rollback, pace, on_update).run()


def _plain_updates(say: Say) -> OnUpdate:
    from .watch import plain_lines
    previous: list[DeploymentSnapshot | None] = [None]

    def update(snapshot: DeploymentSnapshot) -> None:
        for line in plain_lines(previous[0], snapshot):
            say(line)
        previous[0] = snapshot
    return update


# ---------------------------------------------------------------------------------- service up

def service_up(session, cluster: str, project: str, compose_files: Sequence[str], ecs_params: str | None = None,
               desired: int | None = None, max_percent: int | None = None, min_healthy_percent: int | None = None,
               circuit_breaker: bool = True, rollback: bool = True, target_group_arn: str | None = None,
               container_name: str | None = None, container_port: int | None = None,
               create_load_balancer: bool = False, create_log_groups: bool = True, force_deployment: bool = False,
               timeout_minutes: float = 5.0, launch_type: str = "FARGATE", tags: dict[str, str] | None = None,
               say: Say = print, on_update: OnUpdate | None = None, task_role_arn: str | None = None,
               deregistration_delay: int | None = None, sleep: Callable[[float], None] = time.sleep,
               clock: Callable[[], float] = time.monotonic, poll_seconds: float = POLL_SECONDS) -> DeployResult:
    """Create or update the project's service and wait for its deployment (see the module docstring)."""
    started = clock()
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    # Everything that can be checked is checked before the first call that creates something.
    spec = load_project(project, compose_files, ecs_params, task_role_arn)
    check_deployment_flags(desired, max_percent, min_healthy_percent)
    lb_target = check_load_balancer_flags(spec.task_definition, target_group_arn, container_name, container_port,
                                          create_load_balancer)
    require_cluster(ecs, cluster)
    network = network_configuration(session, cluster, spec.params)
    existing = _active_service(ecs, cluster, spec.name)
    if create_load_balancer and existing is None:
        cluster_ops.network_for(session, cluster)   # the load balancer goes in up's VPC: fail now if there is none
    missing = missing_log_groups(session, spec.task_definition)
    if missing and not create_log_groups:
        raise OpsError(f"log group {missing[0][0]} does not exist, so the tasks could not start: drop "
                       "--no-create-log-groups (or add awslogs-create-group: \"true\" to the logging options)")
    owned = resource_tags(cluster, spec.name, tags)

    candidates = [existing["taskDefinition"]] if existing else []
    td, registered = register_if_changed(ecs, spec.task_definition, owned, candidates)
    revision = short_task_definition(td["taskDefinitionArn"])
    say(f"{'Registered task definition' if registered else 'Task definition unchanged:'} {revision}")
    if create_log_groups:
        create_log_groups_fn(session, spec.task_definition, owned, say)

    lb = None
    if existing is None and lb_target is not None:
        lb = _service_load_balancer(session, cluster, spec.name, target_group_arn, lb_target, owned,
                                    deregistration_delay, say)
    elif existing is not None and lb_target is not None:
        say("Load balancer settings apply when a service is created; the existing service keeps its own "
            "(`service rm`, then `service up`, to change them).")

    watcher = ServiceWatcher.starting_now(ecs, cluster, spec.name, clock=clock)
    if existing is None:
        service, deployment_id = _create_service(ecs, cluster, spec.name, td, desired, network, launch_type,
                                                 deployment_configuration(None, max_percent, min_healthy_percent,
                                                                          circuit_breaker, rollback), lb, owned)
        say(f"Created service {spec.name} with {service['desiredCount']} task(s) of {revision}")
        outcome_if_waited = "COMPLETED"
    else:
        service, deployment_id, changed = _update_service(
            ecs, existing, td, desired, network, deployment_configuration(
                existing.get("deploymentConfiguration"), max_percent, min_healthy_percent, circuit_breaker, rollback),
            force_deployment, say)
        outcome_if_waited = "COMPLETED" if changed else "UNCHANGED"

    result = DeployResult(cluster=cluster, service=spec.name, service_arn=service["serviceArn"],
                          task_definition=revision, task_definition_arn=td["taskDefinitionArn"], registered=registered,
                          created=existing is None, deployment_id=deployment_id, outcome="NOT_WAITED",
                          desired_count=service["desiredCount"],
                          load_balancer_dns=lb.dns_name if lb and lb.dns_name else None,
                          target_group_arn=lb.target_group_arn if lb else None)
    if timeout_minutes <= 0 or dryrun.is_active(session) or deployment_id is None:
        _dry_run_note(session, outer_say)
        return result   # nothing to wait for (a dry run changed nothing)
    breaker = bool(service.get("deploymentConfiguration", {}).get("deploymentCircuitBreaker", {}).get("enable"))
    snapshot = wait_for_deployment(ecs, cluster, spec.name, deployment_id, watcher, breaker=breaker,
                                   rollback=rollback, on_update=on_update or _plain_updates(say), sleep=sleep,
                                   clock=clock, poll_seconds=poll_seconds,
                                   deadline=started + timeout_minutes * 60.0)
    result.outcome, result.snapshot = outcome_if_waited, snapshot
    say(f"Deployment {deployment_id} completed: {snapshot.running} task(s) of {revision} running"
        + (f"; http://{lb.dns_name}:{lb.container_port}/" if lb else ""))
    return result


create_log_groups_fn = create_log_groups   # service_up's parameter of the same name hides the function


def _active_service(ecs, cluster: str, name: str) -> dict | None:
    found = describe_service(ecs, cluster, name)
    return found if found and found.get("status") == "ACTIVE" else None


def _service_load_balancer(session, cluster, project, target_group_arn, lb_target, tags, deregistration_delay,
                           say) -> LoadBalancer:
    container, port = lb_target
    if target_group_arn:
        return LoadBalancer("", "", target_group_arn, container, port)
    return ensure_load_balancer(session, cluster, project, container, port, tags, deregistration_delay, say)


def _create_service(ecs, cluster, name, td, desired, network, launch_type, config, lb, tags) -> tuple[dict, str]:
    request = {"cluster": cluster, "serviceName": name, "taskDefinition": td["taskDefinitionArn"],
               "desiredCount": 1 if desired is None else desired, "networkConfiguration": network,
               "deploymentConfiguration": config, "tags": ecs_tags(tags), "propagateTags": "SERVICE",
               "enableECSManagedTags": True}
    if launch_type:
        request["launchType"] = launch_type
    if lb is not None:
        request["loadBalancers"] = [{"targetGroupArn": lb.target_group_arn, "containerName": lb.container_name,
                                     "containerPort": lb.container_port}]
    service = ecs.create_service(**request)["service"]
    return service, _first_deployment(service)


def _update_service(ecs, existing, td, desired, network, config, force, say) -> tuple[dict, str, bool]:
    """UpdateService with only what differs; (service, deployment to follow, whether a deployment started)."""
    request = {"cluster": existing["clusterArn"], "service": existing["serviceName"]}
    new_revision = existing["taskDefinition"] != td["taskDefinitionArn"]
    if new_revision:
        request["taskDefinition"] = td["taskDefinitionArn"]
    if force:
        request["forceNewDeployment"] = True
    if desired is not None and desired != existing["desiredCount"]:
        request["desiredCount"] = desired
    elif desired is None and existing["desiredCount"] == 0:
        request["desiredCount"] = 1   # ecs-cli: `service up` on a stopped service starts one task
    if config != existing.get("deploymentConfiguration"):
        request["deploymentConfiguration"] = config
    if not _same_network(existing.get("networkConfiguration"), network):
        request["networkConfiguration"] = network
    starts_deployment = bool({"taskDefinition", "forceNewDeployment", "deploymentConfiguration",
                              "networkConfiguration"} & request.keys())
    if len(request) == 2:
        say(f"Service {existing['serviceName']} is up to date ({short_task_definition(td['taskDefinitionArn'])}, "
            f"{existing['desiredCount']} task(s)); nothing to deploy")
        return existing, _first_deployment(existing), False
    service = ecs.update_service(**request)["service"]
    if new_revision:
        say(f"Updated service {existing['serviceName']} to {short_task_definition(td['taskDefinitionArn'])}: "
            "new tasks start, then the old ones are stopped")
    elif force:
        say(f"Forced a new deployment of service {existing['serviceName']}")
    elif starts_deployment:
        say(f"Updated service {existing['serviceName']}'s deployment settings: ECS starts a new deployment")
    if "desiredCount" in request:
        say(f"Desired count {existing['desiredCount']} -> {request['desiredCount']}")
    return service, _first_deployment(service), True


# ---------------------------------------------------------------------------------- other service verbs

def service_create(session, cluster: str, project: str, compose_files: Sequence[str], ecs_params: str | None = None,
                   max_percent: int | None = None, min_healthy_percent: int | None = None,
                   circuit_breaker: bool = True, rollback: bool = True, target_group_arn: str | None = None,
                   container_name: str | None = None, container_port: int | None = None,
                   create_load_balancer: bool = False, create_log_groups: bool = True,
                   launch_type: str = "FARGATE", tags: dict[str, str] | None = None, say: Say = print,
                   task_role_arn: str | None = None, deregistration_delay: int | None = None) -> DeployResult:
    """ecs-cli `compose service create`: the service with desiredCount 0 (start it with `service start`)."""
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    spec = load_project(project, compose_files, ecs_params, task_role_arn)
    check_deployment_flags(None, max_percent, min_healthy_percent)
    lb_target = check_load_balancer_flags(spec.task_definition, target_group_arn, container_name, container_port,
                                          create_load_balancer)
    require_cluster(ecs, cluster)
    network = network_configuration(session, cluster, spec.params)
    if _active_service(ecs, cluster, spec.name):
        raise OpsError(f"service {spec.name} already exists: use `service up` to update it")
    missing = missing_log_groups(session, spec.task_definition)
    if missing and not create_log_groups:
        raise OpsError(f"log group {missing[0][0]} does not exist: drop --no-create-log-groups")
    owned = resource_tags(cluster, spec.name, tags)
    td, registered = register_if_changed(ecs, spec.task_definition, owned)
    if create_log_groups:
        create_log_groups_fn(session, spec.task_definition, owned, say)
    lb = None
    if lb_target is not None:
        lb = _service_load_balancer(session, cluster, spec.name, target_group_arn, lb_target, owned,
                                    deregistration_delay, say)
    service, deployment_id = _create_service(ecs, cluster, spec.name, td, 0, network, launch_type,
                                             deployment_configuration(None, max_percent, min_healthy_percent,
                                                                      circuit_breaker, rollback), lb, owned)
    revision = short_task_definition(td["taskDefinitionArn"])
    say(f"Created service {spec.name} ({revision}) with 0 tasks; start it with `fargate-lab compose service start`")
    _dry_run_note(session, outer_say)
    return DeployResult(cluster, spec.name, service["serviceArn"], revision, td["taskDefinitionArn"], registered, True,
                        deployment_id, "NOT_WAITED", 0, lb.dns_name if lb and lb.dns_name else None,
                        lb.target_group_arn if lb else None)


def _existing_service(ecs, cluster: str, project: str) -> dict:
    require_cluster(ecs, cluster)
    service = _active_service(ecs, cluster, project)
    if service is None:
        raise OpsError(f"service {project} not found in cluster {cluster}: create it with "
                       "`fargate-lab compose service up`")
    return service


def _set_desired(session, cluster: str, project: str, count: int | None, force: bool, timeout_minutes: float,
                 say: Say, on_update: OnUpdate | None, sleep, clock, poll_seconds: float,
                 max_percent: int | None = None, min_healthy_percent: int | None = None) -> DeploymentSnapshot | None:
    started = clock()
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    check_deployment_flags(count, max_percent, min_healthy_percent)
    service = _existing_service(ecs, cluster, project)
    request = {"cluster": cluster, "service": project}
    if count is not None and count != service["desiredCount"]:
        request["desiredCount"] = count
    if force:
        request["forceNewDeployment"] = True
    if max_percent is not None or min_healthy_percent is not None:
        current = service.get("deploymentConfiguration") or {}
        breaker = current.get("deploymentCircuitBreaker") or {}
        config = deployment_configuration(current, max_percent, min_healthy_percent,
                                          breaker.get("enable", False), breaker.get("rollback", False))
        if config != current:
            request["deploymentConfiguration"] = config
    watcher = ServiceWatcher.starting_now(ecs, cluster, project, clock=clock)
    if len(request) > 2:
        service = ecs.update_service(**request)["service"]
        if "desiredCount" in request:
            say(f"Service {project}: desired count {request['desiredCount']}")
    else:
        say(f"Service {project} already has desired count {service['desiredCount']}")
    if timeout_minutes <= 0 or dryrun.is_active(session) or _first_deployment(service) is None:
        _dry_run_note(session, outer_say)
        return None
    breaker = service.get("deploymentConfiguration", {}).get("deploymentCircuitBreaker", {})
    snapshot = wait_for_deployment(ecs, cluster, project, _first_deployment(service), watcher,
                                   breaker=bool(breaker.get("enable")), rollback=bool(breaker.get("rollback")),
                                   on_update=on_update or _plain_updates(say), sleep=sleep, clock=clock,
                                   poll_seconds=poll_seconds, deadline=started + timeout_minutes * 60.0)
    say(f"Service {project} is steady: {snapshot.running} task(s) running")
    return snapshot


def service_start(session, cluster: str, project: str, force_deployment: bool = False, timeout_minutes: float = 5.0,
                  say: Say = print, on_update: OnUpdate | None = None, sleep=time.sleep, clock=time.monotonic,
                  poll_seconds: float = POLL_SECONDS) -> DeploymentSnapshot | None:
    """ecs-cli `compose service start`: desired 0 -> 1; otherwise nothing (or a forced deployment)."""
    service = _existing_service(session.client("ecs"), cluster, project)
    count = 1 if service["desiredCount"] == 0 else None
    return _set_desired(session, cluster, project, count, force_deployment, timeout_minutes, say, on_update,
                        sleep, clock, poll_seconds)


def service_stop(session, cluster: str, project: str, timeout_minutes: float = 5.0, say: Say = print,
                 on_update: OnUpdate | None = None, sleep=time.sleep, clock=time.monotonic,
                 poll_seconds: float = POLL_SECONDS) -> DeploymentSnapshot | None:
    """ecs-cli `compose service stop`: desired count 0 (the service stays, with no tasks)."""
    return _set_desired(session, cluster, project, 0, False, timeout_minutes, say, on_update, sleep, clock,
                        poll_seconds)


def service_scale(session, cluster: str, project: str, count: int, max_percent: int | None = None,
                  min_healthy_percent: int | None = None, timeout_minutes: float = 5.0, say: Say = print,
                  on_update: OnUpdate | None = None, sleep=time.sleep, clock=time.monotonic,
                  poll_seconds: float = POLL_SECONDS) -> DeploymentSnapshot | None:
    """ecs-cli `compose service scale N` (tasks, not instances)."""
    return _set_desired(session, cluster, project, count, False, timeout_minutes, say, on_update, sleep, clock,
                        poll_seconds, max_percent, min_healthy_percent)


def service_ps(session, cluster: str, project: str, desired_status: str | None = None) -> list[TaskRow]:
    ecs = session.client("ecs")
    require_cluster(ecs, cluster)
    if describe_service(ecs, cluster, project) is None:
        raise OpsError(f"service {project} not found in cluster {cluster}: create it with "
                       "`fargate-lab compose service up` (or pass --project-name)")
    arns = list_task_arns(ecs, cluster, desired_status, serviceName=project)
    return rows_for_tasks(ecs, session.client("ec2"), cluster, describe_tasks(ecs, cluster, arns))


def service_rm(session, cluster: str, project: str, timeout_minutes: float = 15.0, say: Say = print,
               sleep=time.sleep, clock=time.monotonic, poll_seconds: float = POLL_SECONDS) -> bool:
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


# ---------------------------------------------------------------------------------- standalone tasks

def _project_tasks(ecs, cluster: str, family: str, project: str, desired_status: str | None = "RUNNING") -> list[dict]:
    arns = list_task_arns(ecs, cluster, desired_status, family=family)
    return [t for t in describe_tasks(ecs, cluster, arns) if t.get("group") == TASK_GROUP_PREFIX + project]


def compose_up(session, cluster: str, project: str, compose_files: Sequence[str], ecs_params: str | None = None,
               launch_type: str = "FARGATE", create_log_groups: bool = True, force_update: bool = False,
               timeout_minutes: float = 5.0, tags: dict[str, str] | None = None, say: Say = print,
               task_role_arn: str | None = None, sleep=time.sleep, clock=time.monotonic,
               poll_seconds: float = POLL_SECONDS) -> TaskRunResult:
    """ecs-cli `compose up`: one standalone task of the project (replaced when the definition changed).

    Waits until the new tasks are RUNNING and fails if one stops on the way (ecs-cli
    exited 0 then); a task whose essential containers all exit 0 is a finished job."""
    started_at = clock()
    ecs = session.client("ecs")
    outer_say, say = say, _reporter(session, say)
    spec = load_project(project, compose_files, ecs_params, task_role_arn)
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
    request = {"cluster": cluster, "taskDefinition": td["taskDefinitionArn"], "count": count,
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


def _stop_tasks(ecs, cluster: str, tasks: list[dict], reason: str) -> list[str]:
    for t in tasks:
        ecs.stop_task(cluster=cluster, task=t["taskArn"], reason=reason)
    return [task_id(t) for t in tasks]


def _wait_for_tasks_running(ecs, cluster, arns, deadline, say, pace: Pace) -> list[dict]:
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


def _finished_cleanly(task: dict) -> bool:
    """A job that ran to the end: every essential container exited 0."""
    if task.get("lastStatus") != "STOPPED" or task.get("stopCode") != "EssentialContainerExited":
        return False
    return all(c.get("exitCode") == 0 for c in task.get("containers", []))


def compose_ps(session, cluster: str, project: str, desired_status: str | None = None) -> list[TaskRow]:
    ecs = session.client("ecs")
    require_cluster(ecs, cluster)
    tasks = _project_tasks(ecs, cluster, project, project, desired_status)
    return rows_for_tasks(ecs, session.client("ec2"), cluster, tasks)


def compose_down(session, cluster: str, project: str, timeout_minutes: float = 5.0, say: Say = print,
                 sleep=time.sleep, clock=time.monotonic, poll_seconds: float = POLL_SECONDS) -> list[str]:
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


__all__ = ["DeployResult", "TaskRunResult", "LoadBalancer", "Project", "service_up", "service_create",
           "service_start", "service_stop", "service_scale", "service_ps", "service_rm", "compose_up",
           "compose_ps", "compose_down", "wait_for_deployment", "register_if_changed", "same_definition",
           "stopped_reasons", "ComposeError"]
