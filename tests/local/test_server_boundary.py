"""The local server's boundary, judged as a client sees it: raw HTTP and real boto3 clients.

Every request gets an AWS-shaped answer (awsJson `__type`/`message`, or an XML `<Error>` botocore
parses) and never a 5xx or an HTML page; ECS requests of any API version reach the engine, never
moto's own empty ECS; only loopback Host names and loopback Origins are answered; no CORS header
is ever sent; bodies are capped before they are read.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fargate_lab import backend
from fargate_lab.local.server import MAX_BODY, loopback_name
from fargate_lab.wire.ecs_json import TARGET_PREFIX
from fargate_lab.wire.request import MAX_BODY as ECS_MAX_BODY

from tests.paths import REPO

JSON = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded"


def auth(service: str) -> str:
    return (f"AWS4-HMAC-SHA256 Credential=testing/20261201/us-east-1/{service}/aws4_request, "
            "SignedHeaders=host, Signature=x")


class Served:
    """`fargate-lab local serve` in a child process (as a user runs it), on a free port, its own state dir."""

    def __init__(self, tmp: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FARGATE_LAB_", "XDG_"))}
        env.update(XDG_STATE_HOME=str(tmp), PYTHONPATH=str(REPO))
        self.process = subprocess.Popen([sys.executable, "-m", "fargate_lab.cli", "local", "serve", "--port",
                                         str(self.port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not backend.server_status(self.port):
            assert self.process.poll() is None and time.monotonic() < deadline, self.process.stderr.read()
            time.sleep(0.1)
        self.token = json.loads((tmp / "fargate-lab" / f"server-{self.port}.json").read_text())["token"]

    def stop(self) -> str:
        self.process.terminate()
        return self.process.communicate(timeout=30)[1].decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("state"))
    client_for(served, "ecs").create_cluster(clusterName="kept")
    yield served
    stderr = served.stop()
    assert "Traceback" not in stderr, stderr


def client_for(served, service: str, **events):
    client = boto3.client(service, endpoint_url=served.url, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
    for event, handler in events.items():
        client.meta.events.register(event, handler)
    return client


def send(served, method: str, path: str = "/", body: bytes = b"", headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=60)
    conn.request(method, path, body=body, headers=headers or {})
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply.status, {k.lower(): v for k, v in reply.getheaders()}, data


def aws_error(status: int, headers: dict, data: bytes) -> tuple[str, str]:
    """(code, message) of an AWS-shaped error answer; fails on anything else (HTML, 5xx, empty)."""
    assert 400 <= status < 500, (status, data[:300])
    assert not any(k.startswith("access-control-") for k in headers), headers
    if data.startswith(b"{"):
        doc = json.loads(data)
        code, message = doc["__type"], doc["message"]
    else:
        root = ET.fromstring(data)
        error = root if root.tag == "Error" else root.find(".//Error")   # S3's bare <Error>, or wrapped
        code, message = error.findtext("Code"), error.findtext("Message")
    assert headers.get("x-amzn-errortype", code) == code
    assert code and message and "\n" not in message and "Traceback" not in message, (code, message)
    return code, message


def ecs_target(operation: str) -> dict:
    return {"X-Amz-Target": TARGET_PREFIX + operation, "Content-Type": JSON, "Authorization": auth("ecs")}


# ------------------------------------------------------------------------------------ never a 500

NESTED = b"[" * 100_000 + b"]" * 100_000
CASES = {
    # name: (method, headers, body, expected status, expected code, words in the message)
    "deep JSON to ECS": ("POST", ecs_target("ListClusters"), NESTED, 400, "SerializationException",
                         "nested deeper than 64"),
    "deep JSON to moto's Logs": ("POST", {"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": JSON,
                                          "Authorization": auth("logs")}, NESTED, 400, "SerializationException",
                                 "nested deeper than 64"),
    "deep object to moto's Logs": ("POST", {"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": JSON,
                                            "Authorization": auth("logs")},
                                   b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 400, "SerializationException",
                                   "nested deeper"),
    "a service nobody serves": ("POST", {"X-Amz-Target": "FooService_20200101.DoThing", "Content-Type": JSON,
                                         "Authorization": auth("foo")}, b"{}", 400, "UnknownOperationException",
                                "serves no service 'foo'"),
    "an EC2 action that does not exist": ("POST", {"Content-Type": FORM, "Authorization": auth("ec2")},
                                          b"Action=NoSuchThing&Version=2016-11-15", 400, "InvalidAction",
                                          "NoSuchThing is not an operation of ec2"),
    "another ECS API version": ("POST", {**ecs_target("ListClusters"),
                                         "X-Amz-Target": "AmazonEC2ContainerServiceV20150101.ListClusters"}, b"{}",
                                400, "UnknownOperationException", "no such ECS operation"),
    "signed for ECS, no target": ("POST", {"Content-Type": JSON, "Authorization": auth("ecs")}, b"{}", 400,
                                  "UnknownOperationException", "no such ECS operation"),
    "a GET signed for ECS": ("GET", {"Authorization": auth("ecs")}, b"", 400, "UnknownOperationException",
                             "no such ECS operation"),
    "moto's own API": ("POST", {}, b"", 403, "AccessDeniedException", "fargate-lab local reset"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_bad_request_gets_an_aws_error_never_a_500(server, name):
    method, headers, body, status, code, words = CASES[name]
    path = "/moto-api/reset" if name == "moto's own API" else "/"
    answer = send(server, method, path, body, headers)
    assert answer[0] == status, answer
    got_code, message = aws_error(*answer)
    assert got_code == code and words in message, message
    # and the cloud is still whole: ECS state intact, moto's services still answer
    assert client_for(server, "ecs").describe_clusters(clusters=["kept"])["clusters"][0]["status"] == "ACTIVE"
    assert client_for(server, "ec2").describe_vpcs()["Vpcs"]


def test_ecs_of_another_version_never_reaches_motos_own_ecs(server):
    """One ECS state: what moto's ECS would have said (an empty list, a cluster of its own) is never seen."""
    raw = send(server, "POST", "/", json.dumps({"clusterName": "split"}).encode(),
               {**ecs_target("CreateCluster"), "X-Amz-Target": "AmazonEC2ContainerServiceV20200101.CreateCluster"})
    assert aws_error(*raw)[0] == "UnknownOperationException"
    names = [arn.rsplit("/", 1)[1] for arn in client_for(server, "ecs").list_clusters()["clusterArns"]]
    assert "kept" in names and "split" not in names


