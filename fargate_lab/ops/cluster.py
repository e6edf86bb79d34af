"""The cluster's lifecycle: `up`, `network_for` and `down`, as `ecs-cli up/down --launch-type FARGATE` did.

`up` makes the ECS cluster (CreateCluster, tagged), the task execution role if it is
missing, and the CloudFormation stack `amazon-ecs-cli-setup-<cluster>` with ecs-cli's
nine network resources plus a security group open on one port (ecs-cli left that to
the user, and every tutorial then had to explain it).  Everything made carries the
ownership tags of `tags.py`, and `down` removes only what carries them.

The same code runs on AWS and on the local cloud, through the boto3 session given and
nothing else (it does not import `fargate_lab.local`).  Where the local cloud (moto's
CloudFormation) needs something AWS does not, this is where
it went, and why:
- Waiting for the stack sleeps with `plumbing.cloud_sleep`: `time.sleep`, unless the
  in-process local cloud lent its own sleep on `local.start()` (`fargate_lab/local/__init__.py`),
  so that its virtual clock moves while `up` waits.  On AWS, and against a `local serve`
  server, nothing is lent and the wait is the wall clock's.
- SubnetRouteTableAssociation and MapPublicIpOnLaunch do not materialise: `up` makes them
  (`_fill_moto_gaps`), detecting the gap only from what EC2 answers (no association, the
  attribute off), so on AWS the check finds nothing to do.  It stays here rather than in
  `local/`: a `local serve` server answers CloudFormation in its own process, where no hook
  of the client's runs, and the calls a run makes stay what they were.
- `Fn::GetAZs` cannot be resolved by moto: the template names two zones found with
  DescribeAvailabilityZones, a plain template on AWS too (`_availability_zones`).
- delete_stack raises DependencyViolation and leaves the VPC behind: `down` deletes the
  tagged leftovers itself, in dependency order (on AWS the same path handles DELETE_FAILED),
  finding the VPC by its tags once the stack is gone (`_network_from_tags`).
"""
from __future__ import annotations

import functools
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError, WaiterError

from . import dryrun
from .config import check_cluster
from .errors import OpsError, error_code, error_text
from .plumbing import (DESCRIBE_LIMITS, Client, Json, Session, batches, cloud_sleep, describe_clusters,
                       describe_tasks, name_of, paged, tag_dict)
from .tags import check_user_tags, ec2_filters, for_cfn, for_ecs, for_iam, is_managed

STACK_PREFIX = "amazon-ecs-cli-setup-"   # ecs-cli's name, so its tutorials' commands still find the stack
EXECUTION_ROLE = "ecsTaskExecutionRole"
EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ECS_TASKS_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDRS = ("10.0.0.0/24", "10.0.1.0/24")
ANYWHERE = "0.0.0.0/0"

POLL_SECONDS = 5                      # ecs-cli polled every 30 s; a VPC stack takes well under a minute
STACK_TIMEOUT_SECONDS = 25 * 60       # ecs-cli's limit (50 polls of 30 s)
WAIT_SECONDS = 10 * 60                # for a service to drain, tasks to stop, a stack to delete
WAIT_DELAY = 5                        # seconds between polls on AWS (cloud seconds on the in-process cloud)
LOCAL_WAIT_DELAY = 1                  # ... and on a local server, whose clock runs faster than the wall's
LOOPBACK_PREFIXES = ("http://127.0.0.1", "http://localhost", "http://[::1]")
STACK_USABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE")
STACK_BROKEN = ("CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED",
                "UPDATE_ROLLBACK_FAILED", "ROLLBACK_IN_PROGRESS")
STACK_EC2_LABELS = {"AWS::EC2::SecurityGroup": "Security Group", "AWS::EC2::RouteTable": "Route table",
                    "AWS::EC2::InternetGateway": "Internet gateway", "AWS::EC2::Subnet": "Subnet",
                    "AWS::EC2::VPC": "VPC"}   # in dependency order: the order lines are printed in


# -- results ----------------------------------------------------------------------------
@dataclass
class UpResult:
    cluster_arn: str
    vpc_id: str | None
    subnet_ids: list[str]
    security_group_id: str | None
    execution_role_arn: str
    stack_name: str | None
    created: list[str] = field(default_factory=list)   # one human line per thing this call created


@dataclass(frozen=True)
class Network:
    """Where a cluster's tasks go: what `awsvpcConfiguration` needs."""
    vpc_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]


@dataclass
class DownResult:
    cluster: str
    services: list[str] = field(default_factory=list)        # ARNs deleted
    tasks: list[str] = field(default_factory=list)           # standalone task ARNs stopped
    cluster_arn: str | None = None                           # set if the cluster was deleted
    stack_name: str | None = None                            # set if the stack was deleted
    network: list[str] = field(default_factory=list)         # EC2 ids deleted (by the stack or directly)
    log_groups: list[str] = field(default_factory=list)
    execution_role: str | None = None
    kept: list[str] = field(default_factory=list)            # what was left alone, and why
    removed: list[str] = field(default_factory=list)         # one human line per thing removed
    dry_run: bool = False


def stack_name(cluster: str) -> str:
    return f"{STACK_PREFIX}{cluster}"


# -- plumbing shared by up and down -------------------------------------------------------
class _Clients:
    """The session's clients, made on first use (so a dry-run session's handlers are in them)."""

    def __init__(self, session: Session) -> None:
        if not session.region_name:
            raise OpsError("region: none set; pass --region, set AWS_REGION, or run `fargate-lab configure --region`")
        self.session = session
        self.region = session.region_name
        self.dry = dryrun.is_active(session)

    @functools.cached_property
    def ecs(self) -> Client:
        return self.session.client("ecs")

    @functools.cached_property
    def ec2(self) -> Client:
        return self.session.client("ec2")

    @functools.cached_property
    def iam(self) -> Client:
        return self.session.client("iam")

    @functools.cached_property
    def cfn(self) -> Client:
        return self.session.client("cloudformation")

    @functools.cached_property
    def logs(self) -> Client:
        return self.session.client("logs")


