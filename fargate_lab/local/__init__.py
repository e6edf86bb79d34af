"""The local cloud: plain boto3 code meets an in-process ECS that behaves like ECS.

    from fargate_lab import local
    cloud = local.start(seed=0)      # from now on boto3 clients reach the local cloud
    cloud.advance(90)                # move virtual time 90 s, running all that falls due
    cloud.now()                      # timezone-aware datetime
    cloud.stop()                     # boto3 reaches AWS again
    with local.cloud(clock="real", speed=10) as cloud: ...

ECS is answered by fargate-lab's engine; EC2, ELBv2, Logs, IAM, STS, ECR,
CloudFormation, SSM and Secrets Manager by moto, with ECS on moto's passthrough
list so that moto's own ECS stays empty.  Both hooks sit in botocore's built-in
handler list, so clients made after `start()` need no endpoint and no
credentials; `patch_client()` covers clients made before.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import os
import threading
import time as _time
import types
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import boto3
import botocore.handlers
import botocore.waiter
from botocore.awsrequest import AWSResponse

from ..engine import Engine, ImageBehaviour, ImageCatalog, RealClock, VirtualClock
from ..engine.timing import Timing
from ..wire import elbv2_query
from ..wire.ecs_json import EcsWire
from . import moto_gaps
from .substrate import bypass, make_substrate
from .traffic import CloudTraffic

if TYPE_CHECKING:   # moto itself is imported only when a cloud starts: AWS mode never pays for it
    from moto.core.config import DefaultConfig

__all__ = ["Cloud", "ImageBehaviour", "cloud", "current", "patch_client", "sleep", "start", "stop"]

DEFAULT_REGION = "us-east-1"
ECS_EVENT = "before-send.ecs"
HEALTH_EVENT = "before-send.elastic-load-balancing-v2.DescribeTargetHealth"
ELBV2_DONE = "after-call.elastic-load-balancing-v2"
MOTO_CONFIG: DefaultConfig = {"core": {"passthrough": {"services": ["ecs"], "urls": []}},
                              "iam": {"load_aws_managed_policies": True}}

_current: Cloud | None = None
_install_lock = threading.Lock()


class _Raw:
    """What botocore reads an AWSResponse body from."""

    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_):
        yield self._body


def _region_of(request) -> str:
    return region_from(request.headers.get("Authorization", b""), request.url)


def region_from(auth, url: str = "") -> str:
    """The region a signed request is for: its SigV4 credential scope, else its host."""
    auth = auth.decode() if isinstance(auth, bytes) else (auth or "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 3:
            return scope[2]
    host = url.split("//", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    return parts[1] if len(parts) > 3 and parts[-2] == "amazonaws" else DEFAULT_REGION


def _answer_ecs(request, **_):
    cloud = _current
    if cloud is None:
        return None  # no local cloud: the request goes to AWS
    target = request.headers.get("X-Amz-Target", b"")
    target = target.decode() if isinstance(target, bytes) else target
    status, headers, body = cloud.wire.handle(_region_of(request), target, request.body)
    return AWSResponse(request.url, status, headers, _Raw(body))


def _hold_lock(context, **_):
    """before-call, every service: moto's backends are not thread-safe, so each call
    runs under the cloud's one lock (released in after-call / after-call-error)."""
    cloud = _current
    if cloud is not None and context is not None and "fargate_lab_lock" not in context:
        cloud.lock.acquire()
        context["fargate_lab_lock"] = cloud.lock
        cloud.clock.catch_up()   # real clock: what fell due (traffic, alarms) runs before any service answers


def _release_lock(context=None, **_):
    lock = context.pop("fargate_lab_lock", None) if context is not None else None
    if lock is not None:
        lock.release()


def _answer_target_health(request, **_):
    cloud = _current
    if cloud is None or getattr(bypass, "active", False):
        return None  # moto answers
    return cloud._target_health(request)


def _elbv2_changed(model=None, **_):
    """after-call, ELBv2: anything but a Describe* may have changed listeners or rules the traffic reads."""
    cloud = _current
    if cloud is not None and model is not None and not model.name.startswith("Describe"):
        cloud.traffic.changed()


def _partition(region: str) -> str:
    from moto.utilities.utils import get_partition
    return get_partition(region)


