"""Bylines and a paper's front matter, read back from the built books.

The minibook's ru-fraud paper has a УДК, an author with two affiliations who is the
corresponding author (e-mail and ORCID), and abstracts and keywords in three languages;
the English style (numbered affiliations) is tried on a copy of the minibook whose
English paper has three authors, one with two affiliations.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import pdfread
from .conftest import MINIBOOK


def _pages(out: Path) -> dict[str, list[int]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return {p["id"]: p["pdf_pages"] for p in manifest["papers"]}


def _lines(pdf: Path, page: int) -> list[str]:
    return [" ".join(line.replace("\u00a0", " ").split()) for line in pdfread.text(pdf, page).splitlines()]


def _in_order(lines: list[str], expected: list[str]) -> None:
    """Each expected text starts a line, in this order."""
    at = 0
    for text in expected:
        found = next((i for i in range(at, len(lines)) if lines[i].startswith(text)), None)
        assert found is not None, f"{text!r} not found after line {at}: {lines}"
        at = found + 1


def test_udc_byline_and_abstracts_in_three_languages(minibook_build: Path) -> None:
    pdf = minibook_build / "proceedings.pdf"
    page = _pages(minibook_build)["ru-fraud"][0]
    lines = _lines(pdf, page)
    assert lines[0] == "УДК 343.72"
    _in_order(lines, [
        "ПЕТРОВ Иван Сергеевич*",
        "доцент кафедры криминологии Московского юридического института, к.ю.н.",
        "ведущий научный сотрудник Института государства и права",
        "E-mail: i.petrov@example.ru",
        "ORCID: 0000-0002-1825-0097",
        "*Автор для корреспонденции",
        "КРИМИНОЛОГИЧЕСКАЯ ХАРАКТЕРИСТИКА",
        "Аннотация. В статье рассматриваются признаки",
        "Ключевые слова: интернет-мошенничество, профилактика, кибербезопасность",
        "Аңдатпа. Мақалада интернет-алаяқтықтың",
        "Түйін сөздер: интернет-алаяқтық, алдын алу",
        "Abstract. The paper considers the features of online fraud",
        "Keywords: online fraud, prevention",
        "Интернет-мошенничество остаётся",
    ])
    # The УДК stands at the left margin, above the byline, which is set flush right.
    words = pdfread.words(pdf, page)
    udc = next(w for w in words if w.text == "УДК")
    name = next(w for w in words if w.text == "ПЕТРОВ")
    assert udc.bottom < name.top
    assert udc.x0 < name.x0 - 100


def test_bare_keywords_are_labelled_in_the_papers_language(minibook_build: Path) -> None:
    pdf = minibook_build / "proceedings.pdf"
    lines = _lines(pdf, _pages(minibook_build)["kk-digital"][0])
    assert "Түйін сөздер: цифрлық дәлелдеме, қылмыстық процесс" in lines


def test_the_2024_books_abstracts_stay_unlabelled(book2024: Path) -> None:
    pdf = book2024 / "proceedings.pdf"
    first, _last = _pages(book2024)["p03"]
    text = " ".join(_lines(pdf, first))
    assert "Статья посвящена анализу признания лица потерпевшим" in text
    assert "Аннотация" not in text


def _grey_share(pdf: Path, page: int, word: pdfread.Word) -> float:
    """The share of the word's box, between its letters, that is mid grey."""
    dpi = 144
    image = pdfread.render(pdf, page, dpi, grey=True)
    scale = dpi / 72
    box = (int(word.x0 * scale), int(word.top * scale), int(word.x1 * scale), int(word.bottom * scale))
    pixels = image.crop(box).tobytes()
    return sum(150 <= p <= 230 for p in pixels) / len(pixels)


def test_a_dangling_citation_is_shaded_and_a_resolved_one_is_not(book2024: Path) -> None:
    pdf = book2024 / "proceedings.pdf"
    pages = _pages(book2024)
    # p06 cites [1, с. 26] but has no reference list; p01 cites its own [1].
    dangling_page = pages["p06"][0]
    dangling = next(w for w in pdfread.words(pdf, dangling_page) if w.text == "[1,")
    resolved_page = next(p for p in range(pages["p01"][0], pages["p01"][1] + 1)
                         if any(w.text.startswith("[1]") for w in pdfread.words(pdf, p)))
    resolved = next(w for w in pdfread.words(pdf, resolved_page) if w.text.startswith("[1]"))
    assert _grey_share(pdf, dangling_page, dangling) > 0.5
    assert _grey_share(pdf, resolved_page, resolved) < 0.05


