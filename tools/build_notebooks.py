"""Build notebooks/NN_*.ipynb from the sources in this file (nbformat 4, kernelspec python3).

    python tools/build_notebooks.py            # write every notebook, run it, keep checked outputs
    python tools/build_notebooks.py 06 03      # only these
    python tools/build_notebooks.py --no-run   # structure only (checked cells keep no output)

A source is a string of cells.  A line `#%% md <slide_type>` or `#%% code <slide_type>`
starts a cell; slide_type is one of slide, subslide, fragment, skip, notes, - (default -).
After writing, each notebook is executed once on the virtual clock (nbclient), and only
the cells marked `# NBVAL_CHECK_OUTPUT` keep their outputs and execution counts, so nbval
compares exactly those.  The generated .ipynb files are committed; edit here, then rebuild.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHECK = "# NBVAL_CHECK_OUTPUT"
SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
MARKER = re.compile(r"^#%% (md|code)(?: (\S+))?\s*$")
METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python", "pygments_lexer": "ipython3"},
}


def cells_of(source: str) -> list:
    cells, kind, slide, lines = [], None, "-", []

    def flush():
        if kind is None:
            return
        text = "\n".join(lines).strip("\n")
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell.metadata["slideshow"] = {"slide_type": slide}
        cells.append(cell)

    for line in source.splitlines():
        found = MARKER.match(line)
        if found:
            flush()
            kind, slide, lines = found.group(1), found.group(2) or "-", []
            if slide not in SLIDE_TYPES:
                raise ValueError(f"unknown slide type {slide!r} in {line!r}")
        else:
            lines.append(line)
    flush()
    return cells


CHECK_HELPER = '''def check(answer, is_right, hint, well_done="Well done!"):
    """A kind self-check: `...` means not tried yet; it never raises."""
    if answer is ...:
        print(f"Not tried yet. Hint: {hint}")
        return
    try:
        right = is_right(answer)
    except Exception as error:
        right, hint = False, f"{hint} (checking it raised {type(error).__name__}: {error})"
    print(well_done if right else f"Not quite yet. Hint: {hint}")'''


def notebook_of(source: str):
    source = source.replace("#@check-helper", CHECK_HELPER)
    nb = new_notebook(cells=cells_of(source), metadata=dict(METADATA))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{i:02d}"   # stable ids: rebuilding gives the same file
    return nb


def keep_checked_outputs(nb, executed=None) -> None:
    """Outputs only where nbval compares them: cells marked NBVAL_CHECK_OUTPUT."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ran = executed.cells[i] if executed is not None else None
        if ran is not None and CHECK in cell.source:
            cell.outputs = [o for o in ran.outputs if not (o.output_type == "stream" and o.name == "stderr")]
            cell.execution_count = ran.execution_count
        else:
            cell.outputs, cell.execution_count = [], None


