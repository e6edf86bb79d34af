"""Static plots: pure functions from data to a matplotlib Figure.

    fig = plots.timeline(recorder.samples)     # tasks per deployment, desired, milestones
    fig = plots.gantt(recorder.samples)        # each task's states over time
    fig = plots.explainer(4, 50, 200)          # what min/max percent make the scheduler do

Figures are made without pyplot (no global state, safe from any thread) and show
themselves as a PNG in Jupyter whatever the backend; `fig.savefig(path)` saves one.
"""
from __future__ import annotations

import io

from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .history import (Milestone, Phase, deployments_of, milestones, overlaps, task_histories, task_phases)
from .rollout import RolloutExplanation, explain_rollout
from .sampling import Sample

# Deployments take these in order of creation (no red: red means failure here).
DEPLOYMENT_COLOURS = ("#4C72B0", "#DD8452", "#55A868", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C",
                      "#CCB974", "#64B5CD")
TARGET_COLOURS = {"healthy": "#2E7D32", "initial": "#F9A825", "draining": "#9E9E9E", "unhealthy": "#C62828",
                  "unused": "#E0E0E0", "unavailable": "#6D4C41"}
MILESTONE_STYLE = {  # colour, line style, legend text
    "started": ("#37474F", ":", "deployment started"),
    "completed": ("#2E7D32", "-", "deployment completed"),
    "failed": ("#C62828", "-", "deployment failed"),
    "rollback": ("#C62828", "--", "rolling back"),
    "deadlock": ("#6A1B9A", "-.", "deadlock (min/max percent)"),
}
# How each task state looks in the Gantt chart: the deployment gives the colour, the state
# the shade and hatch, so both read at once.
STATE_STYLE = {  # alpha, hatch
    "PROVISIONING": (0.18, ""),
    "PENDING": (0.38, ""),
    "ACTIVATING": (0.62, ""),
    "RUNNING": (1.0, ""),
    "DEACTIVATING": (0.55, "///"),
    "STOPPING": (0.40, "xxx"),
    "DEPROVISIONING": (0.15, "..."),
}


