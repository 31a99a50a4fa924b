"""Citations, reference lists and footnotes: does the apparatus of each paper hold up?

The form of each citation (comma, locator, a Latin ``c`` for ``с``), one locator style
per paper, references that are never cited, unnumbered, out of order or repeated,
and footnote calls or printed marks without a footnote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, digest, quote
from proceedings.diagnostics import Diagnostic, warning
from proceedings.markup import CITATION_RE
from proceedings.messages import listing, msg, msg_n

if TYPE_CHECKING:
    from proceedings.model import Paper, Sources


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    found = []
    for paper in sources.papers:
        own = digest(paper)  # these read the paper only
        found += [
            Check("citation-form", paper.path, partial(_check_citation_form, paper), own),
            Check("reference-list", paper.path, partial(_check_reference_list, paper), own),
            Check("citation-order", paper.path, partial(_check_citation_order, paper), own),
            Check("footnotes", paper.path, partial(_check_footnotes, paper), own),
        ]
    return found


# --- 4. citations --------------------------------------------------------------------

_PART_RE = re.compile(r"^\s*(\d{1,4})(?:\s*[-–]\s*\d{1,4})?\s*(,?)\s*(.*?)\s*$", re.DOTALL)
_LABEL_RE = re.compile(r"[^\W\d_]+\.?")
_LOCATOR_WORDS = {
    "с",
    "c",
    "б",
    "бет",
    "бб",
    "p",
    "pp",
    "s",
    "стр",
    "page",
    "pages",
    "л",
    "т",
    "v",
    "vol",
}


@dataclass(frozen=True)
class CitedPart:
    """One ``;``-separated part of a citation: a number and what follows it."""

    number: int
    comma: bool
    rest: str


def parse_citation(inner: str) -> list[CitedPart]:
    """The parts of a citation's inner text: ``5 с. 119; 6, б. 2`` → two parts."""
    parts = []
    for piece in inner.split(";"):
        match = _PART_RE.match(piece)
        if match:
            parts.append(CitedPart(int(match[1]), bool(match[2]), match[3]))
    return parts


def locator_style(rest: str) -> str | None:
    """How a locator is spelled, with the page number as N: ``22-бет`` → ``N-бет``."""
    label = _LABEL_RE.search(rest)
    if label is None:
        return None
    word = label.group()
    if word.rstrip(".").lower() not in _LOCATOR_WORDS:
        return None
    before = rest[: label.start()]
    if re.search(r"\d", before):
        joiner = "-" if before.rstrip().endswith(("-", "–")) else " "
        return f"N{joiner}{word}"
    return f"{word} N"


def _citations(paper: Paper) -> Iterator[tuple[int, str, list[CitedPart]]]:
    for offset, text in enumerate(paper.body.split("\n")):
        for match in CITATION_RE.finditer(text):
            yield paper.body_line + offset, match[0], parse_citation(match[1])


# A full stop after the last number inside the brackets: «[3.]», «[12, с. 22.]». One after
# a word is an abbreviation's («[1, 238 б.]»).
_TRAILING_STOP_RE = re.compile(r"\d\s*[.;,]\s*\]$")


def _check_citation_form(paper: Paper) -> Iterator[Diagnostic]:
    latin_ok = paper.lang not in {"ru", "kk"}
    styles: dict[str, tuple[int, str]] = {}
    for line, raw, parts in _citations(paper):
        if _TRAILING_STOP_RE.search(raw) and not raw.rstrip("]").rstrip().endswith(","):
            fixed = re.sub(r"\s*[.;]\s*\]$", "]", raw)
            yield warning(paper.path, line, msg(
                "citation {citation} ends with '{mark}' inside the brackets: write {fixed} (a full "
                "stop that ends the sentence goes after the bracket)", citation=raw,
                mark=raw.rstrip("]").rstrip()[-1], fixed=fixed), "citation-punctuation")
        for part in parts:
            rest = part.rest.strip()
            if not rest or rest == ".":
                if part.comma:
                    yield warning(paper.path, line, msg(
                        "citation {citation} has a comma but no page after it: give the page or "
                        "delete the comma", citation=raw), "citation-empty-locator")
                continue
            style = locator_style(rest)
            if style is None:
                continue
            if not re.search(r"\d", rest):
                yield warning(paper.path, line, msg(
                    "citation {citation} has the locator '{locator}' with no page number: add the "
                    "page or delete the locator", citation=raw, locator=rest), "citation-empty-locator")
                continue
            if not part.comma:
                yield warning(paper.path, line, msg(
                    "citation {citation} lacks the comma after the reference number: write "
                    "[{number}, {locator}]", citation=raw, number=part.number, locator=rest),
                    "citation-missing-comma")
            if style.replace("N", "").strip(" -.") == "c" and not latin_ok:
                yield warning(paper.path, line, msg(
                    "citation {citation} abbreviates the page with a Latin 'c': use the Cyrillic "
                    "'с'", citation=raw), "citation-latin-c")
                style = style.replace("c", "с")
            styles.setdefault(style, (line, raw))
    if len(styles) > 1:
        first_line = min(line for line, _ in styles.values())
        listed = listing(msg("'{form}' ({citation}, line {line})", form=s, citation=raw, line=line)
                         for s, (line, raw) in styles.items())
        yield warning(paper.path, first_line, msg(
            "the page locator is written {n} ways: {listed}; use one form throughout",
            n=len(styles), listed=listed), "citation-locator-style")


def _normalise_reference(text: str) -> str:
    text = re.sub(r"^\s*\d+\s*[.)]?\s*", "", text)
    return " ".join(text.casefold().split()).rstrip(" .")


