"""Size: the service scheduler launches in bounded batches, and a task's ENI and target
registration look the same from EC2 and ELBv2 whichever way the substrate reaches moto.

Batches follow the documented quota (docs/ecs-behaviour.md §2.4, §8): "The service scheduler can
provision up to 500 tasks for Fargate ... per service per minute".  Stated here from outside:
what boto3 reads (RUNNING counts, task createdAt, the "has started N tasks" events) on the
virtual clock.  No wall-clock limits: speed lives in bench/.
"""
from __future__ import annotations

import re
import tracemalloc

import boto3
import pytest

from fargate_lab import local
from fargate_lab.engine import Engine, OfflineSubstrate, VirtualClock

from tests.conftest import network, web_definition

BUDGET, WINDOW = 500, 60.0
STARTED = re.compile(r"^\(service (\S+)\) has started (\d+) tasks: (.*)\.$")


def _started_events(service: dict) -> list[tuple[float, list[str]]]:
    """(createdAt, task ids) of every "has started N tasks" event, oldest first; N matches the ids."""
    out = []
    for event in reversed(service["events"]):
        m = STARTED.match(event["message"].split(" Amazon ECS replaced")[0])
        if m:
            ids = re.findall(r"\(task ([0-9a-f]{32})\)", m.group(3))
            assert int(m.group(2)) == len(ids), event["message"][:200]
            when = event["createdAt"]   # a datetime through boto3, epoch seconds from the engine
            out.append((when.timestamp() if hasattr(when, "timestamp") else float(when), ids))
    return out


def _most_in_any_window(times: list[float], window: float = WINDOW) -> int:
    """The most of `times` inside any half-open interval [t, t + window)."""
    times, best, lo = sorted(times), 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def test_a_2000_task_service_starts_at_most_500_tasks_a_minute(ecs, cloud, subnets):
    ecs.create_cluster(clusterName="big")
    td = web_definition(ecs)
    ecs.create_service(cluster="big", serviceName="web", taskDefinition=td, desiredCount=2000,
                       launchType="FARGATE", networkConfiguration=network(subnets))
    samples = []   # (cloud seconds, runningCount)
    for _ in range(200):
        svc = ecs.describe_services(cluster="big", services=["web"])["services"][0]
        samples.append((cloud.cloud_seconds(cloud.now()), svc["runningCount"]))
        if svc["runningCount"] == 2000 and svc["deployments"][0]["rolloutState"] == "COMPLETED":
            break
        cloud.advance(5)
    assert svc["runningCount"] == 2000 and svc["deployments"][0]["rolloutState"] == "COMPLETED"

    # RUNNING never grows by more than the budget within a minute
    for t0, n0 in samples:
        later = [n for t, n in samples if t0 < t < t0 + WINDOW]
        assert max(later, default=n0) - n0 <= BUDGET, (t0, n0, max(later))
    assert max(n for _, n in samples if n < 2000) >= BUDGET    # ... and it does use the budget

    # the tasks' own createdAt: at most 500 in any minute, in four batches of 500
    arns = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster="big", serviceName="web"):
        arns += page["taskArns"]
    assert len(arns) == 2000
    created = []
    for i in range(0, len(arns), 100):
        created += [t["createdAt"].timestamp() for t in ecs.describe_tasks(cluster="big", tasks=arns[i:i + 100])["tasks"]]
    assert _most_in_any_window(created) == BUDGET
    assert len(set(created)) == 4

    # the events say the same: four "has started 500 tasks", a minute or more apart, naming every task
    started = _started_events(svc)
    assert [len(ids) for _, ids in started] == [BUDGET] * 4
    assert all(b[0] - a[0] >= WINDOW for a, b in zip(started, started[1:]))
    assert {i for _, ids in started for i in ids} == {a.rsplit("/", 1)[-1] for a in arns}


