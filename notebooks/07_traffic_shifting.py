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
# # 07 · Blue/green, canary and linear: ECS moves the traffic
#
# **Objectives**
# - see the two target groups and the two listener rules a traffic-shifting deployment uses,
# - hold a blue/green deployment before production traffic, test the new revision, then continue,
# - watch a canary of a buggy release get caught by a CloudWatch alarm and rolled back,
# - put numbers on "zero downtime", and choose between blue/green, canary, linear and rolling.
#
# The talk: "Once the new instances were up, the load balancer would redirect traffic to the new
# instance … If at any time during the deployment the new instances were considered unstable, ECS would
# route traffic back to the old instances." Since July 2025 ECS does exactly that itself
# (`strategy: BLUE_GREEN`), since October 2025 gradually (`CANARY`, `LINEAR`).

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup(random_seed=0)   # moto draws EC2 ids from `random`: every run is the same
print(lab)

# %% slideshow={"slide_type": "skip"}
import datetime as dt
import tempfile
from pathlib import Path

from IPython.display import display

from fargate_lab import ops
from fargate_lab.ops import services
from fargate_lab.ops.services import ServiceOptions
from fargate_lab.teach import Recorder, plots

CLUSTER, PROJECT = "fargate-lab", "shop"
ops.up(lab.session, CLUSTER, say=lambda line: None)       # the cluster and network of 01 (idempotent)
ecs, elbv2, cloudwatch = lab.client("ecs"), lab.client("elbv2"), lab.client("cloudwatch")
waits = {"sleep": lab.sleep, "clock": lab.now, "poll_seconds": 5}
checkout = tempfile.TemporaryDirectory(prefix="lesson-07-")
WORK = Path(checkout.name)
PARAMS = WORK / "ecs-params.yml"
PARAMS.write_text("version: 1\ntask_definition:\n  ecs_network_mode: awsvpc\n  task_size:\n"
                  "    cpu_limit: 256\n    mem_limit: 0.5GB\n")

def release(tag, wait=True, **flags):
    """`service up` of a one-container shop running fargatelab/web:<tag>; each flag is a ServiceOptions field."""
    compose = WORK / "docker-compose.yml"
    compose.write_text(f'services:\n  web:\n    image: fargatelab/web:{tag}\n    ports:\n      - "80:80"\n')
    options = ServiceOptions(timeout_minutes=90 if wait else 0, **flags)
    return services.service_up(lab.session, CLUSTER, PROJECT, [str(compose)], str(PARAMS), options=options,
                               say=lambda line: None, **waits)

def name(arn):
    """The readable part of an ELB ARN: shop-..., not its random suffix."""
    return arn.split("/")[1] if arn else arn

def latest_deployment():
    arn = ecs.list_service_deployments(cluster=CLUSTER, service=PROJECT)["serviceDeployments"][0]["serviceDeploymentArn"]
    return ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"][0]

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Two target groups, two rules
#
# A rolling deployment replaces tasks inside **one** target group. The traffic-shifting strategies need
# **two**: blue's (production) and an **alternate** one for green, plus listener **rules** whose
# *weighted forward* action ECS rewrites: the **production rule** (customers) and an optional **test rule**
# (a second listener, here port 8080, for you to try green before customers do). ECS changes the rules with
# an IAM role you give it, the *infrastructure role for load balancers*. All of it goes in the service's
# `loadBalancers[].advancedConfiguration`; `--create-load-balancer` with a traffic strategy makes it.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
first = release("v1", desired_count=4, create_load_balancer=True, deployment_strategy="blue-green", bake_minutes=2)
service = ecs.describe_services(cluster=CLUSTER, services=[PROJECT])["services"][0]
balancer = service["loadBalancers"][0]
advanced = balancer["advancedConfiguration"]
print("strategy:", service["deploymentConfiguration"]["strategy"],
      "| bake:", service["deploymentConfiguration"]["bakeTimeInMinutes"], "min")
