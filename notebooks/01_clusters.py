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
# # 01 · Clusters: containers without servers
#
# **Objectives**
# - say what Fargate takes off your hands, and what the four ECS words mean,
# - create a cluster and its network the way the talk did (`ecs-cli configure`, `ecs-cli up`), with the
#   `fargate_lab.ops` library,
# - look at the cluster, the VPC and its subnets with plain boto3.

# %% [markdown] slideshow={"slide_type": "notes"}
# Talk: "ECS Fargate: containers without servers". Fargate runs Docker containers without you owning EC2
# instances: AWS keeps the servers out of sight. With the CLI, services are created from the
# docker-compose file.

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup()
print(lab)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Containers without servers
#
# - **Without Fargate**, ECS places containers on EC2 instances that you run: you choose instance types,
#   patch them, scale the fleet and pack tasks onto it.
# - **With Fargate**, each task gets compute sized for it alone. You state the task's CPU and memory; AWS
#   finds the capacity, starts the containers, and bills that size by the second.
# - Every Fargate task gets its own network interface (the `awsvpc` network mode) with a private IP address
#   in one of *your* subnets, so security groups apply per task.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Four words from the talk
#
# | ECS | what it is | the Docker analogy |
# |---|---|---|
# | **Cluster** | a named home for services and tasks; on Fargate it holds no servers | the Docker host |
# | **Task definition** | containers, images, ports, CPU and memory, versioned as revisions | `docker-compose.yml` |
# | **Task** | one running copy of a task definition | one `docker compose up` |
# | **Service** | keeps N tasks of a task definition running, replaces failed ones, rolls out new revisions, registers tasks with a load balancer | `up --scale web=N` plus a supervisor |
#
# This notebook is about the first word; `02` to `04` take the others.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## What a cluster is on Fargate
#
# - A **logical boundary**: a name, an ARN, a few settings, and the capacity providers it may use
#   (`FARGATE`, `FARGATE_SPOT`). Creating one is quick and costs nothing.
# - It does **not** contain a network. Tasks run in subnets you name each time you start them, so a cluster
#   is only useful together with a VPC that has subnets and a way to the internet (to pull images).
# - That is why the talk's `ecs-cli up` made more than a cluster: a CloudFormation stack with a VPC, two
#   public subnets in two availability zones, an internet gateway and a route table.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The talk's two commands
#
# ```
# $ ecs-cli configure --region us-east-1 --default-launch-type FARGATE
# $ ecs-cli up
# ```
#
# - `configure` saves settings (cluster name, region, launch type) so later commands need no flags.
# - `up` creates the cluster and its network.
#
# fargate-lab has the same commands (`fargate-lab configure ...`, `fargate-lab up`, add `--backend aws` for
# AWS). In a notebook they are functions of `fargate_lab.ops`, taking a boto3 session.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
import os
import tempfile
from pathlib import Path

from fargate_lab import ops

# The CLI keeps its settings in ~/.config/fargate-lab/config.yml; this notebook uses a scratch file
# (removed when the kernel stops).
scratch = tempfile.TemporaryDirectory(prefix="lesson-01-")
os.environ["FARGATE_LAB_CONFIG"] = str(Path(scratch.name) / "config.yml")

ops.configure(cluster="fargate-lab", region="us-east-1", default_launch_type="FARGATE")
print(Path(os.environ["FARGATE_LAB_CONFIG"]).read_text())

