"""Static slides for presenters: `jupyter nbconvert --to slides` on every notebook that has slide metadata.

Live slides are jupyterlab-rise (the `presenter` extra; Ctrl+R in JupyterLab). The handout is
nbconvert's reveal.js export, which only reads the cells' `slideshow.slide_type`: "slide" starts a
horizontal slide, "subslide" a vertical one under it, "fragment" appears on the next key press,
"skip" is left out and "notes" goes to the speaker view. (The export loads reveal.js from a CDN when
it is opened; `--SlidesExporter.reveal_url_prefix=...` points it at a local copy.)
"""
from __future__ import annotations

import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.paths import NOTEBOOKS


def slide_types(path: Path) -> list[str]:
    cells = json.loads(path.read_text())["cells"]
    return [cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for cell in cells]


def with_slides() -> list[Path]:
    return [path for path in sorted(NOTEBOOKS.glob("*.ipynb"))
            if any(kind != "-" for kind in slide_types(path))]


class Sections(HTMLParser):
    """Counts reveal.js slides: top-level <section>s (horizontal) and those nested in them (vertical)."""

    def __init__(self):
        super().__init__()
        self.depth, self.outer, self.inner, self.notes = 0, 0, 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.outer += 1
            else:
                self.inner += 1
        elif tag == "aside" and "notes" in (dict(attrs).get("class") or "").split():
            self.notes += 1

    def handle_endtag(self, tag):
        if tag == "section":
            self.depth -= 1


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    notebooks = with_slides()
    if not notebooks:
        pytest.fail("no notebook in notebooks/ has slideshow metadata; presenters need it for slides")
    try:
        import nbconvert  # noqa: F401
    except ImportError:
        pytest.fail("nbconvert is not installed: install fargate-lab with the notebooks/test extras")
    out = tmp_path_factory.mktemp("slides")
    # one nbconvert process for all of them: the machine is small
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "slides", "--output-dir", str(out),
                           *map(str, notebooks)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"nbconvert --to slides failed:\n{done.stderr[-4000:]}"
    return {path.name: out / f"{path.stem}.slides.html" for path in notebooks}


@pytest.mark.parametrize("name", [path.name for path in with_slides()] or ["(none)"])
def test_slides_export(exported, name):
    html_path = exported[name]
    assert html_path.is_file(), f"nbconvert wrote no {html_path.name}"
    html = html_path.read_text()
    assert "<section" in html and "reveal" in html, f"{html_path.name} is not a reveal.js deck"

    kinds = slide_types(NOTEBOOKS / name)
    shown = [kind for kind in kinds if kind != "skip"]
    slides = kinds.count("slide") + (1 if shown and shown[0] != "slide" else 0)   # the first cell opens one
    subslides = kinds.count("subslide")
    parsed = Sections()
    parsed.feed(html)
    assert parsed.depth == 0, f"{html_path.name}: unbalanced <section> tags"
    assert parsed.outer == slides, f"{name}: {parsed.outer} horizontal slides, the metadata says {slides}"
    assert parsed.inner == slides + subslides, (
        f"{name}: {parsed.inner} vertical slides, the metadata says {slides + subslides}")
    assert parsed.notes == kinds.count("notes"), f"{name}: speaker notes lost ({parsed.notes} of {kinds.count('notes')})"


def test_the_rolling_deploy_notebook_has_slides():
    """The talk's demo is the one presenters show; it must carry slide metadata."""
    path = NOTEBOOKS / "06_rolling_deploy.ipynb"
    if not path.exists():
        pytest.fail("notebooks/06_rolling_deploy.ipynb does not exist yet")
    assert path in with_slides(), "06_rolling_deploy.ipynb has no slideshow metadata"
