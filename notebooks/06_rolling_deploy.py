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
# # 06 · Rolling deployments: the talk's pipeline, live
#
# **Objectives**
# - run the talk's pipeline with the library: build → test → push a tagged image → update the compose
#   file's tag → `service up`,
# - watch a rolling deployment live, task by task, and see how `minimumHealthyPercent` and
#   `maximumPercent` shape its batches,
# - break a release on purpose: the **circuit breaker** rolls it back; without it, ECS keeps retrying.

# %% [markdown] slideshow={"slide_type": "notes"}
# The talk's CI/CD: the build server ran PHPUnit and Behat on every pull request and blocked merging when a
# build failed. A green build of master pushed the application image to the registry with a tag, then
# deployed it by updating the compose file's tag. ECS drained half of the old containers, started as many
# new ones, moved load-balancer traffic to them, and finished once every old task was gone and the new ones
# were stable. If the new tasks were unstable, traffic went back to the old ones.

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup(random_seed=0)   # moto draws EC2 ids and task IP addresses from `random`: every run is the same
print(lab)

# %% slideshow={"slide_type": "skip"}
# %matplotlib widget
# ipympl: on the virtual clock the live plot below is an interactive canvas; on the real clock it is an
# image that shows at once even under Run All (the static plots show as pictures either way)
import hashlib
import json
import tempfile
from pathlib import Path

from IPython.display import display

from fargate_lab import ops
from fargate_lab.ops import services
from fargate_lab.ops.services import ServiceOptions
from fargate_lab.teach import DemoPanel, Recorder, explain_rollout, plots, talk_folder

CLUSTER, PROJECT, REPOSITORY = "fargate-lab", "my-application", "my-application"
TALK = talk_folder()
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The pipeline
#
# | step | the talk's build server | here |
# |---|---|---|
# | 1 build | `docker build` the application image (code only) | hash the code into an image digest |
# | 2 test | PHPUnit / Behat; a red build stops everything | a tiny test of the code |
# | 3 push | `docker push` to the registry with a tag | put the image into ECR (moto's, locally) |
# | 4 tag | write the new tag into the compose file | write `docker-compose.release.yml` |
# | 5 deploy | `ecs-cli compose service up` | `services.service_up(...)` |
#
# Only the application image changes between releases; nginx and php-fpm stay as they are (see 02).

# %% slideshow={"slide_type": "fragment"}
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

def deploy(wait=False, **flags):
    """5. ecs-cli compose --project-name my-application service up; each of its flags is a ServiceOptions field."""
    options = ServiceOptions(timeout_minutes=30 if wait else 0, **flags)
    result = services.service_up(lab.session, CLUSTER, PROJECT, COMPOSE, PARAMS, options=options,
                                 say=lambda line: None, **waits)
    print(f"5 deploy {result.task_definition}" + (f", {result.outcome}" if wait else ", rolling out"))
    return result

def pipeline(version, code, push_image=True, wait=False, **flags):
    try:
        ecr.describe_repositories(repositoryNames=[REPOSITORY])
    except ecr.exceptions.RepositoryNotFoundException:   # a clean-up cell removed it: say so, not a traceback
        print(f"The ECR repository {REPOSITORY} is gone (a clean-up cell removed it). Run the notebook again "
              "from the top to make it, then the pipeline.")
        return None
    release(version, code, push_image)
    return deploy(wait=wait, **flags)


# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Release v1
#
# The first run creates the service: 4 tasks behind a new Application Load Balancer, the circuit breaker
# on (the library's default), and it waits until the deployment completes.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
first = pipeline("v1", CODE["v1"], wait=True, desired_count=4, create_load_balancer=True, create_log_groups=True)

# %% [markdown] slideshow={"slide_type": "fragment"}
# A red build never reaches production:

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
try:
    pipeline("v2-wip", {"public/index.php": "echo 'forgot the php tag';"})
except AssertionError as failure:
    print("pipeline stopped:", failure, "- production still runs", first.task_definition)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## How a rolling update proceeds
