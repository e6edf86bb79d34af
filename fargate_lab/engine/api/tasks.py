"""Standalone tasks: RunTask, StopTask, describing and listing tasks."""
from __future__ import annotations

import json

from ..errors import EcsError, client_error, invalid_parameter
from ..status import TaskDefinitionStatus
from ..types import Json
from .base import ResourceApi


class TaskApi(ResourceApi):
    """RunTask, StartTask (refused: Fargate has no instances), StopTask, DescribeTasks, ListTasks, GetTaskProtection."""

    def op_RunTask(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p.get("cluster"))
        td = self._task_definition(region, p["taskDefinition"], client_error("TaskDefinition not found."))
        if td.status != TaskDefinitionStatus.ACTIVE:   # RunTask answers InvalidParameterException here (UpdateService: ClientException)
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
        tasks = [self.lifecycle.create_task(cluster, region, td, launch, network, self.rt.ids.rng.choice(subnets), group,
                                            p.get("startedBy"), tags, overrides, bool(p.get("enableExecuteCommand")))
                 for _ in range(count)]
        return {"tasks": [t.render(include_tags=True, at_start=True) for t in tasks], "failures": []}

    def op_StartTask(self, region: str, p: Json) -> Json:
        self._cluster(region, p.get("cluster"))
        raise invalid_parameter("StartTask places tasks on container instances, and this Fargate cluster has "
                                "none. Use RunTask with launchType FARGATE.")

    def op_StopTask(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p.get("cluster"))
        task = self._task(cluster, p["task"])
        if task is None:
            raise invalid_parameter("The referenced task was not found.")
        self.lifecycle.stop_task(task, "UserInitiated", p.get("reason") or "Task stopped by user")
        return {"task": task.render(include_tags=True)}

    def op_DescribeTasks(self, region: str, p: Json) -> Json:
        return self._describe_in_cluster(region, p, "task", 100)

    def op_ListTasks(self, region: str, p: Json) -> Json:
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

    def op_GetTaskProtection(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p["cluster"])
        out, failures = [], []
        for ref in p.get("tasks", []):
            task = self._task(cluster, ref)
            if task:
                out.append({"taskArn": task.arn, "protectionEnabled": False})
            else:
                failures.append({"arn": ref, "reason": "MISSING"})
        return {"protectedTasks": out, "failures": failures}
