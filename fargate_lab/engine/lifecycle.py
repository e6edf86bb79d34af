"""A task's life: PROVISIONING → PENDING → ACTIVATING → RUNNING → DEACTIVATING →
STOPPING → DEPROVISIONING → STOPPED (ecs-behaviour.md §1), driven by clock events.

Every step is a callback scheduled on the clock.  A step that finds the task
already on its way out does nothing, so a stop can overtake a start at any time.
"""
from __future__ import annotations

import math

from .records import Target, Task

ECR_HOST = ".dkr.ecr."


class TaskLifecycle:
    # -- starting ---------------------------------------------------------
    def _begin_task(self, task: Task) -> None:
        self._later(self._span(self.timing.provisioning), lambda: self._provisioned(task))

    def _provisioned(self, task: Task) -> None:
        if task.stopping:
            return
        if task.subnet_id:
            groups = task.network["awsvpcConfiguration"].get("securityGroups", [])
            public = task.network["awsvpcConfiguration"].get("assignPublicIp") == "ENABLED"
            try:
                task.eni = self.substrate.create_interface(
                    task.region, task.subnet_id, groups, public, f"arn:aws:ecs:{task.region}:attachment/{task.attachment_id}")
            except Exception as exc:  # the network refused: the task cannot start
                self._fail_start(task, f"ResourceInitializationError: failed to create network interface: {exc}")
                return
            task.attachment_status = "ATTACHED"
        now = self.clock.now()
        task.last_status, task.connectivity_at, task.pull_started_at = "PENDING", now, now
        task.version += 1
        problem = self._start_problem(task)
        if problem:
            self._later(self._span(self.timing.failed_pull), lambda: self._fail_start(task, problem))
            return
        pull = max(self.ids.jitter(c.behaviour.pull_seconds * self.timing.scale) for c in task.containers)
        self._later(pull, lambda: self._pulled(task))
        self._touch(task)

    def _start_problem(self, task: Task) -> str | None:
        """Why this task cannot start (image, logs), or None."""
        for c in task.containers:
            image = c.definition["image"]
            missing = c.behaviour.pull_error
            if ECR_HOST in image and not self.substrate.image_exists(task.region, image):
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
            if not group or self.substrate.log_group_exists(region, group):
                continue
            if str(opts.get("awslogs-create-group", "")).lower() == "true":
                self.substrate.create_log_group(region, group)
                continue
            return ("ResourceInitializationError: failed to validate logger args: create stream has been "
                    "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
                    "The specified log group does not exist. : exit status 1")
        return None

    def _pulled(self, task: Task) -> None:
        if task.stopping:
            return
        task.pull_stopped_at = self.clock.now()
        task.last_status = "ACTIVATING"
        task.version += 1
        self._register_targets(task)
        start = max(self.ids.jitter(c.behaviour.start_seconds * self.timing.scale) for c in task.containers)
        self._later(start + self._span(self.timing.activating), lambda: self._running(task))
        self._touch(task)

    def _register_targets(self, task: Task) -> None:
        service = task.service
        if not service or not task.eni:
            return
        for lb in service.load_balancers:
            arn = lb.get("targetGroupArn")
            if not arn:
                continue
            self.substrate.register_target(task.region, arn, task.eni.private_ip, lb["containerPort"])
            task.targets.append(Target(arn, lb["containerPort"], lb["containerName"]))
            self._event(service, f"(service {service.name}) registered 1 targets in (target-group {arn})")

    def _running(self, task: Task) -> None:
        if task.stopping:
            return
        now = self.clock.now()
        task.last_status, task.started_at = "RUNNING", now
        task.version += 1
        for c in task.containers:
            c.last_status = "RUNNING"
            self._write_logs(task, c, c.behaviour.log_lines)
            if c.behaviour.exits_after is not None:
                self._later(self.ids.jitter(c.behaviour.exits_after * self.timing.scale),
                            lambda c=c: self._container_exited(task, c))
            if c.health_check:
                self._schedule_container_health(task, c)
        for target in task.targets:
            self._schedule_target_health(task, target)
        if task.service:
            task.service.start_failures = 0
            if not task.targets and not any(c.health_check for c in task.containers if c.essential):
                self._later(self.timing.no_check_health_delay, lambda: self._touch(task))
        self._touch(task)

    # -- health -----------------------------------------------------------
    def _schedule_container_health(self, task: Task, c) -> None:
        check = c.health_check
        interval = check.get("interval", 30)
        if c.behaviour.healthy:
            self._later(self.ids.jitter(min(interval, 10) + 1, 0.1), lambda: self._container_health(task, c, True))
            return
        retries, start_period = check.get("retries", 3), check.get("startPeriod", 0)
        first_counted = math.floor(start_period / interval) + 1  # checks inside startPeriod do not count
        when = (first_counted + retries - 1) * interval + check.get("timeout", 5)
        self._later(when, lambda: self._container_health(task, c, False))

    def _container_health(self, task: Task, c, healthy: bool) -> None:
        if task.stopping or c.last_status != "RUNNING":
            return
        c.health_status = "HEALTHY" if healthy else "UNHEALTHY"
        task.version += 1
        if not healthy and c.essential:
            self._health_failed(task, "container")
        self._touch(task)

    def _schedule_target_health(self, task: Task, target: Target) -> None:
        settings = self.substrate.target_group(task.region, target.group_arn)
        healthy = all(c.behaviour.healthy for c in task.containers if c.name == target.container)
        checks = self.timing.target_checks_to_healthy if healthy else settings.unhealthy_threshold
        self._later(self.ids.jitter(checks * settings.interval, 0.1),
                    lambda: self._target_health(task, target, healthy))

    def _target_health(self, task: Task, target: Target, healthy: bool) -> None:
        if task.stopping or target.state != "initial":
            return
        target.state = "healthy" if healthy else "unhealthy"
        if not healthy:
            self._health_failed(task, "elb", target)
        self._touch(task)

    def target_health(self, region: str, group_arn: str) -> list[tuple[str, int, str]]:
        """(ip, port, state) of every target the engine placed in a target group."""
        out = []
        for cluster in self._region(region).clusters.values():
            for task in cluster.tasks.values():
                for t in task.targets:
                    if t.group_arn == group_arn and t.state != "unused" and task.eni:
                        out.append((task.eni.private_ip, t.port, t.state))
        return out

    def healthy_for_deployment(self, task: Task) -> bool:
        """Counts towards minimumHealthyPercent (ecs-behaviour.md §2.2)."""
        if task.last_status != "RUNNING" or task.stopping:
            return False
        checked = task.checked_containers
        if task.targets or checked:
            return all(t.state == "healthy" for t in task.targets) and all(
                c.health_status == "HEALTHY" for c in checked)
        return self.clock.now() >= task.started_at + self.timing.no_check_health_delay

    # -- exits and failures -------------------------------------------------
    def _container_exited(self, task: Task, c) -> None:
        if task.stopping or c.last_status != "RUNNING":
            return
        c.last_status, c.exit_code = "STOPPED", c.behaviour.exit_code
        self._write_logs(task, c, c.behaviour.exit_lines)
        task.version += 1
        if c.essential:
            if task.service and not task.became_healthy:
                self._count_failure(task, before_running=False)
            self.stop_task(task, "EssentialContainerExited", "Essential container in task exited")
        self._touch(task)

    def _fail_start(self, task: Task, reason: str) -> None:
        if task.stopping:
            return
        for c in task.containers:
            c.reason = c.reason or reason
        if task.service:
            self._count_failure(task, before_running=True)
        self.stop_task(task, "TaskFailedToStart", reason)

    # -- stopping -----------------------------------------------------------
    def stop_task(self, task: Task, code: str, reason: str) -> None:
        if task.stopping:
            return
        now = self.clock.now()
        task.desired_status, task.stopping_at = "STOPPED", now
        task.stop_code, task.stopped_reason = code, reason
        task.version += 1
        registered = [t for t in task.targets if t.state != "unused"]
        if registered and task.last_status in ("ACTIVATING", "RUNNING"):
            task.last_status = "DEACTIVATING"
            delay = 0
            for target in registered:
                settings = self.substrate.target_group(task.region, target.group_arn)
                self.substrate.deregister_target(task.region, target.group_arn, task.eni.private_ip, target.port)
                target.state = "draining"
                delay = max(delay, settings.deregistration_delay)
                self._event(task.service, f"(service {task.service.name}) deregistered 1 targets in "
                                          f"(target-group {target.group_arn})")
            self._event(task.service, f"(service {task.service.name}, taskSet {task.deployment_id}) "
                                      "has begun draining connections on 1 tasks.")
            self._later(delay, lambda: self._stopping(task))
        elif task.last_status == "RUNNING":
            # AWS's StopTask answer still says RUNNING, with desiredStatus STOPPED (§1.1)
            self._later(1.0, lambda: self._stopping(task))
        else:
            self._stopping(task)
        self._touch(task)

    def _stopping(self, task: Task) -> None:
        task.last_status = "STOPPING"
        task.version += 1
        for t in task.targets:
            t.state = "unused"
        running = any(c.last_status == "RUNNING" for c in task.containers)
        self._later(self._span(self.timing.stopping) if running else 0.5, lambda: self._execution_stopped(task))
        self._touch(task)

    def _execution_stopped(self, task: Task) -> None:
        task.execution_stopped_at = self.clock.now()
        for c in task.containers:
            if c.last_status == "RUNNING":
                c.exit_code = 0 if c.exit_code is None else c.exit_code
                self._write_logs(task, c, ("received SIGTERM, shutting down",))
            c.last_status = "STOPPED"
        task.last_status = "DEPROVISIONING"
        task.version += 1
        self._later(self._span(self.timing.deprovisioning) if task.eni else 1.0, lambda: self._deprovisioned(task))
        self._touch(task)

    def _deprovisioned(self, task: Task) -> None:
        if task.eni:
            self.substrate.delete_interface(task.region, task.eni)
            task.attachment_status = "DELETED"
        task.last_status, task.stopped_at = "STOPPED", self.clock.now()
        task.version += 1
        if task.service:
            task.service.live.pop(task.id, None)
        self._later(self.timing.stopped_task_visible, lambda: task.cluster.tasks.pop(task.id, None))
        self._touch(task)

    # -- helpers --------------------------------------------------------------
    def _span(self, bounds: tuple[float, float]) -> float:
        return self.ids.between(*bounds)

    def _later(self, delay: float, fn) -> None:
        self.clock.call_later(delay, fn)

    def _touch(self, task: Task) -> None:
        """Something about this task changed: its service should look again."""
        if task.service is not None:
            task.service.touched.add(task.id)
            self._dirty(task.service)

    def _write_logs(self, task: Task, c, lines) -> None:
        logs = c.definition.get("logConfiguration") or {}
        if logs.get("logDriver") != "awslogs" or not lines:
            return
        opts = logs.get("options", {})
        group, prefix = opts.get("awslogs-group"), opts.get("awslogs-stream-prefix")
        if not group:
            return
        stream = f"{prefix}/{c.name}/{task.id}" if prefix else task.id
        now = self.clock.now()
        self.substrate.write_logs(opts.get("awslogs-region", task.region), group, stream,
                                  [(now, line) for line in lines])   # never after now; order is kept
