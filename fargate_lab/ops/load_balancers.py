"""The load balancer `--create-load-balancer` makes for a project: checking the flags, finding,
making (ALB, ip target group, listener) and deleting it, ours only by tag.

Split out of `services.py` (which re-exports it).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from botocore.exceptions import ClientError

from . import cluster as cluster_ops
from . import tags as project_tags
from .errors import OpsError
from .plumbing import Client, Json, Session, key_value_tags
from .project_common import Say

HEALTH_CHECK_PATH = "/"
ELB_NAME_LIMIT = 32


@dataclass(frozen=True)
class LoadBalancer:
    load_balancer_arn: str
    dns_name: str
    target_group_arn: str
    container_name: str
    container_port: int


# ---------------------------------------------------------------------------------- load balancer

def _elb_name(cluster: str, project: str) -> str:
    """`<cluster>-<project>`, made to fit ELB names (32 characters, letters, digits, hyphens)."""
    name = re.sub(r"[^a-zA-Z0-9-]", "-", f"{cluster}-{project}").strip("-")
    if len(name) > ELB_NAME_LIMIT:
        digest = hashlib.sha1(name.encode()).hexdigest()[:6]
        name = name[:ELB_NAME_LIMIT - 7].rstrip("-") + "-" + digest
    return name


def _container_port(definition: Json, container_name: str | None, container_port: int | None) -> tuple[str, int]:
    """The container and port the load balancer sends traffic to (checked against the task definition)."""
    containers = definition.get("containerDefinitions", [])
    with_ports = [c for c in containers if c.get("portMappings")]
    if container_name is None:
        if not with_ports:
            raise OpsError("a load balancer needs a container port, and no container publishes one: "
                           "add ports: [\"80:80\"] to a service")
        container = with_ports[0]
    else:
        container = next((c for c in containers if c["name"] == container_name), None)
        if container is None:
            raise OpsError(f"--container-name {container_name}: no such container; the task definition has "
                           f"{', '.join(c['name'] for c in containers)}")
    ports = [m.get("containerPort") for m in container.get("portMappings", [])]
    if container_port is None:
        if not ports:
            raise OpsError(f"container {container['name']} publishes no port for the load balancer: add ports: to it")
        container_port = ports[0]
    elif container_port not in ports:
        raise OpsError(f"--container-port {container_port}: container {container['name']} does not publish it "
                       f"(it publishes {', '.join(map(str, ports)) or 'nothing'})")
    return container["name"], int(container_port)


def check_load_balancer_flags(definition: Json, target_group_arn: str | None, container_name: str | None,
                              container_port: int | None, create_load_balancer: bool) -> tuple[str, int] | None:
    """Validate the load-balancer flags before anything is created; (container, port) or None."""
    if target_group_arn and create_load_balancer:
        raise OpsError("--target-group-arn and --create-load-balancer are exclusive: use one")
    if target_group_arn:
        if not container_name or not container_port:
            raise OpsError("--target-group-arn needs --container-name and --container-port")
        return _container_port(definition, container_name, container_port)
    if create_load_balancer:
        return _container_port(definition, container_name, container_port)
    if container_name or container_port:
        raise OpsError("--container-name/--container-port need --target-group-arn or --create-load-balancer")
    return None


def find_load_balancer(session: Session, cluster: str, project: str) -> Json | None:
    elbv2 = session.client("elbv2")
    try:
        found: Json = elbv2.describe_load_balancers(Names=[_elb_name(cluster, project)])["LoadBalancers"][0]
        return found
    except ClientError as e:
        if e.response["Error"]["Code"] == "LoadBalancerNotFound":
            return None
        raise


def ensure_load_balancer(session: Session, cluster: str, project: str, container_name: str, container_port: int,
                         tags: dict[str, str], deregistration_delay: int | None = None,
                         say: Say = print) -> LoadBalancer:
    """An internet-facing ALB in up's VPC, an ip target group (health check /), a listener on the port.

    Re-used when it already exists (the names derive from cluster and project)."""
    elbv2 = session.client("elbv2")
    network = cluster_ops.network_for(session, cluster)
    name = _elb_name(cluster, project)
    lb = find_load_balancer(session, cluster, project)
    made = lb is None
    if lb is None:
        lb = elbv2.create_load_balancer(Name=name, Subnets=list(network.subnet_ids),
                                        SecurityGroups=list(network.security_group_ids), Scheme="internet-facing",
                                        Type="application", Tags=key_value_tags(tags))["LoadBalancers"][0]
        say(f"Created load balancer {name}: http://{lb['DNSName']}:{container_port}/")
    target_group = _ensure_target_group(elbv2, name, network.vpc_id, container_port, tags, say)
    if deregistration_delay is not None:
        elbv2.modify_target_group_attributes(TargetGroupArn=target_group, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(int(deregistration_delay))}])
    # a load balancer made just now has no listener (and under --dry-run it does not exist to ask)
    listeners = [] if made else elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    if not any(listener["Port"] == container_port for listener in listeners):
        elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=container_port,
                              DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
                              Tags=key_value_tags(tags))
    return LoadBalancer(lb["LoadBalancerArn"], lb["DNSName"], target_group, container_name, container_port)


def _ensure_target_group(elbv2: Client, name: str, vpc_id: str, port: int, tags: dict[str, str], say: Say) -> str:
    arn: str
    try:
        arn = elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
        return arn
    except ClientError as e:
        if e.response["Error"]["Code"] != "TargetGroupNotFound":
            raise
    group = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=port, VpcId=vpc_id, TargetType="ip",
                                      HealthCheckPath=HEALTH_CHECK_PATH, Tags=key_value_tags(tags))["TargetGroups"][0]
    say(f"Created target group {name} (ip targets, health check {HEALTH_CHECK_PATH})")
    arn = group["TargetGroupArn"]
    return arn


def delete_load_balancer(session: Session, cluster: str, project: str, say: Say = print) -> bool:
    """Remove the load balancer and target group `--create-load-balancer` made (ours only, by tag)."""
    elbv2 = session.client("elbv2")
    lb = find_load_balancer(session, cluster, project)
    if lb is None:
        return False
    described = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    if not described or not project_tags.is_managed(described[0].get("Tags"), cluster):
        return False   # same name, but not made by fargate-lab for this cluster: leave it alone
    groups = elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    for group in groups:
        elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    say(f"Deleted load balancer {lb['LoadBalancerName']} and its target group")
    return True
