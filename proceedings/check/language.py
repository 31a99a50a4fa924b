"""Paragraphs written in another language than the one their paper (or resolution) declares.

The declared language chooses hyphenation patterns, quotes and labels, so a Russian
paragraph in a Kazakh paper is hyphenated wrongly unless it is marked. The test is a
light one, per paragraph of at least ``MIN_WORDS`` words, after removing
``[…]{lang=xx}`` spans, citations and links:

- Latin against Cyrillic: the share of words in Latin letters;
- Kazakh against Russian: the share of Cyrillic words with a Kazakh-specific letter
  (ә ғ қ ң ө ұ ү һ і; a Latin i typed for і counts too).

Only a clear majority is reported. In the 2024 book Kazakh paragraphs have at least
31 % of such words even when they quote Russian law titles, Russian ones at most 2 %,
and no Kazakh or Russian paragraph is more than 12 % Latin; the thresholds below
leave a wide margin on both sides.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

from proceedings.check.base import Check, Unit, body_units, digest, paper_digest, quote, strip_markup
from proceedings.check.text import URL_RE
from proceedings.diagnostics import Diagnostic, warning
from proceedings.markup import CITATION_RE
from proceedings.messages import Message, language_name, msg
from proceedings.model import Paper, Resolution, Sources

MIN_WORDS = 15
LATIN_MAJORITY = 0.6  # a paragraph this much in Latin letters is not Kazakh or Russian
KAZAKH_BELOW = 0.05  # a "Kazakh" paragraph with fewer Kazakh-letter words reads as Russian
KAZAKH_ABOVE = 0.25  # a "Russian" paragraph with more of them reads as Kazakh
NAMES = {"kk": "Kazakh", "ru": "Russian", "en": "English"}

_SPAN_RE = re.compile(r"\[[^\[\]\n]*\]\{[^{}\n]*\}")
_WORD_RE = re.compile(r"[^\W\d_]+")
_KAZAKH = frozenset("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


@dataclass(frozen=True)
class WordCounts:
    latin: int
    cyrillic: int
    kazakh: int  # Cyrillic words with a Kazakh-specific letter

    @property
    def words(self) -> int:
        return self.latin + self.cyrillic


_CYRILLIC_RE = re.compile("[\u0400-\u052f]")
_KAZAKH_RE = re.compile(f"[{''.join(sorted(_KAZAKH))}]")


@lru_cache(maxsize=1 << 14)
def count_words(text: str) -> WordCounts:
    """Latin, Cyrillic and Kazakh-letter words of a paragraph, spans in other languages removed."""
    text = _SPAN_RE.sub(" ", text)
    text = URL_RE.sub(" ", text)
    text = CITATION_RE.sub(" ", text)
    latin = cyrillic = kazakh = 0
    for word in _WORD_RE.findall(text):
        # Counted with C-level string operations: this runs over every word of the book.
        ascii_letters = len(word.encode("ascii", "ignore"))
        if ascii_letters * 2 > len(word):
            latin += 1
            continue
        if not _CYRILLIC_RE.search(word):
            continue  # another script altogether (Greek, say): no vote
        cyrillic += 1
        if _KAZAKH_RE.search(word) or (ascii_letters and ("i" in word or "I" in word)):
            kazakh += 1
    return WordCounts(latin, cyrillic, kazakh)


def reads_as(counts: WordCounts, declared: str) -> tuple[str, Message] | None:
    """(language, evidence) when a paragraph clearly is not in ``declared``; else None."""
    n = counts.words
    if n < MIN_WORDS:
        return None
    if counts.latin >= LATIN_MAJORITY * n:
        if declared in ("kk", "ru"):
            return "en", msg("{count} of {n} words are in Latin letters", count=counts.latin, n=n)
        return None
    if counts.cyrillic < LATIN_MAJORITY * n:
        return None  # neither script has a clear majority
    share = counts.kazakh / counts.cyrillic
    evidence = msg("{count} of {n} Cyrillic words have a Kazakh letter", count=counts.kazakh,
                   n=counts.cyrillic)
    if declared == "kk" and share < KAZAKH_BELOW:
        return "ru", evidence
    if declared == "ru" and share > KAZAKH_ABOVE:
        return "kk", evidence
    if declared == "en":
        return ("kk" if share > KAZAKH_ABOVE else "ru"), msg("{count} of {n} words are Cyrillic",
                                                             count=counts.cyrillic, n=n)
    return None


def _check_units(path: str, declared: str, units: Sequence[Unit]) -> Iterator[Diagnostic]:
    for unit in units:
        text = " ".join(strip_markup(t) for _, t in unit.lines)
        found = reads_as(count_words(text), declared)
        if found is None:
            continue
        lang, evidence = found
        yield warning(path, unit.lines[0][0], msg(
            "paragraph '{text}' reads as {name} ({evidence}) but lang is {declared}: mark a quotation "
            "as [text]{{lang={lang}}}, or correct lang", text=quote(text, 50),
            name=language_name(lang, NAMES.get(lang, lang)), evidence=evidence, declared=declared,
            lang=lang), "language-mismatch")


def _paper_units(sources: Sources, paper: Paper) -> list[Unit]:
    units = body_units(paper.path, paper.body, paper.body_line)
    if paper.abstract:
        units.insert(0, Unit(paper.path, ((sources.line_of(paper.path, "abstract"), paper.abstract),)))
    return units


def _check_paper(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    yield from _check_units(paper.path, paper.lang, _paper_units(sources, paper))


def _check_resolution(resolution: Resolution) -> Iterator[Diagnostic]:
    units = body_units(resolution.path, resolution.body, resolution.body_line)
    yield from _check_units(resolution.path, resolution.lang, units)


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    found = [Check("language", p.path, partial(_check_paper, sources, p), paper_digest(sources, p))
             for p in sources.papers]
    found += [Check("language", r.path, partial(_check_resolution, r), digest(r))
              for r in sources.resolutions]
    return found
