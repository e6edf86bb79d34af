"""ECS over awsJson1_1: the same bytes AWS sends, so botocore parses them as AWS's.

`EcsWire.handle(region, target, body)` returns (status, headers, body).  It is
shared by the in-process botocore handler and the HTTP server, and it never
returns nothing: an unanswered ECS request would go to real AWS.
"""
from __future__ import annotations

import json
import os
import threading
import traceback
import uuid
from collections.abc import Callable
from typing import TypeAlias

from ..engine import Engine
from ..engine.errors import EcsError
from . import timestamps
from .request import BadRequest, parse
from .validate import check_error, check_output, service_model

TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113."
JSON_TYPE = "application/x-amz-json-1.1"
# Errors of the awsJson protocol itself, raised before an operation runs, so no operation models them.
PROTOCOL_ERRORS = frozenset({"SerializationException", "UnknownOperationException", "RequestEntityTooLarge"})

Answer: TypeAlias = tuple[int, dict[str, str], bytes]   # HTTP status, headers, body


class EcsWire:
    def __init__(self, engine: Engine, lock: threading.RLock, before_call: Callable[[], None] = lambda: None,
                 strict: bool | None = None):
        self.engine = engine
        self.lock = lock
        self.before_call = before_call           # e.g. let a real-time clock catch up
        self.strict = os.environ.get("FARGATE_LAB_STRICT") == "1" if strict is None else strict
        self.violations: list[str] = []          # shape problems seen (always recorded)
        self.validate = self.strict
        self.calls = 0
        self._operations: set[str] = set(service_model().operation_names)
        self._request_ids = 0
        # a real clock faster than AWS: the client is shown wall-clock times (clock.to_client)
        # (a real clock at speed 1 too: a presenter's hold moves cloud time off the wall's)
        self.shift_times = getattr(engine.clock, "speed", None) is not None

    def handle(self, region: str, target: str, body: bytes | str | None) -> Answer:
        prefix, _, operation = target.rpartition(".")
        self._request_ids += 1
        headers = {"Content-Type": JSON_TYPE,
                   "x-amzn-RequestId": str(uuid.UUID(int=self._request_ids, version=4))}
        if prefix + "." != TARGET_PREFIX or operation not in self._operations:
            return self._error(headers, None, "UnknownOperationException",
                               f"X-Amz-Target {target[:120]!r}: no such ECS operation; use "
                               f"{TARGET_PREFIX}<Operation>, e.g. {TARGET_PREFIX}ListClusters")
        try:
            params = parse(operation, body)      # botocore's input shape, before the engine (request.py)
        except BadRequest as e:
            return self._error(headers, operation, e.code, e.message, e.status)
        try:
            with self.lock:
                self.calls += 1
                self.before_call()
                if not self.engine.supports(operation):
                    return self._unsupported(headers, operation)
                model = service_model().operation_model(operation)
                if self.shift_times:
                    params = timestamps.convert(params, model.input_shape, self.engine.clock.from_client)
                result = self.engine.call(region, operation, params)
                if self.shift_times:
                    result = timestamps.convert(result, model.output_shape, self.engine.clock.to_client)
        except EcsError as e:
            return self._error(headers, operation, e.code, e.message)
        except Exception as e:  # a bug of ours must not leak as a Python exception through boto3
            # Last resort, never reached by the fuzz tests: ECS's own code for a server-side fault,
            # with status 400 so that SDKs do not retry a deterministic bug with real sleeps.
            detail = traceback.format_exception_only(type(e), e)[-1].strip()
            return self._error(headers, operation, "ServerException",
                               f"fargate-lab local cloud internal error in {operation}: {detail}. Please report it.")
        if self.validate:
            report = check_output(operation, result)
            if report:
                self.violations.append(f"{operation}: {report}")
                if self.strict:
                    return self._error(headers, operation, "ClientException",
                                       f"fargate-lab produced an invalid {operation} response: {report}")
        return 200, headers, json.dumps(result).encode()

    def _unsupported(self, headers: dict[str, str], operation: str) -> Answer:
        modeled = {s.name for s in service_model().operation_model(operation).error_shapes}
        code = "UnsupportedFeatureException" if "UnsupportedFeatureException" in modeled else "ClientException"
        return self._error(headers, operation, code,
                           f"{operation} is not supported by the fargate-lab local cloud. "
                           "Run this against AWS (backend 'aws') to use it.")

    def _error(self, headers: dict[str, str], operation: str | None, code: str, message: str,
               status: int = 400) -> Answer:
        if operation and code not in PROTOCOL_ERRORS and check_error(operation, code):
            # Keep the modeled vocabulary: an engine code this operation cannot raise becomes
            # the operation's generic client error, with the message intact.
            modeled = {s.name for s in service_model().operation_model(operation).error_shapes}
            code = "InvalidParameterException" if code in ("ResourceNotFoundException",) and \
                "InvalidParameterException" in modeled else "ClientException"
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, headers, body