print("production target group:", name(balancer["targetGroupArn"]))
print("alternate target group: ", name(advanced["alternateTargetGroupArn"]))
print("role:", advanced["roleArn"].split("/")[-1])
LB_ARN = elbv2.describe_target_groups(TargetGroupArns=[balancer["targetGroupArn"]])["TargetGroups"][0]["LoadBalancerArns"][0]

def weights(rule):
    """{target group: weight} of a listener rule's forward action."""
    action = elbv2.describe_rules(RuleArns=[advanced[rule]])["Rules"][0]["Actions"][0]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [{"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}]
    return {name(g["TargetGroupArn"]): g["Weight"] for g in groups}

print("production rule:", weights("productionListenerRule"))
print("test rule:      ", weights("testListenerRule"))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Blue/green, held before production traffic
#
# A **PAUSE lifecycle hook** (May 2026) stops the deployment at a stage until someone calls
# `ContinueServiceDeployment`, with CONTINUE or ROLLBACK. Here it waits just before production traffic
# moves: green runs, the test rule already sends test traffic to it, customers still reach blue.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
release("v2", wait=False, deployment_strategy="blue-green", bake_minutes=2, pause_before_production_traffic=True)
paused = lab.wait_until(lambda: any(h["status"] == "AWAITING_ACTION"
                                    for h in latest_deployment().get("lifecycleHookDetails", [])), timeout=1800)
now = latest_deployment()
print("paused:", paused, "| stage:", now["lifecycleStage"], "| hook:", now["lifecycleHookDetails"][0]["status"])
print("production rule:", weights("productionListenerRule"), "(customers: all on blue)")
print("test rule:      ", weights("testListenerRule"), "(testers: all on green)")
print("green's requested share of production traffic:",
      now["targetServiceRevision"]["requestedProductionTrafficWeight"], "%")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### Test green before customers do
#
# The load balancer publishes per target group metrics to CloudWatch every minute: how many requests
# green answered through the test listener, and how many failed. (Locally every listener gets synthetic
# requests; on AWS, point your smoke tests at port 8080.)

# %% slideshow={"slide_type": "fragment"}
def served(target_group_arn, minutes=2):
    """(requests, 5xx) a target group answered in the last whole minutes, from CloudWatch."""
    end = dt.datetime.fromtimestamp(lab.now(), dt.timezone.utc).replace(second=0, microsecond=0)
    dims = [{"Name": "LoadBalancer", "Value": LB_ARN.split(":loadbalancer/")[1]},
            {"Name": "TargetGroup", "Value": target_group_arn.rsplit(":", 1)[1]}]
    total = {}
    for metric in ("RequestCount", "HTTPCode_Target_5XX_Count"):
        points = cloudwatch.get_metric_statistics(Namespace="AWS/ApplicationELB", MetricName=metric, Dimensions=dims,
                                                  StartTime=end - dt.timedelta(minutes=minutes), EndTime=end,
                                                  Period=60, Statistics=["Sum"])["Datapoints"]
        total[metric] = int(sum(p["Sum"] for p in points))
    return total["RequestCount"], total["HTTPCode_Target_5XX_Count"]

lab.sleep(120)   # two minutes of test traffic
green_requests, green_errors = served(advanced["alternateTargetGroupArn"])
print(f"green answered {green_requests} test requests, {green_errors} with a 5xx")

# %% [markdown] slideshow={"slide_type": "fragment"}
# No errors: continue. `service_continue` is `fargate-lab compose service continue`; it follows the
# deployment to its end: production traffic moves at once (blue/green), both revisions run through the bake
# time, then blue's tasks stop and the two target groups swap roles for the next deployment.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
done = services.service_continue(lab.session, CLUSTER, PROJECT, timeout_minutes=60, say=lambda line: None, **waits)
final = latest_deployment()
print(final["status"], "| stage:", final["lifecycleStage"])
print("production rule:", weights("productionListenerRule"), "(the alternate group is production now)")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A canary of a buggy release, caught by an alarm
#
# `fargatelab/web:v2-errors` passes every health check but answers one request in three with a 500: the
# kind of bug health checks miss. A CANARY deployment sends 20 % of production traffic to it for a
# 5-minute canary bake; an **alarm** on the load balancer's 5xx count (25 or more in a minute) watches. If the alarm fires, ECS
# fails the deployment and, with rollback, puts all the traffic back on the old revision.

# %% slideshow={"slide_type": "fragment"}
ALARM = "shop-5xx"
cloudwatch.put_metric_alarm(
    AlarmName=ALARM, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
    Dimensions=[{"Name": "LoadBalancer", "Value": LB_ARN.split(":loadbalancer/")[1]}], Statistic="Sum", Period=60,
    EvaluationPeriods=1, Threshold=25, ComparisonOperator="GreaterThanOrEqualToThreshold",
    TreatMissingData="notBreaching")
if lab.local:   # nobody tests through the test listener in this part: keep its synthetic traffic off
    lab.cloud.traffic.set_rate(LB_ARN, 0, port=8080)

recorder = Recorder.for_session(lab.session, CLUSTER, PROJECT)
live = lab.live_plot(recorder, title="shop: a canary of v2-errors", window=900)
display(live.widget())
canary_started = lab.now()
release("v2-errors", wait=False, deployment_strategy="canary", canary_percent=20.0, canary_bake_minutes=5,
        bake_minutes=2, alarm_names=(ALARM,))
_ = live.run(1800, step=10, until=lambda sample: sample.settled)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### What happened, and what customers saw
#
# ECS's verdict, then the whole recording: tasks per revision, the targets of both target groups, and the
# load balancer's requests per revision and its 5xx from CloudWatch: the canary's 20 % share, its errors,
# the alarm, and the traffic going back.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
canary = latest_deployment()
print(canary["status"], "| alarm:", canary["alarms"]["status"], canary["alarms"]["triggeredAlarmNames"])
print("production rule:", weights("productionListenerRule"))

# %% slideshow={"slide_type": "fragment"}
plots.timeline(recorder.samples, title="A canary of v2-errors, caught by its alarm")

# %% [markdown] slideshow={"slide_type": "fragment"}
# (After the blue/green above the roles swapped: the old revision now lives in the *alternate* group and
# the canary went into the other one.)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Zero downtime, in numbers
#
# The load balancer counts the requests it could not send anywhere (`HTTPCode_ELB_5XX_Count`, a 503 when
# a target group has no healthy target). Compare the blue/green above with a rolling deployment set to
# `minimumHealthyPercent` 0 and `maximumPercent` 100: it may stop every old task before a new one is
# healthy.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
def elb_errors(since):
    since = since // 60 * 60   # from the start of its minute: a datapoint is stamped with its minute's start
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName="HTTPCode_ELB_5XX_Count", Period=60, Statistics=["Sum"],
        Dimensions=[{"Name": "LoadBalancer", "Value": LB_ARN.split(":loadbalancer/")[1]}],
        StartTime=dt.datetime.fromtimestamp(since, dt.timezone.utc),
        EndTime=dt.datetime.fromtimestamp(lab.now(), dt.timezone.utc))["Datapoints"]
    return int(sum(p["Sum"] for p in points))

print("load balancer 5xx since the canary (blue/green family):", elb_errors(canary_started))
rolling_started = lab.now()
release("v3", deployment_strategy="rolling", min_healthy_percent=0, max_percent=100)
lab.sleep(120)
outage = elb_errors(rolling_started)
print("load balancer 5xx in a rolling deploy at 0 % / 100 %:   ", "none" if not outage else "hundreds" if outage >= 100 else "a few")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Which strategy?
#
# | strategy | traffic moves | time after green is healthy | both revisions run | use it when |
# |---|---|---|---|---|
# | rolling | task by task, as targets turn healthy | none | during the rollout | the default; cheap; a bad release reaches some users before the breaker trips |
# | blue/green | all at once | `bakeTimeInMinutes` | the whole bake | you want to test green first (test listener, PAUSE hook) and switch back in seconds |
# | canary | `canaryPercent`, then the rest | canary bake + bake | canary bake + bake | you want a small real-traffic test with an alarm |
# | linear | `stepPercent` at a time | (steps − 1) × step bake + bake | all of it | you want to grow load gradually (caches, databases) |
#
# Bake time costs money: both revisions run at full size. For 4 tasks of 0.25 vCPU / 0.5 GB in us-east-1:

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
TASK_HOUR = 0.04048 * 0.25 + 0.004445 * 0.5      # Fargate Linux/x86, us-east-1, per task-hour
def bake_cost(tasks, minutes):
    return tasks * TASK_HOUR * minutes / 60

for strategy, minutes in (("blue/green, 10 min bake", 10), ("canary, 10 + 10 min", 20),
                          ("linear 10 % x 6 min, + 10 min", 9 * 6 + 10)):
    print(f"{strategy:<32} {minutes:>3} min of double capacity: ${bake_cost(4, minutes):.4f} a deploy")

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import check

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** How many minutes does a LINEAR deployment with `stepPercent` 20, `stepBakeTimeInMinutes` 3
# and `bakeTimeInMinutes` 5 take from the first shift to the start of clean-up? Put the number in
# `linear_minutes`.

# %% slideshow={"slide_type": "skip"}
linear_minutes = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach import exercises

_ = exercises.linear_minutes(linear_minutes)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# linear_minutes = 4 * 3 + 5   # shifts at 20, 40, 60, 80, 100 %: four step bakes, then the bake
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** Release `v4` as blue/green with a pause before production traffic, then decide it is
# not good enough and roll it back with `services.service_rollback(...)`. The service should end on the
# revision it had before.

# %% slideshow={"slide_type": "skip"}
# your code here

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach import service_here

last = latest_deployment() if service_here(ecs, CLUSTER, PROJECT) is not None else None
if last is not None:
    check(last if last["status"] != "SUCCESSFUL" else ...,
          lambda d: d["status"] == "ROLLBACK_SUCCESSFUL",
          f"the last deployment is {last['status']}: release('v4', wait=False, deployment_strategy='blue-green', "
          "bake_minutes=2, pause_before_production_traffic=True), wait for the pause, then service_rollback",
          well_done="Well done: green never took production traffic, and ECS went back to the last revision.")

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# release("v4", wait=False, deployment_strategy="blue-green", bake_minutes=2, pause_before_production_traffic=True)
# lab.wait_until(lambda: any(h["status"] == "AWAITING_ACTION"
#                            for h in latest_deployment().get("lifecycleHookDetails", [])), timeout=1800)
# _ = services.service_rollback(lab.session, CLUSTER, PROJECT, timeout_minutes=60, say=print, **waits)
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Clean up
#
# On AWS this cell runs by default: it removes the service, its load balancer with both target groups, the
# listener rules, the role and the alarm. On the local cloud it leaves them (`lab.clean_up = True` removes
# them).

# %% slideshow={"slide_type": "skip"}
def clean_up():
    services.service_rm(lab.session, CLUSTER, PROJECT, timeout_minutes=30, say=lambda line: None, **waits)
    cloudwatch.delete_alarms(AlarmNames=[ALARM])

lab.cleanup(f"service {PROJECT}, its load balancer, rules and role, and the alarm {ALARM}", clean_up)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - BLUE_GREEN, CANARY and LINEAR scale the new revision up beside the old one in a second target group and
#   move traffic with the weights of a listener rule; the old revision keeps running through the bake, so
#   going back takes seconds.
# - `advancedConfiguration` names the alternate target group, the production (and test) rule and the role.
# - Lifecycle hooks stop or check a deployment at its stages: PAUSE waits for `ContinueServiceDeployment`.
# - Alarms catch what health checks miss; with rollback, ECS moves the traffic back by itself.
# - Zero downtime is a property you can measure: the load balancer's own 5xx count.
#
# Next: **`08_cleanup.ipynb`**.
