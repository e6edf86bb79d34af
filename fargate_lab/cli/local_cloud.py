"""`local`: serve, inspect, stop and reset the local cloud server."""
from __future__ import annotations

import os
import secrets
import signal
import sys

import click

from .. import backend as backends
from ..ops.errors import OpsError
from .group import _state, cli
from .output import say

# ====================================================================================== local

@cli.group("local")
def local_group():
    """The local cloud server that the other commands (and the AWS CLI) talk to."""


def _local_port(ctx: click.Context, port: int | None) -> int:
    return port or _state(ctx).port


@local_group.command("serve")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=backends.DEFAULT_SPEED,
              show_default=True, help="How many times faster than AWS the cloud's clock runs.")
@click.option("--seed", type=int, default=0, help="Seed for ids and timings.")
@click.pass_context
def local_serve(ctx, port, speed, seed):
    """Serve the local cloud in the foreground (Ctrl-C stops it)."""
    from .. import local
    from ..local.server import LocalServer
    port = _local_port(ctx, port)
    if backends.server_status(port):
        raise OpsError(f"a local cloud already answers on port {port}: `fargate-lab local stop --port {port}` first")
    token = secrets.token_urlsafe(32)   # only in the 0600 record: shutdown needs it, a web page cannot read it
    cloud = local.start(clock="real", speed=speed, seed=seed)
    server = None
    try:
        try:
            server = LocalServer(cloud, port, token=token)
        except OSError as e:
            raise OpsError(f"port {port} is in use ({e.strerror}); choose another with --port") from None
        backends.write_record(server.port, speed, token)
        say(f"fargate-lab local cloud on {server.url} ({speed:g}x AWS speed, pid {os.getpid()}); Ctrl-C stops it.")
        say(f"For the AWS CLI and SDKs: export AWS_ENDPOINT_URL={server.url}  (any access key works locally)")
        sys.stdout.flush()
        signal.signal(signal.SIGTERM, _interrupt)   # `kill PID` stops it as cleanly as Ctrl-C (record removed)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            say("Stopping the local cloud.")
    finally:
        if server is not None:
            backends.forget_record(server.port, os.getpid())
        cloud.stop()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


@local_group.command("status")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.pass_context
def local_status(ctx, port):
    """Is a local cloud running, and how fast?"""
    port = _local_port(ctx, port)
    status = backends.server_status(port)
    if not status:
        record = backends.read_record(port)
        if record and not backends.pid_alive(record["pid"]):
            raise backends.CloudGone(backends.gone_message(port, record))
        raise OpsError(f"no local cloud on port {port}: start one with `fargate-lab local serve --port {port}`")
    say(f"Local cloud at {status['url']}: {status['clock']} clock, {status.get('speed') or 1:g}x AWS speed, "
        f"pid {status['pid']}, up {status['uptime_seconds']:g}s, cloud time {status['now']}, "
        f"{status['ecs_calls']} ECS calls")


@local_group.command("stop")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.pass_context
def local_stop(ctx, port):
    """Stop the local cloud (its state is lost)."""
    port = _local_port(ctx, port)
    say(_stop_local(port))


def _stop_local(port: int, end_unresponsive: bool = False) -> str:
    """Stop the cloud on `port` and drop its record; one line for what was done.

    `end_unresponsive` (reset): a recorded server that runs but does not answer is ended with a signal."""
    stopped = backends.stop_server(port)
    if stopped:
        return f"Stopped the local cloud on port {port} (pid {stopped.get('pid')}); its state is gone."
    record = backends.read_record(port)
    if record and backends.pid_alive(record["pid"]):
        if not end_unresponsive:
            raise OpsError(backends.not_answering_message(port, record, advice="`fargate-lab local reset` ends it "
                                                                               "and starts a fresh one"))
        backends.end_process(record["pid"])
        backends.forget_record(port, record["pid"])
        return f"Ended the unresponsive local cloud on port {port} (pid {record['pid']}); its state is gone."
    if record:
        backends.forget_record(port, record["pid"])
        return f"The local cloud on port {port} (pid {record['pid']}) had already stopped; cleared its record."
    return f"No local cloud was running on port {port}."


@local_group.command("reset")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default 4566 or $FARGATE_LAB_PORT).")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True),
              help=f"Speed of the fresh cloud (default: the old one's, else {backends.DEFAULT_SPEED:g}).")
@click.pass_context
def local_reset(ctx, port, speed):
    """A clean slate: stop the local cloud (if any), clear its record, start a fresh, empty one."""
    port = _local_port(ctx, port)
    status = backends.server_status(port)
    record = backends.read_record(port)
    speed = speed or (status or {}).get("speed") or (record or {}).get("speed") or backends.DEFAULT_SPEED
    say(_stop_local(port, end_unresponsive=True))
    with backends.start_lock(port):
        started = backends.start_server(port, speed)
    say(f"Started a fresh local cloud at {started['url']} ({started['speed']:g}x AWS speed, pid {started['pid']}).")
