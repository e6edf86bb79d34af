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
# # ECS on Fargate, hands-on: welcome
#
# *Containers without servers*: this course grows out of a talk about running a PHP application on
# Amazon ECS with Fargate, deploying it from a build server, and letting ECS roll new versions out.
# Every notebook runs against an **embedded local cloud**: no AWS account, no Docker, no bill.
#
# **In this notebook you will**
# - pick how the course runs (one setting) and start the local cloud,
# - check that everything answers,
# - see what it would take, and cost, to run the same notebooks on AWS.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The course
#
# | notebook | you will |
# |---|---|
# | `01_clusters` | create a cluster and its network, as `ecs-cli configure` / `ecs-cli up` did in the talk |
# | `02_task_definitions` | turn the talk's docker-compose file into a task definition; sizes, cost, revisions |
# | `03_tasks` | run a task, follow its lifecycle, read its logs, make it fail on purpose, stop it |
# | `04_services` | keep N tasks running: self-healing, scaling, service events, a load balancer |
# | `05_environments` | one image, many environments: variables, PHP's opcache switch, secrets |
# | `06_rolling_deploy` | the talk's pipeline: build, test, push, deploy; live plots, the circuit breaker |
# | `07_traffic_shifting` | blue/green, canary and linear: ECS moves the traffic, a pause, an alarm rollback |
# | `08_cleanup` | tear it all down, prove nothing is left, and see what it would have cost |
# | `09_challenges` | three broken deployments to fix (health check path, a 100/100 deadlock, logs without a role) |
#
# Each notebook stands alone: run it top to bottom in any order.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## How the local cloud works
#
# - Your code is **plain boto3** (or the small `fargate_lab.ops` library that does what `ecs-cli` did).
#   The same cells run unchanged against AWS.
# - ECS is answered by fargate-lab's own engine: tasks go through their real lifecycle, services replace
#   failed tasks, deployments roll and the circuit breaker trips. EC2, load balancers, logs, IAM, ECR,
#   Secrets Manager and SSM are answered by [moto](https://github.com/getmoto/moto).
# - Containers cannot actually run here, so a catalog of **demo images** says what each image does:
#   `fargatelab/web:v1` is a healthy web server, `:crash` exits with code 1, `:missing` does not exist, ...
# - Time is **virtual** by default: it moves only when a notebook waits, so a ten-minute rollout takes a
#   fraction of a second and gives the same result every time.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The one setting: `FARGATE_LAB_MODE`
#
# | mode | what runs | time | for |
# |---|---|---|---|
# | `virtual` (default) | the local cloud | moves only when a cell waits | learning, CI: every notebook runs in seconds |
# | `real` | the local cloud | wall clock, `FARGATE_LAB_SPEED` times faster than AWS (default 10) | presenting: a rolling deploy takes 30–60 s on stage |
# | `aws` | your AWS account | real time | trying it for real (it costs money, see below) |
#
# Set it in the shell before starting Jupyter (`FARGATE_LAB_MODE=real jupyter lab`), or uncomment the line
# in the next cell. Every notebook starts with the same call, `setup()`.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
# The one setting: FARGATE_LAB_MODE = "virtual" (default) | "real" | "aws"
# import os; os.environ["FARGATE_LAB_MODE"] = "real"; os.environ["FARGATE_LAB_SPEED"] = "10"
from fargate_lab.teach import setup

lab = setup()      # starts the local cloud (virtual/real) or nothing at all (aws)
print(lab)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Setup check
#
# Versions first (useful when you ask for help), then a call to two services to prove the cloud answers.

# %% slideshow={"slide_type": "skip"}
import importlib.metadata as metadata
import platform

print(f"{'python':<12} {platform.python_version()}")
for name in ("fargate-lab", "boto3", "botocore", "moto", "matplotlib", "ipywidgets"):
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        version = "not installed (pip install -e '.[notebooks]')"
    print(f"{name:<12} {version}")

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
sts = lab.client("sts")
ecs = lab.client("ecs")

