"""fargate_lab.teach.challenges: each lab starts broken, its check names what is wrong, a real fix (plain
boto3, as a learner would type it) makes it say Solved, and the progress file records it."""
from __future__ import annotations

import pytest

from fargate_lab.teach import Lab, challenges, exercises, progress


@pytest.fixture
def lab(cloud, tmp_path, monkeypatch):
    monkeypatch.setenv(progress.PROGRESS_ENV, str(tmp_path / "progress.json"))
    return Lab(mode="virtual", cloud=cloud)


def verdict(key, lab, capsys):
    solved = challenges.check(key, lab)
    return solved, capsys.readouterr().out


def test_a_health_check_path_the_application_does_not_serve(lab, capsys):
    challenges.start("health-check-path", lab)
    assert "Tasks that keep being replaced" in capsys.readouterr().out
    solved, said = verdict("health-check-path", lab, capsys)
    assert not solved and "asks for /healthz, a page the application does not have" in said, said
    ecs, elbv2 = lab.client("ecs"), lab.client("elbv2")
    events = [e["message"] for e in ecs.describe_services(cluster="fargate-lab", services=["checkout"])["services"][0]["events"]]
    assert any("codes: [404]" in m for m in events)
    group = ecs.describe_services(cluster="fargate-lab", services=["checkout"])["services"][0]["loadBalancers"][0]["targetGroupArn"]
    elbv2.modify_target_group(TargetGroupArn=group, HealthCheckPath="/health")
    solved, said = verdict("health-check-path", lab, capsys)
    assert not solved and "asks for /healthz" not in said and "forceNewDeployment" in said, said   # the breaker failed it
    ecs.update_service(cluster="fargate-lab", service="checkout", forceNewDeployment=True)
    assert lab.wait_until(lambda: challenges.CHALLENGES["health-check-path"].still_wrong(lab) == [], timeout=1800)
    solved, said = verdict("health-check-path", lab, capsys)
    assert solved and said.startswith("Solved"), said
    assert "health-check-path" in progress.load()["challenge"]


def test_a_100_100_deadlock(lab, capsys):
    challenges.start("deadlock", lab)
    solved, said = verdict("deadlock", lab, capsys)
    assert not solved and "minimumHealthyPercent 100 and maximumPercent 100" in said, said
    ecs = lab.client("ecs")
    ecs.update_service(cluster="fargate-lab", service="ledger", deploymentConfiguration={"maximumPercent": 200})
    assert lab.wait_until(lambda: challenges.CHALLENGES["deadlock"].still_wrong(lab) == [], timeout=1800)
    assert verdict("deadlock", lab, capsys)[0]


def test_logs_need_an_execution_role(lab, capsys):
    challenges.start("logs-execution-role", lab)
    solved, said = verdict("logs-execution-role", lab, capsys)
    assert not solved and "does not log to CloudWatch" in said, said
    ecs, iam = lab.client("ecs"), lab.client("iam")
    with pytest.raises(ecs.exceptions.ClientException, match="execution role"):
        ecs.register_task_definition(**challenges.BROKEN_LOGS_DEFINITION)
    role = iam.get_role(RoleName=challenges.EXECUTION_ROLE)["Role"]["Arn"]
    fixed = ecs.register_task_definition(**challenges.BROKEN_LOGS_DEFINITION, executionRoleArn=role)["taskDefinition"]
    ecs.update_service(cluster="fargate-lab", service="reports", taskDefinition=fixed["taskDefinitionArn"])
    assert lab.wait_until(lambda: challenges.CHALLENGES["logs-execution-role"].still_wrong(lab) == [], timeout=1800)
    assert verdict("logs-execution-role", lab, capsys)[0]
    assert progress.summary().startswith(f"exercises: 0 of {len(exercises.GRADERS)} passed")
    assert "challenges: 1 of 3 passed; left: health-check-path, deadlock" in capsys.readouterr().out


def test_an_unknown_challenge_names_the_ones_there_are(lab):
    with pytest.raises(KeyError, match="health-check-path, deadlock, logs-execution-role"):
        challenges.check("nope", lab)
