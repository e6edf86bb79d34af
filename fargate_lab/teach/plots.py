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
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .history import (DeploymentInfo, Milestone, Phase, deployments_of, milestones, overlaps, task_histories,
                      task_phases)
from .rollout import RolloutExplanation, explain_rollout
from .sampling import Sample

# One colour, one meaning, in every plot: Okabe & Ito's colour-blind-safe set.  Revisions (task
# definitions) take the first three hues in turn; a fourth and later one repeats them with a dotted
# hatch rather than adding hues that colour-blind viewers (and projectors) cannot tell apart.
REVISION_COLOURS = ("#0072B2", "#E69F00", "#CC79A7")   # blue, orange, reddish purple: which code runs
PALETTE: dict[str, str] = {
    "healthy": "#009E73",       # bluish green: healthy targets, and nothing else
    "checking": "#F0E442",      # yellow: health checks still running (target `initial`)
    "failure": "#D55E00",       # vermillion: failed, unhealthy, rolling back, 5xx
    "leaving": "#999999",       # grey: on the way out (stopping tasks, draining targets, stopped)
    "neutral": "#000000",       # black: desired count, limits, deployment started / completed
    "unknown": "#BBBBBB",       # light grey: tasks with no revision known
}
REVISION_HATCHES = ("", "..", "xx")   # after the hues run out: hue 1 dotted, ..., then crossed
LEAVING_HATCH = "///"                 # stopping tasks and draining targets alike
DEPLOYMENT_COLOURS = REVISION_COLOURS    # kept for callers of the old name
TARGET_COLOURS = {"healthy": PALETTE["healthy"], "initial": PALETTE["checking"], "draining": PALETTE["leaving"],
                  "unhealthy": PALETTE["failure"], "unused": PALETTE["unknown"], "unavailable": PALETTE["unknown"]}
TARGET_HATCHES = {"draining": LEAVING_HATCH}
MILESTONE_STYLE = {  # colour, line style, legend text
    "started": (PALETTE["neutral"], ":", "deployment started"),
    "completed": (PALETTE["neutral"], "-", "deployment completed"),
    "failed": (PALETTE["failure"], "-", "deployment failed"),
    "rollback": (PALETTE["failure"], "--", "rolling back"),
    "deadlock": (PALETTE["failure"], "-.", "deadlock (min/max percent)"),
}
# How each task state looks in the Gantt chart: the revision gives the colour, the state the shade
# and hatch, so both read at once.
STATE_STYLE = {  # alpha, hatch
    "PROVISIONING": (0.18, ""),
    "PENDING": (0.38, ""),
    "ACTIVATING": (0.62, ""),
    "RUNNING": (1.0, ""),
    "DEACTIVATING": (0.55, "///"),
    "STOPPING": (0.40, "xxx"),
    "DEPROVISIONING": (0.15, "..."),
}
FONT = {"small": 9, "normal": 10.5, "title": 13}   # points: readable at 100 dpi on a 1280 x 720 projector


