"""What containers do: the cloud cannot run images, so a catalog decides.

Each image reference maps to an `ImageBehaviour`: how long it takes to pull and
start, whether it answers health checks, whether (and when, with which code) it
exits, and the lines it writes to its log.  Lookup order: exact reference, then
the repository with any tag (`repo:*`), then glob patterns, then the default (a
healthy long-running server).  ECR references are checked against the registry
by the engine before the catalog is asked (an absent image cannot be pulled).

Timings are "realistic" by default (inside the ranges of docs/ecs-behaviour.md §1.5,
with ±20 % seeded jitter applied by the engine).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class ResponseProfile:
    """How an image's server answers requests through a load balancer (health checks are `healthy`'s
    business): the version it reports, the share it answers with 500, and a log-normal latency."""
    version: str = ""
    error_rate: float = 0.0            # share of requests answered with 500
    latency: float = 0.020             # median seconds
    latency_spread: float = 0.4        # sigma of the log-normal: 0.4 puts p99 near 2.5 x the median


@dataclass(frozen=True)
class ImageBehaviour:
    description: str = "a long-running server that answers its health checks"
    pull_seconds: float = 8.0          # PENDING: image pull
    start_seconds: float = 2.0         # pull done -> container RUNNING
    pull_error: str | None = None      # e.g. "not found": CannotPullContainerError
    exits_after: float | None = None   # seconds after RUNNING the process exits (None: runs)
    exit_code: int = 0
    healthy: bool = True               # passes container and load-balancer health checks
    log_lines: tuple[str, ...] = ("server started",)
    exit_lines: tuple[str, ...] = ()
    serves: ResponseProfile = ResponseProfile()   # how it answers requests (traffic through a load balancer)
    # paths a load balancer's health check gets 200 from; any other gets 404 (None: every path answers)
    health_paths: tuple[str, ...] | None = None

    def with_changes(self, **changes: Any) -> ImageBehaviour:
        return replace(self, **changes)


WEB_HEALTH_PATHS = ("/", "/health", "/index.html")   # what the demo web images answer with 200


def _web(version: str, serves: ResponseProfile | None = None, **kw: Any) -> ImageBehaviour:
    lines = (f"fargate-lab web {version} starting",
             "nginx: [notice] start worker processes",
             f"listening on 0.0.0.0:80 (version {version})")
    kw.setdefault("health_paths", WEB_HEALTH_PATHS)
    return ImageBehaviour(description=f"demo web app {version}: healthy", log_lines=lines,
                          serves=serves or ResponseProfile(version), **kw)


DEMO_IMAGES: dict[str, ImageBehaviour] = {
    "fargatelab/web:v1": _web("v1"),
    "fargatelab/web:v2": _web("v2"),
    "fargatelab/web:v3": _web("v3"),
    # Release mistakes health checks do not catch: only traffic (and an alarm on it) shows them.
    "fargatelab/web:v2-errors": _web("v2", ResponseProfile("v2", error_rate=0.30)).with_changes(
        description="passes its health checks but answers 30 % of requests with HTTP 500"),
    "fargatelab/web:v2-slow": _web("v2", ResponseProfile("v2", latency=1.2)).with_changes(
        description="passes its health checks but answers slowly (median 1.2 s)"),
    "fargatelab/web:crash": ImageBehaviour(
        description="crashes on start: exits with code 1 three seconds after it starts",
        exits_after=3.0, exit_code=1, healthy=False,
        log_lines=("fargate-lab web crash starting",),
        exit_lines=("PHP Fatal error:  Uncaught Error: Class 'App\\Kernel' not found in /var/www/public/index.php:5",)),
    "fargatelab/web:unhealthy": ImageBehaviour(
        description="starts but fails every health check (answers HTTP 500)",
        healthy=False,
        log_lines=("fargate-lab web unhealthy starting", "GET /health 500")),
    "fargatelab/web:slow": _web("slow", pull_seconds=40.0, start_seconds=45.0).with_changes(
        description="healthy but slow: a large image (40 s pull) and a 45 s warm-up"),
    # The talk's pattern: an application image that only carries code.  It copies
    # the code into a named volume and exits 0 (a non-essential container).
    "fargatelab/app:v1": ImageBehaviour(
        description="application code only: copies /var/www into the shared volume, exits 0",
        pull_seconds=3.0, start_seconds=1.0, exits_after=2.0, exit_code=0,
        log_lines=("copying application code to /var/www ... done",)),
    "fargatelab/app:v2": ImageBehaviour(
        description="application code v2 only: copies /var/www into the shared volume, exits 0",
        pull_seconds=3.0, start_seconds=1.0, exits_after=2.0, exit_code=0,
        log_lines=("copying application code to /var/www ... done",)),
}

# Tags that are known not to exist: pulling them fails as on AWS.
MISSING_IMAGES = ("fargatelab/web:missing", "fargatelab/web:does-not-exist")

# Images that do a job and exit 0 (so a standalone task finishes).
JOB_PATTERNS: dict[str, ImageBehaviour] = {
    "busybox*": ImageBehaviour(description="runs its command and exits 0", pull_seconds=3.0,
                               exits_after=1.0, log_lines=("hello from busybox",)),
    "hello-world*": ImageBehaviour(description="prints a greeting and exits 0", pull_seconds=2.0,
                                   exits_after=0.5, log_lines=("Hello from Docker!",)),
}

DEFAULT = ImageBehaviour()


@dataclass
class ImageCatalog:
    """A per-cloud, editable table of image behaviours."""

    entries: dict[str, ImageBehaviour] = field(default_factory=dict)
    patterns: dict[str, ImageBehaviour] = field(default_factory=dict)
    default: ImageBehaviour = DEFAULT

    @classmethod
    def with_demo_images(cls) -> ImageCatalog:
        cat = cls(entries=dict(DEMO_IMAGES), patterns=dict(JOB_PATTERNS))
        for ref in MISSING_IMAGES:
            cat.entries[ref] = ImageBehaviour(description="tag does not exist", pull_error="not found")
        return cat

    def add(self, image: str, behaviour: ImageBehaviour | None = None, **changes: Any) -> ImageBehaviour:
        """Add or change an entry: `add("me/api:v7", exits_after=30, exit_code=2)`.

        A reference with `*` or `?` is a glob pattern."""
        base = behaviour or self.lookup(image)
        entry = base.with_changes(**changes) if changes else base
        (self.patterns if any(c in image for c in "*?[") else self.entries)[image] = entry
        return entry

    def remove(self, image: str) -> None:
        self.entries.pop(image, None)
        self.patterns.pop(image, None)

    def lookup(self, image: str) -> ImageBehaviour:
        ref = _normalise(image)
        for key in (image, ref):
            if key in self.entries:
                return self.entries[key]
        repo = ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
        if f"{repo}:*" in self.patterns:
            return self.patterns[f"{repo}:*"]
        for pattern, behaviour in self.patterns.items():
            if fnmatch.fnmatch(ref, pattern) or fnmatch.fnmatch(image, pattern):
                return behaviour
        return self.default


def _normalise(image: str) -> str:
    """docker.io/library/nginx:latest -> nginx:latest; add ':latest' when untagged."""
    ref = image
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix):]
    if "@" not in ref and ":" not in ref.rsplit("/", 1)[-1]:
        ref += ":latest"
    return ref
