"""Reading and editing finished PDFs: content-stream tokens and text runs, font
widths and Unicode maps, colours, overlays, annotations, the names of font subsets.

The engine's assembler and the print and proof stages edit PDFs that WeasyPrint has
already written; what they share lives here. One library for each job:

- pikepdf makes every edit and every merge. It copies and writes pages several times
  faster than pypdf (the README has the figures), and it edits a PDF as it was
  opened, where pypdf first clones it into a writer.
- pypdf only reads: preflight checks a finished PDF with it.
- Content streams are tokenized here, on bytes, with one regular expression
  (``operations``): pypdf's own content-stream parser would do, but it is far slower.
  Where only the text runs matter (the page numbers written into the contents), one
  expression finds them without tokenizing the rest (``text_runs``): a contents page
  is mostly leader dots, and tokenizing them all took eleven times as long on the
  2024 book's contents.
"""

from __future__ import annotations

import copy
import hashlib
import io
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pikepdf

T = TypeVar("T")

_TOKEN = re.compile(
    rb"""
    (?P<space>\s+|%[^\r\n]*)
  | (?P<num>[+-]?(?:\d+\.?\d*|\.\d+))
  | (?P<name>/[^\s()<>\[\]{}/%]*)
  | (?P<hex><(?!<)[0-9A-Fa-f\s]*>)
  | (?P<delim><<|>>|[\[\]{}])
  | (?P<lit>\()
  | (?P<op>[^\s()<>\[\]{}/%]+)
    """,
    re.VERBOSE,
)
_INLINE_IMAGE_END = re.compile(rb"\sEI(?=[\s]|$)")


@dataclass(frozen=True)
class Operation:
    operator: str
    operands: tuple[float | str | None, ...]  # numbers, names (with their slash), else None
    start: int  # where the first operand (or the operator) begins
    end: int


def _skip_literal(data: bytes, pos: int) -> int:
    # Literal strings may hold balanced parentheses and backslash escapes.
    depth = 0
    n = len(data)
    while pos < n:
        c = data[pos]
        if c == 0x5C:  # backslash
            pos += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return pos + 1
        pos += 1
    return n


def operations(data: bytes) -> Iterator[Operation]:
    """The operations of a content stream, with their byte spans."""
    operands: list[float | str | None] = []
    pos, n, first = 0, len(data), 0
    while pos < n:
        match = _TOKEN.match(data, pos)
        if match is None:  # a stray byte: skip it, as viewers do
            pos += 1
            continue
        kind, start = match.lastgroup, pos
        pos = match.end()
        if kind == "space":
            continue
        if not operands:
            first = start
        if kind == "num":
            operands.append(float(match[0]))
        elif kind == "name":
            operands.append(match[0].decode("latin-1"))
        elif kind == "lit":
            pos = _skip_literal(data, start)
            operands.append(None)
        elif kind in {"hex", "delim"}:
            operands.append(None)
        else:
            operator = match[0].decode("latin-1")
            if operator == "ID":  # inline image data is binary: jump to its EI
                end = _INLINE_IMAGE_END.search(data, pos)
                pos = end.end() if end else n
                operator = "EI"
            yield Operation(operator, tuple(operands), first, pos)
            operands = []


def _number(value: float) -> bytes:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return (text or "0").encode()


def neutral_rgb_to_gray(data: bytes) -> bytes:
    """Rewrite every neutral RGB colour (r = g = b) as the same DeviceGray value.

    The conversion is exact: a grey in DeviceRGB and in DeviceGray is the same ink on
    a one-colour press, but a print shop's preflight rejects the RGB one. Colours that
    are not neutral are left alone, for preflight to report.
    """
    out: list[bytes] = []
    last = 0
    for op in operations(data):
        if op.operator not in {"rg", "RG"} or len(op.operands) != 3:
            continue
        if not all(isinstance(v, float) for v in op.operands) or len(set(op.operands)) != 1:
            continue
        gray = op.operands[0]
        assert isinstance(gray, float)
        out += [data[last:op.start], _number(gray), b" g" if op.operator == "rg" else b" G"]
        last = op.end
    if not out:
        return data
    out.append(data[last:])
    return b"".join(out)