def _seed_moto(seed: int) -> None:
    """moto's documented seeding endpoint: its IDs and addresses repeat run after run too."""
    import requests  # moto's own dependency; in-process, moto answers this URL itself
    requests.post(f"http://motoapi.amazonaws.com/moto-api/seed?a={int(seed)}", timeout=5)


class _WaiterTime(types.SimpleNamespace):
    """Stands in for the `time` module inside botocore.waiter only."""

    def __getattr__(self, name):
        return getattr(_time, name)


class Cloud:
    """One running local cloud. Use `local.start()` or `local.cloud()` to make one."""

    def __init__(self, seed: int = 0, clock: str = "virtual", speed: float = 1.0, region: str = DEFAULT_REGION,
                 timing: str | Timing = "realistic", catalog: ImageCatalog | None = None):
        if clock not in ("virtual", "real"):
            raise ValueError(f"clock: {clock!r} is not a clock; use 'virtual' (tests) or 'real' (live demos)")
        from moto import mock_aws  # imported here: AWS mode never pays for moto
        self.region = region
        self.lock = threading.RLock()
        self.mode = clock
        start = _time.time()  # anchored at wall time: moto refuses log events far from it
        if clock == "virtual":
            # on a whole minute, so that CloudWatch's minutes fall alike run after run (same seed, same metrics)
            self.clock: VirtualClock | RealClock = VirtualClock(start // 60 * 60)
        else:
            self.clock = RealClock(start, speed=speed)
        self._saved_env = {k: os.environ.get(k) for k in ("AWS_DEFAULT_REGION",)}
        os.environ.setdefault("AWS_DEFAULT_REGION", region)
        moto_gaps.defer_rfc3987_syntax()
        self._moto_iam = moto_gaps.install_iam(_partition(region))
        self._moto = mock_aws(config=MOTO_CONFIG)
        try:
            self._moto.start()
            _seed_moto(seed)
            session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                                            region_name=region)
            # FARGATE_LAB_MOTO_DIRECT=0: every substrate call through boto3 (slower; for comparison)
            self.substrate = make_substrate(session, direct=os.environ.get("FARGATE_LAB_MOTO_DIRECT", "1") != "0")
            self.substrate.client_time = self.clock.to_client   # log events carry the tasks' own times
            self.engine = Engine(clock=self.clock, seed=seed, substrate=self.substrate,
                                 catalog=catalog or ImageCatalog.with_demo_images(), timing=timing)
            self.wire = EcsWire(self.engine, self.lock, before_call=self.clock.catch_up)
            # strict mode (the tests): the engine also checks its cached task views against fresh ones
            self.engine.verify_views = self.wire.strict
            # the load balancers' data plane and CloudWatch's alarms, on the same clock (local/traffic.py)
            self.traffic = CloudTraffic(self.clock, self.engine, self.substrate.client,
                                        regions=lambda: [self.region, *self.engine.regions], seed=seed)
            self.traffic.start()
            # CloudWatch answers as AWS's does (moto_gaps.py), its alarm times on this clock; last, so that
            # nothing after it can fail and leave moto patched
            real = isinstance(self.clock, RealClock)
            self._moto_gaps = moto_gaps.install(lambda: _dt.datetime.fromtimestamp(
                self.clock.to_client(self.clock.last()), _dt.timezone.utc),
                to_cloud=self.clock.from_client if real else None, to_client=self.clock.to_client if real else None)
            self._saved_waiter_time = botocore.waiter.time
            botocore.waiter.time = _WaiterTime(sleep=self.sleep)
            self.stopped = False
        except BaseException:   # leave moto and the process as they were: nothing half made
            self._restore_process(partly_started=True)
            raise

    def _restore_process(self, partly_started: bool = False) -> None:
        """Put back what starting changed in this process: botocore's waiter clock, moto's patches, moto
        itself, the environment.  `partly_started`: a start that failed part way, so skip what never happened."""
        steps = (lambda: setattr(botocore.waiter, "time", self._saved_waiter_time),
                 lambda: moto_gaps.uninstall(self._moto_gaps), self._moto.stop,
                 lambda: moto_gaps.uninstall(self._moto_iam))
        for step in steps:
            try:
                step()
            except Exception:   # a step that never happened (AttributeError), or moto not started
                if not partly_started:
                    raise
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    # -- time ---------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move virtual time on (real clock: wait, `speed` times faster than AWS)."""
        if seconds < 0:
            raise ValueError("seconds: cannot move time backwards; pass a value >= 0")
        if self.mode == "real":
            self.sleep(seconds)  # sleeps outside the lock, then catches up inside it
            return
        with self.lock:
            self.clock.advance(seconds)

    def sleep(self, seconds: float) -> None:
        """What a polling loop should call instead of time.sleep()."""
        if isinstance(self.clock, RealClock):   # the real mode's clock
            self.clock.wait(seconds)             # outside the lock: other threads keep calling
            with self.lock:
                self.clock.catch_up()
        else:
            self.advance(max(0.0, seconds))

    def hold(self, seconds: float) -> bool:
        """Real clock: stop cloud time for `seconds` of wall time, so a moment (a rollback, a traffic
        shift) stays on screen; clients keep being answered, at that moment.  The virtual clock
        already stands still between steps: False, nothing done."""
        if not isinstance(self.clock, RealClock):
            return False
        with self.lock:
            self.clock.catch_up()
            self.clock.hold(seconds)
        return True

    def now(self) -> _dt.datetime:
        """Cloud time: it runs `speed` times faster than the wall clock under a real clock."""
        with self.lock:
            return _dt.datetime.fromtimestamp(self.clock.now(), _dt.timezone.utc)

    def cloud_seconds(self, shown: _dt.datetime | float) -> float:
        """A timestamp from a response (client time) as cloud epoch seconds, so durations read
        from responses speak in AWS's seconds whatever the speed."""
        seconds = shown.timestamp() if isinstance(shown, _dt.datetime) else float(shown)
        return self.clock.from_client(seconds)

    def client_seconds(self, seconds: float) -> float:
        """Cloud epoch seconds as the client's epoch seconds (what a response would show for them)."""
        return self.clock.to_client(seconds)

    def run_until(self, predicate: Callable[[], bool], timeout: float = 3600, step: float = 1.0) -> bool:
        """Advance in `step`s until `predicate()` holds; False if `timeout` cloud seconds pass first."""
        waited = 0.0
        while not predicate():
            if waited >= timeout:
                return False
            self.sleep(step)
            waited += step
        return True

    @property
    def catalog(self) -> ImageCatalog:
        return self.engine.catalog

    def session(self, region: str | None = None) -> boto3.session.Session:
        return boto3.session.Session(region_name=region or self.region)

    def register_function(self, function_arn: str, handler: Callable[[dict], dict]) -> None:
        """A local stand-in for the Lambda function `function_arn`, which lifecycle hooks
        (deploymentConfiguration.lifecycleHooks, AWS_LAMBDA) invoke with ECS's payload.  `handler`
        takes the payload and returns {"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS", ...};
        raising fails the invocation (the deployment rolls back), as a function error does on AWS."""
        if not callable(handler):
            raise TypeError(f"register_function: handler must be callable, not {type(handler).__name__}")
        self.substrate.functions[function_arn] = handler

    # -- ELBv2 target health ----------------------------------------------------------
    def _target_health(self, request):
        body = self.target_health_xml(_region_of(request), request.body)
        return AWSResponse(request.url, 200, {"Content-Type": "text/xml"}, _Raw(body))

    def target_health_xml(self, region: str, form_body) -> bytes:
        """DescribeTargetHealth's XML answer, from the engine for the targets it placed."""
        form = elbv2_query.parse_form(form_body)
        arn = form.get("TargetGroupArn", "")
        with self.lock:
            self.clock.catch_up()
            ours = self.engine.target_health(region, arn)
            theirs = self.substrate.registered_targets(region, arn)
        rows = elbv2_query.merge(ours, theirs, elbv2_query.requested_targets(form))
        return elbv2_query.render(rows, request_id=f"fargate-lab-{self.wire.calls}")

    # -- lifecycle ----------------------------------------------------------------------
    def stop(self) -> None:
        global _current
        if self.stopped:
            return
        self.stopped = True
        with _install_lock:
            if _current is self:
                _current = None
                _uninstall_handlers()
        self._restore_process()
        boto3.DEFAULT_SESSION = None

    def __enter__(self) -> Cloud:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else f"{self.mode} clock at {self.now():%H:%M:%S}"
        return f"<fargate-lab local cloud, {state}>"