class StaticFigure(Figure):
    """A Figure that shows itself as a PNG in Jupyter even when no backend registered a formatter."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def new_figure(width: float, height: float) -> StaticFigure:
    return StaticFigure(figsize=(width, height), layout="constrained")


def revision_styles(revisions: list[str]) -> dict[str, tuple[str, str]]:
    """(colour, hatch) per task definition, in the order given (first seen first)."""
    hues = REVISION_COLOURS
    return {r: (hues[i % len(hues)], REVISION_HATCHES[(i // len(hues)) % len(REVISION_HATCHES)])
            for i, r in enumerate(revisions)}


def deployment_styles(samples: list[Sample]) -> dict[str, tuple[str, str]]:
    """(colour, hatch) per deployment id: its task definition's, so two deployments of one revision
    look alike and the legend names revisions (family:revision), not ids."""
    infos = deployments_of(samples)
    styles = revision_styles(list(dict.fromkeys(_revision(d) for d in infos)))
    return {d.id: styles[_revision(d)] for d in infos}


def deployment_colours(samples_or_ids) -> dict[str, str]:
    """Colour per deployment id (from samples: by revision; from bare ids: in turn)."""
    if samples_or_ids and isinstance(samples_or_ids[0], Sample):
        return {d: colour for d, (colour, _) in deployment_styles(samples_or_ids).items()}
    hues = REVISION_COLOURS
    return {d: hues[i % len(hues)] for i, d in enumerate(samples_or_ids)}


def _revision(d: DeploymentInfo) -> str:
    return d.task_definition or d.label


# -- timeline -------------------------------------------------------------------------------

# Tasks on the way out: DEACTIVATING is the load balancer's deregistration delay, then STOPPING
# and DEPROVISIONING.  DescribeTasks still lists them, but their desiredStatus is STOPPED, and
# maximumPercent caps only the tasks the scheduler wants RUNNING (ecs-behaviour.md §2.1): so the
# stack can rise above the cap by exactly this band.
STOPPING_STATES = ("DEACTIVATING", "STOPPING", "DEPROVISIONING")
LAYER_STYLE = {"running": (1.0, ""), "pending": (0.38, ""), "stopping": (0.45, LEAVING_HATCH)}  # alpha, hatch
LAYER_LABEL = {"running": "running", "pending": "pending (starting)",
               "stopping": "stopping (not counted by the cap)"}
STOPPING = ""   # the stopping layer's "deployment": one band for every deployment's leaving tasks


def stacked_counts(samples: list[Sample], t0: float | None = None
                   ) -> tuple[list[float], list[tuple[str, str, list[int]]]]:
    """x (seconds since `t0`, by default the first sample) and the timeline's layers, bottom first:
    (deployment id, "running" | "pending", counts) per deployment, then one ("", "stopping", counts)
    for the tasks of any deployment on their way out.  Running layers come first so the solid part
    of the stack is what serves traffic; "stopping" needs task data and is left out without it."""
    t0 = samples[0].at if t0 is None else t0
    x = [s.at - t0 for s in samples]
    layers = []
    for kind in ("running", "pending"):
        for d in deployments_of(samples):
            counts = [_layer_count(s, d.id, kind) for s in samples]
            if any(counts):
                layers.append((d.id, kind, counts))
    stopping = [sum(t.last_status in STOPPING_STATES for t in s.tasks or ()) for s in samples]
    if any(stopping):
        layers.append((STOPPING, "stopping", stopping))
    return x, layers


def _layer_count(sample: Sample, deployment_id: str, kind: str) -> int:
    found = sample.deployment(deployment_id)
    return getattr(found, kind) if found else 0


def timeline(samples: list[Sample], title: str = "Rolling deployment: tasks per deployment",
             show_limits: bool = False, traffic: bool = True) -> Figure:
    """Running (solid), pending (light) tasks per revision and stopping ones (grey, hatched), stacked;
    the desired count; milestones from deployments and service events; target health underneath,
    and the load balancer's requests, 5xx and latency when there was traffic (and `traffic`)."""
    if not samples:
        raise ValueError("samples: nothing recorded yet; call Recorder.sample() or record() first")
    has_targets = any(s.targets.total for s in samples)
    has_traffic = traffic and has_requests(samples)
    # A long legend (many deployments) needs a taller figure to stand beside the plot.
    entries = len(deployments_of(samples)) + 4 + 2 * show_limits + len({m.kind for m in milestones(samples)})
    height = 4.4 + 1.6 * has_targets + 2.0 * has_traffic + 0.2 * max(0, entries - 13)
    fig = new_figure(12, height)
    ratios = (3, 1.2, 1.5)[:1 + has_targets + has_traffic]
    axes = list(fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios, squeeze=False)[:, 0])
    tasks_ax = axes.pop(0)
    targets_ax = axes.pop(0) if has_targets else None
    traffic_ax = axes.pop(0) if has_traffic else None
    draw_timeline(tasks_ax, targets_ax, samples, title, show_limits=show_limits, traffic_ax=traffic_ax)
    relabel_milestones(fig, tasks_ax, samples)
    return fig


def relabel_milestones(fig: Figure, tasks_ax, samples: list[Sample], font_size: float = FONT["small"]) -> None:
    """Place the milestone names again once the layout has made room for the legends: they are
    spaced in points at the axes' width, which the constrained layout changes after they are drawn."""
    engine = fig.get_layout_engine()
    if engine is None:
        return
    engine.execute(fig)
    left = tasks_ax.get_xlim()[0]
    for text in list(tasks_ax.texts):
        text.remove()
    t0 = samples[0].at
    _draw_milestones(tasks_ax, [m for m in milestones(samples) if m.at - t0 >= left], t0, label=True,
                     font_size=font_size, lines=False)


