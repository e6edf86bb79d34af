"""Translate the public compose files in tests/compose/wild/ the way `service up` does, and count the outcomes.

    python tools/compose_corpus.py            # translated / refused, the refusals grouped by field
    python tools/compose_corpus.py -v         # and one line per file

Each file must either become valid Fargate input that keeps its meaning, or be refused with one line that
names the compose field (what tests/compose/test_wild_corpus.py asserts, file by file).  A file that does
neither is listed as a problem and the script exits 1.  Where the files come from: tests/compose/wild/SOURCES.md.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import traceback
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.session
import yaml
from botocore.validate import ParamValidator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:   # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from fargate_lab.compose import ComposeError, ComposeWarning  # noqa: E402
from fargate_lab.engine.fargate import VALID_SIZES  # noqa: E402
from fargate_lab.ops.task_definitions import load_project  # noqa: E402

WILD = ROOT / "tests" / "compose" / "wild"
INPUT_SHAPE = (botocore.session.get_session().get_service_model("ecs")
               .operation_model("RegisterTaskDefinition").input_shape)
# The smallest ecs-params a Fargate user writes (the second way each file is translated).
FARGATE_PARAMS = """\
version: 1
task_definition:
  ecs_network_mode: awsvpc
  task_size:
    cpu_limit: 256
    mem_limit: 0.5GB
