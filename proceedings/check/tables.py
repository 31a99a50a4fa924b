"""Tables whose declared totals do not add up."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, paper_digest
from proceedings.diagnostics import Diagnostic, warning
from proceedings.messages import Message, msg

if TYPE_CHECKING:
    from proceedings.model import Cell, Paper, Sources, Table


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [
        Check("tables", paper.path, partial(_check_tables, sources, paper), paper_digest(sources, paper))
        for paper in sources.papers
    ]


# --- 8. table totals -------------------------------------------------------------------

_NUMBER_RE = re.compile(r"[+-−]?(?:\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+)(?:[.,]\d+)?")


def parse_number(text: str) -> float | None:
    """A table cell as a number (``1 234``, ``12,5``, ``−3``), or None if it is not one."""
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        return None
    text = re.sub(r"[ \u00a0\u202f\u2009]", "", text).replace(",", ".").replace("−", "-")
    return float(text)


def _number_text(value: float) -> str:
    """A computed sum as the book prints numbers: no ``.0``, a decimal comma."""
    return str(int(value)) if value == int(value) else f"{value:g}".replace(".", ",")


def _summable(texts: list[str]) -> list[float] | None:
    """The numbers of cells to add up; None when a cell is text (not a sum column)."""
    values = []
    for text in texts:
        text = text.strip()
        if not text or text in {"-", "–", "—"}:
            continue
        if "%" in text:
            continue  # a share, not a count: it is not part of the sum
        value = parse_number(text)
        if value is None:
            return None
        values.append(value)
    return values


def totals_problems(table: Table) -> list[tuple[str, int, int, str, float, float]]:
    """Each declared total that does not add up.

    Returns (kind, row, column, cell text, declared, computed) tuples; kind is "row"
    for a totals row and "column" for a totals column.
    """
    problems: list[tuple[str, int, int, str, float, float]] = []
    if table.totals is None:
        return problems
    rows = [[c.text for c in row] for row in table.rows]
    first = table.header_columns
    total_row = table.totals.row
    if total_row is not None and 0 <= total_row < len(rows):
        for col in range(first, len(rows[total_row])):
            declared = parse_number(rows[total_row][col])
            if declared is None:
                continue
            others = [row[col] for r, row in enumerate(rows) if r != total_row and col < len(row)]
            values = _summable(others)
            if values is not None and abs(sum(values) - declared) > 1e-6:
                problems.append(("row", total_row, col, rows[total_row][col], declared, sum(values)))
    total_col = table.totals.column
    if total_col is not None:
        for r, row in enumerate(rows):
            if total_col >= len(row):
                continue
            declared = parse_number(row[total_col])
            if declared is None:
                continue
            values = _summable([t for c, t in enumerate(row) if c >= first and c != total_col])
            if values is not None and abs(sum(values) - declared) > 1e-6:
                problems.append(("column", r, total_col, row[total_col], declared, sum(values)))
    return problems


def _check_tables(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    for t, table in enumerate(paper.tables):
        for kind, r, c, text, _declared, computed in totals_problems(table):
            line = sources.line_of(paper.path, "tables", t, "rows", r, c)
            row, column = row_name(table, r), column_name(table, c)
            if kind == "row":
                message = msg("table {id}: the total of {column} in {row} is '{text}' but the "
                              "other rows of that column add up to {sum}: correct the figures",
                              id=table.id, column=column, row=row, text=text, sum=_number_text(computed))
            else:
                message = msg("table {id}: the total of {row} in {column} is '{text}' but the "
                              "other cells of that row add up to {sum}: correct the figures",
                              id=table.id, row=row, column=column, text=text, sum=_number_text(computed))
            yield warning(paper.path, line, message, "table-totals")


# Cells are named as an editor finds them in the printed table: a row by its heading
# cells (the first header_columns), a column by its heading in the table's header;
# by their number, counted from 1, only when the heading is empty.


def row_name(table: Table, r: int) -> Message:
    """Row ``r`` of the table's body: ``row 'Барлығы'``, or ``row 3``."""
    row = table.rows[r] if 0 <= r < len(table.rows) else []
    heading = " ".join(" ".join(cell.text.split()) for cell in row[: table.header_columns]).strip()
    return msg("row '{heading}'", heading=heading) if heading else msg("row {n}", n=r + 1)


def column_name(table: Table, c: int) -> Message:
    """Column ``c`` (a cell's index in a body row): its heading in the header, the lowest
    non-empty one where headings are stacked (``column '2023'``), or ``column 3``."""
    grid = _header_grid(table.header)
    body_row = next((row for row in table.rows if len(row) > c), [])
    # Body rows may span columns too: the column's place is counted in spans.
    place = sum(cell.colspan for cell in body_row[:c])
    for headings in reversed(grid):
        text = " ".join(headings.get(place, "").split())
        if text:
            return msg("column '{heading}'", heading=text)
    return msg("column {n}", n=c + 1)


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
