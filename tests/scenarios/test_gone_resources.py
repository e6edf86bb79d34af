"""References to things that are gone or never were, as a client makes them: a target group deleted
under a running service, and task-definition ARNs with revision 0 or below (found by the type checker)."""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import network, web_definition


@pytest.fixture
def unlistened_group(ec2, cloud):
    """A target group no listener uses: ELBv2 lets a client delete it whatever is registered in it."""
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    elb = boto3.client("elbv2")
    tg = elb.create_target_group(Name="orphan", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    return elb, tg["TargetGroups"][0]["TargetGroupArn"]


def service_on(ecs, subnets, tg, desired=2):
    ecs.create_cluster(clusterName="gone")
    ecs.create_service(cluster="gone", serviceName="web", taskDefinition=web_definition(ecs), desiredCount=desired,
                       launchType="FARGATE", networkConfiguration=network(subnets),
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])


def events(ecs):
    return [e["message"] for e in ecs.describe_services(cluster="gone", services=["web"])["services"][0]["events"]]


@pytest.mark.parametrize("after", [12, 40], ids=["while-activating", "while-running"])
def test_a_target_group_deleted_under_registered_tasks(ecs, cloud, subnets, unlistened_group, after):
    elb, tg = unlistened_group
    service_on(ecs, subnets, tg)
    cloud.advance(after)
    elb.delete_target_group(TargetGroupArn=tg)
    cloud.advance(120)                                      # health checks of a group that is gone: no error
    tasks = ecs.list_tasks(cluster="gone", serviceName="web")["taskArns"]
    assert tasks
    stopped = ecs.stop_task(cluster="gone", task=tasks[0], reason="by hand")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    cloud.advance(120)
    described = ecs.describe_tasks(cluster="gone", tasks=[tasks[0]])["tasks"][0]
    assert described["lastStatus"] == "STOPPED"


def test_a_target_group_deleted_before_the_tasks_register(ecs, cloud, subnets, unlistened_group):
    elb, tg = unlistened_group
    service_on(ecs, subnets, tg)
    elb.delete_target_group(TargetGroupArn=tg)              # the tasks are still provisioning
    cloud.advance(180)
    said = events(ecs)
    assert any("failed to register targets" in m and tg in m for m in said)
    assert not any("registered 1 targets" in m and "failed" not in m for m in said)


@pytest.mark.parametrize("revision", ["0", "-1", "3"])
def test_tagging_a_task_definition_revision_that_does_not_exist(ecs, cloud, revision):
    arn = web_definition(ecs)                                # revision 1
    web_definition(ecs, image="fargatelab/web:v2")          # revision 2
    missing = arn.rsplit(":", 1)[0] + f":{revision}"
    calls = {"TagResource": lambda: ecs.tag_resource(resourceArn=missing, tags=[{"key": "k", "value": "v"}]),
             "UntagResource": lambda: ecs.untag_resource(resourceArn=missing, tagKeys=["k"]),
             "ListTagsForResource": lambda: ecs.list_tags_for_resource(resourceArn=missing)}
    for operation, call in calls.items():
        with pytest.raises(ClientError) as error:
            call()
        modeled = [e.name for e in ecs.meta.service_model.operation_model(operation).error_shapes]
        # not found, or, where the model has no such error (ListTagsForResource), its InvalidParameterException
        wanted = "ResourceNotFoundException" if "ResourceNotFoundException" in modeled else "InvalidParameterException"
        assert error.value.response["Error"]["Code"] == wanted, operation
        assert "could not be found" in error.value.response["Error"]["Message"]
    assert ecs.list_tags_for_resource(resourceArn=arn.rsplit(":", 1)[0] + ":2")["tags"] == []
