"""The layout audit: each code fires on a book made to trigger it, with the page and the
source line; the minibook and the figures of a built book; ``proceedings audit``."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable
from pathlib import Path

import pytest

from proceedings import pdfaudit
from proceedings.audit import TextLine, figures
from proceedings.build import BuildOptions, BuildResult, build
from proceedings.cli import main
from proceedings.diagnostics import BuildError, Diagnostic, Severity
from proceedings.report import report_html

from . import pdfread
from .conftest import MINIBOOK, REPO

AuditBook = tuple[Path, BuildResult, dict[str, int]]  # its folder, the build's result, source lines

# A paragraph of long words: set in a narrow measure, nearly every line ends in a hyphen.
LONG_WORDS = " ".join(["электрификационный высокопроизводительный правоохранительный"] * 30)
TEXT = ("Предупреждение преступлений требует совместных усилий государства, общества и граждан, "
        "а также постоянного изучения причин и условий, способствующих их совершению. ")


def make_audit_book(root: Path) -> tuple[Path, Path, dict[str, int]]:
    """The minibook with one more paper, ``audit``, whose paragraphs are each made (by the
    text and by a stylesheet rule on their ``data-line``) to trigger one audit code; and
    a copy of the styles with those rules. Returns the sources, the styles and the source
    line of each paragraph, by the code it is made for."""
    sources, styles = root / "sources", root / "styles"
    shutil.copytree(MINIBOOK, sources)
    shutil.copytree(REPO / "styles", styles)
    # Laid out first fit, by WeasyPrint alone: the line breaker would set the paragraphs
    # made to be set badly (and knows nothing of their rules below).
    template = styles / "templates" / "_paper.html.j2"
    marked = template.read_text(encoding="utf-8")
    template.write_text(re.sub(r"<!--/?lines[^>]*-->", "", marked), encoding="utf-8")
    assert marked != template.read_text(encoding="utf-8")
    (root / "fonts").symlink_to(REPO / "fonts")  # where the styles' fonts.css finds them
    book = sources / "book.yaml"
    text = book.read_text(encoding="utf-8").replace("papers: [kk-digital, ru-fraud, en-aviation]",
                                                    "papers: [kk-digital, ru-fraud, en-aviation, audit]")
    book.write_text(text + "papers_start_recto: true\n", encoding="utf-8")
    paragraphs = [
        ("hyphen-run", LONG_WORDS, "width: 45mm"),
        ("loose", TEXT * 3, "word-spacing: 0.3em"),
        ("very-loose", TEXT * 3, "word-spacing: 0.7em"),
        ("overfull", "Номер дела " + "7" * 120 + " приведён полностью.", ""),
        ("fragment", "слово а\u00adбвгдежз где\u00adжз", "width: 20mm; text-indent: 0; hyphens: manual"),
        ("fragment-twice", "ала\u00adяқ\u00adтық", "width: 10mm; text-indent: 0; hyphens: manual"),
        ("short-last", TEXT * 2 + "\\\nми.", ""),
        # «По» and a run of words bound by no-break spaces too long to share its line.
        ("alone", "По " + "\u00a0".join(["длинное", "связанное", "выражение", "целиком"]) + " и конец.",
         "width: 60mm; hyphens: manual"),
        ("page-empty", "Этот абзац начинает страницу и остаётся на ней один.", "break-before: page"),
        ("orphan", "\\\n".join(f"Строка {n} абзаца." for n in range(1, 7)),
         "break-before: page; padding-top: 248mm; line-height: 5mm; orphans: 1; widows: 1"),
        ("widow", "\\\n".join(f"Строка {n} абзаца." for n in range(1, 7)),
         "break-before: page; padding-top: 228mm; line-height: 5mm; orphans: 1; widows: 1"),
        ("heading-foot", "## Заголовок в конце страницы", "break-before: page; margin-top: 240mm"),
        ("after-heading", TEXT * 4, ""),
    ]
    front = ["---", "lang: ru", "authors:", "  - person: petrov", "title: Проверка вёрстки", "---"]
    body: list[str] = []
    lines: dict[str, int] = {}
    rules = []
    for code, paragraph, rule in paragraphs:
        lines[code] = len(front) + len(body) + 1
        body += [*paragraph.split("\n"), ""]
        if rule:
            selector = "h2" if paragraph.startswith("#") else "p"
            rules.append(f'#paper-audit {selector}[data-line="{lines[code]}"] {{ {rule} }}')
    paper = sources / "papers" / "audit"
    paper.mkdir()
    (paper / "paper.md").write_text("\n".join([*front, *body]), encoding="utf-8")
    with (styles / "css" / "book.css").open("a", encoding="utf-8") as css:
        css.write("\n" + "\n".join(rules) + "\n")
    return sources, styles, lines


@pytest.fixture(scope="module")
def audit_book(tmp_path_factory: pytest.TempPathFactory) -> AuditBook:
    """The book of ``make_audit_book`` built with the parts engine: (its folder, the
    build's result, the source lines of the paragraphs)."""
    root = tmp_path_factory.mktemp("audit-book")
    sources, styles, lines = make_audit_book(root)
    result = build(BuildOptions(sources=sources, out=root / "out", styles=styles, fonts=root / "fonts"))
    return root, result, lines


def _layout(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code.startswith("layout-")]


def _found(result: BuildResult, code: str, line: int) -> list[Diagnostic]:
    return [d for d in result.diagnostics
            if d.code == code and d.line == line and d.path.endswith("papers/audit/paper.md")]


def _page_of(pdf: Path, text: str) -> int:
    """The first page whose text has ``text``."""
    for page in range(1, pdfread.page_count(pdf) + 1):
        if text in pdfread.text(pdf, page):
            return page
    raise AssertionError(f"{text!r} is on no page")


def _body_lines(pdf: Path, page: int) -> list[str]:
    """A page's lines without its running head (the first line) and its folio (the last)."""
    return pdfread.text(pdf, page).splitlines()[1:-1]


def test_a_hyphen_run_and_a_word_broken_over_a_recto(audit_book: AuditBook) -> None:
    root, result, lines = audit_book
    pdf = root / "out" / "proceedings.pdf"
    papers = result.manifest["papers"]
    assert isinstance(papers, list)
    first = next(p["pdf_pages"][0] for p in papers if p["id"] == "audit")  # the paragraph opens the paper
    assert first % 2 == 1  # papers start on a recto here
    (run,) = _found(result, "layout-hyphen-run", lines["hyphen-run"])
    assert run.severity is Severity.WARNING
    count = int(run.message.split()[0])
    assert run.message == f"{count} hyphenated lines in a row on pages {first}–{first + 1}"
    # Read back: the paragraph's lines on its first page nearly all end in a hyphen.
    page_lines = [line for line in _body_lines(pdf, first) if "электр" in line or "высокопр" in line
                  or "правоохр" in line or line.endswith("‐")]
    assert count >= len(page_lines) - 2 > 20
    (recto,) = _found(result, "layout-recto-hyphen", lines["hyphen-run"])
    last = _body_lines(pdf, first)[-1]
    assert last.endswith("‐")
    word = last.split()[-1]
    assert recto.message == f"'{word}' is broken across the turn from page {first} to page {first + 1}"


def test_loose_and_very_loose_lines(audit_book: AuditBook) -> None:
    _root, result, lines = audit_book
    loose = _found(result, "layout-loose", lines["loose"])
    very = _found(result, "layout-very-loose", lines["very-loose"])
    assert loose
    assert very
    assert not _found(result, "layout-very-loose", lines["loose"])
    assert {d.severity for d in loose} == {Severity.NOTE}
    assert {d.severity for d in very} == {Severity.WARNING}
    for finding, low, high in [*((d, 0.5, 0.75) for d in loose), *((d, 0.75, 3.0) for d in very)]:
        gap = float(finding.message.split(" em apart")[0].rsplit(" ", 1)[1])
        assert low < gap <= high, finding


def test_the_gaps_measured_are_the_gaps_printed(audit_book: AuditBook) -> None:
    """The layout's word gap of each loose line is the gap between its words' boxes in the PDF."""
    root, result, lines = audit_book
    pdf = root / "out" / "proceedings.pdf"
    read = pdfaudit.read_lines(pdf)
    for finding in _found(result, "layout-loose", lines["loose"]):
        page = int(finding.message.split("on page ")[1].split(":")[0])
        gap = float(finding.message.split(" em apart")[0].rsplit(" ", 1)[1])
        ending = finding.message.split("(ending '")[1].rstrip("')")
        printed = [line.gap() for line in read[page - 1]
                   if line.text.endswith(ending) and len(line.words) > 3]
        assert any(abs(gap - p) < 0.02 for p in printed), (finding, printed)


def test_an_overfull_line(audit_book: AuditBook) -> None:
    root, result, lines = audit_book
    pdf = root / "out" / "proceedings.pdf"
    (overfull,) = _found(result, "layout-overfull", lines["overfull"])
    page = _page_of(pdf, "7777777777")
    (number,) = [w for w in pdfread.words(pdf, page) if w.text.startswith("7777")]
    width, _height = pdfread.page_size(pdf, page)
    margin = (20 if page % 2 else 25) * 72 / 25.4  # the outer margin of A4 (a verso's is the inner one)
    assert number.x1 > width - margin + 100
    assert overfull.message.startswith(f"a line past the text block on page {page}, by up to ")
    assert overfull.severity is Severity.WARNING


def test_fragments_and_a_short_last_line(audit_book: AuditBook) -> None:
    root, result, lines = audit_book
    pdf = root / "out" / "proceedings.pdf"
    page = _page_of(pdf, "слово а‐")
    (fragment,) = _found(result, "layout-fragment", lines["fragment"])
    assert fragment.message == f"'а‐' leaves 1 letter(s) before the hyphen on page {page}"
    # A word divided twice in a narrow column carries the rest of it over its first hyphen.
    page = _page_of(pdf, "ала‐")
    pieces = ["ала‐", "яқ‐", "тық"]
    assert [line for line in _body_lines(pdf, page) if line in pieces] == pieces
    assert _found(result, "layout-fragment", lines["fragment-twice"]) == []
    (short,) = _found(result, "layout-short-last", lines["short-last"])
    page = _page_of(pdf, "ми.")
    assert "ми." in _body_lines(pdf, page)
    assert short.message == f"the paragraph's last line, 'ми.', is no longer than its indent on page {page}"
    (alone,) = _found(result, "layout-alone", lines["alone"])
    page = _page_of(pdf, "длинное")
    assert "По" in _body_lines(pdf, page)
    assert alone.message == f"'По' stands alone on a line of its paragraph on page {page}"


def test_orphan_widow_and_heading_at_a_page_foot(audit_book: AuditBook) -> None:
    root, result, lines = audit_book
    pdf = root / "out" / "proceedings.pdf"
    orphan_page = _page_of(pdf, "Строка 1 абзаца.")
    assert _body_lines(pdf, orphan_page) == ["Строка 1 абзаца."]
    (orphan,) = _found(result, "layout-orphan", lines["orphan"])
    assert orphan.message == f"a paragraph's first line alone at the foot of page {orphan_page}"
    (widow,) = _found(result, "layout-widow", lines["widow"])
    widow_page = int(widow.message.rsplit(" ", 1)[1])
    assert _body_lines(pdf, widow_page) == ["Строка 6 абзаца."]
    (heading,) = _found(result, "layout-heading-foot", lines["heading-foot"])
    page = _page_of(pdf, "Заголовок в конце страницы")
    assert _body_lines(pdf, page) == ["Заголовок в конце страницы"]
    assert heading.message == f"a heading is the last line of page {page}: 'Заголовок … страницы'"


def test_a_page_ending_empty_and_facing_pages(audit_book: AuditBook) -> None:
    root, result, lines = audit_book
    pdf = root / "out" / "proceedings.pdf"
    page = _page_of(pdf, "Этот абзац начинает страницу")
    assert len(_body_lines(pdf, page)) == 1
    (empty,) = _found(result, "layout-page-empty", lines["page-empty"])
    assert empty.message.startswith(f"page {page} ends 9")
    assert empty.message.endswith("% empty, inside the part")
    verso, recto = (page - 1, page) if page % 2 else (page, page + 1)
    facing = [d for d in result.diagnostics if d.code == "layout-facing"
              and d.message.startswith(f"facing pages {verso} and {recto} end ")]
    assert facing
    assert facing[0].path.endswith("papers/audit/paper.md")


def test_both_engines_report_the_same(audit_book: AuditBook) -> None:
    root, result, _lines = audit_book
    single = build(BuildOptions(sources=root / "sources", out=root / "single", styles=root / "styles",
                                fonts=root / "fonts", engine="single"))
    assert _layout(single.diagnostics) == _layout(result.diagnostics)
    assert single.figures == result.figures


def test_the_minibook_has_no_layout_finding(minibook_build: Path) -> None:
    """The minibook's paragraphs, set by the line breaker, leave the audit nothing to say
    (laid out first fit, it had a Kazakh word broken before its last two letters and a
    last line shorter than the indent)."""
    result = build(BuildOptions(sources=MINIBOOK, out=minibook_build))  # nothing laid out again
    assert _layout(result.diagnostics) == []
    assert result.figures  # measured all the same


def test_strict_fails_on_layout_warnings_only_when_the_book_asks(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    text = paper.read_text(encoding="utf-8") + "\nНомер дела " + "7" * 150 + ".\n"
    paper.write_text(text, encoding="utf-8")
    result = build(BuildOptions(sources=sources, out=tmp_path / "out", strict=True))
    assert [d.code for d in result.diagnostics if d.severity is Severity.WARNING] == ["layout-overfull"]
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + "strict_layout: true\n", encoding="utf-8")
    with pytest.raises(BuildError) as raised:
        build(BuildOptions(sources=sources, out=tmp_path / "out", strict=True))
    failed = [d.code for d in raised.value.diagnostics if d.severity is not Severity.NOTE]
    assert failed == ["layout-overfull"]


def test_figures_count_runs_and_rectos() -> None:
    def line(page: int, hyphen: bool, width: float = 1.0, gap: float = 0.3) -> TextLine:
        return TextLine(page, width, 60, 8, gap, hyphen)

    paper = [line(1, True), line(1, True), line(1, True), line(1, False),
             line(2, True), line(2, True), line(2, True), line(2, True), line(2, True, width=0.5),
             line(3, False, gap=0.6), line(3, False, gap=0.8), line(3, True), line(4, False)]
    found = figures("ru", [paper])
    assert (found.lines, found.hyphenated, found.longest_run, found.runs3, found.runs4) == (12, 8, 4, 2, 1)
    assert (found.loose, found.very_loose) == (2, 1)
    assert found.recto_hyphen == 1  # page 3 ends in a hyphen; page 1 does not
    assert f"{found.share:.0%}" == "67%"


def test_proceedings_audit_prints_the_figures_of_a_built_book(
        book2024: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The table read from the PDF with PDFium agrees with the build's own figures."""
    built = build(BuildOptions(sources=REPO / "sources", out=book2024)).figures  # nothing laid out
    assert main(["audit", str(book2024 / "proceedings.pdf"), "--json"]) == 0
    read = json.loads(capsys.readouterr().out)
    assert [row["label"] for row in read] == ["ru", "kk", "en", "all"]
    by_label = {f.label: f for f in built}
    for row in read:
        own = by_label[row["label"]]
        assert row["papers"] == own.papers
        assert abs(row["hyphenated"] - own.hyphenated) <= max(2, own.hyphenated // 100)
        assert abs(row["lines"] - own.lines) <= own.lines // 10
        assert abs(row["longest_run"] - own.longest_run) <= 1
    assert main(["audit", str(book2024 / "proceedings.pdf")]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["measure", "ru", "kk", "en", "all"]
    assert "lines ending in a hyphen" in table
    assert "rectos whose last line ends in a hyphen" in table


def test_proceedings_audit_of_a_file_that_is_no_pdf(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not a PDF")
    assert main(["audit", str(broken)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{broken}: error: cannot be read as a PDF (")
    assert err.endswith("[audit-unreadable]\n")


def test_the_report_has_a_layout_section(audit_book: AuditBook) -> None:
    _root, result, _lines = audit_book
    page = report_html(result.diagnostics, result.sources, figures=result.figures)
    section = page[page.index('<h2 id="layout">'):page.index('<h2 id="by-paper">')]
    assert "<th>ru</th>" in section
    assert "<th>all</th>" in section
    assert '<a href="#code-layout-hyphen-run">layout-hyphen-run</a>' in section


def test_proceedings_audit_without_a_manifest_counts_the_whole_file(
        minibook_build: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Another typesetter's PDF has no manifest: one column, for the whole file; a folio
    is not a line of the text."""
    alone = tmp_path / "book.pdf"
    shutil.copyfile(minibook_build / "proceedings.pdf", alone)
    assert main(["audit", str(alone), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["label"] == "all"
    assert row["papers"] == 1
    pages = pdfaudit.read_lines(alone)
    assert [line.text for line in pages[8]][-1] == "9"  # a folio, read as a line of its own
    # A list's markers, drawn after their items, are read on their items' lines.
    assert "– фишинговые рассылки;" in [line.text for line in pages[8]]
    # The papers' eight full-width lines (by their manifest) and the other parts' too.
    assert row["lines"] > 8


def _rows(pages: list[list[tuple[int, int]]], depth: int = 40) -> dict[str, list[list[object]]]:
    """A part's measured rows: each page a list of (paragraph, lines) from its top, body
    lines 10 pt high in a text block ``depth`` lines deep."""
    from proceedings.layout import measure as m

    lines: list[list[object]] = []
    rows_pages = []
    for page, paragraphs in enumerate(pages):
        y = 0
        for paragraph, count in paragraphs:
            for _ in range(count):
                lines.append([page, 0, y, 400, y + 10, 0, 400, 10, 0.25, 8, 60, m.BODY, paragraph,
                              10 + 2 * paragraph, f"first{paragraph}", f"last{paragraph}"])
                y += 10
        rows_pages.append([0, 0, 400, depth * 10, y, depth * 10])
    return {"pages": rows_pages, "lines": lines}


def test_a_spread_ending_apart_in_a_table_has_the_shorter_pages_rows_spaced_out() -> None:
    """A table's rows do not split: the shorter page of a spread that ends with rows going
    on over the page is told by how many points to space them out (``short_tables``), and
    is given no other remedy."""
    from proceedings.layout import measure as m

    rows = _rows([[(0, 38)], [(1, 20), (2, 16)], [(2, 10), (3, 5)], [(4, 5)]])
    for row in rows["lines"]:
        if row[m.PARA] == 2:
            row[m.ROLE] = m.CELL  # a table's cells, from the recto over to the next page
    assert m.short_tables(rows, 2) == [(1, 20.0)]
    assert m.short_spreads(rows, 2) == []
    # Ending in a table that stops there, the recto is remedied as text is.
    rows["lines"] = [row for row in rows["lines"] if not (row[m.PARA] == 2 and row[m.PAGE] == 2)]
    assert m.short_tables(rows, 2) == []
    assert m.short_spreads(rows, 2) != []


def test_the_remedies_of_a_spread_whose_pages_end_apart() -> None:
    """What the second layout is told of each spread whose pages end more than a line
    apart (``measure.short_spreads``), page numbers from the part's first."""
    from proceedings.layout.measure import short_spreads

    # A verso (the book's page 2) full, its last paragraph split over to a recto that ends
    # two lines short: the verso gives it one line more, and both end a line short.
    rows = _rows([[(0, 36), (1, 4)], [(1, 3), (2, 35)], [(3, 40)], [(4, 5)]])
    assert short_spreads(rows, 2) == [(0, 1, 0, [])]
    # Taken for a recto (page 3), the first page faces nothing in the part.
    assert [page for page, *_ in short_spreads(rows, 3)] != [0]
    # A verso three lines short of its recto, whose last paragraph of two lines begins
    # and ends on it: it goes over whole to the page after.
    rows = _rows([[(0, 37)], [(1, 38), (2, 2)], [(3, 40)], [(4, 5)]])
    assert short_spreads(rows, 2) == [(1, 2, 0, [])]
    # A recto two and a half lines short, before a page that begins with a paragraph of
    # three lines (which cannot be split), after a verso whose last paragraph ends on it:
    # a paragraph of the spread a line shorter lets it come up; else one of the recto's
    # a line longer.
    rows = _rows([[(0, 10), (1, 30)], [(2, 20), (3, 17)], [(4, 3), (5, 37)], [(6, 5)]])
    named = {n: (10 + 2 * n, f"first{n}", f"last{n}", lines)
             for n, lines in [(0, 10), (1, 30), (2, 20), (3, 17)]}
    assert short_spreads(rows, 2) == [(1, 1, -1, [named[0], named[1], named[2], named[3]]),
                                      (1, 2, 1, [named[2], named[3]])]


def _opening(top: float, verso: list[tuple[int, int]], pages: list[list[tuple[int, int]]],
             block: float = 408.0) -> dict[str, list[list[object]]]:
    """``_rows`` whose first page is a paper's opening: a byline at its top and its body
    lines from ``top`` down, in a text block ``block`` points deep (so that the pages
    after it, whose lines start at their top, end on a grid of 10 pt at 400)."""
    from proceedings.layout import measure as m

    rows = _rows([verso, *pages])
    rows["lines"] = [row for row in rows["lines"] if row[m.PAGE] != 0]
    byline = [0, 0, 0, 400, 12, 0, 400, 10, 0.25, 2, 12, m.BYLINE, 99, 1, "A.", "Author"]
    opening: list[list[object]] = [byline]
    y = top
    for paragraph, count in verso:
        for _ in range(count):
            opening.append([0, 0, y, 400, y + 10, 0, 400, 10, 0.25, 8, 60, m.BODY, paragraph,
                            10 + 2 * paragraph, f"first{paragraph}", f"last{paragraph}"])
            y += 10
    rows["lines"] = opening + rows["lines"]
    for page in rows["pages"]:
        page[3] = page[5] = block
    rows["pages"][0][4] = y
    return rows


def test_a_papers_opening_is_brought_onto_the_grid_of_the_pages_after_it() -> None:
    """A paper's opening has its lines as far down as its head puts them: off the grid
    of the pages after it, whose text starts with a line. Where a spread it begins ends
    more than a line apart, its lines are raised onto that grid (an opening that ends
    deeper than a full page) or lowered onto it (one that ends short by a part of a line)
    (``measure.head_shifts``), and the other remedies reckon with its depth there."""
    from proceedings.layout import measure as m

    # Ending at 407, deeper than a full page (400), before a recto a line short (390):
    # 1.7 lines apart; raised to 400, a line apart, and nothing else is done.
    rows = _opening(27, [(0, 38)], [[(1, 39)], [(2, 40)], [(3, 5)]])
    assert m.line_pitch(rows) == 10
    assert m.head_shifts(rows, 2) == [(0, -1)]
    assert m.short_spreads(rows, 2) == []
    # Ending at 383 before a full recto: lowered to the grid's 390, a line apart.
    rows = _opening(23, [(0, 36)], [[(1, 40)], [(2, 40)], [(3, 5)]])
    assert m.head_shifts(rows, 2) == [(0, 1)]
    assert m.short_spreads(rows, 2) == []
    # Two lines and a part short: lowered to 380, and the recto gives a line of its
    # last paragraph to the next page, which lowers the gap to one line.
    rows = _opening(23, [(0, 35)], [[(1, 20), (2, 20)], [(2, 10), (3, 30)], [(4, 5)]])
    assert m.head_shifts(rows, 2) == [(0, 1)]
    assert m.short_spreads(rows, 2) == [(1, 1, 0, [])]
    # On a recto (the book's page 3) it faces nothing in the part; with no byline it is
    # no paper's opening; off the grid by less than half a point it is left as it is.
    rows = _opening(27, [(0, 38)], [[(1, 39)], [(2, 40)], [(3, 5)]])
    assert m.head_shifts(rows, 3) == []
    rows["lines"] = [row for row in rows["lines"] if row[m.ROLE] != m.BYLINE]
    assert m.head_shifts(rows, 2) == []
    rows = _opening(20.3, [(0, 38)], [[(1, 37)], [(2, 40)], [(3, 5)]])
    assert m.head_shifts(rows, 2) == []
    # Raised onto the grid, an opening still two lines deeper than its recto, which ends
    # with a whole paragraph before a page that begins with one of three lines (which
    # cannot be split): a paragraph of the spread is set a line shorter, else one of the
    # recto's a line longer, as for any spread two lines apart.
    rows = _opening(27, [(0, 38)], [[(1, 10), (2, 28)], [(3, 3), (4, 37)], [(5, 5)]])
    assert m.head_shifts(rows, 2) == [(0, -1)]
    remedies = m.short_spreads(rows, 2)
    assert [(page, lines, by) for page, lines, by, _named in remedies] == [(1, 1, -1), (1, 1, 1)]
