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
import logging.handlers
import math
import multiprocessing.util
import os
import re
import sys
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from proceedings.diagnostics import Diagnostic, error, warning
from proceedings.files import resolved
from proceedings.messages import Message, msg, verbatim

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.document import Document
    from weasyprint.text.fonts import FontConfiguration


# The style's stylesheets every book and part is laid out with, in the order they
# apply (styles/css/).
STYLESHEETS = ("fonts.css", "page.css", "book.css")


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


def make_url_fetcher(allowed: list[Path], refused: list[str],
                     too_large: list[tuple[str, Message]] | None = None) -> Any:
    """A URL fetcher that serves only files under ``allowed`` and records the rest.

    Sources come from many authors: nothing they write may read the editor's other
    files or reach the network, whatever scheme, ``..`` or symlink they try. Nor may
    they make the layout decode an image past the limits of ``imagebounds``, however
    it is asked for: such a file or ``data:`` URL is refused, and recorded with the
    reason in ``too_large`` (else in ``refused``). The checker reports these before
    the layout; this is the layout's own guard.
    """
    from weasyprint.urls import URLFetcher

    from proceedings.imagebounds import data_url, layout_refusal

    roots = [p.resolve() for p in allowed]

    def refuse(url: str, reason: Message | None) -> FetchRefused:
        if reason is not None and too_large is not None:
            too_large.append((url, reason))
        else:
            refused.append(url)
        return FetchRefused(f"refused to fetch {url}" + (f": {reason}" if reason else ""))

    class SourcesFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme == "data":
                reason = layout_refusal(data_url(url))
                if reason is not None:
                    raise refuse(url[:60] + ("…" if len(url) > 60 else ""), reason)
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                # resolve() follows symlinks, so a link that escapes is caught too.
                path = resolved(Path(urllib.parse.unquote(parsed.path)))
                if path is not None and path.is_file() and any(
                        path.is_relative_to(root) for root in roots):
                    reason = layout_refusal(path)
                    if reason is not None:
                        raise refuse(url, reason)
                    return super().fetch(path.as_uri(), headers)
            raise refuse(url, None)

    return SourcesFetcher(allowed_protocols={"file", "data"}, timeout=1)


@contextmanager
def _captured_logs() -> Iterator[list[logging.LogRecord]]:
    # WeasyPrint reports broken CSS and failed resources through logging, not
    # exceptions; turn them into diagnostics instead of letting them print.
    logger = logging.getLogger("weasyprint")
    handler = logging.handlers.BufferingHandler(sys.maxsize)  # never full: keeps every record
    handler.setLevel(logging.WARNING)
    previous = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler.buffer
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


@dataclass(frozen=True)
class _Style:
    """Parsed stylesheets with their fonts, and what parsing them refused or warned of."""

    fonts: FontConfiguration
    css: list[CSS]
    # The @counter-style rules of the stylesheets (list markers such as "1)" and "а)")
    # are kept here by CSS() and must be handed to render(), or lists fall back to "1.".
    counters: CounterStyle
    refused: tuple[str, ...]
    warnings: tuple[str, ...]


def _forget_styles() -> None:
    _parsed_style.cache_clear()
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
    # A process lays out many parts with the same stylesheets: they are parsed and their
    # fonts loaded once, not once per part. Keyed by the stylesheets' text and the files
    # they refer to, so an edited style or font is read again.
    return _parsed_style(_style_key(stylesheets, css_strings, allowed), tuple(stylesheets), css_strings,
                         tuple(allowed))


@functools.lru_cache(maxsize=4)
def _parsed_style(_key: str, stylesheets: tuple[Path, ...], css_strings: tuple[str, ...],
                  allowed: tuple[Path, ...]) -> _Style:
    from weasyprint import CSS
    from weasyprint.css.counters import CounterStyle
    from weasyprint.text.fonts import FontConfiguration

    refused: list[str] = []
    fetcher = make_url_fetcher(list(allowed), refused)
    fonts = FontConfiguration()
    counters = CounterStyle()
    with _captured_logs() as records:
        css = [CSS(filename=str(p), font_config=fonts, counter_style=counters, url_fetcher=fetcher)
               for p in stylesheets]
        css += [CSS(string=text, font_config=fonts, counter_style=counters, url_fetcher=fetcher)
                for text in css_strings]
    _forget_at_exit()
    return _Style(fonts, css, counters, tuple(refused), tuple(r.getMessage() for r in records))


