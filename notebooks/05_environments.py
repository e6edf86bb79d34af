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
# # 05 · Environments: one image, staging and production
#
# **Objectives**
# - run the same images in staging and production, differing only in environment variables
#   (compose `environment` and `env_file` → the task definition's `environment`),
# - use a runtime switch such as PHP's opcache (`PHP_OPCACHE_ENABLE=0/1`) and know when a change takes effect,
# - keep secrets out of the task definition: Secrets Manager and SSM Parameter Store → `secrets`, fetched by
#   the execution role.

# %% [markdown] slideshow={"slide_type": "notes"}
# From the talk's notes: application environment variables let the same application run in several
# environments (production and staging used different databases) and were easy to change in the build server
# or in ECS; someone who is not a developer could be trained to do it. PHP can read environment variables
# too, which is handy for switches such as opcache per environment.

# %% slideshow={"slide_type": "skip"}
# FARGATE_LAB_MODE: virtual (default) | real | aws. See 00_welcome.
from fargate_lab.teach import setup

lab = setup()
print(lab)

# %% slideshow={"slide_type": "skip"}
import contextlib
import os
import tempfile
from pathlib import Path

from fargate_lab import ops
from fargate_lab.compose import to_task_definition
from fargate_lab.ops.services import register_if_changed
from fargate_lab.teach import talk_folder

CLUSTER = "fargate-lab"
TALK = talk_folder()
scratch = tempfile.TemporaryDirectory(prefix="lesson-05-")
SCRATCH = Path(scratch.name)                              # this notebook's own files, removed at the end
# This notebook runs no tasks: the cluster and the task execution role are enough (no network).
ops.up(lab.session, CLUSTER, empty=True, say=lambda line: None)
ecs = lab.client("ecs")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## One image, many environments
#
# - Build **one** image per release and promote the same bytes from staging to production. What differs
#   between environments (database host, log level, feature flags) comes from **configuration**, injected
#   when the container starts, usually as environment variables.
# - In compose, a service gets variables from `environment:` (which wins) and from `env_file:` files;
#   `${VAR}` in the file is filled from `.env` and the shell. The translation to ECS writes the final
#   values into the container's `environment` list.
# - Those values are part of the **task definition revision**. Changing one means a new revision, and
#   running tasks keep their values until a deployment replaces them.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## The talk's file already has the switches
#
# `php` gets `APP_ENV: ${APP_ENV:-production}` and `PHP_OPCACHE_ENABLE: ${PHP_OPCACHE_ENABLE:-1}`. The build
# server sets those variables per environment. Database settings go in one `env_file` per environment:

# %% slideshow={"slide_type": "fragment"}
(SCRATCH / "staging.env").write_text("DB_HOST=db.staging.internal\nDB_NAME=app_staging\nLOG_LEVEL=debug\n")
(SCRATCH / "production.env").write_text("DB_HOST=db.prod.internal\nDB_NAME=app\nLOG_LEVEL=warning\n")
for stage in ("staging", "production"):
    (SCRATCH / f"docker-compose.{stage}.yml").write_text(
        f"services:\n  php:\n    env_file: [{SCRATCH / (stage + '.env')}]\n")
print((SCRATCH / "docker-compose.staging.yml").read_text())


# %% slideshow={"slide_type": "fragment"}
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


# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
staging = translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="0")
production = translate("production", APP_ENV="production", PHP_OPCACHE_ENABLE="1")

left, right = php_environment(staging), php_environment(production)
print(f"{'php variable':<20} {'staging':<22} production")
for name in sorted(set(left) | set(right)):
    print(f"{name:<20} {left.get(name, '-'):<22} {right.get(name, '-')}")
