"""Names for the shapes the engine passes around.

`Json` is an ECS request's parameters or a response, a JSON object with members named as the API
names them: `Engine.call(region, "RunTask", params)` takes one and returns one, and the records'
`render` methods make the pieces.  Member values are `Any`, as JSON's are; a request that came
through the wire layer was checked against botocore's model first.
"""
from __future__ import annotations

from typing import Any, TypeAlias

Json: TypeAlias = dict[str, Any]

__all__ = ["Json"]
