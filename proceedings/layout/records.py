"""The records the engine's stages hand each other: a part of the book, the job that
lays it out, its layout, and its place in the book.

A part is one separately laid-out piece of the book (the title pages, the contents,
a programme, a paper, a resolution, the index), not to be confused with a text unit
of the checker (``check.base.Unit``: a paragraph or a title).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Part:
    """One separately laid-out part of the book."""

    key: str  # "title", "contents", "programme:kk", "paper:p01", "index"
    kind: str  # the book.yaml part it belongs to
    lang: str | None
    anchor: str  # the id of its first element
    head: str  # the recto running head of its pages
    book_head: str  # the verso running head
    fixed: bool = False  # laid out with the book's own page rules (the title pages)
    source: str = "build"  # the file that a problem laying it out is reported on
    # Anchors inside the part that the contents links to besides its first (a section's
    # heading, which opens the section's first paper).
    inner: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        """The anchors of the part that other parts link to and print the pages of."""
        return (self.anchor, *self.inner)


@dataclass(frozen=True)
class Job:
    """What a worker needs to lay out one part (or a stamp sheet); everything in it pickles."""

    key: str
    digest: str
    html: str
    styles: str
    stylesheets: tuple[str, ...]
    allowed: tuple[str, ...]
    cache: str
    ignore_anchors: tuple[str, ...] = ()
    source: str = "build"  # the file a failure of this job is reported on
    time_limit: float | None = None  # seconds this job's layout may take
    # Laid out before the others, whatever their length: jobs that do not hold up the
    # parts' page counts but would hold up the end of the batch if left until last.
    first: bool = False
    # Laid out for its length and anchors only: no PDF is drawn or kept.
    draft: bool = False
    # A part of the book: its lines are measured for the layout audit (``measure``).
    measure: bool = False
    # The file its paragraphs set by the line breaker are kept in, from one of its
    # layouts to the next ("": none; ``workers.kept_lines``).
    lines: str = ""


@dataclass
class PartLayout:
    """A laid-out part: its page count, anchors, links' targets and bookmarks."""

    key: str
    digest: str
    pages: int
    # anchor → [page index from 0, x, y] with x, y in points from the page's top left
    anchors: dict[str, list[float]] = field(default_factory=dict)
    # [level, label, page index, y in points from the top]
    bookmarks: list[list[Any]] = field(default_factory=list)
    diagnostics: list[list[Any]] = field(default_factory=list)
    pdf_sha256: str = ""  # of its PDF, checked when the cache gives it back
    # Its lines and pages as the layout audit reads them (``measure.Measured.rows``).
    measured: dict[str, list[list[Any]]] = field(default_factory=dict)

    @property
    def pdf_name(self) -> str:
        return f"{self.digest}.pdf"


@dataclass(frozen=True)
class Placement:
    """Where a part's pages land: its first page (1-based) and blank pages before it."""

    part: Part
    layout: PartLayout
    start: int
    blanks_before: int = 0

    @property
    def end(self) -> int:
        return self.start + self.layout.pages - 1


@dataclass(frozen=True)
class MeasuredPart:
    """A part's lines as measured (``PartLayout.measured``, its pages counted from 0),
    and its first page in the book."""

    part: Part
    start: int
    measured: dict[str, list[list[Any]]]


Progress = Callable[[str, int, int], None]  # (part laid out, how many so far, how many in all)
