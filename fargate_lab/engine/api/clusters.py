"""Clusters and their capacity providers."""
from __future__ import annotations

from ..errors import EcsError, client_error, invalid_parameter
from ..records import Cluster
from ..status import LIVE_SERVICE_STATUSES, ClusterStatus, TaskStatus
from ..types import Json
from .base import NAME, ResourceApi


class ClusterApi(ResourceApi):
    """CreateCluster, DescribeClusters, ListClusters, DeleteCluster, UpdateCluster(Settings), capacity providers."""

    def op_CreateCluster(self, region: str, p: Json) -> Json:
        name = p.get("clusterName", "default")
        if not NAME.match(name):
            raise invalid_parameter("Cluster name can have up to 255 letters (uppercase and lowercase), "
                                    "numbers, underscores, and hyphens.")
        providers = p.get("capacityProviders", [])
        self._check_providers(providers)
        strategy = p.get("defaultCapacityProviderStrategy", [])
        self._check_strategy(strategy, providers)
        state = self._region(region)
        existing = state.clusters.get(name)
        if existing and existing.status == ClusterStatus.ACTIVE:
            return {"cluster": existing.render(["TAGS", "SETTINGS"])}  # CreateCluster is idempotent
        limit = self.quotas.clusters_per_region
        if sum(c.status == ClusterStatus.ACTIVE for c in state.clusters.values()) >= limit:
            raise client_error(f"You have reached the limit of {limit:,} clusters in {region} for this account "
                               "(ECS quota 'Clusters per account'); delete clusters you no longer use.")
        cluster = Cluster(name=name, arn=self._arn(region, "cluster", name), region=region,
                          tags=self._tags(p.get("tags", [])), capacity_providers=list(providers),
                          default_strategy=strategy, configuration=p.get("configuration"))
        if p.get("settings"):
            cluster.settings = p["settings"]
        state.clusters[name] = cluster
        return {"cluster": cluster.render(["TAGS", "SETTINGS"])}

    def op_DescribeClusters(self, region: str, p: Json) -> Json:
        state = self._region(region)
        refs = p.get("clusters") or ["default"]
        out, failures = [], []
        for ref in refs:
            cluster = state.clusters.get(ref.rsplit("/", 1)[-1])
            if cluster:
                out.append(cluster.render(p.get("include")))
            else:
                failures.append(self._missing(region, ref, "cluster", ref))
        return {"clusters": out, "failures": failures}

    def op_ListClusters(self, region: str, p: Json) -> Json:
        arns = [c.arn for c in self._region(region).clusters.values() if c.status == ClusterStatus.ACTIVE]
        page, token = self._page(arns, p, 100, 100)
        return {"clusterArns": page, **({"nextToken": token} if token else {})}

    def op_DeleteCluster(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p["cluster"])
        if any(s.status in LIVE_SERVICE_STATUSES for s in cluster.services.values()):
            raise EcsError("ClusterContainsServicesException",
                           "The Cluster cannot be deleted while Services are active.")
        if any(t.last_status != TaskStatus.STOPPED for t in cluster.tasks.values()):
            raise EcsError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
        cluster.status = ClusterStatus.INACTIVE
        return {"cluster": cluster.render(["TAGS", "SETTINGS"])}

    def op_UpdateCluster(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p["cluster"])
        if "settings" in p:
            cluster.settings = p["settings"]
        if "configuration" in p:
            cluster.configuration = p["configuration"]
        return {"cluster": cluster.render(["SETTINGS", "CONFIGURATIONS"])}

    def op_UpdateClusterSettings(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p["cluster"])
        cluster.settings = p["settings"]
        return {"cluster": cluster.render(["SETTINGS"])}

    def op_PutClusterCapacityProviders(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p["cluster"])
        self._check_providers(p["capacityProviders"])
        self._check_strategy(p["defaultCapacityProviderStrategy"], p["capacityProviders"])
        cluster.capacity_providers = list(p["capacityProviders"])
        cluster.default_strategy = list(p["defaultCapacityProviderStrategy"])
        return {"cluster": cluster.render()}

    def op_DescribeCapacityProviders(self, region: str, p: Json) -> Json:
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

    def op_ListContainerInstances(self, region: str, p: Json) -> Json:
        self._cluster(region, p.get("cluster"))
        return {"containerInstanceArns": []}  # Fargate: no instances to list
