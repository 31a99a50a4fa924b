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

import re
import urllib.parse
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from pathlib import Path
from xml.etree import ElementTree

from proceedings.check.base import Check, Unit
from proceedings.diagnostics import Diagnostic, error, warning
from proceedings.files import resolved
from proceedings.imagebounds import (
    MAX_PIXELS,
    MAX_SVG_BYTES,
    MAX_SVG_ELEMENTS,
    XLINK_HREF,
    Refused,
    Unreadable,
    data_url,
    expanded_elements,
    local,
    markup,
    raster_size,
    read_head,
    svg_root,
)
from proceedings.messages import Message, msg
from proceedings.model import Figure, Paper, Sources
from proceedings.render import PAGE_GEOMETRY

MIN_DPI = 300
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


def printed_width_mm(width: str | None, block_mm: float) -> tuple[float, Message]:
    """How wide a figure prints, in mm, and where that width comes from."""
    match = _WIDTH_RE.match(width or "")
    if match is None:
        return block_mm, msg("the text block width ({mm:g} mm)", mm=block_mm)
    value, unit = float(match[1].replace(",", ".")), match[2].lower()
    mm = block_mm * value / 100 if unit == "%" else value * _MM_PER[unit]
    return mm, msg("its width {width} ({mm:.0f} mm)", width=width.strip() if width else "", mm=mm)


_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s]*))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def _references(root: ElementTree.Element) -> Iterator[str]:
    """Every URL an SVG document may load, as written (not the links of ``<a>``, which
    the layout makes into links and never loads)."""
    for element in root.iter():
        for name, value in element.attrib.items():
            if name in {"href", XLINK_HREF} and local(element.tag) != "a":
                yield value.strip()
            for match in _CSS_URL.finditer(value):
                yield next(group for group in match.groups() if group is not None).strip()
        if local(element.tag) == "style" and element.text:
            for pattern in (_CSS_URL, _CSS_IMPORT):
                for match in pattern.finditer(element.text):
                    yield next(group for group in match.groups() if group is not None).strip()


