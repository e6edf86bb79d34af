"""CloudWatch behaviour that moto stores but does not run: alarms evaluated against their metrics.

Like the engine, this package knows nothing of botocore or moto: it takes datapoints and an alarm's
settings and says what state the alarm should be in, and why.  The local cloud feeds it (docs/architecture.md).
"""