class _Report:
    """Prints progress, and records (and prints) one line per thing done.

    In a dry run nothing is done: the `would call ...` lines from dryrun.py tell the story,
    so `done` lines are not printed or recorded."""

    def __init__(self, say: Callable[[str], object], dry: bool) -> None:
        self.say, self.dry = say, dry
        self.lines: list[str] = []

    def done(self, line: str) -> None:
        if not self.dry:
            self.lines.append(line)
            self.say(line)

    def note(self, line: str) -> None:
        self.say(line)


P = ParamSpec("P")
R = TypeVar("R")


def _user_facing(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Turn AWS and botocore failures into one-line OpsErrors that the CLI can print."""
    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except OpsError:
                raise
            except NoCredentialsError:
                raise OpsError("credentials: none found for the aws backend; run `aws configure` or set "
                               "AWS_PROFILE, or use --backend local") from None
            except NoRegionError:
                raise OpsError("region: none set; pass --region or set AWS_REGION") from None
            except ClientError as e:
                raise OpsError(f"{action} failed: {error_text(e)}") from e
            except BotoCoreError as e:
                raise OpsError(f"{action} failed: {e}") from e
        return run
    return wrap


def _waiter_config(client: Client) -> dict[str, int]:
    """Poll a local server (`fargate-lab local serve`) often: its minutes pass in seconds."""
    local_server = (client.meta.endpoint_url or "").startswith(LOOPBACK_PREFIXES)
    delay = LOCAL_WAIT_DELAY if local_server else WAIT_DELAY
    return {"Delay": delay, "MaxAttempts": WAIT_SECONDS // delay}


def _find_stack(cfn: Client, name: str) -> Json | None:
    try:
        stack: Json = cfn.describe_stacks(StackName=name)["Stacks"][0]
        return stack
    except ClientError as e:
        if error_code(e) == "ValidationError":   # CloudFormation's way of saying "no such stack"
            return None
        raise


def _active_cluster(ecs: Client, name: str) -> Json | None:
    found = ecs.describe_clusters(clusters=[name], include=["TAGS"])["clusters"]
    return next((c for c in found if c["status"] == "ACTIVE"), None)


# == up ====================================================================================
@_user_facing("up")
def up(session: Session, cluster: str = "default", port: int = 80, vpc: str | None = None,
       subnets: list[str] | None = None, force: bool = False, empty: bool = False,
       tags: dict[str, str] | None = None, say: Callable[[str], object] = print) -> UpResult:
    """Create the cluster, the execution role and (unless `empty`) the network stack; safe to re-run."""
    subnets = _check_up_arguments(cluster, port, vpc, subnets)
    extra = check_user_tags(tags)
    aws = _Clients(session)
    report = _Report(say, aws.dry)
    if vpc and not empty:
        _check_network_exists(aws, vpc, subnets)   # first, so a typo leaves nothing half-made
    cluster_arn = _ensure_cluster(aws, cluster, extra, report)
    role_arn = _ensure_execution_role(aws.iam, cluster, extra, report)
    if empty:
        return _finish(report, cluster, UpResult(cluster_arn, None, [], None, role_arn, None, report.lines))
    name = stack_name(cluster)
    stack = _settled_stack(aws.cfn, name, report)
    if stack and not force:
        return _finish(report, cluster, _reuse_stack(aws, stack, cluster, vpc, cluster_arn, role_arn, report))
    if stack:
        _replace_stack(aws, stack, cluster, report)
    expected = _create_stack(aws, cluster, port, vpc, subnets, extra)
    if expected is None:   # another `up` (run at the same time) created it a moment ago: use theirs
        stack = _settled_stack(aws.cfn, name, report)
        if stack is None:
            raise OpsError(f"stack {name} appeared and went again while `up` ran; run `fargate-lab up` again")
        return _finish(report, cluster, _reuse_stack(aws, stack, cluster, vpc, cluster_arn, role_arn, report))
    if aws.dry:
        report.note(f"Dry run: nothing was changed. Without --dry-run, stack {name} would now be created and "
                    "waited for.")
        return UpResult(cluster_arn, vpc, list(subnets), None, role_arn, name, [])
    _wait_for_stack(aws.cfn, name, expected, report)
    network = _stack_network(aws.cfn, name)
    if network is None:   # CREATE_COMPLETE, yet neither its Outputs nor its resources name a VPC and subnets
        raise OpsError(f"stack {name} was created but holds no VPC and subnets; run `fargate-lab up --cluster "
                       f"{cluster} --force` to recreate it")
    if not vpc:
        _fill_moto_gaps(aws, name, network)
    _report_network(report, network, made_vpc=not vpc)
    return _finish(report, cluster, UpResult(cluster_arn, network.vpc_id, network.subnet_ids,
                                             network.security_group_ids[0], role_arn, name, report.lines))


def _finish(report: _Report, cluster: str, result: UpResult) -> UpResult:
    if report.dry:
        report.note("Dry run: nothing was changed.")
        return result
    report.note("Cluster creation succeeded." if result.created else
                f"Cluster {cluster} is already up; nothing to create.")
    return result


def _check_up_arguments(cluster: str, port: object, vpc: str | None,
                        subnets: list[str] | str | None) -> list[str]:
    """The subnet ids given (none: []), once the arguments are checked.  `port` and `subnets` are checked
    as they came, since a Python caller can pass anything (a comma-separated string of subnets is split)."""
    check_cluster(cluster)
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise OpsError(f"--port: {port!r} is not a TCP port; use a number from 1 to 65535 (80 for a web server)")
    if isinstance(subnets, str):
        subnets = [s.strip() for s in subnets.split(",") if s.strip()]
    if bool(vpc) != bool(subnets):
        raise OpsError("--vpc and --subnets go together: give both to reuse your network, or neither to "
                       "create one")
    if vpc and not vpc.startswith("vpc-"):
        raise OpsError(f"--vpc: {vpc!r} is not a VPC id; use one like vpc-0abc1234")
    for subnet in subnets or []:
        if not subnet.startswith("subnet-"):
            raise OpsError(f"--subnets: {subnet!r} is not a subnet id; use ids like subnet-0abc1234,subnet-0def5678")
    return list(subnets) if subnets else []


def _check_network_exists(aws: _Clients, vpc: str, subnets: list[str]) -> None:
    try:
        aws.ec2.describe_vpcs(VpcIds=[vpc])
    except ClientError as e:
        if error_code(e).startswith("InvalidVpcID"):
            raise OpsError(f"--vpc: {vpc} does not exist in {aws.region}; list yours with "
                           "`aws ec2 describe-vpcs`") from None
        raise
    for subnet in subnets:
        try:
            found = aws.ec2.describe_subnets(SubnetIds=[subnet])["Subnets"][0]
        except ClientError as e:
            if error_code(e).startswith("InvalidSubnetID"):
                raise OpsError(f"--subnets: {subnet} does not exist in {aws.region}; list the VPC's with "
                               f"`aws ec2 describe-subnets --filters Name=vpc-id,Values={vpc}`") from None
            raise
        if found["VpcId"] != vpc:
            raise OpsError(f"--subnets: {subnet} is in {found['VpcId']}, not in --vpc {vpc}; pass subnets of "
                           "that VPC")


def _ensure_cluster(aws: _Clients, cluster: str, extra: dict[str, str], report: _Report) -> str:
    found = _active_cluster(aws.ecs, cluster)
    arn: str
    if found:
        if is_managed(found.get("tags"), cluster):
            report.note(f"Cluster {cluster} already exists.")
        else:
            report.note(f"Using existing cluster {cluster}: fargate-lab did not create it, so `down` will "
                        "leave it.")
        arn = found["clusterArn"]
        return arn
    arn = aws.ecs.create_cluster(clusterName=cluster, tags=for_ecs(cluster, extra))["cluster"]["clusterArn"]
    report.done(f"Cluster created: {arn}")
    return arn


def _ensure_execution_role(iam: Client, cluster: str, extra: dict[str, str], report: _Report) -> str:
    """Tasks that pull from ECR or log to CloudWatch need this role; make it only if it is missing.

    A role that exists is never touched: it may be the account's, shared with other tools."""
    try:
        return _execution_role_arn(iam)
    except ClientError as e:
        if error_code(e) != "NoSuchEntity":
            raise
    try:
        role = iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps(ECS_TASKS_TRUST),
                               Description="Lets ECS pull images and send logs for fargate-lab tasks",
                               Tags=for_iam(cluster, extra))["Role"]
    except ClientError as e:
        if error_code(e) != "EntityAlreadyExists":
            raise
        return _execution_role_arn(iam)   # another `up` made it a moment ago
    iam.attach_role_policy(RoleName=EXECUTION_ROLE, PolicyArn=EXECUTION_POLICY_ARN)
    arn: str = role["Arn"]
    report.done(f"Task execution role created: {arn}")
    return arn


