"""Figures: readable, sharp enough for print, and small enough to lay out.

``image-resolution``: a raster figure with fewer than ``MIN_DPI`` pixels per inch at
its printed width. The printed width is the figure's ``width`` (mm, cm, in, pt, px or
a percentage of the text block), else the width of the text block of the book's trim
(page width less the inner and outer margins of ``render.PAGE_GEOMETRY``).
``image-unreadable``: a figure file that is neither an image Pillow (which WeasyPrint
draws raster images with) can decode nor an SVG document.
``image-too-large``, an error: a raster image of more than ``MAX_PIXELS`` pixels, which
laying out could exhaust the memory with (decoded, each pixel takes four bytes, and the
layout may hold more than one copy); told from the file's header alone, never by
decoding it. The limit lets through a whole A4 page scanned at 600 dpi (35 megapixels).
``svg-too-complex``, an error: an SVG of more than ``MAX_SVG_BYTES`` bytes, or that
draws more than ``MAX_SVG_ELEMENTS`` elements once every ``<use>`` is expanded (a few
nested ``<use>`` multiply a small file into billions of shapes).

A file is told by its bytes, never by its name: a PNG named ``.svg`` is a raster image
(WeasyPrint falls back to Pillow for it). Every image the layout may load is checked:
the figure itself, and whatever an SVG figure refers to (``<image>``, ``<use>`` of
another file, ``url()`` and ``@import`` in its styles, ``data:`` URLs), to a depth of
``MAX_SVG_DEPTH`` files; a reference out of the paper's folder is an error
(``refused-url``), as the layout would refuse it.
Only files inside the paper's folder are opened; ``records`` reports the others.
"""

from __future__ import annotations

import base64
import gzip
import io
import re
import threading
import urllib.parse
import warnings
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from PIL import Image, UnidentifiedImageError

from proceedings.check.base import Check, Unit
from proceedings.diagnostics import Diagnostic, error, warning
from proceedings.model import Figure, Paper, Sources
from proceedings.render import PAGE_GEOMETRY

MIN_DPI = 300
MAX_PIXELS = 40_000_000
MAX_SVG_BYTES = 16_000_000
MAX_SVG_ELEMENTS = 200_000
MAX_SVG_DEPTH = 3
_MM_PER = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "px": 25.4 / 96}
_WIDTH_RE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mm|cm|in|pt|px|%)\s*$", re.IGNORECASE)
_LENGTH_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*mm\s*$")


def _mm(length: str) -> float:
    match = _LENGTH_RE.match(length)
    if match is None:
        raise ValueError(f"not a length in mm: {length!r}")
    return float(match[1])


def text_block_mm(trim: str) -> float:
    """The width of the text block of a trim, in mm."""
    page = PAGE_GEOMETRY[trim]
    return _mm(page.width) - _mm(page.margin_inner) - _mm(page.margin_outer)


def printed_width_mm(width: str | None, block_mm: float) -> tuple[float, str]:
    """How wide a figure prints, in mm, and where that width comes from."""
    match = _WIDTH_RE.match(width or "")
    if match is None:
        return block_mm, f"the text block width ({block_mm:g} mm)"
    value, unit = float(match[1].replace(",", ".")), match[2].lower()
    mm = block_mm * value / 100 if unit == "%" else value * _MM_PER[unit]
    return mm, f"its width {width.strip() if width else ''} ({mm:.0f} mm)"


# Pillow's limit on image size is a global of the library: lifting it, even for one
# call, must not race another lifting in this process.
_LIMIT_LOCK = threading.Lock()


def _open(path: Path | IO[bytes]) -> Image.Image:
    """The image with its header read: its size is known, its pixels are not decoded."""
    try:
        return Image.open(path)
    except Image.DecompressionBombError:
        # Beyond twice its own limit Pillow refuses to open the file before it tells
        # the size, and the size is what the finding must give. Reading the header
        # costs nothing, so the limit is lifted for this one call only.
        if not isinstance(path, Path):
            path.seek(0)
        with _LIMIT_LOCK:
            limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                return Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = limit


