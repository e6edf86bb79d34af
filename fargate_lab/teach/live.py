"""A live plot of a service: tasks per deployment and the load balancer's view, redrawn as it changes.

    live = LivePlot(recorder)
    display(live.widget())      # ipympl canvas under `%matplotlib widget`, else a PNG image widget
    live.start()                # real clock: a daemon thread samples and redraws 4 times a second
    ...
    live.stop()                 # or the widget's Stop button; `with LivePlot(...) as live:` stops on exit

    live.run(600, step=5)       # virtual clock: advance 5 s, sample, redraw; headless runs end with a figure
    live.say("watch the old tasks drain")   # a line of your own under the title, until the next one

Under the title, large, stands what last happened (a `Narrator`'s sentence, e.g. "web:3: 3 tasks
failed to start → FAILED → rolling back to web:2", or what `say()` was given) until something else
does, so the moment stays on screen while the presenter talks; the status line repeats it.

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

from .narration import Narrator
from .plots import MILESTONE_STYLE, PALETTE, draw_timeline, has_requests, place_legends
from .sampling import Recorder, Sample

DEFAULT_INTERVAL = 0.25          # seconds of wall time between redraws: 4 a second
MAX_FAILURES = 3                 # consecutive failed samples before the sampler gives up
FIGURE_SIZE = (12, 6.4)          # inches: 1080 x 576 px at IMAGE_DPI, fits a 1280 x 720 projector
IMAGE_DPI = 90                   # the PNG fallback: 11 pt text is 14 px, still encoded 4 times a second
FONT_SIZE, TITLE_SIZE, NARRATION_SIZE = 11, 13, 15   # points
# Fixed layout (constrained layout would cost more than the rest of a frame): title and narration
# on top, legends right of the axes.
LAYOUT = {"left": 0.055, "right": 0.64, "top": 0.85, "bottom": 0.085, "hspace": 0.16}
TITLE_Y, NARRATION_Y = 0.985, 0.925
MILESTONE_LABELS = {label for _, _, label in MILESTONE_STYLE.values()}
# Words in a narration line that mean something went wrong: it is shown in the failure colour.
BAD_NEWS = ("FAILED", "rolling back", "failed", "deadlock", "unable")


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
        self.narrator = Narrator()
        self.narration: str | None = None      # what the figure says under the title
        self._narrated = 0                     # samples the narrator has seen
        self._last_narrated: Sample | None = None   # the last of them (a cleared recorder starts afresh)
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._starting = threading.Lock()          # start() from a click and from code at once
        self._updating = threading.Lock()          # one sample-redraw-listen at a time
        self._ends: float | None = None            # monotonic time the sampler stops (None: at stop())
        self._thread: threading.Thread | None = None
        self._widget = None
        self._image: Any = None            # an ipywidgets.Image when the output is "png"
        self.figure = self._make_figure()
        self._traffic_ax: Any = None
        self._latency_ax: Any = None
        self._make_axes(traffic=False)
        self._title = self.figure.text(0.01, TITLE_Y, self.title, fontsize=TITLE_SIZE, fontweight="bold",
                                       va="top", ha="left")
        self._narration = self.figure.text(0.01, NARRATION_Y, "", fontsize=NARRATION_SIZE, fontweight="bold",
                                           va="top", ha="left")

    def say(self, text: str) -> None:
        """Show `text` under the title (and on the status line) until the narrator or `say` has
        something newer."""
        with self._lock:
            self.narration = text
            if self.recorder.samples:
                self.show()
            else:
                self._say(text)

    # -- one frame ------------------------------------------------------------------------
    def update(self, force: bool = False) -> Sample:
        """Take one sample and redraw: the unit both the sampler thread and `run()` repeat.  One at a
        time, so listeners (narrators, holds) see the samples in order even when a click's sampler and
        a cell's `run()` overlap."""
        with self._updating:
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
        wall seconds (None: until `stop()`).  Returns at once; while running, a new `duration`
        only ever extends the time left."""
        with self._starting:
            ends = None if duration is None else time.monotonic() + duration
            if self.running and not self._stop.is_set():
                if self._ends is not None and (ends is None or ends > self._ends):
                    self._ends = ends
                return self
            if self._thread is not None and self._thread is not threading.current_thread():
                self._thread.join(5.0)     # a sampler told to stop finishes its frame first
            self._stop.clear()
            self._ends = ends
            self._thread = threading.Thread(target=self._sample_loop, name="fargate-lab-live-plot",
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

    def _sample_loop(self) -> None:
        failures = 0
        while not self._stop.is_set() and (self._ends is None or time.monotonic() < self._ends):
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
        figure.subplots_adjust(**LAYOUT)
        return figure

    def _make_axes(self, traffic: bool) -> None:
        """Tasks and targets; under them the load balancer's traffic once there is some."""
        for ax in list(self.figure.axes):
            ax.remove()
        ratios = (3, 1.2, 1.4) if traffic else (3, 1.3)
        axes = self.figure.subplots(len(ratios), 1, sharex=True, height_ratios=ratios)
        self._tasks_ax, self._targets_ax = axes[0], axes[1]
        self._traffic_ax = axes[2] if traffic else None
        self._latency_ax = self._traffic_ax.twinx() if traffic else None
        self._legend_key = ()

    def _narrate(self, samples: list[Sample]) -> None:
        """Let the narrator see every sample since the last frame (frames skip samples; it must not)."""
        seen = self._narrated
        if seen and (len(samples) < seen or samples[seen - 1] is not self._last_narrated):   # a new recording
            self.narrator, self._narrated = Narrator(), 0
        for sample in samples[self._narrated:]:
            said = self.narrator.update(sample)
            if said:
                self.narration = said
        self._narrated = len(samples)
        self._last_narrated = samples[-1] if samples else None

    def _draw_samples(self, samples: list[Sample]) -> None:
        # The static timeline, drawn again into the same axes: one look for both plots, and
        # milestones (started / completed / failed / rollback) appear as they happen.  Only the
        # data artists are replaced: clearing the axes and rebuilding unchanged legends would
        # cost more than the rest of the frame.
        self._narrate(samples)
        if self._traffic_ax is None and has_requests(samples):
            self._make_axes(traffic=True)
        axes = [ax for ax in (self._tasks_ax, self._targets_ax, self._traffic_ax, self._latency_ax) if ax is not None]
        for ax in axes:
            for artist in [*ax.collections, *ax.lines, *ax.texts, *ax.patches]:
                artist.remove()
        elapsed = samples[-1].at - samples[0].at
        self._title.set_text(f"{self.title} at {elapsed:.0f} s: {samples[-1].summary()}")
        narration = self.narration or ""
        self._narration.set_text(narration)
        self._narration.set_color(PALETTE["failure"] if any(w in narration for w in BAD_NEWS) else PALETTE["neutral"])
        handles = draw_timeline(self._tasks_ax, self._targets_ax, samples, title="", show_limits=True,
                                window=self.window, font_size=FONT_SIZE, title_size=TITLE_SIZE, legends=False,
                                traffic_ax=self._traffic_ax, latency_ax=self._latency_ax)
        # the milestones are named on their lines: their legend entries would only cost time to draw
        handles["tasks"] = [h for h in handles["tasks"] if h.get_label() not in MILESTONE_LABELS]
        key = tuple((name, tuple(h.get_label() for h in hs)) for name, hs in handles.items())
        if key != self._legend_key:
            place_legends(self._tasks_ax, self._targets_ax, handles, font_size=FONT_SIZE,
                          traffic_ax=self._traffic_ax)
            self._legend_key = key

    def _png(self) -> bytes:
        return _png_of(self.figure.canvas)

    def _present(self) -> None:
        if self.output == "ipympl":
            self.figure.canvas.draw()  # renders here and pushes the image as a comm message
        elif self._image is not None:
            self._image.value = self._png()  # a trait assignment: thread-safe and nbval-safe
        sampler = threading.current_thread() is self._thread
        frames = f"sampling every {self.interval:g} s: {self.frames} frames" if sampler else f"{self.frames} frames"
        self._say(f"{self.narration}  ·  {frames}" if self.narration else frames)


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
