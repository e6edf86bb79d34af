"""fargate_lab.teach.narration: the status line's sentences, from samples of a real rollout and a breaker rollback."""
from __future__ import annotations

from fargate_lab.teach import Lab, Recorder
from fargate_lab.teach.narration import Narrator
from tests.conftest import network, web_definition


def test_a_release_then_a_broken_one_rolled_back_by_the_breaker(cloud, ecs, subnets):
    lab = Lab(mode="virtual", cloud=cloud)
    ecs.create_cluster(clusterName="talk")
    ecs.create_service(cluster="talk", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=3,
                       launchType="FARGATE", networkConfiguration=network(subnets),
                       deploymentConfiguration={"deploymentCircuitBreaker": {"enable": True, "rollback": True}})
    recorder = Recorder.for_session(cloud.session(), "talk", "web")
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
