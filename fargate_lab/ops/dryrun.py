"""Dry run: print every call that would change something, make none of them.

    session = backend.session()
    dryrun.install(session)          # before any client is made from the session
    cluster.up(session, "demo")      # prints `would call ecs.CreateCluster(clusterName='demo', ...)` ...

Read calls (Describe*, List*, Get*) still go to the cloud, so the plan reflects what
exists.  Mutating calls are answered in-process with a placeholder response shaped
like the real one (ids read "dry-run"), so code that reads a field does not crash;
`up` and `down` also ask `is_active(session)` and stop before waiting for changes
that will never happen.

Clients made from the session *before* `install()` are not covered: botocore copies
the session's handlers into each client when it is made.
"""
from __future__ import annotations

import datetime as _dt
import re
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse

from .plumbing import Json, Session

if TYPE_CHECKING:   # botocore is untyped (Any), but the names say what the handlers are given
    from botocore.model import OperationModel, Shape

MUTATING_PREFIXES = ("Create", "Register", "Update", "Delete", "Deregister", "Run", "Start", "Stop", "Put",
                     "Attach", "Detach", "Authorize", "Revoke", "Tag", "Untag", "Modify", "Associate",
                     "Allocate", "Release", "Set", "Submit", "Continue")
PLACEHOLDER = "dry-run"
REDACTED = "***"
PARAMS_KEY = "fargate_lab.dry_run.params"   # where the caller's own kwargs wait for the before-call handler
LONGEST_SHOWN = 60                          # longer strings (templates, policies) are clipped when printed
PLACEHOLDER_DEPTH = 4                       # output shapes can be recursive; nobody reads deeper than this

# Parameter names whose values are secrets, and values that look like one whatever their name.
SECRET_NAME = re.compile(r"secret|passw|token|credential|private.?key|access.?key", re.I)
SECRET_VALUE = re.compile(r"^(AKIA|ASIA)[A-Z0-9]{16}$|PRIVATE KEY-----|^[A-Za-z0-9/+]{40}$")
HEX_ONLY = re.compile(r"^[0-9a-f]+$")   # a 40-hex-digit git SHA is not a secret key

_dry_sessions: weakref.WeakSet[Session] = weakref.WeakSet()


def is_mutating(operation_name: str) -> bool:
    return operation_name.startswith(MUTATING_PREFIXES)


def is_active(session: Session) -> bool:
    """True if `install()` was called on this session: callers skip waits that could never end."""
    return session in _dry_sessions


def install(session: Session, say: Callable[[str], Any] = print) -> None:
    """Make `session` print and skip mutating calls from now on (for clients made after this)."""
    _dry_sessions.add(session)
    events = session.events
    # The caller's kwargs are only visible before botocore serialises them; before-call sees the wire form.
    events.register("provide-client-params", _remember_params, unique_id="fargate-lab-dry-run-params")
    events.register("before-call", _short_circuit(say), unique_id="fargate-lab-dry-run")


def _remember_params(params: Json, context: Json, **_: Any) -> None:
    context[PARAMS_KEY] = dict(params)
    return None   # None leaves the parameters as they are


def _short_circuit(say: Callable[[str], Any]) -> Callable[..., tuple[AWSResponse, Json] | None]:
    """botocore's before-call handler: a mutating call is printed and answered here (the answer's
    (http response, parsed body)); None lets any other call go on."""
    def before_call(model: OperationModel, context: Json, **_: Any) -> tuple[AWSResponse, Json] | None:
        if not is_mutating(model.name):
            return None   # reads go through
        service = model.service_model.service_name
        say(f"would call {format_call(service, model.name, context.get(PARAMS_KEY, {}))}")
        http = AWSResponse("https://dry-run.invalid/", 200, {}, _EmptyBody())
        body = placeholder(model.output_shape, made=model.name.startswith("Create"))
        body["ResponseMetadata"] = {"RequestId": PLACEHOLDER, "HTTPStatusCode": 200, "HTTPHeaders": {},
                                    "RetryAttempts": 0}
        return http, body
    return before_call


class _EmptyBody:
    def stream(self, **_: Any) -> Iterator[bytes]:
        yield b""


# -- printing -----------------------------------------------------------------------
def format_call(service: str, operation: str, params: Json) -> str:
    """`ec2.CreateVpc(CidrBlock='10.0.0.0/16', ...)`, secrets redacted, long strings clipped."""
    shown = _clip(redact(params))
    return f"{service}.{operation}(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def redact(value: Any, name: str = "") -> Any:
    """A copy with secret-looking values replaced by ***.

    A value is secret if its parameter name says so (SecretString, SessionToken, Password...),
    if it looks like a key (AKIA..., a 40-character secret key, a PEM private key), or if it is
    the `value` of a name/value pair whose name says so (an ECS environment variable DB_PASSWORD)."""
    if isinstance(value, dict):
        label = next((value[k] for k in ("name", "Name", "key", "Key") if isinstance(value.get(k), str)), "")
        secret_pair = bool(SECRET_NAME.search(label))
        return {k: REDACTED if secret_pair and k in ("value", "Value") else redact(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, name) for v in value]
    if isinstance(value, (str, bytes)):
        text = value.decode(errors="replace") if isinstance(value, bytes) else value
        return REDACTED if SECRET_NAME.search(name) or _looks_secret(text) else value
    return value


def _looks_secret(text: str) -> bool:
    return bool(SECRET_VALUE.search(text)) and not HEX_ONLY.match(text)


class _Clipped:
    """Prints as the start of a long string and its length: a template in full would bury the plan."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"{self.text[:LONGEST_SHOWN]!r}...({len(self.text)} chars)"


def _clip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clip(v) for v in value]
    if isinstance(value, str) and len(value) > LONGEST_SHOWN:
        return _Clipped(value)
    return value


# -- placeholder responses ------------------------------------------------------------
def placeholder(shape: Shape | None, depth: int = 0, made: bool = False) -> Any:
    """A value of the operation's output shape: structures filled in, lists empty, ids 'dry-run'.

    `made`: the answer of a Create* call, whose top-level lists (CreateLoadBalancer's
    LoadBalancers, CreateTargetGroup's TargetGroups) hold the one thing made, as on AWS."""
    if shape is None:
        return {}
    kind = shape.type_name
    if kind == "structure":
        if depth >= PLACEHOLDER_DEPTH:
            return {}
        return {name: placeholder(member, depth + 1, made=made and depth == 0)
                for name, member in shape.members.items()}
    if kind == "list":
        if made and shape.member.type_name == "structure":
            return [placeholder(shape.member, depth + 1)]
        return []
    if kind == "map":
        return {}
    if kind == "string":
        return PLACEHOLDER
    if kind in ("integer", "long"):
        return 0
    if kind in ("float", "double"):
        return 0.0
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return _dt.datetime.now(_dt.timezone.utc)
    if kind == "blob":
        return b""
    return None
