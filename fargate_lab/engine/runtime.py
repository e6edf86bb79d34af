"""What every part of the engine is given rather than owns: the clock, the seeded ids, the timing
preset, the substrate (the services around ECS), the image catalog and the account.

One frozen object, handed to the task lifecycle, the service controller and the API handlers, so
that each says in its constructor what it depends on (and a test can hand it its own)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .catalog import ImageCatalog
from .clock import Clock
from .ids import IdSource
from .substrate import Substrate
from .timing import Timing


@dataclass(frozen=True)
class Runtime:
    clock: Clock
    ids: IdSource
    timing: Timing
    substrate: Substrate
    catalog: ImageCatalog

    @property
    def account(self) -> str:
        return self.substrate.account_id

    def span(self, bounds: tuple[float, float]) -> float:
        """A seeded duration within (low, high): one draw from the ids' generator."""
        return self.ids.between(*bounds)

    def later(self, delay: float, fn: Callable[[], None]) -> None:
        self.clock.call_later(delay, fn)

    def arn(self, region: str, kind: str, rest: str) -> str:
        return f"arn:aws:ecs:{region}:{self.account}:{kind}/{rest}"
