"""One service's state, read through boto3: the read calls the terminal view and the notebooks share.

    reader = ServiceReader(ecs, "default", "web", elbv2=elbv2)
    described = reader.describe_service()          # DescribeServices, or None when ECS does not know it
    reader.target_states(described)               # ["healthy", "draining", ...] from DescribeTargetHealth
    reader.tasks()                                 # every task DescribeTasks still shows (running and stopped)

    events = EventLog()                            # which service events are new since the last look
    events.fresh(described)                        # the raw events not seen before, oldest first

`ops.watch` turns these answers into the terminal's deployment view; `teach.sampling` turns the same
answers into samples for plots. Neither calls AWS itself.
"""
from __future__ import annotations

from collections.abc import Iterable

from .plumbing import Client, Json, describe_tasks, paged


def describe_service(ecs: Client, cluster: str, service: str) -> Json | None:
    """The service as DescribeServices shows it, or None when ECS does not know it."""
    found: list[Json] = ecs.describe_services(cluster=cluster, services=[service])["services"]
    return found[0] if found else None


class ServiceReader:
    """The read calls for one service. `elbv2` is optional: without it there are no target states.

    `target_groups`: the target groups to read; None reads those of the service's loadBalancers as last
    described, blue/green's alternate groups included (a service can gain them with UpdateService)."""

    def __init__(self, ecs: Client, cluster: str, service: str, elbv2: Client | None = None,
                 target_groups: list[str] | None = None) -> None:
        self.ecs, self.elbv2, self.cluster, self.service = ecs, elbv2, cluster, service
        self._fixed = target_groups
        self._learned: list[str] = []

    def describe_service(self) -> Json | None:
        return describe_service(self.ecs, self.cluster, self.service)

    def target_groups(self, described: Json | None) -> list[str]:
        """The target groups read: those given, else the service's own (production, then alternate)."""
        if self._fixed is not None:
            return self._fixed
        if described is not None:
            groups = [arn for lb in described.get("loadBalancers", [])
                      for arn in (lb.get("targetGroupArn"), lb.get("advancedConfiguration", {}).get(
                          "alternateTargetGroupArn")) if arn]
            self._learned = list(dict.fromkeys(groups))
        return self._learned

    def target_states(self, described: Json | None) -> list[str]:
        """The state of every target in the service's target groups (empty with no load balancer)."""
        if self.elbv2 is None:
            return []
        states: list[str] = []
        for arn in self.target_groups(described):
            found = self.elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
            states.extend(d["TargetHealth"]["State"] for d in found)
        return states

    def tasks(self) -> list[Json]:
        """Every task of the service DescribeTasks still shows, running ones and stopped ones."""
        arns: list[str] = []
        for status in ("RUNNING", "STOPPED"):
            found: list[str] = paged(self.ecs, "list_tasks", "taskArns", cluster=self.cluster,
                                     serviceName=self.service, desiredStatus=status)
            arns.extend(a for a in found if a not in arns)   # a task stopping between the two lists
        return describe_tasks(self.ecs, self.cluster, arns)


class EventLog:
    """Remembers which service events were seen. Event times on the local cloud run on the cloud's
    clock, which can be ahead of the wall clock, so it remembers event ids rather than comparing times."""

    def __init__(self, seen_ids: Iterable[str] = ()) -> None:
        self._seen = set(seen_ids)

    @classmethod
    def seen_in(cls, described: Json | None) -> EventLog:
        """A log that treats every event already in `described` as old news."""
        return cls(e["id"] for e in (described or {}).get("events", []))

    def fresh(self, described: Json | None) -> list[Json]:
        """The events in `described` not seen before, oldest first (ECS lists newest first)."""
        new: list[Json] = []
        for event in reversed((described or {}).get("events", [])):
            if event["id"] not in self._seen:
                self._seen.add(event["id"])
                new.append(event)
        return new