#
# A new revision makes a new **PRIMARY deployment**; the old one becomes **ACTIVE** until its tasks are
# gone. Two numbers bound what the scheduler may do, as percentages of the desired count:
#
# - `minimumHealthyPercent` (default 100): at least this many tasks must stay healthy (rounded **up**);
# - `maximumPercent` (default 200): at most this many tasks may be RUNNING or PENDING (rounded **down**).
#
# Fargate has no cluster capacity to run out of, so with the defaults ECS starts all the new tasks at once,
# waits until they pass the load balancer's health checks, then drains and stops the old ones. The deployment
# completes when no old task is left.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## A live plot
#
# The plot samples the service (`describe_services`, target health, tasks) and redraws. On the virtual
# clock the next cell produces the frames in moments; with `FARGATE_LAB_MODE=real` the same cell animates
# for 30 to 60 s, and the clock holds for a few seconds at each milestone (`FARGATE_LAB_HOLD`, default 3).

# %% slideshow={"slide_type": "fragment"}
recorder = Recorder.for_session(lab.session, CLUSTER, PROJECT)
live = lab.live_plot(recorder, title="my-application", window=900)   # the last 15 minutes
display(live.widget())

# %% slideshow={"slide_type": "fragment"}
pipeline("v2", CODE["v2"])
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
rollout = recorder.samples[mark:]
print(f"{rollout[-1].primary.task_definition} {rollout[-1].primary.rollout_state} after "
      f"{rollout[-1].at - rollout[0].at:.0f} s of cloud time: {rollout[-1].summary()}")
print("most tasks RUNNING or PENDING at once:", max(s.running + s.pending for s in rollout))
print("fewest healthy targets:", min(s.targets.healthy for s in rollout))

# %% [markdown] slideshow={"slide_type": "fragment"}
# The load balancer always had 4 healthy targets to send requests to. Most of the time is the old targets
# draining (the load balancer's deregistration delay, 300 s by default).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Minimum healthy and maximum percent
#
# Move the sliders: the bars show the tasks after each scheduler step (old, new, new still starting) and the
# tasks stopped in that step. The explainer uses the same scheduler code as the local cloud.

# %% slideshow={"slide_type": "fragment"}
import html

import ipywidgets as widgets

