"""Typeset the book unit by unit: plan, lay out what changed, number, stamp, assemble.

The contents and the index print page numbers, so they are laid out after the
other units, with zeros where the numbers go (``000`` for 123), which the
assembler replaces by the numbers (``assemble.NumberTemplates``): a unit that
gains a page changes the numbers, rarely their counts of digits, so the contents
and the index are seldom laid out again. If their own length moves the numbers,
they are laid out again until it settles (rarely more than once). A style whose
numbers cannot be written in gets them in the layout instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from proceedings.assemble import (
    FOLIOS_PER_SHEET,
    MM,
    NUMBER_PROBES,
    TEMPLATE_FOLIOS,
    FolioTemplates,
    Head,
    NumberTemplates,
    Placement,
    Sheets,
    assemble,
    page_numbers,
    place,
    possible_heads,
)
from proceedings.diagnostics import Diagnostic
from proceedings.model import Sources
from proceedings.pdf import file_digest, release_memory, write_atomic
from proceedings.render import PAGE_GEOMETRY, BookRenderer, participants
from proceedings.units import (
    ENGINE_VERSION,
    STYLESHEETS,
    Job,
    Progress,
    Unit,
    UnitLayout,
    lay_out_all,
)

if TYPE_CHECKING:
    import pikepdf

T = TypeVar("T")

NUMBERED = ("contents", "index")  # units whose text holds other units' page numbers
# Pages from which the memory freed before assembling is given back to the system: it
# lowers the peak of a large book, and costs a full collection (20 ms at 300 pages),
# a fifth of what is left of a rebuild once the edited paper is laid out.
RELEASE_FROM = 600


@dataclass(frozen=True)
class Typeset:
    """The assembled book and where its units lie."""

    pdf: bytes
    placements: list[Placement]
    pages: int
    diagnostics: list[Diagnostic]


class _Context:
    def __init__(self, sources: Sources, styles: Path, fonts: Path, cache: Path,
                 time_limit: float | None) -> None:
        self.sources = sources
        self.time_limit = time_limit
        self.fonts = fonts
        self.styles = styles
        self.cache = cache
        self.renderer = BookRenderer(sources, styles, fonts=fonts)
        self.fingerprint = Fingerprint(styles, fonts, Path(sources.root))
        self.stylesheets = tuple(str(styles / "css" / name) for name in STYLESHEETS)
        self.allowed = (str(Path(sources.root)), str(styles), str(fonts))

    def job(self, key: str, html: str, unit: Unit | None = None, ignore: tuple[str, ...] = (),
            draft: bool = False) -> Job:
        digest = self.fingerprint.of(unit, html) if unit else self.fingerprint.of_text(html)
        if draft:  # not the laid-out unit of the same HTML, which has a PDF
            digest = hashlib.sha256(f"draft {digest}".encode()).hexdigest()[:40]
        return Job(key, digest, html, str(self.styles), self.stylesheets, self.allowed,
                   str(self.cache), ignore, unit.source if unit else "build", self.time_limit,
                   fonts=str(self.fonts), draft=draft)


def typeset(
    sources: Sources,
    *,
    styles: Path,
    fonts: Path,
    cache: Path,
    executor: Executor | None = None,
    progress: Progress | None = None,
    started: Callable[[Executor | None], None] | None = None,
    time_limit: float | None = None,
) -> Typeset:
    """Lay out every unit (from the cache where nothing changed) and assemble the book.

    ``time_limit``: seconds any one unit may take to lay out. ``started`` is called as
    the first units are laid out, with the executor they go to (None if laid out here
    or not at all).
    """
    began = time.time() - 1  # a file's time can lag the clock (coarse file system timestamps)
    cache.mkdir(parents=True, exist_ok=True)
    ctx = _Context(sources, styles, fonts, cache, time_limit)
    run = partial(lay_out_all, executor=executor, progress=progress)
    units = plan_units(sources, ctx.renderer)
    targets = tuple(u.anchor for u in units)
    jobs = [
        ctx.job(u.key, ctx.renderer.render(u.key), u)
        for u in units
        if u.key not in NUMBERED
    ]
    # The stamp sheets go with the first batch: they do not wait for page numbers.
    heads = possible_heads(units)
    sheet_jobs = [_heads_job(ctx, heads), _folio_templates_job(ctx), _number_templates_job(ctx)]
    # The contents, with any numbers, tells how long it is, which moves the units
    # after it. The index, last in the book, moves nothing: it needs no draft.
    drafts, _orders = _numbered_jobs(ctx, units, targets, numbers=None, only=_moving(units))
    early = [replace(j, first=True) for j in (*drafts, *sheet_jobs)]
    layouts = run(jobs + early, started=started)
    figures = _read(cache / layouts["stamps:number-templates"].pdf_name,
                    partial(NumberTemplates.read, fonts=fonts))
    layouts, written = _number(ctx, units, layouts, targets, run, figures)
    placements = place(units, layouts, papers_on_recto=sources.book.papers_start_recto)
    pages = placements[-1].end if placements else 0
    sheets = Sheets(
        heads_pdf=cache / layouts["stamps:heads"].pdf_name,
        head_pages={
            head: int(layouts["stamps:heads"].anchors[f"stamp-{i}"][0]) for i, head in enumerate(heads)
        },
        number_templates=figures if written else None,
    )
    templates = cache / layouts["stamps:folio-templates"].pdf_name
    if _read(templates, FolioTemplates.read) is not None:
        sheets = replace(sheets, folio_templates=templates)
    else:  # a style whose folios are not plain numbers
        folio_jobs = _folio_jobs(ctx, pages)
        layouts.update(run(folio_jobs))
        sheets = replace(sheets, folio_pdfs=[cache / layouts[j.key].pdf_name for j in folio_jobs])
    geometry = PAGE_GEOMETRY[sources.book.trim]
    shift = (_mm(geometry.margin_outer) - _mm(geometry.margin_inner)) * MM
    size = (_mm(geometry.width) * MM, _mm(geometry.height) * MM)
    del jobs, early
    if pages > RELEASE_FROM:
        release_memory()  # the units' HTML and what laying them out left behind
    pdf = _assembled(ctx, placements, sheets, shift, size, written)
    prune_cache(cache, {layout.digest for layout in layouts.values()}, since=began)
    diagnostics = [d for layout in layouts.values() for d in layout.diagnostic_objects()]
    return Typeset(pdf, placements, pages, diagnostics)


# What the cache holds besides the checks' findings: laid-out units (a PDF and its page
# map, or a draft's page map alone), font subsets and the assembled book.
_CACHED = re.compile(r"(?:[0-9a-f]{40}\.(?:pdf|json)|font-[0-9a-f]{32}\.ttf|book-[0-9a-f]{40}\.pdf)")
CACHE_FLOOR = 64 * 1024 * 1024  # bytes the cache may always hold


def prune_cache(cache: Path, used: set[str], since: float) -> None:
    """Keep the cache in bounds: four times what the book uses (at least ``CACHE_FLOOR``).

    Every save in ``proceedings watch`` leaves a layout of the edited paper behind; the
    ones used longest ago go first, so that undoing an edit still finds the layout it
    had. What the build that began at ``since`` used is never removed: the units of the
    ``used`` digests (touched here), and the font subsets and the book (touched or
    written during the build).
    """
    now = time.time()
    for digest in used:
        for path in (cache / f"{digest}.pdf", cache / f"{digest}.json"):
            with contextlib.suppress(FileNotFoundError):
                os.utime(path, (now, now))
    entries = []
    for path in cache.iterdir():
        if _CACHED.fullmatch(path.name):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
    in_use = sum(size for mtime, size, _path in entries if mtime >= since)
    total = sum(size for _mtime, size, _path in entries)
    limit = max(4 * in_use, CACHE_FLOOR)
    for mtime, size, path in sorted(entries):  # oldest first
        if total <= limit or mtime >= since:
            break
        path.unlink(missing_ok=True)
        total -= size


def _assembled(
    ctx: _Context, placements: list[Placement], sheets: Sheets, shift: float, size: tuple[float, float],
    numbers: dict[str, list[int]],
) -> bytes:
    """The assembled book, from the cache when no unit, place, number or stamp changed."""
    recipe = json.dumps([
        ctx.fingerprint.common, shift, size, sorted(numbers.items()),
        [(p.layout.digest, p.start, p.blanks_before) for p in placements],
        sheets.heads_pdf.name, sorted((h.side, h.lang, h.text, i) for h, i in sheets.head_pages.items()),
        sheets.folio_templates.name if sheets.folio_templates else None,
        [path.name for path in sheets.folio_pdfs],
    ])
    stored = ctx.cache / f"book-{hashlib.sha256(recipe.encode()).hexdigest()[:40]}.pdf"
    if stored.is_file():
        os.utime(stored)  # used: kept by prune_cache
        return stored.read_bytes()
    pdf = assemble(placements, ctx.cache, sheets, verso_shift=shift, page_size=size,
                   fonts=ctx.fonts, numbers=numbers)
    for old in ctx.cache.glob("book-*.pdf"):  # one assembled book is enough to keep
        old.unlink(missing_ok=True)
    write_atomic(stored, pdf)
    return pdf


def _mm(value: str) -> float:
    return float(value.removesuffix("mm"))


def _number(
    ctx: _Context,
    units: list[Unit],
    layouts: dict[str, UnitLayout],
    targets: tuple[str, ...],
    run: Callable[[list[Job]], dict[str, UnitLayout]],
    figures: NumberTemplates | None,
) -> tuple[dict[str, UnitLayout], dict[str, list[int]]]:
    """Lay out the contents and the index for the book's page numbers, until their
    lengths settle; with ``figures``, as zeros, and also the numbers to write in."""
    numbered = [u for u in units if u.key in NUMBERED]
    if not numbered:
        return layouts, {}
    moving = _moving(units)
    current = dict(layouts)
    for unit in numbered:  # one without a draft: its length moves nothing, it starts on its first page
        current.setdefault(unit.key, UnitLayout(unit.key, "", 1, anchors={unit.anchor: [0, 0.0, 0.0]}))
    orders: dict[str, list[str]] = {}
    for _ in range(6):
        numbers = _numbers(ctx, units, current)
        jobs, orders = _numbered_jobs(ctx, units, targets, numbers, zeros=figures is not None)
        done = run(jobs)
        settled = all(done[key].pages == current[key].pages for key in moving)
        current.update(done)
        if settled:
            break
    if figures is None:
        return current, {}
    numbers = _numbers(ctx, units, current)
    written = {key: [numbers[anchor] for anchor in order] for key, order in orders.items()}
    if all(_read(ctx.cache / current[key].pdf_name, figures.slots) == [len(str(n)) for n in values]
           for key, values in written.items()):
        return current, written
    # Zeros the templates cannot find, or find elsewhere too (a title of zeros): the
    # numbers go into the layout.
    return _number(ctx, units, layouts, targets, run, None)


def _numbers(ctx: _Context, units: list[Unit], layouts: dict[str, UnitLayout]) -> dict[str, int]:
    return page_numbers(place(units, layouts, papers_on_recto=ctx.sources.book.papers_start_recto))


def _moving(units: list[Unit]) -> set[str]:
    """The numbered units whose length moves other units: all but the book's last."""
    return {u.key for u in units[:-1] if u.key in NUMBERED}


