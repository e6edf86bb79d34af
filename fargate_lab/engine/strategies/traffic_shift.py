"""BLUE_GREEN, CANARY and LINEAR: a green revision scaled up beside blue, traffic moved to it by
the load balancer, blue stopped after a bake (docs/ecs-2026.md §1.2–1.3).

A deployment of these strategies carries a `ShiftRun`: the lifecycle points it passes, in order
(`steps`), where it is, the production and test shares on green, and its hooks.  This module is
the pure part: which points a deployment passes and, at each scheduler step, which tasks to start
and stop.  `engine/shifter.py` moves it from point to point (the load balancer, the hooks, the
clock).

    steps_for(has_other_revisions=False)
        -> ('PRE_SCALE_UP', 'SCALE_UP', ..., 'BAKE_TIME', 'CLEAN_UP')
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Deployment, Service, Task
from ..scheduler import Plan, TaskView
from ..types import Json
from .shifts import Shift

# The points a traffic-shifting deployment passes.  PRE_PRODUCTION_TRAFFIC_SHIFT is a hook point
# with no reported stage of its own: while its hooks run the deployment reports
# POST_TEST_TRAFFIC_SHIFT (a model).  RECONCILE_SERVICE happens only when another revision is
# still ACTIVE as the deployment starts (the model's DeploymentLifecycleHook.lifecycleStages).
STEPS = ("RECONCILE_SERVICE", "PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
         "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
         "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP")
REPORTED_AS = {"PRE_PRODUCTION_TRAFFIC_SHIFT": "POST_TEST_TRAFFIC_SHIFT"}
TRAFFIC_STRATEGIES = ("BLUE_GREEN", "CANARY", "LINEAR")


def steps_for(has_other_revisions: bool) -> tuple[str, ...]:
    return STEPS if has_other_revisions else STEPS[1:]


@dataclass
class HookRun:
    """One run of a lifecycle hook at one point (DeploymentLifecycleHookDetail)."""
    hook_id: str
    point: str                      # the hook point (DeploymentLifecycleHookStage) it runs at
    target_type: str                # AWS_LAMBDA | PAUSE
    target_arn: str | None
    timeout_action: str             # CONTINUE | ROLLBACK
    expires_at: float
    details: Json | None = None     # hookDetails, passed to the function and back
    status: str = "IN_PROGRESS"     # IN_PROGRESS | AWAITING_ACTION | SUCCEEDED | FAILED | TIMED_OUT
    next_call: float | None = None  # an AWS_LAMBDA hook answered IN_PROGRESS: invoke again then

    @property
    def open(self) -> bool:
        return self.status in ("IN_PROGRESS", "AWAITING_ACTION")

    def render(self) -> Json:
        out: Json = {"hookId": self.hook_id, "targetType": self.target_type, "status": self.status,
                     "expiresAt": self.expires_at, "timeoutAction": self.timeout_action}
        if self.target_arn:
            out["targetArn"] = self.target_arn
        return out


@dataclass
class ShiftRun:
    """Where a BLUE_GREEN, CANARY or LINEAR deployment is.  `blue_id` is the revision that served
    production when it began (None for a service's first deployment: nothing to move traffic from)."""
    strategy: str
    blue_id: str | None
    steps: tuple[str, ...]
    shifts: tuple[Shift, ...]
    step: int = 0
    entered: bool = False               # the current step's entry actions have run
    shift_index: int = -1               # the production shift carried out last
    production_green: float = 0.0       # percent of production traffic on green
    test_green: float = 0.0             # percent of test traffic on green
    wait_until: float | None = None     # a step or shift bake ends
    hooks: list[HookRun] = field(default_factory=list)
    done: bool = False                  # CLEAN_UP finished: the deployment may complete
    over: bool = False                  # completed or rolled back: the run moves nothing more

    @property
    def point(self) -> str:
        return self.steps[self.step]

    @property
    def stage(self) -> str:
        """lifecycleStage as DescribeServiceDeployments reports it."""
        return REPORTED_AS.get(self.point, self.point)

    def reached(self, point: str) -> bool:
        return point in self.steps and self.step >= self.steps.index(point)

    def open_hooks(self) -> list[HookRun]:
        return [h for h in self.hooks if h.point == self.point and h.open]


def is_traffic_run(dep: Deployment) -> bool:
    """A deployment whose tasks and completion the traffic-shift strategy decides."""
    return dep.shift is not None and not dep.shift.over and not dep.rollback_reason


class TrafficShiftStrategy:
    """Green scales straight to the desired count (minimumHealthyPercent and maximumPercent play
    no part); blue keeps its tasks, replaced on its own revision if they die, until CLEAN_UP; any
    other revision (a deployment superseded midway) is stopped."""
    name = "TRAFFIC_SHIFT"

    def next_step(self, service: Service, primary: Deployment, views: list[TaskView], *, can_launch: bool,
                  can_replace_old: bool, can_launch_old: bool, budget: int) -> Plan:
        run = primary.shift
        assert run is not None   # strategy_for picks this strategy only for a deployment with a run
        green = [v for v in views if v.deployment == primary.id]
        blue = [v for v in views if v.deployment == run.blue_id]
        stop = [v.id for v in views if v.deployment not in (primary.id, run.blue_id)]
        retired: list[str] = []
        if run.reached("CLEAN_UP"):
            retired = [v.id for v in blue]
        excess = len(green) - service.spec.desired_count
        if excess > 0:   # scaled in during the deployment: the cheapest first
            stop += [v.id for v in sorted(green, key=lambda v: (v.running, v.healthy))[:excess]]
        launch = replace_blue = 0
        if run.reached("SCALE_UP") and can_launch:
            launch = max(0, service.spec.desired_count - len(green))
        if run.blue_id and not run.reached("CLEAN_UP") and can_launch_old and can_replace_old:
            keep = next((d.book.keep for d in service.deployments if d.id == run.blue_id), 0)
            replace_blue = max(0, keep - len(blue))
        replace_blue = min(replace_blue, budget)
        launch_now = min(launch, budget - replace_blue)
        return Plan(stop=tuple(stop + retired), launch=launch_now, retired=tuple(retired),
                    replace=((run.blue_id, replace_blue),) if run.blue_id and replace_blue else (),
                    held=launch - launch_now)

    def is_complete(self, service: Service, primary: Deployment, mine: list[Task], health: dict[str, bool],
                    others_left: bool) -> bool:
        return primary.shift is not None and primary.shift.done
