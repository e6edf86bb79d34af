"""Clocks for the engine: an event heap and a notion of "now", nothing more.

Both clocks run callbacks in time order (ties broken by scheduling order), so the
engine's behaviour lives entirely in those callbacks.  `VirtualClock` moves only
when asked; `RealClock` catches up lazily to wall time (times a speed factor)
whenever somebody looks at it, so no background thread is needed.
"""
from __future__ import annotations

import heapq
import itertools
import time as _time
from collections.abc import Callable


class Clock:
    def __init__(self, start: float):
        self._now = float(start)
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self.events_run = 0
        self._running = False
        self.observers: list[Callable[[float], None]] = []  # called after every event (tests, plots)

    def now(self) -> float:
        return self._now

    def last(self) -> float:
        """Now as last caught up, without running anything (for code called from inside a callback or
        a request already under way)."""
        return self._now

    # What a client is shown.  Engine times are "cloud seconds" (AWS's durations); a client
    # reads times on its own clock.  Identity here; the real clock compresses them.
    def to_client(self, when: float) -> float:
        return when

    def from_client(self, when: float) -> float:
        return when

    def call_at(self, when: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (max(when, self._now), next(self._seq), fn))

    def call_later(self, delay: float, fn: Callable[[], None]) -> None:
        self.call_at(self._now + max(0.0, delay), fn)

    def next_due(self) -> float | None:
        return self._queue[0][0] if self._queue else None

    def run_until(self, end: float) -> None:
        """Run every callback due at or before `end`, then set now to `end`."""
        if self._running:  # a callback looked at the clock: time stays where it is
            return
        self._running = True
        try:
            queue = self._queue
            while queue and queue[0][0] <= end:
                when, _, fn = heapq.heappop(queue)
                self._now = when
                self.events_run += 1
                fn()
                for observe in self.observers:
                    observe(when)
            if end > self._now:
                self._now = end
        finally:
            self._running = False


class VirtualClock(Clock):
    """Time moves only through advance(): deterministic and as fast as the CPU."""

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("seconds: cannot move time backwards; pass a value >= 0")
        self.run_until(self._now + seconds)

    def catch_up(self) -> None:  # virtual time never moves on its own
        return None


class RealClock(Clock):
    """Follows wall time, `speed` times faster, catching up on every look.

    `hold(seconds)` stops cloud time for that many wall seconds (a presenter's pause at a
    milestone).  The mapping between wall and cloud time is kept as segments, so a time a
    client has already seen keeps its wall-clock stamp after a hold."""

    def __init__(self, start: float, speed: float = 1.0, wall: Callable[[], float] = _time.time):
        if speed <= 0:
            raise ValueError("speed: must be > 0 (1 = AWS timings, 10 = ten times faster)")
        super().__init__(start)
        self.speed = float(speed)
        self._wall = wall
        # (wall start, cloud start, cloud seconds per wall second): the rate is `speed`, or 0 while held
        self._segments: list[tuple[float, float, float]] = [(wall(), float(start), self.speed)]

    def _cloud_at(self, wall: float) -> float:
        for wall_start, cloud_start, rate in reversed(self._segments):
            if wall >= wall_start:
                return cloud_start + (wall - wall_start) * rate
        wall_start, cloud_start, _ = self._segments[0]
        return cloud_start + (wall - wall_start) * self.speed

    def _target(self) -> float:
        return self._cloud_at(self._wall())

    def catch_up(self) -> None:
        self.run_until(self._target())

    def hold(self, seconds: float) -> None:
        """Stop cloud time for `seconds` of wall time from now (a hold under way is extended,
        never shortened); then it runs on at `speed`."""
        if seconds < 0:
            raise ValueError("seconds: a hold lasts 0 seconds or more")
        wall = self._wall()
        last_wall, last_cloud, last_rate = self._segments[-1]
        if last_wall > wall:                      # a hold is under way: it ends at last_wall
            self._segments[-1] = (max(last_wall, wall + seconds), last_cloud, last_rate)
            return
        cloud = self._cloud_at(wall)
        # Two segments a hold, kept for good: a stamp a client has seen must never move, and holds come
        # one per milestone a person watches, so there are never many.
        self._segments += [(wall, cloud, 0.0), (wall + seconds, cloud, self.speed)]

    @property
    def held_until(self) -> float | None:
        """The wall time the current hold ends, or None while cloud time runs."""
        wall_start = self._segments[-1][0]
        return wall_start if wall_start > self._wall() else None

    def to_client(self, when: float) -> float:
        """The wall-clock moment at which cloud time `when` happened (or will happen): at speed
        S a 40 s task start shows as 40/S s between createdAt and startedAt, and no timestamp a
        client reads is ever ahead of its own clock, however long the session runs.  A held
        instant maps to the moment the hold began (the first time the cloud was there)."""
        for wall_start, cloud_start, rate in reversed(self._segments):
            if rate > 0 and cloud_start < when:
                return wall_start + (when - cloud_start) / rate
        wall_start, cloud_start, _ = self._segments[0]
        return wall_start + (when - cloud_start) / self.speed

    def from_client(self, when: float) -> float:
        return self._cloud_at(when)

    def now(self) -> float:
        self.catch_up()
        return self._now

    def wait(self, seconds: float) -> None:
        """Sleep until `seconds` of cloud time have passed (`speed` times faster than the wall
        clock, and through any hold), without running anything: callers catch up under their lock."""
        end = self._target() + max(0.0, seconds)
        while (left := end - self._target()) > 0:
            held = self.held_until
            _time.sleep(max(0.0, held - self._wall()) if held is not None else left / self.speed)

    def advance(self, seconds: float) -> None:
        """In real time, advancing means waiting."""
        if seconds < 0:
            raise ValueError("seconds: cannot move time backwards; pass a value >= 0")
        self.wait(seconds)
        self.catch_up()
