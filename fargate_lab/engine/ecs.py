"""The ECS engine: the API operations, on top of the task lifecycle and the
service controller.  `Engine.call(region, "RunTask", params)` returns the
response dict or raises `EcsError` with AWS's code and message.

Every check runs before anything is created, so a refused call leaves nothing
behind.  Messages are AWS's own where known (ecs-behaviour.md §6).
"""
from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .catalog import ImageCatalog
from .clock import Clock, VirtualClock
from .controller import ServiceController
from .errors import EcsError, client_error, invalid_parameter
from .fargate import check_size, parse_cpu, parse_memory
from .ids import IdSource
from .lifecycle import ECR_HOST, TaskLifecycle
from .records import (PENDING_STATES, Cluster, ContainerState, Deployment, Service, Task, TaskDefinition,
                      tag_list)
from .scheduler import circuit_breaker_threshold
from .substrate import OfflineSubstrate, Substrate
from .timing import Timing, preset

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,255}\Z")   # \Z: "$" would let a trailing newline through
DEFAULT_DEPLOYMENT_CONFIG = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200, "minimumHealthyPercent": 100,
    "strategy": "ROLLING", "bakeTimeInMinutes": 0,   # shown by AWS on every rolling service (2025+)
}
CLUSTER_NOT_FOUND = ("ClusterNotFoundException", "Cluster not found.")


@dataclass(frozen=True)
class Quotas:
    """ECS's quotas on what requests can make the engine keep (ecs-behaviour §8), so that no series of
    requests grows it without bound.  Per-request limits (counts, list lengths) are the wire's."""
    clusters_per_region: int = 10_000
    services_per_cluster: int = 5_000
    revisions_per_family: int = 1_000_000
    task_definition_bytes: int = 65_536      # the request's JSON (awsdocs/amazon-ecs-developer-guide PR #149)
    override_characters: int = 8_192         # RunTask overrides, JSON formatting included (RunTask API doc)


@dataclass
class RegionState:
    clusters: dict[str, Cluster] = field(default_factory=dict)
    families: dict[str, list[TaskDefinition]] = field(default_factory=dict)