def content_streams(page: pikepdf.Page) -> Iterator[pikepdf.Stream]:
    """The page's content streams and those of every form XObject it can draw."""
    import pikepdf

    contents = page.obj.get("/Contents")
    parts = contents if isinstance(contents, pikepdf.Array) else [contents]
    for part in parts:
        if isinstance(part, pikepdf.Stream):
            yield part
    yield from _form_streams(page.obj.get("/Resources"), set())


def _form_streams(resources: object, seen: set[tuple[int, int]]) -> Iterator[pikepdf.Stream]:
    import pikepdf

    if not isinstance(resources, pikepdf.Dictionary):
        return
    for kind in ("/XObject", "/Pattern"):
        table = resources.get(kind)
        if not isinstance(table, pikepdf.Dictionary):
            continue
        for obj in table.values():
            # Streams are indirect objects: their object numbers tell a form met twice.
            if not isinstance(obj, pikepdf.Stream) or obj.objgen in seen:
                continue
            seen.add(obj.objgen)
            if obj.get("/Subtype") == "/Image":
                continue
            yield obj
            yield from _form_streams(obj.get("/Resources"), seen)


def to_gray(pdf: pikepdf.Pdf) -> None:
    """Rewrite neutral RGB colours as grey in every content stream of the document."""
    done: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for stream in content_streams(page):
            if stream.objgen in done:
                continue
            done.add(stream.objgen)
            data = stream.read_bytes()
            rewritten = neutral_rgb_to_gray(data)
            if rewritten is not data:
                stream.write(rewritten)  # compressed again when the PDF is saved
            _gray_group(stream)
        _gray_group(page.obj)


def _gray_group(holder: pikepdf.Object) -> None:
    # WeasyPrint wraps every page in a transparency group that blends in RGB; with
    # nothing but greys inside, blending in grey gives the same page.
    import pikepdf

    group = holder.get("/Group")
    if isinstance(group, pikepdf.Dictionary) and group.get("/CS") == "/DeviceRGB":
        group.CS = pikepdf.Name.DeviceGray


def _retagged(name: str, salt: str) -> str:
    digest = hashlib.sha256((salt + name).encode()).digest()
    tag = "".join(chr(ord("A") + b % 26) for b in digest[:6])
    return f"/{tag}+{name.split('+', 1)[1]}"


SUBSET = re.compile(r"^/[A-Z]{6}\+")


def page_form(pdf: pikepdf.Pdf, index: int = 0, *, degrees: float = 0) -> pikepdf.Object:
    """Page ``index`` of ``pdf`` as a form XObject of the same PDF, to draw onto other pages.

    Copy it into each target with ``copy_foreign``: the form is an indirect object, so
    a target that draws it on many pages holds one copy. ``degrees`` turns the form
    about the page's centre. The turn is the form's matrix, not a CSS transform:
    poppler draws text that CSS rotated out of place once the page is drawn inside
    another.
    """
    import pikepdf

    page = pdf.pages[index]
    form = page.as_form_xobject()
    if not form.is_indirect:
        form = pdf.make_indirect(form)
    box = [float(v) for v in page.mediabox]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    matrix = (cos, sin, -sin, cos, cx - cx * cos + cy * sin, cy - cx * sin - cy * cos)
    form.BBox = pikepdf.Array(box)
    form.Matrix = pikepdf.Array([round(v, 6) for v in matrix])
    return form


def turn_page(page: pikepdf.Page) -> None:
    """Set a page laid out in landscape upright, as the book's other pages are: its
    drawing turned a quarter counter-clockwise onto a page of the trim (its height the
    landscape's width), so that it is read by turning the book clockwise, its top at the
    page's left. Its link areas are turned with it. Print shops want every page of a
    book the same size and the same way up, which a /Rotate entry would not give."""
    import pikepdf

    left, bottom, _right, top = (float(v) for v in page.mediabox)
    # Upright (X, Y) = (dx - y, x + dy) for the landscape page's (x, y): the media keeps its
    # corner, so that a print page's trim stays at the origin, as on every other page.
    dx, dy = top + left, bottom - left

    def turned(box: Any) -> pikepdf.Array:
        x1, y1, x2, y2 = (float(v) for v in box)
        return pikepdf.Array([dx - max(y1, y2), min(x1, x2) + dy, dx - min(y1, y2), max(x1, x2) + dy])

    page.contents_add(b"q 0 1 -1 0 " + _number(dx) + b" " + _number(dy) + b" cm\n", prepend=True)
    page.contents_add(b"\nQ\n", prepend=False)
    # The print's trim and bleed turn with the page, inside its media (bleed and slug).
    for key in ("/MediaBox", "/CropBox", "/TrimBox", "/BleedBox", "/ArtBox"):
        if key in page.obj:
            page.obj[key] = turned(page.obj[key])
    for annot in page.obj.get("/Annots", []):
        annot.Rect = turned(annot.Rect)


