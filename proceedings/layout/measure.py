"""Measure: every line WeasyPrint laid out, read from its boxes, as a compact record.

The layout audit (``proceedings.audit``) judges paragraphs by what the layout did, not
by the PDF's text: each line box gives its page, its place, the room between its words
(a normal space plus the spacing justification added), its first and last word, the
kind of text it belongs to and the source line of its paragraph (``data-line``, which
``markup`` writes). A worker measures the part it lays out and the record is cached
with the part's page map, so a build that lays out nothing still reports.

The boxes are WeasyPrint's own (``Page._page_box`` and its descendants, version 70):
they are only read here, never changed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

PX = 0.75  # CSS pixels to points

# What a line belongs to, from its block's element and classes (``_context_of``): a
# caption is a table's (above it, so never last on a page); a figure's is below it.
BODY, ABSTRACT, REFERENCE, NOTE, HEADING, CAPTION, BYLINE, TOC_AUTHOR, CELL, OTHER, FIGCAPTION = (
    "body",
    "abstract",
    "ref",
    "note",
    "head",
    "caption",
    "byline",
    "toc-author",
    "cell",
    "text",
    "figcaption",
)
RUNNING = frozenset({BODY, ABSTRACT, REFERENCE})  # running text, where hyphen runs count
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CLASS_ROLES = (
    ("byline", BYLINE),
    ("paper-body", BODY),
    ("resolution-body", BODY),
    ("abstract", ABSTRACT),
    ("reference-list", REFERENCE),
    ("table-caption", CAPTION),
    ("table-label", CAPTION),
)
FRAGMENT_CHARS = 24  # of a line's first and last word kept: enough for any fragment's letters


# One line: its fields, in this order, rounded to a tenth of a point.
PAGE, X0, TOP, X1, BOTTOM, BLOCK_X0, BLOCK_X1, SIZE, GAP, WORDS, CHARS, ROLE, PARA, SOURCE, HEAD, TAIL = (
    range(16)
)
# One page: its text block (x0, top, x1, bottom), where the main text ends, and where the
# footnotes begin (the text block's bottom when it has none).
P_X0, P_TOP, P_X1, P_BOTTOM, P_FLOW, P_NOTES = range(6)


@dataclass
class Measured:
    """The lines and pages of a laid-out part (or book), as JSON-ready rows."""

    pages: list[list[float]] = field(default_factory=list)
    lines: list[list[Any]] = field(default_factory=list)

    def rows(self) -> dict[str, list[list[Any]]]:
        return {"pages": self.pages, "lines": self.lines}


def measure(pages: list[Any]) -> Measured:
    """The lines of WeasyPrint's laid-out ``pages`` (``Document.pages``)."""
    walker = _Walker()
    for index, page in enumerate(pages):
        walker.page(index, page._page_box)
    return walker.measured


@dataclass(frozen=True)
class _Context:
    role: str = OTHER
    source: int = 0  # the nearest data-line above
    notes: bool = False  # inside the footnote area


