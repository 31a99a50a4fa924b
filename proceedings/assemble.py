"""Separately laid-out units put together into one book with pikepdf.

Units arrive with the recto's margins on every page and no heads or folios (see
``units.py``). Here each unit's pages take their place in the book; versos are
shifted to the verso's margins; running heads and folios, laid out once on stamp
sheets, are laid over the pages; and the book-wide structures that merging drops
— named destinations for links, the outline, the document information and
language — are rebuilt, so that the result matches the book laid out as one
document page by page.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.fontmerge import unify_fonts
from proceedings.units import Unit, UnitLayout

if TYPE_CHECKING:
    import pikepdf

MM = 72 / 25.4


@dataclass(frozen=True)
class Placement:
    """Where a unit's pages land: its first page (1-based) and blank pages before it."""

    unit: Unit
    layout: UnitLayout
    start: int
    blanks_before: int = 0

    @property
    def end(self) -> int:
        return self.start + self.layout.pages - 1


@dataclass(frozen=True)
class Head:
    """A running head as the stamp sheet prints it."""

    side: str  # "verso" or "recto"
    text: str
    lang: str


def place(units: list[Unit], layouts: dict[str, UnitLayout], *, papers_on_recto: bool) -> list[Placement]:
    """Give every unit its pages, with a blank before a paper that must start on a recto."""
    placements = []
    page = 1
    for unit in units:
        blanks = 1 if papers_on_recto and unit.kind == "papers" and page % 2 == 0 else 0
        page += blanks
        placements.append(Placement(unit, layouts[unit.key], page, blanks))
        page += layouts[unit.key].pages
    return placements


def page_numbers(placements: list[Placement]) -> dict[str, int]:
    """The book page of every anchor of every unit."""
    numbers: dict[str, int] = {}
    for placement in placements:
        for name, (index, _x, _y) in placement.layout.anchors.items():
            numbers.setdefault(name, placement.start + int(index))
    return numbers


def stamp_plan(placements: list[Placement]) -> dict[int, tuple[bool, Head | None]]:
    """For every page that gets stamps: whether it has a folio, and its running head.

    As in the one-document book: the title pages carry their own, a part's opening
    page has a folio but no head, versos carry the book's head and rectos the part's.
    """
    plan: dict[int, tuple[bool, Head | None]] = {}
    for placement in placements:
        unit = placement.unit
        if unit.fixed:
            continue
        for page in range(placement.start, placement.end + 1):
            head = None
            lang = unit.lang or ""
            if page != placement.start:
                verso = page % 2 == 0
                text = unit.book_head if verso else unit.head
                head = Head("verso" if verso else "recto", text, lang) if text else None
            plan[page] = (True, head)
    return plan


def possible_heads(units: list[Unit]) -> list[Head]:
    """Every head any page of these units could carry, once, in a stable order.

    Known before anything is laid out, so the head sheet is laid out alongside the units.
    """
    heads = set()
    for unit in units:
        if unit.fixed:
            continue
        lang = unit.lang or ""
        if unit.head:
            heads.add(Head("recto", unit.head, lang))
        if unit.book_head:
            heads.add(Head("verso", unit.book_head, lang))
    return sorted(heads, key=lambda h: (h.side, h.lang, h.text))


FOLIOS_PER_SHEET = 100
# Every pair of digits, 10 11 … 99 00 … 09, as one number: if no pair is kerned and
# each digit is always the same glyph, any folio can be made from the templates.
ALL_DIGIT_PAIRS = int("".join(f"{n % 100:02d}" for n in range(10, 110)))
# The folio template sheet: recto 1, verso 1, recto 10, verso 10, all digit pairs.
TEMPLATE_FOLIOS = (1, 1, 10, 10, ALL_DIGIT_PAIRS)


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
    # How the contents and the index print page numbers, when those can be written in.
    number_templates: NumberTemplates | None = None


