"""The engine's state: plain records, and how each is shown in an API response.

Responses are dicts named as the ECS API names them; times are epoch seconds
(floats).  The wire layer turns them into JSON; nothing here knows about HTTP.

A service and a deployment keep three things apart: the *spec* (what the user asked:
`ServiceSpec`, and `Revision`, the spec a deployment deploys), the *status* (what Describe*
shows) and the *bookkeeping* (the controller's private counters: `ServiceBookkeeping`,
`DeploymentBookkeeping`; never shown).  Statuses are the `status` module's enums; renders
write them as plain strings.
"""
from __future__ import annotations

import functools
import hashlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .catalog import ImageBehaviour, ResponseProfile
from .scheduler import TaskView
from .status import (
    AttachmentStatus,
    BreakerStatus,
    ClusterStatus,
    ContainerStatus,
    DeploymentStatus,
    HealthStatus,
    RolloutState,
    ServiceDeploymentStatus,
    ServiceStatus,
    TargetState,
    TaskDefinitionStatus,
    TaskStatus,
)
from .substrate import NetworkInterface
from .types import Json

if TYPE_CHECKING:
    from .strategies.traffic_shift import ShiftRun

PENDING_STATES = (TaskStatus.PROVISIONING, TaskStatus.PENDING, TaskStatus.ACTIVATING)
# Task lastStatus / desiredStatus / healthStatus and deployment status values the
# engine may emit (the model types them as plain strings): see docs/ecs-behaviour.md §1.1.
TASK_LAST_STATUSES = tuple(s.value for s in TaskStatus)
TASK_DESIRED_STATUSES = (TaskStatus.RUNNING.value, TaskStatus.STOPPED.value)
CONTAINER_STATUSES = tuple(s.value for s in ContainerStatus)
HEALTH_STATUSES = tuple(s.value for s in HealthStatus)
DEPLOYMENT_STATUSES = tuple(s.value for s in DeploymentStatus)
SERVICE_STATUSES = tuple(s.value for s in ServiceStatus)
CLUSTER_STATUSES = tuple(s.value for s in ClusterStatus)


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in tags.items()]


def _add_present(out: Json, pairs: Iterable[tuple[str, object]]) -> None:
    """Each (key, value) whose value is set; AWS omits the key otherwise."""
    for key, value in pairs:
        if value:
            out[key] = value


def _launch_pairs(spec: ServiceSpec | Revision) -> tuple[tuple[str, object], ...]:
    return (("launchType", spec.launch_type), ("capacityProviderStrategy", spec.capacity_strategy),
            ("networkConfiguration", spec.network))


@dataclass
class Cluster:
    name: str
    arn: str
    region: str
    tags: dict[str, str] = field(default_factory=dict)
    settings: list[Json] = field(default_factory=lambda: [{"name": "containerInsights", "value": "disabled"}])
    capacity_providers: list[str] = field(default_factory=list)
    default_strategy: list[Json] = field(default_factory=list)
    configuration: Json | None = None
    status: ClusterStatus = ClusterStatus.ACTIVE
    tasks: dict[str, Task] = field(default_factory=dict)       # every describable task
    services: dict[str, Service] = field(default_factory=dict)  # by name, any status

    def render(self, include: list[str] | None = None) -> Json:
        tasks = self.tasks.values()
        out: Json = {
            "clusterArn": self.arn, "clusterName": self.name, "status": str(self.status),
            "registeredContainerInstancesCount": 0,
            "runningTasksCount": sum(t.last_status == TaskStatus.RUNNING for t in tasks),
            "pendingTasksCount": sum(t.last_status in PENDING_STATES for t in tasks),
            "activeServicesCount": sum(s.status == ServiceStatus.ACTIVE for s in self.services.values()),
            "statistics": [], "tags": [],
            "capacityProviders": list(self.capacity_providers),
            "defaultCapacityProviderStrategy": list(self.default_strategy),
        }
        include = include or []
        if "TAGS" in include:
            out["tags"] = tag_list(self.tags)
        if "SETTINGS" in include:
            out["settings"] = list(self.settings)
        if "CONFIGURATIONS" in include and self.configuration:
            out["configuration"] = self.configuration
        if "STATISTICS" in include:
            out["statistics"] = [
                {"name": "runningFargateTasksCount", "value": str(out["runningTasksCount"])},
                {"name": "pendingFargateTasksCount", "value": str(out["pendingTasksCount"])},
                {"name": "activeFargateServiceCount", "value": str(out["activeServicesCount"])},
            ]
        return out


