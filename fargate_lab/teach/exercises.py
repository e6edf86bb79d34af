"""Self-checks that teach: each grader knows its exercise's answer (kept out of the learner's view) and
the common ways to miss it, and says which one this is.

    from fargate_lab.teach import exercises
    exercises.stage_mode(stage_mode)         # prints "Not tried yet …", "Not quite yet. <why>" or well done
    exercises.cluster_zones(zones, lab)      # graders that need the cloud's state take the Lab (or a boto3
    exercises.staging_status(staging_status, lab)          # session or client) and ask it with boto3
    exercises.worker_size(worker_size)
    exercises.forgot_launch_type(forgot_launch_type)
    exercises.job_exit_code(job_exit_code, lab, CLUSTER)
    exercises.scale_to_four(lab, CLUSTER, SERVICE)          # the answer is the service itself
    exercises.started_total(started_total, lab, CLUSTER, SERVICE)
    exercises.secret_names(secret_names)
    exercises.rollout_limits(limits)
    exercises.linear_minutes(linear_minutes)
    exercises.deregistered(deregistered, lab)
    exercises.bigger_total(bigger_total, tasks, now)       # the tasks and the clock the notebook's cost used

Each grader returns True when the answer is right (False otherwise, or when not tried), never raises.
"""
from __future__ import annotations

from typing import Any

from .lesson import grade, service_here
from .rollout import explain_rollout


def _client(where: Any, service: str) -> Any:
    """A boto3 client for `service` from a Lab or a boto3 session (`.client(name)`), or `where` itself when it
    is already that service's client."""
    meta = getattr(where, "meta", None)
    if meta is not None and getattr(getattr(meta, "service_model", None), "service_name", None) == service:
        return where
    return where.client(service)


def _session(where: Any) -> Any:
    """The boto3 session of a Lab, or `where` itself (a session)."""
    return getattr(where, "session", where)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- 00 · which mode on stage ------------------------------------------------------------------------
def stage_mode(answer: Any) -> bool:
    def diagnose(value: Any) -> str | None:
        mode = str(value).strip().lower()
        if mode == "real":
            return None
        if mode in ("virtual", "sim", "simulated", "local"):
            return ("virtual time moves only when the notebook says so: a rollout is over in milliseconds of wall "
                    "time, too fast to watch. Which mode follows the wall clock?")
        if mode == "aws":
            return "on AWS a rollout takes several minutes of wall time, not about one. Which mode is faster than AWS?"
        return f"{value!r} is not a mode: the table above lists virtual, real and aws"
    return grade(answer, diagnose, "the mode that follows the wall clock, but faster than AWS (see the table above)",
                 "Yes: FARGATE_LAB_MODE=real, and FARGATE_LAB_SPEED sets how much faster than AWS.", key="00 stage_mode")


