"""The whole local cloud on one loopback port, for the AWS CLI and other processes.

    fargate-lab local serve --port 4566 --speed 10
    AWS_ENDPOINT_URL=http://127.0.0.1:4566 aws ecs list-clusters

ECS requests (by their X-Amz-Target) go to the engine's wire layer,
ELBv2 DescribeTargetHealth to the engine's view of target health, and everything
else to moto's own WSGI app, in one process sharing one state.  One lock covers
all of it: moto's backends are not thread-safe and Werkzeug serves on threads.
Loopback only, and no signature checks (the region comes from the credential scope).
"""
from __future__ import annotations

import hmac
import io
import json
import os
import threading
import time

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import Cloud, region_from
from ..wire.ecs_json import TARGET_PREFIX

STATUS_PATH = "/fargate-lab/status"
SHUTDOWN_PATH = "/fargate-lab/shutdown"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
TOKEN_HEADER = "X-Fargate-Lab-Token"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # one line per API call would drown the presenter's terminal
        pass


class LocalServer:
    def __init__(self, cloud: Cloud, port: int = 4566, host: str = "127.0.0.1", token: str | None = None):
        """`token`: when given, requests that change the server itself (shutdown) must carry it in
        the X-Fargate-Lab-Token header; the CLI keeps it in its private state directory."""
        if host not in LOOPBACK:
            raise ValueError(f"host: {host!r} is not a loopback address; the local cloud only listens on 127.0.0.1")
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        self.cloud = cloud
        self.token = token
        self.moto_app = DomainDispatcherApplication(create_backend_app)
        self.started = time.time()
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def app(self, environ, start_response):
        request = Request(environ)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        region = region_from(environ.get("HTTP_AUTHORIZATION", ""))
        if request.path == STATUS_PATH:
            return self._json(self.status())(environ, start_response)
        if request.path == SHUTDOWN_PATH and request.method == "POST":
            if self.token is not None and not hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), self.token):
                return Response(json.dumps({"__type": "AccessDeniedException",
                                            "message": f"shutdown needs the {TOKEN_HEADER} header that "
                                                       "`fargate-lab local stop` sends"}),
                                status=403, content_type="application/json")(environ, start_response)
            threading.Thread(target=self.shutdown, daemon=True).start()
            return self._json({"status": "stopping"})(environ, start_response)
        if target.startswith(TARGET_PREFIX):
            status, headers, body = self.cloud.wire.handle(region, target, request.get_data())
            return Response(body, status=status, headers=headers)(environ, start_response)
        data = request.get_data()
        if b"Action=DescribeTargetHealth" in data:
            body = self.cloud.target_health_xml(region, data)
            return Response(body, status=200, content_type="text/xml")(environ, start_response)
        environ["wsgi.input"] = io.BytesIO(data)  # moto reads the body again
        environ["CONTENT_LENGTH"] = str(len(data))
        with self.cloud.lock:
            return [bytes(chunk) for chunk in self.moto_app(environ, start_response)]

    @staticmethod
    def _json(payload) -> Response:
        return Response(json.dumps(payload), content_type="application/json")

    def status(self) -> dict:
        return {"status": "running", "pid": os.getpid(), "url": self.url, "clock": self.cloud.mode,
                "speed": getattr(self.cloud.clock, "speed", None), "now": self.cloud.now().isoformat(),
                "uptime_seconds": round(time.time() - self.started, 1), "ecs_calls": self.cloud.wire.calls}

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def start(self) -> "LocalServer":
        """Serve on a background thread (tests, notebooks)."""
        self._thread = threading.Thread(target=self.serve_forever, daemon=True, name="fargate-lab-server")
        self._thread.start()
        return self

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