class StaticFigure(Figure):
    """A Figure that shows itself as a PNG in Jupyter even when no backend registered a formatter."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def new_figure(width: float, height: float) -> StaticFigure:
    return StaticFigure(figsize=(width, height), layout="constrained")


def deployment_colours(deployment_ids: list[str]) -> dict[str, str]:
    return {d: DEPLOYMENT_COLOURS[i % len(DEPLOYMENT_COLOURS)] for i, d in enumerate(deployment_ids)}


# -- timeline -------------------------------------------------------------------------------

# Tasks still shutting down: DEACTIVATING is the load balancer's deregistration delay.
STOPPING_STATES = ("DEACTIVATING", "STOPPING")
# Same shades as the Gantt chart's PENDING and DEACTIVATING, so the two plots speak alike.
LAYER_STYLE = {"running": (1.0, ""), "pending": (0.38, ""), "stopping": (0.45, "///")}  # alpha, hatch
LAYER_LABEL = {"running": "running", "pending": "pending", "stopping": "stopping (draining)"}


def stacked_counts(samples: list[Sample]) -> tuple[list[float], list[tuple[str, str, list[int]]]]:
    """x (seconds since the first sample) and the timeline's layers, bottom first:
    (deployment id, "running" | "pending" | "stopping", counts).  Running layers come
    first so the solid part of the stack is what serves traffic; "stopping" (draining
    from the load balancer, then shutting down) needs task data and is left out without it."""
    t0 = samples[0].at
    x = [s.at - t0 for s in samples]
    layers = []
    for kind in LAYER_STYLE:
        for d in deployments_of(samples):
            counts = [_layer_count(s, d.id, kind) for s in samples]
            if any(counts):
                layers.append((d.id, kind, counts))
    return x, layers


def _layer_count(sample: Sample, deployment_id: str, kind: str) -> int:
    if kind == "stopping":
        return sum(t.deployment == deployment_id and t.last_status in STOPPING_STATES for t in sample.tasks or ())
    found = sample.deployment(deployment_id)
    return getattr(found, kind) if found else 0


def timeline(samples: list[Sample], title: str = "Rolling deployment: tasks per deployment",
             show_limits: bool = False) -> Figure:
    """Running (solid), pending (light) and stopping (hatched) tasks per deployment, stacked;
    the desired count; milestones from deployments and service events; target health underneath."""
    if not samples:
        raise ValueError("samples: nothing recorded yet; call Recorder.sample() or record() first")
    has_targets = any(s.targets.total for s in samples)
    # A long legend (many deployments) needs a taller figure to stand beside the plot.
    entries = len(deployments_of(samples)) + 4 + 2 * show_limits + len({m.kind for m in milestones(samples)})
    fig = new_figure(11, (5.6 if has_targets else 4.2) + 0.2 * max(0, entries - 13))
    if has_targets:
        tasks_ax, targets_ax = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1.2))
    else:
        tasks_ax, targets_ax = fig.subplots(1, 1), None
    draw_timeline(tasks_ax, targets_ax, samples, title, show_limits=show_limits)
    return fig


def draw_timeline(tasks_ax, targets_ax, samples: list[Sample], title: str, show_limits: bool = False,
                  window: float | None = None, font_size: float = 9, title_size: float = 12,
                  legends: bool = True) -> dict[str, list]:
    """The timeline into existing axes (the live plot redraws it this way); `targets_ax` may be None.
    `window`: show only the last so many seconds.  Returns the legend handles per axes;
    `legends=False` leaves placing them to the caller (the live plot keeps unchanged legends)."""
    infos = {d.id: d for d in deployments_of(samples)}
    colours = deployment_colours(list(infos))
    x, layers = stacked_counts(samples)
    x, layers, desired = _only_changes(x, layers, [s.desired for s in samples])
    _stack_tasks(tasks_ax, x, layers, infos, colours)
    tasks_ax.step(x, desired, where="post", color="black", lw=2, ls="--", label="desired", zorder=5)
    tallest = max([sum(c[i] for _, _, c in layers) for i in range(len(x))] + desired)
    if show_limits:
        tallest = max(tallest, _limit_lines(tasks_ax, [s.at - samples[0].at for s in samples], samples))
    marks = milestones(samples)
    tasks_ax.set_ylabel("tasks")
    tasks_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    # Headroom above the stack: the milestone labels stand there, clear of the areas.
    tasks_ax.set_ylim(0, tallest * 1.4 + 1 if marks else tallest + 1.5)
    tasks_ax.set_title(title, loc="left", fontsize=title_size, fontweight="bold")
    tasks_ax.grid(axis="y", alpha=0.3)
    bottom = targets_ax or tasks_ax
    right = max(x[-1], 1.0)
    left = min([0.0] + [m.at - samples[0].at for m in marks])
    if window:
        left = max(left, right - window)
    right = max(right, left + 1)
    bottom.set_xlim(left, right + 0.02 * (right - left))  # room for a milestone label at the very end
    for ax in filter(None, (tasks_ax, targets_ax)):
        _draw_milestones(ax, [m for m in marks if m.at - samples[0].at >= left], samples[0].at,
                         label=ax is tasks_ax, font_size=8)
    handles = {"tasks": _layer_handles(layers, infos, colours) + tasks_ax.get_legend_handles_labels()[0]
               + _milestone_handles(marks), "targets": []}
    if targets_ax is not None:
        handles["targets"] = _target_areas(targets_ax, samples)
    if legends:
        place_legends(tasks_ax, targets_ax, handles, font_size)
    bottom.set_xlabel("seconds since recording started (cloud time)")
    return handles


def place_legends(tasks_ax, targets_ax, handles: dict[str, list], font_size: float = 9) -> None:
    """The timeline's legends, right of each axes."""
    tasks_ax.legend(handles=handles["tasks"], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=font_size,
                    frameon=False)
    if targets_ax is not None and handles["targets"]:
        targets_ax.legend(handles=handles["targets"], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                          fontsize=font_size, frameon=False, title="load balancer", title_fontsize=font_size)


def _only_changes(x: list[float], layers, desired: list[int]):
    """Keep the samples where something changes (and the last): the same step drawing with a
    handful of points, so a long recording stays quick to draw."""
    keep = [i for i in range(len(x))
            if i in (0, len(x) - 1) or desired[i] != desired[i - 1]
            or any(c[i] != c[i - 1] for _, _, c in layers)]
    return ([x[i] for i in keep], [(d, k, [c[i] for i in keep]) for d, k, c in layers],
            [desired[i] for i in keep])


