"""A task's life: PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING →
STOPPING → DEPROVISIONING → STOPPED (docs/ecs-behaviour.md §1), driven by clock events.

Every step is a callback scheduled on the clock.  A step that finds the task
already on its way out does nothing, so a stop can overtake a start at any time.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Protocol

from .catalog import ResponseProfile
from .records import Cluster, ContainerState, ServedTarget, Service, Target, Task, TaskDefinition
from .runtime import Runtime
from .state import EngineState
from .status import (
    AttachmentStatus,
    ContainerStatus,
    HealthStatus,
    TargetState,
    TaskStatus,
)
from .types import Json

ECR_HOST = ".dkr.ecr."


class TaskListener(Protocol):
    """What the lifecycle tells whoever runs the services (the service controller): the only calls
    that go from a task's life to its service."""

    def task_touched(self, task: Task) -> None:
        """Something about the task changed: its service should look again."""

    def task_running(self, task: Task) -> None:
        """The task reached RUNNING."""

    def task_failed(self, task: Task, before_running: bool) -> None:
        """The task failed (before reaching RUNNING, or before it ever counted as healthy)."""

    def task_health_failed(self, task: Task, cause: str, target: Target | None = None) -> None:
        """An essential container's check ("container") or a target's ("elb") failed."""

    def service_event(self, service: Service | None, message: str) -> None:
        """A line for the service's event list (None: a standalone task, nobody to tell)."""


class NoListener:
    """Nobody to tell: a lifecycle on its own (the engine attaches its service controller)."""

    def task_touched(self, task: Task) -> None:
        pass

    def task_running(self, task: Task) -> None:
        pass

    def task_failed(self, task: Task, before_running: bool) -> None:
        pass

    def task_health_failed(self, task: Task, cause: str, target: Target | None = None) -> None:
        pass

    def service_event(self, service: Service | None, message: str) -> None:
        pass


