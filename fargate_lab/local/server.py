"""The whole local cloud on one loopback port, for the AWS CLI and other processes.

    fargate-lab local serve --port 4566 --speed 10
    AWS_ENDPOINT_URL=http://127.0.0.1:4566 aws ecs list-clusters

ECS requests (any X-Amz-Target of ECS, any request signed for ECS) go to the engine's wire
layer and never to moto's own, empty ECS; ELBv2 DescribeTargetHealth goes to the engine's view
of target health; everything else to moto's own WSGI app, in one process sharing one state.
One lock covers all of it: moto's backends are not thread-safe and Werkzeug serves on threads.

Only the user's own programs: requests must be addressed to a loopback name (a DNS-rebinding
page's Host is refused), a browser's foreign Origin is refused, no CORS header is ever sent, and
shutdown needs the token from the CLI's private state directory.  Every answer is AWS-shaped
(`__type`/`message`, or an XML `<Error>`), never an HTML 500: a request that breaks moto is
answered as a 400 naming the service and the exception.  No signature checks (the region comes
from the credential scope).
"""
from __future__ import annotations

import hmac
import io
import ipaddress
import json
import os
import sys
import threading
import time
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import Cloud, region_from
from ..wire.request import MAX_BODY as ECS_MAX_BODY, MAX_DEPTH, too_deep

STATUS_PATH = "/fargate-lab/status"
SHUTDOWN_PATH = "/fargate-lab/shutdown"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKEN_HEADER = "X-Fargate-Lab-Token"
ECS_TARGET_FAMILY = "AmazonEC2ContainerService"      # every API version of ECS, not only TARGET_PREFIX's
MAX_BODY = 64 << 20   # any other service's request (S3 objects included): no request may cost unbounded memory


def loopback_name(host: str) -> bool:
    """Is `host` (a Host header or URL authority, port allowed) a name that can only mean this machine?"""
    host = host.strip().lower()
    if host.startswith("["):                      # [::1]:4566
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:                    # 127.0.0.1:4566, localhost:4566
        host = host.rsplit(":", 1)[0]
    if host == "localhost" or host.endswith(".localhost"):   # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per API call would drown the presenter's terminal
        pass


class _NoSuchService(Exception):
    """moto has no backend for the request (raised where moto asks for one, so no request is inferred twice)."""


