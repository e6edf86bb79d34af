"""fargate_lab.teach: the recorder, the static plots, the live plot, the demo panel, the mode switch.

The talk's deploy (4 tasks behind a load balancer, v1 -> v2) is recorded once on a
virtual clock; the plots are pure functions of that recording.  Each static plot is
also saved to /tmp/teach_*.png so a person can look at it.
"""
from __future__ import annotations

import inspect
import os
import time
from pathlib import Path

import boto3
import pytest

matplotlib = pytest.importorskip("matplotlib")
pytest.importorskip("ipywidgets")
matplotlib.use("Agg")

from fargate_lab import local  # noqa: E402
from fargate_lab.teach import DemoPanel, LivePlot, Recorder, explain_rollout, plots, setup  # noqa: E402
from fargate_lab.teach.history import TaskHistory, milestones, task_histories, task_phases  # noqa: E402
from fargate_lab.teach.mode import resolve_mode, resolve_speed  # noqa: E402
from fargate_lab.teach.panel import KILL_REASON  # noqa: E402
from fargate_lab.teach.sampling import TaskState  # noqa: E402

from tests.conftest import network, web_definition  # noqa: E402
from tests.paths import REPO  # noqa: E402

PNG_DIR = Path("/tmp")


# -- the talk's service -----------------------------------------------------------------------

def build_talk_service(desired: int = 4, config: dict | None = None) -> dict:
    """A load-balanced Fargate service on v1, stable and healthy; returns its handles."""
    ecs, ec2, elb = boto3.client("ecs"), boto3.client("ec2"), boto3.client("elbv2")
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    lb = elb.create_load_balancer(Name="talk", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="talk-web", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ecs.create_cluster(clusterName="talk")
    versions = {tag: web_definition(ecs, f"fargatelab/web:{tag}") for tag in ("v1", "v2", "crash")}
    ecs.create_service(cluster="talk", serviceName="web", taskDefinition=versions["v1"], desiredCount=desired,
                       launchType="FARGATE", networkConfiguration=network(subnets),
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}],
                       **({"deploymentConfiguration": config} if config else {}))
    ecs.get_waiter("services_stable").wait(cluster="talk", services=["web"])
    local.current().advance(60)  # the targets pass their first health check
    return {"ecs": ecs, "elb": elb, "tg": tg, **versions}


def describe(ecs) -> dict:
    return ecs.describe_services(cluster="talk", services=["web"])["services"][0]


def rolled_out(ecs) -> bool:
    s = describe(ecs)
    return len(s["deployments"]) == 1 and s["deployments"][0]["rolloutState"] == "COMPLETED" and \
        s["runningCount"] == s["desiredCount"]


@pytest.fixture(scope="module")
def talk_samples():
    """The talk's rolling deploy, sampled every 5 cloud seconds: plain data, the cloud already gone."""
    cloud = local.start(seed=0)
    cloud.wire.validate = True
    try:
        talk = build_talk_service()
        recorder = Recorder(talk["ecs"], "talk", "web", elbv2=talk["elb"])
        recorder.sample()
        cloud.advance(10)
        talk["ecs"].update_service(cluster="talk", service="web", taskDefinition=talk["v2"])
        recorder.record(900, step=5, until=lambda s: s.settled and s.primary.task_definition == "web:2")
        for _ in range(6):  # a little of the steady state: the old tasks finish deprovisioning
            cloud.advance(5)
            recorder.sample()
        assert not cloud.wire.violations
        return recorder.samples
    finally:
        cloud.stop()


# -- the recorder ----------------------------------------------------------------------------