class _Walker:
    def __init__(self) -> None:
        self.measured = Measured()
        # id of a block's element → its number (the document keeps the elements alive)
        self.paragraphs: dict[int, int] = {}
        self.block = (0.0, 0.0)  # the content box of the block the lines are in: x, width

    def page(self, index: int, box: Any) -> None:
        x0, top = box.content_box_x(), box.content_box_y()
        x1, bottom = x0 + box.width, top + box.height
        self.flow = top
        self.notes_top = bottom
        self.index = index
        for child in box.children:
            name = type(child).__name__
            if name == "MarginBox":  # running heads and folios: not the text
                continue
            if name == "FootnoteAreaBox":
                if child.children:
                    self.notes_top = child.position_y
                self._walk(child, _Context(role=NOTE, notes=True))
            else:
                self._walk(child, _Context())
        self.measured.pages.append([_r(v * PX) for v in (x0, top, x1, bottom, self.flow, self.notes_top)])

    def _walk(self, box: Any, context: _Context) -> None:
        context = _context_of(box, context)
        name = type(box).__name__
        if name == "LineBox":
            self._line(box, context)
            return
        children = getattr(box, "children", None)
        if not children:
            if not context.notes and isinstance(box.height, (int, float)) and box.height > 0:
                self.flow = max(self.flow, box.position_y + box.margin_height())
            return
        if type(children[0]).__name__ == "LineBox":
            self.block = (box.content_box_x(), float(box.width))
        for child in children:
            self._walk(child, context)

    def _line(self, line: Any, context: _Context) -> None:
        texts = list(_text_boxes(line))
        if not texts:
            return
        element = line.element
        if element is None or str(line.element_tag).endswith("::marker"):
            return
        if not context.notes:
            self.flow = max(self.flow, line.position_y + line.height)
        leaves = list(_leaves(line))
        x0 = min(b.position_x for b in leaves)
        x1 = max(b.position_x + b.width for b in leaves)
        # Soft hyphens stay in the text where they were not used (invisible) and before
        # the hyphen drawn where one was.
        text = "".join(t.text for t in texts)
        text = text[:-1].replace("\u00ad", "") + text[-1:]
        words = text.split()
        if not words:
            return
        main = max(texts, key=lambda t: len(t.text))
        size = main.style["font_size"]
        # A set paragraph's spaces are no-break ones but the line's break (``linebreak``):
        # justification stretches both.
        spaces = sum(t.text.count(" ") + t.text.count("\u00a0") for t in texts)
        # The space's advance with its letter-spacing (``_space_width``) and that of the
        # letter before it: a tracked line's gaps as the page shows them.
        tracking = main.style["letter_spacing"]
        tracking = 0.0 if tracking == "normal" else float(tracking)
        gap = (_space_width(main.style) + main.justification_spacing + tracking) / size if spaces else 0.0
        role = context.role
        if role == OTHER and all("toc-authors" in _classes(t.element) for t in texts):
            role = TOC_AUTHOR
        paragraph = self.paragraphs.setdefault(id(element), len(self.paragraphs))
        block_x0, block = self.block
        self.measured.lines.append(
            [
                self.index,
                _r(x0 * PX),
                _r(line.position_y * PX),
                _r(x1 * PX),
                _r((line.position_y + line.height) * PX),
                _r(block_x0 * PX),
                _r((block_x0 + block) * PX),
                _r(size * PX),
                round(gap, 3),
                len(words),
                len(text),
                role,
                paragraph,
                context.source,
                words[0][:FRAGMENT_CHARS],
                words[-1][-FRAGMENT_CHARS:],
            ]
        )


HYPHENS = ("\u2010", "\u00ad", "-")


def is_hyphenated(text: str) -> bool:
    """Whether a line (or its last word) ends in a letter and a hyphen."""
    return len(text) >= 2 and text[-1] in HYPHENS and text[-2].isalpha()


def recto_breaks(rows: dict[str, list[list[Any]]], start: int) -> list[tuple[int, str, str]]:
    """The words a part's measured lines (``Measured.rows``) break across the turn from a
    recto to the next verso, the part's first page being page ``start`` of the book:
    the last line of running text of an odd page but the part's last that ends in a
    hyphen, each as (its line in its paragraph from 0, its last word, the next line's
    first word). The line breaker is given them to break those paragraphs elsewhere
    (``linebreak.Turn``); the audit reports those left (``layout-recto-hyphen``)."""
    flow = _flow(rows)
    last_page = len(rows.get("pages", [])) - 1
    found = []
    seen: dict[int, int] = {}  # paragraph → its lines so far
    for position, row in enumerate(flow):
        line = seen.get(row[PARA], 0)
        seen[row[PARA]] = line + 1
        following = flow[position + 1] if position + 1 < len(flow) else None
        if (following is None or following[PAGE] == row[PAGE] or row[PAGE] >= last_page
                or (start + row[PAGE]) % 2 == 0 or row[ROLE] not in RUNNING
                or not is_hyphenated(str(row[TAIL])) or following[PARA] != row[PARA]):
            continue
        found.append((line, str(row[TAIL]), str(following[HEAD])))
    return found


# Facing pages of a part end within this many of its body lines of each other: a line,
# and a twentieth of one for the tenths of a point the lines are measured in.
FACING = 1.05


def turned(page: list[float]) -> bool:
    """Whether a page was laid out in landscape: a turned table's, with no text ending on it."""
    return page[P_X1] - page[P_X0] > page[P_BOTTOM] - page[P_TOP]


def page_depth(page: list[float]) -> float:
    """How deep a page's text ends: its text block's foot when it has footnotes."""
    return page[P_FLOW] if page[P_NOTES] >= page[P_BOTTOM] else page[P_BOTTOM]


def body_line(rows: dict[str, list[list[Any]]]) -> float:
    """The height of a part's body lines (the median), 14 pt when it has none."""
    heights = [float(row[BOTTOM]) - float(row[TOP]) for row in rows.get("lines", []) if row[ROLE] == BODY]
    return statistics.median(heights) if heights else 14.0


Named = tuple[int, str, str, int]  # a paragraph, as ``linebreak.Longer`` names it