def has_requests(samples: list[Sample]) -> bool:
    """Did CloudWatch report any request to the service's target groups?"""
    return any(m.requests for s in samples for m in s.traffic if m.target_group)


def draw_timeline(tasks_ax, targets_ax, samples: list[Sample], title: str, show_limits: bool = False,
                  window: float | None = None, font_size: float = FONT["small"], title_size: float = FONT["title"],
                  legends: bool = True, traffic_ax=None, latency_ax=None) -> dict[str, list]:
    """The timeline into existing axes (the live plot redraws it this way); `targets_ax` and
    `traffic_ax` may be None.  `window`: show only the last so many seconds (the x axis still counts
    from the first sample, colours stay those of the whole recording).  Returns the legend handles
    per axes; `legends=False` leaves placing them to the caller (the live plot keeps unchanged legends)."""
    t0 = samples[0].at
    infos = {d.id: d for d in deployments_of(samples)}
    styles = deployment_styles(samples)
    shown = _in_window(samples, window)
    x, layers = stacked_counts(shown, t0)
    x, layers, desired = _only_changes(x, layers, [s.desired for s in shown])
    _stack_tasks(tasks_ax, x, layers, styles)
    tasks_ax.step(x, desired, where="post", color=PALETTE["neutral"], lw=2.2, ls="--", label="desired", zorder=5)
    tallest = max([sum(c[i] for _, _, c in layers) for i in range(len(x))] + desired)
    if show_limits:
        tallest = max(tallest, _limit_lines(tasks_ax, shown, t0))
    marks = milestones(samples)
    tasks_ax.set_ylabel("tasks", fontsize=font_size)
    tasks_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    # Headroom above the stack: the milestone labels stand there, clear of the areas.
    tasks_ax.set_ylim(0, tallest * 1.4 + 1 if marks else tallest + 1.5)
    if title:
        tasks_ax.set_title(title, loc="left", fontsize=title_size, fontweight="bold")
    tasks_ax.grid(axis="y", alpha=0.3)
    axes = [ax for ax in (tasks_ax, targets_ax, traffic_ax) if ax is not None]
    right = max(x[-1], 1.0)
    left = x[0] if window else min([0.0] + [m.at - t0 for m in marks])
    right = max(right, left + 1)
    axes[-1].set_xlim(left, right + 0.02 * (right - left))  # room for a milestone label at the very end
    for ax in axes:
        ax.tick_params(labelsize=font_size)
        _draw_milestones(ax, [m for m in marks if m.at - t0 >= left], t0, label=ax is tasks_ax, font_size=font_size)
    handles = {"tasks": _layer_handles(layers, infos, styles, samples) + tasks_ax.get_legend_handles_labels()[0]
               + _milestone_handles(marks), "targets": [], "traffic": []}
    if targets_ax is not None:
        handles["targets"] = _target_areas(targets_ax, shown, t0, font_size)
    if traffic_ax is not None:
        handles["traffic"] = traffic_lines(traffic_ax, samples, t0, left, font_size, latency_ax)
    if legends:
        place_legends(tasks_ax, targets_ax, handles, font_size, traffic_ax)
    axes[-1].set_xlabel(_time_label(samples), fontsize=font_size)
    return handles


def _in_window(samples: list[Sample], window: float | None) -> list[Sample]:
    """The samples of the last `window` seconds, and the one before (where the first step starts)."""
    if not window:
        return samples
    since = samples[-1].at - window
    first = next((i for i, s in enumerate(samples) if s.at >= since), len(samples) - 1)
    return samples[max(0, first - 1):]


