"""The AWS plumbing every ops module shares, written once: batches, pages, tags, names, pace.

    for batch in batches(arns, DESCRIBE_LIMITS["tasks"]): ...   # ECS's per-call limits
    tasks = describe_tasks(ecs, cluster, arns)                  # DescribeTasks, 100 at a time
    arns = paged(ecs, "list_services", "serviceArns", cluster=c) # every page's items
    ecs_tags({"k": "v"}) -> [{"key": "k", "value": "v"}]        # ECS spells tags in lower case
    key_value_tags({"k": "v"}) -> [{"Key": "k", "Value": "v"}]  # EC2, IAM, CloudFormation, ELBv2
    tag_dict(any AWS tag shape) -> {"k": "v"}
    name_of("arn:aws:ecs:...:service/lab/web") -> "web"
    pace = Pace(sleep, clock, poll_seconds); deadline = pace.deadline(minutes); pace.wait()
    cloud_sleep(5)   # a loop with no sleep= of its own: the local cloud's when it lent one, else time.sleep

Only what it is given (clients, callables) is used: nothing here knows which cloud answers.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

# The names every ops module types its AWS things with.  boto3 and botocore ship no types (mypy sees
# them as Any, see pyproject.toml), so these say what a value is to a reader; mypy checks nothing in
# them.  boto3-stubs would type every response as a TypedDict: a project of its own.
Session = Any          # a boto3.Session (local cloud or AWS): .client(), .region_name, .events (dryrun)
Client = Any           # a boto3 client from that session (ecs, ec2, elbv2, logs, iam, cloudformation...)
Json = dict[str, Any]  # a request or response shape, or one member of one, as boto3 gives and takes it

Sleep = Callable[[float], None]   # time.sleep, or the local cloud's (which moves its virtual clock)
Clock = Callable[[], float]       # time.monotonic, or the local cloud's: seconds, for deadlines

T = TypeVar("T")

# Per-call limits of the describe calls the ops layer batches.
DESCRIBE_LIMITS = {
    "tasks": 100,        # ECS DescribeTasks
    "clusters": 100,     # ECS DescribeClusters
    "elbv2_tags": 20,    # ELBv2 DescribeTags
}

# Any of the shapes AWS returns tags in: a dict, [{"Key":..,"Value":..}] or [{"key":..,"value":..}].
TagsLike = Mapping[str, str] | Iterable[Mapping[str, str]] | None


# -- batches and pages ---------------------------------------------------------------------------------
def batches(items: list[T], size: int) -> Iterator[list[T]]:
    """`items` in consecutive slices of at most `size`."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def describe_tasks(ecs: Client, cluster: str, arns: list[str], **extra: Any) -> list[Json]:
    """DescribeTasks for any number of ARNs, in batches of ECS's limit, in the order ECS answers."""
    found: list[Json] = []
    for batch in batches(arns, DESCRIBE_LIMITS["tasks"]):
        found.extend(ecs.describe_tasks(cluster=cluster, tasks=batch, **extra)["tasks"])
    return found


def describe_clusters(ecs: Client, arns: list[str], **extra: Any) -> list[Json]:
    """DescribeClusters for any number of clusters, in batches of ECS's limit."""
    found: list[Json] = []
    for batch in batches(arns, DESCRIBE_LIMITS["clusters"]):
        found.extend(ecs.describe_clusters(clusters=batch, **extra)["clusters"])
    return found


def pages(client: Client, operation: str, **kwargs: Any) -> Iterator[Json]:
    """The operation's pages, fetched one at a time as they are consumed."""
    return iter(client.get_paginator(operation).paginate(**kwargs))


def paged(client: Client, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item under `key` of every page."""
    return [item for page in pages(client, operation, **kwargs) for item in page.get(key, [])]


# -- tags ------------------------------------------------------------------------------------------------
def ecs_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """[{"key":..,"value":..}]: ECS spells them in lower case."""
    return [{"key": k, "value": v} for k, v in tags.items()]


def key_value_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """[{"Key":..,"Value":..}] as EC2, IAM, CloudFormation and ELBv2 take them."""
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def tag_dict(tags: TagsLike) -> dict[str, str]:
    """Normalise any AWS tag shape to a dict."""
    if not tags:
        return {}
    if isinstance(tags, Mapping):
        return dict(tags)
    out = {}
    for tag in tags:
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            out[key] = tag.get("Value", tag.get("value", ""))
    return out


# -- names -----------------------------------------------------------------------------------------------
def name_of(arn: str) -> str:
    """The last part of an ARN (or of an id that is already short): a name, a task id, family:revision."""
    return arn.rsplit("/", 1)[-1]


# -- pace ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pace:
    """How a polling loop waits: `sleep` between polls of `seconds`, deadlines measured with `clock`.

    The public functions keep their `sleep=`, `clock=` and `poll_seconds=` keywords (a notebook on
    the virtual clock passes the cloud's own) and hand them on as one Pace."""
    sleep: Sleep = time.sleep
    clock: Clock = time.monotonic
    seconds: float = 2.0

    def deadline(self, timeout_minutes: float) -> float:
        return self.clock() + timeout_minutes * 60.0

    def past(self, deadline: float) -> bool:
        return self.clock() >= deadline

    def wait(self) -> None:
        self.sleep(self.seconds)


_lent_sleep: Sleep | None = None


def lend_sleep(sleep: Sleep) -> None:
    """Make `cloud_sleep` call `sleep`.  The in-process local cloud lends its own on `local.start()`
    (its virtual clock moves only when asked), so the ops layer never imports it."""
    global _lent_sleep
    _lent_sleep = sleep


def cloud_sleep(seconds: float) -> None:
    """Sleep in cloud time: the lent sleep, else the wall clock's (AWS, a `local serve` server)."""
    if _lent_sleep is None:
        time.sleep(seconds)
    else:
        _lent_sleep(seconds)
