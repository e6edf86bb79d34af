"""The presenter's path through the demo panel: a click on the real clock sets the live plot going."""
from __future__ import annotations

import time

import boto3

from fargate_lab import local
from fargate_lab.teach import DemoPanel, Lab, Recorder
from tests.conftest import network, web_definition


def test_a_click_starts_the_live_plot_when_the_panel_follows():
    with local.cloud(clock="real", speed=100) as cloud:
        ecs = boto3.client("ecs")
        subnets = sorted(s["SubnetId"] for s in boto3.client("ec2").describe_subnets(
            Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
        ecs.create_cluster(clusterName="talk")
        ecs.create_service(cluster="talk", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=2,
                           launchType="FARGATE", networkConfiguration=network(subnets))
        lab = Lab(mode="real", speed=100, cloud=cloud)
        live = lab.live_plot(Recorder.for_session(cloud.session(), "talk", "web"), output="image")
        v2 = web_definition(ecs, "fargatelab/web:v2")
        panel = DemoPanel("talk", "web", new_version=v2, broken_version=v2, session=cloud.session(), follow=True)
        panel.widget(live)
        assert not live.running
        panel.submit(panel.deploy_new)
        panel.wait()
        assert live.running
        deadline = time.monotonic() + 30
        while "web:2 rolled out: COMPLETED" not in panel.status.value and time.monotonic() < deadline:
            time.sleep(0.2)
        live.stop()
        assert "web:2 rolled out: COMPLETED" in panel.status.value, panel.status.value
        assert live.renders >= 2 and bytes(live.widget().children[-1].value)[:4] == b"\x89PNG"
        quiet = DemoPanel("talk", "web", new_version=v2, broken_version=v2, session=cloud.session())
        other = lab.live_plot(Recorder.for_session(cloud.session(), "talk", "web"), output="image")
        quiet.widget(other)
        quiet.submit(quiet.kill_task)
        quiet.wait()
        assert not other.running          # follow is off by default (the virtual clock: cells move time)
        panel.close()
        quiet.close()


def test_a_bad_hold_setting_is_one_line_and_starts_nothing(monkeypatch):
    import pytest

    from fargate_lab import local
    from fargate_lab.teach import setup
    monkeypatch.setenv("FARGATE_LAB_HOLD", "abc")
    with pytest.raises(ValueError, match=r"^FARGATE_LAB_HOLD='abc': give seconds, e.g. 3 \(0 never holds\)$"):
        setup(mode="real", speed=10)
    assert local.current() is None
    monkeypatch.setenv("FARGATE_LAB_HOLD", "2.5")
    with setup(mode="real", speed=10) as lab:
        assert lab.hold == 2.5
    monkeypatch.setenv("FARGATE_LAB_HOLD", "abc")       # the virtual clock never holds: not even read
    with setup(mode="virtual") as lab:
        assert lab.hold == 0.0


def test_a_followed_plot_stops_with_its_panel_and_a_click_extends_it():
    with local.cloud(clock="real", speed=100) as cloud:
        ecs = boto3.client("ecs")
        ecs.create_cluster(clusterName="talk")
        v1 = web_definition(ecs)
        lab = Lab(mode="real", speed=100, cloud=cloud)
        live = lab.live_plot(Recorder.for_session(cloud.session(), "talk", "web"), output="figure")
        panel = DemoPanel("talk", "web", new_version=v1, broken_version=v1, session=cloud.session(), follow=True)
        panel.widget(live)
        panel.submit(panel.scale, 0)          # no service: the panel says so, the plot samples anyway
        panel.wait()
        first_end = live._ends
        time.sleep(0.05)
        panel.submit(panel.scale, 0)
        panel.wait()
        assert live.running and live._ends > first_end      # the second click gave it more time
        live.stop()
        live.start(duration=30)                              # a stop then a start at once: a fresh sampler
        assert live.running
        panel.close()
        assert not live.running


def test_the_traffic_panel_on_the_real_clock_speaks_in_cloud_minutes():
    """Speed 100 (a client's minute is 100 cloud minutes): the recorder's minutes sit on the samples'
    timeline, name the revision that served them, and hold one cloud minute's requests (10 a second)."""
    from tests.scenarios.test_client_invariants import Lab as ClientLab
    with ClientLab(0, load_balancer=True, clock="real", speed=100) as client_lab:
        client_lab.create_service(2)
        client_lab.wait_stable()
        cloud = client_lab.cloud
        recorder = Recorder.for_session(cloud.session(), "lab", "web")
        lab = Lab(mode="real", speed=100, cloud=cloud)
        recorder.record(600, step=10, sleep=lab.sleep)
    samples = recorder.samples
    minutes = [m for s in samples for m in s.traffic if m.target_group]
    assert minutes, "no traffic minute read"
    assert all(samples[0].at - 600 <= m.at <= samples[-1].at for m in minutes), (
        [m.at - samples[0].at for m in minutes])
    whole = {m.at: m for m in minutes if samples[0].at <= m.at and m.at + 60 <= samples[-1].at - 60}
    assert all(at % 60 == 0 for at in whole)                          # CloudWatch's whole minutes
    assert whole and all(540 <= m.requests <= 660 for m in whole.values()), [m.requests for m in whole.values()]
    assert {m.revisions for m in whole.values()} == {("web:1",)}
