"""Make-up: a figure that does not fit where it stands goes to the top of the next page,
and the text after it fills the page before; a paper's last page holds five lines; facing
pages end together. Read back from the 2024 book's PDF, at A4 and at A5, and its rendered
pages."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from . import pdfread

MM = 72 / 25.4


def _p17_pages(out: Path) -> range:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first, last = next(p["pdf_pages"] for p in manifest["papers"] if p["id"] == "p17")
    return range(first, last + 1)


def _ink_bottom(pdf: Path, page: int) -> float:
    """How far down the page (a share of its height) its lowest text or picture reaches,
    above the folio's band, from the page drawn at 30 dpi."""
    image = pdfread.render(pdf, page, 30, grey=True)
    width, height = image.size
    band = int(height * (1 - 20 * MM / pdfread.page_size(pdf, page)[1]))  # the folio's 20 mm
    for row in range(band, 0, -1):
        if min(image.getpixel((x, row)) for x in range(width)) < 128:  # type: ignore[operator]
            return row / height
    return 0.0


def test_a_figure_sent_over_leaves_no_hole(book2024_trims: Path) -> None:
    pdf = book2024_trims / "proceedings.pdf"
    pages = _p17_pages(book2024_trims)
    figure = next(n for n in pages if "Сурет 2." in pdfread.text(pdf, n))
    # Figure 2 heads its page (its picture's axis labels come before any line of text), or
    # follows there the end of the paragraph that cites it: sent over, it left no text
    # behind it on the page before.
    lines = pdfread.lines(pdf, figure)
    head = " ".join(w.text for line in lines[:3] for w in line)
    assert (not any(line[0].text[:1].isalpha() and len(line) > 8 for line in lines[:2])
            or "(сурет. 2)" in head), head
    # The page before it, in the same paper, is filled to within a third of its foot.
    assert figure - 1 in pages
    assert _ink_bottom(pdf, figure - 1) > 0.66
    # No page inside the paper ends more than a third empty.
    for page in pages[:-1]:
        assert _ink_bottom(pdf, page) > 0.66, page


def _last_page_lines(out: Path) -> dict[str, int]:
    """The lines of text on the last page of each paper of more than one page (the running
    head and the folio left out)."""
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    pdf = out / "proceedings.pdf"
    found = {}
    for paper in manifest["papers"]:
        first, last = paper["pdf_pages"]
        if last > first:
            width, height = pdfread.page_size(pdf, last)
            found[paper["id"]] = len(pdfread.lines(pdf, last, (0, 15 * MM, width, height - 15 * MM)))
    return found


def test_a_papers_last_page_holds_five_lines(book2024_trims: Path) -> None:
    # Laid out without the make-up, papers 10, 17 and 23 ended with two lines on a page
    # and paper 9 with four.
    counts = _last_page_lines(book2024_trims)
    assert len(counts) > 15
    assert {paper: n for paper, n in counts.items() if n < 5} == {}


# At A4: at A5 paper 17's table 2 is too wide for the measure even at 8 pt, and goes on a
# landscape page of its own.
def test_a_table_too_wide_for_its_headers_is_set_smaller_with_them_whole(book2024: Path) -> None:
    """Paper 17's tables divided their headers' words at 9 pt («Интер‐неттегі», «жібе‐рілді»);
    set at 8 pt they keep them whole and still fit the measure."""
    pdf = book2024 / "proceedings.pdf"
    words = [w for n in _p17_pages(book2024) for w in pdfread.words(pdf, n)]
    texts = [w.text for w in words]
    assert "Интернеттегі" in texts
    assert "жіберілді" in texts
    assert not any(t in texts for t in ("Интер‐", "жібе‐", "Өндіріс‐", "Бар‐"))
    # The tables' words (the body is 11.5 pt): all at 8 pt, no longer 9 pt.
    sizes = {round(w.size, 1) for w in words if w.text in {"Интернеттегі", "Өндірісте", "Сотқа", "Барлығы"}}
    assert sizes == {8.0, 11.5}, sizes
    width, _ = pdfread.page_size(pdf, _p17_pages(book2024)[0])
    # ... and inside the text block (the narrower margin is 20 mm).
    assert max(w.x1 for w in words if round(w.size, 1) == 8.0) < width - 20 * MM + 0.5


def _depths(pdf: Path, pages: range) -> tuple[dict[int, float], float]:
    """How deep each page's text ends (its lowest line's foot, the running head and the
    folio left out), and the height of a body line (the commonest step between lines)."""
    depths, steps = {}, []
    for page in pages:
        width, height = pdfread.page_size(pdf, page)
        lines = pdfread.lines(pdf, page, (0, 15 * MM, width, height - 15 * MM))
        long = [w for line in lines for w in line if len(w.text) >= 3]
        if long and sum(w.bottom - w.top > w.x1 - w.x0 for w in long) * 2 > len(long):
            continue  # a turned table's page (its words read upwards): it faces nothing
        depths[page] = max((w.bottom for w in lines[-1]), default=0.0) if lines else 0.0
        tops = [min(w.top for w in line) for line in lines]
        steps += [round(b - a, 1) for a, b in itertools.pairwise(tops) if b > a]
    return depths, max(set(steps), key=steps.count) if steps else 14.0


