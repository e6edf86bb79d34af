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
