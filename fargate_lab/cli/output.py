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
    # On a terminal rich follows its width ($COLUMNS, else the terminal's), breaking long lines between words;
    # off one it would wrap at 80 columns: a wide, soft-wrapped console keeps lines whole for pipes and CI.
    if _is_terminal():
        return Console(highlight=False)
    return Console(highlight=False, soft_wrap=True, width=250, no_color=True)


def say(message: str) -> None:
    click.echo(message)


def note(message: str) -> None:
    """Side remarks (the local cloud starting) on stderr, so stdout stays the command's output."""
    click.echo(message, err=True)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def command_lines(command: str, width: int, indent: int = 4) -> list[str]:
    """A shell command as a person would type it into a terminal `width` columns wide: one line if it fits, else
    broken before its options with ` \\` continuations, each option beside its value (a line is longer than the
    width only when one option and its value are)."""
    if len(command) <= width:
        return [command]
    chunks: list[str] = []
    for word in command.split():
        if chunks and not word.startswith("-"):
            chunks[-1] += " " + word
        else:
            chunks.append(word)
    lines = [chunks[0]]
    for chunk in chunks[1:]:
        if len(lines[-1]) + 1 + len(chunk) + len(" \\") <= width:
            lines[-1] += " " + chunk
        else:
            lines.append(" " * indent + chunk)
    return [line + " \\" for line in lines[:-1]] + lines[-1:]


def print_rows(rows: Sequence[tasks.TaskRow], console: Console | None = None) -> None:
    console = console or _console()
    if not rows:
        console.print("No tasks.")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for header in tasks.HEADERS:
        # a narrow terminal folds the long columns rather than cutting task ids and addresses short
        table.add_column(header, overflow="fold", no_wrap=header in ("State", "Health"))
    for cells in _fitted(rows, console.width):
        table.add_row(*cells)
    console.print(table)


def _fitted(rows: Sequence[tasks.TaskRow], width: int) -> list[tuple[str, ...]]:
    """The rows' cells; too wide for the terminal, a stopped container's exit code goes under its state, then the
    container's name under its task id (kept whole: `logs --task-id` wants it), before anything is folded."""
    cells: list[tuple[str, ...]] = [row.as_tuple() for row in rows]
    for column, old, new in ((1, " ExitCode: ", "\nExitCode: "), (0, "/", "/\n")):
        if _natural_width(cells) <= width:
            break
        cells = [row[:column] + (row[column].replace(old, new, 1),) + row[column + 1:] for row in cells]
    return cells


def _natural_width(cells: list[tuple[str, ...]]) -> int:
    columns = list(zip(tasks.HEADERS, *cells))
    widest = [max(len(line) for cell in column for line in cell.split("\n")) for column in columns]
    return sum(widest) + 2 * (len(widest) - 1)


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
