"""Safe mechanical fixes of the sources, for the findings a machine can fix alone.

- ``mixed-script``: retype each mixed word as the finding suggests (skipped where the
  finding has no safe suggestion);
- ``private-use``: drop a private-use bullet and the spaces after it at the start of a
  Markdown list item (``- \\uf02d  text`` → ``- text``); elsewhere the character is left
  for the editor, who knows what it stood for;
- ``odd-space``: odd spaces become a normal space (zero-width ones are deleted), a tab
  inside the text becomes a space, and in Markdown bodies runs of spaces between
  words become one. Leading indentation and a trailing hard break are structure and
  are kept; so are the no-break and digit-grouping spaces the checker accepts.
- ``glued-year``: a no-break space between a year and its abbreviation («2019 г.»);
- ``punctuation-space``: a space after a comma, full stop or colon glued to the next word
  (one before it moves after it: « ,что» → «, что»), in Markdown bodies only (in YAML a
  colon and a space make a key), never inside a link, a citation or markup;
- ``quotes``: straight quotes, in pairs on a line of a Markdown body, become the paper's
  language's quotation marks (``quotes`` in its locale file, ``styles/locales/<lang>.yaml``;
  the inner pair inside « »).

Only lines the checker flagged with a requested code are touched, and only files
inside the sources folder. :func:`plan` changes nothing on disk; :func:`apply` writes
each changed file atomically.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from proceedings.check import check_sources
from proceedings.check.base import all_units
from proceedings.check.forms import glued_year_re
from proceedings.check.sentences import GLUED_COMMA_RE, GLUED_STOP_RE
from proceedings.check.spelling import languages
from proceedings.check.text import DIGIT_GROUPING, ODD_SPACES, WORD_RE, mixed_script_words
from proceedings.diagnostics import Diagnostics, escaped
from proceedings.files import write_atomic
from proceedings.load import load_sources
from proceedings.messages import msg, translate
from proceedings.model import Sources

FIXABLE = ("mixed-script", "private-use", "odd-space", "glued-year", "punctuation-space", "quotes")
_ZERO_WIDTH = {"\u200b", "\ufeff"}
_PUA_BULLET_RE = re.compile(r"^([ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+)[\ue000-\uf8ff][ \t]*")
_LEAD_RE = re.compile(r"^[ \t]*")
_RUN_RE = re.compile(r"(?<=\S) {2,}(?=\S)")
# path → line → the requested codes the checker reported there
Flagged = dict[str, dict[int, set[str]]]


@dataclass(frozen=True)
class FileFix:
    """One source file before and after its fixes."""

    path: str
    before: str
    after: str

    def changes(self) -> list[str]:
        """Each changed word as ``path:line: old → new (U+0069 → U+0456)``: what an editor
        reads, rather than whole paragraphs. Fixes change lines in place, never their number."""
        found = []
        old_lines, new_lines = self.before.split("\n"), self.after.split("\n")
        for number, (old, new) in enumerate(zip(old_lines, new_lines, strict=True), start=1):
            if old != new:
                found += [f"{self.path}:{number}: {change}" for change in word_changes(old, new)]
        return found


def word_changes(old: str, new: str) -> list[str]:
    """The changed words of a line, each with the characters that changed."""
    spans: list[tuple[int, int, int, int, list[str]]] = []  # old span, new span, the changes
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        gone, added = old[a1:a2], new[b1:b2]
        if len(gone) == len(added):
            codes = [f"U+{ord(x):04X} → U+{ord(y):04X}" for x, y in zip(gone, added, strict=True)]
        else:
            # The only words of the line that are not the text's own: in the run's language.
            codes = [*(translate(msg("U+{code:04X} deleted", code=ord(x))) for x in gone),
                     *(translate(msg("U+{code:04X} added", code=ord(y))) for y in added)]
        # Widen to the words around the change (both lines are alike outside it); a change
        # of spaces takes the words on either side.
        spaces = not (gone + added).strip()
        left = _widen(old, a1, -1, spaces)
        right = _widen(old, a2, 1, spaces)
        start, end = (a1 - left, b1 - left), (a2 + right, b2 + right)
        if spans and start[0] <= spans[-1][1]:
            first = spans.pop()
            spans.append((first[0], end[0], first[2], end[1], first[4] + codes))
        else:
            spans.append((start[0], end[0], start[1], end[1], codes))
    return [f"{escaped(old[a1:a2])} → {escaped(new[b1:b2])} ({', '.join(dict.fromkeys(codes))})"
            for a1, a2, b1, b2, codes in spans]


def _widen(text: str, at: int, step: int, spaces: bool) -> int:
    """How many characters from ``at`` (going by ``step``) belong to the word there; past
    the spaces and to the next word's end when ``spaces``."""
    count = 0

    def char(k: int) -> str:
        index = at + k if step > 0 else at - k - 1
        return text[index] if 0 <= index < len(text) else ""

    if spaces:
        while char(count) and char(count).isspace():
            count += 1
    while char(count) and not char(count).isspace() and count < 40:
        count += 1
    return count


