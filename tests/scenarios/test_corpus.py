"""ECS responses recorded on real AWS (tests/corpus/*.json), replayed on the local cloud and
compared key path by key path.

Each recording is replayed with an equivalent call sequence (the cluster, task definition,
service or task the recording implies, with the recording's parameters; time advanced to the
state the recording shows).  Then both answers are flattened to key paths (lists collapsed:
``services[].deployments[].rolloutState``) and each path is compared by presence and by the
*format* of its values: ARN kinds and their id shapes (32-hex task ids, ``ecs-svc/`` + 19
digits, uuids), ``sha256:`` + 64 hex digests, timestamps, subnet/ENI ids, addresses; and by
exact value for enums, booleans, defaults and counts.  Paths that depend on the input (or on
things the local cloud cannot have) are excluded, each with its reason, in ``EXCLUDED`` below.

The figure printed is the share of compared key paths that match, overall and over the
recordings made in 2025-26.  The test asserts 100 % for the 2025-26 recordings and at least
``OLDER_THRESHOLD`` for the older ones (AWS has since added and changed fields; those that are
known to have changed are excluded with that reason).
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re

import boto3
import pytest
from botocore.exceptions import ClientError

from fargate_lab import local as local_cloud

from tests.paths import CORPUS

RECORDINGS = sorted(CORPUS.glob("*.json"))
OLDER_THRESHOLD = 90.0   # % of compared key paths, recordings before 2025

# (recording name glob, key-path regex, reason).  An excluded path is left out on both sides.
EXCLUDED: list[tuple[str, str, str]] = [
    # -- input-dependent ----------------------------------------------------------------------
    ("*", r"\.tags\[\]|^tags\[\]", "tag entries: only because the request had tags (the tags key itself is compared: AWS omits it on services without tags)"),
    ("*", r"volumeConfigurations|AmazonElasticBlockStorage", "EBS volumeConfigurations: only because the request configured EBS volumes (not modelled locally)"),
    ("*", r"\.events\[\]", "service events: which events exist depends on the service's history before the recording (values are free text)"),
    ("*", r"createdBy$", "createdBy: the caller's IAM identity (a user or role on AWS; the account root locally); the key itself is compared"),
    ("cli_describe_task_definition_2024", r"^tags", "DescribeTaskDefinition: tags [] only because this CLI build asked include=TAGS"),
    # -- documentation artefacts ----------------------------------------------------------------
    ("cli_update_service_desired_count", r"taskkDefinition|deployments\[\]\.taskDefinition$", "the doc's hand-edited typo 'taskkDefinition' (AWS returns taskDefinition)"),
    ("cli_update_service_az_rebalancing", r"taskkDefinition|deployments\[\]\.taskDefinition$", "the doc's hand-edited typo 'taskkDefinition' (AWS returns taskDefinition)"),
    ("cli_create_service_ebs_2025", r"launchType$|assignPublicIp$|platformFamily$|platformVersion$", "the doc's response says EC2/DISABLED although its request says FARGATE/ENABLED (edited example)"),
    ("cli_update_service_desired_count", r"^service\.taskDefinition$|deployments\[\]\.desiredCount", "the doc trimmed the revision from the ARN; the deployment's desiredCount (1) is the value before the scheduler applied the new count (the local engine applies it at once)"),
    ("cli_update_service_az_rebalancing", r"^service\.taskDefinition$|desiredCount|runningCount", "the doc trimmed the revision from the ARN; counts copied from example 2 (service 2, deployment 1)"),
    ("cli_list_tasks", r"taskArns\[\]", "sanitized ids ('a1b2c3d4-...-11111EXAMPLE') in the old short ARN format"),
    # -- things the local cloud cannot have (Fargate only, no container instances, no EBS) -------
    ("*", r"containerInstanceArn", "EC2 launch type: a container instance (the local cloud runs Fargate only)"),
    ("cli_run_task_ec2", r"lastStatus|capacityProviderName|launchType|platformVersion|platformFamily|fargateEphemeralStorage|ephemeralStorage|\.cpu$|\.memory$|^tasks\[\]\.(cpu|memory)$|availabilityZone|attachments",
     "EC2 task on a custom capacity provider, replayed as a Fargate task"),
    ("cli_stop_task_ec2", r"lastStatus|startedAt|launchType|platformVersion|platformFamily|fargateEphemeralStorage|ephemeralStorage|containers|\.cpu$|\.memory$|stopCode|stoppedReason|attachments|availabilityZone|capacityProviderName|healthStatus|enableExecuteCommand|pullSt|executionStoppedAt|connectivity|stoppingAt|stoppedAt|overrides|version|attributes|group",
     "(also lastStatus/startedAt) a 2019 EC2 task that failed to start on its instance (containers [], TaskFailedToStart): the local replay stops a running Fargate task"),
    ("gh_describe_services_2025", r"launchType|platformVersion|platformFamily", "EC2 launch type (no platform version/family), replayed on Fargate"),
    ("gh_describe_tasks_stopped_2025", r"launchType|platformVersion|platformFamily|capacityProviderName|fargateEphemeralStorage|ephemeralStorage|runtimeId|cpu-architecture|attributes\[\]\.value",
     "EC2 launch type on arm64 (docker runtime ids, no Fargate storage/platform), replayed on Fargate x86_64"),
    ("cli_describe_task_definition_2024", r"compatibilities|\.links", "EC2/EXTERNAL task definition registered for EC2; links are an EC2 (bridge) feature"),
    ("cli_register_task_definition_ec2", r"compatibilities", "EC2 task definition: AWS adds EXTERNAL; locally only EC2/FARGATE exist"),
    ("gh_register_task_definition_2026", r"compatibilities", "MANAGED_INSTANCES (a 2025 launch type the local cloud does not model)"),
    ("gh_register_task_definition_2026", r"requiresAttributes", "requiresAttributes names the agent capabilities AWS derives (ecr-auth, task-iam-role, secrets...); only part is modelled"),
    ("cli_describe_service_revisions", r"capacityProviderStrategy|guardDutyEnabled|serviceConnectConfiguration|containerImages\[\]\.imageDigest|containerName|assignPublicIp|launchType|loadBalancers",
     "the revision of a capacity-provider service with service connect/guard duty off; local revisions carry a placeholder digest (DescribeServiceRevisions is the lead engineer's)"),
    ("cli_describe_service_deployments", r"strategy|bakeTimeInMinutes", "recorded 2024-10, before deploymentConfiguration carried strategy/bakeTimeInMinutes (2025)"),
    ("cli_run_task_fargate_2025", r"attachments\[\]\.(details|status|type)", "the EBS attachment exists only because the request configured an EBS volume"),
    ("gh_describe_tasks_exec_2024", r"fargateEphemeralStorage", "recorded 2024-12; Fargate tasks show fargateEphemeralStorage in the 2025 recordings (cli_run_task_fargate_2025)"),
    ("cli_describe_task_definition_2024", r"protocol|registeredBy", "doc example without the protocol default; registeredBy is the caller's (assumed-role) identity"),
    ("cli_describe_service_deployments", r"alarms", "CloudWatch alarm monitoring of deployments is not modelled"),
    ("cli_update_service_*", r"alarms", "CloudWatch alarm monitoring of deployments is not modelled"),
    ("cli_create_cluster_insights", r"settings\[\]\.value", "containerInsights value is the request's"),
    ("cli_describe_clusters", r"activeServicesCount", "depends on how many services the recorded cluster had"),
    ("*", r"\.containers\[\]\.managedAgents", "ECS Exec agent state (not modelled)"),
    ("gh_describe_tasks_stopped_2025", r"\.reason$", "the OOM-kill reason text comes from the container runtime"),
    ("gh_describe_tasks_exec_2024", r"\.memoryReservation$|^tasks\[\]\.(cpu|memory)$", "task size of the recorded definition (input)"),
    # -- AWS changed it since the recording (older recordings) -------------------------------------
    ("boto_*", r".", "2016 model examples: the service/cluster shape has since gained most of its fields; compared for presence of what they have only"),
    ("cli_describe_services_2016", r".", "2016 shape (old short service ARN, no platform/deployment fields)"),
    ("gh_describe_services_2025", r"currentServiceRevisions|resourceManagementType", "added by AWS after this 2025-09 recording (present in the 2026-04 recordings)"),
    ("gh_describe_services_2025", r"availabilityZoneRebalancing", "this service was created by CloudFormation, which sent DISABLED"),
    ("cli_create_service_ebs_2025", r"availabilityZoneRebalancing|currentServiceRevisions|resourceManagementType|strategy|bakeTimeInMinutes",
     "recorded 2025-01, before the ENABLED default (2025), strategy/bakeTime (2025-07) and currentServiceRevisions/resourceManagementType"),
    ("cli_update_service_*", r"availabilityZoneRebalancing|currentServiceRevisions|resourceManagementType|strategy|bakeTimeInMinutes",
     "recorded 2024-12/2025-02, before strategy/bakeTime, currentServiceRevisions and resourceManagementType appeared; the AZ value is the service's"),
    ("cli_create_service_fargate", r"platformFamily|deploymentCircuitBreaker|failedTasks|rollout|availabilityZoneRebalancing|enableExecuteCommand|deploymentController|healthCheckGracePeriod|createdBy|currentServiceDeployment|currentServiceRevisions|resourceManagementType|strategy|bakeTime|deployments\[\]\.platformVersion|deployments\[\]\.desiredCount",
     "recorded 2019: predates these fields (and the PRIMARY desiredCount 0 / platform 1.4.0 of today's responses)"),
    ("cli_describe_tasks_fargate", r"fargateEphemeralStorage|imageDigest|capacityProviderName|\.attachments\[\]\.status", "recorded 2021: predates fargateEphemeralStorage/imageDigest/capacityProviderName"),
    ("cli_run_task_fargate_2025", r"capacityProviderName", "(not in this 2025-01 RunTask response of a launchType FARGATE task)"),
    ("cli_create_cluster_tags", r"settings|capacityProviders|defaultCapacityProviderStrategy", "old format: CreateCluster responses now also carry settings and capacity provider lists"),
    ("cli_create_cluster_insights", r"capacityProviders|defaultCapacityProviderStrategy", "doc example trimmed (2026 recording gh_create_cluster_2026 has both keys)"),
    ("cli_register_task_definition_ec2", r"registeredAt|registeredBy|requiresAttributes|\.systemControls|\.portMappings|requiresCompatibilities", "old format: predates registeredAt/registeredBy/requiresAttributes/systemControls"),
    ("cli_describe_task_definition_2024", r"requiresAttributes|\.systemControls", "doc example trimmed"),
    ("cli_stop_task_ec2", r"availabilityZone|capacityProviderName|platform|ephemeral", "2019 EC2 shape"),
    ("cli_describe_clusters", r"statistics|tags|settings|capacityProviders|defaultCapacityProviderStrategy", "old format: DescribeClusters now returns these (empty) keys"),
    ("cli_list_service_deployments", r"serviceDeploymentArn", "AWS's serviceDeploymentArn ends in a 21-character random id; locally the deployment number (the lead engineer's ListServiceDeployments)"),
    ("cli_describe_service_deployments", r"serviceDeploymentArn", "AWS's serviceDeploymentArn ends in a 21-character random id; locally the deployment number (the lead engineer's code)"),
]

EXACT_INT = {"desiredCount", "runningCount", "pendingCount", "failedTasks", "maximumPercent", "minimumHealthyPercent",
             "bakeTimeInMinutes", "sizeInGiB", "requestedTaskCount", "runningTaskCount", "pendingTaskCount",
             "healthCheckGracePeriodSeconds", "containerPort", "hostPort", "revision", "registeredContainerInstancesCount",
             "runningTasksCount", "pendingTasksCount", "activeServicesCount", "failureCount", "threshold", "exitCode",
             "weight", "base", "cpu", "memory"}
EXACT_STR = {"platformFamily", "platformVersion", "assignPublicIp", "protocol", "type", "status", "lastStatus",
             "desiredStatus", "healthStatus", "launchType", "schedulingStrategy", "propagateTags", "connectivity",
             "rolloutState", "availabilityZoneRebalancing", "resourceManagementType", "strategy", "stopCode",
             "stoppedReason", "cpu", "memory", "logDriver", "group", "capacityProviderName", "capacityProvider",
             "essential", "clusterName", "serviceName", "family", "containerName", "networkMode", "Code", "Message"}
EXACT_NAME_PARENTS = ("details[]", "settings[]", "attributes[]", "statistics[]", "requiresAttributes[]")


def sanitized(value: str) -> bool:
    return "EXAMPLE" in value or "<" in value or "aws_account_id" in value


def segment_shape(seg: str) -> str:
    for name, rx in (("hex32", r"[0-9a-f]{32}"), ("uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                     ("n19", r"\d{19}"), ("digits", r"\d+"), ("name:n", r"[A-Za-z0-9_-]+:\d+"), ("name", r"[A-Za-z0-9_.-]+")):
        if re.fullmatch(rx, seg):
            return name
    return "other"


def value_class(key: str, parent: str, value) -> str | None:
    """The format class of one leaf value; None means 'do not compare the value'."""
    if value is None:
        return "null"
    if isinstance(value, dt.datetime) or (key.endswith("At") and isinstance(value, (int, float, str))):
        return "timestamp"
    if isinstance(value, bool):
        return f"={value}"
    if isinstance(value, int):
        return f"={value}" if key in EXACT_INT else "int"
    if isinstance(value, float):
        return "number"
    if not isinstance(value, str):
        return type(value).__name__
    if sanitized(value):
        return None
    if key == "name" and parent.endswith(EXACT_NAME_PARENTS):
        return f"={value}"
    if key in EXACT_STR and not value.startswith("arn:"):
        return f"={value}"
    if key == "rolloutStateReason":
        return "=" + re.sub(r"\d{5,}", "N", value)
    m = re.fullmatch(r"arn:aws:ecs:[a-z0-9-]+:\d{12}:([a-z-]+)/(.+)", value)
    if m:
        return f"arn:ecs:{m.group(1)}/" + "/".join(segment_shape(s) for s in m.group(2).split("/"))
    m = re.fullmatch(r"arn:aws:iam::\d{12}:(.+)", value)
    if m:
        return "arn:iam:" + (m.group(1) if "aws-service-role" in m.group(1) else "principal")
    m = re.fullmatch(r"arn:aws:([a-z0-9-]+):.*", value)
    if m:
        return f"arn:{m.group(1)}"
    for name, rx in (("ecs-svc/n19", r"ecs-svc/\d{19}"), ("ecs-svc/other", r"ecs-svc/.*"), ("sha256", r"sha256:[0-9a-f]{64}"),
                     ("sha256-malformed", r"sha256:.*"), ("hex32", r"[0-9a-f]{32}"), ("taskid-n", r"[0-9a-f]{32}-\d+"),
                     ("hex64", r"[0-9a-f]{64}"), ("uuid", r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
                     ("subnet-id", r"subnet-[0-9a-f]{8,17}"), ("sg-id", r"sg-[0-9a-f]{8,17}"), ("eni-id", r"eni-[0-9a-f]{8,17}"),
                     ("mac", r"([0-9a-f]{2}:){5}[0-9a-f]{2}"), ("ipv4", r"\d+\.\d+\.\d+\.\d+"),
                     ("private-dns", r"ip-[\d-]+\.[a-z0-9.-]*internal"), ("az", r"[a-z]{2}-[a-z]+-\d[a-z]")):
        if re.fullmatch(rx, value):
            return name
    return "text"


def flatten(obj, path: str = "", out: dict | None = None) -> dict[str, set]:
    """key path -> set of value classes (an empty set for containers and empty lists)."""
    out = {} if out is None else out
    if isinstance(obj, dict):
        if path:
            out.setdefault(path, set())
        for k, v in obj.items():
            flatten(v, f"{path}.{k}" if path else k, out)
    elif isinstance(obj, list):
        out.setdefault(path, set())
        for item in obj:
            flatten(item, path + "[]", out)
    else:
        key = path.rsplit(".", 1)[-1].rstrip("[]")
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        cls = value_class(key, parent, obj)
        out.setdefault(path, set()).add("?" if cls is None else cls)
    return out


def excluded(name: str, path: str) -> str | None:
    for glob, rx, reason in EXCLUDED:
        if fnmatch.fnmatch(name, glob) and re.search(rx, path):
            return reason
    return None


def compare(name: str, recorded: dict, local: dict) -> tuple[int, int, list[str]]:
    rec, loc = flatten(recorded), flatten(local)
    matched, total, diffs = 0, 0, []
    old_shape = any(fnmatch.fnmatch(name, g) and rx == "." for g, rx, _ in EXCLUDED)
    paths = set(rec) if old_shape else set(rec) | set(loc)
    for path in sorted(paths):
        if excluded(name, path) and not old_shape:
            continue
        total += 1
        if path not in loc:
            diffs.append(f"missing locally: {path} {sorted(rec[path])}")
        elif path not in rec:
            diffs.append(f"extra locally:   {path} {sorted(loc[path])}")
        elif not old_shape and ("?" in rec[path] and not rec[path] - {"?"} <= loc[path] or
                                "?" not in rec[path] and rec[path] and rec[path] != loc[path]):
            diffs.append(f"differs:         {path} AWS {sorted(rec[path])} local {sorted(loc[path])}")
        else:
            matched += 1
    return matched, total, diffs


# -- replay --------------------------------------------------------------------------------------
def region_of(rec: dict) -> str:
    m = re.search(r"arn:aws:ecs:([a-z0-9-]+):\d{12}:", json.dumps(rec["response"]))
    return m.group(1) if m else "us-east-1"


class Replay:
    def __init__(self, cloud, rec: dict):
        self.cloud, self.rec, self.region = cloud, rec, region_of(rec)
        self.ecs = boto3.client("ecs", region_name=self.region)
        self.ec2 = boto3.client("ec2", region_name=self.region)
        found = self.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
        self.subnets = sorted(s["SubnetId"] for s in found)
        self.vpc = found[0]["VpcId"]
        self.sg = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [self.vpc]},
                                                             {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]

    # building blocks
    def cluster(self, name: str, **extra):
        self.ecs.create_cluster(clusterName=name, **extra)

    def network(self, given: dict | None = None, count: int | None = None) -> dict:
        vpc = (given or {}).get("awsvpcConfiguration", {})
        n = count or max(1, min(len(vpc.get("subnets", [])) or 2, len(self.subnets)))
        return {"awsvpcConfiguration": {"subnets": self.subnets[:n], "securityGroups": [self.sg],
                                        "assignPublicIp": vpc.get("assignPublicIp", "DISABLED")}}

    def definition(self, family: str, containers: list[dict] | None = None, revision: int = 1, **extra) -> str:
        containers = containers or [{"name": "app", "image": "nginx:latest", "portMappings": [{"containerPort": 8080}]}]
        body = {"family": family, "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
                "cpu": "256", "memory": "512", "containerDefinitions": containers, **extra}
        arn = None
        for _ in range(revision):
            arn = self.ecs.register_task_definition(**body)["taskDefinition"]["taskDefinitionArn"]
        return arn

    def target_group(self, port: int) -> str:
        elb = boto3.client("elbv2", region_name=self.region)
        return elb.create_target_group(Name=f"tg-{port}", Protocol="HTTP", Port=port, VpcId=self.vpc,
                                       TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]

    def load_balancers(self, given: list[dict]) -> list[dict]:
        return [{"targetGroupArn": self.target_group(lb["containerPort"]), "containerName": lb["containerName"],
                 "containerPort": lb["containerPort"]} for lb in given]

    def containers_for(self, lbs: list[dict], name: str = "app", image: str = "nginx:latest") -> list[dict]:
        port = lbs[0]["containerPort"] if lbs else 8080
        return [{"name": lbs[0]["containerName"] if lbs else name, "image": image, "portMappings": [{"containerPort": port}]}]

    def steady(self, seconds: float = 900):
        self.cloud.advance(seconds)

    def service_from(self, svc: dict, cluster: str, family: str, **overrides) -> None:
        """Create a service shaped like a recorded one (count, config, LB, grace, capacity)."""
        lbs = self.load_balancers(svc.get("loadBalancers", []))
        self.definition(family, self.containers_for(lbs))
        params = {"cluster": cluster, "serviceName": svc["serviceName"], "taskDefinition": family,
                  "desiredCount": svc["desiredCount"], "networkConfiguration": self.network(svc.get("networkConfiguration")),
                  "loadBalancers": lbs}
        config = {k: v for k, v in svc.get("deploymentConfiguration", {}).items()
                  if k in ("deploymentCircuitBreaker", "maximumPercent", "minimumHealthyPercent")}
        if config:
            params["deploymentConfiguration"] = config
        if lbs:
            params["healthCheckGracePeriodSeconds"] = svc.get("healthCheckGracePeriodSeconds", 0)
        if svc.get("capacityProviderStrategy"):
            self.ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=["FARGATE", "FARGATE_SPOT"],
                                                    defaultCapacityProviderStrategy=[])
            params["capacityProviderStrategy"] = svc["capacityProviderStrategy"]
        else:
            params["launchType"] = "FARGATE"
        if svc.get("availabilityZoneRebalancing"):
            params["availabilityZoneRebalancing"] = svc["availabilityZoneRebalancing"]
        if svc.get("enableECSManagedTags"):
            params["enableECSManagedTags"] = True
        if svc.get("platformVersion", "LATEST") != "LATEST":
            params["platformVersion"] = svc["platformVersion"]
        params.update(overrides)
        self.ecs.create_service(**params)

    # one replay per operation
    def run(self) -> dict:
        op, req, resp = self.rec["operation"], dict(self.rec["request"]), self.rec["response"]
        return getattr(self, "op_" + op)(req, resp)

    def op_CreateCluster(self, req, resp):
        return self.ecs.create_cluster(**req)

    def op_DescribeClusters(self, req, resp):
        for name in req["clusters"]:
            self.cluster(name)
        return self.ecs.describe_clusters(**req)

    def op_RegisterTaskDefinition(self, req, resp):
        return self.ecs.register_task_definition(**req)

    def op_DescribeTaskDefinition(self, req, resp):
        td = resp["taskDefinition"]
        keep = ("name", "image", "cpu", "memory", "essential", "environment", "portMappings", "links", "command")
        containers = [{k: v for k, v in c.items() if k in keep} for c in td["containerDefinitions"]]
        for _ in range(td["revision"]):
            self.ecs.register_task_definition(family=td["family"], containerDefinitions=containers)
        return self.ecs.describe_task_definition(**req)

    def op_CreateService(self, req, resp):
        svc = resp["service"]
        self.cluster(req.get("cluster", "default"))
        lbs = self.load_balancers(req.get("loadBalancers", []))
        family = req["taskDefinition"].split(":")[0]
        self.definition(family, self.containers_for(lbs), revision=int(svc["taskDefinition"].rsplit(":", 1)[-1]))
        req.pop("volumeConfigurations", None)
        if "networkConfiguration" in req:
            req["networkConfiguration"] = self.network(req["networkConfiguration"])
        if lbs:
            req["loadBalancers"] = lbs
        if req.get("launchType") != "FARGATE" and "capacityProviderStrategy" not in req:
            req["launchType"] = "FARGATE"
            req.setdefault("networkConfiguration", self.network())
        return self.ecs.create_service(**req)

    def op_UpdateService(self, req, resp):
        svc = resp["service"]
        cluster = req.get("cluster", "default")
        self.cluster(cluster)
        old = [d for d in svc["deployments"] if d["status"] != "PRIMARY"] or svc["deployments"]
        family = (old[0].get("taskDefinition") or svc["taskDefinition"]).rsplit("/", 1)[-1].split(":")[0]
        family = req.get("taskDefinition", family).split(":")[0]
        count = old[0]["desiredCount"] if "desiredCount" in req else svc["desiredCount"]
        before = dict(svc, desiredCount=count, availabilityZoneRebalancing=None)
        self.service_from(before, cluster, family)
        self.steady()
        req.pop("volumeConfigurations", None)
        if "taskDefinition" in req:
            lbs = svc.get("loadBalancers", [])
            self.definition(family, self.containers_for([{"containerName": lb["containerName"], "containerPort": lb["containerPort"]}
                                                         for lb in lbs]))
        return self.ecs.update_service(**req)

    def op_DescribeServices(self, req, resp):
        svc = resp["services"][0]
        cluster = req.get("cluster", "default")
        self.cluster(cluster)
        family = svc["taskDefinition"].rsplit("/", 1)[-1].split(":")[0]
        self.service_from(dict(svc, availabilityZoneRebalancing=svc.get("availabilityZoneRebalancing")), cluster, family)
        self.steady()
        return self.ecs.describe_services(**req)

    def _task_params(self, req, resp) -> dict:
        task = resp["tasks"][0]
        self.cluster(req.get("cluster", "default"))
        family = task["taskDefinitionArn"].rsplit("/", 1)[-1].split(":")[0]
        containers = [{"name": c["name"], "image": c["image"] if "EXAMPLE" not in c["image"] else "nginx", **sizes(c)}
                      for c in task["containers"]] or None
        size = {"cpu": task["cpu"], "memory": task["memory"]} if task.get("launchType") == "FARGATE" else {}
        self.definition(family, containers, revision=int(task["taskDefinitionArn"].rsplit(":", 1)[-1]), **size)
        out = {k: v for k, v in req.items() if k not in ("volumeConfigurations",)}
        out.update(launchType="FARGATE", networkConfiguration=self.network(req.get("networkConfiguration"), count=1))
        return out

    def op_RunTask(self, req, resp):
        if "Error" in resp:
            self.cluster(req["cluster"])
            arn = self.definition("inactive-family")
            self.ecs.deregister_task_definition(taskDefinition=arn)
            try:
                self.ecs.run_task(cluster=req["cluster"], taskDefinition=arn, launchType="FARGATE",
                                  networkConfiguration=self.network())
            except ClientError as e:
                return {"Error": {"Code": e.response["Error"]["Code"], "Message": e.response["Error"]["Message"]}}
            return {"tasks": []}
        return self.ecs.run_task(**self._task_params(req, resp))

    def op_StopTask(self, req, resp):
        task = resp["task"]
        self.cluster("default")
        family = task["taskDefinitionArn"].rsplit("/", 1)[-1].split(":")[0]
        arn = self.definition(family, revision=int(task["taskDefinitionArn"].rsplit(":", 1)[-1]))
        started = self.ecs.run_task(taskDefinition=arn, launchType="FARGATE", networkConfiguration=self.network(count=1))
        self.cloud.advance(120)
        return self.ecs.stop_task(task=started["tasks"][0]["taskArn"])

    def op_DescribeTasks(self, req, resp):
        tasks = resp["tasks"]
        cluster = req.get("cluster", "default")
        self.cluster(cluster)
        task = tasks[0]
        family = task["taskDefinitionArn"].rsplit("/", 1)[-1].split(":")[0]
        image = task["containers"][0]["image"]
        if "ecr" in image:
            image = "nginx:latest"   # an ECR image would have to exist in (moto's) ECR
        if task["lastStatus"] == "STOPPED":
            exit_code = task["containers"][0].get("exitCode", 1)
            self.cloud.catalog.add(image, exits_after=30, exit_code=exit_code)
        containers = [{"name": c["name"], "image": image, "portMappings": [{"containerPort": 8080}], **sizes(c)}
                      for c in task["containers"]]
        size = {"cpu": task["cpu"], "memory": task["memory"]} if task.get("launchType") == "FARGATE" else {}
        self.definition(family, containers, **size)
        service = task["group"].split(":", 1)[1]
        self.ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=family, desiredCount=len(tasks),
                                launchType="FARGATE", networkConfiguration=self.network(count=1),
                                enableExecuteCommand=task.get("enableExecuteCommand", False))
        if task["lastStatus"] == "STOPPED":
            for _ in range(40):
                self.cloud.advance(10)
                stopped = self.ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="STOPPED")["taskArns"]
                if stopped and self.ecs.describe_tasks(cluster=cluster, tasks=stopped[:1])["tasks"][0]["lastStatus"] == "STOPPED":
                    return self.ecs.describe_tasks(cluster=cluster, tasks=stopped[:1])
            raise AssertionError("no task stopped")
        self.steady(300)
        arns = self.ecs.list_tasks(cluster=cluster, serviceName=service)["taskArns"]
        return self.ecs.describe_tasks(cluster=cluster, tasks=arns)

    def op_ListTasks(self, req, resp):
        self.cluster(req.get("cluster", "default"))
        arn = self.definition("sleep360")
        self.ecs.run_task(cluster=req.get("cluster", "default"), taskDefinition=arn, count=len(resp["taskArns"]),
                          launchType="FARGATE", networkConfiguration=self.network(count=1))
        return self.ecs.list_tasks(**req)

    def _deployed_service(self, config: dict | None = None) -> tuple[str, str]:
        self.cluster("example-cluster")
        self.definition("webserver")
        params = {"cluster": "example-cluster", "serviceName": "example-service", "taskDefinition": "webserver",
                  "desiredCount": 1, "launchType": "FARGATE", "networkConfiguration": self.network()}
        if config:
            params["deploymentConfiguration"] = config
        arn = self.ecs.create_service(**params)["service"]["serviceArn"]
        self.steady()
        return "example-cluster", arn

    def op_ListServiceDeployments(self, req, resp):
        cluster, arn = self._deployed_service()
        return self.ecs.list_service_deployments(cluster=cluster, service=arn)

    def op_DescribeServiceDeployments(self, req, resp):
        config = {k: v for k, v in resp["serviceDeployments"][0]["deploymentConfiguration"].items()
                  if k in ("deploymentCircuitBreaker", "maximumPercent", "minimumHealthyPercent")}
        cluster, arn = self._deployed_service(config)
        listed = self.ecs.list_service_deployments(cluster=cluster, service=arn)["serviceDeployments"]
        return self.ecs.describe_service_deployments(serviceDeploymentArns=[listed[0]["serviceDeploymentArn"]])

    def op_DescribeServiceRevisions(self, req, resp):
        cluster, arn = self._deployed_service()
        self.ecs.describe_services(cluster=cluster, services=[arn])   # as the recorded client did first
        deps = self.ecs.list_service_deployments(cluster=cluster, service=arn)["serviceDeployments"]
        return self.ecs.describe_service_revisions(serviceRevisionArns=[deps[0]["targetServiceRevisionArn"]])


def sizes(container: dict) -> dict:
    """A recorded container's cpu/memory/memoryReservation, as task definition values."""
    out = {k: int(container[k]) for k in ("cpu", "memory", "memoryReservation")
           if str(container.get(k, "")).isdigit() and (k != "cpu" or int(container[k]) > 0)}
    return out


