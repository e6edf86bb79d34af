"""The tags that mark a resource as made by fargate-lab, in each service's dialect.

Two tags go on everything the ops layer creates:

    fargate-lab:managed = "true"          # we made it, so `down` may remove it
    fargate-lab:cluster = <cluster name>  # ... when tearing down this cluster

`down` removes only resources that carry both (with the right cluster), so a VPC,
role or cluster that someone made by hand is never touched.  Each AWS service spells
tags differently; the `for_*` helpers render the same set for each of them.
"""
from __future__ import annotations

from collections.abc import Mapping

from .plumbing import Json, TagsLike, ecs_tags, key_value_tags, tag_dict

MANAGED_TAG = "fargate-lab:managed"
MANAGED_VALUE = "true"
CLUSTER_TAG = "fargate-lab:cluster"

def ownership(cluster: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The user's extra tags plus ours; ours win, so ownership cannot be faked away."""
    return {**(extra or {}), MANAGED_TAG: MANAGED_VALUE, CLUSTER_TAG: cluster}


def for_ec2(cluster: str, extra: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """[{"Key":..,"Value":..}] as EC2 `Tags` (and CreateTags) take them."""
    return key_value_tags(ownership(cluster, extra))


def ec2_tag_specifications(resource_type: str, cluster: str,
                           extra: Mapping[str, str] | None = None) -> list[Json]:
    """EC2's `TagSpecifications=` for a create call (tags the resource atomically)."""
    return [{"ResourceType": resource_type, "Tags": for_ec2(cluster, extra)}]


def for_ecs(cluster: str, extra: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """[{"key":..,"value":..}]: ECS spells them in lower case."""
    return ecs_tags(ownership(cluster, extra))


for_iam = for_ec2   # IAM's CreateRole(Tags=...) uses Key/Value too
for_cfn = for_ec2   # ... and so do CloudFormation stacks and resource properties


def for_logs(cluster: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """CloudWatch Logs' CreateLogGroup(tags=...) takes a plain dict."""
    return ownership(cluster, extra)


def ec2_filters(cluster: str) -> list[Json]:
    """Describe* filters that find only our resources for `cluster`."""
    return [{"Name": f"tag:{MANAGED_TAG}", "Values": [MANAGED_VALUE]},
            {"Name": f"tag:{CLUSTER_TAG}", "Values": [cluster]}]


as_dict = tag_dict   # any AWS tag shape -> dict (plumbing.tag_dict)


def is_managed(tags: TagsLike, cluster: str | None = None) -> bool:
    """True if the tags say fargate-lab made the resource (for `cluster`, when given)."""
    found = as_dict(tags)
    if found.get(MANAGED_TAG) != MANAGED_VALUE:
        return False
    return cluster is None or found.get(CLUSTER_TAG) == cluster


def check_user_tags(extra: Mapping[str, str] | None) -> dict[str, str]:
    """Validate `--tags`: AWS reserves the aws: prefix and we reserve ours."""
    from .errors import OpsError
    extra = dict(extra or {})
    for key, value in extra.items():
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise OpsError(f"tags: {key!r}={value!r} is not a text key=value pair; pass --tags key=value,...")
        if key.lower().startswith("aws:"):
            raise OpsError(f"tags: {key!r} starts with 'aws:', which AWS reserves; choose another key")
        if key.startswith("fargate-lab:"):
            raise OpsError(f"tags: {key!r} starts with 'fargate-lab:', which marks what fargate-lab owns; "
                           "choose another key")
    return extra
