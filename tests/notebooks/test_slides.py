"""Slides for presenters: nbconvert's export of every notebook that has slide metadata, and `fargate-lab slides`.

Live slides are jupyterlab-rise (the `presenter` extra; Ctrl+R in JupyterLab). The handout is
nbconvert's reveal.js export, which only reads the cells' `slideshow.slide_type`: "slide" starts a
horizontal slide, "subslide" a vertical one under it, "fragment" appears on the next key press,
"skip" is left out and "notes" goes to the speaker view. A plain `jupyter nbconvert --to slides` loads
reveal.js from a CDN and has no pictures (stored outputs are pruned); `fargate-lab slides` runs the talk's
deck (slides/talk.py) on the virtual clock and writes it with its pictures and reveal.js beside it, which
the second half of this file checks: its slides and notes, its pictures, no network load, and (Chromium)
that it shows as slides with every http(s) request refused.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.notebooks.test_browser import CHROMIUM, CHROMIUM_ARGS
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


# -- `fargate-lab slides`: the talk's deck, executed, with its pictures, offline ----------------------------------

TALK_PICTURES = 5      # rolling deploy, task by task, half at a time, circuit breaker, canary
TALK_SCREENSHOT = "talk_slides.png"


def talk_source_kinds() -> list[str]:
    import jupytext
    from fargate_lab import slides
    nb = jupytext.read(slides.TALK, fmt=slides.FORMAT)
    return [cell.metadata.get("slideshow", {}).get("slide_type", "-") for cell in nb.cells]


@pytest.fixture(scope="module")
def talk_deck(tmp_path_factory) -> Path:
    """The talk's deck built once by the command itself (the deck runs on the virtual clock: about 15 s)."""
    from fargate_lab.cli import main
    out = tmp_path_factory.mktemp("talk-slides")
    code = main(["slides", "--out", str(out)])
    assert code == 0, "`fargate-lab slides` failed (its error is on stderr above)"
    return out / "talk.slides.html"


def test_the_talk_deck_has_its_slides_notes_and_pictures(talk_deck):
    from fargate_lab.slides import scan
    html = talk_deck.read_text()
    facts = scan(html)
    kinds = talk_source_kinds()
    shown = [kind for kind in kinds if kind != "skip"]
    assert shown[0] == "slide", "the deck's first shown cell opens its first slide"
    assert facts.slides == kinds.count("slide") >= 10, f"{facts.slides} horizontal slides, the source says {kinds.count('slide')}"
    assert facts.subslides == kinds.count("slide") + kinds.count("subslide")
    assert facts.notes == kinds.count("notes") == html.count('<aside class="notes">'), "speaker notes lost"
    assert facts.images >= TALK_PICTURES and html.count("data:image/png;base64,") >= TALK_PICTURES, (
        f"{facts.images} embedded pictures; the deck draws {TALK_PICTURES}")
    assert not re.search(r">\s*(Out\[\d+\]|In(&nbsp;| )\[\d*\]):", html), "prompts beside the pictures"
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, "a cell's warning shows on a slide"


def test_the_talk_deck_loads_reveal_js_from_beside_it_and_nothing_from_the_network(talk_deck):
    from fargate_lab.slides import scan
    facts = scan(talk_deck.read_text())
    assert not facts.external, f"the deck would fetch {facts.external} when opened"
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", talk_deck.read_text(), re.I), \
        "an http(s) URL in a src or href"
    local = facts.local
    for needed in ("reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js", "reveal.js/dist/reveal.css",
                   "reveal.js/dist/theme/white.css"):
        assert needed in local, f"the deck does not load {needed}"
    for url in local:
        assert (talk_deck.parent / url).is_file(), f"the deck loads {url}, which is not beside it"
    # the style sheets load only local files too (the theme imports its font from fonts/)
    for sheet in [talk_deck.parent / url for url in local if url.endswith(".css")]:
        for imported in re.findall(r"""(?:@import\s+|url\()\s*["']?([^"')\s]+)""", sheet.read_text()):
            assert not re.match(r"(https?:)?//", imported), f"{sheet.name} loads {imported}"
    assert (talk_deck.parent / "reveal.js" / "LICENSE").is_file()


def test_the_deck_runs_without_aws(monkeypatch):
    """The kernel that runs a deck gets the virtual clock and credentials no AWS account takes."""
    from fargate_lab.slides import kernel_env
    for name, value in {"AWS_PROFILE": "prod", "AWS_ACCESS_KEY_ID": "AKIAREAL", "AWS_SESSION_TOKEN": "t",
                        "FARGATE_LAB_MODE": "aws", "FARGATE_LAB_BACKEND": "aws"}.items():
        monkeypatch.setenv(name, value)
    env = kernel_env()
    assert env["FARGATE_LAB_MODE"] == "virtual" and "FARGATE_LAB_BACKEND" not in env
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env
    assert env["AWS_ACCESS_KEY_ID"] == "fargate-lab-slides"


def test_a_missing_deck_source_is_one_line(tmp_path, capsys):
    from fargate_lab.cli import main
    assert main(["slides", "--out", str(tmp_path), str(tmp_path / "nope.py")]) == 1
    assert "nope.py: no such deck source" in capsys.readouterr().err


@pytest.mark.external
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: `apt-get install -y chromium`")
def test_the_talk_deck_shows_as_slides_in_a_browser_offline(talk_deck):
    """Chromium with every http(s) request refused opens the deck from file://: reveal.js starts (slides,
    not one long page), a picture slide shows its picture (the screenshot goes to tests/artifacts/) and S
    opens the speaker view with the slide's notes."""
    from playwright.sync_api import sync_playwright
    from tests.paths import ARTIFACTS
    refused, failed, errors = [], [], []

    def offline(route):
        if route.request.url.startswith(("http://", "https://")):
            refused.append(route.request.url)
            return route.abort()
        return route.continue_()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            context.route("**/*", offline)   # the page and the speaker view's window
            page = context.new_page()
            page.on("requestfailed", lambda request: failed.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(talk_deck.as_uri())
            page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=15_000)
            horizontal = page.evaluate("Reveal.getHorizontalSlides().length")
            assert horizontal >= 10
            assert page.evaluate("document.scrollingElement.scrollHeight") <= 720, "the deck scrolls as one page"
            # the first slide with a picture
            page.evaluate("""() => { const all = Reveal.getSlides();
                const i = all.findIndex(s => s.querySelector('img[src^="data:image/png"]'));
                const at = Reveal.getIndices(all[i]); Reveal.slide(at.h, at.v); }""")
            page.wait_for_timeout(1200)   # the slide transition
            shown = page.evaluate("""() => { const img = Reveal.getCurrentSlide().querySelector('img');
                const box = img.getBoundingClientRect();
                return {w: box.width, h: box.height, bottom: box.bottom,
                        loaded: img.complete && img.naturalWidth > 0}; }""")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / TALK_SCREENSHOT))
            # S opens the speaker view (the notes plugin's own page) with the first slide's notes
            page.evaluate("Reveal.slide(0, 0)")
            with page.expect_popup() as opened:
                page.keyboard.press("s")
            speaker = opened.value
            speaker.wait_for_function(
                "document.querySelector('.speaker-controls-notes .value')?.textContent.includes('Fargate')",
                timeout=10_000)
        finally:
            browser.close()
    assert not refused and not failed, f"requests refused {refused} / failed {failed}"
    assert not errors, f"page errors: {errors}"
    assert shown["loaded"] and shown["w"] >= 600 and shown["h"] >= 300, f"the picture shows at {shown}"
    assert shown["bottom"] <= 720, f"the picture runs off the slide: {shown}"
