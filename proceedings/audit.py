"""The layout audit: what a press would find wrong on the laid-out pages, as findings.

TeX tells its user of every overfull and underfull box; WeasyPrint tells nothing. Each
part's lines are measured from WeasyPrint's boxes as it is laid out (``layout.measure``,
cached with the part); here they are judged once the parts have their pages in the
book, so that rectos, versos and facing pages are known. The same thresholds give the
paragraph figures of the book (``Figures``), which ``pdfaudit`` computes for any PDF.

Every code, its severity and its threshold are in ``CODES`` (and in docs/layout-audit.md).
Layout findings never fail ``--strict`` unless book.yaml sets ``strict_layout: true``.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proceedings.diagnostics import LAYOUT, Diagnostic, Severity
from proceedings.layout import measure as m
from proceedings.layout.records import MeasuredPart
from proceedings.load import display_path
from proceedings.messages import Message, msg, msg_n
from proceedings.model import Sources

# Thresholds (the measures of docs/layout-audit.md and /issue figures).
FULL_WIDTH = 0.85  # of the measure: a full-width line, counted in the figures
FULL_CHARS = 30  # and longer than this many characters
LOOSE_WIDTH = 0.97  # of the measure, with LOOSE_WORDS words or more: a line whose gaps count
LOOSE_WORDS = 4
ALONE_WIDTH = 0.5  # of the measure: a word alone on a line shorter than this is a short one
LOOSE_EM = 0.5  # mean word gap above this (a normal space is 0.25 em): loose
VERY_LOOSE_EM = 0.75  # and above this: very loose
MAX_RUN = 2  # consecutive hyphenated lines allowed
WARN_RUN = 4  # a run this long is a warning, a shorter one a note
BEFORE_HYPHEN = 2  # letters at least before a hyphen at a line end
AFTER_HYPHEN = 3  # and carried over to the next line
EMPTY_PART = 1 / 3  # of the text block left empty at a page's foot inside a part
OVERFULL_PT = 0.5  # past the text block, in points, before a glyph counts as outside

LAYOUT_PREFIX = LAYOUT

# code → (severity, what it means)
CODES: dict[str, tuple[Severity, Message]] = {
    "layout-hyphen-run": (
        Severity.WARNING,
        msg("more than {limit} hyphenated lines in a row in running text (a note for {note}, a warning from "
            "{warning})", limit=MAX_RUN, note=MAX_RUN + 1, warning=WARN_RUN),
    ),
    "layout-loose": (
        Severity.NOTE,
        msg("a justified line whose mean word gap is over {limit} em (a normal space is 0.25 em)",
            limit=LOOSE_EM),
    ),
    "layout-very-loose": (
        Severity.WARNING,
        msg("a justified line whose mean word gap is over {limit} em", limit=VERY_LOOSE_EM),
    ),
    "layout-overfull": (
        Severity.WARNING,
        msg("text past the text block (more than {limit} pt outside it)", limit=OVERFULL_PT),
    ),
    "layout-fragment": (
        Severity.NOTE,
        msg("fewer than {before} letters before a line-end hyphen, or fewer than {after} carried over to the "
            "next line", before=BEFORE_HYPHEN, after=AFTER_HYPHEN),
    ),
    "layout-alone": (Severity.NOTE,
                     msg("a short word alone on a line that is not its paragraph's last, which reads as "
                         "the paragraph's end (the line breaker sets one only where every other break "
                         "leaves a line looser than {limit} em)", limit=VERY_LOOSE_EM)),
    "layout-short-last": (Severity.NOTE,
                          msg("the last line of a paragraph no longer than its first-line indent")),
    "layout-recto-hyphen": (Severity.WARNING,
                            msg("a word broken across the turn from a recto to the next verso")),
    "layout-heading-foot": (
        Severity.WARNING,
        msg("a heading, table caption, byline or contents entry's author line is the last line of a page, "
            "apart from what it introduces"),
    ),
    "layout-orphan": (Severity.WARNING, msg("a paragraph's first line alone at the foot of a page")),
    "layout-widow": (Severity.WARNING, msg("a paragraph's last line alone at the head of a page")),
    "layout-page-empty": (
        Severity.NOTE,
        msg("a page inside a part that ends more than a third empty (a figure or table pushed over)"),
    ),
    "layout-facing": (Severity.NOTE,
                      msg("facing pages whose last lines differ in depth by more than one line")),
}
HYPHENS = m.HYPHENS
is_hyphenated = m.is_hyphenated
_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class TextLine:
    """A line as the figures count it, whatever read it (the layout or a PDF)."""

    page: int  # of the book, from 1
    width: float  # as a share of the measure (or of the widest line on the page)
    chars: int
    words: int
    gap: float  # mean room between words, in em
    hyphenated: bool

    @property
    def full(self) -> bool:
        return self.width >= FULL_WIDTH and self.chars > FULL_CHARS

    @property
    def gap_counts(self) -> bool:
        return self.width >= LOOSE_WIDTH and self.words >= LOOSE_WORDS


@dataclass(frozen=True)
class Figures:
    """The paragraph figures of a set of papers: the table of the audit."""

    label: str  # a language, or "all"
    papers: int
    lines: int  # full-width lines
    hyphenated: int
    longest_run: int
    runs3: int  # runs of three or more hyphenated lines
    runs4: int
    loose: int
    very_loose: int
    recto_hyphen: int

    @property
    def share(self) -> float:
        return self.hyphenated / self.lines if self.lines else 0.0

    def row(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "papers": self.papers,
            "lines": self.lines,
            "hyphenated": self.hyphenated,
            "share": round(self.share, 4),
            "longest_run": self.longest_run,
            "runs3": self.runs3,
            "runs4": self.runs4,
            "loose": self.loose,
            "very_loose": self.very_loose,
            "recto_hyphen": self.recto_hyphen,
        }


def figures(label: str, papers: Sequence[Sequence[TextLine]]) -> Figures:
    """The figures of ``papers``, each its lines in reading order (the text of its
    pages, without running heads, folios or footnotes).

    A run is broken by any line not full-width and hyphenated; a recto ending in a
    hyphen is an odd page, not the paper's last, whose last line is full-width and
    hyphenated.
    """
    lines = hyphenated = longest = runs3 = runs4 = loose = very_loose = rectos = 0
    for paper in papers:
        run = 0
        last: dict[int, TextLine] = {}
        for line in [*paper, None]:
            if line is not None:
                last[line.page] = line
            if line is not None and line.full:
                lines += 1
                if line.hyphenated:
                    hyphenated += 1
                    run += 1
                    continue
            longest = max(longest, run)
            runs3 += run >= 3
            runs4 += run >= 4
            run = 0
            if line is not None and line.gap_counts:
                loose += line.gap > LOOSE_EM
                very_loose += line.gap > VERY_LOOSE_EM
        last_page = max((line.page for line in paper), default=0)
        rectos += sum(
            1
            for page, line in last.items()
            if page % 2 == 1 and page != last_page and line.full and line.hyphenated
        )
    return Figures(label, len(papers), lines, hyphenated, longest, runs3, runs4, loose, very_loose, rectos)


def table(rows: Iterable[Figures]) -> str:
    """The figures as a plain-text table, one column per row of figures."""
    rows = list(rows)
    measures: list[tuple[str, Callable[[Figures], str]]] = [
        ("papers", lambda f: str(f.papers)),
        ("full-width body lines", lambda f: str(f.lines)),
        ("lines ending in a hyphen", lambda f: f"{f.share:.0%} ({f.hyphenated})"),
        ("longest run of hyphenated lines", lambda f: str(f.longest_run)),
        ("runs of 3 or more / 4 or more", lambda f: f"{f.runs3} / {f.runs4}"),
        (
            f"loose lines (gap > {LOOSE_EM} em) / over {VERY_LOOSE_EM} em",
            lambda f: f"{f.loose} / {f.very_loose}",
        ),
        ("rectos whose last line ends in a hyphen", lambda f: str(f.recto_hyphen)),
    ]
    head = ["measure", *[f.label for f in rows]]
    body = [[name, *[show(f) for f in rows]] for name, show in measures]
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in [head, *body]
    )


@dataclass
class Audit:
    """What the audit found: its findings, and the figures by language and overall."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    figures: list[Figures] = field(default_factory=list)


