"""The service controller: it runs each service's deployments, replaces tasks, trips the circuit
breaker and writes the service's events.

`_reconcile` runs shortly after anything about a service changes (coalesced to one run per
scheduler tick).  It snapshots the service, asks the deployment's strategy (`strategies`, rolling:
the pure `scheduler.plan`) what to do, carries the plan out through the task lifecycle, then
settles deployment and steady-state bookkeeping (`DeploymentBook`).  Strings follow
docs/ecs-behaviour.md §2.7 and §3.4.

The task lifecycle reaches it only through the `TaskListener` calls (`task_touched`,
`task_running`, `task_failed`, `task_health_failed`, `service_event`).
"""
from __future__ import annotations

from collections import deque

from .deployments import GONE, DeploymentBook
from .lifecycle import TaskLifecycle
from .records import Deployment, Service, ServiceEvent, Target, Task
from .runtime import Runtime
from .scheduler import TaskView, circuit_breaker_threshold
from .shifter import TrafficShifter
from .status import (
    BreakerStatus,
    DeploymentStatus,
    HealthStatus,
    RolloutState,
    ServiceStatus,
    TargetState,
    TaskStatus,
)
from .strategies import TRAFFIC_STRATEGIES, strategy_for
from .strategies.traffic_shift import HookRun, is_traffic_run

THROTTLE_CAP = 27 * 60


