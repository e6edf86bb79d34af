"""The load balancer's data plane, which moto does not have: requests routed by listener rules to
targets, answered as each target's image would answer them.

Pure like the engine: no botocore, no moto.  Rules arrive as ELBv2's own DescribeRules shapes and
target states as DescribeTargetHealth's words; the local cloud passes them in (docs/architecture.md).
"""
