"""The rolling-deploy notebook in a real browser, as a presenter runs it.

JupyterLab is started from this interpreter's environment (FARGATE_LAB_MODE=virtual), Debian's
Chromium opens notebooks/06_rolling_deploy.ipynb through Playwright, Run > Run All Cells runs it, and
the test checks what a person would see: the ipympl live plot drawn, the demo panel's buttons and
sliders, no "Error displaying widget", no tracebacks. The screenshot lands in
tests/artifacts/06_rolling_deploy.png.

Needs `apt-get install chromium` and `pip install playwright` (no `playwright install`: it downloads
browsers; this launches /usr/bin/chromium). Skipped only when /usr/bin/chromium is absent.
JupyterLab's settings, workspaces, runtime files and user data go to a temporary directory, and
autosave is off, so the notebook on disk is never written.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.paths import ARTIFACTS, REPO

NOTEBOOK = "notebooks/06_rolling_deploy.ipynb"
SCREENSHOT = ARTIFACTS / "06_rolling_deploy.png"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RUN_TIMEOUT = 300          # seconds for Run All Cells (the virtual clock needs well under a minute)
REAL_SPEED = 40            # the real-mode run: about 75 s of Run All on this 2-core machine

pytestmark = [pytest.mark.external, pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason=(
    "/usr/bin/chromium is absent: `apt-get install -y chromium` (Debian) to run the browser test"))]

# JupyterLab user settings for the test: no autosave (the notebook on disk stays as committed), every
# cell in the DOM (no windowing), and no news or update checks (no network, no toasts in the picture).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"checkForUpdates": False,
                                                                         "fetchNews": "false"},
}

# What the page shows, read in one go: prompts, kernel state, outputs that are errors.
PAGE_STATE = """() => {
  const notebook = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!notebook) return null;
  const prompts = [...notebook.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
  const indicator = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');
  const errors = [...notebook.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
      .map(e => e.innerText).filter(t => /Traceback|^\\w*(Error|Exception)\\b/m.test(t));
  return {prompts, status: indicator ? indicator.getAttribute('data-status') : null, errors,
          text: document.body.innerText};
}"""

KERNEL_READY = """() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]
    .some(item => /^(?!No Kernel).+ \\| Idle$/.test(item.textContent.trim()))"""

# Each ipympl figure's main canvas (the first; the second is the zoom-rectangle overlay): its size and
# how many sampled pixels are drawn (neither white nor transparent); -1 when it cannot be read.
CANVAS_STATE = """() => [...document.querySelectorAll('.jupyter-matplotlib')].map(figure => {
  const c = figure.querySelector('canvas');
  if (!c) return {width: 0, height: 0, inked: -1};
  let inked = 0;
  try {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < data.length; i += 4 * 7) {
      if (data[i + 3] > 0 && (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200)) inked++;
    }
  } catch (e) { inked = -1; }
  return {width: c.width, height: c.height, inked};
})"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab on a free loopback port with a random token, this interpreter's environment; its
    kernels run the notebooks on the virtual clock."""
    yield from serve_jupyterlab(tmp_path_factory, FARGATE_LAB_MODE="virtual")


@pytest.fixture(scope="module")
def jupyterlab_real(tmp_path_factory):
    """The same, with kernels on the real clock as a presenter runs them: 40x AWS speed, 1 s holds."""
    yield from serve_jupyterlab(tmp_path_factory, FARGATE_LAB_MODE="real", FARGATE_LAB_SPEED=str(REAL_SPEED),
                                FARGATE_LAB_HOLD="1")


def serve_jupyterlab(tmp_path_factory, **fargate_lab_env):
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        pytest.fail("jupyterlab is not installed: install fargate-lab's notebooks extra")
    home = tmp_path_factory.mktemp("jupyterlab")
    for name, values in LAB_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("JUPYTER", "FARGATE_LAB_", "MPLBACKEND", "PYTEST_"))}
    env.update(**fargate_lab_env, JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_DATA_DIR=str(home / "data"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               IPYTHONDIR=str(home / "ipython"), MPLCONFIGDIR=str(home / "matplotlib"))
    log_path = home / "jupyterlab.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={REPO}",
         f"--FileCheckpoints.checkpoint_dir={home / 'checkpoints'}",   # not notebooks/.ipynb_checkpoints
         "--LabApp.extension_manager=readonly", *(["--allow-root"] if os.geteuid() == 0 else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in 90 s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "log": log_path}
    finally:
        server.terminate()                     # SIGTERM: the server shuts its kernels down and exits
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        try:                                   # its kernels: the process group that this test started
            os.killpg(server.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        log.close()


def menu(page, title: str, command: str) -> None:
    """Click a menu bar entry, then the item that runs `command`."""
    page.locator("#jp-menu-panel .lm-MenuBar-item", has_text=re.compile(f"^{title}$")).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def accept_kernel_dialog(page) -> None:
    """JupyterLab sometimes asks which kernel to use even though the notebook names one: take it."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and "Select Kernel" in dialog.first.inner_text():
        dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()
        dialog.first.wait_for(state="detached", timeout=10_000)


