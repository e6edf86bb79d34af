"""Traffic shift schedules and lifecycle stages, against the ECS model in botocore."""
from __future__ import annotations

import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fargate_lab.engine.strategies.shifts import (HOOK_STAGES, PAUSE_STAGES, LifecycleStage, Shift, elb_weights,
                                                  production_shifts)

ECS = botocore.session.get_session().get_service_model("ecs")


def test_stages_are_the_models_in_the_models_order():
    assert [str(s) for s in LifecycleStage] == ECS.shape_for("ServiceDeploymentLifecycleStage").enum
    assert list(HOOK_STAGES) == ECS.shape_for("DeploymentLifecycleHookStage").enum
    assert "TEST_TRAFFIC_SHIFT" not in PAUSE_STAGES and "PRE_PRODUCTION_TRAFFIC_SHIFT" in PAUSE_STAGES


def test_defaults_are_the_models():
    canary = ECS.shape_for("CanaryConfiguration").members
    linear = ECS.shape_for("LinearConfiguration").members
    assert set(canary) == {"canaryPercent", "canaryBakeTimeInMinutes"}
    assert set(linear) == {"stepPercent", "stepBakeTimeInMinutes"}
    assert production_shifts("CANARY") == (Shift(5.0, 600.0), Shift(100.0, 0.0))
    linear_default = production_shifts("LINEAR")
    assert [s.green_percent for s in linear_default] == [10.0 * k for k in range(1, 11)]
    assert sum(s.bake_seconds for s in linear_default) == 9 * 6 * 60     # 9 step bakes, none after 100 %


def test_blue_green_and_uneven_linear_steps():
    assert production_shifts("BLUE_GREEN") == (Shift(100.0, 0.0),)
    assert [s.green_percent for s in production_shifts("LINEAR", {"stepPercent": 30.0})] == [30, 60, 90, 100]
    assert production_shifts("CANARY", {"canaryPercent": 100.0}) == (Shift(100.0, 0.0),)
    with pytest.raises(ValueError, match="ROLLING does not move traffic"):
        production_shifts("ROLLING")


@given(st.sampled_from(["CANARY", "LINEAR"]), st.integers(1, 1000), st.integers(0, 1440))
def test_shifts_only_grow_and_end_at_100(strategy, tenths, bake):
    percent = max(tenths / 10, 3.0) if strategy == "LINEAR" else tenths / 10
    key = "stepPercent" if strategy == "LINEAR" else "canaryPercent"
    bake_key = "stepBakeTimeInMinutes" if strategy == "LINEAR" else "canaryBakeTimeInMinutes"
    shifts = production_shifts(strategy, {key: percent, bake_key: bake})
    shares = [s.green_percent for s in shifts]
    assert shares == sorted(set(shares)) and shares[-1] == 100.0 and shares[0] > 0
    assert shifts[-1].bake_seconds == 0 and all(s.bake_seconds == bake * 60 for s in shifts[:-1])
    for share in shares:
        blue, green = elb_weights(share)
        assert 0 <= blue <= 999 and 0 < green <= 999
        assert abs(100 * green / (blue + green) - share) < 0.1


def test_weights_at_the_ends():
    assert elb_weights(0.0) == (999, 0) and elb_weights(100.0) == (0, 999) and elb_weights(5.5) == (945, 55)
