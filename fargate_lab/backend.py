"""Which cloud a command talks to, as a boto3 session.

- "local" (default): the local cloud served by `fargate-lab local serve` on a
  loopback port, so separate commands (and a notebook) share one state.  If no
  server answers, one is started in the background and the user is told.
- "aws": the standard credential chain, nothing else.  Opt-in only.

The ops layer only ever sees the session this returns.

A server records itself in the state directory (`server-<port>.json`, mode 0600: port,
pid, start time, speed and the token that guards its shutdown) and removes the record
when it stops.  A record whose server no longer answers means the cloud died (kill -9,
a reboot, an out-of-memory kill): its state is gone, and the next command says so
instead of silently starting an empty cloud.  Starting is serialised by a lock file,
so commands started together share one server.
"""
from __future__ import annotations

import contextlib
import datetime
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import boto3
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

DEFAULT_PORT = 4566
DEFAULT_SPEED = 10.0
BACKENDS = ("local", "aws")
LOCAL_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
START_SECONDS = 30.0          # how long a command waits for a server (its own or another command's) to answer
BUSY_STATUS_SECONDS = 5.0     # a live server that does not answer at once may be busy: ask again for this long


class BackendError(RuntimeError):
    """A one-line, user-facing reason the backend cannot be reached."""


class CloudGone(BackendError):
    """The local cloud this user had is gone, and its state with it."""


@dataclass(frozen=True)
class Backend:
    name: str                 # "local" | "aws"
    region: str
    endpoint: str | None = None
    profile: str | None = None

    def session(self) -> boto3.session.Session:
        """A boto3 session for this backend; on the local backend its clients reach the server."""
        if self.name == "local":
            session = EndpointSession(self.endpoint, region_name=self.region, **LOCAL_CREDENTIALS)
            session.events.register("after-call-error", _explain_lost_connection)
            return session
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


# ====================================================================================== the server's record

def record_path(port: int) -> Path:
    return state_dir() / f"server-{port}.json"


def write_record(port: int, speed: float, token: str, pid: int | None = None) -> Path:
    """Record a server that has just started: atomically, readable by this user only (it holds the token)."""
    path = record_path(port)
    record = {"port": port, "pid": pid or os.getpid(), "started": datetime.datetime.now().astimezone().isoformat(
        timespec="seconds"), "speed": speed, "token": token}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".server-{port}-", suffix=".json")   # created 0600
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(record, out)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def read_record(port: int) -> dict | None:
    """The record of the server last started on `port`, or None (none, or unreadable: nothing to go on)."""
    try:
        record = json.loads(record_path(port).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("pid"), int) else None


def forget_record(port: int, pid: int | None = None) -> None:
    """Remove the record (only if it is still `pid`'s: a newer server's record stays)."""
    record = read_record(port)
    if pid is not None and record is not None and record.get("pid") != pid:
        return
    with contextlib.suppress(FileNotFoundError):
        record_path(port).unlink()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process now has that pid
        return False
    try:   # a killed child not yet reaped by its parent is a zombie: dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _started(record: dict) -> str:
    try:
        when = datetime.datetime.fromisoformat(record["started"]).astimezone()
    except (KeyError, TypeError, ValueError):
        return ""
    today = datetime.datetime.now().astimezone().date()
    return f", started {when:%H:%M}" if when.date() == today else f", started {when:%Y-%m-%d %H:%M}"


def gone_message(port: int, record: dict | None) -> str:
    """One line: which cloud stopped, that its state is gone, and how to go on."""
    details = f" (pid {record['pid']}{_started(record)})" if record else ""
    return (f"the local cloud on port {port} stopped{details}; its state is gone. Start a fresh one with "
            f"`fargate-lab local reset` (or run the command again to start one)")


def not_answering_message(port: int, record: dict, advice: str = "wait a moment, or `fargate-lab local reset` "
                                                                  "for a fresh one (its state is lost)") -> str:
    return (f"the local cloud on port {port} (pid {record['pid']}{_started(record)}) is running but does not "
            f"answer; {advice}")


def end_process(pid: int, wait: float = 5.0) -> None:
    """SIGTERM, then SIGKILL if it is still there after `wait` seconds (a hung server of ours)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if not pid_alive(pid):
            return


# ====================================================================================== starting and stopping

def server_status(port: int = DEFAULT_PORT, timeout: float = 0.5) -> dict | None:
    """The local server's status, or None if nothing of ours answers on the port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/fargate-lab/status", timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


