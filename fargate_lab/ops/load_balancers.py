"""The load balancer `--create-load-balancer` makes for a project: checking the flags, finding,
making (ALB, ip target group, listener) and deleting it, ours only by tag.

With a deployment strategy that moves traffic (BLUE_GREEN, CANARY, LINEAR: docs/ecs-2026.md §1.2) it
also makes what ECS moves the traffic with, each tagged and removed with the load balancer:

- the alternate target group (`<name>-alt`, the primary's settings);
- the production listener rule (path /*) forwarding with weights primary 1 / alternate 0;
- a test listener (port 8080) and its rule, forwarding the same way: ECS points it at the new
  revision's group for the test stages (an empty group would answer every request with a 503);
- the ECS infrastructure role for load balancers (trusted by ecs.amazonaws.com, with the AWS managed
  AmazonECSInfrastructureRolePolicyForLoadBalancers), one per cluster, project and region.

Split out of `services.py` (which re-exports it).
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass

from botocore.exceptions import ClientError

from . import cluster as cluster_ops
from . import tags as project_tags
from .errors import OpsError
from .plumbing import Client, Json, Session, key_value_tags
from .project_common import PROJECT_TAG, Say

HEALTH_CHECK_PATH = "/"
ELB_NAME_LIMIT = 32
ALTERNATE_SUFFIX = "-alt"          # the alternate target group's name: <cluster>-<project>-alt
TEST_LISTENER_PORT = 8080          # 8081 when the container itself listens on 8080
RULE_PATHS = ["/*"]                # the production and test rules match every path
INFRASTRUCTURE_POLICY_ARN = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
ECS_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Sid": "AllowAccessToECSForInfrastructureManagement", "Effect": "Allow",
    "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


@dataclass(frozen=True)
class LoadBalancer:
    load_balancer_arn: str
    dns_name: str
    target_group_arn: str
    container_name: str
    container_port: int
    # made only for a strategy that moves traffic (None otherwise)
    alternate_target_group_arn: str | None = None
    production_rule_arn: str | None = None
    test_rule_arn: str | None = None
    role_arn: str | None = None
    test_port: int | None = None

    def advanced_configuration(self) -> Json | None:
        """CreateService's loadBalancers[].advancedConfiguration, or None without the traffic parts."""
        if not (self.alternate_target_group_arn and self.production_rule_arn and self.role_arn):
            return None
        config: Json = {"alternateTargetGroupArn": self.alternate_target_group_arn,
                        "productionListenerRule": self.production_rule_arn, "roleArn": self.role_arn}
        if self.test_rule_arn:
            config["testListenerRule"] = self.test_rule_arn
        return config


# ---------------------------------------------------------------------------------- load balancer

def _elb_name(cluster: str, project: str, suffix: str = "") -> str:
    """`<cluster>-<project><suffix>`, made to fit ELB names (32 characters, letters, digits, hyphens)."""
    name = re.sub(r"[^a-zA-Z0-9-]", "-", f"{cluster}-{project}").strip("-")
    limit = ELB_NAME_LIMIT - len(suffix)
    if len(name) > limit:
        digest = hashlib.sha1(name.encode()).hexdigest()[:6]
        name = name[:limit - 7].rstrip("-") + "-" + digest
    return name + suffix


def _role_name(cluster: str, project: str, region: str) -> str:
    """IAM role names are account-wide (64 characters): the region keeps two regions' roles apart."""
    return f"{_elb_name(cluster, project)}-ecs-lb-{region}"


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
                         say: Say = print, traffic: bool = False) -> LoadBalancer:
    """An internet-facing ALB in up's VPC, an ip target group (health check /), a listener on the port;
    with `traffic` also the alternate group, the listener rules and the role (see the module docstring).

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
    _set_deregistration_delay(elbv2, target_group, deregistration_delay)
    # a load balancer made just now has no listener (and under --dry-run it does not exist to ask)
    listeners = [] if made else elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    production, production_made = _ensure_listener(elbv2, lb["LoadBalancerArn"], listeners, container_port,
                                                   target_group, tags)
    made_lb = LoadBalancer(lb["LoadBalancerArn"], lb["DNSName"], target_group, container_name, container_port)
    if not traffic:
        return made_lb
    alternate = _ensure_target_group(elbv2, _elb_name(cluster, project, ALTERNATE_SUFFIX), network.vpc_id,
                                     container_port, tags, say)
    _set_deregistration_delay(elbv2, alternate, deregistration_delay)
    production_rule = _ensure_rule(elbv2, production, production_made, target_group, alternate, tags)
    test_port = TEST_LISTENER_PORT + (1 if container_port == TEST_LISTENER_PORT else 0)
    test, test_made = _ensure_listener(elbv2, lb["LoadBalancerArn"], listeners, test_port, target_group, tags)
    if test_made:
        say(f"Created test listener on port {test_port} (ECS sends it to the new revision before production)")
    test_rule = _ensure_rule(elbv2, test, test_made, target_group, alternate, tags)
    role = _ensure_infrastructure_role(session.client("iam"), _role_name(cluster, project, session.region_name),
                                       tags, say)
    return LoadBalancer(made_lb.load_balancer_arn, made_lb.dns_name, target_group, container_name, container_port,
                        alternate, production_rule, test_rule, role, test_port)


def _set_deregistration_delay(elbv2: Client, target_group: str, seconds: int | None) -> None:
    if seconds is not None:
        elbv2.modify_target_group_attributes(TargetGroupArn=target_group, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(int(seconds))}])


def _ensure_listener(elbv2: Client, lb_arn: str, listeners: list[Json], port: int, target_group: str,
                     tags: dict[str, str]) -> tuple[str, bool]:
    """The HTTP listener on `port` (made forwarding to `target_group` when missing): (its ARN, made now)."""
    found = next((listener for listener in listeners if listener["Port"] == port), None)
    if found is not None:
        arn: str = found["ListenerArn"]
        return arn, False
    made = elbv2.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=port,
                                 DefaultActions=[{"Type": "forward", "TargetGroupArn": target_group}],
                                 Tags=key_value_tags(tags))["Listeners"][0]
    arn = made["ListenerArn"]
    return arn, True


def weighted_forward(primary: str, alternate: str) -> Json:
    """A forward action with every request to `primary`: what ECS's traffic shifts start from."""
    return {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": primary, "Weight": 1},
                                                                  {"TargetGroupArn": alternate, "Weight": 0}]}}


