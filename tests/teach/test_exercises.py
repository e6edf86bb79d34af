"""fargate_lab.teach.exercises: each grader names the common mistake it sees, not one hint for all."""
from __future__ import annotations

import pytest

from fargate_lab.teach import exercises


def said(grader, answer, capsys):
    right = grader(answer)
    return right, capsys.readouterr().out.strip()


@pytest.mark.parametrize("grader, answer, expected", [
    (exercises.stage_mode, ..., "Not tried yet. Hint: the mode that follows the wall clock"),
    (exercises.stage_mode, "virtual", "Not quite yet. virtual time moves only when the notebook says so"),
    (exercises.stage_mode, "aws", "Not quite yet. on AWS a rollout takes several minutes"),
    (exercises.stage_mode, "fast", "Not quite yet. 'fast' is not a mode"),
    (exercises.worker_size, ("256", "3072"), "Not quite yet. Fargate refuses 256 CPU units with 3072 MiB"),
    (exercises.worker_size, ("1024", "3072"), "Not quite yet. (1024, 3072) is valid, but costs $"),
    (exercises.worker_size, ("512", "2048"), "Not quite yet. 2048 MiB is less than the 3 GB"),
    (exercises.worker_size, "512,3072", "Not quite yet. give a pair of strings"),
    (exercises.secret_names, {"DB_PASSWORD", "STRIPE_API_KEY", "DB_HOST"}, "Not quite yet. DB_HOST would do no harm"),
    (exercises.secret_names, {"DB_PASSWORD"}, "Not quite yet. 1 more of the six would hurt"),
    (exercises.secret_names, {"PASSWORD"}, "Not quite yet. PASSWORD is not one of the six names"),
    (exercises.secret_names, "DB_PASSWORD", "Not quite yet. give a set of names"),
    (exercises.rollout_limits, (100, 100), "Not quite yet. (100, 100) deadlocks"),
    (exercises.rollout_limits, (75, 200), "Not quite yet. with maximumPercent 200 up to 7 tasks run at once (the cap is floor(4 x 200 %) = 8)"),
    (exercises.rollout_limits, (50, 125), "Not quite yet. with minimumHealthyPercent 50 only 2 stay healthy"),
    (exercises.rollout_limits, (75, 90), "Not quite yet. minimumHealthyPercent is 0 to 100 and maximumPercent at least 100"),
    (exercises.rollout_limits, "75/125", "Not quite yet. give a pair of numbers"),
    (exercises.linear_minutes, 20, "Not quite yet. there is no step bake after the last shift"),
    (exercises.linear_minutes, 12, "Not quite yet. after the last shift comes bakeTimeInMinutes too"),
    (exercises.linear_minutes, 15, "Not quite yet. a step bake sits between two shifts"),
    (exercises.linear_minutes, 99, "Not quite yet. shifts at 20, 40, 60, 80, 100 %"),
])
def test_each_common_mistake_gets_its_own_hint(grader, answer, expected, capsys):
    right, text = said(grader, answer, capsys)
    assert not right and text.startswith(expected), text


@pytest.mark.parametrize("grader, answer", [
    (exercises.stage_mode, " Real "), (exercises.worker_size, ("512", "3072")),
    (exercises.secret_names, {"db_password", "STRIPE_API_KEY"}), (exercises.rollout_limits, (75, 125)),
    (exercises.rollout_limits, [70, 130]), (exercises.linear_minutes, 17),
])
def test_right_answers_are_well_done(grader, answer, capsys):
    right, text = said(grader, answer, capsys)
    assert right and not text.startswith("Not"), text


def test_the_answers_are_not_in_the_notebooks_check_cells():
    from tests.paths import NOTEBOOKS
    for name, answer in (("00_welcome", '== "real"'), ("05_environments", '{"DB_PASSWORD", "STRIPE_API_KEY"}'),
                         ("02_task_definitions", "m >= 3072"), ("07_traffic_shifting", "4 * 3 + 5, ")):
        source = (NOTEBOOKS / f"{name}.py").read_text()
        code = "\n".join(line for line in source.splitlines() if not line.startswith("#"))
        assert answer not in code, (name, answer)
