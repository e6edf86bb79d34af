#!/usr/bin/env python
"""Benchmark fargate-lab's local cloud against moto's plain mock_aws().

    python bench/bench_local_cloud.py            # the full run (about 2-3 minutes on 2 cores)
    python bench/bench_local_cloud.py --quick    # a smoke run (smaller sizes, fewer repetitions)
    python bench/bench_local_cloud.py --profile engine-deploy   # cProfile a 5,000-task engine deploy
    python bench/bench_local_cloud.py --profile local-calls     # cProfile the local cloud's per-call path
    python bench/bench_local_cloud.py --profile cloud-deploy --profile-n 1000   # ... a deploy through boto3 + moto

Three parts, each measured in fresh subprocesses (this file re-runs itself with
`--child ...`), so imports, moto's backends and engine state never leak from one
measurement into another:

1. per-call µs of a fixed ECS call sequence, local cloud vs moto (median of repetitions);
2. interpreter + import + start + first ECS call, local cloud vs moto;
3. wall time of a full rolling deploy of N tasks on the virtual clock: the engine
   alone (OfflineSubstrate) and the full local cloud through boto3 (moto for EC2).

Only the standard library is imported at the top, so the start-up timings of
part 2 include every import the measured code needs.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
RESULT_TAG = "BENCH_RESULT "
OPS = ("create_cluster", "register_task_definition", "describe_clusters", "list_clusters",
       "describe_task_definition", "run_task", "describe_tasks", "list_tasks", "stop_task")
TASK_LEVEL = {"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512"}
POLL_STEP = 5.0          # virtual seconds between DescribeServices polls in the deploy benchmark
DEPLOY_TIMEOUT = 3600.0  # virtual seconds before a deploy counts as stuck
PER_CALL_TARGET = 0.5    # local/moto
START_TARGET = 1.0       # seconds
DEPLOY_TARGET = (5000, 5.0)
LOAD_TARGET = {"inproc": 300, "http": 150}   # calls/s with 10 threads on 2 cores
SIZE_TARGET = (5000, 15.0)                     # N, wall seconds through the whole local cloud


# =============================================================================
# children: each runs in its own interpreter and prints one JSON result line
# =============================================================================

def _emit(result: dict) -> None:
    print(RESULT_TAG + json.dumps(result), flush=True)


class _Backend:
    """A fresh local cloud or a fresh moto mock_aws(), with ECS and EC2 clients."""

    def __init__(self, kind: str):
        import boto3
        self.kind = kind
        if kind == "local":
            from fargate_lab import local
            self.cloud = local.start(seed=0)
        else:
            from moto import mock_aws
            self.cloud = mock_aws()
            self.cloud.start()
        self.ecs = boto3.client("ecs", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)

    def default_subnets(self) -> list[str]:
        found = self.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
        return sorted(s["SubnetId"] for s in found)

    def default_security_group(self) -> str:
        vpc = self.ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        return self.ec2.describe_security_groups(Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])[
            "SecurityGroups"][0]["GroupId"]

    def container(self, image: str = "fargatelab/web:v1") -> dict:
        c = {"name": "web", "image": image, "portMappings": [{"containerPort": 80}]}
        if self.kind == "moto":
            c["memory"] = 512  # moto's run_task sums container memory and crashes on None
        return c

    def stop(self) -> None:
        self.cloud.stop()


def _sequence(b: _Backend, subnets: list[str], group: str, acc: dict[str, float] | None) -> None:
    """The fixed call sequence; adds each call's seconds to acc[op]."""
    ecs, pc, st = b.ecs, time.perf_counter, {}
    network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "DISABLED"}}
    calls = (
        ("create_cluster", lambda: ecs.create_cluster(clusterName="bench")),
        ("register_task_definition", lambda: st.__setitem__("td", ecs.register_task_definition(
            family="web", containerDefinitions=[b.container()], **TASK_LEVEL)["taskDefinition"]["taskDefinitionArn"])),
        ("describe_clusters", lambda: ecs.describe_clusters(clusters=["bench"])),
        ("list_clusters", lambda: ecs.list_clusters()),
        ("describe_task_definition", lambda: ecs.describe_task_definition(taskDefinition="web")),
        ("run_task", lambda: st.__setitem__("task", ecs.run_task(
            cluster="bench", taskDefinition=st["td"], launchType="FARGATE",
            networkConfiguration=network)["tasks"][0]["taskArn"])),
        ("describe_tasks", lambda: ecs.describe_tasks(cluster="bench", tasks=[st["task"]])),
        ("list_tasks", lambda: ecs.list_tasks(cluster="bench")),
        ("stop_task", lambda: ecs.stop_task(cluster="bench", task=st["task"], reason="bench")),
    )
    for op, fn in calls:
        t = pc()
        fn()
        if acc is not None:
            acc[op] += pc() - t


