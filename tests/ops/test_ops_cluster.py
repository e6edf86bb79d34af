"""The ops layer's cluster half: configuration, `up`, `network_for`, `down`, dry run.

Every test runs on the in-process local cloud (the `cloud` fixture in conftest.py),
with the config file in a temporary directory.
"""
from __future__ import annotations

import json
import warnings

import boto3
import pytest
from botocore.exceptions import ClientError

from fargate_lab.backend import Backend
from fargate_lab.ops import (ConfigError, OpsError, Settings, config_path, configure, down, dryrun, network_for,
                             resolve, set_default, tags, up)
from fargate_lab.ops.cluster import EXECUTION_POLICY_ARN, EXECUTION_ROLE, stack_name

NETWORK_LOGICAL_IDS = {"Vpc", "PubSubnetAz1", "PubSubnetAz2", "InternetGateway", "AttachGateway", "RouteViaIgw",
                       "PublicRouteViaIgw", "PubSubnet1RouteTableAssociation", "PubSubnet2RouteTableAssociation"}


@pytest.fixture(autouse=True)
def config_file(tmp_path, monkeypatch):
    path = tmp_path / "fargate-lab" / "config.yml"
    monkeypatch.setenv("FARGATE_LAB_CONFIG", str(path))
    return path


@pytest.fixture
def session(cloud):
    return boto3.session.Session()


class Said(list):
    """A `say` that keeps the lines."""

    def __call__(self, line):
        self.append(line)

    def text(self):
        return "\n".join(self)


@pytest.fixture
def said():
    return Said()


def quiet(_line):
    pass


def tagged_leftovers(session, cluster):
    """Every resource still carrying our tags for `cluster`, by kind (empty when all is clean)."""
    ec2, ecs, iam, logs = (session.client(s) for s in ("ec2", "ecs", "iam", "logs"))
    mine = tags.ec2_filters(cluster)
    found = {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=mine)["Vpcs"]],
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=mine)["Subnets"]],
        "security_groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=mine)["SecurityGroups"]],
        "internet_gateways": [g["InternetGatewayId"] for g in
                              ec2.describe_internet_gateways(Filters=mine)["InternetGateways"]],
        "route_tables": [t["RouteTableId"] for t in ec2.describe_route_tables(Filters=mine)["RouteTables"]],
        "clusters": [c["clusterArn"] for c in ecs.describe_clusters(clusters=[cluster], include=["TAGS"])["clusters"]
                     if c["status"] == "ACTIVE" and tags.is_managed(c.get("tags"), cluster)],
        "roles": [r["RoleName"] for r in iam.list_roles()["Roles"]
                  if tags.is_managed(iam.list_role_tags(RoleName=r["RoleName"])["Tags"])],
        "log_groups": [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]
                       if tags.is_managed(logs.list_tags_for_resource(resourceArn=g["logGroupArn"])["tags"], cluster)],
    }
    return {kind: ids for kind, ids in found.items() if ids}


def stack_resources(session, cluster):
    found = session.client("cloudformation").describe_stack_resources(StackName=stack_name(cluster))
    return {r["LogicalResourceId"]: r for r in found["StackResources"]}