# %% [markdown] slideshow={"slide_type": "fragment"}
# Later commands resolve their settings from flags, then environment variables (`AWS_REGION`,
# `ECS_CLUSTER`), then this file, then defaults:

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
settings = ops.resolve()
CLUSTER = settings.cluster
print(f"cluster={settings.cluster} launch type={settings.launch_type} (from config {settings.config_name!r})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## `up`
#
# The same call works on the local cloud and on AWS: it creates the cluster (tagged as fargate-lab's), the
# task execution role if it is missing, and the network stack. It is safe to re-run.

# %% slideshow={"slide_type": "fragment"}
result = ops.up(lab.session, CLUSTER)

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
print("created:", ", ".join(sorted(line.split(":")[0] for line in result.created)))
again = ops.up(lab.session, CLUSTER, say=lambda line: None)
print("a second up created", len(again.created), "things")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The cluster, seen with boto3
#
# From here on everything is plain boto3, the same calls you would make against AWS.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
ecs = lab.client("ecs")

cluster = ecs.describe_clusters(clusters=[CLUSTER], include=["TAGS"])["clusters"][0]
print(cluster["clusterName"], cluster["status"])
print("registered EC2 instances:", cluster["registeredContainerInstancesCount"])
print("services:", cluster["activeServicesCount"], " running tasks:", cluster["runningTasksCount"])
print("tags:", ", ".join(sorted(f"{t['key']}={t['value']}" for t in cluster["tags"])))

# %% [markdown] slideshow={"slide_type": "fragment"}
# No instances, no services, no tasks: an empty Fargate cluster is just a name. The tags mark it as
# created by fargate-lab, which is how `down` (notebook 07) knows what it may delete.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The VPC and its subnets

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
ec2 = lab.client("ec2")
network = ops.network_for(lab.session, CLUSTER)      # the ids `up` made, read from its stack

vpc = ec2.describe_vpcs(VpcIds=[network.vpc_id])["Vpcs"][0]
print("VPC", vpc["CidrBlock"])
subnets = sorted(ec2.describe_subnets(SubnetIds=network.subnet_ids)["Subnets"], key=lambda s: s["CidrBlock"])
for subnet in subnets:
    print(f"  subnet {subnet['CidrBlock']:<13} in {subnet['AvailabilityZone']}, "
          f"public IP on launch: {subnet['MapPublicIpOnLaunch']}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# Two subnets in **two availability zones**: ECS spreads a service's tasks across them, and an Application
# Load Balancer needs at least two zones.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [network.vpc_id]}])["RouteTables"]
for table in tables:
    associated = [a for a in table.get("Associations", []) if a.get("SubnetId")]
    if not associated:
        continue   # the VPC's main table: no subnet of ours uses it
    routes = sorted(f"{r['DestinationCidrBlock']} -> {r['GatewayId'].split('-')[0]}"
                    for r in table["Routes"] if r.get("DestinationCidrBlock"))
    print(f"route table used by {len(associated)} subnets:", "; ".join(routes))

group = ec2.describe_security_groups(GroupIds=network.security_group_ids)["SecurityGroups"][0]
for rule in group["IpPermissions"]:
    sources = ", ".join(r["CidrIp"] for r in rule.get("IpRanges", []))
    print(f"security group allows {rule['IpProtocol']} {rule['FromPort']}-{rule['ToPort']} from {sources}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# `0.0.0.0/0 -> igw` makes the subnets **public**: a task with a public IP can reach Docker Hub or ECR to
# pull its image. (Private subnets would need a NAT gateway or VPC endpoints instead.) The security group
# lets web traffic in on port 80.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
cloudformation = lab.client("cloudformation")
stack = result.stack_name
resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
print(stack, "holds:")
for kind in sorted({r["ResourceType"] for r in resources}):
    print(f"  {sum(r['ResourceType'] == kind for r in resources)} x {kind}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# - **Timing**: `up` waits for CloudFormation, usually one to two minutes. The cluster itself is ready at once.
# - **Cost**: clusters, VPCs, subnets, route tables, internet gateways and security groups are free.
#   Charges start with tasks (02), load balancers (04) and public IPv4 addresses (one per task here).
# - **IAM**: `ecs:CreateCluster`, `cloudformation:*Stack*`, the EC2 VPC calls, and
#   `iam:CreateRole`/`iam:AttachRolePolicy` for the execution role (skipped when it exists).
# - **Quotas**: five VPCs per region by default, so clean up clusters you no longer need (`08_cleanup`).
# - Already have a VPC? `ops.up(session, CLUSTER, vpc="vpc-...", subnets=["subnet-...", "subnet-..."])`
#   uses yours and only adds the security group.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import exercises

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** With boto3, find the availability zones of the cluster's subnets. Put them in `zones` as a
# sorted list of names.

# %% slideshow={"slide_type": "skip"}
zones = ...   # hint: ec2.describe_subnets(SubnetIds=network.subnet_ids)

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.cluster_zones(zones, lab, CLUSTER)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# zones = sorted(s["AvailabilityZone"] for s in ec2.describe_subnets(SubnetIds=network.subnet_ids)["Subnets"])
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** Clusters are cheap. Create a second one called `staging` with plain boto3 (no network
# needed for this exercise) and put its `status` in `staging_status`.

# %% slideshow={"slide_type": "skip"}
staging_status = ...   # hint: ecs.create_cluster(clusterName=...)["cluster"]["status"]

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.staging_status(staging_status, lab)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# staging_status = ecs.create_cluster(clusterName="staging")["cluster"]["status"]
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - Fargate removes the servers: you size each **task**, AWS runs it with its own network interface.
# - On Fargate a **cluster** is a free, logical grouping; the **network** (VPC, subnets in two zones, an
#   internet gateway, a security group) is what tasks actually need.
# - `ecs-cli configure` + `ecs-cli up` map to `ops.configure()` + `ops.up(session, cluster)`; afterwards,
#   plain boto3 (`describe_clusters`, `describe_subnets`, ...) shows what was made.
#
# Next: **`02_task_definitions.ipynb`**, what runs in the cluster.