def run(nb, name: str):
    from nbclient import NotebookClient
    os.environ["FARGATE_LAB_MODE"] = "virtual"   # checked outputs come from the virtual clock
    copy = nbformat.from_dict(nb)
    NotebookClient(copy, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return copy


def build(names: list[str], execute: bool = True) -> None:
    for name, source in SOURCES.items():
        if names and not any(name.startswith(n) for n in names):
            continue
        nb = notebook_of(source)
        keep_checked_outputs(nb, run(nb, name) if execute else None)
        nbformat.validate(nb)
        nbformat.write(nb, NOTEBOOKS / name)
        print(f"wrote notebooks/{name}")


SOURCES: dict[str, str] = {}


# =========================================================================================
SOURCES["00_welcome.ipynb"] = r'''
#%% md slide
# ECS on Fargate, hands-on: welcome

*Containers without servers*: this course grows out of a talk about running a PHP application on
Amazon ECS with Fargate, deploying it from a build server, and letting ECS roll new versions out.
Every notebook runs against an **embedded local cloud**: no AWS account, no Docker, no bill.

**In this notebook you will**
- pick how the course runs (one setting) and start the local cloud,
- check that everything answers,
- see what it would take, and cost, to run the same notebooks on AWS.

#%% md subslide
## The course

| notebook | you will |
|---|---|
| `01_clusters` | create a cluster and its network, as `ecs-cli configure` / `ecs-cli up` did in the talk |
| `02_task_definitions` | turn the talk's docker-compose file into a task definition; sizes, cost, revisions |
| `03_tasks` | run a task, follow its lifecycle, read its logs, make it fail on purpose, stop it |
| `04_services` | keep N tasks running: self-healing, scaling, service events, a load balancer |
| `05_environments` | one image, many environments: variables, PHP's opcache switch, secrets |
| `06_rolling_deploy` | the talk's pipeline: build, test, push, deploy; live plots, the circuit breaker |
| `07_cleanup` | tear it all down, prove nothing is left, and see what it would have cost |

Each notebook stands alone: run it top to bottom in any order.

#%% md subslide
## How the local cloud works

- Your code is **plain boto3** (or the small `fargate_lab.ops` library that does what `ecs-cli` did).
  The same cells run unchanged against AWS.
- ECS is answered by fargate-lab's own engine: tasks go through their real lifecycle, services replace
  failed tasks, deployments roll and the circuit breaker trips. EC2, load balancers, logs, IAM, ECR,
  Secrets Manager and SSM are answered by [moto](https://github.com/getmoto/moto).
- Containers cannot actually run here, so a catalog of **demo images** says what each image does:
  `fargatelab/web:v1` is a healthy web server, `:crash` exits with code 1, `:missing` does not exist, ...
- Time is **virtual** by default: it moves only when a notebook waits, so a ten-minute rollout takes a
  fraction of a second and gives the same result every time.

#%% md subslide
## The one setting: `FARGATE_LAB_MODE`

| mode | what runs | time | for |
|---|---|---|---|
| `virtual` (default) | the local cloud | moves only when a cell waits | learning, CI: every notebook runs in seconds |
| `real` | the local cloud | wall clock, `FARGATE_LAB_SPEED` times faster than AWS (default 10) | presenting: a rolling deploy takes 30–60 s on stage |
| `aws` | your AWS account | real time | trying it for real (it costs money, see below) |

Set it in the shell before starting Jupyter (`FARGATE_LAB_MODE=real jupyter lab`), or uncomment the line
in the next cell. Every notebook starts with the same call, `setup()`.

#%% code fragment
# NBVAL_CHECK_OUTPUT
# The one setting: FARGATE_LAB_MODE = "virtual" (default) | "real" | "aws"
# import os; os.environ["FARGATE_LAB_MODE"] = "real"; os.environ["FARGATE_LAB_SPEED"] = "10"
from fargate_lab.teach import setup

lab = setup()      # starts the local cloud (virtual/real) or nothing at all (aws)
print(lab)

#%% md subslide
## Setup check

Versions first (useful when you ask for help), then a call to two services to prove the cloud answers.

#%% code skip
import importlib.metadata as metadata
import platform

print(f"{'python':<12} {platform.python_version()}")
for name in ("fargate-lab", "boto3", "botocore", "moto", "matplotlib", "ipywidgets"):
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        version = "not installed (pip install -e '.[notebooks]')"
    print(f"{name:<12} {version}")

#%% code fragment
# NBVAL_CHECK_OUTPUT
sts = lab.client("sts")
ecs = lab.client("ecs")

identity = sts.get_caller_identity()
clusters = ecs.list_clusters()["clusterArns"]
print("STS answers: account", identity["Account"])
print(f"ECS answers: {len(clusters)} clusters in {ecs.meta.region_name}")

#%% md fragment
`lab.client(...)` is a boto3 client from the lab's session. On the local cloud the account is moto's
`123456789012`. In `aws` mode the same two calls show your account and its clusters.

#%% md subslide
## Cloud time

Notebooks never call `time.sleep`. They call `lab.sleep(seconds)` with **cloud** seconds, and each mode does
the right thing: instantly (virtual), `seconds / FARGATE_LAB_SPEED` of wall time (real), or a real sleep (aws).

#%% code fragment
# NBVAL_CHECK_OUTPUT
before = lab.now()
lab.sleep(90)
print(f"{lab.now() - before:.0f} s of cloud time passed")

#%% md slide
## On real AWS

**Switching.** Configure credentials as for the AWS CLI (`aws configure`, `AWS_PROFILE`, or SSO), choose a
region (`AWS_REGION=us-east-1`), then start Jupyter with `FARGATE_LAB_MODE=aws`. Use a sandbox account:
the notebooks create and delete clusters, VPCs, load balancers, IAM roles and log groups.

**Permissions.** The identity needs ECS, EC2 (VPC, subnets, security groups), CloudFormation, Elastic Load
Balancing, CloudWatch Logs, ECR, IAM (create a role and `iam:PassRole` it to ECS), and for notebook 05
Secrets Manager and SSM.

**Timing.** Real minutes instead of virtual ones: a task takes roughly 20–60 s to reach RUNNING, and a
rolling deployment behind a load balancer takes several minutes, mostly the load balancer's 300 s
deregistration delay.

**Cost.** Fargate bills per second, with a one-minute minimum per task, from the moment the image pull
starts until the task stops: a price per vCPU-hour plus a price per GB-hour of memory. The cell below uses
the price table shipped with fargate-lab (dated; check the pricing page before relying on it).

#%% code fragment
from fargate_lab.ops.cost import estimate_cost

talk_size = {"family": "my-application", "cpu": "512", "memory": "1024"}   # 0.5 vCPU, 1 GB
estimate = estimate_cost(talk_size, count=4, hours=1, region="us-east-1")
print("\n".join(estimate.lines()))

#%% md fragment
Fargate is rarely the whole bill. An Application Load Balancer costs about $0.02 per hour plus
capacity units, each public IPv4 address about $0.005 per hour, and logs and images are billed per GB
(CloudWatch Logs ingestion, ECR storage). Each notebook ends by removing what would keep billing
(services, load balancers, secrets, the ECR repository), and `07_cleanup` removes the cluster and its
network (or run `fargate-lab down --backend aws`).

#%% md subslide
## Exercises

Each exercise has a cell for your answer and a self-check cell. The answer starts as `...`: the check then
just gives you a hint. Replace `...`, run both cells, and the check tells you how you did.

#%% code skip
#@check-helper

#%% md skip
**Exercise 1.** What would the talk's four tasks (0.5 vCPU, 1 GB each) cost for an 8-hour working day in
us-east-1? Use `estimate_cost` and put the dollar amount (a number) in `day_cost`.

#%% code skip
day_cost = ...   # e.g. estimate_cost(talk_size, count=..., hours=...).total

#%% code skip
# NBVAL_CHECK_OUTPUT
check(day_cost,
      lambda answer: abs(answer - estimate_cost(talk_size, count=4, hours=8).total) < 0.001,
      "count is the number of tasks, hours how long each runs; read `.total`",
      well_done="Well done: that is a working day of the talk's service, Fargate only.")

#%% md skip
<details><summary>A solution</summary>

```python
day_cost = estimate_cost(talk_size, count=4, hours=8).total
```
</details>

#%% md skip
**Exercise 2.** You are presenting this course on stage and want a rollout to take about a minute of
wall time. Which mode do you set? Put its name (a string) in `stage_mode`.

#%% code skip
stage_mode = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
check(stage_mode, lambda answer: str(answer).strip().lower() == "real",
      "the mode that follows the wall clock, but faster than AWS (see the table above)",
      well_done="Yes: FARGATE_LAB_MODE=real, and FARGATE_LAB_SPEED sets how much faster than AWS.")

#%% md skip
<details><summary>A solution</summary>

```python
stage_mode = "real"
```
</details>

#%% md slide
## Recap

- One setting, `FARGATE_LAB_MODE`, decides where ECS lives: `virtual` (default), `real` or `aws`.
- Every notebook begins with `lab = setup()` and uses `lab.client(...)`, `lab.sleep(...)`, `lab.now()`.
- The code is plain boto3 or `fargate_lab.ops`: it runs unchanged on AWS, where Fargate bills per second
  (one-minute minimum) for vCPU and memory, and load balancers, addresses and logs cost extra.

Next: **`01_clusters.ipynb`**, the talk's first two commands.
'''


# =========================================================================================
SOURCES["01_clusters.ipynb"] = r'''
#%% md slide
# 01 · Clusters: containers without servers

**Objectives**
- say what Fargate takes off your hands, and what the four ECS words mean,
- create a cluster and its network the way the talk did (`ecs-cli configure`, `ecs-cli up`), with the
  `fargate_lab.ops` library,
- look at the cluster, the VPC and its subnets with plain boto3.

#%% md notes
Talk: "ECS Fargate: containers without servers". Fargate runs Docker containers without you owning EC2
instances: AWS keeps the servers out of sight. With the CLI, services are created from the
docker-compose file.

#%% code skip
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup()
print(lab)

#%% md slide
## Containers without servers

- **Without Fargate**, ECS places containers on EC2 instances that you run: you choose instance types,
  patch them, scale the fleet and pack tasks onto it.
- **With Fargate**, each task gets compute sized for it alone. You state the task's CPU and memory; AWS
  finds the capacity, starts the containers, and bills that size by the second.
- Every Fargate task gets its own network interface (the `awsvpc` network mode) with a private IP address
  in one of *your* subnets, so security groups apply per task.

#%% md subslide
## Four words from the talk

| ECS | what it is | the Docker analogy |
|---|---|---|
| **Cluster** | a named home for services and tasks; on Fargate it holds no servers | the Docker host |
| **Task definition** | containers, images, ports, CPU and memory, versioned as revisions | `docker-compose.yml` |
| **Task** | one running copy of a task definition | one `docker compose up` |
| **Service** | keeps N tasks of a task definition running, replaces failed ones, rolls out new revisions, registers tasks with a load balancer | `up --scale web=N` plus a supervisor |

This notebook is about the first word; `02` to `04` take the others.

#%% md subslide
## What a cluster is on Fargate

- A **logical boundary**: a name, an ARN, a few settings, and the capacity providers it may use
  (`FARGATE`, `FARGATE_SPOT`). Creating one is quick and costs nothing.
- It does **not** contain a network. Tasks run in subnets you name each time you start them, so a cluster
  is only useful together with a VPC that has subnets and a way to the internet (to pull images).
- That is why the talk's `ecs-cli up` made more than a cluster: a CloudFormation stack with a VPC, two
  public subnets in two availability zones, an internet gateway and a route table.

#%% md slide
## The talk's two commands

```
$ ecs-cli configure --region us-east-1 --default-launch-type FARGATE
$ ecs-cli up
```

- `configure` saves settings (cluster name, region, launch type) so later commands need no flags.
- `up` creates the cluster and its network.

fargate-lab has the same commands (`fargate-lab configure ...`, `fargate-lab up`, add `--backend aws` for
AWS). In a notebook they are functions of `fargate_lab.ops`, taking a boto3 session.

#%% code fragment
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

#%% md fragment
Later commands resolve their settings from flags, then environment variables (`AWS_REGION`,
`ECS_CLUSTER`), then this file, then defaults:

#%% code fragment
# NBVAL_CHECK_OUTPUT
settings = ops.resolve()
CLUSTER = settings.cluster
print(f"cluster={settings.cluster} launch type={settings.launch_type} (from config {settings.config_name!r})")

#%% md subslide
## `up`

The same call works on the local cloud and on AWS: it creates the cluster (tagged as fargate-lab's), the
task execution role if it is missing, and the network stack. It is safe to re-run.

#%% code fragment
result = ops.up(lab.session, CLUSTER)

#%% code fragment
# NBVAL_CHECK_OUTPUT
print("created:", ", ".join(sorted(line.split(":")[0] for line in result.created)))
again = ops.up(lab.session, CLUSTER, say=lambda line: None)
print("a second up created", len(again.created), "things")

#%% md subslide
## The cluster, seen with boto3

From here on everything is plain boto3, the same calls you would make against AWS.

#%% code fragment
# NBVAL_CHECK_OUTPUT
ecs = lab.client("ecs")

cluster = ecs.describe_clusters(clusters=[CLUSTER], include=["TAGS"])["clusters"][0]
print(cluster["clusterName"], cluster["status"])
print("registered EC2 instances:", cluster["registeredContainerInstancesCount"])
print("services:", cluster["activeServicesCount"], " running tasks:", cluster["runningTasksCount"])
print("tags:", ", ".join(sorted(f"{t['key']}={t['value']}" for t in cluster["tags"])))

#%% md fragment
No instances, no services, no tasks: an empty Fargate cluster is just a name. The tags mark it as
created by fargate-lab, which is how `down` (notebook 07) knows what it may delete.

#%% md subslide
## The VPC and its subnets

#%% code fragment
# NBVAL_CHECK_OUTPUT
ec2 = lab.client("ec2")
network = ops.network_for(lab.session, CLUSTER)      # the ids `up` made, read from its stack

vpc = ec2.describe_vpcs(VpcIds=[network.vpc_id])["Vpcs"][0]
print("VPC", vpc["CidrBlock"])
subnets = sorted(ec2.describe_subnets(SubnetIds=network.subnet_ids)["Subnets"], key=lambda s: s["CidrBlock"])
for subnet in subnets:
    print(f"  subnet {subnet['CidrBlock']:<13} in {subnet['AvailabilityZone']}, "
          f"public IP on launch: {subnet['MapPublicIpOnLaunch']}")

#%% md fragment
Two subnets in **two availability zones**: ECS spreads a service's tasks across them, and an Application
Load Balancer needs at least two zones.

#%% code fragment
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

#%% md fragment
`0.0.0.0/0 -> igw` makes the subnets **public**: a task with a public IP can reach Docker Hub or ECR to
pull its image. (Private subnets would need a NAT gateway or VPC endpoints instead.) The security group
lets web traffic in on port 80.

#%% code fragment
# NBVAL_CHECK_OUTPUT
cloudformation = lab.client("cloudformation")
stack = result.stack_name
resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
print(stack, "holds:")
for kind in sorted({r["ResourceType"] for r in resources}):
    print(f"  {sum(r['ResourceType'] == kind for r in resources)} x {kind}")

#%% md slide
## On real AWS

- **Timing**: `up` waits for CloudFormation, usually one to two minutes. The cluster itself is ready at once.
- **Cost**: clusters, VPCs, subnets, route tables, internet gateways and security groups are free.
  Charges start with tasks (02), load balancers (04) and public IPv4 addresses (one per task here).
- **IAM**: `ecs:CreateCluster`, `cloudformation:*Stack*`, the EC2 VPC calls, and
  `iam:CreateRole`/`iam:AttachRolePolicy` for the execution role (skipped when it exists).
- **Quotas**: five VPCs per region by default, so clean up clusters you no longer need (`07_cleanup`).
- Already have a VPC? `ops.up(session, CLUSTER, vpc="vpc-...", subnets=["subnet-...", "subnet-..."])`
  uses yours and only adds the security group.

#%% md subslide
## Exercises

#%% code skip
#@check-helper

#%% md skip
**Exercise 1.** With boto3, find the availability zones of the cluster's subnets. Put them in `zones` as a
sorted list of names.

#%% code skip
zones = ...   # hint: ec2.describe_subnets(SubnetIds=network.subnet_ids)

#%% code skip
# NBVAL_CHECK_OUTPUT
expected_zones = sorted(s["AvailabilityZone"] for s in
                        ec2.describe_subnets(SubnetIds=network.subnet_ids)["Subnets"])
check(zones, lambda answer: list(answer) == expected_zones,
      "one zone per subnet, e.g. ['us-east-1a', ...], sorted",
      well_done="Well done: two zones, so one zone can fail and the service keeps running.")

#%% md skip
<details><summary>A solution</summary>

```python
zones = sorted(s["AvailabilityZone"] for s in ec2.describe_subnets(SubnetIds=network.subnet_ids)["Subnets"])
```
</details>

#%% md skip
**Exercise 2.** Clusters are cheap. Create a second one called `staging` with plain boto3 (no network
needed for this exercise) and put its `status` in `staging_status`.

#%% code skip
staging_status = ...   # hint: ecs.create_cluster(clusterName=...)["cluster"]["status"]

#%% code skip
# NBVAL_CHECK_OUTPUT
def staging_is_active(answer):
    found = ecs.describe_clusters(clusters=["staging"])["clusters"]
    return answer == "ACTIVE" and bool(found) and found[0]["status"] == "ACTIVE"

check(staging_status, staging_is_active, "create_cluster returns the cluster; its status should be ACTIVE",
      well_done="Well done. It has no network of its own: tasks in it would use subnets you name.")

#%% md skip
<details><summary>A solution</summary>

```python
staging_status = ecs.create_cluster(clusterName="staging")["cluster"]["status"]
```
</details>

#%% md slide
## Recap

- Fargate removes the servers: you size each **task**, AWS runs it with its own network interface.
- On Fargate a **cluster** is a free, logical grouping; the **network** (VPC, subnets in two zones, an
  internet gateway, a security group) is what tasks actually need.
- `ecs-cli configure` + `ecs-cli up` map to `ops.configure()` + `ops.up(session, cluster)`; afterwards,
  plain boto3 (`describe_clusters`, `describe_subnets`, ...) shows what was made.

Next: **`02_task_definitions.ipynb`**, what runs in the cluster.
'''


# =========================================================================================
SOURCES["02_task_definitions.ipynb"] = r'''
#%% md slide
# 02 · Task definitions: the ECS version of a compose file

**Objectives**
- translate the talk's `docker-compose.yml` into a task definition and read its anatomy,
- pick a valid Fargate size and estimate what it costs,
- see the talk's pattern: one *application image* with the code, *service images* sharing it over a volume,
- understand revisions: when ECS makes a new one, and how to avoid needless ones.

#%% md notes
Talk: "Task Definition: the ECS version of a Docker Compose configuration." And from the speaker notes:
keep a single responsibility per image. The application image contains only the code, the service images
only the service and its configuration; the services share the code through a named volume, so a
deployment changes one image tag instead of three or four.

#%% code skip
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup()
print(lab)

#%% md slide
## The talk's compose file

`examples/talk/` holds the talk's application: an `app` image that only carries the code, plus stock
`php-fpm` and `nginx` images. `ecs-params.yml` adds what compose cannot say (task size, roles, network mode).

#%% code fragment
from pathlib import Path

TALK = next(p for p in (Path("../examples/talk"), Path("examples/talk")) if p.is_dir())
COMPOSE, PARAMS = TALK / "docker-compose.yml", TALK / "ecs-params.yml"
print(COMPOSE.read_text())

#%% md subslide
## Compose to task definition

`to_task_definition` only translates (no AWS call): the result is the keyword arguments of boto3's
`register_task_definition`. All compose services become containers of **one** task, as with `ecs-cli`.

#%% code fragment
# NBVAL_CHECK_OUTPUT
from fargate_lab.compose import to_task_definition

request = to_task_definition([str(COMPOSE)], str(PARAMS), project_name="my-application")

print(f"family {request['family']}: cpu {request['cpu']} units, memory {request['memory']} MiB, "
      f"network {request['networkMode']}, runs on {request['requiresCompatibilities']}")
print("execution role:", request["executionRoleArn"], "| volumes:", [v["name"] for v in request["volumes"]])
for c in request["containerDefinitions"]:
    ports = [m["containerPort"] for m in c.get("portMappings", [])]
    mounts = [f"{m['sourceVolume']}:{m['containerPath']}{':ro' if m['readOnly'] else ''}" for m in c["mountPoints"]]
    waits = [f"{d['containerName']} {d['condition']}" for d in c.get("dependsOn", [])]
    print(f"  {c['name']:<6} {c['image']:<20} essential={c['essential']!s:<5} ports={ports} mounts={mounts} "
          f"waits for={waits} logs={c['logConfiguration']['logDriver']}")

#%% md subslide
## Anatomy

| field | what it says |
|---|---|
| `family` + revision | the name; every registration adds revision 1, 2, 3 ... (`my-application:3`) |
| `containerDefinitions` | one per container: `image`, `essential`, `portMappings`, `environment`/`secrets`, `mountPoints`, `dependsOn`, `logConfiguration` |
| `cpu`, `memory` | the **task's** size; required on Fargate and billed |
| `networkMode: awsvpc` | the only mode on Fargate: one network interface per task, containers share `localhost` |
| `requiresCompatibilities` | `FARGATE`: ECS checks the definition against Fargate's rules |
| `executionRoleArn` | the role ECS itself uses to pull from ECR, write logs, fetch secrets |
| `taskRoleArn` | the role *your code* uses to call AWS (none here) |
| `volumes` | task storage the containers share (`code`) |

What the translation changed: `depends_on: service_completed_successfully` became `dependsOn ... SUCCESS`,
which ECS only allows on a **non-essential** container, so `app` is `essential=False` (it exits after
copying the code; the task keeps running). Ports keep host = container port, as `awsvpc` has no port mapping.

#%% code fragment
# NBVAL_CHECK_OUTPUT
ecs = lab.client("ecs")

registered = ecs.register_task_definition(**request)["taskDefinition"]
print(f"{registered['family']}:{registered['revision']} {registered['status']}, "
      f"compatible with {sorted(registered['compatibilities'])}")

#%% md slide
## Fargate sizes

On Fargate the task's `cpu` and `memory` must be one of the published pairs (Linux):

| cpu (units) | vCPU | memory (MiB) |
|---|---|---|
| 256 | 0.25 | 512, 1024, 2048 |
| 512 | 0.5 | 1024 to 4096, in 1024 steps |
| 1024 | 1 | 2048 to 8192, in 1024 steps |
| 2048 | 2 | 4096 to 16384, in 1024 steps |
| 4096 | 4 | 8192 to 30720, in 1024 steps |
| 8192 | 8 | 16384 to 61440, in 4096 steps |
| 16384 | 16 | 32768 to 122880, in 8192 steps |

Anything else is refused at registration:

#%% code fragment
# NBVAL_CHECK_OUTPUT
from botocore.exceptions import ClientError

too_much_memory = {**request, "cpu": "256", "memory": "4096"}
try:
    ecs.register_task_definition(**too_much_memory)
except ClientError as error:
    print(error.response["Error"]["Code"] + ":", error.response["Error"]["Message"])

#%% md subslide
## What a size costs

Fargate charges per vCPU-hour plus per GB-hour, per second with a one-minute minimum per task.
`estimate_cost` uses a dated price table shipped with fargate-lab:

#%% code fragment
from fargate_lab.ops.cost import estimate_cost

print(f"{'vCPU':>5} {'GB':>4} {'$ / task-hour':>14} {'$ / 30 days':>12}")
for cpu, memory in (("256", "512"), ("512", "1024"), ("1024", "2048"), ("2048", "4096"), ("4096", "8192")):
    hourly = estimate_cost({"family": "size", "cpu": cpu, "memory": memory}, hours=1)
    print(f"{hourly.vcpu:>5g} {hourly.memory_gb:>4g} {hourly.per_task_hour:>14.5f} {hourly.per_task_hour * 720:>12.2f}")
print("prices as of", hourly.prices.as_of, "for", hourly.prices.region, hourly.prices.platform)

#%% md fragment
The talk's task is 0.5 vCPU and 1 GB: a few cents an hour. A GB of memory costs about a ninth of a vCPU,
so the CPU you ask for drives the bill.

#%% md slide
## The talk's pattern: application image + service images

```
task my-application
├── app    fargatelab/app:v1     copies the code into volume "code", then exits 0 (non-essential)
├── php    php:8.3-fpm-alpine    runs the code from "code"      (waits for app: SUCCESS)
└── nginx  nginx:1.27-alpine     serves "code" on port 80       (waits for app: SUCCESS)
```

- The **application image** holds only code: small, quick to build and to pull, the same bytes in every
  environment.
- The **service images** hold only a service and its configuration; they change rarely.
- A **release** changes one tag (`APP_VERSION`), not three or four, and testing a release means fetching one
  new image.
- The price: a start-up dependency between containers, and they talk over `localhost` (nginx reaches
  php-fpm at `127.0.0.1:9000`), because the task has one network interface.

#%% code fragment
# NBVAL_CHECK_OUTPUT
import os

os.environ["APP_VERSION"] = "v2"          # what the build server sets for a release (it wins over .env)
release = to_task_definition([str(COMPOSE)], str(PARAMS), project_name="my-application")

for before, after in zip(request["containerDefinitions"], release["containerDefinitions"]):
    changed = [key for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
    print(f"{before['name']:<6} {', '.join(changed) or 'unchanged'}"
          + (f": {before['image']} -> {after['image']}" if "image" in changed else ""))

#%% md slide
## Revisions

- A task definition revision never changes. `register_task_definition` **always** adds a revision, even
  when nothing differs, and services and tasks point at one exact `family:revision`.
- Old revisions stay ACTIVE until you deregister them (then INACTIVE: existing tasks keep running, new
  ones cannot use it).
- So a deploy script that registers on every run fills the family with identical revisions, and every
  one of them starts a new deployment. The library's `register_if_changed` compares first.

#%% code fragment
# NBVAL_CHECK_OUTPUT
again = ecs.register_task_definition(**request)["taskDefinition"]
print("plain boto3, same input again ->", f"{again['family']}:{again['revision']}")

#%% code fragment
# NBVAL_CHECK_OUTPUT
from fargate_lab.ops.services import register_if_changed

same, made = register_if_changed(ecs, request, tags={})
print("register_if_changed, same input ->", f"{same['family']}:{same['revision']}", "(new)" if made else "(reused)")
newer, made = register_if_changed(ecs, release, tags={})
print("register_if_changed, APP_VERSION=v2 ->", f"{newer['family']}:{newer['revision']}", "(new)" if made else "(reused)")

#%% code fragment
# NBVAL_CHECK_OUTPUT
arns = ecs.list_task_definitions(familyPrefix="my-application", sort="ASC")["taskDefinitionArns"]
for arn in arns:
    described = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    app = next(c for c in described["containerDefinitions"] if c["name"] == "app")
    print(arn.rsplit("/", 1)[-1], described["status"], app["image"])

#%% md fragment
Revisions 1 and 2 are identical; revision 3 differs only in the `app` image. A service that moves from
`:2` to `:3` replaces its tasks, and nginx and php-fpm come back unchanged.

#%% md slide
## On real AWS

- Registering is free and immediate; you pay only for tasks that run. A family may hold up to a million
  revisions, so the cost of needless revisions is confusion and needless deployments, not money.
- ECS checks the definition when you register it (sizes, Fargate rules) but the **roles** and **images**
  only when a task starts: a wrong image tag shows up in `03_tasks`.
- IAM: `ecs:RegisterTaskDefinition`, plus `iam:PassRole` on the execution and task roles it names.
- Cleaning up: `deregister_task_definition` (then `delete_task_definitions`) removes revisions; `07` shows
  it.

#%% md subslide
## Exercises

#%% code skip
os.environ.pop("APP_VERSION", None)   # back to the .env value for the exercises
#@check-helper

#%% md skip
**Exercise 1.** Register, with plain boto3, a task definition family `web` for the image
`fargatelab/web:v2`: 0.25 vCPU, 512 MiB, one container `web` publishing port 80, Fargate only. Put the
response's `taskDefinition` in `web_definition`.

#%% code skip
web_definition = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
def web_is_right(answer):
    found = ecs.describe_task_definition(taskDefinition=f"web:{answer['revision']}")["taskDefinition"]
    web = found["containerDefinitions"][0]
    return (found["cpu"], found["memory"], found["networkMode"], web["image"]) == (
        "256", "512", "awsvpc", "fargatelab/web:v2") and web["portMappings"][0]["containerPort"] == 80

check(web_definition, web_is_right,
      "family='web', networkMode='awsvpc', requiresCompatibilities=['FARGATE'], cpu='256', memory='512', "
      "containerDefinitions=[{'name': 'web', 'image': ..., 'portMappings': [{'containerPort': 80}]}]",
      well_done="Well done: the smallest Fargate size, about a cent an hour.")

#%% md skip
<details><summary>A solution</summary>

```python
web_definition = ecs.register_task_definition(
    family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
    containerDefinitions=[{"name": "web", "image": "fargatelab/web:v2", "portMappings": [{"containerPort": 80}]}],
)["taskDefinition"]
```
</details>

#%% md skip
**Exercise 2.** A worker needs 3 GB of memory and little CPU. What is the cheapest valid Fargate size?
Put it in `worker_size` as `(cpu, memory)` strings, e.g. `("1024", "4096")`.

#%% code skip
worker_size = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
from fargate_lab.engine.fargate import VALID_SIZES

def cheapest(answer):
    cpu, memory = int(answer[0]), int(answer[1])
    cost = lambda c, m: estimate_cost({"cpu": str(c), "memory": str(m)}).per_task_hour
    best = min(((c, m) for c, ms in VALID_SIZES.items() for m in ms if m >= 3072), key=lambda s: cost(*s))
    return memory in VALID_SIZES.get(cpu, ()) and (cpu, memory) == best

check(worker_size, cheapest, "0.25 vCPU allows at most 2048 MiB; look at the next row of the table",
      well_done="Well done: 0.5 vCPU is the smallest CPU that may have 3 GB.")

#%% md skip
<details><summary>A solution</summary>

```python
worker_size = ("512", "3072")
```
</details>

#%% md slide
## Recap

- A task definition is the ECS form of a compose file: containers, task-level CPU and memory,
  `awsvpc` networking, an execution role, shared volumes. `to_task_definition` translates compose into
  the exact `register_task_definition` input.
- Fargate accepts only the published CPU/memory pairs; cost is vCPU-hours plus GB-hours.
- The talk's pattern keeps code in one small application image shared with service images over a named
  volume, so a release changes one tag.
- Every registration makes a new, immutable revision; compare first (`register_if_changed`).

Next: **`03_tasks.ipynb`**, running one.
'''


# =========================================================================================
SOURCES["03_tasks.ipynb"] = r'''
#%% md slide
# 03 · Tasks: run one, watch it live and die

**Objectives**
- run a standalone task on Fargate with boto3 and follow its lifecycle (and draw it),
- read its logs from CloudWatch Logs (the `awslogs` driver),
- recognise the two classic failures: an image that cannot be pulled, an essential container that exits,
- stop a task and read why it stopped.

#%% md notes
Talk: "Task: an instance of a Task Definition."

#%% code skip
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
import random

from fargate_lab.teach import setup

random.seed(0)   # moto (EC2 ids, task IP addresses) draws from `random`: seeded, every run is the same
lab = setup()
print(lab)

#%% code skip
from fargate_lab import ops

CLUSTER = "fargate-lab"
ops.up(lab.session, CLUSTER, say=lambda line: None)       # the cluster and network of 01 (idempotent)
network = ops.network_for(lab.session, CLUSTER)
execution_role = lab.client("iam").get_role(RoleName=ops.EXECUTION_ROLE)["Role"]["Arn"]
ecs, logs = lab.client("ecs"), lab.client("logs")

#%% md slide
## A task's life

```
PROVISIONING → PENDING → ACTIVATING → RUNNING → (DEACTIVATING) → STOPPING → DEPROVISIONING → STOPPED
```

| state | what happens on Fargate |
|---|---|
| PROVISIONING | capacity is found and the task's network interface is attached in your subnet |
| PENDING | the images are pulled |
| ACTIVATING | containers are created; a service's task is registered with its load balancer |
| RUNNING | the containers run |
| DEACTIVATING | a service's task leaves its load balancer first (the deregistration delay) |
| STOPPING | containers get SIGTERM, then SIGKILL after `stopTimeout` (30 s by default) |
| DEPROVISIONING | the network interface is detached and deleted |

Two fields tell the story: **`lastStatus`** (where the task is) and **`desiredStatus`** (RUNNING or STOPPED,
where ECS is taking it). A stopped task also carries **`stopCode`** and **`stoppedReason`**.

#%% md subslide
## A task definition with logs

Fargate has no disk you could read logs from: the `awslogs` driver sends each container's output to
CloudWatch Logs, one stream per container, named `<prefix>/<container>/<task id>`. The execution role lets
ECS write there. The log group must exist when the task starts, so create it first (tagged, so that `down`
in 07 removes it).

#%% code fragment
try:
    logs.create_log_group(logGroupName="/ecs/lesson-03", tags=ops.tags.for_logs(CLUSTER))
except logs.exceptions.ResourceAlreadyExistsException:
    pass

def register(family, image):
    """One web container on Fargate, logging to CloudWatch Logs (plain boto3)."""
    return ecs.register_task_definition(
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        executionRoleArn=execution_role,
        containerDefinitions=[{
            "name": "web", "image": image, "portMappings": [{"containerPort": 80}],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": "/ecs/lesson-03", "awslogs-region": ecs.meta.region_name,
                "awslogs-stream-prefix": family}}}],
    )["taskDefinition"]["taskDefinitionArn"]

hello = register("hello", "fargatelab/web:v1")
print(hello.rsplit("/", 1)[-1])

#%% md subslide
## Run it

`run_task` needs the launch type and, with `awsvpc`, the subnets and security groups, plus a public IP so
the task can pull its image through the internet gateway.

#%% code fragment
# NBVAL_CHECK_OUTPUT
where = {"awsvpcConfiguration": {"subnets": network.subnet_ids, "securityGroups": network.security_group_ids,
                                 "assignPublicIp": "ENABLED"}}

started = ecs.run_task(cluster=CLUSTER, taskDefinition=hello, launchType="FARGATE", networkConfiguration=where,
                       startedBy="hello")
task = started["tasks"][0]
hello_task = task["taskArn"]
print("failures:", started["failures"])
print("lastStatus", task["lastStatus"], "| desiredStatus", task["desiredStatus"])

#%% md subslide
## Watch it

`teach.Recorder` follows *services*; for standalone tasks, this small helper samples `describe_tasks`
into the same `Sample` records, so the same plots work.

#%% code fragment
from fargate_lab.teach import plots
from fargate_lab.teach.sampling import Sample, TargetCounts, task_state

samples, watched = [], []

def watch(arns, seconds, step=1.0, until=None):
    """Sample the tasks every `step` cloud seconds for `seconds` (or until `until(tasks)` holds)."""
    watched.extend(a for a in arns if a not in watched)
    waited = 0.0
    while True:
        found = ecs.describe_tasks(cluster=CLUSTER, tasks=watched)["tasks"]
        states = tuple(sorted((task_state(t) for t in found), key=lambda t: (t.created_at or 0.0, t.id)))
        running = sum(t.last_status == "RUNNING" for t in states)
        samples.append(Sample(lab.now(), "ACTIVE", 0, running, len(states) - running, 100, 200, (),
                              TargetCounts(), states, ()))
        mine = [t for t in found if t["taskArn"] in arns]
        if waited >= seconds or (until and until(mine)):
            return mine
        lab.sleep(step)
        waited += step

#%% code fragment
# NBVAL_CHECK_OUTPUT
[task] = watch([hello_task], 120, until=lambda tasks: tasks[0]["lastStatus"] == "RUNNING")

seen = []
for sample in samples:
    status = next(t.last_status for t in sample.tasks if t.id in hello_task)
    if not seen or seen[-1] != status:
        seen.append(status)
print(" -> ".join(seen))
print("pull took", round((task["pullStoppedAt"] - task["pullStartedAt"]).total_seconds()), "s;",
      "RUNNING", round((task["startedAt"] - task["createdAt"]).total_seconds()), "s after it was created")

#%% md fragment
`createdAt`, `pullStartedAt`, `pullStoppedAt`, `startedAt` (and later `stoppingAt`, `executionStoppedAt`,
`stoppedAt`) are the task's own timestamps. On the virtual clock the numbers follow timings measured on
AWS; in `real` mode they pass `FARGATE_LAB_SPEED` times faster.

#%% code fragment
plots.gantt(samples, title="One task starting")

#%% md slide
## Its logs

The library's `log_lines` finds each container's stream from the task definition (as `ecs-cli logs` did);
underneath it is CloudWatch Logs' `filter_log_events`.

#%% code fragment
# NBVAL_CHECK_OUTPUT
from fargate_lab.ops.logs import log_lines

for line in log_lines(lab.session, CLUSTER, hello_task):
    print(f"{line.container} | {line.message}")

#%% code fragment
# NBVAL_CHECK_OUTPUT
task_id = hello_task.rsplit("/", 1)[-1]
stream = f"hello/web/{task_id}"                      # <prefix>/<container>/<task id>
events = logs.get_log_events(logGroupName="/ecs/lesson-03", logStreamName=stream)["events"]
print(len(events), "events in stream hello/web/<task id> of /ecs/lesson-03")

#%% md slide
## When it goes wrong, 1: the image cannot be pulled

A typo in a tag, an image that was never pushed, a private registry without credentials: the task never
reaches RUNNING. It stops with **`stopCode: TaskFailedToStart`** and a `CannotPullContainerError`.

#%% code fragment
# NBVAL_CHECK_OUTPUT
missing = register("no-such-image", "fargatelab/web:missing")
run = ecs.run_task(cluster=CLUSTER, taskDefinition=missing, launchType="FARGATE", networkConfiguration=where,
                   startedBy="no-such-image")
[failed] = watch([run["tasks"][0]["taskArn"]], 300, until=lambda tasks: tasks[0]["lastStatus"] == "STOPPED")

print(failed["lastStatus"], "|", failed["stopCode"], "| ever RUNNING:", "startedAt" in failed)
print(failed["stoppedReason"])

#%% md slide
## When it goes wrong, 2: an essential container exits

A task runs while its **essential** containers run. When one exits, for any reason and with any exit
code, ECS stops the whole task: **`stopCode: EssentialContainerExited`**. The container's `exitCode` and its
logs say why.

#%% code fragment
# NBVAL_CHECK_OUTPUT
crashes = register("crashes", "fargatelab/web:crash")
run = ecs.run_task(cluster=CLUSTER, taskDefinition=crashes, launchType="FARGATE", networkConfiguration=where,
                   startedBy="crashes")
crash_task = run["tasks"][0]["taskArn"]
[crashed] = watch([crash_task], 300, until=lambda tasks: tasks[0]["lastStatus"] == "STOPPED")

container = crashed["containers"][0]
print(crashed["lastStatus"], "|", crashed["stopCode"], "|", crashed["stoppedReason"])
print(f"container {container['name']} exit code {container['exitCode']}")
for line in log_lines(lab.session, CLUSTER, crash_task):
    print("  log:", line.message)

#%% md fragment
For a *service* the same exit would be followed by a replacement task (04), and repeated failures by the
deployment circuit breaker (06). A standalone task just stays stopped.

#%% md slide
## Stopping a task

`stop_task` flips `desiredStatus` to STOPPED at once; the containers get SIGTERM, then SIGKILL after the
stop timeout. The `reason` you pass becomes the `stoppedReason`.

#%% code fragment
# NBVAL_CHECK_OUTPUT
stopping = ecs.stop_task(cluster=CLUSTER, task=hello_task, reason="Stopped by lesson 03")["task"]
print("right after stop_task: desiredStatus", stopping["desiredStatus"])

ecs.get_waiter("tasks_stopped").wait(cluster=CLUSTER, tasks=[hello_task])
[stopped] = watch([hello_task], 0)
print(stopped["lastStatus"], "|", stopped["stopCode"], "|", stopped["stoppedReason"])

#%% md fragment
`get_waiter("tasks_stopped")` is botocore's own waiter, unchanged: on the virtual clock its sleeps move
cloud time, so it returns at once.

#%% code fragment
plots.gantt(samples, title="Three tasks: a healthy one stopped by hand, two failures")

#%% md slide
## On real AWS

- **Timing**: from `run_task` to RUNNING typically takes 20 to 60 s (network interface, image pull); a
  failed pull takes about as long to show up; stopping takes from seconds to the `stopTimeout` (30 s
  default, 120 s max).
- **Cost**: billing runs from the start of the image pull until the task stops, per second, one minute
  minimum. A task that fails to start costs little; a forgotten running task costs every hour.
- **IAM**: `ecs:RunTask`, `ecs:StopTask`, `iam:PassRole` for the execution role; the **execution role**
  needs `logs:CreateLogStream`/`PutLogEvents` and ECR read access for ECR images (the managed policy
  `AmazonECSTaskExecutionRolePolicy` has both). With the `awslogs-create-group: "true"` option instead of
  creating the group yourself, it also needs `logs:CreateLogGroup`. Stopped tasks stay visible for about
  an hour.

#%% md subslide
## Exercises

#%% code skip
#@check-helper

#%% md skip
**Exercise 1.** Run the `hello` task definition again **without** `launchType`. Catch the
`ClientError` and put its error code (`error.response["Error"]["Code"]`) in `forgot_launch_type`.

#%% code skip
forgot_launch_type = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
check(forgot_launch_type, lambda answer: answer == "InvalidParameterException",
      "wrap ecs.run_task(cluster=CLUSTER, taskDefinition=hello, networkConfiguration=where) in try/except",
      well_done="Well done. With no launch type and no capacity provider strategy ECS falls back to EC2, "
                "and this cluster has no EC2 instances: 'No Container Instances were found in your cluster.'")

#%% md skip
<details><summary>A solution</summary>

```python
from botocore.exceptions import ClientError

try:
    ecs.run_task(cluster=CLUSTER, taskDefinition=hello, networkConfiguration=where)
except ClientError as error:
    forgot_launch_type = error.response["Error"]["Code"]
```
</details>

#%% md skip
**Exercise 2.** Not every task is a server. `hello-world` prints a greeting and exits. Register a task
definition for it with `register("job", "hello-world")`, run it, wait until it is STOPPED, and put its
container's exit code in `job_exit_code`.

#%% code skip
job_exit_code = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
def job_ran(answer):
    arns = ecs.list_tasks(cluster=CLUSTER, family="job", desiredStatus="STOPPED")["taskArns"]
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
    return answer == 0 and any(t["containers"][0].get("exitCode") == 0 for t in tasks)

check(job_exit_code, job_ran, "watch([arn], 300, until=lambda tasks: tasks[0]['lastStatus'] == 'STOPPED'), "
      "then tasks[0]['containers'][0]['exitCode']",
      well_done="Well done: exit code 0 with stopCode EssentialContainerExited is how a finished job looks.")

#%% md skip
<details><summary>A solution</summary>

```python
job = register("job", "hello-world")
arn = ecs.run_task(cluster=CLUSTER, taskDefinition=job, launchType="FARGATE", networkConfiguration=where)["tasks"][0]["taskArn"]
[finished] = watch([arn], 300, until=lambda tasks: tasks[0]["lastStatus"] == "STOPPED")
job_exit_code = finished["containers"][0]["exitCode"]
```
</details>

#%% md slide
## Recap

- `run_task` on Fargate needs `launchType="FARGATE"` and an `awsvpcConfiguration`; the task then walks
  PROVISIONING → PENDING → ACTIVATING → RUNNING, and on the way out STOPPING → DEPROVISIONING → STOPPED.
- `lastStatus` says where a task is, `desiredStatus` where it is going; `stopCode` and `stoppedReason`
  say why it stopped: `TaskFailedToStart` (e.g. `CannotPullContainerError`), `EssentialContainerExited`
  (read the exit code and the logs), `UserInitiated`.
- `awslogs` puts each container's output in CloudWatch Logs under `<prefix>/<container>/<task id>`.

Next: **`04_services.ipynb`**, keeping tasks running.
'''


# =========================================================================================
SOURCES["04_services.ipynb"] = r'''
#%% md slide
# 04 · Services: keep N tasks running

**Objectives**
- create the talk's service from its compose file, behind a load balancer,
- watch ECS heal it when a task dies, and scale it out and in,
- read service events, follow load-balancer registration and know what "steady state" means.

#%% md notes
Talk: "Service: defines how many Tasks to run on a Cluster." Creating it: `ecs-cli compose --project-name
my-application service up`. Once you have the cluster and the service, you can start to customise the
deployment.

#%% code skip
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
import random

from fargate_lab.teach import setup

random.seed(0)   # moto (EC2 ids, task IP addresses) draws from `random`: seeded, every run is the same
lab = setup()
print(lab)

#%% code skip
from pathlib import Path

from fargate_lab import ops
from fargate_lab.ops import services
from fargate_lab.ops.watch import short_event
from fargate_lab.teach import Recorder, plots

CLUSTER, SERVICE = "fargate-lab", "my-application"
TALK = next(p for p in (Path("../examples/talk"), Path("examples/talk")) if p.is_dir())
ops.up(lab.session, CLUSTER, say=lambda line: None)       # the cluster and network of 01 (idempotent)
ecs, elbv2 = lab.client("ecs"), lab.client("elbv2")
waits = {"sleep": lab.sleep, "clock": lab.now, "poll_seconds": 5}   # how the library waits: cloud time

#%% md slide
## What a service does

- It holds a **desired count** and a task definition revision. The **service scheduler** compares the
  tasks that exist with that number, continuously, and starts or stops tasks to close the gap.
- A task that stops for any reason (a crash, `stop_task`, a failed health check) is **replaced**.
- It can register its tasks with **load balancer target groups**; with `awsvpc` each task's own IP is the
  target.
- Changing the revision (or forcing a new deployment) starts a **deployment**: a rolling replacement,
  subject of `06`. Changing only the desired count does not.
- **Counts** in `describe_services`: `desiredCount`, `runningCount` (tasks in RUNNING), `pendingCount`.

#%% md subslide
## The talk's service

`ecs-cli compose --project-name my-application service up` is `services.service_up(...)`: it registers the
task definition if it changed, creates the service (or updates it), and here also a load balancer.
`timeout_minutes=0` returns at once so that the next cell can record the start.

#%% code fragment
recorder = Recorder.for_session(lab.session, CLUSTER, SERVICE)

result = services.service_up(
    lab.session, CLUSTER, SERVICE, [str(TALK / "docker-compose.yml")], str(TALK / "ecs-params.yml"),
    desired=3, create_load_balancer=True, create_log_groups=True, timeout_minutes=0, **waits)

#%% code fragment
# NBVAL_CHECK_OUTPUT
start = recorder.record(600, step=10, sleep=lab.sleep, until=lambda sample: sample.settled)
print(f"after {start[-1].at - start[0].at:.0f} s: {start[-1].summary()}")

service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
print(f"desired {service['desiredCount']}, running {service['runningCount']}, pending {service['pendingCount']}, "
      f"launch type {service['launchType']}")
for lb in service["loadBalancers"]:
    print(f"load balancer: container {lb['containerName']} port {lb['containerPort']} -> target group "
          f"{lb['targetGroupArn'].split('/')[-2]}")

#%% code fragment
plots.timeline(recorder.samples, title="The service starts: 0 to 3 tasks")

#%% md slide
## Self-healing

Kill one task, as a crash would. The scheduler notices that 2 < 3 and starts a replacement at once. The
dead task leaves the load balancer first: its target **drains** for the deregistration delay (300 s by
default) so requests in flight can finish.

#%% code fragment
# NBVAL_CHECK_OUTPUT
victim = sorted(ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"])[0]
ecs.stop_task(cluster=CLUSTER, task=victim, reason="Simulated crash (lesson 04)")

def quiet(sample):
    """Settled, and no task of the service still on its way in or out."""
    return sample.settled and all(t.last_status in ("RUNNING", "STOPPED") for t in sample.tasks)

healing = recorder.record(900, step=10, sleep=lab.sleep, until=quiet)
print(f"{healing[-1].at - healing[0].at:.0f} s later: {healing[-1].summary()}")
for sample in healing:
    for event in sample.new_events:
        print(f"  +{event.at - healing[0].at:4.0f} s  {short_event(event.message, SERVICE)}")

#%% md fragment
The replacement started within seconds of the stop; most of those minutes are the old target draining
(`DEACTIVATING`), while the replacement was serving long before. "has reached a steady state" comes only once nothing
is left in motion.

#%% code fragment
plots.gantt(healing, title="A task dies and is replaced")

#%% md slide
## Scaling

The desired count is the knob. Changing it is **not** a deployment: the same deployment gets more (or
fewer) tasks. Scaling in, ECS chooses which tasks to stop (keeping the zones balanced) and stops them with
`Scaling activity initiated by (deployment ...)`.

#%% code fragment
# NBVAL_CHECK_OUTPUT
before = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]
ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=5)        # plain boto3
scale_out = recorder.record(600, step=10, sleep=lab.sleep, until=lambda sample: sample.settled)
after = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]
print("scaled out:", scale_out[-1].summary())
print("same deployment as before:", [d["id"] for d in before] == [d["id"] for d in after])

#%% code fragment
# NBVAL_CHECK_OUTPUT
from collections import Counter

# ecs-cli's `compose service scale 2`: the library waits until the service is steady
services.service_scale(lab.session, CLUSTER, SERVICE, 2, say=lambda line: None, **waits)
scale_in = recorder.record(900, step=10, sleep=lab.sleep, until=quiet)
print("scaled in:", scale_in[-1].summary())
stopped = [t for t in scale_in[-1].tasks if t.last_status == "STOPPED" and t.stop_code != "UserInitiated"]
for (code, reason), count in sorted(Counter((t.stop_code, t.stopped_reason.split(" (")[0]) for t in stopped).items()):
    print(f"  {count} x {code}: {reason} (deployment ...)")

#%% md slide
## Service events

ECS keeps the latest 100 events per service, newest first. They are the first place to look when a
service misbehaves. The wording is stable enough to match on: *has started*, *has stopped*, *registered*,
*deregistered*, *has begun draining*, *has reached a steady state*, *deployment completed*.

#%% code fragment
# NBVAL_CHECK_OUTPUT
events = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["events"]
print(len(events), "events; kinds, oldest first:")
kinds = Counter()
for event in reversed(events):
    text = short_event(event["message"], SERVICE)
    kind = next((k for k in ("has started", "has stopped", "deregistered", "registered", "has begun draining",
                             "has reached a steady state", "deployment completed") if k in text), "other")
    kinds[kind] += 1
for kind, count in kinds.items():
    print(f"  {count:>2} x {kind}")

#%% md slide
## Load balancer registration

During `ACTIVATING`, ECS registers the task's IP and port in the target group. The load balancer then
health-checks it: `initial` → `healthy`; only healthy targets get traffic. On the way out the target is
`draining` for the deregistration delay, then removed.

#%% code fragment
# NBVAL_CHECK_OUTPUT
health = elbv2.describe_target_health(TargetGroupArn=result.target_group_arn)["TargetHealthDescriptions"]
print("targets now:", sorted(h["TargetHealth"]["State"] for h in health))
print("ports:", sorted({h["Target"]["Port"] for h in health}))
seen = Counter(state for sample in recorder.samples for state in ("initial", "healthy", "draining")
               if getattr(sample.targets, state))
print("states seen while recording:", sorted(seen))

#%% md slide
## Steady state

botocore's waiter `services_stable` succeeds when, for every service, there is **one** deployment and
`runningCount == desiredCount`. It does not look at health or at the rollout state, and tasks that are
draining are no longer RUNNING, so it can succeed while old tasks are still on their way out.

#%% code fragment
# NBVAL_CHECK_OUTPUT
ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=3)
ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE])
recorder.sample()
service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
print(f"stable: {service['runningCount']}/{service['desiredCount']} running, "
      f"{len(service['deployments'])} deployment, rollout {service['deployments'][0]['rolloutState']}")

#%% code fragment
plots.timeline(recorder.samples, title="The service's day: start, a crash, scale out, scale in, back to 3")

#%% md slide
## On real AWS

- **Timing**: a new task serves after 20 to 60 s plus the load balancer's health checks; a stopped
  task behind a load balancer takes the deregistration delay (300 s default) to go. Lower it (0 to 3600 s,
  target-group attribute `deregistration_delay.timeout_seconds`) when requests are short.
- **Cost**: tasks bill while they exist, draining ones included; the Application Load Balancer bills per
  hour plus capacity units whether or not traffic flows.
- **IAM**: `ecs:CreateService`/`UpdateService`/`DeleteService`, `elasticloadbalancing:*` for the load
  balancer, `iam:PassRole`. ECS uses its service-linked role to register targets (created automatically).
- The cleanup cell at the end deletes the service and its load balancer: run it on AWS.

#%% md subslide
## Exercises

#%% code skip
#@check-helper

#%% md skip
**Exercise 1.** With plain boto3, scale the service to **4** tasks and wait until it is steady
(hint: `update_service`, then `get_waiter("services_stable")`).

#%% code skip
# your code here

#%% code skip
# NBVAL_CHECK_OUTPUT
now = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
check(... if now["desiredCount"] == 3 else now,
      lambda s: (s["desiredCount"], s["runningCount"], len(s["deployments"])) == (4, 4, 1),
      f"desired is {now['desiredCount']} and {now['runningCount']} run: set desiredCount=4, then wait",
      well_done="Well done: 4 running, one deployment. No new deployment was needed to scale.")

#%% md skip
<details><summary>A solution</summary>

```python
ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=4)
ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE])
```
</details>

#%% md skip
**Exercise 2.** From the service events, how many tasks did ECS start in this notebook? ("has started N
tasks" events; the service keeps the latest 100.) Put the number in `started_total`.

#%% code skip
started_total = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
import re

def started_in_events():
    events = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["events"]
    return sum(int(m.group(1)) for e in events for m in [re.search(r"has started (\d+) tasks", e["message"])] if m)

check(started_total, lambda answer: answer == started_in_events(),
      "re.search(r'has started (\\d+) tasks', event['message']) on every event, and add the numbers",
      well_done="Well done: every start is in the events, with the task ids.")

#%% md skip
<details><summary>A solution</summary>

```python
import re

events = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["events"]
started_total = sum(int(found.group(1)) for event in events
                    for found in [re.search(r"has started (\d+) tasks", event["message"])] if found)
```
</details>

#%% md subslide
## Clean up

Deleting a service needs its desired count at 0 first (or `force=True`); `service_rm` does that, waits for
the tasks to stop, and removes the load balancer it made. On AWS this stops the bill for tasks and the load
balancer; the cluster and network stay for the next notebook (07 removes them).

#%% code skip
_ = services.service_rm(lab.session, CLUSTER, SERVICE, timeout_minutes=15, **waits)

#%% md slide
## Recap

- A service keeps `desiredCount` tasks of one revision running: it replaces any task that stops, and
  registers tasks with its load balancer.
- Scaling changes the count of the same deployment; scale-in stops tasks with *Scaling activity
  initiated by (deployment ...)*.
- Service events narrate everything (starts, stops, registration, draining, steady state).
- `services_stable` checks one deployment and running == desired, nothing more; draining targets can
  still be there.

Next: **`05_environments.ipynb`**, one image for staging and production.
'''


# =========================================================================================
SOURCES["05_environments.ipynb"] = r'''
#%% md slide
# 05 · Environments: one image, staging and production

**Objectives**
- run the same images in staging and production, differing only in environment variables
  (compose `environment` and `env_file` → the task definition's `environment`),
- use a runtime switch such as PHP's opcache (`PHP_OPCACHE_ENABLE=0/1`) and know when a change takes effect,
- keep secrets out of the task definition: Secrets Manager and SSM Parameter Store → `secrets`, fetched by
  the execution role.

#%% md notes
From the talk's notes: application environment variables let the same application run in several
environments (production and staging used different databases) and were easy to change in the build server
or in ECS; someone who is not a developer could be trained to do it. PHP can read environment variables
too, which is handy for switches such as opcache per environment.

#%% code skip
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup()
print(lab)

#%% code skip
import contextlib
import os
import tempfile
from pathlib import Path

from fargate_lab import ops
from fargate_lab.compose import to_task_definition
from fargate_lab.ops.services import register_if_changed

CLUSTER = "fargate-lab"
TALK = next(p for p in (Path("../examples/talk"), Path("examples/talk")) if p.is_dir())
scratch = tempfile.TemporaryDirectory(prefix="lesson-05-")
SCRATCH = Path(scratch.name)                              # this notebook's own files, removed at the end
# This notebook runs no tasks: the cluster and the task execution role are enough (no network).
ops.up(lab.session, CLUSTER, empty=True, say=lambda line: None)
ecs = lab.client("ecs")

#%% md slide
## One image, many environments

- Build **one** image per release and promote the same bytes from staging to production. What differs
  between environments (database host, log level, feature flags) comes from **configuration**, injected
  when the container starts, usually as environment variables.
- In compose, a service gets variables from `environment:` (which wins) and from `env_file:` files;
  `${VAR}` in the file is filled from `.env` and the shell. The translation to ECS writes the final
  values into the container's `environment` list.
- Those values are part of the **task definition revision**. Changing one means a new revision, and
  running tasks keep their values until a deployment replaces them.

#%% md subslide
## The talk's file already has the switches

`php` gets `APP_ENV: ${APP_ENV:-production}` and `PHP_OPCACHE_ENABLE: ${PHP_OPCACHE_ENABLE:-1}`. The build
server sets those variables per environment. Database settings go in one `env_file` per environment:

#%% code fragment
(SCRATCH / "staging.env").write_text("DB_HOST=db.staging.internal\nDB_NAME=app_staging\nLOG_LEVEL=debug\n")
(SCRATCH / "production.env").write_text("DB_HOST=db.prod.internal\nDB_NAME=app\nLOG_LEVEL=warning\n")
for stage in ("staging", "production"):
    (SCRATCH / f"docker-compose.{stage}.yml").write_text(
        f"services:\n  php:\n    env_file: [{SCRATCH / (stage + '.env')}]\n")
print((SCRATCH / "docker-compose.staging.yml").read_text())

#%% code fragment
@contextlib.contextmanager
def build_server_variables(**values):
    """The variables a build server job sets for one environment (restored afterwards)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)

def translate(stage, **variables):
    """The task definition for one environment: the same compose file, that stage's override and variables."""
    with build_server_variables(**variables):
        return to_task_definition([str(TALK / "docker-compose.yml"), str(SCRATCH / f"docker-compose.{stage}.yml")],
                                  str(TALK / "ecs-params.yml"), project_name=f"my-application-{stage}")

def php_environment(definition):
    php = next(c for c in definition["containerDefinitions"] if c["name"] == "php")
    return {item["name"]: item["value"] for item in php.get("environment", [])}

#%% code fragment
# NBVAL_CHECK_OUTPUT
staging = translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="0")
production = translate("production", APP_ENV="production", PHP_OPCACHE_ENABLE="1")

left, right = php_environment(staging), php_environment(production)
print(f"{'php variable':<20} {'staging':<22} production")
for name in sorted(set(left) | set(right)):
    print(f"{name:<20} {left.get(name, '-'):<22} {right.get(name, '-')}")
images = lambda d: [c["image"] for c in d["containerDefinitions"]]
print("same images in both:", images(staging) == images(production))

#%% md slide
## A runtime switch: PHP's opcache

PHP reads `${VARIABLES}` inside its ini files, so the php-fpm **service image** can ship one line that the
environment decides:

```ini
; conf.d/opcache.ini in the php service image
opcache.enable=${PHP_OPCACHE_ENABLE}
```

- Production: `1`, compiled scripts are cached in memory, fast.
- Staging or development: `0`, every request sees the code as it is now, handy while testing.

The switch is read when php-fpm starts, so flipping it means new tasks: a new revision and a deployment.

#%% code fragment
# NBVAL_CHECK_OUTPUT
first, made = register_if_changed(ecs, staging, tags={})
print(f"staging with opcache off : {first['family']}:{first['revision']}", "(new)" if made else "(reused)")
same, made = register_if_changed(ecs, translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="0"), tags={})
print(f"the same again           : {same['family']}:{same['revision']}", "(new)" if made else "(reused)")
flipped, made = register_if_changed(ecs, translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="1"), tags={})
print(f"staging with opcache on  : {flipped['family']}:{flipped['revision']}", "(new)" if made else "(reused)")

#%% md fragment
To apply `:2`, point the staging service at it (`update_service(taskDefinition=...)`, or the talk's
`service up`): ECS rolls the tasks over (06). ECS offers no way to change a running task's environment.

#%% md slide
## Secrets are not environment variables

Anything in `environment` is readable by everyone who may call `DescribeTaskDefinition`, and shows in the
console. Passwords and API keys belong in **AWS Secrets Manager** or **SSM Parameter Store**
(`SecureString`); the task definition only holds a **reference** in `secrets`:

```json
"secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:...:secret:..."}]
```

When the task starts, ECS fetches the value **with the task execution role** and sets it as an
environment variable in the container. Nothing secret is stored in ECS.

#%% code fragment
secretsmanager, ssm = lab.client("secretsmanager"), lab.client("ssm")

db_password = secretsmanager.create_secret(
    Name="my-application/staging/db-password", SecretString="correct horse battery staple")["ARN"]
ssm.put_parameter(Name="/my-application/staging/stripe-key", Value="sk_test_not_a_real_key", Type="SecureString")
stripe_key = ssm.get_parameter(Name="/my-application/staging/stripe-key")["Parameter"]["ARN"]

#%% md subslide
## From compose

Compose `secrets` are files under `/run/secrets` in Docker; ECS injects environment variables instead. A
top-level secret points at AWS with `x-aws-value-from`, and the service names the variable with `target`:

#%% code fragment
(SCRATCH / "docker-compose.staging.yml").write_text(f"""\
services:
  php:
    env_file: [{SCRATCH / 'staging.env'}]
    secrets:
      - {{source: db_password, target: DB_PASSWORD}}
      - {{source: stripe_key, target: STRIPE_API_KEY}}
secrets:
  db_password: {{x-aws-value-from: {db_password}}}
  stripe_key: {{x-aws-value-from: {stripe_key}}}
""")

import warnings
with warnings.catch_warnings(record=True) as notes:
    warnings.simplefilter("always")
    staging = translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="0")
for note in notes:
    print("note:", str(note.message).split(": ", 1)[-1])

#%% code fragment
# NBVAL_CHECK_OUTPUT
registered, made = register_if_changed(ecs, staging, tags={})
php = next(c for c in registered["containerDefinitions"] if c["name"] == "php")
print(f"{registered['family']}:{registered['revision']} as ECS shows it to anyone who may describe it:")
print("  environment:", ", ".join(f"{e['name']}={e['value']}" for e in php["environment"]))
for secret in php["secrets"]:
    service = secret["valueFrom"].split(":")[2]
    print(f"  secret {secret['name']}: a reference to {service}, value not stored")
print("password in the task definition:", "correct horse" in str(registered))

#%% md subslide
## Who fetches the secret: the execution role

The execution role needs permission to read exactly these secrets. ECS calls
`secretsmanager:GetSecretValue` and `ssm:GetParameters` (plus `kms:Decrypt` for a customer-managed key).
The managed policy `AmazonECSTaskExecutionRolePolicy` covers ECR pulls and logs, **not** secrets:

#%% code fragment
# NBVAL_CHECK_OUTPUT
import json

iam = lab.client("iam")
iam.put_role_policy(
    RoleName=ops.EXECUTION_ROLE, PolicyName="read-my-application-staging-secrets",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "ssm:GetParameters"],
         "Resource": [db_password, stripe_key]}]}))

attached = iam.list_attached_role_policies(RoleName=ops.EXECUTION_ROLE)["AttachedPolicies"]
inline = iam.list_role_policies(RoleName=ops.EXECUTION_ROLE)["PolicyNames"]
print("managed:", [p["PolicyName"] for p in attached])
print("inline: ", inline)

#%% md fragment
Without an execution role there is no identity to fetch the secret at all. The local cloud refuses such a
definition at registration; on AWS, a role that lacks the permission shows up when the task starts: it
stops with `ResourceInitializationError: unable to pull secrets or registry auth: ...`.

#%% code fragment
# NBVAL_CHECK_OUTPUT
from botocore.exceptions import ClientError

no_role = {key: value for key, value in staging.items() if key != "executionRoleArn"}
no_role["containerDefinitions"] = [{k: v for k, v in c.items() if k != "logConfiguration"}
                                   for c in staging["containerDefinitions"]]   # leave only the secrets' need
try:
    ecs.register_task_definition(**no_role)
except ClientError as error:
    print(error.response["Error"]["Code"] + ":", error.response["Error"]["Message"])

#%% md slide
## On real AWS

- **Timing**: variables and secrets are read once, when each container starts. Rotating a secret means
  new tasks (`update_service(forceNewDeployment=True)` with the same revision is enough for secrets, since
  the reference does not change).
- **Cost**: task definitions are free; Secrets Manager charges per secret per month and per 10,000 API
  calls; standard SSM parameters are free (advanced ones are not).
- **IAM**: the execution role reads the secrets (as above); your own code, if it calls AWS at runtime,
  uses the separate **task role** (`taskRoleArn`). Grant each only what it needs.
- A whole secret can be injected, or one JSON key of it: `valueFrom: <secret ARN>:password::`.
- The cleanup cell at the end deletes the secret, the parameter and the role's extra policy: run it on AWS.

#%% md subslide
## Exercises

#%% code skip
#@check-helper

#%% md skip
**Exercise 1.** A bug only happens in production. Build the **staging** task definition with
production's opcache setting (on) but still `APP_ENV=staging`, using `translate(...)`, and put it in
`debug_definition`.

#%% code skip
debug_definition = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
check(debug_definition,
      lambda d: {k: php_environment(d).get(k) for k in ("APP_ENV", "PHP_OPCACHE_ENABLE", "DB_HOST")}
      == {"APP_ENV": "staging", "PHP_OPCACHE_ENABLE": "1", "DB_HOST": "db.staging.internal"},
      "translate('staging', APP_ENV=..., PHP_OPCACHE_ENABLE=...)",
      well_done="Well done: staging's database, production's PHP behaviour, the same images.")

#%% md skip
<details><summary>A solution</summary>

```python
debug_definition = translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="1")
```
</details>

#%% md skip
**Exercise 2.** Which of these belong in `secrets` rather than `environment`? Put their names in the set
`secret_names`: `APP_ENV`, `DB_HOST`, `DB_PASSWORD`, `PHP_OPCACHE_ENABLE`, `STRIPE_API_KEY`, `LOG_LEVEL`.

#%% code skip
secret_names = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
check(secret_names, lambda answer: set(answer) == {"DB_PASSWORD", "STRIPE_API_KEY"},
      "a secret is something that would hurt if it showed up in the console or in a screenshot",
      well_done="Well done: a host name is configuration, a password is a secret.")

#%% md skip
<details><summary>A solution</summary>

```python
secret_names = {"DB_PASSWORD", "STRIPE_API_KEY"}
```
</details>

#%% md subslide
## Clean up

Secrets cost money on AWS (per secret per month), so they go; the task definitions stay (they are free).

#%% code skip
secretsmanager.delete_secret(SecretId=db_password, ForceDeleteWithoutRecovery=True)
ssm.delete_parameter(Name="/my-application/staging/stripe-key")
_ = iam.delete_role_policy(RoleName=ops.EXECUTION_ROLE, PolicyName="read-my-application-staging-secrets")

#%% md slide
## Recap

- One set of images runs everywhere; per-environment values come from compose `environment` and
  `env_file` and end up in the task definition's `environment`.
- Values belong to a revision: changing one (like `PHP_OPCACHE_ENABLE`) means a new revision and a
  deployment; `register_if_changed` avoids revisions when nothing changed.
- Secrets live in Secrets Manager or SSM; the task definition's `secrets` holds only references, and the
  **execution role** fetches the values when the task starts.

Next: **`06_rolling_deploy.ipynb`**, the talk's pipeline and rolling deployments.
'''


# =========================================================================================
SOURCES["06_rolling_deploy.ipynb"] = r'''
#%% md slide
# 06 · Rolling deployments: the talk's pipeline, live

**Objectives**
- run the talk's pipeline with the library: build → test → push a tagged image → update the compose
  file's tag → `service up`,
- watch a rolling deployment live, task by task, and see how `minimumHealthyPercent` and
  `maximumPercent` shape its batches,
- break a release on purpose: the **circuit breaker** rolls it back; without it, ECS keeps retrying.

#%% md notes
The talk's CI/CD: the build server ran PHPUnit and Behat on every pull request and blocked merging when a
build failed. A green build of master pushed the application image to the registry with a tag, then
deployed it by updating the compose file's tag. ECS drained half of the old containers, started as many
new ones, moved load-balancer traffic to them, and finished once every old task was gone and the new ones
were stable. If the new tasks were unstable, traffic went back to the old ones.

#%% code skip
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
import random

from fargate_lab.teach import setup

random.seed(0)   # moto (EC2 ids, task IP addresses) draws from `random`: seeded, every run is the same
lab = setup()
print(lab)

#%% code skip
%matplotlib widget
# ipympl: the live plot below is an interactive canvas (the static plots show as pictures either way)
import hashlib
import json
import tempfile
from pathlib import Path

from IPython.display import display

from fargate_lab import ops
from fargate_lab.ops import services
from fargate_lab.teach import DemoPanel, LivePlot, Recorder, explain_rollout, plots

CLUSTER, PROJECT, REPOSITORY = "fargate-lab", "my-application", "my-application"
TALK = next(p for p in (Path("../examples/talk"), Path("examples/talk")) if p.is_dir())
checkout = tempfile.TemporaryDirectory(prefix="lesson-06-")
WORK = Path(checkout.name)                                # the build server's checkout, removed at the end
ops.up(lab.session, CLUSTER, say=lambda line: None)       # the cluster and network of 01 (idempotent)
ecs, ecr = lab.client("ecs"), lab.client("ecr")
waits = {"sleep": lab.sleep, "clock": lab.now, "poll_seconds": 5}
# Cloud seconds between live-plot frames: every 5 s on stage; on the virtual clock nobody watches the
# frames go by, and one every 15 s draws the same picture with a third of the API calls.
STEP = 5 if lab.mode == "real" else 15

try:
    REGISTRY_URI = ecr.create_repository(repositoryName=REPOSITORY)["repository"]["repositoryUri"]
except ecr.exceptions.RepositoryAlreadyExistsException:
    REGISTRY_URI = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"][0]["repositoryUri"]

if lab.local:
    # Containers cannot run here: tell the local cloud that every tag of our ECR repository behaves like the
    # talk's code-only image (copies the code into the shared volume, exits 0).
    lab.cloud.catalog.add(f"{REGISTRY_URI}:*", lab.cloud.catalog.lookup("fargatelab/app:v1"))

#%% md slide
## The pipeline

| step | the talk's build server | here |
|---|---|---|
| 1 build | `docker build` the application image (code only) | hash the code into an image digest |
| 2 test | PHPUnit / Behat; a red build stops everything | a tiny test of the code |
| 3 push | `docker push` to the registry with a tag | put the image into ECR (moto's, locally) |
| 4 tag | write the new tag into the compose file | write `docker-compose.release.yml` |
| 5 deploy | `ecs-cli compose service up` | `services.service_up(...)` |

Only the application image changes between releases; nginx and php-fpm stay as they are (see 02).

#%% code fragment
CODE = {
    "v1": {"public/index.php": "<?php echo 'Hello from v1';"},
    "v2": {"public/index.php": "<?php echo 'Hello from v2, now with a shopping cart';"},
    "v3": {"public/index.php": "<?php echo 'Hello from v3: faster checkout';"},
    "v4": {"public/index.php": "<?php echo 'Hello from v4';"},
}
COMPOSE = [str(TALK / "docker-compose.yml"), str(WORK / "docker-compose.release.yml")]
PARAMS = str(TALK / "ecs-params.yml")

def build(version, code):
    """1. The application image is just the code; its digest is the hash of it."""
    return {"tag": version, "files": code,
            "digest": "sha256:" + hashlib.sha256(json.dumps(code, sort_keys=True).encode()).hexdigest()}

def run_tests(image):
    """2. The build server's test stage, in miniature: every PHP file must start with <?php."""
    broken = [path for path, text in image["files"].items() if path.endswith(".php") and not text.startswith("<?php")]
    if broken:
        raise AssertionError(f"tests failed in {broken}")

def push(image):
    """3. `docker push REGISTRY_URI:TAG`."""
    if not lab.local:   # on AWS the build server pushes with docker; check that it did
        ecr.describe_images(repositoryName=REPOSITORY, imageIds=[{"imageTag": image["tag"]}])
        return
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1,
                           "digest": image["digest"]}, "layers": []}
    ecr.put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag=image["tag"])

def set_release_tag(version):
    """4. The compose file's tag: an override file on top of the talk's docker-compose.yml."""
    Path(COMPOSE[1]).write_text(f"services:\n  app:\n    image: {REGISTRY_URI}:{version}\n")

def release(version, code, push_image=True):
    """Steps 1-4."""
    image = build(version, code)
    print(f"1 build  {REPOSITORY}:{version} ({image['digest'][:19]}...)")
    run_tests(image)
    print("2 test   passed")
    if push_image:
        push(image)
        print(f"3 push   {REPOSITORY}:{version}")
    else:
        print("3 push   FAILED (the registry timed out), and the job went on")
    set_release_tag(version)
    print(f"4 tag    app image -> {REPOSITORY}:{version}")

def deploy(wait=False, **options):
    """5. ecs-cli compose --project-name my-application service up."""
    result = services.service_up(lab.session, CLUSTER, PROJECT, COMPOSE, PARAMS, say=lambda line: None,
                                 timeout_minutes=30 if wait else 0, **waits, **options)
    print(f"5 deploy {result.task_definition}" + (f", {result.outcome}" if wait else ", rolling out"))
    return result

def pipeline(version, code, push_image=True, wait=False, **options):
    release(version, code, push_image)
    return deploy(wait=wait, **options)

#%% md subslide
## Release v1

The first run creates the service: 4 tasks behind a new Application Load Balancer, the circuit breaker
on (the library's default), and it waits until the deployment completes.

#%% code fragment
# NBVAL_CHECK_OUTPUT
first = pipeline("v1", CODE["v1"], wait=True, desired=4, create_load_balancer=True, create_log_groups=True)

#%% md fragment
A red build never reaches production:

#%% code fragment
# NBVAL_CHECK_OUTPUT
try:
    pipeline("v2-wip", {"public/index.php": "echo 'forgot the php tag';"})
except AssertionError as failure:
    print("pipeline stopped:", failure, "- production still runs", first.task_definition)

#%% md slide
## How a rolling update proceeds

A new revision makes a new **PRIMARY deployment**; the old one becomes **ACTIVE** until its tasks are
gone. Two numbers bound what the scheduler may do, as percentages of the desired count:

- `minimumHealthyPercent` (default 100): at least this many tasks must stay healthy (rounded **up**);
- `maximumPercent` (default 200): at most this many tasks may be RUNNING or PENDING (rounded **down**).

Fargate has no cluster capacity to run out of, so with the defaults ECS starts all the new tasks at once,
waits until they pass the load balancer's health checks, then drains and stops the old ones. The deployment
completes when no old task is left.

#%% md subslide
## A live plot

The plot samples the service (`describe_services`, target health, tasks) and redraws. On the virtual
clock the next cell produces the frames in moments; with `FARGATE_LAB_MODE=real` the same cell animates
for 30 to 60 s.

#%% code fragment
recorder = Recorder.for_session(lab.session, CLUSTER, PROJECT)
live = LivePlot(recorder, sleep=lab.sleep, title="my-application")
display(live.widget())
# Workaround (ipympl 0.10): frames drawn before the browser has shown the canvas, as in Run All, would
# leave it a broken snapshot. Without one, the browser asks for a fresh frame as soon as it is ready.
live.figure.canvas.syncing_data_url = False

#%% code fragment
pipeline("v2", CODE["v2"])
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)

#%% code fragment
# NBVAL_CHECK_OUTPUT
rollout = recorder.samples[mark:]
print(f"{rollout[-1].primary.task_definition} {rollout[-1].primary.rollout_state} after "
      f"{rollout[-1].at - rollout[0].at:.0f} s of cloud time: {rollout[-1].summary()}")
print("most tasks RUNNING or PENDING at once:", max(s.running + s.pending for s in rollout))
print("fewest healthy targets:", min(s.targets.healthy for s in rollout))

#%% md fragment
The load balancer always had 4 healthy targets to send requests to. Most of the time is the old targets
draining (the load balancer's deregistration delay, 300 s by default).

#%% md slide
## Minimum healthy and maximum percent

Move the sliders: the bars show the tasks after each scheduler step (old, new, new still starting) and the
tasks stopped in that step. The explainer uses the same scheduler code as the local cloud.

#%% code fragment
import html

import ipywidgets as widgets

sliders = {
    "desired": widgets.IntSlider(4, 1, 10, description="desired count"),
    "minimum": widgets.IntSlider(100, 0, 100, step=5, description="min healthy %"),
    "maximum": widgets.IntSlider(200, 100, 200, step=5, description="maximum %"),
}
picture, story = widgets.Image(format="png"), widgets.HTML()

def show(_=None):
    explained = explain_rollout(*(slider.value for slider in sliders.values()))
    story.value = f"<pre>{html.escape(explained.describe())}</pre>"
    picture.value = plots.explainer(explained)._repr_png_()

for slider in sliders.values():
    slider.observe(show, names="value")
show()
display(widgets.VBox([widgets.HBox(list(sliders.values())), story, picture]))

#%% md fragment
The talk's deployments "drained half of the old containers to start as many new ones": that is
`minimumHealthyPercent=50` with `maximumPercent=100`. Setting the sliders from code works like dragging them:

#%% code fragment
# NBVAL_CHECK_OUTPUT
sliders["minimum"].value, sliders["maximum"].value = 50, 100
print(explain_rollout(4, 50, 100).describe())
print()
print(explain_rollout(4, 100, 100).describe())

#%% md slide
## A broken release and the circuit breaker

The push fails but the job goes on and deploys a tag that does not exist. Every new task fails to pull its
image (`CannotPullContainerError`). The **deployment circuit breaker** counts tasks of the new deployment
that fail to reach RUNNING (or, once some run, fail health checks). At a threshold of
`ceil(0.5 × desired)`, but at least 3 and at most 200, the deployment is marked **FAILED**; with
`rollback` on, ECS returns to the last **COMPLETED** deployment (the same deployment id, now
`IN_PROGRESS` again).

#%% code fragment
pipeline("v3", CODE["v3"], push_image=False)
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)

#%% code fragment
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach.history import milestones

broken = recorder.samples[mark:]
for milestone in milestones(broken):
    print(f"+{milestone.at - broken[0].at:4.0f} s  {milestone.kind}")
print("now serving:", broken[-1].primary.task_definition, broken[-1].primary.rollout_state, "|", broken[-1].summary())
for count, reason in services.stopped_reasons(ecs, CLUSTER, PROJECT):
    print(f"{count} x {reason.split(': failed to resolve ref')[0]}")

#%% md fragment
The service never stopped serving v2: with `minimumHealthyPercent` 100 the old tasks stay until new ones
are healthy, and none ever were.

#%% md slide
## The same release without the breaker

With the breaker off, ECS **never gives up**: the deployment stays `IN_PROGRESS`, `failedTasks` keeps
growing, and launches are throttled ever more slowly (*unable to consistently start tasks*). The old tasks
keep serving, but nothing tells your pipeline that the release failed. (With the breaker on and `rollback`
off, the deployment is marked FAILED, stops launching, and the old tasks keep running.)

#%% code fragment
deploy(circuit_breaker=False)
mark = len(recorder.samples)
_ = live.run(600, step=STEP)

#%% code fragment
# NBVAL_CHECK_OUTPUT
stuck = recorder.samples[mark:]
for d in stuck[-1].deployments:
    print(f"{d.status:<7} {d.task_definition} {d.rollout_state:<11} running {d.running}, failed tasks {d.failed}")
said = {e.message.split(") ", 1)[-1] for s in stuck for e in s.new_events}
print("ECS said:", sorted(m for m in said if "unable" in m))

#%% md subslide
## Fixing it

Run the pipeline again with a working push. The task definition is the same revision (same tag), but
now the image exists, and turning the breaker back on starts a fresh deployment.

#%% code fragment
# NBVAL_CHECK_OUTPUT
pipeline("v3", CODE["v3"])
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)
print(recorder.samples[-1].primary.task_definition, recorder.samples[-1].primary.rollout_state, "|",
      recorder.samples[-1].summary())

#%% md slide
## The demo panel

For presenters: buttons for a good release, a broken release and killing a task, sliders for the
percentages and the desired count, and the live plot underneath. Each button has a plain method
(`deploy_new()`, `deploy_broken()`, `kill_task()`, `scale()`), which is what the cell after it calls so the
notebook runs without anyone clicking. In `real` mode, press **Start live plot** first so the plot follows
the clicks.

#%% code fragment
print("good release:"); release("v4", CODE["v4"])
good, _ = services.register_if_changed(ecs, services.load_project(PROJECT, COMPOSE, PARAMS).task_definition, {})
print("broken release:"); release("v4-bad", CODE["v4"], push_image=False)
bad, _ = services.register_if_changed(ecs, services.load_project(PROJECT, COMPOSE, PARAMS).task_definition, {})

panel = DemoPanel(CLUSTER, PROJECT, new_version=good["taskDefinitionArn"],
                  broken_version=bad["taskDefinitionArn"], session=lab.session)
display(panel.widget(live))

#%% code fragment
# NBVAL_CHECK_OUTPUT
panel.set_percentages(minimum_healthy_percent=50, maximum_percent=100)   # the talk's "half at a time"
panel.deploy_new()                                                        # = clicking "Deploy new version"
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)
half = recorder.samples[mark:]
print(half[-1].primary.task_definition, half[-1].primary.rollout_state, "|", half[-1].summary())
print("most tasks RUNNING or PENDING at once:", max(s.running + s.pending for s in half))
print("fewest tasks RUNNING:", min(s.running for s in half))

#%% md slide
## The whole session

The static timeline redraws every sample: tasks per deployment (running solid, pending and draining
hatched), the desired count, the limits the percentages set, milestones, and the load balancer's view. The
Gantt chart shows each task of the v1 → v2 rollout.

#%% code fragment
plots.timeline(recorder.samples, title="v1 → v2, a broken v3 (breaker, then none), v3 fixed, v4 half at a time",
               show_limits=True)

#%% code fragment
plots.gantt(rollout, title="The v1 → v2 rollout, task by task")

#%% md slide
## On real AWS

- **Timing**: a rollout of 4 tasks behind an ALB takes about 6 to 8 minutes with the defaults: under a
  minute to start and pass health checks, then the 300 s deregistration delay. The `services_stable`
  waiter gives up after 10 minutes; a rolled-back deployment also ends "stable", so check `rolloutState`.
- **Breaker timing**: failed starts are throttled, so reaching the threshold can take minutes (around
  ten with one task); a crash loop trips faster.
- **Cost**: during a default rollout you pay for up to twice the tasks for those minutes.
- **Pipeline**: the build server needs `ecr:GetAuthorizationToken`, `ecr:*Layer*`/`PutImage` for the push,
  and `ecs:RegisterTaskDefinition`, `ecs:UpdateService`, `ecs:DescribeServices` plus `iam:PassRole` for the
  deploy. Here `push()` only checks ECR; run `docker build`/`docker push` from your build server.

#%% md subslide
## Exercises

#%% code skip
#@check-helper

#%% md skip
**Exercise 1.** For 4 tasks, find percentages so a rollout **never runs more than 5 tasks** and **never
has fewer than 3 healthy**. Put `(minimumHealthyPercent, maximumPercent)` in `limits`. Try them on the
sliders first.

#%% code skip
limits = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
def fits(answer):
    explained = explain_rollout(4, *answer)
    return not explained.deadlocked and explained.peak_tasks <= 5 and explained.lowest_healthy >= 3

check(limits, fits, "at most 5 of 4 is 125 %; at least 3 of 4 is 75 %",
      well_done="Well done: one task of headroom each way, so the rollout goes in small batches.")

#%% md skip
<details><summary>A solution</summary>

```python
limits = (75, 125)   # at least ceil(4 x 0.75) = 3 healthy, at most floor(4 x 1.25) = 5 tasks
```
</details>

#%% md skip
**Exercise 2.** Ship **v5** through the whole pipeline, with code of your own, and wait for it:
`pipeline("v5", {"public/index.php": "<?php ..."}, wait=True)`.

#%% code skip
# your code here

#%% code skip
# NBVAL_CHECK_OUTPUT
now = ecs.describe_services(cluster=CLUSTER, services=[PROJECT])["services"][0]
serving = ecs.describe_task_definition(taskDefinition=now["taskDefinition"])["taskDefinition"]
app_tag = next(c["image"] for c in serving["containerDefinitions"] if c["name"] == "app").rsplit(":", 1)[-1]
check(... if app_tag == "v4" else now,
      lambda s: app_tag == "v5" and s["deployments"][0]["rolloutState"] == "COMPLETED" and len(s["deployments"]) == 1,
      f"the service serves {app_tag}; run the pipeline with 'v5' and wait=True",
      well_done="Well done: v5 is live, rolled out under the breaker's watch.")

#%% md skip
<details><summary>A solution</summary>

```python
pipeline("v5", {"public/index.php": "<?php echo 'Hello from v5';"}, wait=True)
```
</details>

#%% md subslide
## Clean up

Deletes the service, its load balancer and the ECR repository (the cluster stays for the other notebooks;
`07_cleanup` removes it). On AWS, run this.

#%% code skip
live.stop()
panel.close()
services.service_rm(lab.session, CLUSTER, PROJECT, timeout_minutes=30, **waits)
_ = ecr.delete_repository(repositoryName=REPOSITORY, force=True)

#%% md slide
## Recap

- The talk's pipeline is five steps; only the application image's tag changes per release, and
  `service up` turns the new tag into a new revision and a rolling deployment.
- `minimumHealthyPercent` (rounded up) and `maximumPercent` (rounded down) bound each batch; 50/100 is
  the talk's "half at a time", 100/200 (the default) starts everything new first; 100/100 deadlocks.
- The circuit breaker marks a failing deployment FAILED and, with rollback, returns to the last completed
  one. Without it ECS retries forever and the deployment never ends.

Next: **`07_cleanup.ipynb`**.
'''


# =========================================================================================
SOURCES["07_cleanup.ipynb"] = r'''
#%% md slide
# 07 · Cleanup: down, prove it, and count the cost

**Objectives**
- tear down what the course creates, in the right order, with `ops.down` (the talk's `ecs-cli down`),
- prove that nothing is left, by looking for fargate-lab's ownership tags in every service,
- estimate what the session's tasks would have cost on AWS.

#%% md notes
The bill on AWS comes from what is left running. Cleanup is part of the lesson, not an afterthought.

#%% code skip
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
import random

from fargate_lab.teach import setup

random.seed(0)   # moto (EC2 ids, task IP addresses) draws from `random`: seeded, every run is the same
lab = setup()
print(lab)

#%% md subslide
## Something to clean up

On the local cloud this notebook starts fresh, so it first builds a small version of the course: the
cluster and network (01), the talk's service behind a load balancer (04), and one standalone task (03).
On AWS, skip the next cell if the earlier notebooks left things behind: `down` will find them.

#%% code fragment
from pathlib import Path

from fargate_lab import ops
from fargate_lab.ops import services

CLUSTER, SERVICE = "fargate-lab", "my-application"
TALK = next(p for p in (Path("../examples/talk"), Path("examples/talk")) if p.is_dir())
waits = {"sleep": lab.sleep, "clock": lab.now, "poll_seconds": 5}
ecs = lab.client("ecs")

ops.up(lab.session, CLUSTER, say=lambda line: None)
services.service_up(lab.session, CLUSTER, SERVICE, [str(TALK / "docker-compose.yml")], str(TALK / "ecs-params.yml"),
                    desired=2, create_load_balancer=True, create_log_groups=True, say=lambda line: None, **waits)
network = ops.network_for(lab.session, CLUSTER)
job = ecs.register_task_definition(
    family="lesson-07-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
    containerDefinitions=[{"name": "web", "image": "fargatelab/web:v1", "portMappings": [{"containerPort": 80}]}],
)["taskDefinition"]["taskDefinitionArn"]
standalone = ecs.run_task(cluster=CLUSTER, taskDefinition=job, launchType="FARGATE", networkConfiguration={
    "awsvpcConfiguration": {"subnets": network.subnet_ids, "securityGroups": network.security_group_ids,
                            "assignPublicIp": "ENABLED"}})["tasks"][0]["taskArn"]
lab.sleep(600)     # let it all run for ten minutes of cloud time

#%% md slide
## An inventory by tag

Everything the library creates carries two tags: `fargate-lab:managed=true` and
`fargate-lab:cluster=<name>`. Each AWS service lists tags its own way, so the inventory asks each one.
(The Resource Groups Tagging API can do this in one call on AWS, for the services it covers.)

#%% code fragment
from botocore.exceptions import ClientError

from fargate_lab.ops.tags import as_dict, ec2_filters, is_managed

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

#%% code fragment
# NBVAL_CHECK_OUTPUT
before = inventory(CLUSTER)
for kind, count in before.items():
    print(f"{count:>2} x {kind}")

#%% md slide
## What did it cost?

Fargate bills each task from the start of its image pull until it stops, per second, with a one-minute
minimum, at its task definition's size. The tasks' own timestamps give the durations; `estimate_cost` turns
them into dollars. (Do this **before** `down`: once the cluster is gone, its tasks cannot be described.)

#%% code fragment
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

#%% md fragment
Cents. What costs real money is what keeps running: a forgotten service of four such tasks is about
$70 a month, and its load balancer about $16 more before any traffic.

#%% md slide
## `down`

The talk's `ecs-cli down` removed the cluster and its CloudFormation stack. fargate-lab's `down` works in
dependency order and deletes **only what carries its tags**:

1. services (scaled to 0, deleted, waited for) and its own standalone tasks, then the cluster;
2. the stack's network: security group, route table, internet gateway, subnets, VPC;
3. tagged log groups, and the execution role if no other fargate-lab cluster uses it.

A load balancer sits in the subnets and would keep the VPC alive, so it goes first (the CLI's `down` does
the same two calls).

#%% code fragment
import warnings

warnings.filterwarnings("ignore", module="moto")   # the local cloud's own notes on its error replies
removed_with_balancers = services.delete_cluster_load_balancers(lab.session, CLUSTER, timeout_minutes=30,
                                                                say=print, **waits)
try:
    result = ops.down(lab.session, CLUSTER)
except ops.OpsError as refusal:
    print("down refused:", refusal)

#%% md fragment
`down` found the standalone task we started with plain boto3: it has no fargate-lab tags, so as far as
`down` knows it is someone else's, and it will not delete a cluster with someone else's work in it. It is
ours, so stop it (or tag what you start: `run_task(..., tags=ops.tags.for_ecs(CLUSTER))`) and go again.

#%% code fragment
ecs.stop_task(cluster=CLUSTER, task=standalone, reason="cleanup (lesson 07)")
ecs.get_waiter("tasks_stopped").wait(cluster=CLUSTER, tasks=[standalone])
result = ops.down(lab.session, CLUSTER)

#%% code fragment
# NBVAL_CHECK_OUTPUT
print("with the load balancers:", ", ".join(removed_with_balancers))
print("down:", len(result.network), "network resources,", len(result.log_groups), "log group,",
      "the cluster" if result.cluster_arn else "no cluster", "and", "the role" if result.execution_role else "no role")
print("left alone:", result.kept or "nothing")

#%% md subslide
## Prove it

#%% code fragment
# NBVAL_CHECK_OUTPUT
after = inventory(CLUSTER)
left = {kind: count for kind, count in after.items() if count}
print("left behind:", left or "nothing")

#%% md fragment
Task definitions are not in the list: they cost nothing and `down` leaves them (they are history). You can
deregister them, and then delete them, as the exercise shows.

#%% md slide
## On real AWS

- Run this notebook (or `fargate-lab down --backend aws --cluster fargate-lab`) at the end of a session.
  `down` takes a few minutes: services drain (300 s deregistration delay), then CloudFormation deletes
  the network.
- Check the console's **Billing → Cost Explorer** a day later; Fargate, load balancers, public IPv4
  addresses and CloudWatch Logs appear there.
- ECR repositories (06) and Secrets Manager secrets (05) are not tagged by the library: delete them in
  those notebooks' cleanup cells or by hand.
- IAM: the same permissions as creating them, with `Delete*` instead of `Create*`.

#%% md subslide
## Exercises

#%% code skip
#@check-helper

#%% md skip
**Exercise 1.** Leave nothing behind: deregister every ACTIVE revision of the families this notebook
registered (`my-application` and `lesson-07-web`) with `ecs.deregister_task_definition`. Put the number of
revisions you deregistered in `deregistered`.

#%% code skip
deregistered = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
def none_active(answer):
    left = [a for f in ("my-application", "lesson-07-web")
            for a in ecs.list_task_definitions(familyPrefix=f, status="ACTIVE")["taskDefinitionArns"]]
    return answer >= 1 and not left

check(deregistered, none_active, "ecs.list_task_definitions(familyPrefix=..., status='ACTIVE') lists them; "
      "deregister each ARN", well_done="Well done: INACTIVE revisions can no longer start tasks. "
                                       "ecs.delete_task_definitions(taskDefinitions=[...]) removes them for good.")

#%% md skip
<details><summary>A solution</summary>

```python
deregistered = 0
for family in ("my-application", "lesson-07-web"):
    for arn in ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]:
        ecs.deregister_task_definition(taskDefinition=arn)
        deregistered += 1
```
</details>

#%% md skip
**Exercise 2.** The same session with the talk's size changed to 1 vCPU and 2 GB: how much would the
tasks have cost? Reuse the loop above with `estimate_cost({"cpu": "1024", "memory": "2048"}, ...)` and put
the dollars in `bigger_total`.

#%% code skip
bigger_total = ...

#%% code skip
# NBVAL_CHECK_OUTPUT
def bigger(answer):
    expected = 0.0
    for task in tasks:
        if task.get("pullStartedAt") is None:
            continue
        end = task["stoppedAt"].timestamp() if task.get("stoppedAt") else now
        expected += estimate_cost({"cpu": "1024", "memory": "2048"}, hours=(end - task["pullStartedAt"].timestamp()) / 3600).total
    return abs(answer - expected) < 1e-6

check(bigger_total, bigger, "the same hours per task, a different size: sum estimate_cost(...).total",
      well_done="Well done: twice the vCPU and memory, twice the price: size tasks for what they use.")

#%% md skip
<details><summary>A solution</summary>

```python
bigger_total = 0.0
for task in tasks:
    if task.get("pullStartedAt") is None:
        continue
    end = task["stoppedAt"].timestamp() if task.get("stoppedAt") else now
    hours = (end - task["pullStartedAt"].timestamp()) / 3600
    bigger_total += estimate_cost({"cpu": "1024", "memory": "2048"}, hours=hours).total
```
</details>

#%% md slide
## Recap

- `down` removes, in dependency order, only resources tagged as fargate-lab's: services and tasks, the
  cluster, the network stack, log groups, the execution role; load balancers first.
- An inventory by tag proves nothing is left; task definitions stay unless you deregister them.
- Fargate cost = per-second task time × (vCPU price + GB price), one-minute minimum; the session's
  tasks cost cents, forgotten ones cost every hour.

That is the course: clusters, task definitions, tasks, services, environments, rolling deployments, and
cleaning up. The same cells run against AWS with `FARGATE_LAB_MODE=aws`.
'''


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    build(args, execute="--no-run" not in sys.argv)
