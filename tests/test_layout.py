"""Layout of the 2024 book, read back from the PDF: page numbers, heads, page boxes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from proceedings.load import load_sources
from proceedings.locales import shipped
from proceedings.render import _shorten, collation_key, collation_order, load_labels, translator

from . import pdfread
from .conftest import MINIBOOK, REPO

MM = 72 / 25.4


def _manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _layout_text(pdf: Path, first: int, last: int) -> str:
    return "".join(pdfread.layout_text(pdf, page) for page in range(first, last + 1))


def _band(pdf: Path, page: int, top: bool) -> str:
    """The text of the head (top) or foot band of a page: where running heads and folios sit."""
    width, height = pdfread.page_size(pdf, page)
    band = 15 * MM
    y = 0 if top else height - band
    return pdfread.text(pdf, page, (0, y, width, y + band)).strip()


def test_contents_numbers_are_the_papers_first_pages(book2024_trims: Path) -> None:
    manifest = _manifest(book2024_trims)
    contents = next(p for p in manifest["parts"] if p["kind"] == "contents")
    text = _layout_text(book2024_trims / "proceedings.pdf", *contents["pdf_pages"])
    # Every entry ends in a dot leader and a number; papers come after the parts' lines.
    numbers = [int(n) for n in re.findall(r"[.…]\s*(\d+)\s*$", text, re.MULTILINE)]
    firsts = [p["pdf_pages"][0] for p in manifest["papers"]]
    parts = [p for p in manifest["parts"] if p["kind"] in {"programme", "participants"}]
    assert numbers[: len(parts)] == [p["pdf_pages"][0] for p in parts]
    assert numbers[len(parts) : len(parts) + len(firsts)] == firsts


def _index_entries(pdf: Path, first: int, last: int) -> list[str]:
    """Index entries page by page and column by column (the columns split at the page's
    middle, the heading in a larger size left out); a line that stands right of its
    column's left edge turns an entry over."""
    entries: list[str] = []
    for page in range(first, last + 1):
        middle = pdfread.page_size(pdf, page)[0] / 2
        columns: tuple[list[list[pdfread.Word]], list[list[pdfread.Word]]] = ([], [])
        sizes = [round(w.size, 1) for w in pdfread.words(pdf, page)]
        for line in pdfread.lines(pdf, page):
            line = [w for w in line if round(w.size, 1) == max(set(sizes), key=sizes.count)]
            halves = ([w for w in line if w.x1 < middle], [w for w in line if w.x0 > middle])
            for column, words in zip(columns, halves, strict=True):
                if words:
                    column.append(words)
        for column in columns:
            left = min((words[0].x0 for words in column), default=0.0)
            found: list[str] = []
            for words in column:
                text = " ".join(w.text for w in words)
                if words[0].x0 > left + 3 and found:
                    found[-1] += " " + text
                else:
                    found.append(text)
            entries += [entry for entry in found if re.search(r"[^\W\d].*\d$", entry)]
    return entries


def test_index_numbers_are_the_authors_pages(book2024_trims: Path) -> None:
    """Each entry is the name as its papers' bylines print it (Малаевич on p. 15, a Russian
    paper, not the Kazakh Малайұлы), with those papers' first pages."""
    sources, _ = load_sources(REPO / "sources")
    assert sources is not None
    manifest = _manifest(book2024_trims)
    index = next(p for p in manifest["parts"] if p["kind"] == "index")
    first_page = {p["id"]: p["pdf_pages"][0] for p in manifest["papers"]}
    expected: dict[str, list[int]] = {}
    for paper in sources.ordered_papers():
        for author in paper.authors:
            name = sources.people[author.person].name(paper.lang)
            expected.setdefault(f"{name.surname} {name.given}", []).append(first_page[paper.id])
    assert "Бимолданов Ержан Малаевич" in expected
    found = {}
    for entry in _index_entries(book2024_trims / "proceedings.pdf", *index["pdf_pages"]):
        match = re.fullmatch(r"(.+?)\s+(\d+(?:,\s*\d+)*)", entry)
        assert match, entry
        found[match[1]] = [int(n) for n in match[2].split(",")]
    assert found == expected


def test_index_is_in_kazakh_alphabetical_order(book2024_trims: Path) -> None:
    sources, _ = load_sources(REPO / "sources")
    assert sources is not None
    manifest = _manifest(book2024_trims)
    index = next(p for p in manifest["parts"] if p["kind"] == "index")
    people = {a.person for p in sources.papers for a in p.authors}
    order = [re.sub(r"\s+\d.*$", "", entry)
             for entry in _index_entries(book2024_trims / "proceedings.pdf", *index["pdf_pages"])]
    alphabet = collation_order(sources.locales, sources.book.languages)
    assert order == sorted(order, key=lambda text: collation_key(text, alphabet))
    assert len(order) == len(people)