def _floor_sequence(iters: int) -> dict[str, float]:
    """botocore alone: the same calls on a client whose before-send returns a canned '{}'."""
    import boto3
    from botocore.awsrequest import AWSResponse

    class Raw:
        def stream(self, **_):
            yield b"{}"

    canned = {"taskDefinition": {"taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"},
              "tasks": [{"taskArn": "arn:aws:ecs:us-east-1:123456789012:task/bench/0"}]}

    def answer(request, **_):
        op = request.headers.get("X-Amz-Target", b"")
        op = (op.decode() if isinstance(op, bytes) else op).rsplit(".", 1)[-1]
        body = json.dumps({k: v for k, v in canned.items()
                           if (op, k) in (("RegisterTaskDefinition", "taskDefinition"), ("RunTask", "tasks"))}).encode()

        class R:
            def stream(self, **_):
                yield body
        return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, R())

    session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
    ecs = session.client("ecs")
    ecs.meta.events.register_first("before-send.ecs", answer)

    class B:  # the slice of _Backend that _sequence uses
        kind = "floor"
        container = _Backend.container
    b = B()
    b.ecs = ecs
    subnets = ["subnet-a", "subnet-b", "subnet-c", "subnet-d", "subnet-e", "subnet-f"]
    _sequence(b, subnets, "sg-0", None)
    acc = dict.fromkeys(OPS, 0.0)
    for _ in range(iters):
        _sequence(b, subnets, "sg-0", acc)
    return {op: 1e6 * s / iters for op, s in acc.items()}


def child_calls(kind: str, reps: int, iters: int, nsubnets: int) -> None:
    per_rep: dict[str, list[float]] = {op: [] for op in OPS}
    subnet_count = 0
    for _ in range(reps):
        b = _Backend(kind)  # fresh state every repetition: the cluster holds at most iters+1 tasks
        subnets = b.default_subnets()[:nsubnets]
        subnet_count = len(subnets)
        group = b.default_security_group()
        _sequence(b, subnets, group, None)  # warm-up (lazy imports, moto backends, first substrate calls)
        acc = dict.fromkeys(OPS, 0.0)
        for _ in range(iters):
            _sequence(b, subnets, group, acc)
        for op in OPS:
            per_rep[op].append(1e6 * acc[op] / iters)
        b.stop()
    out = {"kind": kind, "reps": reps, "iters": iters, "subnets": subnet_count,
           "median_us": {op: statistics.median(v) for op, v in per_rep.items()},
           "spread_us": {op: max(v) - min(v) for op, v in per_rep.items()}}
    if kind == "local":
        out["floor_us"] = _floor_sequence(iters)
    _emit(out)


def child_start(kind: str, launched_at: float) -> None:
    pc = time.perf_counter
    t0 = pc()
    if kind == "local":
        from fargate_lab import local
        import boto3
        t1 = pc()
        cloud = local.start(seed=0)
    else:
        import boto3
        from moto import mock_aws
        t1 = pc()
        cloud = mock_aws()
        cloud.start()
    t2 = pc()
    ecs = boto3.client("ecs", region_name=REGION)
    ecs.list_clusters()
    t3 = pc()
    from_exec = time.time() - launched_at  # includes the interpreter's own start-up
    # Then the first call that moto answers, and the way to a first run_task.
    b = _Backend.__new__(_Backend)
    b.kind, b.ecs, b.ec2 = kind, ecs, boto3.client("ec2", region_name=REGION)
    subnets = b.default_subnets()
    t4 = pc()
    group = b.default_security_group()
    ecs.create_cluster(clusterName="bench")
    td = ecs.register_task_definition(family="web", containerDefinitions=[b.container()], **TASK_LEVEL)
    t5 = pc()
    ecs.run_task(cluster="bench", taskDefinition=td["taskDefinition"]["taskDefinitionArn"], launchType="FARGATE",
                 networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group]}})
    t6 = pc()
    cloud.stop()
    _emit({"kind": kind, "import": t1 - t0, "start": t2 - t1, "first_call": t3 - t2, "to_first_call": t3 - t0,
           "from_exec": from_exec, "first_ec2": t4 - t3, "first_run_task": t6 - t5})


def _deploy_engine(n: int) -> dict:
    from fargate_lab.engine import Engine, OfflineSubstrate, VirtualClock
    engine = Engine(clock=VirtualClock(1.7e9), seed=0, substrate=OfflineSubstrate())
    call = lambda op, **p: engine.call(REGION, op, p)  # noqa: E731
    return _deploy(n, call, engine.clock.advance, engine, ["subnet-a", "subnet-b", "subnet-c"], warm=None)