# Objects the interpreter allocates between two collections of its youngest generation
# while WeasyPrint lays out or writes (700 by default): layout makes millions of boxes,
# styles and Pango wrappers, and every collection walks them, while its garbage in
# cycles is small. Laying out the 2024 book as one document took 12 % less CPU so, and
# 4 MB more at its peak.
LAYOUT_GC_THRESHOLD = 50_000


@contextmanager
def _fewer_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(LAYOUT_GC_THRESHOLD, *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)


# How often a part is laid out again to move its figures, and the share of a page that a
# figure sent over may leave empty (the layout audit's layout-page-empty threshold).
_MAX_FIGURE_MOVES = 4
_HOLE = 1 / 3
_TOP = 20.0  # points below a page's top within which a figure stands first on its page
_FIGURE_RE = re.compile(r'<figure class="figure" id="([^"]+)">.*?</figure>\s*', re.DOTALL)
_PARAGRAPH_RE = re.compile(r"<p\b[^>]*>.*?</p>\s*", re.DOTALL)


def _content_bottom(box: Any) -> float:
    """Where the lowest line or image of a page's text ends (not its running head or
    folio, which the book laid out as one document draws in the page's margins)."""
    bottom = 0.0
    stack = [child for child in box.children if type(child).__name__ != "MarginBox"]
    while stack:
        current = stack.pop()
        name = type(current).__name__
        if name in ("LineBox", "InlineReplacedBox", "BlockReplacedBox"):
            bottom = max(bottom, current.position_y + current.margin_height())
            continue
        stack.extend(getattr(current, "children", ()))
    return bottom


_PAPER_RE = re.compile(r'<article class="paper[^"]*" id="([^"]+)"')


def _edited(html: str, edits: dict[str, tuple[int, int, str]]) -> str | None:
    """``html`` with each paper's edit (start, end, replacement) made, or None without one.
    A pass makes one edit per paper, from what the layout of that paper alone shows, so
    that a paper laid out alone and in the whole book is moved alike."""
    if not edits:
        return None
    for start, end, text in sorted(edits.values(), reverse=True):
        html = html[:start] + text + html[end:]
    return html


def _paper_at(html: str, position: int) -> str:
    """The id of the paper ``html`` has open at ``position``."""
    opened = [m[1] for m in _PAPER_RE.finditer(html, 0, position)]
    return opened[-1] if opened else ""


def _figure_moved_on(html: str, document: Document) -> str | None:
    """``html`` with the first figure of each paper that left a hole of more than
    ``_HOLE`` of the page before it moved after the paragraph that follows it, or None
    when none did."""
    edits: dict[str, tuple[int, int, str]] = {}
    first_page = _first_pages(document)
    for match in _FIGURE_RE.finditer(html):
        number = first_page.get(match[1], 0)
        if number == 0:
            continue
        page = document.pages[number]
        if page.anchors[match[1]][1] > page._page_box.content_box_y() + _TOP:
            continue  # not sent over: it stands below the text of its page
        before = document.pages[number - 1]._page_box
        area_top = before.content_box_y()
        area = before.height
        filled = _content_bottom(before) - area_top
        if area <= 0 or filled >= area * (1 - _HOLE):
            continue
        following = _PARAGRAPH_RE.match(html, match.end())
        if following is None:
            continue
        edits.setdefault(_paper_at(html, match.start()),
                         (match.start(), following.end(), following[0] + match[0]))
    return _edited(html, edits)


# A paper's last page holds at least this many lines, unless the whole paper is shorter.
MIN_LAST_LINES = 5
_BLOCK_TAGS = ("p", "li")
_WHOLE = "break-before: page"