@dataclass(frozen=True)
class _FolioSide:
    """The folio 1 of one side: its drawing, where its run and its text matrix are in
    it, and how its box aligns (0 at the start, ½ centred, 1 at the end)."""

    instructions: list[Any]
    run: int
    place: int
    align: float

    @property
    def x(self) -> float:
        return float(self.instructions[self.place].operands[4])


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
            run_glyphs = _glyphs(instructions[runs[0]])
            name, font_size = fonts[0].operands
            font = page.obj.Resources.Font.get(str(name))
            if run_glyphs is None or font is None or "/DescendantFonts" not in font:
                return None
            pages.append((instructions, runs[0], places[0], run_glyphs, font, float(font_size)))
        if len(pages) != len(TEMPLATE_FOLIOS):
            return None
        from proceedings.fontmerge import parse_widths

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
        matrix[4] = round(side.x - side.align * extra, 6)
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


# Every pair of digits again, in runs short enough for one line: how the contents and
# the index print page numbers, probed on a sheet of their own.
NUMBER_PROBES = tuple(str(ALL_DIGIT_PAIRS)[i:i + 20] for i in range(0, len(str(ALL_DIGIT_PAIRS)), 20))


@dataclass(frozen=True)
class _Figures:
    """How one face prints page numbers: each digit's glyph and width, and what may
    come before the digits in their run (the space after a contents line's leader)."""

    glyphs: dict[str, bytes]
    width: float  # in the font's /W units, the same for every digit
    prefixes: tuple[tuple[bytes, ...], ...]

    def slot(self, glyphs: list[bytes] | None) -> tuple[tuple[bytes, ...], int] | None:
        """A run of zeros, the place of a number: its prefix and count of digits."""
        if not glyphs:
            return None
        for prefix in self.prefixes:
            zeros = glyphs[len(prefix):]
            if tuple(glyphs[:len(prefix)]) == prefix and zeros and set(zeros) == {self.glyphs["0"]}:
                return prefix, len(zeros)
        return None