def test_recorder_samples_the_talk_deploy_as_plain_data(talk_samples):
    first, last = talk_samples[0], talk_samples[-1]
    assert (first.running, first.desired, len(first.deployments), first.targets.healthy) == (4, 4, 1, 4)
    assert max(s.running + s.pending for s in talk_samples) == 8
    assert any(len(s.deployments) == 2 for s in talk_samples)
    assert any(s.targets.draining == 4 for s in talk_samples)
    assert last.settled and last.primary.task_definition == "web:2"
    assert [round(b.at - a.at) for a, b in zip(talk_samples, talk_samples[1:])] == [10] + [5] * (len(talk_samples) - 2)
    # tasks: 4 old + 4 new, with the lifecycle timestamps the Gantt chart needs
    histories = task_histories(talk_samples)
    assert sorted(h.last.task_definition for h in histories) == ["web:1"] * 4 + ["web:2"] * 4
    old = [h.last for h in histories if h.last.task_definition == "web:1"]
    assert all(t.stopped_at and t.stopping_at and t.started_at and t.pull_started_at for t in old)
    assert all(t.stopped_reason.startswith("Scaling activity initiated by (deployment") for t in old)
    messages = [e.message for s in talk_samples for e in s.new_events]
    assert sum(m.endswith("deployment completed.") for m in messages) == 2  # v1 (before) and v2
    assert "targets 4 healthy" in last.summary()


def test_milestones_mark_the_deploy_from_created_at_and_events(talk_samples):
    marks = milestones(talk_samples)
    assert [m.kind for m in marks] == ["started", "completed"]
    started, completed = marks
    assert started.deployment == completed.deployment == talk_samples[-1].primary.id
    # the v2 deployment finishes after the 300 s deregistration delay of the old targets
    assert 300 <= completed.at - started.at <= 420


# -- static plots -------------------------------------------------------------------------------

def stacked_top(ax) -> float:
    """The top of a stackplot: the highest vertex of its filled areas."""
    return max(path.vertices[:, 1].max() for area in ax.collections for path in area.get_paths())


def test_timeline_stacks_to_eight_with_desired_line_and_milestones(talk_samples):
    fig = plots.timeline(talk_samples)
    fig.savefig(PNG_DIR / "teach_timeline.png", dpi=110)
    tasks_ax, targets_ax = fig.axes
    assert stacked_top(tasks_ax) == 8
    x, layers = plots.stacked_counts(talk_samples)
    assert max(sum(counts[i] for _, _, counts in layers) for i in range(len(x))) == 8
    labels = [t.get_text() for t in tasks_ax.get_legend().get_texts()]
    assert {"desired", "deployment started", "deployment completed"} <= set(labels)
    # colour per revision, then shade per kind of layer
    assert labels[:5] == ["web:1", "web:2", "running", "pending (starting)", "stopping (not counted by the cap)"]
    desired = next(line for line in tasks_ax.get_lines() if line.get_label() == "desired")
    assert set(desired.get_ydata()) == {4}
    assert stacked_top(targets_ax) == 8  # 4 healthy + 4 initial, then 4 healthy + 4 draining
    assert tasks_ax.get_xlabel() == "" and "cloud time" in targets_ax.get_xlabel()


def test_timeline_without_load_balancer_or_tasks_has_one_axes(talk_samples):
    import dataclasses
    from fargate_lab.teach.sampling import TargetCounts
    bare = [dataclasses.replace(s, targets=TargetCounts(), tasks=None) for s in talk_samples]
    fig = plots.timeline(bare)
    assert len(fig.axes) == 1
    assert stacked_top(fig.axes[0]) == 8  # running + pending alone still peak at 8
    with pytest.raises(ValueError, match="nothing recorded"):
        plots.timeline([])


def test_gantt_has_one_row_per_task_with_its_states(talk_samples):
    fig = plots.gantt(talk_samples)
    fig.savefig(PNG_DIR / "teach_gantt.png", dpi=110)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    histories = task_histories(talk_samples)
    assert len(rows) == len(histories) == 8
    assert rows == [f"{h.id[:8]} {h.last.task_definition}" for h in histories]
    bar_rows = {round(b.get_paths()[0].vertices[:, 1].mean()) for b in ax.collections}
    assert bar_rows == set(range(8))  # every task has bars in its own row
    legends = {lg.get_title().get_text(): [t.get_text() for t in lg.get_texts()] for lg in fig.legends}
    assert legends["task state"][:4] == ["provisioning", "pending", "activating", "running"]
    assert len(legends["deployment (startedBy)"]) == 2
    end = talk_samples[-1].at
    new_task = next(h for h in histories if h.last.task_definition == "web:2")
    assert [p.state for p in task_phases(new_task, end)] == ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]
    old_task = histories[0]
    phases = {p.state: p.end - p.start for p in task_phases(old_task, end)}
    assert list(phases) == ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING",
                            "DEPROVISIONING"]
    assert 295 <= phases["DEACTIVATING"] <= 305  # the deregistration delay, to the sampling step


