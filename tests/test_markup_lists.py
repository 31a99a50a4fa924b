"""List markers: the style written in the source is the style printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from proceedings.markup import render_body
from proceedings.pdf import STYLESHEETS, paginate

from . import pdfread
from .conftest import REPO

STYLES = REPO / "styles"


def _printed(body: str, tmp_path: Path) -> str:
    html = "".join(s.html for s in render_body(body, anchor_prefix="t", references=set()))
    layout = paginate(f'<html lang="en"><body><div class="paper-body">{html}</div></body></html>',
                      styles=STYLES, stylesheets=[STYLES / "css" / n for n in STYLESHEETS],
                      allowed=[STYLES, REPO / "fonts"])
    pdf = tmp_path / "list.pdf"
    layout.document.write_pdf(pdf)
    return pdfread.layout_text(pdf, 1)


@pytest.mark.parametrize(("body", "markers"), [
    ("1) one\n2) two\n", ["1)", "2)"]),
    ("1. one\n2. two\n", ["1.", "2."]),
    ("a) one\nb) two\n", ["a)", "b)"]),
    ("а) один\nб) два\n", ["а)", "б)"]),
    ("{.alpha}\n1) один\n2) два\n", ["а)", "б)"]),
])
def test_marker_style_is_kept(body: str, markers: list[str], tmp_path: Path) -> None:
    # Lines of the list only, not the folio the page style prints.
    lines = [line.split() for line in _printed(body, tmp_path).splitlines() if len(line.split()) > 1]
    assert [words[0] for words in lines] == markers


def test_latin_letters_are_not_printed_as_cyrillic() -> None:
    html = render_body("a) one\nb) two\n", anchor_prefix="t", references=set())[0].html
    assert '<ol class="latin paren">' in html