def _deploy_cloud(n: int) -> dict:
    from fargate_lab import local
    import boto3
    from botocore.exceptions import ClientError  # noqa: F401  (imported before timing)
    cloud = local.start(seed=0)
    ecs, ec2 = boto3.client("ecs", region_name=REGION), boto3.client("ec2", region_name=REGION)
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:3]

    def call(op, **p):
        name = "".join("_" + ch.lower() if ch.isupper() else ch for ch in op).lstrip("_")
        return getattr(ecs, name)(**p)

    def warm():  # a 0-task service elsewhere: pays the one-time first-moto-call cost outside the timing
        call("CreateCluster", clusterName="warmup")
        call("CreateService", cluster="warmup", serviceName="warm", taskDefinition="web:1", desiredCount=0,
             launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}})
        cloud.advance(POLL_STEP)
    try:
        return _deploy(n, call, cloud.advance, cloud.engine, subnets, warm=warm)
    finally:
        cloud.stop()


def _deploy(n, call, advance, engine, subnets, warm, poll: float = POLL_STEP) -> dict:
    pc = time.perf_counter
    call("CreateCluster", clusterName="bench")
    for version in ("v1", "v2"):
        call("RegisterTaskDefinition", family="web", **TASK_LEVEL, containerDefinitions=[
            {"name": "web", "image": f"fargatelab/web:{version}", "portMappings": [{"containerPort": 80}]}])
    warm_s = 0.0
    if warm:
        t = pc()
        warm()
        warm_s = pc() - t
    clock = engine.clock
    events0, virtual0 = clock.events_run, clock.now()
    polls = 0

    def settled() -> bool:
        nonlocal polls
        polls += 1
        svc = call("DescribeServices", cluster="bench", services=["web"])["services"][0]
        deps = svc["deployments"]
        return (len(deps) == 1 and deps[0]["rolloutState"] == "COMPLETED"
                and svc["runningCount"] == n and deps[0]["taskDefinition"].endswith(want))

    def wait() -> None:
        waited = 0.0
        while not settled():
            if waited >= DEPLOY_TIMEOUT:
                raise RuntimeError(f"deploy of {n} tasks not settled after {DEPLOY_TIMEOUT:.0f} virtual s")
            advance(poll)
            waited += poll

    t0 = pc()
    call("CreateService", cluster="bench", serviceName="web", taskDefinition="web:1", desiredCount=n,
         launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}})
    want = "web:1"
    wait()
    t1 = pc()
    v1 = clock.now()
    call("UpdateService", cluster="bench", service="web", taskDefinition="web:2")
    want = "web:2"
    wait()
    t2 = pc()
    return {"n": n, "create_s": t1 - t0, "update_s": t2 - t1, "total_s": t2 - t0, "warm_s": warm_s,
            "virtual_create_s": v1 - virtual0, "virtual_update_s": clock.now() - v1,
            "events": clock.events_run - events0, "polls": polls}


def child_deploy(kind: str, n: int) -> None:
    if kind == "cloud-lb":
        _emit(_deploy_cloud_lb(n))
        return
    _emit(_deploy_engine(n) if kind == "engine" else _deploy_cloud(n))


# -- part 4: load (threads, in-process and over HTTP) and size (peak memory) ---------------------

LOAD_CYCLE = ("describe_services", "list_tasks", "describe_tasks", "describe_clusters", "list_services",
              "describe_task_definition", "run_task", "describe_tasks", "stop_task", "update_service")