class _Problem(Exception):
    """What makes an image impossible to lay out: an error, with its code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Unreadable(Exception):
    """Not an image: a warning (the book prints an empty frame)."""


def _raster_size(source: Path | bytes) -> tuple[int, int] | None:
    """The pixel size of a raster image, or None if Pillow does not know the format;
    raises ``_Unreadable`` if it does but the data is damaged."""
    with warnings.catch_warnings():
        # A very large image is not an unreadable one: it is reported as too large, and
        # Pillow's own warning (meant for servers) must not reach the editor's terminal.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = _open(source if isinstance(source, Path) else io.BytesIO(source))
        except UnidentifiedImageError:
            return None
        except Exception as exc:  # Pillow raises many types for undecodable data
            raise _Unreadable(str(exc) or type(exc).__name__) from exc
        try:
            with image:
                size = image.size
                if size[0] * size[1] <= MAX_PIXELS:
                    image.verify()  # reads the data through, so a truncated file fails here
        except Exception as exc:
            raise _Unreadable(str(exc) or type(exc).__name__) from exc
    return size


def _svg_root(data: bytes) -> ElementTree.Element | None:
    """The document element of an SVG, or None if ``data`` is no SVG."""
    if data[:2] == b"\x1f\x8b":  # svgz
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as unzipped:
                data = unzipped.read(MAX_SVG_BYTES + 1)
        except (OSError, EOFError):
            return None
        if len(data) > MAX_SVG_BYTES:
            raise _Problem("svg-too-complex", f"unpacks to more than {MAX_SVG_BYTES // 1_000_000} MB")
    try:
        root = ElementTree.fromstring(data)
    except (ElementTree.ParseError, ValueError):
        return None
    return root if _local(root.tag) == "svg" else None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def _references(root: ElementTree.Element) -> Iterator[str]:
    """Every URL an SVG document may load, as written (not the links of ``<a>``, which
    the layout makes into links and never loads)."""
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in {"href", _XLINK_HREF} and _local(element.tag) != "a":
                yield value.strip()
            for match in _CSS_URL.finditer(value):
                yield next(group for group in match.groups() if group is not None).strip()
        if _local(element.tag) == "style" and element.text:
            for pattern in (_CSS_URL, _CSS_IMPORT):
                for match in pattern.finditer(element.text):
                    yield next(group for group in match.groups() if group is not None).strip()


def _expanded_elements(root: ElementTree.Element, external: dict[str, int]) -> int:
    """How many elements an SVG draws with every ``<use>`` expanded: its own elements,
    and for each ``<use>`` what it refers to (``external`` for other files), counted
    once per use. Stops counting past the limit; a ``<use>`` that refers to itself
    through others counts as past it."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    done: dict[int, int] = {}
    visiting: set[int] = set()
    over = MAX_SVG_ELEMENTS + 1
    # Depth first, without recursion: a deep document must not exhaust Python's stack.
    stack: list[tuple[ElementTree.Element, bool]] = [(root, False)]
    while stack:
        element, children_done = stack.pop()
        key = id(element)
        targets = list(element)
        href = (element.get("href") or element.get(_XLINK_HREF) or "").strip()
        extra = 0
        if _local(element.tag) == "use" and href:
            if href.startswith("#"):
                target = by_id.get(href[1:])
                if target is not None:
                    targets.append(target)
            else:
                extra = external.get(href.split("#", 1)[0], 0)
        if children_done:
            visiting.discard(key)
            done[key] = min(over, 1 + extra + sum(done[id(t)] for t in targets))
            continue
        if key in done:
            continue
        if key in visiting:  # a cycle of <use>
            return over
        visiting.add(key)
        stack.append((element, True))
        stack.extend((t, False) for t in targets if id(t) not in done)
        for target in targets:
            if id(target) in visiting and id(target) not in done:
                return over
    return done[id(root)]


def _read(path: Path) -> bytes:
    with path.open("rb") as handle:
        # More than any SVG may be is not needed to tell what the file is.
        return handle.read(MAX_SVG_BYTES + 1)


def _data_url(url: str) -> bytes:
    head, _, payload = url.partition(",")
    if head.lower().endswith(";base64"):
        try:
            return base64.b64decode(payload[: 2 * MAX_SVG_BYTES], validate=False)
        except ValueError:
            return b""
    return urllib.parse.unquote_to_bytes(payload[: 2 * MAX_SVG_BYTES])


