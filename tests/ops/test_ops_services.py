"""The ops layer's service half, in process on the virtual clock (fast, deterministic).

The CLI tests run the same functions as separate processes; these cover the cases
that are slow or awkward there: a first deploy that has nothing to roll back to,
a breaker without rollback, a deadline, idempotent registration's normalisation,
logs' errors, and the data model behind the live view.
"""
from __future__ import annotations

import boto3
import pytest

from fargate_lab import local
from fargate_lab.ops import cluster as cluster_ops
from fargate_lab.ops import services
from fargate_lab.ops.cost import estimate_cost
from fargate_lab.ops.errors import OpsError
from fargate_lab.ops.logs import logs, log_sources
from fargate_lab.ops.watch import DeploymentRow, DeploymentSnapshot, ServiceEvent, plain_lines, short_event

PARAMS = """\
version: 1
task_definition:
  ecs_network_mode: awsvpc
  task_execution_role: ecsTaskExecutionRole
  task_size: {cpu_limit: 256, mem_limit: 512}
"""


@pytest.fixture(scope="module")
def lab():
    """One cloud and one cluster for the module (making a cluster costs seconds); each test its own project."""
    made = local.start(seed=0)
    made.wire.validate = True
    session = boto3.session.Session(region_name="us-east-1", aws_access_key_id="testing",
                                    aws_secret_access_key="testing")
    cluster_ops.up(session, "lab", say=lambda _: None)
    yield made, session
    violations = list(made.wire.violations)
    made.stop()
    assert not violations, "responses that do not fit botocore's output shapes:\n" + "\n".join(violations)


@pytest.fixture
def cloud(lab):
    return lab[0]


@pytest.fixture
def session(lab):
    return lab[1]


@pytest.fixture
def project(request):
    return request.node.name.removeprefix("test_")[:40].rstrip("_").replace("_", "-")


@pytest.fixture
def files(tmp_path):
    def write(image: str, logging: bool = False) -> tuple[list[str], str]:
        text = f"services:\n  web:\n    image: {image}\n    ports: ['80:80']\n"
        if logging:
            text += ("    logging:\n      driver: awslogs\n      options:\n        awslogs-group: /ecs/app\n"
                     "        awslogs-region: us-east-1\n        awslogs-stream-prefix: app\n")
        (tmp_path / "docker-compose.yml").write_text(text)
        (tmp_path / "ecs-params.yml").write_text(PARAMS)
        return [str(tmp_path / "docker-compose.yml")], str(tmp_path / "ecs-params.yml")
    return write


@pytest.fixture
def up(session, cloud, project):
    def deploy(files, **kwargs):
        kwargs.setdefault("say", lambda _: None)
        return services.service_up(session, "lab", project, files[0], files[1], sleep=cloud.sleep,
                                   clock=cloud.clock.now, poll_seconds=5, **kwargs)
    return deploy


def test_a_deploy_completes_and_an_unchanged_one_reuses_the_revision(up, files, project):
    first = up(files("fargatelab/web:v1"))
    assert (first.outcome, first.task_definition, first.created) == ("COMPLETED", f"{project}:1", True)
    again = up(files("fargatelab/web:v1"))
    assert (again.outcome, again.task_definition, again.registered) == ("UNCHANGED", f"{project}:1", False)
    up(files("fargatelab/web:v2"))
    back = up(files("fargatelab/web:v1"))
    assert back.task_definition == f"{project}:1" and not back.registered   # a revert finds the old revision


def test_a_first_deploy_that_crashes_has_nothing_to_roll_back_to(up, files):
    with pytest.raises(OpsError, match="there is no completed deployment to roll back to"):
        up(files("fargatelab/web:crash"))


def test_without_rollback_the_failed_deployment_is_reported(up, files):
    up(files("fargatelab/web:v1"))
    with pytest.raises(OpsError, match="rollback is off") as failed:
        up(files("fargatelab/web:crash"), rollback=False)
    assert "Essential container in task exited (web: exit code 1)" in str(failed.value)


def test_without_the_breaker_a_crash_loop_is_still_reported(up, files):
    up(files("fargatelab/web:v1"))
    with pytest.raises(OpsError, match="the circuit breaker is off, so ECS keeps retrying"):
        up(files("fargatelab/web:crash"), circuit_breaker=False)


def test_a_missed_failure_is_still_seen_as_a_rollback(up, session, cloud, files, project):
    """Polling less often than the rollback takes: the events tell what the deployments no longer show."""
    up(files("fargatelab/web:v1"))
    with pytest.raises(OpsError, match=rf"rolled back to ecs-svc/\d+ \(task definition {project}:1\)"):
        services.service_up(session, "lab", project, *files("fargatelab/web:crash"), sleep=cloud.sleep,
                            clock=cloud.clock.now, poll_seconds=600, say=lambda _: None)