def fargate_definition(ecs, role_arn):
    return ecs.register_task_definition(
        family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        executionRoleArn=role_arn,
        containerDefinitions=[{"name": "web", "image": "fargatelab/web:v1", "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]["taskDefinitionArn"]


def awsvpc(result):
    return {"awsvpcConfiguration": {"subnets": result.subnet_ids, "securityGroups": [result.security_group_id],
                                    "assignPublicIp": "ENABLED"}}


# == configuration ========================================================================
def test_configure_writes_the_file_and_the_first_config_becomes_the_default(config_file):
    made = configure(cluster="demo", region="eu-west-1", default_launch_type="FARGATE", backend="aws")
    configure(cluster="other", config_name="second")

    written = __import__("yaml").safe_load(config_file.read_text())
    assert written == {"default": "default", "clusters": {
        "default": {"cluster": "demo", "region": "eu-west-1", "default_launch_type": "FARGATE", "backend": "aws"},
        "second": {"cluster": "other"}}}
    assert made.cluster == "demo" and made.name == "default"
    assert oct(config_file.stat().st_mode & 0o777) == "0o600"   # as ecs-cli: the file is private

    set_default("second")
    assert resolve(env={}).cluster == "other"


def test_configure_without_a_cluster_means_ecs_default_cluster():
    assert configure(region="us-west-2").cluster == "default"
    assert resolve(env={}) == Settings("default", "us-west-2", "FARGATE", "local", "default")


@pytest.mark.parametrize("kwargs, flag", [
    ({"default_launch_type": "SPOT"}, "--default-launch-type"),
    ({"backend": "azure"}, "--backend"),
    ({"cluster": "no spaces please"}, "--cluster"),
    ({"region": "Mars"}, "--region"),
])
def test_configure_rejects_bad_values_in_one_line_naming_the_flag(kwargs, flag, config_file):
    with pytest.raises(ValueError) as caught:
        configure(**kwargs)
    message = str(caught.value)
    assert message.startswith(flag) and "\n" not in message and "use" in message
    assert isinstance(caught.value, OpsError)   # the CLI prints it like every other user error
    assert not config_file.exists()


def test_launch_type_and_backend_are_normalised():
    made = configure(default_launch_type="fargate", backend="AWS")
    assert (made.default_launch_type, made.backend) == ("FARGATE", "aws")


def test_resolve_defaults_without_a_config_file():
    assert resolve(env={}) == Settings("default", "us-east-1", "FARGATE", "local", None)


def test_resolve_precedence_flags_then_environment_then_file():
    configure(cluster="from-file", region="eu-west-1", default_launch_type="EC2", backend="aws")
    env = {"ECS_CLUSTER": "from-env", "AWS_DEFAULT_REGION": "ap-south-1", "FARGATE_LAB_BACKEND": "local"}

    assert resolve(env={}) == Settings("from-file", "eu-west-1", "EC2", "aws", "default")
    assert resolve(env=env) == Settings("from-env", "ap-south-1", "EC2", "local", "default")
    assert resolve(env={**env, "AWS_REGION": "us-west-1"}).region == "us-west-1"   # AWS_REGION first
    assert resolve(cluster="flag", region="ca-central-1", launch_type="FARGATE", backend="aws", env=env) == \
        Settings("flag", "ca-central-1", "FARGATE", "aws", "default")
    assert resolve(env={"ECS_CLUSTER": ""}).cluster == "from-file"   # an empty variable counts as unset


def test_resolve_with_a_named_config_and_with_an_unknown_one():
    configure(cluster="a")
    configure(cluster="b", region="eu-north-1", config_name="prod")
    assert resolve(config_name="prod", env={}) == Settings("b", "eu-north-1", "FARGATE", "local", "prod")
    with pytest.raises(ConfigError, match=r"^--config-name: no configuration named 'nope'.*fargate-lab configure"):
        resolve(config_name="nope", env={})
    with pytest.raises(ConfigError, match="--config-name"):
        set_default("nope")


def test_resolve_names_the_environment_variable_that_holds_a_bad_value():
    with pytest.raises(ConfigError, match="^FARGATE_LAB_BACKEND: 'gcp' is not a backend"):
        resolve(env={"FARGATE_LAB_BACKEND": "gcp"})


def test_config_path_follows_xdg_when_no_override(tmp_path):
    assert config_path({"XDG_CONFIG_HOME": str(tmp_path)}) == tmp_path / "fargate-lab" / "config.yml"
    assert config_path({"FARGATE_LAB_CONFIG": "/x/y.yml", "XDG_CONFIG_HOME": "/z"}).as_posix() == "/x/y.yml"


def test_a_broken_config_file_is_reported_with_its_path(config_file):
    config_file.parent.mkdir(parents=True)
    config_file.write_text("clusters: [not, a, mapping]\n")
    with pytest.raises(ConfigError, match=str(config_file)):
        resolve(env={})


# == up ===================================================================================
def test_up_creates_ecs_cli_network_plus_security_group_and_role(session, said):
    result = up(session, "demo", say=said)
    ec2, iam, ecs = session.client("ec2"), session.client("iam"), session.client("ecs")

    resources = stack_resources(session, "demo")
    assert set(resources) == NETWORK_LOGICAL_IDS | {"EcsSecurityGroup"}
    vpc = ec2.describe_vpcs(VpcIds=[result.vpc_id])["Vpcs"][0]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    subnets = sorted(ec2.describe_subnets(SubnetIds=result.subnet_ids)["Subnets"], key=lambda s: s["CidrBlock"])
    assert [s["CidrBlock"] for s in subnets] == ["10.0.0.0/24", "10.0.1.0/24"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert all(s["MapPublicIpOnLaunch"] for s in subnets)
    gateway = ec2.describe_internet_gateways(InternetGatewayIds=[resources["InternetGateway"]["PhysicalResourceId"]])
    assert gateway["InternetGateways"][0]["Attachments"][0]["VpcId"] == result.vpc_id
    table = ec2.describe_route_tables(RouteTableIds=[resources["RouteViaIgw"]["PhysicalResourceId"]])["RouteTables"][0]
    assert {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway["InternetGateways"][0]["InternetGatewayId"]} \
        .items() <= next(r for r in table["Routes"] if r["DestinationCidrBlock"] == "0.0.0.0/0").items()
    assert sorted(a["SubnetId"] for a in table["Associations"] if a.get("SubnetId")) == sorted(result.subnet_ids)
    group = ec2.describe_security_groups(GroupIds=[result.security_group_id])["SecurityGroups"][0]
    assert group["VpcId"] == result.vpc_id
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], p["IpRanges"][0]["CidrIp"]) for p in group["IpPermissions"]] \
        == [("tcp", 80, 80, "0.0.0.0/0")]

    role = iam.get_role(RoleName=EXECUTION_ROLE)["Role"]
    assert role["Arn"] == result.execution_role_arn
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName=EXECUTION_ROLE)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [EXECUTION_POLICY_ARN]
    cluster = ecs.describe_clusters(clusters=["demo"], include=["TAGS"])["clusters"][0]
    assert cluster["status"] == "ACTIVE" and cluster["clusterArn"] == result.cluster_arn
    assert result.stack_name == "amazon-ecs-cli-setup-demo"

    network_lines = [line for line in said if " created: " in line and not line.startswith(("Cluster", "Task"))]
    assert network_lines == [f"VPC created: {result.vpc_id}", f"Subnet created: {result.subnet_ids[0]}",
                             f"Subnet created: {result.subnet_ids[1]}",
                             f"Security Group created: {result.security_group_id}"]
    assert said[-1] == "Cluster creation succeeded."
    assert any(line.startswith("Cloudformation stack status: CREATE_COMPLETE") for line in said)   # progress
    assert result.created == [line for line in said if " created: " in line]
    assert len(result.created) == 6   # cluster, role, VPC, 2 subnets, security group


