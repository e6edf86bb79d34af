# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "slide"}
# # 08 · Cleanup: down, prove it, and count the cost
#
# **Objectives**
# - tear down what the course creates, in the right order, with `ops.down` (the talk's `ecs-cli down`),
# - prove that nothing is left, by looking for fargate-lab's ownership tags in every service,
# - estimate what the session's tasks would have cost on AWS.

# %% [markdown] slideshow={"slide_type": "notes"}
# The bill on AWS comes from what is left running. Cleanup is part of the lesson, not an afterthought.

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup(random_seed=0)   # moto draws EC2 ids and task IP addresses from `random`: every run is the same
print(lab)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Something to clean up
#
# On the local cloud this notebook starts fresh, so it first builds a small version of the course: the
# cluster and network (01), the talk's service behind a load balancer (04), and one standalone task (03).
# On AWS, skip the next cell if the earlier notebooks left things behind: `down` will find them.

# %% slideshow={"slide_type": "fragment"}
from fargate_lab import ops
from fargate_lab.ops import services
from fargate_lab.ops.services import ServiceOptions
from fargate_lab.teach import talk_folder

CLUSTER, SERVICE = "fargate-lab", "my-application"
TALK = talk_folder()
waits = {"sleep": lab.sleep, "clock": lab.now, "poll_seconds": 5}
ecs = lab.client("ecs")

ops.up(lab.session, CLUSTER, say=lambda line: None)
services.service_up(lab.session, CLUSTER, SERVICE, [str(TALK / "docker-compose.yml")], str(TALK / "ecs-params.yml"),
                    options=ServiceOptions(desired_count=2, create_load_balancer=True, create_log_groups=True),
                    say=lambda line: None, **waits)
network = ops.network_for(lab.session, CLUSTER)
job = ecs.register_task_definition(
    family="lesson-08-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
    containerDefinitions=[{"name": "web", "image": "fargatelab/web:v1", "portMappings": [{"containerPort": 80}]}],
)["taskDefinition"]["taskDefinitionArn"]
standalone = ecs.run_task(cluster=CLUSTER, taskDefinition=job, launchType="FARGATE", networkConfiguration={
    "awsvpcConfiguration": {"subnets": network.subnet_ids, "securityGroups": network.security_group_ids,
                            "assignPublicIp": "ENABLED"}})["tasks"][0]["taskArn"]
lab.sleep(600)     # let it all run for ten minutes of cloud time

# %% [markdown] slideshow={"slide_type": "slide"}
# ## An inventory by tag
#
# Everything the library creates carries two tags: `fargate-lab:managed=true` and
# `fargate-lab:cluster=<name>`. Each AWS service lists tags its own way, so the inventory asks each one.
# (The Resource Groups Tagging API can do this in one call on AWS, for the services it covers.)

# %% slideshow={"slide_type": "fragment"}
from botocore.exceptions import ClientError

from fargate_lab.ops.tags import ec2_filters, is_managed

def inventory(cluster):
    """What fargate-lab made for `cluster` and still exists: {kind: count}."""
    ec2, elbv2, logs, iam = (lab.client(name) for name in ("ec2", "elbv2", "logs", "iam"))
    found = {}
    clusters = ecs.describe_clusters(clusters=[cluster], include=["TAGS"])["clusters"]
    found["ECS cluster"] = sum(c["status"] == "ACTIVE" and is_managed(c.get("tags"), cluster) for c in clusters)
    if found["ECS cluster"]:
        arns = ecs.list_services(cluster=cluster)["serviceArns"]
        found["ECS service"] = sum(is_managed(ecs.list_tags_for_resource(resourceArn=a)["tags"], cluster) for a in arns)
        running = ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"]
        found["ECS task (running)"] = len(running)
    for kind, call, key in (("VPC", ec2.describe_vpcs, "Vpcs"), ("subnet", ec2.describe_subnets, "Subnets"),
                            ("security group", ec2.describe_security_groups, "SecurityGroups"),
                            ("internet gateway", ec2.describe_internet_gateways, "InternetGateways"),
                            ("route table", ec2.describe_route_tables, "RouteTables")):
        found[kind] = len(call(Filters=ec2_filters(cluster))[key])
    balancers = [lb["LoadBalancerArn"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]]
    tagged = elbv2.describe_tags(ResourceArns=balancers)["TagDescriptions"] if balancers else []
    found["load balancer"] = sum(is_managed(t.get("Tags"), cluster) for t in tagged)
    groups = logs.describe_log_groups()["logGroups"]
    found["log group"] = sum(is_managed(logs.list_tags_for_resource(resourceArn=g["arn"].removesuffix(":*"))
                                        .get("tags"), cluster) for g in groups)
    try:
        role_tags = iam.list_role_tags(RoleName=ops.EXECUTION_ROLE)["Tags"]
        found["IAM role"] = int(is_managed(role_tags))
    except ClientError:
        found["IAM role"] = 0
    stack = ops.stack_name(cluster)
    try:
        status = lab.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        found["CloudFormation stack"] = int(status != "DELETE_COMPLETE")
    except ClientError:
        found["CloudFormation stack"] = 0
    return found


# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
before = inventory(CLUSTER)
for kind, count in before.items():
    print(f"{count:>2} x {kind}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What did it cost?
#
# Fargate bills each task from the start of its image pull until it stops, per second, with a one-minute
# minimum, at its task definition's size. The tasks' own timestamps give the durations; `estimate_cost` turns
# them into dollars. (Do this **before** `down`: once the cluster is gone, its tasks cannot be described.)

# %% slideshow={"slide_type": "fragment"}
from fargate_lab.ops.cost import estimate_cost

now = lab.now()
arns = [a for status in ("RUNNING", "STOPPED") for a in ecs.list_tasks(cluster=CLUSTER, desiredStatus=status)["taskArns"]]
tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"]
sizes, total, task_hours = {}, 0.0, 0.0
for task in tasks:
    start = task.get("pullStartedAt")
    if start is None:
        continue                                        # never got as far as pulling: not billed
    end = task["stoppedAt"].timestamp() if task.get("stoppedAt") else now
    hours = (end - start.timestamp()) / 3600
    definition = sizes.setdefault(task["taskDefinitionArn"], ecs.describe_task_definition(
        taskDefinition=task["taskDefinitionArn"])["taskDefinition"])
    total += estimate_cost(definition, count=1, hours=hours).total
    task_hours += hours
print(f"{len(tasks)} tasks, {task_hours * 60:.0f} task-minutes in all")
print(f"on AWS (us-east-1, Fargate only): about ${total:.3f}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Cents. What costs real money is what keeps running: a forgotten service of four such tasks is about
# $70 a month, and its load balancer about $16 more before any traffic.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## `down`
#
# The talk's `ecs-cli down` removed the cluster and its CloudFormation stack. fargate-lab's `down` works in
# dependency order and deletes **only what carries its tags**:
#
# 1. services (scaled to 0, deleted, waited for) and its own standalone tasks, then the cluster;
# 2. the stack's network: security group, route table, internet gateway, subnets, VPC;
# 3. tagged log groups, and the execution role if no other fargate-lab cluster uses it.
#
# A load balancer sits in the subnets and would keep the VPC alive, so it goes first (the CLI's `down` does
# the same two calls).

# %% slideshow={"slide_type": "fragment"}
import warnings

warnings.filterwarnings("ignore", module="moto")   # the local cloud's own notes on its error replies
removed_with_balancers = services.delete_cluster_load_balancers(lab.session, CLUSTER, timeout_minutes=30,
                                                                say=print, **waits)
try:
    result = ops.down(lab.session, CLUSTER)
except ops.OpsError as refusal:
    print("down refused:", refusal)

# %% [markdown] slideshow={"slide_type": "fragment"}
# `down` found the standalone task we started with plain boto3: it has no fargate-lab tags, so as far as
# `down` knows it is someone else's, and it will not delete a cluster with someone else's work in it. It is
# ours, so stop it (or tag what you start: `run_task(..., tags=ops.tags.for_ecs(CLUSTER))`) and go again.

# %% slideshow={"slide_type": "fragment"}
ecs.stop_task(cluster=CLUSTER, task=standalone, reason="cleanup (lesson 08)")
ecs.get_waiter("tasks_stopped").wait(cluster=CLUSTER, tasks=[standalone])
result = ops.down(lab.session, CLUSTER)

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
print("with the load balancers:", ", ".join(removed_with_balancers))
print("down:", len(result.network), "network resources,", len(result.log_groups), "log group,",
      "the cluster" if result.cluster_arn else "no cluster", "and", "the role" if result.execution_role else "no role")
print("left alone:", result.kept or "nothing")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Prove it

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
after = inventory(CLUSTER)
left = {kind: count for kind, count in after.items() if count}
print("left behind:", left or "nothing")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Task definitions are not in the list: they cost nothing and `down` leaves them (they are history). You can
# deregister them, and then delete them, as the exercise shows.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# - Run this notebook (or `fargate-lab down --backend aws --cluster fargate-lab`) at the end of a session.
#   `down` takes a few minutes: services drain (300 s deregistration delay), then CloudFormation deletes
#   the network.
# - Check the console's **Billing → Cost Explorer** a day later; Fargate, load balancers, public IPv4
#   addresses and CloudWatch Logs appear there.
# - ECR repositories (06) and Secrets Manager secrets (05) are not tagged by the library: delete them in
#   those notebooks' cleanup cells or by hand.
# - IAM: the same permissions as creating them, with `Delete*` instead of `Create*`.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import exercises

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** Leave nothing behind: deregister every ACTIVE revision of the families this notebook
# registered (`my-application` and `lesson-08-web`) with `ecs.deregister_task_definition`. Put the number of
# revisions you deregistered in `deregistered`.

# %% slideshow={"slide_type": "skip"}
deregistered = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.deregistered(deregistered, lab)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# deregistered = 0
# for family in ("my-application", "lesson-08-web"):
#     for arn in ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]:
#         ecs.deregister_task_definition(taskDefinition=arn)
#         deregistered += 1
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** The same session with the talk's size changed to 1 vCPU and 2 GB: how much would the
# tasks have cost? Reuse the loop above with `estimate_cost({"cpu": "1024", "memory": "2048"}, ...)` and put
# the dollars in `bigger_total`.

# %% slideshow={"slide_type": "skip"}
bigger_total = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.bigger_total(bigger_total, tasks, now)   # the tasks and the clock of the cost cell above

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# bigger_total = 0.0
# for task in tasks:
#     if task.get("pullStartedAt") is None:
#         continue
#     end = task["stoppedAt"].timestamp() if task.get("stoppedAt") else now
#     hours = (end - task["pullStartedAt"].timestamp()) / 3600
#     bigger_total += estimate_cost({"cpu": "1024", "memory": "2048"}, hours=hours).total
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - `down` removes, in dependency order, only resources tagged as fargate-lab's: services and tasks, the
#   cluster, the network stack, log groups, the execution role; load balancers first.
# - An inventory by tag proves nothing is left; task definitions stay unless you deregister them.
# - Fargate cost = per-second task time × (vCPU price + GB price), one-minute minimum; the session's
#   tasks cost cents, forgotten ones cost every hour.
#
# That is the course: clusters, task definitions, tasks, services, environments, rolling deployments, and
# cleaning up. The same cells run against AWS with `FARGATE_LAB_MODE=aws`.