def wait_for_run(page, seconds: float) -> dict:
    """Until every code cell has an execution count and the kernel is idle; stops early on an error,
    a dialog, or a run that never started."""
    started = time.monotonic()
    deadline = started + seconds
    state, began, retried = None, False, False
    while time.monotonic() < deadline:
        accept_kernel_dialog(page)
        if page.locator(".jp-Dialog").count():
            pytest.fail(f"a dialog blocks the notebook: {page.locator('.jp-Dialog').first.inner_text()!r}")
        state = page.evaluate(PAGE_STATE)
        if state and state["errors"]:
            return state
        prompts = state["prompts"] if state else []
        began = began or any(prompt != "[ ]:" for prompt in prompts)
        if not began and not retried and time.monotonic() - started > 30:
            menu(page, "Run", "runmenu:run-all")   # once more: the first click can beat the kernel's start
            retried = True
        if not began and time.monotonic() - started > 60:
            pytest.fail(f"Run All Cells did not start a single cell in 60 s (kernel {state and state['status']})")
        if prompts and state["status"] == "idle" and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return state
        page.wait_for_timeout(1000)
    pytest.fail(f"Run All Cells did not finish in {seconds:.0f} s: kernel {state and state['status']}, "
                f"prompts {state and state['prompts']}")


@dataclasses.dataclass
class OpenNotebook:
    page: Any
    page_errors: list[str] = dataclasses.field(default_factory=list)
    console_errors: list[str] = dataclasses.field(default_factory=list)