def test_up_opens_the_requested_port(session):
    result = up(session, "demo", port=8080, say=quiet)
    group = session.client("ec2").describe_security_groups(GroupIds=[result.security_group_id])["SecurityGroups"][0]
    assert [(p["FromPort"], p["ToPort"]) for p in group["IpPermissions"]] == [(8080, 8080)]


def test_up_twice_is_safe_and_returns_the_same_resources(session, said):
    first = up(session, "demo", say=quiet)
    again = up(session, "demo", say=said)

    assert (again.vpc_id, again.subnet_ids, again.security_group_id, again.cluster_arn, again.execution_role_arn) == \
        (first.vpc_id, first.subnet_ids, first.security_group_id, first.cluster_arn, first.execution_role_arn)
    assert again.created == []
    assert "Stack amazon-ecs-cli-setup-demo already exists; using its resources (`--force` recreates it)." in said
    assert said[-1] == "Cluster demo is already up; nothing to create."
    assert len(tagged_leftovers(session, "demo")["vpcs"]) == 1


def test_up_force_recreates_the_stack(session, said):
    first = up(session, "demo", say=quiet)
    second = up(session, "demo", force=True, say=said)

    assert second.vpc_id != first.vpc_id
    assert f"VPC deleted: {first.vpc_id}" in said and f"VPC created: {second.vpc_id}" in said
    assert tagged_leftovers(session, "demo")["vpcs"] == [second.vpc_id]
    assert network_for(session, "demo").vpc_id == second.vpc_id


