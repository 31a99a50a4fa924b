"""Reading a PDF back as a reader would, with Python packages only.

Text, word boxes and page images come from PDFium (pypdfium2); fonts and structure from
qpdf's library (pikepdf). Nothing here runs a program, so the tests need no system
package to read what the book wrote.

Positions are in points from the top-left corner of the page's crop box, the way a page
is read (and the way ``pdftotext -bbox`` gives them): ``top`` grows downwards. Pages are
numbered from 1.

A character's text is what the PDF maps it to; a marked-content span with an
``/ActualText`` (a word drawn letter by letter along a slant, say) is read as that text,
once, where the span begins, as screen readers and text extraction take it.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image


@dataclass(frozen=True)
class Word:
    """A run of characters on one line with no space or gap between them."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float  # the font size, in points, of its first character

    def inside(self, x0: float, top: float, x1: float, bottom: float) -> bool:
        """Whether the word's centre lies in the rectangle."""
        x, y = (self.x0 + self.x1) / 2, (self.top + self.bottom) / 2
        return x0 <= x <= x1 and top <= y <= bottom


@dataclass(frozen=True)
class Font:
    """A font resource, as a print shop's preflight lists it."""

    name: str  # /BaseFont, with its subset tag (ABCDEF+Name) when it has one
    subtype: str  # Type0, TrueType, Type1, Type3…
    embedded: bool
    subset: bool


@dataclass(frozen=True)
class _Glyph:
    """One character of PDFium's text page (or one /ActualText span)."""

    text: str
    generated: bool  # a space or line break PDFium put in, not drawn
    upright: bool  # set along the page's x axis, not turned
    x: float  # the origin: where the pen stood
    x0: float
    top: float
    x1: float
    bottom: float
    size: float


def page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def page_size(pdf: Path, page: int) -> tuple[float, float]:
    """The width and height of a page's crop box, in points."""
    return _read(pdf, page)[0]


def text(pdf: Path, page: int, region: tuple[float, float, float, float] | None = None) -> str:
    """The page's text in reading order: its lines from top to bottom, each from left to
    right, words split by one space, lines by a newline. ``region`` (x0, top, x1, bottom)
    keeps the words whose centre lies in it."""
    return "".join(" ".join(w.text for w in line) + "\n" for line in lines(pdf, page, region))


def layout_text(pdf: Path, page: int) -> str:
    """The page's text with the room between words kept: a gap of half an em is one more
    space, so columns and a number set off at the end of a line stay apart (as
    ``pdftotext -layout`` keeps them); a line's indent is dropped."""
    out = []
    for line in lines(pdf, page):
        row = line[0].text
        for before, word in itertools.pairwise(line):
            em = max(min(before.size, word.size), 1.0)
            row += " " * max(1, round((word.x0 - before.x1) / (em / 2))) + word.text
        out.append(row + "\n")
    return "".join(out)


def raw_text(pdf: Path, page: int, region: tuple[float, float, float, float] | None = None) -> str:
    """The page's text in the order it is drawn (as ``pdftotext -raw``): one line of
    the content after another, with the breaks PDFium finds between them."""
    out = []
    for glyph in _read(pdf, page)[1]:
        if region is not None and not _centre_in(glyph, region):
            continue
        out.append(glyph.text)
    return re.sub(r"\r\n?", "\n", "".join(out))


def words(pdf: Path, page: int) -> list[Word]:
    """Every word of the page, line by line from the top."""
    return [word for line in lines(pdf, page) for word in line]


def lines(pdf: Path, page: int, region: tuple[float, float, float, float] | None = None) -> list[list[Word]]:
    """The page's lines from top to bottom, each a list of words from left to right.

    Upright characters whose boxes overlap by half their height share a line (a raised
    footnote mark stays with its word); turned text is a line of its own, in the order
    it is drawn."""
    found = [line for line in _lines(pdf, page) if line]
    if region is None:
        return found
    kept = [[w for w in line if w.inside(*region)] for line in found]
    return [line for line in kept if line]


