"""Service deployments and revisions (the 2024 API): listing, describing, stopping with rollback."""
from __future__ import annotations

from ..errors import EcsError, invalid_parameter
from ..records import PENDING_STATES, Deployment, Service
from ..scheduler import circuit_breaker_threshold
from ..status import ServiceDeploymentStatus, TaskStatus
from ..types import Json
from .base import ResourceApi


class ServiceDeploymentApi(ResourceApi):
    """ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment, DescribeServiceRevisions."""

    def _revision_summary(self, service: Service, dep: Deployment, shifting: Deployment) -> Json:
        """A revision's counts now (the model calls it a snapshot): requested, RUNNING, pending; in a
        traffic-shifting deployment (`shifting`) also its requested share of production and test traffic."""
        mine = [t for t in service.live.values() if t.deployment_id == dep.id]
        out: Json = {"arn": service.revision_arn(dep.id), "requestedTaskCount": dep.desired_count,
                     "runningTaskCount": sum(t.last_status == TaskStatus.RUNNING for t in mine),
                     "pendingTaskCount": sum(t.last_status in PENDING_STATES for t in mine)}
        if shifting.shift is not None:
            arn = out["arn"]
            out["requestedProductionTrafficWeight"] = self.controller.shifter.weights(service, shifting, test=False).get(arn, 0.0)
            out["requestedTestTrafficWeight"] = self.controller.shifter.weights(service, shifting, test=True).get(arn, 0.0)
        return out

    def _service_deployment(self, service: Service, dep: Deployment) -> Json:
        out: Json = {
            "serviceDeploymentArn": service.deployment_arn(dep.id), "serviceArn": service.arn,
            "clusterArn": service.cluster.arn, "createdAt": dep.created_at, "startedAt": dep.started_at,
            "updatedAt": dep.updated_at, "status": str(dep.sd_status),
            "targetServiceRevision": self._revision_summary(service, dep, dep),
            "sourceServiceRevisions": [self._revision_summary(service, self.deployments[i], dep)
                                       for i in dep.source_ids if i in self.deployments.by_id],
            "deploymentConfiguration": dep.config,
            "deploymentCircuitBreaker": {"status": str(dep.breaker_status), "failureCount": dep.failed_tasks,
                                         "threshold": circuit_breaker_threshold(
                                             service.spec.desired_count, dep.config.get("deploymentCircuitBreaker"))},
        }
        if dep.config.get("alarms"):
            out["alarms"] = {"status": str(dep.alarm_status), "alarmNames": list(dep.config["alarms"].get("alarmNames", [])),
                             "triggeredAlarmNames": list(dep.triggered_alarms)}
        if dep.shift is not None:
            out["lifecycleStage"] = dep.shift.stage
            if dep.shift.hooks:
                out["lifecycleHookDetails"] = [h.render() for h in dep.shift.hooks]
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

    def op_ListServiceDeployments(self, region: str, p: Json) -> Json:
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
                     "targetServiceRevisionArn": service.revision_arn(d.id), "status": str(d.sd_status)}
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
        if service is None:
            return None
        dep = self.deployments.get(f"ecs-svc/{parts[2]}")
        return (service, dep) if dep and dep in service.history else None

    def _existing_deployment(self, region: str, arn: str) -> tuple[Service, Deployment]:
        found = self._find_by_deployment_arn(region, arn)
        if not found:
            raise EcsError("ServiceDeploymentNotFoundException", f"The service deployment {arn} does not exist.")
        return found

    def op_DescribeServiceDeployments(self, region: str, p: Json) -> Json:
        out, failures = [], []
        for arn in p["serviceDeploymentArns"]:
            found = self._find_by_deployment_arn(region, arn)
            if found:
                out.append(self._service_deployment(*found))
            else:
                failures.append({"arn": arn, "reason": "MISSING"})
        return {"serviceDeployments": out, "failures": failures}

    def op_StopServiceDeployment(self, region: str, p: Json) -> Json:
        service, dep = self._existing_deployment(region, p["serviceDeploymentArn"])
        stop_type = p.get("stopType", "ROLLBACK")
        if stop_type != "ROLLBACK":
            raise invalid_parameter(f"stopType {stop_type} is not supported for this deployment; use ROLLBACK.")
        if dep.sd_status != ServiceDeploymentStatus.IN_PROGRESS or dep is not service.primary:
            raise EcsError("ConflictException", f"The service deployment is {dep.sd_status}; only an IN_PROGRESS "
                                                "service deployment can be stopped.")
        target = self.deployments.rollback_target(service, dep)
        if target is None:
            raise EcsError("ConflictException", "There is no COMPLETED service deployment to roll back to.")
        self.controller.stop_deployment(service, dep, target)
        return {"serviceDeploymentArn": service.deployment_arn(dep.id)}

    def op_ContinueServiceDeployment(self, region: str, p: Json) -> Json:
        service, dep = self._existing_deployment(region, p["serviceDeploymentArn"])
        if dep.sd_status != ServiceDeploymentStatus.IN_PROGRESS or dep.shift is None:
            raise invalid_parameter(f"The service deployment is {dep.sd_status}; only an IN_PROGRESS service "
                                    "deployment paused at a lifecycle hook can be continued.")
        hook = next((h for h in dep.shift.hooks if h.hook_id == p["hookId"]), None)
        if hook is None:
            raise invalid_parameter(f"hookId {p['hookId']} is not a lifecycle hook of this service deployment; "
                                    "see lifecycleHookDetails in DescribeServiceDeployments.")
        if hook.status != "AWAITING_ACTION":
            raise invalid_parameter(f"The lifecycle hook {hook.hook_id} is {hook.status}, not AWAITING_ACTION.")
        action = p.get("action", "CONTINUE")
        if action not in ("CONTINUE", "ROLLBACK"):
            raise invalid_parameter(f"action must be CONTINUE or ROLLBACK, not {action!r}.")
        self.controller.continue_deployment(service, dep, hook, action)
        return {"serviceDeploymentArn": service.deployment_arn(dep.id)}

    def op_DescribeServiceRevisions(self, region: str, p: Json) -> Json:
        out, failures = [], []
        for arn in p["serviceRevisionArns"]:
            found = self._find_by_deployment_arn(region, arn.replace(":service-revision/", ":service-deployment/"))
            if not found:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            service, dep = found
            rev = {"serviceRevisionArn": arn, "serviceArn": service.arn, "clusterArn": service.cluster.arn,
                   "taskDefinition": dep.task_definition.arn, "platformVersion": "1.4.0", "platformFamily": "Linux",
                   "loadBalancers": dep.revision.load_balancers, "createdAt": dep.created_at,
                   "containerImages": [{"containerName": c["name"], "image": c["image"],
                                        "imageDigest": "sha256:" + "0" * 64} for c in dep.task_definition.containers]}
            if dep.revision.launch_type:
                rev["launchType"] = dep.revision.launch_type
            if dep.revision.network:
                rev["networkConfiguration"] = dep.revision.network
            out.append(rev)
        return {"serviceRevisions": out, "failures": failures}