def existing_execution_role(session: Session) -> str | None:
    """The ARN of the task execution role `up` creates, if it exists (None if not, or not readable)."""
    try:
        return _execution_role_arn(session.client("iam"))
    except ClientError:
        return None


def _execution_role_arn(iam: Client) -> str:
    arn: str = iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"]
    return arn


# -- the stack ------------------------------------------------------------------------------
def _settled_stack(cfn: Client, name: str, report: _Report) -> Json | None:
    """The existing stack once it is no longer changing, or None if there is none (any more)."""
    stack = _find_stack(cfn, name)
    if stack and stack["StackStatus"] == "CREATE_IN_PROGRESS":
        report.note(f"Stack {name} is still being created; waiting for it.")
        _wait_for_stack(cfn, name, None, report)
        stack = _find_stack(cfn, name)
    if stack and stack["StackStatus"] == "DELETE_IN_PROGRESS":
        report.note(f"Stack {name} is being deleted; waiting for that first.")
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=_waiter_config(cfn))
        stack = None
    return stack


def _reuse_stack(aws: _Clients, stack: Json, cluster: str, vpc: str | None, cluster_arn: str, role_arn: str,
                 report: _Report) -> UpResult:
    name = stack["StackName"]
    if stack["StackStatus"] in STACK_BROKEN:
        raise OpsError(f"stack {name} is {stack['StackStatus']}; run `fargate-lab up --cluster {cluster} --force` "
                       "to recreate it")
    network = _stack_network(aws.cfn, name) or _network_from_tags(aws.ec2, cluster)
    if network is None:
        raise OpsError(f"stack {name} exists but holds no VPC and subnets; run `fargate-lab up --cluster "
                       f"{cluster} --force` to recreate it")
    if vpc and network.vpc_id != vpc:
        raise OpsError(f"--vpc: stack {name} already uses {network.vpc_id}; run `fargate-lab up --cluster "
                       f"{cluster} --force --vpc {vpc} --subnets ...` to recreate it on your VPC")
    if is_managed(stack.get("Tags"), cluster):
        _fill_moto_gaps(aws, name, network)   # in case an earlier `up` stopped before doing it
    report.note(f"Stack {name} already exists; using its resources (`--force` recreates it).")
    report.note(f"VPC: {network.vpc_id}")
    for subnet in network.subnet_ids:
        report.note(f"Subnet: {subnet}")
    for group in network.security_group_ids:
        report.note(f"Security Group: {group}")
    first_group = network.security_group_ids[0] if network.security_group_ids else None
    return UpResult(cluster_arn, network.vpc_id, network.subnet_ids, first_group, role_arn, name, report.lines)


