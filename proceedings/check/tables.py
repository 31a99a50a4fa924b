"""Tables whose declared totals do not add up."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, paper_digest
from proceedings.diagnostics import Diagnostic, warning
from proceedings.locales import shipped

if TYPE_CHECKING:
    from proceedings.model import Paper, Sources, Table


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
    locale = (sources.locales or shipped()).get(paper.lang)
    separator = locale.numbers.decimal_separator if locale else "."
    for t, table in enumerate(paper.tables):
        for kind, r, c, text, _declared, computed in totals_problems(table):
            line = sources.line_of(paper.path, "tables", t, "rows", r, c)
            if kind == "row":
                what = f"the total of column {c} (row {r})"
                parts = "the other rows of that column"
            else:
                what = f"the total of row {r} (column {c})"
                parts = "the other cells of that row"
            yield warning(
                paper.path,
                line,
                f"table {table.id}: {what} is '{text}' but "
                f"{parts} add up to {_number_text(computed, separator)}: correct the figures",
                "table-totals",
            )
