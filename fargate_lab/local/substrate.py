"""The engine's window on EC2, ELBv2, Logs, ECR and IAM.

`Boto3Substrate` uses ordinary boto3 clients (answered by moto in the local cloud).
`MotoSubstrate`, which the local cloud uses, sends the calls every task makes (its ENI,
its target registration) straight to moto's backends in this process, and everything
else through boto3 as before; this module is the only place that touches moto's
internals.  Failures that a learner can cause (a subnet that does not exist) become
the ECS error AWS would return.
"""
from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable

import boto3
from botocore.exceptions import ClientError

from ..engine.errors import invalid_parameter
from ..engine.substrate import AlarmInfo, NetworkInterface, TargetGroupSettings, invoke_stand_in

ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([^:@]+)(?::([^@]+))?(?:@(.+))?$")
LOG_FUTURE_LIMIT = 2 * 3600 - 300      # moto refuses events more than 2 h ahead of wall time
LOG_PAST_LIMIT = 14 * 24 * 3600 - 300  # ... or more than 14 days behind

bypass = threading.local()  # set while the substrate asks moto for its own DescribeTargetHealth


class Boto3Substrate:
    def __init__(self, session: boto3.session.Session, account_id: str = "123456789012"):
        self.session = session
        self.account_id = account_id
        self._clients: dict[tuple[str, str], object] = {}
        self._streams: set[tuple[str, str, str]] = set()
        # Subnets and security groups seen to exist, so RunTask does not ask EC2 each time
        # (a subnet deleted later makes the task fail when its ENI is created, as on AWS).
        self._known_subnets: dict[tuple[str, str], str] = {}
        self._known_groups: set[tuple[str, str]] = set()
        self._addresses_in_use: set[tuple[str, str]] = set()   # (region, private IP) of live task ENIs
        self.client_time = lambda when: when   # cloud time -> the time clients are shown (clock.to_client)
        self.functions: dict[str, Callable[[dict], dict]] = {}   # Lambda function ARN -> its local stand-in

    def client(self, service: str, region: str):
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region)
        return self._clients[key]

    # -- EC2 -----------------------------------------------------------------
    def subnet_zones(self, region, subnet_ids):
        unknown = [s for s in subnet_ids if (region, s) not in self._known_subnets]
        if unknown:
            ec2 = self.client("ec2", region)
            try:  # one call for all of them; on failure, one per subnet to name the missing one
                found = ec2.describe_subnets(SubnetIds=unknown)["Subnets"]
            except ClientError:
                found = []
                for subnet in unknown:
                    try:
                        found += ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]
                    except ClientError as e:
                        raise invalid_parameter(
                            f"Error retrieving subnet information for [{subnet}]: The subnet ID '{subnet}' does "
                            f"not exist (ErrorCode: {e.response['Error']['Code']})") from None
            for s in found:
                self._known_subnets[(region, s["SubnetId"])] = s["AvailabilityZone"]
        return {s: self._known_subnets[(region, s)] for s in subnet_ids}

    def check_security_groups(self, region, group_ids):
        unknown = [g for g in group_ids if (region, g) not in self._known_groups]
        if not unknown:
            return
        ec2 = self.client("ec2", region)
        try:
            ec2.describe_security_groups(GroupIds=unknown)
        except ClientError:
            for group in unknown:
                try:
                    ec2.describe_security_groups(GroupIds=[group])
                except ClientError as e:
                    raise invalid_parameter(
                        f"Error retrieving security group information for [{group}]: The security group "
                        f"'{group}' does not exist (ErrorCode: {e.response['Error']['Code']})") from None
        self._known_groups.update((region, g) for g in unknown)

    def create_interface(self, region, subnet_id, groups, public, description):
        ec2 = self.client("ec2", region)
        kwargs = {"SubnetId": subnet_id, "Description": description}
        if groups:
            kwargs["Groups"] = groups
        for _ in range(20):
            try:
                eni = ec2.create_network_interface(**kwargs)["NetworkInterface"]
            except ClientError:
                self._known_subnets.pop((region, subnet_id), None)  # it may have been deleted since
                raise
            if (region, eni["PrivateIpAddress"]) not in self._addresses_in_use:
                break
            # moto draws addresses at random without checking; AWS never gives two ENIs one address
            ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"])
        self._addresses_in_use.add((region, eni["PrivateIpAddress"]))
        out = NetworkInterface(
            id=eni["NetworkInterfaceId"], subnet_id=subnet_id, availability_zone=eni["AvailabilityZone"],
            private_ip=eni["PrivateIpAddress"], mac=eni.get("MacAddress", "02:00:00:00:00:00"),
            private_dns=eni.get("PrivateDnsName") or f"ip-{eni['PrivateIpAddress'].replace('.', '-')}.ec2.internal")
        if public:  # moto leaves a fresh ENI without a public address: give it one, as AWS does
            address = ec2.allocate_address(Domain="vpc")
            ec2.associate_address(AllocationId=address["AllocationId"], NetworkInterfaceId=out.id)
            out.public_ip, out.allocation_id = address["PublicIp"], address["AllocationId"]
        return out

    def delete_interface(self, region, eni):
        self._addresses_in_use.discard((region, eni.private_ip))
        ec2 = self.client("ec2", region)
        try:
            if eni.allocation_id:
                ec2.release_address(AllocationId=eni.allocation_id)
            ec2.delete_network_interface(NetworkInterfaceId=eni.id)
        except ClientError:
            pass  # already gone (e.g. the learner deleted the VPC underneath)

    # -- ELBv2 ------------------------------------------------------------------
    def target_group(self, region, arn):
        elb = self.client("elbv2", region)
        try:
            group = elb.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
            attrs = {a["Key"]: a["Value"] for a in
                     elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]}
        except ClientError:
            return None
        return TargetGroupSettings(
            arn=arn, port=group.get("Port", 80), interval=group.get("HealthCheckIntervalSeconds", 30),
            healthy_threshold=group.get("HealthyThresholdCount", 5),
            unhealthy_threshold=group.get("UnhealthyThresholdCount", 2), health_path=group.get("HealthCheckPath") or "/",
            deregistration_delay=int(attrs.get("deregistration_delay.timeout_seconds", 300)),
            target_type=group.get("TargetType", "instance"))

    def register_target(self, region, arn, ip, port):
        try:
            self.client("elbv2", region).register_targets(TargetGroupArn=arn, Targets=[{"Id": ip, "Port": port}])
        except ClientError as e:
            if e.response["Error"]["Code"] == "TargetGroupNotFound":
                return False   # deleted by a client: the engine says so in the service's events
            raise
        return True

    def deregister_target(self, region, arn, ip, port):
        try:
            self.client("elbv2", region).deregister_targets(TargetGroupArn=arn, Targets=[{"Id": ip, "Port": port}])
        except ClientError:
            pass  # the target group was deleted meanwhile

    def registered_targets(self, region, arn) -> list[tuple[str, int, str]]:
        """moto's own view of a target group (for targets the engine did not place)."""
        bypass.active = True
        try:
            rows = self.client("elbv2", region).describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        except ClientError:
            return []
        finally:
            bypass.active = False
        return [(r["Target"]["Id"], r["Target"].get("Port", 80), r["TargetHealth"]["State"]) for r in rows]

    def forward_groups(self, region, rule_arn):
        elb = self.client("elbv2", region)
        try:
            if ":listener-rule/" in rule_arn:
                actions = elb.describe_rules(RuleArns=[rule_arn])["Rules"][0]["Actions"]
            else:   # an NLB's production "rule" is a listener (AdvancedConfiguration)
                actions = elb.describe_listeners(ListenerArns=[rule_arn])["Listeners"][0]["DefaultActions"]
        except (ClientError, IndexError):
            return None
        groups = []
        for action in actions:
            if action.get("Type") != "forward":
                continue
            if action.get("TargetGroupArn"):
                groups.append(action["TargetGroupArn"])
            groups += [g["TargetGroupArn"] for g in (action.get("ForwardConfig") or {}).get("TargetGroups", [])]
        return groups

    def set_forward(self, region, rule_arn, weights):
        elb = self.client("elbv2", region)
        actions = [{"Type": "forward", "ForwardConfig": {
            "TargetGroups": [{"TargetGroupArn": group, "Weight": weight} for group, weight in weights]}}]
        try:
            if ":listener-rule/" in rule_arn:
                elb.modify_rule(RuleArn=rule_arn, Actions=actions)
            else:
                elb.modify_listener(ListenerArn=rule_arn, DefaultActions=actions)
        except ClientError:
            pass   # deleted by a client meanwhile: there is nothing left to route

    # -- Lambda: lifecycle hooks call a Python stand-in registered under the function's ARN --------
    def invoke_function(self, region, function_arn, payload):
        return invoke_stand_in(self.functions, function_arn, payload)

    # -- CloudWatch alarms ------------------------------------------------------------
    def alarms(self, region, names):
        found = {}
        cloudwatch = self.client("cloudwatch", region)
        for start in range(0, len(names), 100):   # DescribeAlarms takes at most 100 names
            for alarm in cloudwatch.describe_alarms(AlarmNames=names[start:start + 100])["MetricAlarms"]:
                found[alarm["AlarmName"]] = AlarmInfo(alarm["StateValue"],
                                                      int(alarm.get("EvaluationPeriods", 1)) * int(alarm.get("Period", 60)))
        return found

    # -- CloudWatch Logs ------------------------------------------------------------
    def log_group_exists(self, region, name):
        groups = self.client("logs", region).describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return any(g["logGroupName"] == name for g in groups)

    def create_log_group(self, region, name):
        try:
            self.client("logs", region).create_log_group(logGroupName=name)
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                raise

    def write_logs(self, region, group, stream, lines):
        logs = self.client("logs", region)
        try:
            if (region, group, stream) not in self._streams:
                try:
                    logs.create_log_stream(logGroupName=group, logStreamName=stream)
                except ClientError as e:
                    if e.response["Error"]["Code"] != "ResourceAlreadyExistsException":
                        raise
                self._streams.add((region, group, stream))
            wall = time.time()
            events = [{"timestamp": int(1000 * min(max(self.client_time(t), wall - LOG_PAST_LIMIT),
                                                    wall + LOG_FUTURE_LIMIT)),
                       "message": line} for t, line in lines]
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
        except ClientError:
            pass  # the group was deleted while the task ran: the lines are lost, as on AWS

    # -- ECR and IAM -------------------------------------------------------------------
    def image_exists(self, region, image):
        m = ECR_IMAGE.match(image)
        if not m:
            return True
        _, image_region, repo, tag, digest = m.groups()
        image_id = {"imageDigest": digest} if digest else {"imageTag": tag or "latest"}
        try:
            self.client("ecr", image_region).describe_images(repositoryName=repo, imageIds=[image_id])
            return True
        except ClientError:
            return False


