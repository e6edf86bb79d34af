# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] slideshow={"slide_type": "skip"}
# The talk's deck: short slides, speaker notes, and pictures drawn on the local cloud's virtual clock.
# `fargate-lab slides` runs it and writes build/slides/talk.slides.html, which works offline (docs/slides.md).
# Cell kinds: `slideshow.slide_type` (slide, subslide, fragment, notes, skip); the tag `remove_input` shows
# only a cell's picture. This cell is skipped.

# %% [markdown] slideshow={"slide_type": "slide"}
# # ECS Fargate
#
# ## Containers without servers
#
# Pictures and demos: fargate-lab's local cloud, no AWS account

# %% [markdown] slideshow={"slide_type": "notes"}
# Fargate launched in January. It runs Docker containers without owning EC2 instances: Amazon abstracts
# the creation of servers away from the developer. With the CLI, services are created from the
# docker-compose file. Every picture in this deck was drawn by fargate-lab's local cloud, no AWS account.

# %% slideshow={"slide_type": "skip"}
import tempfile
from pathlib import Path

from IPython.display import display

from fargate_lab import ops
from fargate_lab.ops import services
from fargate_lab.ops.errors import OpsError
from fargate_lab.ops.services import ServiceOptions
from fargate_lab.teach import Recorder, explain_rollout, plots, setup

lab = setup(mode="virtual", random_seed=0)   # the deck is always drawn on the virtual clock, never on AWS
CLUSTER, PROJECT = "talk", "my-application"
ops.up(lab.session, CLUSTER, say=lambda line: None)
waits = {"sleep": lab.sleep, "clock": lab.now, "poll_seconds": 5}
work = tempfile.TemporaryDirectory(prefix="talk-slides-")
COMPOSE, PARAMS = Path(work.name) / "docker-compose.yml", Path(work.name) / "ecs-params.yml"
PARAMS.write_text("version: 1\ntask_definition:\n  ecs_network_mode: awsvpc\n  task_size:\n"
                  "    cpu_limit: 256\n    mem_limit: 0.5GB\n")


def release(tag, wait=False, **flags):
    """`fargate-lab compose service up` of fargatelab/web:<tag>; `wait`: until the deployment ends."""
    COMPOSE.write_text(f'services:\n  web:\n    image: fargatelab/web:{tag}\n    ports:\n      - "80:80"\n')
    options = ServiceOptions(timeout_minutes=60 if wait else 0, deregistration_delay=60, **flags)
    return services.service_up(lab.session, CLUSTER, PROJECT, [str(COMPOSE)], str(PARAMS), options=options,
                               say=lambda line: None, **waits)


def rollout(tag, **flags):
    """Release `tag` and sample the service every 10 cloud seconds until it settles."""
    release(tag, **flags)
    return recorder.record(1800, step=10, sleep=lab.sleep, until=lambda sample: sample.settled)


release("v1", wait=True, desired_count=4, create_load_balancer=True)
recorder = Recorder.for_session(lab.session, CLUSTER, PROJECT)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The pieces
#
# - **Cluster**: where tasks run (EC2 instances, or Fargate: none of yours)
# - **Task definition**: ECS's docker-compose file
# - **Task**: one running copy of a task definition
# - **Service**: keeps N tasks running, behind a load balancer

# %% [markdown] slideshow={"slide_type": "notes"}
# Cluster: EC2 or Fargate capacity provisioned to run Docker containers. Service: how many tasks to run on
# a cluster. Task definition: the ECS version of a Docker Compose configuration. Task: an instance of a task
# definition. Notebooks 01 to 04 go through each one.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Create a cluster, then a service
#
# ```
# $ fargate-lab configure --region us-east-1 --default-launch-type FARGATE
# $ fargate-lab up
# $ fargate-lab compose --project-name my-application service up
# ```
#
# `ecs-cli` is archived: `fargate-lab` takes its commands as typed