def _numbered_jobs(
    ctx: _Context, units: list[Unit], targets: tuple[str, ...], numbers: dict[str, int] | None,
    only: set[str] | None = None, zeros: bool = True,
) -> tuple[list[Job], dict[str, list[str]]]:
    """The contents and the index with ``numbers``, as zeros of their counts of digits
    with ``zeros``; a draft with three zeros for every number when None. ``only``: these
    of them. Also, for each, the anchors whose numbers it prints, in its order.
    """
    written: dict[str, int | str]
    if numbers is None:
        written = dict.fromkeys(targets, "000")
    elif zeros:
        written = {anchor: "0" * len(str(n)) for anchor, n in numbers.items()}
    else:
        written = dict(numbers)
    jobs, orders = [], {}
    for unit in units:
        if unit.key not in NUMBERED or (only is not None and unit.key not in only):
            continue
        outside = tuple(t for t in targets if t != unit.anchor)
        order: list[str] = []
        html = ctx.renderer.render(unit.key, page_numbers=written, link_targets=outside, written=order)
        jobs.append(ctx.job(unit.key, html, unit, ignore=outside, draft=numbers is None))
        orders[unit.key] = order
    return jobs, orders


def _heads_job(ctx: _Context, heads: list[Head]) -> Job:
    html = ctx.renderer.render_template("stamps.html.j2", heads=heads, folios=[])
    return ctx.job("stamps:heads", html)