# -- the build's audit ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    row: list[Any]
    page: int  # of the book

    def __getitem__(self, index: int) -> Any:
        return self.row[index]

    @property
    def measure(self) -> float:
        return float(self.row[m.BLOCK_X1] - self.row[m.BLOCK_X0])

    @property
    def width(self) -> float:
        return float(self.row[m.X1] - self.row[m.X0])

    @property
    def share(self) -> float:
        return self.width / self.measure if self.measure > 0 else 0.0

    @property
    def reach(self) -> float:
        """How far across the measure the line ends: a paragraph's first line, indented,
        is as full as the others when it ends at the measure's edge."""
        return float(self.row[m.X1] - self.row[m.BLOCK_X0]) / self.measure if self.measure > 0 else 0.0

    @property
    def hyphenated(self) -> bool:
        return is_hyphenated(str(self.row[m.TAIL]))

    def text_line(self, block: float) -> TextLine:
        """The line as the figures count it: a body line's width against the text block's
        (``block``), as a reader of the PDF can only take it (a list item's lines are
        narrower, however full their own measure)."""
        body = self.row[m.ROLE] == m.BODY
        return TextLine(
            self.page,
            self.width / block if body and block > 0 else 0.0,
            int(self.row[m.CHARS]),
            int(self.row[m.WORDS]),
            float(self.row[m.GAP]),
            self.hyphenated,
        )


