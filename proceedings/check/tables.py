"""Tables whose declared totals and means do not agree with their figures."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, column_at, footer_row_name, paper_digest, row_name
from proceedings.check.limits import MAX_SPAN, MAX_TABLE_CELLS
from proceedings.diagnostics import Diagnostic, warning
from proceedings.locales import shipped
from proceedings.messages import msg
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