def _replace_stack(aws: _Clients, stack: Json, cluster: str, report: _Report) -> None:
    name = stack["StackName"]
    if not is_managed(stack.get("Tags"), cluster):
        raise OpsError(f"--force: stack {name} was not created by fargate-lab, so it will not delete it; delete "
                       "it yourself (`aws cloudformation delete-stack`) or use another --cluster name")
    report.note(f"--force: deleting stack {name} to recreate it.")
    problems: list[str] = []
    _remove_stack(aws, cluster, report, DownResult(cluster), problems)
    if problems:
        raise OpsError(f"--force: could not delete stack {name}: {'; '.join(problems)}")


def _availability_zones(aws: _Clients) -> list[str]:
    """Two zones, named explicitly: moto cannot resolve ecs-cli's `Fn::GetAZs {Ref: AWS::Region}`."""
    zones = aws.ec2.describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
    names = sorted(z["ZoneName"] for z in zones if z.get("ZoneType", "availability-zone") == "availability-zone")
    if len(names) < 2:
        raise OpsError(f"region: {aws.region} has fewer than two availability zones available; pick another "
                       "--region")
    return names[:2]


def _create_stack(aws: _Clients, cluster: str, port: int, vpc: str | None, subnets: list[str],
                  extra: dict[str, str]) -> int | None:
    """Start the stack; returns how many resources it will have (for the progress line), or None if a stack
    of that name appeared since we looked (a concurrent `up`)."""
    zones = None if vpc else _availability_zones(aws)
    template = stack_template(cluster, port, zones=zones, vpc=vpc, subnets=subnets, extra_tags=extra)
    try:
        aws.cfn.create_stack(StackName=stack_name(cluster), TemplateBody=json.dumps(template),
                             Tags=for_cfn(cluster, extra))
    except ClientError as e:
        if error_code(e) == "AlreadyExistsException":
            return None
        raise
    return len(template["Resources"])


def stack_template(cluster: str, port: int = 80, zones: list[str] | None = None, vpc: str | None = None,
                   subnets: list[str] | None = None, extra_tags: dict[str, str] | None = None) -> Json:
    """ecs-cli's Fargate network (unless `vpc` is given) plus a security group open on `port`.

    `vpc` comes with its `subnets`; without `vpc`, `zones` names the two zones to make subnets in.
    Unlike ecs-cli's template it has Outputs, so `network_for` needs one call, and
    values are written in rather than passed as parameters, so the template reads
    as what it makes."""
    tags = for_cfn(cluster, extra_tags)
    resources: Json
    vpc_ref: str | Json
    subnet_refs: list[str] | list[Json]
    if vpc:
        if subnets is None:
            raise TypeError("stack_template: vpc= needs subnets=")
        resources, vpc_ref, subnet_refs = {}, vpc, list(subnets)
    else:
        if zones is None:
            raise TypeError("stack_template: without vpc=, zones= names the two zones")
        resources = _network_resources(zones, tags)
        vpc_ref, subnet_refs = {"Ref": "Vpc"}, [{"Ref": "PubSubnetAz1"}, {"Ref": "PubSubnetAz2"}]
    resources["EcsSecurityGroup"] = {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "GroupDescription": f"ECS Allowed Ports (fargate-lab cluster {cluster})", "VpcId": vpc_ref,
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIp": ANYWHERE}],
        "Tags": tags}}
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"fargate-lab network for ECS cluster {cluster}: ecs-cli's up layout plus a security group",
        "Resources": resources,
        "Outputs": {"VpcId": {"Value": vpc_ref},
                    "SubnetIds": {"Value": {"Fn::Join": [",", subnet_refs]}},
                    "SecurityGroupId": {"Value": {"Ref": "EcsSecurityGroup"}}}}


def _network_resources(zones: list[str], tags: list[dict[str, str]]) -> Json:
    """The nine resources of `ecs-cli up --launch-type FARGATE`, with public IPs on launch."""
    def subnet(cidr: str, zone: str) -> Json:
        return {"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr, "AvailabilityZone": zone,
            "MapPublicIpOnLaunch": True, "Tags": tags}}

    def association(subnet_id: str) -> Json:
        return {"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {
            "SubnetId": {"Ref": subnet_id}, "RouteTableId": {"Ref": "RouteViaIgw"}}}

    return {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
            "CidrBlock": VPC_CIDR, "EnableDnsSupport": True, "EnableDnsHostnames": True, "Tags": tags}},
        "PubSubnetAz1": subnet(SUBNET_CIDRS[0], zones[0]),
        "PubSubnetAz2": subnet(SUBNET_CIDRS[1], zones[1]),
        "InternetGateway": {"Type": "AWS::EC2::InternetGateway", "Properties": {"Tags": tags}},
        "AttachGateway": {"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "InternetGateway"}}},
        "RouteViaIgw": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}, "Tags": tags}},
        "PublicRouteViaIgw": {"Type": "AWS::EC2::Route", "DependsOn": "AttachGateway", "Properties": {
            "RouteTableId": {"Ref": "RouteViaIgw"}, "DestinationCidrBlock": ANYWHERE,
            "GatewayId": {"Ref": "InternetGateway"}}},
        "PubSubnet1RouteTableAssociation": association("PubSubnetAz1"),
        "PubSubnet2RouteTableAssociation": association("PubSubnetAz2"),
    }