def short_spreads(rows: dict[str, list[list[Any]]], start: int) -> list[tuple[int, int, int, list[Named]]]:
    """The spreads of a part (a verso and the recto facing it, neither the part's last
    page) whose pages end more than ``FACING`` body lines apart, the part's first page
    being page ``start`` of the book, and the remedies of each, as (page, lines, by,
    names), ``page`` counted from the part's first (0):

    - the deeper page gives ``lines`` lines of the paragraph it ends with (all of it when
      it begins there) to the next page (``pdf.give_mark``; ``by`` 0, no names): a verso
      to the recto, which has the room, so that both end as far short; a recto to the
      page after it, so that the spread ends short together;
    - else, when the shorter page would take the next page's first paragraph with a line
      more of room, one of the body paragraphs that lie wholly on it, named as
      ``linebreak.Longer`` names them, is set a line shorter (``by`` -1);
    - and else ``lines`` of them are set a line longer (``by`` 1, no more than its foot
      has room for): that lowers its end and moves nothing onto the next page; with the
      lines the deeper page can give, if it can give some but not enough.

    A spread whose shorter page ends with a table going on over the page is left to
    ``short_tables``. A verso that is a paper's opening is reckoned with its lines on
    the pages' grid (``head_shifts``), and a spread that this evens is left to it."""
    pages = rows.get("pages", [])
    height = body_line(rows)
    paragraphs = _paragraphs(_flow(rows))
    ending: dict[int, int] = {}  # page → the paragraph of its last line
    beginning: dict[int, int] = {}  # page → the paragraph of its first line
    for number, para in paragraphs.items():
        for row in para:
            ending[row[PAGE]] = number
            beginning.setdefault(row[PAGE], number)
    found: list[tuple[int, int, int, list[Named]]] = []
    for verso, deep, short, depths in _apart(rows, start):
        if _table_goes_on(rows, short):
            continue  # its rows are spaced out (``short_tables``)
        gap = abs(depths[0] - depths[1]) / height
        last = paragraphs.get(ending.get(deep, -1), [])
        kept = sum(row[PAGE] == deep for row in last)
        whole = bool(last) and last[0][PAGE] == deep
        each = 2 if deep == verso else 1  # lines the gap closes by for each line given
        # A recto's new last line must not break a word over the turn.
        ends = [deep == verso or not is_hyphenated(str(row[TAIL])) for row in last if row[PAGE] == deep]
        split = any(row[PAGE] == deep + 1 for row in last)
        givable = [lines for lines in [*range(1, kept - 1), *([kept] if whole else [])]
                   if (lines == kept or (split and ends[-lines - 1])) and gap - each * lines >= -_CLOSE
                   and last[0][ROLE] == BODY]
        given = next((lines for lines in givable if gap - each * lines <= _CLOSE), 0)
        if given:
            found.append((deep, given, 0, []))
            continue
        # Else as many as it can give, and the rest made up on the shorter page.
        given = max(givable, default=0)
        named = _wholly_on(paragraphs, {short})
        room = (pages[short][P_BOTTOM] - depths[short - verso]) / height
        following = paragraphs.get(beginning.get(short + 1, -1), [])
        if following and following[0][PAGE] == short + 1 and following[0][ROLE] == BODY:
            needed = len(following) if len(following) <= 3 else 2  # orphans and widows 2
            # (It may not have come up for less: a margin above it.) A line less on the
            # verso before a shorter recto moves a line over, and so makes as much room.
            tighter = _wholly_on(paragraphs, {verso, short})
            if needed - room <= 1 and tighter and not given:
                found.append((short, 1, -1, tighter))
        if given:
            found.append((deep, given, 0, []))
        # (A verso's lines given land on the shorter recto, and take their room there.)
        lines = min(math.ceil(gap - each * given - _CLOSE),
                    math.floor(room + 0.05) - (given if deep == verso else 0))
        if lines > 0 and named:
            found.append((short, lines, 1, named))
    return found


_CLOSE = FACING  # body lines apart a remedy aims to leave a spread's pages at most


def head_shifts(rows: dict[str, list[list[Any]]], start: int) -> list[tuple[int, int]]:
    """The opening page of a paper whose first spread ends more than ``FACING`` body
    lines apart, when that page's lines brought onto the grid of the pages after it
    (where the text block starts with a line) bring it nearer the recto's depth: its
    lines sit as far below its top as its head's height puts them, so that it can end
    lower than a full page, or higher by a part of a line. Each as (page from the part's
    first (0), -1 to raise its lines, 1 to lower them): the spaces around the paper's
    title are made smaller or larger by up to half a line each (``pdf.head_mark``), as a
    compositor sets an opening's lines in register with the next page's; no line changes
    page. ``short_spreads`` then reckons with the verso's new depth."""
    found = []
    for verso, _deep, _short, depths in _apart(rows, start, snapped=False):
        depth, direction = _snapped(rows, verso, depths[0])
        if direction and abs(depth - depths[1]) < abs(depths[0] - depths[1]):
            found.append((verso, direction))
    return found


