"""ComposeError (one line: file, field, problem, fix) and ComposeWarning."""
from __future__ import annotations

import contextlib
import contextvars
import warnings
from collections.abc import Iterator


class ComposeError(ValueError):
    """A compose or ecs-params input that cannot become a task definition.

    The message is one line: ``<file>: <field>: <problem>; <what to do>``."""

    def __init__(self, file: str, field: str, problem: str, fix: str = ""):
        self.file, self.field, self.problem, self.fix = str(file), field, problem, fix
        text = f"{file}: {field}: {problem}" + (f"; {fix}" if fix else "")
        super().__init__(_one_line(text))


class ComposeWarning(UserWarning):
    """A compose field that was ignored or changed on the way to ECS."""


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


_STRICT: contextvars.ContextVar[bool] = contextvars.ContextVar("fargate_lab_compose_strict", default=False)
STRICT_FIX = "strict mode refuses what it would otherwise only warn about: change the file, or drop --strict"


@contextlib.contextmanager
def strict(on: bool = True) -> Iterator[None]:
    """While on, every ComposeWarning is a ComposeError instead (CI: a file that needs a decision fails)."""
    token = _STRICT.set(on)
    try:
        yield
    finally:
        _STRICT.reset(token)


def _warn(file: str, field: str, text: str) -> None:
    if _STRICT.get():
        raise ComposeError(file, field, text, STRICT_FIX)
    warnings.warn(ComposeWarning(_one_line(f"{file}: {field}: {text}")), stacklevel=3)