def _wait_for_stack(cfn: Client, name: str, expected: int | None, report: _Report) -> None:
    """Poll until CREATE_COMPLETE, printing a progress line each time (ecs-cli's wait, but talkative)."""
    report.note("Waiting for your cluster resources to be created...")
    waited = 0
    while True:
        stack = _find_stack(cfn, name)
        status = stack["StackStatus"] if stack else "DELETE_COMPLETE"
        report.note(f"Cloudformation stack status: {status} ({_progress(cfn, name, expected)}, {waited} s)")
        if status == "CREATE_COMPLETE":
            return
        if status != "CREATE_IN_PROGRESS":
            raise OpsError(f"stack {name} ended {status}: {_first_failure(cfn, name)}; fix that, then run "
                           f"`fargate-lab up --force`")
        if waited >= STACK_TIMEOUT_SECONDS:
            raise OpsError(f"stack {name} was not ready after {waited // 60} minutes; see its events with "
                           f"`aws cloudformation describe-stack-events --stack-name {name}`")
        cloud_sleep(POLL_SECONDS)   # cloud time on the in-process local cloud, wall time elsewhere
        waited += POLL_SECONDS


def _progress(cfn: Client, name: str, expected: int | None) -> str:
    try:
        resources = cfn.describe_stack_resources(StackName=name)["StackResources"]
    except ClientError:
        return "resources unknown"
    done = sum(r.get("ResourceStatus") == "CREATE_COMPLETE" for r in resources)
    return f"{done}/{expected or len(resources)} resources"


def _first_failure(cfn: Client, name: str) -> str:
    """The first resource failure's reason: the cause, rather than the rollback noise after it."""
    try:
        events = paged(cfn, "describe_stack_events", "StackEvents", StackName=name)
    except ClientError:
        return "no details"
    failures = [e for e in reversed(events)
                if e.get("ResourceStatus", "").endswith("FAILED") and e.get("ResourceStatusReason")]
    if failures:
        return f"{failures[0]['LogicalResourceId']}: {failures[0]['ResourceStatusReason']}"
    return "no details"


def _fill_moto_gaps(aws: _Clients, name: str, network: Network) -> None:
    """Make what the template asked for but moto's CloudFormation did not make (nothing, on AWS):
    the subnets' route-table associations (else tasks have no route out) and public IPs on launch."""
    resources = _stack_resources(aws.cfn, name)
    route_table = resources.get("RouteViaIgw")
    if route_table:
        tables = aws.ec2.describe_route_tables(RouteTableIds=[route_table])["RouteTables"]
        associated = {a.get("SubnetId") for t in tables for a in t.get("Associations", [])}
        for subnet in network.subnet_ids:
            if subnet not in associated:
                aws.ec2.associate_route_table(RouteTableId=route_table, SubnetId=subnet)
    for subnet in aws.ec2.describe_subnets(SubnetIds=network.subnet_ids)["Subnets"]:
        if not subnet.get("MapPublicIpOnLaunch"):
            aws.ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})


def _report_network(report: _Report, network: Network, made_vpc: bool) -> None:
    if made_vpc:
        report.done(f"VPC created: {network.vpc_id}")
        for subnet in network.subnet_ids:
            report.done(f"Subnet created: {subnet}")
    else:
        report.note(f"Using VPC {network.vpc_id} and subnets {', '.join(network.subnet_ids)}.")
    for group in network.security_group_ids:
        report.done(f"Security Group created: {group}")


# == network_for ============================================================================
@_user_facing("finding the cluster's network")
def network_for(session: Session, cluster: str) -> Network:
    """The VPC, subnets and security groups `up` made for `cluster`."""
    aws = _Clients(session)
    stack = _find_stack(aws.cfn, stack_name(cluster))
    network = None
    if stack and stack["StackStatus"] in STACK_USABLE:
        network = _stack_network(aws.cfn, stack["StackName"], stack)
    network = network or _network_from_tags(aws.ec2, cluster)
    if network is None:
        raise OpsError(f"cluster {cluster!r} has no network in {aws.region}; run `fargate-lab up --cluster "
                       f"{cluster}` first")
    return network


def _stack_network(cfn: Client, name: str, stack: Json | None = None) -> Network | None:
    """From our stack's Outputs, else by logical id (a stack made by ecs-cli itself has no Outputs)."""
    stack = stack or _find_stack(cfn, name)
    if stack is None:
        return None
    outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs", [])}
    if outputs.get("VpcId") and outputs.get("SubnetIds"):
        groups = [outputs["SecurityGroupId"]] if outputs.get("SecurityGroupId") else []
        return Network(outputs["VpcId"], outputs["SubnetIds"].split(","), groups)
    resources = _stack_resources(cfn, name)
    subnets = [resources[k] for k in ("PubSubnetAz1", "PubSubnetAz2") if k in resources]
    if resources.get("Vpc") and subnets:
        groups = [resources["EcsSecurityGroup"]] if "EcsSecurityGroup" in resources else []
        return Network(resources["Vpc"], subnets, groups)
    return None


def _stack_resources(cfn: Client, name: str) -> dict[str, str]:
    """Logical id -> physical id."""
    try:
        found = cfn.describe_stack_resources(StackName=name)["StackResources"]
    except ClientError:
        return {}
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in found
            if r.get("LogicalResourceId") and r.get("PhysicalResourceId")}


def _network_from_tags(ec2: Client, cluster: str) -> Network | None:
    """Find our VPC by its tags: the way back when moto has dropped the stack but not the VPC."""
    vpcs = ec2.describe_vpcs(Filters=ec2_filters(cluster))["Vpcs"]
    if not vpcs:
        return None
    vpc = vpcs[0]["VpcId"]
    in_vpc = ec2_filters(cluster) + [{"Name": "vpc-id", "Values": [vpc]}]
    subnets = sorted(ec2.describe_subnets(Filters=in_vpc)["Subnets"], key=lambda s: s["CidrBlock"])
    groups = ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]
    if not subnets:
        return None
    return Network(vpc, [s["SubnetId"] for s in subnets], [g["GroupId"] for g in groups])