_HANDLERS = (
    (ECS_EVENT, _answer_ecs, botocore.handlers.REGISTER_FIRST),
    (HEALTH_EVENT, _answer_target_health, botocore.handlers.REGISTER_FIRST),
    (ELBV2_DONE, _elbv2_changed, botocore.handlers.REGISTER_LAST),
    ("before-call", _hold_lock, botocore.handlers.REGISTER_LAST),
    ("after-call", _release_lock, botocore.handlers.REGISTER_FIRST),
    ("after-call-error", _release_lock, botocore.handlers.REGISTER_FIRST),
)


def _install_handlers() -> None:
    for entry in _HANDLERS:
        if entry not in botocore.handlers.BUILTIN_HANDLERS:
            botocore.handlers.BUILTIN_HANDLERS.append(entry)


def _uninstall_handlers() -> None:
    ours = {entry[1] for entry in _HANDLERS}
    botocore.handlers.BUILTIN_HANDLERS[:] = [h for h in botocore.handlers.BUILTIN_HANDLERS if h[1] not in ours]


def start(seed: int = 0, clock: str = "virtual", speed: float = 1.0, region: str = DEFAULT_REGION,
          timing: str | Timing = "realistic", catalog: ImageCatalog | None = None) -> Cloud:
    """Start the local cloud (stopping one already running, so a notebook cell can be re-run)."""
    global _current
    stop()
    with _install_lock:
        _install_handlers()
        try:
            made = Cloud(seed=seed, clock=clock, speed=speed, region=region, timing=timing, catalog=catalog)
        except Exception:
            _uninstall_handlers()
            raise
        _current = made
    boto3.DEFAULT_SESSION = None  # the next boto3.client() builds a session with the handlers
    _lend_sleep_to_ops()
    return made


