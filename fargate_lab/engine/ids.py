"""Seeded identifiers: the same seed gives the same IDs, in the same order."""
from __future__ import annotations

import random
import uuid


class IdSource:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def task_id(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def deployment_id(self) -> str:
        return f"ecs-svc/{self.rng.randrange(10**18, 10**19)}"

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def jitter(self, seconds: float, spread: float = 0.2) -> float:
        """seconds ± spread (20 % by default), so timelines do not look synthetic."""
        return seconds * self.rng.uniform(1 - spread, 1 + spread)

    def between(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)
