"""Paragraphs that repeat, exactly or nearly, within a paper or across papers."""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, body_units, digest, quote, strip_markup
from proceedings.diagnostics import Diagnostic, warning
from proceedings.markup import CITATION_RE

if TYPE_CHECKING:
    from proceedings.model import Sources


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    bodies = [(p.path, p.body, p.body_line) for p in sources.ordered_papers()]
    return [Check("duplicates", sources.root, lambda: _check_duplicate_paragraphs(sources), digest(bodies))]


# --- 6. duplicate paragraphs ----------------------------------------------------------

MIN_WORDS = 20
NEAR_RATIO = 0.9
_SHINGLE = 4


def paragraph_words(text: str) -> list[str]:
    """The words of a paragraph for comparison: case folded, markup and digits kept."""
    return [w.casefold() for w in re.findall(r"\w+", text)]


def near_duplicates(paragraphs: list[list[str]], ratio: float = NEAR_RATIO) -> list[tuple[int, int, float]]:
    """Pairs (earlier, later, ratio) of paragraphs that are equal or nearly so; a later
    paragraph is paired with the first paragraph it equals, else with the earliest it
    nearly repeats (not with whichever the shingles' order, which follows the hash seed,
    finds first).

    Candidates are found through shared word shingles, so the cost grows with the text,
    not with the square of the number of paragraphs; only candidates are compared with
    difflib.
    """
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    exact: dict[tuple[str, ...], int] = {}
    counts: dict[int, Counter[str]] = {}  # paragraph → its words, counted
    distinct: dict[int, set[str]] = {}  # paragraph → its words, once each
    found: list[tuple[int, int, float]] = []
    for k, words in enumerate(paragraphs):
        if len(words) < MIN_WORDS:
            continue
        key = tuple(words)
        if key in exact:
            found.append((exact[key], k, 1.0))
            continue
        exact[key] = k
        counts[k] = Counter(words)
        distinct[k] = set(words)
        # Each run of _SHINGLE words: the shorter slices end it.
        shingles = set(zip(*(words[j:] for j in range(_SHINGLE)), strict=False))
        postings = [index[shingle] for shingle in shingles]
        shared = Counter(chain.from_iterable(postings))  # earlier paragraph → shingles in common
        for posting in postings:
            posting.append(k)
        # A 0.9 match shares most shingles; a quarter is a safe lower bound to compare.
        need = max(2, len(shingles) // 4)
        for other in sorted(o for o, count in shared.items() if count >= need):
            a, b = paragraphs[other], words
            if min(len(a), len(b)) / max(len(a), len(b)) < ratio:
                continue
            # difflib's quick_ratio is the words both have, counted. At most the distinct
            # words both have plus the repeats of the paragraph with fewer: a bound made
            # of sets, which stops most candidates before counting.
            bound = len(distinct[other] & distinct[k]) + min(len(a) - len(distinct[other]),
                                                              len(b) - len(distinct[k]))
            if 2 * bound / (len(a) + len(b)) < ratio:
                continue
            common = sum((counts[other] & counts[k]).values())
            if 2 * common / (len(a) + len(b)) < ratio:
                continue
            r = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
            if r >= ratio:
                found.append((other, k, r))
                break
    return found


def _check_duplicate_paragraphs(sources: Sources) -> Iterator[Diagnostic]:
    units: list[Unit] = []
    for paper in sources.ordered_papers():
        units += body_units(paper.path, paper.body, paper.body_line)
    words = [paragraph_words(" ".join(strip_markup(t) for _, t in u.lines)) for u in units]
    pairs = near_duplicates(words)
    yield from _repeated_sentences(units, {later for _, later, _ in pairs})
    yield from _same_openings(sources)
    for first, later, ratio in pairs:
        original, copy = units[first], units[later]
        where = f"{original.path}:{original.lines[0][0]}"
        how = "repeats" if ratio == 1.0 else f"nearly repeats (similarity {ratio:.2f})"
        yield warning(
            copy.path,
            copy.lines[0][0],
            f"paragraph '{quote(copy.text, 50)}' {how} the paragraph at {where}: delete one or rewrite it",
            "duplicate-paragraph",
        )


# --- repeated sentences and openings ----------------------------------------------------

SENTENCE_WORDS = 8  # a sentence this long said twice in a paper is a slip, not a formula
OPENING_WORDS = 15  # two papers that open with this many words alike share a passage
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…])\s+(?=[^\W\d_«\"(])")


def _sentences(unit: Unit) -> list[tuple[int, str]]:
    """The sentences of a paragraph, each with the line it starts on."""
    found: list[tuple[int, str]] = []
    for line, text in unit.lines:
        for piece in _SENTENCE_END_RE.split(strip_markup(text)):
            if found and not re.search(r"[.!?…]\s*$", found[-1][1]):
                found[-1] = (found[-1][0], f"{found[-1][1]} {piece}")  # a sentence over two lines
            else:
                found.append((line, piece))
    return found


def _repeated_sentences(units: list[Unit], skipped: set[int]) -> Iterator[Diagnostic]:
    """A sentence of a paper said again in it: most often at the start of the next
    paragraph, where a pasted block overlaps the one before. Paragraphs that repeat whole
    (``duplicate-paragraph``) are left to that finding."""
    seen: dict[tuple[str, tuple[str, ...]], tuple[int, int]] = {}  # (path, words) → (unit, line)
    for k, unit in enumerate(units):
        if k in skipped:
            continue
        for line, sentence in _sentences(unit):
            words = tuple(paragraph_words(sentence))
            if len(words) < SENTENCE_WORDS:
                continue
            key = (unit.path, words)
            if key not in seen:
                seen[key] = (k, line)
                continue
            first, first_line = seen[key]
            if first == k and first_line == line:
                continue
            where = f"the paragraph before (line {first_line})" if first == k - 1 else f"line {first_line}"
            yield warning(
                unit.path,
                line,
                f"the sentence '{quote(sentence, 50)}' repeats the one in {where}: delete one",
                "repeated-sentence",
            )


def _same_openings(sources: Sources) -> Iterator[Diagnostic]:
    """Two papers whose bodies open with the same passage: one was pasted from the other."""
    openings: dict[tuple[str, ...], str] = {}
    for paper in sources.ordered_papers():
        units = body_units(paper.path, paper.body, paper.body_line)
        if not units:
            continue
        text = CITATION_RE.sub(" ", " ".join(strip_markup(t) for _, t in units[0].lines))
        words = tuple(w.casefold() for w in re.findall(r"[^\W\d_]+", text))[:OPENING_WORDS]
        if len(words) < OPENING_WORDS:
            continue
        if words in openings:
            yield warning(
                paper.path,
                units[0].lines[0][0],
                f"the paper opens with the same {OPENING_WORDS} words as {openings[words]} "
                f"('{quote(units[0].text, 50)}'): one of them was pasted from the other; rewrite it",
                "same-opening",
            )
        else:
            openings[words] = paper.path
