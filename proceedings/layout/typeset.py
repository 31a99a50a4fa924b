"""Typeset: the engine's stages in order (see the package's docstring), and the book
laid out as one document for comparison."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from proceedings.diagnostics import BuildError, Diagnostic, error
from proceedings.files import make_folder
from proceedings.layout import numbering, stamps
from proceedings.layout.assemble import MM, Assembly, assembled
from proceedings.layout.cache import DamagedPart, discarded, prune, read_part
from proceedings.layout.measure import (
    PAGE,
    head_shifts,
    measure,
    recto_breaks,
    short_end,
    short_spreads,
    short_tables,
)
from proceedings.layout.numbering import NumberTemplates
from proceedings.layout.plan import NUMBERED, Jobs, page_numbers, place, plan
from proceedings.layout.records import MeasuredPart, Part, Progress
from proceedings.layout.workers import lay_out_all
from proceedings.linebreak import Longer, Turn, longer_mark, turns_mark
from proceedings.messages import msg
from proceedings.model import Sources
from proceedings.pdf import (
    MIN_LAST_LINES,
    STYLESHEETS,
    fill_mark,
    give_mark,
    head_mark,
    paginate,
    pdf_bytes,
    release_memory,
    turned_pages,
)
from proceedings.pdfedit import with_metadata
from proceedings.render import PAGE_GEOMETRY, BookRenderer, millimetres

# Pages from which the memory freed before assembling is given back to the system: it
# lowers the peak of a large book, at the cost of a full collection.
RELEASE_FROM = 600
# Times the book is laid out while parts' PDFs are found damaged as they are read.
ATTEMPTS = 4


@dataclass(frozen=True)
class Settings:
    """How the book is laid out, besides its sources."""

    styles: Path
    fonts: Path
    cache: Path  # the engine's cache folder
    executor: Executor | None = None  # where the parts are laid out; None: here
    progress: Progress | None = None  # told of each part laid out
    time_limit: float | None = None  # seconds one part may take to lay out


@dataclass(frozen=True)
class Typeset:
    """The laid-out book: its PDF, the page of every anchor, and what layout reported."""

    pdf: bytes
    anchors: dict[str, int]  # anchor → 1-based page
    pages: int
    diagnostics: list[Diagnostic]
    sound: bool = False  # known to open and have its pages (else the build looks)
    measured: list[MeasuredPart] = field(default_factory=list)  # each part's lines, for the audit


def typeset(
    sources: Sources, settings: Settings, started: Callable[[Executor | None], None] | None = None,
) -> Typeset:
    """Lay out every part (from the cache where nothing changed) and assemble the book.

    ``started`` is called as the first parts are laid out, with the executor they go
    to when they leave one of its workers idle (else None). A part's PDF found damaged
    as it is read is removed, and the book is laid out again from what the cache
    still holds (a note says which).
    """
    discarded()  # what an earlier build found damaged was reported by it
    for _attempt in range(ATTEMPTS):
        try:
            book = _typeset(sources, settings, started)
        except DamagedPart:
            continue
        return replace(book, diagnostics=[*book.diagnostics, *discarded()])
    raise BuildError([*discarded(), error(str(settings.cache), 0, msg(
        "parts laid out were found damaged {n} times over: look at the disk", n=ATTEMPTS), "cache-damaged")])


def _typeset(
    sources: Sources, settings: Settings, started: Callable[[Executor | None], None] | None,
) -> Typeset:
    began = time.time() - 1  # a file's time can lag the clock (coarse file system timestamps)
    cache = settings.cache
    make_folder(cache)
    jobs = Jobs(sources, settings.styles, settings.fonts, cache, settings.time_limit)
    run = partial(lay_out_all, executor=settings.executor, progress=settings.progress)
    on_recto = sources.book.papers_start_recto

    # Plan: the parts, and the jobs that need no page numbers.
    parts = plan(sources, jobs.renderer)
    batch = [jobs.job(p.key, jobs.renderer.render(p.key), p) for p in parts if p.key not in NUMBERED]
    heads = stamps.possible_heads(parts)
    early = [*numbering.drafts(jobs, parts), *stamps.sheet_jobs(jobs, heads), numbering.templates_job(jobs)]

    # Lay out: the parts, the contents' draft and the stamp sheets.
    layouts = run(batch + [replace(j, first=True) for j in early], started=started)

    # Number: the contents and the index, once the other parts' lengths are known.
    templates = read_part(cache / layouts["stamps:number-templates"].pdf_name,
                         partial(NumberTemplates.read, fonts=settings.fonts))
    layouts, numbers = numbering.number(jobs, parts, layouts, run, templates, papers_on_recto=on_recto)
    placements = place(parts, layouts, papers_on_recto=on_recto)

    # Turn: the parts that break a word across the turn from a recto are laid out once
    # more, their paragraphs told which lines not to end with a hyphen, and those with a
    # spread whose pages end apart which paragraphs may fill the short page (``_marks``);
    # numbered again if that changed a part's length.
    marked = {p.part.key: marks for p in placements
              if (marks := _marks(p.layout.measured, p.start, p.part.anchor, p.part.kind))}
    if marked:
        layouts.update(run([jobs.job(p.key, marked[p.key] + jobs.renderer.render(p.key), p)
                            for p in parts if p.key in marked]))
        if any(layouts[p.part.key].pages != p.layout.pages for p in placements):
            layouts, numbers = numbering.number(jobs, parts, layouts, run, templates,
                                                papers_on_recto=on_recto)
        placements = place(parts, layouts, papers_on_recto=on_recto)
    pages = placements[-1].end if placements else 0

    # Stamp: the heads' and folios' sheets.
    sheets, folio_sheets = stamps.sheets(jobs, heads, layouts, pages, run)
    layouts.update(folio_sheets)

    # Assemble.
    geometry = PAGE_GEOMETRY[sources.book.trim]
    assembly = Assembly(
        placements, sheets,
        verso_shift=(millimetres(geometry.margin_outer) - millimetres(geometry.margin_inner)) * MM,
        page_size=(millimetres(geometry.width) * MM, millimetres(geometry.height) * MM),
        numbers=numbers, number_templates=templates if numbers else None,
        metadata=jobs.renderer.metadata(),
    )
    del batch, early
    if pages > RELEASE_FROM:
        release_memory()  # the parts' HTML and what laying them out left behind
    pdf, sound = assembled(assembly, cache, settings.fonts, jobs.fingerprint.common)
    prune(cache, {layout.digest for layout in layouts.values()}, since=began)
    diagnostics = [Diagnostic.from_row(row) for layout in layouts.values() for row in layout.diagnostics]
    measured = [MeasuredPart(p.part, p.start, p.layout.measured) for p in placements]
    return Typeset(pdf, page_numbers(placements), pages, diagnostics, sound=sound, measured=measured)


def typeset_single(sources: Sources, settings: Settings) -> Typeset:
    """Lay the book out as one WeasyPrint document."""
    renderer = BookRenderer(sources, settings.styles, fonts=settings.fonts)
    html = renderer.render()  # pure: models in, HTML out
    stylesheets = [settings.styles / "css" / name for name in STYLESHEETS]
    allowed = [Path(sources.root), settings.styles, settings.fonts]
    layout = paginate(html, styles=settings.styles, stylesheets=stylesheets, allowed=allowed)
    parts = plan(sources, renderer)
    measured = _by_part(measure(layout.document.pages).rows(), parts, layout.anchors)
    # The parts engine's one more pass for the words broken across a recto's turn and the
    # spreads whose pages end apart.
    marks = "".join(_marks(part.measured, part.start, part.part.anchor, part.part.kind)
                    for part in measured)
    if marks:
        html = marks + html
        layout = paginate(html, styles=settings.styles, stylesheets=stylesheets, allowed=allowed)
        measured = _by_part(measure(layout.document.pages).rows(), parts, layout.anchors)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    pdf = pdf_bytes(layout, identifier=identifier)
    turned = [index + 1 for index in turned_pages(layout.document)]
    if turned:  # a turned table's pages: their heads and folios drawn upright
        def sheet(html: str) -> tuple[bytes, dict[str, int]]:
            laid_out = paginate(html, styles=settings.styles, stylesheets=stylesheets, allowed=allowed)
            return pdf_bytes(laid_out, identifier=b"stamps"), laid_out.anchors

        pdf = stamps.stamp_turned(pdf, stamps.turned_stamps(parts, layout.anchors, turned),
                                  renderer.render_template, sheet)
    pdf = with_metadata(pdf, renderer.metadata())
    return Typeset(pdf, layout.anchors, layout.pages, layout.diagnostics, measured=measured)


def _marks(measured: dict[str, list[list[Any]]], start: int, anchor: str, kind: str) -> str:
    """The marks a part's HTML is laid out again with: its words broken across a recto's
    turn (``linebreak.set_marked``), the pages of its spreads that end apart, which
    give lines to the next (``pdf.paginate``) or are filled (``linebreak.Longer``, or
    their table's rows spaced out: ``pdf.fill_mark``) or, a paper's opening, have its lines
    brought onto the grid (``pdf.head_mark``), and the page before a paper's last when
    that holds too few lines (``measure.short_end``)."""
    turns = tuple(Turn(*found) for found in recto_breaks(measured, start))
    spreads = short_spreads(measured, start)
    longer = [Longer(lines, tuple(named), by) for _page, lines, by, named in spreads if by]
    if kind == "papers" and (named := short_end(measured, MIN_LAST_LINES)):
        longer.append(Longer(1, tuple(named)))
    given = [(anchor, page, lines) for page, lines, by, _named in spreads if not by]
    filled = [(anchor, page, points) for page, points in short_tables(measured, start)]
    shifted = [(anchor, page, direction) for page, direction in head_shifts(measured, start)]
    return ((turns_mark(turns) if turns else "") + (longer_mark(longer) if longer else "")
            + (give_mark(given) if given else "") + (fill_mark(filled) if filled else "")
            + (head_mark(shifted) if shifted else ""))


def _by_part(rows: dict[str, list[list[Any]]], parts: list[Part],
             anchors: dict[str, int]) -> list[MeasuredPart]:
    """The book's measured lines cut into its parts, as the parts engine measures them:
    a part runs from its anchor's page to its end's (``<anchor>-end``), else to the page
    before the next part's."""
    starts = [(anchors[p.anchor], p) for p in parts if p.anchor in anchors]
    pages, lines = rows["pages"], rows["lines"]
    found = []
    for (start, part), following in zip(starts, [*starts[1:], (len(pages) + 1, None)], strict=True):
        end = anchors.get(f"{part.anchor}-end", following[0] - 1)
        found.append(MeasuredPart(part, start, {
            "pages": pages[start - 1:end],
            "lines": [[line[PAGE] - start + 1, *line[1:]] for line in lines if start - 1 <= line[PAGE] < end],
        }))
    return found

