"""Assemble: the laid-out parts put together into one book with pikepdf.

Parts arrive with the recto's margins on every page and no heads or folios (see
``workers``). Here each part's pages take their place in the book; the page numbers
are written into the contents and the index (``numbering``); versos are shifted to
the verso's margins; running heads and folios are drawn over the pages (``stamps``);
one font subset per face replaces the parts' own (``fonts``); and the book-wide
structures that merging drops — named destinations for links, the outline, the
document information and language — are rebuilt and the XMP metadata set, so that the
result matches the book laid out as one document page by page.
"""

from __future__ import annotations

import io
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.layout.cache import book_stem, check_parts, seal, sealed
from proceedings.layout.fonts import unify_fonts
from proceedings.layout.numbering import NumberTemplates
from proceedings.layout.records import Placement
from proceedings.layout.stamps import Head, Sheets, stamp
from proceedings.pdfedit import pdf_problem, set_metadata

if TYPE_CHECKING:
    import pikepdf

MM = 72 / 25.4


@dataclass(frozen=True)
class Assembly:
    """Everything the assembled book is made of, besides the files its parts name."""

    placements: list[Placement]
    sheets: Sheets
    verso_shift: float  # points the versos' pages move sideways
    page_size: tuple[float, float]  # of a blank page before a paper, in points
    # For a part laid out with zeros for its page numbers, the numbers to write in, in
    # its order, and how to write them.
    numbers: dict[str, list[int]]
    number_templates: NumberTemplates | None
    metadata: str  # the book's XMP packet

    def recipe(self, common: str) -> list[Any]:
        """What the book's bytes depend on, with ``common`` (the style, fonts and code)."""
        heads: dict[Head, int] = self.sheets.head_pages
        return [
            common, self.verso_shift, self.page_size, sorted(self.numbers.items()),
            [(p.layout.digest, p.start, p.blanks_before) for p in self.placements],
            self.sheets.heads_pdf.name, sorted((h.side, h.lang, h.text, i) for h, i in heads.items()),
            self.sheets.folio_templates.name if self.sheets.folio_templates else None,
            [path.name for path in self.sheets.folio_pdfs], self.metadata,
        ]


def assembled(assembly: Assembly, cache: Path, fonts: Path, common: str) -> tuple[bytes, bool]:
    """The assembled book, from the cache when no part, place, number or stamp changed,
    and whether it is known sound (it opens and has its pages, ``pdfedit.pdf_problem``).

    Only a sound book is kept, so a book the cache gives back intact is sound.
    """
    stem = book_stem(assembly.recipe(common))
    kept = sealed(cache, stem, ".pdf")
    if kept is not None:
        return kept[1], True
    pdf = assemble(assembly, cache, fonts)
    pages = assembly.placements[-1].end if assembly.placements else 0
    if pdf_problem(pdf, pages) is not None:
        return pdf, False  # for the build to refuse, and never kept
    for old in cache.glob("book-*.pdf"):  # one assembled book is enough to keep
        old.unlink(missing_ok=True)
    seal(cache, stem, ".pdf", pdf)
    return pdf, True