def test_up_reuses_a_given_vpc_and_subnets_and_only_adds_a_security_group(session, said):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
               for cidr in ("10.9.1.0/24", "10.9.2.0/24")]

    result = up(session, "mine", vpc=vpc, subnets=subnets, say=said)

    assert (result.vpc_id, result.subnet_ids) == (vpc, subnets)
    assert set(stack_resources(session, "mine")) == {"EcsSecurityGroup"}
    assert ec2.describe_security_groups(GroupIds=[result.security_group_id])["SecurityGroups"][0]["VpcId"] == vpc
    assert not any(line.startswith(("VPC created", "Subnet created")) for line in said)
    assert f"Security Group created: {result.security_group_id}" in said
    assert network_for(session, "mine").subnet_ids == subnets
    assert tags.as_dict(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0].get("Tags")) == {}   # theirs, untouched

    down(session, "mine", say=quiet)
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"] and len(ec2.describe_subnets(SubnetIds=subnets)["Subnets"]) == 2
    assert tagged_leftovers(session, "mine") == {}


@pytest.mark.parametrize("kwargs, message", [
    ({"vpc": "vpc-12345678"}, "^--vpc and --subnets go together"),
    ({"subnets": ["subnet-12345678"]}, "^--vpc and --subnets go together"),
    ({"vpc": "vpc-12345678", "subnets": ["subnet-1"]}, r"^--vpc: vpc-12345678 does not exist in us-east-1"),
    ({"vpc": "my-vpc", "subnets": ["subnet-1"]}, "^--vpc: 'my-vpc' is not a VPC id"),
    ({"port": 0}, "^--port: 0 is not a TCP port"),
    ({"cluster": "bad name"}, "^--cluster: 'bad name' is not a valid cluster name"),
    ({"tags": {"aws:owner": "me"}}, "^tags: 'aws:owner' starts with 'aws:'"),
])
def test_up_rejects_bad_arguments_with_one_line(session, kwargs, message):
    with pytest.raises(OpsError, match=message) as caught:
        up(session, **{"cluster": "demo", **kwargs}, say=quiet)
    assert "\n" not in str(caught.value)


def test_up_rejects_subnets_that_are_missing_or_in_another_vpc(session):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    default_subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
    with pytest.raises(OpsError, match=f"^--subnets: {default_subnet['SubnetId']} is in {default_subnet['VpcId']}"):
        up(session, "demo", vpc=vpc, subnets=[default_subnet["SubnetId"]], say=quiet)
    with pytest.raises(OpsError, match="^--subnets: subnet-0000000000 does not exist"):
        up(session, "demo", vpc=vpc, subnets="subnet-0000000000", say=quiet)
    assert session.client("ecs").list_clusters()["clusterArns"] == []   # checked before anything was made


def test_up_empty_makes_only_the_cluster_and_role(session, said):
    result = up(session, "bare", empty=True, say=said)

    assert result.vpc_id is None and result.stack_name is None and result.subnet_ids == []
    with pytest.raises(ClientError):
        session.client("cloudformation").describe_stacks(StackName=stack_name("bare"))
    assert set(tagged_leftovers(session, "bare")) == {"clusters", "roles"}
    assert said[-1] == "Cluster creation succeeded."
    with pytest.raises(OpsError, match=r"^cluster 'bare' has no network in us-east-1; run `fargate-lab up"):
        network_for(session, "bare")


def test_up_leaves_a_cluster_it_did_not_create_alone(session, said):
    ecs = session.client("ecs")
    ecs.create_cluster(clusterName="theirs")
    up(session, "theirs", say=said)
    assert any("fargate-lab did not create it" in line for line in said)

    result = down(session, "theirs", say=quiet)
    assert ecs.describe_clusters(clusters=["theirs"])["clusters"][0]["status"] == "ACTIVE"
    assert result.cluster_arn is None and any("Left cluster theirs" in line for line in result.kept)
    assert tagged_leftovers(session, "theirs") == {}