def _rss_mb() -> float:
    """Resident set size now (MiB), from /proc (Linux); 0 elsewhere."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return 0.0


def _peak_rss_mb() -> float:
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _load_fixture(ecs, ec2) -> dict:
    """A cluster, a definition and a 4-task service for the mixed calls to read and change."""
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:3]
    ecs.create_cluster(clusterName="load")
    td = ecs.register_task_definition(family="web", **TASK_LEVEL, containerDefinitions=[
        {"name": "web", "image": "fargatelab/web:v1", "portMappings": [{"containerPort": 80}]}])[
        "taskDefinition"]["taskDefinitionArn"]
    network = {"awsvpcConfiguration": {"subnets": subnets}}
    ecs.create_service(cluster="load", serviceName="web", taskDefinition=td, desiredCount=4,
                       launchType="FARGATE", networkConfiguration=network)
    return {"td": td, "network": network}


def _load_worker(ecs, fx: dict, calls: int, worker: int, lat: list, errors: list) -> None:
    """`calls` ECS calls cycling through LOAD_CYCLE; appends each call's seconds to lat."""
    pc = time.perf_counter
    task = None
    for i in range(calls):
        op = LOAD_CYCLE[i % len(LOAD_CYCLE)]
        t = pc()
        try:
            if op == "describe_services":
                ecs.describe_services(cluster="load", services=["web"])
            elif op == "list_tasks":
                arns = ecs.list_tasks(cluster="load", serviceName="web")["taskArns"]
            elif op == "describe_tasks":
                ecs.describe_tasks(cluster="load", tasks=([task] if task else []) or arns[:10] or ["none"])
            elif op == "describe_clusters":
                ecs.describe_clusters(clusters=["load"])
            elif op == "list_services":
                ecs.list_services(cluster="load")
            elif op == "describe_task_definition":
                ecs.describe_task_definition(taskDefinition=fx["td"])
            elif op == "run_task":
                task = ecs.run_task(cluster="load", taskDefinition=fx["td"], launchType="FARGATE",
                                    networkConfiguration=fx["network"])["tasks"][0]["taskArn"]
            elif op == "stop_task":
                ecs.stop_task(cluster="load", task=task, reason="bench")
                task = None
            elif op == "update_service":
                ecs.update_service(cluster="load", service="web", desiredCount=4 + (i // len(LOAD_CYCLE) + worker) % 3)
        except Exception as e:  # noqa: BLE001 - counted and reported, never expected
            errors.append(f"{op}: {type(e).__name__}: {e}"[:200])
        lat.append(pc() - t)


def child_serve() -> None:
    """A local cloud served over HTTP on a free port (the other end of `child_load http`)."""
    from fargate_lab import local
    from fargate_lab.local.server import LocalServer
    cloud = local.start(seed=0)
    server = LocalServer(cloud, port=0).start()
    print(f"PORT {server.port}", flush=True)
    sys.stdin.read()      # until the parent closes our stdin
    server.shutdown()
    cloud.stop()


def child_load(mode: str, threads: int, calls: int) -> None:
    """`threads` threads x `calls` mixed ECS calls, each thread with its own boto3 client.
    inproc: the local cloud in this process, while the main thread advances its clock 1 s
    every 50 ms (the engine works as the calls arrive).  http: the same against `child_serve`
    in another process (its own interpreter, as `fargate-lab local serve` is), whose clock
    stands still (virtual time moves only when asked)."""
    import threading
    import boto3
    from botocore.config import Config
    server = cloud = None
    cfg = Config(retries={"max_attempts": 1}, max_pool_connections=threads + 2)
    if mode == "http":
        env = dict(os.environ)
        server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--child", "serve"], env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = int(server.stdout.readline().split()[1])
        session = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
        make = lambda svc: session.client(svc, endpoint_url=f"http://127.0.0.1:{port}", config=cfg)  # noqa: E731
    else:
        from fargate_lab import local
        cloud = local.start(seed=0)
        session = boto3.session.Session(region_name=REGION)
        make = lambda svc: session.client(svc, config=cfg)  # noqa: E731
    try:
        fx = _load_fixture(make("ecs"), make("ec2"))
        clients = [make("ecs") for _ in range(threads)]   # made here: client creation is not thread-safe
        for c in clients:                                   # warm each client (endpoint, model caches)
            c.list_clusters()
        lats: list[list[float]] = [[] for _ in range(threads)]
        errors: list[str] = []
        workers = [threading.Thread(target=_load_worker, args=(clients[i], fx, calls, i, lats[i], errors))
                   for i in range(threads)]
        t0 = time.perf_counter()
        for w in workers:
            w.start()
        advances = 0
        while any(w.is_alive() for w in workers):
            if cloud is not None:
                cloud.advance(1.0)
                advances += 1
            time.sleep(0.05)
        wall = time.perf_counter() - t0
        all_lat = sorted(x for lat in lats for x in lat)
        final = make("ecs").describe_services(cluster="load", services=["web"])["services"][0]
        consistent = final["desiredCount"] in (4, 5, 6) and final["status"] == "ACTIVE"
    finally:
        if server is not None:
            server.stdin.close()
            server.wait(timeout=30)
        if cloud is not None:
            cloud.stop()

    def pct(q: float) -> float:
        return all_lat[min(len(all_lat) - 1, int(q * len(all_lat)))]
    _emit({"mode": mode, "threads": threads, "calls": len(all_lat), "wall_s": wall,
           "per_s": len(all_lat) / wall, "p50_ms": 1e3 * pct(0.50), "p99_ms": 1e3 * pct(0.99),
           "max_ms": 1e3 * all_lat[-1], "errors": len(errors), "first_errors": errors[:3],
           "consistent": consistent, "clock_advances": advances})


def _deploy_cloud_lb(n: int) -> dict:
    """The whole local cloud, behind an ALB target group (ip targets): ENIs and target
    registration included.  Polled like the services_stable waiter (every 15 s)."""
    from fargate_lab import local
    import boto3
    rss0 = _rss_mb()
    cloud = local.start(seed=0)
    ecs, ec2, elb = (boto3.client(s, region_name=REGION) for s in ("ecs", "ec2", "elbv2"))
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:3]
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="bench-web", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])

    def call(op, **p):
        name = "".join("_" + ch.lower() if ch.isupper() else ch for ch in op).lstrip("_")
        if op == "CreateService":
            p["loadBalancers"] = [{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}]
        return getattr(ecs, name)(**p)

    def warm():
        call("CreateCluster", clusterName="warmup")
        ecs.create_service(cluster="warmup", serviceName="warm", taskDefinition="web:1", desiredCount=0,
                           launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}})
        cloud.advance(POLL_STEP)
    try:
        rss_ready = _rss_mb()
        out = _deploy(n, call, cloud.advance, cloud.engine, subnets, warm=warm, poll=15.0)
        cloud.advance(60)   # the old tasks' ENIs are deleted while they deprovision (10-25 s)
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": subnets}])["NetworkInterfaces"]
        targets = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        out.update(enis=len(enis), healthy_targets=sum(t["TargetHealth"]["State"] == "healthy" for t in targets),
                   rss_start_mb=rss0, rss_ready_mb=rss_ready, rss_end_mb=_rss_mb(), peak_rss_mb=_peak_rss_mb())
        return out
    finally:
        cloud.stop()