def test_task_phases_follow_the_timestamps():
    task = TaskState("abc", "ecs-svc/1", "web:1", "STOPPED", "STOPPED", "UNKNOWN", created_at=100,
                     pull_started_at=108, pull_stopped_at=115, started_at=120, stopping_at=200,
                     execution_stopped_at=510, stopped_at=530)
    sampled = TaskHistory(task, first_seen={"RUNNING": 125, "DEACTIVATING": 205, "STOPPING": 505},
                          last_seen={"DEACTIVATING": 500})
    assert [(p.state, p.start, p.end) for p in task_phases(sampled, end=600)] == [
        ("PROVISIONING", 100, 108), ("PENDING", 108, 115), ("ACTIVATING", 115, 120), ("RUNNING", 120, 200),
        ("DEACTIVATING", 200, 505), ("STOPPING", 505, 510), ("DEPROVISIONING", 510, 530)]
    # never seen draining: the whole stop is STOPPING
    assert [p.state for p in task_phases(TaskHistory(task), end=600)][-2:] == ["STOPPING", "DEPROVISIONING"]
    # a task that failed to start: pulled, never RUNNING
    failed = TaskState("def", "ecs-svc/1", "web:9", "STOPPING", "STOPPED", "UNKNOWN", created_at=0,
                       pull_started_at=6, stopping_at=25)
    assert [(p.state, p.start, p.end) for p in task_phases(TaskHistory(failed), end=40)] == [
        ("PROVISIONING", 0, 6), ("PENDING", 6, 25), ("STOPPING", 25, 40)]


def test_explainer_for_4_tasks_min_50_max_200_stops_2_starts_4_stops_2():
    explained = explain_rollout(4, 50, 200)
    assert (explained.low, explained.high, explained.deadlocked) == (2, 8, False)
    assert explained.batches == ["stop 2", "start 4", "stop 2"]
    first, second = explained.steps
    assert (first.stopped_old, first.started, first.old, first.new, first.lowest_healthy) == (2, 4, 2, 4, 2)
    assert (second.stopped_old, second.started, second.old, second.new) == (2, 0, 0, 4)
    assert explained.peak_tasks == 6 and explained.lowest_healthy == 2
    fig = plots.explainer(explained)
    fig.savefig(PNG_DIR / "teach_explainer.png", dpi=110)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["before", "step 1", "step 2"]
    heights = {}
    for bar in ax.patches:
        x = round(bar.get_x() + bar.get_width() / 2)
        heights.setdefault(x, []).append(bar.get_height())
    assert heights == {0: [4], 1: [2, 4, -2], 2: [4, -2]}  # old, new starting, stopped (below zero)
    assert "stop 2 → start 4 → stop 2" in ax.get_title(loc="left")
    assert sorted(line.get_ydata()[0] for line in ax.get_lines()) == [0, 2, 8]  # zero, min healthy, max


@pytest.mark.parametrize("desired, minimum, maximum, batches", [
    (4, 100, 200, ["start 4", "stop 4"]),              # the defaults: all new first (Fargate, docs/ecs-behaviour.md §2.4)
    (6, 50, 100, ["stop 3", "start 3", "stop 3", "start 3"]),
    (6, 50, 200, ["stop 3", "start 6", "stop 3"]),     # "with enough room: stop 3, start 6, stop 3"
    (1, 0, 100, ["stop 1", "start 1"]),                # downtime
    (1, 100, 200, ["start 1", "stop 1"]),
])
def test_explainer_batches(desired, minimum, maximum, batches):
    assert explain_rollout(desired, minimum, maximum).batches == batches


@pytest.mark.parametrize("desired, minimum, maximum", [(2, 75, 100), (3, 100, 125), (1, 100, 100)])
def test_explainer_says_when_the_configuration_deadlocks(desired, minimum, maximum):
    explained = explain_rollout(desired, minimum, maximum)
    assert explained.deadlocked and explained.steps == () and explained.batches == []
    assert "was unable to stop or start tasks" in explained.why_deadlocked()
    fig = plots.explainer(desired, minimum, maximum)
    if (desired, minimum, maximum) == (2, 75, 100):
        fig.savefig(PNG_DIR / "teach_explainer_deadlock.png", dpi=110)
    assert fig.axes[0].get_title(loc="left").startswith("DEADLOCK")


