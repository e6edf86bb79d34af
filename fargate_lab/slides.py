"""Slide decks that work offline: executed on the virtual clock, pictures embedded, reveal.js beside them.

    from fargate_lab import slides
    deck = slides.build(slides.TALK, Path("build/slides"))   # -> build/slides/talk.slides.html + reveal.js/
    print(deck.describe())

`build` reads a deck source (a jupytext percent-format `.py` such as `slides/talk.py`, or an `.ipynb` such as
`notebooks/06_rolling_deploy.ipynb`, whose stored outputs are pruned), runs it in a fresh kernel on the
local cloud's virtual clock (`FARGATE_LAB_MODE=virtual`, dummy credentials: nothing can reach AWS) and
exports it with nbconvert's SlidesExporter, so the plots are in the HTML as PNG data. The template
(`data/slides_template/fargate-lab-reveal`) is nbconvert's reveal template without its network loads
(jQuery, require.js, MathJax, mermaid, the widget manager); reveal.js 4.0.2 itself is copied from
`data/reveal.js` into `<out>/reveal.js/`, so the deck opens from `file://` or `python -m http.server`.

Cells say what they are with `slideshow.slide_type` (slide, subslide, fragment, notes, skip) and tags:
`remove_input` shows only a cell's output (a picture), `remove_cell` drops a cell, `remove_output` its output.
Widgets cannot run in a static deck: their outputs become a one-line note (see docs/slides.md).
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
REVEAL = DATA / "reveal.js"                  # reveal.js 4.0.2, only what a deck loads (see its README.md)
TEMPLATES = DATA / "slides_template"
TEMPLATE = "fargate-lab-reveal"
REVEAL_FOLDER = "reveal.js"                  # next to the deck; the HTML refers to it relatively
SIZE = ("1280", "720")                       # reveal.js's slide size in CSS pixels, scaled to the screen
THEME = "white"                              # the one theme vendored: its font is in data/reveal.js too
TALK = Path(__file__).resolve().parent.parent / "slides" / "talk.py"   # the talk's deck, in the repository
FORMAT = "py:percent"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ('<p class="widget-note"><em>A live widget: run this cell in JupyterLab '
               '(docs/slides.md, "Widgets").</em></p>')
TIMEOUT = 600                                # seconds per cell


class SlidesError(ValueError):
    """A deck that cannot be built: a missing source, a cell that raised. One line for the CLI."""


@dataclass
class Deck:
    """A built deck and what is in it."""
    source: Path
    html: Path
    seconds: float
    facts: DeckFacts

    def describe(self) -> str:
        size = self.html.stat().st_size / 1024
        return (f"{self.html}: {self.facts.slides} slides and {self.facts.subslides - self.facts.slides} below them, "
                f"{self.facts.images} pictures, {self.facts.notes} speaker notes, {size:,.0f} KB, "
                f"built in {self.seconds:.0f} s")


@dataclass
class DeckFacts:
    """What a reveal.js deck holds: horizontal slides (top-level <section>s), the vertical ones in them,
    speaker notes, embedded PNGs, and every URL it would load (scripts, style sheets, images, frames)."""
    slides: int = 0
    subslides: int = 0
    notes: int = 0
    images: int = 0
    loads: list[str] = field(default_factory=list)

    @property
    def external(self) -> list[str]:
        """Loads that would go to the network (http, https, protocol-relative)."""
        return [url for url in self.loads if url.lower().startswith(("http:", "https:", "//"))]

    @property
    def local(self) -> list[str]:
        """Loads of files next to the deck (relative paths; data: URLs are inside it)."""
        return [url for url in self.loads if not url.lower().startswith(("http:", "https:", "//", "data:", "#"))]


class _Scan(HTMLParser):
    LOADING = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src", "audio": "src",
               "embed": "src", "link": "href", "object": "data"}

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.facts = DeckFacts()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self.depth += 1
            if self.depth == 1:
                self.facts.slides += 1
            elif self.depth == 2:
                self.facts.subslides += 1
        elif tag == "aside" and "notes" in (found.get("class") or "").split():
            self.facts.notes += 1
        url = found.get(self.LOADING.get(tag, ""))
        if url:
            self.facts.loads.append(url)
            if tag == "img" and url.startswith("data:image/png"):
                self.facts.images += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.depth -= 1


def scan(html: str) -> DeckFacts:
    """The facts of a deck's HTML (nbconvert nests each slide's sections: a horizontal slide holds its own
    first vertical one, so `subslides` counts those too)."""
    parser = _Scan()
    parser.feed(html)
    parser.close()
    return parser.facts


def read(source: Path) -> Any:
    """A notebook from a percent-format .py (jupytext) or an .ipynb."""
    import nbformat
    if not source.is_file():
        raise SlidesError(f"{source}: no such deck source (a jupytext .py or an .ipynb)")
    if source.suffix == ".py":
        import jupytext  # type: ignore[import-untyped]
        return jupytext.read(source, fmt=FORMAT)
    if source.suffix == ".ipynb":
        return nbformat.read(source, as_version=4)
    raise SlidesError(f"{source}: a deck source is a jupytext percent-format .py or an .ipynb")


def kernel_env() -> dict[str, str]:
    """The kernel's environment: the virtual clock, and credentials that no AWS account accepts, so that
    even a cell that escaped the local cloud could not reach (or bill) a real one."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "FARGATE_LAB_BACKEND", "FARGATE_LAB_CLEAN_UP"))}
    env.update(FARGATE_LAB_MODE="virtual", AWS_ACCESS_KEY_ID="fargate-lab-slides",
               AWS_SECRET_ACCESS_KEY="fargate-lab-slides", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    return env


def this_python_kernel() -> Any:
    """A kernel manager for this interpreter's ipykernel: a "python3" kernelspec of the user's own (another
    environment's Python) would run the deck without fargate-lab, or with another copy of it."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import KernelManager

    class ThisPython(KernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="Python 3 (fargate-lab slides)", language="python")
    return ThisPython()


def execute(nb: Any, cwd: Path, timeout: int = TIMEOUT) -> Any:
    """Run every code cell in a fresh kernel started in `cwd`; a cell that raises stops the build."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    client = NotebookClient(nb, timeout=timeout, km=this_python_kernel(), resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=kernel_env())
    except CellExecutionError as error:
        first = str(error).strip().splitlines()
        raise SlidesError(f"a cell raised while the deck ran: {first[-1] if first else error}") from error
    return nb


def for_slides(nb: Any) -> Any:
    """What a static deck can show: widget outputs become a note, stderr (library warnings) goes, and the
    widget state nbclient saved is dropped (the template would fetch a widget manager for it)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                continue
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                output["data"] = {"text/html": WIDGET_NOTE, "text/plain": "(a live widget)"}
            kept.append(output)
        cell["outputs"] = kept
    return nb


def exporter() -> Any:
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config
    config = Config()
    config.SlidesExporter.reveal_url_prefix = REVEAL_FOLDER
    config.SlidesExporter.reveal_theme = THEME   # nbconvert's default, "simple", imports Google Fonts
    config.SlidesExporter.reveal_width, config.SlidesExporter.reveal_height = SIZE   # a 16:9 projector
    config.SlidesExporter.exclude_input_prompt = True    # no "In [3]:" / "Out[3]:" beside code and pictures
    config.SlidesExporter.exclude_output_prompt = True
    made = SlidesExporter(config=config, template_name=TEMPLATE, extra_template_basedirs=[str(TEMPLATES)])
    made.register_preprocessor(TagRemovePreprocessor(
        remove_input_tags={"remove_input"}, remove_cell_tags={"remove_cell"},
        remove_all_outputs_tags={"remove_output"}), enabled=True)
    return made


def copy_reveal(out: Path) -> Path:
    """reveal.js next to the decks in `out` (refreshed every build)."""
    target = out / REVEAL_FOLDER
    shutil.copytree(REVEAL, target, dirs_exist_ok=True)
    return target


def build(source: Path, out: Path, run: bool = True, timeout: int = TIMEOUT) -> Deck:
    """Execute `source` (unless `run` is False) and write `<out>/<stem>.slides.html` and `<out>/reveal.js/`."""
    started = time.monotonic()
    source = Path(source)
    nb = read(source)
    if run:
        execute(nb, source.resolve().parent, timeout=timeout)
    for_slides(nb)
    name = source.stem.removesuffix(".slides")
    body, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": name}})
    html = out / f"{name}.slides.html"
    facts = scan(body)
    if facts.external:      # checked before anything is written: a deck that needs the network is no deck
        raise SlidesError(f"{html} would load {facts.external[0]} from the network")
    out.mkdir(parents=True, exist_ok=True)
    copy_reveal(out)
    html.write_text(body, encoding="utf-8")
    return Deck(source=source, html=html, seconds=time.monotonic() - started, facts=facts)
