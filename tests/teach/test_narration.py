"""fargate_lab.teach.narration and the timeline's milestone names: what a presenter reads on screen."""
from __future__ import annotations

import time

import pytest

from fargate_lab.teach import Lab, Recorder
from fargate_lab.teach.narration import MilestoneHold, Narrator
from tests.conftest import network, web_definition
from tests.scenarios.test_strategies import site  # noqa: F401  (the ALB fixture)


def talk_service(cloud, ecs, subnets):
    """Service web of cluster talk, 3 tasks of web:1 with the circuit breaker; a lab and a recorder on it."""
    ecs.create_cluster(clusterName="talk")
    ecs.create_service(cluster="talk", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=3,
                       launchType="FARGATE", networkConfiguration=network(subnets),
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    return Lab(mode="virtual", cloud=cloud), Recorder.for_session(cloud.session(), "talk", "web")


def test_a_release_then_a_broken_one_rolled_back_by_the_breaker(cloud, ecs, subnets):
    lab, recorder = talk_service(cloud, ecs, subnets)
    narrator, said = Narrator(), []

    def watch(seconds):
        for sample in recorder.record(seconds, step=5, sleep=lab.sleep, until=lambda s: s.settled):
            sentence = narrator.update(sample)
            if sentence:
                said.append(sentence)
    watch(600)
    assert said == ["web:1 rolled out: COMPLETED"], said       # its first sample saw it IN_PROGRESS
    ecs.update_service(cluster="talk", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:v2"))
    watch(900)
    ecs.update_service(cluster="talk", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:crash"))
    watch(1800)
    assert said[1:] == ["deploying web:2", "web:2 rolled out: COMPLETED", "deploying web:3",
                        said[4], "rolled back: web:2 serves again"], said
    assert said[4].startswith("web:3: ") and said[4].endswith(" tasks failed to start → FAILED → rolling back to web:2")
    assert narrator.last == "rolled back: web:2 serves again"


def test_milestone_labels_never_overlap_even_a_moment_apart(cloud, ecs, subnets):
    """failed and rolling back come a second apart: their names stand side by side, in a full recording
    and in a live plot's short window alike."""
    import matplotlib
    matplotlib.use("Agg")
    from fargate_lab.teach import plots
    lab, recorder = talk_service(cloud, ecs, subnets)
    recorder.record(600, step=5, sleep=lab.sleep, until=lambda s: s.settled)
    for image in ("fargatelab/web:v2", "fargatelab/web:crash", "fargatelab/web:v3"):
        ecs.update_service(cluster="talk", service="web", taskDefinition=web_definition(ecs, image))
        recorder.record(1800, step=5, sleep=lab.sleep, until=lambda s: s.settled)
    from matplotlib.figure import Figure

    from fargate_lab.teach.live import FIGURE_SIZE, IMAGE_DPI
    for window in (None, 900):                       # the live plot's figure and layout
        figure = Figure(figsize=FIGURE_SIZE, dpi=IMAGE_DPI)
        figure.subplots_adjust(left=0.06, right=0.70, top=0.93, bottom=0.1, hspace=0.12)
        ax = figure.subplots(1, 1)
        plots.draw_timeline(ax, None, recorder.samples, "t", window=window, font_size=8)
        figure.canvas.draw()
        boxes = [t.get_window_extent() for t in ax.texts]
        assert len(boxes) >= 4, [t.get_text() for t in ax.texts]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.overlaps(b), (window, [t.get_text() for t in ax.texts])


@pytest.mark.parametrize("moments", [(0, 3, 50), (400, 410, 420, 430, 470), (0, 1, 2, 3, 4, 5), (100, 145, 150)])
def test_milestone_names_a_few_seconds_apart_stand_side_by_side(moments):
    """Whatever the spacing (a second apart, or just under and just over a label's width), no name is
    printed over another: checked on the drawn text's boxes."""
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from fargate_lab.teach import plots
    from fargate_lab.teach.history import Milestone
    from fargate_lab.teach.live import FIGURE_SIZE, IMAGE_DPI
    figure = Figure(figsize=FIGURE_SIZE, dpi=IMAGE_DPI)
    figure.subplots_adjust(left=0.06, right=0.70, top=0.93, bottom=0.1)
    ax = figure.subplots(1, 1)
    ax.set_xlim(0, 2000)
    ax.set_ylim(0, 10)
    kinds = ("started", "completed", "failed", "rollback", "deadlock")
    plots._draw_milestones(ax, [Milestone(at, kinds[i % 5], "", "") for i, at in enumerate(moments)], 0.0,
                           label=True, font_size=8)
    figure.canvas.draw()
    boxes = [t.get_window_extent() for t in ax.texts]
    assert len(boxes) == len(moments)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), moments


def test_a_canary_with_a_pause_is_narrated_shift_by_shift(cloud, ecs, site):
    """Blue/green's, canary's and linear's news come from the service's events: test traffic, a paused
    hook (and what to do about it), each production shift, then the roll-out."""
    from tests.scenarios.test_strategies import create, deploy
    create(ecs, cloud, site, "CANARY", canaryConfiguration={"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 2})
    lab, recorder = Lab(mode="virtual", cloud=cloud), Recorder.for_session(cloud.session(), "shop", "web")
    narrator = Narrator()
    narrator.update(recorder.sample())
    deploy(ecs, "fargatelab/web:v2", strategy="CANARY", bakeTimeInMinutes=1,
           canaryConfiguration={"canaryPercent": 20.0, "canaryBakeTimeInMinutes": 2},
           lifecycleHooks=[{"targetType": "PAUSE", "lifecycleStages": ["PRE_PRODUCTION_TRAFFIC_SHIFT"]}])

    def said_over(seconds):
        return [s for s in map(narrator.update, recorder.record(seconds, step=10, sleep=lab.sleep)) if s]
    paused = said_over(600)
    assert paused[-1] == ("web:2: paused at PRE_PRODUCTION_TRAFFIC_SHIFT, waiting for ContinueServiceDeployment "
                          "(continue or roll back)"), paused
    assert paused[0] == "deploying web:2", paused
    arn = ecs.list_service_deployments(cluster="shop", service="web")["serviceDeployments"][0]["serviceDeploymentArn"]
    hook = ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]["lifecycleHookDetails"][0]
    ecs.continue_service_deployment(serviceDeploymentArn=arn, hookId=hook["hookId"])
    rest = said_over(1200)
    assert rest[:2] == ["web:2: 20% of production traffic", "web:2: 100% of production traffic"], rest
    assert rest[-1] == "web:2 rolled out: COMPLETED", rest


def test_a_real_clock_holds_at_the_breakers_verdict():
    """Real mode: lab.live_plot holds the clock at each milestone, seen as samples a wall-clock
    moment apart with the same cloud time; a deployment merely starting holds nothing."""
    import boto3

    from fargate_lab import local
    with local.cloud(clock="real", speed=200) as cloud:
        ecs = boto3.client("ecs")
        found = boto3.client("ec2").describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])
        _, recorder = talk_service(cloud, ecs, sorted(s["SubnetId"] for s in found["Subnets"])[:2])
        lab = Lab(mode="real", speed=200, cloud=cloud, hold=1.0)
        walls: list[tuple[float, float]] = []      # (wall time a sample began, the cloud time it read)
        take = recorder.sample

        def timed_sample():
            began = time.monotonic()
            sample = take()
            walls.append((began, sample.at))
            return sample
        recorder.sample = timed_sample             # timed here, not after the redraw: drawing is no hold
        held = run_breaker_story(lab, recorder, ecs, lambda sample: None)
        still_held = cloud.clock.held_until is not None   # the last milestone ended the run, its hold goes on
    failed = [i for i, said in enumerate(held) if said.endswith(" → FAILED → rolling back to web:1")]
    assert failed and held[failed[0]].startswith("web:2: "), held
    assert held[-1] == "rolled back: web:1 serves again", held
    assert not [said for said in held if said.startswith("deploying ")], held
    # Between two samples cloud time runs 200x the wall's, except across a hold, where it falls behind by
    # the hold's length (200 cloud s for 1 s); sampling's own time varies far less than that.
    lags = [(b[0] - a[0]) * 200 - (b[1] - a[1]) for a, b in zip(walls, walls[1:])]
    assert [lag for lag in lags if lag >= 160] and still_held, lags


def run_breaker_story(lab, recorder, ecs, listener):
    live = lab.live_plot(recorder, output="figure")
    hold = next(listener for listener in live.listeners if isinstance(listener, MilestoneHold))
    live.listeners.append(listener)
    live.run(1800, step=5, until=lambda s: s.settled)
    ecs.update_service(cluster="talk", service="web", taskDefinition=web_definition(ecs, "fargatelab/web:crash"))
    live.run(3600, step=5, until=lambda s: s.settled and s.primary.task_definition == "web:1")
    return hold.held


def test_a_blue_green_recording_counts_green_targets_too(cloud, ecs, site):
    """The targets panel reads the alternate target group as well: while blue and green both run, 8
    targets for 4 tasks a side; once blue has stopped, green's 4 healthy alone."""
    from tests.scenarios.test_strategies import create, deploy
    create(ecs, cloud, site)
    lab, recorder = Lab(mode="virtual", cloud=cloud), Recorder.for_session(cloud.session(), "shop", "web")
    deploy(ecs, "fargatelab/web:v2")
    samples = recorder.record(1800, step=10, sleep=lab.sleep, until=lambda s: s.settled and s.targets.total == 4)
    assert max(s.targets.total for s in samples) == 8 and max(s.targets.healthy for s in samples) == 8
    assert samples[-1].targets.healthy == 4 and samples[-1].primary.task_definition == "web:2"
