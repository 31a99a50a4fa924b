"""Paper 17's three tables, cell by cell: sources against the seed, HTML against sources."""

from __future__ import annotations

import json
from collections import Counter
from html.parser import HTMLParser

import pytest

from proceedings.load import load_sources
from proceedings.model import Table
from proceedings.render import render_book

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
    assert _texts(table.footer) == expected["footer"]  # type: ignore[arg-type]
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
    assert set(_grid_width(table.footer)) <= {columns}  # type: ignore[arg-type]


@pytest.mark.skipif(not SEED.is_file(), reason="the seed is not beside the repository")
@pytest.mark.parametrize("table_id", ["t1", "t2", "t3"])
def test_cells_are_the_seed_words(table_id: str, tables: dict[str, Table]) -> None:
    table, expected = tables[table_id], EXPECTED["tables"][table_id]
    seed = seed_words(*expected["seed_lines"]) - words(expected["label"])
    cells = Counter[str]()
    for row in (*table.header, *table.rows, *table.footer):
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
    for rendered, table_id in zip(parser.tables, ["t1", "t2", "t3"], strict=True):
        table = tables[table_id]
        expected = [
            [(c.text, c.colspan, c.rowspan) for c in row]
            for row in (*table.header, *table.rows, *table.footer)
        ]
        assert rendered == expected
