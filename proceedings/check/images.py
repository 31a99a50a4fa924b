"""Raster figures: readable, and sharp enough for print.

``image-resolution``: a raster figure with fewer than ``MIN_DPI`` pixels per inch at
its printed width. The printed width is the figure's ``width`` (mm, cm, in, pt, px or
a percentage of the text block), else the width of the text block of the book's trim
(page width less the inner and outer margins of ``render.PAGE_GEOMETRY``).
``image-unreadable``: a figure file that Pillow (which WeasyPrint draws raster images
with) cannot decode. SVG is vector: it has no resolution and is not opened here.
Only files inside the paper's folder are opened; ``records`` reports the others.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from PIL import Image

from proceedings.check.base import Check, Unit
from proceedings.diagnostics import Diagnostic, warning
from proceedings.model import Figure, Paper, Sources
from proceedings.render import PAGE_GEOMETRY

MIN_DPI = 300
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


def _pixels(path: Path) -> tuple[int, int]:
    """The pixel size of a raster image; raises if Pillow cannot decode it."""
    with warnings.catch_warnings():
        # A very large image is not an unreadable one; Pillow's bomb warning is for servers.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(path) as image:
            size = image.size
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