@dataclass
class TaskDefinition:
    arn: str
    family: str
    revision: int
    body: Json                 # the registered definition, as DescribeTaskDefinition shows it
    tags: dict[str, str] = field(default_factory=dict)
    status: TaskDefinitionStatus = TaskDefinitionStatus.ACTIVE
    deregistered_at: float | None = None
    delete_requested_at: float | None = None

    @property
    def containers(self) -> list[Json]:
        containers: list[Json] = self.body["containerDefinitions"]
        return containers

    @property
    def fargate(self) -> bool:
        return "FARGATE" in self.body.get("compatibilities", [])

    def render(self) -> Json:
        out = dict(self.body, status=str(self.status))
        if self.deregistered_at is not None:
            out["deregisteredAt"] = self.deregistered_at
        if self.delete_requested_at is not None:
            out["deleteRequestedAt"] = self.delete_requested_at
        return out


@dataclass
class ContainerState:
    definition: Json           # the container definition, as registered
    behaviour: ImageBehaviour
    arn: str
    runtime_id: str
    last_status: ContainerStatus = ContainerStatus.PENDING
    exit_code: int | None = None
    reason: str | None = None
    health_status: HealthStatus = HealthStatus.UNKNOWN

    @property
    def name(self) -> str:
        name: str = self.definition["name"]
        return name

    @property
    def essential(self) -> bool:
        essential: bool = self.definition.get("essential", True)
        return essential

    @property
    def health_check(self) -> Json | None:
        check: Json | None = self.definition.get("healthCheck")
        return check


@dataclass
class Target:
    group_arn: str
    port: int
    container: str
    state: TargetState = TargetState.INITIAL
    failure_code: int = 500   # the HTTP code its failing health checks got (404: a path the image does not serve)


@dataclass(frozen=True)
class ServedTarget:
    """A target as the load balancer's data plane sees it (a read-only view, made on request)."""
    id: str                                   # ip:port, as DescribeTargetHealth names it
    state: str                                # healthy | initial | unhealthy | draining | unused | unavailable
    profile: ResponseProfile = ResponseProfile()
    revision: str = ""                        # family:revision of the task it belongs to
    reachable: bool = True                    # its container is running (a gone one costs the ALB a 502)


