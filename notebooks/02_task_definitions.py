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
# # 02 · Task definitions: the ECS version of a compose file
#
# **Objectives**
# - translate the talk's `docker-compose.yml` into a task definition and read its anatomy,
# - pick a valid Fargate size and estimate what it costs,
# - see the talk's pattern: one *application image* with the code, *service images* sharing it over a volume,
# - understand revisions: when ECS makes a new one, and how to avoid needless ones.

# %% [markdown] slideshow={"slide_type": "notes"}
# Talk: "Task Definition: the ECS version of a Docker Compose configuration." And from the speaker notes:
# keep a single responsibility per image. The application image contains only the code, the service images
# only the service and its configuration; the services share the code through a named volume, so a
# deployment changes one image tag instead of three or four.

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup()
print(lab)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The talk's compose file
#
# `examples/talk/` holds the talk's application: an `app` image that only carries the code, plus stock
# `php-fpm` and `nginx` images. `ecs-params.yml` adds what compose cannot say (task size, roles, network mode).

# %% slideshow={"slide_type": "fragment"}
from fargate_lab.teach import talk_folder

TALK = talk_folder()
COMPOSE, PARAMS = TALK / "docker-compose.yml", TALK / "ecs-params.yml"
print(COMPOSE.read_text())

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Compose to task definition
#
# `to_task_definition` only translates (no AWS call): the result is the keyword arguments of boto3's
# `register_task_definition`. All compose services become containers of **one** task, as with `ecs-cli`.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Anatomy
#
# | field | what it says |
# |---|---|
# | `family` + revision | the name; every registration adds revision 1, 2, 3 ... (`my-application:3`) |
# | `containerDefinitions` | one per container: `image`, `essential`, `portMappings`, `environment`/`secrets`, `mountPoints`, `dependsOn`, `logConfiguration` |
# | `cpu`, `memory` | the **task's** size; required on Fargate and billed |
# | `networkMode: awsvpc` | the only mode on Fargate: one network interface per task, containers share `localhost` |
# | `requiresCompatibilities` | `FARGATE`: ECS checks the definition against Fargate's rules |
# | `executionRoleArn` | the role ECS itself uses to pull from ECR, write logs, fetch secrets |
# | `taskRoleArn` | the role *your code* uses to call AWS (none here) |
# | `volumes` | task storage the containers share (`code`) |
#
# What the translation changed: `depends_on: service_completed_successfully` became `dependsOn ... SUCCESS`,
# which ECS only allows on a **non-essential** container, so `app` is `essential=False` (it exits after
# copying the code; the task keeps running). Ports keep host = container port, as `awsvpc` has no port mapping.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
ecs = lab.client("ecs")

