"""The only place where the engine reaches into WeasyPrint's and pydyf's internals.

Both change only how the parts' PDFs are written, never what is drawn:
- ``font_stubs``: a part embeds a stub of each bundled font instead of a subset,
  since the assembler replaces every part's bundled fonts by one subset per face
  (``layout.fonts``); it replaces WeasyPrint's ``Font.clean``.
- ``compression_level``: a part's streams are compressed at zlib level 6, not
  pydyf's 9; it replaces the ``zlib`` module pydyf sees.

They hold for the WeasyPrint and pydyf releases pyproject.toml admits;
``check_internals`` says which internal a new release no longer has, and a test
calls it, so that an upgrade that breaks them fails loudly instead of silently
embedding full subsets or writing different bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any


def check_internals() -> list[str]:
    """What this module relies on and the installed WeasyPrint or pydyf lacks."""
    import inspect

    import pydyf
    from weasyprint.pdf import fonts

    missing = []
    if not isinstance(getattr(pydyf, "zlib", None), (type(zlib), _Zlib)):
        missing.append("pydyf.zlib, the module pydyf compresses streams with")
    clean = getattr(fonts.Font, "clean", None)
    if clean is None or list(inspect.signature(getattr(clean, "_original", clean)).parameters) != [
            "self", "to_unicode", "hinting"]:
        missing.append("weasyprint.pdf.fonts.Font.clean(self, to_unicode, hinting)")
    for name in ("missing", "png", "svg", "colr", "tables", "type", "file_content", "index"):
        if name not in inspect.getsource(fonts.Font):
            missing.append(f"weasyprint.pdf.fonts.Font.{name}")
    return missing


# The zlib level pydyf compresses streams with in this context; None: its own (9).
_LEVEL: ContextVar[int | None] = ContextVar("zlib_level", default=None)


class _Zlib:
    """The zlib module as pydyf sees it, with the level of the current context."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        chosen = _LEVEL.get()
        return zlib.compressobj(level if chosen is None else chosen, *args, **kwargs)


@contextmanager
def compression_level(level: int) -> Iterator[None]:
    """Have pydyf compress the streams written in this context at zlib ``level``.

    pydyf always uses level 9, several times slower than level 6 for slightly
    smaller streams. A context variable, not a setting: threads laying out other documents
    at the same time keep their own level, so every output stays reproducible.
    """
    import pydyf

    if not isinstance(pydyf.zlib, _Zlib):
        pydyf.zlib = _Zlib()
    token = _LEVEL.set(level)
    try:
        yield
    finally:
        _LEVEL.reset(token)


# Whether fonts are embedded as stubs in this context (see ``font_stubs``).
_STUBS: ContextVar[str | None] = ContextVar("font_stubs", default=None)
_stub_of: dict[str, bytes] = {}  # a font file's digest and index → its stub


@contextmanager
def font_stubs(bundled: Path) -> Iterator[None]:
    """Embed a stub of each of the ``bundled`` fonts, not a subset, in the PDFs written
    in this context.

    For the parts engine's parts: the assembler replaces every part's bundled fonts
    with one subset per face cut from the font file (``layout.fonts``), so cutting a
    subset in every part is wasted work. The stub keeps the font's
    names, by which the assembler finds the file. Other fonts (a system font drawing
    a character the bundled ones lack), and fonts WeasyPrint had to patch (glyphs
    missing, colour or variable fonts), keep their own subsets.
    """
    from weasyprint.pdf import fonts

    if not hasattr(fonts.Font.clean, "_original"):
        original = fonts.Font.clean

        def clean(self: Any, to_unicode: Any, hinting: Any) -> None:
            folder = _STUBS.get()
            plain = not (self.missing or self.png or self.svg or self.colr or "fvar" in self.tables)
            if folder is not None and plain and self.type == "ttf":
                digest = hashlib.sha1(self.file_content).hexdigest()
                if digest in _bundled(folder):
                    self.file_content = _stub(digest, self.file_content, self.index)
                    return
            original(self, to_unicode, hinting)

        clean._original = original  # type: ignore[attr-defined]
        fonts.Font.clean = clean
    token = _STUBS.set(str(bundled))
    try:
        yield
    finally:
        _STUBS.reset(token)


@functools.cache
def _bundled(folder: str) -> frozenset[str]:
    """The digests of the font files in ``folder``."""
    return frozenset(hashlib.sha1(p.read_bytes()).hexdigest() for p in Path(folder).glob("*.[ot]tf"))


def _stub(digest: str, content: bytes, index: int) -> bytes:
    """A font program holding only the font's name table."""
    from fontTools.ttLib import TTFont

    key = f"{digest} {index}"
    if key not in _stub_of:
        with TTFont(io.BytesIO(content), fontNumber=index, lazy=True) as font:
            stub = TTFont()
            stub["name"] = font["name"]
            out = io.BytesIO()
            stub.save(out)
        _stub_of[key] = out.getvalue()
    return _stub_of[key]