def test_user_tags_are_added_to_ours(session):
    result = up(session, "demo", tags={"team": "blue"}, say=quiet)
    vpc = session.client("ec2").describe_vpcs(VpcIds=[result.vpc_id])["Vpcs"][0]
    assert {"team": "blue", tags.MANAGED_TAG: "true", tags.CLUSTER_TAG: "demo"}.items() <= \
        tags.as_dict(vpc["Tags"]).items()


# == network_for ============================================================================
def test_network_for_finds_what_up_made(session):
    result = up(session, "demo", say=quiet)
    assert network_for(session, "demo") == type(network_for(session, "demo"))(
        result.vpc_id, result.subnet_ids, [result.security_group_id])


def test_network_for_without_up_says_to_run_up(session):
    with pytest.raises(OpsError) as caught:
        network_for(session, "nothing-here")
    assert str(caught.value) == ("cluster 'nothing-here' has no network in us-east-1; run `fargate-lab up "
                                 "--cluster nothing-here` first")


def test_network_for_falls_back_to_tags_when_there_is_no_stack(session):
    # what moto leaves when its delete_stack fails half-way: tagged resources, no stack record
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tags.ec2_tag_specifications("vpc", "demo"))
    vpc = vpc["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, TagSpecifications=tags.ec2_tag_specifications(
        "subnet", "demo"))["Subnet"]["SubnetId"] for cidr in ("10.0.1.0/24", "10.0.0.0/24")]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc,
                                      TagSpecifications=tags.ec2_tag_specifications("security-group", "demo"))

    found = network_for(session, "demo")

    assert (found.vpc_id, found.subnet_ids, found.security_group_ids) == (vpc, subnets[::-1], [group["GroupId"]])
    assert down(session, "demo", say=quiet).network and tagged_leftovers(session, "demo") == {}


# == down ==================================================================================
def test_down_removes_everything_tagged_and_nothing_else(session, cloud, said):
    ec2, ecs, logs = session.client("ec2"), session.client("ecs"), session.client("logs")
    theirs = ec2.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]       # made by hand, before up
    result = up(session, "demo", say=quiet)
    definition = fargate_definition(ecs, result.execution_role_arn)
    ecs.create_service(cluster="demo", serviceName="web", taskDefinition=definition, desiredCount=2,
                       launchType="FARGATE", networkConfiguration=awsvpc(result), tags=tags.for_ecs("demo"))
    ecs.run_task(cluster="demo", taskDefinition=definition, launchType="FARGATE",
                 networkConfiguration=awsvpc(result), tags=tags.for_ecs("demo"))
    logs.create_log_group(logGroupName="/ecs/web", tags=tags.for_logs("demo"))
    logs.create_log_group(logGroupName="/theirs")
    cloud.advance(120)
    assert set(tagged_leftovers(session, "demo")) == {"vpcs", "subnets", "security_groups", "internet_gateways",
                                                      "route_tables", "clusters", "roles", "log_groups"}

    gone = down(session, "demo", say=said)

    assert tagged_leftovers(session, "demo") == {}
    assert ecs.describe_clusters(clusters=["demo"])["clusters"][0]["status"] == "INACTIVE"
    assert ec2.describe_vpcs(VpcIds=[theirs])["Vpcs"]
    assert [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]] == ["/theirs"]
    with pytest.raises(ClientError):
        session.client("iam").get_role(RoleName=EXECUTION_ROLE)
    with pytest.raises(ClientError):
        session.client("cloudformation").describe_stacks(StackName=stack_name("demo"))
    assert [s.rsplit("/", 1)[-1] for s in gone.services] == ["web"] and len(gone.tasks) == 1
    assert gone.cluster_arn == result.cluster_arn and gone.stack_name == stack_name("demo")
    assert {result.vpc_id, result.security_group_id, *result.subnet_ids} <= set(gone.network)
    assert gone.log_groups == ["/ecs/web"] and gone.execution_role == result.execution_role_arn
    # dependency order: services and tasks, cluster, network (the VPC last of it), log groups, role
    order = [line.split(":")[0] for line in gone.removed]
    assert order[:3] == ["Service deleted", "Task stopped", "Cluster deleted"]
    assert order.index("VPC deleted") < order.index("Stack deleted") < order.index("Log group deleted") \
        < order.index("Task execution role deleted")
    assert gone.removed == [line for line in said if line in gone.removed]


