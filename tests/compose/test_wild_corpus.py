"""Public compose files (tests/compose/wild/, sources in SOURCES.md) through `service up`'s translation.

The invariant, file by file, with no ecs-params and with a minimal Fargate one: EITHER the task definition
passes botocore's RegisterTaskDefinition input validation, is awsvpc + FARGATE with a Fargate cpu/memory pair
and keeps the file's meaning (one container per service with its image, its published container ports and its
environment names), OR the translation raises ComposeError with one line that names a field of the file and
why.  Which files go which way is not pinned: it may change as the translator learns (it is an invariant, not
a snapshot).  `python tools/compose_corpus.py -v` prints the counts and the reasons.

A file that does neither (a crash, a message naming no field) is a translator bug: list it in KNOWN_BUGS
(strict xfail, so the fix has to remove it) rather than changing the file.
"""
from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from fargate_lab.compose import ComposeError

from tests.paths import REPO

spec = importlib.util.spec_from_file_location("compose_corpus_tool", REPO / "tools" / "compose_corpus.py")
corpus = sys.modules[spec.name] = importlib.util.module_from_spec(spec)   # its dataclass looks itself up there
spec.loader.exec_module(corpus)

FILES = corpus.corpus_files()
# case id ("awesome-compose/plex") -> what goes wrong; strict xfail until the translator is fixed
KNOWN_BUGS: dict[str, str] = {}


def cases():
    for path in FILES:
        name = corpus.case_id(path)
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name])] if name in KNOWN_BUGS else []
        yield pytest.param(path, id=name, marks=marks)


@pytest.mark.parametrize("with_params", [False, True], ids=["no-ecs-params", "fargate-ecs-params"])
@pytest.mark.parametrize("path", list(cases()))
def test_translates_to_fargate_or_refuses_in_one_line(path, with_params, tmp_path):
    outcome = corpus.translate(path, with_params, tmp_path)
    if outcome.crash:
        pytest.fail(f"{outcome.file}: not a ComposeError:\n{outcome.crash}")
    assert outcome.problems == [], outcome.file
    assert outcome.verdict in ("translated", "refused")


def test_the_corpus_and_its_sources():
    """25+ files from several sources, each listed in SOURCES.md next to its source's license."""
    sources = (corpus.WILD / "SOURCES.md").read_text()
    assert len(FILES) >= 25 and len({p.parent for p in FILES}) >= 3
    for path in FILES:
        assert f"| {path.parent.name}/{path.name} |" in sources, path
        assert (path.parent / "LICENSE").exists(), path.parent
    for env in corpus.WILD.glob("*/*.env"):
        assert env.with_suffix(".yml").exists() and f"| {env.parent.name}/{env.name} |" in sources, env


def test_counts(capsys):
    """The report (translated / refused, refusals grouped by field) adds up, for both ways of translating."""
    for with_params in (False, True):
        outcomes = corpus.run_all(with_params)
        text = corpus.report(outcomes)
        with capsys.disabled():
            print(f"\n{'fargate ecs-params' if with_params else 'no ecs-params'}: {text}")
        translated, refused, problems = map(int, re.match(r"(\d+) files: (\d+) translated, (\d+) refused, (\d+) problems",
                                                          text).groups()[1:])
        assert translated + refused + problems == len(FILES)
        assert sum(int(line.split()[1]) for line in text.splitlines()[1:] if line.startswith("  refused")) == refused
        assert problems == len([f for f in FILES if corpus.case_id(f) in KNOWN_BUGS])


# ---------------------------------------------------------------------------------- the checks catch what they claim

RAW = {"services": {"web": {"image": "nginx:1", "ports": ["8080:80", {"target": 443}, "127.0.0.1:53:53/udp"],
                            "environment": ["A=1", "FROM_SHELL"], "volumes": ["./x:/x"]},
                    "db": {"image": "postgres", "environment": {"B": "2"}},
                    "debug": {"image": "busybox", "profiles": ["debug"]}},
       "secrets": {"db-password": {"file": "db/password.txt"}}}


def definition(**web):
    container = {"name": "web", "image": "nginx:1", "environment": [{"name": "A", "value": "1"}],
                 "portMappings": [{"containerPort": 80}, {"containerPort": 443}, {"containerPort": 53, "protocol": "udp"}]}
    return {"family": "f", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
            "memory": "512", "containerDefinitions": [{**container, **web},
                                                      {"name": "db", "image": "postgres", "secrets": [
                                                          {"name": "B", "valueFrom": "arn:aws:ssm:x"}]}]}


def test_a_faithful_fargate_definition_passes():
    assert corpus.translated_problems(definition(), RAW, with_params=True) == []


@pytest.mark.parametrize("change, words", [
    ({"image": "nginx:2"}, "services.web.image"),
    ({"portMappings": [{"containerPort": 8080}, {"containerPort": 443}, {"containerPort": 53}]}, "containerPort 80 "),
    ({"environment": []}, "services.web.environment: A missing"),
    ({"name": "website"}, "are not the services"),
    ({"memoryReservation": "lots"}, "botocore"),
])
def test_a_definition_that_loses_meaning_or_shape_is_caught(change, words):
    assert any(words in p for p in corpus.translated_problems(definition(**change), RAW, False))


@pytest.mark.parametrize("top, words", [
    ({"networkMode": "bridge"}, "networkMode"), ({"requiresCompatibilities": ["EC2"]}, "FARGATE"),
    ({"cpu": "256", "memory": "4096"}, "not a Fargate size"), ({"cpu": "512", "memory": "1024"}, "task_size"),
])
def test_a_definition_fargate_cannot_run_is_caught(top, words):
    assert any(words in p for p in corpus.translated_problems({**definition(), **top}, RAW, with_params=True))


@pytest.mark.parametrize("field, ok", [
    ("services.web.volumes[0]", True), ("secrets.db-password", True), ("services.web.privileged", True),
    ("services.web.volumes[3]", False), ("services.api.build", False), ("ports", False), ("services", True),
    ("secrets.db-password.file", True), ("x.y", False),
])
def test_a_refusal_must_name_a_field_of_the_file(field, ok, tmp_path):
    file = tmp_path / "compose.yaml"
    error = ComposeError(file, field, "cannot run on Fargate", "remove it")
    assert (corpus.refusal_problems(error, RAW, [file]) == []) is ok


def test_a_refusal_without_its_file_or_reason_is_caught(tmp_path):
    error = ComposeError("elsewhere.yml", "services.web.volumes[0]", "")
    problems = " ".join(corpus.refusal_problems(error, RAW, [tmp_path / "compose.yaml"]))
    assert "does not start with the file" in problems and "says no reason" in problems


def test_refusals_are_grouped_by_field():
    assert [corpus.refusal_group(ComposeError("f", name, "p")) for name in
            ("services.web.build", "services.db.volumes[2]", "secrets.db-password", "services.x.deploy.resources")] == \
        ["services.*.build", "services.*.volumes[]", "secrets.*", "services.*.deploy.resources"]


def test_any_other_exception_is_a_crash_with_its_traceback(monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        return {}["cpu"]
    monkeypatch.setattr(corpus, "load_project", broken)
    outcome = corpus.translate(FILES[0], False, tmp_path)
    assert outcome.verdict == "problem" and outcome.crash.splitlines()[-1] == "KeyError: 'cpu'"
    assert "PROBLEM " + corpus.case_id(FILES[0]) + ": KeyError: 'cpu'" in corpus.report([outcome])
