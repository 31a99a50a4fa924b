"""Stamp: running heads and folios, laid out once on stamp sheets and drawn over the
assembled book's pages.

Parts are laid out without heads or folios, so that their pages do not depend on
where they land. The heads every page could carry are known before anything is
laid out, so their sheet is laid out with the parts. A folio is one run of unkerned
digits: when the style's folios are (the template sheet tells), any folio is made
from the folios 1 and 10 of each side (``FolioTemplates``); otherwise from sheets
of a hundred laid-out folios each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.layout.cache import read_part
from proceedings.layout.numbering import ALL_DIGIT_PAIRS
from proceedings.layout.plan import Jobs
from proceedings.layout.records import Job, Part, PartLayout, Placement
from proceedings.pdfedit import Overlay, draw_over, instruction_glyphs, parse_widths

if TYPE_CHECKING:
    import pikepdf

FOLIOS_PER_SHEET = 100
# The folio template sheet: recto 1, verso 1, recto 10, verso 10, all digit pairs.
TEMPLATE_FOLIOS = (1, 1, 10, 10, ALL_DIGIT_PAIRS)


@dataclass(frozen=True)
class Head:
    """A running head as the stamp sheet prints it."""

    side: str  # "verso" or "recto"
    text: str
    lang: str


def possible_heads(parts: list[Part]) -> list[Head]:
    """Every head any page of these parts could carry, once, in a stable order.

    Known before anything is laid out, so the head sheet is laid out alongside the parts.
    """
    heads = {Head(side, text, part.lang or "") for part in parts if not part.fixed
             for side, text in (("recto", part.head), ("verso", part.book_head)) if text}
    return sorted(heads, key=lambda h: (h.side, h.lang, h.text))


def sheet_jobs(jobs: Jobs, heads: list[Head]) -> list[Job]:
    """The head sheet and the folio template sheet: they do not wait for page numbers."""
    return [
        jobs.template("stamps:heads", "stamps.html.j2", heads=heads, folios=[]),
        jobs.template("stamps:folio-templates", "stamps.html.j2", heads=[], folios=TEMPLATE_FOLIOS),
    ]


def sheets(
    jobs: Jobs, heads: list[Head], layouts: dict[str, PartLayout], pages: int,
    run: Callable[[list[Job]], dict[str, PartLayout]],
) -> tuple[Sheets, dict[str, PartLayout]]:
    """The laid-out stamp sheets of a book of ``pages`` pages (``layouts`` has the head
    sheet and the template sheet), and the full folio sheets laid out here if the
    templates cannot serve."""
    sheet = layouts["stamps:heads"]
    heads_pdf = jobs.cache / sheet.pdf_name
    head_pages = {head: int(sheet.anchors[f"stamp-{i}"][0]) for i, head in enumerate(heads)}
    templates = jobs.cache / layouts["stamps:folio-templates"].pdf_name
    if read_part(templates, FolioTemplates.read) is not None:
        return Sheets(heads_pdf, head_pages, folio_templates=templates), {}
    # A style whose folios are not plain numbers: sheets of laid-out folios.
    batch = [jobs.template(f"stamps:folios:{n}", "stamps.html.j2", heads=[],
                           folios=list(range(n * FOLIOS_PER_SHEET + 1, (n + 1) * FOLIOS_PER_SHEET + 1)))
             for n in range(math.ceil(pages / FOLIOS_PER_SHEET))]
    done = run(batch)
    return Sheets(heads_pdf, head_pages, folio_pdfs=[jobs.cache / done[j.key].pdf_name for j in batch]), done


def stamp_plan(placements: list[Placement]) -> dict[int, Head | None]:
    """Every page that gets a folio, with its running head (None: none).

    As in the one-document book: the title pages carry their own, a part's opening
    page has a folio but no head, versos carry the book's head and rectos the part's.
    """
    plan: dict[int, Head | None] = {}
    for placement in placements:
        part = placement.part
        if part.fixed:
            continue
        plan[placement.start] = None
        for page in range(placement.start + 1, placement.end + 1):
            verso = page % 2 == 0
            text = part.book_head if verso else part.head
            plan[page] = Head("verso" if verso else "recto", text, part.lang or "") if text else None
    return plan


@dataclass(frozen=True)
class Sheets:
    """The laid-out stamp sheets: the heads, and the folios.

    Folios come from the template sheet when it can make any number (see
    ``FolioTemplates``), otherwise from full sheets of a hundred folios each.
    """

    heads_pdf: Path
    head_pages: dict[Head, int]  # head → 0-based page of the head sheet
    folio_templates: Path | None = None
    folio_pdfs: list[Path] = field(default_factory=list)  # sheet k: folios 100k+1 … 100k+100


@dataclass(frozen=True)
class _FolioSide:
    """The folio 1 of one side: its drawing, where its run and its text matrix are in
    it, and how its box aligns (0 at the start, ½ centred, 1 at the end)."""

    instructions: list[Any]
    run: int
    place: int
    align: float


class FolioTemplates:
    """Any folio, made from the folios 1 and 10 of each side and the digits' glyphs.

    Only for unkerned digits with one glyph each (``read`` checks on every pair).

    Laying out a folio page costs as much as a short page of text, and a book has a
    folio on nearly every page. A folio is one run of digit glyphs placed in the
    foot's margin box, so the folio N is the template of its side with N's glyphs
    in the run, moved by how much wider N is than 1 times how the box aligns, which
    the folios 1 and 10 measure.
    """

    def __init__(self, sides: dict[str, _FolioSide], glyphs: dict[str, bytes],
                 advance: dict[bytes, float]) -> None:
        self.sides, self.glyphs, self.advance = sides, glyphs, advance

    @classmethod
    def read(cls, sheet: pikepdf.Pdf) -> FolioTemplates | None:
        """The templates of a sheet laid out with ``TEMPLATE_FOLIOS``; None if it cannot serve."""
        import pikepdf

        pages = []
        for page in sheet.pages:
            instructions = list(pikepdf.parse_content_stream(page))
            runs = [i for i, ins in enumerate(instructions) if str(ins.operator) in ("TJ", "Tj")]
            places = [i for i, ins in enumerate(instructions) if str(ins.operator) == "Tm"]
            fonts = [ins for ins in instructions if str(ins.operator) == "Tf"]
            if len(runs) != 1 or len(places) != 1 or len(fonts) != 1:
                return None
            run_glyphs = instruction_glyphs(instructions[runs[0]])
            name, font_size = fonts[0].operands
            font = page.obj.Resources.Font.get(str(name))
            if run_glyphs is None or font is None or "/DescendantFonts" not in font:
                return None
            pages.append((instructions, runs[0], places[0], run_glyphs, font, float(font_size)))
        if len(pages) != len(TEMPLATE_FOLIOS):
            return None
        _ins, _run, _place, run_of_all, font, size = pages[-1]
        if len(run_of_all) != len(str(ALL_DIGIT_PAIRS)):
            return None
        glyphs = dict(zip(str(ALL_DIGIT_PAIRS), run_of_all, strict=True))
        if [glyphs[c] for c in str(ALL_DIGIT_PAIRS)] != run_of_all or len(set(glyphs.values())) != 10:
            return None  # a digit drawn with more than one glyph (contextual forms)
        widths = parse_widths(font.DescendantFonts[0].W)
        advance = {g: float(widths.get(int.from_bytes(g, "big"), 0)) * size / 1000 for g in glyphs.values()}
        sides: dict[str, _FolioSide] = {}
        for side, one, ten in (("recto", 0, 2), ("verso", 1, 3)):
            ins1, run1, place1, glyphs1 = pages[one][:4]
            ins10, _run10, place10, glyphs10 = pages[ten][:4]
            if glyphs1 != [glyphs["1"]] or glyphs10 != [glyphs["1"], glyphs["0"]]:
                return None
            wider = advance[glyphs["0"]]  # how much wider 10 is than 1
            shift = float(ins1[place1].operands[4]) - float(ins10[place10].operands[4])
            sides[side] = _FolioSide(ins1, run1, place1, shift / wider if wider else 0.0)
        return cls(sides, glyphs, advance)

    def form(self, book: pikepdf.Pdf, template: Any, number: int) -> Any:
        """The folio ``number`` as a form like ``template`` (the side's folio 1, in the book)."""
        import pikepdf

        side = self.sides["recto" if number % 2 else "verso"]
        glyphs = [self.glyphs[c] for c in str(number)]
        extra = sum(self.advance[g] for g in glyphs) - self.advance[self.glyphs["1"]]
        instructions = list(side.instructions)
        matrix = list(instructions[side.place].operands)
        matrix[4] = round(float(matrix[4]) - side.align * extra, 6)
        instructions[side.place] = pikepdf.ContentStreamInstruction(matrix, pikepdf.Operator("Tm"))
        items: list[Any] = []
        for glyph in glyphs:
            items += [pikepdf.String(glyph), 0]
        instructions[side.run] = pikepdf.ContentStreamInstruction(
            [pikepdf.Array(items)], pikepdf.Operator("TJ"))
        form = pikepdf.Stream(book, pikepdf.unparse_content_stream(instructions))
        for key, value in template.items():
            if key not in ("/Length", "/Filter", "/DecodeParms"):
                form[key] = value
        return form


def stamp(book: pikepdf.Pdf, placements: list[Placement], sheets: Sheets,
          open_pdf: Callable[[Path], pikepdf.Pdf]) -> None:
    """Draw the running heads and folios over the book's pages (``open_pdf`` opens a
    sheet, kept open until the book is saved)."""
    plan = stamp_plan(placements)
    heads = open_pdf(sheets.heads_pdf)
    forms: dict[tuple[str, int], Any] = {}

    def form(kind: str, pdf: pikepdf.Pdf, index: int) -> Any:
        # One form per stamp sheet page, copied into the book once and shared.
        if (kind, index) not in forms:
            # Made indirect first: foreign copies are keyed by object number.
            source = pdf.make_indirect(pdf.pages[index].as_form_xobject())
            forms[kind, index] = book.copy_foreign(source)
        return forms[kind, index]

    if sheets.folio_templates is not None:
        template_sheet = open_pdf(sheets.folio_templates)
        templates = FolioTemplates.read(template_sheet)
        if templates is None:
            raise ValueError("the folio template sheet cannot make folios")

        def folio(number: int) -> Any:
            side = 1 if number % 2 == 0 else 0  # the sheet's verso and recto folio 1
            return book.make_indirect(templates.form(book, form("templates", template_sheet, side), number))
    else:
        folio_sheets = [open_pdf(path) for path in sheets.folio_pdfs]

        def folio(number: int) -> Any:
            sheet, index = divmod(number - 1, FOLIOS_PER_SHEET)
            return form(f"folio{sheet}", folio_sheets[sheet], index)

    for number, head in sorted(plan.items()):
        # Names carry the folio or the head sheet's page: one name, one form, in the whole book.
        overlays = [Overlay(f"StampFolio{number}", folio(number))]
        if head is not None:
            index = sheets.head_pages[head]
            overlays.append(Overlay(f"StampHead{index}", form("head", heads, index)))
        draw_over(book.pages[number - 1], overlays)



def turned_stamps(parts: list[Part], anchors: dict[str, int], turned: list[int]) -> dict[int, Head | None]:
    """The head (None: none) of each of the ``turned`` pages (1-based) of the book laid
    out as one document, whose margins WeasyPrint left empty (a landscape page's margin
    boxes would turn with it): as ``stamp_plan`` gives them in the parts engine."""
    starts = sorted((anchors[p.anchor], p) for p in parts if p.anchor in anchors and not p.fixed)
    plan: dict[int, Head | None] = {}
    for page in turned:
        opened = [(start, part) for start, part in starts if start <= page]
        if not opened:
            continue
        start, part = opened[-1]
        verso = page % 2 == 0
        text = part.book_head if verso else part.head
        shown = text and page > start  # a part's opening page has no head
        plan[page] = Head("verso" if verso else "recto", text, part.lang or "") if shown else None
    return plan


def folio_sheet(numbers: list[int]) -> tuple[list[int], dict[int, int]]:
    """The folios a sheet lays out to print ``numbers``, each on a page of its side (a
    folio before it where the sheet's next page is of the other side), and the 0-based
    sheet page of each number."""
    folios: list[int] = []
    pages: dict[int, int] = {}
    for number in sorted(set(numbers)):
        if (len(folios) + 1) % 2 != number % 2:
            folios.append(number - 1)
        folios.append(number)
        pages[number] = len(folios) - 1
    return folios, pages


def stamp_pages(book: pikepdf.Pdf, plan: dict[int, Head | None], heads: pikepdf.Pdf,
                head_pages: dict[Head, int], folios: pikepdf.Pdf, folio_pages: dict[int, int]) -> None:
    """Draw the heads and folios of ``plan`` over those pages of ``book``, from a head
    sheet and a folio sheet (``folio_sheet``) laid out for them."""
    forms: dict[tuple[int, int], Any] = {}

    def form(pdf: pikepdf.Pdf, index: int) -> Any:
        if (id(pdf), index) not in forms:
            forms[id(pdf), index] = book.copy_foreign(pdf.make_indirect(pdf.pages[index].as_form_xobject()))
        return forms[id(pdf), index]

    for number, head in sorted(plan.items()):
        overlays = [Overlay(f"StampFolio{number}", form(folios, folio_pages[number]))]
        if head is not None:
            index = head_pages[head]
            overlays.append(Overlay(f"StampHead{index}", form(heads, index)))
        draw_over(book.pages[number - 1], overlays)


def stamp_turned(pdf: bytes, plan: dict[int, Head | None], render: Callable[..., str],
                 lay_out: Callable[[str], tuple[bytes, dict[str, int]]]) -> bytes:
    """``pdf`` with the heads and folios of ``plan`` drawn over its pages, from stamp
    sheets rendered (``render``: a template of the style) and laid out (``lay_out``: the
    PDF and the page of every anchor) for them, as the parts engine lays out its own."""
    import io

    import pikepdf

    heads = sorted({head for head in plan.values() if head is not None},
                   key=lambda h: (h.side, h.lang, h.text))
    head_sheet, anchors = lay_out(render("stamps.html.j2", heads=heads, folios=[]))
    folios, folio_pages = folio_sheet(list(plan))
    folio_sheet_pdf, _ = lay_out(render("stamps.html.j2", heads=[], folios=folios))
    head_pages = {head: anchors[f"stamp-{i}"] - 1 for i, head in enumerate(heads)}
    with (pikepdf.open(io.BytesIO(pdf)) as book, pikepdf.open(io.BytesIO(head_sheet)) as head_pdf,
          pikepdf.open(io.BytesIO(folio_sheet_pdf)) as folio_pdf):
        stamp_pages(book, plan, head_pdf, head_pages, folio_pdf, folio_pages)
        out = io.BytesIO()
        book.save(out, deterministic_id=True)
        return out.getvalue()