def test_down_leaves_a_role_it_did_not_create(session, said):
    iam = session.client("iam")
    iam.create_role(RoleName=EXECUTION_ROLE, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                                                                                  "Statement": []}))
    result = up(session, "demo", say=said)
    assert not any(line.startswith("Task execution role created") for line in said)
    assert iam.list_attached_role_policies(RoleName=EXECUTION_ROLE)["AttachedPolicies"] == []   # untouched

    gone = down(session, "demo", say=quiet)
    assert iam.get_role(RoleName=EXECUTION_ROLE)["Role"]["Arn"] == result.execution_role_arn
    assert gone.execution_role is None and f"Left role {EXECUTION_ROLE}: fargate-lab did not create it." in gone.kept
    assert iam.list_role_tags(RoleName=EXECUTION_ROLE)["Tags"] == []


def test_down_refuses_when_someone_elses_service_is_in_the_cluster_unless_forced(session, cloud):
    ecs = session.client("ecs")
    result = up(session, "demo", say=quiet)
    definition = fargate_definition(ecs, result.execution_role_arn)
    ecs.create_service(cluster="demo", serviceName="ours", taskDefinition=definition, desiredCount=1,
                       launchType="FARGATE", networkConfiguration=awsvpc(result), tags=tags.for_ecs("demo"))
    ecs.create_service(cluster="demo", serviceName="by-hand", taskDefinition=definition, desiredCount=1,
                       launchType="FARGATE", networkConfiguration=awsvpc(result))
    cloud.advance(60)

    with pytest.raises(OpsError) as caught:
        down(session, "demo", say=quiet)
    assert str(caught.value) == ("cluster demo holds 1 service(s)/task(s) that fargate-lab did not create "
                                 "(by-hand); delete them first, or run `fargate-lab down --cluster demo --force` "
                                 "to remove them too")
    active = ecs.describe_services(cluster="demo", services=["ours", "by-hand"])["services"]
    assert [s["status"] for s in active] == ["ACTIVE", "ACTIVE"]   # refused before touching anything

    gone = down(session, "demo", force=True, say=quiet)
    assert sorted(s.rsplit("/", 1)[-1] for s in gone.services) == ["by-hand", "ours"]
    assert tagged_leftovers(session, "demo") == {}


def test_the_shared_role_stays_until_the_last_cluster_goes(session):
    up(session, "a", say=quiet)
    up(session, "b", say=quiet)

    first = down(session, "a", say=quiet)
    assert first.execution_role is None and "Kept role ecsTaskExecutionRole: fargate-lab cluster(s) b still use it." \
        in first.kept
    second = down(session, "b", say=quiet)
    assert second.execution_role is not None
    assert tagged_leftovers(session, "a") == {} and tagged_leftovers(session, "b") == {}


def test_down_only_touches_its_own_cluster(session):
    a = up(session, "a", say=quiet)
    up(session, "b", say=quiet)
    down(session, "b", say=quiet)
    assert network_for(session, "a") == network_for(session, "a")
    assert tagged_leftovers(session, "a")["vpcs"] == [a.vpc_id]


def test_down_twice_is_safe(session, said):
    up(session, "demo", say=quiet)
    down(session, "demo", say=quiet)
    again = down(session, "demo", say=said)
    assert again.removed == [] and said[-1] == "Nothing of fargate-lab's to remove for cluster demo."


def test_down_tells_the_leftover_path_in_neutral_words_and_keeps_mocks_warnings_off_the_terminal(session, said):
    """The local cloud's CloudFormation leaves the VPC (DependencyViolation): an expected path, not a failure."""
    up(session, "demo", say=quiet)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        down(session, "demo", say=said)
    assert not [w for w in caught if "error shape" in str(w.message)], [str(w.message) for w in caught]
    text = said.text()
    assert "could not" not in text and "DependencyViolation" not in text, text
    assert "removing the rest directly" in text
    assert f"Stack deleted: {stack_name('demo')} (its leftovers removed directly)" in said
    assert text.index("removing the rest directly") < text.index("VPC deleted") < text.index("Stack deleted")


