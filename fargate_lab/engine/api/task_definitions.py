"""Task definitions: registering (with Fargate's checks), describing, listing, deregistering, deleting."""
from __future__ import annotations

import json
from collections.abc import Callable

from ..errors import EcsError, client_error
from ..fargate import check_size, parse_cpu, parse_memory
from ..lifecycle import ECR_HOST
from ..records import TaskDefinition, tag_list
from ..status import TaskDefinitionStatus
from ..types import Json
from .base import NAME, ResourceApi


class TaskDefinitionApi(ResourceApi):
    """RegisterTaskDefinition, DescribeTaskDefinition, List*, Deregister/DeleteTaskDefinitions."""

    def op_RegisterTaskDefinition(self, region: str, p: Json) -> Json:
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
            used = sum(c["memory"] if "memory" in c else c.get("memoryReservation", 0) for c in containers)
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
        body: Json = {
            "taskDefinitionArn": arn, "containerDefinitions": containers, "family": family,
            "revision": revision, "volumes": p.get("volumes", []), "status": "ACTIVE",
            "requiresAttributes": self._required_attributes(containers, network_mode, p),
            "placementConstraints": p.get("placementConstraints", []),
            "compatibilities": ["EC2", "FARGATE"] if ("FARGATE" in compat or fargate_ok) else ["EC2"],
            "registeredAt": self.rt.clock.now(), "registeredBy": f"arn:aws:iam::{self.account}:root",
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
        out: Json = {"taskDefinition": td.render()}
        if td.tags:
            out["tags"] = tag_list(td.tags)
        return out

    @staticmethod
    def _task_size(parse: Callable[[str], int], p: Json, key: str) -> int | None:
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
    def _container_definition(c: Json, p: Json) -> Json:
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
    def _required_attributes(containers: list[Json], network_mode: str | None, p: Json) -> list[dict[str, str]]:
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

    def op_DescribeTaskDefinition(self, region: str, p: Json) -> Json:
        td = self._task_definition(region, p["taskDefinition"], client_error("Unable to describe task definition."))
        out: Json = {"taskDefinition": td.render()}
        if "TAGS" in p.get("include", []):
            out["tags"] = tag_list(td.tags)
        return out

    def op_ListTaskDefinitions(self, region: str, p: Json) -> Json:
        status = p.get("status", "ACTIVE")
        prefix = p.get("familyPrefix")
        items = [td for fam, revs in sorted(self._region(region).families.items())
                 if prefix is None or fam == prefix for td in revs if td.status == status]
        if p.get("sort") == "DESC":
            items.reverse()
        page, token = self._page([td.arn for td in items], p, 100, 100)
        return {"taskDefinitionArns": page, **({"nextToken": token} if token else {})}

    def op_ListTaskDefinitionFamilies(self, region: str, p: Json) -> Json:
        status = p.get("status", "ACTIVE")
        prefix = p.get("familyPrefix", "")
        names = []
        for fam, revs in sorted(self._region(region).families.items()):
            has_active = any(td.status == TaskDefinitionStatus.ACTIVE for td in revs)
            if fam.startswith(prefix) and (status == "ALL" or (status == "ACTIVE") == has_active):
                names.append(fam)
        page, token = self._page(names, p, 100, 100)
        return {"families": page, **({"nextToken": token} if token else {})}

    def op_DeregisterTaskDefinition(self, region: str, p: Json) -> Json:
        ref = p["taskDefinition"]
        if ":" not in ref.split(":task-definition/", 1)[-1]:
            raise client_error("Revision must be specified: use family:revision.")
        td = self._task_definition(region, ref, client_error("The specified task definition does not exist."))
        if td.status == TaskDefinitionStatus.ACTIVE:
            td.status, td.deregistered_at = TaskDefinitionStatus.INACTIVE, self.rt.clock.now()
        return {"taskDefinition": td.render()}

    def op_DeleteTaskDefinitions(self, region: str, p: Json) -> Json:
        done, failures = [], []
        for ref in p["taskDefinitions"]:
            try:
                td = self._task_definition(region, ref, client_error("The specified task definition does not exist."))
            except EcsError as e:
                failures.append({"arn": ref, "reason": "TASK_DEFINITION_NOT_FOUND", "detail": e.message})
                continue
            if td.status == TaskDefinitionStatus.ACTIVE:
                failures.append({"arn": td.arn, "reason": "The specified task definition is still in ACTIVE status. "
                                                          "Please deregister the target and try again."})
                continue
            td.status, td.delete_requested_at = TaskDefinitionStatus.DELETE_IN_PROGRESS, self.rt.clock.now()
            done.append(td.render())
        return {"taskDefinitions": done, "failures": failures}