def test_a_small_service_still_starts_all_its_tasks_in_one_step(ecs, cloud, subnets):
    ecs.create_cluster(clusterName="c")
    td = web_definition(ecs)
    ecs.create_service(cluster="c", serviceName="web", taskDefinition=td, desiredCount=8,
                       launchType="FARGATE", networkConfiguration=network(subnets))
    cloud.advance(3)
    svc = ecs.describe_services(cluster="c", services=["web"])["services"][0]
    assert [len(ids) for _, ids in _started_events(svc)] == [8]
    ecs.update_service(cluster="c", service="web", desiredCount=500)   # exactly the budget: one step
    cloud.advance(3)
    svc = ecs.describe_services(cluster="c", services=["web"])["services"][0]
    assert [len(ids) for _, ids in _started_events(svc)] == [8, 492]


def _engine_service(desired: int) -> tuple[Engine, callable]:
    engine = Engine(clock=VirtualClock(1.7e9), seed=0, substrate=OfflineSubstrate())

    def call(op, **p):
        return engine.call("us-east-1", op, p)
    call("CreateCluster", clusterName="c")
    call("RegisterTaskDefinition", family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
         cpu="256", memory="512", containerDefinitions=[{"name": "web", "image": "fargatelab/web:v1"}])
    call("CreateService", cluster="c", serviceName="s", taskDefinition="web:1", desiredCount=desired,
         launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-a", "subnet-b"]}})
    return engine, call


@pytest.mark.parametrize("how", ["create", "update"])
def test_a_desired_count_of_a_trillion_costs_one_batch_a_minute(how):
    """The engine alone (no request validation in front of it): each scheduler step starts at most
    500 tasks, so three minutes of a 10^12-task service hold at most 1,500 tasks in memory."""
    engine, call = _engine_service(10**12 if how == "create" else 2)
    tracemalloc.start()
    try:
        if how == "update":
            engine.clock.advance(120)
            call("UpdateService", cluster="c", service="s", desiredCount=10**12)
        engine.clock.advance(150)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    svc = call("DescribeServices", cluster="c", services=["s"])["services"][0]
    live = svc["runningCount"] + svc["pendingCount"]
    assert svc["desiredCount"] == 10**12
    assert 2 * BUDGET < live <= 3 * BUDGET + 2
    assert [len(ids) for _, ids in _started_events(svc)][-3:] == [BUDGET] * 3
    assert peak < 64 * 2**20, f"{peak / 2**20:.0f} MiB"
    # ... and it keeps going at that pace, not all at once
    engine.clock.advance(60)
    svc = call("DescribeServices", cluster="c", services=["s"])["services"][0]
    assert svc["runningCount"] + svc["pendingCount"] <= live + BUDGET


# -- the ENI and target path -----------------------------------------------------------------
def _network_view(direct: bool, monkeypatch) -> dict:
    """A load-balanced 6-task service with public IPs, seen through EC2, ELBv2 and ECS; then
    scaled to 0.  `direct`: the substrate reaches moto's backends directly (the default) or
    through boto3."""
    monkeypatch.setenv("FARGATE_LAB_MOTO_DIRECT", "1" if direct else "0")
    cloud = local.start(seed=5)
    try:
        # the pinned moto must take the direct path: a silent fallback would compare boto3 with itself
        assert type(cloud.substrate).__name__ == ("MotoSubstrate" if direct else "Boto3Substrate")
        ecs, ec2, elb = boto3.client("ecs"), boto3.client("ec2"), boto3.client("elbv2")
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets(
            Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"])[:2]
        group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        lb = elb.create_load_balancer(Name="lb", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
        tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                     HealthCheckIntervalSeconds=10)["TargetGroups"][0]["TargetGroupArn"]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "20"}])
        elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        ecs.create_cluster(clusterName="c")
        td = web_definition(ecs)
        ecs.create_service(cluster="c", serviceName="web", taskDefinition=td, desiredCount=6, launchType="FARGATE",
                           loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 80}],
                           networkConfiguration={"awsvpcConfiguration": {
                               "subnets": subnets, "securityGroups": [group], "assignPublicIp": "ENABLED"}})
        ecs.get_waiter("services_stable").wait(cluster="c", services=["web"])
        assert cloud.run_until(lambda: ecs.describe_services(cluster="c", services=["web"])["services"][0][
            "deployments"][0]["rolloutState"] == "COMPLETED", timeout=300)   # targets healthy too
        tasks = ecs.describe_tasks(cluster="c", tasks=ecs.list_tasks(cluster="c")["taskArns"])["tasks"]
        enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": subnets}])["NetworkInterfaces"]
        health = elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
        view = {
            "tasks": sorted((t["taskArn"], t["availabilityZone"], t["attachments"][0]["id"],
                             tuple(sorted((d["name"], d["value"]) for d in t["attachments"][0]["details"])))
                            for t in tasks),
            "enis": sorted((e["NetworkInterfaceId"], e["PrivateIpAddress"], e["SubnetId"], e["AvailabilityZone"],
                            e["Description"], e["Status"], e.get("Attachment"), e["MacAddress"], e["PrivateDnsName"],
                            tuple(g["GroupId"] for g in e["Groups"]), e["VpcId"],
                            e.get("Association", {}).get("PublicIp")) for e in enis),
            "targets": sorted((h["Target"]["Id"], h["Target"]["Port"], h["TargetHealth"]["State"]) for h in health),
            "addresses": len(ec2.describe_addresses()["Addresses"]),
        }
        t0 = cloud.now()
        ecs.update_service(cluster="c", service="web", desiredCount=0)
        ecs.get_waiter("tasks_stopped").wait(cluster="c", tasks=[t["taskArn"] for t in tasks])
        stopped = ecs.describe_tasks(cluster="c", tasks=[t["taskArn"] for t in tasks])["tasks"]
        view["after"] = {
            "enis": ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": subnets}])[
                "NetworkInterfaces"],
            "addresses": ec2.describe_addresses()["Addresses"],
            "targets": sorted(h["TargetHealth"]["State"] for h in
                              elb.describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]),
            "draining_s": sorted(round((t["executionStoppedAt"] - t["stoppingAt"]).total_seconds()) for t in stopped),
            "stop_s": (cloud.now() - t0).total_seconds(),
        }
        return view
    finally:
        cloud.stop()