# -- 01 · the zones of the cluster's subnets ------------------------------------------------------------
def cluster_zones(answer: Any, lab: Any, cluster: str = "fargate-lab") -> bool:
    """`lab`: the Lab (or a boto3 session) whose cloud holds the cluster that `ops.up` made."""
    def diagnose(value: Any) -> str | None:
        from .. import ops
        session = _session(lab)
        subnet_ids = ops.network_for(session, cluster).subnet_ids
        subnets = session.client("ec2").describe_subnets(SubnetIds=subnet_ids)["Subnets"]
        right = sorted(s["AvailabilityZone"] for s in subnets)
        region = session.region_name or right[0][:-1]
        if isinstance(value, str):
            if value == region:
                return (f"{value!r} is the region; its zones are named after it with a letter ({right[0][:-1]}a, "
                        "...): one per subnet")
            return "one string: give a list of zone names, one per subnet"
        if isinstance(value, dict) or not hasattr(value, "__iter__"):
            return "give a list of zone names, one per subnet, e.g. ['us-east-1a', ...]"
        items = list(value)
        if items and all(isinstance(v, dict) for v in items):
            return "those are whole subnets: take each one's ['AvailabilityZone']"
        if not all(isinstance(v, str) for v in items):
            return "give a list of strings, zone names such as 'us-east-1a'"
        if items == right:
            return None
        if set(items) == {s.get("AvailabilityZoneId") for s in subnets}:
            return ("those are zone IDs (AvailabilityZoneId, the same zone in every account); the exercise asks "
                    "for the names: each subnet's ['AvailabilityZone']")
        if set(items) == set(subnet_ids):
            return "those are the subnet ids: describe the subnets and take each one's ['AvailabilityZone']"
        if any(not v.startswith(region) for v in items):
            return f"{', '.join(v for v in items if not v.startswith(region))}: not in {region}, the cluster's region"
        if set(items) == set(right) and len(items) == len(right):
            return "the right zones, in another order: sort them (sorted(...))"
        if set(items) == set(right):
            return f"a zone appears more than once: {len(right)} subnets, each in a zone of its own"
        if set(items) > set(right):
            return (f"{len(set(items))} zones: all the region's, perhaps (describe_availability_zones); the "
                    f"cluster's {len(right)} subnets use only {len(right)} of them")
        if set(items) < set(right) or not items:
            return f"{len(items)} zone(s) for {len(right)} subnets: one zone per subnet"
        return (f"not the zones of this cluster's {len(right)} subnets: "
                "ec2.describe_subnets(SubnetIds=network.subnet_ids)")
    return grade(answer, diagnose, "one zone per subnet, e.g. ['us-east-1a', ...], sorted",
                 "Well done: two zones, so one zone can fail and the service keeps running.", key="01 cluster_zones")


# -- 01 · the status of a new cluster ----------------------------------------------------------------------
def staging_status(answer: Any, lab: Any, name: str = "staging") -> bool:
    """`lab`: the Lab, a boto3 session or an ECS client; the cluster `name` must exist there."""
    def diagnose(value: Any) -> str | None:
        if isinstance(value, dict):
            if isinstance(value.get("cluster"), dict):
                return "that is create_cluster's whole response: the status is in its ['cluster']['status']"
            if "clusters" in value:
                return "that is describe_clusters' whole response: the status is in ['clusters'][0]['status']"
            if "status" in value:
                return "that is the whole cluster: take its ['status']"
            return "a dictionary: put the cluster's status, a string, in staging_status"
        if not isinstance(value, str):
            return "give the status, a string"
        if value.startswith("arn:"):
            return "that is the cluster's ARN; the status is another field of the same cluster"
        if value == name:
            return "that is the cluster's name; its status is another field"
        ecs = _client(lab, "ecs")
        found = [c for c in ecs.describe_clusters(clusters=[name])["clusters"] if c.get("status") == "ACTIVE"]
        if not found:
            others = [a.rsplit("/", 1)[-1] for a in ecs.list_clusters()["clusterArns"]]
            near = [o for o in others if o != name and name in o.lower()]
            if near:
                return f"there is {near[0]!r}, but no cluster called {name!r}: names are exact (clusterName={name!r})"
            return f"there is no ACTIVE cluster called {name!r}: create it (clusterName={name!r}), then read its status"
        if value != found[0]["status"]:
            if value.upper() == found[0]["status"]:
                return "statuses are in capitals, as the API returns them: take the value from the response"
            return f"{value!r} is not what ECS says of {name} now: read the status from the response"
        return None
    return grade(answer, diagnose, "create_cluster returns the cluster; put its status in staging_status",
                 "Well done. It has no network of its own: tasks in it would use subnets you name.",
                 key="01 staging_status")