# == down ==================================================================================
@_user_facing("down")
def down(session: Session, cluster: str = "default", force: bool = False,
         say: Callable[[str], object] = print) -> DownResult:
    """Remove, in dependency order, everything fargate-lab made for `cluster`, and nothing else."""
    check_cluster(cluster)
    aws = _Clients(session)
    report = _Report(say, aws.dry)
    result = DownResult(cluster, dry_run=aws.dry)
    problems: list[str] = []
    found = _active_cluster(aws.ecs, cluster)
    if found:
        _empty_cluster(aws, found, force, report, result)
        _delete_cluster(aws, found, report, result, problems)
    else:
        report.note(f"No active ECS cluster named {cluster} in {aws.region}.")
    _remove_stack(aws, cluster, report, result, problems)
    _delete_log_groups(aws, cluster, report, result)
    _delete_execution_role(aws, cluster, report, result, problems)
    result.removed = report.lines
    if problems:
        raise OpsError(f"down left some resources behind: {'; '.join(problems)}; run `fargate-lab down "
                       f"--cluster {cluster}` again in a minute")
    if not result.removed and not aws.dry:
        report.note(f"Nothing of fargate-lab's to remove for cluster {cluster}.")
    return result


@_user_facing("down")
def require_something_to_remove(session: Session, cluster: str) -> None:
    """Raise (one line, naming the cluster) unless `down` has something to do for `cluster`: the cluster, or
    what an earlier `up` or an interrupted `down` left of its network.  `down` itself stays idempotent."""
    check_cluster(cluster)
    aws = _Clients(session)
    if _active_cluster(aws.ecs, cluster):
        return
    stack = _find_stack(aws.cfn, stack_name(cluster))
    if (stack and stack["StackStatus"] != "DELETE_COMPLETE") or aws.ec2.describe_vpcs(Filters=ec2_filters(cluster))[
            "Vpcs"]:
        return
    names = sorted(name_of(arn) for arn in paged(aws.ecs, "list_clusters", "clusterArns"))
    known = f"clusters there: {', '.join(names)}" if names else "there are no clusters there"
    raise OpsError(f"no cluster named {cluster} in {aws.region} ({known}); nothing to take down: check the name")


def _keep(report: _Report, result: DownResult, line: str) -> None:
    result.kept.append(line)
    report.note(line)


# -- services and tasks -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Item:
    arn: str
    tags: dict[str, str]

    @property
    def name(self) -> str:
        return name_of(self.arn)


def _empty_cluster(aws: _Clients, found: Json, force: bool, report: _Report, result: DownResult) -> None:
    """Delete our services and stop our standalone tasks; refuse if someone else's are in our cluster."""
    cluster, arn = found["clusterName"], found["clusterArn"]
    services = _services(aws.ecs, arn)
    tasks = _standalone_tasks(aws.ecs, arn)
    ours = [i for i in services + tasks if is_managed(i.tags, cluster)]
    others = [i for i in services + tasks if not is_managed(i.tags, cluster)]
    cluster_is_ours = is_managed(found.get("tags"), cluster)
    if others and cluster_is_ours and not force:
        names = ", ".join(i.name for i in others[:5]) + (", ..." if len(others) > 5 else "")
        raise OpsError(f"cluster {cluster} holds {len(others)} service(s)/task(s) that fargate-lab did not create "
                       f"({names}); delete them first, or run `fargate-lab down --cluster {cluster} --force` to "
                       "remove them too")
    if others and cluster_is_ours:   # --force: the cluster is going, and everything in it
        ours += others
    elif others:
        _keep(report, result, f"Left {len(others)} service(s)/task(s) in cluster {cluster}: fargate-lab did not "
                              "create them.")
    _delete_services(aws, arn, [i for i in ours if i in services], report, result)
    _stop_tasks(aws, arn, [i for i in ours if i in tasks], report, result)
    if not aws.dry:
        _wait_for_tasks_to_stop(aws.ecs, arn)


def _services(ecs: Client, cluster_arn: str) -> list[_Item]:
    arns = paged(ecs, "list_services", "serviceArns", cluster=cluster_arn)
    # ListTagsForResource, not DescribeServices: it is the call every ECS resource answers the same way
    return [_Item(a, tag_dict(ecs.list_tags_for_resource(resourceArn=a).get("tags"))) for a in arns]


def _standalone_tasks(ecs: Client, cluster_arn: str) -> list[_Item]:
    """Running tasks that no service owns (a service's tasks go when the service does)."""
    arns = paged(ecs, "list_tasks", "taskArns", cluster=cluster_arn, desiredStatus="RUNNING")
    return [_Item(task["taskArn"], tag_dict(task.get("tags")))
            for task in describe_tasks(ecs, cluster_arn, arns, include=["TAGS"])
            if not task.get("group", "").startswith("service:")]


def _delete_services(aws: _Clients, cluster_arn: str, services: list[_Item], report: _Report,
                     result: DownResult) -> None:
    for service in services:
        try:
            # scale to 0 first, as ecs-cli did: DeleteService(force) alone also works, but this reads as intended
            aws.ecs.update_service(cluster=cluster_arn, service=service.arn, desiredCount=0)
            aws.ecs.delete_service(cluster=cluster_arn, service=service.arn, force=True)
        except ClientError as e:
            if error_code(e) not in ("ServiceNotActiveException", "ServiceNotFoundException"):
                raise   # those two mean it is already going (AWS lists DRAINING services too): just wait
    if services and not aws.dry:
        report.note(f"Waiting for {len(services)} service(s) to drain and stop their tasks...")
    for service in services:
        if not aws.dry:   # services_inactive succeeds when *any* listed service is INACTIVE: wait one at a time
            _wait(aws.ecs, "services_inactive", f"service {service.name} to become INACTIVE",
                  cluster=cluster_arn, services=[service.arn])
        result.services.append(service.arn)
        report.done(f"Service deleted: {service.name}")


