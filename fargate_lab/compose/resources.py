"""A container's cpu and memory: from compose, deploy.resources and ecs-params."""
from __future__ import annotations

from .readers import _mapping, _whole
from .service_base import _ServiceBase
from .units import _compose_mib, _cpus_to_units


class _Resources(_ServiceBase):
    """cpu, memory and memoryReservation."""

    def resources(self) -> dict:
        deploy = _mapping(self.spec.get("deploy"), self.file("deploy"), self.field("deploy"))
        self.check_deploy(deploy)
        resources = _mapping(deploy.get("resources"), self.file("deploy"), self.field("deploy.resources"))
        limits = _mapping(resources.get("limits"), self.file("deploy"), self.field("deploy.resources.limits"))
        reservations = _mapping(resources.get("reservations"), self.file("deploy"), self.field("deploy.resources.reservations"))
        for section, values in (("limits", limits), ("reservations", reservations)):
            for key in values:
                if key in ("devices", "generic_resources"):
                    raise self.fail(f"deploy.resources.{section}.{key}", "not supported",
                                    "Fargate has no GPUs; on EC2 set gpu: in ecs-params services")
                if key not in ("cpus", "memory"):
                    self.warn(f"deploy.resources.{section}.{key}", "ignored: not available on ECS")
        out: dict[str, int] = {}
        cpu = self.cpu(limits, reservations)
        if cpu is not None:
            out["cpu"] = cpu
        memory = self.memory("mem_limit", limits, self.extra.mem_limit, "deploy.resources.limits.memory")
        reservation = self.memory("mem_reservation", reservations, self.extra.mem_reservation,
                                  "deploy.resources.reservations.memory")
        if memory is not None and reservation is not None and memory < reservation:
            raise self.fail("mem_limit", f"the limit ({memory} MiB) is below the reservation ({reservation} MiB)",
                            "raise mem_limit or lower mem_reservation")
        if memory is not None:
            out["memory"] = memory
        if reservation is not None:
            out["memoryReservation"] = reservation
        return out

    def check_deploy(self, deploy: dict) -> None:
        for key in deploy:
            if key == "replicas":
                self.warn("deploy.replicas", "ignored: the desired count comes from `service scale` "
                                             "(CreateService/UpdateService desiredCount), not the task definition")
            elif key != "resources":
                self.warn(f"deploy.{key}", "ignored: not part of a task definition")

    def cpu(self, limits: dict, reservations: dict) -> int | None:
        if self.extra.cpu_shares is not None:
            return self.extra.cpu_shares
        if self.spec.get("cpu_shares") is not None:
            return _whole(self.spec["cpu_shares"], self.file("cpu_shares"), self.field("cpu_shares"), 0)
        for values, key in ((reservations, "reservations"), (limits, "limits")):
            if values.get("cpus") is not None:
                return _cpus_to_units(values["cpus"], self.file("deploy"), self.field(f"deploy.resources.{key}.cpus"))
        if self.spec.get("cpus") is not None:
            return _cpus_to_units(self.spec["cpus"], self.file("cpus"), self.field("cpus"))
        return None

    def memory(self, key: str, deploy_values: dict, from_params: int | None, deploy_field: str) -> int | None:
        if from_params is not None:
            return from_params  # ecs-params overrides compose, as in ecs-cli
        direct = _compose_mib(self.spec[key], self.file(key), self.field(key)) if self.spec.get(key) is not None else None
        deployed = (_compose_mib(deploy_values["memory"], self.file("deploy"), self.field(deploy_field))
                    if deploy_values.get("memory") is not None else None)
        if direct is not None and deployed is not None and direct != deployed:
            raise self.fail(key, f"{direct} MiB differs from {deploy_field} ({deployed} MiB)", "set only one of them")
        return direct if direct is not None else deployed