def _lend_sleep_to_ops() -> None:
    """The ops layer uses nothing but a boto3 session; its waits with no `sleep=` of their own (the
    network stack's) sleep with what is lent here: `sleep` below, cloud time while a cloud runs and
    the wall clock's once it stops, so it is lent once and never taken back."""
    from ..ops import plumbing, traffic_watch   # here, not at the top: the ops layer is not needed to run a cloud
    plumbing.lend_sleep(sleep)
    traffic_watch.lend_now(client_now)   # CloudWatch windows on the clock the cloud's timestamps are on


def client_now() -> _dt.datetime:
    """The time a client of the local cloud reads timestamps against: the cloud's own under the virtual
    clock, the wall clock's under the real one (and once no cloud runs)."""
    cloud = _current
    if cloud is not None and cloud.mode == "virtual":
        return cloud.now()
    return _dt.datetime.now(_dt.timezone.utc)


def stop() -> None:
    """Stop the running local cloud, if any."""
    if _current is not None:
        _current.stop()


def current() -> Cloud | None:
    return _current


@contextlib.contextmanager
def cloud(**kwargs) -> Iterator[Cloud]:
    """`with local.cloud(clock="real", speed=10) as c:` — stopped on the way out."""
    made = start(**kwargs)
    try:
        yield made
    finally:
        made.stop()


def sleep(seconds: float) -> None:
    """Sleep in cloud time: virtual advance, or real sleep scaled by speed; plain sleep with no cloud."""
    if _current is None:
        _time.sleep(seconds)
    else:
        _current.sleep(seconds)


def patch_client(client) -> None:
    """Route a client made before `start()` to the local cloud (and moto)."""
    from moto.core import patch_client as moto_patch
    moto_patch(client)
    client.meta.events.register_first(ECS_EVENT, _answer_ecs)
    client.meta.events.register_first(HEALTH_EVENT, _answer_target_health)
    client.meta.events.register_last(ELBV2_DONE, _elbv2_changed)
    client.meta.events.register_last("before-call", _hold_lock)
    client.meta.events.register_first("after-call", _release_lock)
    client.meta.events.register_first("after-call-error", _release_lock)