class Engine(TaskLifecycle, ServiceController):
    def __init__(self, clock: Clock | None = None, seed: int = 0, substrate: Substrate | None = None,
                 catalog: ImageCatalog | None = None, timing: str | Timing = "realistic",
                 quotas: Quotas | None = None):
        self.clock = clock or VirtualClock(0.0)
        self.quotas = quotas or Quotas()
        self.verify_views = False   # recompute the scheduler's cached task views every step and compare
        self.ids = IdSource(seed)
        self.substrate = substrate or OfflineSubstrate()
        self.catalog = catalog or ImageCatalog.with_demo_images()
        self.timing = preset(timing)
        self.account = self.substrate.account_id
        self.regions: dict[str, RegionState] = {}
        self.deployments: dict[str, Deployment] = {}
        self.zones: dict[str, str] = {}   # subnet id -> availability zone, learnt when validated

    # -- entry point ----------------------------------------------------------
    def call(self, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "op_" + operation, None)
        if handler is None:
            raise EcsError("UnsupportedOperation", operation)
        return handler(region, params)

    def supports(self, operation: str) -> bool:
        return hasattr(self, "op_" + operation)

    # -- lookups --------------------------------------------------------------
    def _region(self, region: str) -> RegionState:
        return self.regions.setdefault(region, RegionState())

    def _arn(self, region: str, kind: str, rest: str) -> str:
        return f"arn:aws:ecs:{region}:{self.account}:{kind}/{rest}"

    def _cluster(self, region: str, ref: str | None, active: bool = True) -> Cluster:
        name = (ref or "default").rsplit("/", 1)[-1]
        cluster = self._region(region).clusters.get(name)
        if cluster is None or (active and cluster.status != "ACTIVE"):
            raise EcsError(*CLUSTER_NOT_FOUND)
        return cluster

    def _task_definition(self, region: str, ref: str, missing: EcsError) -> TaskDefinition:
        text = ref.split(":task-definition/", 1)[-1]
        family, _, revision = text.partition(":")
        revisions = self._region(region).families.get(family, [])
        if revision:
            # ASCII digits only, and few: "²".isdigit() is true and int() of 5,000 digits raises
            if not (revision.isascii() and revision.isdigit() and len(revision) <= 10) \
                    or not 1 <= int(revision) <= len(revisions):
                raise missing
            td = revisions[int(revision) - 1]
            if td.status == "DELETE_IN_PROGRESS":
                raise missing
            return td
        for td in reversed(revisions):
            if td.status == "ACTIVE":
                return td
        raise missing

    def _runnable_definition(self, region: str, ref: str) -> TaskDefinition:
        td = self._task_definition(region, ref, client_error("TaskDefinition not found."))
        if td.status != "ACTIVE":
            raise client_error("TaskDefinition is inactive")
        return td

    def _task(self, cluster: Cluster, ref: str) -> Task | None:
        return cluster.tasks.get(ref.rsplit("/", 1)[-1])

    def _service(self, cluster: Cluster, ref: str) -> Service | None:
        return cluster.services.get(ref.rsplit("/", 1)[-1])

    # -- pagination (an opaque token, as AWS's) -------------------------------
    @staticmethod
    def _page(items: list, params: dict, default: int, maximum: int) -> tuple[list, str | None]:
        size = params.get("maxResults", default)
        if not 1 <= size <= maximum:
            raise invalid_parameter(f"maxResults must be between 1 and {maximum}.")
        start = 0
        if params.get("nextToken"):
            try:
                start = json.loads(base64.b64decode(params["nextToken"]))["offset"]
                if type(start) is not int or start < 0:
                    raise ValueError(start)
            except Exception:
                raise invalid_parameter("Invalid token: the nextToken was not issued by this call.") from None
        page = items[start:start + size]
        token = None
        if start + size < len(items):
            token = base64.b64encode(json.dumps({"offset": start + size}).encode()).decode()
        return page, token

    # -- clusters --------------------------------------------------------------
    def op_CreateCluster(self, region, p):
        name = p.get("clusterName", "default")
        if not NAME.match(name):
            raise invalid_parameter("Cluster name can have up to 255 letters (uppercase and lowercase), "
                                    "numbers, underscores, and hyphens.")
        providers = p.get("capacityProviders", [])
        for cp in providers:
            if cp not in ("FARGATE", "FARGATE_SPOT"):
                raise invalid_parameter(f"The specified capacity provider {cp} does not exist. "
                                        "Specify a valid capacity provider and try again.")
        strategy = p.get("defaultCapacityProviderStrategy", [])
        self._check_strategy(strategy, providers)
        state = self._region(region)
        existing = state.clusters.get(name)
        if existing and existing.status == "ACTIVE":
            return {"cluster": existing.render(["TAGS", "SETTINGS"])}  # CreateCluster is idempotent
        limit = self.quotas.clusters_per_region
        if sum(c.status == "ACTIVE" for c in state.clusters.values()) >= limit:
            raise client_error(f"You have reached the limit of {limit:,} clusters in {region} for this account "
                               "(ECS quota 'Clusters per account'); delete clusters you no longer use.")
        cluster = Cluster(name=name, arn=self._arn(region, "cluster", name), region=region,
                          tags=self._tags(p.get("tags", [])), capacity_providers=list(providers),
                          default_strategy=strategy, configuration=p.get("configuration"))
        if p.get("settings"):
            cluster.settings = p["settings"]
        state.clusters[name] = cluster
        return {"cluster": cluster.render(["TAGS", "SETTINGS"])}

    @staticmethod
    def _check_strategy(strategy: list[dict], providers: list[str]) -> None:
        for item in strategy:
            if item["capacityProvider"] not in providers:
                raise invalid_parameter("The specified capacity provider strategy cannot contain a capacity "
                                        "provider that is not associated with the cluster. Associate the "
                                        "capacity provider with the cluster or specify a valid capacity "
                                        "provider and try again.")

    def op_DescribeClusters(self, region, p):
        state = self._region(region)
        refs = p.get("clusters") or ["default"]
        out, failures = [], []
        for ref in refs:
            cluster = state.clusters.get(ref.rsplit("/", 1)[-1])
            if cluster:
                out.append(cluster.render(p.get("include")))
            else:
                failures.append({"arn": ref if ref.startswith("arn:") else self._arn(region, "cluster", ref),
                                 "reason": "MISSING"})
        return {"clusters": out, "failures": failures}

    def op_ListClusters(self, region, p):
        arns = [c.arn for c in self._region(region).clusters.values() if c.status == "ACTIVE"]
        page, token = self._page(arns, p, 100, 100)
        return {"clusterArns": page, **({"nextToken": token} if token else {})}

    def op_DeleteCluster(self, region, p):
        cluster = self._cluster(region, p["cluster"])
        if any(s.status in ("ACTIVE", "DRAINING") for s in cluster.services.values()):
            raise EcsError("ClusterContainsServicesException",
                           "The Cluster cannot be deleted while Services are active.")
        if any(t.last_status != "STOPPED" for t in cluster.tasks.values()):
            raise EcsError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
        cluster.status = "INACTIVE"
        return {"cluster": cluster.render(["TAGS", "SETTINGS"])}

    def op_UpdateCluster(self, region, p):
        cluster = self._cluster(region, p["cluster"])
        if "settings" in p:
            cluster.settings = p["settings"]
        if "configuration" in p:
            cluster.configuration = p["configuration"]
        return {"cluster": cluster.render(["SETTINGS", "CONFIGURATIONS"])}

    def op_UpdateClusterSettings(self, region, p):
        cluster = self._cluster(region, p["cluster"])
        cluster.settings = p["settings"]
        return {"cluster": cluster.render(["SETTINGS"])}

    def op_PutClusterCapacityProviders(self, region, p):
        cluster = self._cluster(region, p["cluster"])
        for cp in p["capacityProviders"]:
            if cp not in ("FARGATE", "FARGATE_SPOT"):
                raise invalid_parameter(f"The specified capacity provider {cp} does not exist. "
                                        "Specify a valid capacity provider and try again.")
        self._check_strategy(p["defaultCapacityProviderStrategy"], p["capacityProviders"])
        cluster.capacity_providers = list(p["capacityProviders"])
        cluster.default_strategy = list(p["defaultCapacityProviderStrategy"])
        return {"cluster": cluster.render()}

    def op_DescribeCapacityProviders(self, region, p):
        names = p.get("capacityProviders") or ["FARGATE", "FARGATE_SPOT"]
        out, failures = [], []
        for name in names:
            short = name.rsplit("/", 1)[-1]
            if short in ("FARGATE", "FARGATE_SPOT"):
                out.append({"capacityProviderArn": self._arn(region, "capacity-provider", short),
                            "name": short, "status": "ACTIVE", "tags": []})
            else:
                failures.append({"arn": name, "reason": "MISSING"})
        return {"capacityProviders": out, "failures": failures}

    def op_ListContainerInstances(self, region, p):
        self._cluster(region, p.get("cluster"))
        return {"containerInstanceArns": []}  # Fargate: no instances to list

    def op_ListAccountSettings(self, region, p):
        names = ["serviceLongArnFormat", "taskLongArnFormat", "containerInstanceLongArnFormat",
                 "awsvpcTrunking", "containerInsights", "fargateTaskRetirementWaitPeriod"]
        values = {"awsvpcTrunking": "disabled", "containerInsights": "disabled",
                  "fargateTaskRetirementWaitPeriod": "7"}
        wanted = [n for n in names if not p.get("name") or n == p["name"]]
        return {"settings": [{"name": n, "value": values.get(n, "enabled"),
                              "principalArn": f"arn:aws:iam::{self.account}:root", "type": "aws_managed"}
                             for n in wanted]}

    # -- task definitions ------------------------------------------------------
    def op_RegisterTaskDefinition(self, region, p):
        family = p["family"]
        if not NAME.match(family):
            raise client_error("Family contains invalid characters. Up to 255 letters (uppercase and lowercase), "
                               "numbers, underscores, and hyphens are allowed.")
        size = len(json.dumps(p, separators=(",", ":"), default=str).encode())
        if size > self.quotas.task_definition_bytes:
            raise client_error(f"Actual length: '{size}'. Max allowed length is "
                               f"'{self.quotas.task_definition_bytes}' bytes.")
        known = len(self._region(region).families.get(family, ()))
        if known >= self.quotas.revisions_per_family:
            raise EcsError("LimitExceededException",
                           f"Family {family} has reached the limit of {self.quotas.revisions_per_family:,} "
                           "revisions (deregistered ones count too); register under a new family name.")
        containers = [self._container_definition(c, p) for c in p["containerDefinitions"]]
        if not containers:
            raise client_error("Container list cannot be empty.")
        if len(containers) > 10:
            raise client_error("Too many containers: a task definition can have at most 10 containers.")
        names = [c["name"] for c in containers]
        for name in names:
            if names.count(name) > 1:
                raise client_error(f"Container names must be unique: '{name}' is used more than once.")
        if not any(c.get("essential", True) for c in containers):
            raise client_error("A task definition must have at least one essential container.")
        compat = p.get("requiresCompatibilities", [])
        network_mode = p.get("networkMode")
        cpu = self._task_size(parse_cpu, p, "cpu")
        memory = self._task_size(parse_memory, p, "memory")
        if "FARGATE" in compat:
            if network_mode != "awsvpc":
                raise client_error("Fargate only supports network mode 'awsvpc'.")
            if cpu is None:
                raise client_error("Fargate requires that 'cpu' be defined at the task level.")
            if memory is None:
                raise client_error("Fargate requires that 'memory' be defined at the task level.")
            check_size(cpu, memory)
            if not p.get("executionRoleArn"):
                for c in containers:
                    if (c.get("logConfiguration") or {}).get("logDriver") == "awslogs":
                        raise client_error("Fargate requires task definition to have execution role ARN "
                                           "to support log driver awslogs.")
                    if ECR_HOST in c["image"]:
                        raise client_error("Fargate requires task definition to have execution role ARN "
                                           "to support ECR images.")
                    if c.get("secrets"):
                        raise client_error("Fargate requires task definition to have execution role ARN "
                                           "to support secrets.")
        if memory is not None:
            used = sum(c.get("memory", c.get("memoryReservation", 0)) for c in containers)
            if used > memory:
                raise client_error(f"The sum of container memory ({used} MiB) is greater than the task "
                                   f"memory ({memory} MiB). Lower the container memory or raise the task's.")
        storage = (p.get("ephemeralStorage") or {}).get("sizeInGiB")
        if storage is not None and storage < 21:
            raise client_error("EphemeralStorage size should be at least 21")
        if storage is not None and storage > 200:
            raise client_error("EphemeralStorage size should be at most 200")
        for volume in p.get("volumes", []):
            if not volume.get("name"):
                raise client_error("Volume name should not be null or empty.")

        state = self._region(region)
        revisions = state.families.setdefault(family, [])
        revision = len(revisions) + 1
        arn = self._arn(region, "task-definition", f"{family}:{revision}")
        fargate_ok = network_mode == "awsvpc" and cpu is not None and memory is not None
        body: dict[str, Any] = {
            "taskDefinitionArn": arn, "containerDefinitions": containers, "family": family,
            "revision": revision, "volumes": p.get("volumes", []), "status": "ACTIVE",
            "requiresAttributes": self._required_attributes(containers, network_mode, p),
            "placementConstraints": p.get("placementConstraints", []),
            "compatibilities": ["EC2", "FARGATE"] if ("FARGATE" in compat or fargate_ok) else ["EC2"],
            "registeredAt": self.clock.now(), "registeredBy": f"arn:aws:iam::{self.account}:root",
        }
        if network_mode:
            body["networkMode"] = network_mode
        for key in ("taskRoleArn", "executionRoleArn", "runtimePlatform", "pidMode", "ipcMode",
                    "proxyConfiguration", "ephemeralStorage", "inferenceAccelerators"):
            if p.get(key) is not None:
                body[key] = p[key]
        if compat:
            body["requiresCompatibilities"] = compat
        if cpu is not None:
            body["cpu"] = str(cpu)
        if memory is not None:
            body["memory"] = str(memory)
        td = TaskDefinition(arn=arn, family=family, revision=revision, body=body, tags=self._tags(p.get("tags", [])))
        revisions.append(td)
        out = {"taskDefinition": td.render()}
        if td.tags:
            out["tags"] = tag_list(td.tags)
        return out

    @staticmethod
    def _task_size(parse, p: dict, key: str) -> int | None:
        """Task-level cpu/memory: a short ASCII string first (a 5,000-digit or non-ASCII "number"
        would make the parser's int()/float() raise instead of answering)."""
        if p.get(key) is None:
            return None
        text = str(p[key]).strip()
        if not text.isascii() or len(text) > 16:
            raise client_error(f"Invalid '{key}' setting for task. For more information, see the "
                               "Troubleshooting section of the Amazon ECS Developer Guide.")
        return parse(text)

    @staticmethod
    def _container_definition(c: dict, p: dict) -> dict:
        if not c.get("name"):
            raise client_error("Container.name should not be null or empty.")
        if not c.get("image"):
            raise client_error(f"Container.image should not be null or empty (container '{c['name']}').")
        out = {"name": c["name"], "image": c["image"], "cpu": c.get("cpu", 0)}
        ports = []
        for m in c.get("portMappings", []):
            m = dict(m)
            if p.get("networkMode") == "awsvpc":
                if m.get("hostPort") not in (None, m.get("containerPort")):
                    raise client_error("When networkMode=awsvpc, the host ports and container ports in port "
                                       "mappings must match.")
                m["hostPort"] = m.get("containerPort")
            m.setdefault("protocol", "tcp")
            ports.append(m)
        out["portMappings"] = ports
        out["essential"] = c.get("essential", True)
        for key in ("environment", "mountPoints", "volumesFrom", "systemControls"):
            out[key] = c.get(key, [])
        for key, value in c.items():
            out.setdefault(key, value)
        return out

    @staticmethod
    def _required_attributes(containers, network_mode, p) -> list[dict]:
        attrs = [{"name": "com.amazonaws.ecs.capability.docker-remote-api.1.18"}]
        if network_mode == "awsvpc":
            attrs.append({"name": "ecs.capability.task-eni"})
        if any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers):
            attrs.append({"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"})
            if p.get("executionRoleArn"):
                attrs.append({"name": "ecs.capability.execution-role-awslogs"})
        if any(c.get("healthCheck") for c in containers):
            attrs.append({"name": "ecs.capability.container-health-check"})
        return attrs

    def op_DescribeTaskDefinition(self, region, p):
        td = self._task_definition(region, p["taskDefinition"], client_error("Unable to describe task definition."))
        out = {"taskDefinition": td.render()}
        if "TAGS" in p.get("include", []):
            out["tags"] = tag_list(td.tags)
        return out

    def op_ListTaskDefinitions(self, region, p):
        status = p.get("status", "ACTIVE")
        prefix = p.get("familyPrefix")
        items = [td for fam, revs in sorted(self._region(region).families.items())
                 if prefix is None or fam == prefix for td in revs if td.status == status]
        if p.get("sort") == "DESC":
            items.reverse()
        page, token = self._page([td.arn for td in items], p, 100, 100)
        return {"taskDefinitionArns": page, **({"nextToken": token} if token else {})}

    def op_ListTaskDefinitionFamilies(self, region, p):
        status = p.get("status", "ACTIVE")
        prefix = p.get("familyPrefix", "")
        names = []
        for fam, revs in sorted(self._region(region).families.items()):
            has_active = any(td.status == "ACTIVE" for td in revs)
            if fam.startswith(prefix) and (status == "ALL" or (status == "ACTIVE") == has_active):
                names.append(fam)
        page, token = self._page(names, p, 100, 100)
        return {"families": page, **({"nextToken": token} if token else {})}

    def op_DeregisterTaskDefinition(self, region, p):
        ref = p["taskDefinition"]
        if ":" not in ref.split(":task-definition/", 1)[-1]:
            raise client_error("Revision must be specified: use family:revision.")
        td = self._task_definition(region, ref, client_error("The specified task definition does not exist."))
        if td.status == "ACTIVE":
            td.status, td.deregistered_at = "INACTIVE", self.clock.now()
        return {"taskDefinition": td.render()}

    def op_DeleteTaskDefinitions(self, region, p):
        done, failures = [], []
        for ref in p["taskDefinitions"]:
            try:
                td = self._task_definition(region, ref, client_error("The specified task definition does not exist."))
            except EcsError as e:
                failures.append({"arn": ref, "reason": "TASK_DEFINITION_NOT_FOUND", "detail": e.message})
                continue
            if td.status == "ACTIVE":
                failures.append({"arn": td.arn, "reason": "The specified task definition is still in ACTIVE status. "
                                                          "Please deregister the target and try again."})
                continue
            td.status, td.delete_requested_at = "DELETE_IN_PROGRESS", self.clock.now()
            done.append(td.render())
        return {"taskDefinitions": done, "failures": failures}

    # -- tasks -----------------------------------------------------------------
    def _launch(self, cluster: Cluster, p: dict) -> tuple[str, str | None]:
        """(launchType, capacityProviderName) for a RunTask/CreateService request."""
        launch, strategy = p.get("launchType"), p.get("capacityProviderStrategy")
        if launch and strategy:
            raise invalid_parameter("Specify either Launch Type or Capacity Provider Strategy, but not both.")
        if not launch and not strategy:
            strategy = cluster.default_strategy
        if strategy:
            self._check_strategy(strategy, cluster.capacity_providers)
            best = max(strategy, key=lambda s: (s.get("base", 0), s.get("weight", 0)))
            return "FARGATE", best["capacityProvider"]
        return launch or "EC2", None

    def _service_launch(self, service: Service) -> tuple[str, str | None]:
        if service.capacity_strategy:
            best = max(service.capacity_strategy, key=lambda s: (s.get("base", 0), s.get("weight", 0)))
            return "FARGATE", best["capacityProvider"]
        return service.launch_type or "EC2", None

    def _network(self, region: str, td: TaskDefinition, config: dict | None) -> dict | None:
        if td.body.get("networkMode") != "awsvpc":
            return None
        vpc = (config or {}).get("awsvpcConfiguration")
        if not vpc:
            raise invalid_parameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
        subnets = vpc.get("subnets") or []
        if not subnets:
            raise invalid_parameter("subnets can not be empty.")
        if len(subnets) > 16:
            raise invalid_parameter("At most 16 subnets can be provided in awsvpcConfiguration.")
        groups = vpc.get("securityGroups", [])
        if len(groups) > 5:
            raise invalid_parameter("At most 5 security groups can be provided in awsvpcConfiguration.")
        self.zones.update(self.substrate.subnet_zones(region, subnets))
        self.substrate.check_security_groups(region, groups)
        return {"awsvpcConfiguration": {"subnets": list(subnets), "securityGroups": list(groups),
                                        "assignPublicIp": vpc.get("assignPublicIp", "DISABLED")}}

    def _create_task(self, cluster, region, td, launch, network, subnet, group, started_by, tags,
                     overrides=None, execute_command=None) -> Task:
        task_id = self.ids.task_id()
        containers = [ContainerState(definition=c, behaviour=self.catalog.lookup(c["image"]),
                                     arn=self._arn(region, "container", f"{cluster.name}/{task_id}/{self.ids.uuid()}"),
                                     runtime_id=f"{task_id}-{self.ids.rng.randrange(10**9, 10**10)}")
                     for c in td.containers]
        zone = self.zones.get(subnet) if subnet else None
        if execute_command is None:   # a service's task: the service's enableExecuteCommand
            owner = cluster.services.get(group.split(":", 1)[1]) if group.startswith("service:") else None
            execute_command = bool(owner and owner.execute_command)
        task = Task(id=task_id, arn=self._arn(region, "task", f"{cluster.name}/{task_id}"), cluster=cluster,
                    region=region, definition=td, containers=containers, launch_type=launch[0],
                    capacity_provider=launch[1] or ("FARGATE" if launch[0] == "FARGATE" else None),
                    group=group, started_by=started_by, created_at=self.clock.now(), network=network,
                    overrides=overrides or {}, tags=tags, subnet_id=subnet, availability_zone=zone,
                    execute_command=execute_command,
                    attachment_id=self.ids.uuid())
        cluster.tasks[task_id] = task
        self._begin_task(task)
        return task

    def op_RunTask(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        td = self._task_definition(region, p["taskDefinition"], client_error("TaskDefinition not found."))
        if td.status != "ACTIVE":   # RunTask answers InvalidParameterException here (UpdateService: ClientException)
            raise invalid_parameter("TaskDefinition is inactive")
        if p.get("overrides") and len(json.dumps(p["overrides"], separators=(",", ":"))) > \
                self.quotas.override_characters:
            raise invalid_parameter(f"Container Overrides length must be at most {self.quotas.override_characters}")
        count = p.get("count", 1)
        if not 1 <= count <= 10:
            raise invalid_parameter("count must be between 1 and 10.")
        launch = self._launch(cluster, p)
        if launch[0] != "FARGATE":
            raise invalid_parameter("No Container Instances were found in your cluster.")
        if not td.fargate:
            raise invalid_parameter("Task definition does not support launch_type FARGATE.")
        network = self._network(region, td, p.get("networkConfiguration"))
        subnets = network["awsvpcConfiguration"]["subnets"] if network else [None]
        group = p.get("group") or f"family:{td.family}"
        tags = self._tags(p.get("tags", []))
        if p.get("propagateTags") == "TASK_DEFINITION":
            tags = {**td.tags, **tags}
        overrides = dict(p.get("overrides") or {})   # kept as given, containerOverrides included
        tasks = [self._create_task(cluster, region, td, launch, network, self.ids.rng.choice(subnets), group,
                                   p.get("startedBy"), tags, overrides, bool(p.get("enableExecuteCommand")))
                 for _ in range(count)]
        return {"tasks": [t.render(include_tags=True, at_start=True) for t in tasks], "failures": []}

    def op_StartTask(self, region, p):
        self._cluster(region, p.get("cluster"))
        raise invalid_parameter("StartTask places tasks on container instances, and this Fargate cluster has "
                                "none. Use RunTask with launchType FARGATE.")

    def op_StopTask(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        task = self._task(cluster, p["task"])
        if task is None:
            raise invalid_parameter("The referenced task was not found.")
        self.stop_task(task, "UserInitiated", p.get("reason") or "Task stopped by user")
        return {"task": task.render(include_tags=True)}

    def op_DescribeTasks(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        refs = p["tasks"]
        if len(refs) > 100:
            raise invalid_parameter("Tasks cannot be more than 100.")
        out, failures = [], []
        for ref in refs:
            task = self._task(cluster, ref)
            if task:
                out.append(task.render(include_tags="TAGS" in p.get("include", [])))
            else:
                failures.append({"arn": ref if ref.startswith("arn:") else self._arn(region, "task", f"{cluster.name}/{ref}"),
                                 "reason": "MISSING"})
        return {"tasks": out, "failures": failures}

    def op_ListTasks(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        tasks = list(cluster.tasks.values())
        if p.get("serviceName"):
            service = self._service(cluster, p["serviceName"])
            if service is None:
                raise EcsError("ServiceNotFoundException", "Service not found.")
            tasks = [t for t in tasks if t.group == f"service:{service.name}"]
        if p.get("family"):
            tasks = [t for t in tasks if t.definition.family == p["family"]]
        if p.get("startedBy"):
            tasks = [t for t in tasks if t.started_by == p["startedBy"]]
        if p.get("launchType"):
            tasks = [t for t in tasks if t.launch_type == p["launchType"]]
        if p.get("containerInstance"):
            tasks = []
        wanted = p.get("desiredStatus", "RUNNING")
        tasks = [t for t in tasks if t.desired_status == wanted]
        page, token = self._page([t.arn for t in tasks], p, 100, 100)
        return {"taskArns": page, **({"nextToken": token} if token else {})}

    def op_GetTaskProtection(self, region, p):
        cluster = self._cluster(region, p["cluster"])
        out, failures = [], []
        for ref in p.get("tasks", []):
            task = self._task(cluster, ref)
            if task:
                out.append({"taskArn": task.arn, "protectionEnabled": False})
            else:
                failures.append({"arn": ref, "reason": "MISSING"})
        return {"protectedTasks": out, "failures": failures}

    # -- services --------------------------------------------------------------
    def _deployment_config(self, given: dict | None, base: dict) -> dict:
        config = json.loads(json.dumps(base))
        for key, value in (given or {}).items():
            config[key] = value
        low, high = config.get("minimumHealthyPercent", 100), config.get("maximumPercent", 200)
        if not 0 <= low <= 100:
            raise invalid_parameter("minimumHealthyPercent must be between 0 and 100.")
        if high < 100:
            raise invalid_parameter("maximumPercent must be at least 100.")
        breaker = config.get("deploymentCircuitBreaker")
        if breaker is not None and ("enable" not in breaker or "rollback" not in breaker):
            raise invalid_parameter("deploymentCircuitBreaker needs both enable and rollback.")
        early = config.get("earlySuccessCriteria")
        if early is not None and early.get("enable"):
            self._check_early_success(early, config)
        threshold = (breaker or {}).get("thresholdConfiguration")
        if threshold is not None:
            kind, value = threshold.get("type"), threshold.get("value")
            if kind not in ("COUNT", "BOUNDED_PERCENT", "UNBOUNDED_PERCENT") or not isinstance(value, int):
                raise invalid_parameter("deploymentCircuitBreaker.thresholdConfiguration needs a type "
                                        "(COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT) and an integer value.")
            if kind != "COUNT" and not 1 <= value <= 100:
                raise invalid_parameter(f"deploymentCircuitBreaker.thresholdConfiguration.value must be between "
                                        f"1 and 100 for {kind}, not {value}.")
            if kind == "COUNT" and value < 1:
                raise invalid_parameter("deploymentCircuitBreaker.thresholdConfiguration.value must be at least 1 "
                                        "for COUNT.")
        return config

    @staticmethod
    def _check_early_success(early: dict, config: dict) -> None:
        """The model's rules for DeploymentEarlySuccessCriteria: with enable, healthyPercent and
        sourceServiceRevisionCleanup are required; healthyPercent lies in minimumHealthyPercent..100;
        rolling deployments only."""
        field = "deploymentConfiguration.earlySuccessCriteria"
        missing = [k for k in ("healthyPercent", "sourceServiceRevisionCleanup") if early.get(k) is None]
        if missing:
            raise invalid_parameter(f"{field}: enable=true also needs {' and '.join(missing)}.")
        percent, cleanup = early["healthyPercent"], early["sourceServiceRevisionCleanup"]
        low = config.get("minimumHealthyPercent", 100)
        if not isinstance(percent, int) or isinstance(percent, bool) or not low <= percent <= 100:
            raise invalid_parameter(f"{field}.healthyPercent must be an integer from minimumHealthyPercent ({low}) "
                                    f"to 100, not {percent!r}.")
        if cleanup not in ("BLOCKING", "DEFERRED"):
            raise invalid_parameter(f"{field}.sourceServiceRevisionCleanup must be BLOCKING or DEFERRED, "
                                    f"not {cleanup!r}.")
        if config.get("strategy", "ROLLING") != "ROLLING":
            raise invalid_parameter(f"{field} can only be used with the ROLLING deployment strategy, "
                                    f"not {config['strategy']}.")

    def _load_balancers(self, region: str, td: TaskDefinition, lbs: list[dict]) -> list[dict]:
        out = []
        if len(lbs) > 5:
            raise invalid_parameter("A service can use at most 5 target groups.")
        for lb in lbs:
            arn = lb.get("targetGroupArn")
            if not arn:
                raise invalid_parameter("targetGroupArn is required for an Application or Network Load Balancer.")
            settings = self.substrate.target_group(region, arn)
            if settings is None:
                raise invalid_parameter(f"The target group with targetGroupArn {arn} does not exist.")
            name, port = lb.get("containerName"), lb.get("containerPort")
            container = next((c for c in td.containers if c["name"] == name), None)
            if container is None:
                raise invalid_parameter(f"The container {name} does not exist in the task definition.")
            if port not in [m.get("containerPort") for m in container.get("portMappings", [])]:
                raise invalid_parameter(f"The container {name} did not have a container port {port} defined.")
            if td.body.get("networkMode") == "awsvpc" and settings.target_type != "ip":
                raise invalid_parameter(f"The provided target group {arn} has target type {settings.target_type}, "
                                        "which is incompatible with the awsvpc network mode specified in the "
                                        "task definition.")
            out.append({"targetGroupArn": arn, "containerName": name, "containerPort": port})
        return out

    def op_CreateService(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        name = p["serviceName"]
        if not NAME.match(name):
            raise invalid_parameter("Service name can have up to 255 letters (uppercase and lowercase), "
                                    "numbers, underscores, and hyphens.")
        existing = cluster.services.get(name)
        if existing and existing.status in ("ACTIVE", "DRAINING"):
            raise invalid_parameter("Creation of service was not idempotent.")
        limit = self.quotas.services_per_cluster
        if sum(s.status in ("ACTIVE", "DRAINING") for s in cluster.services.values()) >= limit:
            raise client_error(f"Cluster {cluster.name} has reached the limit of {limit:,} services (ECS quota "
                               "'Services per cluster'); delete services you no longer use.")
        if p.get("schedulingStrategy", "REPLICA") != "REPLICA":
            raise invalid_parameter("The DAEMON scheduling strategy is not supported by Fargate.")
        if "desiredCount" not in p:
            raise invalid_parameter("desiredCount is required for services that use the REPLICA scheduling strategy.")
        if p["desiredCount"] < 0:
            raise invalid_parameter("desiredCount must be 0 or greater.")
        if (p.get("deploymentController") or {}).get("type", "ECS") != "ECS":
            raise invalid_parameter("Only the ECS (rolling update) deployment controller is supported locally.")
        td = self._runnable_definition(region, p["taskDefinition"])
        launch, provider = self._launch(cluster, p)
        if launch == "FARGATE" and not td.fargate:
            raise invalid_parameter("Task definition does not support launch_type FARGATE.")
        network = self._network(region, td, p.get("networkConfiguration"))
        lbs = self._load_balancers(region, td, p.get("loadBalancers", []))
        config = self._deployment_config(p.get("deploymentConfiguration"), DEFAULT_DEPLOYMENT_CONFIG)
        service = Service(
            name=name, arn=self._arn(region, "service", f"{cluster.name}/{name}"), cluster=cluster, region=region,
            desired_count=p["desiredCount"], task_definition=td,
            launch_type=None if p.get("capacityProviderStrategy") or (not p.get("launchType") and cluster.default_strategy) else launch,
            capacity_strategy=p.get("capacityProviderStrategy") or ([] if p.get("launchType") else list(cluster.default_strategy)),
            network=network, load_balancers=lbs, config=config,
            grace_period=p.get("healthCheckGracePeriodSeconds", 0), created_at=self.clock.now(),
            created_by=f"arn:aws:iam::{self.account}:root", tags=self._tags(p.get("tags", [])),
            propagate_tags=p.get("propagateTags", "NONE"), managed_tags=p.get("enableECSManagedTags", False),
            execute_command=p.get("enableExecuteCommand", False),
            az_rebalancing=p.get("availabilityZoneRebalancing", "ENABLED"),
            platform_version=p.get("platformVersion", "LATEST"))
        cluster.services[name] = service
        self._new_deployment(service, first=True)
        return {"service": service.render(include_tags=True, fresh=service.primary.id)}

    def _active_service(self, region: str, p: dict) -> Service:
        cluster = self._cluster(region, p.get("cluster"))
        service = self._service(cluster, p["service"])
        if service is None:
            raise EcsError("ServiceNotFoundException", "Service not found.")
        if service.status != "ACTIVE":
            raise EcsError("ServiceNotActiveException", "Service was not ACTIVE.")
        return service

    def op_UpdateService(self, region, p):
        service = self._active_service(region, p)
        # Validate everything first: a refused update changes nothing.
        td = self._runnable_definition(region, p["taskDefinition"]) if p.get("taskDefinition") else service.task_definition
        config = self._deployment_config(p.get("deploymentConfiguration"), service.config)
        network = self._network(region, td, p["networkConfiguration"]) if "networkConfiguration" in p else (
            self._network(region, td, service.network) if td is not service.task_definition else service.network)
        lbs = self._load_balancers(region, td, p["loadBalancers"]) if "loadBalancers" in p else (
            self._load_balancers(region, td, service.load_balancers) if td is not service.task_definition else service.load_balancers)
        if p.get("desiredCount") is not None and p["desiredCount"] < 0:
            raise invalid_parameter("desiredCount must be 0 or greater.")
        if p.get("capacityProviderStrategy"):
            self._check_strategy(p["capacityProviderStrategy"], service.cluster.capacity_providers)

        changed = (td is not service.task_definition or config != service.config or network != service.network
                   or lbs != service.load_balancers or bool(p.get("forceNewDeployment"))
                   or ("capacityProviderStrategy" in p and p["capacityProviderStrategy"] != service.capacity_strategy)
                   or ("platformVersion" in p and p["platformVersion"] != service.platform_version))
        service.task_definition, service.config, service.network, service.load_balancers = td, config, network, lbs
        if "capacityProviderStrategy" in p:
            service.capacity_strategy = p["capacityProviderStrategy"]
            service.launch_type = None if service.capacity_strategy else service.launch_type
        for key, attr in (("platformVersion", "platform_version"), ("healthCheckGracePeriodSeconds", "grace_period"),
                          ("propagateTags", "propagate_tags"), ("enableECSManagedTags", "managed_tags"),
                          ("enableExecuteCommand", "execute_command"),
                          ("availabilityZoneRebalancing", "az_rebalancing")):
            if p.get(key) is not None:
                setattr(service, attr, p[key])
        if p.get("desiredCount") is not None:
            if service.desired_count and p["desiredCount"] > service.desired_count:
                # Since November 2025 a scale-out during a rollout applies to both revisions
                # (ecs-2026.md §1.6): each older revision's claim grows in proportion.
                for older in service.deployments[1:]:
                    older.keep = math.ceil(older.keep * p["desiredCount"] / service.desired_count)
            service.desired_count = p["desiredCount"]
            if service.primary.status == "PRIMARY":
                service.primary.desired_count = p["desiredCount"]
                service.primary.updated_at = self.clock.now()
        fresh, before = None, {d.id: d.desired_count for d in service.deployments}
        if changed:
            self._new_deployment(service)
            fresh = service.primary.id
        else:
            self._dirty(service)
        return {"service": service.render(fresh=fresh, before=before if fresh else None)}

    def op_DeleteService(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        service = self._service(cluster, p["service"])
        if service is None or service.status == "INACTIVE":
            raise EcsError("ServiceNotFoundException", "Service not found.")
        if service.status == "ACTIVE":
            if service.desired_count > 0 and not p.get("force"):
                raise invalid_parameter("The service cannot be stopped while it is scaled above 0.")
            service.desired_count = 0
            service.status = "DRAINING"
            self._dirty(service)
        return {"service": service.render()}

    def op_DescribeServices(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        refs = p["services"]
        if len(refs) > 10:
            raise invalid_parameter("Services cannot be more than 10.")
        out, failures = [], []
        for ref in refs:
            service = self._service(cluster, ref)
            if service:
                out.append(service.render(include_tags="TAGS" in p.get("include", [])))
            else:
                failures.append({"arn": ref if ref.startswith("arn:") else self._arn(region, "service", f"{cluster.name}/{ref}"),
                                 "reason": "MISSING"})
        return {"services": out, "failures": failures}

    def op_ListServices(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        services = [s for s in cluster.services.values() if s.status == "ACTIVE"]
        if p.get("launchType"):
            services = [s for s in services if s.launch_type == p["launchType"]]
        page, token = self._page([s.arn for s in services], p, 10, 100)
        return {"serviceArns": page, **({"nextToken": token} if token else {})}

    # -- service deployments (the 2024 API) -----------------------------------
    @staticmethod
    def _revision_summary(service: Service, dep: Deployment) -> dict:
        """A revision's counts now (the model calls it a snapshot): requested, RUNNING, pending."""
        mine = [t for t in service.live.values() if t.deployment_id == dep.id]
        return {"arn": service.revision_arn(dep.id), "requestedTaskCount": dep.desired_count,
                "runningTaskCount": sum(t.last_status == "RUNNING" for t in mine),
                "pendingTaskCount": sum(t.last_status in PENDING_STATES for t in mine)}

    def _service_deployment(self, service: Service, dep: Deployment) -> dict:
        out = {
            "serviceDeploymentArn": service.deployment_arn(dep.id), "serviceArn": service.arn,
            "clusterArn": service.cluster.arn, "createdAt": dep.created_at, "startedAt": dep.started_at,
            "updatedAt": dep.updated_at, "status": dep.sd_status,
            "targetServiceRevision": self._revision_summary(service, dep),
            "sourceServiceRevisions": [self._revision_summary(service, self.deployments[i])
                                       for i in dep.source_ids if i in self.deployments],
            "deploymentConfiguration": dep.config,
            "deploymentCircuitBreaker": {"status": dep.breaker_status, "failureCount": dep.failed_tasks,
                                         "threshold": circuit_breaker_threshold(
                                             service.desired_count, dep.config.get("deploymentCircuitBreaker"))},
        }
        if dep.finished_at is not None:
            out["finishedAt"] = dep.finished_at
        if dep.stopped_at is not None:
            out["stoppedAt"] = dep.stopped_at
        if dep.sd_reason:
            out["statusReason"] = dep.sd_reason
        if dep.rollback_started_at is not None:
            out["rollback"] = {"reason": dep.rollback_reason, "startedAt": dep.rollback_started_at,
                               "serviceRevisionArn": service.revision_arn(dep.rollback_target or service.primary.id)}
        return out

    def op_ListServiceDeployments(self, region, p):
        cluster = self._cluster(region, p.get("cluster"))
        service = self._service(cluster, p["service"])
        if service is None:
            raise EcsError("ServiceNotFoundException", "Service not found.")
        wanted = p.get("status")
        deps = [d for d in reversed(service.history) if not wanted or d.sd_status in wanted]
        page, token = self._page(deps, p, 20, 100)
        briefs = []
        for d in page:
            brief = {"serviceDeploymentArn": service.deployment_arn(d.id), "serviceArn": service.arn,
                     "clusterArn": cluster.arn, "startedAt": d.started_at, "createdAt": d.created_at,
                     "targetServiceRevisionArn": service.revision_arn(d.id), "status": d.sd_status}
            if d.finished_at is not None:
                brief["finishedAt"] = d.finished_at
            if d.sd_reason:
                brief["statusReason"] = d.sd_reason
            briefs.append(brief)
        return {"serviceDeployments": briefs, **({"nextToken": token} if token else {})}

    def _find_by_deployment_arn(self, region: str, arn: str) -> tuple[Service, Deployment] | None:
        parts = arn.split(":service-deployment/", 1)[-1].split("/")
        if len(parts) != 3:
            return None
        cluster = self._region(region).clusters.get(parts[0])
        service = cluster.services.get(parts[1]) if cluster else None
        dep = self.deployments.get(f"ecs-svc/{parts[2]}") if service else None
        return (service, dep) if dep and dep in service.history else None

    def op_DescribeServiceDeployments(self, region, p):
        out, failures = [], []
        for arn in p["serviceDeploymentArns"]:
            found = self._find_by_deployment_arn(region, arn)
            if found:
                out.append(self._service_deployment(*found))
            else:
                failures.append({"arn": arn, "reason": "MISSING"})
        return {"serviceDeployments": out, "failures": failures}

    def op_StopServiceDeployment(self, region, p):
        found = self._find_by_deployment_arn(region, p["serviceDeploymentArn"])
        if not found:
            raise EcsError("ServiceDeploymentNotFoundException",
                           f"The service deployment {p['serviceDeploymentArn']} does not exist.")
        service, dep = found
        stop_type = p.get("stopType", "ROLLBACK")
        if stop_type != "ROLLBACK":
            raise invalid_parameter(f"stopType {stop_type} is not supported for this deployment; use ROLLBACK.")
        if dep.sd_status != "IN_PROGRESS" or dep is not service.primary:
            raise EcsError("ConflictException", f"The service deployment is {dep.sd_status}; only an IN_PROGRESS "
                                                "service deployment can be stopped.")
        target = self.rollback_target(service, dep)
        if target is None:
            raise EcsError("ConflictException", "There is no COMPLETED service deployment to roll back to.")
        self.stop_deployment(service, dep, target)
        return {"serviceDeploymentArn": service.deployment_arn(dep.id)}

    def op_DescribeServiceRevisions(self, region, p):
        out, failures = [], []
        for arn in p["serviceRevisionArns"]:
            found = self._find_by_deployment_arn(region, arn.replace(":service-revision/", ":service-deployment/"))
            if not found:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            service, dep = found
            rev = {"serviceRevisionArn": arn, "serviceArn": service.arn, "clusterArn": service.cluster.arn,
                   "taskDefinition": dep.task_definition.arn, "platformVersion": "1.4.0", "platformFamily": "Linux",
                   "loadBalancers": dep.load_balancers, "createdAt": dep.created_at,
                   "containerImages": [{"containerName": c["name"], "image": c["image"],
                                        "imageDigest": "sha256:" + "0" * 64} for c in dep.task_definition.containers]}
            if dep.launch_type:
                rev["launchType"] = dep.launch_type
            if dep.network:
                rev["networkConfiguration"] = dep.network
            out.append(rev)
        return {"serviceRevisions": out, "failures": failures}

    # -- tags ------------------------------------------------------------------
    @staticmethod
    def _tags(tags: list[dict]) -> dict[str, str]:
        if len(tags) > 50:
            raise invalid_parameter("A resource can have at most 50 tags.")
        for i, tag in enumerate(tags):
            if not tag.get("key"):   # the model leaves Tag.key optional; a tag without one means nothing
                raise invalid_parameter(f"tags[{i}].key: missing; every tag needs a key (1 to 128 characters).")
        return {t["key"]: t.get("value", "") for t in tags}

    def _tagged(self, region: str, arn: str):
        m = re.match(r"^arn:aws[a-z-]*:ecs:([^:]+):(\d+):([a-z-]+)/(.+)$", arn)
        if not m:
            raise invalid_parameter("The ARN provided is invalid.")
        kind, rest = m.group(3), m.group(4)
        state = self._region(m.group(1))
        try:
            if kind == "cluster":
                return state.clusters[rest]
            if kind == "service":
                cluster, name = rest.split("/", 1)
                return state.clusters[cluster].services[name]
            if kind == "task":
                cluster, task_id = rest.split("/", 1)
                return state.clusters[cluster].tasks[task_id]
            if kind == "task-definition":
                family, revision = rest.rsplit(":", 1)
                return state.families[family][int(revision) - 1]
        except (KeyError, ValueError, IndexError):
            pass
        raise EcsError("ResourceNotFoundException", "The specified resource could not be found.")

    def op_TagResource(self, region, p):
        resource = self._tagged(region, p["resourceArn"])
        new = self._tags(p["tags"])
        if len({**resource.tags, **new}) > 50:
            raise invalid_parameter("A resource can have at most 50 tags.")
        resource.tags.update(new)
        return {}

    def op_UntagResource(self, region, p):
        resource = self._tagged(region, p["resourceArn"])
        for key in p["tagKeys"]:
            resource.tags.pop(key, None)
        return {}

    def op_ListTagsForResource(self, region, p):
        return {"tags": tag_list(self._tagged(region, p["resourceArn"]).tags)}
