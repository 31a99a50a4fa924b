"""Another language inside a paragraph: a phrase in it, and Latin typed in Cyrillic look-alikes.

- A Russian phrase inside a Kazakh paragraph (or a Kazakh one inside a Russian paragraph)
  is hyphenated with the paragraph's patterns unless it is marked ``[…]{lang=ru}``.
  A phrase is a run of ``PHRASE_WORDS`` words or more, each of which the other language's
  dictionary lists and the paragraph's does not (``spelling.Dictionaries``): without the
  dictionaries this part says nothing (the spelling check names them).
- Roman numerals typed in Cyrillic letters («ХХІ ғ.»), and an abbreviation typed in
  Cyrillic look-alikes that the same paper also writes in Latin («ІТ» beside «IT»): they
  print alike but search, sort and hyphenate as other words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit
from proceedings.check.spelling import Dictionaries, Text, clean, dictionaries_for, languages, texts
from proceedings.check.text import CYRILLIC_TO_LATIN
from proceedings.diagnostics import Diagnostic, warning
from proceedings.load import display_path
from proceedings.messages import language_name, msg

if TYPE_CHECKING:
    from proceedings.model import Sources

PHRASE_WORDS = 4
# Marked spans are in their own language already: left out before looking.
_SPAN_RE = re.compile(r"\[[^\[\]\n]*\]\{[^{}\n]*\}")
_WORD_RE = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\S")
_ROMAN_RE = re.compile(r"^M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$")
_CYRILLIC_CAPS_RE = re.compile(r"(?<![^\W\d_])[\u0400-\u042f\u0406]{2,6}(?![^\W\d_])")
_LATIN_CAPS_RE = re.compile(r"(?<![^\W\d_])[A-Z]{2,6}(?![^\W\d_])")


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [Check("foreign", display_path(Path(sources.root)), partial(_check_book, sources))]


def _check_book(sources: Sources) -> Iterator[Diagnostic]:
    found = texts(sources)
    langs = tuple(dict.fromkeys([*sources.book.languages, *(t.lang for t in found)]))
    dictionaries = dictionaries_for(langs)
    for text in found:
        latin = {m.group() for unit in text.units for _, line in unit.lines
                 for m in _LATIN_CAPS_RE.finditer(line)}
        for unit in text.units:
            yield from _lookalikes(unit, latin)
            if unit.body:
                yield from _phrases(text, unit, dictionaries)


def _lookalikes(unit: Unit, latin: set[str]) -> Iterator[Diagnostic]:
    for line, raw in unit.lines:
        for match in _CYRILLIC_CAPS_RE.finditer(clean(raw)):
            word = match.group()
            retyped = "".join(CYRILLIC_TO_LATIN.get(ch, "?") for ch in word)
            if "?" in retyped:
                continue
            codes = " ".join(f"U+{ord(ch):04X}" for ch in word)
            if _ROMAN_RE.match(retyped):
                text = msg("'{word}' ({codes}) is a Roman numeral typed in Cyrillic letters: retype it as "
                           "'{retyped}'", word=word, codes=codes, retyped=retyped)
            elif retyped in latin:
                text = msg("'{word}' ({codes}) is typed in Cyrillic look-alikes of '{retyped}', which the "
                           "paper also writes in Latin letters: retype it as '{retyped}'", word=word,
                           codes=codes, retyped=retyped)
            else:
                continue
            yield warning(unit.path, line, text, "cyrillic-lookalike")


def _phrases(text: Text, unit: Unit, dictionaries: Dictionaries) -> Iterator[Diagnostic]:
    other = {"kk": "ru", "ru": "kk"}.get(text.lang)
    if other is None or text.lang not in dictionaries.checkers or other not in dictionaries.checkers:
        return
    found: list[tuple[int, list[str]]] = []
    total = 0
    for line, raw in unit.lines:
        tokens = _WORD_RE.findall(clean(_SPAN_RE.sub(" ", raw)))
        total += sum(1 for t in tokens if t[0].isalpha())
        run: list[str] = []
        count = 0  # the words in the run that only the other language has
        for token in [*tokens, "."]:
            kind = _kind(token, other, text.lang, dictionaries)
            if kind == "other":
                run.append(token)
                count += 1
                continue
            if kind == "both" and run:
                run.append(token)  # a word both have («кодекс», «и») does not end a phrase
                continue
            if count >= PHRASE_WORDS:
                while run and _kind(run[-1], other, text.lang, dictionaries) != "other":
                    run.pop()
                found.append((line, run))
            run, count = [], 0
    # A paragraph mostly in the other language is the language check's (language-mismatch):
    # phrases are a part of a paragraph, less than half of its words.
    if 2 * sum(len(run) for _, run in found) >= total:
        return
    name = language_name(other, languages()[other]["name"])
    for line, run in found:
        phrase = " ".join(run).replace(" ,", ",")
        yield warning(unit.path, line, msg(
            "'{phrase}' reads as {name} inside a {language} paragraph: mark it "
            "[{phrase}]{{lang={code}}}, so that it is hyphenated as {name}", phrase=phrase, name=name,
            language=language_name(text.lang, languages()[text.lang]["name"]), code=other), "foreign-phrase")


_KAZAKH_LETTERS = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


_PUNCTUATION = frozenset({",", "«", "»", "–", '"'})


def _kind(token: str, other: str, own: str, dictionaries: Dictionaries) -> str:
    """'other' for a word only the other language has, 'both' for one either may have
    (or a comma, a dash, quotes), '' for anything else."""
    if token in _PUNCTUATION:
        return "both"
    if not token.replace("-", "").isalpha():
        return ""
    word = token.casefold()
    if len(word) <= 3:
        return "both"
    if other == "ru" and not _KAZAKH_LETTERS.isdisjoint(word):
        return ""  # a Kazakh letter: not a Russian word
    if not dictionaries.plain(other, word):
        return ""
    return "both" if dictionaries.plain(own, word) else "other"
