"""The ECS API operations, grouped by the resource they act on.  Each group is a `ResourceApi`
with `op_<Operation>(region, params)` handlers; `Engine` routes every call to one of them."""
from .base import ResourceApi
from .clusters import ClusterApi
from .service_deployments import ServiceDeploymentApi
from .services import DEFAULT_DEPLOYMENT_CONFIG, ServiceApi
from .tags import TagApi
from .task_definitions import TaskDefinitionApi
from .tasks import TaskApi

RESOURCE_APIS: tuple[type[ResourceApi], ...] = (ClusterApi, TaskDefinitionApi, TaskApi, ServiceApi,
                                                  ServiceDeploymentApi, TagApi)

__all__ = ["DEFAULT_DEPLOYMENT_CONFIG", "RESOURCE_APIS", "ClusterApi", "ResourceApi", "ServiceApi",
           "ServiceDeploymentApi", "TagApi", "TaskApi", "TaskDefinitionApi"]
