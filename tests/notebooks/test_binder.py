"""Binder's install, replayed on this machine.

mybinder.org builds the image with repo2docker from `binder/` alone: `pip install -r
binder/requirements.txt`, then `binder/postBuild` from the repository root (which is $HOME), then on
every launch `binder/start <the server command>`. `test_binder_install_runs_notebooks` does the same
in a fresh virtualenv, on a copy of the repository's files (git ls-files: no build leftovers, no
.venv, nothing ignored), and executes notebooks through `binder/start` with nbconvert. Only pip's own
cache is shared between runs. It needs PyPI (as Binder does) and takes a minute or two.

The other tests here are static checks of the binder/ files, in milliseconds.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.paths import REPO

BINDER = REPO / "binder"
# 00 starts the local cloud and reads versions; 06 is the heaviest (ipympl, ipywidgets, the live plot).
# Those present are executed; 00 must be.
BINDER_NOTEBOOKS = ("00_welcome.ipynb", "06_rolling_deploy.ipynb")
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[(?P<extras>[^\]]*)\])?==(?P<version>[^\s;#]+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def binder_pins() -> dict[str, tuple[str, set[str]]]:
    """binder/requirements.txt as {canonical name: (version, extras)}; asserts every line is an exact pin."""
    pins = {}
    for number, raw in enumerate((BINDER / "requirements.txt").read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        found = PIN.match(line)
        assert found, (f"binder/requirements.txt:{number}: {raw!r} is not `name==version`: Binder needs "
                       f"third-party exact pins only (no -e, paths, -r/-c or ranges)")
        extras = {e.strip() for e in (found["extras"] or "").split(",") if e.strip()}
        pins[canonical(found["name"])] = (found["version"], extras)
    return pins


# -- static checks ---------------------------------------------------------------------------------


def test_requirements_are_exact_third_party_pins_within_pyproject_ranges():
    pytest.importorskip("packaging")
    from packaging.requirements import Requirement
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")

    pins = binder_pins()
    assert "fargate-lab" not in pins, "fargate-lab itself is installed by binder/postBuild, not requirements.txt"
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})

    def expand(specs, seen=()):
        """Requirements, with fargate-lab's references to its own extras replaced by their contents."""
        for spec in specs:
            requirement = Requirement(spec)
            if canonical(requirement.name) == canonical(project["name"]):
                for extra in sorted(set(requirement.extras) - set(seen)):
                    yield from expand(extras.get(extra, []), (*seen, extra))
            else:
                yield requirement

    # Binder runs what a learner runs (dependencies + notebooks) and what a presenter runs (presenter)
    for requirement in expand([*project["dependencies"], f"{project['name']}[notebooks,presenter]"]):
        spec = str(requirement)
        name = canonical(requirement.name)
        assert name in pins, f"binder/requirements.txt does not pin {requirement.name} (pyproject: {spec!r})"
        version, pinned_extras = pins[name]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"binder/requirements.txt pins {requirement.name}=={version}, outside pyproject's {spec!r}")
        assert set(requirement.extras) <= pinned_extras, (
            f"binder/requirements.txt: {requirement.name} lacks extras {sorted(set(requirement.extras) - pinned_extras)}")
    for needed in ("jupyterlab", "ipywidgets", "ipympl", "matplotlib", "jupyterlab-rise"):
        assert needed in pins, f"binder/requirements.txt does not pin {needed}"
    assert pins["jupyterlab"][0].startswith("4."), "the notebooks and jupyterlab-rise need JupyterLab 4"
    assert pins["ipywidgets"][0].startswith("8."), "the notebooks need ipywidgets 8"


def test_binder_scripts_follow_repo2docker_rules():
    for name in ("postBuild", "start"):
        script = BINDER / name
        text = script.read_text()
        assert text.startswith("#!/bin/bash\n"), f"binder/{name} must start with #!/bin/bash"
        assert os.access(script, os.X_OK), f"binder/{name} must be executable (chmod +x, and git keeps the bit)"
    post_build = (BINDER / "postBuild").read_text()
    assert re.search(r"^set -e", post_build, re.M), "binder/postBuild must `set -e`, or Binder ignores its errors"
    assert re.search(r"pip install .*--no-deps", post_build), "binder/postBuild installs fargate-lab with --no-deps"
    start = (BINDER / "start").read_text()
    assert start.rstrip().splitlines()[-1] == 'exec "$@"', 'binder/start must end with exec "$@"'
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"   # what the project is tested on


def test_start_defaults_to_the_local_cloud(monkeypatch):
    env = {k: v for k, v in os.environ.items() if k != "FARGATE_LAB_MODE"}
    shown = subprocess.run([str(BINDER / "start"), "env"], env=env, capture_output=True, text=True, check=True)
    assert "FARGATE_LAB_MODE=virtual" in shown.stdout.splitlines()
    env["FARGATE_LAB_MODE"] = "real"   # docker run -e FARGATE_LAB_MODE=real ... still wins
    shown = subprocess.run([str(BINDER / "start"), "env"], env=env, capture_output=True, text=True, check=True)
    assert "FARGATE_LAB_MODE=real" in shown.stdout.splitlines()

    from fargate_lab.teach.mode import resolve_mode
    monkeypatch.setenv("FARGATE_LAB_MODE", "virtual")
    assert resolve_mode() == "virtual"   # the value binder/start sets is one the notebooks accept


# -- the replay ------------------------------------------------------------------------------------


