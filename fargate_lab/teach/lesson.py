"""What every lesson notebook shares: the exercises' self-check and where the talk's files are.

    from fargate_lab.teach import check, talk_folder
    TALK = talk_folder()                       # examples/talk, seen from notebooks/ or the repository
    check(answer, lambda a: a == 4, "hint")    # prints "Not tried yet", "Well done!" or "Not quite yet"
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

# Jupyter starts a notebook's kernel in notebooks/; nbval, nbconvert and scripts may start it at the root.
TALK_CANDIDATES = (Path("../examples/talk"), Path("examples/talk"))


Diagnosis = Callable[[Any], "str | None"]   # None: right; else what is still wrong


def grade(answer: Any, diagnose: Diagnosis, first_hint: str, well_done: str, key: str = "",
          when_it_raises: str | None = None) -> bool:
    """`...` means not tried yet (the first hint); otherwise the diagnosis, or well done (noted in `progress`
    under `key`).  It never raises: an answer the diagnosis cannot handle gets `when_it_raises` (default: the
    first hint) and what went wrong."""
    if answer is ...:
        print(f"Not tried yet. Hint: {first_hint}")
        return False
    try:
        problem = diagnose(answer)
    except Exception as error:  # noqa: BLE001 - a learner's answer may fail in any way; say how, never raise
        problem = f"{when_it_raises or first_hint} (checking it raised {type(error).__name__}: {error})"
    print(well_done if problem is None else f"Not quite yet. {problem}")
    if problem is None and key:
        from . import progress
        progress.record("exercise", key)
    return problem is None


def check(answer: Any, is_right: Callable[[Any], Any], hint: str, well_done: str = "Well done!") -> None:
    """A kind self-check with one hint for every wrong answer (`grade` tells mistakes apart)."""
    again = f"Hint: {hint}"
    grade(answer, lambda value: None if is_right(value) else again, hint, well_done, when_it_raises=again)


def service_here(ecs: Any, cluster: str, service: str) -> dict | None:
    """The service as DescribeServices shows it, for a self-check; None (having said why and what to do)
    when it is gone, e.g. deleted by a clean-up cell that Run All ran before the exercise."""
    try:
        found = ecs.describe_services(cluster=cluster, services=[service])["services"]
    except Exception as error:  # noqa: BLE001 - a missing cluster or a stopped cloud: say so, never raise
        found, why = [], f"{type(error).__name__}: {error}"
    else:
        why = "it was deleted"
    if found and found[0].get("status") == "ACTIVE":
        return found[0]
    print(f"Service {service} is not here any more ({why}); a clean-up cell may have removed it. To get it back, "
          "run the notebook again from the top with clean-up off (FARGATE_LAB_CLEAN_UP=0, or lab.clean_up = False "
          "before its clean-up cell; off is the default on the local cloud), then try this exercise.")
    return None


def talk_folder() -> Path:
    """The talk's application (`examples/talk`), as a path relative to the working directory."""
    for candidate in TALK_CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"examples/talk is neither at {TALK_CANDIDATES[0]} nor at {TALK_CANDIDATES[1]} "
                            f"(from {Path.cwd()}): start Jupyter in the repository or in notebooks/")
