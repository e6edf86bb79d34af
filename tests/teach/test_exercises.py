"""fargate_lab.teach.exercises: each grader names the common mistake it sees, not one hint for all."""
from __future__ import annotations

import pytest

from fargate_lab.teach import exercises


def said(grader, answer, capsys):
    right = grader(answer)
    return right, capsys.readouterr().out.strip()


@pytest.mark.parametrize("grader, answer, expected", [
    (exercises.stage_mode, ..., "Not tried yet. Hint: the mode that follows the wall clock"),
    (exercises.stage_mode, "virtual", "Not quite yet. virtual time moves only when the notebook says so"),
    (exercises.stage_mode, "aws", "Not quite yet. on AWS a rollout takes several minutes"),
    (exercises.stage_mode, "fast", "Not quite yet. 'fast' is not a mode"),
    (exercises.worker_size, ("256", "3072"), "Not quite yet. Fargate refuses 256 CPU units with 3072 MiB"),
    (exercises.worker_size, ("1024", "3072"), "Not quite yet. (1024, 3072) is valid, but costs $"),
    (exercises.worker_size, ("512", "2048"), "Not quite yet. 2048 MiB is less than the 3 GB"),
    (exercises.worker_size, "512,3072", "Not quite yet. give a pair of strings"),
    (exercises.secret_names, {"DB_PASSWORD", "STRIPE_API_KEY", "DB_HOST"}, "Not quite yet. DB_HOST would do no harm"),
    (exercises.secret_names, {"DB_PASSWORD"}, "Not quite yet. 1 more of the six would hurt"),
    (exercises.secret_names, {"PASSWORD"}, "Not quite yet. PASSWORD is not one of the six names"),
    (exercises.secret_names, "DB_PASSWORD", "Not quite yet. give a set of names"),
    (exercises.rollout_limits, (100, 100), "Not quite yet. (100, 100) deadlocks"),
    (exercises.rollout_limits, (75, 200), "Not quite yet. with maximumPercent 200 up to 7 tasks run at once (the cap is floor(4 x 200 %) = 8)"),
    (exercises.rollout_limits, (50, 125), "Not quite yet. with minimumHealthyPercent 50 only 2 stay healthy"),
    (exercises.rollout_limits, (75, 90), "Not quite yet. minimumHealthyPercent is 0 to 100 and maximumPercent at least 100"),
    (exercises.rollout_limits, "75/125", "Not quite yet. give a pair of numbers"),
    (exercises.linear_minutes, 20, "Not quite yet. there is no step bake after the last shift"),
    (exercises.linear_minutes, 12, "Not quite yet. after the last shift comes bakeTimeInMinutes too"),
    (exercises.linear_minutes, 15, "Not quite yet. a step bake sits between two shifts"),
    (exercises.linear_minutes, 99, "Not quite yet. shifts at 20, 40, 60, 80, 100 %"),
])
def test_each_common_mistake_gets_its_own_hint(grader, answer, expected, capsys):
    right, text = said(grader, answer, capsys)
    assert not right and text.startswith(expected), text


@pytest.mark.parametrize("grader, answer", [
    (exercises.stage_mode, " Real "), (exercises.worker_size, ("512", "3072")),
    (exercises.secret_names, {"db_password", "STRIPE_API_KEY"}), (exercises.rollout_limits, (75, 125)),
    (exercises.rollout_limits, [70, 130]), (exercises.linear_minutes, 17),
])
def test_right_answers_are_well_done(grader, answer, capsys):
    right, text = said(grader, answer, capsys)
    assert right and not text.startswith("Not"), text


def test_the_answers_are_not_in_the_notebooks_check_cells():
    from tests.paths import NOTEBOOKS
    for name, answer in (("00_welcome", '== "real"'), ("05_environments", '{"DB_PASSWORD", "STRIPE_API_KEY"}'),
                         ("02_task_definitions", "m >= 3072"), ("07_traffic_shifting", "4 * 3 + 5, "),
                         ("01_clusters", '"AvailabilityZone"'), ("01_clusters", '"ACTIVE"'),
                         ("03_tasks", "InvalidParameterException"), ("03_tasks", "exitCode\") == 0"),
                         ("04_services", "(4, 4, 1)"), ("04_services", "started_in_events"),
                         ("08_cleanup", 'status="ACTIVE"'), ("08_cleanup", '"cpu": "1024"')):
        source = (NOTEBOOKS / f"{name}.py").read_text()
        code = "\n".join(line for line in source.splitlines() if not line.startswith("#"))
        assert answer not in code, (name, answer)


