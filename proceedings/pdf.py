"""HTML to pages to PDF with WeasyPrint, and the page map read from the layout.

WeasyPrint is imported here only, and only when something must be laid out:
importing it costs about a second.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import hashlib
import logging
import multiprocessing.util
import os
import re
import sys
import tempfile
import urllib.parse
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.diagnostics import Diagnostic, error, warning

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.document import Document
    from weasyprint.text.fonts import FontConfiguration


@dataclass(frozen=True)
class Layout:
    """A laid-out book: the WeasyPrint document and the page of every anchor."""

    document: Document
    anchors: dict[str, int]  # anchor id → 1-based page index
    diagnostics: list[Diagnostic]

    @property
    def pages(self) -> int:
        return len(self.document.pages)


class FetchRefused(Exception):
    """A resource outside the allowed folders, or on the network."""


def make_url_fetcher(allowed: list[Path], refused: list[str]) -> Any:
    """A URL fetcher that serves only files under ``allowed`` and records the rest.

    Sources come from many authors: nothing they write may read the editor's other
    files or reach the network, whatever scheme, ``..`` or symlink they try.
    """
    from weasyprint.urls import URLFetcher

    roots = [p.resolve() for p in allowed]

    class SourcesFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                # resolve() follows symlinks, so a link that escapes is caught too.
                path = Path(urllib.parse.unquote(parsed.path)).resolve()
                if path.is_file() and any(path.is_relative_to(root) for root in roots):
                    return super().fetch(path.as_uri(), headers)
            refused.append(url)
            raise FetchRefused(f"refused to fetch {url}")

    return SourcesFetcher(allowed_protocols={"file", "data"}, timeout=1)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _captured_logs() -> Iterator[_Capture]:
    # WeasyPrint reports broken CSS and failed resources through logging, not
    # exceptions; turn them into diagnostics instead of letting them print.
    logger = logging.getLogger("weasyprint")
    handler = _Capture()
    previous = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


@dataclass(frozen=True)
class _Style:
    """Parsed stylesheets with their fonts, and what parsing them refused or warned of."""

    fonts: FontConfiguration
    css: list[CSS]
    refused: tuple[str, ...]
    warnings: tuple[str, ...]


# A process lays out many units with the same stylesheets: parsing them and loading
# their fonts once instead of per unit saves ~30 ms a unit. Keyed by the stylesheets'
# text and the files they refer to, so an edited style or font is read again.
_STYLES: OrderedDict[str, _Style] = OrderedDict()
_STYLES_KEPT = 4


def _forget_styles() -> None:
    _STYLES.clear()
    gc.collect()  # WeasyPrint's objects hold the fonts in reference cycles


_forgets_in: set[int] = set()  # the processes where _forget_styles will run at exit


def _forget_at_exit() -> None:
    """Let the kept styles go before this process ends.

    A FontConfiguration deletes its temporary font folder when it is collected;
    kept until the end, it must be let go while the interpreter still works: at
    exit, or in a pool worker (which ends without running atexit) by the exit hook
    multiprocessing runs there, registered in that process itself.
    """
    if os.getpid() in _forgets_in:
        return
    _forgets_in.add(os.getpid())
    atexit.register(_forget_styles)
    multiprocessing.util.Finalize(None, _forget_styles, exitpriority=0)


_URL = re.compile(r"""url\(\s*["']?([^"')]+)""")


def _style_key(stylesheets: list[Path], css_strings: tuple[str, ...], allowed: list[Path]) -> str:
    digest = hashlib.sha256(repr((css_strings, [str(p) for p in allowed])).encode())
    for path in stylesheets:
        text = path.read_bytes()
        digest.update(str(path).encode() + b"\0" + text)
        for url in _URL.findall(text.decode("utf-8", "replace")):
            target = path.parent / urllib.parse.unquote(url)
            if target.is_file():
                stat = target.stat()
                digest.update(f"{target} {stat.st_mtime_ns} {stat.st_size}".encode())
    return digest.hexdigest()


def _style(stylesheets: list[Path], css_strings: tuple[str, ...], allowed: list[Path]) -> _Style:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    key = _style_key(stylesheets, css_strings, allowed)
    if key in _STYLES:
        _STYLES.move_to_end(key)
        return _STYLES[key]
    refused: list[str] = []
    fetcher = make_url_fetcher(allowed, refused)
    fonts = FontConfiguration()
    with _captured_logs() as capture:
        css = [CSS(filename=str(p), font_config=fonts, url_fetcher=fetcher) for p in stylesheets]
        css += [CSS(string=text, font_config=fonts, url_fetcher=fetcher) for text in css_strings]
    style = _Style(fonts, css, tuple(refused), tuple(r.getMessage() for r in capture.records))
    _forget_at_exit()
    _STYLES[key] = style
    while len(_STYLES) > _STYLES_KEPT:
        _STYLES.popitem(last=False)
    return style


def paginate(html: str, *, styles: Path, stylesheets: list[Path], allowed: list[Path],
             css_strings: tuple[str, ...] = ()) -> Layout:
    """Lay out the book; collect WeasyPrint's complaints as diagnostics.

    ``css_strings`` come after the stylesheets: CSS rendered from a template, such as
    the print page box whose bleed is set in book.yaml.
    """
    from weasyprint import HTML

    from proceedings.hyphenation import register_kazakh

    register_kazakh()
    style = _style(stylesheets, css_strings, allowed)
    refused = list(style.refused)
    fetcher = make_url_fetcher(allowed, refused)
    with _captured_logs() as capture:
        document = HTML(string=html, base_url=str(styles) + os.sep, url_fetcher=fetcher).render(
            stylesheets=style.css, font_config=style.fonts
        )
    anchors: dict[str, int] = {}
    for number, page in enumerate(document.pages, 1):
        for name in page.anchors:
            anchors.setdefault(name, number)
    diagnostics = [
        error("build", 0, f"refused to load {url}: only files inside the sources, styles and "
              "fonts folders may be used", "refused-url")
        for url in dict.fromkeys(refused)
    ]
    messages = [*style.warnings, *(record.getMessage() for record in capture.records)]
    diagnostics += [
        warning("styles", 0, message, "render")
        for message in messages
        if "refused to fetch" not in message
    ]
    return Layout(document, anchors, diagnostics)


def release_memory() -> None:
    """Give the memory freed so far back to the system.

    A large book's build holds the text of every paper, then the findings, then
    the assembled PDF; without this, the heap keeps the high-water mark of the
    stages before and the process peaks at their sum.
    """
    gc.collect()
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):  # another C library: no trim
            ctypes.CDLL("libc.so.6").malloc_trim(0)


# A file's digest by its path, size and modification time: the fonts and stylesheets
# are read once per process, not at every rebuild of proceedings watch.
_digests: dict[tuple[str, int, int], bytes] = {}


def file_digest(path: Path) -> bytes:
    """The SHA-256 of a file's content, read again only when it changes."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        _digests[key] = hashlib.sha256(path.read_bytes()).digest()
    return _digests[key]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600; give the output the mode open() would (0644 under
        # the usual umask), so that the editor's group or a web server can read the book.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pdf_bytes(layout: Layout, *, identifier: bytes) -> bytes:
    """The PDF of a laid-out book, with a fixed identifier so builds are reproducible."""
    return bytes(layout.document.write_pdf(pdf_identifier=identifier))


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

    pydyf always uses level 9, which costs four times level 6 for 2 % smaller
    streams. A context variable, not a setting: threads laying out other documents
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

    For the parts engine's units: the assembler replaces every unit's bundled fonts
    with one subset per face cut from the font file (fontmerge), so cutting a subset
    in every unit, a tenth of its layout time, is wasted. The stub keeps the font's
    names, by which the assembler finds the file. Other fonts (a system font drawing
    a character the bundled ones lack), and fonts WeasyPrint had to patch (glyphs
    missing, colour or variable fonts), keep their own subsets.
    """
    from weasyprint.pdf import fonts

    if not getattr(fonts.Font.clean, "_stubs", False):
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

        clean._stubs = True  # type: ignore[attr-defined]
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
    import io

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