registered = ecs.register_task_definition(**request)["taskDefinition"]
print(f"{registered['family']}:{registered['revision']} {registered['status']}, "
      f"compatible with {sorted(registered['compatibilities'])}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Fargate sizes
#
# On Fargate the task's `cpu` and `memory` must be one of the published pairs (Linux):
#
# | cpu (units) | vCPU | memory (MiB) |
# |---|---|---|
# | 256 | 0.25 | 512, 1024, 2048 |
# | 512 | 0.5 | 1024 to 4096, in 1024 steps |
# | 1024 | 1 | 2048 to 8192, in 1024 steps |
# | 2048 | 2 | 4096 to 16384, in 1024 steps |
# | 4096 | 4 | 8192 to 30720, in 1024 steps |
# | 8192 | 8 | 16384 to 61440, in 4096 steps |
# | 16384 | 16 | 32768 to 122880, in 8192 steps |
#
# Anything else is refused at registration:

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
from botocore.exceptions import ClientError

too_much_memory = {**request, "cpu": "256", "memory": "4096"}
try:
    ecs.register_task_definition(**too_much_memory)
except ClientError as error:
    print(error.response["Error"]["Code"] + ":", error.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## What a size costs
#
# Fargate charges per vCPU-hour plus per GB-hour, per second with a one-minute minimum per task.
# `estimate_cost` uses a dated price table shipped with fargate-lab:

# %% slideshow={"slide_type": "fragment"}
from fargate_lab.ops.cost import estimate_cost

print(f"{'vCPU':>5} {'GB':>4} {'$ / task-hour':>14} {'$ / 30 days':>12}")
for cpu, memory in (("256", "512"), ("512", "1024"), ("1024", "2048"), ("2048", "4096"), ("4096", "8192")):
    hourly = estimate_cost({"family": "size", "cpu": cpu, "memory": memory}, hours=1)
    print(f"{hourly.vcpu:>5g} {hourly.memory_gb:>4g} {hourly.per_task_hour:>14.5f} {hourly.per_task_hour * 720:>12.2f}")
print("prices as of", hourly.prices.as_of, "for", hourly.prices.region, hourly.prices.platform)

# %% [markdown] slideshow={"slide_type": "fragment"}
# The talk's task is 0.5 vCPU and 1 GB: a few cents an hour. A GB of memory costs about a ninth of a vCPU,
# so the CPU you ask for drives the bill.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The talk's pattern: application image + service images
#
# ```
# task my-application
# ├── app    fargatelab/app:v1     copies the code into volume "code", then exits 0 (non-essential)
# ├── php    php:8.3-fpm-alpine    runs the code from "code"      (waits for app: SUCCESS)
# └── nginx  nginx:1.27-alpine     serves "code" on port 80       (waits for app: SUCCESS)
# ```
#
# - The **application image** holds only code: small, quick to build and to pull, the same bytes in every
#   environment.
# - The **service images** hold only a service and its configuration; they change rarely.
# - A **release** changes one tag (`APP_VERSION`), not three or four, and testing a release means fetching one
#   new image.
# - The price: a start-up dependency between containers, and they talk over `localhost` (nginx reaches
#   php-fpm at `127.0.0.1:9000`), because the task has one network interface.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
import os

os.environ["APP_VERSION"] = "v2"          # what the build server sets for a release (it wins over .env)
release = to_task_definition([str(COMPOSE)], str(PARAMS), project_name="my-application")

for before, after in zip(request["containerDefinitions"], release["containerDefinitions"]):
    changed = [key for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)]
    print(f"{before['name']:<6} {', '.join(changed) or 'unchanged'}"
          + (f": {before['image']} -> {after['image']}" if "image" in changed else ""))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Revisions
#
# - A task definition revision never changes. `register_task_definition` **always** adds a revision, even
#   when nothing differs, and services and tasks point at one exact `family:revision`.
# - Old revisions stay ACTIVE until you deregister them (then INACTIVE: existing tasks keep running, new
#   ones cannot use it).
# - So a deploy script that registers on every run fills the family with identical revisions, and every
#   one of them starts a new deployment. The library's `register_if_changed` compares first.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
again = ecs.register_task_definition(**request)["taskDefinition"]
print("plain boto3, same input again ->", f"{again['family']}:{again['revision']}")

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.ops.services import register_if_changed

same, made = register_if_changed(ecs, request, tags={})
print("register_if_changed, same input ->", f"{same['family']}:{same['revision']}", "(new)" if made else "(reused)")
newer, made = register_if_changed(ecs, release, tags={})
print("register_if_changed, APP_VERSION=v2 ->", f"{newer['family']}:{newer['revision']}", "(new)" if made else "(reused)")

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
arns = ecs.list_task_definitions(familyPrefix="my-application", sort="ASC")["taskDefinitionArns"]
for arn in arns:
    described = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    app = next(c for c in described["containerDefinitions"] if c["name"] == "app")
    print(arn.rsplit("/", 1)[-1], described["status"], app["image"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# Revisions 1 and 2 are identical; revision 3 differs only in the `app` image. A service that moves from
# `:2` to `:3` replaces its tasks, and nginx and php-fpm come back unchanged.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# - Registering is free and immediate; you pay only for tasks that run. A family may hold up to a million
#   revisions, so the cost of needless revisions is confusion and needless deployments, not money.
# - ECS checks the definition when you register it (sizes, Fargate rules) but the **roles** and **images**
#   only when a task starts: a wrong image tag shows up in `03_tasks`.
# - IAM: `ecs:RegisterTaskDefinition`, plus `iam:PassRole` on the execution and task roles it names.
# - Cleaning up: `deregister_task_definition` (then `delete_task_definitions`) removes revisions; `07` shows
#   it.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
os.environ.pop("APP_VERSION", None)   # back to the .env value for the exercises
from fargate_lab.teach import check

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** Register, with plain boto3, a task definition family `web` for the image
# `fargatelab/web:v2`: 0.25 vCPU, 512 MiB, one container `web` publishing port 80, Fargate only. Put the
# response's `taskDefinition` in `web_definition`.

# %% slideshow={"slide_type": "skip"}
web_definition = ...


# %% slideshow={"slide_type": "skip"}
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

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# web_definition = ecs.register_task_definition(
#     family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
#     containerDefinitions=[{"name": "web", "image": "fargatelab/web:v2", "portMappings": [{"containerPort": 80}]}],
# )["taskDefinition"]
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** A worker needs 3 GB of memory and little CPU. What is the cheapest valid Fargate size?
# Put it in `worker_size` as `(cpu, memory)` strings, e.g. `("1024", "4096")`.

# %% slideshow={"slide_type": "skip"}
worker_size = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach import exercises

_ = exercises.worker_size(worker_size)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# worker_size = ("512", "3072")
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - A task definition is the ECS form of a compose file: containers, task-level CPU and memory,
#   `awsvpc` networking, an execution role, shared volumes. `to_task_definition` translates compose into
#   the exact `register_task_definition` input.
# - Fargate accepts only the published CPU/memory pairs; cost is vCPU-hours plus GB-hours.
# - The talk's pattern keeps code in one small application image shared with service images over a named
#   volume, so a release changes one tag.
# - Every registration makes a new, immutable revision; compare first (`register_if_changed`).
#
# Next: **`03_tasks.ipynb`**, running one.
