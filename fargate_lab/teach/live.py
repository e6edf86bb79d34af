"""A live plot of a service: tasks per deployment and the load balancer's view, redrawn as it changes.

    live = LivePlot(recorder)
    display(live.widget())      # ipympl canvas under `%matplotlib widget`, else a PNG image widget
    live.start()                # real clock: a daemon thread samples and redraws 4 times a second
    ...
    live.stop()                 # or the widget's Stop button; `with LivePlot(...) as live:` stops on exit

    live.run(600, step=5)       # virtual clock: advance 5 s, sample, redraw; headless runs end with a figure

Every matplotlib call on this figure happens under one lock, from whichever thread
samples; on ipympl the canvas is drawn right there and the image goes to the browser
as a comm message, so the plot moves even while another cell runs, and nbval (which
ignores comm messages) sees nothing.
"""
from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .plots import draw_timeline, place_legends
from .sampling import Recorder, Sample

DEFAULT_INTERVAL = 0.25          # seconds of wall time between redraws: 4 a second
MAX_FAILURES = 3                 # consecutive failed samples before the sampler gives up
FIGURE_SIZE = (10, 5.0)
IMAGE_DPI = 72                   # the PNG fallback: small enough to encode 4 times a second


def ipympl_active() -> bool:
    """Is matplotlib drawing through ipympl (`%matplotlib widget` / `%matplotlib ipympl`)?"""
    backend = matplotlib.get_backend().lower()
    return "ipympl" in backend or backend.endswith("widget")