def render(pdf: Path, page: int, dpi: float, *, grey: bool = False) -> Image.Image:
    """The page drawn at ``dpi`` by PDFium, as an RGB (or greyscale) image."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        bitmap = doc[page - 1].render(scale=dpi / 72, grayscale=grey)
        image = bitmap.to_pil()
        return image.convert("L" if grey else "RGB")
    finally:
        doc.close()


def fonts(pdf: Path) -> list[Font]:
    """Every font the pages use (in forms, Type3 glyphs and annotations too), once each."""
    import pikepdf

    found: dict[tuple[int, int] | int, Font] = {}
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            for font in _fonts_of(page.obj.get("/Resources"), set()):
                key = font.objgen if font.is_indirect else id(font)
                if key not in found:
                    found[key] = _describe(font)
            for annot in page.obj.get("/Annots", []):
                appearance = annot.get("/AP")
                streams = [] if appearance is None else list(appearance.values())
                for stream in streams:
                    for font in _fonts_of(stream.get("/Resources"), set()):
                        key = font.objgen if font.is_indirect else id(font)
                        found.setdefault(key, _describe(font))
    return list(found.values())


def _fonts_of(resources: Any, seen: set[tuple[int, int] | int]) -> Iterator[Any]:
    if resources is None:
        return
    key = resources.objgen if resources.is_indirect else id(resources)
    if key in seen:
        return
    seen.add(key)
    for font in (resources.get("/Font") or {}).values():
        yield font
        if font.get("/Subtype") == "/Type3":
            yield from _fonts_of(font.get("/Resources"), seen)
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.get("/Subtype") == "/Form":
            yield from _fonts_of(xobject.get("/Resources"), seen)


def _describe(font: Any) -> Font:
    name = str(font.get("/BaseFont", font.get("/Name", "/?")))[1:]
    subtype = str(font.get("/Subtype", "/?"))[1:]
    if subtype == "Type3":
        embedded = True  # its glyphs are content streams in the file
    else:
        parts = list(font.get("/DescendantFonts", [])) or [font]
        descriptors = [part.get("/FontDescriptor") for part in parts]
        embedded = all(d is not None and any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                       for d in descriptors)
    return Font(name=name, subtype=subtype, embedded=embedded,
                subset=re.match(r"[A-Z]{6}\+", name) is not None)


def structure_problems(pdf: Path) -> list[str]:
    """What qpdf's check (through pikepdf) finds wrong in the file; empty when sound."""
    import pikepdf

    try:
        with pikepdf.open(pdf) as doc:
            return list(doc.check_pdf_syntax())
    except pikepdf.PdfError as exc:
        return [f"ERROR: {exc}"]


# -- PDFium's text page, read once per page and file version ----------------------------------