def _stack_tasks(ax, x, layers, infos, colours) -> None:
    if not layers:
        return
    areas = ax.stackplot(x, *[c for _, _, c in layers], step="post",
                         colors=[colours[d] for d, _, _ in layers], edgecolor="white", linewidth=0.3)
    for area, (_, kind, _) in zip(areas, layers):
        alpha, hatch = LAYER_STYLE[kind]
        area.set_alpha(alpha)
        area.set_hatch(hatch)


def _layer_handles(layers, infos, colours) -> list[Patch]:
    """One legend entry per deployment (its colour), then one per kind of layer (its shade):
    deployments x kinds entries would not fit beside the plot."""
    drawn = {d for d, _, _ in layers}
    deployments = [d for d in infos if d in drawn]  # in order of creation, as the colours go
    kinds = [k for k in LAYER_STYLE if any(kind == k for _, kind, _ in layers)]
    return ([Patch(color=colours[d], label=infos[d].label) for d in deployments]
            + [Patch(facecolor=(0.45, 0.45, 0.45, LAYER_STYLE[k][0]), hatch=LAYER_STYLE[k][1], edgecolor="white",
                     label=LAYER_LABEL[k]) for k in kinds])


def _limit_lines(ax, x, samples) -> int:
    """The two limits of the deployment configuration over time; returns the highest."""
    from ..engine.scheduler import limits
    lows, highs = zip(*(limits(s.desired, s.minimum_healthy_percent, s.maximum_percent) for s in samples))
    ax.step(x, highs, where="post", color="#C62828", lw=1.2, label="at most (maximumPercent)")
    ax.step(x, lows, where="post", color="#2E7D32", lw=1.2, label="at least healthy (minimumHealthyPercent)")
    return max(highs)


def _target_areas(ax, samples: list[Sample]) -> list:
    """Stacked target states; returns the legend handles."""
    shown = [s for s in ("healthy", "initial", "draining", "unhealthy") if any(getattr(p.targets, s) for p in samples)]
    ax.set_ylabel("targets")
    if not shown:  # no load balancer (yet)
        return []
    x = [p.at - samples[0].at for p in samples]
    counts = [("", s, [getattr(p.targets, s) for p in samples]) for s in shown]
    x, counts, _ = _only_changes(x, counts, [0] * len(x))
    areas = ax.stackplot(x, *[c for _, _, c in counts], step="post", labels=shown,
                         colors=[TARGET_COLOURS[s] for s in shown], alpha=0.85)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_ylim(0, max(p.targets.total for p in samples) + 1)
    ax.grid(axis="y", alpha=0.3)
    return list(areas)


def _draw_milestones(ax, marks: list[Milestone], t0: float, label: bool, font_size: float = 8) -> None:
    """A line per milestone and, on the tasks' axes, its name standing up beside it.  Names closer
    than a line of text (in points, at the axes' current width and x limits) move right, one line
    height further each, so that none is printed over another."""
    top = ax.get_ylim()[1]
    left, right = ax.get_xlim()
    points_per_second = ax.bbox.width * 72 / ax.figure.dpi / max(right - left, 1e-9)
    line = font_size * 1.35                          # a rotated label's width, in points
    taken = -1e9                                     # where (in points from the left) the last label ends
    for m in marks:
        colour, style, _ = MILESTONE_STYLE[m.kind]
        x = m.at - t0
        ax.axvline(x, color=colour, ls=style, lw=1.4)
        if not label:
            continue
        at = (x - left) * points_per_second + 2      # the label's left edge, in points
        offset = 2 + max(0.0, taken - at)
        taken = at + offset - 2 + line
        ax.annotate(m.kind, (x, top), xytext=(offset, -3), textcoords="offset points", rotation=90,
                    va="top", ha="left", fontsize=font_size, color=colour)


def _milestone_handles(marks: list[Milestone]) -> list[Line2D]:
    kinds = [k for k in MILESTONE_STYLE if any(m.kind == k for m in marks)]
    return [Line2D([], [], color=MILESTONE_STYLE[k][0], ls=MILESTONE_STYLE[k][1], label=MILESTONE_STYLE[k][2])
            for k in kinds]


# -- Gantt ------------------------------------------------------------------------------------