class _Inspector:
    """Checks an image and everything it refers to, inside one paper's folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.weights: dict[Path, int] = {}  # SVG files seen: their expanded elements
        self.raster: tuple[int, int] | None = None  # the figure's pixels, if it is a raster image

    def file(self, path: Path, name: str | Message, depth: int) -> int:
        """Check the file ``path`` (``name`` as the source writes it); the elements it
        draws, expanded."""
        if path in self.weights:
            return self.weights[path]
        self.weights[path] = MAX_SVG_ELEMENTS + 1  # a file that refers to itself
        weight = self.data(path, name, path.parent, depth)
        self.weights[path] = weight
        return weight

    def data(self, source: Path | bytes, name: str | Message, base: Path, depth: int) -> int:
        size = raster_size(source)
        if size is not None:
            width, height = size
            if width * height > MAX_PIXELS:
                raise Refused("image-too-large", msg(
                    "{name} is {width}×{height} px ({megapixels:.0f} megapixels), more than the {limit} "
                    "megapixels a figure may have: laying it out could exhaust the memory; scale it "
                    "down (a whole A4 page at 600 dpi is 35 megapixels) and export it again",
                    name=name, width=width, height=height, megapixels=width * height / 1e6,
                    limit=MAX_PIXELS // 1_000_000))
            if depth == 0:
                self.raster = size
            return 1
        data = read_head(source) if isinstance(source, Path) else source
        if len(data) > MAX_SVG_BYTES and markup(data):
            raise Refused("svg-too-complex", msg(
                "{name} is an SVG of more than {limit} MB: laying it out could exhaust the memory; "
                "simplify it, or export it as PNG", name=name, limit=MAX_SVG_BYTES // 1_000_000))
        try:
            root = svg_root(data)
        except Refused as problem:
            raise Refused(problem.code, msg("{name} is {problem}: laying it out could exhaust the memory; "
                                            "simplify it, or export it as PNG", name=name,
                                            problem=problem.message)) from problem
        if root is None:
            if depth:  # a font or a stylesheet of the SVG: no image, nothing to decode
                return 0
            raise Unreadable("neither a raster image nor an SVG document")
        external: dict[str, int] = {}
        for url in dict.fromkeys(_references(root)):
            if not url or url.startswith("#"):
                continue
            if depth >= MAX_SVG_DEPTH:
                raise Refused("svg-too-complex", msg(
                    "{name} nests images more than {limit} files deep: put the images in one SVG, or "
                    "export it as PNG", name=name, limit=MAX_SVG_DEPTH))
            if url.lower().startswith("data:"):
                self.data(data_url(url), msg("an image embedded in {name}", name=name), base, depth + 1)
                continue
            parsed = urllib.parse.urlparse(url)
            target = resolved(base / urllib.parse.unquote(parsed.path))
            if target is None:  # a loop of links: the layout draws nothing for it
                continue
            if parsed.scheme or parsed.netloc or not target.is_relative_to(self.folder):
                raise Refused("refused-url", msg(
                    "{name} refers to '{url}', outside the paper's folder: the layout would refuse it; "
                    "put the file beside paper.md", name=name, url=url[:80]))
            if not target.is_file():
                continue  # the layout draws nothing for it
            shown = msg("'{file}' (in {name})", file=target.relative_to(self.folder).as_posix(), name=name)
            external[url.split("#", 1)[0]] = self.file(target, shown, depth + 1)
        weight = expanded_elements(root, external)
        if weight > MAX_SVG_ELEMENTS:
            raise Refused("svg-too-complex", msg(
                "{name} draws more than {limit:,} elements once its <use> references are expanded: "
                "laying it out could take hours; simplify it, or export it as PNG", name=name,
                limit=MAX_SVG_ELEMENTS))
        return weight


def _check_figure(paper: Paper, figure: Figure, block_mm: float) -> Iterator[Diagnostic]:
    folder = Path(paper.path).parent
    target = resolved(folder / figure.file)
    if target is None:  # a loop of links: records reports it
        return
    inside = "://" not in figure.file and target.is_relative_to(folder.resolve())
    if not inside or not target.is_file():
        return
    inspector = _Inspector(folder)
    try:
        inspector.file(target, f"'{figure.file}'", 0)
    except Refused as problem:
        yield error(paper.path, figure.line, msg("figure {id}: {problem}", id=figure.id,
                                                 problem=problem.message), problem.code)
        return
    except (Unreadable, OSError) as exc:
        # Pillow names the file by its full path; the finding names it as the source does.
        reason = " ".join(str(exc).replace(str(target), figure.file).split())[:120] or type(exc).__name__
        yield warning(paper.path, figure.line, msg(
            "figure {id}: '{file}' cannot be read as an image ({reason}): the book would print an empty "
            "frame; export it again as PNG, JPEG or SVG", id=figure.id, file=figure.file, reason=reason),
            "image-unreadable")
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
        yield warning(paper.path, figure.line, msg(
            "figure {id}: '{file}' is {width}×{height} px, which printed at {how} is {dpi:.0f} dpi, "
            "below the {min} dpi print needs: supply an image at least {need} px wide, or a vector "
            "(SVG) one",
            id=figure.id, file=figure.file, width=width_px, height=height_px, how=how,
            dpi=dpi, min=MIN_DPI, need=need), "image-resolution")


def _check_paper(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    block = text_block_mm(sources.book.trim)
    for figure in paper.figures:
        yield from _check_figure(paper, figure, block)


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [Check("images", p.path, partial(_check_paper, sources, p)) for p in sources.papers if p.figures]


_FAILED_LOAD = re.compile(r"Failed to load image at '(?P<url>[^']*)'(?::(?P<reason>.*))?", re.DOTALL)


def layout_findings(sources: Sources, layout: Iterable[Diagnostic], found: Iterable[Diagnostic]
                    ) -> list[Diagnostic]:
    """The layout's findings, with its complaint of a figure it could not load put at the
    figure's line, with a reason; dropped when the checker reported that figure already
    (in ``found``), so that check and build say the same."""
    figures: dict[Path, tuple[Paper, Figure]] = {}
    for paper in sources.papers:
        for figure in paper.figures:
            target = resolved(Path(paper.path).parent / figure.file)
            if target is not None:
                figures.setdefault(target, (paper, figure))
    reported = {(d.path, d.line) for d in found if d.code == "image-unreadable"}
    kept: list[Diagnostic] = []
    for diagnostic in layout:
        match = _FAILED_LOAD.fullmatch(diagnostic.message) if diagnostic.code == "render" else None
        if match is None:
            kept.append(diagnostic)
            continue
        parsed = urllib.parse.urlparse(match["url"])
        path = resolved(Path(urllib.parse.unquote(parsed.path))) if parsed.scheme == "file" else None
        reason: str | Message = (" ".join((match["reason"] or "").split())
                                 or msg("the layout could not read it"))
        if path is None or path not in figures:
            kept.append(warning(diagnostic.path, diagnostic.line,
                                msg("cannot load the image {url} ({reason})", url=match["url"],
                                    reason=reason), "render"))
            continue
        paper, figure = figures[path]
        if (paper.path, figure.line) not in reported:
            kept.append(warning(paper.path, figure.line, msg(
                "figure {id}: '{file}' cannot be drawn ({reason}): the book would print an empty frame; "
                "export it again as PNG, JPEG or SVG", id=figure.id, file=figure.file,
                reason=reason if isinstance(reason, Message) else reason[:120]), "image-unreadable"))
            reported.add((paper.path, figure.line))
    return kept
