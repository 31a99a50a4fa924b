"""Paragraphs that repeat, exactly or nearly, within a paper or across papers."""

from __future__ import annotations

import difflib
import hashlib
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, digest, quote, strip_markup
from proceedings.diagnostics import Diagnostic, warning
from proceedings.markup import CITATION_RE
from proceedings.messages import msg

if TYPE_CHECKING:
    from proceedings.model import Sources


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    bodies = [(p.path, p.body, p.body_line) for p in sources.ordered_papers()]
    return [Check("duplicates", sources.root, lambda: _check_duplicate_paragraphs(sources, units),
                  digest(bodies))]


# --- 6. duplicate paragraphs ----------------------------------------------------------

MIN_WORDS = 20
NEAR_RATIO = 0.9
_SHINGLE = 4


def paragraph_words(text: str) -> list[str]:
    """The words of a paragraph for comparison: case folded, markup and digits kept."""
    return [w.casefold() for w in re.findall(r"\w+", text)]


def near_duplicates(
    paragraphs: Iterable[Sequence[str]], ratio: float = NEAR_RATIO
) -> list[tuple[int, int, float]]:
    """Pairs (earlier, later, ratio) of paragraphs that are equal or nearly so; a later
    paragraph is paired with the first paragraph it equals, else with the earliest it
    nearly repeats (not with whichever the shingles' order, which follows the hash seed,
    finds first).

    Candidates are found through shared word shingles, so the cost grows with the text,
    not with the square of the number of paragraphs; only candidates are compared with
    difflib. Memory grows with the text too, but little: a word is kept as a number
    (four bytes), and only shingles that more than one paragraph has are indexed (a
    first pass marks them in a bitmap). Counting every word and indexing every shingle
    of 200,000 paragraphs of random words took 2.5 GB.
    """
    vocabulary: dict[str, int] = {}
    coded: list[array[int] | None] = [
        array("I", [vocabulary.setdefault(w, len(vocabulary)) for w in words])
        if len(words) >= MIN_WORDS else None
        for words in paragraphs
    ]
    del vocabulary
    repeated = _repeated_shingles(coded)
    index: dict[int, list[int]] = {}
    exact: dict[bytes, int] = {}
    found: list[tuple[int, int, float]] = []
    for k, ids in enumerate(coded):
        if ids is None:
            continue
        key = hashlib.blake2b(ids, digest_size=16).digest()
        if key in exact:
            found.append((exact[key], k, 1.0))
            continue
        exact[key] = k
        shingles = _shingles(ids)
        postings = [index.setdefault(s, []) for s in shingles if repeated.has(s)]
        shared = Counter(chain.from_iterable(postings))  # earlier paragraph → shingles in common
        for posting in postings:
            posting.append(k)
        # A 0.9 match shares most shingles; a quarter is a safe lower bound to compare.
        need = max(2, len(shingles) // 4)
        counts, distinct = Counter(ids), set(ids)
        for other in sorted(o for o, count in shared.items() if count >= need):
            a, b = coded[other], ids
            assert a is not None
            if min(len(a), len(b)) / max(len(a), len(b)) < ratio:
                continue
            # difflib's quick_ratio is the words both have, counted. At most the distinct
            # words both have plus the repeats of the paragraph with fewer: a bound made
            # of sets, which stops most candidates before counting.
            other_distinct = set(a)
            bound = len(other_distinct & distinct) + min(len(a) - len(other_distinct), len(b) - len(distinct))
            if 2 * bound / (len(a) + len(b)) < ratio:
                continue
            common = sum((Counter(a) & counts).values())
            if 2 * common / (len(a) + len(b)) < ratio:
                continue
            r = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
            if r >= ratio:
                found.append((other, k, r))
                break
    return found


def _shingles(ids: array[int]) -> set[int]:
    """Each run of _SHINGLE words of a paragraph, by its hash (the hash of numbers is the
    same in every process)."""
    return {hash(run) for run in zip(*(ids[j:] for j in range(_SHINGLE)), strict=False)}


class _Bitmap:
    """A set of numbers that may say yes wrongly, rarely, and never says no wrongly."""

    def __init__(self, items: int) -> None:
        self.bits = max(1 << 16, 1 << (16 * max(1, items)).bit_length())
        self.data = bytearray(self.bits // 8)

    def add(self, value: int) -> bool:
        """Add ``value``; whether it (or one that shares its bit) was there already."""
        bit = value % self.bits
        byte, mask = bit >> 3, 1 << (bit & 7)
        there = bool(self.data[byte] & mask)
        self.data[byte] |= mask
        return there

    def has(self, value: int) -> bool:
        bit = value % self.bits
        return bool(self.data[bit >> 3] & (1 << (bit & 7)))


def _repeated_shingles(coded: Sequence[array[int] | None]) -> _Bitmap:
    """The shingles more than one paragraph has (and a few others, which only cost an
    entry in the index)."""
    words = sum(len(ids) for ids in coded if ids is not None)
    seen, repeated = _Bitmap(words), _Bitmap(words)
    for ids in coded:
        if ids is not None:
            for shingle in _shingles(ids):
                if seen.add(shingle):
                    repeated.add(shingle)
    return repeated


def _check_duplicate_paragraphs(sources: Sources, units: Sequence[Unit]) -> Iterator[Diagnostic]:
    # The body paragraphs of the papers, in their order: the units the checks share (a
    # copy of every paragraph made here took as much memory as the sources).
    papers = {paper.path for paper in sources.papers}
    body = [u for u in units if u.body and u.path in papers]
    words = (paragraph_words(" ".join(strip_markup(t) for _, t in u.lines)) for u in body)
    pairs = list(near_duplicates(words))  # few: the paragraphs that repeat
    yield from _repeated_sentences(body, {later for _, later, _ in pairs})
    yield from _same_openings(sources, body)
    for first, later, ratio in pairs:
        original, copy = body[first], body[later]
        where = f"{original.path}:{original.lines[0][0]}"
        if ratio == 1.0:
            text = msg("paragraph '{text}' repeats the paragraph at {where}: delete one or rewrite it",
                       text=quote(copy.text, 50), where=where)
        else:
            text = msg("paragraph '{text}' nearly repeats (similarity {ratio:.2f}) the paragraph at {where}: "
                       "delete one or rewrite it", text=quote(copy.text, 50), ratio=ratio,
                       where=where)
        yield warning(copy.path, copy.lines[0][0], text, "duplicate-paragraph")


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
    # (path, the words' hash) → (unit, line): the hash, not the words, so that a book's
    # every sentence is not held twice over.
    seen: dict[tuple[str, int], tuple[int, int]] = {}
    for k, unit in enumerate(units):
        if k in skipped:
            continue
        for line, sentence in _sentences(unit):
            words = tuple(paragraph_words(sentence))
            if len(words) < SENTENCE_WORDS:
                continue
            key = (unit.path, hash(words))
            if key not in seen:
                seen[key] = (k, line)
                continue
            first, first_line = seen[key]
            if first == k and first_line == line:
                continue
            if first == k - 1:
                text = msg("the sentence '{text}' repeats the one in the paragraph before (line {line}): "
                           "delete one", text=quote(sentence, 50), line=first_line)
            else:
                text = msg("the sentence '{text}' repeats the one in line {line}: delete one",
                           text=quote(sentence, 50), line=first_line)
            yield warning(unit.path, line, text, "repeated-sentence")


def _same_openings(sources: Sources, body: Sequence[Unit]) -> Iterator[Diagnostic]:
    """Two papers whose bodies open with the same passage: one was pasted from the other."""
    openings: dict[tuple[str, ...], str] = {}
    first_units: dict[str, Unit] = {}
    for unit in body:
        first_units.setdefault(unit.path, unit)
    for paper in sources.ordered_papers():
        units = [first_units[paper.path]] if paper.path in first_units else []
        if not units:
            continue
        text = CITATION_RE.sub(" ", " ".join(strip_markup(t) for _, t in units[0].lines))
        words = tuple(w.casefold() for w in re.findall(r"[^\W\d_]+", text))[:OPENING_WORDS]
        if len(words) < OPENING_WORDS:
            continue
        if words in openings:
            yield warning(paper.path, units[0].lines[0][0], msg(
                "the paper opens with the same {n} words as {other} ('{text}'): one of them was pasted "
                "from the other; rewrite it", n=OPENING_WORDS, other=openings[words],
                text=quote(units[0].text, 50)), "same-opening")
        else:
            openings[words] = paper.path
