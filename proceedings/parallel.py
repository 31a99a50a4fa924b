"""Typeset the book unit by unit: plan, lay out what changed, number, stamp, assemble.

The contents and the index print page numbers, so they are laid out after the
other units, with the numbers written in; if that changes their own length, the
numbers move and they are laid out again (rarely more than once).
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from proceedings.assemble import (
    MM,
    Head,
    Placement,
    Sheets,
    assemble,
    distinct_heads,
    page_numbers,
    place,
    stamp_plan,
)
from proceedings.diagnostics import Diagnostic
from proceedings.model import Sources
from proceedings.render import PAGE_GEOMETRY, BookRenderer
from proceedings.units import (
    STYLESHEETS,
    Fingerprint,
    Job,
    Progress,
    Unit,
    UnitLayout,
    lay_out_all,
    plan_units,
)

NUMBERED = ("contents", "index")  # units whose text holds other units' page numbers
FOLIO_SHEET_STEP = 100  # folio sheets are laid out for page counts rounded up to this


@dataclass(frozen=True)
class Typeset:
    """The assembled book and where its units lie."""

    pdf: bytes
    placements: list[Placement]
    pages: int
    diagnostics: list[Diagnostic]


class _Context:
    def __init__(self, sources: Sources, styles: Path, fonts: Path, cache: Path) -> None:
        self.sources = sources
        self.styles = styles
        self.cache = cache
        self.renderer = BookRenderer(sources, styles, fonts=fonts)
        self.fingerprint = Fingerprint(styles, fonts, Path(sources.root))
        self.stylesheets = tuple(str(styles / "css" / name) for name in STYLESHEETS)
        self.allowed = (str(Path(sources.root)), str(styles), str(fonts))

    def job(self, key: str, html: str, unit: Unit | None = None, ignore: tuple[str, ...] = ()) -> Job:
        digest = self.fingerprint.of(unit, html) if unit else self.fingerprint.of_text(html)
        return Job(key, digest, html, str(self.styles), self.stylesheets, self.allowed,
                   str(self.cache), ignore)


def typeset(
    sources: Sources,
    *,
    styles: Path,
    fonts: Path,
    cache: Path,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Typeset:
    """Lay out every unit (from the cache where nothing changed) and assemble the book."""
    cache.mkdir(parents=True, exist_ok=True)
    ctx = _Context(sources, styles, fonts, cache)
    units = plan_units(sources, ctx.renderer)
    targets = tuple(u.anchor for u in units)
    jobs = [
        ctx.job(u.key, ctx.renderer.render(u.key), u)
        for u in units
        if u.key not in NUMBERED
    ]
    layouts = lay_out_all(jobs, executor, progress)
    layouts = _number(ctx, units, layouts, targets, executor, progress)
    placements = place(units, layouts, papers_on_recto=sources.book.papers_start_recto)
    sheets = _sheets(ctx, placements, executor, progress)
    geometry = PAGE_GEOMETRY[sources.book.trim]
    shift = (_mm(geometry.margin_outer) - _mm(geometry.margin_inner)) * MM
    size = (_mm(geometry.width) * MM, _mm(geometry.height) * MM)
    pdf = assemble(placements, cache, sheets, verso_shift=shift, page_size=size, fonts=fonts)
    diagnostics = [d for layout in layouts.values() for d in layout.diagnostic_objects()]
    pages = placements[-1].end if placements else 0
    return Typeset(pdf, placements, pages, diagnostics)


def _mm(value: str) -> float:
    return float(value.removesuffix("mm"))


def _number(
    ctx: _Context,
    units: list[Unit],
    layouts: dict[str, UnitLayout],
    targets: tuple[str, ...],
    executor: Executor | None,
    progress: Progress | None,
) -> dict[str, UnitLayout]:
    """Lay out the contents and the index with page numbers, until their lengths settle."""
    numbered = [u for u in units if u.key in NUMBERED]
    if not numbered:
        return layouts
    guess = {u.key: UnitLayout(u.key, "", 1, {u.anchor: [0, 0.0, 0.0]}) for u in numbered}
    current = {**layouts, **guess}
    for _ in range(6):
        placements = place(units, current, papers_on_recto=ctx.sources.book.papers_start_recto)
        numbers = page_numbers(placements)
        jobs = []
        for unit in numbered:
            outside = tuple(t for t in targets if t != unit.anchor)
            html = ctx.renderer.render(unit.key, page_numbers=numbers, link_targets=outside)
            jobs.append(ctx.job(unit.key, html, unit, ignore=outside))
        done = lay_out_all(jobs, executor, progress)
        settled = all(done[u.key].pages == current[u.key].pages for u in numbered)
        current.update(done)
        if settled:
            return current
    return current


def _sheets(
    ctx: _Context,
    placements: list[Placement],
    executor: Executor | None,
    progress: Progress | None,
) -> Sheets:
    """Lay out (or find in the cache) the sheets of running heads and of folios."""
    plan = stamp_plan(placements)
    heads = distinct_heads(plan)
    pages = placements[-1].end if placements else 1
    folios = math.ceil(pages / FOLIO_SHEET_STEP) * FOLIO_SHEET_STEP
    heads_html = ctx.renderer.render_template("stamps.html.j2", heads=heads, folios=0)
    folios_html = ctx.renderer.render_template("stamps.html.j2", heads=[], folios=folios)
    jobs = [ctx.job("stamps:heads", heads_html), ctx.job("stamps:folios", folios_html)]
    done = lay_out_all(jobs, executor, progress)
    head_layout = done["stamps:heads"]
    head_pages: dict[Head, int] = {
        head: int(head_layout.anchors[f"stamp-{i}"][0]) for i, head in enumerate(heads)
    }
    return Sheets(
        heads_pdf=ctx.cache / head_layout.pdf_name,
        head_pages=head_pages,
        folios_pdf=ctx.cache / done["stamps:folios"].pdf_name,
    )
