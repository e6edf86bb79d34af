"""Reading YAML the way docker compose does: YAML 1.2 scalars, `!reset` and `!override`."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import ComposeError

_BOOL, _INT, _FLOAT = ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


class _Loader(yaml.SafeLoader):
    """YAML 1.2 core scalars, as docker compose reads them.

    With PyYAML's YAML 1.1 rules `- 22:22` would be the base-60 number 1342 and
    `DEBUG: yes` the boolean True; docker compose sees the strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_Loader.add_implicit_resolver(_INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
                              list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"), list("-+0123456789."))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = loader.construct_scalar(node)
    # YAML 1.2: "010" is ten (YAML 1.1 read it as octal 8).
    return int(text, 0) if text.lower().startswith(("0x", "0o")) else int(text, 10)


class _Reset:
    """`!reset` in an override file: remove the value from the merged result."""

    def __repr__(self) -> str:
        return "!reset"


_RESET = _Reset()


@dataclass(frozen=True)
class _Override:
    """`!override` in an override file: replace the value instead of merging it."""
    value: Any


def _construct_override(loader: yaml.SafeLoader,
                        node: yaml.MappingNode | yaml.SequenceNode | yaml.ScalarNode) -> _Override:
    if isinstance(node, yaml.MappingNode):
        return _Override(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return _Override(loader.construct_sequence(node, deep=True))
    return _Override(loader.construct_scalar(node))


_Loader.add_constructor(_INT, _construct_int)
_Loader.add_constructor("!reset", lambda loader, node: _RESET)
_Loader.add_constructor("!override", _construct_override)


def _load_yaml(path: Path, file: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ComposeError(file, "file", "no such file", "check the path") from None
    except OSError as exc:
        raise ComposeError(file, "file", f"cannot read it ({exc.strerror})", "check the path") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark else "yaml"
        raise ComposeError(file, where, f"invalid YAML: {exc.problem or exc.context}",
                           "fix the YAML syntax (indentation, quotes, colons)") from None
    except yaml.YAMLError as exc:
        raise ComposeError(file, "yaml", f"invalid YAML: {exc}", "fix the YAML syntax") from None
