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
# # 09 · Challenges: fix the broken deployment
#
# Three services, each broken the way people break theirs. One call sets a challenge up; you investigate
# with what the lessons showed (service events, target health, `describe_*`), fix it with boto3 or the
# library, and the check tells you what is still wrong until nothing is. Solutions are folded away below
# each check: try first.
#
# | challenge | what you see |
# |---|---|
# | `health-check-path` | tasks that start, run a while, and are replaced, again and again |
# | `deadlock` | a release that never starts |
# | `logs-execution-role` | a task definition that will not register |

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup(random_seed=0)
print(lab)

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import challenges, progress

ecs, elbv2, iam = lab.client("ecs"), lab.client("elbv2"), lab.client("iam")
CLUSTER = challenges.CLUSTER

def events(service, count=6):
    """The service's latest events, newest first (what the console shows)."""
    for event in ecs.describe_services(cluster=CLUSTER, services=[service])["services"][0]["events"][:count]:
        print(event["createdAt"].strftime("%H:%M:%S"), event["message"][:160])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · Tasks that keep being replaced

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
challenges.start("health-check-path", lab)

# %% slideshow={"slide_type": "fragment"}
events("checkout")

# %% slideshow={"slide_type": "skip"}
# your investigation and fix here

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = challenges.check("health-check-path", lab)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# group = ecs.describe_services(cluster=CLUSTER, services=["checkout"])["services"][0]["loadBalancers"][0]["targetGroupArn"]
# elbv2.modify_target_group(TargetGroupArn=group, HealthCheckPath="/health")   # the page the app has
# ecs.update_service(cluster=CLUSTER, service="checkout", forceNewDeployment=True)   # the breaker failed the old one
# lab.wait_until(lambda: not challenges.CHALLENGES["health-check-path"].still_wrong(lab), timeout=1800)
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · A release that never starts

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
challenges.start("deadlock", lab)

# %% slideshow={"slide_type": "fragment"}
events("ledger", count=3)

# %% slideshow={"slide_type": "skip"}
# your investigation and fix here

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = challenges.check("deadlock", lab)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# ecs.update_service(cluster=CLUSTER, service="ledger", deploymentConfiguration={"maximumPercent": 200})
# lab.wait_until(lambda: not challenges.CHALLENGES["deadlock"].still_wrong(lab), timeout=1800)
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Logs for the reports service

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
challenges.start("logs-execution-role", lab)
try:
    ecs.register_task_definition(**challenges.BROKEN_LOGS_DEFINITION)
except ecs.exceptions.ClientException as refused:
    print("register_task_definition:", refused.response["Error"]["Message"])

# %% slideshow={"slide_type": "skip"}
# your fix here

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
_ = challenges.check("logs-execution-role", lab)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# role = iam.get_role(RoleName=challenges.EXECUTION_ROLE)["Role"]["Arn"]
# fixed = ecs.register_task_definition(**challenges.BROKEN_LOGS_DEFINITION, executionRoleArn=role)["taskDefinition"]
# ecs.update_service(cluster=CLUSTER, service="reports", taskDefinition=fixed["taskDefinitionArn"])
# lab.wait_until(lambda: not challenges.CHALLENGES["logs-execution-role"].still_wrong(lab), timeout=1800)
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Your progress
#
# Exercises and challenges you passed, in every notebook (kept in a small file on this machine:
# `FARGATE_LAB_PROGRESS`, else `~/.fargate-lab/progress.json`).

# %% slideshow={"slide_type": "fragment"}
_ = progress.summary()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Clean up
#
# On AWS this cell runs by default; on the local cloud it leaves the three services.

# %% slideshow={"slide_type": "skip"}
from fargate_lab.ops import services

def clean_up():
    for service in ("checkout", "ledger", "reports"):
        services.service_rm(lab.session, CLUSTER, service, timeout_minutes=30, say=lambda line: None,
                            sleep=lab.sleep, clock=lab.now, poll_seconds=5)

lab.cleanup("services checkout, ledger and reports (and checkout's load balancer)", clean_up)