class _Findings:
    def __init__(self, sources: Sources, part: MeasuredPart) -> None:
        self.found: list[Diagnostic] = []
        self.path, self.fallback = _where(sources, part)

    def add(self, code: str, line: _Line | None, message: Message, severity: Severity | None = None) -> None:
        where = int(line[m.SOURCE]) if line is not None and line[m.SOURCE] else 0
        if not where and line is not None:
            where = self.fallback.get(str(line[m.ROLE]), self.fallback.get("", 0))
        self.found.append(Diagnostic(self.path, where, severity or CODES[code][0], message, code))


def audit_book(sources: Sources, parts: Sequence[MeasuredPart]) -> Audit:
    """The findings and figures of the laid-out book, from its parts' measured lines."""
    result = Audit()
    by_lang: dict[str, list[list[TextLine]]] = {}
    depths: dict[int, tuple[float, float, bool, str]] = {}  # page → last line's bottom, line height, …
    for part in parts:
        lines = [_Line(row, part.start + int(row[m.PAGE])) for row in part.measured.get("lines", [])]
        pages = part.measured.get("pages", [])
        found = _Findings(sources, part)
        flow = [line for line in lines if line[m.ROLE] != m.NOTE]
        _runs(flow, found)
        _gaps(flow, found)
        _overfull(lines, pages, part.start, found)
        _paragraphs(flow, found)
        _page_ends(flow, pages, part, found, depths)
        result.diagnostics += found.found
        if part.part.kind == "papers":
            blocks = [page[m.P_X1] - page[m.P_X0] for page in pages]
            by_lang.setdefault(part.part.lang or "", []).append(
                [line.text_line(blocks[line.page - part.start]) for line in flow])
    result.diagnostics += _facing(depths, sources)
    languages = [lang for lang in sources.book.languages if lang in by_lang]
    languages += sorted(set(by_lang) - set(languages))
    result.figures = [figures(lang or "?", by_lang[lang]) for lang in languages]
    result.figures.append(figures("all", [paper for lang in languages for paper in by_lang[lang]]))
    return result


def _where(sources: Sources, part: MeasuredPart) -> tuple[str, dict[str, int]]:
    """The file a part's findings are reported on, and the line for each kind of text
    whose elements carry no source line (a title comes from the front matter)."""
    kind = part.part.kind
    if kind in ("papers", "resolution"):
        path = part.part.source
        line = sources.lines.get(path, {}).get
        fallback = {
            m.HEADING: line("title") or 1,
            m.BYLINE: line("authors") or 1,
            m.ABSTRACT: line("abstract") or 1,
            m.REFERENCE: line("references") or 1,
            "": 1,
        }
        return path, fallback
    files = {"programme": "programme.yaml", "participants": "participants.yaml"}
    return display_path(Path(sources.root) / files.get(kind, "book.yaml")), {}


def _pages_of(lines: Sequence[_Line]) -> Message:
    first, last = lines[0].page, lines[-1].page
    return msg("page {first}", first=first) if first == last else msg("pages {first}–{last}", first=first,
                                                                       last=last)


def _runs(flow: list[_Line], found: _Findings) -> None:
    run: list[_Line] = []
    for line in [*flow, None]:
        if line is not None and line[m.ROLE] in m.RUNNING and line.hyphenated:
            run.append(line)
            continue
        if len(run) > MAX_RUN:
            severity = Severity.WARNING if len(run) >= WARN_RUN else Severity.NOTE
            found.add(
                "layout-hyphen-run",
                run[0],
                msg("{n} hyphenated lines in a row on {pages}", n=len(run), pages=_pages_of(run)),
                severity,
            )
        run = []