def _snapped(rows: dict[str, list[list[Any]]], verso: int, depth: float) -> tuple[float, int]:
    """The depth a spread's verso, a paper's opening, ends at with its lines on the grid,
    and how they were moved (-1 raised, 1 lowered); ``depth`` and 0 when they are not."""
    if verso:
        return depth, 0  # not the part's first page
    flow = [row for row in _flow(rows) if row[PAGE] == verso]
    if not flow or flow[-1][ROLE] != BODY or not any(row[ROLE] == BYLINE for row in flow):
        return depth, 0
    page = rows["pages"][verso]
    if page[P_NOTES] < page[P_BOTTOM]:
        return depth, 0  # its footnotes stand at the foot wherever its lines end
    pitch = line_pitch(rows)
    foot = page[P_TOP] + math.floor((page[P_BOTTOM] - page[P_TOP]) / pitch + 1e-6) * pitch
    if depth > foot + _SNAP:
        return foot, -1
    snapped = foot - math.floor((foot - depth + _SNAP) / pitch) * pitch
    return (snapped, 1) if snapped - depth > _SNAP else (depth, 0)


_SNAP = 0.5  # points off the grid a line is not moved by


def line_pitch(rows: dict[str, list[list[Any]]]) -> float:
    """The distance from one body line to the next, from the longest run of a page's body
    lines each a line below the one before (to a hundredth of a point, where a line's
    height is measured to a tenth); ``body_line`` without one."""
    height = body_line(rows)
    best = (0, height)
    run: list[list[Any]] = []
    for row in rows.get("lines", []):
        if run and (row[PAGE] != run[-1][PAGE] or row[ROLE] != BODY
                    or abs(float(row[TOP]) - float(run[-1][BOTTOM])) > 0.15):
            run = []
        if row[ROLE] == BODY:
            run.append(row)
            if len(run) > max(best[0], 1):
                best = (len(run), (float(run[-1][BOTTOM]) - float(run[0][TOP])) / len(run))
    return best[1]


def short_tables(rows: dict[str, list[list[Any]]], start: int) -> list[tuple[int, float]]:
    """The shorter pages of a part's spreads whose pages end more than ``FACING`` body
    lines apart (as ``short_spreads`` finds them) that end with a table going on over
    the page, whose next row did not fit, each as (page from the part's first (0), the
    points it ends short by): its rows are spaced out by that much (``pdf.fill_mark``),
    as a compositor justifies a table's page, for rows are not split."""
    return [(short, _r(abs(depths[0] - depths[1])))
            for _verso, _deep, short, depths in _apart(rows, start) if _table_goes_on(rows, short)]


def _apart(rows: dict[str, list[list[Any]]], start: int,
           snapped: bool = True) -> Iterator[tuple[int, int, int, list[float]]]:
    """The spreads of a part, neither page its last nor turned, whose pages end more than
    ``FACING`` body lines apart, as (verso, the deeper page, the shorter, the depths of
    verso and recto), pages counted from the part's first (0), itself page ``start``;
    ``snapped``, a verso that is a paper's opening with its lines on the grid
    (``head_shifts``)."""
    pages = rows.get("pages", [])
    height = body_line(rows)
    for verso in range(len(pages) - 2):
        if (start + verso) % 2:
            continue
        if turned(pages[verso]) or turned(pages[verso + 1]):
            continue  # a turned table's page faces nothing: the text does not end there
        depths = [page_depth(pages[verso]), page_depth(pages[verso + 1])]
        if abs(depths[0] - depths[1]) / height <= FACING:
            continue
        if snapped:
            depths[0] = _snapped(rows, verso, depths[0])[0]
            if abs(depths[0] - depths[1]) / height <= FACING:
                continue
        deep, short = (verso, verso + 1) if depths[0] > depths[1] else (verso + 1, verso)
        yield verso, deep, short, depths


def _table_goes_on(rows: dict[str, list[list[Any]]], page: int) -> bool:
    """Whether the page's text ends in a table's cell and the next page's begins in one."""
    flow = _flow(rows)
    last = [row for row in flow if row[PAGE] == page][-1:]
    following = [row for row in flow if row[PAGE] == page + 1][:1]
    return bool(last and following) and last[0][ROLE] == following[0][ROLE] == CELL


