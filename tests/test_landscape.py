"""A table too wide for the measure, even at 8 pt with its headers' words whole, turned on
a landscape page of its own and read by turning the book clockwise: every page keeps the
trim, the table's text reads upwards, the page keeps its running head and folio upright,
and the text around it flows on. Read back from the built PDF of a book the test makes
(the minibook at A5 with a generated table of eight long headings, and a narrow table
its editor asked to turn), in both engines and printed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from proceedings.build import BuildOptions, build

from . import pdfread
from .conftest import MINIBOOK
from .test_engines import _same_book

MM = 72 / 25.4
# Long single words: at A5 (cells of 7.8 pt) they are divided in a column of nine,
# and kept whole they run past the measure.
HEADS = ["Зарегистрировано", "Расследовано", "Приостановлено", "Прекращено", "Направлено",
         "Осуждённых", "Оправданных", "Возмещено"]
BEFORE = "Данные по регионам приведены в таблице 1."
AFTER = "Распределение по регионам различается от года к году, и {n}-й довод это подтверждает."


def _table(table_id: str, caption: str, heads: list[str], rows: int, extra: str = "") -> str:
    header = "[" + ", ".join(f"{{text: {h}}}" for h in ["Регион", *heads]) + "]"
    body = "".join(
        "      - [" + ", ".join([f"{{text: Область {i}}}", *(f'{{text: "{1000 * i + 37 * j}"}}'
                                                           for j in range(len(heads)))]) + "]\n"
        for i in range(1, rows + 1))
    return (f"  - id: {table_id}\n    caption: {caption}\n{extra}    header:\n      - {header}\n"
            f"    rows:\n{body}")


def make_turned_book(root: Path) -> Path:
    """The minibook at A5, its Russian paper given a table too wide for the measure (t1)
    and a narrow one set `landscape: true` (t2), each cited in paragraphs around it."""
    sources = root / "sources"
    shutil.copytree(MINIBOOK, sources)
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + "trim: A5\n", encoding="utf-8")
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    tables = ("tables:\n" + _table("t1", "Сведения о преступлениях по регионам", HEADS, 5)
              + _table("t2", "Возмещённый ущерб", ["Возмещено"], 3, "    landscape: true\n"))
    filler = [" ".join([f"Интернет-мошенничество в {n}-м регионе изучено по данным его органов, и каждый "
                        "такой случай требует учёта особенностей региона и сведений о потерпевших."] * 3)
              for n in range(1, 5)]
    after = [" ".join([AFTER.format(n=n)] * 5) for n in range(1, 5)]
    body = "\n\n".join([*filler, BEFORE, "::table t1", *after, "Ущерб приведён в таблице 2.",
                        "::table t2", "Выводы следуют из таблиц."])
    assert "udc:" in text
    assert "\n[^lat]:" in text
    text = text.replace("udc:", tables + "udc:", 1).replace("\n[^lat]:", f"\n{body}\n\n[^lat]:", 1)
    paper.write_text(text, encoding="utf-8")
    return sources


@pytest.fixture(scope="module")
def turned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("turned")
    result = build(BuildOptions(sources=make_turned_book(root), out=root / "out"))
    (root / "findings.txt").write_text("\n".join(f"{d.code} {d.message}" for d in result.diagnostics),
                                       encoding="utf-8")
    return root


def _pages_with(pdf: Path, word: str) -> list[int]:
    return [n for n in range(1, pdfread.page_count(pdf) + 1) if word in pdfread.text(pdf, n)]


def _paper_pages(out: Path) -> range:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first, last = next(p["pdf_pages"] for p in manifest["papers"] if p["id"] == "ru-fraud")
    return range(first, last + 1)


def test_every_page_keeps_the_trim_upright(turned: Path) -> None:
    pdf = turned / "out" / "proceedings.pdf"
    pages = range(1, pdfread.page_count(pdf) + 1)
    sizes = {tuple(round(v / MM) for v in pdfread.page_size(pdf, n)) for n in pages}
    assert sizes == {(148, 210)}


def _turned_page(pdf: Path, word: str) -> tuple[int, list[pdfread.Word]]:
    pages = _pages_with(pdf, word)
    assert len(pages) == 1, pages
    return pages[0], pdfread.words(pdf, pages[0])


def test_the_wide_table_is_turned_and_reads_upwards(turned: Path) -> None:
    pdf = turned / "out" / "proceedings.pdf"
    page, words = _turned_page(pdf, "Зарегистрировано")
    width, height = pdfread.page_size(pdf, page)
    by_text = {w.text: w for w in words}
    # Every heading whole, each drawn upwards: taller than wide, its column's heading above
    # the one before (the table's first column at the page's foot, its top at the left).
    heads = [by_text[h] for h in ["Регион", *HEADS]]
    assert all(w.bottom - w.top > 2 * (w.x1 - w.x0) for w in heads)
    assert [w.top for w in heads] == sorted((w.top for w in heads), reverse=True)
    assert not any(w.text.endswith("‐") for w in words)
    # The label and caption stand above the table: at the page's left, beside the heads.
    caption = by_text["Сведения"]
    assert caption.x1 < min(w.x0 for w in heads)
    assert by_text["Таблица"].x1 < caption.x0
    # No text of the paper's body on the turned page.
    assert "довод" not in pdfread.text(pdf, page)
    assert "регионе" not in pdfread.text(pdf, page)
    # The whole table within the text block turned: inside the margins.
    table = [w for w in words if w.top > 15 * MM - 1 and w.bottom < height - 17 * MM]
    assert min(w.x0 for w in table) >= 14 * MM - 1
    assert max(w.x1 for w in table) <= width - 14 * MM + 1


def test_the_turned_page_keeps_its_head_and_folio_upright(turned: Path) -> None:
    pdf = turned / "out" / "proceedings.pdf"
    page, _ = _turned_page(pdf, "Зарегистрировано")
    width, height = pdfread.page_size(pdf, page)
    foot = pdfread.text(pdf, page, (0, height - 17 * MM, width, height)).split()
    assert foot == [str(page)]
    folio = next(w for w in pdfread.words(pdf, page) if w.text == str(page))
    assert folio.x1 - folio.x0 > folio.bottom - folio.top - 4  # upright digits, not a turned run
    # The same head as the other pages of its side in the paper.
    same_side = [n for n in _paper_pages(turned / "out")[1:] if n % 2 == page % 2 and n != page]
    head = pdfread.text(pdf, page, (0, 0, width, 15 * MM)).split()
    assert head
    assert all(pdfread.text(pdf, n, (0, 0, width, 15 * MM)).split() == head for n in same_side)


def test_the_text_flows_on_around_the_turned_page(turned: Path) -> None:
    """The text cited before the table ends the page before it; the paragraphs after it
    that fit fill that page, and the rest follows the turned page, in order."""
    pdf = turned / "out" / "proceedings.pdf"
    page, _ = _turned_page(pdf, "Зарегистрировано")
    text = "".join(pdfread.text(pdf, n) for n in _paper_pages(turned / "out") if n != page)
    order = [text.replace("\n", " ").find(s) for s in
             ["4-м регионе", BEFORE, "1-й довод", "4-й довод", "Ущерб приведён", "Выводы следуют"]]
    assert -1 not in order, order
    assert order == sorted(order)
    before = pdfread.text(pdf, page - 1)
    assert BEFORE in before
    assert "1-й довод" in before
    _width, height = pdfread.page_size(pdf, page - 1)
    body = [w for w in pdfread.words(pdf, page - 1) if w.bottom < height - 17 * MM]
    assert max(w.bottom for w in body) > height - 17 * MM - 3 * 12  # less than three lines left


def test_the_layout_audit_reads_a_turned_page_as_no_page_of_text(turned: Path) -> None:
    """A turned page holds its table alone: the audit does not find it ending empty,
    nor its facing page ending lines apart from it."""
    pdf = turned / "out" / "proceedings.pdf"
    pages = [_turned_page(pdf, word)[0] for word in ("Зарегистрировано", "Возмещённый")]
    findings = (turned / "findings.txt").read_text(encoding="utf-8").splitlines()
    about = [f for f in findings if f.startswith(("layout-page-empty ", "layout-facing "))
             and any(re.search(rf"\b{n}\b", f) for n in pages)]
    assert about == []


def test_an_editor_turns_a_narrow_table(turned: Path) -> None:
    """`landscape: true` turns a table that fits the measure: its page holds it alone."""
    pdf = turned / "out" / "proceedings.pdf"
    page, words = _turned_page(pdf, "Возмещённый")
    assert "Зарегистрировано" not in pdfread.text(pdf, page)
    caption = next(w for w in words if w.text == "Возмещённый")
    assert caption.bottom - caption.top > 2 * (caption.x1 - caption.x0)
    assert "Выводы" not in pdfread.text(pdf, page)
    assert "Ущерб приведён" not in pdfread.text(pdf, page)


def _longest_runs(image: object) -> tuple[int, int]:
    """The longest horizontal and vertical runs of dark pixels of a page image."""
    pixels = image.load()  # type: ignore[attr-defined]
    width, height = image.size  # type: ignore[attr-defined]
    dark = [[pixels[x, y] < 128 for x in range(width)] for y in range(height)]

    def longest(rows: list[list[bool]]) -> int:
        best = 0
        for row in rows:
            run = 0
            for cell in row:
                run = run + 1 if cell else 0
                best = max(best, run)
        return best

    return longest(dark), longest([list(column) for column in zip(*dark, strict=True)])


def test_the_turned_page_rendered(turned: Path, tmp_path: Path) -> None:
    """Drawn, the turned table's rules run down the page: the rows' lines are its longest
    dark runs, far longer than any across it (a text page's longest runs go across)."""
    pdf = turned / "out" / "proceedings.pdf"
    page, _ = _turned_page(pdf, "Зарегистрировано")
    image = pdfread.render(pdf, page, 60, grey=True)
    image.save(tmp_path / f"turned-{page}.png")
    across, down = _longest_runs(image)
    height = image.size[1]
    assert down > 0.6 * height
    assert down > 3 * across
    text_across, text_down = _longest_runs(pdfread.render(pdf, page - 1, 60, grey=True))
    assert text_down < text_across or text_across < 0.2 * image.size[0]


def _destination(pdf: Path, name: str) -> tuple[int, float, float]:
    """The page (1-based) and point of a named destination."""
    import pikepdf

    with pikepdf.open(pdf) as book:
        target = pikepdf.NameTree(book.Root.Names.Dests)[name]
        array = target.D if isinstance(target, pikepdf.Dictionary) else target
        pages = [page.obj.objgen for page in book.pages]
        return pages.index(array[0].objgen) + 1, float(array[2]), float(array[3])


def test_both_engines_give_the_same_turned_book(turned: Path) -> None:
    """The same pages, text, links and pixels, and the table's destination on its turned
    page, at the same point, within the page."""
    single = turned / "single"
    build(BuildOptions(sources=turned / "sources", out=single, engine="single"))
    pages = len(PdfReader(single / "proceedings.pdf").pages)
    _same_book(single, turned / "out", list(range(1, pages + 1)))
    page, _ = _turned_page(turned / "out" / "proceedings.pdf", "Зарегистрировано")
    found = [_destination(out / "proceedings.pdf", "paper-ru-fraud-t1") for out in (single, turned / "out")]
    assert found[0][0] == found[1][0] == page
    assert found[0][1:] == pytest.approx(found[1][1:], abs=0.01)
    width, height = pdfread.page_size(turned / "out" / "proceedings.pdf", page)
    assert 0 < found[1][1] < width
    assert 0 < found[1][2] < height


def test_the_turned_book_prints_and_passes_preflight(turned: Path, tmp_path: Path) -> None:
    from proceedings.preflight import PreflightOptions, preflight
    from proceedings.printing import PrintOptions, print_book

    from .conftest import PRINT_BLOCK

    sources = tmp_path / "sources"
    shutil.copytree(turned / "sources", sources)
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + PRINT_BLOCK, encoding="utf-8")
    out = tmp_path / "out"
    # Its generated paragraphs repeat each other (duplicate-paragraph): printed despite that.
    print_book(PrintOptions(sources=sources, out=out, override="a generated test book"))
    pdf = out / "proceedings-print.pdf"
    assert preflight(pdf, PreflightOptions(print=True)) == []
    # The turned page printed on the trim, its table upwards as in the book.
    pages = _pages_with(pdf, "Зарегистрировано")
    assert len(pages) == 1
    word = next(w for w in pdfread.words(pdf, pages[0]) if w.text == "Зарегистрировано")
    assert word.bottom - word.top > 2 * (word.x1 - word.x0)
    assert re.search(r"\d", pdfread.text(pdf, pages[0]))