def test_explainer_refuses_what_update_service_refuses():
    with pytest.raises(ValueError, match="minimumHealthyPercent must be between 0 and 100"):
        explain_rollout(4, 150, 200)
    with pytest.raises(ValueError, match="maximumPercent must be at least 100"):
        explain_rollout(4, 50, 90)


def test_explainer_first_batches_match_the_local_cloud(cloud):
    """The engine's real deploy with min 50 / max 200 starts the same way: stop 2 and start 4."""
    talk = build_talk_service(config={"minimumHealthyPercent": 50, "maximumPercent": 200})
    ecs = talk["ecs"]
    seen = {e["id"] for e in describe(ecs)["events"]}
    ecs.update_service(cluster="talk", service="web", taskDefinition=talk["v2"])
    assert cloud.run_until(lambda: rolled_out(ecs), timeout=1200, step=5)
    fresh = [e["message"] for e in reversed(describe(ecs)["events"]) if e["id"] not in seen]
    batches = [m.split(" has ", 1)[1].split(":")[0] for m in fresh if " has stopped " in m or " has started " in m]
    assert batches[:2] == ["stopped 2 running tasks", "started 4 tasks"]
    # later stops come one by one as each new task turns healthy; the explainer groups them
    assert sum(int(b.split()[1]) for b in batches if b.startswith("stopped")) == 4


# -- the live plot -----------------------------------------------------------------------------

def test_live_plot_runs_headless_on_the_virtual_clock(cloud):
    talk = build_talk_service()
    recorder = Recorder(talk["ecs"], "talk", "web", elbv2=talk["elb"])
    live = LivePlot(recorder, sleep=cloud.sleep, output="image")
    view = live.widget()  # ipywidgets works without a front end
    talk["ecs"].update_service(cluster="talk", service="web", taskDefinition=talk["v2"])
    fig = live.run(900, step=5, until=lambda s: s.settled and s.primary.task_definition == "web:2")
    fig.savefig(PNG_DIR / "teach_live.png", dpi=100)
    assert live.frames >= 60 and len(recorder.samples) == live.frames  # one frame per sample
    assert 1 <= live.renders <= live.frames  # rendering is throttled to `interval`; the last frame is shown
    assert bytes(live._image.value).startswith(b"\x89PNG")
    assert view.children[1] is live._image
    tasks_ax = fig.axes[0]
    labels = [t.get_text() for t in tasks_ax.get_legend().get_texts()]
    assert "desired" in labels and any(label.startswith("cap ") for label in labels)
    assert any(label.startswith("web:2") for label in labels)
    assert {"started", "completed"} <= {t.get_text() for t in tasks_ax.texts}   # named on their lines
    assert "4/4 running, 0 pending, 1 deployment" in live._title.get_text()
    assert live._narration.get_text() == "web:2 rolled out: COMPLETED" == live.narration
    assert stacked_top(tasks_ax) == 8  # the same stack as the static timeline


def test_live_plot_samples_at_least_four_times_a_second_on_the_real_clock():
    lab = setup("real", speed=20)
    try:
        ecs = lab.client("ecs")
        ecs.create_cluster(clusterName="talk")
        ecs.create_service(cluster="talk", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=2,
                           launchType="FARGATE", networkConfiguration=network(_subnets(lab)))
        for output in ("figure", "image"):
            live = LivePlot(Recorder(ecs, "talk", "web"), output=output)
            live.widget()
            cpu = time.process_time()
            live.start()
            assert live.running and live._start_button.disabled
            time.sleep(2.0)
            live.stop()
            frames, cpu_per_frame = live.frames, (time.process_time() - cpu) / max(live.frames, 1)
            assert not live.running and not live._start_button.disabled
            # 4 a second; on a machine busy with other work, at least our own cost per frame must allow it
            assert frames >= 8 or cpu_per_frame < 0.2, f"{output}: {frames} frames in 2 s, {cpu_per_frame:.3f} s CPU each"
            assert live.renders == frames  # the sampler shows every frame it draws
            assert live._status.value == f"stopped after {frames} frames"
            time.sleep(0.4)
            assert live.frames == frames  # stopped means stopped
        live._start_button.click()  # the widget's own buttons start and stop it too
        assert live.running
        live._stop_button.click()
        assert not live.running
        assert lab.wait_until(lambda: describe(ecs)["runningCount"] == 2, timeout=300, step=5)
        assert live.recorder.samples[-1].at - live.recorder.samples[0].at > 20  # cloud time ran 20x
    finally:
        lab.stop()