images = lambda d: [c["image"] for c in d["containerDefinitions"]]
print("same images in both:", images(staging) == images(production))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## A runtime switch: PHP's opcache
#
# PHP reads `${VARIABLES}` inside its ini files, so the php-fpm **service image** can ship one line that the
# environment decides:
#
# ```ini
# ; conf.d/opcache.ini in the php service image
# opcache.enable=${PHP_OPCACHE_ENABLE}
# ```
#
# - Production: `1`, compiled scripts are cached in memory, fast.
# - Staging or development: `0`, every request sees the code as it is now, handy while testing.
#
# The switch is read when php-fpm starts, so flipping it means new tasks: a new revision and a deployment.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
first, made = register_if_changed(ecs, staging, tags={})
print(f"staging with opcache off : {first['family']}:{first['revision']}", "(new)" if made else "(reused)")
same, made = register_if_changed(ecs, translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="0"), tags={})
print(f"the same again           : {same['family']}:{same['revision']}", "(new)" if made else "(reused)")
flipped, made = register_if_changed(ecs, translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="1"), tags={})
print(f"staging with opcache on  : {flipped['family']}:{flipped['revision']}", "(new)" if made else "(reused)")

# %% [markdown] slideshow={"slide_type": "fragment"}
# To apply `:2`, point the staging service at it (`update_service(taskDefinition=...)`, or the talk's
# `service up`): ECS rolls the tasks over (06). ECS offers no way to change a running task's environment.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Secrets are not environment variables
#
# Anything in `environment` is readable by everyone who may call `DescribeTaskDefinition`, and shows in the
# console. Passwords and API keys belong in **AWS Secrets Manager** or **SSM Parameter Store**
# (`SecureString`); the task definition only holds a **reference** in `secrets`:
#
# ```json
# "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:...:secret:..."}]
# ```
#
# When the task starts, ECS fetches the value **with the task execution role** and sets it as an
# environment variable in the container. Nothing secret is stored in ECS.

# %% slideshow={"slide_type": "fragment"}
secretsmanager, ssm = lab.client("secretsmanager"), lab.client("ssm")

db_password = secretsmanager.create_secret(
    Name="my-application/staging/db-password", SecretString="correct horse battery staple")["ARN"]
ssm.put_parameter(Name="/my-application/staging/stripe-key", Value="sk_test_not_a_real_key", Type="SecureString")
stripe_key = ssm.get_parameter(Name="/my-application/staging/stripe-key")["Parameter"]["ARN"]

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## From compose
#
# Compose `secrets` are files under `/run/secrets` in Docker; ECS injects environment variables instead. A
# top-level secret points at AWS with `x-aws-value-from`, and the service names the variable with `target`:

# %% slideshow={"slide_type": "fragment"}
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

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
registered, made = register_if_changed(ecs, staging, tags={})
php = next(c for c in registered["containerDefinitions"] if c["name"] == "php")
print(f"{registered['family']}:{registered['revision']} as ECS shows it to anyone who may describe it:")
print("  environment:", ", ".join(f"{e['name']}={e['value']}" for e in php["environment"]))
for secret in php["secrets"]:
    service = secret["valueFrom"].split(":")[2]
    print(f"  secret {secret['name']}: a reference to {service}, value not stored")
print("password in the task definition:", "correct horse" in str(registered))

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Who fetches the secret: the execution role
#
# The execution role needs permission to read exactly these secrets. ECS calls
# `secretsmanager:GetSecretValue` and `ssm:GetParameters` (plus `kms:Decrypt` for a customer-managed key).
# The managed policy `AmazonECSTaskExecutionRolePolicy` covers ECR pulls and logs, **not** secrets:

# %% slideshow={"slide_type": "fragment"}
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

# %% [markdown] slideshow={"slide_type": "fragment"}
# Without an execution role there is no identity to fetch the secret at all. The local cloud refuses such a
# definition at registration; on AWS, a role that lacks the permission shows up when the task starts: it
# stops with `ResourceInitializationError: unable to pull secrets or registry auth: ...`.

# %% slideshow={"slide_type": "fragment"}
# NBVAL_CHECK_OUTPUT
from botocore.exceptions import ClientError

no_role = {key: value for key, value in staging.items() if key != "executionRoleArn"}
no_role["containerDefinitions"] = [{k: v for k, v in c.items() if k != "logConfiguration"}
                                   for c in staging["containerDefinitions"]]   # leave only the secrets' need
