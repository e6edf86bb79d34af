"""Deployment bookkeeping: every deployment by id, and the record-keeping of a service's
deployments as they are opened, superseded, completed, failed and rolled back.

No clock, no events and no scheduling here: the service controller decides *when*; this says
what each record then looks like (strings per docs/ecs-behaviour.md §2.7 and §3.4)."""
from __future__ import annotations

from .ids import IdSource
from .records import Deployment, Service
from .status import (
    BreakerStatus,
    DeploymentStatus,
    RolloutState,
    ServiceDeploymentStatus,
    TaskStatus,
)

GONE = (TaskStatus.STOPPING, TaskStatus.DEPROVISIONING, TaskStatus.STOPPED)   # on their way out


def _completed_at(dep: Deployment) -> float:
    """When a COMPLETED deployment completed."""
    assert dep.completed_at is not None   # DeploymentBook.complete sets it with rolloutState COMPLETED
    return dep.completed_at


class DeploymentBook:
    def __init__(self, ids: IdSource):
        self.ids = ids
        self.by_id: dict[str, Deployment] = {}

    def get(self, deployment_id: str | None) -> Deployment | None:
        return None if deployment_id is None else self.by_id.get(deployment_id)

    def __getitem__(self, deployment_id: str) -> Deployment:
        return self.by_id[deployment_id]

    def open(self, service: Service, now: float) -> Deployment:
        """A new PRIMARY deployment of the service's current spec; the previous PRIMARY becomes ACTIVE
        and keeps a claim on the tasks it still runs."""
        dep = Deployment(id=self.ids.deployment_id(), revision=service.spec.revision(),
                         desired_count=service.spec.desired_count, created_at=now, updated_at=now,
                         started_at=now, source_ids=[d.id for d in service.deployments])
        dep.rollout_reason = f"ECS deployment {dep.id} in progress."
        breaker = service.spec.config.get("deploymentCircuitBreaker", {})
        dep.breaker_status = BreakerStatus.MONITORING if breaker.get("enable") else BreakerStatus.DISABLED
        for old in service.deployments:
            if old.status == DeploymentStatus.PRIMARY or old.book.keep:
                old.book.keep = sum(t.deployment_id == old.id and not t.stopping for t in service.live.values())
            if old.status == DeploymentStatus.PRIMARY:
                old.status, old.desired_count, old.updated_at = DeploymentStatus.ACTIVE, 0, now
                _alarms_done(old)   # superseded: its alarms are watched no more
                if old.rollout_state == RolloutState.IN_PROGRESS and old.sd_status == ServiceDeploymentStatus.IN_PROGRESS:
                    old.sd_status, old.stopped_at = ServiceDeploymentStatus.STOPPED, now
        service.deployments.insert(0, dep)
        service.history.append(dep)
        self.by_id[dep.id] = dep
        return dep

    def complete(self, service: Service, dep: Deployment, now: float) -> None:
        dep.rollout_state, dep.rollout_reason = RolloutState.COMPLETED, f"ECS deployment {dep.id} completed."
        dep.updated_at = dep.completed_at = dep.finished_at = now
        dep.sd_status = ServiceDeploymentStatus.SUCCESSFUL
        if dep.breaker_status == BreakerStatus.MONITORING:
            dep.breaker_status = BreakerStatus.MONITORING_COMPLETE
        if dep.alarm_status == BreakerStatus.MONITORING:
            dep.alarm_status = BreakerStatus.MONITORING_COMPLETE
        for other in service.deployments[1:]:
            other.book.keep = 0   # whatever they still run is cleaned up, never replaced
            if other.sd_status == ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS:
                other.sd_status, other.finished_at = ServiceDeploymentStatus.ROLLBACK_SUCCESSFUL, now
        self.drop_drained(service, now)

    @staticmethod
    def drop_drained(service: Service, now: float) -> None:
        """Older deployments leave the list once their last task is gone.  Normally that is already
        so at completion; with early success and DEFERRED cleanup they stay listed, ACTIVE, while
        their tasks drain in the background."""
        left = {t.deployment_id for t in service.live.values() if t.last_status not in GONE}
        kept = [service.deployments[0]]
        for other in service.deployments[1:]:
            if other.id in left:
                kept.append(other)
            else:
                other.status, other.updated_at = DeploymentStatus.INACTIVE, now
        service.deployments[:] = kept

    @staticmethod
    def count_failure(dep: Deployment, now: float) -> None:
        dep.failed_tasks += 1
        dep.updated_at = now

    @staticmethod
    def trip(dep: Deployment, now: float) -> None:
        """The circuit breaker tripped."""
        dep.rollout_state = RolloutState.FAILED
        dep.rollout_reason = "ECS deployment circuit breaker: tasks failed to start."
        dep.updated_at, dep.breaker_status = now, BreakerStatus.TRIGGERED
        _alarms_done(dep)

    @staticmethod
    def alarm_tripped(dep: Deployment, firing: tuple[str, ...], now: float) -> None:
        """A deployment alarm went to ALARM (docs/ecs-behaviour.md §3.5); the reason's wording is a model."""
        dep.rollout_state = RolloutState.FAILED
        dep.rollout_reason = f"ECS deployment alarms: alarm detected: {', '.join(firing)}."
        dep.updated_at, dep.alarm_status, dep.triggered_alarms = now, BreakerStatus.TRIGGERED, firing
        if dep.breaker_status == BreakerStatus.MONITORING:
            dep.breaker_status = BreakerStatus.MONITORING_COMPLETE

    @staticmethod
    def give_up(dep: Deployment, rollback: bool, now: float) -> None:
        """Tripped with no rollback (or nothing to roll back to): the deployment just stops."""
        dep.sd_status, dep.stopped_at = (ServiceDeploymentStatus.STOPPED if not rollback
                                            else ServiceDeploymentStatus.ROLLBACK_FAILED), now
        dep.sd_reason = dep.rollout_reason

    @staticmethod
    def rollback_target(service: Service, dep: Deployment | None) -> Deployment | None:
        """The most recent COMPLETED deployment other than `dep` (a rollback needs one, docs/ecs-behaviour.md §3.4);
        with no `dep`, the one a new deployment would start from (its blue)."""
        done = [d for d in service.history if d is not dep and d.rollout_state == RolloutState.COMPLETED]
        return max(done, key=_completed_at) if done else None

    @staticmethod
    def stop(dep: Deployment, target: Deployment, now: float) -> None:
        """StopServiceDeployment with ROLLBACK: the deployment fails, rolling back to `target`."""
        _fail(dep, f"ECS deployment {dep.id} stopped: rolling back to deploymentId {target.id}.", now)

    @staticmethod
    def hook_failed(dep: Deployment, why: str, now: float) -> None:
        """A lifecycle hook failed the deployment (the reason's wording is a model)."""
        _fail(dep, f"ECS deployment lifecycle hook: {why}.", now)

    @staticmethod
    def roll_back(service: Service, dep: Deployment, target: Deployment, reason: str, now: float,
                  settle_at: float) -> None:
        """`target` becomes PRIMARY again (same id, IN_PROGRESS); `dep` stays listed, ACTIVE and
        FAILED, until its tasks are gone and the rollback has settled (not before `settle_at`)."""
        dep.status, dep.desired_count, dep.book.keep = DeploymentStatus.ACTIVE, 0, 0
        dep.sd_status, dep.rollback_started_at = ServiceDeploymentStatus.ROLLBACK_IN_PROGRESS, now
        dep.rollback_reason, dep.rollback_target = reason, target.id
        target.book.complete_not_before = settle_at
        target.status, target.rollout_state = DeploymentStatus.PRIMARY, RolloutState.IN_PROGRESS
        target.desired_count = service.spec.desired_count
        target.rollout_reason = target.rollback_reason = reason
        target.updated_at = now
        service.deployments[:] = [target] + [d for d in service.deployments if d is not target]
        service.spec.task_definition = target.task_definition


def _fail(dep: Deployment, reason: str, now: float) -> None:
    """Failed other than by its circuit breaker or its alarms, which stop watching."""
    dep.rollout_state, dep.rollout_reason, dep.updated_at = RolloutState.FAILED, reason, now
    if dep.breaker_status == BreakerStatus.MONITORING:
        dep.breaker_status = BreakerStatus.MONITORING_COMPLETE
    _alarms_done(dep)


def _alarms_done(dep: Deployment) -> None:
    """A deployment that ends (or is superseded) other than by its alarms stops watching them."""
    if dep.alarm_status == BreakerStatus.MONITORING:
        dep.alarm_status = BreakerStatus.MONITORING_COMPLETE