# -- 02 · the cheapest Fargate size for 3 GB ------------------------------------------------------------
def worker_size(answer: Any) -> bool:
    from ..engine.fargate import VALID_SIZES   # the valid cpu/memory table (data only)
    from ..ops.cost import estimate_cost

    def price(cpu: int, memory: int) -> float:
        return estimate_cost({"cpu": str(cpu), "memory": str(memory)}).per_task_hour

    best = min(((c, m) for c, sizes in VALID_SIZES.items() for m in sizes if m >= 3072), key=lambda s: price(*s))

    def diagnose(value: Any) -> str | None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return "give a pair of strings, (cpu, memory), e.g. ('1024', '4096')"
        cpu, memory = int(value[0]), int(value[1])
        if memory < 3072:
            return f"{memory} MiB is less than the 3 GB (3072 MiB) the worker needs"
        if cpu not in VALID_SIZES:
            return f"{cpu} is not a Fargate CPU value: 256, 512, 1024, 2048, 4096, 8192 or 16384"
        if memory not in VALID_SIZES[cpu]:
            allowed = VALID_SIZES[cpu]
            return (f"Fargate refuses {cpu} CPU units with {memory} MiB: that CPU allows {min(allowed)} to "
                    f"{max(allowed)} MiB; look at the next row of the table")
        if (cpu, memory) != best:
            return (f"({cpu}, {memory}) is valid, but costs ${price(cpu, memory):.4f} an hour; a smaller size that "
                    f"still has 3 GB costs less")
        return None
    return grade(answer, diagnose, "0.25 vCPU allows at most 2048 MiB; look at the next row of the table",
                 "Well done: 0.5 vCPU is the smallest CPU that may have 3 GB.", key="02 worker_size")


# -- 03 · run_task without a launch type --------------------------------------------------------------
def forgot_launch_type(answer: Any) -> bool:
    right = "InvalidParameterException"

    def diagnose(value: Any) -> str | None:
        if isinstance(value, BaseException):
            return "that is the error itself: its code is in error.response['Error']['Code']"
        if isinstance(value, dict):
            if "tasks" in value or "failures" in value:
                return ("that is run_task's response: it worked, so a launch type (or a capacity provider) was "
                        "still there; leave launchType out and catch the ClientError")
            if isinstance(value.get("Error"), dict):
                return "that is error.response: the code is in its ['Error']['Code']"
            if "Code" in value:
                return "that is the error's details: the code is in its ['Code']"
            return "a dictionary: give the error code, a string"
        if not isinstance(value, str):
            return "give the error code, a string: error.response['Error']['Code']"
        code = value.strip()
        if code == right:
            return None
        if code.startswith("An error occurred ("):
            return "that is the whole sentence, str(error): the code alone is in error.response['Error']['Code']"
        if " " in code:
            return "that is the error's message, what went wrong in words; the code is error.response['Error']['Code']"
        if code.lower() == right.lower():
            return "the code is spelled exactly as ECS returns it: take it from error.response"
        if code == "ClientError":
            return "ClientError is botocore's class for every AWS error; its code says which one"
        if code == "ClusterNotFoundException":
            return "ECS did not find the cluster: use cluster=CLUSTER, and change only the launch type"
        return (f"{code} is another error: run hello exactly as above (cluster, taskDefinition, networkConfiguration) "
                "with only launchType left out")
    return grade(answer, diagnose, "wrap ecs.run_task(cluster=CLUSTER, taskDefinition=hello, networkConfiguration="
                 "where) in try/except", "Well done. With no launch type and no capacity provider strategy ECS falls "
                 "back to EC2, and this cluster has no EC2 instances: 'No Container Instances were found in your "
                 "cluster.'", key="03 forgot_launch_type")