# Within one line: a line's height and a twentieth of it for the tenths of a point the
# depths are read to (``measure.FACING``).
_WITHIN = 1.05


def test_facing_pages_of_the_programme_and_the_lists_end_together(book2024_trims: Path) -> None:
    """The programme's and the participant lists' tables, whose rows do not split, end
    their facing pages together: the shorter page's rows are spaced out. Without it the
    programme's first spread at A4 and the lists' at A5 ended 1.7 lines apart."""
    manifest = json.loads((book2024_trims / "manifest.json").read_text(encoding="utf-8"))
    pdf = book2024_trims / "proceedings.pdf"
    paper = manifest["papers"][0]["pdf_pages"][0]
    _, line = _depths(pdf, range(paper, paper + 4))
    spreads = 0
    for part in manifest["parts"]:
        first, last = part["pdf_pages"]
        if part["kind"] not in ("programme", "participants"):
            continue
        for verso in range(first + first % 2, last - 1, 2):
            spreads += 1
            height = pdfread.page_size(pdf, verso)[1]
            # The tables' rules are their visible foot, below the last line of text.
            apart = abs(_ink_bottom(pdf, verso) - _ink_bottom(pdf, verso + 1)) * height
            assert apart <= _WITHIN * line, (part["kind"], verso, apart / line)
    assert spreads >= 1


@pytest.mark.parametrize("book", ["book2024", "book2024_a5"])
def test_facing_pages_of_a_paper_end_within_a_line(book: str, request: pytest.FixtureRequest) -> None:
    """A verso and the recto facing it, neither a paper's last page, end at most a line
    apart. Laid out without the remedies, nine spreads of the papers did not at A5 and
    two at A4 (lines given over to the next page, a paragraph moved whole, a paragraph
    set a line longer or shorter now even them); with them but with the papers'
    openings' lines off the grid of the pages after them, paper 15's first spread at A4
    ended 1.6 lines apart, papers 2's and 11's 1.1, and papers 9's and 21's 1.3 at A5."""
    out: Path = request.getfixturevalue(book)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    pdf = out / "proceedings.pdf"
    apart, spreads = {}, 0
    for paper in manifest["papers"]:
        first, last = paper["pdf_pages"]
        depths, line = _depths(pdf, range(first, last))
        for verso in range(first + first % 2, last - 1, 2):
            spreads += 1
            if {verso, verso + 1} <= depths.keys():
                lines = abs(depths[verso] - depths[verso + 1]) / line
                if lines > _WITHIN:
                    apart[paper["id"]] = lines
    assert spreads > 10
    assert not apart, apart


def _table_pages(tmp_path: Path, mark: str, name: str) -> Path:
    """A table of rows of one to four lines, a header row repeated on each page, laid out
    with ``mark`` before it (no remedy of the build's: only the mark's)."""
    rows = "".join(f"<tr><td>{n}</td><td>{'слово ' * (8 + 14 * (n % 4))}</td></tr>" for n in range(40))
    html = (f'{mark}<html lang="ru"><body><div class="paper-body" id="part"><table>'
            f"<thead><tr><th>№</th><th>Текст</th></tr></thead><tbody>{rows}</tbody></table>"
            "</div></body></html>")
    _laid_out(html, tmp_path / name)
    return tmp_path / name


def _laid_out(html: str, pdf: Path) -> int:
    """``html`` laid out with the book's styles (and no remedy of the build's: only its
    marks') into ``pdf``; its number of pages."""
    from proceedings.pdf import STYLESHEETS, paginate

    from .conftest import REPO

    styles = REPO / "styles"
    layout = paginate(html, styles=styles, stylesheets=[styles / "css" / n for n in STYLESHEETS],
                      allowed=[styles, REPO / "fonts"])
    layout.document.write_pdf(pdf)
    return len(layout.document.pages)


def test_a_tables_rows_spaced_out_bring_its_page_down_by_the_points_marked(tmp_path: Path) -> None:
    """``pdf.fill_mark``: the rows of the table the page ends with are made taller, each
    but the last by its share, so its last line (and the table's foot) comes down by the
    points marked, and no row moves to another page."""
    from proceedings.pdf import fill_mark

    plain = _table_pages(tmp_path, "", "plain.pdf")

    def last_line(pdf: Path, page: int) -> tuple[str, float]:
        line = pdfread.lines(pdf, page)[-2]  # the folio below it
        return line[0].text, max(w.bottom for w in line)

    row, foot = last_line(plain, 1)
    # The first page has 9 pt of room below its table: 6 pt are taken as marked, and 60
    # only as far as the room goes.
    for points, moved in [(6.0, 6.0), (60.0, 8.5)]:
        spaced = _table_pages(tmp_path, fill_mark([("part", 0, points)]), f"spaced-{points}.pdf")
        row_spaced, foot_spaced = last_line(spaced, 1)
        assert row_spaced == row
        assert foot_spaced - foot == pytest.approx(moved, abs=0.2)
        assert pdfread.lines(spaced, 2)[:3] == pdfread.lines(plain, 2)[:3]  # the next page as it was
        assert _ink_bottom(spaced, 1) > _ink_bottom(plain, 1)