# -- the graders that read the cloud: 01, 03, 04 and 08 -------------------------------------------------------
from datetime import datetime, timezone  # noqa: E402

from fargate_lab import ops  # noqa: E402
from fargate_lab.teach import Lab, progress  # noqa: E402

CLUSTER, SERVICE = "fargate-lab", "my-application"
ODD_ANSWERS = (None, "", "x", -1, 99, 2.5, True, [1], ("a", 1), {"a": 1}, object(), float("nan"))


@pytest.fixture
def lab(cloud, tmp_path, monkeypatch):
    monkeypatch.setenv(progress.PROGRESS_ENV, str(tmp_path / "progress.json"))
    made = Lab(mode="virtual", cloud=cloud)
    ops.up(made.session, CLUSTER, say=lambda line: None)
    return made


def heard(grader, answer, *where, capsys):
    right = grader(answer, *where)
    return right, capsys.readouterr().out.strip()


def assert_said(cases, grader, *where, capsys):
    for answer, expected in cases:
        right, text = heard(grader, answer, *where, capsys=capsys)
        assert not right and text.startswith(expected), (answer, text)


def assert_never_raises(grader, *where, capsys):
    for answer in ODD_ANSWERS:
        right, text = heard(grader, answer, *where, capsys=capsys)
        assert right is False and text.startswith("Not quite yet"), (answer, text)


def where(lab):
    network = ops.network_for(lab.session, CLUSTER)
    return {"awsvpcConfiguration": {"subnets": network.subnet_ids, "securityGroups": network.security_group_ids,
                                    "assignPublicIp": "ENABLED"}}


def web_definition(ecs, family, image="fargatelab/web:v1"):
    return ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": image, "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]["taskDefinitionArn"]