def _subnets(lab) -> list[str]:
    ec2 = lab.client("ec2")
    return sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]


# -- the demo panel -----------------------------------------------------------------------------

def test_panel_triggers_deploy_break_kill_and_scale(cloud):
    talk = build_talk_service()
    ecs = talk["ecs"]
    panel = DemoPanel("talk", "web", new_version=talk["v2"], broken_version=talk["crash"], session=cloud.session())
    view = panel.widget()
    assert [b.description for b in panel.buttons.values()] == [
        "Deploy new version", "Deploy broken version", "Kill a task", "Scale to desired count"]
    assert (panel.sliders["desired"].value, panel.sliders["minimum"].value, panel.sliders["maximum"].value) == (
        4, 100, 200)
    assert view.children[-1] is panel.status

    # deploy new: a click queues it on the worker thread; wait() is the headless way to see it done
    panel.buttons["deploy_new"].click()
    new = panel.wait()
    assert new.startswith("ecs-svc/") and "deploying new version web:2" in panel.status.value
    assert cloud.run_until(lambda: rolled_out(ecs), timeout=1200, step=5)
    assert describe(ecs)["deployments"][0]["id"] == new

    # broken: the circuit breaker trips and rolls back to the new version's deployment
    broken = panel.deploy_broken()
    assert broken != new
    assert cloud.run_until(lambda: rolled_out(ecs) and describe(ecs)["deployments"][0]["id"] == new,
                           timeout=2400, step=5)
    messages = [e["message"] for e in describe(ecs)["events"]]
    assert any(f"(deployment {broken}) deployment failed: tasks failed to start." in m for m in messages)
    assert any(m.endswith(f"rolling back to deployment {new}.") for m in messages)

    # kill: the task stops with the panel's reason and ECS starts a replacement
    seen = {e["id"] for e in describe(ecs)["events"]}
    victim = panel.kill_task()
    stopped = ecs.describe_tasks(cluster="talk", tasks=[victim])["tasks"][0]
    assert (stopped["desiredStatus"], stopped["stoppedReason"]) == ("STOPPED", KILL_REASON)

    def replaced() -> bool:
        fresh = [e["message"] for e in describe(ecs)["events"] if e["id"] not in seen]
        return any(m.startswith("(service web) has started 1 tasks") for m in fresh)
    assert cloud.run_until(replaced, timeout=120, step=1)
    assert cloud.run_until(lambda: rolled_out(ecs), timeout=900, step=5)

    # scale: from the slider, through the button
    panel.sliders["desired"].value = 6
    panel.buttons["scale"].click()
    assert panel.wait() == 6
    assert cloud.run_until(lambda: describe(ecs)["runningCount"] == 6, timeout=300, step=5)
    assert len(describe(ecs)["deployments"]) == 1  # scaling is no deployment

    # percentages: they ride along with the next deploy
    panel.set_percentages(50, 150)
    assert (panel.sliders["minimum"].value, panel.sliders["maximum"].value) == (50, 150)
    panel.deploy_new()
    config = describe(ecs)["deploymentConfiguration"]
    assert (config["minimumHealthyPercent"], config["maximumPercent"]) == (50, 150)
    assert config["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    panel.refresh()
    assert panel.status.value.startswith("web: ") and "  |  deploying new version web:2" in panel.status.value
    panel.close()


def test_panel_shows_errors_in_its_status_line(cloud):
    talk = build_talk_service(desired=1)
    panel = DemoPanel("talk", "web", new_version="web:999", broken_version=talk["crash"], ecs=talk["ecs"])
    panel.widget()
    panel.buttons["deploy_new"].click()
    with pytest.raises(Exception):  # noqa: B017 (whatever the failed deploy raised; the status line names it)
        panel.wait()
    assert panel.last_error is not None and panel.status.value.startswith("deploy new failed:")
    panel.close()


def test_a_closed_panel_refuses_clicks_and_says_so(cloud):
    talk = build_talk_service(desired=1)
    panel = DemoPanel("talk", "web", new_version=talk["v2"], broken_version=talk["crash"], ecs=talk["ecs"])
    panel.widget()
    panel.close()
    assert all(b.disabled for b in panel.buttons.values()) and all(s.disabled for s in panel.sliders.values())
    assert panel.status.value == "panel closed (run its cell again for a new one)"
    deployments = len(talk["ecs"].list_service_deployments(cluster="talk", service="web")["serviceDeployments"])
    assert panel.submit(panel.deploy_new).result(5) is None
    assert panel.status.value.startswith("this panel is closed: deploy new did nothing.")
    assert len(talk["ecs"].list_service_deployments(cluster="talk", service="web")["serviceDeployments"]) == deployments


def test_a_panel_whose_service_is_gone_says_so(cloud):
    talk = build_talk_service(desired=1)
    ecs = talk["ecs"]
    panel = DemoPanel("talk", "web", new_version=talk["v2"], broken_version=talk["crash"], ecs=ecs)
    panel.widget()
    ecs.delete_service(cluster="talk", service="web", force=True)
    panel.buttons["deploy_new"].click()
    assert panel.wait() is None and panel.last_error is None
    assert panel.status.value.startswith("deploy new: nothing done, service web is DRAINING") or \
        panel.status.value.startswith("deploy new: nothing done, service web is INACTIVE"), panel.status.value
    assert "Run the notebook from the top" in panel.status.value
    panel.close()


def test_panel_status_follows_a_live_plot(cloud):
    talk = build_talk_service(desired=2)
    recorder = Recorder(talk["ecs"], "talk", "web", elbv2=talk["elb"])
    live = LivePlot(recorder, sleep=cloud.sleep, output="image")
    panel = DemoPanel("talk", "web", new_version=talk["v2"], broken_version=talk["crash"], ecs=talk["ecs"])
    both = panel.widget(live)
    assert both.children[1] is live.widget() and panel.show_sample in live.listeners
    live.update()
    assert panel.status.value == "web: 2/2 running, 0 pending, 1 deployment; targets 2 healthy  |  ready"
    panel.close()


def test_the_panel_status_line_says_what_happened_and_keeps_saying_it(cloud):
    talk = build_talk_service(desired=2)
    recorder = Recorder(talk["ecs"], "talk", "web", elbv2=talk["elb"])
    live = LivePlot(recorder, sleep=cloud.sleep, output="image")
    panel = DemoPanel("talk", "web", new_version=talk["v2"], broken_version=talk["crash"], ecs=talk["ecs"])
    panel.widget(live)
    live.update()
    panel.deploy_broken()
    seen = []
    live.listeners.append(lambda sample: seen.append(panel.status.value.split("  |  ")[-1]))
    live.run(1800, step=5, until=lambda sample: sample.settled)
    assert any(s.endswith("→ FAILED → rolling back to web:1") for s in seen), sorted(set(seen))
    assert panel.status.value.endswith("  |  rolled back: web:1 serves again"), panel.status.value
    live.run(60, step=5)                                 # nothing new: the outcome stays on screen
    assert panel.status.value.endswith("  |  rolled back: web:1 serves again")
    panel.close()


# -- the mode switch ----------------------------------------------------------------------------

def test_mode_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.delenv("FARGATE_LAB_MODE", raising=False)
    monkeypatch.delenv("FARGATE_LAB_SPEED", raising=False)
    assert resolve_mode() == "virtual" and resolve_speed() == 10
    monkeypatch.setenv("FARGATE_LAB_MODE", "real")
    monkeypatch.setenv("FARGATE_LAB_SPEED", "25")
    assert resolve_mode() == "real" and resolve_speed() == 25
    assert resolve_mode("aws") == "aws" and resolve_speed(4) == 4
    monkeypatch.setenv("FARGATE_LAB_MODE", "sim")  # the Binder start script's name for it
    assert resolve_mode() == "virtual"
    with pytest.raises(ValueError, match="use one of virtual, real, aws"):
        resolve_mode("cloud9")
    with pytest.raises(ValueError, match="speed"):
        resolve_speed(0)


def test_virtual_lab_moves_time_only_when_asked():
    with setup("virtual") as lab:
        assert local.current() is lab.cloud and lab.local
        start = lab.now()
        lab.sleep(90)
        assert lab.now() - start == pytest.approx(90)
        ticks = []
        assert lab.wait_until(lambda: ticks.append(1) or len(ticks) > 3, step=10)
        assert lab.now() - start == pytest.approx(120)
        assert not lab.wait_until(lambda: False, timeout=60, step=20)
        assert "virtual clock" in str(lab)
        assert lab.client("ecs").list_clusters()["clusterArns"] == []
    assert local.current() is None


def test_real_lab_runs_speed_times_faster():
    with setup("real", speed=50) as lab:
        start, wall = lab.now(), time.monotonic()
        lab.sleep(25)  # 0.5 s of wall time
        # at least the 0.5 s it should take; well under the 25 s it would at speed 1 (a loaded machine is slow)
        assert 0.4 <= time.monotonic() - wall < 10.0
        assert lab.now() - start >= 25
        assert str(lab) == "fargate-lab: local cloud, real clock 50x faster than AWS"


def test_aws_lab_starts_nothing(monkeypatch):
    local.stop()
    monkeypatch.setenv("FARGATE_LAB_MODE", "aws")
    lab = setup(region="eu-west-1")
    assert lab.mode == "aws" and lab.cloud is None and local.current() is None
    assert lab.session.region_name == "eu-west-1"
    before = time.time()
    lab.sleep(0.05)
    assert time.time() - before >= 0.05 and abs(lab.now() - time.time()) < 1


# -- a notebook, run headless the way nbval runs it -----------------------------------------------

NOTEBOOK_CELLS = [
    "%matplotlib widget\nimport os\nos.environ['FARGATE_LAB_MODE'] = 'virtual'",
    "from fargate_lab.teach import setup, Recorder, LivePlot, DemoPanel, plots\n"
    "lab = setup()\nprint(lab)",
    "import boto3\nfrom fargate_lab import local\nfrom tests.conftest import network, web_definition\n"
    + inspect.getsource(build_talk_service),
    "talk = build_talk_service()\n"
    "recorder = Recorder.for_session(lab.session, 'talk', 'web')\n"
    "live = LivePlot(recorder, sleep=lab.sleep)\n"
    "panel = DemoPanel('talk', 'web', talk['v2'], talk['crash'], session=lab.session)\n"
    "panel.widget(live)",
    "panel.buttons['deploy_new'].click()\n_ = panel.wait()",
    "fig = live.run(900, step=5, until=lambda s: s.settled and s.primary.task_definition == 'web:2')\n"
    "print(live.output, live.frames >= 60, recorder.last.summary())",
    # the sampler thread keeps drawing the ipympl canvas while this cell blocks the kernel
    "import time\nbefore = live.frames\nlive.start(); time.sleep(1.5); live.stop()\n"
    "print('updated while the kernel was busy:', live.frames - before >= 2)",
    "plots.timeline(recorder.samples)",
    "plots.gantt(recorder.samples)",
    "plots.explainer(4, 50, 200)",
]


def test_a_notebook_using_the_helpers_runs_headless():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("ipympl")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    repo = str(REPO)
    env = {**os.environ, "PYTHONPATH": repo + os.pathsep + os.environ.get("PYTHONPATH", "")}
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": repo}})
    client.execute(env=env)  # raises CellExecutionError on any failing cell
    texts = ["".join(o.get("text", "") for o in cell.outputs) for cell in notebook.cells]
    assert "virtual clock" in texts[1]
    assert texts[5].strip() == "ipympl True 4/4 running, 0 pending, 1 deployment; targets 4 healthy"
    assert texts[6].strip() == "updated while the kernel was busy: True"
    assert [o.output_type for o in notebook.cells[5].outputs] == ["stream"]  # ioff: no second copy of the canvas
    for cell in notebook.cells[7:]:
        assert any("image/png" in o.get("data", {}) for o in cell.outputs)
    assert not any(o.output_type == "error" or o.get("name") == "stderr" and "Traceback" in o.get("text", "")
                   for cell in notebook.cells for o in cell.outputs)