# %% [markdown] slideshow={"slide_type": "notes"}
# The talk typed ecs-cli; fargate-lab accepts the same commands against its local cloud (or AWS with
# --backend aws). Once you have the cluster and the service, you can start to customize the deployment.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Docker environments
#
# - one **application image**: the code, nothing else
# - **service images** (nginx, php-fpm): the service and its configuration
# - they share the code through a **named volume**
# - a release changes **one** image tag

# %% [markdown] slideshow={"slide_type": "notes"}
# Single responsibility between service images and application images. Small application images, easy to
# swap between environments; testing a release meant fetching only the new application image. Deployments
# updated one tag rather than three or four. Packaging the code with the service is common practice, but
# named volumes are the better solution here. examples/talk holds the talk's compose file.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Environment variables
#
# - the application's: one image, many environments (staging and prod databases)
# - PHP's: e.g. OPcache on in prod, off in staging
# - changed in the build server or ECS, no rebuild

# %% [markdown] slideshow={"slide_type": "notes"}
# Application environment variables let us run the application in several environments; prod and staging
# had different databases. Easily changed in Bamboo or ECS: a non-developer could have been trained to do it.
# PHP loads environment variables too: enabling or disabling OPcache per environment. Notebook 05.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## CI/CD
#
# - every pull request: build and test (PHPUnit, Behat); red blocks the merge
# - green master: push the application image with a tag
# - deploy: write the tag into the compose file, `service up`
# - ECS rolls the service over to the new tasks

# %% [markdown] slideshow={"slide_type": "notes"}
# The build server ran the PHPUnit and Behat tests; a failed PR build blocked the merge. A successful build
# of master pushed the application image to the registry with a tag, then deployed it by updating the compose
# file's image tag. ECS drained half of the old containers to start as many new ones; once the new ones were
# up, the load balancer sent traffic to them. Done when every old task was gone and the new ones stable.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A rolling deployment: v1 → v2

# %% slideshow={"slide_type": "-"} tags=["remove_input"]
v2 = rollout("v2")
plots.timeline(v2, title="v1 → v2: new tasks start, pass health checks, old targets drain")

# %% [markdown] slideshow={"slide_type": "notes"}
# Four tasks behind an ALB, ECS's defaults (minimum healthy 100 %, maximum 200 %): all four new tasks
# start at once, register as targets and turn healthy, then the old targets drain (60 s here, 300 s by
# default) and stop. The load balancer always had four healthy targets.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Task by task

# %% slideshow={"slide_type": "-"} tags=["remove_input"]
plots.gantt(v2, title="The v1 → v2 rollout, task by task")

# %% [markdown] slideshow={"slide_type": "notes"}
# Each row is a task: provisioning, pending, activating, running, then deactivating (draining), stopping.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## "Half at a time": minimum healthy 50 %, maximum 100 %

# %% slideshow={"slide_type": "-"} tags=["remove_input"]
plots.explainer(explain_rollout(4, 50, 100))

# %% [markdown] slideshow={"slide_type": "notes"}
# The talk's deployments drained half of the old containers to start as many new ones: that is minimum
# healthy 50 % (rounded up) and maximum 100 % (rounded down). Notebook 06 has sliders for these.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A broken release: the circuit breaker

# %% slideshow={"slide_type": "-"} tags=["remove_input"]
broken = rollout("crash")
plots.timeline(broken, title="fargatelab/web:crash: the new tasks crash → FAILED → rolled back to v2")

# %% [markdown] slideshow={"slide_type": "notes"}
# "If at any time the new instances were unstable, ECS would route traffic back to the old ones." The new
# tasks exit one after another; at the threshold (half the desired count, at least 3) the deployment circuit
# breaker marks it FAILED and rolls back to the last completed deployment. v2 never stopped serving.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Since 2025: ECS moves the traffic
#
# - **blue/green**: all at once, after a test listener and a bake
# - **canary**: a share first, then the rest
# - **linear**: step by step
# - an **alarm** rolls it back