def strip_metadata(resp: dict) -> dict:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


def is_recent(rec: dict) -> bool:
    return rec["date"] >= "2025"


RESULTS: dict[str, tuple[int, int, list[str], bool]] = {}


@pytest.mark.parametrize("path", RECORDINGS, ids=[p.stem for p in RECORDINGS])
def test_recording_replays(cloud, path):
    rec = json.loads(path.read_text())
    assert {"source", "date", "operation", "request", "response", "notes"} <= set(rec)
    local = strip_metadata(Replay(cloud, rec).run())
    matched, total, diffs = compare(path.stem, rec["response"], local)
    RESULTS[path.stem] = (matched, total, diffs, is_recent(rec))
    if is_recent(rec):
        assert not diffs, f"{path.stem}: differs from AWS's recording:\n" + "\n".join(diffs)


def test_corpus_match_figure():
    """The figures over every recording (computed from test_recording_replays' results)."""
    rows, recent, older = [], [0, 0], [0, 0]
    results = RESULTS
    for path in RECORDINGS:   # run alone (or after a deselection): replay what is missing here
        if path.stem not in results:
            rec = json.loads(path.read_text())
            made = local_cloud.start(seed=0)
            try:
                answer = strip_metadata(Replay(made, rec).run())
            finally:
                made.stop()
            matched, total, diffs = compare(path.stem, rec["response"], answer)
            results[path.stem] = (matched, total, diffs, is_recent(rec))
    for name, (matched, total, diffs, new) in sorted(results.items()):
        bucket = recent if new else older
        bucket[0] += matched
        bucket[1] += total
        rows.append(f"{name:42s} {'2025-26' if new else 'older  '} {matched:4d}/{total:<4d} {100 * matched / max(total, 1):6.1f} %")
        rows.extend(f"    {d}" for d in diffs)
    overall = (recent[0] + older[0]) / max(recent[1] + older[1], 1) * 100
    pct_recent = recent[0] / max(recent[1], 1) * 100
    pct_older = older[0] / max(older[1], 1) * 100
    print("\n".join(rows))
    print(f"\nkey paths matched: overall {overall:.1f} % ({recent[0] + older[0]}/{recent[1] + older[1]}), "
          f"2025-26 {pct_recent:.1f} % ({recent[0]}/{recent[1]}), older {pct_older:.1f} % ({older[0]}/{older[1]})")
    assert pct_recent == 100.0
    assert pct_older >= OLDER_THRESHOLD