PEOPLE = """
- id: okafor
  names:
    en:
      surname: Okafor
      given: Helen
      position: Reader in Linguistics
      department: Department of English
      institution: University of Leeds
      degree: PhD
      affiliations:
        - institution: Almaty Aviation Institute
  email: h.okafor@example.ac.uk
  orcid: 0000-0002-1825-0097
- id: lee
  names:
    en:
      surname: Lee
      given: Min
      department: Department of English
      institution: University of Leeds
"""


def _english_copy(root: Path, byline: str = "") -> Path:
    sources = root / "sources"
    shutil.copytree(MINIBOOK, sources)
    with (sources / "people.yaml").open("a", encoding="utf-8") as people:
        people.write(PEOPLE)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    paper.write_text(paper.read_text(encoding="utf-8").replace(
        "  - person: smith\n",
        "  - person: smith\n  - person: okafor\n    corresponding: true\n  - person: lee\n", 1),
        encoding="utf-8")
    if byline:
        with (sources / "book.yaml").open("a", encoding="utf-8") as book:
            book.write(byline)
    return sources


def _build(sources: Path) -> tuple[Path, int]:
    from proceedings.build import BuildOptions, build

    out = sources.parent / "out"
    build(BuildOptions(sources=sources, out=out))
    return out / "proceedings.pdf", _pages(out)["en-aviation"][0]


def test_english_bylines_number_the_affiliations(tmp_path: Path) -> None:
    pdf, page = _build(_english_copy(tmp_path))
    lines = _lines(pdf, page)
    _in_order(lines, [
        "John Smith1, Helen Okafor1,2*, Min Lee2",
        "1Almaty Aviation Institute",
        "2Department of English, University of Leeds",
        "*Corresponding author: h.okafor@example.ac.uk, ORCID 0000-0002-1825-0097",
        "Violation of flight safety rules",
    ])
    # The numbers are raised and smaller than the names they follow.
    words = pdfread.words(pdf, page)
    smith = next(w for w in words if w.text.startswith("Smith"))
    one = next(w for w in words if w.text.startswith("1Almaty"))
    assert one.size < smith.size
    # Centred: the names' line is as far from either margin.
    names = next(line for line in pdfread.lines(pdf, page) if line[0].text == "John")
    width, _height = pdfread.page_size(pdf, page)
    left, right = names[0].x0, width - names[-1].x1
    assert abs(left - right) < 40  # the margins are mirrored: inner 25 mm, outer 20 mm


def test_english_bylines_stacked_join_the_affiliation_with_commas(tmp_path: Path) -> None:
    byline = "byline:\n  style: stacked\n  email: all\n  orcid: false\n"
    pdf, page = _build(_english_copy(tmp_path, byline))
    lines = _lines(pdf, page)
    _in_order(lines, [
        "John Smith",
        "Lecturer, Almaty Aviation Institute",
        "Helen Okafor*",
        "Reader in Linguistics, Department of English, University of Leeds, PhD",
        "Almaty Aviation Institute",
        "E-mail: h.okafor@example.ac.uk",
        "Min Lee",
        "Department of English, University of Leeds",
        "*Corresponding author",
    ])
    assert not any(line.startswith("ORCID") for line in lines)



def test_the_workshops_three_authors_share_numbered_affiliations(workshop_build: Path) -> None:
    """The English workshop's three-author paper: Helen Okafor has two affiliations and is
    the corresponding author; every place is listed once, under its number."""
    pdf = workshop_build / "proceedings.pdf"
    page = _pages(workshop_build)["line-length"][0]
    lines = _lines(pdf, page)
    assert lines[:7] == [
        "Priya Raman1, Lars Nilsson2, Helen Okafor3,4*",
        "1University of Edinburgh",
        "2National Library of Norway",
        "3Department of English, University of Leeds",
        "4School of Informatics, University of Edinburgh",
        "*Corresponding author: h.okafor@example.ac.uk",
        "Line length and reading time on small pages",
    ]
    _in_order(lines, ["Abstract. Readers read a text set in three line lengths",
                      "Keywords: typography, reading time, line length", "A page of a small book"])
    words = pdfread.words(pdf, page)
    name = next(w for w in words if w.text == "Priya")
    for number in ("1University", "2National", "3Department", "4School"):
        assert next(w for w in words if w.text == number).size < name.size, number
    # A paper with one place prints it without a number, under the name.
    first = _lines(pdf, _pages(workshop_build)["discourse-markers"][0])
    assert first[:2] == ["Aiko Tanaka", "Kyoto Institute of Technology"]