def test_a_person_printed_in_two_forms_has_both_entries(tmp_path: Path) -> None:
    """Ахметова signs a Kazakh paper as Әсел Нұрланқызы and a Russian one as Асель
    Нурлановна: the index has both forms, each with its page and referring to the other,
    under a heading in both languages."""
    import shutil

    from proceedings.build import BuildOptions, build

    from .conftest import MINIBOOK

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    paper.write_text(text.replace("  - person: petrov\n", "  - person: petrov\n  - person: akhmetova\n", 1),
                     encoding="utf-8")
    build(BuildOptions(sources=sources, out=tmp_path / "out"))
    manifest = _manifest(tmp_path / "out")
    first, last = next(p for p in manifest["parts"] if p["kind"] == "index")["pdf_pages"]
    pdf = tmp_path / "out" / "proceedings.pdf"
    width, height = pdfread.page_size(pdf, first)
    columns = [pdfread.text(pdf, page, (x, 0, x + width / 2, height))  # the index's two columns
               for page in range(first, last + 1) for x in (0, width / 2)]
    index = " ".join(" ".join(columns).split())
    pages = {p["id"]: p["pdf_pages"][0] for p in manifest["papers"]}
    assert "Авторлар көрсеткіші / Указатель авторов" in " ".join(pdfread.text(pdf, first).split())
    kk, ru = "Ахметова Әсел Нұрланқызы", "Ахметова Асель Нурлановна"
    assert f"{kk} {pages['kk-digital']}; сондай-ақ қараңыз {ru}" in index
    assert f"{ru} {pages['ru-fraud']}; сондай-ақ қараңыз {kk}" in index


def test_collation_puts_kazakh_letters_after_their_base() -> None:
    names = ["Ұлы", "Уәли", "Әбенов", "Аманов", "Smith", "Ілиясов", "Иванов", "Қасымов", "Кенжебаев"]
    alphabet = collation_order(shipped(), ["kk", "en"])
    assert sorted(names, key=lambda text: collation_key(text, alphabet)) == [
        "Аманов", "Әбенов", "Иванов", "Кенжебаев", "Қасымов", "Уәли", "Ұлы", "Ілиясов", "Smith",
    ]


def test_papers_start_on_new_pages_with_no_head(book2024_trims: Path) -> None:
    manifest = _manifest(book2024_trims)
    previous_last = 0
    for paper in manifest["papers"]:
        first, last = paper["pdf_pages"]
        assert first > previous_last
        assert _band(book2024_trims / "proceedings.pdf", first, top=True) == ""
        previous_last = last


def test_running_heads_name_the_right_paper(book2024_trims: Path) -> None:
    sources, _ = load_sources(REPO / "sources")
    assert sources is not None
    short = sources.book.short_title
    pdf = book2024_trims / "proceedings.pdf"
    checked = 0
    for paper in _manifest(book2024_trims)["papers"]:
        first, last = paper["pdf_pages"]
        for page in range(first + 1, last + 1):
            head = " ".join(_band(pdf, page, top=True).split())
            assert len(_head_lines(pdf, page)) == 1, (page, head)
            if page % 2:  # recto: the paper's authors and short title, or the placeholder
                for author in paper["authors"]:
                    assert author.split()[0] in head, (page, head)
                title = paper["title"] or translator(load_labels(REPO / "styles"))("no_title", paper["lang"])
                assert title.split()[0] in head, (page, head)
            else:  # verso: the book's short title in the paper's language
                expected = short.get(paper["lang"]) or short[sources.book.languages[0]]
                assert head == expected, (page, head)
            checked += 1
    assert checked > 50


def _head_lines(pdf: Path, page: int) -> list[list[pdfread.Word]]:
    width, _ = pdfread.page_size(pdf, page)
    return pdfread.lines(pdf, page, (0, 0, width, 15 * MM))


def test_running_heads_are_shortened_at_a_word_a_head_may_end_on() -> None:
    labels = load_labels(REPO / "styles")
    for lang, title, limit, expected in [
        # Each limit falls just after a word the head may not end on.
        ("ru", "Выявление и устранение причин и условий совершения преступлений в сфере", 68,
         "Выявление и устранение причин и условий совершения преступлений…"),
        ("kk", "Қылмыстық құқық бұзушылықтардың алдын алу және оларға қарсы іс-қимыл", 47,
         "Қылмыстық құқық бұзушылықтардың алдын алу…"),
        ("en", "The prevention of identity theft in the era of digital platforms", 41,
         "The prevention of identity theft…"),
        ("en", "Short enough", 41, "Short enough"),
        ("ru", "ДЕТЕРМИНАНТЫ (ПРИЧИНЫ И УСЛОВИЯ) ВОЗНИКНОВЕНИЯ И РАЗВИТИЯ ТОРГОВЛИ ЛЮДЬМИ", 30,
         "ДЕТЕРМИНАНТЫ…"),
    ]:
        avoid = set(translator(labels)("head_no_end", lang).split())
        assert _shorten(title, limit, avoid) == expected, lang


