"""Services: creating, updating (a new deployment when the spec changes), deleting, describing, listing."""
from __future__ import annotations

import json
import math

from ..errors import EcsError, client_error, invalid_parameter
from ..records import Service, ServiceSpec, TaskDefinition
from ..status import LIVE_SERVICE_STATUSES, DeploymentStatus, ServiceStatus
from ..types import Json
from ..strategies import TRAFFIC_STRATEGIES
from .base import NAME, ResourceApi
from .strategy_checks import check_advanced, check_traffic_strategy

DEFAULT_DEPLOYMENT_CONFIG: Json = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200, "minimumHealthyPercent": 100,
    "strategy": "ROLLING", "bakeTimeInMinutes": 0,   # shown by AWS on every rolling service (2025+)
}


class ServiceApi(ResourceApi):
    """CreateService, UpdateService, DeleteService, DescribeServices, ListServices."""

    def _deployment_config(self, given: Json | None, base: Json) -> Json:
        config: Json = json.loads(json.dumps(base))   # a deep copy
        for key, value in (given or {}).items():
            config[key] = value
        low, high = config.get("minimumHealthyPercent", 100), config.get("maximumPercent", 200)
        if not 0 <= low <= 100:
            raise invalid_parameter("minimumHealthyPercent must be between 0 and 100.")
        if high < 100:
            raise invalid_parameter("maximumPercent must be at least 100.")
        breaker = config.get("deploymentCircuitBreaker")
        if breaker is not None and ("enable" not in breaker or "rollback" not in breaker):
            raise invalid_parameter("deploymentCircuitBreaker needs both enable and rollback.")
        early = config.get("earlySuccessCriteria")
        if early is not None and early.get("enable"):
            self._check_early_success(early, config)
        check_traffic_strategy(config, given or {})
        threshold = (breaker or {}).get("thresholdConfiguration")
        if threshold is not None:
            kind, value = threshold.get("type"), threshold.get("value")
            if kind not in ("COUNT", "BOUNDED_PERCENT", "UNBOUNDED_PERCENT") or not isinstance(value, int):
                raise invalid_parameter("deploymentCircuitBreaker.thresholdConfiguration needs a type "
                                        "(COUNT, BOUNDED_PERCENT or UNBOUNDED_PERCENT) and an integer value.")
            if kind != "COUNT" and not 1 <= value <= 100:
                raise invalid_parameter(f"deploymentCircuitBreaker.thresholdConfiguration.value must be between "
                                        f"1 and 100 for {kind}, not {value}.")
            if kind == "COUNT" and value < 1:
                raise invalid_parameter("deploymentCircuitBreaker.thresholdConfiguration.value must be at least 1 "
                                        "for COUNT.")
        return config

    @staticmethod
    def _check_early_success(early: Json, config: Json) -> None:
        """The model's rules for DeploymentEarlySuccessCriteria: with enable, healthyPercent and
        sourceServiceRevisionCleanup are required; healthyPercent lies in minimumHealthyPercent..100;
        rolling deployments only."""
        field = "deploymentConfiguration.earlySuccessCriteria"
        missing = [k for k in ("healthyPercent", "sourceServiceRevisionCleanup") if early.get(k) is None]
        if missing:
            raise invalid_parameter(f"{field}: enable=true also needs {' and '.join(missing)}.")
        percent, cleanup = early["healthyPercent"], early["sourceServiceRevisionCleanup"]
        low = config.get("minimumHealthyPercent", 100)
        if not isinstance(percent, int) or isinstance(percent, bool) or not low <= percent <= 100:
            raise invalid_parameter(f"{field}.healthyPercent must be an integer from minimumHealthyPercent ({low}) "
                                    f"to 100, not {percent!r}.")
        if cleanup not in ("BLOCKING", "DEFERRED"):
            raise invalid_parameter(f"{field}.sourceServiceRevisionCleanup must be BLOCKING or DEFERRED, "
                                    f"not {cleanup!r}.")
        if config.get("strategy", "ROLLING") != "ROLLING":
            raise invalid_parameter(f"{field} can only be used with the ROLLING deployment strategy, "
                                    f"not {config['strategy']}.")

    def _load_balancers(self, region: str, td: TaskDefinition, lbs: list[Json], strategy: str = "ROLLING") -> list[Json]:
        out = []
        if len(lbs) > 5:
            raise invalid_parameter("A service can use at most 5 target groups.")
        for lb in lbs:
            arn = lb.get("targetGroupArn")
            if not arn:
                raise invalid_parameter("targetGroupArn is required for an Application or Network Load Balancer.")
            settings = self.rt.substrate.target_group(region, arn)
            if settings is None:
                raise invalid_parameter(f"The target group with targetGroupArn {arn} does not exist.")
            name, port = lb.get("containerName"), lb.get("containerPort")
            container = next((c for c in td.containers if c["name"] == name), None)
            if container is None:
                raise invalid_parameter(f"The container {name} does not exist in the task definition.")
            if port not in [m.get("containerPort") for m in container.get("portMappings", [])]:
                raise invalid_parameter(f"The container {name} did not have a container port {port} defined.")
            if td.body.get("networkMode") == "awsvpc" and settings.target_type != "ip":
                raise invalid_parameter(f"The provided target group {arn} has target type {settings.target_type}, "
                                        "which is incompatible with the awsvpc network mode specified in the "
                                        "task definition.")
            entry: Json = {"targetGroupArn": arn, "containerName": name, "containerPort": port}
            if lb.get("advancedConfiguration") is not None or strategy in TRAFFIC_STRATEGIES:
                entry["advancedConfiguration"] = check_advanced(self.rt.substrate, region, lb, settings, strategy)
            out.append(entry)
        return out

    def op_CreateService(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p.get("cluster"))
        name = p["serviceName"]
        if not NAME.match(name):
            raise invalid_parameter("Service name can have up to 255 letters (uppercase and lowercase), "
                                    "numbers, underscores, and hyphens.")
        existing = cluster.services.get(name)
        if existing and existing.status in LIVE_SERVICE_STATUSES:
            raise invalid_parameter("Creation of service was not idempotent.")
        limit = self.quotas.services_per_cluster
        if sum(s.status in LIVE_SERVICE_STATUSES for s in cluster.services.values()) >= limit:
            raise client_error(f"Cluster {cluster.name} has reached the limit of {limit:,} services (ECS quota "
                               "'Services per cluster'); delete services you no longer use.")
        if p.get("schedulingStrategy", "REPLICA") != "REPLICA":
            raise invalid_parameter("The DAEMON scheduling strategy is not supported by Fargate.")
        if "desiredCount" not in p:
            raise invalid_parameter("desiredCount is required for services that use the REPLICA scheduling strategy.")
        if p["desiredCount"] < 0:
            raise invalid_parameter("desiredCount must be 0 or greater.")
        if (p.get("deploymentController") or {}).get("type", "ECS") != "ECS":
            raise invalid_parameter("Only the ECS (rolling update) deployment controller is supported locally.")
        if not p.get("taskDefinition"):   # optional in the model (EXTERNAL controller), required for ECS's
            raise invalid_parameter("taskDefinition is required for services that use the ECS deployment controller.")
        td = self._runnable_definition(region, p["taskDefinition"])
        launch = self._launch(cluster, p)[0]
        if launch == "FARGATE" and not td.fargate:
            raise invalid_parameter("Task definition does not support launch_type FARGATE.")
        network = self._network(region, td, p.get("networkConfiguration"))
        config = self._deployment_config(p.get("deploymentConfiguration"), DEFAULT_DEPLOYMENT_CONFIG)
        lbs = self._load_balancers(region, td, p.get("loadBalancers", []), config["strategy"])
        spec = ServiceSpec(
            desired_count=p["desiredCount"], task_definition=td,
            launch_type=None if p.get("capacityProviderStrategy") or (not p.get("launchType") and cluster.default_strategy) else launch,
            capacity_strategy=p.get("capacityProviderStrategy") or ([] if p.get("launchType") else list(cluster.default_strategy)),
            network=network, load_balancers=lbs, config=config,
            grace_period=p.get("healthCheckGracePeriodSeconds", 0),
            propagate_tags=p.get("propagateTags", "NONE"), managed_tags=p.get("enableECSManagedTags", False),
            execute_command=p.get("enableExecuteCommand", False),
            az_rebalancing=p.get("availabilityZoneRebalancing", "ENABLED"),
            platform_version=p.get("platformVersion", "LATEST"))
        service = Service(name=name, arn=self._arn(region, "service", f"{cluster.name}/{name}"), cluster=cluster,
                          region=region, spec=spec, created_at=self.rt.clock.now(),
                          created_by=f"arn:aws:iam::{self.account}:root", tags=self._tags(p.get("tags", [])))
        cluster.services[name] = service
        self.controller.new_deployment(service, first=True)
        return {"service": service.render(include_tags=True, fresh=service.primary.id)}

    def _active_service(self, region: str, p: Json) -> Service:
        cluster = self._cluster(region, p.get("cluster"))
        service = self._service(cluster, p["service"])
        if service is None:
            raise EcsError("ServiceNotFoundException", "Service not found.")
        if service.status != ServiceStatus.ACTIVE:
            raise EcsError("ServiceNotActiveException", "Service was not ACTIVE.")
        return service

    def op_UpdateService(self, region: str, p: Json) -> Json:
        service = self._active_service(region, p)
        spec = service.spec
        # Validate everything first: a refused update changes nothing.
        td = self._runnable_definition(region, p["taskDefinition"]) if p.get("taskDefinition") else spec.task_definition
        config = self._deployment_config(p.get("deploymentConfiguration"), spec.config)
        network = self._network(region, td, p["networkConfiguration"]) if "networkConfiguration" in p else (
            self._network(region, td, spec.network) if td is not spec.task_definition else spec.network)
        strategy = config.get("strategy", "ROLLING")
        lbs = self._load_balancers(region, td, p["loadBalancers"], strategy) if "loadBalancers" in p else (
            self._load_balancers(region, td, spec.load_balancers, strategy)
            if td is not spec.task_definition or strategy != spec.config.get("strategy", "ROLLING")
            else spec.load_balancers)
        if p.get("desiredCount") is not None and p["desiredCount"] < 0:
            raise invalid_parameter("desiredCount must be 0 or greater.")
        if p.get("capacityProviderStrategy"):
            self._check_strategy(p["capacityProviderStrategy"], service.cluster.capacity_providers)

        changed = (td is not spec.task_definition or config != spec.config or network != spec.network
                   or lbs != spec.load_balancers or bool(p.get("forceNewDeployment"))
                   or ("capacityProviderStrategy" in p and p["capacityProviderStrategy"] != spec.capacity_strategy)
                   or ("platformVersion" in p and p["platformVersion"] != spec.platform_version))
        spec.task_definition, spec.config, spec.network, spec.load_balancers = td, config, network, lbs
        if "capacityProviderStrategy" in p:
            spec.capacity_strategy = p["capacityProviderStrategy"]
            spec.launch_type = None if spec.capacity_strategy else spec.launch_type
        for key, attr in (("platformVersion", "platform_version"), ("healthCheckGracePeriodSeconds", "grace_period"),
                          ("propagateTags", "propagate_tags"), ("enableECSManagedTags", "managed_tags"),
                          ("enableExecuteCommand", "execute_command"),
                          ("availabilityZoneRebalancing", "az_rebalancing")):
            if p.get(key) is not None:
                setattr(spec, attr, p[key])
        if p.get("desiredCount") is not None:
            if spec.desired_count and p["desiredCount"] > spec.desired_count:
                # Since November 2025 a scale-out during a rollout applies to both revisions
                # (docs/ecs-2026.md §1.6): each older revision's claim grows in proportion.
                for older in service.deployments[1:]:
                    older.book.keep = math.ceil(older.book.keep * p["desiredCount"] / spec.desired_count)
            spec.desired_count = p["desiredCount"]
            if service.primary.status == DeploymentStatus.PRIMARY:
                service.primary.desired_count = p["desiredCount"]
                service.primary.updated_at = self.rt.clock.now()
        fresh, before = None, {d.id: d.desired_count for d in service.deployments}
        if changed:
            self.controller.new_deployment(service)
            fresh = service.primary.id
        else:
            self.controller.dirty(service)
        return {"service": service.render(fresh=fresh, before=before if fresh else None)}

    def op_DeleteService(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p.get("cluster"))
        service = self._service(cluster, p["service"])
        if service is None or service.status == ServiceStatus.INACTIVE:
            raise EcsError("ServiceNotFoundException", "Service not found.")
        if service.status == ServiceStatus.ACTIVE:
            if service.spec.desired_count > 0 and not p.get("force"):
                raise invalid_parameter("The service cannot be stopped while it is scaled above 0.")
            service.spec.desired_count = 0
            service.status = ServiceStatus.DRAINING
            self.controller.dirty(service)
        return {"service": service.render()}

    def op_DescribeServices(self, region: str, p: Json) -> Json:
        return self._describe_in_cluster(region, p, "service", 10)

    def op_ListServices(self, region: str, p: Json) -> Json:
        cluster = self._cluster(region, p.get("cluster"))
        services = [s for s in cluster.services.values() if s.status == ServiceStatus.ACTIVE]
        if p.get("launchType"):
            services = [s for s in services if s.spec.launch_type == p["launchType"]]
        page, token = self._page([s.arn for s in services], p, 10, 100)
        return {"serviceArns": page, **({"nextToken": token} if token else {})}