def _time_label(samples: list[Sample]) -> str:
    steps = sorted(b.at - a.at for a, b in zip(samples, samples[1:]) if b.at > a.at)
    step = steps[len(steps) // 2] if steps else 0
    sampled = f"; areas sampled every {step:.0f} s, milestones at their exact time" if step >= 2 else ""
    return "seconds since recording started (cloud time" + sampled + ")"


def place_legends(tasks_ax, targets_ax, handles: dict[str, list], font_size: float = FONT["small"],
                  traffic_ax=None) -> None:
    """The timeline's legends, right of each axes."""
    tasks_ax.legend(handles=handles["tasks"], loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=font_size,
                    frameon=False)
    if targets_ax is not None and handles["targets"]:
        targets_ax.legend(handles=handles["targets"], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                          fontsize=font_size, frameon=False, title="load balancer targets", title_fontsize=font_size)
    if traffic_ax is not None and handles.get("traffic"):
        # further right: the latency axis's ticks stand between
        traffic_ax.legend(handles=handles["traffic"], loc="upper left", bbox_to_anchor=(1.07, 1.0),
                          fontsize=font_size, frameon=False, title="per minute (CloudWatch)",
                          title_fontsize=font_size)


def _only_changes(x: list[float], layers, desired: list[int]):
    """Keep the samples where something changes (and the last): the same step drawing with a
    handful of points, so a long recording stays quick to draw."""
    keep = [i for i in range(len(x))
            if i in (0, len(x) - 1) or desired[i] != desired[i - 1]
            or any(c[i] != c[i - 1] for _, _, c in layers)]
    return ([x[i] for i in keep], [(d, k, [c[i] for i in keep]) for d, k, c in layers],
            [desired[i] for i in keep])


def _stack_tasks(ax, x, layers, styles) -> None:
    if not layers:
        return
    colours = [PALETTE["leaving"] if kind == "stopping" else styles.get(d, (PALETTE["unknown"], ""))[0]
               for d, kind, _ in layers]
    areas = ax.stackplot(x, *[c for _, _, c in layers], step="post", colors=colours, edgecolor="white",
                         linewidth=0.3)
    for area, (d, kind, _) in zip(areas, layers):
        alpha, hatch = LAYER_STYLE[kind]
        area.set_alpha(alpha)
        if kind == "stopping":
            area.set_edgecolor("#555555")
            area.set_hatch(hatch)
        else:
            area.set_hatch(styles.get(d, ("", ""))[1])   # a fourth revision's dots (white on its hue)


def _layer_handles(layers, infos, styles, samples) -> list[Patch]:
    """One legend entry per revision (its colour), then one per kind of layer (its shade):
    revisions x kinds entries would not fit beside the plot."""
    drawn = {d for d, _, _ in layers}
    revisions: dict[str, list[str]] = {}
    for d in infos:   # in order of creation, as the colours go
        if d in drawn:
            revisions.setdefault(_revision(infos[d]), []).append(d)
    entries = []
    for revision, ids in revisions.items():
        colour, hatch = styles[ids[0]]
        label = revision if len(ids) == 1 else f"{revision} ({len(ids)} deployments)"
        entries.append(Patch(facecolor=colour, hatch=hatch, edgecolor="white", label=label))
    kinds = [k for k in LAYER_STYLE if any(kind == k for _, kind, _ in layers)]
    for k in kinds:
        alpha, hatch = LAYER_STYLE[k]
        grey = PALETTE["leaving"] if k == "stopping" else "#595959"
        entries.append(Patch(facecolor=to_rgba(grey, alpha), hatch=hatch,
                             edgecolor="#555555" if hatch else "white", label=LAYER_LABEL[k]))
    return entries


def _limit_lines(ax, samples: list[Sample], t0: float) -> int:
    """The deployment configuration's two limits over time, labelled with the last sample's numbers;
    returns the highest."""
    from ..engine.scheduler import limits
    x = [s.at - t0 for s in samples]
    lows, highs = zip(*(limits(s.desired, s.minimum_healthy_percent, s.maximum_percent) for s in samples))
    ax.step(x, highs, where="post", color=PALETTE["neutral"], lw=1.3, ls="-.",
            label=f"cap ⌊desired × max %⌋ (now {highs[-1]})")
    ax.step(x, lows, where="post", color=PALETTE["neutral"], lw=1.6, ls=":",
            label=f"floor ⌈desired × min healthy %⌉ (now {lows[-1]})")
    return max(highs)


def _target_areas(ax, samples: list[Sample], t0: float, font_size: float = FONT["small"]) -> list:
    """Stacked target states; returns the legend handles."""
    shown = [s for s in ("healthy", "initial", "draining", "unhealthy") if any(getattr(p.targets, s) for p in samples)]
    ax.set_ylabel("targets", fontsize=font_size)
    if not shown:  # no load balancer (yet)
        return []
    x = [p.at - t0 for p in samples]
    counts = [("", s, [getattr(p.targets, s) for p in samples]) for s in shown]
    x, counts, _ = _only_changes(x, counts, [0] * len(x))
    areas = ax.stackplot(x, *[c for _, _, c in counts], step="post", labels=[_TARGET_LABEL[s] for s in shown],
                         colors=[TARGET_COLOURS[s] for s in shown], alpha=0.9)
    for area, state in zip(areas, shown):
        if state in TARGET_HATCHES:
            area.set_hatch(TARGET_HATCHES[state])
            area.set_edgecolor("#555555")
            area.set_linewidth(0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    ax.set_ylim(0, max(p.targets.total for p in samples) + 1)
    ax.grid(axis="y", alpha=0.3)
    return list(areas)


_TARGET_LABEL = {"healthy": "healthy", "initial": "initial (health checks running)",
                 "draining": "draining (deregistering)", "unhealthy": "unhealthy"}


def traffic_minutes(samples: list[Sample]) -> list:
    """Every minute the samples carry, the latest reading of each (a minute read again may have grown)."""
    latest = {}
    for s in samples:
        for m in s.traffic:
            latest[(m.target_group, m.at)] = m
    return sorted(latest.values(), key=lambda m: (m.target_group, m.at))


def traffic_lines(ax, samples: list[Sample], t0: float, left: float = 0.0,
                  font_size: float = FONT["small"], latency_ax=None) -> list:
    """Requests a second per revision (per target group: one revision in the group, or "all
    revisions" when a rolling deployment had two in it, which CloudWatch does not split), 5xx a
    second (targets', and the load balancer's own when no target could answer), and the average
    response time on its own scale (`latency_ax`, else a twin of `ax` made here).  Returns the
    legend handles."""
    minutes = [m for m in traffic_minutes(samples) if m.at + 60 - t0 > left]
    styles = revision_styles(list(dict.fromkeys(_revision(d) for d in deployments_of(samples))))
    handles: list[Artist] = []
    series: dict[tuple[str, tuple[str, ...]], dict[float, float]] = {}
    errors: dict[str, dict[float, float]] = {}
    for m in minutes:
        if m.target_group:
            series.setdefault((m.target_group, m.revisions), {})[m.at - t0] = m.requests / 60
        if m.errors:
            errors.setdefault(m.target_group, {})[m.at - t0] = m.errors / 60
    groups = sorted({m.target_group for m in minutes if m.target_group})
    labelled: set[str] = set()
    for (group, revisions), values in series.items():
        style = "-" if groups.index(group) == 0 else "--"
        if len(revisions) == 1:
            colour, label = styles.get(revisions[0], (PALETTE["unknown"], ""))[0], revisions[0]
        elif revisions:
            colour, label = PALETTE["neutral"], "all revisions (one target group)"
        else:   # no target matched a task the recorder saw: say so rather than guess
            colour, label = PALETTE["unknown"], "no task of the service"
        _stairs(ax, values, colour, style, 2.4)
        if label not in labelled:
            labelled.add(label)
            handles.append(Line2D([], [], color=colour, lw=2.4, label=label))
    if len(groups) > 1:
        handles += [Line2D([], [], color="#555555", ls=("-", "--")[min(i, 1)], lw=1.5, label=_short_group(g))
                    for i, g in enumerate(groups)]
    for group, values in sorted(errors.items()):
        style = ":" if not group else ("-" if groups.index(group) == 0 else "--")
        _stairs(ax, values, PALETTE["failure"], style, 2.0)
    if errors:
        if any(errors.get(g) for g in groups):
            handles.append(Line2D([], [], color=PALETTE["failure"], lw=2.0, label="5xx from the targets"))
        if "" in errors:
            handles.append(Line2D([], [], color=PALETTE["failure"], ls=":", lw=2.0,
                                  label="5xx by the load balancer"))
    ax.set_ylabel("requests/s", fontsize=font_size)
    highest = max([v for values in (*series.values(), *errors.values()) for v in values.values()], default=1.0)
    ax.set_ylim(0, highest * 1.25 or 1.0)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.grid(axis="y", alpha=0.3)
    latency = _weighted_latency(minutes, t0)
    if latency:
        twin = latency_ax if latency_ax is not None else ax.twinx()
        _stairs(twin, latency, "#555555", "-", 1.0)
        twin.set_ylim(0, max(latency.values()) * 1.3)
        twin.set_ylabel("latency ms", fontsize=font_size, color="#555555")
        twin.tick_params(labelsize=font_size, colors="#555555")
        twin.yaxis.set_major_locator(MaxNLocator(nbins=3))
        handles.append(Line2D([], [], color="#555555", lw=1.0, label="response time (ms, right)"))
    return handles


def _stairs(ax, values: dict[float, float], colour: str, ls: str, lw: float) -> None:
    """One value per minute [at, at + 60), as steps; minutes missing from `values` are gaps."""
    import numpy as np
    ats = sorted(values)
    if not ats:
        return
    starts = np.arange(ats[0], ats[-1] + 60, 60.0)
    heights = np.array([values.get(float(a), np.nan) for a in starts])
    ax.stairs(heights, np.append(starts, starts[-1] + 60), baseline=None, color=colour, ls=ls, lw=lw)


def _weighted_latency(minutes, t0: float) -> dict[float, float]:
    """Average TargetResponseTime per minute across the groups, weighted by their requests, in ms."""
    total: dict[float, list[float]] = {}
    for m in minutes:
        if m.target_group and m.latency is not None and m.requests:
            acc = total.setdefault(m.at - t0, [0.0, 0.0])
            acc[0] += m.latency * 1000 * m.requests
            acc[1] += m.requests
    return {at: weighted / count for at, (weighted, count) in total.items()}


def _short_group(name: str) -> str:
    return name if len(name) <= 24 else "…" + name[-22:]


def _draw_milestones(ax, marks: list[Milestone], t0: float, label: bool, font_size: float = 8,
                     lines: bool = True) -> None:
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
        if lines:
            ax.axvline(x, color=colour, ls=style, lw=1.6 if m.kind != "started" else 1.3)
        if not label:
            continue
        at = (x - left) * points_per_second + 2      # the label's left edge, in points
        offset = 2 + max(0.0, taken - at)
        taken = at + offset - 2 + line
        ax.annotate(m.kind, (x, top), xytext=(offset, -3), textcoords="offset points", rotation=90,
                    va="top", ha="left", fontsize=font_size, color=colour,
                    fontweight="bold" if colour == PALETTE["failure"] else "normal",
                    # readable where it crosses another milestone's line
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.4})


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
    colours = deployment_colours(samples)
    fig = new_figure(11, 1.9 + 0.34 * max(len(histories), 1))
    ax = fig.subplots()
    for row, history in enumerate(histories):
        colour = colours.get(history.last.deployment, PALETTE["unknown"])
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
                    color=PALETTE["failure"] if task.stop_code in ("TaskFailedToStart", "EssentialContainerExited")
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


LEGEND_GREY = "#595959"   # what a legend shows in place of a revision's colour


def _state_handles() -> list[Artist]:
    """Each state drawn as its bars are (`_phase_bar`): the fill at the state's alpha, the hatch at full
    strength, in one grey standing for any revision's colour."""
    handles: list[Artist] = [Patch(facecolor=to_rgba(LEGEND_GREY, alpha), hatch=hatch, edgecolor=LEGEND_GREY,
                                   linewidth=0, label=state.lower())
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
    ax.axhline(e.low, color=PALETTE["neutral"], ls=":", lw=1.6)
    # Equal limits (the classic deadlock) share one line: dash-dot over dots reads as both.
    ax.axhline(e.high, color=PALETTE["neutral"], ls="-.", lw=1.3)
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
                     color=PALETTE["failure"])
        ax.text(0.6, e.desired / 2, _wrap(e.why_deadlocked(), 62), fontsize=9, va="center", color=PALETTE["failure"])
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
        ax.bar(x, -stopped, width=0.55, facecolor=to_rgba(PALETTE["leaving"], 0.45), edgecolor="#555555",
               hatch=LEAVING_HATCH, lw=0.8)


def _explainer_handles(e: RolloutExplanation) -> list:
    return [Patch(color=OLD_COLOUR, label="old task (healthy)"),
            Patch(color=NEW_COLOUR, label="new task (healthy)"),
            Patch(facecolor=NEW_COLOUR, alpha=0.45, hatch="//", edgecolor="white", label="new task (starting)"),
            Patch(facecolor=to_rgba(PALETTE["leaving"], 0.45), edgecolor="#555555", hatch=LEAVING_HATCH,
                  label="old task stopped in this step"),
            Line2D([], [], color=PALETTE["neutral"], ls="-.", label=f"at most {e.high} tasks (maximumPercent, rounded down)"),
            Line2D([], [], color=PALETTE["neutral"], ls=":", lw=1.6,
                   label=f"at least {e.low} healthy (minimumHealthyPercent, rounded up)")]


def _wrap(text: str, width: int) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(text, width))
