"""The ECS engine: a discrete-event model of ECS on Fargate.

It knows nothing of botocore, HTTP, widgets or notebooks: operations go in as
dicts, responses come out as dicts, and the services around ECS are reached
through a small `Substrate` interface.
"""
from .catalog import ImageBehaviour, ImageCatalog
from .clock import RealClock, VirtualClock
from .ecs import Engine
from .errors import EcsError
from .substrate import OfflineSubstrate

__all__ = ["Engine", "EcsError", "ImageBehaviour", "ImageCatalog", "OfflineSubstrate", "RealClock", "VirtualClock"]
