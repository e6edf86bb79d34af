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
# # 03 · Tasks: run one, watch it live and die
#
# **Objectives**
# - run a standalone task on Fargate with boto3 and follow its lifecycle (and draw it),
# - read its logs from CloudWatch Logs (the `awslogs` driver),
# - recognise the two classic failures: an image that cannot be pulled, an essential container that exits,
# - stop a task and read why it stopped.

# %% [markdown] slideshow={"slide_type": "notes"}
# Talk: "Task: an instance of a Task Definition."

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup(random_seed=0)   # moto draws EC2 ids and task IP addresses from `random`: every run is the same
print(lab)

# %% slideshow={"slide_type": "skip"}
from fargate_lab import ops

CLUSTER = "fargate-lab"
ops.up(lab.session, CLUSTER, say=lambda line: None)       # the cluster and network of 01 (idempotent)
network = ops.network_for(lab.session, CLUSTER)
execution_role = lab.client("iam").get_role(RoleName=ops.EXECUTION_ROLE)["Role"]["Arn"]
ecs, logs = lab.client("ecs"), lab.client("logs")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A task's life
#
# ```
# PROVISIONING → PENDING → ACTIVATING → RUNNING → (DEACTIVATING) → STOPPING → DEPROVISIONING → STOPPED
# ```
#
# | state | what happens on Fargate |
# |---|---|
# | PROVISIONING | capacity is found and the task's network interface is attached in your subnet |
# | PENDING | the images are pulled |
# | ACTIVATING | containers are created; a service's task is registered with its load balancer |
# | RUNNING | the containers run |
# | DEACTIVATING | a service's task leaves its load balancer first (the deregistration delay) |
# | STOPPING | containers get SIGTERM, then SIGKILL after `stopTimeout` (30 s by default) |
# | DEPROVISIONING | the network interface is detached and deleted |
#
# Two fields tell the story: **`lastStatus`** (where the task is) and **`desiredStatus`** (RUNNING or STOPPED,
# where ECS is taking it). A stopped task also carries **`stopCode`** and **`stoppedReason`**.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## A task definition with logs
#
# Fargate has no disk you could read logs from: the `awslogs` driver sends each container's output to
# CloudWatch Logs, one stream per container, named `<prefix>/<container>/<task id>`. The execution role lets
# ECS write there. The log group must exist when the task starts, so create it first (tagged, so that `down`
# in 08 removes it).

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Run it
#
# `run_task` needs the launch type and, with `awsvpc`, the subnets and security groups, plus a public IP so
# the task can pull its image through the internet gateway.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
where = {"awsvpcConfiguration": {"subnets": network.subnet_ids, "securityGroups": network.security_group_ids,
                                 "assignPublicIp": "ENABLED"}}

started = ecs.run_task(cluster=CLUSTER, taskDefinition=hello, launchType="FARGATE", networkConfiguration=where,
                       startedBy="hello")
task = started["tasks"][0]
hello_task = task["taskArn"]
print("failures:", started["failures"])
print("lastStatus", task["lastStatus"], "| desiredStatus", task["desiredStatus"])

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Watch it
#
# `teach.Recorder` follows *services*; for standalone tasks, this small helper samples `describe_tasks`
# into the same `Sample` records, so the same plots work.

# %% slideshow={"slide_type": "fragment"}
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


# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "fragment"}
# `createdAt`, `pullStartedAt`, `pullStoppedAt`, `startedAt` (and later `stoppingAt`, `executionStoppedAt`,
# `stoppedAt`) are the task's own timestamps. On the virtual clock the numbers follow timings measured on
# AWS; in `real` mode they pass `FARGATE_LAB_SPEED` times faster.

# %% slideshow={"slide_type": "fragment"}
plots.gantt(samples, title="One task starting")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Its logs
#
# The library's `log_lines` finds each container's stream from the task definition (as `ecs-cli logs` did);
# underneath it is CloudWatch Logs' `filter_log_events`.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.ops.logs import log_lines

for line in log_lines(lab.session, CLUSTER, hello_task):
    print(f"{line.container} | {line.message}")

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
task_id = hello_task.rsplit("/", 1)[-1]
stream = f"hello/web/{task_id}"                      # <prefix>/<container>/<task id>
events = logs.get_log_events(logGroupName="/ecs/lesson-03", logStreamName=stream)["events"]
print(len(events), "events in stream hello/web/<task id> of /ecs/lesson-03")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When it goes wrong, 1: the image cannot be pulled
#
# A typo in a tag, an image that was never pushed, a private registry without credentials: the task never
# reaches RUNNING. It stops with **`stopCode: TaskFailedToStart`** and a `CannotPullContainerError`.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
missing = register("no-such-image", "fargatelab/web:missing")
run = ecs.run_task(cluster=CLUSTER, taskDefinition=missing, launchType="FARGATE", networkConfiguration=where,
                   startedBy="no-such-image")