# -- 03 · a job's exit code ------------------------------------------------------------------------------
def job_exit_code(answer: Any, lab: Any, cluster: str = "fargate-lab", family: str = "job") -> bool:
    """`lab`: the Lab, a boto3 session or an ECS client, where the `family` task ran in `cluster`."""
    def diagnose(value: Any) -> str | None:
        if value is None:
            return ("None: a container has no exit code until its task has STOPPED; wait for STOPPED (watch(..., "
                    "until=...)), then describe the task again")
        if isinstance(value, dict):
            if "containers" in value:
                return "that is the whole task: the exit code is its container's, ['containers'][0]['exitCode']"
            if "exitCode" in value:
                return "that is the whole container: take its ['exitCode']"
            return "a dictionary: give the container's exit code, a number"
        if isinstance(value, str):
            if value == "EssentialContainerExited":
                return ("that is the task's stopCode, why the task stopped; the exit code is its container's: "
                        "['containers'][0]['exitCode']")
            if value in ("STOPPED", "RUNNING", "PENDING", "PROVISIONING", "DEPROVISIONING", "STOPPING"):
                return f"{value} is the task's lastStatus; the exit code is its container's, a number"
            if value.strip().lstrip("-").isdigit():
                return "text: exitCode is a number in the response, give it as it is (no quotes)"
            return "that is text (a reason?); the exit code is a number: ['containers'][0]['exitCode']"
        if not _is_int(value):
            return "give the container's exit code, a whole number"
        ecs = _client(lab, "ecs")
        arns = ecs.list_tasks(cluster=cluster, family=family, desiredStatus="STOPPED")["taskArns"]
        tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
        codes = [c.get("exitCode") for t in tasks if t.get("lastStatus") == "STOPPED" for c in t["containers"]]
        if not tasks:
            running = ecs.list_tasks(cluster=cluster, family=family)["taskArns"]
            if running:
                return f"the {family} task has not stopped yet: wait until its lastStatus is STOPPED"
            return f"no {family} task has run in {cluster}: register it, run it, wait until it is STOPPED"
        if value in codes:
            return None
        if value == 1:
            return ("1 is the exit code of the task that crashed above (crashes); run the job task and read its "
                    "container's")
        return f"{value} is not the exit code of the {family} task's container: ['containers'][0]['exitCode']"
    return grade(answer, diagnose, "watch([arn], 300, until=lambda tasks: tasks[0]['lastStatus'] == 'STOPPED'), "
                 "then tasks[0]['containers'][0]['exitCode']",
                 "Well done: exit code 0 with stopCode EssentialContainerExited is how a finished job looks.",
                 key="03 job_exit_code")


# -- 04 · scale a service -------------------------------------------------------------------------------
def scale_to_four(lab: Any, cluster: str, service: str, start: int = 3) -> bool:
    """The answer is the service itself (`desiredCount` still `start`: not tried yet)."""
    ecs = _client(lab, "ecs")
    now = service_here(ecs, cluster, service)
    if now is None:
        return False

    def diagnose(found: dict) -> str | None:
        desired, running, pending = found["desiredCount"], found["runningCount"], found.get("pendingCount", 0)
        deployments = found["deployments"]
        if desired != 4:
            return f"desiredCount is {desired}: update_service(..., desiredCount=4)"
        if len(deployments) > 1:
            return (f"{len(deployments)} deployments: a new one is rolling out (forceNewDeployment, or another task "
                    "definition?) though scaling needs none; wait until it completes (services_stable)")
        if running != 4:
            return (f"desired is 4 but {running} run and {pending} are pending: update_service returns at once; "
                    "wait with ecs.get_waiter('services_stable').wait(...)")
        return None
    return grade(... if now["desiredCount"] == start else now, diagnose,
                 f"desired is {now['desiredCount']} and {now['runningCount']} run: set desiredCount=4, then wait",
                 "Well done: 4 running, one deployment. No new deployment was needed to scale.", key="04 scale_to_four")