def test_folios_are_the_page_numbers(book2024_trims: Path) -> None:
    pdf = book2024_trims / "proceedings.pdf"
    pages = _manifest(book2024_trims)["pages"]
    assert _band(pdf, 1, top=False).isdigit() is False  # the title page has no folio
    for page in range(3, pages + 1, 7):
        assert _band(pdf, page, top=False) == str(page)


def test_no_text_outside_the_page_box(book2024_trims: Path) -> None:
    pdf = book2024_trims / "proceedings.pdf"
    outside = []
    for page in range(1, pdfread.page_count(pdf) + 1):
        page_width, page_height = pdfread.page_size(pdf, page)
        for word in pdfread.words(pdf, page):
            # Body text stays inside the margins; 12 mm is less than any margin we use.
            if (word.x0 < 12 * MM or word.x1 > page_width - 12 * MM
                    or word.top < 5 * MM or word.bottom > page_height - 5 * MM):
                outside.append((page, word.text))
    assert outside == []


@pytest.mark.parametrize("trim", ["A5", "60x84/16"])
def test_other_trim_sizes_build(trim: str, tmp_path: Path) -> None:
    import shutil

    from proceedings.build import BuildOptions, build

    from .conftest import MINIBOOK

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + f"trim: {trim}\n", encoding="utf-8")
    build(BuildOptions(sources=sources, out=tmp_path / "out"))
    pdf = tmp_path / "out" / "proceedings.pdf"
    for paper in _manifest(tmp_path / "out")["papers"]:
        first, last = paper["pdf_pages"]
        for page in range(first + 1, last + 1):  # a running head on every page but the first
            assert len(_head_lines(pdf, page)) == 1, (trim, page)
    box = PdfReader(pdf).pages[0].mediabox
    expected = {"A5": (148, 210), "60x84/16": (145, 215)}[trim]
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == expected


def test_footnote_sits_at_the_foot_of_its_page(minibook_build: Path) -> None:
    manifest = _manifest(minibook_build)
    paper = next(p for p in manifest["papers"] if p["id"] == "ru-fraud")
    page = paper["pdf_pages"][0]
    pdf = minibook_build / "proceedings.pdf"
    ys = {word.text: word.top for word in pdfread.words(pdf, page)}
    # The note's text is below the body's last paragraph, and in the page's lower part.
    assert ys["официальную"] > ys["потерпевшего"]
    assert ys["официальную"] > pdfread.page_size(pdf, page)[1] * 0.7


def test_imprint_prints_given_fields_and_omits_empty_ones(minibook_build: Path, book2024: Path) -> None:
    mini = _layout_text(minibook_build / "proceedings.pdf", 2, 2)
    for text in ("ӘОЖ 343.9", "КБЖ 67.408", "ISBN 978-601-7654-32-0", "Материалдар авторлық редакцияда",
                 "Сборник содержит материалы", "©"):
        assert text in mini, text
    book = _layout_text(book2024 / "proceedings.pdf", 2, 2)
    for absent in ("ISBN", "ӘОЖ", "КБЖ", "УДК", "ББК"):
        assert absent not in book
    assert "Материалы публикуются в авторской редакции." in book


def test_papers_start_on_rectos_when_asked(tmp_path: Path) -> None:
    import shutil

    from proceedings.build import BuildOptions, build

    from .conftest import MINIBOOK

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + "papers_start_recto: true\n", encoding="utf-8")
    result = build(BuildOptions(sources=sources, out=tmp_path / "out"))
    firsts = [p["pdf_pages"][0] for p in result.manifest["papers"]]  # type: ignore[union-attr]
    assert all(first % 2 == 1 for first in firsts)


def test_contents_and_index_lines_link_to_their_pages(book2024_trims: Path) -> None:
    manifest = _manifest(book2024_trims)
    reader = PdfReader(book2024_trims / "proceedings.pdf")
    targets = set()
    for kind in ("contents", "index"):
        part = next(p for p in manifest["parts"] if p["kind"] == kind)
        for number in range(part["pdf_pages"][0], part["pdf_pages"][1] + 1):
            for annot in reader.pages[number - 1].get("/Annots", []):
                name = str(annot.get_object()["/Dest"])
                targets.add(reader.get_destination_page_number(reader.named_destinations[name]) + 1)
    firsts = {p["pdf_pages"][0] for p in manifest["papers"]}
    assert firsts <= targets