def _forwarded_groups(rule: Json) -> set[str]:
    groups: set[str] = set()
    for action in rule.get("Actions", []):
        if action.get("TargetGroupArn"):
            groups.add(action["TargetGroupArn"])
        groups.update(g["TargetGroupArn"] for g in action.get("ForwardConfig", {}).get("TargetGroups", []))
    return groups


def _ensure_rule(elbv2: Client, listener: str, listener_made: bool, primary: str, alternate: str,
                 tags: dict[str, str]) -> str:
    """The listener's rule that forwards to the primary group (ECS may have moved its weights since), or
    a new one at the first free priority matching every path."""
    rules = [] if listener_made else elbv2.describe_rules(ListenerArn=listener)["Rules"]
    arn: str
    for rule in rules:
        if not rule.get("IsDefault") and primary in _forwarded_groups(rule):
            arn = rule["RuleArn"]
            return arn
    taken = {int(rule["Priority"]) for rule in rules if str(rule.get("Priority", "")).isdigit()}
    priority = next(n for n in itertools.count(1) if n not in taken)
    made = elbv2.create_rule(ListenerArn=listener, Priority=priority,
                             Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": RULE_PATHS}}],
                             Actions=[weighted_forward(primary, alternate)], Tags=key_value_tags(tags))["Rules"][0]
    arn = made["RuleArn"]
    return arn


def _ensure_infrastructure_role(iam: Client, name: str, tags: dict[str, str], say: Say) -> str:
    """The role ECS changes the listener rules with (ECS's infrastructure role for load balancers)."""
    arn: str
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
        return arn
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchEntity":
            raise
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ECS_TRUST),
                           Description="Lets ECS move a fargate-lab service's traffic between its target groups",
                           Tags=key_value_tags(tags))["Role"]
    iam.attach_role_policy(RoleName=name, PolicyArn=INFRASTRUCTURE_POLICY_ARN)
    say(f"Created role {name} (ECS moves the listener rules' traffic with it)")
    arn = role["Arn"]
    return arn


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
    """Remove the load balancer and target groups `--create-load-balancer` made (ours only, by tag), and
    the alternate target group and role of a traffic strategy; True if there was a load balancer."""
    elbv2 = session.client("elbv2")
    lb = find_load_balancer(session, cluster, project)
    deleted = lb is not None and _delete_ours(elbv2, lb, cluster, say)
    _delete_traffic_parts(session, cluster, project, say)
    return deleted


def _delete_ours(elbv2: Client, lb: Json, cluster: str, say: Say) -> bool:
    described = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    if not described or not project_tags.is_managed(described[0].get("Tags"), cluster):
        return False   # same name, but not made by fargate-lab for this cluster: leave it alone
    groups = elbv2.describe_target_groups(LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]
    for listener in elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        elbv2.delete_listener(ListenerArn=listener["ListenerArn"])   # its rules go with it
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    for group in groups:
        elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    say(f"Deleted load balancer {lb['LoadBalancerName']} and its target group")
    return True


def _delete_traffic_parts(session: Session, cluster: str, project: str, say: Say) -> None:
    """The alternate target group (once no listener forwards to it) and the role, if we made them."""
    elbv2, iam = session.client("elbv2"), session.client("iam")
    name = _elb_name(cluster, project, ALTERNATE_SUFFIX)
    try:
        groups = elbv2.describe_target_groups(Names=[name])["TargetGroups"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "TargetGroupNotFound":
            raise
        groups = []
    for group in groups:
        tags = elbv2.describe_tags(ResourceArns=[group["TargetGroupArn"]])["TagDescriptions"]
        if tags and project_tags.is_managed(tags[0].get("Tags"), cluster):
            elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
            say(f"Deleted alternate target group {name}")
    role = _role_name(cluster, project, session.region_name)
    try:
        found = iam.get_role(RoleName=role)["Role"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchEntity":
            raise
        return
    tags = project_tags.as_dict(found.get("Tags") or iam.list_role_tags(RoleName=role).get("Tags"))
    if project_tags.is_managed(tags, cluster) and tags.get(PROJECT_TAG) == project:
        cluster_ops._delete_role(iam, role)
        say(f"Deleted role {role}")