def child_profile(target: str, n: int, iters: int) -> None:
    import cProfile
    import pstats
    prof = cProfile.Profile()
    if target == "engine-deploy":
        from fargate_lab.engine import Engine  # noqa: F401  (imported outside the profile)
        prof.enable()
        result = _deploy_engine(n)
        prof.disable()
    elif target in ("cloud-deploy", "cloud-lb-deploy"):
        from fargate_lab import local  # noqa: F401  (imported outside the profile)
        prof.enable()
        result = (_deploy_cloud if target == "cloud-deploy" else _deploy_cloud_lb)(n)  # includes the warm-up
        prof.disable()
    else:  # local-calls
        b = _Backend("local")
        subnets, group = b.default_subnets(), b.default_security_group()
        _sequence(b, subnets, group, None)
        acc = dict.fromkeys(OPS, 0.0)
        prof.enable()
        for _ in range(iters):
            _sequence(b, subnets, group, acc)
        prof.disable()
        result = {op: round(1e6 * s / iters) for op, s in acc.items()}
        b.stop()
    print(json.dumps(result))
    stats = pstats.Stats(prof)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)


# =============================================================================
# parent: runs the children and prints the tables
# =============================================================================

class ChildFailed(RuntimeError):
    pass


def run_child(args: list[str], timeout: float, root: str = ROOT) -> tuple[dict, float]:
    """(result, subprocess wall seconds); raises subprocess.TimeoutExpired or ChildFailed.
    `root`: the source tree whose fargate_lab the child imports (a baseline checkout for part 4)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["AWS_DEFAULT_REGION"] = REGION
    for key in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_EC2", "FARGATE_LAB_STRICT"):
        env.pop(key, None)
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - t
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(RESULT_TAG)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-6:])
        raise ChildFailed(f"child {' '.join(args)} failed (exit {proc.returncode}):\n{tail}")
    return json.loads(lines[-1][len(RESULT_TAG):]), wall


def table(headers: list[str], rows: list[list[str]], align: str | None = None) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(cells):
        return "  ".join(str(c).ljust(w) if a == "l" else str(c).rjust(w) for c, w, a in zip(cells, widths, align))
    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def part1(opts, failures: list[str]) -> None:
    print(f"\n== 1. Per-call time of a fixed ECS call sequence (µs/call; median of {opts.reps} repetitions "
          f"x {opts.iters} sequences, each repetition on a fresh backend; fresh subprocess per backend)")
    try:
        loc, _ = run_child(["calls", "local", str(opts.reps), str(opts.iters), str(opts.subnets)], timeout=240)
        mot, _ = run_child(["calls", "moto", str(opts.reps), str(opts.iters), str(opts.subnets)], timeout=240)
    except (ChildFailed, subprocess.TimeoutExpired) as e:
        failures.append(str(e))
        print(f"   FAILED: {e}")
        return
    rows = []
    lt = mt = ft = 0.0
    for op in OPS:
        lu, mu, fu = loc["median_us"][op], mot["median_us"][op], loc["floor_us"][op]
        lt, mt, ft = lt + lu, mt + mu, ft + fu
        rows.append([op, f"{lu:,.0f}", f"±{loc['spread_us'][op] / 2:,.0f}", f"{mu:,.0f}",
                     f"±{mot['spread_us'][op] / 2:,.0f}", f"{lu / mu:.2f}x", verdict(lu / mu <= PER_CALL_TARGET),
                     f"{fu:,.0f}", f"{max(lu - fu, 0):,.0f}"])
    lx = lt - loc["median_us"]["run_task"]
    mx = mt - mot["median_us"]["run_task"]
    fx = ft - loc["floor_us"]["run_task"]
    rows.append(["ALL but run_task", f"{lx:,.0f}", "", f"{mx:,.0f}", "", f"{lx / mx:.2f}x",
                 verdict(lx / mx <= PER_CALL_TARGET), f"{fx:,.0f}", f"{max(lx - fx, 0):,.0f}"])
    rows.append(["ALL (sum of one sequence)", f"{lt:,.0f}", "", f"{mt:,.0f}", "", f"{lt / mt:.2f}x",
                 verdict(lt / mt <= PER_CALL_TARGET), f"{ft:,.0f}", f"{max(lt - ft, 0):,.0f}"])
    table(["call", "local", "(±)", "moto", "(±)", "local/moto", f"<= {PER_CALL_TARGET}x",
           "botocore floor", "local - floor"], rows, "lrrrrrlrr")
    hit = sum(loc["median_us"][op] / mot["median_us"][op] <= PER_CALL_TARGET for op in OPS)
    print(f"   target local/moto <= {PER_CALL_TARGET}x per call: met by {hit}/{len(OPS)} calls; "
          f"overall {lt / mt:.2f}x ({verdict(lt / mt <= PER_CALL_TARGET)})")
    print(f"   notes: run_task uses launchType FARGATE, the {loc['subnets']} default subnets of {REGION} "
          "(--subnets to change) and the default VPC's default security group (moto's run_task needs one);")
    print("          the task definition sets memory only at task level (cpu=256, memory=512, awsvpc) for the local "
          "cloud; for moto the container also gets memory=512, because moto's run_task crashes (TypeError in "
          "_calculate_task_resource_requirements) when a container has no memory;")
    print("          moto's run_task creates the task's ENI inside the call; the local cloud creates it later on the "
          "virtual clock (no time is advanced here), but validates every subnet against moto inside the call;")
    print("          (±) is half the max-min range over repetitions; 'botocore floor' = the same calls answered by a "
          "canned '{}' before-send handler (client-side serialise/sign cost; parsing a real, larger reply is "
          "not in it).")


def part2(opts, failures: list[str]) -> None:
    print(f"\n== 2. Start-up: fresh interpreter, import, start, first ECS call (median of {opts.start_reps} runs; seconds)")
    res: dict[str, list[dict]] = {"local": [], "moto": []}
    try:
        for _ in range(opts.start_reps):
            for kind in ("local", "moto"):
                res[kind].append(run_child(["start", kind, repr(time.time())], timeout=60)[0])
    except (ChildFailed, subprocess.TimeoutExpired) as e:
        failures.append(str(e))
        print(f"   FAILED: {e}")
        return
    rows, med = [], {}
    keys = ("import", "start", "first_call", "to_first_call", "from_exec", "first_ec2", "first_run_task")
    for kind, label in (("local", "local.start(seed=0)"), ("moto", "mock_aws().start()")):
        m = {k: statistics.median(r[k] for r in res[kind]) for k in keys}
        med[kind] = m
        rows.append([label] + [f"{m[k]:.3f}" for k in keys])
    table(["backend", "import", "start", "1st list_clusters", "import+start+1st call", "same, from exec",
           "then 1st describe_subnets", "then 1st run_task"], rows)
    lt, mt = med["local"]["to_first_call"], med["moto"]["to_first_call"]
    print(f"   local/moto (import+start+first call): {lt / mt:.2f}x; target start <= {START_TARGET:.1f} s: "
          f"{verdict(lt <= START_TARGET)} ({lt:.2f} s in-process, {med['local']['from_exec']:.2f} s from exec)")
    print("   'from exec' adds the interpreter's start-up (parent's time.time() at launch -> first reply); the last "
          "two columns are the first EC2 call (answered by moto) and the first run_task (after create_cluster, "
          "register_task_definition), i.e. costs that start() defers.")


def part3(opts, failures: list[str]) -> None:
    print("\n== 3. Full rolling deploy on the virtual clock (CreateService N x fargatelab/web:v1 -> stable -> "
          "UpdateService to web:v2 -> COMPLETED, one deployment left)")
    print(f"   polled with DescribeServices every {POLL_STEP:.0f} virtual s; fresh subprocess per run; "
          "wall = CreateService .. settled v2")
    rows, results = [], {}
    plan = [("engine", n) for n in opts.sizes] + [("cloud", n) for n in opts.sizes]
    for kind, n in plan:
        label = "engine + OfflineSubstrate" if kind == "engine" else "local cloud + boto3 + moto"
        if kind == "cloud" and n > opts.cloud_max:
            est = ""
            prev = results.get(("cloud", max((m for k, m in results if k == "cloud"), default=0)))
            if prev:
                est = f" (linear estimate from N={prev['n']:,}: ~{prev['total_s'] * n / prev['n']:.0f} s)"
            rows.append([label, f"{n:,}", "skipped", "", "", "", "", "", "", f"skipped by --cloud-max{est}"])
            continue
        timeout = opts.cloud_timeout if (kind == "cloud" and n > 1000) else 600
        try:
            r, wall = run_child(["deploy", kind, str(n)], timeout=timeout)
        except subprocess.TimeoutExpired:
            rows.append([label, f"{n:,}", f"> {timeout:.0f}", "", "", "", "", "", "",
                         f"skipped: took more than {timeout:.0f} s (killed)"])
            continue
        except ChildFailed as e:
            failures.append(str(e))
            rows.append([label, f"{n:,}", "FAILED", "", "", "", "", "", "", str(e).splitlines()[-1][:60]])
            continue
        results[(kind, n)] = r
        note = f"one-time warm-up {r['warm_s']:.2f} s excluded" if kind == "cloud" else ""
        if (kind, n) == ("engine", DEPLOY_TARGET[0]):
            note = f"target <= {DEPLOY_TARGET[1]:.0f} s: {verdict(r['total_s'] <= DEPLOY_TARGET[1])}"
        rows.append([label, f"{n:,}", f"{r['total_s']:.3f}", f"{r['create_s']:.3f}", f"{r['update_s']:.3f}",
                     f"{1e3 * r['total_s'] / n:.3f}", f"{r['virtual_create_s'] + r['virtual_update_s']:.0f}",
                     f"{r['events']:,}", f"{1e6 * r['total_s'] / r['events']:.0f}", note])
    table(["path", "N", "wall s", "to stable s", "v1->v2 s", "ms/task", "virtual s", "clock events",
           "µs/event", "note"], rows, "lrrrrrrrrl")
    for kind in ("engine", "cloud"):
        pts = sorted((n, r) for (k, n), r in results.items() if k == kind)
        if len(pts) >= 2:
            (n0, r0), (n1, r1) = pts[0 if len(pts) < 3 else 1], pts[-1]
            growth = (r1["total_s"] / r0["total_s"]) / (n1 / n0)
            print(f"   {kind}: N {n0:,} -> {n1:,} costs {growth:.2f}x per task "
                  f"({'about linear' if growth < 1.3 else 'super-linear'})")
    print("   ms/task = wall / N (each run starts 2N tasks and stops N); clock events = engine.clock.events_run "
          "during the timed part; 'virtual s' = cloud time the two rollouts took.")


def baseline_tree(rev: str) -> str:
    """`git archive` of `rev` into a temporary directory (removed at exit): the code before a change,
    measured now, on this machine, by this script's children."""
    import atexit
    import shutil
    import tempfile
    where = tempfile.mkdtemp(prefix="fargate-lab-baseline-")
    atexit.register(shutil.rmtree, where, True)
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", where], input=archive, check=True)
    return where


