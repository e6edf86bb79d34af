"""A compose project as an ECS service (`compose service ...`) or as standalone tasks (`compose up/ps/down`).

    result = service_up(session, "default", "my-application", ["docker-compose.yml"], "ecs-params.yml",
                        options=ServiceOptions(desired_count=3, create_load_balancer=True))
    result.deployment_id, result.task_definition      # ecs-svc/..., my-application:3

What ecs-cli's `compose service up|create|start|scale|rm` did, with its gaps closed:

* the task definition is registered only when it differs from the service's current
  revision or the family's latest ACTIVE one, compared on the server (ecs-cli kept a
  per-machine cache), so unchanged files give the same revision and no deployment;
* the deployment circuit breaker is on, with rollback, unless asked otherwise;
* `service up` waits for the deployment's rolloutState to be COMPLETED (ecs-cli waited
  for counts only, so a rolled-back deploy "succeeded"), and fails with the reason and
  the stopped tasks' grouped stoppedReasons when the breaker trips or tasks keep
  stopping; the timeout is a total deadline, not an inactivity timer;
* `compose up` waits for RUNNING and fails when a task stops (ecs-cli reported success).

Only boto3 clients made from the session given are used, so the same code runs on the
local cloud and on AWS.  Waiting polls with `sleep` (time.sleep by default) and measures
the deadline with `clock`; a notebook on the virtual clock passes the cloud's own.

This module is the front door; each concern lives in its own module, re-exported here:

- service_options:   ServiceOptions, the flags of `service up|create` as one object, checked when made
- project_common:    the polling pace, the project tag, the cluster check, ownership tags, the network
- task_definitions:  compose files -> RegisterTaskDefinition, registered only when it differs
- log_groups:        the awslogs groups a definition needs, created (tagged) when missing
- load_balancers:    `--create-load-balancer`'s ALB, target group and listener (with a traffic strategy also
                     the alternate target group, listener rules, test listener and role), and deleting them
- deployment_strategy: --deployment-strategy and its settings -> deploymentConfiguration
- deploy_wait:       following a deployment to COMPLETED, and why it failed
- service_lifecycle: `service up|create|start|stop|scale|ps|rm` and the deployment configuration
- service_deployments: `service continue|rollback` on the deployment in progress
- traffic_watch:     a traffic strategy's stage, split, bake, paused hook and ALB rates, for the live view
- standalone_tasks:  `compose up|ps|down`
"""
from __future__ import annotations

from ..compose import ComposeError
from .deploy_wait import (KEEPS_STOPPING, MISSING_GRACE_POLLS, ROLLBACK_GRACE_POLLS, reasons_text, stopped_reasons,
                          task_failure, wait_for_deployment)
from .load_balancers import (ELB_NAME_LIMIT, HEALTH_CHECK_PATH, LoadBalancer, check_load_balancer_flags,
                             delete_load_balancer, ensure_load_balancer, find_load_balancer)
from .log_groups import awslogs_groups, create_log_groups, missing_log_groups
from .log_groups import create_log_groups as create_log_groups_fn   # the name service_lifecycle gives it
from .project_common import (POLL_SECONDS, PROJECT_TAG, OnUpdate, Say, network_configuration, require_cluster,
                             resource_tags)
from .service_deployments import DeploymentAction, service_continue, service_rollback
from .service_lifecycle import (DeployResult, check_deployment_flags, delete_cluster_load_balancers,
                                deployment_configuration, service_create, service_ps, service_rm, service_scale,
                                service_start, service_stop, service_up)
from .service_options import CreateKeywords, ServiceOptions, UpKeywords
from .standalone_tasks import TASK_GROUP_PREFIX, TaskRunResult, compose_down, compose_ps, compose_up
from .task_definitions import (COMPARED_KEYS, RECENT_REVISIONS, Project, comparable_definition, load_project,
                               register_if_changed, same_definition)

__all__ = [   # the names this module has always offered, wherever they live now
    "DeployResult", "TaskRunResult", "LoadBalancer", "Project", "service_up", "service_create",
    "ServiceOptions", "UpKeywords", "CreateKeywords",
    "service_start", "service_stop", "service_scale", "service_ps", "service_rm", "compose_up",
    "compose_ps", "compose_down", "wait_for_deployment", "register_if_changed", "same_definition",
    "stopped_reasons", "ComposeError",
    "KEEPS_STOPPING", "MISSING_GRACE_POLLS", "ROLLBACK_GRACE_POLLS", "reasons_text", "task_failure",
    "ELB_NAME_LIMIT", "HEALTH_CHECK_PATH", "check_load_balancer_flags", "delete_load_balancer",
    "ensure_load_balancer", "find_load_balancer", "awslogs_groups", "create_log_groups", "missing_log_groups",
    "POLL_SECONDS", "PROJECT_TAG", "OnUpdate", "Say", "network_configuration", "require_cluster", "resource_tags",
    "check_deployment_flags", "create_log_groups_fn", "delete_cluster_load_balancers", "deployment_configuration",
    "TASK_GROUP_PREFIX", "COMPARED_KEYS", "RECENT_REVISIONS", "comparable_definition", "load_project",
    "DeploymentAction", "service_continue", "service_rollback",
]