def _lines(page: Any) -> list[tuple[Any, Any]]:
    """A page's lines of text, top to bottom, each with the block box it belongs to (not
    its running head or folio)."""
    found: list[tuple[Any, Any]] = []
    stack = [(child, page) for child in page.children if type(child).__name__ != "MarginBox"]
    while stack:
        current, parent = stack.pop()
        if type(current).__name__ == "LineBox":
            if _has_text(current):  # not the empty line of an anchor's span
                found.append((current, parent))
            continue
        stack.extend((child, current) for child in getattr(current, "children", ()))
    return sorted(found, key=lambda pair: pair[0].position_y)


def _has_text(box: Any) -> bool:
    if getattr(box, "text", "").strip():
        return True
    return any(_has_text(child) for child in getattr(box, "children", ()))


def _short_end_moved_on(html: str, document: Document) -> str | None:
    """``html`` with lines sent on to the last page of the first paper that ends with
    fewer than ``MIN_LAST_LINES`` lines on a page of its own: the paragraph that the
    page before ends with keeps more lines for the next page (``widows``), or goes over
    whole; None when no paper ends so."""
    edits: dict[str, tuple[int, int, str]] = {}
    pages = document.pages
    ends = {name: number for number, page in enumerate(pages) for name in page.anchors
            if name.startswith("paper-") and name.endswith("-end")}
    for end, number in sorted(ends.items(), key=lambda item: item[1]):
        start = next((n for n, page in enumerate(pages) if end.removesuffix("-end") in page.anchors), None)
        if start is None or number <= start:
            continue
        last = _lines(pages[number]._page_box)
        wanted = MIN_LAST_LINES - len(last)
        if not last or wanted <= 0:
            continue
        before = _lines(pages[number - 1]._page_box)
        if len(before) <= wanted + 2:
            continue
        # The paragraph the page before ends with: split across the turn, it keeps fewer
        # lines there (its widows, if two stay: its orphans); else, or when the lines it
        # would give are not enough, it goes over whole, if that leaves the page before
        # no more than two lines shorter than what the last page needs.
        element = _ending(before)
        if element is None:
            continue
        on_before, on_last = _lines_of(element, before), _lines_of(element, last)
        if on_last and on_before - wanted >= 2:
            style = f"widows: {on_last + wanted}"
        elif on_before <= wanted + 2 and not _lines_of(element, _lines(pages[number - 2]._page_box)):
            style = _WHOLE  # it begins on the page before
        else:
            continue
        tag = _unstyled_tag(html, pages[0]._page_box.children[0].element, element)
        if tag is None:
            continue
        stop = html.find(f'id="{end}"', tag.end())
        rest = html[tag.end():stop]
        if style == _WHOLE:  # a paragraph after it sent over before now follows it
            rest = rest.replace(f' style="{_WHOLE}"', "")
        edits[end] = (tag.start(), stop, f'<{element.tag} style="{style}"{tag[1]}>{rest}')
    return _edited(html, edits)


# The marks a part's HTML starts with for the pages of its spreads that end apart: those
# that give lines to the next page (``measure.short_spreads``), those whose table rows
# are spaced out (``measure.short_tables``) and the openings whose lines are brought onto
# the grid (``measure.head_shifts``), each as the part's anchor, the page from the part's
# first (0) and the lines, the points, or the direction (-1 up, 1 down).
_SPREAD_RE = re.compile(r"<!--(give|fill|head) ([^>]*)-->")


class SpreadMarks(NamedTuple):
    """What a part's spread marks say: the pages that give lines, those whose rows are
    spaced out, and the openings brought onto the grid."""

    given: list[tuple[str, int, int]]
    filled: list[tuple[str, int, float]]
    shifted: list[tuple[str, int, int]]


def give_mark(pages: list[tuple[str, int, int]]) -> str:
    """The mark a part's HTML starts with to have ``pages`` give lines (``paginate``)."""
    return _spread_mark("give", pages)


def fill_mark(pages: list[tuple[str, int, float]]) -> str:
    """The mark a part's HTML starts with to have the rows of ``pages`` spaced out."""
    return _spread_mark("fill", pages)


