"""The status values the engine keeps and shows, typed.

Each is a `str` enum whose value is exactly what the API shows, so a record's field compares equal
to the plain string, and JSON carries the same text.  Renders still write plain strings
(`str(member)`), so a response never holds an enum."""
from __future__ import annotations

import enum
import sys

if sys.version_info >= (3, 11):
    StrEnum = enum.StrEnum
else:   # requires-python is >= 3.10
    class StrEnum(str, enum.Enum):
        _value_: str   # what `.value` is, for the type checker (an annotation, not a member)

        def __str__(self) -> str:
            return self.value

        def __format__(self, spec: str) -> str:
            return self.value.__format__(spec)


class TaskStatus(StrEnum):
    """A task's lastStatus (docs/ecs-behaviour.md §1); desiredStatus is RUNNING or STOPPED."""
    PROVISIONING = "PROVISIONING"
    PENDING = "PENDING"
    ACTIVATING = "ACTIVATING"
    RUNNING = "RUNNING"
    DEACTIVATING = "DEACTIVATING"
    STOPPING = "STOPPING"
    DEPROVISIONING = "DEPROVISIONING"
    STOPPED = "STOPPED"


class ContainerStatus(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"


class HealthStatus(StrEnum):
    HEALTHY = "HEALTHY"
    UNHEALTHY = "UNHEALTHY"
    UNKNOWN = "UNKNOWN"


class TargetState(StrEnum):
    """A task's registration in a target group, as DescribeTargetHealth shows it."""
    INITIAL = "initial"
    HEALTHY = "healthy"
    UNHEALTHY = "unhealthy"
    DRAINING = "draining"
    UNUSED = "unused"


class AttachmentStatus(StrEnum):
    PRECREATED = "PRECREATED"
    ATTACHED = "ATTACHED"
    DELETED = "DELETED"


class ClusterStatus(StrEnum):
    ACTIVE = "ACTIVE"
    PROVISIONING = "PROVISIONING"
    DEPROVISIONING = "DEPROVISIONING"
    FAILED = "FAILED"
    INACTIVE = "INACTIVE"


class TaskDefinitionStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"


class ServiceStatus(StrEnum):
    ACTIVE = "ACTIVE"
    DRAINING = "DRAINING"
    INACTIVE = "INACTIVE"


class DeploymentStatus(StrEnum):
    """A deployment's place in DescribeServices' list: PRIMARY (newest), ACTIVE (older, still has tasks)."""
    PRIMARY = "PRIMARY"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


class RolloutState(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


class ServiceDeploymentStatus(StrEnum):
    """The 2024 ServiceDeployment API's status."""
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESSFUL = "SUCCESSFUL"
    STOPPED = "STOPPED"
    STOP_REQUESTED = "STOP_REQUESTED"
    ROLLBACK_REQUESTED = "ROLLBACK_REQUESTED"
    ROLLBACK_IN_PROGRESS = "ROLLBACK_IN_PROGRESS"
    ROLLBACK_SUCCESSFUL = "ROLLBACK_SUCCESSFUL"
    ROLLBACK_FAILED = "ROLLBACK_FAILED"


class BreakerStatus(StrEnum):
    """ServiceDeploymentRollbackMonitorsStatus: a ServiceDeployment's deploymentCircuitBreaker.status,
    and its alarms.status."""
    TRIGGERED = "TRIGGERED"
    MONITORING = "MONITORING"
    MONITORING_COMPLETE = "MONITORING_COMPLETE"
    DISABLED = "DISABLED"


# A service still there (DeleteService makes it DRAINING until its tasks are gone, then INACTIVE)
LIVE_SERVICE_STATUSES = (ServiceStatus.ACTIVE, ServiceStatus.DRAINING)