@dataclass
class Task:
    # what the task was started with, and where
    id: str
    arn: str
    cluster: Cluster
    region: str
    definition: TaskDefinition
    containers: list[ContainerState]
    launch_type: str
    capacity_provider: str | None
    group: str
    started_by: str | None
    created_at: float
    network: Json | None = None
    overrides: Json = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    execute_command: bool = False     # enableExecuteCommand as the task was started with
    service: Service | None = None
    deployment_id: str | None = None
    platform_version: str = "1.4.0"
    subnet_id: str | None = None
    availability_zone: str | None = None
    attachment_id: str = ""
    # status: what DescribeTasks shows (version moves on every change, docs/ecs-behaviour.md §1.2)
    last_status: TaskStatus = TaskStatus.PROVISIONING
    desired_status: TaskStatus = TaskStatus.RUNNING
    version: int = 1
    eni: NetworkInterface | None = None
    attachment_status: AttachmentStatus = AttachmentStatus.PRECREATED
    connectivity_at: float | None = None
    pull_started_at: float | None = None
    pull_stopped_at: float | None = None
    started_at: float | None = None
    stopping_at: float | None = None
    execution_stopped_at: float | None = None
    stopped_at: float | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    targets: list[Target] = field(default_factory=list)
    # (target group, container port, container) its deployment registers it in (Deployment.groups)
    registrations: list[tuple[str, int, str]] = field(default_factory=list)
    # bookkeeping: the service controller's
    became_healthy: bool = False      # counted towards the minimum at least once

    @property
    def stopping(self) -> bool:
        return self.desired_status == TaskStatus.STOPPED

    # A task's containers never change after it is made; the scheduler asks these of every task
    # at every step, so they are worked out once.
    @functools.cached_property
    def essential_containers(self) -> list[ContainerState]:
        return [c for c in self.containers if c.essential]

    @functools.cached_property
    def checked_containers(self) -> list[ContainerState]:
        """Essential containers with a health check of their own."""
        return [c for c in self.essential_containers if c.health_check]

    def health_status(self) -> HealthStatus:
        essential = self.essential_containers
        states = {c.health_status for c in essential}
        if HealthStatus.UNHEALTHY in states:
            return HealthStatus.UNHEALTHY
        if HealthStatus.UNKNOWN in states or not essential:
            return HealthStatus.UNKNOWN
        return HealthStatus.HEALTHY

    def render(self, include_tags: bool = False, at_start: bool = False) -> Json:
        """at_start: the RunTask response, which (on AWS, 2023-2025 recordings) shows neither
        connectivity nor healthStatus, nor the containers' healthStatus/networkBindings."""
        td = self.definition
        given = {o.get("name"): o for o in self.overrides.get("containerOverrides", [])}
        overrides = {k: v for k, v in self.overrides.items() if k != "containerOverrides"}
        out: Json = {
            "taskArn": self.arn, "clusterArn": self.cluster.arn,
            "taskDefinitionArn": td.arn, "group": self.group,
            "lastStatus": str(self.last_status), "desiredStatus": str(self.desired_status),
            "launchType": self.launch_type, "platformVersion": self.platform_version,
            "platformFamily": "Linux", "cpu": str(overrides.get("cpu", td.body.get("cpu", "0"))),
            "memory": str(overrides.get("memory", td.body.get("memory", "0"))),
            "createdAt": self.created_at, "version": self.version,
            # AWS echoes each container override as given ({name} for containers without one)
            "overrides": {"containerOverrides": [given.get(c.name, {"name": c.name}) for c in self.containers],
                          "inferenceAcceleratorOverrides": [], **overrides},
            "containers": [self._render_container(c, at_start) for c in self.containers],
            "attachments": [], "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
            "enableExecuteCommand": self.execute_command, "ephemeralStorage": {"sizeInGiB": 20},
            "fargateEphemeralStorage": {"sizeInGiB": 20}, "tags": [],
        }
        if not at_start:
            out["healthStatus"] = str(self.health_status())
            out["connectivity"] = "CONNECTED" if self.connectivity_at else "DISCONNECTED"
        _add_present(out, (("capacityProviderName", self.capacity_provider), ("startedBy", self.started_by),
                           ("availabilityZone", self.availability_zone)))
        for key, value in (("connectivityAt", self.connectivity_at), ("pullStartedAt", self.pull_started_at),
                           ("pullStoppedAt", self.pull_stopped_at), ("startedAt", self.started_at),
                           ("stoppingAt", self.stopping_at), ("executionStoppedAt", self.execution_stopped_at),
                           ("stoppedAt", self.stopped_at), ("stopCode", self.stop_code),
                           ("stoppedReason", self.stopped_reason)):
            if value is not None:
                out[key] = value
        if self.subnet_id:
            details = [{"name": "subnetId", "value": self.subnet_id}]
            if self.eni:
                details += [{"name": "networkInterfaceId", "value": self.eni.id},
                            {"name": "macAddress", "value": self.eni.mac},
                            {"name": "privateDnsName", "value": self.eni.private_dns},
                            {"name": "privateIPv4Address", "value": self.eni.private_ip}]
            out["attachments"] = [{"id": self.attachment_id, "type": "ElasticNetworkInterface",
                                   "status": str(self.attachment_status), "details": details}]
        if include_tags:
            out["tags"] = tag_list(self.tags)
        return out

    def _render_container(self, c: ContainerState, at_start: bool = False) -> Json:
        out: Json = {
            "containerArn": c.arn, "taskArn": self.arn, "name": c.name, "image": c.definition["image"],
            "lastStatus": str(c.last_status), "networkInterfaces": [], "cpu": str(c.definition.get("cpu", 0)),
        }
        if not at_start:
            out["networkBindings"] = []
            out["healthStatus"] = str(c.health_status)
        if c.last_status != ContainerStatus.PENDING:
            out["runtimeId"] = c.runtime_id
            # a digest of the image reference: sha256 + 64 hex, stable per image, as AWS shows it
            out["imageDigest"] = "sha256:" + hashlib.sha256(c.definition["image"].encode()).hexdigest()
        if self.eni:
            out["networkInterfaces"] = [{"attachmentId": self.attachment_id, "privateIpv4Address": self.eni.private_ip}]
        if "memory" in c.definition:
            out["memory"] = str(c.definition["memory"])
        if "memoryReservation" in c.definition:
            out["memoryReservation"] = str(c.definition["memoryReservation"])
        if c.exit_code is not None:
            out["exitCode"] = c.exit_code
        if c.reason:
            out["reason"] = c.reason
        return out


@dataclass(frozen=True)
class Revision:
    """What a deployment deploys: the service's spec when the deployment began (a service revision)."""
    task_definition: TaskDefinition
    launch_type: str | None
    capacity_strategy: list[Json]
    network: Json | None
    config: Json                      # deploymentConfiguration
    load_balancers: list[Json]