def test_an_english_book_turns_the_table_its_editor_marks(tmp_path: Path) -> None:
    """The A5 workshop in English, its table marked `landscape: true`: turned after the
    page it is cited on, the paragraph after it filling that page, head and folio upright."""
    from .conftest import WORKSHOP

    sources = tmp_path / "sources"
    shutil.copytree(WORKSHOP, sources)
    paper = sources / "papers" / "discourse-markers" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    assert "  - id: agreement\n" in text
    paper.write_text(text.replace("  - id: agreement\n", "  - id: agreement\n    landscape: true\n"),
                     encoding="utf-8")
    build(BuildOptions(sources=sources, out=tmp_path / "out"))
    pdf = tmp_path / "out" / "proceedings.pdf"
    pages = range(1, pdfread.page_count(pdf) + 1)
    assert {tuple(round(v / MM) for v in pdfread.page_size(pdf, n)) for n in pages} == {(148, 210)}
    page, words = _turned_page(pdf, "Annotator")
    cells = [w for w in words if w.text in {"Annotator", "Intermediate", "Advanced", "Markers"}]
    assert len(cells) >= 4
    assert all(w.bottom - w.top > 2 * (w.x1 - w.x0) for w in cells)
    # The table's first column at the page's foot: «Level» below the others' heads.
    level = next(w for w in words if w.text == "Level")
    assert level.top > max(w.top for w in words if w.text in {"Essays", "Annotator"})
    width, height = pdfread.page_size(pdf, page)
    assert pdfread.text(pdf, page, (0, height - 17 * MM, width, height)).split() == [str(page)]
    assert "agreed" not in pdfread.text(pdf, page)
    # Its paper's text and references fill the page before it, and the paper ends with it.
    before = pdfread.text(pdf, page - 1).replace("\n", " ")
    assert "agreed on 91 per cent" in before
    assert "Schiffrin" in before
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    pages_of = {p["id"]: p["pdf_pages"] for p in manifest["papers"]}
    assert pages_of["discourse-markers"] == [page - 1, page]


