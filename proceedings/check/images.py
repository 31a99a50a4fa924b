"""Raster figures: readable, and sharp enough for print.

``image-resolution``: a raster figure with fewer than ``MIN_DPI`` pixels per inch at
its printed width. The printed width is the figure's ``width`` (mm, cm, in, pt, px or
a percentage of the text block), else the width of the text block of the book's trim
(page width less the inner and outer margins of ``render.PAGE_GEOMETRY``).
``image-unreadable``: a figure file that Pillow (which WeasyPrint draws raster images
with) cannot decode. ``image-too-large``, an error: a raster figure of more than
``MAX_PIXELS`` pixels, which laying out could exhaust the memory with (decoded, each
pixel takes four bytes, and the layout may hold more than one copy); told from the
file's header alone, never by decoding it. The limit lets through a whole A4 page
scanned at 600 dpi (35 megapixels). SVG is vector: it has no resolution and is not
opened here.
Only files inside the paper's folder are opened; ``records`` reports the others.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from PIL import Image

from proceedings.check.base import Check, Unit
from proceedings.diagnostics import Diagnostic, error, warning
from proceedings.model import Figure, Paper, Sources
from proceedings.render import PAGE_GEOMETRY

MIN_DPI = 300
MAX_PIXELS = 40_000_000
_VECTOR = {".svg", ".svgz"}
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


def _open(path: Path) -> Image.Image:
    """The image with its header read: its size is known, its pixels are not decoded."""
    try:
        return Image.open(path)
    except Image.DecompressionBombError:
        # Beyond twice its own limit Pillow refuses to open the file before it tells
        # the size, and the size is what the finding must give. Reading the header
        # costs nothing, so the limit is lifted for this one call only.
        with _LIMIT_LOCK:
            limit = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                return Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = limit


def _pixels(path: Path) -> tuple[int, int]:
    """The pixel size of a raster image; raises if Pillow cannot read it."""
    with warnings.catch_warnings():
        # A very large image is not an unreadable one: it is reported as too large, and
        # Pillow's own warning (meant for servers) must not reach the editor's terminal.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with _open(path) as image:
            size = image.size
            if size[0] * size[1] <= MAX_PIXELS:
                image.verify()  # reads the data through, so a truncated file fails here
    return size


def _check_figure(paper: Paper, figure: Figure, block_mm: float) -> Iterator[Diagnostic]:
    folder = Path(paper.path).parent
    target = (folder / figure.file).resolve()
    inside = "://" not in figure.file and target.is_relative_to(folder.resolve())
    if not inside or not target.is_file() or target.suffix.lower() in _VECTOR:
        return
    try:
        width_px, height_px = _pixels(target)
    except Exception as exc:  # Pillow raises many types for undecodable data; each is this finding
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
    if width_px * height_px > MAX_PIXELS:
        yield error(
            paper.path,
            figure.line,
            f"figure {figure.id}: '{figure.file}' is {width_px}×{height_px} px "
            f"({width_px * height_px / 1e6:.0f} megapixels), more than the {MAX_PIXELS // 1_000_000} "
            "megapixels a figure may have: laying it out could exhaust the memory; scale it down "
            "(a whole A4 page at 600 dpi is 35 megapixels) and export it again",
            "image-too-large",
        )
        return
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