def turn_destinations(pdf: pikepdf.Pdf, pages: set[int]) -> None:
    """Move the named destinations on the ``pages`` (0-based) that ``turn_page`` set
    upright to where their points now are."""
    import pikepdf

    # From the upright media [left, bottom, right, top], turn_page's (dx - y, x + dy).
    shifts = {}
    for index in pages:
        left, bottom, right, _top = (float(v) for v in pdf.pages[index].mediabox)
        shifts[pdf.pages[index].obj.objgen] = (right + bottom, bottom - left)
    names = pdf.Root.get("/Names")
    dests = names.get("/Dests") if isinstance(names, pikepdf.Dictionary) else None
    if dests is None:
        return
    for _name, dest in pikepdf.NameTree(dests).items():
        array = dest.get("/D") if isinstance(dest, pikepdf.Dictionary) else dest
        if not isinstance(array, pikepdf.Array) or len(array) < 4 or array[0].objgen not in shifts:
            continue
        if str(array[1]) == "/XYZ":
            (dx, dy), x, y = shifts[array[0].objgen], float(array[2]), float(array[3])
            array[2], array[3] = dx - y, x + dy


@dataclass(frozen=True)
class Overlay:
    """A form to draw over a page: a form XObject of the page's own PDF, the resource
    name it is drawn under, and what it says (for text extraction and screen readers)."""

    name: str
    form: pikepdf.Object
    actual_text: str | None = None


def draw_over(page: pikepdf.Page, overlays: Iterable[Overlay]) -> None:
    """Draw each of ``overlays`` over ``page``, in turn, under its own resource name.

    The names are fixed, not pikepdf's random overlay names, so that the same inputs
    give the same bytes.
    """
    draws = []
    # Pages laid out together share one resource dictionary: the page gets its own,
    # so that a form drawn on one page is not listed among its neighbours' resources.
    resources = _copied(page.obj.get("/Resources"))
    xobjects = _copied(resources.get("/XObject"))
    for overlay in overlays:
        xobjects[f"/{overlay.name}"] = overlay.form
        draw = f"/{overlay.name} Do".encode()
        if overlay.actual_text:
            # pdftotext and screen readers take a turned word letter by letter, each its
            # own word; ActualText gives them the words as they are meant to be read.
            text = ("\ufeff" + overlay.actual_text).encode("utf-16-be").hex().upper().encode()
            draw = b"/Span <</ActualText <" + text + b">>> BDC\n" + draw + b"\nEMC"
        draws.append(b"q\n" + draw + b"\nQ\n")
    if not draws:
        return
    resources.XObject = xobjects
    page.obj.Resources = resources
    # WeasyPrint's pages begin with an unsaved `1 0 0 -1 0 H cm` that turns the y axis
    # over and never undo it: drawn after it, a form lands mirrored and mostly off the
    # page. Saving the state before the page's content and restoring it after puts the
    # forms back in the page's own coordinates.
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"\nQ\n" + b"".join(draws), prepend=False)


def _copied(dictionary: object) -> pikepdf.Dictionary:
    """A new direct dictionary with the entries of ``dictionary`` (none if it is not one)."""
    import pikepdf

    if isinstance(dictionary, pikepdf.Dictionary):
        # A shallow copy, made by qpdf: faster than copying entry by entry.
        return copy.copy(dictionary)
    return pikepdf.Dictionary()


def retag_fonts(pdf: pikepdf.Pdf, salt: str) -> None:
    """Give every font subset of ``pdf`` a tag of its own, made from ``salt``.

    WeasyPrint tags a subset after its font, not its glyphs, so a PDF laid out apart
    from another carries a different subset under the same name; once its pages are
    merged with the other's, a RIP or viewer that caches fonts by name would draw
    them with the other's glyphs. Done before merging, so that only ``pdf``'s own
    fonts are renamed.
    """
    import pikepdf

    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        kind = obj.get("/Type")
        key = "/BaseFont" if kind == "/Font" else "/FontName" if kind == "/FontDescriptor" else None
        if key is None or key not in obj:
            continue
        name = str(obj[key])
        if SUBSET.match(name):
            obj[key] = pikepdf.Name(_retagged(name, salt))


