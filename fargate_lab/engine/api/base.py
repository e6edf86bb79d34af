"""What every group of API handlers shares: the engine's parts, lookups by name or ARN,
pagination, tags, and the checks that more than one resource makes (capacity providers,
launch type, network, task definitions)."""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import TypeAlias, TypeVar

from ..controller import ServiceController
from ..deployments import DeploymentBook
from ..errors import EcsError, client_error, invalid_parameter
from ..lifecycle import TaskLifecycle
from ..records import Cluster, Service, Task, TaskDefinition
from ..runtime import Runtime
from ..state import EngineState, Quotas, RegionState
from ..status import ClusterStatus, TaskDefinitionStatus
from ..types import Json

NAME = re.compile(r"^[a-zA-Z0-9_-]{1,255}\Z")   # \Z: "$" would let a trailing newline through
CLUSTER_NOT_FOUND = ("ClusterNotFoundException", "Cluster not found.")

Handler: TypeAlias = Callable[[str, Json], Json]   # an operation: (region, params) -> response
T = TypeVar("T")


class ResourceApi:
    """A group of `op_<Operation>(region, params)` handlers; `Engine` routes each call to one."""

    def __init__(self, runtime: Runtime, state: EngineState, lifecycle: TaskLifecycle,
                 controller: ServiceController, deployments: DeploymentBook):
        self.rt = runtime
        self.state = state
        self.lifecycle = lifecycle
        self.controller = controller
        self.deployments = deployments

    def operations(self) -> dict[str, Handler]:
        return {name[3:]: getattr(self, name) for name in dir(type(self)) if name.startswith("op_")}

    @property
    def account(self) -> str:
        return self.rt.account

    @property
    def quotas(self) -> Quotas:
        return self.state.quotas   # read at each call: a test may change the engine's quotas

    # -- lookups --------------------------------------------------------------
    def _region(self, region: str) -> RegionState:
        return self.state.region(region)

    def _arn(self, region: str, kind: str, rest: str) -> str:
        return self.rt.arn(region, kind, rest)

    def _cluster(self, region: str, ref: str | None, active: bool = True) -> Cluster:
        name = (ref or "default").rsplit("/", 1)[-1]
        cluster = self._region(region).clusters.get(name)
        if cluster is None or (active and cluster.status != ClusterStatus.ACTIVE):
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
            if td.status == TaskDefinitionStatus.DELETE_IN_PROGRESS:
                raise missing
            return td
        for td in reversed(revisions):
            if td.status == TaskDefinitionStatus.ACTIVE:
                return td
        raise missing

    def _runnable_definition(self, region: str, ref: str) -> TaskDefinition:
        td = self._task_definition(region, ref, client_error("TaskDefinition not found."))
        if td.status != TaskDefinitionStatus.ACTIVE:
            raise client_error("TaskDefinition is inactive")
        return td

    @staticmethod
    def _task(cluster: Cluster, ref: str) -> Task | None:
        return cluster.tasks.get(ref.rsplit("/", 1)[-1])

    @staticmethod
    def _service(cluster: Cluster, ref: str) -> Service | None:
        return cluster.services.get(ref.rsplit("/", 1)[-1])

    def _missing(self, region: str, ref: str, kind: str, rest: str) -> Json:
        """A Describe* failure entry: the ARN as given, else the one it would have."""
        return {"arn": ref if ref.startswith("arn:") else self._arn(region, kind, rest), "reason": "MISSING"}

    def _describe_in_cluster(self, region: str, p: Json, kind: str, limit: int) -> Json:
        """DescribeTasks (kind "task") and DescribeServices ("service"): each one named rendered, each
        other name a MISSING failure."""
        cluster = self._cluster(region, p.get("cluster"))
        key = kind + "s"
        refs = p[key]
        if len(refs) > limit:
            raise invalid_parameter(f"{key.capitalize()} cannot be more than {limit}.")
        members = cluster.tasks if kind == "task" else cluster.services
        include_tags = "TAGS" in p.get("include", [])
        out, failures = [], []
        for ref in refs:
            found = members.get(ref.rsplit("/", 1)[-1])
            if found:
                out.append(found.render(include_tags=include_tags))
            else:
                failures.append(self._missing(region, ref, kind, f"{cluster.name}/{ref}"))
        return {key: out, "failures": failures}

    # -- pagination (an opaque token, as AWS's) -------------------------------
    @staticmethod
    def _page(items: list[T], params: Json, default: int, maximum: int) -> tuple[list[T], str | None]:
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

    # -- shared checks ----------------------------------------------------------
    @staticmethod
    def _tags(tags: list[Json]) -> dict[str, str]:
        if len(tags) > 50:
            raise invalid_parameter("A resource can have at most 50 tags.")
        for i, tag in enumerate(tags):
            if not tag.get("key"):   # the model leaves Tag.key optional; a tag without one means nothing
                raise invalid_parameter(f"tags[{i}].key: missing; every tag needs a key (1 to 128 characters).")
        return {t["key"]: t.get("value", "") for t in tags}

    @staticmethod
    def _check_providers(providers: list[str]) -> None:
        for cp in providers:
            if cp not in ("FARGATE", "FARGATE_SPOT"):
                raise invalid_parameter(f"The specified capacity provider {cp} does not exist. "
                                        "Specify a valid capacity provider and try again.")

    @staticmethod
    def _check_strategy(strategy: list[Json], providers: list[str]) -> None:
        for item in strategy:
            if item["capacityProvider"] not in providers:
                raise invalid_parameter("The specified capacity provider strategy cannot contain a capacity "
                                        "provider that is not associated with the cluster. Associate the "
                                        "capacity provider with the cluster or specify a valid capacity "
                                        "provider and try again.")

    def _launch(self, cluster: Cluster, p: Json) -> tuple[str, str | None]:
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

    def _network(self, region: str, td: TaskDefinition, config: Json | None) -> Json | None:
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
        self.state.zones.update(self.rt.substrate.subnet_zones(region, subnets))
        self.rt.substrate.check_security_groups(region, groups)
        return {"awsvpcConfiguration": {"subnets": list(subnets), "securityGroups": list(groups),
                                        "assignPublicIp": vpc.get("assignPublicIp", "DISABLED")}}
