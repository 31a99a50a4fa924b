"""Number: the contents and the index laid out for the book's page numbers.

They print other parts' page numbers, so they are laid out after the other parts.
When the style's page numbers are unkerned digits of one glyph and one width each
(a probe sheet tells), they are laid out with zeros where the numbers go (``000``
for 123) and the assembler writes the numbers into the zeros (``NumberTemplates``):
a part that gains a page changes the numbers, rarely their counts of digits, so the
contents and the index are seldom laid out again. If their own length moves the
numbers, they are laid out again until it settles (rarely more than once). A style
whose numbers cannot be written in gets them in the layout instead. The title is
numbered so too: its catalogue line prints the book's pages, its last page's number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.layout.cache import read_part
from proceedings.layout.fonts import font_files
from proceedings.layout.plan import LAST_PAGE, NUMBERED, Jobs, moving, page_numbers, place
from proceedings.layout.records import Job, Part, PartLayout
from proceedings.pdfedit import (
    build_to_unicode,
    build_widths,
    drawing,
    page_fonts,
    parse_to_unicode,
    parse_widths,
    run_glyphs,
    text_runs,
)

if TYPE_CHECKING:
    import pikepdf

# Every pair of digits, 10 11 … 99 00 … 09, as one number: if no pair is kerned and
# each digit is always the same glyph, any number can be written with these glyphs.
ALL_DIGIT_PAIRS = int("".join(f"{n % 100:02d}" for n in range(10, 110)))
Run = Callable[[list[Job]], dict[str, PartLayout]]  # lays out jobs, from the cache where it can


def drafts(jobs: Jobs, parts: list[Part]) -> list[Job]:
    """The contents (and the title) with three zeros for every number, laid out with the
    first batch: it tells how long the contents is, which moves the parts after it. The
    index, last in the book, moves nothing: it needs no draft."""
    targets = tuple(t for p in parts for t in p.targets)
    return _jobs(jobs, parts, targets, None, only=moving(parts))[0]


def templates_job(jobs: Jobs) -> Job:
    """The probe sheet: every pair of digits, as the contents and the index print numbers."""
    return jobs.template("stamps:number-templates", "stamps.html.j2", heads=[], folios=[],
                         numbers=NUMBER_PROBES)


def number(
    jobs: Jobs,
    parts: list[Part],
    layouts: dict[str, PartLayout],
    run: Run,
    templates: NumberTemplates | None,
    *,
    papers_on_recto: bool,
) -> tuple[dict[str, PartLayout], dict[str, list[int]]]:
    """Lay out the contents and the index for the book's page numbers, until their
    lengths settle; with ``templates``, as zeros, and also the numbers to write in."""
    numbered = [p for p in parts if p.key in NUMBERED]
    if not numbered:
        return layouts, {}
    targets = tuple(t for p in parts for t in p.targets)
    current = dict(layouts)
    for part in numbered:  # one without a draft: its length moves nothing, it starts on its first page
        current.setdefault(part.key, PartLayout(part.key, "", 1, anchors={part.anchor: [0, 0.0, 0.0]}))

    def numbers_now() -> dict[str, int]:
        placements = place(parts, current, papers_on_recto=papers_on_recto)
        return {**page_numbers(placements), LAST_PAGE: placements[-1].end}

    orders: dict[str, list[str]] = {}
    for _ in range(6):
        batch, orders = _jobs(jobs, parts, targets, numbers_now(), zeros=templates is not None)
        done = run(batch)
        settled = all(done[key].pages == current[key].pages for key in moving(parts))
        current.update(done)
        if settled:
            break
    if templates is None:
        return current, {}
    numbers = numbers_now()
    written = {key: [numbers[anchor] for anchor in order] for key, order in orders.items()}
    if all(read_part(jobs.cache / current[key].pdf_name, templates.slots) == [len(str(n)) for n in values]
           for key, values in written.items()):
        return current, written
    # Zeros the templates cannot find, or find elsewhere too (a title of zeros): the
    # numbers go into the layout.
    return number(jobs, parts, layouts, run, None, papers_on_recto=papers_on_recto)


def _jobs(
    jobs: Jobs, parts: list[Part], targets: tuple[str, ...], numbers: dict[str, int] | None,
    only: set[str] | None = None, zeros: bool = True,
) -> tuple[list[Job], dict[str, list[str]]]:
    """The contents and the index with ``numbers``, as zeros of their counts of digits
    with ``zeros``; a draft with three zeros for every number when None. ``only``: these
    of them. Also, for each, the anchors whose numbers it prints, in its order.
    """
    written: dict[str, int | str]
    if numbers is None:
        written = dict.fromkeys((*targets, LAST_PAGE), "000")
    elif zeros:
        written = {anchor: "0" * len(str(n)) for anchor, n in numbers.items()}
    else:
        written = dict(numbers)
    batch, orders = [], {}
    for part in parts:
        if part.key not in NUMBERED or (only is not None and part.key not in only):
            continue
        outside = tuple(t for t in targets if t not in part.targets)
        order: list[str] = []
        html = jobs.renderer.render(part.key, page_numbers=written, link_targets=outside, written=order)
        batch.append(jobs.job(part.key, html, part, ignore=outside, draft=numbers is None))
        orders[part.key] = order
    return batch, orders


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

    The contents and the index print other parts' page numbers, which change whenever
    a part before them gains or loses a page. When digits are unkerned and one glyph
    of one width each, a number's layout depends on its count of digits only: these
    parts are laid out with zeros for numbers (``000`` for 123), and the numbers are
    written into the zeros' runs here. An edit then lays them out again only when a
    count of digits changes. ``read`` checks this on a sheet where each style prints
    every pair of digits; the glyphs written in are added to the part's font, which
    is rebuilt from the font file (``layout.fonts``), so only bundled fonts serve.
    """

    def __init__(self, faces: dict[str, _Figures]) -> None:
        self.faces = faces
        # The places found in a page's drawing, by its bytes and fonts: a part's pages
        # are looked at to check its numbers' places, then again in the book to write them.
        self._found: dict[tuple[bytes, tuple[tuple[str, str], ...]], list[_Slot]] = {}

    @classmethod
    def read(cls, sheet: pikepdf.Pdf, fonts: Path) -> NumberTemplates | None:
        """The templates of a sheet laid out with ``NUMBER_PROBES``; None if they cannot serve."""
        length = len(NUMBER_PROBES[0])
        runs = [(fonts.get(name), glyphs) for page in sheet.pages
                for fonts in [page_fonts(page)]
                for _span, name, run in text_runs(drawing(page))
                if (glyphs := run_glyphs(run)) is None or len(glyphs) >= length]
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
        return [slot.count for page in pdf.pages for slot in self._slots(page, drawing(page))]

    def write(self, book: pikepdf.Pdf, pages: list[pikepdf.Page], numbers: list[int]) -> None:
        """Write ``numbers`` into the zeros' runs of ``pages`` (of ``book``), in order."""
        queue = iter(numbers)
        used: dict[tuple[int, int], tuple[Any, _Figures, set[str]]] = {}
        for page in pages:
            content = drawing(page)
            fonts = page_fonts(page)
            parts, last = [], 0
            for slot in self._slots(page, content):
                value = next(queue, None)
                if value is None:
                    raise ValueError("fewer page numbers than places to write them")
                number = str(value)
                if len(number) != slot.count:
                    raise ValueError(f"{number} written where {slot.count} digits were laid out")
                figures = self.faces[slot.face]
                glyphs = (*slot.prefix, *(figures.glyphs[c] for c in number))
                parts += [content[last:slot.start], b"[",
                          b"".join(b"<%s>0" % g.hex().encode() for g in glyphs), b"] TJ"]
                last = slot.end
                font = fonts[slot.font]
                used.setdefault(font.objgen, (font, figures, set()))[2].update(number)
            if parts:
                page.obj.Contents = book.make_stream(b"".join([*parts, content[last:]]))
        if next(queue, None) is not None:
            raise ValueError("more page numbers than places to write them")
        for font, figures, digits in used.values():
            _add_glyphs(book, font, figures, digits)

    def _slots(self, page: pikepdf.Page, content: bytes) -> list[_Slot]:
        faces = {name: str(font.get("/BaseFont")) for name, font in page_fonts(page).items()}
        key = (hashlib.sha1(content).digest(), tuple(sorted(faces.items())))
        if key not in self._found:
            self._found[key] = list(self._find(content, faces))
        return self._found[key]

    def _find(self, content: bytes, faces: dict[str, str]) -> Iterator[_Slot]:
        for (start, end), name, run in text_runs(content):
            face = faces.get(name)
            figures = self.faces.get(face) if face is not None else None
            # Most runs are a leader's dots: only a run with a zero can be a number's place.
            if face is None or figures is None or figures.glyphs["0"].hex().encode() not in run.lower():
                continue
            slot = figures.slot(run_glyphs(run))
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
    """Give a part's font the widths and characters of the digits written with it."""
    descendant = font.DescendantFonts[0]
    widths = parse_widths(descendant.W)
    mapping = parse_to_unicode(font.ToUnicode.read_bytes()) if "/ToUnicode" in font else {}
    for digit in sorted(digits):
        cid = int.from_bytes(figures.glyphs[digit], "big")
        widths[cid] = figures.width
        mapping[cid] = f"{ord(digit):04x}"
    descendant.W = build_widths(widths)
    font.ToUnicode = book.make_stream(build_to_unicode(mapping))

