"""CloudWatch alarm evaluation against the CloudWatch User Guide's own examples, and its invariants.

The two tables are the guide's "How alarm state is evaluated when data is missing"
(awsdocs/amazon-cloudwatch-user-guide, doc_source/AlarmThatSendsEmail.md): five datapoints read,
0 = not breaching, X = breaching, - = missing; one column per TreatMissingData.
"""
from __future__ import annotations

import datetime as _dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fargate_lab.cloudwatch.alarms import (AlarmRule, AlarmState, Comparison, Datapoint, MissingData, Verdict,
                                           evaluate)

KEEP = "keep"   # "Retain current state"
OK, ALARM, INSUFFICIENT = AlarmState.OK, AlarmState.ALARM, AlarmState.INSUFFICIENT_DATA
COLUMNS = (MissingData.MISSING, MissingData.IGNORE, MissingData.BREACHING, MissingData.NOT_BREACHING)

THREE_OF_THREE = [
    ("0 - X - X", (OK, OK, OK, OK)),
    ("0 - - - -", (OK, OK, OK, OK)),
    ("- - - - -", (INSUFFICIENT, KEEP, ALARM, OK)),
    ("0 X X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("- - - - X", (INSUFFICIENT, KEEP, ALARM, OK)),
    ("X - - - -", (ALARM, KEEP, ALARM, OK)),
]
TWO_OF_THREE = [
    ("0 - X - X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 0 X 0 X", (ALARM, ALARM, ALARM, ALARM)),
    ("0 - X - -", (OK, OK, ALARM, OK)),
    ("- - - - 0", (OK, OK, ALARM, OK)),
    ("- - - - X", (INSUFFICIENT, KEEP, ALARM, OK)),
]

T0 = _dt.datetime(2026, 11, 30, 10, 0, tzinfo=_dt.timezone.utc)


def window_of(text: str, period: int = 300) -> list[Datapoint]:
    values = {"0": 0.0, "X": 5.0, "-": None}
    return [Datapoint(T0 + _dt.timedelta(seconds=i * period), values[c]) for i, c in enumerate(text.split())]


def rule(m: int, n: int, treatment: MissingData) -> AlarmRule:
    return AlarmRule(Comparison.GREATER_THAN_THRESHOLD, 3.0, evaluation_periods=n, datapoints_to_alarm=m,
                     treat_missing_data=treatment)


@pytest.mark.parametrize("m, table", [(3, THREE_OF_THREE), (2, TWO_OF_THREE)], ids=["3-of-3", "2-of-3"])
def test_the_guides_tables(m, table):
    for points, expected in table:
        window = window_of(points)
        assert rule(m, 3, MissingData.MISSING).evaluation_range == len(window)
        for treatment, want in zip(COLUMNS, expected):
            verdict = evaluate(rule(m, 3, treatment), window)
            got = KEEP if verdict is None else verdict.state
            assert got == want, f"{points} treated as {treatment}: {got}, the guide says {want}"


def test_state_reasons_read_as_cloudwatch_writes_them():
    one = AlarmRule(Comparison.GREATER_THAN_THRESHOLD, 0.0, 1, 1, MissingData.NOT_BREACHING)
    window = [Datapoint(T0, None), Datapoint(T0 + _dt.timedelta(minutes=1), None),
              Datapoint(T0 + _dt.timedelta(minutes=2), 3.0)]
    verdict = evaluate(one, window)
    assert verdict is not None and verdict.state is ALARM
    assert verdict.reason == ("Threshold Crossed: 1 out of the last 1 datapoints [3.0 (30/11/26 10:02:00)] was "
                              "greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).")

    back = evaluate(one, window[:2] + [Datapoint(window[2].at, 0.0)])
    assert back is not None and back.reason == (
        "Threshold Crossed: 1 out of the last 1 datapoints [0.0 (30/11/26 10:02:00)] was not greater than the "
        "threshold (0.0) (minimum 1 datapoint for ALARM -> OK transition).")

    silent = evaluate(rule(2, 2, MissingData.BREACHING), window_of("- - - -"))
    assert silent is not None and silent.reason == (
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing datapoints were treated "
        "as [Breaching].")

    partly = evaluate(rule(1, 3, MissingData.NOT_BREACHING), window_of("- - - - X"))
    assert partly is not None and partly.reason == (
        "Threshold Crossed: 1 out of the last 3 datapoints [5.0 (30/11/26 10:20:00)] was greater than the "
        "threshold (3.0) (minimum 1 datapoint for OK -> ALARM transition).")

    fills = evaluate(rule(3, 3, MissingData.BREACHING), window_of("- - - 0 -"))
    assert fills is not None and fills.state is OK and fills.reason.startswith(
        "Threshold Crossed: 1 out of the last 3 datapoints [0.0 (30/11/26 10:15:00)] was not greater than")

    unknown = evaluate(rule(2, 3, MissingData.MISSING), window_of("- - - - -"))
    assert unknown == Verdict(INSUFFICIENT, "Insufficient Data: 3 datapoints were unknown.")


def test_datapoints_to_alarm_must_fit_the_evaluation_periods():
    with pytest.raises(ValueError, match="DatapointsToAlarm"):
        AlarmRule(Comparison.LESS_THAN_THRESHOLD, 1.0, evaluation_periods=2, datapoints_to_alarm=3)


windows = st.lists(st.sampled_from(["0", "X", "-"]), min_size=1, max_size=12).map(" ".join)
RANK = {OK: 0, INSUFFICIENT: 1, None: 1, ALARM: 2}


@settings(max_examples=300, deadline=None)
@given(points=windows, n=st.integers(1, 6), data=st.data())
def test_invariants(points, n, data):
    m = data.draw(st.integers(1, n))
    window = window_of(points)
    verdicts = {t: evaluate(rule(m, n, t), window) for t in COLUMNS}
    states = {t: (v.state if v else None) for t, v in verdicts.items()}
    real = [p for p in window if p.value is not None]
    if len(real) >= n:   # enough real data: the treatment of missing data plays no part
        assert len(set(verdicts.values())) == 1
    # treating gaps as breaching never calms an alarm, as not breaching never raises one
    assert RANK[states[MissingData.NOT_BREACHING]] <= RANK[states[MissingData.MISSING]] \
        <= RANK[states[MissingData.BREACHING]]
    assert states[MissingData.BREACHING] is not None and states[MissingData.NOT_BREACHING] is not None
    # ignore keeps the state only where missing would not decide OK or ALARM
    if states[MissingData.IGNORE] is None:
        assert states[MissingData.MISSING] in (INSUFFICIENT, ALARM)
    for verdict in verdicts.values():
        if verdict is not None and verdict.state is not INSUFFICIENT:
            assert verdict.reason.startswith("Threshold Crossed: ") and verdict.reason.endswith(".")
