"""Fonts: one embedded font per face in the assembled book, instead of one per part.

Every part's PDF embeds its own subset (or a stub, see ``patches``) of each face it
uses. WeasyPrint keeps the
original glyph ids in its subsets (CID = GID), so the subsets of one face are
interchangeable once a single subset holds the union of their glyphs: that subset
is made from the bundled font file, and every part's font resource is pointed at
one font object with the merged widths and Unicode map. Without this, a book made
of many parts is much larger than the same book laid out as one document.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.files import file_digest
from proceedings.layout.cache import seal, sealed
from proceedings.pdfedit import build_to_unicode, build_widths, parse_to_unicode, parse_widths

if TYPE_CHECKING:
    import pikepdf

# The tables WeasyPrint drops from its own subsets; the merged subset matches them.
DROP_TABLES = ["BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG "]
# Tables fontTools cannot subset and would otherwise keep with a warning on stderr.
DROP_TABLES += ["FFTM"]


def _font_dicts(book: pikepdf.Pdf) -> Iterator[Any]:
    """Every /Font resource dictionary of the pages and of the forms drawn on them."""
    seen: set[tuple[int, int]] = set()
    stack = [page.obj.get("/Resources") for page in book.pages]
    while stack:
        resources = stack.pop()
        if resources is None:
            continue
        if resources.is_indirect:
            if resources.objgen in seen:
                continue
            seen.add(resources.objgen)
        if "/Font" in resources:
            yield resources.Font
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == "/Form" and "/Resources" in xobject:
                stack.append(xobject.Resources)


def _is_mergeable(font: Any) -> bool:
    if font.get("/Subtype") != "/Type0":
        return False
    descendant = font.DescendantFonts[0]
    return bool(
        descendant.get("/Subtype") == "/CIDFontType2"
        and descendant.get("/CIDToGIDMap") == "/Identity"
        and "/FontFile2" in descendant.FontDescriptor
    )


class FontFiles:
    """The bundled font files by their PostScript names."""

    def __init__(self, folder: Path) -> None:
        from fontTools.ttLib import TTFont

        self.by_name: dict[str, Path] = {}
        self._counts: dict[Path, int] = {}
        for path in sorted(folder.glob("*.ttf")):
            with TTFont(path, lazy=True) as font:
                self.by_name[str(font["name"].getDebugName(6))] = path

    def glyph_count(self, path: Path) -> int:
        from fontTools.ttLib import TTFont

        if path not in self._counts:
            with TTFont(path, lazy=True) as font:
                self._counts[path] = int(font["maxp"].numGlyphs)
        return self._counts[path]

    def original(self, subset_program: bytes) -> Path | None:
        from fontTools.ttLib import TTFont

        with TTFont(io.BytesIO(subset_program), lazy=True) as font:
            return self.by_name.get(str(font["name"].getDebugName(6)))


def font_files(folder: Path) -> FontFiles:
    """The bundled font files of ``folder``, read once per process while they stay the same
    (``proceedings watch`` assembles the book at every save)."""
    stamp = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.ttf")))
    return _font_files(str(folder), stamp)


@functools.lru_cache(maxsize=4)
def _font_files(folder: str, stamp: tuple[tuple[str, int, int], ...]) -> FontFiles:
    return FontFiles(Path(folder))


def subset_program(original: Path, glyphs: set[int], cache: Path) -> bytes:
    """The bundled font cut down to ``glyphs``, glyph ids kept; cached by its inputs."""
    key = hashlib.sha256(file_digest(original) + repr(sorted(glyphs)).encode()).hexdigest()[:32]
    kept = sealed(cache, f"font-{key}", ".ttf")
    if kept is not None:
        return kept[1]
    program = _harfbuzz_subset(original.read_bytes(), glyphs | {0})
    if program is None:
        program = _fonttools_subset(original, glyphs | {0})

    seal(cache, f"font-{key}", ".ttf", program)
    return program


def _fonttools_subset(original: Path, glyphs: set[int]) -> bytes:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.retain_gids = True
    options.notdef_outline = True
    options.hinting = False
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.layout_features = []
    options.drop_tables += DROP_TABLES
    # Without recalcTimestamp=False the subset records when it was made, and two
    # builds of the same book would differ.
    with TTFont(original, recalcTimestamp=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=sorted(glyphs))
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


@functools.cache
def _harfbuzz() -> tuple[Any, Any] | None:
    """HarfBuzz and its subsetter, the libraries WeasyPrint subsets with, through ctypes:
    faster than fontTools, with a smaller peak of memory in the build's process (it
    buys 7 % of that row of ``bench/compare.py``), and without importing WeasyPrint here."""
    import ctypes
    import ctypes.util

    try:
        hb = ctypes.CDLL(ctypes.util.find_library("harfbuzz") or "libharfbuzz.so.0")
        sub = ctypes.CDLL(ctypes.util.find_library("harfbuzz-subset") or "libharfbuzz-subset.so.0")
    except OSError:
        return None
    pointer = ctypes.c_void_p
    hb.hb_blob_create.restype = pointer
    hb.hb_blob_create.argtypes = [ctypes.c_char_p, ctypes.c_uint, ctypes.c_int, pointer, pointer]
    hb.hb_face_create.restype = pointer
    hb.hb_face_create.argtypes = [pointer, ctypes.c_uint]
    hb.hb_face_reference_blob.restype = pointer
    hb.hb_face_reference_blob.argtypes = [pointer]
    hb.hb_blob_get_data.restype = ctypes.POINTER(ctypes.c_char)
    hb.hb_blob_get_data.argtypes = [pointer, ctypes.POINTER(ctypes.c_uint)]
    hb.hb_set_add.argtypes = [pointer, ctypes.c_uint32]
    for name in ("hb_blob_destroy", "hb_face_destroy"):
        getattr(hb, name).argtypes = [pointer]
    sub.hb_subset_input_create_or_fail.restype = pointer
    sub.hb_subset_input_glyph_set.restype = pointer
    sub.hb_subset_input_glyph_set.argtypes = [pointer]
    sub.hb_subset_input_set.restype = pointer
    sub.hb_subset_input_set.argtypes = [pointer, ctypes.c_int]
    sub.hb_subset_input_set_flags.argtypes = [pointer, ctypes.c_uint]
    sub.hb_subset_or_fail.restype = pointer
    sub.hb_subset_or_fail.argtypes = [pointer, pointer]
    sub.hb_subset_input_destroy.argtypes = [pointer]
    return hb, sub


_HB_NO_HINTING, _HB_RETAIN_GIDS, _HB_NOTDEF_OUTLINE = 0x1, 0x2, 0x40
_HB_DROP_TABLE_TAG = 3  # hb_subset_sets_t


def _harfbuzz_subset(data: bytes, glyphs: set[int]) -> bytes | None:
    """``data`` cut down to ``glyphs`` by HarfBuzz, glyph ids kept; None without it."""
    import ctypes

    libraries = _harfbuzz()
    if libraries is None:
        return None
    hb, sub = libraries
    blob = hb.hb_blob_create(data, len(data), 1, None, None)  # 1: read-only, not copied
    face = hb.hb_face_create(blob, 0)
    request = sub.hb_subset_input_create_or_fail()
    try:
        if not request:
            return None
        chosen = sub.hb_subset_input_glyph_set(request)
        for glyph in sorted(glyphs):
            hb.hb_set_add(chosen, glyph)
        dropped = sub.hb_subset_input_set(request, _HB_DROP_TABLE_TAG)
        for tag in DROP_TABLES:
            hb.hb_set_add(dropped, int.from_bytes(tag.encode("ascii"), "big"))
        sub.hb_subset_input_set_flags(request, _HB_NO_HINTING | _HB_RETAIN_GIDS | _HB_NOTDEF_OUTLINE)
        result = sub.hb_subset_or_fail(face, request)
        if not result:
            return None
        out = hb.hb_face_reference_blob(result)
        length = ctypes.c_uint()
        program = ctypes.string_at(hb.hb_blob_get_data(out, ctypes.byref(length)), length.value)
        hb.hb_blob_destroy(out)
        hb.hb_face_destroy(result)
        return program or None
    finally:
        if request:
            sub.hb_subset_input_destroy(request)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def unify_fonts(book: pikepdf.Pdf, fonts: Path, cache: Path) -> None:
    """Point every part's resource for one face at a single, merged font object."""
    import pikepdf

    uses: dict[str, list[tuple[Any, str]]] = {}  # face → (resource dict, resource name)
    objects: dict[str, dict[tuple[int, int], Any]] = {}
    for font_dict in _font_dicts(book):
        for name, font in font_dict.items():
            if font.is_indirect and _is_mergeable(font):
                face = str(font.BaseFont)
                uses.setdefault(face, []).append((font_dict, name))
                objects.setdefault(face, {})[font.objgen] = font
    files = font_files(fonts)
    for face, variants in objects.items():
        first = next(iter(variants.values()))
        original = files.original(first.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes())
        if original is None:
            continue  # not one of the bundled fonts: leave its subsets alone
        count = files.glyph_count(original)
        fonts_ = []
        widths: dict[int, float] = {}
        for font in variants.values():
            font_widths = parse_widths(font.DescendantFonts[0].W)
            # WeasyPrint draws characters the font lacks with glyph ids past the font's
            # own; such a subset cannot be rebuilt from the font file, so it stays.
            if max(font_widths, default=0) < count:
                fonts_.append(font)
                for cid, width in font_widths.items():
                    widths.setdefault(cid, width)
        if not fonts_:
            continue  # even one part's font is rebuilt, so that every face is cut alike
        first = fonts_[0]
        to_unicode: dict[int, str] = {}
        for font in fonts_:
            if "/ToUnicode" in font:
                for cid, target in parse_to_unicode(font.ToUnicode.read_bytes()).items():
                    to_unicode.setdefault(cid, target)
        merged_ids = {f.objgen for f in fonts_}
        program = subset_program(original, set(widths), cache)
        descriptor = pikepdf.Dictionary(first.DescendantFonts[0].FontDescriptor)
        boxes = [list(map(float, f.DescendantFonts[0].FontDescriptor.FontBBox)) for f in fonts_]
        descriptor.FontBBox = [min(b[0] for b in boxes), min(b[1] for b in boxes),
                               max(b[2] for b in boxes), max(b[3] for b in boxes)]
        descriptor.FontFile2 = pikepdf.Stream(book, zlib.compress(program), Filter=pikepdf.Name.FlateDecode,
                                              Length1=len(program))
        descendant = pikepdf.Dictionary(first.DescendantFonts[0])
        descendant.FontDescriptor = book.make_indirect(descriptor)
        descendant.W = build_widths(widths)
        merged = pikepdf.Dictionary(first)
        merged.DescendantFonts = [book.make_indirect(descendant)]
        merged.ToUnicode = pikepdf.Stream(book, zlib.compress(build_to_unicode(to_unicode)),
                                          Filter=pikepdf.Name.FlateDecode)
        merged_ref = book.make_indirect(merged)
        for font_dict, name in uses[face]:
            if font_dict[name].objgen in merged_ids:
                font_dict[name] = merged_ref