def part4(opts, failures: list[str]) -> None:
    trees = [("now", ROOT)]
    if opts.baseline:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", opts.baseline], capture_output=True,
                             text=True, check=True).stdout.strip()
        trees.insert(0, (f"baseline {rev}", baseline_tree(opts.baseline)))
    try:
        load = os.getloadavg()
        load_note = f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    except OSError:
        load_note = ""
    print(f"\n== 4a. Load: {opts.load_threads} threads x {opts.load_calls} mixed ECS calls "
          f"({', '.join(LOAD_CYCLE)}), each thread its own boto3 client; fresh subprocess per run; {load_note}")
    rows = []
    for label, root in trees:
        for mode in ("inproc", "http"):
            try:
                r, _ = run_child(["load", mode, str(opts.load_threads), str(opts.load_calls)], timeout=600, root=root)
            except (ChildFailed, subprocess.TimeoutExpired) as e:
                failures.append(str(e))
                rows.append([label, mode, "FAILED", "", "", "", "", "", str(e).splitlines()[-1][:60]])
                continue
            aim = LOAD_TARGET[mode]
            rows.append([label, "in-process" if mode == "inproc" else "HTTP (LocalServer)", f"{r['calls']:,}",
                         f"{r['per_s']:.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['max_ms']:.0f}",
                         f"{r['errors']}", f">= {aim}/s: {verdict(r['per_s'] >= aim)}"
                         + ("" if r["consistent"] else "; state INCONSISTENT")
                         + (f"; {r['first_errors'][0]}" if r["errors"] else "")])
    table(["code", "path", "calls", "calls/s", "p50 ms", "p99 ms", "max ms", "errors", "aim"], rows, "llrrrrrrl")
    print("   in-process: the main thread advances the virtual clock 1 s every 50 ms meanwhile; HTTP: the server is "
          "`LocalServer(cloud, port=0)` in its own subprocess (as `fargate-lab local serve`), clients in this one.")

    print(f"\n== 4b. Size: rolling deploy through the whole local cloud behind an ALB target group (ip targets), "
          f"CreateService N -> stable -> UpdateService v2 -> COMPLETED; polled every 15 virtual s; fresh subprocess "
          f"per run, killed after {opts.size_timeout:.0f} s")
    rows = []
    for label, root in trees:
        for n in opts.size_sizes:
            try:
                r, wall = run_child(["deploy", "cloud-lb", str(n)], timeout=opts.size_timeout, root=root)
            except subprocess.TimeoutExpired:
                rows.append([label, f"{n:,}", f"> {opts.size_timeout:.0f}", "", "", "", "", "", "", "",
                             "killed: did not finish"])
                continue
            except ChildFailed as e:
                failures.append(str(e))
                rows.append([label, f"{n:,}", "FAILED", "", "", "", "", "", "", "", str(e).splitlines()[-1][:60]])
                continue
            note = ""
            if n == SIZE_TARGET[0]:
                note = f"aim <= {SIZE_TARGET[1]:.0f} s: {verdict(r['total_s'] <= SIZE_TARGET[1])}"
            if r["enis"] != n or r["healthy_targets"] != n:
                note += f" (ENIs {r['enis']}, healthy targets {r['healthy_targets']}: expected {n})"
            rows.append([label, f"{n:,}", f"{r['total_s']:.2f}", f"{1e3 * r['total_s'] / n:.2f}",
                         f"{r['virtual_create_s'] + r['virtual_update_s']:.0f}", f"{r['events']:,}",
                         f"{r['enis']:,}", f"{r['rss_ready_mb']:.0f}", f"{r['peak_rss_mb']:.0f}",
                         f"{r['peak_rss_mb'] - r['rss_ready_mb']:.0f}", note])
    table(["code", "N", "wall s", "ms/task", "virtual s", "clock events", "ENIs after", "RSS ready MiB",
           "peak RSS MiB", "peak - ready", "note"], rows, "lrrrrrrrrrl")
    print("   wall = CreateService .. v2 COMPLETED (one-time warm-up excluded); 'ENIs after' = DescribeNetworkInterfaces "
          "on the service's subnets once settled (N expected); RSS ready = after start-up and the ALB, before "
          "CreateService; peak = ru_maxrss of the child.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, few repetitions")
    parser.add_argument("--reps", type=int, default=5, help="repetitions for part 1 (median taken)")
    parser.add_argument("--iters", type=int, default=40, help="call sequences per repetition in part 1")
    parser.add_argument("--subnets", type=int, default=6, help="how many default subnets run_task gets (default 6)")
    parser.add_argument("--start-reps", type=int, default=3, help="runs of part 2 per backend")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[10, 100, 1000, 5000])
    parser.add_argument("--cloud-max", type=int, default=5000, help="largest N run through the full local cloud")
    parser.add_argument("--cloud-timeout", type=float, default=75.0,
                        help="seconds before a local-cloud deploy with N > 1000 is killed and reported as skipped")
    parser.add_argument("--parts", default="123", help="which parts to run, e.g. 13 (4: load and size)")
    parser.add_argument("--load-threads", type=int, default=10, help="threads for part 4a")
    parser.add_argument("--load-calls", type=int, default=300, help="calls per thread for part 4a")
    parser.add_argument("--size-sizes", type=lambda s: [int(x) for x in s.split(",")], default=[100, 1000, 5000],
                        help="N for part 4b")
    parser.add_argument("--size-timeout", type=float, default=120.0, help="seconds before a part-4b run is killed")
    parser.add_argument("--baseline", metavar="REV",
                        help="part 4 also measures git revision REV (git archive into a temp dir) side by side")
    parser.add_argument("--profile", choices=("engine-deploy", "cloud-deploy", "cloud-lb-deploy", "local-calls"),
                        help="run one workload under cProfile in this process and print the hot spots")
    parser.add_argument("--profile-n", type=int, default=5000, help="N for --profile engine-deploy / cloud-deploy")
    opts = parser.parse_args()

    if opts.child:
        mode, *args = opts.child
        if mode == "calls":
            child_calls(args[0], int(args[1]), int(args[2]), int(args[3]))
        elif mode == "start":
            child_start(args[0], float(args[1]))
        elif mode == "deploy":
            child_deploy(args[0], int(args[1]))
        elif mode == "load":
            child_load(args[0], int(args[1]), int(args[2]))
        elif mode == "serve":
            child_serve()
        return 0
    if opts.profile:
        sys.path.insert(0, ROOT)
        child_profile(opts.profile, opts.profile_n, opts.iters)
        return 0
    if opts.quick:
        opts.reps, opts.iters, opts.start_reps, opts.sizes = 2, 10, 1, [10, 100]

    import platform
    t0 = time.perf_counter()
    print(f"fargate-lab local cloud benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"boto3 {_version('boto3')}, moto {_version('moto')}, botocore {_version('botocore')}")
    failures: list[str] = []
    if "1" in opts.parts:
        part1(opts, failures)
    if "2" in opts.parts:
        part2(opts, failures)
    if "3" in opts.parts:
        part3(opts, failures)
    if "4" in opts.parts:
        part4(opts, failures)
    print(f"\nbenchmark wall time: {time.perf_counter() - t0:.0f} s")
    if failures:
        print(f"{len(failures)} measurement(s) failed:", *failures, sep="\n  ")
        return 1
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