def test_01_cluster_zones(lab, capsys):
    ec2 = lab.client("ec2")
    subnets = ec2.describe_subnets(SubnetIds=ops.network_for(lab.session, CLUSTER).subnet_ids)["Subnets"]
    names = sorted(s["AvailabilityZone"] for s in subnets)
    everywhere = sorted(z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"])
    assert len(everywhere) > len(names)
    assert_said([
        (..., "Not tried yet. Hint: one zone per subnet"),
        (names[::-1], "Not quite yet. the right zones, in another order"),
        ([s["AvailabilityZoneId"] for s in subnets], "Not quite yet. those are zone IDs (AvailabilityZoneId"),
        ([s["SubnetId"] for s in subnets], "Not quite yet. those are the subnet ids"),
        (subnets, "Not quite yet. those are whole subnets"),
        ("us-east-1", "Not quite yet. 'us-east-1' is the region"),
        (names[0], "Not quite yet. one string"),
        ([z.replace("us-east-1", "eu-west-1") for z in names], "Not quite yet. eu-west-1a, eu-west-1b: not in us-east-1"),
        (names[:1], "Not quite yet. 1 zone(s) for 2 subnets"),
        (names + names[:1], "Not quite yet. a zone appears more than once"),
        (everywhere, f"Not quite yet. {len(everywhere)} zones: all the region's"),
    ], exercises.cluster_zones, lab, capsys=capsys)
    assert_never_raises(exercises.cluster_zones, lab, capsys=capsys)
    for answer in (names, tuple(names)):
        right, text = heard(exercises.cluster_zones, answer, lab, capsys=capsys)
        assert right and text.startswith("Well done: two zones"), text
    assert "01 cluster_zones" in progress.load()["exercise"]


def test_01_staging_status(lab, capsys):
    ecs = lab.client("ecs")
    assert_said([
        (..., "Not tried yet. Hint: create_cluster returns the cluster"),
        ("ACTIVE", "Not quite yet. there is no ACTIVE cluster called 'staging': create it"),
    ], exercises.staging_status, lab, capsys=capsys)
    ecs.create_cluster(clusterName="Staging")
    assert_said([("ACTIVE", "Not quite yet. there is 'Staging', but no cluster called 'staging'")],
                exercises.staging_status, ecs, capsys=capsys)
    response = ecs.create_cluster(clusterName="staging")
    assert_said([
        (response, "Not quite yet. that is create_cluster's whole response"),
        (response["cluster"], "Not quite yet. that is the whole cluster: take its ['status']"),
        (ecs.describe_clusters(clusters=["staging"]), "Not quite yet. that is describe_clusters' whole response"),
        (response["cluster"]["clusterArn"], "Not quite yet. that is the cluster's ARN"),
        ("staging", "Not quite yet. that is the cluster's name"),
        ("active", "Not quite yet. statuses are in capitals"),
        ("INACTIVE", "Not quite yet. 'INACTIVE' is not what ECS says of staging now"),
    ], exercises.staging_status, lab.session, capsys=capsys)
    assert_never_raises(exercises.staging_status, lab, capsys=capsys)
    right, text = heard(exercises.staging_status, response["cluster"]["status"], lab, capsys=capsys)
    assert right and text.startswith("Well done. It has no network of its own"), text


def test_03_forgot_launch_type(lab, capsys):
    from botocore.exceptions import ClientError
    ecs = lab.client("ecs")
    hello = web_definition(ecs, "hello")
    with pytest.raises(ClientError) as caught:
        ecs.run_task(cluster=CLUSTER, taskDefinition=hello, networkConfiguration=where(lab))
    error = caught.value
    with pytest.raises(ClientError) as elsewhere:
        ecs.run_task(cluster="nope", taskDefinition=hello, networkConfiguration=where(lab))
    started = ecs.run_task(cluster=CLUSTER, taskDefinition=hello, launchType="FARGATE", networkConfiguration=where(lab))
    assert_said([
        (..., "Not tried yet. Hint: wrap ecs.run_task"),
        (error, "Not quite yet. that is the error itself"),
        (error.response, "Not quite yet. that is error.response"),
        (error.response["Error"], "Not quite yet. that is the error's details"),
        (error.response["Error"]["Message"], "Not quite yet. that is the error's message"),
        (str(error), "Not quite yet. that is the whole sentence, str(error)"),
        ("ClientError", "Not quite yet. ClientError is botocore's class"),
        (elsewhere.value.response["Error"]["Code"], "Not quite yet. ECS did not find the cluster"),
        ("ClientException", "Not quite yet. ClientException is another error"),
        (error.response["Error"]["Code"].lower(), "Not quite yet. the code is spelled exactly"),
        (started, "Not quite yet. that is run_task's response: it worked"),
    ], exercises.forgot_launch_type, capsys=capsys)
    assert_never_raises(exercises.forgot_launch_type, capsys=capsys)
    right, text = heard(exercises.forgot_launch_type, error.response["Error"]["Code"], capsys=capsys)
    assert right and text.startswith("Well done. With no launch type"), text


def test_03_job_exit_code(lab, capsys):
    ecs = lab.client("ecs")
    assert_said([
        (..., "Not tried yet. Hint: watch([arn], 300"),
        (0, "Not quite yet. no job task has run in fargate-lab"),
    ], exercises.job_exit_code, lab, CLUSTER, capsys=capsys)
    job = web_definition(ecs, "job", "hello-world")
    task = ecs.run_task(cluster=CLUSTER, taskDefinition=job, launchType="FARGATE",
                        networkConfiguration=where(lab))["tasks"][0]
    assert_said([
        (task["containers"][0].get("exitCode"), "Not quite yet. None: a container has no exit code until"),
        (0, "Not quite yet. the job task has not stopped yet"),
    ], exercises.job_exit_code, lab, CLUSTER, capsys=capsys)

    def described():
        return ecs.describe_tasks(cluster=CLUSTER, tasks=[task["taskArn"]])["tasks"][0]
    assert lab.wait_until(lambda: described()["lastStatus"] == "STOPPED", timeout=600)
    done = described()
    assert_said([
        (done["stopCode"], "Not quite yet. that is the task's stopCode"),
        (done["lastStatus"], "Not quite yet. STOPPED is the task's lastStatus"),
        (done, "Not quite yet. that is the whole task"),
        (done["containers"][0], "Not quite yet. that is the whole container"),
        (str(done["containers"][0]["exitCode"]), "Not quite yet. text: exitCode is a number"),
        (1, "Not quite yet. 1 is the exit code of the task that crashed above"),
        (137, "Not quite yet. 137 is not the exit code of the job task's container"),
        (False, "Not quite yet. give the container's exit code, a whole number"),
    ], exercises.job_exit_code, ecs, CLUSTER, capsys=capsys)
    assert_never_raises(exercises.job_exit_code, lab, CLUSTER, capsys=capsys)
    right, text = heard(exercises.job_exit_code, done["containers"][0]["exitCode"], lab, CLUSTER, capsys=capsys)
    assert right and text.startswith("Well done: exit code 0"), text


def service_day(lab):
    """04's story without the load balancer: 3 tasks, one stopped and replaced, out to 5, in to 2, back to 3."""
    ecs = lab.client("ecs")
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition=web_definition(ecs, SERVICE),
                       desiredCount=3, launchType="FARGATE", networkConfiguration=where(lab))

    def steady():
        found = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
        return found["runningCount"] == found["desiredCount"] and len(found["deployments"]) == 1 and \
            len(ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"]) == found["desiredCount"]
    assert lab.wait_until(steady, timeout=900)
    ecs.stop_task(cluster=CLUSTER, task=ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"][0])
    lab.sleep(60)
    assert lab.wait_until(steady, timeout=900)
    for count in (5, 2, 3):
        ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=count)
        lab.sleep(60)
        assert lab.wait_until(steady, timeout=900)
    return ecs


def test_04_scale_to_four_and_started_total(lab, capsys):
    import re
    ecs = service_day(lab)
    messages = [e["message"] for e in ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["events"]]
    started = [int(m.group(1)) for e in messages for m in [re.search(r"has started (\d+) tasks", e)] if m]
    stopped = [int(m.group(1)) for e in messages for m in [re.search(r"has stopped (\d+) running tasks", e)] if m]
    total = sum(started)
    assert (total, len(started)) == (7, 4) and stopped, (started, stopped)
    assert_said([
        (..., "Not tried yet. Hint: re.search"),
        (len(started), "Not quite yet. that counts the 'has started' events"),
        (3, "Not quite yet. that is how many run now"),
        (total - 1, "Not quite yet. 1 short: one 'has started' event is left out"),
        (total + sum(stopped), "Not quite yet. stops counted too"),
        (len(messages), "Not quite yet. that counts every event"),
        (total + 5, "Not quite yet. more than the events name"),
        (started, "Not quite yet. a list: add up its numbers"),
        (str(total), "Not quite yet. text: int(found.group(1))"),
        (re.search(r"has started (\d+) tasks", messages[-1]), "Not quite yet. one match"),
    ], exercises.started_total, lab, CLUSTER, SERVICE, capsys=capsys)
    assert_never_raises(exercises.started_total, lab, CLUSTER, SERVICE, capsys=capsys)
    right, text = heard(exercises.started_total, total, lab, CLUSTER, SERVICE, capsys=capsys)
    assert right and text.startswith("Well done: every start"), text

    def scale():
        right = exercises.scale_to_four(lab, CLUSTER, SERVICE)
        return right, capsys.readouterr().out.strip()
    right, text = scale()
    assert not right and text.startswith("Not tried yet. Hint: desired is 3 and 3 run: set desiredCount=4"), text
    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=5)
    right, text = scale()
    assert not right and text.startswith("Not quite yet. desiredCount is 5"), text
    ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=4)
    right, text = scale()
    assert not right and re.match(r"Not quite yet\. desired is 4 but [35] run and \d+ are pending: update_service returns", text), text
    ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE], WaiterConfig={"Delay": 1})
    ecs.update_service(cluster=CLUSTER, service=SERVICE, forceNewDeployment=True)
    right, text = scale()
    assert not right and text.startswith("Not quite yet. 2 deployments: a new one is rolling out"), text
    assert lab.wait_until(lambda: len(ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
                                      ["deployments"]) == 1 and exercises.scale_to_four(ecs, CLUSTER, SERVICE), 1800)
    right, text = scale()
    assert right and text.endswith("Well done: 4 running, one deployment. No new deployment was needed to scale."), text
    ecs.delete_service(cluster=CLUSTER, service=SERVICE, force=True)
    for grader in (lambda: exercises.scale_to_four(lab, CLUSTER, SERVICE),
                   lambda: exercises.started_total(7, lab, CLUSTER, SERVICE)):
        assert grader() is False
        assert capsys.readouterr().out.startswith("Service my-application is not here any more")


