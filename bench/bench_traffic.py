#!/usr/bin/env python
"""What synthetic traffic costs: wall time to run one hour of cloud time of a load-balanced service.

    python bench/bench_traffic.py               # tasks 10 and 100 x rates 0 (baseline), 10 (default), 100
    python bench/bench_traffic.py --quick       # 10 tasks, rates 0 and 10

Each case runs in a fresh subprocess: a local cloud on the virtual clock, an ALB with one listener
forwarding to an ip target group, a Fargate service of N tasks behind it, settled; then the clock is
advanced 3,600 s in 60 s steps with the listener's rate set (0 = no traffic: the baseline the other rows
are compared with). Issue 10 aims at 5 s or less for a 100-task service at the default rate.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = "BENCH_RESULT "


def child(tasks: int, rate: float) -> dict:
    sys.path.insert(0, ROOT)
    import boto3

    from fargate_lab import local
    cloud = local.start(seed=0)
    ec2, elb, ecs = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("ecs")
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="bench", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    cloud.traffic.set_rate("bench", rate)
    ecs.create_cluster(clusterName="bench")
    td = ecs.register_task_definition(
        family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": "fargatelab/web:v1", "portMappings": [{"containerPort": 80}]}],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(cluster="bench", serviceName="web", taskDefinition=td, desiredCount=tasks, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets, "assignPublicIp": "ENABLED"}},
                       loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}])
    ecs.get_waiter("services_stable").wait(cluster="bench", services=["web"], WaiterConfig={"MaxAttempts": 200})
    start, events = time.perf_counter(), cloud.clock.events_run
    for _ in range(60):
        cloud.advance(60)
    wall = time.perf_counter() - start
    sent = sum(row.requests for minute in cloud.traffic.revision_series(cloud.region, lb).values()
               for row in minute.values())
    cloud.stop()
    return {"tasks": tasks, "rate": rate, "wall": wall, "events": cloud.clock.events_run - events, "requests": sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(RESULT + json.dumps(child(int(args.child[0]), float(args.child[1]))))
        return 0
    cases = [(10, 0.0), (10, 10.0)] if args.quick else [(t, r) for t in (10, 100) for r in (0.0, 10.0, 100.0)]
    print(f"{'tasks':>5} {'req/s':>6} {'wall s':>7} {'x base':>7} {'requests':>9} {'events':>7}")
    baseline: dict[int, float] = {}
    for tasks, rate in cases:
        out = subprocess.run([sys.executable, __file__, "--child", str(tasks), str(rate)], capture_output=True,
                             text=True, check=True).stdout
        row = json.loads(next(line for line in out.splitlines() if line.startswith(RESULT))[len(RESULT):])
        if rate == 0:
            baseline[tasks] = row["wall"]
        ratio = row["wall"] / baseline[tasks] if baseline.get(tasks) else float("nan")
        print(f"{tasks:>5} {rate:>6g} {row['wall']:>7.2f} {ratio:>7.1f} {row['requests']:>9,} {row['events']:>7,}")
    print("one hour of cloud time, virtual clock; rate 0 is the baseline (no requests, the same ticks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