whole_label = {"style": {"description_width": "initial"}}   # "desired count", not "desired c…"
sliders = {
    "desired": widgets.IntSlider(4, 1, 10, description="desired count", **whole_label),
    "minimum": widgets.IntSlider(100, 0, 100, step=5, description="min healthy %", **whole_label),
    "maximum": widgets.IntSlider(200, 100, 200, step=5, description="maximum %", **whole_label),
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

# %% [markdown] slideshow={"slide_type": "fragment"}
# The talk's deployments "drained half of the old containers to start as many new ones": that is
# `minimumHealthyPercent=50` with `maximumPercent=100`. Setting the sliders from code works like dragging them:

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
sliders["minimum"].value, sliders["maximum"].value = 50, 100
print(explain_rollout(4, 50, 100).describe())
print()
print(explain_rollout(4, 100, 100).describe())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A broken release and the circuit breaker
#
# The push fails but the job goes on and deploys a tag that does not exist. Every new task fails to pull its
# image (`CannotPullContainerError`). The **deployment circuit breaker** counts tasks of the new deployment
# that fail to reach RUNNING (or, once some run, fail health checks). At a threshold of
# `ceil(0.5 × desired)`, but at least 3 and at most 200, the deployment is marked **FAILED**; with
# `rollback` on, ECS returns to the last **COMPLETED** deployment (the same deployment id, now
# `IN_PROGRESS` again).

# %% slideshow={"slide_type": "fragment"}
pipeline("v3", CODE["v3"], push_image=False)
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach.history import milestones

broken = recorder.samples[mark:]
for milestone in milestones(broken):
    print(f"+{milestone.at - broken[0].at:4.0f} s  {milestone.kind}")
print("now serving:", broken[-1].primary.task_definition, broken[-1].primary.rollout_state, "|", broken[-1].summary())
for count, reason in services.stopped_reasons(ecs, CLUSTER, PROJECT):
    print(f"{count} x {reason.split(': failed to resolve ref')[0]}")

# %% [markdown] slideshow={"slide_type": "fragment"}
# The service never stopped serving v2: with `minimumHealthyPercent` 100 the old tasks stay until new ones
# are healthy, and none ever were.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The same release without the breaker
#
# With the breaker off, ECS **never gives up**: the deployment stays `IN_PROGRESS`, `failedTasks` keeps
# growing, and launches are throttled ever more slowly (*unable to consistently start tasks*). The old tasks
# keep serving, but nothing tells your pipeline that the release failed. (With the breaker on and `rollback`
# off, the deployment is marked FAILED, stops launching, and the old tasks keep running.)

# %% slideshow={"slide_type": "fragment"}
deploy(circuit_breaker=False)
mark = len(recorder.samples)
_ = live.run(600, step=STEP)

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
stuck = recorder.samples[mark:]
for d in stuck[-1].deployments:
    print(f"{d.status:<7} {d.task_definition} {d.rollout_state:<11} running {d.running}, failed tasks {d.failed}")
said = {e.message.split(") ", 1)[-1] for s in stuck for e in s.new_events}
print("ECS said:", sorted(m for m in said if "unable" in m))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Fixing it
#
# Run the pipeline again with a working push. The task definition is the same revision (same tag), but
# now the image exists, and turning the breaker back on starts a fresh deployment.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
pipeline("v3", CODE["v3"])
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)
print(recorder.samples[-1].primary.task_definition, recorder.samples[-1].primary.rollout_state, "|",
      recorder.samples[-1].summary())

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The demo panel
#
# For presenters: buttons for a good release, a broken release and killing a task, sliders for the
# percentages and the desired count, and the live plot underneath. Each button has a plain method
# (`deploy_new()`, `deploy_broken()`, `kill_task()`, `scale()`), which is what the cell after it calls so the
# notebook runs without anyone clicking. In `real` mode a click also starts the live plot, so it follows
# what the click set off (**Stop** stops it).

# %% slideshow={"slide_type": "fragment"}
print("good release:"); release("v4", CODE["v4"])
good, _ = services.register_if_changed(ecs, services.load_project(PROJECT, COMPOSE, PARAMS).task_definition, {})
print("broken release:"); release("v4-bad", CODE["v4"], push_image=False)
bad, _ = services.register_if_changed(ecs, services.load_project(PROJECT, COMPOSE, PARAMS).task_definition, {})

panel = DemoPanel(CLUSTER, PROJECT, new_version=good["taskDefinitionArn"],
                  broken_version=bad["taskDefinitionArn"], session=lab.session, follow=lab.mode != "virtual")
display(panel.widget(live))

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
panel.set_percentages(minimum_healthy_percent=50, maximum_percent=100)   # the talk's "half at a time"
panel.deploy_new()                                                        # = clicking "Deploy new version"
mark = len(recorder.samples)
_ = live.run(1800, step=STEP, until=lambda sample: sample.settled)
half = recorder.samples[mark:]
print(half[-1].primary.task_definition, half[-1].primary.rollout_state, "|", half[-1].summary())
print("most tasks RUNNING or PENDING at once:", max(s.running + s.pending for s in half))
print("fewest tasks RUNNING:", min(s.running for s in half))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## The whole session
#
# The static timeline redraws every sample: tasks per deployment (running solid, pending and draining
# hatched), the desired count, the limits the percentages set, milestones, and the load balancer's view. The
# Gantt chart shows each task of the v1 → v2 rollout.

# %% slideshow={"slide_type": "fragment"}
plots.timeline(recorder.samples, title="v1 → v2, a broken v3 (breaker, then none), v3 fixed, v4 half at a time",
               show_limits=True)