def head_mark(pages: list[tuple[str, int, int]]) -> str:
    """The mark a part's HTML starts with to have the lines of ``pages`` (openings) raised
    (-1) or lowered (1) onto the grid."""
    return _spread_mark("head", pages)


def _spread_mark(kind: str, pages: list[tuple[str, int, int]] | list[tuple[str, int, float]]) -> str:
    return f"<!--{kind} {' '.join(f'{anchor}:{page}:{amount}' for anchor, page, amount in pages)}-->"


def _spread_marks(html: str) -> tuple[str, SpreadMarks]:
    """``html`` without its spread marks, and what they said."""
    marks = SpreadMarks([], [], [])
    for kind, words in _SPREAD_RE.findall(html):
        for anchor, page, amount in (word.split(":") for word in words.split()):
            if kind == "fill":
                marks.filled.append((anchor, int(page), float(amount)))
            else:
                (marks.given if kind == "give" else marks.shifted).append((anchor, int(page), int(amount)))
    return _SPREAD_RE.sub("", html), marks


def _first_pages(document: Document) -> dict[str, int]:
    """Each anchor's first page (from 0)."""
    first: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            first.setdefault(name, number)
    return first


def _rows_filled(html: str, document: Document, pages: list[tuple[str, int, float]]) -> str | None:
    """``html`` with the rows of the table each of ``pages`` ends with made taller, each
    but the page's last by an equal share of the points the page ends short by, so that
    its text and the table's foot both come down by all of them; None when none can (a
    page with one row of its table)."""
    edits: dict[str, tuple[int, int, str]] = {}
    first = _first_pages(document)
    root = document.pages[0]._page_box.children[0].element
    for anchor, index, points in pages:
        number = first.get(anchor, -1) + index
        if anchor not in first or number >= len(document.pages):
            continue
        page = document.pages[number]._page_box
        table, rows = _last_table(page)
        if len(rows) < 2:
            continue
        # No more than the room below the table (a hair less, for rounding): asked for
        # more, its last row would go over to the next page.
        room = page.content_box_y() + page.height - (table.position_y + table.margin_height())
        share = min(points / _PX, room - _HAIR) / (len(rows) - 1)
        if share <= 0:
            continue
        for row in rows[:-1]:
            tag = _unstyled_tag(html, root, row.element)
            if tag is not None:
                edits[f"{anchor}:{index}:{tag.start()}"] = (
                    tag.start(), tag.end(), f'<tr style="height: {row.height + share:.2f}px"{tag[1]}>')
    return _edited(html, edits)


_HAIR = 0.75  # CSS pixels


def _heads_shifted(html: str, document: Document, pages: list[tuple[str, int, int]]) -> str | None:
    """``html`` with the spaces around the title of each paper whose opening is one of
    ``pages`` made smaller (-1) or larger (1) by half the distance that brings its last
    line onto the grid of the pages after it (a line's height from the text block's top,
    the last that fits), or None when none is off it that way. No line changes page: the
    last is raised to that grid's foot, or lowered to the grid line below it."""
    edits: dict[str, tuple[int, int, str]] = {}
    first = _first_pages(document)
    papers = {match[1]: match for match in _PAPER_RE.finditer(html)}
    for anchor, index, direction in pages:
        number = first.get(anchor, -1) + index
        tag = papers.get(anchor)
        if anchor not in first or number >= len(document.pages) or tag is None:
            continue
        page = document.pages[number]._page_box
        lines = _text_lines(page)
        if not lines or lines[-1][0].height <= 0:
            continue
        last = lines[-1][0]
        pitch, bottom, top = last.height, last.position_y + last.height, page.content_box_y()
        foot = top + math.floor(page.height / pitch + 1e-6) * pitch
        shift = foot - bottom if direction < 0 else (foot - bottom) % pitch
        if not 0 < shift * direction < pitch:
            continue
        edits[anchor] = (tag.end(), tag.end(), f' style="--head-shift: {shift / 2:.3f}px"')
    return _edited(html, edits)


