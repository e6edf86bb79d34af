"""A metric alarm's evaluation, as CloudWatch documents it: M out of N datapoints, and missing data.

    rule = AlarmRule(Comparison.GREATER_THAN_THRESHOLD, threshold=0, evaluation_periods=3,
                     datapoints_to_alarm=2, treat_missing_data=MissingData.NOT_BREACHING)
    verdict = evaluate(rule, window)       # window: the evaluation range, oldest first; value None = missing
    verdict.state, verdict.reason          # None: keep the current state (treat missing data "ignore")

The rules follow the CloudWatch User Guide's "Evaluating an alarm" and "How alarm state is evaluated
when data is missing" (awsdocs/amazon-cloudwatch-user-guide, doc_source/AlarmThatSendsEmail.md):

- CloudWatch reads more periods than EvaluationPeriods (N), the evaluation range. How many more is
  not published; the guide's examples read 5 for N = 3, and this model reads N + 2.
- With at least N real datapoints in the range, the N most recent decide; missing-data treatment
  does not apply. ALARM when at least DatapointsToAlarm (M) of them breach, else OK.
- With fewer, every real datapoint counts and the gaps are filled, as few as possible, by the
  treatment: breaching, notBreaching, or (missing, ignore) left out. Left out, fewer than M breaching
  with a non-breaching datapoint present is OK; when every real datapoint breaches but fewer than M,
  the guide's tables give INSUFFICIENT_DATA (missing) or no change (ignore) if the newest period has
  data, and ALARM (missing) if the metric went quiet after breaching. With no real datapoint at all:
  INSUFFICIENT_DATA (missing), no change (ignore), ALARM (breaching), OK (notBreaching).

The state reasons copy the shape of the ones CloudWatch writes, as seen in published alarm
notifications ("Threshold Crossed: 1 out of the last 1 datapoints [3.0 (05/09/18 07:09:00)] was
greater than the threshold (0.0) (minimum 1 datapoint for OK -> ALARM transition).",
"... and 19 missing datapoints were treated as [NonBreaching] ...", "Threshold Crossed: no
datapoints were received for 2 periods and 2 missing datapoints were treated as [Breaching].",
"Insufficient Data: 5 datapoints were unknown.").
"""
from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..engine.status import StrEnum


class AlarmState(StrEnum):
    OK = "OK"
    ALARM = "ALARM"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


class Comparison(StrEnum):
    """The static-threshold ComparisonOperator values (anomaly-band operators are not modelled)."""
    GREATER_THAN_OR_EQUAL_TO_THRESHOLD = "GreaterThanOrEqualToThreshold"
    GREATER_THAN_THRESHOLD = "GreaterThanThreshold"
    LESS_THAN_THRESHOLD = "LessThanThreshold"
    LESS_THAN_OR_EQUAL_TO_THRESHOLD = "LessThanOrEqualToThreshold"

    def holds(self, value: float, threshold: float) -> bool:
        if self is Comparison.GREATER_THAN_OR_EQUAL_TO_THRESHOLD:
            return value >= threshold
        if self is Comparison.GREATER_THAN_THRESHOLD:
            return value > threshold
        if self is Comparison.LESS_THAN_THRESHOLD:
            return value < threshold
        return value <= threshold

    @property
    def words(self) -> str:
        """As a state reason says it: "greater than or equal to"."""
        return {
            Comparison.GREATER_THAN_OR_EQUAL_TO_THRESHOLD: "greater than or equal to",
            Comparison.GREATER_THAN_THRESHOLD: "greater than",
            Comparison.LESS_THAN_THRESHOLD: "less than",
            Comparison.LESS_THAN_OR_EQUAL_TO_THRESHOLD: "less than or equal to",
        }[self]


class MissingData(StrEnum):
    """TreatMissingData; "missing" when an alarm does not say."""
    MISSING = "missing"
    IGNORE = "ignore"
    BREACHING = "breaching"
    NOT_BREACHING = "notBreaching"


@dataclass(frozen=True)
class AlarmRule:
    comparison: Comparison
    threshold: float
    evaluation_periods: int                  # N
    datapoints_to_alarm: int                 # M (DatapointsToAlarm; EvaluationPeriods when unset)
    treat_missing_data: MissingData = MissingData.MISSING

    def __post_init__(self) -> None:
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError(f"DatapointsToAlarm ({self.datapoints_to_alarm}) must be from 1 to "
                             f"EvaluationPeriods ({self.evaluation_periods})")

    @property
    def evaluation_range(self) -> int:
        """How many periods an evaluation reads (a model: the guide's examples read 5 for 3)."""
        return self.evaluation_periods + 2

    def breaches(self, value: float) -> bool:
        return self.comparison.holds(value, self.threshold)


