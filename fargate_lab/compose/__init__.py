"""Docker compose files (+ ecs-cli's ecs-params.yml) -> RegisterTaskDefinition input.

    kwargs = to_task_definition(["docker-compose.yml", "docker-compose.prod.yml"], "ecs-params.yml",
                                project_name="my-application")
    boto3.client("ecs").register_task_definition(**kwargs)
    params = read_ecs_params("ecs-params.yml")
    network = params.network_configuration(subnets=[...])   # for CreateService / RunTask

As with ecs-cli, one compose project becomes ONE task definition: every service is a
container of the same task (ecs-cli v1.21's compose translation, github.com/aws/amazon-ecs-cli).  This module only *translates*:
it registers nothing and calls no AWS API, so a translation that fails leaves nothing
registered, by construction.

Errors and warnings
-------------------
Anything that cannot work on ECS raises `ComposeError` (a ValueError) with a one-line
message ``<file>: <field>: <problem>; <what to do>`` (e.g.
``docker-compose.yml: services.web.build: ...``).  Fields that are harmless but have no
ECS meaning (container_name, restart, networks, expose, deploy.replicas, ...) are
dropped with a `ComposeWarning` naming file and field.  Unknown service keys are errors
(a typo such as ``enviroment:`` must not silently drop the environment); keys starting
with ``x-`` are extensions and are ignored (``x-aws-*`` ones with a warning, except
``x-aws-pull_credentials``).  Unknown ecs-params keys only warn, because ecs-cli parsed
that file leniently and published examples carry keys it never read (``os_family``).

What is read
------------
* Compose versions 2.x, 3.x and the unversioned Compose Spec.  Unlike ecs-cli (which
  accepted exactly 1/2/3 and rejected 3.7), the version is only checked, never used to
  switch behaviour: every file is read as the Compose Spec, as docker compose v2 does.
  Version 1 files (services at the top level) are rejected.
* YAML is read with YAML 1.2 scalars as docker compose does, so ``- 22:22`` is a string
  (YAML 1.1 would read the number 1342) and ``yes``/``on`` are strings.
* Interpolation: ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``,
  ``${VAR:?message}``, ``${VAR?message}``, ``${VAR:+alt}``, ``${VAR+alt}``, ``$$``.  Values
  come from ``.env`` next to the FIRST compose file, overridden by os.environ (docker
  compose's precedence).  The ecs-params file is interpolated with the same values
  (ecs-cli ran it through os.ExpandEnv).  An unset variable becomes "" with a warning.
* Several files merge the way ``docker compose -f a -f b`` merges them: mappings merge
  key by key and later scalars win; ``command``, ``entrypoint`` and ``healthcheck.test``
  are replaced; ``environment``/``labels``/``sysctls``/``depends_on`` merge by key
  (list forms are turned into mappings first); ``ports`` merge without duplicates;
  ``volumes`` merge by container path and ``secrets`` by name (a later entry for the same
  path/name replaces the earlier one); other lists (dns, cap_add, env_file, ...) are
  concatenated without duplicates.  ``!reset`` removes a value and ``!override``
  replaces it instead of merging.  Relative paths (env_file) are relative to the first
  file's directory, as in docker compose.
* Project name / family: ``project_name`` argument, else COMPOSE_PROJECT_NAME (process
  environment or .env), else the top-level ``name:``, else the directory name of the
  first compose file (characters ECS does not allow in a family are replaced by "-").
* ``profiles``: services whose profiles are not in COMPOSE_PROFILES are left out (warning).

Decisions (and why)
-------------------
* Launch type: ``awsvpc`` (the default when ecs-params says nothing) means FARGATE:
  ``requiresCompatibilities: ["FARGATE"]`` plus a valid Fargate cpu/memory pair.  Any other
  ``ecs_network_mode`` means EC2 only, with no Fargate size.  (ecs-cli left networkMode
  unset without ecs-params; this library is about Fargate.)
* Task size: ecs-params ``task_size`` if given (``0.5 vCPU``, ``512``, ``1GB``, ``2048``),
  checked against the Fargate table; otherwise the smallest Fargate size that holds the
  sum of the containers' cpu and memory (`engine.fargate.smallest_size`).  Output is
  always plain numbers as strings ("512", "1024"), the form DescribeTaskDefinition returns,
  so that comparing with the registered revision is easy.
* Roles: ``task_role_arn``/``task_execution_role`` are passed through unchanged, names or
  ARNs, as ecs-cli did.  ECS documents taskRoleArn as "the short name or full ARN" and
  ecs-cli's own Fargate tutorial uses ``task_execution_role: ecsTaskExecutionRole``.
* Memory: compose sizes without a unit are BYTES (``mem_limit: 512`` is 512 bytes, an
  ecs-cli trap); they are converted to MiB (truncated) and anything under 6 MiB (the ECS
  minimum) is an error that suggests writing ``512m``.  Task-level ``task_size.mem_limit``
  without a unit is MiB, as in ecs-cli.
* cpu: ecs-params cpu_shares, else ``cpu_shares``, else ``deploy.resources.reservations.cpus``,
  else ``deploy.resources.limits.cpus``, else ``cpus`` (1 cpu = 1024 units).
* Secrets: compose secrets are files in /run/secrets; ECS injects secrets as environment
  variables.  A service secret becomes an ECS secret named after its ``target`` (else the
  secret's name) and a warning says so.  Top-level secrets must point at AWS:
  ``x-aws-value-from: <ARN or SSM parameter>`` or ``external: true`` (+ ``name:``).
* ``depends_on`` maps service_started/service_healthy/service_completed_successfully to
  START/HEALTHY/SUCCESS; ecs-params ``depends_on`` entries win for the same container.
  ECS refuses COMPLETE/SUCCESS on an essential container, so a container that another
  one waits on to finish is made non-essential automatically (with a warning unless
  ecs-params already says ``essential: false``; ``essential: true`` is an error).
* environment, secrets, dependsOn, volumes, ulimits, ... are sorted by name so the same
  files always give the same dict (idempotent registration); containers keep file order.
* Task ``volumes`` are the named volumes some service mounts, plus every ecs-params
  docker/EFS volume (a compose volume nobody mounts is left out).  Anonymous volumes
  (``- /scratch``) become ``anonymous-<service>-<n>`` task volumes.
* A healthcheck only sets the fields that are written; ECS defaults apply to the rest
  (note: ECS's default timeout is 5 s where docker's is 30 s).
* A port published on a different host port ("8000:80", as most published files write it)
  becomes the container port (80) with a warning: awsvpc tasks have their own IP and no port
  translation, and a load-balancer listener is how to serve 8000.
* ``build`` next to ``image`` runs the image (a warning: ECS cannot build); ``build`` alone is
  an error.
* Fargate needs a task execution role for awslogs, secrets, ECR and private-registry images;
  without one in ecs-params, ``execution_role=`` (the ops layer passes the
  ecsTaskExecutionRole that ``fargate-lab up`` creates, when it exists) is used with a warning,
  else it is an error.
* Values under ``environment``, ``labels``, ``sysctls`` and options maps that are themselves
  mappings or lists are errors naming the key, as Compose's schema makes them.
* ``strict=True`` (``--strict``): every warning is an error instead (CI).
* Without an ecs-params file nothing is looked up implicitly (ecs-cli read
  ./ecs-params.yml from the working directory); pass the file you mean.

Not supported (ComposeError): build without image, extends, include, configs, gpus, per-service pid/ipc,
external containers in volumes_from, host bind mounts and ecs-params docker_volumes on
Fargate, and on Fargate also privileged, devices, tmpfs, shm_size, security_opt, cap_add
other than SYS_PTRACE, links/hostname/dns/extra_hosts (awsvpc), stop_grace_period > 120.
ecs-params ``run_params.task_placement`` and ``placement_constraints`` are ignored with a
warning on Fargate; ``service_discovery`` is ignored with a warning.

Where each part lives
---------------------
``task`` (to_task_definition: the task level) puts together ``files`` (load, check,
merge), ``interpolation`` (.env, ${VAR}), ``ecs_params``, ``project`` (family, active
services), ``volumes`` and ``container`` (one service -> one ContainerDefinition, built
from ``resources``, ``ports``, ``environment``, ``mounts``, ``health``, ``logs``,
``options`` and ``dependencies`` on ``service_base``); ``readers`` and ``units`` read
single values, ``errors`` makes the one-line messages, ``yaml_loader`` reads YAML.
"""
from __future__ import annotations

from .ecs_params import EcsParams, ServiceParams, read_ecs_params
from .errors import ComposeError, ComposeWarning
from .task import to_task_definition

__all__ = ["ComposeError", "ComposeWarning", "EcsParams", "ServiceParams", "read_ecs_params",
           "to_task_definition"]