def fix_spaces(line: str, *, body: bool) -> str:
    """``line`` with odd spaces and inner tabs made normal, and inner runs collapsed in a body."""
    lead = _LEAD_RE.match(line)
    start = lead.end() if lead else 0
    head, text = line[:start], line[start:]
    stripped = text.rstrip(" \t\r")
    tail = text[len(stripped) :]
    out = []
    for pos, ch in enumerate(stripped):
        if ch in _ZERO_WIDTH:
            continue
        if ch == "\t":
            out.append(" ")
        elif ch in ODD_SPACES:
            digits = 0 < pos < len(stripped) - 1 and (stripped[pos - 1] + stripped[pos + 1]).isdigit()
            keep = ch == "\u202f" or (ch in DIGIT_GROUPING and digits)
            out.append(ch if keep else " ")
        else:
            out.append(ch)
    fixed = "".join(out)
    if body:
        fixed = _RUN_RE.sub(" ", fixed)
    return head + fixed + tail


def fix_private_use(line: str) -> str:
    """``line`` without a private-use bullet (and its spaces) after a list marker."""
    return _PUA_BULLET_RE.sub(r"\1", line, count=1)


def retype_words(line: str, words: dict[str, str]) -> str:
    """``line`` with each whole word of ``words`` replaced by its retyped form."""
    return WORD_RE.sub(lambda m: words.get(m.group()) or m.group(), line)