def _gaps(flow: list[_Line], found: _Findings) -> None:
    for line in flow:
        if line[m.ROLE] not in m.RUNNING or line.reach < LOOSE_WIDTH or int(line[m.WORDS]) < LOOSE_WORDS:
            continue
        gap = float(line[m.GAP])
        if gap > VERY_LOOSE_EM:
            found.add(
                "layout-very-loose",
                line,
                msg("very loose line on page {page}: words {gap:.2f} em apart (ending '{tail}')",
                    page=line.page,
                    gap=gap, tail=str(line[m.TAIL])),
            )
        elif gap > LOOSE_EM:
            found.add(
                "layout-loose",
                line,
                msg("loose line on page {page}: words {gap:.2f} em apart (ending '{tail}')", page=line.page,
                    gap=gap, tail=str(line[m.TAIL])),
            )


def _overfull(lines: list[_Line], pages: list[list[float]], start: int, found: _Findings) -> None:
    worst: dict[tuple[int, int], tuple[float, _Line, int]] = {}  # (page, paragraph) → excess, line, count
    for line in lines:
        index = line.page - start
        if index >= len(pages):
            continue
        page = pages[index]
        excess = max(float(line[m.X1]) - page[m.P_X1], page[m.P_X0] - float(line[m.X0]))
        if excess > OVERFULL_PT:
            key = (line.page, int(line[m.PARA]))
            before = worst.get(key)
            count = before[2] + 1 if before else 1
            worst[key] = (
                (excess, line, count) if not before or excess > before[0] else (before[0], before[1], count)
            )
    for (page_number, _para), (excess, line, count) in sorted(worst.items(), key=lambda kv: kv[0]):
        found.add(
            "layout-overfull",
            line,
            msg("a line past the text block on page {page}, by up to {excess:.1f} pt (ending '{tail}')",
                page=page_number, excess=excess, tail=str(line[m.TAIL])) if count == 1 else
            msg("{n} lines past the text block on page {page}, by up to {excess:.1f} pt (ending '{tail}')",
                n=count, page=page_number, excess=excess, tail=str(line[m.TAIL])),
        )


def _paragraphs(flow: list[_Line], found: _Findings) -> None:
    paragraphs: dict[int, list[_Line]] = {}
    for line in flow:
        paragraphs.setdefault(int(line[m.PARA]), []).append(line)
    for lines in paragraphs.values():
        for index, line in enumerate(lines[:-1]):
            if line.hyphenated:
                _fragment(line, lines[index + 1 :], found)
        role = lines[0][m.ROLE]
        if role == m.BODY:
            for line in lines[:-1]:
                if int(line[m.WORDS]) == 1 and line.share < ALONE_WIDTH and not line.hyphenated:
                    found.add(
                        "layout-alone",
                        line,
                        msg("'{word}' stands alone on a line of its paragraph on page {page}",
                            word=str(line[m.HEAD]), page=line.page),
                    )
            indent = float(lines[0][m.X0]) - float(lines[0][m.BLOCK_X0])
            if len(lines) >= 2 and indent > 1 and lines[-1].width <= indent:
                found.add(
                    "layout-short-last",
                    lines[-1],
                    msg("the paragraph's last line, '{head}', is no longer than its indent on page {page}",
                        head=str(lines[-1][m.HEAD]), page=lines[-1].page),
                )
        if role not in (*m.RUNNING, m.OTHER) or len(lines) < 2 or lines[0].page == lines[-1].page:
            continue
        if sum(1 for line in lines if line.page == lines[0].page) == 1:
            found.add(
                "layout-orphan",
                lines[0],
                msg("a paragraph's first line alone at the foot of page {page}", page=lines[0].page),
            )
        if sum(1 for line in lines if line.page == lines[-1].page) == 1:
            found.add(
                "layout-widow",
                lines[-1],
                msg("a paragraph's last line alone at the head of page {page}", page=lines[-1].page),
            )


def _fragment(line: _Line, rest: list[_Line], found: _Findings) -> None:
    """A hyphenated ``line``'s fragments, before its hyphen and after it (in the lines
    that follow it, ``rest``)."""
    following = rest[0]
    tail = str(line[m.TAIL])[:-1]
    before = _LETTERS.findall(tail)
    after = _LETTERS.match(str(following[m.HEAD]))
    letters_before = len(before[-1]) if before and tail.endswith(before[-1]) else 0
    letters_after = len(after[0]) if after else 0
    # A word divided twice in a narrow column («ала‐», «яқ‐», «тық»): what the first
    # hyphen carries over is the rest of the word, as TeX counts \righthyphenmin.
    for carried, more in itertools.pairwise(rest):
        if int(carried[m.WORDS]) != 1 or not carried.hyphenated or not after:
            break
        after = _LETTERS.match(str(more[m.HEAD]))
        letters_after += len(after[0]) if after else 0
    if letters_before < BEFORE_HYPHEN:
        found.add(
            "layout-fragment",
            line,
            msg_n("'{word}' leaves {n} letter(s) before the hyphen on page {page}",
                  "'{word}' leaves {n} letter(s) before the hyphen on page {page}", letters_before,
                  word=str(line[m.TAIL]), page=line.page),
        )
    elif letters_after < AFTER_HYPHEN:
        found.add(
            "layout-fragment",
            following,
            msg_n("'{word}' carries {n} letter(s) over the hyphen on page {page}",
                  "'{word}' carries {n} letter(s) over the hyphen on page {page}", letters_after,
                  word=str(following[m.HEAD]), page=following.page),
        )


