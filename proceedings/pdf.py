"""HTML to pages to PDF with WeasyPrint, and the page map read from the layout.

WeasyPrint is imported here only, and only when something must be laid out:
importing it costs about a second.
"""

from __future__ import annotations

import logging
import os
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.diagnostics import Diagnostic, error, warning

if TYPE_CHECKING:
    from weasyprint.document import Document


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


def paginate(html: str, *, styles: Path, stylesheets: list[Path], allowed: list[Path],
             css_strings: tuple[str, ...] = ()) -> Layout:
    """Lay out the book; collect WeasyPrint's complaints as diagnostics.

    ``css_strings`` come after the stylesheets: CSS rendered from a template, such as
    the print page box whose bleed is set in book.yaml.
    """
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from proceedings.hyphenation import register_kazakh

    register_kazakh()
    refused: list[str] = []
    fetcher = make_url_fetcher(allowed, refused)
    fonts = FontConfiguration()
    with _captured_logs() as capture:
        css = [CSS(filename=str(p), font_config=fonts, url_fetcher=fetcher) for p in stylesheets]
        css += [CSS(string=text, font_config=fonts, url_fetcher=fetcher) for text in css_strings]
        document = HTML(string=html, base_url=str(styles) + os.sep, url_fetcher=fetcher).render(
            stylesheets=css, font_config=fonts
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
    diagnostics += [
        warning("styles", 0, record.getMessage(), "render")
        for record in capture.records
        if "refused to fetch" not in record.getMessage()
    ]
    return Layout(document, anchors, diagnostics)


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