def plan(sources_dir: Path, codes: Iterable[str]) -> tuple[list[FileFix], Diagnostics]:
    """The fixes for ``codes``, and the diagnostics of the sources as they are now."""
    wanted = set(codes) & set(FIXABLE)
    sources, diags = load_sources(sources_dir)
    if sources is None:
        return [], diags
    diags.extend(check_sources(sources))
    flagged: Flagged = defaultdict(lambda: defaultdict(set))
    for d in diags:
        if d.code in wanted and d.line > 0:
            flagged[d.path][d.line].add(d.code)
    words = _mixed_words(sources, flagged) if "mixed-script" in wanted else {}
    root = Path(sources_dir).resolve()
    langs = _languages(sources)
    fixes = []
    for path, lines in sorted(flagged.items()):
        target = Path(path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            continue
        before = target.read_bytes().decode("utf-8")  # line endings as they are
        lang = langs.get(path, "")
        # The language's quotes from the book's locales (its own locale files too).
        quotes = sources.locales[lang].quotes if lang in sources.locales else ()
        after = _fix_file(path, before, lines, words, _body_start(sources, path), lang, quotes)
        if after != before:
            fixes.append(FileFix(path, before, after))
    return fixes, diags


def apply(fixes: Iterable[FileFix]) -> None:
    """Write every fixed file, each through a temporary file and a rename."""
    for fix in fixes:
        write_atomic(Path(fix.path), fix.after.encode("utf-8"))


def _mixed_words(sources: Sources, flagged: Flagged) -> dict[tuple[str, int], dict[str, str]]:
    """(path, line) → the words to retype there, from the same text the check read."""
    found: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for unit in all_units(sources):
        for line, text in unit.lines:
            if "mixed-script" in flagged.get(unit.path, {}).get(line, ()):
                found[unit.path, line].update({w: f for w, f in mixed_script_words(text).items() if f})
    return found


# Text a fix must not touch: links and their targets, attributes, citations, code.
_PROTECTED_RE = re.compile(r"\]\([^)]*\)|\{[^{}\n]*\}|`[^`]*`|\[[^\]\n]*\]|(?:https?|ftp|file)://\S+|www\.\S+|\S+@\S+")


def _protected(line: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PROTECTED_RE.finditer(line)]


def _inside(spans: list[tuple[int, int]], at: int) -> bool:
    return any(start <= at < end for start, end in spans)


def fix_glued_year(line: str, lang: str) -> str:
    """``line`` with a no-break space between each year and its abbreviation."""
    pattern = glued_year_re(lang)
    return pattern.sub("\\1\u00a0\\2.", line) if pattern else line


def fix_punctuation_space(line: str) -> str:
    """``line`` with a space after each comma, full stop or colon glued to a word."""
    spans = _protected(line)
    out = line
    found = sorted([*GLUED_COMMA_RE.finditer(line), *GLUED_STOP_RE.finditer(line)], key=lambda m: m.start())
    for match in reversed(found):  # from the end, so that the earlier places stay where they are
        at = match.start()
        if _inside(spans, at):
            continue
        if at > 0 and line[at - 1].isspace() and line[at] in ",;":  # « ,что» → «, что»
            out = out[: at - 1] + line[at] + " " + out[at + 1 :]
        else:
            out = out[: at + 1] + " " + out[at + 1 :]
    return out


def fix_straight_quotes(line: str, quotes: list[str]) -> str:
    """``line`` with its straight quotes, when they pair up, as the language's quotes
    (the inner pair inside « »)."""
    spans = _protected(line)
    places = [k for k, ch in enumerate(line) if ch == '"' and not _inside(spans, k)]
    if not places or len(places) % 2 or len(quotes) < 2:
        return line
    chars = list(line)
    for n, k in enumerate(places):
        depth = line[:k].count(quotes[0]) - line[:k].count(quotes[1])
        pair = quotes[2:4] if depth > 0 and len(quotes) >= 4 else quotes[:2]
        chars[k] = pair[n % 2]
    return "".join(chars)


def _languages(sources: Sources) -> dict[str, str]:
    """The language of each Markdown file."""
    found = {paper.path: paper.lang for paper in sources.papers}
    found.update({resolution.path: resolution.lang for resolution in sources.resolutions})
    return found


def _body_start(sources: Sources, path: str) -> int | None:
    """The first body line of a Markdown file, or None for a YAML file."""
    for paper in sources.papers:
        if paper.path == path:
            return paper.body_line
    for resolution in sources.resolutions:
        if resolution.path == path:
            return resolution.body_line
    return None


def _fix_file(path: str, text: str, flagged: dict[int, set[str]],
              words: dict[tuple[str, int], dict[str, str]], body_line: int | None, lang: str = "",
              quotes: Sequence[str] = ()) -> str:
    lines = text.split("\n")
    # A line's own ending is kept: a file saved with CRLF stays so, and only the words
    # the fix prints change.
    ends = ["\r" if line.endswith("\r") else "" for line in lines]
    lines = [line.removesuffix(end) for line, end in zip(lines, ends, strict=True)]
    for number, codes in sorted(flagged.items()):
        index = number - 1
        if index >= len(lines):
            continue
        in_body = body_line is not None and number >= body_line
        steps: list[Callable[[str], str]] = []
        if "odd-space" in codes:
            steps.append(partial(fix_spaces, body=in_body))
        if "private-use" in codes:
            steps.append(fix_private_use)
        if "mixed-script" in codes and words.get((path, number)):
            steps.append(partial(retype_words, words=words[path, number]))
        if "glued-year" in codes and lang:
            steps.append(partial(fix_glued_year, lang=lang))
        if "punctuation-space" in codes and in_body:
            steps.append(fix_punctuation_space)
        if "quotes" in codes and in_body and lang:
            steps.append(partial(fix_straight_quotes,
                                 quotes=list(quotes) or languages().get(lang, {}).get("quotes", [])))
        span = [index]
        if not in_body and _run(steps, lines[index]) == lines[index]:
            # A YAML value may continue below its key (a block scalar, a long flow): the
            # finding names the key's line, so the fix reads on while the lines are indented.
            span = _continuation(lines, index)
        for k in span:
            lines[k] = _run(steps, lines[k])
    return "\n".join(line + end for line, end in zip(lines, ends, strict=True))


def _run(steps: list[Callable[[str], str]], line: str) -> str:
    for step in steps:
        line = step(line)
    return line


def _continuation(lines: list[str], index: int) -> list[int]:
    indent = len(lines[index]) - len(lines[index].lstrip(" "))
    span = []
    k = index + 1
    while k < len(lines) and lines[k].strip() and len(lines[k]) - len(lines[k].lstrip(" ")) > indent:
        span.append(k)
        k += 1
    return span