def _folio_templates_job(ctx: _Context) -> Job:
    html = ctx.renderer.render_template("stamps.html.j2", heads=[], folios=TEMPLATE_FOLIOS)
    return ctx.job("stamps:folio-templates", html)


def _number_templates_job(ctx: _Context) -> Job:
    html = ctx.renderer.render_template("stamps.html.j2", heads=[], folios=[], numbers=NUMBER_PROBES)
    return ctx.job("stamps:number-templates", html)


def _read(path: Path, read: Callable[[pikepdf.Pdf], T]) -> T:
    """What ``read`` makes of the laid-out PDF at ``path``."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        return read(pdf)


def _folio_jobs(ctx: _Context, pages: int) -> list[Job]:
    """The full folio sheets a book of ``pages`` pages needs when templates cannot serve."""
    jobs = []
    for sheet in range(math.ceil(pages / FOLIOS_PER_SHEET)):
        first = sheet * FOLIOS_PER_SHEET + 1
        html = ctx.renderer.render_template(
            "stamps.html.j2", heads=[], folios=list(range(first, first + FOLIOS_PER_SHEET)))
        jobs.append(ctx.job(f"stamps:folios:{sheet}", html))
    return jobs


def plan_units(sources: Sources, renderer: BookRenderer) -> list[Unit]:
    """The book's units in reading order, exactly as the templates will print them."""
    book = sources.book
    t = renderer.common["t"]
    book_head = renderer.common["book_head"]
    first = book.languages[0]
    units: list[Unit] = []
    for part in book.parts:
        if part == "title":
            units.append(Unit("title", "title", None, "part-title", "", "", fixed=True))
        elif part == "contents":
            units.append(Unit("contents", "contents", None, "part-contents", t("contents", first),
                              book_head(first)))
        elif part == "programme" and sources.programme is not None:
            units += [
                Unit(f"programme:{lang}", "programme", lang, f"programme-{lang}",
                     t("programme", lang), book_head(lang))
                for lang in book.languages if lang in sources.programme.header
            ]
        elif part == "participants" and participants(sources):
            units += [
                Unit(f"participants:{lang}", "participants", lang, f"participants-{lang}",
                     t("participants", lang), book_head(lang))
                for lang in book.languages
            ]
        elif part == "papers":
            units += [
                Unit(f"paper:{view.paper.id}", "papers", view.paper.lang, view.anchor,
                     view.running_head, book_head(view.paper.lang), source=view.paper.path)
                for view in renderer.context.papers
            ]
        elif part == "resolution":
            units += [
                Unit(f"resolution:{rv.resolution.lang}", "resolution", rv.resolution.lang,
                     f"resolution-{rv.resolution.lang}", t("resolution", rv.resolution.lang),
                     book_head(rv.resolution.lang), source=rv.resolution.path)
                for rv in renderer.context.resolutions
            ]
        elif part == "index" and renderer.context.index:
            units.append(Unit("index", "index", None, "part-index", t("author_index", first),
                              book_head(first)))
    return units