# -- 04 · tasks started, from the service events -------------------------------------------------------------
def started_total(answer: Any, lab: Any, cluster: str, service: str) -> bool:
    import re
    ecs = _client(lab, "ecs")
    if service_here(ecs, cluster, service) is None:
        return False

    def diagnose(value: Any) -> str | None:
        if isinstance(value, (list, tuple, set)):
            return "a list: add up its numbers, sum(...)"
        if isinstance(value, str):
            return "text: int(found.group(1)) makes each number a number, then add them up"
        if isinstance(value, re.Match):
            return "one match: found.group(1) is its number, for every event, then add them up"
        if not _is_int(value):
            return "give the number of tasks, a whole number"
        found = ecs.describe_services(cluster=cluster, services=[service])["services"][0]
        events = [e["message"] for e in found["events"]]
        started = [int(m.group(1)) for e in events for m in [re.search(r"has started (\d+) tasks", e)] if m]
        stopped = [int(m.group(1)) for e in events for m in [re.search(r"has stopped (\d+) running tasks", e)] if m]
        total = sum(started)
        if value == total:
            return None
        if value == len(started):
            return ("that counts the 'has started' events; each says how many tasks it started (has started N "
                    "tasks): add up the Ns")
        if value == total + sum(stopped):
            return "stops counted too: only 'has started N tasks' events start tasks"
        if value == len(events):
            return "that counts every event: only 'has started N tasks' ones start tasks"
        if value == found["runningCount"]:
            return ("that is how many run now; the tasks that stopped since (the crashed one, the scale-in's) were "
                    "started too")
        if 0 < total - value and (total - value) in started:
            return (f"{total - value} short: one 'has started' event is left out; the first start, the crashed "
                    "task's replacement, each scale-out (exercise 1's too, after your count?): every one counts")
        if value > total:
            return "more than the events name: add each 'has started N tasks' event's N once"
        return "add the N of every 'has started N tasks' event in the service's events"
    return grade(answer, diagnose, "re.search(r'has started (\\d+) tasks', event['message']) on every event, and add "
                 "the numbers", "Well done: every start is in the events, with the task ids.", key="04 started_total")


# -- 05 · secrets or environment ------------------------------------------------------------------------
SECRETS = frozenset({"DB_PASSWORD", "STRIPE_API_KEY"})
NAMES = ("APP_ENV", "DB_HOST", "DB_PASSWORD", "PHP_OPCACHE_ENABLE", "STRIPE_API_KEY", "LOG_LEVEL")


def secret_names(answer: Any) -> bool:
    def diagnose(value: Any) -> str | None:
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            return "give a set of names, e.g. {'A', 'B'}"
        chosen = {v.strip().upper() for v in value}
        unknown = sorted(chosen - set(NAMES))
        if unknown:
            return f"{', '.join(unknown)} is not one of the six names listed"
        config = sorted(chosen - SECRETS)
        if config:
            return (f"{', '.join(config)} would do no harm in a screenshot: configuration, so `environment`; "
                    "a secret is what would")
        missing = len(SECRETS - chosen)
        if missing:
            return f"{missing} more of the six would hurt if it showed up in the console or in a screenshot"
        return None
    return grade(answer, diagnose, "a secret is something that would hurt if it showed up in the console or in a "
                 "screenshot", "Well done: a host name is configuration, a password is a secret.", key="05 secret_names")


# -- 06 · minimum healthy and maximum percent for 4 tasks -------------------------------------------------
def rollout_limits(answer: Any, desired: int = 4, most: int = 5, fewest: int = 3) -> bool:
    def diagnose(value: Any) -> str | None:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            return "give a pair of numbers, (minimumHealthyPercent, maximumPercent)"
        low, high = int(value[0]), int(value[1])
        if not 0 <= low <= 100 or high < 100:
            return "minimumHealthyPercent is 0 to 100 and maximumPercent at least 100"
        explained = explain_rollout(desired, low, high)
        if explained.deadlocked:
            return f"({low}, {high}) deadlocks: {explained.why_deadlocked()}"
        if explained.peak_tasks > most:
            return (f"with maximumPercent {high} up to {explained.peak_tasks} tasks run at once (the cap is "
                    f"floor({desired} x {high} %) = {desired * high // 100}); {most} is the most allowed")
        if explained.lowest_healthy < fewest:
            return (f"with minimumHealthyPercent {low} only {explained.lowest_healthy} stay healthy (rounded up: "
                    f"ceil({desired} x {low} %)); at least {fewest} must")
        return None
    return grade(answer, diagnose, f"at most {most} of {desired} is {most * 100 // desired} %; at least {fewest} of "
                 f"{desired} is {fewest * 100 // desired} %",
                 "Well done: one task of headroom each way, so the rollout goes in small batches.", key="06 rollout_limits")


