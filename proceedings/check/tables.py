"""Tables whose declared totals and means do not agree with their figures."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, paper_digest
from proceedings.check.limits import MAX_SPAN, MAX_TABLE_CELLS
from proceedings.diagnostics import Diagnostic, warning
from proceedings.locales import shipped
from proceedings.messages import Message, msg
from proceedings.model import cell_loc

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


def _number_text(value: float, separator: str) -> str:
    """A computed sum as the book prints numbers: no ``.0``, the language's decimal
    separator (its locale's ``numbers.decimal_separator``)."""
    return str(int(value)) if value == int(value) else f"{value:g}".replace(".", separator)


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


def _columns(rows: list[list[Cell]]) -> list[dict[int, str]]:
    """Each row's cells by the column they stand in, counting the cells that rows above
    span into it; a cell spanning columns stands for none of them."""
    taken: set[tuple[int, int]] = set()
    grid: list[dict[int, str]] = []
    for r, row in enumerate(rows):
        col = 0
        placed: dict[int, str] = {}
        for cell in row:
            while (r, col) in taken:
                col += 1
            if cell.colspan == 1:
                placed[col] = cell.text
            taken.update((r + dr, col + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            col += cell.colspan
        grid.append(placed)
    return grid


def _too_large(table: Table) -> bool:
    cells = 0
    for _section, rows in table.sections():
        for row in rows:
            for cell in row:
                if max(cell.colspan, cell.rowspan) > MAX_SPAN:
                    return True
                cells += cell.colspan * cell.rowspan
    return cells > MAX_TABLE_CELLS


def _decimals(text: str) -> int:
    match = re.search(r"[.,](\d+)\s*%?\s*$", text)
    return len(match[1]) if match else 0


def _mean_of(texts: list[str], declared: str) -> float | None:
    """The mean of a column's cells, shares with shares (``52,9%``), counts with counts;
    None when a cell is text, or none is a number."""
    share = "%" in declared
    values = []
    for text in texts:
        text = text.strip()
        if not text or text in {"-", "–", "—"} or ("%" in text) != share:
            continue
        value = parse_number(text.rstrip("%").rstrip())
        if value is None:
            return None
        values.append(value)
    return sum(values) / len(values) if values else None


Problem = tuple[str, int, int, str, float, float]


def totals_problems(table: Table) -> list[Problem]:
    """Each declared total or mean that does not agree with the cells it sums or averages.

    Returns (kind, row, column, cell text, declared, computed) tuples; kind is "row"
    for a totals row of the body and "column" for a totals column (row: the body's row,
    or ``len(rows)`` + the footer's row), "total" and "mean" for a footer row (row: the
    footer's).
    """
    problems: list[Problem] = []
    if _too_large(table):
        return problems  # the limits check refuses it; its grid is not to be drawn here
    body = _columns(table.rows)
    footer = _columns([r.cells for r in table.footer])
    first = table.header_columns
    total_row = table.totals.row if table.totals is not None else None
    if total_row is not None and 0 <= total_row < len(body):
        for col, text in sorted(body[total_row].items()):
            declared = parse_number(text)
            if col < first or declared is None:
                continue
            values = _summable([row[col] for r, row in enumerate(body) if r != total_row and col in row])
            if values is not None and abs(sum(values) - declared) > 1e-6:
                problems.append(("row", total_row, col, text, declared, sum(values)))
    above = [row for r, row in enumerate(body) if r != total_row]
    for f, (frow, cells) in enumerate(zip(table.footer, footer, strict=True)):
        if frow.kind == "text":
            continue
        for col, text in sorted(cells.items()):
            if col < first:
                continue
            column = [row[col] for row in above if col in row]
            if frow.kind == "total":
                declared = parse_number(text)
                values = _summable(column)
                if declared is not None and values is not None and abs(sum(values) - declared) > 1e-6:
                    problems.append(("total", f, col, text, declared, sum(values)))
                continue
            declared = parse_number(text.strip().rstrip("%").rstrip()) if text.strip() else None
            mean = _mean_of(column, text)
            # A mean is printed rounded: it agrees when it is the computed one so rounded.
            rounding = 0.5 * 10 ** -_decimals(text) + 1e-9
            if declared is not None and mean is not None and abs(mean - declared) > rounding:
                problems.append(("mean", f, col, text, declared, mean))
    total_col = table.totals.column if table.totals is not None else None
    if total_col is not None:
        # Each row of the body, and each total of the footer, sums across (a mean's rounded
        # figures need not).
        across = [(r, row) for r, row in enumerate(body)]
        across += [(len(body) + f, row) for f, (frow, row)
                   in enumerate(zip(table.footer, footer, strict=True)) if frow.kind == "total"]
        for r, row in across:
            declared = parse_number(row.get(total_col, ""))
            if declared is None:
                continue
            values = _summable([t for c, t in sorted(row.items()) if c >= first and c != total_col])
            if values is not None and abs(sum(values) - declared) > 1e-6:
                problems.append(("column", r, total_col, row[total_col], declared, sum(values)))
    return problems


def _check_tables(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    locale = (sources.locales or shipped()).get(paper.lang)
    separator = locale.numbers.decimal_separator if locale else "."
    for t, table in enumerate(paper.tables):
        rows = len(table.rows)
        for kind, r, c, text, _declared, computed in totals_problems(table):
            in_footer = kind in {"total", "mean"} or r >= rows
            row = r - rows if kind == "column" and in_footer else r
            section = "footer" if in_footer else "rows"
            line = sources.line_of(paper.path, "tables", t, *cell_loc(section, row, c))
            row_text = footer_row_name(table, row) if in_footer else row_name(table, row)
            column = column_at(table, c)
            if kind == "row":
                message = msg("table {id}: the total of {column} in {row} is '{text}' but the "
                              "other rows of that column add up to {sum}: correct the figures",
                              id=table.id, column=column, row=row_text, text=text,
                              sum=_number_text(computed, separator))
            elif kind == "total":
                message = msg("table {id}: the total of {column} in {row} is '{text}' but the rows above "
                              "add up to {sum}: correct the figures", id=table.id, column=column,
                              row=row_text, text=text, sum=_number_text(computed, separator))
            elif kind == "mean":
                shown = _number_text(round(computed, _decimals(text) + 2), separator)
                message = msg("table {id}: the mean of {column} in {row} is '{text}' but the rows above "
                              "average {mean}: correct the figures", id=table.id, column=column, row=row_text,
                              text=text, mean=shown + ("%" if "%" in text else ""))
            else:
                message = msg("table {id}: the total of {row} in {column} is '{text}' but the "
                              "other cells of that row add up to {sum}: correct the figures",
                              id=table.id, row=row_text, column=column, text=text,
                              sum=_number_text(computed, separator))
            yield warning(paper.path, line, message, "table-totals")


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
