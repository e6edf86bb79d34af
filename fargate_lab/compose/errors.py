"""ComposeError (one line: file, field, problem, fix) and ComposeWarning."""
from __future__ import annotations

import warnings


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


def _warn(file: str, field: str, text: str) -> None:
    warnings.warn(ComposeWarning(_one_line(f"{file}: {field}: {text}")), stacklevel=3)