class LivePlot:
    def __init__(self, recorder: Recorder, interval: float = DEFAULT_INTERVAL, window: float | None = None,
                 sleep: Callable[[float], None] | None = None, title: str | None = None,
                 output: str | None = None):
        """`window`: show only the last so many cloud seconds.  `sleep`: how `run()` lets cloud
        time pass (default: local.sleep; pass `lab.sleep`).  `output`: "ipympl", "image" or
        "figure" (headless); chosen from the matplotlib backend when not given."""
        self.recorder = recorder
        self.interval = interval
        self.window = window
        self.title = title or f"service {recorder.service} ({recorder.cluster})"
        self._sleep = sleep
        self.output = output or ("ipympl" if ipympl_active() else "image")
        self.frames = 0                 # samples drawn into the figure
        self.renders = 0                # times the figure was rendered and shown
        self._last_shown = 0.0
        self._shown_frame = 0
        self._legend_key: tuple = ()
        self.listeners: list[Callable[[Sample], None]] = []  # e.g. a DemoPanel's status line
        self.last_error: Exception | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._widget = None
        self._image: Any = None            # an ipywidgets.Image when the output is "png"
        self.figure = self._make_figure()
        self._tasks_ax, self._targets_ax = self.figure.subplots(2, 1, sharex=True, height_ratios=(3, 1.3))

    # -- one frame ------------------------------------------------------------------------
    def update(self, force: bool = False) -> Sample:
        """Take one sample and redraw: the unit both the sampler thread and `run()` repeat."""
        sample = self.recorder.sample()
        self.redraw(force)
        for listener in list(self.listeners):
            listener(sample)
        return sample

    def redraw(self, force: bool = True) -> None:
        """Count a frame and show it, unless one was shown less than `interval` wall seconds ago.
        A virtual-clock run takes hundreds of steps a second: every step is in the data, but
        drawing each one would only slow the notebook down; the last one is always shown."""
        if not self.recorder.samples:
            return
        with self._lock:
            self.frames += 1
            if force or time.monotonic() - self._last_shown >= self.interval:
                self.show()

    def show(self) -> None:
        """Draw every sample so far into the figure and push it to the widget."""
        samples = list(self.recorder.samples)
        if not samples:
            return
        with self._lock:
            self._draw_samples(samples)
            self._present()
            self.renders += 1
            self._last_shown = time.monotonic()
            self._shown_frame = self.frames

    # -- virtual clock: step and redraw -----------------------------------------------------
    def run(self, seconds: float, step: float = 5, until: Callable[[Sample], bool] | None = None) -> Figure:
        """Sample, then let `step` cloud seconds pass and redraw, until `seconds` have passed
        (or `until(sample)` holds).  Works on any clock; on the virtual one it takes moments."""
        sleep = self._sleep or _local_sleep
        sample = self.update()
        waited = 0.0
        while waited < seconds and not (until and until(sample)):
            sleep(step)
            waited += step
            sample = self.update()
        if self._shown_frame != self.frames:
            self.show()  # the last step is always shown
        return self.figure

    # -- real clock: a background sampler -------------------------------------------------------
    def start(self, duration: float | None = None) -> LivePlot:
        """Sample and redraw every `interval` wall seconds on a daemon thread, for `duration`
        wall seconds or until `stop()`.  Returns at once."""
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample_loop, args=(duration,), name="fargate-lab-live-plot",
                                        daemon=True)  # daemon: a kernel shutting down never waits for it
        self._thread.start()
        self._sync_buttons(running=True)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._sync_buttons()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _sample_loop(self, duration: float | None) -> None:
        ends = time.monotonic() + duration if duration is not None else None
        failures = 0
        while not self._stop.is_set() and (ends is None or time.monotonic() < ends):
            began = time.monotonic()
            try:
                self.update(force=True)
                failures = 0
            except Exception as error:  # a cloud that stopped, a throttled API: say so, retry a little
                self.last_error, failures = error, failures + 1
                self._say(f"sampling failed: {error}")
                if failures >= MAX_FAILURES:
                    break
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - began)))
        if failures < MAX_FAILURES:  # else the status line keeps the error
            self._say(f"stopped after {self.frames} frames")
        self._sync_buttons(running=False)  # this thread is still alive, but done

    def __enter__(self) -> LivePlot:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- widgets ------------------------------------------------------------------------------
    def widget(self):
        """Start/Stop buttons, a status line and the plot (ipympl canvas, or a PNG image widget)."""
        if self._widget is not None:
            return self._widget
        import ipywidgets as widgets
        self._start_button = widgets.Button(description="Start live plot", icon="play")
        self._stop_button = widgets.Button(description="Stop", icon="stop")
        self._start_button.on_click(lambda _: self.start())
        self._stop_button.on_click(lambda _: self.stop())
        self._status = widgets.Label("not sampling")
        view: Any
        if self.output == "ipympl":
            canvas: Any = self.figure.canvas   # ipympl's Canvas, a widget
            canvas.header_visible = False
            # ipympl 0.10 snapshots the canvas before the page is ready and keeps a blank,
            # unprefixed image under "Run All"; live updates do not need that snapshot
            canvas.syncing_data_url = False
            view = canvas
        else:
            self._image = widgets.Image(format="png")
            view = self._image
        self._widget = widgets.VBox([widgets.HBox([self._start_button, self._stop_button, self._status]), view])
        self._sync_buttons()
        self.show()  # what has been recorded so far, without counting a frame
        return self._widget

    def _sync_buttons(self, running: bool | None = None) -> None:
        if self._widget is None:
            return
        if running is None:
            running = self.running and not self._stop.is_set()
        self._start_button.disabled, self._stop_button.disabled = running, not running

    def _say(self, text: str) -> None:
        if self._widget is not None:
            self._status.value = text  # a trait: safe from any thread, invisible to nbval

    # -- drawing ---------------------------------------------------------------------------------
    def _make_figure(self) -> Figure:
        if self.output == "ipympl":
            import matplotlib.pyplot as plt
            with plt.ioff():  # embedded in a VBox: without ioff the canvas would also show on its own
                figure = plt.figure(figsize=FIGURE_SIZE)
            canvas: Any = figure.canvas   # its draw is wrapped below
            draw = canvas.draw

            def locked_draw(*args, **kwargs):
                # The browser can ask for a redraw (resize, first show) on the kernel's main
                # thread while the sampler thread moves lines: one lock keeps them apart.
                with self._lock:
                    return draw(*args, **kwargs)
            canvas.draw = locked_draw
        else:
            figure = Figure(figsize=FIGURE_SIZE, dpi=IMAGE_DPI)
            FigureCanvasAgg(figure)  # attaches itself: draws and encodes without pyplot
        # A fixed layout: constrained layout would cost more than the rest of a frame.
        figure.subplots_adjust(left=0.06, right=0.70, top=0.93, bottom=0.1, hspace=0.12)
        return figure

    def _draw_samples(self, samples: list[Sample]) -> None:
        # The static timeline, drawn again into the same axes: one look for both plots, and
        # milestones (started / completed / failed / rollback) appear as they happen.  Only the
        # data artists are replaced: clearing the axes and rebuilding unchanged legends would
        # cost more than the rest of the frame.
        for ax in (self._tasks_ax, self._targets_ax):
            for artist in [*ax.collections, *ax.lines, *ax.texts, *ax.patches]:
                artist.remove()
        elapsed = samples[-1].at - samples[0].at
        handles = draw_timeline(self._tasks_ax, self._targets_ax, samples,
                                title=f"{self.title} at {elapsed:.0f} s: {samples[-1].summary()}",
                                window=self.window, font_size=8, title_size=10, legends=False)
        key = tuple((name, tuple(h.get_label() for h in hs)) for name, hs in handles.items())
        if key != self._legend_key:
            place_legends(self._tasks_ax, self._targets_ax, handles, font_size=8)
            self._legend_key = key

    def _png(self) -> bytes:
        return _png_of(self.figure.canvas)

    def _present(self) -> None:
        if self.output == "ipympl":
            self.figure.canvas.draw()  # renders here and pushes the image as a comm message
        elif self._image is not None:
            self._image.value = self._png()  # a trait assignment: thread-safe and nbval-safe
        sampler = threading.current_thread() is self._thread
        self._say(f"sampling every {self.interval:g} s: {self.frames} frames" if sampler else f"{self.frames} frames")


def _png_of(canvas) -> bytes:
    from PIL import Image  # matplotlib depends on Pillow
    canvas.draw()
    width, height = canvas.get_width_height()
    buffer = io.BytesIO()
    # compress_level 1: a live frame is seen once; fast encoding beats a smaller file.
    Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).save(
        buffer, format="png", compress_level=1)
    return buffer.getvalue()


def _local_sleep(seconds: float) -> None:
    from .. import local
    local.sleep(seconds)
