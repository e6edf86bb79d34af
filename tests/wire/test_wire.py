"""The wire layer: output-shape checks and the awsJson error format."""
from __future__ import annotations

import json

from fargate_lab.wire.validate import check_error, check_output


def test_output_check_catches_what_botocore_lets_through():
    body = {"services": [{"serviceName": "web", "runingCount": 1, "desiredCount": "3", "launchType": "LAMBDA",
                          "deployments": [{"id": "ecs-svc/1", "rolloutState": "DONE", "status": "LIVE"}]}],
            "failures": []}
    report = check_output("DescribeServices", body)
    for problem in ("runingCount", "desiredCount", "LAMBDA", "DONE", "LIVE"):
        assert problem in report


def test_task_vocabularies_are_checked():
    report = check_output("DescribeTasks", {"tasks": [{"lastStatus": "RUNNNING", "desiredStatus": "STOPPED",
                                                      "containers": [{"lastStatus": "UP"}]}]})
    assert "RUNNNING" in report and "UP" in report
    assert check_output("DescribeTasks", {"tasks": [{"lastStatus": "DEACTIVATING"}], "failures": []}) is None


def test_error_codes_must_be_modeled_for_the_operation():
    assert check_error("UpdateService", "ServiceNotFoundException") is None
    assert check_error("DescribeServices", "ServiceNotFoundException")  # AWS answers MISSING there instead


def test_errors_use_the_json_type_member(cloud):
    status, headers, body = cloud.wire.handle("us-east-1", "AmazonEC2ContainerServiceV20141113.DescribeServices",
                                              b'{"cluster": "nope", "services": ["x"]}')
    assert status == 400 and headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(body) == {"__type": "ClusterNotFoundException", "message": "Cluster not found."}


def test_service_events_keep_the_latest_hundred_newest_first(ecs, cloud, subnets):
    from tests.conftest import network, web_definition
    ecs.create_cluster(clusterName="c")
    td = web_definition(ecs)
    ecs.create_service(cluster="c", serviceName="s", taskDefinition=td, desiredCount=1, launchType="FARGATE",
                       networkConfiguration=network(subnets))
    for n in range(80):
        ecs.update_service(cluster="c", service="s", desiredCount=1 + n % 2)
        cloud.advance(120)
    events = ecs.describe_services(cluster="c", services=["s"])["services"][0]["events"]
    assert len(events) == 100
    times = [e["createdAt"] for e in events]
    assert times == sorted(times, reverse=True)


def test_service_without_launch_type_on_a_plain_cluster_cannot_place(ecs, cloud, subnets):
    from tests.conftest import network, web_definition
    ecs.create_cluster(clusterName="c")
    td = web_definition(ecs)
    ecs.create_service(cluster="c", serviceName="s", taskDefinition=td, desiredCount=1,
                       networkConfiguration=network(subnets))
    cloud.advance(60)
    s = ecs.describe_services(cluster="c", services=["s"])["services"][0]
    assert s["launchType"] == "EC2" and s["runningCount"] == 0
    assert "no container instance met all of its requirements" in s["events"][0]["message"]
    # with a default capacity provider strategy the same call lands on Fargate
    ecs.put_cluster_capacity_providers(cluster="c", capacityProviders=["FARGATE"],
                                       defaultCapacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}])
    ecs.create_service(cluster="c", serviceName="t", taskDefinition=td, desiredCount=1,
                       networkConfiguration=network(subnets))
    ecs.get_waiter("services_stable").wait(cluster="c", services=["t"])
    task = ecs.describe_tasks(cluster="c", tasks=ecs.list_tasks(cluster="c", serviceName="t")["taskArns"])["tasks"][0]
    assert task["launchType"] == "FARGATE" and task["capacityProviderName"] == "FARGATE"
