"""Time every notebook, top to bottom, as nbval runs them (virtual clock, a fresh kernel each).

    python bench/bench_notebooks.py            # prints seconds per notebook and the total

Target (issue 4): the whole set in 60 s or less on a 2-core machine.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def run(path: Path) -> tuple[float, int]:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    errors = sum(1 for cell in notebook.cells if cell.cell_type == "code"
                 for out in cell.get("outputs", []) if out.get("output_type") == "error")
    return time.perf_counter() - start, errors


def main() -> int:
    os.environ.setdefault("FARGATE_LAB_MODE", "virtual")
    print(f"notebooks, virtual clock, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"{'notebook':<28} {'seconds':>8}  errors")
    total, failed = 0.0, 0
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        seconds, errors = run(path)
        total += seconds
        failed += errors
        print(f"{path.name:<28} {seconds:>8.1f}  {errors}")
    print(f"{'total':<28} {total:>8.1f}  {failed}   (target <= 60 s: {'ok' if total <= 60 else 'MISSED'})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