class NumberTemplates:
    """Page numbers written into the laid-out contents and index.

    The contents and the index print other units' page numbers, which change whenever
    a unit before them gains or loses a page. When digits are unkerned and one glyph
    of one width each, a number's layout depends on its count of digits only: these
    units are laid out with zeros for numbers (``000`` for 123), and the numbers are
    written into the zeros' runs here. An edit then lays them out again only when a
    count of digits changes. ``read`` checks this on a sheet where each style prints
    every pair of digits; the glyphs written in are added to the unit's font, which
    is rebuilt from the font file (fontmerge), so only bundled fonts serve.
    """

    def __init__(self, faces: dict[str, _Figures]) -> None:
        self.faces = faces
        # The places found in a page's drawing, by its bytes and fonts: a unit's pages
        # are looked at to check its numbers' places, then again in the book to write them.
        self._found: dict[tuple[bytes, tuple[tuple[str, str], ...]], list[_Slot]] = {}

    @classmethod
    def read(cls, sheet: pikepdf.Pdf, fonts: Path) -> NumberTemplates | None:
        """The templates of a sheet laid out with ``NUMBER_PROBES``; None if they cannot serve."""
        from proceedings.fontmerge import font_files, parse_widths

        length = len(NUMBER_PROBES[0])
        runs = [(fonts.get(name), glyphs) for page in sheet.pages
                for fonts in [_page_fonts(page)]
                for _span, name, run in _text_runs(_drawing(page))
                if (glyphs := _run_glyphs(run)) is None or len(glyphs) >= length]
        if len(runs) != 2 * len(NUMBER_PROBES):  # the contents', then the index's
            return None
        files = font_files(fonts)
        found: dict[str, tuple[Any, dict[str, bytes], set[tuple[bytes, ...]]]] = {}
        for (font, glyphs), probe in zip(runs, NUMBER_PROBES * 2, strict=True):
            if glyphs is None or font is None or "/DescendantFonts" not in font:
                return None  # kerned, or not a font the assembler rebuilds
            face = str(font.BaseFont)
            if face not in found:
                if files.original(font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()) is None:
                    return None
                found[face] = (font, {}, set())
            digits = found[face][1]
            for char, glyph in zip(probe, glyphs[-length:], strict=True):
                if digits.setdefault(char, glyph) != glyph:
                    return None  # a digit drawn with more than one glyph
            found[face][2].add(tuple(glyphs[:-length]))
        faces = {}
        for face, (font, digits, prefixes) in found.items():
            widths = parse_widths(font.DescendantFonts[0].W)
            digit_widths = {widths.get(int.from_bytes(g, "big")) for g in digits.values()}
            if len(digits) != 10 or len(set(digits.values())) != 10 or len(digit_widths) != 1:
                return None
            width = digit_widths.pop()
            if width is None:
                return None
            # The longest prefix first: the index's numbers have none.
            ordered = tuple(sorted(prefixes, key=len, reverse=True))
            faces[face] = _Figures(digits, width, ordered)
        return cls(faces)

    def slots(self, pdf: pikepdf.Pdf) -> list[int]:
        """The counts of digits of the numbers to write into ``pdf``, in its order."""
        return [slot.count for page in pdf.pages for slot in self._slots(page, _drawing(page))]

    def write(self, book: pikepdf.Pdf, pages: list[pikepdf.Page], numbers: list[int]) -> None:
        """Write ``numbers`` into the zeros' runs of ``pages`` (of ``book``), in order."""
        queue = iter(numbers)
        used: dict[tuple[int, int], tuple[Any, _Figures, set[str]]] = {}
        for page in pages:
            drawing = _drawing(page)
            fonts = _page_fonts(page)
            parts, last = [], 0
            for slot in self._slots(page, drawing):
                number = str(next(queue))
                if len(number) != slot.count:
                    raise ValueError(f"{number} written where {slot.count} digits were laid out")
                figures = self.faces[slot.face]
                glyphs = (*slot.prefix, *(figures.glyphs[c] for c in number))
                parts += [drawing[last:slot.start], b"[",
                          b"".join(b"<%s>0" % g.hex().encode() for g in glyphs), b"] TJ"]
                last = slot.end
                font = fonts[slot.font]
                used.setdefault(font.objgen, (font, figures, set()))[2].update(number)
            if parts:
                page.obj.Contents = book.make_stream(b"".join([*parts, drawing[last:]]))
        if next(queue, None) is not None:
            raise ValueError("more page numbers than places to write them")
        for font, figures, digits in used.values():
            _add_glyphs(book, font, figures, digits)

    def _slots(self, page: pikepdf.Page, drawing: bytes) -> list[_Slot]:
        faces = {name: str(font.get("/BaseFont")) for name, font in _page_fonts(page).items()}
        key = (hashlib.sha1(drawing).digest(), tuple(sorted(faces.items())))
        if key not in self._found:
            self._found[key] = list(self._find(drawing, faces))
        return self._found[key]

    def _find(self, drawing: bytes, faces: dict[str, str]) -> Iterator[_Slot]:
        for (start, end), name, run in _text_runs(drawing):
            face = faces.get(name)
            figures = self.faces.get(face) if face is not None else None
            # Most runs are a leader's dots: only a run with a zero can be a number's place.
            if face is None or figures is None or figures.glyphs["0"].hex().encode() not in run.lower():
                continue
            slot = figures.slot(_run_glyphs(run))
            if slot is not None:
                yield _Slot(start, end, name, face, *slot)


@dataclass(frozen=True)
class _Slot:
    """The place of a number in a page's drawing: the span of its run, the font
    resource and face it is set in, what precedes its digits, and how many there are."""

    start: int
    end: int
    font: str
    face: str
    prefix: tuple[bytes, ...]
    count: int


def _add_glyphs(book: pikepdf.Pdf, font: Any, figures: _Figures, digits: set[str]) -> None:
    """Give a unit's font the widths and characters of the digits written with it."""
    from proceedings.fontmerge import build_to_unicode, build_widths, parse_to_unicode, parse_widths

    descendant = font.DescendantFonts[0]
    widths = parse_widths(descendant.W)
    mapping = parse_to_unicode(font.ToUnicode.read_bytes()) if "/ToUnicode" in font else {}
    for digit in sorted(digits):
        cid = int.from_bytes(figures.glyphs[digit], "big")
        widths[cid] = figures.width
        mapping[cid] = f"{ord(digit):04x}"
    descendant.W = build_widths(widths)
    font.ToUnicode = book.make_stream(build_to_unicode(mapping))