def gantt(samples: list[Sample], title: str = "Tasks over time, coloured by deployment") -> Figure:
    """One row per task that lived during the recording: its states as bars (from the task's
    timestamps), coloured by the deployment that started it, with why it stopped."""
    if not samples or all(s.tasks is None for s in samples):
        raise ValueError("samples: no task data; record with Recorder(..., tasks=True)")
    t0, end = samples[0].at, samples[-1].at
    histories = [h for h in task_histories(samples) if overlaps(h, t0, end)]
    infos = {d.id: d for d in deployments_of(samples)}
    colours = deployment_colours(list(infos))
    fig = new_figure(11, 1.9 + 0.34 * max(len(histories), 1))
    ax = fig.subplots()
    for row, history in enumerate(histories):
        colour = colours.get(history.last.deployment, "#8C8C8C")
        for phase in task_phases(history, end):
            _phase_bar(ax, row, phase, t0, colour)
        _stop_mark(ax, row, history.last, t0, end)
    ax.set_yticks(range(len(histories)), [_task_label(h.last) for h in histories], fontsize=8, family="monospace")
    ax.set_ylim(len(histories) - 0.5, -0.5)  # oldest task at the top
    ax.set_xlim(0, max(end - t0, 1) * 1.13)  # room on the right for stop reasons
    ax.set_xlabel("seconds since recording started (cloud time); bars start at 0 for tasks already running")
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    ax.grid(axis="x", alpha=0.3)
    used = [d for d in infos if any(h.last.deployment == d for h in histories)]
    # Figure legends placed "outside" take part in the constrained layout, so neither is cut off.
    fig.legend(handles=[Patch(color=colours[d], label=infos[d].label) for d in used],
               title="deployment (startedBy)", loc="outside right upper", fontsize=8, title_fontsize=9,
               frameon=False)
    fig.legend(handles=_state_handles(), title="task state", loc="outside right lower", fontsize=8,
               title_fontsize=9, frameon=False)
    return fig


def _phase_bar(ax, row: int, phase: Phase, t0: float, colour: str) -> None:
    start, end = max(phase.start - t0, 0.0), phase.end - t0
    if end <= start:
        return  # entirely before the recording
    alpha, hatch = STATE_STYLE.get(phase.state, (0.5, ""))
    # Fill and edge drawn separately: a hatched bar keeps its hatch at full strength.
    ax.broken_barh([(start, end - start)], (row - 0.38, 0.76), facecolors=colour, alpha=alpha, linewidth=0)
    if hatch:
        ax.broken_barh([(start, end - start)], (row - 0.38, 0.76), facecolors="none", edgecolor=colour,
                       hatch=hatch, linewidth=0)


def _stop_mark(ax, row: int, task, t0: float, end: float) -> None:
    if task.stopped_at is None or task.stopped_at > end:
        return
    x = task.stopped_at - t0
    ax.plot([x], [row], marker="|", markersize=11, mew=2, color="black")
    reason = _short_reason(task.stopped_reason, task.stop_code)
    if reason:
        ax.annotate(reason, (x, row), xytext=(5, 0), textcoords="offset points", va="center", fontsize=7,
                    color="#C62828" if task.stop_code in ("TaskFailedToStart", "EssentialContainerExited")
                    or "health" in reason else "#424242")


def _short_reason(reason: str, code: str) -> str:
    """A few words for the chart; the full stoppedReason is in DescribeTasks."""
    if reason.startswith("Scaling activity"):
        return "stopped by the scheduler"
    if reason.startswith("Task failed ELB health checks"):
        return "failed ELB health checks"
    if reason.startswith("CannotPullContainerError"):
        return "CannotPullContainerError"
    if reason.startswith("ResourceInitializationError"):
        return "ResourceInitializationError"
    return (reason or code)[:40]


def _task_label(task) -> str:
    return f"{task.id[:8]} {task.task_definition}"


def _state_handles() -> list[Artist]:
    handles: list[Artist] = [Patch(facecolor=(0.3, 0.3, 0.3, alpha), hatch=hatch, edgecolor="#404040", label=state.lower())
               for state, (alpha, hatch) in STATE_STYLE.items()]
    return handles + [Line2D([], [], marker="|", ls="", markersize=10, mew=2, color="black", label="stopped")]


# -- min/max percent explainer --------------------------------------------------------------

OLD_COLOUR, NEW_COLOUR = DEPLOYMENT_COLOURS[0], DEPLOYMENT_COLOURS[1]