try:
    ecs.register_task_definition(**no_role)
except ClientError as error:
    print(error.response["Error"]["Code"] + ":", error.response["Error"]["Message"])

# %% [markdown] slideshow={"slide_type": "slide"}
# ## On real AWS
#
# - **Timing**: variables and secrets are read once, when each container starts. Rotating a secret means
#   new tasks (`update_service(forceNewDeployment=True)` with the same revision is enough for secrets, since
#   the reference does not change).
# - **Cost**: task definitions are free; Secrets Manager charges per secret per month and per 10,000 API
#   calls; standard SSM parameters are free (advanced ones are not).
# - **IAM**: the execution role reads the secrets (as above); your own code, if it calls AWS at runtime,
#   uses the separate **task role** (`taskRoleArn`). Grant each only what it needs.
# - A whole secret can be injected, or one JSON key of it: `valueFrom: <secret ARN>:password::`.
# - The cleanup cell at the end deletes the secret, the parameter and the role's extra policy: run it on AWS.

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Exercises

# %% slideshow={"slide_type": "skip"}
from fargate_lab.teach import check

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 1.** A bug only happens in production. Build the **staging** task definition with
# production's opcache setting (on) but still `APP_ENV=staging`, using `translate(...)`, and put it in
# `debug_definition`.

# %% slideshow={"slide_type": "skip"}
debug_definition = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
check(debug_definition,
      lambda d: {k: php_environment(d).get(k) for k in ("APP_ENV", "PHP_OPCACHE_ENABLE", "DB_HOST")}
      == {"APP_ENV": "staging", "PHP_OPCACHE_ENABLE": "1", "DB_HOST": "db.staging.internal"},
      "translate('staging', APP_ENV=..., PHP_OPCACHE_ENABLE=...)",
      well_done="Well done: staging's database, production's PHP behaviour, the same images.")

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# debug_definition = translate("staging", APP_ENV="staging", PHP_OPCACHE_ENABLE="1")
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "skip"}
# **Exercise 2.** Which of these belong in `secrets` rather than `environment`? Put their names in the set
# `secret_names`: `APP_ENV`, `DB_HOST`, `DB_PASSWORD`, `PHP_OPCACHE_ENABLE`, `STRIPE_API_KEY`, `LOG_LEVEL`.

# %% slideshow={"slide_type": "skip"}
secret_names = ...

# %% slideshow={"slide_type": "skip"}
# NBVAL_CHECK_OUTPUT
from fargate_lab.teach import exercises

_ = exercises.secret_names(secret_names)

# %% [markdown] slideshow={"slide_type": "skip"}
# <details><summary>A solution</summary>
#
# ```python
# secret_names = {"DB_PASSWORD", "STRIPE_API_KEY"}
# ```
# </details>

# %% [markdown] slideshow={"slide_type": "subslide"}
# ## Clean up
#
# Secrets cost money on AWS (per secret per month), so on AWS this cell removes them by default; the task
# definitions stay (they are free). On the local cloud it leaves them (`lab.clean_up = True` removes them).

# %% slideshow={"slide_type": "skip"}
def clean_up():
    secretsmanager.delete_secret(SecretId=db_password, ForceDeleteWithoutRecovery=True)
    ssm.delete_parameter(Name="/my-application/staging/stripe-key")
    iam.delete_role_policy(RoleName=ops.EXECUTION_ROLE, PolicyName="read-my-application-staging-secrets")

lab.cleanup("the staging secrets and the policy that reads them", clean_up)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Recap
#
# - One set of images runs everywhere; per-environment values come from compose `environment` and
#   `env_file` and end up in the task definition's `environment`.
# - Values belong to a revision: changing one (like `PHP_OPCACHE_ENABLE`) means a new revision and a
#   deployment; `register_if_changed` avoids revisions when nothing changed.
# - Secrets live in Secrets Manager or SSM; the task definition's `secrets` holds only references, and the
#   **execution role** fetches the values when the task starts.
#
# Next: **`06_rolling_deploy.ipynb`**, the talk's pipeline and rolling deployments.