def test_turn_page_turns_every_box_and_point_with_the_drawing() -> None:
    """A print page in landscape (media past the trim by a bleed of 10): set upright, its
    trim keeps its corner at the origin, and a link's area and a destination at the
    landscape page's top-left corner of the trim land at the upright trim's bottom left."""
    import pikepdf

    from proceedings.pdfedit import turn_destinations, turn_page

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(310, 210))
    page = pdf.pages[0]
    page.obj.MediaBox = pikepdf.Array([-10, -10, 300, 200])
    page.obj.TrimBox = pikepdf.Array([0, 0, 290, 190])
    page.obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=pikepdf.Array([0, 180, 20, 190])))]))
    tree = pikepdf.NameTree.new(pdf)
    tree["corner"] = pikepdf.Array([page.obj, pikepdf.Name.XYZ, 0, 190, 0])
    pdf.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
    turn_page(page)
    turn_destinations(pdf, {0})
    assert [float(v) for v in page.obj.MediaBox] == [-10, -10, 200, 300]
    assert [float(v) for v in page.obj.TrimBox] == [0, 0, 190, 290]
    assert [float(v) for v in page.obj.Annots[0].Rect] == [0, 0, 10, 20]
    assert [float(v) for v in pikepdf.NameTree(pdf.Root.Names.Dests)["corner"][2:4]] == [0, 0]
    assert pikepdf.parse_content_stream(page)[1].operands == [0, 1, -1, 0, 190, 0]
