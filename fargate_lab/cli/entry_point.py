"""The console script: `main()` runs the command tree; every error ends as one line and an exit code."""
from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Sequence

import click
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ParamValidationError,
)

from .. import backend as backends
from ..compose import ComposeError, ComposeWarning
from ..ops import errors
from ..ops.errors import OpsError
from .group import cli
from .output import one_line

USER_ERRORS = (OpsError, ComposeError, backends.BackendError, ValueError)


def error_message(error: BaseException) -> str:
    """The one line a user sees for an error."""
    if isinstance(error, ClientError):
        return errors.error_text(error)
    if isinstance(error, ParamValidationError):
        return one_line(str(error).replace("Parameter validation failed:", "invalid request:"))
    if isinstance(error, click.ClickException):
        message = one_line(error.format_message())
        context = getattr(error, "ctx", None)
        if context is not None:
            message += f" (see `{context.command_path} --help`)"
        return message
    if isinstance(error, NoCredentialsError):
        return ("no AWS credentials found for the aws backend: run `aws configure`, set AWS_PROFILE, "
                "or use --backend local")
    if isinstance(error, (BotoCoreError, *USER_ERRORS)):
        return one_line(str(error))
    return one_line(f"unexpected {type(error).__name__}: {error} (run with --debug for the traceback)")


def _show_compose_warnings() -> None:
    """ComposeWarning -> `Warning: ...` on stderr; other libraries' warnings stay quiet."""
    original = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, ComposeWarning):
            click.echo(f"Warning: {message}", err=True)
        elif os.environ.get("PYTHONWARNINGS"):
            original(message, category, filename, lineno, file, line)
    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args   # read early: errors in parsing the other options honour it too
    _show_compose_warnings()
    try:
        result = cli.main(args=args, prog_name="fargate-lab", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("\nError: interrupted; what was already started goes on in the cloud", err=True)
        return 130
    except Exception as error:   # everything a user can cause ends as one line; --debug shows where
        if debug:
            traceback.print_exc()
        click.echo(f"Error: {error_message(error)}", err=True)
        return 1
