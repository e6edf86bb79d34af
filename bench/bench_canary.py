#!/usr/bin/env python
"""What a canary deployment costs to simulate: wall time for one hour of cloud time in which a
load-balanced service is deployed with the CANARY strategy while traffic flows.

    python bench/bench_canary.py               # tasks 10 and 100 x rates 10 (default) and 100; a rolling row to compare
    python bench/bench_canary.py --quick       # 100 tasks at the default rate only

Each case runs in a fresh subprocess: a local cloud on the virtual clock, an ALB whose production rule
forwards to one of two ip target groups, a Fargate service of N tasks (BLUE_GREEN family, bake 5 min),
settled; then UpdateService to a new revision with CANARY 10 % / 5 min (or, for the comparison row, a
rolling deployment) and the clock is advanced 3,600 s in 60 s steps. Issue 10 aims at 5 s or less for
a 100-task canary at the default rate.
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


def child(tasks: int, rate: float, strategy: str) -> dict:
    sys.path.insert(0, ROOT)
    import boto3

    from fargate_lab import local
    cloud = local.start(seed=0)
    ec2, elb, ecs = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("ecs")
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    lb = elb.create_load_balancer(Name="bench", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    blue, green = (elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
                   ["TargetGroups"][0]["TargetGroupArn"] for name in ("bench-blue", "bench-green"))
    listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
    rule = elb.create_rule(ListenerArn=listener, Priority=1, Conditions=[{"Field": "path-pattern", "Values": ["/*"]}],
                           Actions=[{"Type": "forward", "TargetGroupArn": blue}])["Rules"][0]["RuleArn"]
    cloud.traffic.set_rate("bench", rate)
    ecs.create_cluster(clusterName="bench")

    def definition(image: str) -> str:
        return ecs.register_task_definition(
            family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "web", "image": image, "portMappings": [{"containerPort": 80}]}],
        )["taskDefinition"]["taskDefinitionArn"]
    traffic = strategy != "ROLLING"
    lbs = [{"targetGroupArn": blue, "containerName": "web", "containerPort": 80}]
    if traffic:
        lbs[0]["advancedConfiguration"] = {"alternateTargetGroupArn": green, "productionListenerRule": rule,
                                           "roleArn": "arn:aws:iam::123456789012:role/ecs-lb"}
    ecs.create_service(cluster="bench", serviceName="web", taskDefinition=definition("fargatelab/web:v1"),
                       desiredCount=tasks, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}}, loadBalancers=lbs,
                       deploymentConfiguration={"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5} if traffic else {})
    first = ecs.list_service_deployments(cluster="bench", service="web")["serviceDeployments"][0]["serviceDeploymentArn"]
    while ecs.describe_service_deployments(serviceDeploymentArns=[first])["serviceDeployments"][0]["status"] != "SUCCESSFUL":
        cloud.advance(15)
    config = {"strategy": "CANARY", "bakeTimeInMinutes": 5,
              "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": 5}} if traffic else {}
    start, events = time.perf_counter(), cloud.clock.events_run
    ecs.update_service(cluster="bench", service="web", taskDefinition=definition("fargatelab/web:v2"),
                       deploymentConfiguration=config)
    for _ in range(60):
        cloud.advance(60)
    wall = time.perf_counter() - start
    latest = ecs.list_service_deployments(cluster="bench", service="web")["serviceDeployments"][0]
    sent = sum(row.requests for minute in cloud.traffic.revision_series(cloud.region, lb).values()
               for row in minute.values())
    cloud.stop()
    return {"tasks": tasks, "rate": rate, "strategy": strategy, "wall": wall, "status": latest["status"],
            "events": cloud.clock.events_run - events, "requests": sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(RESULT + json.dumps(child(int(args.child[0]), float(args.child[1]), args.child[2])))
        return 0
    cases = [(100, 10.0, "CANARY")] if args.quick else [
        (10, 10.0, "CANARY"), (100, 10.0, "ROLLING"), (100, 10.0, "CANARY"), (100, 100.0, "CANARY"), (300, 10.0, "CANARY")]
    print(f"{'tasks':>5} {'req/s':>6} {'strategy':>8} {'wall s':>7} {'requests':>9} {'events':>7}  outcome")
    for tasks, rate, strategy in cases:
        out = subprocess.run([sys.executable, __file__, "--child", str(tasks), str(rate), strategy],
                             capture_output=True, text=True, check=True).stdout
        row = json.loads(next(line for line in out.splitlines() if line.startswith(RESULT))[len(RESULT):])
        print(f"{tasks:>5} {rate:>6g} {strategy:>8} {row['wall']:>7.2f} {row['requests']:>9,} {row['events']:>7,}  "
              f"{row['status']}")
    print("one hour of cloud time from UpdateService, virtual clock; goal: 100-task canary at 10 req/s <= 5 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