def _flow(rows: dict[str, list[list[Any]]]) -> list[list[Any]]:
    """A part's lines of the text's flow (not its footnotes'), in their order."""
    return [row for row in rows.get("lines", []) if row[ROLE] != NOTE]


def _paragraphs(flow: list[list[Any]]) -> dict[int, list[list[Any]]]:
    """The lines of each paragraph (block) of a flow, by its number."""
    paragraphs: dict[int, list[list[Any]]] = {}
    for row in flow:
        paragraphs.setdefault(row[PARA], []).append(row)
    return paragraphs


def _wholly_on(paragraphs: dict[int, list[list[Any]]], pages: set[int]) -> list[Named]:
    """The body paragraphs whose lines are all on ``pages``, as ``linebreak.Longer`` names them."""
    return [(int(para[0][SOURCE]), str(para[0][HEAD]), str(para[-1][TAIL]), len(para))
            for para in paragraphs.values()
            if para[0][ROLE] == BODY and all(row[PAGE] in pages for row in para)]


def short_end(rows: dict[str, list[list[Any]]], least: int) -> list[Named]:
    """The body paragraphs that lie wholly on the page before a part's last, named as
    ``linebreak.Longer`` names them, when the last holds fewer than ``least`` lines and
    the page before is full, ending with a paragraph: one of them set a line longer
    sends lines of that paragraph over (two at least, its widows), which the move of
    ``pdf._short_end_moved_on`` cannot do for a paragraph that ends on its page."""
    pages = rows.get("pages", [])
    flow = _flow(rows)
    if len(pages) < 2 or not flow or sum(row[PAGE] == len(pages) - 1 for row in flow) >= least:
        return []
    before = len(pages) - 2
    on_before = [row for row in flow if row[PAGE] == before]
    paragraphs = _paragraphs(flow)
    room = (pages[before][P_BOTTOM] - page_depth(pages[before])) / body_line(rows)
    if not on_before or room >= 1 or any(row[PAGE] > before for row in paragraphs[on_before[-1][PARA]]):
        return []
    return _wholly_on(paragraphs, {before})


def _context_of(box: Any, context: _Context) -> _Context:
    """What a box's element says of the lines inside it."""
    element = box.element
    if element is None or not hasattr(element, "get") or type(box).__name__ in ("TextBox", "LineBox"):
        return context
    role, source = context.role, context.source
    line = element.get("data-line")
    if line is not None and line.isdigit():
        source = int(line)
    if not context.notes:
        classes = _classes(element)
        tag = str(box.element_tag)
        if tag in _HEADINGS or "heading" in " ".join(classes):
            role = HEADING
        elif tag in ("td", "th"):
            role = CELL
        elif tag == "figcaption":
            role = FIGCAPTION
        else:
            for name, kind in _CLASS_ROLES:
                if name in classes:
                    role = kind
                    break
    if role == context.role and source == context.source:
        return context
    return _Context(role, source, context.notes)


def _classes(element: Any) -> list[str]:
    value = element.get("class") if element is not None and hasattr(element, "get") else None
    return str(value).split() if value else []


def _text_boxes(box: Any) -> Iterator[Any]:
    for child in getattr(box, "children", ()):
        if type(child).__name__ == "TextBox":
            yield child
        elif type(child).__name__ == "InlineBox":
            yield from _text_boxes(child)


def _leaves(box: Any) -> Iterator[Any]:
    for child in getattr(box, "children", ()):
        if type(child).__name__ == "InlineBox":
            yield from _leaves(child)
        elif child.width:
            yield child


# (font family, size, weight, style, stretch, word spacing, letter spacing, font configuration) → width
_SPACES: dict[tuple[Any, ...], float] = {}


def _space_width(style: Any) -> float:
    """The advance of a normal space in the font of ``style``, in CSS pixels."""
    key = (
        tuple(style["font_family"]),
        float(style["font_size"]),
        int(style["font_weight"]),
        str(style["font_style"]),
        str(style["font_stretch"]),
        float(style["word_spacing"] or 0),
        str(style["letter_spacing"]),  # a tracked line's (``linebreak``): its space is wider too
        id(style.font_config),
    )
    if key not in _SPACES:
        from weasyprint.text.line_break import create_layout, line_size

        def width(text: str) -> float:
            layout = create_layout(text, style, None, None, 0)
            first, _ = layout.get_first_line()
            return float(line_size(first, style)[0])

        # Between two letters, as justification finds it (a space alone may be trimmed);
        # the layout applies the style's word-spacing to it, as to the text.
        _SPACES[key] = width("n n") - width("nn")
    return _SPACES[key]


def _r(value: float) -> float:
    return round(float(value), 1)