def test_08_deregistered(lab, capsys):
    ecs = lab.client("ecs")
    arns = [web_definition(ecs, family) for family in ("my-application", "lesson-08-web")]
    web_definition(ecs, "my-application-old")      # a family whose name starts like one of them: not theirs
    assert_said([
        (..., "Not tried yet. Hint: ecs.list_task_definitions(familyPrefix=..., status='ACTIVE')"),
        (2, "Not quite yet. my-application:1, lesson-08-web:1 still ACTIVE, none deregistered: listing them is not"),
    ], exercises.deregistered, lab, capsys=capsys)
    ecs.deregister_task_definition(taskDefinition=arns[0])
    assert_said([(1, "Not quite yet. lesson-08-web:1 still ACTIVE: list each family with status='ACTIVE'")],
                exercises.deregistered, lab, capsys=capsys)
    ecs.deregister_task_definition(taskDefinition=arns[1])
    assert_said([
        (3, "Not quite yet. only 2 revisions of these families are deregistered"),
        (0, "Not quite yet. none is ACTIVE now, but your count is 0"),
        (arns, "Not quite yet. a list: the exercise asks how many"),
        ("2", "Not quite yet. give the number of revisions you deregistered"),
    ], exercises.deregistered, ecs, capsys=capsys)
    assert_never_raises(exercises.deregistered, lab, capsys=capsys)
    right, text = heard(exercises.deregistered, 2, lab, capsys=capsys)
    assert right and text.startswith("Well done: INACTIVE revisions can no longer start tasks"), text


