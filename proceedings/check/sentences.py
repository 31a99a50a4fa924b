"""Sentences: punctuation without its space, a sentence begun in lowercase, a word said twice.

The text read is the spelling check's (``spelling.texts``): papers' titles, abstracts,
keywords and bodies, the resolutions and the programme's titles, without links,
citations or markup. What a full stop may end inside a sentence (``т.е.``, ``табл.``) is
each language's data (``abbreviations`` in the ``checker:`` section of its locale file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, strip_markup
from proceedings.check.spelling import Text, clean, languages, texts
from proceedings.diagnostics import Diagnostic, warning
from proceedings.load import display_path
from proceedings.messages import msg

if TYPE_CHECKING:
    from proceedings.model import Sources


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [Check("sentences", display_path(Path(sources.root)), partial(_check_book, sources))]


_LETTER = r"[^\W\d_]"
_CYRILLIC = "\u0400-\u052f"
# A comma, semicolon or colon between two letters; one after a space and before a letter.
GLUED_COMMA_RE = re.compile(rf"(?<={_LETTER})[,;:](?={_LETTER})|(?<=\s)[,;](?={_LETTER})")
# A full stop between two words of Cyrillic letters, or before a capital; a stop, comma
# or colon right after a per cent sign or a question or exclamation mark before a letter.
GLUED_STOP_RE = re.compile(
    rf"(?<=[{_CYRILLIC}]{{3}})\.(?=[{_CYRILLIC}]{{2}})|(?<={_LETTER}{{3}})\.(?=[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]{_LETTER})"
    rf"|(?<=%)[.,;:](?={_LETTER})|(?<={_LETTER})[!?](?={_LETTER})"
)
# A word of four letters or more, a full stop, and a word in lowercase.
_LOWER_START_RE = re.compile(rf"({_LETTER}{{4,}})\.\s+([a-zа-яёәғқңөұүһі]{_LETTER}*)")
# A word said twice in a row, or three times with commas between («фишинг, фишинг,
# фишинг»): twice with a comma is an enumeration as often as not («этики и права, права
# детей»).
_REPEATED_RE = re.compile(
    rf"(?<!{_LETTER})({_LETTER}{{2,}})(?:\s+\1(?!{_LETTER})|(?:\s*,\s*\1(?!{_LETTER})){{2,}})", re.IGNORECASE)


def _around(text: str, start: int, end: int, width: int = 20) -> str:
    left = text[max(0, start - width) : start].lstrip()
    right = text[end : end + width].rstrip()
    return " ".join(f"{left}{text[start:end]}{right}".split())


def _check_book(sources: Sources) -> Iterator[Diagnostic]:
    for text in texts(sources):
        abbreviations = {a.casefold() for a in languages().get(text.lang, {}).get("abbreviations", [])}
        for unit in text.units:
            yield from _check_unit(text, unit, abbreviations)


def _check_unit(text: Text, unit: Unit, abbreviations: set[str]) -> Iterator[Diagnostic]:
    for line, raw in unit.lines:
        plain = clean(strip_markup(raw))
        glued = [m for rule in (GLUED_COMMA_RE, GLUED_STOP_RE) for m in rule.finditer(plain)]
        if glued:
            shown = ", ".join(f"'{_around(plain, m.start(), m.end(), 12)}'"
                              for m in sorted(glued, key=lambda m: m.start()))
            yield warning(unit.path, line, msg("no space after the punctuation in {shown}: add one",
                                               shown=shown), "punctuation-space")
        for match in _LOWER_START_RE.finditer(plain):
            if match[1].casefold() in abbreviations:
                continue
            yield warning(unit.path, line, msg(
                "a sentence starts in lowercase: '{shown}': capitalise '{word}', or, if the full stop "
                "is not the sentence's end, delete it",
                shown=_around(plain, match.start(2) - 2, match.end(2)), word=match[2]), "sentence-case")
        for match in _REPEATED_RE.finditer(plain):
            yield warning(unit.path, line, msg(
                "'{word}' is repeated: '{shown}': delete the repetition", word=match[1],
                shown=_around(plain, match.start(), match.end(), 10)), "repeated-word")
