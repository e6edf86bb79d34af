"""Tags on any ECS resource, and the account's settings."""
from __future__ import annotations

import re

from ..errors import EcsError, invalid_parameter
from ..records import Cluster, Service, Task, TaskDefinition, tag_list
from ..types import Json
from .base import ResourceApi


class TagApi(ResourceApi):
    """TagResource, UntagResource, ListTagsForResource, ListAccountSettings."""

    def _tagged(self, region: str, arn: str) -> Cluster | Service | Task | TaskDefinition:
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
                revisions = state.families[family]
                if not (revision.isascii() and revision.isdigit() and 1 <= int(revision) <= len(revisions)):
                    raise KeyError(revision)   # 0 or -1 would index from the end
                return revisions[int(revision) - 1]
        except (KeyError, ValueError, IndexError):
            pass
        raise EcsError("ResourceNotFoundException", "The specified resource could not be found.")

    def op_TagResource(self, region: str, p: Json) -> Json:
        resource = self._tagged(region, p["resourceArn"])
        new = self._tags(p["tags"])
        if len({**resource.tags, **new}) > 50:
            raise invalid_parameter("A resource can have at most 50 tags.")
        resource.tags.update(new)
        return {}

    def op_UntagResource(self, region: str, p: Json) -> Json:
        resource = self._tagged(region, p["resourceArn"])
        for key in p["tagKeys"]:
            resource.tags.pop(key, None)
        return {}

    def op_ListTagsForResource(self, region: str, p: Json) -> Json:
        return {"tags": tag_list(self._tagged(region, p["resourceArn"]).tags)}

    def op_ListAccountSettings(self, region: str, p: Json) -> Json:
        names = ["serviceLongArnFormat", "taskLongArnFormat", "containerInstanceLongArnFormat",
                 "awsvpcTrunking", "containerInsights", "fargateTaskRetirementWaitPeriod"]
        values = {"awsvpcTrunking": "disabled", "containerInsights": "disabled",
                  "fargateTaskRetirementWaitPeriod": "7"}
        wanted = [n for n in names if not p.get("name") or n == p["name"]]
        return {"settings": [{"name": n, "value": values.get(n, "enabled"),
                              "principalArn": f"arn:aws:iam::{self.account}:root", "type": "aws_managed"}
                             for n in wanted]}