@dataclass
class DeploymentBookkeeping:
    """The controller's own counters for a deployment; never shown."""
    keep: int = 0                       # once superseded: tasks it may still run (replaced on its revision)
    complete_not_before: float = 0.0    # a rollback settles no sooner (Timing.rollback_settle)
    bake_until: float | None = None     # with deployment alarms: complete no sooner (set once it could)
    ignored_alarms: bool = False        # a named alarm was in ALARM when the deployment started
    deadlock_reported: bool = False


@dataclass
class Deployment:
    id: str
    revision: Revision
    desired_count: int
    created_at: float
    # status: what DescribeServices and the ServiceDeployment API show
    status: DeploymentStatus = DeploymentStatus.PRIMARY
    rollout_state: RolloutState = RolloutState.IN_PROGRESS
    rollout_reason: str = ""
    failed_tasks: int = 0
    updated_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    stopped_at: float | None = None
    completed_at: float | None = None
    sd_status: ServiceDeploymentStatus = ServiceDeploymentStatus.IN_PROGRESS
    sd_reason: str | None = None
    source_ids: list[str] = field(default_factory=list)
    rollback_started_at: float | None = None
    rollback_reason: str | None = None
    rollback_target: str | None = None  # the deployment this one rolled back to
    breaker_status: BreakerStatus = BreakerStatus.MONITORING
    alarm_status: BreakerStatus = BreakerStatus.DISABLED   # ServiceDeployment.alarms.status
    triggered_alarms: tuple[str, ...] = ()
    # the target group its tasks register in, by the service's targetGroupArn: the alternate one for
    # the green revision of a blue/green, canary or linear deployment, else the one in production
    groups: dict[str, str] = field(default_factory=dict)
    shift: ShiftRun | None = None       # BLUE_GREEN, CANARY, LINEAR: where the traffic shift is
    book: DeploymentBookkeeping = field(default_factory=DeploymentBookkeeping)

    @property
    def alarm_names(self) -> list[str]:
        """deploymentConfiguration.alarms.alarmNames when the alarms are enabled, else none."""
        alarms = self.config.get("alarms") or {}
        names: list[str] = alarms.get("alarmNames", []) if alarms.get("enable") else []
        return names

    @property
    def task_definition(self) -> TaskDefinition:
        return self.revision.task_definition

    @property
    def config(self) -> Json:
        return self.revision.config

    def render(self, tasks: list[Task], fresh: bool = False, desired: int | None = None) -> Json:
        """fresh: the deployment was created by the call being answered; AWS's CreateService and
        UpdateService responses show it with desiredCount 0 (the scheduler has not sized it yet)."""
        mine = [t for t in tasks if t.deployment_id == self.id]
        out: Json = {
            "id": self.id, "status": str(self.status), "taskDefinition": self.task_definition.arn,
            "desiredCount": 0 if fresh else self.desired_count if desired is None else desired,
            "pendingCount": sum(t.last_status in PENDING_STATES for t in mine),
            "runningCount": sum(t.last_status == TaskStatus.RUNNING for t in mine),
            "failedTasks": self.failed_tasks, "createdAt": self.created_at, "updatedAt": self.updated_at,
            "platformVersion": "1.4.0", "platformFamily": "Linux",
            "rolloutState": str(self.rollout_state), "rolloutStateReason": self.rollout_reason,
        }
        _add_present(out, _launch_pairs(self.revision))
        return out


@dataclass
class ServiceEvent:
    id: str
    created_at: float
    message: str


@dataclass
class ServiceSpec:
    """What the user asked for the service (CreateService, then UpdateService); a new deployment
    deploys a copy of it (`Revision`)."""
    desired_count: int
    task_definition: TaskDefinition
    launch_type: str | None
    capacity_strategy: list[Json]
    network: Json | None
    load_balancers: list[Json]
    config: Json                      # deploymentConfiguration
    grace_period: int
    propagate_tags: str = "NONE"
    managed_tags: bool = False
    execute_command: bool = False
    az_rebalancing: str = "ENABLED"   # availabilityZoneRebalancing (ENABLED by default on create since 2025)
    platform_version: str = "LATEST"

    def revision(self) -> Revision:
        return Revision(task_definition=self.task_definition, launch_type=self.launch_type,
                        capacity_strategy=list(self.capacity_strategy), network=self.network,
                        config=dict(self.config), load_balancers=list(self.load_balancers))