def _opening_pages(tmp_path: Path, mark: str, places: int, name: str) -> Path:
    """A paper in Russian, its byline's author with ``places`` affiliations (a head as
    many lines high) and paragraphs over three pages, laid out with ``mark`` before it."""
    affiliations = "".join(f'<p class="author-affiliation">Академия {n}, Алматы</p>' for n in range(places))
    words = "Текст статьи о проблемах противодействия преступности в цифровой среде"
    paragraphs = "".join(f"<p>{' '.join([words] * (2 + n % 5))}.</p>" for n in range(60))
    html = (f'{mark}<html lang="ru"><body><article class="paper" id="px" lang="ru">'
            f'<header class="byline"><div class="author"><p class="author-name">А.Б. Автор</p>'
            f'{affiliations}</div></header><h2 class="paper-title">Заголовок статьи</h2>'
            f'<div class="paper-body">{paragraphs}</div></article></body></html>')
    _laid_out(html, tmp_path / name)
    return tmp_path / name


def test_an_openings_lines_are_brought_onto_the_grid_of_the_next_page(tmp_path: Path) -> None:
    """``pdf.head_mark``: the spaces around a paper's title are made smaller or larger,
    so that its opening's last line ends where a line of the next page does: raised to a
    full page's foot from below it, lowered to the next line of that grid from above. No
    line changes page. Heads of different heights leave an opening off the grid both
    ways, each brought onto it."""
    from proceedings.pdf import head_mark

    def last_line(pdf: Path, page: int) -> tuple[str, float]:
        line = pdfread.lines(pdf, page)[-2]  # the folio below it
        return " ".join(w.text for w in line), max(w.bottom for w in line)

    directions = set()
    for places in range(1, 6):
        plain = _opening_pages(tmp_path, "", places, f"plain-{places}.pdf")
        text, bottom = last_line(plain, 1)
        foot = max(last_line(plain, page)[1] for page in (2, 3))  # a full page's
        tops = [min(w.top for w in line) for line in pdfread.lines(plain, 2)[:-1]]
        pitch = tops[1] - tops[0]
        off = (foot - bottom) / pitch
        if abs(off - round(off)) < 0.05:
            continue  # on the grid as it is
        direction = -1 if bottom > foot else 1
        directions.add(direction)
        shifted = _opening_pages(tmp_path, head_mark([("px", 0, direction)]), places, f"shifted-{places}.pdf")
        text_shifted, bottom_shifted = last_line(shifted, 1)
        assert text_shifted == text
        assert pdfread.lines(shifted, 2) == pdfread.lines(plain, 2)  # the next page as it was
        lines_up = (foot - bottom_shifted) / pitch
        assert lines_up == pytest.approx(round(lines_up), abs=0.01)
        assert round(lines_up) == (0 if direction < 0 else math.floor(off))
    assert directions == {-1, 1}


def test_a_headings_space_keeps_the_lines_after_it_on_the_grid(tmp_path: Path) -> None:
    """A heading in a paper's body takes a line's space above it and none below, and the
    space is dropped where it opens a page: every page after the opening, with headings
    in the middle of it or at its top, has its lines a whole number of lines below the
    text block's top, as a page of plain text does, and so ends level with a full page
    (less whole lines). With the spaces of 4 and 2 mm that it had, a heading put the lines
    after it off that grid, by 0.29 of a line (0.43 at a page's top)."""
    words = "Текст статьи о проблемах противодействия преступности в цифровой среде"
    body = "".join(f"<p>{' '.join([words] * (2 + n % 5))}.</p>"
                   + (f"<h2>Раздел {n}</h2>" if n % 4 == 3 else "") for n in range(80))
    html = (f'<html lang="ru"><body><article class="paper" id="px" lang="ru"><h2 class="paper-title">'
            f'Заголовок</h2><div class="paper-body">{body}</div></article></body></html>')
    pdf = tmp_path / "headings.pdf"
    pages = range(2, _laid_out(html, pdf))  # after the opening, before the last
    tops = [min(w.top for w in line) for line in pdfread.lines(pdf, 2)[:-1]]
    first, pitch = tops[0], min(b - a for a, b in itertools.pairwise(tops))
    headings = 0
    for page in pages:
        lines = pdfread.lines(pdf, page)[:-1]  # the folio below them
        headings += sum(line[0].text == "Раздел" for line in lines)
        for line in lines:
            steps = (min(w.top for w in line) - first) / pitch
            assert steps == pytest.approx(round(steps), abs=0.02), (page, line[0].text)
    assert headings >= 5
    assert any(pdfread.lines(pdf, page)[0][0].text == "Раздел" for page in pages)