class ServiceController:
    def __init__(self, runtime: Runtime, lifecycle: TaskLifecycle, deployments: DeploymentBook):
        self.rt = runtime
        self.lifecycle = lifecycle
        self.deployments = deployments
        self.verify_views = False   # recompute the cached task views every step and compare
        self.shifter = TrafficShifter(runtime, event=self.service_event, fail=self._hook_failed, dirty=self.dirty)

    # -- what the task lifecycle tells us (TaskListener) -----------------------
    def task_touched(self, task: Task) -> None:
        service = task.service
        if service is not None:
            service.book.touched.add(task.id)
            self.dirty(service)

    def task_running(self, task: Task) -> None:
        service = task.service
        assert service is not None   # the lifecycle reports only a service's tasks
        service.book.start_failures = 0

    def service_event(self, service: Service | None, message: str) -> None:
        if service is None:
            return
        # Events of one instant share its time (the deque keeps their order); a made-up
        # millisecond apart would put them ahead of the clock a client reads them by.
        service.events.append(ServiceEvent(self.rt.ids.uuid(), self.rt.clock.now(), message))

    def task_failed(self, task: Task, before_running: bool) -> None:
        service = task.service
        assert service is not None   # the lifecycle reports only a service's tasks
        now = self.rt.clock.now()
        if before_running:  # the throttle only counts tasks that never reached RUNNING
            service.book.start_failures += 1
            backoff = min(THROTTLE_CAP, 60 * 2 ** (service.book.start_failures - 1))
            service.book.launch_not_before = now + backoff
            if service.book.start_failures >= 3 and not service.book.impaired_reported:
                service.book.impaired_reported = True
                self.service_event(service, f"(service {service.name}) is unable to consistently start tasks successfully.")
        dep = self.deployments.get(task.deployment_id)
        if not dep or dep.rollout_state != RolloutState.IN_PROGRESS or dep.status != DeploymentStatus.PRIMARY:
            return
        self.deployments.count_failure(dep, now)
        breaker = dep.config.get("deploymentCircuitBreaker", {})
        if breaker.get("enable") and dep.failed_tasks >= circuit_breaker_threshold(service.spec.desired_count, breaker):
            self._trip(service, dep, rollback=bool(breaker.get("rollback")))

    # -- asking for a look ----------------------------------------------------
    def dirty(self, service: Service) -> None:
        """Something about the service changed: reconcile it at the next scheduler tick (once)."""
        if service.book.reconcile_pending:
            return
        service.book.reconcile_pending = True
        self.rt.clock.call_later(self.rt.timing.scheduler_reaction, lambda: self._reconcile(service))

    # -- deployments ----------------------------------------------------------
    def new_deployment(self, service: Service, first: bool = False) -> Deployment:
        """CreateService (first) or an UpdateService that changed the spec: a new PRIMARY deployment."""
        others_active = len(service.deployments) > 1
        blue = self.deployments.rollback_target(service, None)
        dep = self.deployments.open(service, self.rt.clock.now())
        if dep.config.get("strategy", "ROLLING") in TRAFFIC_STRATEGIES:
            has_tasks = blue is not None and any(t.deployment_id == blue.id and not t.stopping
                                                 for t in service.live.values())
            self.shifter.begin(service, dep, blue if has_tasks else None, others_active)
        else:
            dep.groups = {lb["targetGroupArn"]: service.production_group(lb["targetGroupArn"])
                          for lb in dep.revision.load_balancers}
        service.book.start_failures, service.book.launch_not_before = 0, 0.0
        service.book.impaired_reported = service.book.steady = False
        service.book.reconcile_pending = True
        delay = self.rt.timing.scheduler_reaction if first else self.rt.span(self.rt.timing.deployment_start)
        self.rt.clock.call_later(delay, lambda: self._reconcile(service))
        self._watch_alarms(service, dep)
        return dep

    # -- deployment alarms (docs/ecs-behaviour.md §3.5) -----------------------------
    def _watch_alarms(self, service: Service, dep: Deployment) -> None:
        names = dep.alarm_names
        if not names:
            return
        found = self.rt.substrate.alarms(service.region, names)
        if any(a.state == "ALARM" for a in found.values()):
            dep.book.ignored_alarms = True   # already in ALARM as it starts: ECS ignores them this time
            return
        dep.alarm_status = BreakerStatus.MONITORING
        self.rt.clock.call_later(self.rt.timing.alarm_poll, lambda: self._poll_alarms(service, dep))

    def _poll_alarms(self, service: Service, dep: Deployment) -> None:
        """ECS polls DescribeAlarms while a deployment (or its bake time) runs."""
        if dep.alarm_status != BreakerStatus.MONITORING or dep.rollout_state != RolloutState.IN_PROGRESS \
                or dep is not service.primary:
            return
        found = self.rt.substrate.alarms(service.region, dep.alarm_names)
        firing = tuple(n for n in dep.alarm_names if n in found and found[n].state == "ALARM")
        if not firing:
            self.rt.clock.call_later(self.rt.timing.alarm_poll, lambda: self._poll_alarms(service, dep))
            return
        now = self.rt.clock.now()
        self.deployments.alarm_tripped(dep, firing, now)
        self.service_event(service, f"(service {service.name}) (deployment {dep.id}) deployment failed: alarm detected.")
        self._fail_over(service, dep, bool((dep.config.get("alarms") or {}).get("rollback")), "ECS deployment alarms")

    def _baked(self, service: Service, dep: Deployment) -> bool:
        """With alarms monitoring, a deployment that could complete first waits a bake time: here the longest
        look-back (EvaluationPeriods x Period) of its alarms, a model of "depending on your alarm configuration".
        A traffic-shifting deployment has its own (bakeTimeInMinutes)."""
        if dep.alarm_status != BreakerStatus.MONITORING or dep.shift is not None:
            return True
        now = self.rt.clock.now()
        if dep.book.bake_until is None:
            found = self.rt.substrate.alarms(service.region, dep.alarm_names)
            dep.book.bake_until = now + max((a.window_seconds for a in found.values()), default=0)
            self.rt.clock.call_at(dep.book.bake_until, lambda: self.dirty(service))
        return now >= dep.book.bake_until

    def _complete(self, service: Service, dep: Deployment) -> None:
        self.shifter.finish(service, dep)
        self.deployments.complete(service, dep, self.rt.clock.now())
        self.service_event(service, f"(service {service.name}) (deployment {dep.id}) deployment completed.")

    def _trip(self, service: Service, dep: Deployment, rollback: bool) -> None:
        now = self.rt.clock.now()
        self.deployments.trip(dep, now)
        self.service_event(service, f"(service {service.name}) (deployment {dep.id}) deployment failed: tasks failed to start.")
        self._fail_over(service, dep, rollback, "ECS deployment circuit breaker")

    def stop_deployment(self, service: Service, dep: Deployment, target: Deployment) -> None:
        """StopServiceDeployment with ROLLBACK: the same path as the breaker's rollback."""
        self.deployments.stop(dep, target, self.rt.clock.now())
        self._roll_back(service, dep, target, f"Service deployment stopped: rolling back to deploymentId {target.id}.")

    def _hook_failed(self, service: Service, dep: Deployment, why: str) -> None:
        """A lifecycle hook failed, timed out to ROLLBACK or was told to roll back: the deployment
        rolls back (the Lambda hooks guide), or fails where there is nothing to roll back to."""
        now = self.rt.clock.now()
        self.deployments.hook_failed(dep, why, now)
        self.service_event(service, f"(service {service.name}) (deployment {dep.id}) deployment failed: {why}.")
        self._fail_over(service, dep, True, "ECS deployment lifecycle hook")

    def _fail_over(self, service: Service, dep: Deployment, rollback: bool, cause: str) -> None:
        """A failed deployment rolls back to the last COMPLETED one, or (no rollback, or nothing to roll
        back to) just stops, production traffic left on blue."""
        target = self.deployments.rollback_target(service, dep) if rollback else None
        if target is None:
            self.shifter.restore(service, dep)
            self.deployments.give_up(dep, rollback, self.rt.clock.now())
            self.dirty(service)
            return
        self._roll_back(service, dep, target, f"{cause}: rolling back to deploymentId {target.id}.")

    def continue_deployment(self, service: Service, dep: Deployment, hook: HookRun, action: str) -> None:
        """ContinueServiceDeployment: CONTINUE or ROLLBACK a PAUSE hook that awaits action."""
        self.shifter.resolve(service, dep, hook, action)

    def _roll_back(self, service: Service, dep: Deployment, target: Deployment, reason: str) -> None:
        now = self.rt.clock.now()
        self.shifter.restore(service, dep)
        settle_at = now + self.rt.span(self.rt.timing.rollback_settle)
        self.deployments.roll_back(service, dep, target, reason, now, settle_at)
        self.rt.clock.call_at(settle_at, lambda: self.dirty(service))
        service.book.start_failures, service.book.launch_not_before = 0, 0.0
        self.service_event(service, f"(service {service.name}) rolling back to deployment {target.id}.")
        self.dirty(service)

    # -- the launch budget -------------------------------------------------------
    def _launch_budget(self, service: Service) -> int:
        """Tasks the scheduler may still start for `service` now: at most
        `service_launches_per_window` in any `launch_window` seconds (500 a minute on Fargate,
        docs/ecs-behaviour.md §2.4), whatever the desired count."""
        log = self._launch_log(service)
        expired = self.rt.clock.now() - self.rt.timing.launch_window
        while log and log[0][0] <= expired:
            log.popleft()
        return max(0, self.rt.timing.service_launches_per_window - sum(count for _, count in log))

    @staticmethod
    def _launch_log(service: Service) -> deque[tuple[float, int]]:
        """(time, tasks started) of the steps inside the launch window."""
        return service.book.launch_log

    def _wake_when_budget_frees(self, service: Service) -> None:
        """Some starts were held back: look again when the oldest batch leaves the window."""
        log = self._launch_log(service)
        if not log:
            return
        when = log[0][0] + self.rt.timing.launch_window
        if service.book.launch_wake != when:
            service.book.launch_wake = when
            self.rt.clock.call_at(when, lambda: self.dirty(service))

    # -- the reconcile step ---------------------------------------------------
    def _reconcile(self, service: Service) -> None:
        service.book.reconcile_pending = False
        if service.status == ServiceStatus.INACTIVE:
            return
        now = self.rt.clock.now()
        if service.status == ServiceStatus.DRAINING:
            for task in list(service.live.values()):
                self.lifecycle.stop_task(task, "ServiceSchedulerInitiated",
                                         f"Scaling activity initiated by (deployment {task.deployment_id})")
            if all(t.last_status in GONE for t in service.live.values()):
                service.status = ServiceStatus.INACTIVE
                for d in service.deployments:
                    d.status = DeploymentStatus.INACTIVE if d is not service.primary else d.status
            return

        primary = service.primary
        views, health = self._views(service)

        placeable = service.spec.launch_type != "EC2"
        throttled = now < service.book.launch_not_before
        if throttled:
            self.rt.clock.call_at(service.book.launch_not_before, lambda: self.dirty(service))
        failed = primary.rollout_state == RolloutState.FAILED
        step = strategy_for(primary).next_step(service, primary, views,
                                               can_launch=placeable and not throttled and not failed,
                                               can_replace_old=not failed, can_launch_old=placeable,
                                               budget=self._launch_budget(service))
        for task_id in step.retired:
            retiring = self.deployments[_deployment_id(service.live[task_id])]
            retiring.book.keep = max(0, retiring.book.keep - 1)

        if step.stop:
            stopping = [service.live[i] for i in step.stop]
            self.service_event(service, f"(service {service.name}) has stopped {len(stopping)} running tasks: "
                               + " ".join(f"(task {t.id})" for t in stopping) + ".")
            for t in stopping:
                self.lifecycle.stop_task(t, "ServiceSchedulerInitiated",
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
            replaced = min(service.book.unhealthy_replacements, len(started))
            if replaced:
                service.book.unhealthy_replacements -= replaced
                message += f" Amazon ECS replaced {replaced} tasks due to an unhealthy status."
            self.service_event(service, message)
        if step.held:
            self._wake_when_budget_frees(service)
        if not placeable and service.spec.desired_count and not service.book.placement_reported:
            service.book.placement_reported = True
            self.service_event(service, f"(service {service.name}) was unable to place a task because no container instance "
                        "met all of its requirements. Reason: No Container Instances were found in your cluster. "
                        "For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
        if step.deadlocked and not primary.book.deadlock_reported:
            primary.book.deadlock_reported = True
            self.service_event(service, f"(service {service.name}) was unable to stop or start tasks during a deployment "
                        "because of the service deployment configuration. Update the minimumHealthyPercent or "
                        "maximumPercent value and try again.")
        self._settle(service, health)

    def _views(self, service: Service) -> tuple[list[TaskView], dict[str, bool]]:
        """The scheduler's view of the service's tasks whose desiredStatus is RUNNING, in a stable order,
        and whether each counts as healthy.  A task's view is worked out again only when the task was
        touched (`_touch`) since, or while its health depends on the clock (the 40 s rule); with
        `verify_views` every view is also worked out afresh and compared (the tests run so)."""
        cache, touched = service.book.views, service.book.touched
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
                if dep and dep.rollout_state == RolloutState.IN_PROGRESS and \
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
        healthy = self.lifecycle.healthy_for_deployment(t)
        failing = any(c.health_status == HealthStatus.UNHEALTHY for c in t.essential_containers) or any(
            g.state == TargetState.UNHEALTHY for g in t.targets)
        return TaskView(t.id, _deployment_id(t), t.last_status == TaskStatus.RUNNING, healthy, t.availability_zone or "",
                        failing), healthy

    def _settle(self, service: Service, health: dict[str, bool]) -> None:
        """Mark the rollout COMPLETED and report steady state when they are reached."""
        primary = service.primary
        live = list(service.live.values())
        mine = [t for t in live if t.deployment_id == primary.id and not t.stopping]
        mine_healthy = all(health.get(t.id, False) for t in mine)  # tasks launched just now are not
        others_left = any(t.deployment_id != primary.id and t.last_status not in GONE for t in live)
        if is_traffic_run(primary) and primary.rollout_state == RolloutState.IN_PROGRESS:
            self.shifter.advance(service, primary, health)
            if service.primary is not primary:   # a hook failed: the rollback has made blue PRIMARY again
                return
        if primary.rollout_state == RolloutState.IN_PROGRESS and self.rt.clock.now() >= primary.book.complete_not_before:
            if strategy_for(primary).is_complete(service, primary, mine, health, others_left) \
                    and self._baked(service, primary):
                self._complete(service, primary)
        elif primary.rollout_state == RolloutState.COMPLETED and len(service.deployments) > 1:
            self.deployments.drop_drained(service, self.rt.clock.now())
        steady = (len(service.deployments) == 1 and primary.rollout_state == RolloutState.COMPLETED
                  and sum(t.last_status == TaskStatus.RUNNING for t in live) == service.spec.desired_count
                  and all(t.last_status == TaskStatus.RUNNING for t in live if t.last_status not in GONE)
                  and mine_healthy)
        if steady and not service.book.steady:
            self.service_event(service, f"(service {service.name}) has reached a steady state.")
        service.book.steady = steady

    def _launch_service_task(self, service: Service, per_subnet: dict[str | None, int],
                             deployment: Deployment | None = None) -> Task:
        """Start one task of `deployment` (the PRIMARY by default) in the subnet (AZ) with the fewest."""
        dep = deployment or service.primary
        subnets = dep.revision.network["awsvpcConfiguration"]["subnets"] if dep.revision.network else []
        subnet = min(subnets, key=lambda s: per_subnet.get(s, 0)) if subnets else None  # first wins ties
        per_subnet[subnet] = per_subnet.get(subnet, 0) + 1
        tags: dict[str, str] = {}
        if service.spec.propagate_tags == "SERVICE":
            tags.update(service.tags)
        elif service.spec.propagate_tags == "TASK_DEFINITION":
            tags.update(dep.task_definition.tags)
        task = self.lifecycle.create_task(
            service.cluster, service.region, dep.task_definition, launch=service_launch(service),
            network=dep.revision.network, subnet=subnet, group=f"service:{service.name}", started_by=dep.id,
            tags=tags)
        task.service, task.deployment_id = service, dep.id
        task.registrations = [(dep.groups.get(lb["targetGroupArn"]) or lb["targetGroupArn"], lb["containerPort"],
                               lb["containerName"]) for lb in dep.revision.load_balancers]
        service.live[task.id] = task
        return task

    def task_health_failed(self, task: Task, cause: str, target: Target | None = None) -> None:
        """A health check failed: after the grace period, replace the task."""
        service = task.service
        if service is None or task.stopping:
            return  # a standalone task just reports UNHEALTHY; nothing replaces it
        assert task.started_at is not None   # health checks begin once the task is RUNNING
        grace_end = task.started_at + service.spec.grace_period
        if self.rt.clock.now() < grace_end:
            def recheck() -> None:
                still = (target.state == TargetState.UNHEALTHY) if target else any(
                    c.essential and c.health_status == HealthStatus.UNHEALTHY for c in task.containers)
                if still:
                    self.task_health_failed(task, cause, target)
            self.rt.clock.call_at(grace_end, recheck)
            return
        if cause == "elb":
            assert target is not None   # the lifecycle reports an "elb" failure with its target
            self.service_event(service, f"(service {service.name}) (task {task.id}) (port {target.port}) is unhealthy in "
                        f"(target-group {target.group_arn}) due to (reason Health checks failed with these codes: "
                        f"[{target.failure_code}])")
            reason = f"Task failed ELB health checks in (target-group {target.group_arn})"
        else:
            self.service_event(service, f"(service {service.name}) (task {task.id}) failed container health checks.")
            reason = "Task failed container health checks"
        if not task.became_healthy:
            self.task_failed(task, before_running=False)
        service.book.unhealthy_replacements += 1
        self.lifecycle.stop_task(task, "ServiceSchedulerInitiated", reason)


def _deployment_id(task: Task) -> str:
    """The deployment that started a service's task."""
    assert task.deployment_id is not None   # set with task.service when the task is launched
    return task.deployment_id


def service_launch(service: Service) -> tuple[str, str | None]:
    """(launchType, capacityProviderName) of a service's tasks."""
    if service.spec.capacity_strategy:
        best = max(service.spec.capacity_strategy, key=lambda s: (s.get("base", 0), s.get("weight", 0)))
        return "FARGATE", best["capacityProvider"]
    return service.spec.launch_type or "EC2", None