"""
COMPOSE_TOP_LEVEL = ("services", "volumes", "secrets", "configs", "networks", "include", "name", "version")


def corpus_files() -> list[Path]:
    return sorted(WILD.glob("*/*.yml"))


def case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@dataclass
class Outcome:
    """One file translated: the definition or the refusal, and what breaks the invariant (empty when it holds)."""
    file: str
    params: bool
    definition: dict[str, Any] | None = None
    refusal: ComposeError | None = None
    crash: str | None = None      # the traceback of any other exception
    problems: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.crash is not None or self.problems:
            return "problem"
        return "translated" if self.definition is not None else "refused"


@contextlib.contextmanager
def _without_variables(names: set[str]) -> Iterator[None]:
    """The files' variables come from their .env, not from the caller's shell."""
    saved = {name: os.environ.pop(name) for name in names if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _variables(*texts: str) -> set[str]:
    names = {"COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "COMPOSE_FILE"}
    for text in texts:
        names.update(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
        names.update(re.findall(r"^\s*([A-Za-z_][A-Za-z0-9_]*)=", text, re.MULTILINE))
    return names


def raw_compose(path: Path) -> dict[str, Any]:
    """The file as plain YAML, every scalar a string (independent of the translator's own reader)."""
    loaded = yaml.load(path.read_text(), Loader=yaml.BaseLoader)   # BaseLoader: strings only, no objects
    return loaded if isinstance(loaded, dict) else {}


def translate(path: Path, with_params: bool, work: Path) -> Outcome:
    """`service up`'s translation (ops.load_project) of the file copied into `work` with its .env."""
    project = work / re.sub(r"[^a-z0-9-]", "-", path.stem.lower())
    project.mkdir(parents=True)
    compose = project / "compose.yaml"
    shutil.copyfile(path, compose)
    env = path.with_suffix(".env")
    if env.exists():
        shutil.copyfile(env, project / ".env")
    params = None
    if with_params:
        params = project / "ecs-params.yml"
        params.write_text(FARGATE_PARAMS)
    outcome = Outcome(case_id(path), with_params)
    texts = [path.read_text()] + ([env.read_text()] if env.exists() else [])
    with _without_variables(_variables(*texts)), warnings.catch_warnings():
        warnings.simplefilter("ignore", ComposeWarning)
        try:
            outcome.definition = load_project("", [str(compose)], str(params) if params else None).task_definition
        except ComposeError as error:
            outcome.refusal = error
        except Exception:   # any other exception is the bug this corpus looks for
            outcome.crash = traceback.format_exc().strip()
            return outcome
    raw = raw_compose(path)
    if outcome.definition is not None:
        outcome.problems = translated_problems(outcome.definition, raw, with_params)
    else:
        assert outcome.refusal is not None
        outcome.problems = refusal_problems(outcome.refusal, raw, [compose] + ([params] if params else []))
    return outcome


# ---------------------------------------------------------------------------------- translated: valid and faithful

def translated_problems(definition: dict[str, Any], raw: dict[str, Any], with_params: bool) -> list[str]:
    problems = []
    report = ParamValidator().validate(definition, INPUT_SHAPE)
    if report.has_errors():
        problems.append("botocore: " + " ".join(report.generate_report().split()))
    if definition.get("networkMode") != "awsvpc":
        problems.append(f"networkMode {definition.get('networkMode')!r}, not 'awsvpc'")
    if "FARGATE" not in definition.get("requiresCompatibilities", []):
        problems.append(f"requiresCompatibilities {definition.get('requiresCompatibilities')!r} lacks FARGATE")
    cpu, memory = str(definition.get("cpu")), str(definition.get("memory"))
    if not (cpu.isdigit() and memory.isdigit() and int(memory) in VALID_SIZES.get(int(cpu), ())):
        problems.append(f"cpu {cpu} / memory {memory} is not a Fargate size")
    elif with_params and (cpu, memory) != ("256", "512"):
        problems.append(f"cpu {cpu} / memory {memory} is not ecs-params' task_size 256 / 0.5GB")
    return problems + meaning_problems(definition, raw)


def active_services(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services `up` starts with no COMPOSE_PROFILES (a service with profiles is left out)."""
    services = raw.get("services") or {}
    return {name: s or {} for name, s in services.items() if not (s or {}).get("profiles")}


def meaning_problems(definition: dict[str, Any], raw: dict[str, Any]) -> list[str]:
    """Each service is a container with its image, its published container ports and its environment names."""
    problems = []
    containers = {c.get("name"): c for c in definition.get("containerDefinitions", [])}
    services = active_services(raw)
    if set(containers) != set(services):
        problems.append(f"containers {sorted(containers)} are not the services {sorted(services)}")
    for name, service in services.items():
        container = containers.get(name)
        if container is None:
            continue
        image = service.get("image")
        if isinstance(image, str) and "$" not in image and container.get("image") != image:
            problems.append(f"services.{name}.image {image!r} became {container.get('image')!r}")
        mapped = {m.get("containerPort") for m in container.get("portMappings", [])}
        for port in _container_ports(service.get("ports") or []):
            if port not in mapped:
                problems.append(f"services.{name}.ports: containerPort {port} missing (have {sorted(mapped)})")
        names = {e.get("name") for e in container.get("environment", []) + container.get("secrets", [])}
        for variable in _environment_names(service.get("environment")):
            if variable not in names:
                problems.append(f"services.{name}.environment: {variable} missing")
    return problems


def _container_ports(ports: list[Any]) -> Iterator[int]:
    """Container ports of the short ("[ip:][host:]container[/proto]") and long (target:) syntax; ranges and
    interpolated ones are not checked."""
    for entry in ports:
        target = entry.get("target") if isinstance(entry, dict) else str(entry).split("/")[0].rsplit(":", 1)[-1]
        if isinstance(target, str) and target.isdigit():
            yield int(target)


def _environment_names(environment: Any) -> Iterator[str]:
    """Names given a value ("NAME" alone takes the shell's value, which may be unset)."""
    if isinstance(environment, dict):
        yield from (name for name, value in environment.items() if value is not None)
    elif isinstance(environment, list):
        yield from (str(entry).split("=", 1)[0] for entry in environment if "=" in str(entry))


# ---------------------------------------------------------------------------------- refused: one line, a real field

def refusal_problems(error: ComposeError, raw: dict[str, Any], files: list[Path]) -> list[str]:
    problems = []
    message, name = str(error), getattr(error, "field", "")
    if "\n" in message or "\r" in message:
        problems.append("the message is more than one line")
    if not any(message.startswith(f"{file}: ") for file in files):
        problems.append(f"the message does not start with the file: {message!r}")
    if not name or f": {name}: " not in message:
        problems.append(f"the message does not name its field {name!r}: {message!r}")
    elif not _names_compose_field(name, raw):
        problems.append(f"{name!r} is not a field of the file: {message!r}")
    if not getattr(error, "problem", "").strip():
        problems.append(f"the message says no reason: {message!r}")
    return problems


def _names_compose_field(name: str, raw: dict[str, Any]) -> bool:
    """`name` (services.web.volumes[0], secrets.db-password, ...) is in the file, or names a key missing from a
    mapping that is (services.web.image for a build-only service)."""
    node: Any = raw
    rest = name
    while rest:
        if isinstance(node, list):
            m = re.match(r"\[(\d+)\]\.?", rest)
            if not m or int(m.group(1)) >= len(node):
                return False
            node, rest = node[int(m.group(1))], rest[m.end():]
        elif isinstance(node, dict):
            key = max((k for k in node if re.match(re.escape(k) + r"(\.|\[|$)", rest)), key=len, default=None)
            if key is None:   # a missing key: only as the last part of the path
                return node is not raw and re.fullmatch(r"[\w-]+", rest) is not None
            node, rest = node[key], rest[len(key):].lstrip(".")
        else:
            return False
    return True


def refusal_group(error: ComposeError) -> str:
    """services.web.build -> services.*.build; services.db.volumes[0] -> services.*.volumes[]; secrets.x -> secrets.*"""
    name = getattr(error, "field", "") or "?"
    name = re.sub(r"\[\d+\]", "[]", name)
    parts = name.split(".")
    if parts[0] == "services" and len(parts) > 2:
        return ".".join(["services", "*", *parts[2:]])
    if parts[0] in COMPOSE_TOP_LEVEL and len(parts) > 1:
        return f"{parts[0]}.*"
    return name


# ---------------------------------------------------------------------------------- the report

def run_all(with_params: bool) -> list[Outcome]:
    with tempfile.TemporaryDirectory() as work:
        return [translate(path, with_params, Path(work) / str(i)) for i, path in enumerate(corpus_files())]


def report(outcomes: list[Outcome], verbose: bool = False) -> str:
    verdicts = Counter(o.verdict for o in outcomes)
    lines = [f"{len(outcomes)} files: {verdicts['translated']} translated, {verdicts['refused']} refused, "
             f"{verdicts['problem']} problems"]
    groups = Counter(refusal_group(o.refusal) for o in outcomes if o.refusal is not None and not o.problems)
    lines += [f"  refused {count:3}  {group}" for group, count in groups.most_common()]
    for o in outcomes:
        if o.verdict == "problem":
            lines.append(f"  PROBLEM {o.file}: " + (o.crash.splitlines()[-1] if o.crash else "; ".join(o.problems)))
        elif verbose:
            detail = (f"{o.definition['cpu']}/{o.definition['memory']}, {len(o.definition['containerDefinitions'])} "
                      "containers" if o.definition is not None else re.sub(r"^\S+: ", "", str(o.refusal)))
            lines.append(f"  {o.verdict:10} {o.file}: {detail}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    verbose = "-v" in argv
    failed = False
    for with_params, title in ((False, "no ecs-params"), (True, "ecs-params: awsvpc, task_size 256 / 0.5GB")):
        outcomes = run_all(with_params)
        print(f"{title}: " + report(outcomes, verbose))
        failed |= any(o.verdict == "problem" for o in outcomes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
