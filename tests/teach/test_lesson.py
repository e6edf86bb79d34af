"""fargate_lab.teach.lesson: the self-check and the talk-folder lookup every lesson notebook imports."""
from __future__ import annotations

import pytest

from fargate_lab.teach import check, talk_folder
from fargate_lab.teach.lesson import TALK_CANDIDATES

from tests.paths import REPO


@pytest.mark.parametrize(("answer", "is_right", "kwargs", "printed"), [
    (..., lambda a: True, {}, "Not tried yet. Hint: add them up\n"),
    (4, lambda a: a == 4, {}, "Well done!\n"),
    (4, lambda a: a == 4, {"well_done": "Well done: four."}, "Well done: four.\n"),
    (5, lambda a: a == 4, {}, "Not quite yet. Hint: add them up\n"),
    (0, lambda a: 1 / a, {}, "Not quite yet. Hint: add them up (checking it raised ZeroDivisionError: division by zero)\n"),
    ("x", lambda a: "", {}, "Not quite yet. Hint: add them up\n"),        # any falsy result is "not yet"
])
def test_check_prints_one_kind_line_and_never_raises(capsys, answer, is_right, kwargs, printed):
    assert check(answer, is_right, "add them up", **kwargs) is None
    assert capsys.readouterr().out == printed


def test_check_does_not_call_is_right_before_an_answer():
    def is_right(answer):
        raise AssertionError("called")
    check(..., is_right, "hint")


@pytest.mark.parametrize("start", ["notebooks", "."])
def test_talk_folder_from_notebooks_or_the_repository(monkeypatch, start):
    monkeypatch.chdir(REPO / start)
    folder = talk_folder()
    assert folder in TALK_CANDIDATES and not folder.is_absolute()   # the same relative path the lessons printed
    assert folder.resolve() == (REPO / "examples" / "talk").resolve()
    assert (folder / "docker-compose.yml").is_file()


def test_talk_folder_says_where_it_looked(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="examples/talk"):
        talk_folder()


def test_clean_up_runs_on_aws_by_default_and_locally_only_when_asked(capsys):
    from fargate_lab.teach import Lab
    ran = []
    local = Lab(mode="virtual")
    local.cleanup("service web", lambda: ran.append("local"))
    assert ran == [] and capsys.readouterr().out.startswith("Left in place: service web. ")
    local.clean_up = True
    local.cleanup("service web", lambda: ran.append("asked"))
    assert ran == ["asked"] and capsys.readouterr().out == "Removed: service web.\n"
    Lab(mode="aws", region="us-east-1").cleanup("service web", lambda: ran.append("aws"))
    assert ran == ["asked", "aws"]
    off = Lab(mode="aws", region="us-east-1", clean_up=False)
    off.cleanup("service web", lambda: ran.append("never"))
    assert ran == ["asked", "aws"]


def test_a_check_whose_service_is_gone_says_how_to_get_it_back(cloud, capsys):
    import boto3

    from fargate_lab.teach import service_here
    ecs = boto3.client("ecs")
    assert service_here(ecs, "nowhere", "web") is None
    said = capsys.readouterr().out
    assert said.startswith("Service web is not here any more (ClusterNotFoundException") and "from the top" in said
    ecs.create_cluster(clusterName="c")
    assert service_here(ecs, "c", "web") is None
    assert "(it was deleted)" in capsys.readouterr().out
