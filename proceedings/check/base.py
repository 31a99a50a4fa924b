"""What the checks share: text units with their source lines, quoting, the Check record,
the names of a table's rows and columns as an editor finds them.

A *unit* is a paragraph-like piece of printed text (a body paragraph, a title, a name)
with the source line of each of its lines, so that a finding can point at the line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from proceedings.diagnostics import Diagnostic
from proceedings.load import display_path
from proceedings.messages import Message, msg
from proceedings.model import cell_loc

if TYPE_CHECKING:
    from proceedings.model import Cell, Paper, Sources, Table


@dataclass(frozen=True)
class Check:
    """One isolated piece of checking: if ``run`` fails, only its own findings are lost."""

    name: str
    # The file a failure of this check is reported against.
    path: str
    run: Callable[[], Iterable[Diagnostic]]
    # The digest of everything ``run`` reads, for a check that reads less than the
    # whole book (see ``digest``): its findings are then kept, and a rebuild after an
    # edit elsewhere takes them instead of checking again. None: always run.
    depends: str | None = None


def digest(*parts: object) -> str:
    """A digest of records (models, units, text) for ``Check.depends``."""
    hasher = hashlib.sha256()
    for part in parts:
        if isinstance(part, list) and part and isinstance(part[0], Unit):
            part = [(u.path, u.lines, u.body) for u in part]  # faster than their repr
        dump = getattr(part, "model_dump_json", None)
        hasher.update((dump() if dump else repr(part)).encode())
        hasher.update(b"\0")
    return hasher.hexdigest()[:32]


# Digests of the book being checked, made once for all its checks.
_memo: dict[object, str] = {}
_memo_of: list[Sources] = []


def _remembered(sources: Sources, key: object, make: Callable[[], str]) -> str:
    if not _memo_of or _memo_of[0] is not sources:
        _memo.clear()
        _memo_of[:] = [sources]
    if key not in _memo:
        _memo[key] = make()
    return _memo[key]


def book_digest(sources: Sources) -> str:
    """The digest of everything in the book but its papers, for a check of one paper that
    also looks at the people, the programme or book.yaml."""

    def make() -> str:
        papers = {p.path for p in sources.papers}
        lines = {path: table for path, table in sources.lines.items() if path not in papers}
        return digest(sources.model_dump_json(exclude={"papers", "lines"}), sorted(lines.items()))

    return _remembered(sources, "book", make)


def paper_digest(sources: Sources, paper: Paper) -> str:
    """The digest of one paper, its lines and everything else but the other papers."""
    return _remembered(sources, paper.path, lambda: digest(
        paper, sorted(sources.lines.get(paper.path, {}).items()), book_digest(sources)))


def by_path(units: Iterable[Unit]) -> dict[str, list[Unit]]:
    """Units grouped by their file, in their order."""
    groups: dict[str, list[Unit]] = {}
    for unit in units:
        groups.setdefault(unit.path, []).append(unit)
    return groups


@dataclass(frozen=True)
class Unit:
    """A paragraph-like piece of text with the source line of each of its lines."""

    path: str
    lines: tuple[tuple[int, str], ...]
    # True for Markdown body text; False for front-matter fields and programme titles,
    # where a URL (a reference's address) or a spacing habit is not a defect.
    body: bool = False

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.lines)


def body_units(path: str, body: str, first_line: int) -> list[Unit]:
    """Blank-line separated blocks of a Markdown body; line numbers kept."""
    units: list[Unit] = []
    block: list[tuple[int, str]] = []
    # split("\n"), not splitlines(): the latter also splits at U+2028, \x0c and the like,
    # which would shift every later line number (and those are characters we report).
    for offset, raw in enumerate(body.split("\n")):
        text = raw.removesuffix("\r")
        if text.strip():
            block.append((first_line + offset, text))
        elif block:
            units.append(Unit(path, tuple(block), body=True))
            block = []
    if block:
        units.append(Unit(path, tuple(block), body=True))
    return units


def front_units(sources: Sources, paper: Paper) -> list[Unit]:
    """The front-matter texts of a paper that get printed, each with its line."""
    path = paper.path
    units: list[Unit] = []

    def add(text: str | None, *loc: str | int) -> None:
        if text:
            line = sources.line_of(path, *loc)
            units.append(Unit(path, ((line, text),)))

    add(paper.title, "title")
    for i, author in enumerate(paper.authors):
        if author.affiliation is not None:
            for field, value in author.affiliation.model_dump().items():
                if isinstance(value, str):
                    add(value, "authors", i, "affiliation", field)
        for j, more in enumerate(author.affiliations):
            for field, value in more.model_dump().items():
                if isinstance(value, str):
                    add(value, "authors", i, "affiliations", j, field)
    add(paper.short_title, "short_title")
    add(paper.udc, "udc")
    add(paper.abstract, "abstract")
    for lang, abstract in paper.abstracts.items():
        add(abstract, "abstracts", lang)
    for loc, keyword in keyword_locations(paper):
        add(keyword, *loc)
    for i, epigraph in enumerate(paper.epigraphs):
        add(epigraph.text.replace("\n", " "), "epigraphs", i, "text")
        add(epigraph.attribution, "epigraphs", i, "attribution")
    for i, ref in enumerate(paper.references):
        line = ref.line or sources.line_of(path, "references", i)
        units.append(Unit(path, ((line, ref.text),)))
    for t, table in enumerate(paper.tables):
        add(table.caption, "tables", t, "caption")
        for part, rows in table.sections():
            for r, row in enumerate(rows):
                for c, cell in enumerate(row):
                    add(cell.text, "tables", t, *cell_loc(part, r, c))
    for f, figure in enumerate(paper.figures):
        add(figure.caption, "figures", f, "caption")
        add(figure.note, "figures", f, "note")
    return units


def keyword_locations(paper: Paper) -> list[tuple[tuple[str | int, ...], str]]:
    """Each keyword with its key path: ``keywords[2]``, or ``keywords.en[2]`` per language."""
    if isinstance(paper.keywords, list):
        return [(("keywords", i), k) for i, k in enumerate(paper.keywords)]
    return [(("keywords", lang, i), k) for lang, words in paper.keywords.items()
            for i, k in enumerate(words or [])]


def programme_path(sources: Sources) -> str:
    return display_path(Path(sources.root) / "programme.yaml")


def programme_units(sources: Sources) -> list[Unit]:
    programme = sources.programme
    if programme is None:
        return []
    path = programme_path(sources)
    units = []
    for lang, header in programme.header.items():
        line = sources.line_of(path, "header", lang, "title")
        units.append(Unit(path, ((line, header.title),)))
    for loc, session in programme.sessions():
        for lang, title in session.title.items():
            units.append(Unit(path, ((sources.line_of(path, *loc, "title", lang), title),)))
    for loc, slot in programme.placed_slots():
        for lang, title in slot.title.items():
            line = sources.line_of(path, *loc, "title", lang)
            units.append(Unit(path, tuple((line, t) for t in title.split("\n") if t.strip())))
    return units


def people_units(sources: Sources) -> list[Unit]:
    """Names and affiliations in people.yaml: printed in the programme, lists and bylines."""
    path = display_path(Path(sources.root) / "people.yaml")
    units = []
    # people is a dict in file order, so the enumeration index is the list index.
    for i, person in enumerate(sources.people.values()):
        for lang, name in person.names.items():
            for field, value in name.model_dump().items():
                if isinstance(value, str) and value:
                    line = sources.line_of(path, i, "names", lang, field)
                    units.append(Unit(path, ((line, value),)))
            for j, more in enumerate(name.affiliations):
                for field, value in more.model_dump().items():
                    if isinstance(value, str) and value:
                        line = sources.line_of(path, i, "names", lang, "affiliations", j, field)
                        units.append(Unit(path, ((line, value),)))
    return units


def all_units(sources: Sources) -> list[Unit]:
    units: list[Unit] = people_units(sources)
    for paper in sources.ordered_papers():
        units += front_units(sources, paper)
        units += body_units(paper.path, paper.body, paper.body_line)
    for resolution in sources.resolutions:
        for i, line in enumerate(resolution.heading):
            units.append(Unit(resolution.path, ((sources.line_of(resolution.path, "heading", i), line),)))
        units += body_units(resolution.path, resolution.body, resolution.body_line)
    units += programme_units(sources)
    return units


def quote(text: str, limit: int = 60) -> str:
    """Text as a message quotes it: stripped and shortened to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def context(text: str, start: int, end: int, width: int = 20) -> str:
    """The words around ``text[start:end]``, for quoting an invisible character."""
    left = text[max(0, start - width) : start].lstrip()
    right = text[end : end + width].rstrip()
    return f"…{left}{{here}}{right}…"