class Refused(Exception):
    """A request answered with an AWS-style error before it reaches ECS or moto."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LocalServer:
    def __init__(self, cloud: Cloud, port: int = 4566, host: str = "127.0.0.1", token: str | None = None):
        """`token`: when given, requests that change the server itself (shutdown) must carry it in
        the X-Fargate-Lab-Token header; the CLI keeps it in its private state directory."""
        if host not in LOOPBACK:
            raise ValueError(f"host: {host!r} is not a loopback address; the local cloud only listens on 127.0.0.1")
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        def create_app(service):
            if service is None:   # moto matched no backend to the request's host or signature
                raise _NoSuchService
            app = create_backend_app(service)
            app.config["PROPAGATE_EXCEPTIONS"] = True   # moto's bugs reach our answer, not Flask's HTML 500
            return app
        self.cloud = cloud
        self.token = token
        self.moto_app = DomainDispatcherApplication(create_app)
        self.started = time.time()
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------------------------------- routing

    def app(self, environ, start_response):
        request = Request(environ)
        try:
            response = self._answer(request, environ)
        except Refused as e:
            response = self._error(request, e.status, e.code, e.message)
        except Exception as e:   # a bug (ours or moto's): one AWS-shaped line, never Flask's HTML 500
            detail = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}".rstrip(": ")
            print(f"fargate-lab local cloud: {self._service(request)} request failed inside the local cloud "
                  f"({detail})", file=sys.stderr, flush=True)
            response = self._error(request, 400, "InternalFailure",
                                   f"the local cloud could not answer this {self._service(request)} request "
                                   f"({detail}); AWS would answer it, so this is a gap in the local cloud")
        for name in [k for k in response.headers.keys() if k.lower().startswith("access-control-")]:
            del response.headers[name]   # no CORS: no web page may read what the local cloud answers
        return response(environ, start_response)

    def _answer(self, request: Request, environ) -> Response:
        self._only_own_programs(request)
        if request.path == STATUS_PATH:
            return self._json(self.status())
        if request.path == SHUTDOWN_PATH and request.method == "POST":
            if self.token is not None and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), self.token):
                raise Refused(403, "AccessDeniedException",
                              f"shutdown needs the {TOKEN_HEADER} header that `fargate-lab local stop` sends")
            threading.Thread(target=self.shutdown, daemon=True).start()
            return self._json({"status": "stopping"})
        if request.path.startswith("/moto-api"):
            raise Refused(403, "AccessDeniedException",
                          "the local cloud does not expose moto's /moto-api (resetting moto alone would split its "
                          "state from the ECS engine's); `fargate-lab local reset` gives a clean slate")
        target = request.headers.get("X-Amz-Target", "")
        region = region_from(request.headers.get("Authorization", ""))
        if target.startswith(ECS_TARGET_FAMILY) or self._signed_for(request) == "ecs":
            data = self._body(request, ECS_MAX_BODY)
            status, headers, body = self.cloud.wire.handle(region, target, data)
            return Response(body, status=status, headers=headers)
        data = self._body(request, MAX_BODY)
        if self._json_protocol(request) and too_deep(data):   # moto's JSON parser would recurse into it
            raise Refused(400, "SerializationException",
                          f"request body: JSON nested deeper than {MAX_DEPTH} levels; send the operation's "
                          "parameters as a flat JSON object")
        if b"Action=DescribeTargetHealth" in data:
            return Response(self.cloud.target_health_xml(region, data), status=200, content_type="text/xml")
        if self._signed_for(request) == "elasticloadbalancing" and b"Action=Describe" not in data:
            self.cloud.traffic.changed()   # listeners or rules may change: the traffic reads them again
        return self._moto(request, environ, data)

    def _moto(self, request: Request, environ, data: bytes) -> Response:
        from botocore.model import OperationNotFoundError
        environ["wsgi.input"] = io.BytesIO(data)  # moto reads the body again
        environ["CONTENT_LENGTH"] = str(len(data))
        answer: dict = {}

        def start_response(status, headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split(" ", 1)[0]), headers
            return lambda chunk: None

        with self.cloud.lock:
            self.cloud.clock.catch_up()   # real clock: what fell due (traffic, alarms) runs first
            try:
                body = b"".join(bytes(chunk) for chunk in self.moto_app(environ, start_response))
            except _NoSuchService:
                raise Refused(400, "UnknownOperationException",
                              f"the local cloud serves no service {self._service(request)!r} (ECS is fargate-lab's "
                              f"own; EC2, ELBv2, IAM, CloudFormation, CloudWatch Logs and the rest come from moto)"
                              ) from None
            except OperationNotFoundError as e:
                code = "UnknownOperationException" if self._json_protocol(request) else "InvalidAction"
                raise Refused(400, code, f"{e.args[0] if e.args else '?'} is not an operation of "
                                         f"{self._service(request)}; check the action's name") from None
        response = Response(body, status=answer["status"], headers=answer["headers"])
        if response.status_code >= 500 or (response.status_code >= 400 and response.mimetype == "text/html"):
            # Flask's own page (no route, wrong method) or a 5xx: not something an SDK can parse
            if response.status_code in (404, 405):
                code = "UnknownOperationException" if self._json_protocol(request) else "InvalidAction"
                raise Refused(400, code, f"{request.method} {request.path[:100]} is not an operation of "
                                         f"{self._service(request)} in the local cloud; check the request")
            raise Refused(400, "InternalFailure", f"the local cloud's {self._service(request)} answered HTTP "
                                                  f"{response.status_code}; this is a gap in the local cloud")
        return response

    # ---------------------------------------------------------------------------------------- the boundary

    def _only_own_programs(self, request: Request) -> None:
        """Only programs on this machine that address it by a loopback name; no foreign web page."""
        host = request.headers.get("Host")
        if host is not None and not loopback_name(host):
            raise Refused(403, "AccessDeniedException",
                          f"Host {host[:100]!r} is not a loopback name; the local cloud answers only requests "
                          f"addressed to 127.0.0.1, localhost or [::1] (use {self.url})")
        origin = request.headers.get("Origin")
        if origin is not None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not loopback_name(parts.netloc):
                raise Refused(403, "AccessDeniedException",
                              f"Origin {origin[:100]!r}: the local cloud does not answer web pages from other "
                              "sites; call it from your own programs (boto3, the AWS CLI, an SDK)")

    @staticmethod
    def _body(request: Request, limit: int) -> bytes:
        """The request body, refused unread when it is over `limit` bytes (declared or streamed)."""
        declared = request.content_length
        if declared is not None and declared > limit:
            raise Refused(413, "RequestEntityTooLarge", f"request body: {declared:,} bytes is above the local "
                                                        f"cloud's {limit:,}-byte limit for one request; send less")
        data = request.stream.read(limit + 1)
        if len(data) > limit:
            raise Refused(413, "RequestEntityTooLarge", f"request body: more than {limit:,} bytes, the local "
                                                        "cloud's limit for one request; send less")
        return data

    @staticmethod
    def _signed_for(request: Request) -> str:
        """The service a SigV4 request is signed for (its credential scope), or ''."""
        auth = request.headers.get("Authorization", "")
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/") if "Credential=" in auth else []
        return scope[3].lower() if len(scope) >= 5 else ""

    def _service(self, request: Request) -> str:
        target = request.headers.get("X-Amz-Target", "")
        return self._signed_for(request) or (target.split(".", 1)[0] if target else "") or "unsigned"

    @staticmethod
    def _json_protocol(request: Request) -> bool:
        return bool(request.headers.get("X-Amz-Target")) or "amz-json" in (request.content_type or "")

    def _error(self, request: Request, status: int, code: str, message: str) -> Response:
        """An error in the protocol the client speaks: awsJson (`__type`), else the XML `<Error>` that
        botocore's query, EC2 and REST-XML parsers all read; x-amzn-ErrorType for REST-JSON clients."""
        headers = {"x-amzn-ErrorType": code, "x-amzn-RequestId": f"fargate-lab-refused-{os.getpid()}"}
        if status == 413:
            headers["Connection"] = "close"   # the rest of the body was never read
        if self._json_protocol(request):
            return Response(json.dumps({"__type": code, "message": message}), status=status, headers=headers,
                            content_type="application/x-amz-json-1.1")
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(code)}</Code><Message>{escape(message)}"
                f"</Message></Error><RequestId>{headers['x-amzn-RequestId']}</RequestId></ErrorResponse>")
        return Response(body, status=status, headers=headers, content_type="text/xml")

    @staticmethod
    def _json(payload) -> Response:
        return Response(json.dumps(payload), content_type="application/json")

    def status(self) -> dict:
        return {"status": "running", "pid": os.getpid(), "url": self.url, "clock": self.cloud.mode,
                "speed": getattr(self.cloud.clock, "speed", None), "now": self.cloud.now().isoformat(),
                "uptime_seconds": round(time.time() - self.started, 1), "ecs_calls": self.cloud.wire.calls}

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> LocalServer:
        """Serve on a background thread (tests, notebooks)."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="fargate-lab-server")
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