def drop_annotations(page: pikepdf.Page) -> None:
    """Drop a page's links and any other annotation.

    PDF/X allows none inside the page, and a page cut out of the book would keep
    links into pages it leaves. Done before the page is copied into another PDF, so
    that nothing they refer to is copied with it.
    """
    if "/Annots" in page.obj:
        del page.obj["/Annots"]


def set_metadata(pdf: pikepdf.Pdf, xmp: str) -> None:
    """Give ``pdf`` the XMP packet ``xmp`` as its metadata, replacing WeasyPrint's (if any):
    the title in every language of the book, which the document information cannot hold."""
    import pikepdf

    pdf.Root.Metadata = pdf.make_stream(xmp.encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)


_XMP_NAMESPACES = {
    "x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/", "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/", "pdfx": "http://ns.adobe.com/pdfx/1.3/",
    "pdfxid": "http://www.npes.org/pdfx/ns/id/", "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
}
_XPACKET = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n', '\n<?xpacket end="w"?>')


def merged_metadata(existing: str, ours: str) -> str:
    """One XMP packet: ``existing`` (WeasyPrint's, with what PDF/X asks of it: its version,
    trapping, document id) with every property ``ours`` gives replaced by ours (the title
    in every language of the book, the creators, the languages, the dates)."""
    from xml.etree import ElementTree

    for prefix, uri in _XMP_NAMESPACES.items():
        ElementTree.register_namespace(prefix, uri)
    rdf = "{" + _XMP_NAMESPACES["rdf"] + "}"

    def descriptions(text: str) -> tuple[ElementTree.Element, list[ElementTree.Element]]:
        root = ElementTree.fromstring(re.sub(r"<\?xpacket[^>]*\?>", "", text).strip())
        container = root.find(f"{rdf}RDF")
        if container is None:
            raise ValueError("XMP without rdf:RDF")
        return container, container.findall(f"{rdf}Description")

    target, theirs = descriptions(existing)
    _, mine = descriptions(ours)
    given = {child.tag for description in mine for child in description}
    given |= {name for description in mine for name in description.attrib if name != f"{rdf}about"}
    for description in theirs:
        for child in [c for c in description if c.tag in given]:
            description.remove(child)
        for name in [n for n in description.attrib if n in given]:
            del description.attrib[name]
        if not len(description) and set(description.attrib) <= {f"{rdf}about"}:
            target.remove(description)
    target.extend(mine)
    packet = ElementTree.tostring(target, encoding="unicode")
    return f'{_XPACKET[0]}<x:xmpmeta xmlns:x="{_XMP_NAMESPACES["x"]}">{packet}</x:xmpmeta>{_XPACKET[1]}'


def merge_metadata(pdf: pikepdf.Pdf, xmp: str) -> None:
    """Give ``pdf`` the XMP packet ``xmp`` merged into the one it has (``merged_metadata``)."""
    existing = pdf.Root.Metadata.read_bytes().decode("utf-8") if "/Metadata" in pdf.Root else None
    set_metadata(pdf, merged_metadata(existing, xmp) if existing else xmp)


def with_metadata(data: bytes, xmp: str) -> bytes:
    """``data``, a PDF, with the XMP packet ``xmp`` as its metadata."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        set_metadata(pdf, xmp)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def pdf_problem(data: bytes, pages: int) -> str | None:
    """What is wrong with ``data`` as a PDF of ``pages`` pages, or None: it must open
    and have those pages."""
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            count = len(pdf.pages)
    except (pikepdf.PdfError, ValueError, RuntimeError) as exc:
        return f"it does not open: {exc}"
    return f"{count} pages instead of {pages}" if count != pages else None


def read_pdf(path: Path, read: Callable[[pikepdf.Pdf], T]) -> T:
    """What ``read`` makes of the PDF at ``path``."""
    import pikepdf

    with pikepdf.open(path) as pdf:
        return read(pdf)


# What a number's place depends on in a content stream as WeasyPrint writes it (hex
# glyph ids, no literal strings): the font set, the graphics state saved and restored,
# and the text runs, found with one expression instead of parsing every operand.
_TEXT = re.compile(
    rb"(?<!\S)(?:/(?P<font>[^\s/\[\]<>()]+)\s+[-+\d.]+\s+Tf|(?P<save>q)|(?P<restore>Q)"
    rb"|\[(?P<run>[^\]]*)\]\s*TJ)(?!\S)"
)
_RUN_ITEM = re.compile(rb"<([0-9A-Fa-f]*)>|([-+]?[\d.]+)")


def drawing(page: pikepdf.Page) -> bytes:
    """A page's content streams, as one."""
    import pikepdf

    contents = page.obj.get("/Contents")
    if contents is None:
        return b""
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(part.read_bytes() for part in contents)
    return bytes(contents.read_bytes())


