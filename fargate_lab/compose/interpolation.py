"""`.env` files and `$VAR` / `${VAR...}` interpolation, with docker compose's rules."""
from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .errors import ComposeError, _warn
from .yaml_loader import _Override

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*(?:(?P<eq>=)(?P<value>.*))?$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$$"}

Lookup = Callable[[str], str | None]


def _interpolate(text: str, lookup: Lookup, file: str, field: str) -> str:
    """Expand $VAR / ${VAR...} in one string, docker compose style."""
    out: list[str] = []
    i = 0
    while i < len(text):
        dollar = text.find("$", i)
        if dollar < 0:
            out.append(text[i:])
            break
        out.append(text[i:dollar])
        following = text[dollar + 1:dollar + 2]
        if following == "$":
            out.append("$")
            i = dollar + 2
        elif following == "{":
            end = _closing_brace(text, dollar + 1)
            if end is None:
                raise ComposeError(file, field, f"unterminated '${{' in {text!r}", "close it with '}' (write $$ for a literal $)")
            out.append(_expand(text[dollar + 2:end], lookup, file, field))
            i = end + 1
        else:
            name = _NAME.match(text, dollar + 1)
            if not name:
                raise ComposeError(file, field, f"invalid interpolation in {text!r}", "write $$ for a literal $")
            out.append(_variable(name.group(), lookup, file, field))
            i = name.end()
    return "".join(out)


def _closing_brace(text: str, opening: int) -> int | None:
    depth = 0
    for index in range(opening, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return None


def _variable(name: str, lookup: Lookup, file: str, field: str) -> str:
    value = lookup(name)
    if value is None:
        _warn(file, field, f'the "{name}" variable is not set; using an empty string')
        return ""
    return value


def _expand(body: str, lookup: Lookup, file: str, field: str) -> str:
    """The inside of ${...}: a name, optionally an operator and a word (itself interpolated)."""
    name = _NAME.match(body)
    if not name:
        raise ComposeError(file, field, f"invalid variable '${{{body}}}'", "use ${NAME}, ${NAME:-default} or ${NAME:?message}")
    rest = body[name.end():]
    if not rest:
        return _variable(name.group(), lookup, file, field)
    for operator in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(operator):
            break
    else:
        raise ComposeError(file, field, f"invalid variable '${{{body}}}'", "use ${NAME}, ${NAME:-default} or ${NAME:?message}")
    word = rest[len(operator):]
    value = lookup(name.group())
    if value is not None and (value or not operator.startswith(":")):   # set (and, for ":" operators, not empty)
        return _interpolate(word, lookup, file, field) if operator in (":+", "+") else value
    if operator in (":-", "-"):
        return _interpolate(word, lookup, file, field)
    if operator in (":+", "+"):
        return ""
    message = _interpolate(word, lookup, file, field) or "required variable is missing"
    raise ComposeError(file, field, f"{name.group()} is not set: {message}",
                       f"set {name.group()} in the environment or in .env")


def _interpolate_tree(value: Any, lookup: Lookup, file: str, path: tuple) -> Any:
    """Interpolate every string value (never keys) of a loaded YAML document."""
    if isinstance(value, dict):
        return {key: _interpolate_tree(item, lookup, file, path + (str(key),)) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate_tree(item, lookup, file, path + (f"[{i}]",)) for i, item in enumerate(value)]
    if isinstance(value, _Override):
        return _Override(_interpolate_tree(value.value, lookup, file, path))
    if isinstance(value, str):
        return _interpolate(value, lookup, file, _dotted(path))
    return value


def _dotted(path: Iterable[str]) -> str:
    return ".".join(path).replace(".[", "[") or "(top level)"


def _read_env_file(path: Path, file: str, lookup: Lookup, interpolate: bool = True) -> dict[str, str | None]:
    """KEY=VALUE lines (docker compose's dotenv rules); a bare KEY maps to None."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ComposeError(file, "file", f"cannot read it ({exc.strerror})", "check the path") from None
    values: dict[str, str | None] = {}

    def seen_first(name: str) -> str | None:  # later lines may use earlier ones
        return values[name] if values.get(name) is not None else lookup(name)

    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            raise ComposeError(file, f"line {number}", f"not a KEY=VALUE line: {stripped!r}",
                               "write KEY=VALUE (quote values that contain spaces)")
        key = match["key"]
        if match["eq"] is None:
            values[key] = None
            continue
        raw, expand = _dotenv_value(match["value"], file, number)
        values[key] = _interpolate(raw, seen_first, file, f"line {number}") if (expand and interpolate) else raw
    return values


def _dotenv_value(text: str, file: str, number: int) -> tuple[str, bool]:
    """(value, interpolate?) of the text after '=': 'single' is literal, "double" has escapes."""
    text = text.strip()
    if text[:1] in ("'", '"'):
        quote = text[0]
        end = 1
        while end < len(text) and not (text[end] == quote and (quote == "'" or text[end - 1] != "\\")):
            end += 1
        if end >= len(text):
            raise ComposeError(file, f"line {number}", f"unterminated {quote} quote", "close the quote on the same line")
        body = text[1:end]
        if quote == "'":
            return body, False
        return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body), True
    comment = re.search(r"\s#", text)
    return (text[:comment.start()] if comment else text).strip(), True


def _project_environment(directory: Path) -> dict[str, str]:
    """The values for interpolation: .env in the project directory, overridden by os.environ."""
    dotenv = directory / ".env"
    values: dict[str, str] = {}
    if dotenv.is_file():
        parsed = _read_env_file(dotenv, str(dotenv), os.environ.get)
        values = {key: value for key, value in parsed.items() if value is not None}
    values.update(os.environ)
    return values