identity = sts.get_caller_identity()
clusters = ecs.list_clusters()["clusterArns"]
print("STS answers: account", identity["Account"])
print(f"ECS answers: {len(clusters)} clusters in {ecs.meta.region_name}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# `lab.client(...)` is a boto3 client from the lab's session. On the local cloud the account is moto's
# `123456789012`. In `aws` mode the same two calls show your account and its clusters.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Cloud time
#
# Notebooks never call `time.sleep`. They call `lab.sleep(seconds)` with **cloud** seconds, and each mode does
# the right thing: instantly (virtual), `seconds / FARGATE_LAB_SPEED` of wall time (real), or a real sleep (aws).

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
before = lab.now()
lab.sleep(90)
print(f"{lab.now() - before:.0f} s of cloud time passed")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# **Switching.** Configure credentials as for the AWS CLI (`aws configure`, `AWS_PROFILE`, or SSO), choose a
# region (`AWS_REGION=us-east-1`), then start Jupyter with `FARGATE_LAB_MODE=aws`. Use a sandbox account:
# the notebooks create and delete clusters, VPCs, load balancers, IAM roles and log groups.
#
# **Permissions.** The identity needs ECS, EC2 (VPC, subnets, security groups), CloudFormation, Elastic Load
# Balancing, CloudWatch Logs, ECR, IAM (create a role and `iam:PassRole` it to ECS), and for notebook 05
# Secrets Manager and SSM.
#
# **Timing.** Real minutes instead of virtual ones: a task takes roughly 20–60 s to reach RUNNING, and a
# rolling deployment behind a load balancer takes several minutes, mostly the load balancer's 300 s
# deregistration delay.
#
# **Cost.** Fargate bills per second, with a one-minute minimum per task, from the moment the image pull
# starts until the task stops: a price per vCPU-hour plus a price per GB-hour of memory. The cell below uses
# the price table shipped with fargate-lab (dated; check the pricing page before relying on it).

# %% slideshow={"slide_type": "fragment"}
from fargate_lab.ops.cost import estimate_cost

talk_size = {"family": "my-application", "cpu": "512", "memory": "1024"}   # 0.5 vCPU, 1 GB
estimate = estimate_cost(talk_size, count=4, hours=1, region="us-east-1")
print("\n".join(estimate.lines()))

# %% [markdown] slideshow={"slide_type": "fragment"}
# Fargate is rarely the whole bill. An Application Load Balancer costs about $0.02 per hour plus
# capacity units, each public IPv4 address about $0.005 per hour, and logs and images are billed per GB
# (CloudWatch Logs ingestion, ECR storage). On AWS each notebook ends by removing what would keep billing
# (services, load balancers, secrets, the ECR repository), and `08_cleanup` removes the cluster and its
# network (or run `fargate-lab down --backend aws`). On the local cloud those clean-up cells leave everything
# in place, so *Run All* and then the exercises always works (`FARGATE_LAB_CLEAN_UP=1` makes them clean up
# here too, `=0` keeps things on AWS).

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises
#
# Each exercise has a cell for your answer and a self-check cell. The answer starts as `...`: the check then
# just gives you a hint. Replace `...`, run both cells, and the check tells you how you did.

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import check

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** What would the talk's four tasks (0.5 vCPU, 1 GB each) cost for an 8-hour working day in
# us-east-1? Use `estimate_cost` and put the dollar amount (a number) in `day_cost`.

# %% slideshow={"slide_type": "skip"}
day_cost = ...   # e.g. estimate_cost(talk_size, count=..., hours=...).total

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
check(day_cost,
      lambda answer: abs(answer - estimate_cost(talk_size, count=4, hours=8).total) < 0.001,
      "count is the number of tasks, hours how long each runs; read `.total`",
      well_done="Well done: that is a working day of the talk's service, Fargate only.")

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# day_cost = estimate_cost(talk_size, count=4, hours=8).total
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** You are presenting this course on stage and want a rollout to take about a minute of
# wall time. Which mode do you set? Put its name (a string) in `stage_mode`.

# %% slideshow={"slide_type": "skip"}
stage_mode = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach import exercises

_ = exercises.stage_mode(stage_mode)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# stage_mode = "real"
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - One setting, `FARGATE_LAB_MODE`, decides where ECS lives: `virtual` (default), `real` or `aws`.
# - Every notebook begins with `lab = setup()` and uses `lab.client(...)`, `lab.sleep(...)`, `lab.now()`.
# - The code is plain boto3 or `fargate_lab.ops`: it runs unchanged on AWS, where Fargate bills per second
#   (one-minute minimum) for vCPU and memory, and load balancers, addresses and logs cost extra.
#
# Next: **`01_clusters.ipynb`**, the talk's first two commands.