# What a number's place depends on in a content stream as WeasyPrint writes it (hex
# glyph ids, no literal strings): the font set, the graphics state saved and restored,
# and the text runs, found with one expression instead of parsing every operand.
_TEXT = re.compile(
    rb"(?<!\S)(?:/(?P<font>[^\s/\[\]<>()]+)\s+[-+\d.]+\s+Tf|(?P<save>q)|(?P<restore>Q)"
    rb"|\[(?P<run>[^\]]*)\]\s*TJ)(?!\S)"
)
_RUN_ITEM = re.compile(rb"<([0-9A-Fa-f]*)>|([-+]?[\d.]+)")


def _drawing(page: pikepdf.Page) -> bytes:
    import pikepdf

    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return bytes(contents.read_bytes())


def _page_fonts(page: pikepdf.Page) -> dict[str, Any]:
    """A page's font resources by name."""
    resources = page.obj.get("/Resources")
    fonts = resources.get("/Font") if resources is not None else None
    return {str(name): font for name, font in fonts.items()} if fonts is not None else {}


def _text_runs(drawing: bytes) -> Iterator[tuple[tuple[int, int], str, bytes]]:
    """Each text run of a page's ``drawing``: its span, the name of its font resource
    ("" before any), and what its TJ array holds."""
    font = ""
    saved: list[str] = []
    for match in _TEXT.finditer(drawing):
        if match["font"] is not None:
            font = "/" + match["font"].decode("latin-1")
        elif match["save"] is not None:
            saved.append(font)
        elif match["restore"] is not None:
            font = saved.pop() if saved else font
        else:
            yield match.span(), font, match["run"]


def _run_glyphs(run: bytes) -> list[bytes] | None:
    """The glyphs of a TJ array as written in a content stream (see ``_unkerned``)."""
    return _unkerned(float(number) if number else _hex(hexadecimal)
                     for hexadecimal, number in _RUN_ITEM.findall(run))


def _hex(digits: bytes) -> bytes:
    try:
        return bytes.fromhex(digits.decode("ascii"))
    except ValueError:  # an odd count of digits: not a run of two-byte glyph ids
        return b"\0"


def _glyphs(instruction: Any) -> list[bytes] | None:
    """The glyphs of a parsed text-showing instruction (see ``_unkerned``)."""
    import pikepdf

    operand = instruction.operands[0]
    items = list(operand) if isinstance(operand, pikepdf.Array) else [operand]
    return _unkerned(bytes(item) if isinstance(item, pikepdf.String) else float(item) for item in items)


def _unkerned(items: Iterable[bytes | float]) -> list[bytes] | None:
    """The two-byte glyph ids of a text run's strings, if no number between them moves a
    glyph; None for anything else."""
    glyphs: list[bytes] = []
    for item in items:
        if isinstance(item, float):
            if item != 0:
                return None
        elif len(item) % 2:
            return None
        else:
            glyphs += [item[i:i + 2] for i in range(0, len(item), 2)]
    return glyphs


