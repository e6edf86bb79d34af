"""The pictures: one colour one meaning, the cap and the stopping band, the traffic panel, the live
plot's window and narration line."""
from __future__ import annotations

import math

import pytest

matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("ipywidgets")
matplotlib.use("Agg")

from fargate_lab import local  # noqa: E402
from fargate_lab.teach import LivePlot, Recorder, plots  # noqa: E402
from tests.teach.test_teach import build_talk_service  # noqa: E402


def test_one_colour_one_meaning():
    """Every colour the plots use comes from the palette, and no two meanings share one."""
    singles = list(plots.PALETTE.values())
    everything = list(plots.REVISION_COLOURS) + singles
    assert len(set(everything)) == len(everything)
    assert set(plots.TARGET_COLOURS.values()) <= set(singles)
    assert {colour for colour, _, _ in plots.MILESTONE_STYLE.values()} == {plots.PALETTE["neutral"],
                                                                          plots.PALETTE["failure"]}
    styles = plots.revision_styles([f"web:{n}" for n in range(1, 8)])
    assert [c for c, _ in styles.values()][:3] == list(plots.REVISION_COLOURS)
    assert styles["web:4"] == (plots.REVISION_COLOURS[0], "..")   # hues repeat with a hatch, never more hues
    assert len(set(styles.values())) == 7


@pytest.fixture(scope="module")
def canary():
    """A talk service (one target group, rolling) recorded through a deploy with CloudWatch read."""
    cloud = local.start(seed=0)
    try:
        talk = build_talk_service()
        import boto3
        recorder = Recorder(talk["ecs"], "talk", "web", elbv2=talk["elb"], cloudwatch=boto3.client("cloudwatch"))
        recorder.record(180, step=5, sleep=cloud.sleep)
        talk["ecs"].update_service(cluster="talk", service="web", taskDefinition=talk["v2"])
        recorder.record(900, step=5, sleep=cloud.sleep,
                        until=lambda s: s.settled and s.primary.task_definition == "web:2")
        recorder.record(180, step=5, sleep=cloud.sleep)
        return recorder.samples
    finally:
        cloud.stop()


def test_traffic_is_read_per_target_group_and_named_by_its_revisions(canary):
    minutes = plots.traffic_minutes(canary)
    served = [m for m in minutes if m.target_group == "talk-web" and m.requests]
    assert served and all(m.latency and m.latency > 0 for m in served)
    revisions = {m.revisions for m in served}
    # a rolling deployment has both revisions in its one group for a while: CloudWatch cannot split them
    assert ("web:1",) in revisions and ("web:2",) in revisions and ("web:1", "web:2") in revisions
    fig = plots.timeline(canary)
    tasks_ax, targets_ax, traffic_ax = fig.axes[:3]
    labels = [t.get_text() for t in traffic_ax.get_legend().get_texts()]
    assert labels[:3] == ["web:1", "all revisions (one target group)", "web:2"]
    fig.savefig("/tmp/teach_timeline_traffic.png", dpi=100)


def test_no_traffic_panel_without_requests(canary):
    import dataclasses
    quiet = [dataclasses.replace(s, traffic=()) for s in canary]
    assert len(plots.timeline(quiet).axes) == 2
    assert len(plots.timeline(canary, traffic=False).axes) == 2


def test_the_stack_rises_above_the_cap_by_the_stopping_band_only(canary):
    fig = plots.timeline(canary, show_limits=True)
    tasks_ax = fig.axes[0]
    x, layers = plots.stacked_counts(canary)
    counted = [sum(c[i] for _, kind, c in layers if kind != "stopping") for i in range(len(x))]
    for sample, inside in zip(canary, counted):
        assert inside <= math.floor(sample.desired * sample.maximum_percent / 100)
    assert any(kind == "stopping" for _, kind, _ in layers)  # the old tasks draining, in a band of their own
    labels = [t.get_text() for t in tasks_ax.get_legend().get_texts()]
    assert "stopping (not counted by the cap)" in labels
    assert "cap ⌊desired × max %⌋ (now 8)" in labels and "floor ⌈desired × min healthy %⌉ (now 4)" in labels


def test_milestone_names_do_not_overlap_after_the_layout(canary):
    fig = plots.timeline(canary, show_limits=True)
    fig.canvas.draw()
    boxes = [t.get_window_extent() for t in fig.axes[0].texts]
    assert len(boxes) >= 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


class _Samples:
    def __init__(self, samples):
        self.samples, self.service, self.cluster = samples, "web", "talk"


def test_live_plot_window_slides_and_says_what_happened(canary):
    recorder = _Samples(canary[:40])
    live = LivePlot(recorder, output="image", window=120)   # type: ignore[arg-type]
    live.show()
    first_left = live._tasks_ax.get_xlim()[0]
    recorder.samples = canary
    live.show()
    assert live._tasks_ax.get_xlim()[0] > first_left + 60
    assert len(live.figure.axes) == 4                      # tasks, targets, traffic and its latency scale
    assert live.narration == "web:2 rolled out: COMPLETED" == live._narration.get_text()
    live.say("now watch the old tasks drain")
    assert live._narration.get_text() == "now watch the old tasks drain"
    assert bytes(live._png()).startswith(b"\x89PNG")