def test_up_after_down_works(session):
    up(session, "demo", say=quiet)
    down(session, "demo", say=quiet)
    result = up(session, "demo", say=quiet)
    assert network_for(session, "demo").vpc_id == result.vpc_id


# == dry run ==================================================================================
@pytest.fixture
def dry_session(cloud, said):
    made = boto3.session.Session()
    dryrun.install(made, say=said)
    return made


def test_dry_run_up_prints_the_calls_and_creates_nothing(dry_session, session, said):
    result = up(dry_session, "demo", say=said)

    calls = [line for line in said if line.startswith("would call ")]
    assert calls[0] == ("would call ecs.CreateCluster(clusterName='demo', tags=[{'key': 'fargate-lab:managed', "
                        "'value': 'true'}, {'key': 'fargate-lab:cluster', 'value': 'demo'}])")
    assert [c.split("(")[0] for c in calls] == ["would call ecs.CreateCluster", "would call iam.CreateRole",
                                               "would call iam.AttachRolePolicy",
                                               "would call cloudformation.CreateStack"]
    assert "TemplateBody='{\"AWSTemplateFormatVersion\"" in calls[-1] and "chars)" in calls[-1]   # clipped
    assert said[-1].startswith("Dry run: nothing was changed.")
    assert result.created == []
    assert tagged_leftovers(session, "demo") == {}
    assert session.client("ecs").list_clusters()["clusterArns"] == []
    with pytest.raises(ClientError):
        session.client("cloudformation").describe_stacks(StackName=stack_name("demo"))


def test_dry_run_down_prints_the_calls_and_deletes_nothing(session, dry_session, said):
    up(session, "demo", say=quiet)
    before = tagged_leftovers(session, "demo")

    result = down(dry_session, "demo", say=said)

    calls = [line.split("(")[0] for line in said if line.startswith("would call ")]
    assert calls == ["would call ecs.DeleteCluster", "would call cloudformation.DeleteStack",
                     "would call iam.DetachRolePolicy", "would call iam.DeleteRole"]
    assert result.dry_run and result.removed == []
    assert tagged_leftovers(session, "demo") == before


def test_dry_run_lets_reads_through_and_short_circuits_writes(dry_session, said):
    ec2 = dry_session.client("ec2")
    assert ec2.describe_vpcs()["Vpcs"]                        # the default VPC, read for real
    made = ec2.create_vpc(CidrBlock="10.0.0.0/16")            # not made: a placeholder comes back
    assert made["Vpc"]["VpcId"] == "dry-run"
    assert said == ["would call ec2.CreateVpc(CidrBlock='10.0.0.0/16')"]
    assert all(v["VpcId"] != "dry-run" for v in ec2.describe_vpcs()["Vpcs"])
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1