[failed] = watch([run["tasks"][0]["taskArn"]], 300, until=lambda tasks: tasks[0]["lastStatus"] == "STOPPED")

print(failed["lastStatus"], "|", failed["stopCode"], "| ever RUNNING:", "startedAt" in failed)
print(failed["stoppedReason"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## When it goes wrong, 2: an essential container exits
#
# A task runs while its **essential** containers run. When one exits, for any reason and with any exit
# code, ECS stops the whole task: **`stopCode: EssentialContainerExited`**. The container's `exitCode` and its
# logs say why.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "fragment"}
# For a *service* the same exit would be followed by a replacement task (04), and repeated failures by the
# deployment circuit breaker (06). A standalone task just stays stopped.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Stopping a task
#
# `stop_task` flips `desiredStatus` to STOPPED at once; the containers get SIGTERM, then SIGKILL after the
# stop timeout. The `reason` you pass becomes the `stoppedReason`.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
stopping = ecs.stop_task(cluster=CLUSTER, task=hello_task, reason="Stopped by lesson 03")["task"]
print("right after stop_task: desiredStatus", stopping["desiredStatus"])

ecs.get_waiter("tasks_stopped").wait(cluster=CLUSTER, tasks=[hello_task])
[stopped] = watch([hello_task], 0)
print(stopped["lastStatus"], "|", stopped["stopCode"], "|", stopped["stoppedReason"])

# %% [markdown] slideshow={"slide_type": "fragment"}
# `get_waiter("tasks_stopped")` is botocore's own waiter, unchanged: on the virtual clock its sleeps move
# cloud time, so it returns at once.

# %% slideshow={"slide_type": "fragment"}
plots.gantt(samples, title="Three tasks: a healthy one stopped by hand, two failures")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# - **Timing**: from `run_task` to RUNNING typically takes 20 to 60 s (network interface, image pull); a
#   failed pull takes about as long to show up; stopping takes from seconds to the `stopTimeout` (30 s
#   default, 120 s max).
# - **Cost**: billing runs from the start of the image pull until the task stops, per second, one minute
#   minimum. A task that fails to start costs little; a forgotten running task costs every hour.
# - **IAM**: `ecs:RunTask`, `ecs:StopTask`, `iam:PassRole` for the execution role; the **execution role**
#   needs `logs:CreateLogStream`/`PutLogEvents` and ECR read access for ECR images (the managed policy
#   `AmazonECSTaskExecutionRolePolicy` has both). With the `awslogs-create-group: "true"` option instead of
#   creating the group yourself, it also needs `logs:CreateLogGroup`. Stopped tasks stay visible for about
#   an hour.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import exercises

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** Run the `hello` task definition again **without** `launchType`. Catch the
# `ClientError` and put its error code (`error.response["Error"]["Code"]`) in `forgot_launch_type`.

# %% slideshow={"slide_type": "skip"}
forgot_launch_type = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.forgot_launch_type(forgot_launch_type)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# from botocore.exceptions import ClientError
#
# try:
#     ecs.run_task(cluster=CLUSTER, taskDefinition=hello, networkConfiguration=where)
# except ClientError as error:
#     forgot_launch_type = error.response["Error"]["Code"]
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** Not every task is a server. `hello-world` prints a greeting and exits. Register a task
# definition for it with `register("job", "hello-world")`, run it, wait until it is STOPPED, and put its
# container's exit code in `job_exit_code`.

# %% slideshow={"slide_type": "skip"}
job_exit_code = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.job_exit_code(job_exit_code, lab, CLUSTER)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# job = register("job", "hello-world")
# arn = ecs.run_task(cluster=CLUSTER, taskDefinition=job, launchType="FARGATE", networkConfiguration=where)["tasks"][0]["taskArn"]
# [finished] = watch([arn], 300, until=lambda tasks: tasks[0]["lastStatus"] == "STOPPED")
# job_exit_code = finished["containers"][0]["exitCode"]
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - `run_task` on Fargate needs `launchType="FARGATE"` and an `awsvpcConfiguration`; the task then walks
#   PROVISIONING → PENDING → ACTIVATING → RUNNING, and on the way out STOPPING → DEPROVISIONING → STOPPED.
# - `lastStatus` says where a task is, `desiredStatus` where it is going; `stopCode` and `stoppedReason`
#   say why it stopped: `TaskFailedToStart` (e.g. `CannotPullContainerError`), `EssentialContainerExited`
#   (read the exit code and the logs), `UserInitiated`.
# - `awslogs` puts each container's output in CloudWatch Logs under `<prefix>/<container>/<task id>`.
#
# Next: **`04_services.ipynb`**, keeping tasks running.