def _centre_in(glyph: _Glyph, region: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = region
    x, y = (glyph.x0 + glyph.x1) / 2, (glyph.top + glyph.bottom) / 2
    return x0 <= x <= x1 and top <= y <= bottom


def _read(pdf: Path, page: int) -> tuple[tuple[float, float], list[_Glyph]]:
    stat = Path(pdf).stat()
    return _read_cached(str(Path(pdf).resolve()), stat.st_mtime_ns, stat.st_size, stat.st_ino, page)


@functools.lru_cache(maxsize=256)
def _read_cached(path: str, _mtime: int, _size: int, _inode: int,
                 page: int) -> tuple[tuple[float, float], list[_Glyph]]:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    doc = pdfium.PdfDocument(path)
    try:
        handle = doc[page - 1]
        left, bottom, right, top = handle.get_cropbox()
        spans = _actual_text_spans(handle)
        textpage = handle.get_textpage()
        glyphs: list[_Glyph] = []
        span_at: dict[int, int] = {}  # a span's place in glyphs
        pending: list[_Glyph] = []  # PDFium's breaks, until the next drawn character
        last_span: int | None = None
        origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
        box = pdfium_c.FS_RECTF()
        matrix = pdfium_c.FS_MATRIX()
        for index in range(textpage.count_chars()):
            generated = bool(pdfium_c.FPDFText_IsGenerated(textpage, index))
            pdfium_c.FPDFText_GetCharOrigin(textpage, index, origin_x, origin_y)
            pdfium_c.FPDFText_GetLooseCharBox(textpage, index, box)
            pdfium_c.FPDFText_GetMatrix(textpage, index, matrix)
            scale = math.hypot(matrix.a, matrix.b)
            glyph = _Glyph(
                text=chr(pdfium_c.FPDFText_GetUnicode(textpage, index)), generated=generated,
                upright=generated or (matrix.a > 0 and abs(matrix.b) + abs(matrix.c) < 1e-3 * matrix.a),
                x=origin_x.value - left,
                x0=box.left - left, top=top - box.top, x1=box.right - left, bottom=top - box.bottom,
                size=pdfium_c.FPDFText_GetFontSize(textpage, index) * scale,
            )
            if generated:
                pending.append(glyph)
                continue
            obj = pdfium_c.FPDFText_GetTextObject(textpage, index) if spans else None
            span = spans.get(ctypes.cast(obj, ctypes.c_void_p).value or 0) if obj else None
            if span is not None and span[0] == last_span:
                pending.clear()  # a break between the span's own letters
            glyphs += pending
            pending.clear()
            last_span = None if span is None else span[0]
            if span is None and glyph.text == "\x02" and pdfium_c.FPDFText_IsHyphen(textpage, index):
                # PDFium reads a hyphen ending a line as U+0002 and runs the lines together:
                # the hyphen drawn there is "-" (the typesetter's own, U+2010, is left as is).
                glyphs.append(dataclasses.replace(glyph, text="-"))
                pending.append(dataclasses.replace(glyph, text="\n", generated=True))
            elif span is None:
                glyphs.append(glyph)
            elif span[0] in span_at:  # one more letter of a span: its box grows
                first = glyphs[span_at[span[0]]]
                glyphs[span_at[span[0]]] = dataclasses.replace(
                    first, x0=min(first.x0, glyph.x0), top=min(first.top, glyph.top),
                    x1=max(first.x1, glyph.x1), bottom=max(first.bottom, glyph.bottom))
            else:
                span_at[span[0]] = len(glyphs)
                glyphs.append(dataclasses.replace(glyph, text=span[1]))
        return (right - left, top - bottom), glyphs + pending
    finally:
        doc.close()


def _actual_text_spans(page: Any) -> dict[int, tuple[int, str]]:
    """The text objects drawn inside an /ActualText span, by address: (span, its text)."""
    import pypdfium2.raw as pdfium_c

    found: dict[int, tuple[int, str]] = {}

    def walk(obj: Any, span: tuple[int, str] | None) -> None:
        if span is None:
            for index in range(pdfium_c.FPDFPageObj_CountMarks(obj)):
                said = _actual_text(pdfium_c.FPDFPageObj_GetMark(obj, index))
                if said is not None:
                    span = (ctypes.cast(obj, ctypes.c_void_p).value or 0, said)
                    break
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT and span is not None:
            found[ctypes.cast(obj, ctypes.c_void_p).value or 0] = span
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            for index in range(pdfium_c.FPDFFormObj_CountObjects(obj)):
                walk(pdfium_c.FPDFFormObj_GetObject(obj, index), span)

    for index in range(pdfium_c.FPDFPage_CountObjects(page)):
        walk(pdfium_c.FPDFPage_GetObject(page, index), None)
    return found


def _actual_text(mark: Any) -> str | None:
    """The /ActualText of a marked-content item, decoded as a PDF text string."""
    import pypdfium2.raw as pdfium_c

    length = ctypes.c_ulong()
    if not pdfium_c.FPDFPageObjMark_GetParamBlobValue(mark, b"ActualText", None, 0, length):
        return None
    buffer = (ctypes.c_ubyte * length.value)()
    pdfium_c.FPDFPageObjMark_GetParamBlobValue(mark, b"ActualText", buffer, length.value, length)
    data = bytes(buffer)[: length.value]
    if data.startswith(b"\xfe\xff"):
        return data[2:].decode("utf-16-be", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    return data.decode("latin-1")


def _lines(pdf: Path, page: int) -> list[list[Word]]:
    glyphs = [g for g in _read(pdf, page)[1] if not g.generated]
    rows: list[list[_Glyph]] = []  # upright characters, by line
    extents: list[tuple[float, float]] = []  # each row's band: its largest character's box
    turned: list[list[_Glyph]] = []
    previous: _Glyph | None = None
    for glyph in glyphs:
        if not glyph.upright:
            # Turned text: a run drawn in one go is one line.
            if previous is None or previous.upright or abs(previous.size - glyph.size) > 0.01:
                turned.append([])
            turned[-1].append(glyph)
            previous = glyph
            continue
        previous = glyph
        height = glyph.bottom - glyph.top
        # The line drawn last is the likeliest: look back from it.
        for number in range(len(extents) - 1, -1, -1):
            top, bottom = extents[number]
            overlap = min(bottom, glyph.bottom) - max(top, glyph.top)
            if overlap >= 0.5 * min(height, bottom - top):
                rows[number].append(glyph)
                if height > bottom - top:
                    extents[number] = (glyph.top, glyph.bottom)
                break
        else:
            rows.append([glyph])
            extents.append((glyph.top, glyph.bottom))
    found = [(extents[n][0], _words(sorted(row, key=lambda g: g.x))) for n, row in enumerate(rows)]
    found += [(min(g.top for g in run), _words(run, turned=True)) for run in turned]
    return [line for _, line in sorted(found, key=lambda item: item[0])]


def _words(glyphs: list[_Glyph], *, turned: bool = False) -> list[Word]:
    out: list[Word] = []
    current: list[_Glyph] = []

    def close() -> None:
        if current:
            out.append(Word(text="".join(g.text for g in current),
                            x0=min(g.x0 for g in current), top=min(g.top for g in current),
                            x1=max(g.x1 for g in current), bottom=max(g.bottom for g in current),
                            size=current[0].size))
            current.clear()

    for glyph in glyphs:
        if glyph.text.isspace():
            close()
        elif len(glyph.text) > 1:  # an /ActualText span: its words, in the span's box
            close()
            out += [Word(part, glyph.x0, glyph.top, glyph.x1, glyph.bottom, glyph.size)
                    for part in glyph.text.split()]
        else:
            # A gap wider than any kerning (a sixth of an em) ends a word too: columns and
            # table cells are not always parted by a space (in turned text, the gap along
            # the run, whichever way it goes).
            if current:
                last = current[-1]
                gap = (max(glyph.x0 - last.x1, last.x0 - glyph.x1,
                           glyph.top - last.bottom, last.top - glyph.bottom)
                       if turned else glyph.x0 - last.x1)
                if gap > min(glyph.size, last.size) / 6:
                    close()
            current.append(glyph)
    close()
    return out