def _last_table(page: Any) -> tuple[Any, list[Any]]:
    """A page's last table (its box on the page) and its rows there, not its header's,
    top to bottom; (None, []) without one."""
    tables: list[tuple[Any, list[Any]]] = []
    stack = [page]
    while stack:
        box = stack.pop()
        name = type(box).__name__
        if name == "TableBox":
            tables.append((box, []))
        elif name == "TableRowGroupBox" and (box.is_header or box.is_footer):
            continue
        elif name == "TableRowBox" and tables:
            tables[-1][1].append(box)
            continue
        stack.extend(reversed(getattr(box, "children", ())))
    if not tables:
        return None, []
    table, rows = max(tables, key=lambda found: found[0].position_y)
    return table, sorted(rows, key=lambda row: row.position_y)


def _text_lines(page: Any) -> list[tuple[Any, Any]]:
    """``_lines`` but a list item's marker, laid out as a line of its own."""
    return [(line, parent) for line, parent in _lines(page)
            if not str(getattr(line, "element_tag", "")).endswith("::marker")]


def _lines_given(html: str, document: Document, pages: list[tuple[str, int, int]]) -> str | None:
    """``html`` with the paragraph that each of ``pages`` ends with, split over its foot,
    leaving that many more lines for the next page (``widows``), or all of them when it
    begins there, or None when none can."""
    edits: dict[str, tuple[int, int, str]] = {}
    first = _first_pages(document)
    root = document.pages[0]._page_box.children[0].element
    for anchor, index, given in pages:
        number = first.get(anchor, -1) + index
        if anchor not in first or number + 1 >= len(document.pages):
            continue
        here = _text_lines(document.pages[number]._page_box)
        if not here:
            continue
        element = _ending(here)
        if element is None:
            continue
        kept = _lines_of(element, here)
        over = _lines_of(element, _text_lines(document.pages[number + 1]._page_box))
        began = number and _lines_of(element, _text_lines(document.pages[number - 1]._page_box))
        style = f"widows: {over + given}" if kept - given >= 2 else _WHOLE if given == kept else ""
        if not style or (not over and style != _WHOLE) or (style == _WHOLE and began):
            continue
        tag = _unstyled_tag(html, root, element)
        if tag is None:
            continue
        edits[f"{anchor}:{index}"] = (tag.start(), tag.end(), f'<{element.tag} style="{style}"{tag[1]}>')
    return _edited(html, edits)


def _ending(lines: list[tuple[Any, Any]]) -> Any:
    """The paragraph (a block's element) a page's lines end with, or None."""
    block = lines[-1][1]
    element = getattr(block, "element", None)
    if element is None or getattr(block, "element_tag", "") not in _BLOCK_TAGS:
        return None
    return element


def _lines_of(element: Any, lines: list[tuple[Any, Any]]) -> int:
    """How many of a page's lines are the paragraph's."""
    return sum(getattr(parent, "element", None) is element for _, parent in lines)


def _opening_tag(html: str, root: Any, element: Any) -> re.Match[str] | None:
    """The element's opening tag in ``html`` (as many of its kind come before it in the
    laid-out document's tree), its attributes the match's group 1; None when not found."""
    position = [e for e in root.iter() if e.tag == element.tag].index(element)
    tags = list(re.finditer(rf"<{element.tag}\b([^>]*)>", html))
    return tags[position] if position < len(tags) else None


def _unstyled_tag(html: str, root: Any, element: Any) -> re.Match[str] | None:
    """``_opening_tag``, or None when the tag has a style already."""
    tag = _opening_tag(html, root, element)
    return None if tag is None or "style=" in tag[1] else tag


# A table whose header words are divided is set smaller, its cells down to this size.
_TABLE_MIN_PT = 8.0
_WHOLE_HEADS = "whole-heads"  # its headers' words are not divided (book.css)
_PX = 0.75  # points per CSS pixel


