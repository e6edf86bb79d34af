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
# # 04 · Services: keep N tasks running
#
# **Objectives**
# - create the talk's service from its compose file, behind a load balancer,
# - watch ECS heal it when a task dies, and scale it out and in,
# - read service events, follow load-balancer registration and know what "steady state" means.

# %% [markdown] slideshow={"slide_type": "notes"}
# Talk: "Service: defines how many Tasks to run on a Cluster." Creating it: `ecs-cli compose --project-name
# my-application service up`. Once you have the cluster and the service, you can start to customise the
# deployment.

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup(random_seed=0)   # moto draws EC2 ids and task IP addresses from `random`: every run is the same
print(lab)

# %% slideshow={"slide_type": "skip"}
from fargate_lab import ops
from fargate_lab.ops import services
from fargate_lab.ops.services import ServiceOptions
from fargate_lab.ops.watch import short_event
from fargate_lab.teach import Recorder, plots, talk_folder

CLUSTER, SERVICE = "fargate-lab", "my-application"
TALK = talk_folder()
ops.up(lab.session, CLUSTER, say=lambda line: None)       # the cluster and network of 01 (idempotent)
ecs, elbv2 = lab.client("ecs"), lab.client("elbv2")
waits = {"sleep": lab.sleep, "clock": lab.now, "poll_seconds": 5}   # how the library waits: cloud time

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What a service does
#
# - It holds a **desired count** and a task definition revision. The **service scheduler** compares the
#   tasks that exist with that number, continuously, and starts or stops tasks to close the gap.
# - A task that stops for any reason (a crash, `stop_task`, a failed health check) is **replaced**.
# - It can register its tasks with **load balancer target groups**; with `awsvpc` each task's own IP is the
#   target.
# - Changing the revision (or forcing a new deployment) starts a **deployment**: a rolling replacement,
#   subject of `06`. Changing only the desired count does not.
# - **Counts** in `describe_services`: `desiredCount`, `runningCount` (tasks in RUNNING), `pendingCount`.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The talk's service
#
# `ecs-cli compose --project-name my-application service up` is `services.service_up(...)`: it registers the
# task definition if it changed, creates the service (or updates it), and here also a load balancer. The
# command's flags are one `ServiceOptions`, field by flag: `--desired-count 3 --create-load-balancer
# --create-log-groups`. `timeout_minutes=0` (`--timeout 0`) returns at once so that the next cell can record
# the start.

# %% slideshow={"slide_type": "fragment"}
recorder = Recorder.for_session(lab.session, CLUSTER, SERVICE)

result = services.service_up(
    lab.session, CLUSTER, SERVICE, [str(TALK / "docker-compose.yml")], str(TALK / "ecs-params.yml"),
    options=ServiceOptions(desired_count=3, create_load_balancer=True, create_log_groups=True, timeout_minutes=0),
    **waits)

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
start = recorder.record(600, step=10, sleep=lab.sleep, until=lambda sample: sample.settled)
print(f"after {start[-1].at - start[0].at:.0f} s: {start[-1].summary()}")

service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
print(f"desired {service['desiredCount']}, running {service['runningCount']}, pending {service['pendingCount']}, "
      f"launch type {service['launchType']}")
for lb in service["loadBalancers"]:
    print(f"load balancer: container {lb['containerName']} port {lb['containerPort']} -> target group "
          f"{lb['targetGroupArn'].split('/')[-2]}")

# %% slideshow={"slide_type": "fragment"}
plots.timeline(recorder.samples, title="The service starts: 0 to 3 tasks")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Self-healing
#
# Kill one task, as a crash would. The scheduler notices that 2 < 3 and starts a replacement at once. The
# dead task leaves the load balancer first: its target **drains** for the deregistration delay (300 s by
# default) so requests in flight can finish.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "fragment"}
# The replacement started within seconds of the stop; most of those minutes are the old target draining
# (`DEACTIVATING`), while the replacement was serving long before. "has reached a steady state" comes only once nothing
# is left in motion.

# %% slideshow={"slide_type": "fragment"}
plots.gantt(healing, title="A task dies and is replaced")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Scaling
#
# The desired count is the knob. Changing it is **not** a deployment: the same deployment gets more (or
# fewer) tasks. Scaling in, ECS chooses which tasks to stop (keeping the zones balanced) and stops them with
# `Scaling activity initiated by (deployment ...)`.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
before = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]
ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=5)        # plain boto3
scale_out = recorder.record(600, step=10, sleep=lab.sleep, until=lambda sample: sample.settled)
after = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["deployments"]
print("scaled out:", scale_out[-1].summary())
print("same deployment as before:", [d["id"] for d in before] == [d["id"] for d in after])

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
from collections import Counter