@dataclass
class ServiceBookkeeping:
    """The service controller's private counters; never shown."""
    reconcile_pending: bool = False
    # The scheduler's view of each live task, worked out again only for tasks touched since
    # (ServiceController._views): a step then costs little for the thousands that did not change.
    views: dict[str, tuple[TaskView, bool]] = field(default_factory=dict)   # task id -> (view, healthy)
    touched: set[str] = field(default_factory=set)                  # task ids changed since the last step
    start_failures: int = 0           # consecutive tasks that never reached RUNNING
    launch_not_before: float = 0.0    # the start-failure throttle
    impaired_reported: bool = False
    unhealthy_replacements: int = 0   # for the next "replaced N tasks due to an unhealthy status"
    placement_reported: bool = False
    steady: bool = False              # steady state reached (and reported) since the last change
    launch_log: deque[tuple[float, int]] = field(default_factory=deque)   # (time, tasks started) of the steps in the launch window
    launch_wake: float | None = None  # when a step held back by the launch budget looks again


@dataclass
class Service:
    name: str
    arn: str
    cluster: Cluster
    region: str
    spec: ServiceSpec
    created_at: float
    created_by: str
    tags: dict[str, str] = field(default_factory=dict)
    # status: what DescribeServices shows besides the spec
    status: ServiceStatus = ServiceStatus.ACTIVE
    deployments: list[Deployment] = field(default_factory=list)   # PRIMARY first
    history: list[Deployment] = field(default_factory=list)       # every deployment, oldest first
    events: deque[ServiceEvent] = field(default_factory=lambda: deque(maxlen=100))
    live: dict[str, Task] = field(default_factory=dict)            # tasks not yet STOPPED
    # loadBalancers[].targetGroupArn -> the target group now taking production traffic (it and
    # advancedConfiguration.alternateTargetGroupArn swap roles after each blue/green deployment)
    production_groups: dict[str, str] = field(default_factory=dict)
    book: ServiceBookkeeping = field(default_factory=ServiceBookkeeping)

    @property
    def primary(self) -> Deployment:
        return self.deployments[0]

    def production_group(self, group: str) -> str:
        """The target group taking production traffic in place of loadBalancers[].targetGroupArn `group`."""
        return self.production_groups.get(group) or group

    def render(self, include_tags: bool = False, fresh: str | None = None,
               before: dict[str, int] | None = None) -> Json:
        """fresh: the id of a deployment created by the call being answered (see Deployment.render);
        before: the desired counts the other deployments had before that call, which AWS's response
        still shows (the scheduler has not resized them yet)."""
        tasks = list(self.live.values())
        spec = self.spec
        deployments = [d.render(tasks, fresh=d.id == fresh, desired=(before or {}).get(d.id)) for d in self.deployments]
        out: Json = {
            "serviceArn": self.arn, "serviceName": self.name, "clusterArn": self.cluster.arn,
            "loadBalancers": spec.load_balancers, "serviceRegistries": [], "status": str(self.status),
            "desiredCount": spec.desired_count,
            "runningCount": sum(t.last_status == TaskStatus.RUNNING for t in tasks),
            "pendingCount": sum(t.last_status in PENDING_STATES for t in tasks),
            "platformVersion": spec.platform_version, "platformFamily": "Linux",
            "taskDefinition": spec.task_definition.arn, "deploymentConfiguration": spec.config,
            "deployments": deployments,
            "currentServiceRevisions": [{"arn": self.revision_arn(d["id"]), "requestedTaskCount": d["desiredCount"],
                                         "runningTaskCount": d["runningCount"], "pendingTaskCount": d["pendingCount"]}
                                        for d in deployments],
            "roleArn": f"arn:aws:iam::{self.arn.split(':')[4]}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            "events": [{"id": e.id, "createdAt": e.created_at, "message": e.message} for e in reversed(self.events)],
            "createdAt": self.created_at, "placementConstraints": [], "placementStrategy": [],
            "schedulingStrategy": "REPLICA", "deploymentController": {"type": "ECS"},
            "createdBy": self.created_by, "enableECSManagedTags": spec.managed_tags,
            "propagateTags": spec.propagate_tags, "enableExecuteCommand": spec.execute_command,
            "availabilityZoneRebalancing": spec.az_rebalancing, "resourceManagementType": "CUSTOMER",
            "healthCheckGracePeriodSeconds": spec.grace_period,
        }
        _add_present(out, _launch_pairs(spec))
        if include_tags and self.tags:
            out["tags"] = tag_list(self.tags)   # AWS omits the key when the service has no tags
        return out

    def deployment_arn(self, deployment_id: str) -> str:
        prefix = self.arn.split(":service/")[0]
        return f"{prefix}:service-deployment/{self.cluster.name}/{self.name}/{deployment_id.split('/')[-1]}"

    def revision_arn(self, deployment_id: str) -> str:
        prefix = self.arn.split(":service/")[0]
        return f"{prefix}:service-revision/{self.cluster.name}/{self.name}/{deployment_id.split('/')[-1]}"
