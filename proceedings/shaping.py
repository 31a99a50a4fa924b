"""Text widths from the bundled fonts, shaped by the HarfBuzz that Pango lays text out with.

The line breaker (``linebreak``) chooses a paragraph's lines before WeasyPrint lays it
out, so its widths must be WeasyPrint's own: WeasyPrint asks Pango, Pango shapes with the
system's HarfBuzz (kerning on, glyph positions not rounded), and this module calls that
same library on the same font files. It is loaded with ctypes, as ``system`` loads it to
check it is there: Pango cannot work without it, so nothing new is needed.
"""

from __future__ import annotations

import ctypes
from array import array
from functools import lru_cache
from pathlib import Path
from typing import Final

_LIBRARY_NAMES: Final = ("libharfbuzz.so.0", "libharfbuzz.0.dylib")


class _GlyphInfo(ctypes.Structure):
    _fields_ = [("codepoint", ctypes.c_uint32), ("mask", ctypes.c_uint32),
                ("cluster", ctypes.c_uint32), ("var1", ctypes.c_uint32), ("var2", ctypes.c_uint32)]


class _GlyphPosition(ctypes.Structure):
    _fields_ = [("x_advance", ctypes.c_int32), ("y_advance", ctypes.c_int32),
                ("x_offset", ctypes.c_int32), ("y_offset", ctypes.c_int32), ("var", ctypes.c_uint32)]


@lru_cache(maxsize=1)
def _harfbuzz() -> ctypes.CDLL:
    for name in _LIBRARY_NAMES:
        try:
            library = ctypes.CDLL(name)
        except OSError:
            continue
        break
    else:  # pragma: no cover - system.py makes sure it is installed
        msg = "HarfBuzz (libharfbuzz.so.0) is not installed"
        raise OSError(msg)
    void_p, uint = ctypes.c_void_p, ctypes.c_uint
    signatures: dict[str, tuple[object, list[object]]] = {
        "hb_blob_create_from_file": (void_p, [ctypes.c_char_p]),
        "hb_face_create": (void_p, [void_p, uint]),
        "hb_face_get_upem": (uint, [void_p]),
        "hb_font_create": (void_p, [void_p]),
        "hb_buffer_create": (void_p, []),
        "hb_buffer_clear_contents": (None, [void_p]),
        "hb_buffer_add_codepoints": (None, [void_p, ctypes.POINTER(ctypes.c_uint32), ctypes.c_int,
                                            uint, ctypes.c_int]),
        "hb_buffer_guess_segment_properties": (None, [void_p]),
        "hb_shape": (None, [void_p, void_p, void_p, uint]),
        "hb_buffer_get_length": (uint, [void_p]),
        "hb_buffer_get_glyph_infos": (ctypes.POINTER(_GlyphInfo), [void_p, void_p]),
        "hb_buffer_get_glyph_positions": (ctypes.POINTER(_GlyphPosition), [void_p, void_p]),
    }
    for function, (restype, argtypes) in signatures.items():
        getattr(library, function).restype = restype
        getattr(library, function).argtypes = argtypes
    return library


class Face:
    """One font file, shaping strings into per-character advances in points."""

    def __init__(self, path: Path) -> None:
        hb = _harfbuzz()
        blob = hb.hb_blob_create_from_file(str(path).encode())
        face = hb.hb_face_create(blob, 0)
        self._upem = int(hb.hb_face_get_upem(face))
        if self._upem == 0:
            msg = f"{path}: not a font HarfBuzz can read"
            raise ValueError(msg)
        self._font = hb.hb_font_create(face)
        self._buffer = hb.hb_buffer_create()
        self._cache: dict[str, tuple[int, ...]] = {}

    def advances(self, text: str) -> tuple[int, ...]:
        """Each character's advance in font units, kerning included (a cluster's advance
        goes to its first character)."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        hb = _harfbuzz()
        length = len(text)
        codepoints = (ctypes.c_uint32 * length).from_buffer_copy(text.encode("utf-32-le"))
        hb.hb_buffer_clear_contents(self._buffer)
        hb.hb_buffer_add_codepoints(self._buffer, codepoints, length, 0, length)
        hb.hb_buffer_guess_segment_properties(self._buffer)
        hb.hb_shape(self._font, self._buffer, None, 0)
        count = hb.hb_buffer_get_length(self._buffer)
        infos = hb.hb_buffer_get_glyph_infos(self._buffer, None)
        positions = hb.hb_buffer_get_glyph_positions(self._buffer, None)
        # The glyphs' records read at once, as arrays of their five 32-bit fields (reading
        # them field by field through ctypes took most of the time).
        clusters = array("I", ctypes.string_at(infos, count * ctypes.sizeof(_GlyphInfo)))[2::5]
        x_advances = array("i", ctypes.string_at(positions, count * ctypes.sizeof(_GlyphPosition)))[::5]
        result = [0] * length
        for cluster, x_advance in zip(clusters, x_advances, strict=True):
            result[min(cluster, length - 1)] += x_advance
        advances = tuple(result)
        if len(self._cache) < 200_000:
            self._cache[text] = advances
        return advances

    def width(self, text: str, size: float) -> float:
        """The width of ``text`` set in one piece at ``size`` points."""
        return sum(self.advances(text)) * size / self._upem

    def scale(self, size: float) -> float:
        """Points per font unit at ``size`` points."""
        return size / self._upem


@lru_cache(maxsize=16)
def face(path: Path) -> Face:
    """The shaper of one font file, made once per process."""
    return Face(path)
