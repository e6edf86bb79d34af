"""Task rows as ecs-cli's `ps` showed them: Name, State, Ports, TaskDefinition, Health.

    rows = task_rows(session, "default", task_arns)
    rows = cluster_ps(session, "default")              # every task, RUNNING first, then STOPPED

One row per container: Name is `<taskId>/<container>`; Ports is
`publicIp:port->port/tcp` from the task's ENI (Fargate tasks have their own
address; ecs-cli asked EC2 for the ENI's public IP the same way), else the
private IP.  A stopped container's State carries its exit code as ecs-cli's did
(`STOPPED ExitCode: 0`); Health is `-` when no container of the task definition
has a health check (ECS says UNKNOWN then, which reads like a problem).  Only
boto3 clients from the session given are used.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from . import plumbing
from .plumbing import Client, Json, Session, name_of


@dataclass(frozen=True)
class TaskRow:
    name: str              # <taskId>/<container>
    state: str             # the container's lastStatus
    ports: str             # 54.1.2.3:80->80/tcp, ...
    task_definition: str   # family:revision
    health: str            # the task's healthStatus; "-" without a health check
    task_id: str = ""
    stopped_reason: str = ""
    exit_code: int | None = None

    def as_tuple(self) -> tuple[str, str, str, str, str]:
        return (self.name, self.state, self.ports, self.task_definition, self.health)


HEADERS = ("Name", "State", "Ports", "TaskDefinition", "Health")
NO_HEALTH_CHECK = "-"


@dataclass(frozen=True)
class _Definition:
    """What a row needs of a task definition: each container's port mappings, and whether any has a health check."""
    ports: dict[str, list[Json]]
    health_checked: bool = True   # unknown (the definition is gone): show what ECS says


def list_task_arns(ecs: Client, cluster: str, desired_status: str | None = None, **filters: Any) -> list[str]:
    """Task ARNs (RUNNING then STOPPED unless one desired status is asked), paginated."""
    statuses = [desired_status] if desired_status else ["RUNNING", "STOPPED"]
    arns: list[str] = []
    for status in statuses:
        for page in plumbing.pages(ecs, "list_tasks", cluster=cluster, desiredStatus=status, **filters):
            arns.extend(a for a in page["taskArns"] if a not in arns)
    return arns


def describe_tasks(ecs: Client, cluster: str, arns: list[str]) -> list[Json]:
    found = plumbing.describe_tasks(ecs, cluster, arns)
    order = {arn: i for i, arn in enumerate(arns)}
    return sorted(found, key=lambda t: order.get(t["taskArn"], len(order)))


def task_id(task: Json) -> str:
    return name_of(task["taskArn"])


def eni_of(task: Json) -> tuple[str | None, str | None]:
    """(ENI id, private IPv4) from the task's ElasticNetworkInterface attachment."""
    for attachment in task.get("attachments", []):
        if attachment.get("type") != "ElasticNetworkInterface":
            continue
        details = {d["name"]: d.get("value") for d in attachment.get("details", [])}
        return details.get("networkInterfaceId"), details.get("privateIPv4Address")
    return None, None


def public_ips(ec2: Client, tasks: list[Json]) -> dict[str, str]:
    """ENI id -> public IP, in one DescribeNetworkInterfaces call (ENIs already gone are skipped)."""
    ids = [eni for eni, _ in map(eni_of, tasks) if eni]
    if not ids:
        return {}
    try:
        interfaces = ec2.describe_network_interfaces(NetworkInterfaceIds=ids)["NetworkInterfaces"]
    except ClientError:
        # one ENI deleted between ListTasks and here makes the whole call fail: ask one by one
        interfaces = []
        for eni in ids:
            try:
                interfaces += ec2.describe_network_interfaces(NetworkInterfaceIds=[eni])["NetworkInterfaces"]
            except ClientError:
                continue
    return {i["NetworkInterfaceId"]: i["Association"]["PublicIp"]
            for i in interfaces if (i.get("Association") or {}).get("PublicIp")}


def rows_for_tasks(ecs: Client, ec2: Client, cluster: str, tasks: list[Json]) -> list[TaskRow]:
    addresses = public_ips(ec2, [t for t in tasks if t.get("lastStatus") != "STOPPED"])
    definitions: dict[str, _Definition] = {}   # task definition ARN -> what the rows need of it
    rows = []
    for task in tasks:
        arn = task["taskDefinitionArn"]
        if arn not in definitions:
            definitions[arn] = _definition(ecs, arn)
        definition = definitions[arn]
        eni, private_ip = eni_of(task)
        ip = addresses.get(eni or "", private_ip)
        health = task.get("healthStatus", "UNKNOWN") if definition.health_checked else NO_HEALTH_CHECK
        for container in task.get("containers", []):
            ports = definition.ports.get(container["name"], [])
            rows.append(TaskRow(
                name=f"{task_id(task)}/{container['name']}", state=container_state(container, task),
                ports=_ports_text(ip, ports) if task.get("lastStatus") != "STOPPED" else "",
                task_definition=name_of(arn), health=health,
                task_id=task_id(task), stopped_reason=task.get("stoppedReason", ""),
                exit_code=container.get("exitCode")))
    return rows


def container_state(container: Json, task: Json) -> str:
    """The container's lastStatus; a stopped one with its exit code, as ecs-cli showed it: `STOPPED ExitCode: 0`."""
    state = str(container.get("lastStatus", task["lastStatus"]))
    if state == "STOPPED" and container.get("exitCode") is not None:
        state += f" ExitCode: {container['exitCode']}"
    return state


def _definition(ecs: Client, task_definition_arn: str) -> _Definition:
    try:
        td = ecs.describe_task_definition(taskDefinition=task_definition_arn)["taskDefinition"]
    except ClientError:
        return _Definition({})  # deleted since the task started: show no ports rather than fail
    containers = td.get("containerDefinitions", [])
    return _Definition({c["name"]: c.get("portMappings", []) for c in containers},
                       health_checked=any(c.get("healthCheck") for c in containers))


def _ports_text(ip: str | None, mappings: list[Json]) -> str:
    out = []
    for m in mappings:
        port = m.get("containerPort")
        host = m.get("hostPort") or port
        out.append(f"{ip + ':' if ip else ''}{host}->{port}/{m.get('protocol', 'tcp')}")
    return ", ".join(out)


def task_rows(session: Session, cluster: str, arns: list[str]) -> list[TaskRow]:
    ecs, ec2 = session.client("ecs"), session.client("ec2")
    return rows_for_tasks(ecs, ec2, cluster, describe_tasks(ecs, cluster, arns))


def cluster_ps(session: Session, cluster: str, desired_status: str | None = None) -> list[TaskRow]:
    """Every task of the cluster (ecs-cli `ps`)."""
    ecs = session.client("ecs")
    return task_rows(session, cluster, list_task_arns(ecs, cluster, desired_status))