def assemble(
    placements: list[Placement],
    cache: Path,
    sheets: Sheets,
    *,
    verso_shift: float,
    page_size: tuple[float, float],
    fonts: Path,
    numbers: dict[str, list[int]] | None = None,
) -> bytes:
    """The book as one PDF: pages in place, numbers written in, versos shifted, stamps
    laid over, structure rebuilt.

    ``numbers``: for a unit laid out with zeros for its page numbers (see
    ``NumberTemplates``), the numbers to write in, in its order.
    """
    import pikepdf

    book = pikepdf.new()
    sources: list[pikepdf.Pdf] = []  # kept open until the book is saved

    def open_pdf(path: Path) -> pikepdf.Pdf:
        pdf = pikepdf.open(path)
        sources.append(pdf)
        return pdf

    try:
        first_pdf = None
        for placement in placements:
            for _ in range(placement.blanks_before):
                book.add_blank_page(page_size=page_size)
            pdf = open_pdf(cache / placement.layout.pdf_name)
            first_pdf = first_pdf or pdf
            with warnings.catch_warnings():
                # Named destinations are rebuilt for the whole book below.
                warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)
                book.pages.extend(pdf.pages)
        for placement in placements:
            if numbers and placement.unit.key in numbers:
                if sheets.number_templates is None:
                    raise ValueError("page numbers to write in, without number templates")
                sheets.number_templates.write(
                    book, list(book.pages[placement.start - 1:placement.end]), numbers[placement.unit.key])
        for placement in placements:
            if placement.unit.fixed:
                continue
            for page in range(placement.start, placement.end + 1):
                if page % 2 == 0:
                    _shift(book.pages[page - 1], verso_shift)
        _stamp(book, stamp_plan(placements), sheets, open_pdf)
        unify_fonts(book, fonts, cache)
        _destinations(book, placements, verso_shift)
        _outline(book, placements, verso_shift)
        if first_pdf is not None:
            book.trailer.Info = book.copy_foreign(first_pdf.trailer.Info)
            if "/Lang" in first_pdf.Root:
                book.Root.Lang = first_pdf.Root.Lang
        out = io.BytesIO()
        book.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()
    finally:
        for pdf in sources:
            pdf.close()


def _shift(page: pikepdf.Page, dx: float) -> None:
    """Move a page's drawing and its link areas sideways, to the verso's margins."""
    page.contents_add(f"q 1 0 0 1 {dx:.4f} 0 cm\n".encode(), prepend=True)
    page.contents_add(b"\nQ\n", prepend=False)
    for annot in page.obj.get("/Annots", []):
        rect = annot.Rect
        annot.Rect = [float(rect[0]) + dx, rect[1], float(rect[2]) + dx, rect[3]]


def _stamp(
    book: pikepdf.Pdf,
    plan: dict[int, tuple[bool, Head | None]],
    sheets: Sheets,
    open_pdf: Any,
) -> None:
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

    for number, (has_folio, head) in sorted(plan.items()):
        overlays = []
        # Names carry the sheet page: pages of one unit may share one resource dictionary.
        if has_folio:
            overlays.append((f"StampFolio{number}", folio(number)))
        if head is not None:
            index = sheets.head_pages[head]
            overlays.append((f"StampHead{index}", form("head", heads, index)))
        _overlay(book.pages[number - 1], overlays)


def _overlay(page: pikepdf.Page, forms: list[tuple[str, Any]]) -> None:
    """Draw forms over a page under fixed names (pikepdf's own overlay names are random,
    and a build must give the same bytes every time)."""
    import pikepdf

    if not forms:
        return
    resources = page.obj.get("/Resources")
    if resources is None:
        resources = page.obj.Resources = pikepdf.Dictionary()
    if "/XObject" not in resources:
        resources.XObject = pikepdf.Dictionary()
    drawing = b""
    for name, xobject in forms:
        resources.XObject[f"/{name}"] = xobject
        drawing += f"q /{name} Do Q\n".encode()
    # The page's own drawing may leave its transformation in force (WeasyPrint flips
    # the y axis and never restores it): enclose it before drawing on top.
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"\nQ\n" + drawing, prepend=False)


def _destinations(book: pikepdf.Pdf, placements: list[Placement], dx: float) -> None:
    """Named destinations for every anchor, so that links across units resolve."""
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
            shift = dx if page % 2 == 0 and not placement.unit.fixed else 0
            names[name] = destination(page, x + shift, y)
    tree = pikepdf.NameTree.new(book)
    for name in sorted(names):
        tree[name] = names[name]
    book.Root.Names = pikepdf.Dictionary(Dests=tree.obj)


def _outline(book: pikepdf.Pdf, placements: list[Placement], dx: float) -> None:
    """The bookmarks of all units, nested by their CSS levels as in one document."""
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
