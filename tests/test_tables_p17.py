"""Paper 17's three tables, cell by cell: sources against the seed, HTML against sources."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from proceedings.load import load_sources
from proceedings.model import Table
from proceedings.render import grouped_digits, is_number, render_book, typesetter

from . import pdfread
from .conftest import REPO
from .test_fidelity import SEED, SOURCES, seed_words, words

EXPECTED = json.loads((REPO / "tests" / "data" / "p17_tables.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tables() -> dict[str, Table]:
    sources, diags = load_sources(SOURCES)
    assert sources is not None, [str(d) for d in diags]
    paper = next(p for p in sources.papers if p.id == "p17")
    return {t.id: t for t in paper.tables}


def _texts(rows: list[list[object]]) -> list[list[str]]:
    return [[getattr(c, "text", c) for c in row] for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize("table_id", ["t1", "t2", "t3"])
def test_sources_hold_the_checked_cells(table_id: str, tables: dict[str, Table]) -> None:
    table, expected = tables[table_id], EXPECTED["tables"][table_id]
    assert table.caption == expected["caption"]
    assert _texts(table.header) == expected["header"]  # type: ignore[arg-type]
    assert _texts(table.rows) == expected["body"]  # type: ignore[arg-type]
    assert _texts([r.cells for r in table.footer]) == expected["footer"]  # type: ignore[arg-type]
    spans = [
        {"row": r, "cell": c, "text": cell.text, "colspan": cell.colspan, "rowspan": cell.rowspan}
        for r, row in enumerate(table.header)
        for c, cell in enumerate(row)
        if cell.colspan > 1 or cell.rowspan > 1
    ]
    assert spans == expected["header_spans"]


def _grid_width(rows: list[list[object]]) -> list[int]:
    """Columns each row covers, counting cells that rows above span into it."""
    carry: dict[int, int] = {}
    widths = []
    for row in rows:
        col, width = 0, 0
        for cell in row:
            while carry.get(col, 0) > 0:
                carry[col] -= 1
                col, width = col + 1, width + 1
            span = getattr(cell, "colspan", 1)
            for k in range(span):
                if getattr(cell, "rowspan", 1) > 1:
                    carry[col + k] = getattr(cell, "rowspan", 1) - 1
            col, width = col + span, width + span
        while carry.get(col, 0) > 0:
            carry[col] -= 1
            col, width = col + 1, width + 1
        widths.append(width)
    return widths


@pytest.mark.parametrize("table_id", ["t1", "t2", "t3"])
def test_every_row_fills_the_grid(table_id: str, tables: dict[str, Table]) -> None:
    table = tables[table_id]
    columns = EXPECTED["tables"][table_id]["columns"]
    assert set(_grid_width(table.header)) <= {columns}  # type: ignore[arg-type]
    assert set(_grid_width(table.rows)) == {columns}  # type: ignore[arg-type]
    assert set(_grid_width([r.cells for r in table.footer])) <= {columns}  # type: ignore[arg-type]


@pytest.mark.skipif(not SEED.is_file(), reason="the seed is not beside the repository")
@pytest.mark.parametrize("table_id", ["t1", "t2", "t3"])
def test_cells_are_the_seed_words(table_id: str, tables: dict[str, Table]) -> None:
    table, expected = tables[table_id], EXPECTED["tables"][table_id]
    seed = seed_words(*expected["seed_lines"]) - words(expected["label"])
    cells = Counter[str]()
    for row in (*table.header, *table.rows, *(r.cells for r in table.footer)):
        for cell in row:
            cells += words(cell.text)
    cells += words(table.caption or "")
    assert cells - seed == Counter(), "words in the table that the seed does not have"
    assert seed - cells == Counter(), "seed words missing from the table"


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self._cell: list[str] | None = None
        self._attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("class", "data-table") in attrs:
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in {"td", "th"} and self.tables:
            self._cell, self._attrs = [], dict(attrs)

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None:
            span = (int(self._attrs.get("colspan") or 1), int(self._attrs.get("rowspan") or 1))
            self.tables[-1][-1].append(("".join(self._cell), *span))
            self._cell = None


def test_rendered_tables_match_sources(tables: dict[str, Table]) -> None:
    sources, _ = load_sources(SOURCES)
    assert sources is not None
    html = render_book(sources, REPO / "styles", fonts=REPO / "fonts")
    parser = _Cells()
    parser.feed(html)
    assert len(parser.tables) == 3
    set_text = typesetter("kk", sources.book.typography)
    for rendered, table_id in zip(parser.tables, ["t1", "t2", "t3"], strict=True):
        table = tables[table_id]
        # ... and sets the other cells' text by the typesetter's rules (typography.py).
        expected = [
            [(c.text if is_number(c.text) else set_text(c.text), c.colspan, c.rowspan) for c in row]
            for row in (*table.header, *table.rows, *(r.cells for r in table.footer))
        ]
        # The layout groups long integers by threes with a narrow no-break space.
        assert [[(text.replace("\u202f", ""), *span) for text, *span in row] for row in rendered] == expected
    assert any(("14\u202f220", 1, 1) in row for row in parser.tables[0])


def test_figures_are_flush_right_and_grouped(book2024_trims: Path) -> None:
    """In the printed table 1, the totals column's figures end at one edge, and five-digit
    figures are grouped («44 274»), four-digit ones not («7877»)."""
    manifest = json.loads((book2024_trims / "manifest.json").read_text(encoding="utf-8"))
    first, last = next(p for p in manifest["papers"] if p["id"] == "p17")["pdf_pages"]
    pdf = book2024_trims / "proceedings.pdf"
    page = next(n for n in range(first, last + 1) if "Кесте 1" in pdfread.text(pdf, n))
    text = " ".join(pdfread.text(pdf, page).split())
    assert "Барлығы 589 7877 14 325 21 479 44 274" in text.replace("\u202f", " ")
    width, _ = pdfread.page_size(pdf, page)
    # The rows' lines: not the «Кесте 1» label, nor the header's line of years.
    totals = [w for line in pdfread.lines(pdf, page) if len(line) > 2 and not line[0].text[0].isdigit()
              for w in line[-1:] if w.text.isdigit() and w.x1 > 0.8 * width]
    assert len(totals) >= 10
    assert max(w.x1 for w in totals) - min(w.x1 for w in totals) < 0.5


@pytest.mark.parametrize(("cell", "number", "printed"), [
    ("14220", True, "14\u202f220"),
    ("1234567", True, "1\u202f234\u202f567"),
    ("7877", True, "7877"),  # four digits (a year, a count) stay whole
    ("52,9%", True, "52,9%"),
    ("12345,67", True, "12\u202f345,67"),
    ("−12", True, "−12"),
    ("100 %", True, "100 %"),
    ("0012345", True, "0\u202f012\u202f345"),  # grouped, never reread as a smaller number
    ("Барлығы", False, "Барлығы"),
    ("211-бап", False, "211-бап"),
    ("", False, ""),
])
def test_number_cells(cell: str, number: bool, printed: str) -> None:
    assert is_number(cell) is number
    assert (grouped_digits(cell) if number else cell) == printed