def test_non_breaking_spaces_bind_initials_and_page_numbers() -> None:
    from proceedings.markup import typeset_spaces

    assert typeset_spaces("А.Б. Сахаров и Сахаров А.Б. пишут") == (
        "А.Б.\u00a0Сахаров и Сахаров\u00a0А.Б. пишут"
    )
    assert typeset_spaces("[1, с. 23], [5, б. 7], [2, p. 14], 45 б.") == (
        "[1, с.\u00a023], [5, б.\u00a07], [2, p.\u00a014], 45\u00a0б."
    )
    assert typeset_spaces("№ 17") == "№\u00a017"
    assert typeset_spaces("Это с тобой") == "Это с тобой"


def _paper_text(out: Path, paper_id: str) -> str:
    part = next(p for p in _manifest(out)["papers"] if p["id"] == paper_id)
    return _layout_text(out / "proceedings.pdf", *part["pdf_pages"])


def test_lists_keep_the_markers_of_their_source(book2024_trims: Path) -> None:
    """«1)» stays «1)», a lettered list prints «а)», «б)», and a nested one is indented deeper."""
    p06 = _paper_text(book2024_trims, "p06")
    assert re.search(r"^\s*1\) Киберпреступления против прав", p06, re.M)
    assert re.search(r"^\s*а\) неправомерный доступ к информации", p06, re.M)
    assert re.search(r"^\s*б\) ", p06, re.M)
    assert not re.search(r"^\s*1\. Киберпреступления", p06, re.M)
    p13 = next(p for p in _manifest(book2024_trims)["papers"] if p["id"] == "p13")
    pdf = book2024_trims / "proceedings.pdf"
    first, last = p13["pdf_pages"]
    lines = [line for page in range(first, last + 1) for line in pdfread.lines(pdf, page)]

    def marker_x(marker: str, first_word: str) -> float:
        return next(ln[0].x0 for ln in lines
                    if len(ln) > 1 and [w.text for w in ln[:2]] == [marker, first_word])

    assert marker_x("а)", "цифрлық") > marker_x("1)", "саладағы") + 20


def test_contents_entries_are_never_split_across_pages(book2024_trims: Path) -> None:
    """An entry's authors line and its title start on the same page (a press rule)."""
    manifest = _manifest(book2024_trims)
    first, last = next(p for p in manifest["parts"] if p["kind"] == "contents")["pdf_pages"]
    pdf = book2024_trims / "proceedings.pdf"
    pages = {page: " ".join(pdfread.text(pdf, page).split()) for page in range(first, last + 1)}
    checked = 0
    for paper in manifest["papers"]:
        if not (paper["authors"] and paper["title"]):
            continue
        surname = paper["authors"][0].split()[0]
        title = " ".join(paper["title"].split()[:3])
        on = [page for page, text in pages.items() if surname in text and title in text]
        assert on, (paper["id"], surname, title)
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("book", ["book2024", "book2024_a5", "minibook_build"])
def test_contents_dot_leaders_follow_a_word_and_have_a_few_dots(
    book: str, request: pytest.FixtureRequest
) -> None:
    """No line of dots alone, and never a leader of one or two dots after a full line."""
    out: Path = request.getfixturevalue(book)
    first, last = next(p for p in _manifest(out)["parts"] if p["kind"] == "contents")["pdf_pages"]
    pdf = out / "proceedings.pdf"
    entries = 0
    for page in range(first, last + 1):
        for line in pdfread.lines(pdf, page):
            texts = [w.text for w in line]
            if not texts[-1].isdigit() or len(texts) < 2 or not texts[-2].startswith("."):
                continue
            entries += 1
            assert not texts[0].startswith("."), (page, texts)  # a word before the dots
            assert texts[-2].count(".") >= 3, (page, texts)
    assert entries >= 5


@pytest.mark.parametrize("book", ["book2024", "book2024_a5", "minibook_build"])
def test_title_page_dates_and_bookmark(book: str, request: pytest.FixtureRequest) -> None:
    """The title page writes the date as each language writes it in running text (as the
    programme does: «20 сентября 2024 г.», not 20.09.2024), and is the first bookmark."""
    import pikepdf

    out: Path = request.getfixturevalue(book)
    sources, _ = load_sources(REPO / "sources" if book.startswith("book2024") else MINIBOOK)
    assert sources is not None
    date = sources.book.date
    title = " ".join(pdfread.text(out / "proceedings.pdf", 1).split())
    for lang in sources.book.languages:
        written = " ".join(sources.locales[lang].date(date).split())
        assert written in title
    assert date.strftime("%d.%m.%Y") not in title
    with pikepdf.open(out / "proceedings.pdf") as pdf, pdf.open_outline() as outline:
        first = outline.root[0]
        assert first.title == sources.book.title[sources.book.languages[0]]
        assert pdf.pages.index(pikepdf.Page(first.destination[0])) == 0
