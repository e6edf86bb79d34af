"""Clusters, task definitions and standalone tasks through plain boto3, errors included."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from fargate_lab import local

from tests.conftest import WEB, network, web_definition


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as err:
        call(*args, **kwargs)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


def container(image="fargatelab/web:v1", **extra):
    return [{"name": "web", "image": image, **extra}]


# -- clusters ------------------------------------------------------------------------------
def test_default_cluster_and_counts(ecs, subnets, cloud):
    assert error_of(ecs.run_task, taskDefinition="x") == ("ClusterNotFoundException", "Cluster not found.")
    created = ecs.create_cluster()["cluster"]
    assert created["clusterName"] == "default" and created["status"] == "ACTIVE"
    td = web_definition(ecs)
    ecs.run_task(taskDefinition=td, count=3, launchType="FARGATE", networkConfiguration=network(subnets))
    c = ecs.describe_clusters()["clusters"][0]
    assert (c["pendingTasksCount"], c["runningTasksCount"]) == (3, 0)
    cloud.advance(60)
    c = ecs.describe_clusters(clusters=["default"], include=["STATISTICS"])["clusters"][0]
    assert (c["pendingTasksCount"], c["runningTasksCount"]) == (0, 3)
    missing = ecs.describe_clusters(clusters=["nope"])
    assert missing["failures"] == [{"arn": "arn:aws:ecs:us-east-1:123456789012:cluster/nope", "reason": "MISSING"}]


def test_delete_cluster_refuses_while_busy(ecs, subnets, cloud):
    ecs.create_cluster(clusterName="c")
    td = web_definition(ecs)
    arn = ecs.run_task(cluster="c", taskDefinition=td, launchType="FARGATE",
                       networkConfiguration=network(subnets))["tasks"][0]["taskArn"]
    assert error_of(ecs.delete_cluster, cluster="c")[0] == "ClusterContainsTasksException"
    ecs.stop_task(cluster="c", task=arn)
    ecs.get_waiter("tasks_stopped").wait(cluster="c", tasks=[arn])
    assert ecs.delete_cluster(cluster="c")["cluster"]["status"] == "INACTIVE"
    assert ecs.list_clusters()["clusterArns"] == []


def test_pagination_as_aws(ecs):
    for i in range(7):
        ecs.create_cluster(clusterName=f"c{i}")
    first = ecs.list_clusters(maxResults=3)
    assert len(first["clusterArns"]) == 3 and "nextToken" in first
    seen = list(first["clusterArns"])
    token = first["nextToken"]
    while token:
        page = ecs.list_clusters(maxResults=3, nextToken=token)
        seen += page["clusterArns"]
        token = page.get("nextToken")
    assert len(seen) == 7 == len(set(seen))
    everything = [a for page in ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": 2})
                  for a in page["clusterArns"]]
    assert everything == seen
    assert error_of(ecs.list_clusters, nextToken="garbage")[0] == "InvalidParameterException"


# -- task definitions -----------------------------------------------------------------------
def test_revisions_families_and_inactive(ecs):
    arns = [web_definition(ecs, f"fargatelab/web:v{i}") for i in (1, 2, 3)]
    assert [a.rsplit(":", 1)[1] for a in arns] == ["1", "2", "3"]
    latest = ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]
    assert latest["revision"] == 3 and latest["compatibilities"] == ["EC2", "FARGATE"]
    assert latest["cpu"] == "256" and latest["containerDefinitions"][0]["portMappings"][0]["hostPort"] == 80
    dereg = ecs.deregister_task_definition(taskDefinition="web:3")["taskDefinition"]
    assert dereg["status"] == "INACTIVE" and "deregisteredAt" in dereg
    assert ecs.describe_task_definition(taskDefinition="web")["taskDefinition"]["revision"] == 2
    assert ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"] == arns[:2]
    assert ecs.list_task_definitions(status="INACTIVE")["taskDefinitionArns"] == arns[2:]
    assert ecs.list_task_definition_families()["families"] == ["web"]
    deleted = ecs.delete_task_definitions(taskDefinitions=["web:3", "web:1"])
    assert [d["status"] for d in deleted["taskDefinitions"]] == ["DELETE_IN_PROGRESS"]
    assert "still in ACTIVE status" in deleted["failures"][0]["reason"]
    assert error_of(ecs.describe_task_definition, taskDefinition="nope:1") == (
        "ClientException", "Unable to describe task definition.")


@pytest.mark.parametrize("change, message", [
    ({"networkMode": "bridge"}, "Fargate only supports network mode 'awsvpc'."),
    ({"cpu": None}, "Fargate requires that 'cpu' be defined at the task level."),
    ({"memory": None}, "Fargate requires that 'memory' be defined at the task level."),
    ({"cpu": "1024", "memory": "1024"}, "No Fargate configuration exists for given values: 1024 CPU, 1024 memory. "
                                        "See the Amazon ECS documentation for the valid values."),
    ({"cpu": "8192", "memory": "18432"}, "No Fargate configuration exists for given values: 8192 CPU, 18432 memory. "
                                         "See the Amazon ECS documentation for the valid values."),
    ({"containerDefinitions": container(logConfiguration={"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}})},
     "Fargate requires task definition to have execution role ARN to support log driver awslogs."),
    ({"containerDefinitions": container("123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v1")},
     "Fargate requires task definition to have execution role ARN to support ECR images."),
    ({"ephemeralStorage": {"sizeInGiB": 20}}, "EphemeralStorage size should be at least 21"),
])
def test_fargate_validation_messages(ecs, change, message):
    kwargs = {**WEB, "family": "bad", "containerDefinitions": container(), **change}
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    assert error_of(ecs.register_task_definition, **kwargs) == ("ClientException", message)
    assert ecs.list_task_definition_families(status="ALL")["families"] == []  # nothing half made


def test_the_74_fargate_sizes_register(ecs):
    from fargate_lab.engine.fargate import VALID_SIZES
    for cpu, memories in VALID_SIZES.items():
        for memory in memories:
            ecs.register_task_definition(**{**WEB, "cpu": str(cpu), "memory": str(memory)}, family="size",
                                         containerDefinitions=container())
    assert len(ecs.list_task_definitions(familyPrefix="size", maxResults=100)["taskDefinitionArns"]) == 74
    td = ecs.register_task_definition(**{**WEB, "cpu": "1 vCPU", "memory": "2 GB"}, family="units",
                                      containerDefinitions=container())["taskDefinition"]
    assert (td["cpu"], td["memory"]) == ("1024", "2048")


# -- tasks --------------------------------------------------------------------------------
def test_run_task_errors_leave_nothing_behind(ecs, ec2, subnets):
    ecs.create_cluster(clusterName="c")
    td = web_definition(ecs)
    enis_before = len(ec2.describe_network_interfaces()["NetworkInterfaces"])
    cases = [
        (dict(taskDefinition=td, networkConfiguration=network(subnets)),
         ("InvalidParameterException", "No Container Instances were found in your cluster.")),
        (dict(taskDefinition=td, launchType="FARGATE"),
         ("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")),
        (dict(taskDefinition="nope", launchType="FARGATE", networkConfiguration=network(subnets)),
         ("ClientException", "TaskDefinition not found.")),
        (dict(taskDefinition=td, launchType="FARGATE", networkConfiguration=network(["subnet-0000000000000dead"])),
         ("InvalidParameterException", "Error retrieving subnet information for [subnet-0000000000000dead]: The subnet "
                                        "ID 'subnet-0000000000000dead' does not exist (ErrorCode: InvalidSubnetID.NotFound)")),
        (dict(taskDefinition=td, launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
            "subnets": subnets, "securityGroups": ["sg-0000000000000dead"]}}),
         ("InvalidParameterException", "Error retrieving security group information for [sg-0000000000000dead]: The "
                                        "security group 'sg-0000000000000dead' does not exist (ErrorCode: InvalidGroup.NotFound)")),
        (dict(taskDefinition=td, launchType="FARGATE", count=11, networkConfiguration=network(subnets)),
         ("InvalidParameterException", "count: 11 is above the 10 tasks one RunTask call can start; use 10 or "
                                      "fewer")),
    ]
    for kwargs, expected in cases:
        assert error_of(ecs.run_task, cluster="c", **kwargs) == expected
    ecs.deregister_task_definition(taskDefinition=td)
    assert error_of(ecs.run_task, cluster="c", taskDefinition=td, launchType="FARGATE",
                    networkConfiguration=network(subnets)) == ("InvalidParameterException", "TaskDefinition is inactive")
    assert ecs.list_tasks(cluster="c", desiredStatus="STOPPED")["taskArns"] == []
    assert ecs.list_tasks(cluster="c")["taskArns"] == []
    assert len(ec2.describe_network_interfaces()["NetworkInterfaces"]) == enis_before
    assert error_of(ecs.stop_task, cluster="c", task="0" * 32) == (
        "InvalidParameterException", "The referenced task was not found.")


def test_task_gets_an_eni_with_public_ip_and_releases_it(ecs, ec2, subnets, cloud):
    ecs.create_cluster(clusterName="c")
    td = web_definition(ecs)
    arn = ecs.run_task(cluster="c", taskDefinition=td, launchType="FARGATE",
                       networkConfiguration=network(subnets, public=True))["tasks"][0]["taskArn"]
    ecs.get_waiter("tasks_running").wait(cluster="c", tasks=[arn])
    task = ecs.describe_tasks(cluster="c", tasks=[arn])["tasks"][0]
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[details["networkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["PrivateIpAddress"] == details["privateIPv4Address"]
    assert eni["Association"]["PublicIp"]
    assert task["availabilityZone"] == eni["AvailabilityZone"]
    ecs.stop_task(cluster="c", task=arn)
    ecs.get_waiter("tasks_stopped").wait(cluster="c", tasks=[arn])
    assert ec2.describe_network_interfaces(
        Filters=[{"Name": "network-interface-id", "Values": [details["networkInterfaceId"]]}])["NetworkInterfaces"] == []


def test_awslogs_lines_land_in_cloudwatch_logs(ecs, subnets, cloud):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/ecs/web")
    ecs.create_cluster(clusterName="c")
    td = ecs.register_task_definition(**WEB, family="web", executionRoleArn="arn:aws:iam::123456789012:role/exec",
                                      containerDefinitions=container(logConfiguration={"logDriver": "awslogs", "options": {
                                          "awslogs-group": "/ecs/web", "awslogs-region": "us-east-1",
                                          "awslogs-stream-prefix": "web"}}))["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster="c", taskDefinition=td, launchType="FARGATE",
                       networkConfiguration=network(subnets))["tasks"][0]["taskArn"]
    ecs.get_waiter("tasks_running").wait(cluster="c", tasks=[arn])
    task_id = arn.rsplit("/", 1)[1]
    lines = [e["message"] for e in logs.get_log_events(logGroupName="/ecs/web",
                                                       logStreamName=f"web/web/{task_id}")["events"]]
    assert lines[0] == "fargate-lab web v1 starting"


def test_missing_log_group_fails_the_task_start(ecs, subnets, cloud):
    ecs.create_cluster(clusterName="c")
    td = ecs.register_task_definition(**WEB, family="web", executionRoleArn="arn:aws:iam::123456789012:role/exec",
                                      containerDefinitions=container(logConfiguration={"logDriver": "awslogs", "options": {
                                          "awslogs-group": "/ecs/absent", "awslogs-region": "us-east-1",
                                          "awslogs-stream-prefix": "web"}}))["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster="c", taskDefinition=td, launchType="FARGATE",
                       networkConfiguration=network(subnets))["tasks"][0]["taskArn"]
    ecs.get_waiter("tasks_stopped").wait(cluster="c", tasks=[arn])
    task = ecs.describe_tasks(cluster="c", tasks=[arn])["tasks"][0]
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: failed to validate logger args")


def test_ecr_images_must_exist_in_ecr(ecs, subnets, cloud):
    ecr = boto3.client("ecr")
    repo = ecr.create_repository(repositoryName="web")["repository"]["repositoryUri"]
    ecr.put_image(repositoryName="web", imageTag="v1", imageManifest='{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json", "layers": []}')
    ecs.create_cluster(clusterName="c")
    exec_role = "arn:aws:iam::123456789012:role/exec"
    arns = {}
    for tag in ("v1", "v9"):
        td = ecs.register_task_definition(**WEB, family="web", executionRoleArn=exec_role,
                                          containerDefinitions=container(f"{repo}:{tag}"))["taskDefinition"]
        arns[tag] = ecs.run_task(cluster="c", taskDefinition=td["taskDefinitionArn"], launchType="FARGATE",
                                 networkConfiguration=network(subnets))["tasks"][0]["taskArn"]
    cloud.advance(120)
    tasks = {t["taskArn"]: t for t in ecs.describe_tasks(cluster="c", tasks=list(arns.values()))["tasks"]}
    assert tasks[arns["v1"]]["lastStatus"] == "RUNNING"
    assert tasks[arns["v9"]]["lastStatus"] == "STOPPED"
    assert f"failed to resolve ref {repo}:v9: not found" in tasks[arns["v9"]]["stoppedReason"]


def test_essential_container_exit_and_non_essential_job(ecs, subnets, cloud):
    ecs.create_cluster(clusterName="c")
    td = ecs.register_task_definition(**WEB, family="talk", volumes=[{"name": "code"}], containerDefinitions=[
        {"name": "app", "image": "fargatelab/app:v1", "essential": False,
         "mountPoints": [{"sourceVolume": "code", "containerPath": "/var/www"}]},
        {"name": "web", "image": "nginx:1.27", "dependsOn": [{"containerName": "app", "condition": "SUCCESS"}],
         "mountPoints": [{"sourceVolume": "code", "containerPath": "/var/www"}]}])["taskDefinition"]
    crash = web_definition(ecs, "fargatelab/web:crash")
    ok = ecs.run_task(cluster="c", taskDefinition=td["taskDefinitionArn"], launchType="FARGATE",
                      networkConfiguration=network(subnets))["tasks"][0]["taskArn"]
    bad = ecs.run_task(cluster="c", taskDefinition=crash, launchType="FARGATE",
                       networkConfiguration=network(subnets))["tasks"][0]["taskArn"]
    cloud.advance(120)
    tasks = {t["taskArn"]: t for t in ecs.describe_tasks(cluster="c", tasks=[ok, bad])["tasks"]}
    good = tasks[ok]
    assert good["lastStatus"] == "RUNNING"
    app = next(c for c in good["containers"] if c["name"] == "app")
    assert (app["lastStatus"], app["exitCode"]) == ("STOPPED", 0)
    crashed = tasks[bad]
    assert crashed["stopCode"] == "EssentialContainerExited"
    assert crashed["stoppedReason"] == "Essential container in task exited"
    assert crashed["containers"][0]["exitCode"] == 1


def test_container_health_check_sets_health_status(ecs, subnets, cloud):
    ecs.create_cluster(clusterName="c")
    check = {"command": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], "interval": 10, "retries": 3}
    arns = []
    for image in ("fargatelab/web:v1", "fargatelab/web:unhealthy"):
        td = web_definition(ecs, image, container={"healthCheck": check})
        arns.append(ecs.run_task(cluster="c", taskDefinition=td, launchType="FARGATE",
                                 networkConfiguration=network(subnets))["tasks"][0]["taskArn"])
    first = ecs.describe_tasks(cluster="c", tasks=arns)["tasks"]
    assert {t["healthStatus"] for t in first} == {"UNKNOWN"}
    cloud.advance(180)
    tasks = {t["taskArn"]: t for t in ecs.describe_tasks(cluster="c", tasks=arns)["tasks"]}
    assert tasks[arns[0]]["healthStatus"] == "HEALTHY"
    assert tasks[arns[1]]["healthStatus"] == "UNHEALTHY"
    assert tasks[arns[1]]["lastStatus"] == "RUNNING"  # standalone tasks are not replaced


def test_tags_on_all_taggable_resources(ecs, subnets):
    cluster = ecs.create_cluster(clusterName="c", tags=[{"key": "team", "value": "talk"}])["cluster"]["clusterArn"]
    assert ecs.list_tags_for_resource(resourceArn=cluster)["tags"] == [{"key": "team", "value": "talk"}]
    ecs.tag_resource(resourceArn=cluster, tags=[{"key": "env", "value": "demo"}])
    ecs.untag_resource(resourceArn=cluster, tagKeys=["team"])
    assert ecs.list_tags_for_resource(resourceArn=cluster)["tags"] == [{"key": "env", "value": "demo"}]
    td = web_definition(ecs, tags=[{"key": "app", "value": "web"}])
    assert ecs.describe_task_definition(taskDefinition=td, include=["TAGS"])["tags"] == [{"key": "app", "value": "web"}]
    code, _ = error_of(ecs.list_tags_for_resource, resourceArn="arn:aws:ecs:us-east-1:123456789012:cluster/nope")
    assert code in ("ClientException", "InvalidParameterException", "ClusterNotFoundException")


def test_same_seed_same_ids_and_timeline(subnets):
    def run():
        local.start(seed=42)
        ecs = boto3.client("ecs")
        ec2 = boto3.client("ec2")
        nets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
        ecs.create_cluster(clusterName="c")
        td = web_definition(ecs)
        ecs.create_service(cluster="c", serviceName="s", taskDefinition=td, desiredCount=3,
                           launchType="FARGATE", networkConfiguration=network(nets))
        ecs.get_waiter("services_stable").wait(cluster="c", services=["s"])
        start = local.current().clock.now()
        s = ecs.describe_services(cluster="c", services=["s"])["services"][0]
        tasks = ecs.describe_tasks(cluster="c", tasks=ecs.list_tasks(cluster="c")["taskArns"])["tasks"]
        local.stop()
        return ([(e["id"], e["message"]) for e in s["events"]], s["deployments"][0]["id"],
                sorted((t["taskArn"], round(t["startedAt"].timestamp() - start, 3)) for t in tasks))
    assert run() == run()