def repository_files() -> list[str]:
    """What a clone has: tracked files plus new files not yet committed, never ignored ones."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"test_binder copies the repository with `git ls-files`; it needs a git checkout: {error}")
    return [name for name in listed.decode().split("\0") if name and (REPO / name).is_file()]


def copy_repository(target: Path) -> None:
    for name in repository_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, destination)   # keeps the executable bit of postBuild and start


def pip_cache_dir() -> str:
    if os.environ.get("PIP_CACHE_DIR"):
        return os.environ["PIP_CACHE_DIR"]
    return str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pip")


def binder_environment(home: Path, venv: Path) -> dict[str, str]:
    """The machine's environment as Binder's would be: $HOME is the repository, the env's bin/ first,
    nothing of this test run's Python, Jupyter or fargate-lab settings."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "CONDA_PREFIX", "MPLBACKEND",
               "IPYTHONDIR", "MPLCONFIGDIR", "PYTEST_")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(dropped) and not k.startswith(("JUPYTER", "FARGATE_LAB_"))}
    env.update(HOME=str(home), VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               PIP_CACHE_DIR=pip_cache_dir(), PYTHONNOUSERSITE="1")
    return env


def run(step: str, command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"{step}: still running after {timeout:.0f} s: {' '.join(command)}\n"
                    f"{(expired.stdout or b'')[-3000:]!r}\n{(expired.stderr or b'')[-3000:]!r}")
    assert done.returncode == 0, (f"{step} failed (exit {done.returncode}): {' '.join(command)}\n"
                                  f"--- stdout ---\n{done.stdout[-6000:]}\n--- stderr ---\n{done.stderr[-6000:]}")
    return done


PROBE = """\
import json, os, sys
import boto3, fargate_lab, ipympl, ipywidgets, matplotlib
print("BINDER-PROBE " + json.dumps({"prefix": sys.prefix, "fargate_lab": fargate_lab.__file__,
      "mode": os.environ.get("FARGATE_LAB_MODE"), "boto3": boto3.__version__,
      "ipywidgets": ipywidgets.__version__, "matplotlib": matplotlib.__version__}))
"""


def error_outputs(notebook: dict) -> list[str]:
    found = []
    for index, cell in enumerate(notebook["cells"]):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
            elif output.get("name") == "stderr" and "Traceback" in "".join(output.get("text", "")):
                found.append(f"cell {index}: traceback on stderr: {''.join(output['text'])[-800:]}")
    return found


@pytest.mark.external
@pytest.mark.binder
def test_binder_install_runs_notebooks():
    pins = binder_pins()
    work = Path(tempfile.mkdtemp(prefix="fargate-lab-binder-"))
    try:
        home, venv, executed = work / "home", work / "env", work / "executed"
        copy_repository(home)
        names = [name for name in BINDER_NOTEBOOKS if (home / "notebooks" / name).is_file()]
        assert names and names[0] == "00_welcome.ipynb", f"notebooks/00_welcome.ipynb is missing from {names}"

        run("python -m venv", [sys.executable, "-m", "venv", str(venv)], timeout=120)
        env = binder_environment(home, venv)
        python = str(venv / "bin" / "python")
        run("pip install -r binder/requirements.txt",
            [python, "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
             "-r", str(home / "binder" / "requirements.txt")], timeout=900, cwd=home, env=env)
        post_build = run("binder/postBuild", [str(home / "binder" / "postBuild")], timeout=300, cwd=home, env=env)
        assert "postBuild: fargate-lab" in post_build.stdout
        assert not (home / "build").exists() and not (home / "fargate_lab.egg-info").exists()

        # the probe cell goes at the end of 00: which interpreter, which fargate-lab, which mode
        welcome = home / "notebooks" / names[0]
        notebook = json.loads(welcome.read_text())
        notebook["cells"].append({"cell_type": "code", "execution_count": None, "id": "binder-probe",
                                  "metadata": {}, "outputs": [], "source": PROBE})
        welcome.write_text(json.dumps(notebook))

        run("binder/start jupyter nbconvert --execute",
            [str(home / "binder" / "start"), "jupyter", "nbconvert", "--to", "notebook", "--execute",
             "--ExecutePreprocessor.timeout=300", "--output-dir", str(executed),
             *[f"notebooks/{name}" for name in names]], timeout=600, cwd=home, env=env)

        for name in names:
            result = json.loads((executed / name).read_text())
            code = [cell for cell in result["cells"] if cell["cell_type"] == "code"]
            assert code and all(cell["execution_count"] for cell in code), f"{name}: not every code cell ran"
            assert not error_outputs(result), f"{name} under Binder's install:\n" + "\n".join(error_outputs(result))

        probe_text = "".join(result_text for cell in json.loads((executed / names[0]).read_text())["cells"]
                             for output in cell.get("outputs", []) for result_text in output.get("text", ""))
        probe = json.loads(probe_text.split("BINDER-PROBE ", 1)[1].splitlines()[0])
        assert Path(probe["prefix"]).resolve() == venv.resolve(), f"the kernel did not run in Binder's env: {probe}"
        assert Path(probe["fargate_lab"]).resolve().is_relative_to(venv.resolve()), (
            f"fargate_lab was not imported from the installed package: {probe}")
        assert probe["mode"] == "virtual", f"binder/start did not set FARGATE_LAB_MODE=virtual: {probe}"
        for package in ("boto3", "ipywidgets", "matplotlib"):
            assert probe[package] == pins[package][0], f"{package} {probe[package]} is not the pinned version"
    finally:
        shutil.rmtree(work, ignore_errors=True)
