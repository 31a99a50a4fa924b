"""Preflight: check a finished PDF the way a print shop does before it takes it.

Every font embedded and qpdf's structural check (``qpdf --check``, run by pikepdf,
qpdf's own library, so no program needs installing) always; the page count a multiple
of the signature when one is given; and for a print PDF also trim and bleed boxes,
no RGB colour anywhere (text, vector art, images, blending spaces), and images of at
least 300 dpi at the size they are printed.
"""

from __future__ import annotations

import math
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, StreamObject

from proceedings.diagnostics import Diagnostic, error
from proceedings.messages import Message, msg, verbatim
from proceedings.pdfedit import operations

# A print PDF's slug: paper past the bleed, trimmed away, where the crop marks and each
# page's information line sit. Presses ask for 10 mm or more.
SLUG_MM = 10
MM = 72 / 25.4

MIN_DPI = 300
RGB_SPACES = {"/DeviceRGB", "/CalRGB"}
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


@dataclass(frozen=True)
class PreflightOptions:
    signature: int | None = None
    print: bool = False  # a print PDF: boxes, colour and resolution are checked too


def preflight(path: Path, opts: PreflightOptions) -> list[Diagnostic]:
    """Every reason ``path`` would be refused; empty when it passes."""
    where = str(path)
    try:
        # A pipe would block the reader forever and /dev/zero would fill the memory.
        if not stat.S_ISREG(path.stat().st_mode):
            return [error(where, 0, msg("not a regular file (a folder, pipe or device); give a PDF file"),
                          "pdf-unreadable")]
    except OSError as exc:
        return [error(where, 0, msg("cannot read the PDF: {reason}", reason=str(exc.strerror)),
                      "pdf-unreadable")]
    found = _structure(path)
    try:
        pages = list(PdfReader(path).pages)
    except (PdfReadError, OSError, ValueError) as exc:
        return [*found, error(where, 0, msg("cannot read the PDF: {reason}", reason=str(exc)),
                              "pdf-unreadable")]
    if opts.signature and len(pages) % opts.signature:
        found.append(error(where, 0, msg("{n} pages is not a multiple of the signature {signature}",
                                         n=len(pages), signature=opts.signature), "signature"))
    fonts: dict[str, int] = {}
    for number, page in enumerate(pages, 1):
        for name in _unembedded_fonts(page.get("/Resources"), set()):
            fonts.setdefault(name, number)
        if opts.print:
            found += _check_boxes(where, number, page)
            found += _check_colour(where, number, page)
    for name, number in fonts.items():
        found.append(error(where, 0, msg("page {page}: font {name} is not embedded", page=number, name=name),
                           "font-not-embedded"))
    return found


