"""A learner's progress: which exercises and challenges passed, kept in a small local JSON file.

    from fargate_lab.teach import progress
    progress.record("challenge", "health-check-path")
    progress.summary()        # prints what passed, and what is left

The file is FARGATE_LAB_PROGRESS, else ~/.fargate-lab/progress.json; nothing leaves the machine.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

PROGRESS_ENV = "FARGATE_LAB_PROGRESS"


def path() -> Path:
    given = os.environ.get(PROGRESS_ENV)
    return Path(given) if given else Path.home() / ".fargate-lab" / "progress.json"


def load() -> dict[str, dict[str, float]]:
    """{kind: {key: when it first passed}}; empty when there is no file (or an unreadable one)."""
    try:
        data = json.loads(path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(kind: str, key: str) -> None:
    """Note a pass (the first time counts); a file that cannot be written is no error for a learner."""
    data = load()
    data.setdefault(kind, {}).setdefault(key, time.time())
    try:
        path().parent.mkdir(parents=True, exist_ok=True)
        path().write_text(json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass


def summary(known: dict[str, list[str]] | None = None) -> str:
    """One line per kind: passed / all (the ones left named); printed and returned."""
    from . import challenges, exercises
    known = known or {"exercise": list(exercises.GRADERS), "challenge": list(challenges.CHALLENGES)}
    data = load()
    lines = []
    for kind, keys in known.items():
        passed = [k for k in keys if k in data.get(kind, {})]
        left = [k for k in keys if k not in passed]
        lines.append(f"{kind}s: {len(passed)} of {len(keys)} passed" + (f"; left: {', '.join(left)}" if left else ""))
    text = "\n".join(lines)
    print(text)
    return text