# ------------------------------------------------------------------------------------ loopback only

@pytest.mark.parametrize("host,ok", [
    ("127.0.0.1:4566", True), ("localhost", True), ("LOCALHOST:80", True), ("[::1]:4566", True),
    ("127.1.2.3", True), ("bucket.localhost:4566", True),
    ("evil.example", False), ("evil.example:4566", False), ("127.0.0.1.evil.example", False),
    ("localhost.evil.example", False), ("0.0.0.0:4566", False), ("10.0.0.1", False), ("", False),
])
def test_loopback_names(host, ok):
    assert loopback_name(host) is ok


def test_a_foreign_host_is_refused_as_a_real_client_sees_it(server):
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: boto3 clients of three protocols show why."""
    def rebind(request, **_):
        request.headers["Host"] = f"attacker.example:{server.port}"
    for service, call in (("ecs", lambda c: c.list_clusters()), ("ec2", lambda c: c.describe_vpcs()),
                          ("s3", lambda c: c.list_buckets())):
        client = client_for(server, service, **{"before-send": rebind})
        with pytest.raises(ClientError) as refused:
            call(client)
        error = refused.value.response["Error"]
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert error["Code"] == "AccessDeniedException", (service, error)
        assert error["Message"].startswith("Host 'attacker.example:") and "loopback" in error["Message"]


@pytest.mark.parametrize("origin,ok", [
    ("https://evil.example", False), ("null", False), ("http://127.0.0.1.evil.example", False),
    ("file://", False), ("http://localhost:8888", True), ("http://127.0.0.1:8888", True),
])
def test_a_web_page_of_another_site_is_refused_and_no_cors_is_sent(server, origin, ok):
    for method, headers, body in (("POST", ecs_target("ListClusters"), b"{}"),
                                  ("POST", {"Content-Type": FORM, "Authorization": auth("ec2")},
                                   b"Action=DescribeVpcs&Version=2016-11-15"),
                                  ("OPTIONS", {"Access-Control-Request-Method": "POST"}, b""),
                                  ("GET", {}, b"")):
        path = "/fargate-lab/status" if method == "GET" else "/"
        status, headers_back, data = send(server, method, path, body, {**headers, "Origin": origin})
        assert not any(k.startswith("access-control-") for k in headers_back), (method, headers_back)
        if not ok:
            assert status == 403 and "does not answer web pages" in aws_error(status, headers_back, data)[1]
        elif method != "OPTIONS":
            assert status == 200, (method, data[:200])


def test_shutdown_from_a_web_page_is_refused_even_with_the_token(server):
    answer = send(server, "POST", "/fargate-lab/shutdown", b"",
                  {"Origin": "https://evil.example", "X-Fargate-Lab-Token": server.token})
    assert answer[0] == 403
    assert send(server, "POST", "/fargate-lab/shutdown", b"", {"X-Fargate-Lab-Token": "wrong"})[0] == 403
    assert send(server, "GET", "/fargate-lab/status")[0] == 200


# ------------------------------------------------------------------------------------ size

def test_a_body_over_the_limit_is_refused_unread(server):
    """A declared length over the cap is answered at once, before a byte of the body is read."""
    for target, limit in ((ecs_target("ListClusters"), ECS_MAX_BODY),
                          ({"X-Amz-Target": "Logs_20140328.DescribeLogGroups", "Content-Type": JSON,
                            "Authorization": auth("logs")}, MAX_BODY)):
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
            head = "".join(f"{k}: {v}\r\n" for k, v in target.items())
            sock.sendall(f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {limit * 1000}\r\n\r\n"
                         .encode() + b"{" * 1000)     # far less than declared: the answer must not wait for it
            reply = b""
            while b"\r\n\r\n" not in reply or not reply.rstrip().endswith((b"}", b">")):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                reply += chunk
        head, _, data = reply.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), head
        code, message = aws_error(413, {}, data)
        assert code == "RequestEntityTooLarge" and f"{limit:,}-byte limit" in message
    assert client_for(server, "ecs").list_clusters()["clusterArns"]


def test_a_streamed_body_over_the_limit_is_refused(server):
    """Chunked transfer (no declared length) is cut at the cap too."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    piece = b"a" * 65536
    conn.request("POST", "/", body=iter([b'{"clusters":["'] + [piece] * (ECS_MAX_BODY // len(piece) + 2) + [b'"]}']),
                 headers=ecs_target("DescribeClusters"), encode_chunked=True)
    reply = conn.getresponse()
    code, message = aws_error(reply.status, {k.lower(): v for k, v in reply.getheaders()}, reply.read())
    assert reply.status == 413 and code == "RequestEntityTooLarge" and "more than" in message
    conn.close()


# ------------------------------------------------------------------------------------ anything at all

TARGETS = st.sampled_from(["", TARGET_PREFIX + "ListClusters", TARGET_PREFIX + "Nope", "AmazonEC2ContainerService",
                           "AmazonEC2ContainerServiceV1.X", "Logs_20140328.DescribeLogGroups", "Logs_20140328.Nope",
                           "X.Y", ".", "ECR.Nope", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"])
SERVICES = st.sampled_from(["", "ecs", "ec2", "logs", "iam", "s3", "sts", "elasticloadbalancing", "cloudformation",
                            "ecr", "nosuch", "ECS", "a/b"])
BODIES = st.one_of(st.binary(max_size=300), st.sampled_from([b"{}", b"[]", b"null", b"\"x\"", b"{", b"[" * 200,
                                                             b"Action=DescribeVpcs&Version=2016-11-15",
                                                             b"Action=DescribeTargetHealth&TargetGroupArn=x",
                                                             b"Action=&&==", b"\xff\xfe"]))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]),
       path=st.sampled_from(["/", "/x", "/fargate-lab/status", "/fargate-lab/shutdown", "/moto-api/", "/%ff",
                             "/latest/meta-data/", "//", "/?Action=DescribeVpcs"]),
       target=TARGETS, service=SERVICES, body=BODIES,
       content_type=st.sampled_from(["", JSON, FORM, "application/json", "text/plain"]))
def test_any_request_gets_an_aws_shaped_answer_and_the_cloud_stays(server, method, path, target, service, body,
                                                                   content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    if target:
        headers["X-Amz-Target"] = target
    if service:
        headers["Authorization"] = auth(service)
    status, headers_back, data = send(server, method, path, body, headers)
    assert status < 500, (status, data[:300])
    assert not any(k.startswith("access-control-") for k in headers_back)
    assert not data.lstrip().lower().startswith((b"<!doctype", b"<html")) or status < 300, data[:200]
    if status >= 400 and data:
        aws_error(status, headers_back, data)
    if path == "/fargate-lab/shutdown":   # the token guards it: the server must still be there
        assert send(server, "GET", "/fargate-lab/status")[0] == 200
    assert client_for(server, "ecs").describe_clusters(clusters=["kept"])["clusters"][0]["status"] == "ACTIVE"
