"""Moving a BLUE_GREEN, CANARY or LINEAR deployment along its lifecycle points: the load
balancer's rules, the lifecycle hooks and the bakes (docs/ecs-2026.md §1.2–1.3).

The service controller calls `begin` when such a deployment opens, `advance` at each of its
reconcile steps, `restore` when it rolls back and `finish` when it completes.  What a point
needs (green's tasks, blue's clean-up) is in `strategies/traffic_shift.py`; here is only what
touches the world: forward weights written through the substrate, hook functions invoked, wakes
put on the clock.

Models where AWS publishes no detail (README, "Known differences"): the service events of a shift
and a pause; a hook's default timeout (60 minutes, then ROLLBACK); a production-stage hook runs
once after every shift; a deployment that fails without rollback leaves production on blue.
"""
from __future__ import annotations

from collections.abc import Callable

from .deployments import GONE
from .records import Deployment, Service
from .runtime import Runtime
from .strategies.shifts import Shift, elb_weights, production_shifts
from .strategies.traffic_shift import HookRun, ShiftRun, steps_for
from .substrate import FunctionError
from .types import Json

DEFAULT_HOOK_TIMEOUT_MINUTES = 60
DEFAULT_CALLBACK_DELAY = 30.0         # the Lambda hooks guide: IN_PROGRESS is invoked again after 30 s
HOOK_STATUSES = ("SUCCEEDED", "FAILED", "IN_PROGRESS")