def _structure(path: Path) -> list[Diagnostic]:
    """What ``qpdf --check`` finds: damage recovered from, syntax and stream errors."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            problems = pdf.check_pdf_syntax()
    except (pikepdf.PdfError, OSError) as exc:
        problems = [f"ERROR: {exc}"]
    if not problems:
        return []
    # The diagnostic names the file already; qpdf's messages begin with it too.
    shown = [problem.replace(f"{path}: ", "").replace(f"{path} ", "") for problem in problems[:3]]
    more = f"; {len(problems) - 3} more" if len(problems) > 3 else ""
    return [error(str(path), 0, verbatim(f"qpdf --check: {'; '.join(shown)}{more}"), "qpdf")]


def _resources(resources: object) -> DictionaryObject:
    obj = resources.get_object() if resources is not None else None  # type: ignore[attr-defined]
    return obj if isinstance(obj, DictionaryObject) else DictionaryObject()


def _unembedded_fonts(resources: object, seen: set[int]) -> Iterator[str]:
    res = _resources(resources)
    if id(res) in seen:
        return
    seen.add(id(res))
    for font_ref in _resources(res.get("/Font")).values():
        font = font_ref.get_object()
        name = str(font.get("/BaseFont", font.get("/Name", "?"))).lstrip("/")
        if font.get("/Subtype") == "/Type3":
            # Type3 glyphs are content streams in the file: embedded by construction,
            # but they may use fonts of their own.
            yield from _unembedded_fonts(font.get("/Resources"), seen)
            continue
        parts = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
        for part in parts:
            descriptor = part.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                yield name
    for xobject in _resources(res.get("/XObject")).values():
        obj = xobject.get_object()
        if obj.get("/Subtype") == "/Form":
            yield from _unembedded_fonts(obj.get("/Resources"), seen)


def _box(page: PageObject, key: str) -> list[float] | None:
    value = page.get(key)
    return None if value is None else [float(v) for v in value.get_object()]


def _check_boxes(where: str, number: int, page: PageObject) -> list[Diagnostic]:
    trim, bleed = _box(page, "/TrimBox"), _box(page, "/BleedBox")
    found = [error(where, 0, msg("page {page}: no /{key}", page=number, key=key), "page-box")
             for key, box in (("TrimBox", trim), ("BleedBox", bleed)) if box is None]
    if trim and bleed and not (bleed[0] <= trim[0] and bleed[1] <= trim[1]
                               and bleed[2] >= trim[2] and bleed[3] >= trim[3]):
        found.append(error(where, 0, msg("page {page}: the BleedBox does not contain the TrimBox",
                                         page=number), "page-box"))
    media = _box(page, "/MediaBox")
    if bleed and media:
        # Past the bleed, the slug holds the crop marks and the page's information line:
        # none at all (no marks), or at least SLUG_MM on every side.
        slug = min(bleed[0] - media[0], bleed[1] - media[1], media[2] - bleed[2], media[3] - bleed[3])
        if slug < -0.01:
            found.append(error(where, 0, msg("page {page}: the MediaBox does not contain the BleedBox",
                                             page=number), "page-box"))
        elif 0.01 < slug < SLUG_MM * MM - 0.01:
            found.append(error(where, 0, msg("page {page}: a slug of {slug:.1f} mm past the bleed: crop "
                                             "marks need {need} mm", page=number, slug=slug / MM,
                                             need=SLUG_MM), "page-box"))
    return found


def _is_rgb(space: object, resources: DictionaryObject) -> bool:
    """Whether a colour space (a name or an array) is RGB, resolving named spaces."""
    space = space.get_object() if hasattr(space, "get_object") else space
    if isinstance(space, str) and space not in RGB_SPACES and not space.startswith("/Device"):
        named = _resources(resources.get("/ColorSpace")).get(space)
        if named is not None:
            space = named.get_object()
    if isinstance(space, str):
        return space in RGB_SPACES
    if isinstance(space, ArrayObject) and space:
        family = space[0]
        if family in RGB_SPACES:
            return True
        if family == "/ICCBased":
            return int(space[1].get_object().get("/N", 0)) == 3
        if family == "/Indexed":
            return _is_rgb(space[1], resources)
    return False


def _check_colour(where: str, number: int, page: PageObject) -> list[Diagnostic]:
    reasons: dict[str, Message] = {}
    group = page.get("/Group")
    if group is not None and _is_rgb(group.get_object().get("/CS"), DictionaryObject()):
        reasons.setdefault("group", msg("the page's blending colour space is RGB"))
    contents = page.get_contents()
    data = contents.get_data() if contents is not None else b""
    _walk(data, _resources(page.get("/Resources")), IDENTITY, reasons, set())
    found = [error(where, 0, msg("page {page}: {problem}", page=number, problem=text), "rgb-colour")
             for key, text in reasons.items() if not key.startswith("dpi")]
    found += [error(where, 0, msg("page {page}: {problem}", page=number, problem=text), "image-resolution")
              for key, text in reasons.items() if key.startswith("dpi")]
    return found


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s,
            e * p + f * r + t, e * q + f * s + u)


def _walk(data: bytes, resources: DictionaryObject, ctm: Matrix, reasons: dict[str, Message],
          seen: set[int]) -> None:
    """Follow one content stream: its colours, and every image with the CTM it is drawn at."""
    stack: list[Matrix] = []
    for op in operations(data):
        name, values = op.operator, op.operands
        if name == "q":
            stack.append(ctm)
        elif name == "Q":
            ctm = stack.pop() if stack else ctm
        elif name == "cm" and len(values) == 6 and all(isinstance(v, float) for v in values):
            ctm = _multiply(tuple(values), ctm)  # type: ignore[arg-type]
        elif name in {"rg", "RG"}:
            shown = " ".join(f"{v:g}" for v in values if isinstance(v, float))
            reasons.setdefault("rg", msg("RGB colour ({values} {operator})", values=shown, operator=name))
        elif name in {"cs", "CS"} and values and _is_rgb(values[0], resources):
            reasons.setdefault("cs", msg("RGB colour space ({space} {operator})", space=str(values[0]),
                                         operator=name))
        elif name == "Do" and values and isinstance(values[0], str):
            xobject = _resources(resources.get("/XObject")).get(values[0])
            if xobject is not None:
                _draw(xobject.get_object(), str(values[0]), resources, ctm, reasons, seen)
        elif name == "EI":
            reasons.setdefault("inline", msg("an inline image (its colour and resolution are unchecked)"))


def _draw(obj: object, name: str, resources: DictionaryObject, ctm: Matrix,
          reasons: dict[str, Message], seen: set[int]) -> None:
    if not isinstance(obj, StreamObject):
        return
    if obj.get("/Subtype") == "/Image":
        if not obj.get("/ImageMask") and _is_rgb(obj.get("/ColorSpace"), resources):
            reasons.setdefault(f"image{name}", msg("image {name} is RGB", name=name))
        width_in = math.hypot(ctm[0], ctm[1]) / 72
        height_in = math.hypot(ctm[2], ctm[3]) / 72
        if width_in and height_in:
            dpi = min(int(obj.get("/Width", 0)) / width_in, int(obj.get("/Height", 0)) / height_in)
            if dpi < MIN_DPI:
                reasons.setdefault(f"dpi{name}", msg("image {name} is printed at {dpi:.0f} dpi, under {min}",
                                                     name=name, dpi=dpi, min=MIN_DPI))
        return
    if obj.get("/Subtype") != "/Form" or id(obj) in seen:
        return
    seen.add(id(obj))
    group = obj.get("/Group")
    if group is not None and _is_rgb(group.get_object().get("/CS"), resources):
        reasons.setdefault("group", msg("form {name} blends in RGB", name=name))
    matrix = obj.get("/Matrix")
    form_ctm = _multiply(tuple(float(v) for v in matrix), ctm) if matrix else ctm  # type: ignore[arg-type]
    form_resources = _resources(obj.get("/Resources")) if "/Resources" in obj else resources
    _walk(obj.get_data(), form_resources, form_ctm, reasons, seen)
    seen.discard(id(obj))
