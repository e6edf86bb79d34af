"""What commands print: one-line messages, task tables and the live deployments view."""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence

import click
from rich.console import Console
from rich.table import Table

from ..ops import services, tasks
from ..ops.errors import OpsError


def _is_terminal() -> bool:
    return sys.stdout.isatty()


def _console() -> Console:
    # Off a terminal rich would wrap at 80 columns; a wide, soft-wrapped console keeps lines whole for pipes and CI.
    if _is_terminal():
        return Console(highlight=False, soft_wrap=True)
    return Console(highlight=False, soft_wrap=True, width=250, no_color=True)


def say(message: str) -> None:
    click.echo(message)


def note(message: str) -> None:
    """Side remarks (the local cloud starting) on stderr, so stdout stays the command's output."""
    click.echo(message, err=True)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def print_rows(rows: Sequence[tasks.TaskRow], console: Console | None = None) -> None:
    console = console or _console()
    if not rows:
        console.print("No tasks.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in tasks.HEADERS:
        # a narrow terminal folds the long columns rather than cutting task ids and addresses short
        table.add_column(header, overflow="fold", no_wrap=header in ("State", "Health"))
    for row in rows:
        table.add_row(*row.as_tuple())
    console.print(table)


# ====================================================================================== the live view

@contextlib.contextmanager
def _deployment_view():
    from ..ops.watch import DeploymentView
    with DeploymentView(console=_console(), say=say) as view:
        yield view


def _poll_seconds() -> float:
    """Real seconds between polls; FARGATE_LAB_POLL_SECONDS lets tests poll faster."""
    text = os.environ.get("FARGATE_LAB_POLL_SECONDS")
    try:
        return float(text) if text else services.POLL_SECONDS
    except ValueError:
        raise OpsError(f"FARGATE_LAB_POLL_SECONDS={text!r} is not a number") from None