class TrafficShifter:
    def __init__(self, runtime: Runtime, *, event: Callable[[Service, str], None],
                 fail: Callable[[Service, Deployment, str], None], dirty: Callable[[Service], None]):
        self.rt = runtime
        self._event, self._fail, self._dirty = event, fail, dirty

    # -- opening --------------------------------------------------------------
    def begin(self, service: Service, dep: Deployment, blue: Deployment | None, others_active: bool) -> None:
        """Open the run: green's target groups (the alternates when there is a blue to shift from),
        production and test traffic back on blue (a deployment superseded midway may have moved some)."""
        strategy = dep.config["strategy"]
        config = dep.config.get("canaryConfiguration") if strategy == "CANARY" else \
            dep.config.get("linearConfiguration") if strategy == "LINEAR" else None
        # with nothing to shift from (a service's first deployment) there are no bakes either
        shifts = production_shifts(strategy, config) if blue else (Shift(100.0, 0.0),)
        dep.shift = ShiftRun(strategy=strategy, blue_id=blue.id if blue else None, steps=steps_for(others_active),
                             shifts=shifts)
        for lb in dep.revision.load_balancers:
            group = lb["targetGroupArn"]
            live = service.production_group(group)
            alternate = (lb.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")
            dep.groups[group] = (alternate if live == group else group) if blue and alternate else live
        if blue:
            blue.desired_count = blue.book.keep   # blue keeps serving, at full size, until CLEAN_UP
            self._write(service, dep, production=0.0, test=0.0)

    # -- the step machine ------------------------------------------------------
    def advance(self, service: Service, dep: Deployment, health: dict[str, bool]) -> None:
        """Carry the run as far as it can go now; look again when something it waits for falls due."""
        run = dep.shift
        assert run is not None
        while not run.over and dep.shift is run and not dep.rollback_reason and not run.done:
            if not run.entered:
                run.entered = True
                self._enter(service, dep, run)
                continue
            if not self._hooks_settled(service, dep, run):
                return
            if not self._point_done(service, dep, run, health):
                return
            if run.point == "CLEAN_UP":
                run.done = True
                return
            run.step += 1
            run.entered = False
            dep.updated_at = self.rt.clock.now()
            self._dirty(service)   # the next point may start or stop tasks

    def _enter(self, service: Service, dep: Deployment, run: ShiftRun) -> None:
        now = self.rt.clock.now()
        point = run.point
        if point == "TEST_TRAFFIC_SHIFT":
            self._write(service, dep, production=run.production_green, test=100.0)
            if self._has_test_rule(dep) and run.blue_id:
                self._event(service, f"(service {service.name}) (deployment {dep.id}) shifted test traffic to "
                                     f"(service-revision {_short(dep.id)}).")
        elif point == "PRODUCTION_TRAFFIC_SHIFT":
            self._next_shift(service, dep, run)
            return   # the shift starts its own hooks
        elif point == "CLEAN_UP" and run.blue_id:
            blue = next((d for d in service.deployments if d.id == run.blue_id), None)
            if blue is not None:
                blue.desired_count, blue.updated_at = 0, now
        elif point == "BAKE_TIME":
            run.wait_until = now + 60.0 * float(dep.config.get("bakeTimeInMinutes") or 0 if run.blue_id else 0)
            self._wake(service, run.wait_until)
        self._start_hooks(service, dep, run, point)

    def _next_shift(self, service: Service, dep: Deployment, run: ShiftRun) -> None:
        run.shift_index += 1
        shift = run.shifts[run.shift_index]
        self._write(service, dep, production=shift.green_percent, test=run.test_green)
        if run.blue_id:
            self._event(service, f"(service {service.name}) (deployment {dep.id}) shifted {shift.green_percent:g}% of "
                                 f"production traffic to (service-revision {_short(dep.id)}).")
        run.wait_until = self.rt.clock.now() + shift.bake_seconds
        self._wake(service, run.wait_until)
        self._start_hooks(service, dep, run, "PRODUCTION_TRAFFIC_SHIFT")

    def _point_done(self, service: Service, dep: Deployment, run: ShiftRun, health: dict[str, bool]) -> bool:
        now = self.rt.clock.now()
        point = run.point
        if point == "SCALE_UP":
            green = [t for t in service.live.values() if t.deployment_id == dep.id and not t.stopping]
            return len(green) >= service.spec.desired_count and all(health.get(t.id, False) for t in green)
        if point == "PRODUCTION_TRAFFIC_SHIFT":
            if run.wait_until is not None and now < run.wait_until:
                return False
            if run.shift_index + 1 < len(run.shifts):
                self._next_shift(service, dep, run)
                return False
            return True
        if point == "BAKE_TIME":
            return run.wait_until is None or now >= run.wait_until
        if point == "CLEAN_UP":
            return not any(t.deployment_id == run.blue_id and t.last_status not in GONE for t in service.live.values())
        return True

    # -- the load balancer --------------------------------------------------------
    @staticmethod
    def _has_test_rule(dep: Deployment) -> bool:
        return any((lb.get("advancedConfiguration") or {}).get("testListenerRule")
                   for lb in dep.revision.load_balancers)

    def _write(self, service: Service, dep: Deployment, production: float, test: float) -> None:
        """Point the production and test rules' forward weights at green's shares (with a blue to
        share with; a first deployment's tasks are in production's groups already)."""
        run = dep.shift
        assert run is not None
        run.production_green, run.test_green = production, test
        if not run.blue_id:
            return
        for lb in dep.revision.load_balancers:
            advanced = lb.get("advancedConfiguration") or {}
            live, green = service.production_group(lb["targetGroupArn"]), \
                dep.groups[lb["targetGroupArn"]]
            if live == green:
                continue
            for rule, share in ((advanced.get("productionListenerRule"), production),
                                (advanced.get("testListenerRule"), test)):
                if rule:
                    blue_weight, green_weight = elb_weights(share)
                    self.rt.substrate.set_forward(service.region, rule, [(live, blue_weight), (green, green_weight)])

    def restore(self, service: Service, dep: Deployment) -> None:
        """A rollback (or a failure without one): production and test traffic back on blue."""
        run = dep.shift
        if run is None or run.over:
            return
        self._write(service, dep, production=0.0, test=0.0)
        for hook in run.hooks:
            if hook.open:
                hook.status = "FAILED"
        run.over = True

    def finish(self, service: Service, dep: Deployment) -> None:
        """Completed: green's target groups take production from now on (the roles swap)."""
        run = dep.shift
        if run is None:
            return
        service.production_groups.update(dep.groups)
        run.over = True

    # -- lifecycle hooks -------------------------------------------------------------
    def _start_hooks(self, service: Service, dep: Deployment, run: ShiftRun, point: str) -> None:
        now = self.rt.clock.now()
        for hook in dep.config.get("lifecycleHooks") or []:
            if point not in hook.get("lifecycleStages", []):
                continue
            timeout = hook.get("timeoutConfiguration") or {}
            kind = hook.get("targetType", "AWS_LAMBDA")
            started = HookRun(hook_id=self.rt.ids.uuid(), point=point, target_type=kind,
                              target_arn=hook.get("hookTargetArn") if kind == "AWS_LAMBDA" else None,
                              timeout_action=timeout.get("action", "ROLLBACK"),
                              expires_at=now + 60.0 * timeout.get("timeoutInMinutes", DEFAULT_HOOK_TIMEOUT_MINUTES),
                              details=hook.get("hookDetails"))
            run.hooks.append(started)
            self._wake(service, started.expires_at)
            if kind == "PAUSE":
                started.status = "AWAITING_ACTION"
                self._event(service, f"(service {service.name}) (deployment {dep.id}) is paused at {point}: lifecycle "
                                     f"hook {started.hook_id} is awaiting action (ContinueServiceDeployment).")
            else:
                started.next_call = now

    def _hooks_settled(self, service: Service, dep: Deployment, run: ShiftRun) -> bool:
        """Every hook of the current point has SUCCEEDED (or timed out to CONTINUE); a failed one
        has started the rollback."""
        now = self.rt.clock.now()
        for hook in run.open_hooks():
            if now >= hook.expires_at:
                hook.status = "TIMED_OUT"
                if hook.timeout_action == "ROLLBACK":
                    self._fail(service, dep, f"lifecycle hook {hook.hook_id} at {hook.point} timed out")
                    return False
                continue
            if hook.next_call is not None and now >= hook.next_call:
                self._invoke(service, dep, run, hook)
                if hook.status == "FAILED":
                    return False
        return not run.open_hooks() and not any(h.point == run.point and h.status == "FAILED" for h in run.hooks)

    def _invoke(self, service: Service, dep: Deployment, run: ShiftRun, hook: HookRun) -> None:
        assert hook.target_arn is not None   # an AWS_LAMBDA hook names its function (validated)
        hook.next_call = None
        payload: Json = {"serviceArn": service.arn, "targetServiceRevisionArn": service.revision_arn(dep.id),
                         "testTrafficWeights": self.weights(service, dep, test=True),
                         "productionTrafficWeights": self.weights(service, dep, test=False)}
        if hook.details is not None:
            payload["hookDetails"] = hook.details
        try:
            answer = self.rt.substrate.invoke_function(service.region, hook.target_arn, payload)
        except FunctionError as e:
            hook.status = "FAILED"
            self._fail(service, dep, f"lifecycle hook {hook.hook_id} at {hook.point} failed to invoke "
                                     f"{hook.target_arn} ({e})")
            return
        status = answer.get("hookStatus")
        if status not in HOOK_STATUSES:
            hook.status = "FAILED"
            self._fail(service, dep, f"lifecycle hook {hook.hook_id} at {hook.point} returned no valid hookStatus "
                                     f"({status!r}; expected SUCCEEDED, FAILED or IN_PROGRESS)")
            return
        if status == "FAILED":
            hook.status = "FAILED"
            self._fail(service, dep, f"lifecycle hook {hook.hook_id} at {hook.point} returned FAILED")
            return
        if status == "SUCCEEDED":
            hook.status = "SUCCEEDED"
            return
        delay = answer.get("callBackDelay", DEFAULT_CALLBACK_DELAY)
        delay = float(delay) if isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay > 0 \
            else DEFAULT_CALLBACK_DELAY
        if isinstance(answer.get("hookDetails"), dict):
            hook.details = answer["hookDetails"]
        hook.next_call = self.rt.clock.now() + delay
        self._wake(service, hook.next_call)

    def resolve(self, service: Service, dep: Deployment, hook: HookRun, action: str) -> None:
        """ContinueServiceDeployment on a PAUSE hook that awaits action."""
        if action == "ROLLBACK":
            hook.status = "FAILED"
            self._fail(service, dep, f"lifecycle hook {hook.hook_id} at {hook.point}: rollback requested")
            return
        hook.status = "SUCCEEDED"
        dep.updated_at = self.rt.clock.now()
        self._dirty(service)

    # -- what the API shows ---------------------------------------------------------
    def weights(self, service: Service, dep: Deployment, test: bool) -> dict[str, float]:
        """{service revision ARN: percent} of production (or test) traffic, as the hook payload has it."""
        run = dep.shift
        assert run is not None
        green = run.test_green if test else run.production_green
        out = {service.revision_arn(dep.id): green}
        if run.blue_id:
            out[service.revision_arn(run.blue_id)] = round(100.0 - green, 1)
        return out

    def _wake(self, service: Service, when: float) -> None:
        self.rt.clock.call_at(when, lambda: self._dirty(service))


def _short(deployment_id: str) -> str:
    return deployment_id.split("/")[-1]
