"""aiobotocore against `fargate-lab local serve`: async calls, an async waiter, a paginator, a modeled error.

Runs in its own venv (see requirements.txt), started by tests/scenarios/test_real_clients.py with
AWS_ENDPOINT_URL, FARGATE_LAB_CLUSTER, FARGATE_LAB_SUBNETS (comma-separated) and
FARGATE_LAB_SECURITY_GROUP set.  Prints {"checks": [{"name", "ok", "detail"}, ...]} on stdout;
a check that raises is recorded as failed and the script goes on.
"""
from __future__ import annotations

import asyncio
import json
import os
import traceback

import aiobotocore
import botocore
from aiobotocore.session import get_session

ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
CLUSTER = os.environ["FARGATE_LAB_CLUSTER"]
SUBNETS = os.environ["FARGATE_LAB_SUBNETS"].split(",")
SECURITY_GROUP = os.environ["FARGATE_LAB_SECURITY_GROUP"]
FAMILY = f"{CLUSTER}-web"
NETWORK = {"awsvpcConfiguration": {"subnets": SUBNETS, "securityGroups": [SECURITY_GROUP],
                                   "assignPublicIp": "DISABLED"}}

checks: list[dict] = []


async def check(name, body):
    try:
        detail = await body()
        checks.append({"name": name, "ok": True, "detail": detail})
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the others
        checks.append({"name": name, "ok": False,
                       "detail": f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=3)}"[:2000]})


async def main() -> None:
    session = get_session()
    async with session.create_client("ecs", region_name="us-east-1", endpoint_url=ENDPOINT,
                                      aws_access_key_id="testing", aws_secret_access_key="testing") as ecs:
        revisions: list[str] = []

        async def create_cluster():
            made = await ecs.create_cluster(clusterName=CLUSTER)
            assert made["cluster"]["status"] == "ACTIVE", made["cluster"]
            return made["cluster"]["clusterArn"]

        async def register():
            for tag in ("v1", "v2", "v3"):
                made = await ecs.register_task_definition(
                    family=FAMILY, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                    containerDefinitions=[{"name": "web", "image": f"fargatelab/web:{tag}", "essential": True,
                                           "portMappings": [{"containerPort": 80}]}])
                revisions.append(made["taskDefinition"]["taskDefinitionArn"])
            assert [arn.rsplit(":", 1)[1] for arn in revisions] == ["1", "2", "3"], revisions
            return revisions

        async def create_and_describe():
            made = await ecs.create_service(cluster=CLUSTER, serviceName="web", taskDefinition=revisions[-1],
                                            desiredCount=2, launchType="FARGATE", networkConfiguration=NETWORK)
            assert made["service"]["status"] == "ACTIVE", made["service"]["status"]
            described = await ecs.describe_services(cluster=CLUSTER, services=["web"])
            assert described["failures"] == [], described["failures"]
            service = described["services"][0]
            assert service["taskDefinition"] == revisions[-1] and service["desiredCount"] == 2, service
            return {"deployments": len(service["deployments"]), "rolloutState": service["deployments"][0]["rolloutState"]}

        async def services_stable():
            waiter = ecs.get_waiter("services_stable")
            await waiter.wait(cluster=CLUSTER, services=["web"], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            service = (await ecs.describe_services(cluster=CLUSTER, services=["web"]))["services"][0]
            assert service["runningCount"] == 2 and len(service["deployments"]) == 1, service
            return {"runningCount": service["runningCount"]}

        async def paginate_task_definitions():
            paginator = ecs.get_paginator("list_task_definitions")
            pages = [page async for page in paginator.paginate(familyPrefix=FAMILY, PaginationConfig={"PageSize": 1})]
            arns = [arn for page in pages for arn in page["taskDefinitionArns"]]
            assert len(pages) >= 3 and all(len(p["taskDefinitionArns"]) <= 1 for p in pages), pages
            assert arns == revisions, arns
            return {"pages": len(pages)}

        async def paginate_tasks():
            paginator = ecs.get_paginator("list_tasks")
            pages = [page async for page in paginator.paginate(cluster=CLUSTER, serviceName="web",
                                                               PaginationConfig={"PageSize": 1})]
            arns = [arn for page in pages for arn in page["taskArns"]]
            whole = (await ecs.list_tasks(cluster=CLUSTER, serviceName="web"))["taskArns"]
            assert len(whole) == 2 and sorted(arns) == sorted(whole) and len(set(arns)) == len(arns), (arns, whole)
            return {"pages": len(pages), "tasks": len(arns)}

        async def modeled_error():
            try:
                await ecs.describe_services(cluster="no-such-cluster", services=["web"])
            except ecs.exceptions.ClusterNotFoundException as e:
                assert e.response["Error"]["Code"] == "ClusterNotFoundException", e.response
                assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
                return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
            raise AssertionError("DescribeServices on a missing cluster succeeded")

        async def modeled_error_invalid_parameter():
            try:
                await ecs.update_service(cluster=CLUSTER, service="web", desiredCount=-1)
            except ecs.exceptions.InvalidParameterException as e:
                return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"]}
            raise AssertionError("UpdateService with desiredCount -1 succeeded")

        async def concurrent_calls():
            # the point of an async client: many calls in flight on one connection pool
            results = await asyncio.gather(*(ecs.describe_task_definition(taskDefinition=arn) for arn in revisions * 4))
            assert [r["taskDefinition"]["taskDefinitionArn"] for r in results] == revisions * 4
            return {"calls": len(results)}

        await check("create cluster", create_cluster)
        await check("register three task definition revisions", register)
        await check("create service and describe it", create_and_describe)
        await check("async waiter services_stable", services_stable)
        await check("async paginator list_task_definitions PageSize 1", paginate_task_definitions)
        await check("async paginator list_tasks PageSize 1", paginate_tasks)
        await check("modeled error ClusterNotFoundException", modeled_error)
        await check("modeled error InvalidParameterException", modeled_error_invalid_parameter)
        await check("twelve concurrent DescribeTaskDefinition calls", concurrent_calls)


asyncio.run(main())
print(json.dumps({"aiobotocore": aiobotocore.__version__, "botocore": botocore.__version__, "checks": checks},
                 indent=2, default=str))