# -- 07 · how long a linear deployment takes --------------------------------------------------------------
def linear_minutes(answer: Any, step_percent: int = 20, step_bake: int = 3, bake: int = 5) -> bool:
    shifts = -(-100 // step_percent)
    right = (shifts - 1) * step_bake + bake

    def diagnose(value: Any) -> str | None:
        if value == right:
            return None
        if value == shifts * step_bake + bake:
            return "there is no step bake after the last shift, which reaches 100 %"
        if value == (shifts - 1) * step_bake:
            return "after the last shift comes bakeTimeInMinutes too"
        if value == shifts * step_bake:
            return "a step bake sits between two shifts (none after 100 %), and the bake time follows"
        return (f"shifts at {', '.join(str(step_percent * k) for k in range(1, shifts + 1))} %, a step bake "
                "between shifts, then the bake time")
    return grade(answer, diagnose, "count the shifts first, then the bakes between them",
                 f"Well done: {shifts - 1} step bakes of {step_bake} minutes, then {bake} minutes of bake time.", key="07 linear_minutes")

# -- 08 · deregister the task definitions ---------------------------------------------------------------
def deregistered(answer: Any, lab: Any, families: tuple[str, ...] = ("my-application", "lesson-08-web")) -> bool:
    """`lab`: the Lab, a boto3 session or an ECS client; every revision of `families` must be INACTIVE."""
    def diagnose(value: Any) -> str | None:
        if isinstance(value, (list, tuple, set)):
            return "a list: the exercise asks how many, len(...)"
        if not _is_int(value):
            return "give the number of revisions you deregistered, a whole number"
        ecs = _client(lab, "ecs")

        def listed(status: str) -> list[str]:
            return [a for f in families for a in ecs.list_task_definitions(familyPrefix=f, status=status)
                    ["taskDefinitionArns"] if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == f]
        active = listed("ACTIVE")
        gone = len(listed("INACTIVE")) + len(listed("DELETE_IN_PROGRESS"))
        if active:
            left = ", ".join(a.rsplit("/", 1)[-1] for a in active)
            if not gone:
                return (f"{left} still ACTIVE, none deregistered: listing them is not deregistering; call "
                        "ecs.deregister_task_definition(taskDefinition=arn) for each")
            return (f"{left} still ACTIVE: list each family with status='ACTIVE' (INACTIVE ones are already "
                    "deregistered) and deregister every ARN")
        if value > gone:
            return (f"only {gone} revisions of these families are deregistered: count each deregister call once "
                    "(a second pass over the INACTIVE ones deregisters nothing new)")
        if value < 1:
            return ("none is ACTIVE now, but your count is 0: if your cell ran twice, the second run found nothing "
                    "left; count the revisions your loop deregisters")
        return None
    return grade(answer, diagnose, "ecs.list_task_definitions(familyPrefix=..., status='ACTIVE') lists them; "
                 "deregister each ARN", "Well done: INACTIVE revisions can no longer start tasks. "
                 "ecs.delete_task_definitions(taskDefinitions=[...]) removes them for good.", key="08 deregistered")


# -- 08 · the session's cost at another size ----------------------------------------------------------------
def bigger_total(answer: Any, tasks: list[dict], now: float, size: tuple[str, str] = ("1024", "2048")) -> bool:
    """`tasks`: the described tasks the notebook costed, `now`: the clock it ended running ones at (seconds)."""
    from ..ops.cost import CostEstimate, estimate_cost
    bigger = {"cpu": size[0], "memory": size[1]}

    def hours(task: dict) -> float:
        end = task["stoppedAt"].timestamp() if task.get("stoppedAt") else now
        return float(end - task["pullStartedAt"].timestamp()) / 3600

    def own_cost() -> float:
        """What the tasks cost at their own sizes (a described task has its task-level cpu and memory)."""
        return sum(estimate_cost({"cpu": t["cpu"], "memory": t["memory"]}, hours=hours(t)).total
                   for t in tasks if t.get("pullStartedAt") is not None)

    def diagnose(value: Any) -> str | None:
        if isinstance(value, CostEstimate):
            return "that is one estimate: its .total is the dollars, for each task, added up"
        if isinstance(value, (list, tuple)):
            return "a list: add up each estimate's .total"
        if isinstance(value, str):
            return "text: give the dollars as a number, not formatted"
        if not _is_number(value):
            return "give the dollars, a number"
        billed = [t for t in tasks if t.get("pullStartedAt") is not None]
        costs = [estimate_cost(bigger, hours=hours(t)).total for t in billed]
        right = sum(costs)
        if abs(value - right) < 1e-6:
            return None

        def near(x: float) -> bool:
            return abs(value - x) <= 1e-6 + 1e-9 * abs(x)
        if near(own_cost()):
            return (f"that is what the session's own sizes cost: the exercise changes the size to {size[0]} CPU / "
                    f"{size[1]} MiB")
        if near(sum(estimate_cost(bigger, hours=hours(t)).per_task_hour for t in billed)):
            return "that adds up the price per hour (per_task_hour); .total is the cost for the hours you pass"
        if near(estimate_cost(bigger).total):
            return "that is one task for one hour (estimate_cost's defaults): pass each task's hours=..."
        if near(len(billed) * right):
            return (f"each task counted {len(billed)} times: count=1 with each task's own hours (or count=N with "
                    "one task's)")
        if near(right * 60) or near(right * 3600):
            return "hours, not minutes or seconds: divide the seconds by 3600"
        if near(right / 60) or near(right / 3600):
            return "hours are seconds / 3600: divide by 3600 once"
        if any(near(c) for c in costs):
            return f"that is one task's cost: add up all {len(billed)} (bigger_total += ...)"
        if any(near(round(right, digits)) for digits in range(1, 6)):
            return "rounded: keep every digit in bigger_total (round only what you print)"
        if abs(value - right) <= 0.01 * right:
            return ("close (within 1 %): end running tasks at `now`, the clock of the cell above, and bill from "
                    "pullStartedAt")
        if value > right:
            return ("more than it would cost: end running tasks at `now` (the clock of the cell above, not a later "
                    "one) and skip tasks that never pulled")
        return "the same hours per task as the loop above, at the new size: sum estimate_cost(...).total"
    try:
        at_new_size = sum(estimate_cost(bigger, hours=hours(t)).total for t in tasks if t.get("pullStartedAt"))
        ratio = f"{at_new_size / own_cost():.1f} times"
    except Exception:  # noqa: BLE001 - no tasks, or not tasks: the well-done line goes without the ratio
        ratio = "more than"
    return grade(answer, diagnose, "the same hours per task, a different size: sum estimate_cost(...).total",
                 f"Well done: {ratio} what the session's own sizes cost: size tasks for what they use.",
                 key="08 bigger_total")


GRADERS = {"00 stage_mode": stage_mode, "01 cluster_zones": cluster_zones, "01 staging_status": staging_status,
           "02 worker_size": worker_size, "03 forgot_launch_type": forgot_launch_type,
           "03 job_exit_code": job_exit_code, "04 scale_to_four": scale_to_four, "04 started_total": started_total,
           "05 secret_names": secret_names, "06 rollout_limits": rollout_limits,
           "07 linear_minutes": linear_minutes, "08 deregistered": deregistered, "08 bigger_total": bigger_total}
