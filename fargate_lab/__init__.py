"""fargate-lab: learn and demo Amazon ECS on Fargate, locally or on AWS."""
__version__ = "0.1.0"