def _tables_set_smaller(html: str, document: Document) -> str | None:
    """``html`` with each table whose header cells divide a word set smaller, so that its
    cells' text is ``_TABLE_MIN_PT`` (a table too wide for the measure), its headers'
    words whole (cells already that small keep their size), or None when no table is."""
    sizes: dict[int, float] = {}  # a table's index among the tables → its new font size, pt
    tables: list[Any] = []
    for page in document.pages:
        stack: list[tuple[Any, Any]] = [(page._page_box, None)]
        while stack:
            box, table = stack.pop()
            tag = getattr(box, "element_tag", "")
            if tag == "table" and type(box).__name__ == "TableBox":
                table = box
            if (tag == "th" and table is not None and type(box).__name__ == "TableCellBox"
                    and _divides(box)):
                cell, whole = box.style["font_size"] * _PX, table.style["font_size"] * _PX
                if _WHOLE_HEADS not in (table.element.get("class") or ""):
                    if table.element not in tables:
                        tables.append(table.element)
                    # Cells already at 8 pt or less (a small trim's) keep their size.
                    sizes[tables.index(table.element)] = whole * min(1.0, _TABLE_MIN_PT / cell)
                continue
            stack.extend((child, table) for child in getattr(box, "children", ()))
    if not sizes:
        return None
    root = document.pages[0]._page_box.children[0].element
    edits: dict[str, tuple[int, int, str]] = {}
    for position, size in sizes.items():
        tag = _unstyled_tag(html, root, tables[position])
        if tag is not None:
            attributes = tag[1].replace('class="data-table', f'class="data-table {_WHOLE_HEADS}', 1)
            smaller = f'<table style="font-size: {size:.2f}pt"{attributes}>'
            edits[str(tag.start())] = (tag.start(), tag.end(), smaller)
    return _edited(html, edits)


_SMALLER_RE = re.compile(rf'<table style="font-size: [\d.]+pt"( class="data-table) {_WHOLE_HEADS}')


_BLOCK_RE = re.compile(r'<div class="table-block(?P<landscape> landscape)?"')


def _tables_too_wide(html: str, document: Document) -> str | None:
    """``html`` with the tables set smaller that run past the measure even so turned on
    landscape pages of their own, at their size again; one already turned, set as it was
    (its headers' words divided); None when none runs past."""
    wide: list[Any] = []
    for page in document.pages:
        right = page._page_box.content_box_x() + page._page_box.width
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            if type(box).__name__ == "TableBox" and _WHOLE_HEADS in (box.element.get("class") or ""):
                if box.position_x + box.margin_width() > right + 0.5 and box.element not in wide:
                    wide.append(box.element)
                continue
            stack.extend(getattr(box, "children", ()))
    if not wide:
        return None
    root = document.pages[0]._page_box.children[0].element
    edits: dict[str, tuple[int, int, str]] = {}
    for tag in (_opening_tag(html, root, e) for e in wide):
        if tag is None:
            continue
        table = _SMALLER_RE.sub(r'<table\1', tag[0])
        block = list(_BLOCK_RE.finditer(html, 0, tag.start()))
        if not block or block[-1]["landscape"]:
            edits[str(tag.start())] = (tag.start(), tag.end(), table)
            continue
        start = block[-1].end() - 1  # before the class's closing quote
        edits[str(tag.start())] = (start, tag.end(), " landscape" + html[start:tag.start()] + table)
    return _edited(html, edits)


_TURNED_RE = re.compile(r'<div class="table-block landscape" id="([^"]+)">.*?</table>\s*</div>\s*', re.DOTALL)


_REFERENCES = '<section class="references">'
_REFERENCES_RE = re.compile(rf"\s*</div>\s*({_REFERENCES}.*?</section>\s*)", re.DOTALL)


_PART_END_RE = re.compile(r'(\s*</div>)?\s*(<span class="part-end" id="[^"]+"></span>)')
_LAST_DIV_RE = re.compile(r"</div>\s*$")


def _free_below(page: Any) -> float:
    """How much of a page's text area is empty below its last line or picture, above
    its footnotes."""
    box = page._page_box
    bottom, top = box.content_box_y() + box.height, 0.0
    stack = [child for child in box.children if type(child).__name__ != "MarginBox"]
    while stack:
        current = stack.pop()
        name = type(current).__name__
        if name == "FootnoteAreaBox":
            if current.children:
                bottom = min(bottom, current.position_y)
            continue
        if name in ("LineBox", "InlineReplacedBox", "BlockReplacedBox"):
            top = max(top, current.position_y + current.margin_height())
            continue
        stack.extend(getattr(current, "children", ()))
    return float(bottom - top)


