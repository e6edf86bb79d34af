"""Which cloud a command talks to, as a boto3 session.

- "local" (default): the local cloud served by `fargate-lab local serve` on a
  loopback port, so separate commands (and a notebook) share one state.  If no
  server answers, one is started in the background and the user is told.
- "aws": the standard credential chain, nothing else.  Opt-in only.

The ops layer only ever sees the session this returns.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3

DEFAULT_PORT = 4566
DEFAULT_SPEED = 10.0
BACKENDS = ("local", "aws")
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


class BackendError(RuntimeError):
    """A one-line, user-facing reason the backend cannot be reached."""


@dataclass(frozen=True)
class Backend:
    name: str                 # "local" | "aws"
    region: str
    endpoint: str | None = None
    profile: str | None = None

    def session(self) -> boto3.session.Session:
        """A boto3 session for this backend; on the local backend its clients reach the server."""
        if self.name == "local":
            return EndpointSession(self.endpoint, region_name=self.region, **LOCAL_CREDENTIALS)
        return boto3.session.Session(region_name=self.region, profile_name=self.profile)


class EndpointSession(boto3.session.Session):
    """A session whose clients all go to one endpoint (the local server), unless told otherwise."""

    def __init__(self, endpoint: str | None, **kwargs):
        super().__init__(**kwargs)
        self.endpoint = endpoint

    def client(self, *args, **kwargs):
        if self.endpoint:
            kwargs.setdefault("endpoint_url", self.endpoint)
        return super().client(*args, **kwargs)


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    path = Path(base) / "fargate-lab"
    path.mkdir(parents=True, exist_ok=True)
    return path


def server_status(port: int = DEFAULT_PORT, timeout: float = 0.5) -> dict | None:
    """The local server's status, or None if nothing of ours answers on the port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/fargate-lab/status", timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def start_server(port: int = DEFAULT_PORT, speed: float = DEFAULT_SPEED, wait: float = 20.0) -> dict:
    """Start `fargate-lab local serve` detached; return its status once it answers."""
    log = state_dir() / f"server-{port}.log"
    with open(log, "ab") as out:
        subprocess.Popen([sys.executable, "-m", "fargate_lab.cli", "local", "serve", "--port", str(port),
                          "--speed", str(speed)], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    deadline = time.time() + wait
    while time.time() < deadline:
        status = server_status(port)
        if status:
            return status
        time.sleep(0.2)
    raise BackendError(f"the local cloud did not start on port {port}; see {log}")


def stop_server(port: int = DEFAULT_PORT) -> bool:
    if not server_status(port):
        return False
    request = urllib.request.Request(f"http://127.0.0.1:{port}/fargate-lab/shutdown", method="POST", data=b"")
    urllib.request.urlopen(request, timeout=2).read()
    return True


def local_backend(region: str, port: int = DEFAULT_PORT, speed: float = DEFAULT_SPEED,
                  autostart: bool = True, say=print) -> Backend:
    if not server_status(port):
        if not autostart:
            raise BackendError(f"no local cloud on port {port}: start one with `fargate-lab local serve --port {port}`")
        status = start_server(port, speed)
        say(f"Started the local cloud at {status['url']} ({status['speed']:g}x AWS speed); "
            "stop it with `fargate-lab local stop`.")
    return Backend("local", region, endpoint=f"http://127.0.0.1:{port}")


def aws_backend(region: str, profile: str | None = None) -> Backend:
    return Backend("aws", region, profile=profile)
