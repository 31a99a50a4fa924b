"""A table's footer rows in the built book: a total printed once, under the last row of a
table that runs over pages (WeasyPrint repeats a tfoot at the foot of every page), its
label set as the row labels above, its figures under theirs."""

from __future__ import annotations

from pathlib import Path

import pytest

from proceedings.build import BuildOptions, build

from . import pdfread
from .conftest import make_case

ROWS = 70


def test_a_long_tables_total_is_printed_once_under_its_last_row(tmp_path: Path) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    rows = "".join(f'      - [Airport {n}, "{n}", "{2 * n}"]\n' for n in range(1, ROWS + 1))
    total = sum(range(1, ROWS + 1))
    table = ("tables:\n  - id: t1\n    caption: Incidents by airport\n    header:\n"
             "      - [Airport, \"2022\", \"2023\"]\n    rows:\n" + rows
             + f'    footer:\n      - {{kind: total, cells: [Grand total, "{total}", "{2 * total}"]}}\n')
    text = text.replace("references:", table + "references:", 1) + "\n::table t1\n"
    paper.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    build(BuildOptions(sources=sources, out=out, strict=True))
    pdf = out / "proceedings.pdf"
    pages = [n for n in range(1, pdfread.page_count(pdf) + 1) if "Airport" in pdfread.text(pdf, n)]
    assert len(pages) >= 2  # the table runs over pages
    found = [(n, line) for n in pages for line in pdfread.lines(pdf, n) if line[0].text == "Grand"]
    assert [n for n, _ in found] == [pages[-1]]  # once, on the table's last page
    _, line = found[0]
    last = next(row for row in pdfread.lines(pdf, pages[-1]) if row[0].text == "Airport"
                and row[1].text == str(ROWS))
    assert line[0].top > last[0].top  # under the last row
    assert line[0].x0 == pytest.approx(last[0].x0, abs=0.5)  # the label where the labels are
    assert [w.text for w in line[-2:]] == [str(total), str(2 * total)]
    assert line[-1].x1 == pytest.approx(last[-1].x1, abs=0.5)  # the figures flush right, as above