def _turned_moved_on(html: str, document: Document) -> str | None:
    """``html`` with each turned table moved after the paragraphs that follow it and fit,
    as high as they were laid out, into what it left empty of the page before it, so that
    the text goes on filling that page (after its paper's references too, when nothing
    else follows and they fit), and holding its paper's end mark when it is last; None
    when no table moves."""
    first_page: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for name in page.anchors:
            first_page.setdefault(name, number)
    heights: dict[Any, float] = {}  # a paragraph's (or section's) element → its height over its pages
    for page in document.pages:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            tag = getattr(box, "element_tag", "")
            if tag in ("p", "section") and type(box).__name__ == "BlockBox":
                heights[box.element] = heights.get(box.element, 0.0) + box.margin_height()
                continue
            stack.extend(getattr(box, "children", ()))
    root = document.pages[0]._page_box.children[0].element
    paragraphs = [e for e in root.iter() if e.tag == "p"]
    starts = [m.start() for m in re.finditer(r"<p\b", html)]
    sections = [e for e in root.iter() if e.tag == "section" and e.get("class") == "references"]
    edits: dict[str, tuple[int, int, str]] = {}
    for match in _TURNED_RE.finditer(html):
        number = first_page.get(match[1], 0)
        if number == 0 or document.pages[number - 1].width > document.pages[number - 1].height:
            continue
        before = document.pages[number - 1]
        room, end = _free_below(before) - 1.0, match.end()
        while (following := _PARAGRAPH_RE.match(html, end)) is not None:
            index = starts.index(following.start()) if following.start() in starts else len(paragraphs)
            height = heights.get(paragraphs[index]) if index < len(paragraphs) else None
            if height is None or height > room:
                break
            room, end = room - height, following.end()
        # Its paper's text all fits before it: its references too, if they fit as well.
        references = _REFERENCES_RE.match(html, end)
        if references is not None:
            index = html.count(_REFERENCES, 0, references.start(1))
            height = heights.get(sections[index]) if index < len(sections) else None
            if height is not None and height <= room:
                end = references.end()
        # Last in its paper, it holds the paper's end: after the page it breaks, that mark
        # alone would make a page.
        table, last = match[0], _PART_END_RE.match(html, end)
        if last is not None:
            closing = _LAST_DIV_RE.search(table)
            if closing is not None:
                table = table[:closing.start()] + last[2] + table[closing.start():]
            edits[match[1]] = (match.start(), last.end(), html[match.end():end] + (last[1] or "") + table)
        elif end > match.end():
            edits[match[1]] = (match.start(), end, html[match.end():end] + table)
    return _edited(html, edits)


def _divides(box: Any) -> bool:
    """Whether a box's lines divide a word (a line ends in the hyphen WeasyPrint adds)."""
    for line in _lines(box):
        texts: list[str] = []
        stack = [line[0]]
        while stack:
            current = stack.pop()
            if getattr(current, "text", None):
                texts.append(current.text)
            stack.extend(reversed(getattr(current, "children", ())))
        if "".join(texts).rstrip().endswith("\u2010"):
            return True
    return False


