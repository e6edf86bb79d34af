"""One setting decides where a notebook's ECS lives and how its time runs.

    from fargate_lab.teach import setup
    lab = setup()                    # FARGATE_LAB_MODE decides; "virtual" when unset
    lab = setup(random_seed=0)       # also the same EC2 ids and task addresses on every run (moto's `random`)
    ecs = lab.client("ecs")
    lab.wait_until(lambda: rolled_out(ecs), timeout=900)

- "virtual" (default): the local cloud on a virtual clock; a notebook runs top to
  bottom in seconds, the same way every time (nbval, Binder, learners).
- "real": the local cloud on the real clock, `FARGATE_LAB_SPEED` times faster than
  AWS (default 10, so a rolling deploy takes 30-60 s on stage).
- "aws": nothing is started; boto3 reaches AWS with the usual credential chain.

`lab.live_plot(recorder)` makes the live plot that suits the mode: in real mode it draws
into an image the browser shows at once (even under Run All, while later cells wait) and
holds the clock `FARGATE_LAB_HOLD` wall seconds (default 3; 0 = never) at each milestone
(a breaker trip, a rollback, a traffic shift, a paused hook) so it stays on screen.

`sleep`, `advance` and `wait_until` take *cloud* seconds in every mode, so a
notebook says "wait 60 s" once and each mode does the right thing with it.
"""
from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import boto3

if TYPE_CHECKING:
    from ..local import Cloud   # only for the types: AWS mode never loads moto

MODE_ENV = "FARGATE_LAB_MODE"
SPEED_ENV = "FARGATE_LAB_SPEED"
CLEAN_UP_ENV = "FARGATE_LAB_CLEAN_UP"
HOLD_ENV = "FARGATE_LAB_HOLD"
DEFAULT_HOLD = 3.0            # wall seconds the real clock stands still at a milestone
MODES = ("virtual", "real", "aws")
DEFAULT_MODE = "virtual"
DEFAULT_SPEED = 10.0
# "sim" is the name the notebooks reference (binder/start) uses for the simulator.
ALIASES = {"sim": "virtual", "simulated": "virtual", "local": "virtual"}


def resolve_mode(mode: str | None = None) -> str:
    """The mode asked for, else FARGATE_LAB_MODE, else "virtual"."""
    chosen = (mode or os.environ.get(MODE_ENV) or DEFAULT_MODE).strip().lower()
    chosen = ALIASES.get(chosen, chosen)
    if chosen not in MODES:
        raise ValueError(f"mode: {chosen!r} is not a mode; use one of {', '.join(MODES)} "
                         f"(argument or the {MODE_ENV} environment variable)")
    return chosen


def resolve_speed(speed: float | None = None) -> float:
    """The speed asked for, else FARGATE_LAB_SPEED, else 10 (real mode only)."""
    raw = speed if speed is not None else os.environ.get(SPEED_ENV) or DEFAULT_SPEED
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"speed: {raw!r} is not a number; set {SPEED_ENV} to e.g. 10") from None
    if value <= 0:
        raise ValueError(f"speed: must be > 0 (1 = AWS timings, 10 = ten times faster), not {value}")
    return value