_FOOT_ROLES = {
    m.HEADING: msg("a heading"),
    m.CAPTION: msg("a table caption"),
    m.BYLINE: msg("a byline"),
    m.TOC_AUTHOR: msg("a contents entry's author line"),
}


def _page_ends(
    flow: list[_Line],
    pages: list[list[float]],
    part: MeasuredPart,
    found: _Findings,
    depths: dict[int, tuple[float, float, bool, str]],
) -> None:
    """The checks of each page's end: what is left at its foot, and how deep it ends."""
    last_index = len(pages) - 1
    by_page: dict[int, list[_Line]] = {}
    for line in flow:
        by_page.setdefault(line.page - part.start, []).append(line)
    heights = [float(line[m.BOTTOM]) - float(line[m.TOP]) for line in flow if line[m.ROLE] == m.BODY]
    height = statistics.median(heights) if heights else 14.0
    for index, page in enumerate(pages):
        if m.turned(page):
            continue  # the table alone: no text ends there
        number = part.start + index
        lines = by_page.get(index, [])
        inside = index < last_index  # the part goes on over the page
        depths[number] = (
            page[m.P_FLOW] if page[m.P_NOTES] >= page[m.P_BOTTOM] else page[m.P_BOTTOM],
            height,
            inside,
            part.part.key,
        )
        if not inside:
            continue
        if lines:
            last = lines[-1]
            role = str(last[m.ROLE])
            if role in _FOOT_ROLES:
                found.add(
                    "layout-heading-foot",
                    last,
                    msg("{what} is the last line of page {page}: '{head} … {tail}'", what=_FOOT_ROLES[role],
                        page=number, head=str(last[m.HEAD]), tail=str(last[m.TAIL])),
                )
            if number % 2 == 1 and role in m.RUNNING and last.hyphenated:
                found.add(
                    "layout-recto-hyphen",
                    last,
                    msg("'{word}' is broken across the turn from page {page} to page {next}",
                        word=str(last[m.TAIL]), page=number, next=number + 1),
                )
        empty = page[m.P_NOTES] - page[m.P_FLOW]
        block = page[m.P_BOTTOM] - page[m.P_TOP]
        if block > 0 and empty > block * EMPTY_PART and not part.part.fixed:  # the title pages are designed
            found.add(
                "layout-page-empty",
                lines[-1] if lines else None,
                msg("page {page} ends {share:.0%} empty, inside the part", page=number,
                    share=empty / block),
            )


def _facing(depths: dict[int, tuple[float, float, bool, str]], sources: Sources) -> list[Diagnostic]:
    """Facing pages of one part, neither its last, whose text ends more than a line apart."""
    found = []
    for verso, (depth, height, inside, key) in sorted(depths.items()):
        recto = depths.get(verso + 1)
        if verso % 2 or recto is None or not inside or not recto[2] or recto[3] != key:
            continue
        if abs(depth - recto[0]) > height * m.FACING:
            lines = abs(depth - recto[0]) / height
            found.append(
                Diagnostic(
                    _part_path(sources, key),
                    0,
                    CODES["layout-facing"][0],
                    msg("facing pages {verso} and {recto} end {lines:.1f} lines apart", verso=verso,
                        recto=verso + 1, lines=lines),
                    "layout-facing",
                )
            )
    return found


def _part_path(sources: Sources, key: str) -> str:
    kind, _, name = key.partition(":")
    for paper in sources.papers:
        if kind == "paper" and paper.id == name:
            return paper.path
    for resolution in sources.resolutions:
        if key == f"resolution:{resolution.lang}":
            return resolution.path
    files = {"programme": "programme.yaml", "participants": "participants.yaml"}
    return display_path(Path(sources.root) / files.get(kind, "book.yaml"))


def is_layout(diagnostic: Diagnostic) -> bool:
    """Whether a finding is the layout audit's."""
    return diagnostic.code.startswith(LAYOUT_PREFIX)