def paginate(html: str, *, styles: Path, stylesheets: list[Path], allowed: list[Path],
             css_strings: tuple[str, ...] = ()) -> Layout:
    """Lay out the book; collect WeasyPrint's complaints as diagnostics.

    ``css_strings`` come after the stylesheets: CSS rendered from a template, such as
    the print page box whose bleed is set in book.yaml.
    """
    from weasyprint import HTML

    from proceedings.linebreak import set_marked, use_dictionaries

    use_dictionaries(html)  # the hyphenation dictionaries the book's locales name
    html, marks = _spread_marks(html)
    html = set_marked(html, styles)  # the lines of the paragraphs the templates marked
    style = _style(stylesheets, css_strings, allowed)
    refused = list(style.refused)
    too_large: list[tuple[str, Message]] = []
    fetcher = make_url_fetcher(allowed, refused, too_large)
    with _captured_logs() as records, _fewer_collections():
        def render(html: str) -> Document:
            return HTML(string=html, base_url=str(styles) + os.sep, url_fetcher=fetcher).render(
                stylesheets=style.css, font_config=style.fonts, counter_style=style.counters)

        document = render(html)
        # A table whose headers divide words is set smaller, with its headers' words whole;
        # if it then runs past the measure, it is turned on a landscape page of its own and
        # set smaller there if it must (set as it was if it runs past that measure too).
        for _turn in range(2):
            moved = _tables_set_smaller(html, document)
            if moved is None:
                break
            html, document = moved, render(moved)
            moved = _tables_too_wide(html, document)
            if moved is None:
                break
            html, document = moved, render(moved)
        # A turned table's page comes after the page the text before it ends: the
        # paragraphs after it that fit fill that page first.
        moved = _turned_moved_on(html, document)
        if moved is not None:
            html, document = moved, render(moved)
        # A figure that did not fit where it stands went over to the next page and left a
        # hole: the text after it fills the page first (WeasyPrint has no top floats).
        for _ in range(_MAX_FIGURE_MOVES):
            moved = _figure_moved_on(html, document)
            if moved is None:
                break
            html, document = moved, render(moved)
        # A paper whose last page holds a line or two gets more of its text there.
        for _ in range(_MAX_FIGURE_MOVES):
            moved = _short_end_moved_on(html, document)
            if moved is None:
                break
            html, document = moved, render(moved)
        # The deeper page of a spread whose pages end apart gives lines to the next; the
        # shorter, when it ends with a table's rows, has them spaced out; a paper's
        # opening has its lines brought onto the grid.
        edited = html
        if marks.given:
            edited = _lines_given(edited, document, marks.given) or edited
        if marks.filled:
            edited = _rows_filled(edited, document, marks.filled) or edited
        if marks.shifted:
            edited = _heads_shifted(edited, document, marks.shifted) or edited
        if edited is not html:
            html, document = edited, render(edited)
    anchors = {name: number + 1 for name, number in _first_pages(document).items()}
    diagnostics = [
        error("build", 0, msg("refused to load {url}: only files inside the sources, styles and fonts "
                              "folders may be used", url=url), "refused-url")
        for url in dict.fromkeys(refused)
    ]
    diagnostics += [
        error("build", 0, msg("refused to load {url}: {reason}, which laying it out could exhaust the memory "
                              "with", url=url, reason=reason), "image-too-large")
        for url, reason in dict.fromkeys(too_large)
    ]
    messages = [*style.warnings, *(record.getMessage() for record in records)]
    diagnostics += [
        warning("styles", 0, verbatim(message), "render")
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


def turned_pages(document: Document) -> list[int]:
    """The 0-based pages laid out in landscape (a turned table's), which the PDF sets
    upright on the book's trim (``pdf_bytes``)."""
    return [i for i, page in enumerate(document.pages) if page.width > page.height]


def upright(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where a point of a laid-out page (CSS pixels from its top left) is once the PDF
    has the page upright: a landscape page's left edge is the upright page's foot."""
    return (y, page.width - x) if page.width > page.height else (x, y)


def pdf_bytes(layout: Layout, *, identifier: bytes) -> bytes:
    """The PDF of a laid-out book, with a fixed identifier so builds are reproducible;
    a turned table's landscape pages set upright (``pdfedit.turn_page``)."""
    with _fewer_collections():
        data = bytes(layout.document.write_pdf(pdf_identifier=identifier))
    turned = turned_pages(layout.document)
    return set_upright(data, turned) if turned else data


def set_upright(data: bytes, turned: list[int]) -> bytes:
    """``data``, a PDF, with its ``turned`` pages (0-based, laid out in landscape) set
    upright on the trim, and the named destinations on them moved with them."""
    import io

    import pikepdf

    from proceedings.pdfedit import turn_destinations, turn_page

    with pikepdf.open(io.BytesIO(data)) as pdf:
        for index in turned:
            turn_page(pdf.pages[index])
        turn_destinations(pdf, set(turned))
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()
