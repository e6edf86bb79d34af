"""Fix-the-broken-deployment labs: one call sets a service up broken in a way people break theirs; a check
reads the service from the outside (describe_services, target health, task definitions) and says what is
still wrong, until nothing is.

    from fargate_lab.teach import challenges
    challenges.start("health-check-path", lab)    # prints the brief
    ...                                           # the learner fixes it with boto3 or the library
    challenges.check("health-check-path", lab)    # "Still wrong: ..." or "Solved" (noted in `progress`)

Each challenge has its own service in the lessons' cluster, so they can be done in any order.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.catalog import WEB_HEALTH_PATHS   # what the demo web images answer a health check on
from ..ops import cluster as cluster_ops
from ..ops import services
from ..ops.cluster import EXECUTION_ROLE
from ..ops.services import ServiceOptions
from .mode import Lab

CLUSTER = "fargate-lab"


@dataclass(frozen=True)
class Challenge:
    key: str
    title: str
    service: str
    brief: str
    hint: str
    setup: Callable[[Lab], None]
    still_wrong: Callable[[Lab], list[str]]   # empty: solved


def _service_up(lab: Lab, service: str, image: str, wait: bool = True, **fields: Any):
    """`service up` of a one-container service running `image` (its own compose project)."""
    work = Path(tempfile.mkdtemp(prefix=f"challenge-{service}-"))
    compose, params = work / "docker-compose.yml", work / "ecs-params.yml"
    compose.write_text(f'services:\n  web:\n    image: {image}\n    ports:\n      - "80:80"\n')
    params.write_text("version: 1\ntask_definition:\n  ecs_network_mode: awsvpc\n  task_size:\n"
                      "    cpu_limit: 256\n    mem_limit: 0.5GB\n")
    options = ServiceOptions(timeout_minutes=60 if wait else 0, **fields)
    return services.service_up(lab.session, CLUSTER, service, [str(compose)], str(params), options=options,
                               say=lambda line: None, sleep=lab.sleep, clock=lab.now, poll_seconds=5)


def _service(lab: Lab, name: str) -> dict | None:
    found = lab.client("ecs").describe_services(cluster=CLUSTER, services=[name])["services"]
    return found[0] if found and found[0]["status"] == "ACTIVE" else None


def _deployment_problems(service: dict) -> list[str]:
    primary = service["deployments"][0]
    problems = []
    if primary.get("rolloutState") == "FAILED":
        problems.append(f"its deployment FAILED ({primary.get('rolloutStateReason')}), and a failed deployment stays "
                        "so: once the cause is fixed, start a new one (update_service(..., forceNewDeployment=True))")
    elif primary.get("rolloutState") != "COMPLETED":
        problems.append(f"its deployment is {primary.get('rolloutState')} "
                        f"({primary.get('rolloutStateReason') or 'not finished'})")
    if len(service["deployments"]) > 1:
        problems.append(f"{len(service['deployments'])} deployments are still listed: the old tasks are not gone")
    if service["runningCount"] != service["desiredCount"]:
        problems.append(f"{service['runningCount']} of {service['desiredCount']} tasks run")
    return problems


# -- 1 · a health check path the application does not serve -----------------------------------------
def _setup_health(lab: Lab) -> None:
    result = _service_up(lab, "checkout", "fargatelab/web:v1", wait=False, desired_count=2, create_load_balancer=True)
    # before the first tasks register: every check they get asks for the wrong page
    lab.client("elbv2").modify_target_group(TargetGroupArn=result.target_group_arn, HealthCheckPath="/healthz")
    lab.sleep(240)   # long enough for the targets to fail and the replacements to start


def _health_wrong(lab: Lab) -> list[str]:
    service = _service(lab, "checkout")
    if service is None:
        return ["service checkout is gone: run challenges.start('health-check-path', lab) again"]
    elbv2 = lab.client("elbv2")
    group = service["loadBalancers"][0]["targetGroupArn"]
    settings = elbv2.describe_target_groups(TargetGroupArns=[group])["TargetGroups"][0]
    problems = []
    if settings.get("HealthCheckPath", "/") not in WEB_HEALTH_PATHS:
        problems.append(f"the target group's health check asks for {settings['HealthCheckPath']}, a page the "
                        f"application does not have (it answers 200 on {', '.join(WEB_HEALTH_PATHS)})")
    deployment = _deployment_problems(service)
    failed = [p for p in deployment if "FAILED" in p]
    if failed:
        return problems + failed   # nothing starts again until a new deployment
    states = [d["TargetHealth"]["State"] for d in elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]]
    healthy = states.count("healthy")
    if healthy < service["desiredCount"]:
        problems.append(f"{healthy} of {service['desiredCount']} targets are healthy ({', '.join(sorted(set(states))) or 'none registered'})"
                        + ("; give the load balancer a minute or two" if not problems else ""))
    return problems + [p for p in deployment if not problems]


# -- 2 · 100 / 100: a deployment that cannot move -------------------------------------------------------
def _setup_deadlock(lab: Lab) -> None:
    _service_up(lab, "ledger", "fargatelab/web:v1", desired_count=2)
    # someone's pipeline (not `service up`, which refuses 100/100) releases v2 with no room to move
    ecs = lab.client("ecs")
    current = ecs.describe_services(cluster=CLUSTER, services=["ledger"])["services"][0]["taskDefinition"]
    definition = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
    definition["containerDefinitions"][0]["image"] = "fargatelab/web:v2"
    keep = ("family", "containerDefinitions", "networkMode", "requiresCompatibilities", "cpu", "memory",
            "executionRoleArn", "taskRoleArn", "volumes")
    release = ecs.register_task_definition(**{k: definition[k] for k in keep if definition.get(k)})["taskDefinition"]
    ecs.update_service(cluster=CLUSTER, service="ledger", taskDefinition=release["taskDefinitionArn"],
                       deploymentConfiguration={"minimumHealthyPercent": 100, "maximumPercent": 100})
    lab.sleep(120)


def _deadlock_wrong(lab: Lab) -> list[str]:
    service = _service(lab, "ledger")
    if service is None:
        return ["service ledger is gone: run challenges.start('deadlock', lab) again"]
    ecs = lab.client("ecs")
    config = service["deploymentConfiguration"]
    low, high = config.get("minimumHealthyPercent", 100), config.get("maximumPercent", 200)
    problems = []
    desired = service["desiredCount"]
    if -(-desired * low // 100) >= desired and desired * high // 100 <= desired:
        problems.append(f"minimumHealthyPercent {low} and maximumPercent {high}: ECS may neither stop an old task "
                        f"(at least {desired} must stay healthy) nor start a new one (at most {desired} may run)")
    image = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"][
        "containerDefinitions"][0]["image"]
    if not image.endswith(":v2"):
        problems.append(f"the service's task definition runs {image}, not the release fargatelab/web:v2")
    return problems + [p for p in _deployment_problems(service) if not problems]


# -- 3 · logs without an execution role -----------------------------------------------------------------
def _setup_logs(lab: Lab) -> None:
    _service_up(lab, "reports", "fargatelab/web:v1", desired_count=1)


BROKEN_LOGS_DEFINITION = {
    "family": "reports", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256",
    "memory": "512",
    "containerDefinitions": [{"name": "web", "image": "fargatelab/web:v1", "portMappings": [{"containerPort": 80}],
                              "logConfiguration": {"logDriver": "awslogs", "options": {
                                  "awslogs-group": "/ecs/reports", "awslogs-region": "us-east-1",
                                  "awslogs-stream-prefix": "reports", "awslogs-create-group": "true"}}}]}


def _logs_wrong(lab: Lab) -> list[str]:
    service = _service(lab, "reports")
    if service is None:
        return ["service reports is gone: run challenges.start('logs-execution-role', lab) again"]
    definition = lab.client("ecs").describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    logging = (definition["containerDefinitions"][0].get("logConfiguration") or {}).get("logDriver")
    problems = []
    if logging != "awslogs":
        problems.append(f"the service runs {definition['family']}:{definition['revision']}, whose container "
                        "does not log to CloudWatch (logConfiguration awslogs)")
    elif not definition.get("executionRoleArn"):
        problems.append("its task definition has no executionRoleArn: the role ECS uses to write the logs")
    return problems + [p for p in _deployment_problems(service) if not problems]


CHALLENGES: dict[str, Challenge] = {c.key: c for c in (
    Challenge("health-check-path", "Tasks that keep being replaced", "checkout",
              "Service checkout is behind a load balancer. Its tasks start, run for a while, and are stopped and "
              "replaced, again and again; the deployment never completes. Find out why from the service events "
              "and the target health, and fix it.",
              "read the service's events: what do the health checks get? Then look at the target group's "
              "HealthCheckPath (elbv2.modify_target_group), and start a new deployment once it is fixed.",
              _setup_health, _health_wrong),
    Challenge("deadlock", "A release that never starts", "ledger",
              "Release v2 of service ledger was deployed ten minutes ago. Nothing has happened since: no new task, "
              "no old task stopped. Make v2 roll out.",
              "read the service's events, then its deploymentConfiguration; 06's explainer shows why.",
              _setup_deadlock, _deadlock_wrong),
    Challenge("logs-execution-role", "Logs for the reports service", "reports",
              "The team wants service reports to log to CloudWatch. Their task definition is in "
              "challenges.BROKEN_LOGS_DEFINITION, but registering it fails. Register a working one and deploy it to "
              "the service.",
              f"read the error of register_task_definition(**challenges.BROKEN_LOGS_DEFINITION); the lessons' "
              f"cluster already has a role named {EXECUTION_ROLE}.",
              _setup_logs, _logs_wrong),
)}


def start(key: str, lab: Lab) -> None:
    """Set the challenge up (its service made, then broken) and print the brief."""
    challenge = _get(key)
    cluster_ops.up(lab.session, CLUSTER, say=lambda line: None)
    challenge.setup(lab)
    print(f"{challenge.title} (service {challenge.service}): {challenge.brief}")


def check(key: str, lab: Lab) -> bool:
    """Print what is still wrong (a hint first time round), or that it is solved; True when solved."""
    challenge = _get(key)
    try:
        problems = challenge.still_wrong(lab)
    except Exception as error:  # noqa: BLE001 - a half-made fix may fail in any way: say how, never raise
        problems = [f"checking it raised {type(error).__name__}: {error}"]
    if problems:
        print("Still wrong: " + "; ".join(problems) + f". Hint: {challenge.hint}")
        return False
    from . import progress
    progress.record("challenge", key)
    print(f"Solved: {challenge.title.lower()} — service {challenge.service} is stable.")
    return True


def _get(key: str) -> Challenge:
    if key not in CHALLENGES:
        raise KeyError(f"{key!r} is not a challenge; choose one of {', '.join(CHALLENGES)}")
    return CHALLENGES[key]