def _check_reference_list(paper: Paper) -> Iterator[Diagnostic]:
    refs = paper.references
    if not refs:
        return
    first_cited: dict[int, tuple[int, str]] = {}
    for citation in paper.citations:
        for n in citation.numbers:
            first_cited.setdefault(n, (citation.line, citation.raw))
    for ref in refs:
        if ref.number is None:
            yield warning(paper.path, ref.line, msg(
                "reference '{text}' has no number, so the text cannot cite it: number it or "
                "delete it", text=quote(ref.text, 50)), "uncited-reference")
        elif ref.number not in first_cited:
            yield warning(paper.path, ref.line, msg(
                "reference {number} '{text}' is never cited in the text: cite it or delete it",
                number=ref.number, text=quote(ref.text, 50)), "uncited-reference")
    # Numbering: 1, 2, 3 … in list order.
    expected = 1
    for ref in refs:
        if ref.number is None:
            continue
        if ref.number != expected:
            if expected == 1:
                text = msg("reference numbering does not start at 1: entry '{text}' is numbered {number}; "
                           "renumber the list 1, 2, 3 …", text=quote(ref.text, 40), number=ref.number)
            else:
                text = msg("reference numbering should be {expected} here: entry '{text}' is numbered "
                           "{number}; renumber the list 1, 2, 3 …", expected=expected,
                           text=quote(ref.text, 40), number=ref.number)
            yield warning(paper.path, ref.line, text, "reference-order")
        expected = ref.number + 1
    # Order of first citation: each newly cited number should be above all earlier ones.
    highest = 0
    highest_raw = ""
    for n, (line, raw) in first_cited.items():
        if n < highest:
            yield warning(paper.path, line, msg(
                "reference {n} is first cited by {citation}, after reference {highest} ({earlier}): "
                "number the list in the order of first citation", n=n, citation=raw, highest=highest,
                earlier=highest_raw), "reference-order")
        elif n > highest:
            highest, highest_raw = n, raw
    seen: dict[str, int | None] = {}
    for ref in refs:
        key = _normalise_reference(ref.text)
        if key in seen:
            yield warning(paper.path, ref.line, msg(
                "reference {number} '{text}' repeats reference {other}: keep one entry and cite it",
                number=str(ref.number), text=quote(ref.text, 50), other=str(seen[key])),
                "duplicate-reference")
        else:
            seen[key] = ref.number




def _check_citation_order(paper: Paper) -> Iterator[Diagnostic]:
    """Without a reference list, the citations still have an order: the first is [1], each
    new number is the next one, and none is skipped."""
    if paper.references or not paper.citations:
        return  # with a list, _check_reference_list compares the two
    first_cited: dict[int, tuple[int, str]] = {}
    for citation in paper.citations:
        for n in citation.numbers:
            first_cited.setdefault(n, (citation.line, citation.raw))
    (first, (line, raw)), *_ = first_cited.items()
    if first != 1:
        yield warning(paper.path, line, msg(
            "the first citation, {citation}, cites reference {first}, not 1: number the references "
            "in the order the text first cites them", citation=raw, first=first), "citation-order")
    highest, highest_raw = 0, ""
    for n, (line, raw) in first_cited.items():
        if n < highest:
            yield warning(paper.path, line, msg(
                "reference {n} is first cited by {citation}, after reference {highest} ({earlier}): "
                "number the references in the order the text first cites them", n=n, citation=raw,
                highest=highest, earlier=highest_raw), "citation-order")
        elif n > highest:
            highest, highest_raw = n, raw
    skipped = [n for n in range(1, highest) if n not in first_cited]
    if skipped:
        line, raw = first_cited[highest]
        listed = ", ".join(str(n) for n in skipped)
        yield warning(paper.path, line, msg_n(
            "reference {listed} is never cited, though {citation} cites {highest}: a citation or a "
            "reference is missing, or the numbering skips",
            "references {listed} are never cited, though {citation} cites {highest}: a citation or "
            "a reference is missing, or the numbering skips",
            len(skipped), listed=listed, citation=raw, highest=highest), "citation-gap")


# --- 7. footnotes -----------------------------------------------------------

_UNITS = {"км", "см", "мм", "кв", "куб", "млн", "млрд", "тыс", "шаршы"}
# A printed footnote mark that lost its footnote: a Cyrillic word with one digit glued
# to its end (``трапинг3``). Units with exponents (``км2``) are excluded below.
_ORPHAN_RE = re.compile(r"(?<![\w-])([а-яёәіңғүұқөһ]{4,})(\d)(?![\w.,]\d|\w)")


def _check_footnotes(paper: Paper) -> Iterator[Diagnostic]:
    lines = paper.body.split("\n")
    defined = {m[1] for text in lines for m in re.finditer(r"^\[\^([^\]\s]+)\]:", text)}
    for offset, text in enumerate(lines):
        line = paper.body_line + offset
        for match in re.finditer(r"\[\^([^\]\s]+)\](?!:)", text):
            if match[1] not in defined:
                yield warning(paper.path, line, msg(
                    "footnote call [^{mark}] has no footnote text: add a line '[^{mark}]: …' or "
                    "delete the call", mark=match[1]), "footnote-orphan")
        for match in _ORPHAN_RE.finditer(text):
            if match[1] in _UNITS:
                continue
            word = text[match.start() : match.end()]
            yield warning(paper.path, line, msg(
                "'{word}' looks like a footnote mark printed as a digit, with no footnote: add the "
                "footnote as '{stem}[^{digit}]' with its text, or delete the '{digit}'", word=word,
                stem=word[:-1], digit=match[2]), "footnote-orphan")
