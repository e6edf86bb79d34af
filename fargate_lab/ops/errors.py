"""Errors the ops layer raises for problems a user can cause or fix.

The CLI prints `str(error)` and exits 1, so every message is one line that
names the flag, file or resource at fault and says what to do about it.
"""
from __future__ import annotations

from botocore.exceptions import ClientError


class OpsError(RuntimeError):
    """A one-line, user-facing problem with the fix in it."""


class ConfigError(OpsError, ValueError):
    """A bad flag, environment variable or config-file value.

    Also a ValueError: `configure()` is documented to raise one for bad input,
    and callers that only know OpsError still catch it."""


def error_code(error: ClientError) -> str:
    code: str = error.response.get("Error", {}).get("Code", "")   # botocore's response is untyped
    return code


def error_text(error: ClientError) -> str:
    """`Code: message`, short enough for one line."""
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}".strip()
