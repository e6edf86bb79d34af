"""Each notebooks/NN_name.ipynb is its paired jupytext source notebooks/NN_name.py (tools/notebooks.py).

The .py is what people edit and review; the .ipynb is what Jupyter, nbval and Binder open. They must not
drift: same cells, cell types, sources and cell metadata (slide types, tags), and outputs only where nbval
compares them. The code cells are also linted here (pyflakes: undefined names, unused imports).
"""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import NOTEBOOKS, REPO


pytest.importorskip("jupytext", reason="jupytext is in the notebooks extra")
spec = importlib.util.spec_from_file_location("notebooks_tool", REPO / "tools" / "notebooks.py")
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)


def test_there_are_notebooks_and_each_has_a_source():
    ipynbs = sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb"))
    sources = sorted(path.stem for path in NOTEBOOKS.glob("*.py") if path.name != "conftest.py")
    assert len(ipynbs) >= 8, f"notebooks/ holds {ipynbs}"
    assert ipynbs == sources, "every notebook needs its paired .py source and vice versa (tools/notebooks.py sync)"
    assert tool.names() == ipynbs


@pytest.mark.parametrize("name", tool.names())
def test_notebook_matches_its_source(name):
    found = tool.differences(name)
    assert not found, ("\n".join(found) + f"\n\nnotebooks/{name}.ipynb is not its .py: run "
                       f"`python tools/notebooks.py sync {name[:2]}` (or `execute` if a checked cell changed)")


@pytest.mark.parametrize("name", tool.names())
def test_source_is_paired_for_jupyterlab(name):
    text = (NOTEBOOKS / f"{name}.py").read_text()
    assert text.startswith("# ---\n# jupyter:\n#   jupytext:\n#     formats: ipynb,py:percent\n"), (
        f"notebooks/{name}.py lacks the jupytext header that pairs it with its .ipynb")
    assert "\n# %%" in text


def test_jupyterlab_opens_and_saves_the_pair_unchanged(tmp_path):
    """JupyterLab with jupytext (its contents manager): open + save writes both files back byte for byte,
    and an edit to the .py shows in the notebook it opens next."""
    contents = pytest.importorskip("jupytext.sync_contentsmanager")
    pytest.importorskip("jupyter_server")
    for suffix in (".py", ".ipynb"):
        shutil.copy(NOTEBOOKS / f"06_rolling_deploy{suffix}", tmp_path / f"06_rolling_deploy{suffix}")
    manager = contents.TextFileContentsManager(root_dir=str(tmp_path))
    manager.save(manager.get("06_rolling_deploy.ipynb"), "06_rolling_deploy.ipynb")
    for suffix in (".py", ".ipynb"):
        saved = (tmp_path / f"06_rolling_deploy{suffix}").read_text()
        assert saved == (NOTEBOOKS / f"06_rolling_deploy{suffix}").read_text(), f"saving changed the {suffix}"
    source = tmp_path / "06_rolling_deploy.py"
    source.write_text(source.read_text().replace("# # 06 · Rolling deployments", "# # 06 · Edited", 1))
    first = manager.get("06_rolling_deploy.ipynb")["content"]["cells"][0]
    assert first["source"].startswith("# 06 · Edited")


def test_sync_is_stable(tmp_path, monkeypatch):
    """Syncing a source twice gives the same file, outputs of unchanged checked cells included."""
    source = tmp_path / "00_welcome.py"
    shutil.copy(NOTEBOOKS / source.name, source)
    shutil.copy(NOTEBOOKS / "00_welcome.ipynb", tmp_path / "00_welcome.ipynb")
    committed = (NOTEBOOKS / "00_welcome.ipynb").read_text()
    tool.sync(source)
    assert (tmp_path / "00_welcome.ipynb").read_text() == committed
    (tmp_path / "00_welcome.ipynb").unlink()
    fresh = tool.sync(source)   # no .ipynb yet: the structure, and no outputs at all
    assert not any(cell.get("outputs") for cell in fresh.cells)


def test_drift_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(tool, "NOTEBOOKS", tmp_path)
    for suffix in (".py", ".ipynb"):
        shutil.copy(NOTEBOOKS / f"00_welcome{suffix}", tmp_path / f"00_welcome{suffix}")
    assert tool.differences("00_welcome") == []
    source = tmp_path / "00_welcome.py"
    source.write_text(source.read_text().replace("# # ECS on Fargate, hands-on: welcome", "# # Welcome", 1))
    found = tool.differences("00_welcome")
    assert found and "-# # Welcome" in found[0] and "+# # ECS on Fargate, hands-on: welcome" in found[0]
    tool.sync(source)
    assert tool.differences("00_welcome") == []
    notebook = tool.nbformat.read(tmp_path / "00_welcome.ipynb", as_version=4)
    unchecked = next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code" and tool.CHECK not in cell.source)
    notebook.cells[unchecked].outputs = [tool.nbformat.v4.new_output("stream", text="noise\n")]
    tool.nbformat.write(notebook, tmp_path / "00_welcome.ipynb")
    assert tool.differences("00_welcome") == [f"notebooks/00_welcome.ipynb cell {unchecked}: outputs in a cell nbval does not check"]
    (tmp_path / "00_welcome.ipynb").unlink()
    assert tool.differences("00_welcome") == ["notebooks/00_welcome.ipynb does not exist"]


def test_notebook_code_passes_pyflakes():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (test extra)")
    sources = sorted(str(path) for path in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    done = subprocess.run([ruff, "check", "--isolated", "--select", "F,E9", "--output-format", "concise", *sources],
                          check=False, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