def assemble(assembly: Assembly, cache: Path, fonts: Path) -> bytes:
    """The book as one PDF: pages in place, numbers written in, versos shifted, stamps
    laid over, fonts merged, structure rebuilt."""
    import pikepdf

    placements = assembly.placements
    numbers = assembly.numbers
    sheets = assembly.sheets
    check_parts([*(cache / p.layout.pdf_name for p in placements), sheets.heads_pdf,
                 *([sheets.folio_templates] if sheets.folio_templates else []), *sheets.folio_pdfs])
    book = pikepdf.new()
    with ExitStack() as stack:  # what is opened stays open until the book is saved

        def open_pdf(path: Path) -> pikepdf.Pdf:
            return stack.enter_context(pikepdf.open(path))

        first_pdf = None
        for placement in placements:
            for _ in range(placement.blanks_before):
                book.add_blank_page(page_size=assembly.page_size)
            pdf = open_pdf(cache / placement.layout.pdf_name)
            first_pdf = first_pdf or pdf
            with warnings.catch_warnings():
                # Named destinations are rebuilt for the whole book below.
                warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
                book.pages.extend(pdf.pages)
        for placement in placements:
            if numbers and placement.part.key in numbers:
                if assembly.number_templates is None:
                    raise ValueError("page numbers to write in, without number templates")
                assembly.number_templates.write(
                    book, list(book.pages[placement.start - 1:placement.end]), numbers[placement.part.key])
        for placement in placements:
            if placement.part.fixed:
                continue
            for page in range(placement.start, placement.end + 1):
                if page % 2 == 0:
                    _shift(book.pages[page - 1], assembly.verso_shift)
        stamp(book, placements, assembly.sheets, open_pdf)
        unify_fonts(book, fonts, cache)
        _destinations(book, placements, assembly.verso_shift)
        _outline(book, placements, assembly.verso_shift)
        if first_pdf is not None:
            book.trailer.Info = book.copy_foreign(first_pdf.trailer.Info)
            if "/Lang" in first_pdf.Root:
                book.Root.Lang = first_pdf.Root.Lang
        set_metadata(book, assembly.metadata)
        out = io.BytesIO()
        book.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def _shift(page: pikepdf.Page, dx: float) -> None:
    """Move a page's drawing and its link areas sideways, to the verso's margins."""
    # To the micro-point: a shift rounded to 0.0001 pt moved every glyph of a verso by
    # 0.00003 pt from where the one-document book puts it, enough to turn a pixel where
    # a glyph's edge meets one.
    page.contents_add(f"q 1 0 0 1 {dx:.9f} 0 cm\n".encode(), prepend=True)
    page.contents_add(b"\nQ\n", prepend=False)
    for annot in page.obj.get("/Annots", []):
        rect = annot.Rect
        annot.Rect = [float(rect[0]) + dx, rect[1], float(rect[2]) + dx, rect[3]]


def _destinations(book: pikepdf.Pdf, placements: list[Placement], dx: float) -> None:
    """Named destinations for every anchor, so that links across parts resolve."""
    import pikepdf

    pages: dict[int, tuple[Any, float]] = {}  # a page's object and height, looked up once

    def destination(page: int, x: float, y: float) -> Any:
        if page not in pages:
            target = book.pages[page - 1]
            pages[page] = (target.obj, float(target.mediabox[3]))
        obj, height = pages[page]
        return pikepdf.Array([obj, pikepdf.Name.XYZ, x, height - y, 0])

    names: dict[str, Any] = {}
    for placement in placements:
        for name, (index, x, y) in placement.layout.anchors.items():
            if name in names:
                continue
            page = placement.start + int(index)
            shift = dx if page % 2 == 0 and not placement.part.fixed else 0
            names[name] = destination(page, x + shift, y)
    tree = pikepdf.NameTree.new(book)
    for name in sorted(names):
        tree[name] = names[name]
    book.Root.Names = pikepdf.Dictionary(Dests=tree.obj)


def _outline(book: pikepdf.Pdf, placements: list[Placement], dx: float) -> None:
    """The bookmarks of all parts, nested by their CSS levels as in one document."""
    import pikepdf

    entries = [
        (int(level), str(label), placement.start + int(index), float(y))
        for placement in placements
        for level, label, index, y in placement.layout.bookmarks
    ]
    with book.open_outline() as outline:
        stack: list[tuple[int, pikepdf.OutlineItem]] = []
        for level, label, page, y in entries:
            height = float(book.pages[page - 1].mediabox[3])
            item = pikepdf.OutlineItem(label, page - 1, "XYZ", top=height - y)
            while stack and stack[-1][0] >= level:
                stack.pop()
            (stack[-1][1].children if stack else outline.root).append(item)
            stack.append((level, item))
