"""What the engine keeps between calls: per-region clusters and task-definition families, the
subnets' zones learnt so far, and the quotas that bound it all."""
from __future__ import annotations

from dataclasses import dataclass, field

from .records import Cluster, TaskDefinition


@dataclass(frozen=True)
class Quotas:
    """ECS's quotas on what requests can make the engine keep (docs/ecs-behaviour.md §8), so that no series of
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


@dataclass
class EngineState:
    quotas: Quotas = field(default_factory=Quotas)
    regions: dict[str, RegionState] = field(default_factory=dict)
    zones: dict[str, str] = field(default_factory=dict)   # subnet id -> availability zone, learnt when validated

    def region(self, region: str) -> RegionState:
        return self.regions.setdefault(region, RegionState())
