"""notebooks/NN_name.ipynb from its paired percent-format source notebooks/NN_name.py (jupytext).

    python tools/notebooks.py sync [NN ...]      # .py -> .ipynb; a checked cell whose source is unchanged keeps its output
    python tools/notebooks.py execute [NN ...]   # sync, run on the virtual clock, keep the checked cells' outputs
    python tools/notebooks.py check              # every .ipynb matches its .py (what tests/notebooks/test_notebook_sources.py asserts)

Edit the .py (any editor), or the notebook in JupyterLab with jupytext installed: the header's
`formats: ipynb,py:percent` pairs the two and JupyterLab saves both. Only the code cells marked
`# NBVAL_CHECK_OUTPUT` keep outputs and execution counts in the committed .ipynb (stderr dropped), so
nbval compares exactly those; `execute` refreshes them after a change to such a cell.
"""
from __future__ import annotations

import difflib
import os
import sys
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHECK = "# NBVAL_CHECK_OUTPUT"
FORMAT = "py:percent"
# Written into every .ipynb (jupytext keeps only the kernelspec in the .py): nbconvert's highlighting.
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


def checked_outputs(outputs: list) -> list:
    """What a checked cell keeps: its outputs without stderr (library warnings are no part of a lesson)."""
    return [output for output in outputs if not (output.output_type == "stream" and output.name == "stderr")]


def sources(names: list[str] | None = None) -> list[Path]:
    """notebooks/NN_*.py, or those whose name starts with one of `names`."""
    found = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    return [path for path in found if not names or any(path.name.startswith(name) for name in names)]


def from_source(source: Path, previous=None):
    """The .ipynb of `source`; checked cells with the same source as in `previous` keep its outputs."""
    nb = jupytext.read(source, fmt=FORMAT)
    nb.metadata.get("jupytext", {}).pop("text_representation", None)
    nb.metadata["language_info"] = dict(LANGUAGE_INFO)
    kept = {}
    for cell in previous.cells if previous is not None else []:
        if cell.cell_type == "code" and CHECK in cell.source and cell.get("execution_count") is not None:
            kept.setdefault(cell.source, cell)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:02d}"   # stable ids: syncing again gives the same file
        if cell.cell_type == "code":
            old = kept.get(cell.source)
            cell.outputs = checked_outputs(old.outputs) if old is not None else []
            cell.execution_count = old.execution_count if old is not None else None
    nbformat.validate(nb)
    return nb


def read_paired(source: Path):
    target = source.with_suffix(".ipynb")
    return nbformat.read(target, as_version=4) if target.exists() else None


def sync(source: Path):
    nb = from_source(source, read_paired(source))
    nbformat.write(nb, source.with_suffix(".ipynb"))
    return nb


def execute(source: Path) -> None:
    from nbclient import NotebookClient
    nb = sync(source)
    os.environ["FARGATE_LAB_MODE"] = "virtual"   # checked outputs come from the virtual clock
    ran = nbformat.from_dict(nb)
    NotebookClient(ran, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    for cell, done in zip(nb.cells, ran.cells, strict=True):
        if cell.cell_type == "code" and CHECK in cell.source:
            cell.outputs = checked_outputs(done.outputs)
            cell.execution_count = done.execution_count
    nbformat.write(nb, source.with_suffix(".ipynb"))


def differences(name: str) -> list[str]:
    """What differs between notebooks/<name>.ipynb and notebooks/<name>.py (empty: they match)."""
    source, target = NOTEBOOKS / f"{name}.py", NOTEBOOKS / f"{name}.ipynb"
    missing = [f"notebooks/{path.name} does not exist" for path in (source, target) if not path.exists()]
    if missing:
        return missing
    found = []
    nb = nbformat.read(target, as_version=4)
    text, as_text = source.read_text(), jupytext.writes(nb, fmt=FORMAT)
    if as_text != text:
        found.append("".join(difflib.unified_diff(text.splitlines(True), as_text.splitlines(True),
                                                  f"notebooks/{source.name}", f"notebooks/{target.name} as {FORMAT}")))
    expected = jupytext.read(source, fmt=FORMAT)
    if [(c.cell_type, c.source) for c in expected.cells] != [(c.cell_type, c.source) for c in nb.cells]:
        found.append(f"notebooks/{target.name}: cell types or sources differ from notebooks/{source.name}")
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        checked = CHECK in cell.source
        if cell.outputs and not checked:
            found.append(f"notebooks/{target.name} cell {i}: outputs in a cell nbval does not check")
        if checked and cell.execution_count is None:
            found.append(f"notebooks/{target.name} cell {i}: a checked cell without its output (run `execute`)")
    return found


def names() -> list[str]:
    """Every notebook name, from either side of a pair."""
    return sorted({path.stem for pattern in ("[0-9][0-9]_*.py", "[0-9][0-9]_*.ipynb")
                   for path in NOTEBOOKS.glob(pattern)})


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("", [])
    if command in ("sync", "execute"):
        for source in sources(rest):
            if command == "sync":
                sync(source)
            else:
                execute(source)
            print(f"{command}: notebooks/{source.with_suffix('.ipynb').name}")
        return 0
    if command == "check":
        found = [line for name in names() for line in differences(name)]
        print("\n".join(found) or f"{len(names())} notebooks match their sources")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