@dataclass
class Lab:
    """What a notebook needs from its mode: clients, the time, and a way to wait."""
    mode: str
    speed: float = 1.0
    cloud: Cloud | None = None           # the local cloud in virtual/real mode
    region: str | None = None
    # The notebooks' clean-up cells act only when this is true: by default on AWS (where they stop the
    # bill), not on the local cloud (where "Run All, then the exercises" must find everything still there).
    clean_up: bool | None = None
    hold: float = 0.0                    # real mode: wall seconds to hold the clock at each milestone
    _session: boto3.session.Session | None = field(default=None, repr=False)

    @property
    def cleans_up(self) -> bool:
        return self.mode == "aws" if self.clean_up is None else bool(self.clean_up)

    def cleanup(self, what: str, steps: Callable[[], object]) -> None:
        """A notebook's clean-up cell: run `steps` when `cleans_up`, else say what was left and how to remove it."""
        if not self.cleans_up:
            print(f"Left in place: {what}. The local cloud costs nothing and the exercises above keep working. "
                  "To remove it now: lab.clean_up = True, then run this cell again.")
            return
        steps()
        print(f"Removed: {what}.")

    # -- clients -------------------------------------------------------------------
    @property
    def session(self) -> boto3.session.Session:
        if self._session is None:
            self._session = self.cloud.session() if self.cloud is not None else boto3.session.Session(
                region_name=self.region)
        return self._session

    def client(self, service: str):
        return self.session.client(service)

    # -- time ------------------------------------------------------------------------
    def now(self) -> float:
        """Cloud time as epoch seconds (the local cloud's clock, or the wall clock on AWS)."""
        return self.cloud.now().timestamp() if self.cloud is not None else time.time()

    def sleep(self, seconds: float) -> None:
        """Let `seconds` of cloud time pass: instantly (virtual), seconds/speed (real), as is (aws)."""
        if self.cloud is not None:
            self.cloud.sleep(seconds)  # real clock: sleeps outside the cloud's lock
        else:
            time.sleep(max(0.0, seconds))

    advance = sleep  # notebooks say "advance the clock"; in every mode that is the same as sleeping

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 900, step: float = 5) -> bool:
        """Call `predicate` every `step` cloud seconds until it holds; False after `timeout` cloud seconds."""
        waited = 0.0
        while not predicate():
            if waited >= timeout:
                return False
            self.sleep(step)
            waited += step
        return True

    # -- the live plot ---------------------------------------------------------------------
    def live_plot(self, recorder, **options):
        """A LivePlot on this lab's clock.  On the real clock and on AWS it draws into an image widget:
        ipympl's canvas needs the kernel idle to show its first frame, so under Run All it would stay
        blank until every queued cell had run.  In real mode it also holds the clock at milestones
        (`hold` wall seconds; `FARGATE_LAB_HOLD`)."""
        from .live import LivePlot
        from .narration import MilestoneHold
        if self.mode != "virtual":
            options.setdefault("output", "image")
        live = LivePlot(recorder, sleep=self.sleep, **options)
        if self.mode == "real" and self.hold > 0 and self.cloud is not None:
            live.listeners.append(MilestoneHold(self.cloud.hold, self.hold))
        return live

    # -- lifecycle -------------------------------------------------------------------
    @property
    def local(self) -> bool:
        return self.cloud is not None

    def stop(self) -> None:
        if self.cloud is not None:
            self.cloud.stop()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def describe(self) -> str:
        """A stable one-liner for a notebook's first cell (safe to compare under nbval)."""
        if self.mode == "virtual":
            return "fargate-lab: local cloud, virtual clock (time moves only when the notebook says so)"
        if self.mode == "real":
            return f"fargate-lab: local cloud, real clock {self.speed:g}x faster than AWS"
        return f"fargate-lab: Amazon Web Services, region {self.session.region_name or 'from your AWS config'}"

    def __str__(self) -> str:
        return self.describe()


def setup(mode: str | None = None, speed: float | None = None, seed: int = 0, region: str | None = None,
          timing: str = "realistic", random_seed: int | None = None) -> Lab:
    """Start what the mode needs and hand back a `Lab`.

    `seed` makes the local cloud's own ids (tasks, deployments) the same on every run. moto, which makes
    the EC2 ids and the tasks' IP addresses, draws from Python's `random`: `random_seed` seeds it first
    (local modes only), for the notebooks that show them. A re-run cell replaces the previous local cloud
    (local.start stops the old one)."""
    chosen = resolve_mode(mode)
    clean_up = resolve_clean_up()                           # settings first: a bad one starts nothing
    hold = resolve_hold() if chosen == "real" else 0.0
    lab = _setup(chosen, speed, seed, region, timing, random_seed)
    lab.clean_up, lab.hold = clean_up, hold
    return lab


def resolve_hold() -> float:
    """FARGATE_LAB_HOLD: wall seconds the real clock holds at each milestone (0 = never); default 3."""
    raw = os.environ.get(HOLD_ENV, "").strip()
    if not raw:
        return DEFAULT_HOLD
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{HOLD_ENV}={raw!r}: give seconds, e.g. 3 (0 never holds)") from None
    if not 0 <= value <= 60:
        raise ValueError(f"{HOLD_ENV}={raw!r}: give 0 to 60 seconds (0 never holds)")
    return value


def resolve_clean_up() -> bool | None:
    """FARGATE_LAB_CLEAN_UP=1 / 0 turns the notebooks' clean-up cells on / off whatever the mode; unset,
    they run on AWS only (Lab.cleans_up)."""
    value = os.environ.get(CLEAN_UP_ENV, "").strip().lower()
    if value in ("", "auto"):
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{CLEAN_UP_ENV}={value!r}: use 1 (clean up), 0 (leave everything) or leave it unset")


def _setup(chosen: str, speed: float | None, seed: int, region: str | None, timing: str,
           random_seed: int | None) -> Lab:
    if chosen == "aws":
        return Lab(mode="aws", region=region)
    from .. import local  # imported here: AWS mode never loads moto
    if random_seed is not None:
        random.seed(random_seed)
    region = region or local.DEFAULT_REGION
    if chosen == "real":
        factor = resolve_speed(speed)
        return Lab(mode="real", speed=factor, cloud=local.start(seed=seed, clock="real", speed=factor, region=region,
                                                                timing=timing))
    return Lab(mode="virtual", cloud=local.start(seed=seed, clock="virtual", region=region, timing=timing))
