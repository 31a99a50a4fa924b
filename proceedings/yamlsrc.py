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

from proceedings.messages import Message, msg, msg_n

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
        explained = explain(text, exc)
        if explained is not None:
            raise YamlError(explained[0] + first_line, explained[1]) from None
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        problem = exc.problem or exc.context or "invalid YAML"
        raise YamlError(line, msg("YAML syntax: {problem}", problem=problem)) from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, msg("YAML syntax: {problem}", problem=str(exc))) from None


_LIMIT_MESSAGE = msg("the document is nested too deeply or is too large")


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
            raise YamlError(line, msg("'*{name}' refers to an anchor (*name), which sources do not use: if "
                                      "the value is text that starts with '*', put the whole value in quotes",
                                      name=printable(event.anchor or "")), "yaml-alias")
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            raise YamlError(line, msg("'&{name}' makes an anchor (&name), which sources do not use: if the "
                                      "value is text that starts with '&', put the whole value in quotes",
                                      name=printable(event.anchor)), "yaml-alias")
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


# --- a syntax error in plain words, at the line to correct ----------------------------

# A line's key (after a list item's dash) and the colon that ends it.
_KEY = re.compile(r"^(\s*(?:-\s+)*)([^\s#:\-?\[{\"'][^#:]*?|[\"'][^\"']*[\"']):(?=\s|$)")
_INDICATORS = {"@": "'@'", "`": "'`'", "%": "'%'", "*": "'*'", "&": "'&'", "?": "'?'", "|": "'|'", ">": "'>'"}


def _quoted(line: str, key: re.Match[str] | None) -> str | None:
    """The line with its value in quotes, as the message suggests writing it."""
    if key is None:
        return None
    value = line[key.end():].strip()
    return f"{key[2]}: \"{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}\""


