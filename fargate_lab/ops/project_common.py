"""What every compose-project verb shares: the polling pace, the project tag, the cluster check,
the ownership tags, the dry-run reporter and the awsvpc network a project's tasks get.

Split out of `services.py` (which re-exports it); only boto3 clients from the session given are used.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

from ..compose import EcsParams
from . import cluster as cluster_ops
from . import dryrun
from . import tags as project_tags
from .errors import OpsError
from .plumbing import Client, Json, Session
from .watch import DeploymentSnapshot

POLL_SECONDS = 2.0            # between DescribeServices calls (real seconds)


PROJECT_TAG = "fargate-lab:project"   # which compose project a service, definition or load balancer is for

Say = Callable[[str], None]
OnUpdate = Callable[[DeploymentSnapshot], None]


def require_cluster(ecs: Client, cluster: str) -> Json:
    found: list[Json] = ecs.describe_clusters(clusters=[cluster])["clusters"]
    if not found or found[0].get("status") != "ACTIVE":
        flag = "" if cluster == "default" else f"--cluster {cluster} "
        raise OpsError(f"cluster {cluster} not found in {ecs.meta.region_name}: create it with "
                       f"`fargate-lab {flag}up`")
    return found[0]


def resource_tags(cluster: str, project: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's tags plus fargate-lab's own (managed, cluster, project); ours win."""
    return project_tags.ownership(cluster, {**project_tags.check_user_tags(extra), PROJECT_TAG: project})


def _first_deployment(service: Json) -> str | None:
    deployments: list[Json] = service.get("deployments") or []
    return str(deployments[0]["id"]) if deployments else None   # a dry run's placeholder has none


def _reporter(session: Session, say: Say) -> Say:
    """`say`, or on a dry run nothing: the `would call ...` lines tell that story, and
    "Created service" would be untrue."""
    return (lambda _message: None) if dryrun.is_active(session) else say


def _dry_run_note(session: Session, say: Say) -> None:
    if dryrun.is_active(session):
        say("Dry run: nothing was changed.")


# ---------------------------------------------------------------------------------- network

def network_configuration(session: Session, cluster: str, params: EcsParams | None) -> Json:
    """awsvpc settings: ecs-params run_params where given, else the network `up` made."""
    subnets = list(params.subnets) if params else []
    groups = list(params.security_groups) if params else []
    public = params.assign_public_ip if params else None
    if not subnets:
        made = cluster_ops.network_for(session, cluster)
        subnets = list(made.subnet_ids)
        groups = groups or list(made.security_group_ids)
        public = public or "ENABLED"   # up's subnets are public; a task without a public IP cannot pull
    config: Json = {"subnets": subnets, "assignPublicIp": public or "DISABLED"}
    if groups:
        config["securityGroups"] = groups
    return {"awsvpcConfiguration": config}


def _same_network(current: Json | None, wanted: Json) -> bool:
    def norm(network: Json | None) -> tuple[list[str], list[str], str]:
        vpc: Json = (network or {}).get("awsvpcConfiguration") or {}
        return (sorted(vpc.get("subnets", [])), sorted(vpc.get("securityGroups", [])),
                vpc.get("assignPublicIp", "DISABLED"))
    return norm(current) == norm(wanted)
