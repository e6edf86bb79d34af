"""The ECS engine: a discrete-event model of ECS on Fargate.

It knows nothing of botocore, HTTP, widgets or notebooks: operations go in as
dicts, responses come out as dicts, and the services around ECS are reached
through a small `Substrate` interface.

`Engine` (ecs.py) is the one entry point; it composes parts that are each given
what they use (`runtime.Runtime`: clock, ids, timing, substrate, catalog):
- `api/`: the operations, one module per resource (clusters, task definitions,
  tasks, services, service deployments and revisions, tags and account settings);
- `lifecycle.TaskLifecycle`: a task's life on the clock; it tells the service
  controller about a task only through `lifecycle.TaskListener`;
- `controller.ServiceController`: the reconcile step, replacement, the circuit
  breaker, events; it asks the deployment's `strategies.DeploymentStrategy`
  (rolling: the pure `scheduler.plan`) what to do next and whether it is done;
- `deployments.DeploymentBook`: every deployment by id, and their records' changes;
- `records` (spec, status and bookkeeping apart), `status` (typed statuses),
  `state` (what is kept between calls, the quotas).
"""
from .catalog import ImageBehaviour, ImageCatalog
from .clock import RealClock, VirtualClock
from .ecs import Engine
from .errors import EcsError
from .substrate import OfflineSubstrate

__all__ = ["EcsError", "Engine", "ImageBehaviour", "ImageCatalog", "OfflineSubstrate", "RealClock", "VirtualClock"]
