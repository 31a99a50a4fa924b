"""Bounds on what one paper may ask the layout for, so that no source exhausts the memory.

Each is an error, ``too-large``, found before the layout (as a paragraph longer than
``load.MAX_PARAGRAPH_CHARS`` is):

- more than ``MAX_FOOTNOTE_REFERENCES`` footnote references in one paper or
  resolution, or footnotes that print more than ``MAX_FOOTNOTE_CHARS`` characters in
  all (the layout prints a footnote's whole text at each reference to it);
- a table cell that spans more than ``MAX_SPAN`` columns or rows;
- a table of more than ``MAX_TABLE_CELLS`` cells, counting each cell as the columns
  times the rows it spans.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import partial

from proceedings.check.base import Check, Unit, column_name, row_name
from proceedings.diagnostics import Diagnostic, error
from proceedings.messages import Message, listing, msg
from proceedings.model import Paper, Sources, Table, cell_loc

MAX_FOOTNOTE_REFERENCES = 1_000
MAX_FOOTNOTE_CHARS = 1_000_000
MAX_SPAN = 100
MAX_TABLE_CELLS = 20_000

_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:")
_REFERENCE = re.compile(r"\[\^([^\]\s]+)\](?!:)")


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    found = [Check("limits", p.path, partial(_check_paper, sources, p)) for p in sources.papers]
    found += [
        Check("limits", r.path, partial(_check_body, r.path, r.body, r.body_line))
        for r in sources.resolutions
    ]
    return found


def _check_paper(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    yield from _check_body(paper.path, paper.body, paper.body_line)
    for t, table in enumerate(paper.tables):
        yield from _check_table(sources, paper.path, t, table)


def _footnote_sizes(lines: list[str]) -> dict[str, int]:
    """The characters of each footnote's text: its line, the lines that go on, and the
    indented paragraphs after it."""
    sizes: dict[str, int] = {}
    label: str | None = None
    blank = False
    for text in lines:
        match = _DEFINITION.match(text)
        if match is not None:
            label, blank = match[1], False
            sizes[label] = sizes.get(label, 0) + len(text) - match.end()
        elif not text.strip():
            blank = True
        elif label is not None and (not blank or text.startswith(("    ", "\t"))):
            sizes[label] += len(text.strip())
            blank = False
        else:
            label = None
    return sizes


def _check_body(path: str, body: str, first_line: int) -> Iterator[Diagnostic]:
    lines = body.split("\n")
    sizes = _footnote_sizes(lines)
    count = printed = 0
    for offset, text in enumerate(lines):
        if _DEFINITION.match(text):
            continue
        for match in _REFERENCE.finditer(text):
            count += 1
            printed += sizes.get(match[1], 0)
            if count > MAX_FOOTNOTE_REFERENCES:
                yield error(path, first_line + offset, msg(
                    "more than {limit:,} footnote references (this is one too many): laying them out "
                    "could exhaust the memory; merge footnotes, or put the notes in the text",
                    limit=MAX_FOOTNOTE_REFERENCES), "too-large")
                return
            if printed > MAX_FOOTNOTE_CHARS:
                yield error(path, first_line + offset, msg(
                    "footnote [^{mark}] makes the footnotes print more than {limit:,} characters in all "
                    "(each reference prints the whole footnote): laying them out could exhaust the "
                    "memory; shorten the footnote or refer to it less often", mark=match[1],
                    limit=MAX_FOOTNOTE_CHARS), "too-large")
                return


def _cell(table: Table, section: str, r: int, c: int) -> Message:
    """A cell as the editor finds it: a body cell by its row's and column's headings."""
    if section == "rows":
        return listing([row_name(table, r), column_name(table, c)])
    if section == "header":
        return msg("header row {row}, cell {cell}", row=r + 1, cell=c + 1)
    return msg("footer row {row}, cell {cell}", row=r + 1, cell=c + 1)


def _check_table(sources: Sources, path: str, t: int, table: Table) -> Iterator[Diagnostic]:
    cells = 0
    for section, rows in table.sections():
        for r, row in enumerate(rows):
            for c, cell in enumerate(row):
                for name in ("colspan", "rowspan"):
                    span = getattr(cell, name)
                    if span > MAX_SPAN:
                        yield error(
                            path, sources.line_of(path, "tables", t, *cell_loc(section, r, c), name),
                            msg("table {id}: the cell in {cell} has {name} {span:,}, more than the {limit} a "
                                "cell may span: laying it out could exhaust the memory", id=table.id,
                                cell=_cell(table, section, r, c), name=name, span=span,
                                limit=MAX_SPAN),
                            "too-large",
                        )
                        return
                cells += cell.colspan * cell.rowspan
                if cells > MAX_TABLE_CELLS:
                    yield error(path, sources.line_of(path, "tables", t, *cell_loc(section, r, c)), msg(
                        "table {id} has more than {limit:,} cells (counting each as the columns times "
                        "the rows it spans): laying it out could exhaust the memory; split the table",
                        id=table.id, limit=MAX_TABLE_CELLS), "too-large")
                    return
