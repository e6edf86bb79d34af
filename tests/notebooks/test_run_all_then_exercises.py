"""What a learner does: Run All, then the exercises.  Each notebook runs top to bottom in one kernel
(clean-up cells included), then every exercise's published solution (the code in its <details> block)
runs, followed by its check cell, which must give its well-done line — no traceback, no "Not quite yet",
no "Not tried yet", no service gone."""
from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.paths import NOTEBOOKS

SOLUTION = re.compile(r"<summary>A solution</summary>.*?```python\n(.*?)```", re.S)
# exercises whose solution depends on a choice the learner makes elsewhere in the notebook
NOT_STANDALONE: set[tuple[str, int]] = set()


def exercises(notebook: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(number, solution code, check cell source) of each exercise, in order: a check cell calls check(...)
    or an `exercises` grader, and the markdown cell after it holds the solution."""
    found = []
    cells = notebook.cells
    for i, cell in enumerate(cells[:-1]):
        graded = "check(" in cell.source or "exercises." in cell.source
        if cell.cell_type != "code" or not graded or "def check" in cell.source:
            continue
        after = cells[i + 1]
        match = SOLUTION.search(after.source) if after.cell_type == "markdown" else None
        if match:
            code = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#") for line in
                             match.group(1).splitlines())
            found.append((len(found) + 1, code, cell.source))
    return found


def outputs_text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append(f"{output.ename}: {output.evalue}")
        elif "text/plain" in output.get("data", {}):
            parts.append(output.data["text/plain"])
    return "".join(parts)


NAMES = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("name", NAMES)
def test_run_all_then_every_published_solution_passes_its_check(name):
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    found = exercises(notebook)
    assert found, f"{name}: no exercise with a published solution found"
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}, allow_errors=True)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):      # Run All
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
                assert not any(o.output_type == "error" for o in cell.outputs), (name, index, outputs_text(cell))
        for number, solution, check_source in found:        # then the exercises, as a learner would
            if (name, number) in NOT_STANDALONE:
                continue
            said = []
            for source in (solution, check_source):
                cell = nbformat.v4.new_code_cell(source)
                notebook.cells.append(cell)
                client.execute_cell(cell, len(notebook.cells) - 1)
                said.append(outputs_text(cell))
            verdict = said[1]
            assert verdict.strip() and not verdict.startswith(("Not quite yet", "Not tried yet")), (name, number, said)
            assert "Error" not in said[0] + verdict and "is not here any more" not in verdict, (name, number, said)


def test_with_clean_up_on_a_check_explains_the_gone_service_instead_of_misleading(monkeypatch):
    """As on AWS (clean-up on by default there): Run All removes 04's service; the exercise's check then
    says the service is gone and how to get it back, not "set desiredCount=4"."""
    monkeypatch.setenv("FARGATE_LAB_CLEAN_UP", "1")
    notebook = nbformat.read(NOTEBOOKS / "04_services.ipynb", as_version=4)
    number, solution, check_source = exercises(notebook)[0]
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}}, allow_errors=True)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code":
                client.execute_cell(cell, index)
        assert any("Removed: service" in outputs_text(c) for c in notebook.cells)
        cell = nbformat.v4.new_code_cell(check_source)
        notebook.cells.append(cell)
        client.execute_cell(cell, len(notebook.cells) - 1)
    said = outputs_text(cell)
    assert said.startswith("Service my-application is not here any more") and "from the top" in said, said
    assert not any(o.output_type == "error" for o in cell.outputs)