def _file_digest(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(file_digest(path))
    return digest.hexdigest()


class Fingerprint:
    """The hash of what every unit's layout depends on besides its own HTML."""

    def __init__(self, styles: Path, fonts: Path, sources_root: Path) -> None:
        from importlib.metadata import version

        from proceedings import hyphenation

        shared = [styles / "css" / name for name in STYLESHEETS]
        shared += sorted(fonts.glob("*.ttf"))
        shared.append(Path(hyphenation.__file__).parent / "data" / "hyph_kk.dic")
        self.common = hashlib.sha256(
            f"{ENGINE_VERSION} {version('weasyprint')} {_file_digest(shared)}".encode()
        ).hexdigest()
        self.sources_root = sources_root

    def of_text(self, html: str) -> str:
        """The digest of a document that depends on nothing but its HTML and the style."""
        return hashlib.sha256(f"{self.common} {html}".encode()).hexdigest()[:40]

    def of(self, unit: Unit, html: str) -> str:
        digest = hashlib.sha256(self.common.encode())
        digest.update(html.encode())
        if unit.kind == "papers":
            # Images are fetched at layout time, so they are part of the unit too.
            folder = self.sources_root / "papers" / unit.key.split(":", 1)[1]
            digest.update(_file_digest(p for p in folder.iterdir() if p.is_file()).encode())
        return digest.hexdigest()[:40]