def _content(lines: list[str], before: int) -> int | None:
    """The last line above ``before`` that holds more than blanks or a comment."""
    for index in range(before - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _no_colon(line: str) -> Message:
    shown = printable(line.strip())
    if re.match(r"^\s*(?:-\s+)?[^\s:#]+:\S", line):
        return msg("'{line}': a colon after a key must be followed by a space ('key: value')", line=shown)
    return msg("'{line}' is neither 'key: value' nor an item of a list ('- item'): is the colon after the "
               "key missing?", line=shown)


def _misplaced(lines: list[str], index: int) -> Message:
    """Why a line's indentation fits nothing above it, and the columns that would."""
    line = lines[index]
    here = _indent(line)
    what = printable(line.strip())
    above = _content(lines, index)
    if above is not None and _indent(lines[above]) == here and lines[above].lstrip().startswith("- ") \
            and not line.lstrip().startswith("- "):
        return msg("'{line}' stands among the items of a list (line {list_line}) but does not start with "
                   "'- ': make it an item, or move it out of the list", line=what, list_line=above + 1)
    columns: list[tuple[int, str]] = []  # the lines it could line up with, nearest first
    while above is not None:
        shown = lines[above].strip()
        column = _indent(lines[above])
        if not columns or column < columns[-1][0]:
            columns.append((column, shown))
        if column == 0:
            break
        above = _content(lines, above)
    deeper = [c for c in columns if c[0] > here]
    shallower = [c for c in columns if c[0] < here]
    options = [msg("'{key}' ({spaces})", key=printable(text.split(":")[0]), spaces=_spaces(column))
               for column, text in (deeper[-1:] + shallower[:1])]
    if len(options) == 2:
        return msg("'{line}' is indented {spaces}, as no line above it is: indent it as far as {first} or "
                   "{second}", line=what, spaces=_spaces(here), first=options[0], second=options[1])
    return msg("'{line}' is indented {spaces}, as no line above it is: indent it as far as {first}",
               line=what, spaces=_spaces(here), first=options[0] if options else "")


def _spaces(count: int) -> Message:
    return msg_n("{n} space", "{n} spaces", count)


def _in_quotes(line: int, sign: str, written: str | None) -> tuple[int, Message]:
    if written is None:
        return line, msg("a value that starts with '{sign}' must be put in quotes", sign=sign)
    return line, msg("a value that starts with '{sign}' must be put in quotes: write {written}", sign=sign,
                     written=written)


def explain(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, Message] | None:
    """The 0-based line to correct and what to do there, for the syntax errors editors
    make; None for one not recognised (the parser's own words are given then)."""
    lines = text.split("\n")
    problem, context = exc.problem or "", exc.context or ""
    mark, start = exc.problem_mark, exc.context_mark
    if mark is None or mark.line >= len(lines):
        return None
    if start is not None and start.line >= len(lines):
        start = None
    at = lines[mark.line]
    key = _KEY.match(at)
    if problem.startswith("found character '\\t'"):
        return mark.line, msg("a tab, where YAML takes only spaces (to indent, and after a colon): replace "
                              "the tab with spaces")
    found = re.match(r"found character '(.)' that cannot start any token", problem)
    if found or "scanning an alias" in context or problem == "mapping keys are not allowed here":
        sign = found[1] if found else at[mark.column] if mark.column < len(at) else "*"
        sign = sign if sign in _INDICATORS else "*" if "alias" in context else "?"
        return _in_quotes(mark.line, sign, _quoted(at, key))
    if "scanning a block scalar" in context:
        return mark.line, msg("after '|' or '>' the line must end: the text starts on the next line, "
                              "indented under the key")
    if start is not None and "scanning a quoted scalar" in context:
        quote = lines[start.line][start.column] if start.column < len(lines[start.line]) else '"'
        return start.line, msg("the value in quotes that starts here has no closing {quote}: add it",
                               quote=quote)
    if start is not None and "parsing a flow" in context:
        opening = lines[start.line][start.column] if start.column < len(lines[start.line]) else "["
        closing = {"[": "]", "{": "}"}.get(opening, "]")
        if start.line == mark.line:
            return mark.line, msg("an item between '{opening}' and '{closing}' holds a colon and a space "
                                  "(': '): put that item in quotes", opening=opening, closing=closing)
        return start.line, msg("the '{opening}' opened here is not closed: end it with '{closing}'",
                               opening=opening, closing=closing)
    if problem == "mapping values are not allowed here":
        if key is not None and key.end() <= mark.column:  # a second ': ' on the key's line
            written = _quoted(at, key)
            return mark.line, msg("the value of '{key}' holds a colon and a space (': '), which would start "
                                  "a key: put the whole value in quotes: write {written}",
                                  key=printable(key[2]), written=written or "")
        above = _content(lines, mark.line)
        if above is None:
            return None
        if _indent(at) > _indent(lines[above]) and _KEY.match(lines[above]):
            previous = printable(_KEY.match(lines[above])[2])  # type: ignore[index]
            here = printable(at.strip().split(":")[0])
            return mark.line, msg("'{key}:' is indented more than '{previous}:' on line {line}, so it reads "
                                  "as more of the value of '{previous}': indent it as far as '{previous}' if "
                                  "it is a key of its own, or put the value of '{previous}' in quotes if the "
                                  "colon is part of the text", key=here, previous=previous, line=above + 1)
        return above, _no_colon(lines[above])
    if problem == "could not find expected ':'" and start is not None:
        return start.line, _no_colon(lines[start.line])
    if problem.startswith("expected <block end>"):
        if "'<scalar>'" in problem:
            # A quote left open runs on to the next one, lines below, and the text after
            # that one is what the parser trips on: the open quote is the line to correct.
            for index in range(mark.line):
                if len(re.findall(r'(?<!\\)"', lines[index].split(" #")[0])) % 2:
                    return index, msg("the value in quotes that starts here has no closing {quote}: add it",
                                      quote='"')
        if "'<scalar>'" in problem and key is not None:
            value = at[key.end():].strip()
            if value[:1] in {"[", "{", '"', "'"}:
                return mark.line, msg("the value of '{key}' starts with {mark} and goes on after its closing "
                                      "one: put the whole value in quotes", key=printable(key[2]),
                                      mark=value[0])
        return mark.line, _misplaced(lines, mark.line)
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogate(text: str, line: int) -> None:
    """A "\\ud800" escape makes a lone half of a UTF-16 pair, which is no character: no
    text can hold it (writing it fails), and a key with one would fail the whole document."""
    found = _SURROGATE.search(text)
    if found:
        raise YamlError(line, msg("'\\u{code:04x}' is half of a UTF-16 surrogate pair, not a character: "
                                  "write the character itself", code=ord(found[0])), "encoding")


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