class _Inspector:
    """Checks an image and everything it refers to, inside one paper's folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.weights: dict[Path, int] = {}  # SVG files seen: their expanded elements
        self.raster: tuple[int, int] | None = None  # the figure's pixels, if it is a raster image

    def file(self, path: Path, name: str, depth: int) -> int:
        """Check the file ``path`` (``name`` as the source writes it); the elements it
        draws, expanded."""
        if path in self.weights:
            return self.weights[path]
        self.weights[path] = MAX_SVG_ELEMENTS + 1  # a file that refers to itself
        weight = self.data(path, name, path.parent, depth)
        self.weights[path] = weight
        return weight

    def data(self, source: Path | bytes, name: str, base: Path, depth: int) -> int:
        size = _raster_size(source)
        if size is not None:
            width, height = size
            if width * height > MAX_PIXELS:
                raise _Problem(
                    "image-too-large",
                    f"{name} is {width}×{height} px ({width * height / 1e6:.0f} megapixels), more "
                    f"than the {MAX_PIXELS // 1_000_000} megapixels a figure may have: laying it out "
                    "could exhaust the memory; scale it down (a whole A4 page at 600 dpi is 35 "
                    "megapixels) and export it again",
                )
            if depth == 0:
                self.raster = size
            return 1
        data = _read(source) if isinstance(source, Path) else source
        if len(data) > MAX_SVG_BYTES:
            raise _Problem(
                "svg-too-complex",
                f"{name} is an SVG of more than {MAX_SVG_BYTES // 1_000_000} MB: laying it out could "
                "exhaust the memory; simplify it, or export it as PNG",
            )
        root = _svg_root(data)
        if root is None:
            if depth:  # a font or a stylesheet of the SVG: no image, nothing to decode
                return 0
            raise _Unreadable("neither a raster image nor an SVG document")
        external: dict[str, int] = {}
        for url in dict.fromkeys(_references(root)):
            if not url or url.startswith("#"):
                continue
            if depth >= MAX_SVG_DEPTH:
                raise _Problem(
                    "svg-too-complex",
                    f"{name} nests images more than {MAX_SVG_DEPTH} files deep: put the images "
                    "in one SVG, or export it as PNG",
                )
            if url.lower().startswith("data:"):
                self.data(_data_url(url), f"an image embedded in {name}", base, depth + 1)
                continue
            parsed = urllib.parse.urlparse(url)
            target = (base / urllib.parse.unquote(parsed.path)).resolve()
            if parsed.scheme or parsed.netloc or not target.is_relative_to(self.folder):
                raise _Problem(
                    "refused-url",
                    f"{name} refers to '{url[:80]}', outside the paper's folder: the layout would "
                    "refuse it; put the file beside paper.md",
                )
            if not target.is_file():
                continue  # the layout draws nothing for it
            shown = f"'{target.relative_to(self.folder).as_posix()}' (in {name})"
            external[url.split("#", 1)[0]] = self.file(target, shown, depth + 1)
        weight = _expanded_elements(root, external)
        if weight > MAX_SVG_ELEMENTS:
            raise _Problem(
                "svg-too-complex",
                f"{name} draws more than {MAX_SVG_ELEMENTS:,} elements once its <use> references "
                "are expanded: laying it out could take hours; simplify it, or export it as PNG",
            )
        return weight


def _check_figure(paper: Paper, figure: Figure, block_mm: float) -> Iterator[Diagnostic]:
    folder = Path(paper.path).parent
    target = (folder / figure.file).resolve()
    inside = "://" not in figure.file and target.is_relative_to(folder.resolve())
    if not inside or not target.is_file():
        return
    inspector = _Inspector(folder)
    try:
        inspector.file(target, f"'{figure.file}'", 0)
    except _Problem as problem:
        yield error(paper.path, figure.line, f"figure {figure.id}: {problem.message}", problem.code)
        return
    except (_Unreadable, OSError) as exc:
        # Pillow names the file by its full path; the finding names it as the source does.
        reason = " ".join(str(exc).replace(str(target), figure.file).split())[:120] or type(exc).__name__
        yield warning(
            paper.path,
            figure.line,
            f"figure {figure.id}: '{figure.file}' cannot be read as an image ({reason}): "
            "the book would print an empty frame; export it again as PNG, JPEG or SVG",
            "image-unreadable",
        )
        return
    raster = inspector.raster
    if raster is None:  # SVG is vector: it has no resolution
        return
    width_px, height_px = raster
    mm, how = printed_width_mm(figure.width, block_mm)
    if mm <= 0:
        return
    dpi = width_px / (mm / 25.4)
    if dpi < MIN_DPI:
        need = int(-(-MIN_DPI * mm // 25.4))
        yield warning(
            paper.path,
            figure.line,
            f"figure {figure.id}: '{figure.file}' is {width_px}×{height_px} px, which printed at "
            f"{how} is {dpi:.0f} dpi, below the {MIN_DPI} dpi print needs: supply an image at "
            f"least {need} px wide, or a vector (SVG) one",
            "image-resolution",
        )


def _check_paper(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    block = text_block_mm(sources.book.trim)
    for figure in paper.figures:
        yield from _check_figure(paper, figure, block)


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [Check("images", p.path, partial(_check_paper, sources, p)) for p in sources.papers if p.figures]