def _stop_tasks(aws: _Clients, cluster_arn: str, tasks: list[_Item], report: _Report, result: DownResult) -> None:
    for task in tasks:
        aws.ecs.stop_task(cluster=cluster_arn, task=task.arn, reason="fargate-lab down")
        result.tasks.append(task.arn)
        report.done(f"Task stopped: {task.name}")


def _wait_for_tasks_to_stop(ecs: Client, cluster_arn: str) -> None:
    """DeleteCluster refuses while any task is still stopping, including a deleted service's."""
    stopping = paged(ecs, "list_tasks", "taskArns", cluster=cluster_arn, desiredStatus="STOPPED")
    for batch in batches(stopping, DESCRIBE_LIMITS["tasks"]):
        if any(t["lastStatus"] != "STOPPED" for t in describe_tasks(ecs, cluster_arn, batch, include=["TAGS"])):
            _wait(ecs, "tasks_stopped", "tasks to stop", cluster=cluster_arn, tasks=batch)


def _wait(client: Client, waiter: str, what: str, **kwargs: Any) -> None:
    try:
        client.get_waiter(waiter).wait(WaiterConfig=_waiter_config(client), **kwargs)
    except WaiterError as e:
        raise OpsError(f"gave up waiting for {what} ({e.last_response.get('Error', {}).get('Message') or e}); "
                       "run `fargate-lab down` again to pick up where this stopped") from None


def _delete_cluster(aws: _Clients, found: Json, report: _Report, result: DownResult, problems: list[str]) -> None:
    cluster = found["clusterName"]
    if not is_managed(found.get("tags"), cluster):
        _keep(report, result, f"Left cluster {cluster}: fargate-lab did not create it.")
        return
    try:
        aws.ecs.delete_cluster(cluster=found["clusterArn"])
    except ClientError as e:
        problems.append(f"cluster {cluster}: {error_text(e)}")
        return
    result.cluster_arn = found["clusterArn"]
    report.done(f"Cluster deleted: {cluster}")


# -- the stack and what CloudFormation leaves behind ------------------------------------------
def _remove_stack(aws: _Clients, cluster: str, report: _Report, result: DownResult, problems: list[str]) -> None:
    name = stack_name(cluster)
    stack = _find_stack(aws.cfn, name)
    if stack and not is_managed(stack.get("Tags"), cluster):
        _keep(report, result, f"Left CloudFormation stack {name}: fargate-lab did not create it.")
        stack = None
    in_stack = _stack_network_resources(aws.cfn, name) if stack else []
    deleted = _delete_stack(aws, name, report) if stack else False
    if stack and aws.dry:
        result.stack_name = name
        return   # CloudFormation would remove the network; listing each EC2 delete too would overstate the plan
    _delete_tagged_network(aws.ec2, cluster, report, result, problems)
    leftovers = bool(stack) and not deleted
    if leftovers:
        deleted = _retry_stack_delete(aws, name, problems)
    if deleted:
        for label, resource_id in in_stack:   # what CloudFormation removed (the rest was reported as we went)
            if resource_id not in result.network:
                result.network.append(resource_id)
                report.done(f"{label} deleted: {resource_id}")
        result.stack_name = name
        report.done(f"Stack deleted: {name}" + (" (its leftovers removed directly)" if leftovers else ""))


def _stack_network_resources(cfn: Client, name: str) -> list[tuple[str, str]]:
    """(label, id) of the stack's EC2 resources, read before deleting it, so `down` can say what went."""
    try:
        found = cfn.describe_stack_resources(StackName=name)["StackResources"]
    except ClientError:
        return []
    order = list(STACK_EC2_LABELS)
    ours = sorted((r for r in found if r.get("ResourceType") in STACK_EC2_LABELS and r.get("PhysicalResourceId")),
                  key=lambda r: order.index(r["ResourceType"]))
    return [(STACK_EC2_LABELS[r["ResourceType"]], r["PhysicalResourceId"]) for r in ours]


def _delete_stack(aws: _Clients, name: str, report: _Report) -> bool:
    """True if CloudFormation deleted everything; False if it left resources behind (`down` removes them itself,
    an expected path, so it is told in neutral words: what is left and that it is removed directly)."""
    report.note(f"Deleting CloudFormation stack {name}...")
    try:
        with warnings.catch_warnings():
            # moto's serializer warns that DependencyViolation is not in CloudFormation's error shapes: not the user's news
            warnings.filterwarnings("ignore", message=r".*does not match an error shape", category=UserWarning)
            aws.cfn.delete_stack(StackName=name)
        if not aws.dry:
            aws.cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=_waiter_config(aws.cfn))
        return True
    except ClientError as e:   # moto: DependencyViolation, raised at once, with the stack already gone
        why = "its VPC still had dependencies" if error_code(e) == "DependencyViolation" else error_text(e)
    except WaiterError:        # AWS: DELETE_FAILED (an ENI still in a subnet, say)
        why = _first_failure(aws.cfn, name)
    report.note(f"CloudFormation left part of the stack's network in place ({why}); removing the rest directly:")
    return False