def test_dry_run_never_prints_secrets(dry_session, said):
    secrets = dry_session.client("secretsmanager")
    secrets.create_secret(Name="db", SecretString="hunter2")
    dry_session.client("ecs").register_task_definition(family="x", containerDefinitions=[{
        "name": "app", "image": "app", "environment": [{"name": "DB_PASSWORD", "value": "s3cr3t"},
                                                       {"name": "MODE", "value": "demo"}]}])
    dry_session.client("iam").create_user(UserName="AKIAIOSFODNN7EXAMPLE")
    printed = "\n".join(said)
    for secret in ("hunter2", "s3cr3t", "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in printed
    assert "SecretString='***'" in printed and "'value': 'demo'" in printed
    credentials = dry_session.get_credentials()
    assert credentials.secret_key not in printed and credentials.access_key not in printed
    assert secrets.list_secrets()["SecretList"] == []


def test_mutating_operation_names():
    assert all(dryrun.is_mutating(op) for op in ("CreateVpc", "RunTask", "PutLogEvents", "AuthorizeSecurityGroupIngress",
                                                 "TagResource", "SubmitTaskStateChange", "SetDefault"))
    assert not any(dryrun.is_mutating(op) for op in ("DescribeVpcs", "ListTasks", "GetRole", "FilterLogEvents"))


# == AWS mode ===================================================================================
def test_aws_backend_session_goes_through_the_same_path_and_tags_everything(cloud):
    session = Backend("aws", "us-east-1").session()   # the standard credential chain (here moto's env credentials)
    assert session.get_credentials() is not None

    result = up(session, "prod", say=quiet)

    ec2, ecs, iam, cfn = (session.client(s) for s in ("ec2", "ecs", "iam", "cloudformation"))

    def ours(found_tags):
        return tags.is_managed(found_tags, "prod")

    assert ours(ecs.list_tags_for_resource(resourceArn=result.cluster_arn)["tags"])
    assert ours(iam.list_role_tags(RoleName=EXECUTION_ROLE)["Tags"])
    assert ours(cfn.describe_stacks(StackName=result.stack_name)["Stacks"][0]["Tags"])
    describe = {"AWS::EC2::VPC": lambda i: ec2.describe_vpcs(VpcIds=[i])["Vpcs"][0],
                "AWS::EC2::Subnet": lambda i: ec2.describe_subnets(SubnetIds=[i])["Subnets"][0],
                "AWS::EC2::InternetGateway": lambda i: ec2.describe_internet_gateways(
                    InternetGatewayIds=[i])["InternetGateways"][0],
                "AWS::EC2::RouteTable": lambda i: ec2.describe_route_tables(RouteTableIds=[i])["RouteTables"][0],
                "AWS::EC2::SecurityGroup": lambda i: ec2.describe_security_groups(GroupIds=[i])["SecurityGroups"][0]}
    taggable = [r for r in stack_resources(session, "prod").values() if r["ResourceType"] in describe]
    assert len(taggable) == 6   # VPC, 2 subnets, gateway, route table, security group
    for resource in taggable:
        assert ours(describe[resource["ResourceType"]](resource["PhysicalResourceId"]).get("Tags")), resource

    down(session, "prod", say=quiet)
    assert tagged_leftovers(session, "prod") == {}


def test_waiting_for_the_stack_prints_each_poll_and_names_the_failed_resource(session, said):
    # moto creates stacks at once and never fails them, so AWS's answers are stubbed here
    from botocore.stub import Stubber
    from fargate_lab.ops import cluster as cluster_ops

    cfn = session.client("cloudformation")
    name = stack_name("demo")
    stack = {"StackName": name, "CreationTime": "2026-01-01T00:00:00Z"}
    done = {"LogicalResourceId": "Vpc", "ResourceType": "AWS::EC2::VPC", "ResourceStatus": "CREATE_COMPLETE",
            "Timestamp": "2026-01-01T00:00:00Z"}
    failed = {"StackName": name, "LogicalResourceId": "PubSubnetAz2", "ResourceStatus": "CREATE_FAILED",
              "ResourceStatusReason": "Value (us-east-1x) for parameter availabilityZone is invalid",
              "StackId": "x", "EventId": "2", "Timestamp": "2026-01-01T00:00:10Z"}
    rollback = {**failed, "LogicalResourceId": "Vpc", "ResourceStatus": "DELETE_FAILED",
                "ResourceStatusReason": "noise after the cause", "EventId": "3"}
    with Stubber(cfn) as stub:
        for status in ("CREATE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"):
            stub.add_response("describe_stacks", {"Stacks": [{**stack, "StackStatus": status}]})
            stub.add_response("describe_stack_resources", {"StackResources": [done]})
        stub.add_response("describe_stack_events", {"StackEvents": [rollback, failed]})   # newest first
        with pytest.raises(OpsError) as caught:
            cluster_ops._wait_for_stack(cfn, name, 10, cluster_ops._Report(said, dry=False))
    assert said == ["Waiting for your cluster resources to be created...",
                    "Cloudformation stack status: CREATE_IN_PROGRESS (1/10 resources, 0 s)",
                    "Cloudformation stack status: ROLLBACK_IN_PROGRESS (1/10 resources, 5 s)"]
    assert str(caught.value) == (f"stack {name} ended ROLLBACK_IN_PROGRESS: PubSubnetAz2: Value (us-east-1x) for "
                                 "parameter availabilityZone is invalid; fix that, then run `fargate-lab up --force`")
