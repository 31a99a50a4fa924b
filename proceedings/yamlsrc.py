"""YAML that remembers where each value came from.

Editors' YAML is read into plain data plus a map from each key path to its
1-based line, so that a pydantic error location can be reported as ``file:line``.
Scalars stay text (``09.00`` is not the number 9), except null and booleans, and
anchors and aliases are refused: they are never needed in sources and they are the
way to write a "billion laughs" bomb.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from proceedings.messages import Message, msg

Path_ = tuple[str | int, ...]

_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_MAX_DEPTH = 64
_MAX_NODES = 200_000


def printable(text: str) -> str:
    """Text for a one-line diagnostic: a key such as ``"a\\nb"`` must not break the line."""
    return text if text.isprintable() else repr(text)[1:-1]


class YamlError(Exception):
    """A YAML problem at a line of the document."""

    def __init__(self, line: int, message: Message, code: str = "yaml") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.code = code


@dataclass
class Located:
    """Parsed data and the line of every key path in it."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def parse_yaml(text: str, first_line: int = 1) -> Located:
    """Parse one YAML document; raise YamlError with a line on any problem."""
    _check_limits(text, first_line)
    try:
        # libyaml is many times faster; on any problem the pure-Python loader reads the
        # document again, for its messages and marks.
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except (yaml.YAMLError, RecursionError):
        node = _compose_slowly(text, first_line)
    located = Located(None)
    if node is None:
        return located
    located.data = _Builder(located, first_line).build(node, ())
    return located


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose_slowly(text: str, first_line: int) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        # PyYAML's composer recurses once per level; _check_limits should have caught
        # any document this deep, but never let the interpreter's limit escape.
        raise YamlError(first_line, _LIMIT_MESSAGE, "yaml-limit") from None
    except yaml.reader.ReaderError as exc:
        # A control character: PyYAML gives an offset, not a mark, and a two-line str().
        line = text.count("\n", 0, exc.position) + first_line
        raise YamlError(line, msg("YAML syntax: {problem} (U+{code:04X})", problem=exc.reason,
                                  code=exc.character)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(line, msg("YAML syntax: {problem}", problem=problem)) from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, msg("YAML syntax: {problem}", problem=str(exc))) from None


_LIMIT_MESSAGE = msg("the document is nested too deeply or is too large")
_ALIAS_MESSAGE = msg("anchors and aliases (&name, *name) are not allowed")


def _scan_events(text: str, first_line: int, loader: Any) -> None:
    """Enforce depth, size and no-alias limits on the event stream.

    The parser is iterative, unlike PyYAML's composer, which recurses per level (a
    few hundred ``[`` raised RecursionError) and builds every node before the
    builder can count them (a 20 MB flat list took minutes).
    """
    depth = nodes = 0
    for event in yaml.parse(text, Loader=loader):
        line = (event.start_mark.line if event.start_mark else 0) + first_line
        if isinstance(event, yaml.AliasEvent):
            raise YamlError(line, _ALIAS_MESSAGE, "yaml-alias")
        if isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            nodes += 1
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if depth > _MAX_DEPTH or nodes > _MAX_NODES:
            raise YamlError(line, _LIMIT_MESSAGE, "yaml-limit")


def _check_limits(text: str, first_line: int) -> None:
    try:
        _scan_events(text, first_line, _FAST_LOADER)
    except yaml.YAMLError:
        # libyaml stops at limits of its own (1000 flow levels) before ours, with no
        # event to point at; the pure-Python parser, iterative too, finds our line.
        # A syntax error: compose() reports it with its own message and line.
        with contextlib.suppress(yaml.YAMLError):
            _scan_events(text, first_line, yaml.SafeLoader)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogate(text: str, line: int) -> None:
    """A "\\ud800" escape makes a lone half of a UTF-16 pair, which is no character: no
    text can hold it (writing it fails), and a key with one would fail the whole document."""
    found = _SURROGATE.search(text)
    if found:
        raise YamlError(line, msg("'\\u{code:04x}' is half of a UTF-16 surrogate pair, not a character: "
                                  "write "
                                  "the character itself", code=ord(found[0])), "encoding")


class _Builder:
    """Plain data from a composed document, which ``_check_limits`` has found within the
    limits and free of aliases (each node is met once)."""

    def __init__(self, located: Located, first_line: int) -> None:
        self.located = located
        self.offset = first_line

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.located.lines.setdefault(path, node.start_mark.line + self.offset)
        if isinstance(node, yaml.ScalarNode):
            _no_surrogate(node.value, node.start_mark.line + self.offset)
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + self.offset
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError(key_line, msg("a mapping key must be plain text"))
            key = str(key_node.value)
            _no_surrogate(key, key_line)
            if key == "<<":
                raise YamlError(key_line, msg("merge keys (<<) are not allowed"), "yaml-alias")
            if key in result:
                raise YamlError(key_line, msg("duplicate key '{key}'", key=printable(key)), "yaml-duplicate")
            self.located.lines[(*path, key)] = key_line
            result[key] = self.build(value_node, (*path, key))
        return result

    @staticmethod
    def _scalar(node: yaml.ScalarNode) -> Any:
        if node.tag == _NULL:
            return None
        if node.tag == _BOOL:
            # YAML 1.1 also reads yes/no/on/off as booleans; editors mean text there.
            lowered = node.value.lower()
            return lowered == "true" if lowered in {"true", "false"} else node.value
        return node.value