def _without_draws(view: dict) -> dict:
    """What does not depend on moto's random draws (addresses, MACs, subnet, ENI and task IDs): moto's request
    handling draws from the same generator, so the two paths draw different values from one seed."""
    enis = {e[0]: e for e in view["enis"]}
    return {"zones": sorted(zone for _, zone, _, _ in view["tasks"]),
            "enis": sorted((e[3], e[5], e[6], e[9] and len(e[9]), bool(e[11])) for e in view["enis"]),
            "task_enis": sorted(enis[dict(d)["networkInterfaceId"]][3] for _, _, _, d in view["tasks"]),
            "targets": sorted((port, state) for _, port, state in view["targets"]),
            "addresses": view["addresses"], "after": view["after"]}


def test_task_enis_and_targets_are_the_same_through_moto_directly_as_through_boto3(monkeypatch):
    direct, boto = _network_view(True, monkeypatch), _network_view(False, monkeypatch)
    assert direct == _network_view(True, monkeypatch)           # same seed: the same IDs and addresses
    assert _without_draws(direct) == _without_draws(boto)       # and the same ENIs, targets and timings

    for view in (direct, boto):
        assert len(view["tasks"]) == len(view["enis"]) == len(view["targets"]) == 6
        enis = {e[0]: e for e in view["enis"]}
        for _arn, zone, attachment, details in view["tasks"]:
            d = dict(details)
            eni_id, ip, subnet, eni_zone, description, status, eni_attachment, mac, dns, groups, _, public = \
                enis[d["networkInterfaceId"]]
            assert (ip, subnet, eni_zone, mac) == (d["privateIPv4Address"], d["subnetId"], zone, d["macAddress"])
            assert description == f"arn:aws:ecs:us-east-1:attachment/{attachment}"
            assert dns == d["privateDnsName"] and public and len(groups) == 1
        assert len({e[1] for e in view["enis"]}) == 6                      # no two ENIs share an address
        assert {(e[1], 80, "healthy") for e in view["enis"]} == set(view["targets"])
        assert view["addresses"] == 6

        after = view["after"]
        assert after["enis"] == [] and after["addresses"] == []
        assert "healthy" not in after["targets"] and "initial" not in after["targets"]
        assert max(after["draining_s"]) < 60           # the target group's 20 s delay, read from ELBv2