# %% slideshow={"slide_type": "fragment"}
plots.gantt(rollout, title="The v1 → v2 rollout, task by task")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# - **Timing**: a rollout of 4 tasks behind an ALB takes about 6 to 8 minutes with the defaults: under a
#   minute to start and pass health checks, then the 300 s deregistration delay. The `services_stable`
#   waiter gives up after 10 minutes; a rolled-back deployment also ends "stable", so check `rolloutState`.
# - **Breaker timing**: failed starts are throttled, so reaching the threshold can take minutes (around
#   ten with one task); a crash loop trips faster.
# - **Cost**: during a default rollout you pay for up to twice the tasks for those minutes.
# - **Pipeline**: the build server needs `ecr:GetAuthorizationToken`, `ecr:*Layer*`/`PutImage` for the push,
#   and `ecs:RegisterTaskDefinition`, `ecs:UpdateService`, `ecs:DescribeServices` plus `iam:PassRole` for the
#   deploy. Here `push()` only checks ECR; run `docker build`/`docker push` from your build server.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import check, service_here

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** For 4 tasks, find percentages so a rollout **never runs more than 5 tasks** and **never
# has fewer than 3 healthy**. Put `(minimumHealthyPercent, maximumPercent)` in `limits`. Try them on the
# sliders first.

# %% slideshow={"slide_type": "skip"}
limits = ...


# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach import exercises

_ = exercises.rollout_limits(limits)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# limits = (75, 125)   # at least ceil(4 x 0.75) = 3 healthy, at most floor(4 x 1.25) = 5 tasks
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** Ship **v5** through the whole pipeline, with code of your own, and wait for it:
# `pipeline("v5", {"public/index.php": "<?php ..."}, wait=True)`.

# %% slideshow={"slide_type": "skip"}
# your code here

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
now = service_here(ecs, CLUSTER, PROJECT)
if now is not None:
    serving = ecs.describe_task_definition(taskDefinition=now["taskDefinition"])["taskDefinition"]
    app_tag = next(c["image"] for c in serving["containerDefinitions"] if c["name"] == "app").rsplit(":", 1)[-1]
    check(... if app_tag == "v4" else now,
          lambda s: app_tag == "v5" and s["deployments"][0]["rolloutState"] == "COMPLETED" and len(s["deployments"]) == 1,
          f"the service serves {app_tag}; run the pipeline with 'v5' and wait=True",
          well_done="Well done: v5 is live, rolled out under the breaker's watch.")

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# pipeline("v5", {"public/index.php": "<?php echo 'Hello from v5';"}, wait=True)
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Clean up
#
# Deletes the service, its load balancer and the ECR repository (the cluster stays for the other notebooks;
# `08_cleanup` removes it). On AWS this cell runs by default; on the local cloud it leaves them, so that the
# panel and the exercises still work after *Run All* (`lab.clean_up = True` removes them).

# %% slideshow={"slide_type": "skip"}
def clean_up():
    live.stop()
    panel.close()
    services.service_rm(lab.session, CLUSTER, PROJECT, timeout_minutes=30, **waits)
    ecr.delete_repository(repositoryName=REPOSITORY, force=True)

lab.cleanup(f"service {PROJECT}, its load balancer and the ECR repository {REPOSITORY}", clean_up)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - The talk's pipeline is five steps; only the application image's tag changes per release, and
#   `service up` turns the new tag into a new revision and a rolling deployment.
# - `minimumHealthyPercent` (rounded up) and `maximumPercent` (rounded down) bound each batch; 50/100 is
#   the talk's "half at a time", 100/200 (the default) starts everything new first; 100/100 deadlocks.
# - The circuit breaker marks a failing deployment FAILED and, with rollback, returns to the last completed
#   one. Without it ECS retries forever and the deployment never ends.
#
# Next: **`07_traffic_shifting.ipynb`**: ECS moves the load balancer's traffic itself.