def explainer(desired: int | RolloutExplanation, minimum_healthy_percent: int = 100,
              maximum_percent: int = 200) -> Figure:
    """Bars per scheduler step: the tasks there after the step (old, new, new still starting)
    above zero, the tasks it stopped below zero, between the two limits the percentages set."""
    e = desired if isinstance(desired, RolloutExplanation) else explain_rollout(
        desired, minimum_healthy_percent, maximum_percent)
    fig = new_figure(9.5, 5.4)
    ax = fig.subplots()
    _explainer_bar(ax, 0, old=e.desired, new_healthy=0, new_starting=0, stopped=0)
    for i, step in enumerate(e.steps, start=1):
        _explainer_bar(ax, i, old=step.old, new_healthy=step.new - step.new_starting,
                       new_starting=step.new_starting, stopped=step.stopped_old + step.stopped_new)
        ax.annotate(step.describe().replace(", ", "\n"), (i, step.total), xytext=(0, 4),
                    textcoords="offset points", ha="center", va="bottom", fontsize=9)
    ax.axhline(e.low, color="#2E7D32", ls="--", lw=1.3)
    # Equal limits (the classic deadlock) share one line, dashed in both colours.
    ax.axhline(e.high, color="#C62828", ls="--", lw=1.3, gapcolor="#2E7D32" if e.high == e.low else None)
    ax.axhline(0, color="black", lw=0.8)
    names = ["before"] + [f"step {s.number}" for s in e.steps]
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.6, max(len(names) - 0.4, 3.4))
    most_stopped = max([s.stopped_old + s.stopped_new for s in e.steps], default=0)
    tallest = max(e.high, e.peak_tasks)
    ax.set_ylim(-most_stopped - 0.8 if most_stopped else 0, tallest * 1.15 + 1.8)  # room for the step labels
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(lambda value, _: f"{abs(value):g}")  # stopped tasks count down from 0
    ax.set_ylabel("tasks  (below 0: stopped in the step)" if most_stopped else "tasks")
    ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"Rolling deployment of {e.desired} tasks: minimumHealthyPercent {e.minimum_healthy_percent} %, "
                 f"maximumPercent {e.maximum_percent} %", x=0.01, ha="left", fontsize=12, fontweight="bold")
    if e.deadlocked:
        ax.set_title("DEADLOCK: the scheduler can neither stop nor start a task", loc="left", fontsize=10,
                     color="#C62828")
        ax.text(0.6, e.desired / 2, _wrap(e.why_deadlocked(), 62), fontsize=9, va="center", color="#C62828")
    else:
        batches = _wrap("batches: " + " → ".join(e.batches), 110)
        ax.set_title(batches + "\n(new tasks are assumed healthy by the next step)", loc="left", fontsize=9.5,
                     color="#424242")
    fig.legend(handles=_explainer_handles(e), loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    return fig


def _explainer_bar(ax, x: int, old: int, new_healthy: int, new_starting: int, stopped: int) -> None:
    bottom = 0
    for height, style in ((old, dict(color=OLD_COLOUR)),
                          (new_healthy, dict(color=NEW_COLOUR)),
                          (new_starting, dict(color=NEW_COLOUR, alpha=0.45, hatch="//", edgecolor="white"))):
        if height:
            ax.bar(x, height, bottom=bottom, width=0.55, **style)
            bottom += height
    if stopped:
        ax.bar(x, -stopped, width=0.55, facecolor="#BDBDBD", edgecolor="#616161", hatch="xx", lw=0.8)


def _explainer_handles(e: RolloutExplanation) -> list:
    return [Patch(color=OLD_COLOUR, label="old task (healthy)"),
            Patch(color=NEW_COLOUR, label="new task (healthy)"),
            Patch(facecolor=NEW_COLOUR, alpha=0.45, hatch="//", edgecolor="white", label="new task (starting)"),
            Patch(facecolor="#BDBDBD", edgecolor="#616161", hatch="xx", label="old task stopped in this step"),
            Line2D([], [], color="#C62828", ls="--", label=f"at most {e.high} tasks (maximumPercent, rounded down)"),
            Line2D([], [], color="#2E7D32", ls="--", label=f"at least {e.low} healthy (minimumHealthyPercent, rounded up)")]


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, width))
