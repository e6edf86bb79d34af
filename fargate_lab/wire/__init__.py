"""The wire layer: AWS requests in, engine calls, AWS responses out.

`ecs_json` speaks ECS's awsJson1_1; `elbv2_query` answers ELBv2's
DescribeTargetHealth from the engine's view of target health; `validate`
checks responses against botocore's output shapes.
"""
