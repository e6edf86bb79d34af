"""The service controller: deployments, replacement, circuit breaker, events.

`_reconcile` runs shortly after anything about a service changes (coalesced to
one run per scheduler tick).  It snapshots the service, asks the pure
`scheduler.plan` what to do, carries the plan out, then settles deployment and
steady-state bookkeeping.  Strings follow ecs-behaviour.md §2.7 and §3.4.
"""
from __future__ import annotations

import math
from collections import deque

from .records import Deployment, Service, ServiceEvent, Task
from .scheduler import TaskView, circuit_breaker_threshold, plan

GONE = ("STOPPING", "DEPROVISIONING", "STOPPED")
THROTTLE_CAP = 27 * 60


class ServiceController:
    def _dirty(self, service: Service) -> None:
        if service.reconcile_pending:
            return
        service.reconcile_pending = True
        self.clock.call_later(self.timing.scheduler_reaction, lambda: self._reconcile(service))

    def _event(self, service: Service | None, message: str) -> None:
        if service is None:
            return
        # Events of one instant share its time (the deque keeps their order); a made-up
        # millisecond apart would put them ahead of the clock a client reads them by.
        service.events.append(ServiceEvent(self.ids.uuid(), self.clock.now(), message))

    # -- deployments ----------------------------------------------------------
    def _new_deployment(self, service: Service, first: bool = False) -> Deployment:
        now = self.clock.now()
        dep = Deployment(
            id=self.ids.deployment_id(), task_definition=service.task_definition,
            desired_count=service.desired_count, created_at=now, updated_at=now,
            launch_type=service.launch_type, capacity_strategy=list(service.capacity_strategy),
            network=service.network, config=dict(service.config), load_balancers=list(service.load_balancers),
            started_at=now, source_ids=[d.id for d in service.deployments])
        dep.rollout_reason = f"ECS deployment {dep.id} in progress."
        breaker = service.config.get("deploymentCircuitBreaker", {})
        dep.breaker_status = "MONITORING" if breaker.get("enable") else "DISABLED"
        for old in service.deployments:
            if old.status == "PRIMARY" or old.keep:
                old.keep = sum(t.deployment_id == old.id and not t.stopping for t in service.live.values())
            if old.status == "PRIMARY":
                old.status, old.desired_count, old.updated_at = "ACTIVE", 0, now
                if old.rollout_state == "IN_PROGRESS" and old.sd_status == "IN_PROGRESS":
                    old.sd_status, old.stopped_at = "STOPPED", now
        service.deployments.insert(0, dep)
        service.history.append(dep)
        self.deployments[dep.id] = dep
        service.start_failures, service.launch_not_before = 0, 0.0
        service.impaired_reported = service.steady = False
        service.reconcile_pending = True
        delay = self.timing.scheduler_reaction if first else self._span(self.timing.deployment_start)
        self.clock.call_later(delay, lambda: self._reconcile(service))
        return dep

    def _complete(self, service: Service, dep: Deployment) -> None:
        now = self.clock.now()
        dep.rollout_state, dep.rollout_reason = "COMPLETED", f"ECS deployment {dep.id} completed."
        dep.updated_at = dep.completed_at = dep.finished_at = now
        dep.sd_status = "SUCCESSFUL"
        if dep.breaker_status == "MONITORING":
            dep.breaker_status = "MONITORING_COMPLETE"
        for other in service.deployments[1:]:
            other.keep = 0   # whatever they still run is cleaned up, never replaced
            if other.sd_status == "ROLLBACK_IN_PROGRESS":
                other.sd_status, other.finished_at = "ROLLBACK_SUCCESSFUL", now
        self._drop_drained(service)
        self._event(service, f"(service {service.name}) (deployment {dep.id}) deployment completed.")

    def _drop_drained(self, service: Service) -> None:
        """Older deployments leave the list once their last task is gone.  Normally that is already
        so at completion; with early success and DEFERRED cleanup they stay listed, ACTIVE, while
        their tasks drain in the background."""
        now = self.clock.now()
        left = {t.deployment_id for t in service.live.values() if t.last_status not in GONE}
        kept = [service.deployments[0]]
        for other in service.deployments[1:]:
            if other.id in left:
                kept.append(other)
            else:
                other.status, other.updated_at = "INACTIVE", now
        service.deployments[:] = kept

    def _early_success(self, service: Service, dep: Deployment, mine: list[Task], health: dict[str, bool],
                       others_left: bool) -> bool:
        """earlySuccessCriteria (model, DeploymentEarlySuccessCriteria): complete once healthyPercent of the
        desired count (rounded up) of the new revision's tasks is healthy; BLOCKING also waits until the
        old tasks are gone.  The rest of the new tasks start after completion, outside the deployment
        (the breaker no longer counts them).  A rollback completes the ordinary way."""
        early = dep.config.get("earlySuccessCriteria") or {}
        if not early.get("enable") or dep.rollback_reason:
            return False
        needed = math.ceil(service.desired_count * early["healthyPercent"] / 100)
        healthy = sum(health.get(t.id, False) for t in mine)
        return healthy >= needed and (early["sourceServiceRevisionCleanup"] == "DEFERRED" or not others_left)

    def _count_failure(self, task: Task, before_running: bool) -> None:
        service = task.service
        now = self.clock.now()
        if before_running:  # the throttle only counts tasks that never reached RUNNING
            service.start_failures += 1
            backoff = min(THROTTLE_CAP, 60 * 2 ** (service.start_failures - 1))
            service.launch_not_before = now + backoff
            if service.start_failures >= 3 and not service.impaired_reported:
                service.impaired_reported = True
                self._event(service, f"(service {service.name}) is unable to consistently start tasks successfully.")
        dep = self.deployments.get(task.deployment_id)
        if not dep or dep.rollout_state != "IN_PROGRESS" or dep.status != "PRIMARY":
            return
        dep.failed_tasks += 1
        dep.updated_at = now
        breaker = dep.config.get("deploymentCircuitBreaker", {})
        if breaker.get("enable") and dep.failed_tasks >= circuit_breaker_threshold(service.desired_count, breaker):
            self._trip(service, dep, rollback=bool(breaker.get("rollback")))

    def _trip(self, service: Service, dep: Deployment, rollback: bool) -> None:
        now = self.clock.now()
        dep.rollout_state = "FAILED"
        dep.rollout_reason = "ECS deployment circuit breaker: tasks failed to start."
        dep.updated_at, dep.breaker_status = now, "TRIGGERED"
        self._event(service, f"(service {service.name}) (deployment {dep.id}) deployment failed: tasks failed to start.")
        target = self.rollback_target(service, dep) if rollback else None
        if target is None:
            dep.sd_status, dep.stopped_at = ("STOPPED" if not rollback else "ROLLBACK_FAILED"), now
            dep.sd_reason = dep.rollout_reason
            return
        self._roll_back(service, dep, target, f"ECS deployment circuit breaker: rolling back to deploymentId {target.id}.")

    @staticmethod
    def rollback_target(service: Service, dep: Deployment) -> Deployment | None:
        """The most recent COMPLETED deployment other than `dep` (a rollback needs one, §3.4)."""
        done = [d for d in service.history if d is not dep and d.rollout_state == "COMPLETED"]
        return max(done, key=lambda d: d.completed_at) if done else None

    def stop_deployment(self, service: Service, dep: Deployment, target: Deployment) -> None:
        """StopServiceDeployment with ROLLBACK: the same path as the breaker's rollback."""
        now = self.clock.now()
        dep.rollout_state, dep.updated_at = "FAILED", now
        dep.rollout_reason = f"ECS deployment {dep.id} stopped: rolling back to deploymentId {target.id}."
        if dep.breaker_status == "MONITORING":
            dep.breaker_status = "MONITORING_COMPLETE"
        self._roll_back(service, dep, target, f"Service deployment stopped: rolling back to deploymentId {target.id}.")

    def _roll_back(self, service: Service, dep: Deployment, target: Deployment, reason: str) -> None:
        """`target` becomes PRIMARY again (same id, IN_PROGRESS); `dep` stays listed, ACTIVE and
        FAILED, until its tasks are gone and the rollback has settled."""
        now = self.clock.now()
        dep.status, dep.desired_count, dep.keep = "ACTIVE", 0, 0
        dep.sd_status, dep.rollback_started_at = "ROLLBACK_IN_PROGRESS", now
        dep.rollback_reason, dep.rollback_target = reason, target.id
        target.complete_not_before = now + self._span(self.timing.rollback_settle)
        self.clock.call_at(target.complete_not_before, lambda: self._dirty(service))
        target.status, target.rollout_state, target.desired_count = "PRIMARY", "IN_PROGRESS", service.desired_count
        target.rollout_reason = target.rollback_reason = reason
        target.updated_at = now
        service.deployments[:] = [target] + [d for d in service.deployments if d is not target]
        service.task_definition = target.task_definition
        service.start_failures, service.launch_not_before = 0, 0.0
        self._event(service, f"(service {service.name}) rolling back to deployment {target.id}.")
        self._dirty(service)

    # -- the launch budget -------------------------------------------------------
    def _launch_budget(self, service: Service) -> int:
        """Tasks the scheduler may still start for `service` now: at most
        `service_launches_per_window` in any `launch_window` seconds (500 a minute on Fargate,
        ecs-behaviour.md §2.4), whatever the desired count."""
        log = self._launch_log(service)
        expired = self.clock.now() - self.timing.launch_window
        while log and log[0][0] <= expired:
            log.popleft()
        return max(0, self.timing.service_launches_per_window - sum(count for _, count in log))

    @staticmethod
    def _launch_log(service: Service) -> deque:
        # (time, tasks started) of the steps inside the window; kept on the service record
        # (records.py belongs to the record model, so the field is added here on first use)
        return service.__dict__.setdefault("launch_log", deque())

    def _wake_when_budget_frees(self, service: Service) -> None:
        """Some starts were held back: look again when the oldest batch leaves the window."""
        log = self._launch_log(service)
        if not log:
            return
        when = log[0][0] + self.timing.launch_window
        if service.__dict__.get("launch_wake") != when:
            service.__dict__["launch_wake"] = when
            self.clock.call_at(when, lambda: self._dirty(service))

    # -- the reconcile step ---------------------------------------------------
    def _reconcile(self, service: Service) -> None:
        service.reconcile_pending = False
        if service.status == "INACTIVE":
            return
        now = self.clock.now()
        if service.status == "DRAINING":
            for task in list(service.live.values()):
                self.stop_task(task, "ServiceSchedulerInitiated",
                               f"Scaling activity initiated by (deployment {task.deployment_id})")
            if all(t.last_status in GONE for t in service.live.values()):
                service.status = "INACTIVE"
                for d in service.deployments:
                    d.status = "INACTIVE" if d is not service.primary else d.status
            return

        primary = service.primary
        views, health = self._views(service)

        placeable = service.launch_type != "EC2"
        throttled = now < service.launch_not_before
        if throttled:
            self.clock.call_at(service.launch_not_before, lambda: self._dirty(service))
        failed = primary.rollout_state == "FAILED"
        cfg = service.config
        step = plan(service.desired_count, cfg.get("minimumHealthyPercent", 100), cfg.get("maximumPercent", 200),
                    primary.id, views, can_launch=placeable and not throttled and not failed,
                    can_replace_old=not failed, keep={d.id: d.keep for d in service.deployments[1:]},
                    can_launch_old=placeable, budget=self._launch_budget(service))
        for t in step.retired:
            dep = self.deployments.get(service.live[t].deployment_id)
            dep.keep = max(0, dep.keep - 1)

        if step.stop:
            stopping = [service.live[i] for i in step.stop]
            self._event(service, f"(service {service.name}) has stopped {len(stopping)} running tasks: "
                        + " ".join(f"(task {t.id})" for t in stopping) + ".")
            for t in stopping:
                self.stop_task(t, "ServiceSchedulerInitiated",
                               f"Scaling activity initiated by (deployment {t.deployment_id})")
        if step.launch or step.replace:
            per_subnet: dict[str | None, int] = {}
            for t in service.live.values():
                per_subnet[t.subnet_id] = per_subnet.get(t.subnet_id, 0) + 1
            started = [self._launch_service_task(service, per_subnet, self.deployments[d])
                       for d, count in step.replace for _ in range(count)]
            started += [self._launch_service_task(service, per_subnet) for _ in range(step.launch)]
            self._launch_log(service).append((now, len(started)))
            message = (f"(service {service.name}) has started {len(started)} tasks: "
                       + " ".join(f"(task {t.id})" for t in started) + ".")
            replaced = min(service.unhealthy_replacements, len(started))
            if replaced:
                service.unhealthy_replacements -= replaced
                message += f" Amazon ECS replaced {replaced} tasks due to an unhealthy status."
            self._event(service, message)
        if step.held:
            self._wake_when_budget_frees(service)
        if not placeable and service.desired_count and not service.placement_reported:
            service.placement_reported = True
            self._event(service, f"(service {service.name}) was unable to place a task because no container instance "
                        "met all of its requirements. Reason: No Container Instances were found in your cluster. "
                        "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
        if step.deadlocked and not primary.deadlock_reported:
            primary.deadlock_reported = True
            self._event(service, f"(service {service.name}) was unable to stop or start tasks during a deployment "
                        "because of the service deployment configuration. Update the minimumHealthyPercent or "
                        "maximumPercent value and try again.")
        self._settle(service, health)

    def _views(self, service: Service) -> tuple[list[TaskView], dict[str, bool]]:
        """The scheduler's view of the service's tasks whose desiredStatus is RUNNING, in a stable order,
        and whether each counts as healthy.  A task's view is worked out again only when the task was
        touched (`_touch`) since, or while its health depends on the clock (the 40 s rule); with
        `verify_views` every view is also worked out afresh and compared (the tests run so)."""
        cache, touched = service.views, service.touched
        views: list[TaskView] = []
        health: dict[str, bool] = {}
        for t in service.live.values():
            if t.stopping:
                continue
            known = cache.get(t.id)
            if known is None or t.id in touched:
                known = self._view(t)
                if not known[0].running or known[1] or t.targets or t.checked_containers:
                    cache[t.id] = known          # not waiting on the clock: valid until touched
                else:
                    cache.pop(t.id, None)
            view, healthy = known
            if healthy and not t.became_healthy:
                t.became_healthy = True
                dep = self.deployments.get(t.deployment_id)
                # resetOnHealthyTask (default true): a healthy task starts the count again
                # (consecutive failures); false keeps counting every failure (cumulative)
                if dep and dep.rollout_state == "IN_PROGRESS" and \
                        dep.config.get("deploymentCircuitBreaker", {}).get("resetOnHealthyTask", True):
                    dep.failed_tasks = 0
            views.append(view)
            health[t.id] = healthy
        touched.clear()
        for gone in [i for i in cache if i not in service.live or service.live[i].stopping]:
            del cache[gone]
        if self.verify_views:
            fresh = [self._view(t) for t in service.live.values() if not t.stopping]
            assert [v for v, _ in fresh] == views and {v.id: h for v, h in fresh} == health, (
                "the scheduler's cached task views differ from fresh ones: a task changed without _touch")
        return views, health

    def _view(self, t: Task) -> tuple[TaskView, bool]:
        healthy = self.healthy_for_deployment(t)
        failing = any(c.health_status == "UNHEALTHY" for c in t.essential_containers) or any(
            g.state == "unhealthy" for g in t.targets)
        return TaskView(t.id, t.deployment_id, t.last_status == "RUNNING", healthy, t.availability_zone or "",
                        failing), healthy

    def _settle(self, service: Service, health: dict[str, bool]) -> None:
        """Mark the rollout COMPLETED and report steady state when they are reached."""
        primary = service.primary
        live = list(service.live.values())
        mine = [t for t in live if t.deployment_id == primary.id and not t.stopping]
        mine_healthy = all(health.get(t.id, False) for t in mine)  # tasks launched just now are not
        others_left = any(t.deployment_id != primary.id and t.last_status not in GONE for t in live)
        if primary.rollout_state == "IN_PROGRESS" and self.clock.now() >= primary.complete_not_before:
            if (len(mine) == service.desired_count and not others_left and mine_healthy) or \
                    self._early_success(service, primary, mine, health, others_left):
                self._complete(service, primary)
        elif primary.rollout_state == "COMPLETED" and len(service.deployments) > 1:
            self._drop_drained(service)
        steady = (len(service.deployments) == 1 and primary.rollout_state == "COMPLETED"
                  and sum(t.last_status == "RUNNING" for t in live) == service.desired_count
                  and all(t.last_status == "RUNNING" for t in live if t.last_status not in GONE)
                  and mine_healthy)
        if steady and not service.steady:
            self._event(service, f"(service {service.name}) has reached a steady state.")
        service.steady = steady

    def _launch_service_task(self, service: Service, per_subnet: dict, deployment: Deployment | None = None) -> Task:
        """Start one task of `deployment` (the PRIMARY by default) in the subnet (AZ) with the fewest."""
        dep = deployment or service.primary
        subnets = dep.network["awsvpcConfiguration"]["subnets"] if dep.network else []
        subnet = min(subnets, key=lambda s: per_subnet.get(s, 0)) if subnets else None  # first wins ties
        per_subnet[subnet] = per_subnet.get(subnet, 0) + 1
        tags = {}
        if service.propagate_tags == "SERVICE":
            tags.update(service.tags)
        elif service.propagate_tags == "TASK_DEFINITION":
            tags.update(dep.task_definition.tags)
        task = self._create_task(
            service.cluster, service.region, dep.task_definition, launch=self._service_launch(service),
            network=dep.network, subnet=subnet, group=f"service:{service.name}", started_by=dep.id,
            tags=tags)
        task.service, task.deployment_id = service, dep.id
        service.live[task.id] = task
        return task

    def _health_failed(self, task: Task, cause: str, target=None) -> None:
        """A health check failed: after the grace period, replace the task."""
        service = task.service
        if service is None or task.stopping:
            return  # a standalone task just reports UNHEALTHY; nothing replaces it
        grace_end = task.started_at + service.grace_period
        if self.clock.now() < grace_end:
            def recheck():
                still = (target.state == "unhealthy") if target else any(
                    c.essential and c.health_status == "UNHEALTHY" for c in task.containers)
                if still:
                    self._health_failed(task, cause, target)
            self.clock.call_at(grace_end, recheck)
            return
        if cause == "elb":
            self._event(service, f"(service {service.name}) (task {task.id}) (port {target.port}) is unhealthy in "
                        f"(target-group {target.group_arn}) due to (reason Health checks failed with these codes: [500])")
            reason = f"Task failed ELB health checks in (target-group {target.group_arn})"
        else:
            self._event(service, f"(service {service.name}) (task {task.id}) failed container health checks.")
            reason = "Task failed container health checks"
        if not task.became_healthy:
            self._count_failure(task, before_running=False)
        service.unhealthy_replacements += 1
        self.stop_task(task, "ServiceSchedulerInitiated", reason)