def _retry_stack_delete(aws: _Clients, name: str, problems: list[str]) -> bool:
    """After removing the leftovers ourselves: on AWS a DELETE_FAILED stack now deletes; moto's is gone already."""
    if _find_stack(aws.cfn, name) is None:
        return True
    try:
        aws.cfn.delete_stack(StackName=name)
        aws.cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=_waiter_config(aws.cfn))
        return True
    except (ClientError, WaiterError):
        problems.append(f"stack {name}: {_first_failure(aws.cfn, name)}")
        return False


def _delete_tagged_network(ec2: Client, cluster: str, report: _Report, result: DownResult, problems: list[str]) -> None:
    """Delete our tagged EC2 resources for `cluster`, dependents first (on AWS, normally none are left)."""
    mine = ec2_filters(cluster)

    def attempt(resource_id: str, label: str, *calls: Callable[[], object]) -> None:
        try:
            for call in calls:
                call()
        except ClientError as e:
            problems.append(f"{resource_id}: {error_text(e)}")
            return
        result.network.append(resource_id)
        report.done(f"{label} deleted: {resource_id}")

    for group in ec2.describe_security_groups(Filters=mine)["SecurityGroups"]:
        if group["GroupName"] != "default":   # a VPC's default group goes with the VPC
            attempt(group["GroupId"], "Security Group",
                    functools.partial(ec2.delete_security_group, GroupId=group["GroupId"]))
    for table in ec2.describe_route_tables(Filters=mine)["RouteTables"]:
        attempt(table["RouteTableId"], "Route table", *_route_table_teardown(ec2, table))
    for gateway in ec2.describe_internet_gateways(Filters=mine)["InternetGateways"]:
        gid = gateway["InternetGatewayId"]
        detaches = [functools.partial(ec2.detach_internet_gateway, InternetGatewayId=gid, VpcId=a["VpcId"])
                    for a in gateway.get("Attachments", [])]
        attempt(gid, "Internet gateway", *detaches, functools.partial(ec2.delete_internet_gateway,
                                                                      InternetGatewayId=gid))
    for subnet in ec2.describe_subnets(Filters=mine)["Subnets"]:
        attempt(subnet["SubnetId"], "Subnet", functools.partial(ec2.delete_subnet, SubnetId=subnet["SubnetId"]))
    for vpc in ec2.describe_vpcs(Filters=mine)["Vpcs"]:
        attempt(vpc["VpcId"], "VPC", functools.partial(ec2.delete_vpc, VpcId=vpc["VpcId"]))


def _route_table_teardown(ec2: Client, table: Json) -> list[Callable[[], object]]:
    """Associations, then our routes, then the table itself (a main table is the VPC's, not ours)."""
    rid = table["RouteTableId"]
    calls: list[Callable[[], object]] = [functools.partial(ec2.disassociate_route_table, AssociationId=a["RouteTableAssociationId"])
             for a in table.get("Associations", []) if not a.get("Main")]
    calls += [functools.partial(ec2.delete_route, RouteTableId=rid, DestinationCidrBlock=r["DestinationCidrBlock"])
              for r in table.get("Routes", [])
              if r.get("GatewayId") != "local" and r.get("DestinationCidrBlock")]
    calls.append(functools.partial(ec2.delete_route_table, RouteTableId=rid))
    return calls


# -- log groups and the execution role -----------------------------------------------------------
def _delete_log_groups(aws: _Clients, cluster: str, report: _Report, result: DownResult) -> None:
    for group in paged(aws.logs, "describe_log_groups", "logGroups"):
        arn = group.get("logGroupArn") or group["arn"].removesuffix(":*")
        try:
            tags = aws.logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
        except ClientError:
            continue   # deleted meanwhile, or not ours to read: either way not ours to delete
        if is_managed(tags, cluster):
            aws.logs.delete_log_group(logGroupName=group["logGroupName"])
            result.log_groups.append(group["logGroupName"])
            report.done(f"Log group deleted: {group['logGroupName']}")


def _delete_execution_role(aws: _Clients, cluster: str, report: _Report, result: DownResult,
                           problems: list[str]) -> None:
    """Delete the role if we made it and no other fargate-lab cluster (in this region) still needs it.

    The role is account-wide, so it carries the managed tag but is shared by all our clusters;
    the last `down` removes it.  Clusters in other regions are not checked."""
    try:
        role = aws.iam.get_role(RoleName=EXECUTION_ROLE)["Role"]
    except ClientError as e:
        if error_code(e) == "NoSuchEntity":
            return
        raise
    tags = role.get("Tags") or aws.iam.list_role_tags(RoleName=EXECUTION_ROLE).get("Tags", [])
    if not is_managed(tags):
        _keep(report, result, f"Left role {EXECUTION_ROLE}: fargate-lab did not create it.")
        return
    others = _other_managed_clusters(aws.ecs, cluster)
    if others:
        _keep(report, result, f"Kept role {EXECUTION_ROLE}: fargate-lab cluster(s) {', '.join(others)} still use it.")
        return
    try:
        _delete_role(aws.iam, EXECUTION_ROLE)
    except ClientError as e:
        problems.append(f"role {EXECUTION_ROLE}: {error_text(e)}")
        return
    result.execution_role = role["Arn"]
    report.done(f"Task execution role deleted: {EXECUTION_ROLE}")


def _other_managed_clusters(ecs: Client, cluster: str) -> list[str]:
    arns = paged(ecs, "list_clusters", "clusterArns")
    return sorted(found["clusterName"] for found in describe_clusters(ecs, arns, include=["TAGS"])
                  if found["status"] == "ACTIVE" and found["clusterName"] != cluster and is_managed(found.get("tags")))


def _delete_role(iam: Client, name: str) -> None:
    """IAM refuses to delete a role with policies attached, so detach them first."""
    for policy in paged(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in paged(iam, "list_role_policies", "PolicyNames", RoleName=name):
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    iam.delete_role(RoleName=name)