def test_the_timeout_is_a_total_deadline(up, files):
    with pytest.raises(OpsError, match="did not complete in time"):
        up(files("fargatelab/web:slow"), timeout_minutes=0.5)


def test_no_wait_returns_at_once(up, files):
    result = up(files("fargatelab/web:v1"), timeout_minutes=0)
    assert result.outcome == "NOT_WAITED" and result.deployment_id.startswith("ecs-svc/")


def test_a_load_balancer_is_made_in_the_clusters_network_and_removed_with_the_service(up, session, cloud, files,
                                                                                      project):
    result = up(files("fargatelab/web:v1"), create_load_balancer=True, deregistration_delay=5)
    elbv2 = session.client("elbv2")
    group = elbv2.describe_target_groups(TargetGroupArns=[result.target_group_arn])["TargetGroups"][0]
    assert (group["TargetType"], group["HealthCheckPath"], group["Port"]) == ("ip", "/", 80)
    assert group["VpcId"] == cluster_ops.network_for(session, "lab").vpc_id
    assert services.service_rm(session, "lab", project, say=lambda _: None, sleep=cloud.sleep, clock=cloud.clock.now)
    assert elbv2.describe_load_balancers()["LoadBalancers"] == []


def test_identical_definitions_compare_equal_after_ecs_fills_in_defaults():
    request = {"family": "app", "networkMode": "awsvpc", "cpu": "0.25 vCPU", "memory": "512",
               "requiresCompatibilities": ["FARGATE"],
               "containerDefinitions": [{"name": "web", "image": "x", "portMappings": [{"containerPort": 80}],
                                         "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]}]}
    echoed = {**request, "cpu": "256", "revision": 3, "status": "ACTIVE", "compatibilities": ["EC2", "FARGATE"],
              "containerDefinitions": [{"name": "web", "image": "x", "cpu": 0, "essential": True, "mountPoints": [],
                                        "volumesFrom": [], "environment": [{"name": "A", "value": "1"},
                                                                           {"name": "B", "value": "2"}],
                                        "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}]}
    assert services.same_definition(request, echoed)
    changed = {**request, "containerDefinitions": [{**request["containerDefinitions"][0], "image": "y"}]}
    assert not services.same_definition(changed, echoed)


def test_logs_read_the_tasks_stream_and_explain_a_missing_log_driver(up, session, files, project):
    up(files("fargatelab/web:v1", logging=True), create_log_groups=True)
    ecs = session.client("ecs")
    task = ecs.list_tasks(cluster="lab", serviceName=project)["taskArns"][0]
    lines = []
    assert logs(session, "lab", task, say=lines.append) >= 1
    assert any("listening on 0.0.0.0:80" in line for line in lines)
    assert log_sources(session, "lab", task)[0].stream == f"app/web/{task.rsplit('/', 1)[-1]}"

    up(files("fargatelab/web:v2"))
    plain = ecs.list_tasks(cluster="lab", serviceName=project, desiredStatus="RUNNING")["taskArns"][0]
    with pytest.raises(OpsError, match="not awslogs"):
        logs(session, "lab", plain)


def test_plain_lines_print_changes_and_new_events_only():
    row = DeploymentRow("ecs-svc/1", "PRIMARY", "IN_PROGRESS", 2, 1, 1, 0, "app:2")
    first = DeploymentSnapshot("lab", "app", "ACTIVE", 2, 1, 1, (row,))
    event = ServiceEvent("e1", __import__("datetime").datetime(2026, 1, 1), "(service app) has started 1 tasks")
    same = DeploymentSnapshot("lab", "app", "ACTIVE", 2, 1, 1, (row,), (event,), (event,))
    assert len(plain_lines(None, first)) == 2
    assert [line.strip().split(" ", 2)[0] for line in plain_lines(first, same)] == ["event"]
    assert plain_lines(same, same) == ["         event " + event.line()]
    assert short_event("(service app) registered 1 targets in (target-group arn:aws:elasticloadbalancing:"
                       "us-east-1:1:targetgroup/web/abc123)", "app") == "registered 1 targets in (target-group web)"


def test_cost_uses_the_dated_table_and_the_one_minute_minimum():
    estimate = estimate_cost({"family": "web", "cpu": "256", "memory": "512"}, count=2, hours=10 / 3600)
    assert estimate.billed_hours == pytest.approx(1 / 60)
    assert estimate.total == pytest.approx(2 * 0.0123425 / 60)
    assert estimate.prices.as_of == "2026-06"
    with pytest.raises(OpsError, match="no linux/arm64 Fargate prices for ap-northeast-1"):
        estimate_cost({"cpu": "256", "memory": "512"}, region="ap-northeast-1", platform="linux/arm64")


def test_ps_shows_a_dash_without_a_health_check_and_stopped_containers_exit_codes(up, session, tmp_path, project):
    """The talk's shape: an `app` container that copies the code and exits 0, beside one that keeps running."""
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  app:\n    image: fargatelab/app:v1\n"
        "  web:\n    image: fargatelab/web:v1\n    ports: ['80:80']\n"
        "    depends_on:\n      app:\n        condition: service_completed_successfully\n")
    (tmp_path / "ecs-params.yml").write_text(PARAMS + "  services:\n    app:\n      essential: false\n")
    up(([str(tmp_path / "docker-compose.yml")], str(tmp_path / "ecs-params.yml")))
    rows = {row.name.split("/")[1]: row for row in services.service_ps(session, "lab", project, "RUNNING")}
    assert rows["app"].state == "STOPPED ExitCode: 0" and rows["app"].exit_code == 0
    assert rows["web"].state == "RUNNING"
    assert {row.health for row in rows.values()} == {"-"}   # no container has a health check: not UNKNOWN


def test_ps_shows_ecs_health_status_when_a_container_has_a_health_check(up, session, tmp_path, project):
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: fargatelab/web:v1\n    ports: ['80:80']\n"
        "    healthcheck:\n      test: ['CMD-SHELL', 'true']\n      interval: 5s\n")
    (tmp_path / "ecs-params.yml").write_text(PARAMS)
    up(([str(tmp_path / "docker-compose.yml")], str(tmp_path / "ecs-params.yml")))
    rows = services.service_ps(session, "lab", project, "RUNNING")
    assert rows and {row.health for row in rows} <= {"HEALTHY", "UNKNOWN", "UNHEALTHY"}


def test_the_live_view_fits_a_100_column_terminal_and_labels_its_timer(up, files):
    """A real deploy drawn by the live view at projector size: no line wraps, events keep their point."""
    import io
    import re

    from rich.console import Console

    from fargate_lab.ops.watch import DeploymentView
    screen = io.StringIO()
    console = Console(file=screen, width=100, force_terminal=True, color_system=None, highlight=False)
    with DeploymentView(console=console, live=True) as view:
        up(files("fargatelab/web:v1"), options=services.ServiceOptions(desired_count=3), on_update=view.update,
           say=view.say)
    lines = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()).replace("\r", "\n").splitlines()
    assert max(map(len, lines)) <= 100, max(lines, key=len)
    assert any(re.fullmatch(r"elapsed \d+(m\d\d)?s", line.strip()) for line in lines)
    started = next(line for line in lines if "has started 3 tasks" in line)
    assert "(service " not in started and "(task …" in started   # the service is in the title; ids by their tail


def test_short_event_shortens_only_what_does_not_fit():
    started = ("(service app) has started 4 tasks: (task 0a5d2f346baa9455e3e70682c2094cac) (task "
               "1846d424c17c627923c6612f48268673) (task 8f4ff31e78de58575487ce1eaf19922a) (task "
               "eb2083e6ce164dba0ff18e0242af9fc3).")
    assert short_event(started, "app", 200) == started.removeprefix("(service app) ")
    assert short_event(started, "app", 91) == ("has started 4 tasks: (task …c2094cac) (task …48268673) "
                                               "(task …af19922a) (task …42af9fc3).")
    draining = "(service app, taskSet ecs-svc/4553260803050964941) has begun draining connections on 1 tasks."
    assert short_event(draining, "app") == "(taskSet ecs-svc/4553260803050964941) has begun draining connections on 1 tasks."
    assert short_event(draining, "app", 60).startswith("(taskSet ecs-svc/…964941) has begun")
    shifted = ("(service app) (deployment ecs-svc/6206477199920736928) shifted 20% of production traffic to "
               "(service-revision 6206477199920736928).")
    assert short_event(shifted, "app", 90) == ("(deployment ecs-svc/…736928) shifted 20% of production traffic to "
                                               "(service-revision …736928).")


def test_the_timer_is_labelled():
    from fargate_lab.ops.watch import elapsed_text
    assert (elapsed_text(9.4), elapsed_text(59.6), elapsed_text(125)) == ("elapsed 9s", "elapsed 1m00s", "elapsed 2m05s")