def strip_markup(text: str) -> str:
    """A line without its Markdown block marker (list item, quote, heading)."""
    return re.sub(r"^\s*(?:[-*+>]|\d+[.)]|[^\W\d_]\)|#+)\s+", "", text)


# Cells are named as an editor finds them in the printed table: a row by its heading
# cells (the first header_columns), a column by its heading in the table's header;
# by their number, counted from 1, only when the heading is empty.


def _heading(cells: list[Cell], header_columns: int) -> str:
    return " ".join(" ".join(cell.text.split()) for cell in cells[:header_columns]).strip()


def row_name(table: Table, r: int) -> Message:
    """Row ``r`` of the table's body: ``row 'Барлығы'``, or ``row 3``."""
    row = table.rows[r] if 0 <= r < len(table.rows) else []
    heading = _heading(row, table.header_columns)
    return msg("row '{heading}'", heading=heading) if heading else msg("row {n}", n=r + 1)


def footer_row_name(table: Table, f: int) -> Message:
    """Row ``f`` of the table's footer: ``footer row 'Total'``, or ``footer row 2``."""
    row = table.footer[f].cells if 0 <= f < len(table.footer) else []
    heading = _heading(row, table.header_columns)
    return msg("footer row '{heading}'", heading=heading) if heading else msg("footer row {n}", n=f + 1)


def column_name(table: Table, c: int) -> Message:
    """Column of cell ``c`` of a body row: its heading in the header, the lowest
    non-empty one where headings are stacked (``column '2023'``), or ``column 3``."""
    body_row = next((row for row in table.rows if len(row) > c), [])
    # Body rows may span columns too: the column's place is counted in spans.
    return column_at(table, sum(cell.colspan for cell in body_row[:c]))


def column_at(table: Table, place: int) -> Message:
    """The column at ``place`` (counted in spans from 0): its heading in the header, the
    lowest non-empty one where headings are stacked, or its number."""
    for headings in reversed(_header_grid(table.header)):
        text = " ".join(headings.get(place, "").split())
        if text:
            return msg("column '{heading}'", heading=text)
    return msg("column {n}", n=place + 1)


def _header_grid(header: list[list[Cell]]) -> list[dict[int, str]]:
    """Each header row as place → the text of the cell over it, spans laid out."""
    taken: set[tuple[int, int]] = set()
    grid: list[dict[int, str]] = [{} for _ in header]
    for r, row in enumerate(header):
        place = 0
        for cell in row:
            while (r, place) in taken:
                place += 1
            for dr in range(min(cell.rowspan, len(header) - r)):
                for dc in range(cell.colspan):
                    taken.add((r + dr, place + dc))
                    grid[r + dr][place + dc] = cell.text
            place += cell.colspan
    return grid