class TaskLifecycle:
    def __init__(self, runtime: Runtime, state: EngineState, listener: TaskListener | None = None):
        self.rt = runtime
        self.state = state
        self.listener: TaskListener = listener or NoListener()

    # -- creating -----------------------------------------------------------
    def create_task(self, cluster: Cluster, region: str, td: TaskDefinition, launch: tuple[str, str | None],
                    network: Json | None, subnet: str | None, group: str, started_by: str | None,
                    tags: dict[str, str], overrides: Json | None = None, execute_command: bool | None = None) -> Task:
        ids = self.rt.ids
        task_id = ids.task_id()
        containers = [ContainerState(definition=c, behaviour=self.rt.catalog.lookup(c["image"]),
                                     arn=self.rt.arn(region, "container", f"{cluster.name}/{task_id}/{ids.uuid()}"),
                                     runtime_id=f"{task_id}-{ids.rng.randrange(10**9, 10**10)}")
                      for c in td.containers]
        zone = self.state.zones.get(subnet) if subnet else None
        if execute_command is None:   # a service's task: the service's enableExecuteCommand
            owner = cluster.services.get(group.split(":", 1)[1]) if group.startswith("service:") else None
            execute_command = bool(owner and owner.spec.execute_command)
        task = Task(id=task_id, arn=self.rt.arn(region, "task", f"{cluster.name}/{task_id}"), cluster=cluster,
                    region=region, definition=td, containers=containers, launch_type=launch[0],
                    capacity_provider=launch[1] or ("FARGATE" if launch[0] == "FARGATE" else None),
                    group=group, started_by=started_by, created_at=self.rt.clock.now(), network=network,
                    overrides=overrides or {}, tags=tags, subnet_id=subnet, availability_zone=zone,
                    execute_command=execute_command,
                    attachment_id=ids.uuid())
        cluster.tasks[task_id] = task
        self._begin_task(task)
        return task

    # -- starting ---------------------------------------------------------
    def _begin_task(self, task: Task) -> None:
        self._later(self._span(self.rt.timing.provisioning), lambda: self._provisioned(task))

    def _provisioned(self, task: Task) -> None:
        if task.stopping:
            return
        if task.subnet_id:
            assert task.network is not None   # a task's subnet is one of its network configuration's
            groups = task.network["awsvpcConfiguration"].get("securityGroups", [])
            public = task.network["awsvpcConfiguration"].get("assignPublicIp") == "ENABLED"
            try:
                task.eni = self.rt.substrate.create_interface(
                    task.region, task.subnet_id, groups, public, f"arn:aws:ecs:{task.region}:attachment/{task.attachment_id}")
            except Exception as exc:  # the network refused: the task cannot start
                self._fail_start(task, f"ResourceInitializationError: failed to create network interface: {exc}")
                return
            task.attachment_status = AttachmentStatus.ATTACHED
        now = self.rt.clock.now()
        task.last_status, task.connectivity_at, task.pull_started_at = TaskStatus.PENDING, now, now
        task.version += 1
        problem = self._start_problem(task)
        if problem:
            self._later(self._span(self.rt.timing.failed_pull), lambda: self._fail_start(task, problem))
            return
        pull = max(self.rt.ids.jitter(c.behaviour.pull_seconds * self.rt.timing.scale) for c in task.containers)
        self._later(pull, lambda: self._pulled(task))
        self._touch(task)

    def _start_problem(self, task: Task) -> str | None:
        """Why this task cannot start (image, logs), or None."""
        for c in task.containers:
            image = c.definition["image"]
            missing = c.behaviour.pull_error
            if ECR_HOST in image and not self.rt.substrate.image_exists(task.region, image):
                missing = "not found"
            if missing:
                ref = image if ("." in image.split("/")[0] and "/" in image) else f"docker.io/{image if '/' in image else 'library/' + image}"
                return (f"CannotPullContainerError: pull image manifest has been retried 7 time(s): "
                        f"failed to resolve ref {ref}: {missing}")
        for c in task.containers:
            logs = c.definition.get("logConfiguration") or {}
            if logs.get("logDriver") != "awslogs":
                continue
            opts = logs.get("options", {})
            group, region = opts.get("awslogs-group"), opts.get("awslogs-region", task.region)
            if not group or self.rt.substrate.log_group_exists(region, group):
                continue
            if str(opts.get("awslogs-create-group", "")).lower() == "true":
                self.rt.substrate.create_log_group(region, group)
                continue
            return ("ResourceInitializationError: failed to validate logger args: create stream has been "
                    "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
                    "The specified log group does not exist. : exit status 1")
        return None

    def _pulled(self, task: Task) -> None:
        if task.stopping:
            return
        task.pull_stopped_at = self.rt.clock.now()
        task.last_status = TaskStatus.ACTIVATING
        task.version += 1
        self._register_targets(task)
        start = max(self.rt.ids.jitter(c.behaviour.start_seconds * self.rt.timing.scale) for c in task.containers)
        self._later(start + self._span(self.rt.timing.activating), lambda: self._running(task))
        self._touch(task)

    def _register_targets(self, task: Task) -> None:
        service = task.service
        if not service or not task.eni:
            return
        for arn, port, container in task.registrations:
            if not self.rt.substrate.register_target(task.region, arn, task.eni.private_ip, port):
                # a model: AWS's wording for a deleted target group is not published
                self.listener.service_event(service, f"(service {service.name}) failed to register targets in "
                                                     f"(target-group {arn}) with (error TargetGroupNotFound)")
                continue
            task.targets.append(Target(arn, port, container))
            self.listener.service_event(service, f"(service {service.name}) registered 1 targets in (target-group {arn})")

    def _running(self, task: Task) -> None:
        if task.stopping:
            return
        now = self.rt.clock.now()
        task.last_status, task.started_at = TaskStatus.RUNNING, now
        task.version += 1
        for c in task.containers:
            c.last_status = ContainerStatus.RUNNING
            self._write_logs(task, c, c.behaviour.log_lines)
            if c.behaviour.exits_after is not None:
                self._later(self.rt.ids.jitter(c.behaviour.exits_after * self.rt.timing.scale),
                            functools.partial(self._container_exited, task, c))
            check = c.health_check
            if check:
                self._schedule_container_health(task, c, check)
        for target in task.targets:
            self._schedule_target_health(task, target)
        if task.service:
            self.listener.task_running(task)
            if not task.targets and not any(c.health_check for c in task.containers if c.essential):
                self._later(self.rt.timing.no_check_health_delay, lambda: self._touch(task))
        self._touch(task)

    # -- health -----------------------------------------------------------
    def _schedule_container_health(self, task: Task, c: ContainerState, check: Json) -> None:
        interval = check.get("interval", 30)
        if c.behaviour.healthy:
            self._later(self.rt.ids.jitter(min(interval, 10) + 1, 0.1), lambda: self._container_health(task, c, True))
            return
        retries, start_period = check.get("retries", 3), check.get("startPeriod", 0)
        first_counted = math.floor(start_period / interval) + 1  # checks inside startPeriod do not count
        when = (first_counted + retries - 1) * interval + check.get("timeout", 5)
        self._later(when, lambda: self._container_health(task, c, False))

    def _container_health(self, task: Task, c: ContainerState, healthy: bool) -> None:
        if task.stopping or c.last_status != ContainerStatus.RUNNING:
            return
        c.health_status = HealthStatus.HEALTHY if healthy else HealthStatus.UNHEALTHY
        task.version += 1
        if not healthy and c.essential:
            self.listener.task_health_failed(task, "container")
        self._touch(task)

    def _schedule_target_health(self, task: Task, target: Target) -> None:
        settings = self.rt.substrate.target_group(task.region, target.group_arn)
        if settings is None:   # deleted since the task registered: no group, no target, no checks
            task.targets.remove(target)
            task.version += 1
            return
        serving = [c.behaviour for c in task.containers if c.name == target.container]
        healthy = all(b.healthy for b in serving)
        if healthy and any(b.health_paths is not None and settings.health_path not in b.health_paths for b in serving):
            healthy, target.failure_code = False, 404   # the check asks for a page the image does not have
        checks = self.rt.timing.target_checks_to_healthy if healthy else settings.unhealthy_threshold
        self._later(self.rt.ids.jitter(checks * settings.interval, 0.1),
                    lambda: self._target_health(task, target, healthy))

    def _target_health(self, task: Task, target: Target, healthy: bool) -> None:
        if task.stopping or target.state != TargetState.INITIAL:
            return
        target.state = TargetState.HEALTHY if healthy else TargetState.UNHEALTHY
        if not healthy:
            self.listener.task_health_failed(task, "elb", target)
        self._touch(task)

    def target_health(self, region: str, group_arn: str) -> list[tuple[str, int, str]]:
        """(ip, port, state) of every target the engine placed in a target group."""
        out = []
        for cluster in self.state.region(region).clusters.values():
            for task in cluster.tasks.values():
                for t in task.targets:
                    if t.group_arn == group_arn and t.state != TargetState.UNUSED and task.eni:
                        out.append((task.eni.private_ip, t.port, str(t.state)))
        return out

    def served_targets(self, region: str, group_arn: str) -> list[ServedTarget]:
        """The targets the engine placed in a group as the load balancer's data plane needs them: where
        they are, their health, how their container answers and which revision they run."""
        out = []
        for cluster in self.state.region(region).clusters.values():
            for task in cluster.tasks.values():
                if task.eni is None:
                    continue
                for t in task.targets:
                    if t.group_arn != group_arn or t.state == TargetState.UNUSED:
                        continue
                    container = next((c for c in task.containers if c.name == t.container), None)
                    answering = (container is not None and container.last_status == ContainerStatus.RUNNING
                                 and task.last_status == TaskStatus.RUNNING)
                    out.append(ServedTarget(
                        f"{task.eni.private_ip}:{t.port}", str(t.state),
                        container.behaviour.serves if container is not None else ResponseProfile(),
                        f"{task.definition.family}:{task.definition.revision}", answering))
        return out

    def healthy_for_deployment(self, task: Task) -> bool:
        """Counts towards minimumHealthyPercent (docs/ecs-behaviour.md §2.2)."""
        if task.last_status != TaskStatus.RUNNING or task.stopping:
            return False
        checked = task.checked_containers
        if task.targets or checked:
            return all(t.state == TargetState.HEALTHY for t in task.targets) and all(
                c.health_status == HealthStatus.HEALTHY for c in checked)
        assert task.started_at is not None   # _running sets it with lastStatus RUNNING
        return self.rt.clock.now() >= task.started_at + self.rt.timing.no_check_health_delay

    # -- exits and failures -------------------------------------------------
    def _container_exited(self, task: Task, c: ContainerState) -> None:
        if task.stopping or c.last_status != ContainerStatus.RUNNING:
            return
        c.last_status, c.exit_code = ContainerStatus.STOPPED, c.behaviour.exit_code
        self._write_logs(task, c, c.behaviour.exit_lines)
        task.version += 1
        if c.essential:
            if task.service and not task.became_healthy:
                self.listener.task_failed(task, before_running=False)
            self.stop_task(task, "EssentialContainerExited", "Essential container in task exited")
        self._touch(task)

    def _fail_start(self, task: Task, reason: str) -> None:
        if task.stopping:
            return
        for c in task.containers:
            c.reason = c.reason or reason
        if task.service:
            self.listener.task_failed(task, before_running=True)
        self.stop_task(task, "TaskFailedToStart", reason)

    # -- stopping -----------------------------------------------------------
    def stop_task(self, task: Task, code: str, reason: str) -> None:
        if task.stopping:
            return
        now = self.rt.clock.now()
        task.desired_status, task.stopping_at = TaskStatus.STOPPED, now
        task.stop_code, task.stopped_reason = code, reason
        task.version += 1
        registered = [t for t in task.targets if t.state != TargetState.UNUSED]
        if registered and task.last_status in (TaskStatus.ACTIVATING, TaskStatus.RUNNING):
            service, eni = task.service, task.eni
            # only a service's task with an interface has targets (_register_targets)
            assert service is not None and eni is not None
            task.last_status = TaskStatus.DEACTIVATING
            delay = 0
            for target in registered:
                settings = self.rt.substrate.target_group(task.region, target.group_arn)
                self.rt.substrate.deregister_target(task.region, target.group_arn, eni.private_ip, target.port)
                target.state = TargetState.DRAINING
                if settings is not None:   # a deleted group has nothing left to drain
                    delay = max(delay, settings.deregistration_delay)
                self.listener.service_event(service, f"(service {service.name}) deregistered 1 targets in "
                                          f"(target-group {target.group_arn})")
            self.listener.service_event(service, f"(service {service.name}, taskSet {task.deployment_id}) "
                                      "has begun draining connections on 1 tasks.")
            self._later(delay, lambda: self._stopping(task))
        elif task.last_status == TaskStatus.RUNNING:
            # AWS's StopTask answer still says RUNNING, with desiredStatus STOPPED (docs/ecs-behaviour.md §1.1)
            self._later(1.0, lambda: self._stopping(task))
        else:
            self._stopping(task)
        self._touch(task)

    def _stopping(self, task: Task) -> None:
        task.last_status = TaskStatus.STOPPING
        task.version += 1
        for t in task.targets:
            t.state = TargetState.UNUSED
        running = any(c.last_status == ContainerStatus.RUNNING for c in task.containers)
        self._later(self._span(self.rt.timing.stopping) if running else 0.5, lambda: self._execution_stopped(task))
        self._touch(task)

    def _execution_stopped(self, task: Task) -> None:
        task.execution_stopped_at = self.rt.clock.now()
        for c in task.containers:
            if c.last_status == ContainerStatus.RUNNING:
                c.exit_code = 0 if c.exit_code is None else c.exit_code
                self._write_logs(task, c, ("received SIGTERM, shutting down",))
            c.last_status = ContainerStatus.STOPPED
        task.last_status = TaskStatus.DEPROVISIONING
        task.version += 1
        self._later(self._span(self.rt.timing.deprovisioning) if task.eni else 1.0, lambda: self._deprovisioned(task))
        self._touch(task)

    def _deprovisioned(self, task: Task) -> None:
        if task.eni:
            self.rt.substrate.delete_interface(task.region, task.eni)
            task.attachment_status = AttachmentStatus.DELETED
        task.last_status, task.stopped_at = TaskStatus.STOPPED, self.rt.clock.now()
        task.version += 1
        if task.service:
            task.service.live.pop(task.id, None)

        def forget() -> None:   # DescribeTasks says MISSING from then on
            task.cluster.tasks.pop(task.id, None)
        self._later(self.rt.timing.stopped_task_visible, forget)
        self._touch(task)

    # -- helpers --------------------------------------------------------------
    def _span(self, bounds: tuple[float, float]) -> float:
        return self.rt.span(bounds)

    def _later(self, delay: float, fn: Callable[[], None]) -> None:
        self.rt.clock.call_later(delay, fn)

    def _touch(self, task: Task) -> None:
        """Something about this task changed: its service should look again."""
        if task.service is not None:
            self.listener.task_touched(task)

    def _write_logs(self, task: Task, c: ContainerState, lines: Sequence[str]) -> None:
        logs = c.definition.get("logConfiguration") or {}
        if logs.get("logDriver") != "awslogs" or not lines:
            return
        opts = logs.get("options", {})
        group, prefix = opts.get("awslogs-group"), opts.get("awslogs-stream-prefix")
        if not group:
            return
        stream = f"{prefix}/{c.name}/{task.id}" if prefix else task.id
        now = self.rt.clock.now()
        self.rt.substrate.write_logs(opts.get("awslogs-region", task.region), group, stream,
                                  [(now, line) for line in lines])   # never after now; order is kept