def test_08_bigger_total(capsys):
    from fargate_lab.ops.cost import estimate_cost
    now = 1_800_000_000.0

    def task(minutes, stopped=None, cpu="256", memory="512", pulled=True):
        start = now - minutes * 60
        found = {"cpu": cpu, "memory": memory, "taskDefinitionArn": "arn:...:task-definition/web:1"}
        if pulled:
            found["pullStartedAt"] = datetime.fromtimestamp(start, timezone.utc)
        if stopped is not None:
            found["stoppedAt"] = datetime.fromtimestamp(start + stopped * 60, timezone.utc)
        return found
    tasks = [task(11), task(11, cpu="512", memory="1024"), task(10, stopped=4), task(5, pulled=False)]
    bigger = {"cpu": "1024", "memory": "2048"}
    hours = [11 / 60, 11 / 60, 4 / 60]
    costs = [estimate_cost(bigger, hours=h).total for h in hours]
    right = sum(costs)
    own = sum(estimate_cost({"cpu": t["cpu"], "memory": t["memory"]}, hours=h).total for t, h in zip(tasks, hours))
    assert_said([
        (..., "Not tried yet. Hint: the same hours per task, a different size"),
        (own, "Not quite yet. that is what the session's own sizes cost"),
        (sum(estimate_cost(bigger, hours=h).per_task_hour for h in hours), "Not quite yet. that adds up the price per hour"),
        (estimate_cost(bigger).total, "Not quite yet. that is one task for one hour"),
        (estimate_cost(bigger, count=3, hours=sum(hours)).total, "Not quite yet. each task counted 3 times"),
        (right * 60, "Not quite yet. hours, not minutes or seconds"),
        (right / 60, "Not quite yet. hours are seconds / 3600"),
        (costs[-1], "Not quite yet. that is one task's cost: add up all 3"),
        (round(right, 3), "Not quite yet. rounded: keep every digit"),
        (right * 1.005, "Not quite yet. close (within 1 %)"),
        (sum(estimate_cost(bigger, hours=h + 5 / 60).total for h in hours[:2]) + costs[2], "Not quite yet. more than it would cost"),
        (estimate_cost(bigger, hours=1), "Not quite yet. that is one estimate: its .total"),
        (costs, "Not quite yet. a list: add up each estimate's .total"),
        (f"${right:.3f}", "Not quite yet. text: give the dollars as a number"),
        (right / 2, "Not quite yet. the same hours per task as the loop above"),
    ], exercises.bigger_total, tasks, now, capsys=capsys)
    assert_never_raises(exercises.bigger_total, tasks, now, capsys=capsys)
    right_now, text = heard(exercises.bigger_total, right, tasks, now, capsys=capsys)
    assert right_now and text.startswith(f"Well done: {right / own:.1f} times what the session's own sizes cost"), text
    assert heard(exercises.bigger_total, ..., "not tasks", None, capsys=capsys)[1].startswith("Not tried yet")