class MotoSubstrate(Boto3Substrate):
    """`Boto3Substrate` whose per-task calls go straight to moto's backends in this process.

    A task's ENI (and public address), its target registration and the target group's
    settings are the same moto objects a boto3 call makes and reads, so EC2's
    DescribeNetworkInterfaces and ELBv2's DescribeTargetHealth show them as before; what goes is
    serialising a request and a response per call (about 2.4 ms of moto per ENI through boto3,
    which made a 5,000-task deploy take minutes).  Anything unexpected (an unknown subnet or
    target group, a moto version whose internals differ) takes the boto3 path, which raises the
    error a client would see.  The engine still sees only the `Substrate` protocol; moto's
    internals are touched here and nowhere else.
    """

    def __init__(self, session: boto3.session.Session, account_id: str = "123456789012"):
        super().__init__(session, account_id)
        from moto.core import exceptions as moto_exceptions
        from moto.ec2.models import ec2_backends
        from moto.elbv2.models import elbv2_backends
        from moto.iam.models import get_account_id_from
        from moto.logs.models import logs_backends
        # moto's error base classes (ServiceException since 5.2, RESTError before)
        self._moto_errors = tuple(getattr(moto_exceptions, name) for name in
                                  ("ServiceException", "RESTError", "_RESTError") if hasattr(moto_exceptions, name))
        if not self._moto_errors:
            raise ImportError("moto.core.exceptions has none of the error classes MotoSubstrate knows")
        self._ec2_backends, self._elbv2_backends, self._logs_backends = ec2_backends, elbv2_backends, logs_backends
        # the account moto files this session's calls under (as moto's own request handling decides it)
        credentials = session.get_credentials()
        self._moto_account = os.environ.get("MOTO_ACCOUNT_ID") or get_account_id_from(
            credentials.access_key if credentials else "")

    def _ec2(self, region: str):
        return self._ec2_backends[self._moto_account][region]

    def _elbv2(self, region: str):
        return self._elbv2_backends[self._moto_account][region]

    # -- EC2 -----------------------------------------------------------------
    def create_interface(self, region, subnet_id, groups, public, description):
        ec2 = self._ec2(region)
        try:
            subnet = ec2.get_subnet(subnet_id)
        except self._moto_errors:
            return super().create_interface(region, subnet_id, groups, public, description)  # raises as AWS would
        for _ in range(20):
            eni = ec2.create_network_interface(subnet, None, [], groups or [], description, {})
            if (region, eni.private_ip_address) not in self._addresses_in_use:
                break
            # moto draws addresses at random without checking; AWS never gives two ENIs one address
            ec2.delete_network_interface(eni.id)
        ip = eni.private_ip_address
        self._addresses_in_use.add((region, ip))
        out = NetworkInterface(
            id=eni.id, subnet_id=subnet_id, availability_zone=subnet.availability_zone, private_ip=ip,
            mac=getattr(eni, "mac_address", None) or "02:00:00:00:00:00",
            private_dns=getattr(eni, "private_dns_name", None) or f"ip-{ip.replace('.', '-')}.ec2.internal")
        if public:  # moto leaves a fresh ENI without a public address: give it one, as AWS does
            address = ec2.allocate_address(domain="vpc")
            ec2.associate_address(eni=eni, allocation_id=address.allocation_id)
            out.public_ip, out.allocation_id = address.public_ip, address.allocation_id
        return out

    def delete_interface(self, region, eni):
        self._addresses_in_use.discard((region, eni.private_ip))
        ec2 = self._ec2(region)
        try:
            if eni.allocation_id:
                ec2.release_address(allocation_id=eni.allocation_id)
        except self._moto_errors:
            pass  # already released
        try:
            ec2.delete_network_interface(eni.id)
        except self._moto_errors:
            pass  # already gone (e.g. the learner deleted the VPC underneath)

    # -- ELBv2 ------------------------------------------------------------------
    def target_group(self, region, arn):
        group = self._elbv2(region).target_groups.get(arn)
        if group is None:
            return None
        return TargetGroupSettings(
            arn=arn, port=int(group.port or 80), interval=int(group.health_check_interval_seconds or 30),
            healthy_threshold=int(group.healthy_threshold_count or 5),
            unhealthy_threshold=int(group.unhealthy_threshold_count or 2),
            health_path=str(getattr(group, "health_check_path", None) or "/"),
            deregistration_delay=int(group.attributes.get("deregistration_delay.timeout_seconds", 300)),
            target_type=group.target_type or "instance")

    def register_target(self, region, arn, ip, port):
        try:
            self._elbv2(region).register_targets(arn, [{"Id": ip, "Port": port}])
        except self._moto_errors:
            return super().register_target(region, arn, ip, port)  # says why as a client would see it
        return True

    def deregister_target(self, region, arn, ip, port):
        try:
            self._elbv2(region).deregister_targets(arn, [{"Id": ip, "Port": port}])
        except self._moto_errors:
            pass  # the target group was deleted meanwhile

    # -- CloudWatch Logs ------------------------------------------------------------
    def log_group_exists(self, region, name):
        return name in self._logs_backends[self._moto_account][region].groups


def make_substrate(session: boto3.session.Session, direct: bool = True) -> Boto3Substrate:
    """The local cloud's substrate: moto's backends directly where that is safe, else boto3 throughout."""
    if direct:
        try:
            return MotoSubstrate(session)
        except (ImportError, AttributeError):  # a moto whose layout differs: the slower, public path
            pass
    return Boto3Substrate(session)