# %% [markdown] slideshow={"slide_type": "notes"}
# July 2025 brought ECS's own blue/green, October 2025 canary and linear. The new revision runs beside the
# old one in a second target group; ECS rewrites the listener rule's weights. Notebook 07 goes through them.

# %% slideshow={"slide_type": "skip"}
balancer = lab.client("ecs").describe_services(cluster=CLUSTER, services=[PROJECT])["services"][0]["loadBalancers"][0]
elbv2, cloudwatch = lab.client("elbv2"), lab.client("cloudwatch")
LB_ARN = elbv2.describe_target_groups(TargetGroupArns=[balancer["targetGroupArn"]])["TargetGroups"][0]["LoadBalancerArns"][0]
cloudwatch.put_metric_alarm(
    AlarmName="my-application-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
    Dimensions=[{"Name": "LoadBalancer", "Value": LB_ARN.split(":loadbalancer/")[1]}], Statistic="Sum", Period=60,
    EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanOrEqualToThreshold",
    TreatMissingData="notBreaching")
lab.cloud.traffic.set_rate(LB_ARN, 0, port=8080)   # no test traffic: the canary's requests come from customers
canary_started = lab.now()
try:
    release("v2-errors", wait=True, deployment_strategy="canary", canary_percent=20.0, canary_bake_minutes=5,
            bake_minutes=2, alarm_names=("my-application-5xx",), create_load_balancer=True)
except OpsError as failure:
    outcome = str(failure).split(";")[0]
lab.sleep(120)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## A canary caught by its alarm

# %% slideshow={"slide_type": "-"} tags=["remove_input"]
series = lab.cloud.traffic.revision_series(lab.session.region_name, LB_ARN)
minutes = [m for m in series if m >= canary_started // 60 * 60]
revisions = sorted({rev for m in minutes for rev in series[m]})
figure = plots.new_figure(11, 4.8)
axis = figure.subplots()
width = 0.8 / max(len(revisions), 1)
for i, rev in enumerate(revisions):
    x = [(m - minutes[0]) / 60 + (i - (len(revisions) - 1) / 2) * width for m in minutes]
    served = [series[m].get(rev) for m in minutes]
    axis.bar(x, [row.requests if row else 0 for row in served], width=width, color=plots.DEPLOYMENT_COLOURS[i],
             label=f"{rev}: requests")
    axis.bar(x, [row.errors if row else 0 for row in served], width=width, color="#C62828",
             label="5xx" if i == len(revisions) - 1 else None)
axis.axhline(10, color="black", linestyle="--", linewidth=1, label="alarm: 10 errors a minute")
axis.set_xlabel("minutes since the canary release")
axis.set_ylabel("requests per minute")
axis.set_title("Canary of fargatelab/web:v2-errors (1 request in 3 fails): 20 % of the traffic, then back",
               loc="left", fontsize=11)
axis.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
display(figure)

# %% [markdown] slideshow={"slide_type": "notes"}
# The release passes every health check but answers one request in three with a 500: health checks miss
# it. The canary gets 20 % of production traffic for its bake; the alarm on the load balancer's 5xx count
# fires, ECS fails the deployment and puts all traffic back on the old revision within a minute.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Demo
#
# - terminal: `fargate-lab demo` (about 90 s)
# - JupyterLab: `notebooks/06_rolling_deploy`, the demo panel
#   (deploy, deploy a broken release, kill a task)

# %% [markdown] slideshow={"slide_type": "notes"}
# Switch to the terminal or to JupyterLab (View → Presentation Mode): widgets do not run in this deck.
# docs/presenter.md has the checklist; FARGATE_LAB_MODE=real FARGATE_LAB_SPEED=10 for a live rollout.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Thanks
#
# - Services I've used: Bamboo, Travis, ECS, Rancher
# - Try it: `pip install -e ".[notebooks]"`, then `jupyter lab notebooks/`
# - no AWS account needed: everything here ran on a local cloud

# %% [markdown] slideshow={"slide_type": "notes"}
# Questions. The notebooks are in the repository; 09_challenges has three broken deployments to fix.
