"""What a task definition costs on Fargate: vCPU-hours + GB-hours (+ ephemeral storage over 20 GB).

    estimate = estimate_cost(task_definition, count=4, hours=24, region="us-east-1")
    estimate.total, estimate.lines()

Prices come from `fargate_lab/data/fargate_prices.json`, a dated table that says
where each number came from: prices change, so the output always shows the date.
Billing is per second with a one-minute minimum per task (docs/ecs-behaviour.md §7.2),
so a 10-second task is billed as 60 seconds.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .errors import OpsError
from .plumbing import Json

PRICES_FILE = "fargate_prices.json"
ARCHITECTURES = {"X86_64": "linux/x86_64", "ARM64": "linux/arm64"}


@dataclass(frozen=True)
class Prices:
    region: str
    platform: str            # linux/x86_64 | linux/arm64
    vcpu_hour: float
    gb_hour: float
    ephemeral_gb_hour: float
    as_of: str
    source: str
    currency: str = "USD"


@dataclass(frozen=True)
class CostEstimate:
    family: str
    vcpu: float
    memory_gb: float
    ephemeral_gb: float      # chargeable GB above the free 20
    count: int
    hours: float
    billed_hours: float      # per task, after the one-minute minimum
    per_task_hour: float
    total: float
    prices: Prices

    def lines(self) -> list[str]:
        p = self.prices
        storage = f" + {self.ephemeral_gb:g} GB storage" if self.ephemeral_gb else ""
        out = [
            f"{self.family}: {self.vcpu:g} vCPU, {self.memory_gb:g} GB{storage} on Fargate {p.platform} in {p.region}",
            f"  {self.vcpu:g} vCPU x ${p.vcpu_hour}/vCPU-hour + {self.memory_gb:g} GB x ${p.gb_hour}/GB-hour"
            + (f" + {self.ephemeral_gb:g} GB x ${p.ephemeral_gb_hour}/GB-hour" if self.ephemeral_gb else "")
            + f" = ${self.per_task_hour:.6f} per task-hour",
            f"  {self.count} task(s) x {self.billed_hours:g} h = ${self.total:.4f} {p.currency}"
            + (" (one-minute minimum applied)" if self.billed_hours > self.hours else ""),
            f"  prices as of {p.as_of} ({p.source}); check https://aws.amazon.com/fargate/pricing/",
        ]
        return out


@lru_cache(maxsize=1)
def price_table() -> Json:
    text = (resources.files("fargate_lab") / "data" / PRICES_FILE).read_text()
    table: Json = json.loads(text)
    return table


def prices_for(region: str, platform: str = "linux/x86_64") -> Prices:
    table = price_table()
    regions = table["regions"]
    if region not in regions:
        raise OpsError(f"no Fargate prices for {region} in the shipped table (it has {', '.join(sorted(regions))}): "
                       "pass --region with one of those for an estimate")
    entry = regions[region]
    if platform not in entry["platforms"]:
        raise OpsError(f"no {platform} Fargate prices for {region} in the shipped table "
                       f"(it has {', '.join(sorted(entry['platforms']))})")
    rate = entry["platforms"][platform]
    return Prices(region, platform, rate["vcpu_hour"], rate["gb_hour"], entry["ephemeral_gb_hour"],
                  entry["as_of"], entry["source"], table.get("currency", "USD"))


def _platform(task_definition: Json, platform: str | None) -> str:
    if platform:
        return platform
    runtime = task_definition.get("runtimePlatform") or {}
    if str(runtime.get("operatingSystemFamily", "LINUX")).upper() != "LINUX":
        raise OpsError(f"{runtime['operatingSystemFamily']}: only Linux Fargate prices are in the shipped table")
    return ARCHITECTURES.get(str(runtime.get("cpuArchitecture", "X86_64")).upper(), "linux/x86_64")


def _units(task_definition: Json) -> tuple[float, float]:
    """(vCPU, GB) from the task-level cpu units and MiB."""
    cpu, memory = task_definition.get("cpu"), task_definition.get("memory")
    if not cpu or not memory:
        raise OpsError(f"task definition {task_definition.get('family', '?')} has no task-level cpu and memory; "
                       "Fargate needs both (set task_size in ecs-params.yml)")
    try:
        return int(str(cpu)) / 1024, int(str(memory)) / 1024
    except ValueError:
        raise OpsError(f"cpu {cpu!r} / memory {memory!r}: expected plain numbers (cpu units and MiB)") from None


def estimate_cost(task_definition: Json, count: int = 1, hours: float = 1.0, region: str = "us-east-1",
                  platform: str | None = None) -> CostEstimate:
    """Cost of `count` tasks of `task_definition` running `hours` each."""
    if count < 1:
        raise OpsError(f"--count {count}: must be 1 or more")
    if hours <= 0:
        raise OpsError(f"--hours {hours:g}: must be more than 0")
    prices = prices_for(region, _platform(task_definition, platform))
    vcpu, memory_gb = _units(task_definition)
    storage = (task_definition.get("ephemeralStorage") or {}).get("sizeInGiB", 20)
    extra_storage = max(0, storage - price_table().get("free_ephemeral_gb", 20))
    per_hour = vcpu * prices.vcpu_hour + memory_gb * prices.gb_hour + extra_storage * prices.ephemeral_gb_hour
    billed = max(hours, price_table().get("minimum_billed_seconds", 60) / 3600)
    return CostEstimate(task_definition.get("family", "task"), vcpu, memory_gb, extra_storage, count, hours,
                        billed, per_hour, per_hour * billed * count, prices)