@dataclass(frozen=True)
class Datapoint:
    at: _dt.datetime                         # the period's start
    value: float | None                      # None: no datapoint for that period


@dataclass(frozen=True)
class Verdict:
    state: AlarmState
    reason: str


def evaluate(rule: AlarmRule, window: Sequence[Datapoint]) -> Verdict | None:
    """The state `window` (the evaluation range, oldest first) calls for; None keeps the current one."""
    n, m = rule.evaluation_periods, rule.datapoints_to_alarm
    real = [p for p in window if p.value is not None]
    if len(real) >= n:
        evaluated = real[-n:]
        breaching = [p for p in evaluated if rule.breaches(_value(p))]
        if len(breaching) >= m:
            return Verdict(AlarmState.ALARM, _crossed(rule, breaching, n, AlarmState.ALARM))
        return Verdict(AlarmState.OK, _crossed(rule, [p for p in evaluated if p not in breaching], n,
                                               AlarmState.OK))

    fills = n - len(real)
    breaching = [p for p in real if rule.breaches(_value(p))]
    fine = [p for p in real if not rule.breaches(_value(p))]
    treatment = rule.treat_missing_data
    if treatment is MissingData.BREACHING:
        if len(breaching) + fills >= m:
            return Verdict(AlarmState.ALARM, _crossed(rule, breaching, n, AlarmState.ALARM, fills))
        return Verdict(AlarmState.OK, _crossed(rule, fine, n, AlarmState.OK))
    if treatment is MissingData.NOT_BREACHING:
        if len(breaching) >= m:
            return Verdict(AlarmState.ALARM, _crossed(rule, breaching, n, AlarmState.ALARM))
        return Verdict(AlarmState.OK, _crossed(rule, fine, n, AlarmState.OK, fills))

    # missing or ignore: the gaps count for nothing
    if len(breaching) >= m:
        return Verdict(AlarmState.ALARM, _crossed(rule, breaching, n, AlarmState.ALARM))
    if fine:
        return Verdict(AlarmState.OK, _crossed(rule, fine, n, AlarmState.OK))
    if treatment is MissingData.IGNORE:
        return None
    went_quiet = bool(real) and window[-1].value is None
    if went_quiet:
        return Verdict(AlarmState.ALARM, _crossed(rule, breaching, n, AlarmState.ALARM))
    return Verdict(AlarmState.INSUFFICIENT_DATA, f"Insufficient Data: {_count(fills, 'datapoint')} "
                                                f"{_was(fills)} unknown.")


def _value(point: Datapoint) -> float:
    assert point.value is not None   # only real datapoints reach here
    return point.value


def _crossed(rule: AlarmRule, shown: list[Datapoint], n: int, to: AlarmState, fills: int = 0) -> str:
    """A "Threshold Crossed: ..." reason. `shown`: the real datapoints on the side the state went to."""
    label = "Breaching" if to is AlarmState.ALARM else "NonBreaching"
    treated = f"{_count(fills, 'missing datapoint')} {_was(fills)} treated as [{label}]"
    if not shown:
        return f"Threshold Crossed: no datapoints were received for {_count(n, 'period')} and {treated}."
    listed = ", ".join(f"{_number(_value(p))} ({p.at:%d/%m/%y %H:%M:%S})" for p in reversed(shown))
    negation = "" if to is AlarmState.ALARM else "not "
    text = (f"Threshold Crossed: {len(shown)} out of the last {n} datapoints [{listed}] {_was(len(shown))} "
            f"{negation}{rule.comparison.words} the threshold ({_number(rule.threshold)})")
    if fills:
        text += f" and {treated}"
    m = rule.datapoints_to_alarm
    needed, transition = (m, "OK -> ALARM") if to is AlarmState.ALARM else (n - m + 1, "ALARM -> OK")
    return f"{text} (minimum {_count(needed, 'datapoint')} for {transition} transition)."


def _number(value: float) -> str:
    """As CloudWatch prints a double: 1.0, 0.35220499833424884."""
    return repr(float(value))


def _count(k: int, noun: str) -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"


def _was(k: int) -> str:
    return "was" if k == 1 else "were"