def page_fonts(page: pikepdf.Page) -> dict[str, Any]:
    """A page's font resources by name."""
    resources = page.obj.get("/Resources")
    fonts = resources.get("/Font") if resources is not None else None
    return {str(name): font for name, font in fonts.items()} if fonts is not None else {}


def text_runs(drawing: bytes) -> Iterator[tuple[tuple[int, int], str, bytes]]:
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


def run_glyphs(run: bytes) -> list[bytes] | None:
    """The glyphs of a TJ array as written in a content stream (see ``unkerned``)."""
    return unkerned(float(number) if number else _hex(hexadecimal)
                    for hexadecimal, number in _RUN_ITEM.findall(run))


def _hex(digits: bytes) -> bytes:
    try:
        return bytes.fromhex(digits.decode("ascii"))
    except ValueError:  # an odd count of digits: not a run of two-byte glyph ids
        return b"\0"


def instruction_glyphs(instruction: Any) -> list[bytes] | None:
    """The glyphs of a parsed text-showing instruction (see ``unkerned``)."""
    import pikepdf

    operand = instruction.operands[0]
    items = list(operand) if isinstance(operand, pikepdf.Array) else [operand]
    return unkerned(bytes(item) if isinstance(item, pikepdf.String) else float(item) for item in items)


def unkerned(items: Iterable[bytes | float]) -> list[bytes] | None:
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


def parse_widths(array: Any) -> dict[int, float]:
    """A CID font's /W array as CID → width."""
    widths: dict[int, float] = {}
    items = list(array)
    i = 0
    while i < len(items):
        first = int(items[i])
        following = items[i + 1]
        if isinstance(following, int) or not hasattr(following, "__iter__"):
            widths.update(dict.fromkeys(range(first, int(following) + 1), float(items[i + 2])))
            i += 3
        else:
            widths.update({first + offset: float(width) for offset, width in enumerate(following)})
            i += 2
    return widths


def build_widths(widths: dict[int, float]) -> list[Any]:
    """CID → width as a /W array of runs of consecutive CIDs."""
    result: list[Any] = []
    # Consecutive CIDs keep one difference from their places in the sorted list.
    for _, group in itertools.groupby(enumerate(sorted(widths)), lambda item: item[1] - item[0]):
        run = [cid for _, cid in group]
        result += [run[0], [_width(widths[cid]) for cid in run]]
    return result


def _width(value: float) -> float | int:
    return int(value) if value == int(value) else value


_BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")
_BFRANGE = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def parse_to_unicode(data: bytes) -> dict[int, str]:
    """A ToUnicode CMap's bfchar and bfrange entries as CID → hex of UTF-16BE."""
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for first, last, target in _BFRANGE.findall(block):
            base = int(target, 16)
            for offset, cid in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping.setdefault(cid, f"{base + offset:0{len(target)}x}")
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for cid, target in _BFCHAR.findall(block):
            mapping.setdefault(int(cid, 16), target.decode().lower())
    return mapping


def build_to_unicode(mapping: dict[int, str]) -> bytes:
    """A ToUnicode CMap for CID → hex of UTF-16BE."""
    lines = [
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap",
        "/CIDSystemInfo", "<< /Registry (Adobe)", "/Ordering (UCS)", "/Supplement 0", ">> def",
        "/CMapName /Adobe-Identity-UCS def", "/CMapType 2 def",
        "1 begincodespacerange", "<0000> <ffff>", "endcodespacerange",
    ]
    items = sorted(mapping.items())
    for start in range(0, len(items), 100):
        chunk = items[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines += [f"<{cid:04x}> <{target}>" for cid, target in chunk]
        lines.append("endbfchar")
    lines += ["endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end"]
    return "\n".join(lines).encode()