@contextlib.contextmanager
def start_lock(port: int, wait: float = START_SECONDS):
    """One command at a time decides whether to start the server on `port` (and starts it)."""
    try:
        import fcntl
    except ImportError:   # not POSIX: no lock, as before
        yield
        return
    with open(state_dir() / f"server-{port}.lock", "a") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise BackendError(f"another fargate-lab command has been starting the local cloud on port "
                                       f"{port} for {wait:g} s; try again, or `fargate-lab local reset`") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_server(port: int = DEFAULT_PORT, speed: float = DEFAULT_SPEED, wait: float = START_SECONDS) -> dict:
    """Start `fargate-lab local serve` detached; return its status once it answers.

    The server makes its own shutdown token and writes it to its record; it never passes through argv."""
    log = state_dir() / f"server-{port}.log"
    with open(log, "ab") as out:
        offset = out.tell()
        process = subprocess.Popen([sys.executable, "-m", "fargate_lab.cli", "local", "serve", "--port", str(port),
                                    "--speed", str(speed)], stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    deadline = time.time() + wait
    while time.time() < deadline:
        status = server_status(port)
        if status:
            return status
        if process.poll() is not None:   # it could not start; another server may be starting on the port, though
            return server_status(port, timeout=BUSY_STATUS_SECONDS) or _failed_to_start(port, log, offset)
        time.sleep(0.2)
    return _failed_to_start(port, log, offset)


def _failed_to_start(port: int, log: Path, offset: int):
    """Raise, with the server's own `Error:` line from this start if it printed one."""
    with open(log, "rb") as handle:
        handle.seek(offset)
        lines = [line for line in handle.read().decode(errors="replace").splitlines() if line.startswith("Error:")]
    reason = f" ({lines[-1][len('Error: '):]})" if lines else ""
    raise BackendError(f"the local cloud did not start on port {port}{reason}; see {log}")


def stop_server(port: int = DEFAULT_PORT, wait: float = 10.0) -> dict | None:
    """Stop the server on `port` with the token from its record; its status, or None if none answered."""
    from .local.server import SHUTDOWN_PATH, TOKEN_HEADER
    status = server_status(port)
    if not status:
        return None
    record = read_record(port)
    headers = {TOKEN_HEADER: record["token"]} if record and record.get("token") else {}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{SHUTDOWN_PATH}", method="POST", data=b"",
                                     headers=headers)
    try:
        urllib.request.urlopen(request, timeout=5).read()
    except urllib.error.HTTPError as e:
        if e.code != 403:
            raise BackendError(f"the local cloud on port {port} refused to stop: HTTP {e.code}") from None
        held = "does not hold its token" if record else "does not exist"
        raise BackendError(f"the local cloud on port {port} (pid {status.get('pid')}) wants a shutdown token, and "
                           f"{record_path(port)} {held} (it was started from another account or state directory); "
                           f"stop it where it runs (Ctrl-C) or with `kill {status.get('pid')}`") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException):
        pass   # it may exit before its answer is out; whether it stopped is what counts
    deadline = time.monotonic() + wait
    while server_status(port):
        if time.monotonic() > deadline:
            raise BackendError(f"the local cloud on port {port} (pid {status.get('pid')}) did not stop within "
                               f"{wait:g} s; `fargate-lab local reset` ends it and starts a fresh one")
        time.sleep(0.1)
    forget_record(port, status.get("pid"))
    return status


def ensure_server(port: int = DEFAULT_PORT, speed: float = DEFAULT_SPEED, autostart: bool = True,
                  say=print) -> dict:
    """The status of the server on `port`, starting one first if allowed and none was ever recorded.

    A recorded server that died is reported (CloudGone) and its record dropped, never silently
    replaced: the next command then starts a fresh one."""
    status = server_status(port)
    if status:
        return status
    with start_lock(port):
        status = server_status(port)   # another command may have started it while we waited for the lock
        if status:
            return status
        record = read_record(port)
        if record and pid_alive(record["pid"]):
            status = server_status(port, timeout=BUSY_STATUS_SECONDS)
            if status:
                return status
            raise BackendError(not_answering_message(port, record))
        if record:
            forget_record(port, record["pid"])
            raise CloudGone(gone_message(port, record))
        if not autostart:
            raise BackendError(f"no local cloud is running on port {port}, so there is nothing here yet: "
                               f"`fargate-lab up` starts one")
        status = start_server(port, speed)
    say(f"Started the local cloud at {status['url']} ({status['speed']:g}x AWS speed); "
        "stop it with `fargate-lab local stop`.")
    return status


def local_backend(region: str, port: int = DEFAULT_PORT, speed: float = DEFAULT_SPEED,
                  autostart: bool = True, say=print) -> Backend:
    ensure_server(port, speed, autostart=autostart, say=say)
    return Backend("local", region, endpoint=f"http://127.0.0.1:{port}")


def _explain_lost_connection(exception=None, **_) -> None:
    """botocore's after-call-error hook: a local cloud that vanished mid-command is named in one line."""
    if not isinstance(exception, (EndpointConnectionError, ConnectionClosedError)):
        return
    port = urlparse(getattr(exception, "kwargs", {}).get("endpoint_url") or "").port
    if port is None:
        return
    raise lost_connection_error(port) from exception


def lost_connection_error(port: int) -> BackendError:
    """What to say when the server on `port` stopped answering in the middle of a command."""
    if server_status(port):   # it answers again: a blip, not a loss
        return BackendError(f"the connection to the local cloud on port {port} broke; run the command again")
    record = read_record(port)
    if record and pid_alive(record["pid"]):
        return BackendError(not_answering_message(port, record))
    if record:
        forget_record(port, record["pid"])
    return CloudGone(gone_message(port, record))


def aws_backend(region: str, profile: str | None = None) -> Backend:
    return Backend("aws", region, profile=profile)