@contextlib.contextmanager
def notebook_in_chromium(lab: dict, notebook: str, failure: Path) -> Iterator[OpenNotebook]:
    """`notebook` open in Debian's Chromium with its kernel ready, the page's errors collected; on failure a
    screenshot at `failure`; afterwards, the notebook on disk must be as it was (autosave is off)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: pip install playwright "
                    "(never `playwright install`: this test launches /usr/bin/chromium)")
    assert (REPO / notebook).is_file(), f"{notebook} does not exist"
    on_disk = (REPO / notebook).read_bytes()
    ARTIFACTS.mkdir(exist_ok=True)
    failure.unlink(missing_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            opened = OpenNotebook(browser.new_page(viewport={"width": 1440, "height": 1100}))
            page = opened.page
            page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
            page.on("console", lambda message: opened.console_errors.append(message.text)
                    if message.type == "error" else None)
            try:
                page.goto(f"{lab['base']}/lab/tree/{notebook}?reset&token={lab['token']}",
                          wait_until="domcontentloaded", timeout=120_000)
                page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
                # the kernel is ready when the status bar names it and says Idle (the toolbar's indicator
                # says "idle" already while the status bar still reads "No Kernel | Initializing")
                page.wait_for_function(KERNEL_READY, timeout=120_000)
                accept_kernel_dialog(page)
                yield opened
            except BaseException:
                page.screenshot(path=str(failure))
                raise
        finally:
            browser.close()
    assert (REPO / notebook).read_bytes() == on_disk, f"the test wrote to {notebook}"


def run_all(page, fold_file_browser: bool = True) -> None:
    """Run > Run All Cells, as a presenter would (the file browser folded away: a wider notebook)."""
    if fold_file_browser:
        page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()
    menu(page, "Run", "runmenu:run-all")


def test_rolling_deploy_notebook_in_chromium(jupyterlab):
    with notebook_in_chromium(jupyterlab, NOTEBOOK, ARTIFACTS / "06_rolling_deploy_failure.png") as opened:
        page, console_errors = opened.page, opened.console_errors
        run_all(page)

        state = wait_for_run(page, RUN_TIMEOUT)
        page.wait_for_timeout(1500)   # widget views and the last canvas frame settle
        state = page.evaluate(PAGE_STATE)
        assert not state["errors"], "error outputs in the notebook:\n" + "\n---\n".join(state["errors"])
        assert "Error displaying widget" not in state["text"], f"a widget failed to render: {console_errors}"
        assert "Model not found" not in state["text"], "a widget model was not found"

        # the demo panel: its buttons and sliders
        assert page.locator(".widget-button", has_text="Deploy new version").count() >= 1, (
            "the demo panel's buttons are not on the page")
        assert page.locator(".widget-slider").count() >= 3, "the demo panel's sliders are not on the page"
        assert page.locator(".jupyter-widgets").count() >= 10

        # the ipympl live plot: a canvas with something drawn on it
        page.wait_for_function(
            "() => document.querySelectorAll('.jupyter-matplotlib canvas').length > 0", timeout=30_000)
        canvases = page.evaluate(CANVAS_STATE)
        blank = [c for c in canvases if not (c["width"] > 200 and c["height"] > 100 and c["inked"] > 100)]
        assert canvases and not blank, (
            f"an ipympl figure is blank: {canvases} (width, height, drawn pixels sampled); "
            f"browser console errors: {console_errors}")
        assert not [e for e in console_errors if "Error setting state" in e or "widget" in e.lower()], (
            f"widget errors in the browser console: {console_errors}")

        # the picture: the demo panel (buttons, sliders, status) with the live plot under it
        page.evaluate("""() => {
          const button = [...document.querySelectorAll('.widget-button')]
              .filter(b => b.textContent.includes('Deploy new version')).pop();
          button.closest('.widget-hbox').scrollIntoView({block: 'start'});
        }""")
        page.wait_for_timeout(500)
        page.screenshot(path=str(SCREENSHOT))

    assert not [e for e in opened.page_errors if "widget" in e.lower() or "matplotlib" in e.lower()], (
        opened.page_errors)


def test_rise_slideshow_of_the_rolling_deploy_notebook(jupyterlab):
    """jupyterlab-rise (the presenter extra) serves the notebook as a reveal.js deck at /rise/<path>,
    which is also what its Ctrl+R / "Render as slideshow" opens inside JupyterLab. Only the deck is
    checked: with jupyterlab-rise 0.43.1 that app cannot load the widget manager, so ipywidgets and
    ipympl outputs show as text there (present the live plot and demo panel from JupyterLab itself)."""
    from playwright.sync_api import sync_playwright

    cells = json.loads((REPO / NOTEBOOK).read_text())["cells"]
    kinds = [cell.get("metadata", {}).get("slideshow", {}).get("slide_type") for cell in cells]
    first_title = next(line.lstrip("# ").strip() for line in "".join(cells[0]["source"]).splitlines() if line.strip())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{jupyterlab['base']}/rise/{NOTEBOOK}?token={jupyterlab['token']}", timeout=120_000)
            page.wait_for_selector(".reveal .slides section", timeout=120_000)
            sections = page.locator(".reveal .slides section").count()
            assert sections >= kinds.count("slide") + kinds.count("subslide"), (
                f"RISE shows {sections} slides; the metadata has {kinds.count('slide')} slides "
                f"and {kinds.count('subslide')} subslides")
            page.locator(".reveal .slides section.present h1", has_text=first_title).first.wait_for(
                state="visible", timeout=30_000)
        finally:
            browser.close()


# The live plot's picture (an image widget off the virtual clock): the box under its "Start live plot" button.
LIVE_IMAGE = """() => {
  const start = [...document.querySelectorAll('.widget-button')].find(b => b.textContent.includes('Start live plot'));
  const img = start && start.closest('.widget-vbox').querySelector('img');
  return img ? {width: img.naturalWidth, height: img.naturalHeight} : null;
}"""
# The demo panel's status line: the last label in the box that holds its buttons.
PANEL_STATUS = """() => {
  const button = [...document.querySelectorAll('.widget-button')].filter(b => b.textContent.includes('Deploy new version')).pop();
  if (!button) return null;
  const labels = button.closest('.widget-hbox').parentElement.querySelectorAll(':scope > .widget-label');
  return labels.length ? labels[labels.length - 1].textContent : null;
}"""


def test_rolling_deploy_on_the_real_clock_with_run_all(jupyterlab_real):
    """A presenter's Run All on the real clock: the live plot is on screen and moving while later cells
    still wait, then each demo-panel button does what it says and the status line narrates it."""
    shots = [ARTIFACTS / f"06_real_live_{n}.png" for n in (1, 2)]
    with notebook_in_chromium(jupyterlab_real, NOTEBOOK, ARTIFACTS / "06_real_failure.png") as opened:
        page = opened.page
        run_all(page)

        # the live plot shows while Run All is still under way
        page.wait_for_function(f"() => {{ const s = ({LIVE_IMAGE})(); return s && s.width > 300; }}",
                               timeout=180_000)
        during = page.evaluate(PAGE_STATE)
        assert during["status"] == "busy" and any(p in ("[*]:", "[ ]:") for p in during["prompts"]), (
            "the live plot appeared only once Run All was over")
        # the picture alone: the box's status line ("N frames") changes whether or not the plot does
        plot = page.locator(".widget-vbox", has=page.locator(".widget-button", has_text="Start live plot")
                            ).first.locator("img").first
        plot.scroll_into_view_if_needed()
        plot.screenshot(path=str(shots[0]))
        page.wait_for_timeout(3000)
        plot.screenshot(path=str(shots[1]))
        assert shots[0].read_bytes() != shots[1].read_bytes(), "the live plot did not move in 3 s of Run All"

        state = wait_for_run(page, 420)
        assert not state["errors"], "error outputs in the notebook:\n" + "\n---\n".join(state["errors"])

        def click_and_read(button: str, *expected: str, seconds: float = 120) -> str:
            page.locator(".widget-button", has_text=button).last.click()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                status = page.evaluate(PANEL_STATUS) or ""
                if all(text in status for text in expected):
                    return status
                page.wait_for_timeout(500)
            pytest.fail(f"after {button!r} the status line never said {expected}: {status!r}")

        click_and_read("Deploy new version", "rolled out: COMPLETED")
        before = plot.screenshot()
        said = click_and_read("Deploy broken version", "rolled back:", "serves again")
        assert plot.screenshot() != before, "the live plot did not follow the broken release"
        click_and_read("Kill a task", "killed task", seconds=30)
        click_and_read("Scale to desired count", "scaled to", seconds=30)
        page.screenshot(path=str(ARTIFACTS / "06_real_panel.png"))
        assert "serves again" in said


def test_traffic_shifting_notebook_in_chromium(jupyterlab):
    """07 with Run All on the virtual clock: every cell ran, no error output, no widget failure, and its
    pictures (the per-minute canary plot at least) are drawn images, not blank ones."""
    notebook = "notebooks/07_traffic_shifting.ipynb"
    with notebook_in_chromium(jupyterlab, notebook, ARTIFACTS / "07_traffic_shifting_failure.png") as opened:
        page = opened.page
        run_all(page, fold_file_browser=False)
        state = wait_for_run(page, RUN_TIMEOUT)
        page.wait_for_timeout(1000)
        state = page.evaluate(PAGE_STATE)
        assert not state["errors"], "error outputs in the notebook:\n" + "\n---\n".join(state["errors"])
        assert "Error displaying widget" not in state["text"]
        assert "ROLLBACK_SUCCESSFUL" in state["text"] and "ALARM" in state["text"], (
            "the canary's alarm rollback is not on the page")
        pictures = page.evaluate("""() => [...document.querySelectorAll(
            '.jp-OutputArea-output img')].map(img => [img.naturalWidth, img.naturalHeight])""")
        assert pictures and all(w > 300 and h > 150 for w, h in pictures), pictures
        page.locator(".jp-OutputArea-output img").last.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "07_traffic_shifting.png"))

