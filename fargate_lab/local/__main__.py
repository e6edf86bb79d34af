"""`python -m fargate_lab.local`: the talk's rolling deploy on the local cloud, as a timeline.

Plain boto3 all the way down: a 4-task service behind a load balancer rolls
from v1 to v2 on the virtual clock, and every 15 cloud seconds a line shows the
task counts per deployment and the load balancer's view.
"""
from __future__ import annotations

import argparse
import sys

import boto3

from . import cloud as local_cloud
from . import sleep


def rolling_deploy(desired: int = 4, seconds: int = 600, step: int = 15, out=sys.stdout) -> dict:
    ecs, ec2, elb = boto3.client("ecs"), boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
    lb = elb.create_load_balancer(Name="talk", Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name="talk-web", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    ecs.create_cluster(clusterName="talk")
    base = {"family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512"}
    v1, v2 = (ecs.register_task_definition(**base, containerDefinitions=[
        {"name": "web", "image": f"fargatelab/web:{tag}", "portMappings": [{"containerPort": 80}]}])
        ["taskDefinition"]["taskDefinitionArn"] for tag in ("v1", "v2"))
    ecs.create_service(cluster="talk", serviceName="web", taskDefinition=v1, desiredCount=desired,
                       launchType="FARGATE", loadBalancers=[{"targetGroupArn": tg, "containerName": "web",
                                                            "containerPort": 80}],
                       networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}})
    ecs.get_waiter("services_stable").wait(cluster="talk", services=["web"])
    while ecs.describe_services(cluster="talk", services=["web"])["services"][0]["deployments"][0][
            "rolloutState"] != "COMPLETED":
        sleep(step)
    print(f"service web is stable on v1 with {desired} tasks; deploying v2 ...\n", file=out)
    ecs.update_service(cluster="talk", service="web", taskDefinition=v2)
    print(f"{'t (s)':>6}  {'deployment':<28} {'status':<8} {'rollout':<12} {'run':>3} {'pend':>4}  targets", file=out)
    seen_events: set[str] = set()
    t = 0
    service = {}
    last_rows = None
    while t <= seconds:
        service = ecs.describe_services(cluster="talk", services=["web"])["services"][0]
        health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        states: dict[str, int] = {}   # target health state -> how many targets are in it
        for h in health:
            states[h["TargetHealth"]["State"]] = states.get(h["TargetHealth"]["State"], 0) + 1
        rows = [(d["id"], d["status"], d["rolloutState"], d["runningCount"], d["pendingCount"])
                for d in service["deployments"]] + [tuple(sorted(states.items()))]
        if rows != last_rows:  # a line only when something changed
            last_rows = rows
            for i, d in enumerate(service["deployments"]):
                label = f"{t:>6}" if i == 0 else " " * 6
                targets = " ".join(f"{k}={v}" for k, v in sorted(states.items())) if i == 0 else ""
                print(f"{label}  {d['id']:<28} {d['status']:<8} {d['rolloutState']:<12} {d['runningCount']:>3} "
                      f"{d['pendingCount']:>4}  {targets}", file=out)
        for e in reversed(service["events"]):
            if e["id"] not in seen_events:
                seen_events.add(e["id"])
                if t:
                    print(f"{'':>8}event: {e['message'][:110]}", file=out)
        if t and len(service["deployments"]) == 1 and service["deployments"][0]["rolloutState"] == "COMPLETED":
            break

        sleep(step)
        t += step
    return service


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fargate_lab.local", description=__doc__.splitlines()[0])
    parser.add_argument("--desired", type=int, default=4, help="tasks in the service (default 4)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speed", type=float, default=0,
                        help="run on the real clock this many times faster than AWS (default: virtual clock)")
    args = parser.parse_args(argv)
    clock = {"clock": "real", "speed": args.speed} if args.speed else {"clock": "virtual"}
    with local_cloud(seed=args.seed, **clock):
        service = rolling_deploy(desired=args.desired)
    done = service["deployments"][0]
    print(f"\n{done['id']} {done['rolloutState']}: {done['runningCount']} tasks on "
          f"{done['taskDefinition'].rsplit('/', 1)[-1]}")
    return 0 if done["rolloutState"] == "COMPLETED" else 1


if __name__ == "__main__":
    sys.exit(main())