# ecs-cli's `compose service scale 2`: the library waits until the service is steady
services.service_scale(lab.session, CLUSTER, SERVICE, 2, say=lambda line: None, **waits)
scale_in = recorder.record(900, step=10, sleep=lab.sleep, until=quiet)
print("scaled in:", scale_in[-1].summary())
stopped = [t for t in scale_in[-1].tasks if t.last_status == "STOPPED" and t.stop_code != "UserInitiated"]
for (code, reason), count in sorted(Counter((t.stop_code, t.stopped_reason.split(" (")[0]) for t in stopped).items()):
    print(f"  {count} x {code}: {reason} (deployment ...)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Service events
#
# ECS keeps the latest 100 events per service, newest first. They are the first place to look when a
# service misbehaves. The wording is stable enough to match on: *has started*, *has stopped*, *registered*,
# *deregistered*, *has begun draining*, *has reached a steady state*, *deployment completed*.

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Load balancer registration
#
# During `ACTIVATING`, ECS registers the task's IP and port in the target group. The load balancer then
# health-checks it: `initial` → `healthy`; only healthy targets get traffic. On the way out the target is
# `draining` for the deregistration delay, then removed.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
health = elbv2.describe_target_health(TargetGroupArn=result.target_group_arn)["TargetHealthDescriptions"]
print("targets now:", sorted(h["TargetHealth"]["State"] for h in health))
print("ports:", sorted({h["Target"]["Port"] for h in health}))
seen = Counter(state for sample in recorder.samples for state in ("initial", "healthy", "draining")
               if getattr(sample.targets, state))
print("states seen while recording:", sorted(seen))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Steady state
#
# botocore's waiter `services_stable` succeeds when, for every service, there is **one** deployment and
# `runningCount == desiredCount`. It does not look at health or at the rollout state, and tasks that are
# draining are no longer RUNNING, so it can succeed while old tasks are still on their way out.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=3)
ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE])
recorder.sample()
service = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]
print(f"stable: {service['runningCount']}/{service['desiredCount']} running, "
      f"{len(service['deployments'])} deployment, rollout {service['deployments'][0]['rolloutState']}")

# %% slideshow={"slide_type": "fragment"}
plots.timeline(recorder.samples, title="The service's day: start, a crash, scale out, scale in, back to 3")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# - **Timing**: a new task serves after 20 to 60 s plus the load balancer's health checks; a stopped
#   task behind a load balancer takes the deregistration delay (300 s default) to go. Lower it (0 to 3600 s,
#   target-group attribute `deregistration_delay.timeout_seconds`) when requests are short.
# - **Cost**: tasks bill while they exist, draining ones included; the Application Load Balancer bills per
#   hour plus capacity units whether or not traffic flows.
# - **IAM**: `ecs:CreateService`/`UpdateService`/`DeleteService`, `elasticloadbalancing:*` for the load
#   balancer, `iam:PassRole`. ECS uses its service-linked role to register targets (created automatically).
# - The clean-up cell at the end deletes the service and its load balancer: on AWS it runs by default.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import exercises

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** With plain boto3, scale the service to **4** tasks and wait until it is steady
# (hint: `update_service`, then `get_waiter("services_stable")`).

# %% slideshow={"slide_type": "skip"}
# your code here

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.scale_to_four(lab, CLUSTER, SERVICE)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# ecs.update_service(cluster=CLUSTER, service=SERVICE, desiredCount=4)
# ecs.get_waiter("services_stable").wait(cluster=CLUSTER, services=[SERVICE])
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** From the service events, how many tasks did ECS start in this notebook? ("has started N
# tasks" events; the service keeps the latest 100.) Put the number in `started_total`.

# %% slideshow={"slide_type": "skip"}
started_total = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = exercises.started_total(started_total, lab, CLUSTER, SERVICE)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# import re
#
# events = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"][0]["events"]
# started_total = sum(int(found.group(1)) for event in events
#                     for found in [re.search(r"has started (\d+) tasks", event["message"])] if found)
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Clean up
#
# Deleting a service needs its desired count at 0 first (or `force=True`); `service_rm` does that, waits for
# the tasks to stop, and removes the load balancer it made. On AWS this cell runs by default and stops the bill
# for tasks and the load balancer; on the local cloud it leaves them, so that the exercises above still work
# after *Run All* (`lab.clean_up = True` removes them). The cluster and network stay for the next notebook
# (08 removes them).

# %% slideshow={"slide_type": "skip"}
lab.cleanup(f"service {SERVICE} and its load balancer",
            lambda: services.service_rm(lab.session, CLUSTER, SERVICE, timeout_minutes=15, **waits))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - A service keeps `desiredCount` tasks of one revision running: it replaces any task that stops, and
#   registers tasks with its load balancer.
# - Scaling changes the count of the same deployment; scale-in stops tasks with *Scaling activity
#   initiated by (deployment ...)*.
# - Service events narrate everything (starts, stops, registration, draining, steady state).
# - `services_stable` checks one deployment and running == desired, nothing more; draining targets can
#   still be there.
#
# Next: **`05_environments.ipynb`**, one image for staging and production.
