"""The engine's parts and the seams between them (issue 9): the Runtime every part is given, the
TaskListener calls from the task lifecycle to the service controller, the DeploymentStrategy the
controller asks, records with spec/status/bookkeeping apart and typed statuses that show as the
same JSON.  The engine's behaviour itself is covered by the scenario and property tests."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from fargate_lab.engine import Engine, OfflineSubstrate, VirtualClock
from fargate_lab.engine.api import RESOURCE_APIS
from fargate_lab.engine.records import TASK_LAST_STATUSES, ServiceBookkeeping, ServiceSpec
from fargate_lab.engine.scheduler import Plan
from fargate_lab.engine.status import DeploymentStatus, RolloutState, TaskStatus
from fargate_lab.engine.strategies import STRATEGIES, RollingStrategy, TrafficShiftStrategy, strategy_for

REGION = "us-east-1"


def _engine(desired: int = 2) -> tuple[Engine, callable]:
    engine = Engine(clock=VirtualClock(1.7e9), seed=3, substrate=OfflineSubstrate(), timing="fast")
    engine.verify_views = True

    def call(op, **p):
        return engine.call(REGION, op, p)
    call("CreateCluster", clusterName="c")
    for image in ("fargatelab/web:v1", "fargatelab/web:v2"):
        call("RegisterTaskDefinition", family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
             cpu="256", memory="512", containerDefinitions=[{"name": "web", "image": image}])
    call("CreateService", cluster="c", serviceName="s", taskDefinition="web:1", desiredCount=desired,
         launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"]}})
    return engine, call


def test_every_operation_has_one_handler_and_the_engine_routes_it():
    engine, _ = _engine()
    names = [name for api in RESOURCE_APIS for name in dir(api) if name.startswith("op_")]
    assert len(names) == len(set(names))
    assert all(engine.supports(name[3:]) for name in names)
    assert not engine.supports("CreateCapacityProvider") and not engine.supports("__class__")
    with pytest.raises(Exception, match="UnsupportedOperation"):
        engine.call(REGION, "NoSuchOperation", {})


def test_the_attributes_other_layers_read_are_the_parts():
    engine, _ = _engine()
    rt = engine.runtime
    assert (engine.clock, engine.ids, engine.timing, engine.substrate, engine.catalog) == \
        (rt.clock, rt.ids, rt.timing, rt.substrate, rt.catalog)
    assert engine.account == "123456789012"
    assert engine.regions is engine.state.regions and engine.deployments is engine.book.by_id
    assert engine.verify_views is True and engine.controller.verify_views is True
    engine.quotas = type(engine.quotas)(clusters_per_region=1)
    with pytest.raises(Exception, match="limit of 1 clusters"):
        engine.call(REGION, "CreateCluster", {"clusterName": "second"})
    with pytest.raises(AttributeError):
        rt.clock = None   # the Runtime is frozen: every part sees the same clock for good


def test_the_lifecycle_reaches_the_controller_only_through_the_listener():
    engine, call = _engine(desired=1)
    seen = []

    class Recorder:
        def __getattr__(self, name):
            real = getattr(engine.controller, name)

            def record(*args, **kwargs):
                seen.append(name)
                return real(*args, **kwargs)
            return record
    engine.lifecycle.listener = Recorder()
    engine.clock.advance(120)
    assert {"task_touched", "task_running"} <= set(seen)
    assert set(seen) <= {"task_touched", "task_running", "task_failed", "task_health_failed", "service_event"}


def test_each_strategy_name_has_a_strategy_and_a_rollback_rolls():
    engine, call = _engine()
    engine.clock.advance(120)
    service = engine.regions[REGION].clusters["c"].services["s"]
    assert isinstance(strategy_for(service.primary), RollingStrategy)
    assert set(STRATEGIES) == {"ROLLING", "BLUE_GREEN", "CANARY", "LINEAR"}
    for name in ("BLUE_GREEN", "CANARY", "LINEAR"):
        assert isinstance(STRATEGIES[name], TrafficShiftStrategy)
        # no run (or a run that is over, or a rollback): what is left to do is rolling's
        assert strategy_for(SimpleNamespace(config={"strategy": name}, shift=None, rollback_reason=None)) \
            is STRATEGIES["ROLLING"]


def test_a_strategy_is_what_the_controller_asks(monkeypatch):
    """A strategy that never starts anything and never completes: the deployment stays
    IN_PROGRESS with no task of the new revision, whatever the controller would do by itself."""
    engine, call = _engine()
    engine.clock.advance(120)

    class Frozen:
        def next_step(self, service, primary, views, **_):
            return Plan()

        def is_complete(self, *_):
            return False
    monkeypatch.setitem(STRATEGIES, "ROLLING", Frozen())
    call("UpdateService", cluster="c", service="s", taskDefinition="web:2")
    engine.clock.advance(300)
    svc = call("DescribeServices", cluster="c", services=["s"])["services"][0]
    new = svc["deployments"][0]
    assert new["rolloutState"] == "IN_PROGRESS" and new["runningCount"] + new["pendingCount"] == 0


def test_records_keep_spec_status_and_bookkeeping_apart_and_show_plain_strings():
    engine, call = _engine()
    engine.clock.advance(120)
    service = engine.regions[REGION].clusters["c"].services["s"]
    assert isinstance(service.spec, ServiceSpec) and isinstance(service.book, ServiceBookkeeping)
    assert service.primary.status is DeploymentStatus.PRIMARY
    assert service.primary.rollout_state is RolloutState.COMPLETED
    task = next(iter(service.live.values()))
    assert task.last_status is TaskStatus.RUNNING and task.last_status == "RUNNING"
    answer = call("DescribeServices", cluster="c", services=["s"])
    tasks = call("DescribeTasks", cluster="c", tasks=list(service.live))
    for body in (answer, tasks):
        text = json.dumps(body, default=str)
        assert "Status." not in text and "State." not in text
    shown = answer["services"][0]
    assert type(shown["status"]) is str and type(shown["deployments"][0]["rolloutState"]) is str
    assert all(type(t["lastStatus"]) is str for t in tasks["tasks"])
    assert TASK_LAST_STATUSES == ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING",
                                  "STOPPING", "DEPROVISIONING", "STOPPED")
    assert all(type(s) is str for s in TASK_LAST_STATUSES)


def test_real_clock_hold_is_a_pause_in_the_mapping_and_keeps_old_stamps():
    from fargate_lab.engine.clock import RealClock
    wall = [1000.0]
    clock = RealClock(5000.0, speed=10, wall=lambda: wall[0])
    wall[0] = 1002.0
    assert clock.now() == 5020.0
    seen = clock.to_client(5020.0)               # a stamp a client read before the hold
    clock.hold(3)
    wall[0] = 1004.0
    assert clock.now() == 5020.0 and clock.held_until == 1005.0
    clock.hold(0.5)                              # a shorter hold never cuts one short
    assert clock.held_until == 1005.0
    assert clock.to_client(5020.0) == seen == 1002.0   # the held instant: when it was first reached
    wall[0] = 1006.0
    assert clock.now() == 5030.0 and clock.held_until is None
    assert clock.to_client(5030.0) == 1006.0 and clock.from_client(1006.0) == 5030.0
    assert clock.from_client(1003.0) == 5020.0   # during the hold
    assert clock.to_client(5010.0) == 1001.0     # before it: unchanged
    with pytest.raises(ValueError, match="seconds"):
        clock.hold(-1)


def test_a_stamp_once_seen_never_moves_however_many_holds_follow():
    from fargate_lab.engine.clock import RealClock
    wall = [0.0]
    clock = RealClock(1000.0, speed=10, wall=lambda: wall[0])
    wall[0] = 0.05
    seen = {t: clock.to_client(t) for t in (1000.0, 1000.5)}
    for _ in range(100):                       # a long session of milestones
        wall[0] += 1.0
        clock.hold(2.0)
        wall[0] += 3.0
    assert {t: clock.to_client(t) for t in seen} == seen
    assert clock.to_client(clock.now()) <= wall[0]
