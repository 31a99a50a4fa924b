"""The English A5 workshop (tests/fixtures/workshop), built and read back: a book in
English conventions throughout, with none of the Russian or Kazakh ones."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from . import pdfread


def _pages(out: Path) -> list[str]:
    pdf = out / "proceedings.pdf"
    return [pdfread.text(pdf, n) for n in range(1, pdfread.page_count(pdf) + 1)]


def test_the_workshop_builds_on_a5_with_its_parts(workshop_build: Path) -> None:
    pdf = workshop_build / "proceedings.pdf"
    width, height = pdfread.page_size(pdf, 1)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (148, 210)
    manifest = json.loads((workshop_build / "manifest.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in manifest["papers"]] == ["discourse-markers", "speech-rate", "line-length",
                                                      "open-questions"]
    kinds = [part["kind"] for part in manifest["parts"]]
    assert "resolution" not in kinds
    assert {"programme", "participants"} <= set(kinds)


def test_the_workshop_speaks_english(workshop_build: Path) -> None:
    text = "\n".join(_pages(workshop_build))
    for label in ("Contents", "Workshop programme", "List of participants", "References", "Author index",
                  "Table 1", "Coffee break"):
        assert label in text


def test_the_table_ends_with_its_mean_row_in_english_figures(workshop_build: Path) -> None:
    text = " ".join("\n".join(_pages(workshop_build)).split())
    assert "Advanced 305 38 311 38 Mean 258.5 39 254.5 39" in text


def test_no_russian_or_kazakh_convention_anywhere(workshop_build: Path) -> None:
    """English quotes, names, dates, times, labels and imprint on every page: none of the
    conventions of the Russian and Kazakh locales."""
    pages = _pages(workshop_build)
    text = "\n".join(pages)
    assert not re.search(r"[«»„]", text)
    assert not re.search(r"[\u0400-\u04ff]", text)  # no Cyrillic letter at all
    assert not re.search(r"\d\s?(г|ж)\.", text)  # «2025 г.», «2025 ж.»
    assert not re.search(r"\b\d{1,2}\.\d{2}\b", text)  # 10.00-style times
    assert not re.search(r"\b\d{2}\.\d{2}\.\d{4}\b", text)  # 12.06.2025-style dates
    for surname in ("OKAFOR", "TANAKA", "ROSSI", "RAMAN", "NILSSON", "HADDAD"):
        assert surname not in text
    assert "усл. печ. л." not in text.lower()
    assert "×" not in text  # no sheet format (60×84/16)
    # The title in English quotes, the date as English writes it, the plural of a label.
    assert "“Language Technology for Small Archives”" in pages[0]
    assert "12 June 2025" in pages[0]
    imprint = " ".join(pages[1].split())
    assert "Editor: H. Okafor" in imprint  # one editor: the singular
    assert ("Language Technology for Small Archives : proceedings of the workshop (Tromsø, 12 June 2025) "
            "/ edited by H. Okafor." in imprint)
    programme = " ".join(pages[3].split())
    assert "12 June 2025, 09:30" in programme
    assert "09:30–09:40 Helen Okafor" in programme
    assert "Priya Raman" in programme
    assert "Lars Nilsson" in programme
    participants = " ".join(pages[4].split())
    assert "Helen Okafor Reader in Linguistics" in participants
    # A paper's byline and title as written, the index surname first with a comma.
    first_paper = " ".join(pages[5].split())
    assert first_paper.startswith("Aiko Tanaka")
    assert "Annotating discourse markers in learner English" in first_paper
    index = " ".join(pages[-1].split())
    assert index.startswith("Author index")
    entries = ["Haddad, Fatima 9", "Nilsson, Lars 8", "Raman, Priya 8", "Rossi, Marco 7", "Tanaka, Aiko 6"]
    assert all(entry in index for entry in entries), index


def test_the_final_imprint_has_the_fields_english_prints(tmp_path: Path) -> None:
    """The final imprint page of the print PDF, rendered: English prints no sheet format
    and no conventional printed sheets, and writes its dates as English does; the
    Russian one of the minibook has both, and its date in figures."""
    from proceedings.load import load_sources
    from proceedings.printing import _tail_html

    from .conftest import MINIBOOK, PRINT_BLOCK, REPO, WORKSHOP

    sources, _ = load_sources(WORKSHOP)
    assert sources is not None
    html = " ".join(_tail_html(sources, REPO / "styles", blanks=0, total=12, first_verso=False).split())
    assert "Passed for printing 1 June 2025. Paper offset." in html
    assert "Print run 60 copies. Order No. W-12." in html
    assert "Printed by: Harbour Press" in html
    assert "Format" not in html
    assert "sheets" not in html
    book = tmp_path / "minibook"
    shutil.copytree(MINIBOOK, book)
    with (book / "book.yaml").open("a", encoding="utf-8") as stream:
        stream.write(PRINT_BLOCK)
    sources, _ = load_sources(book)
    assert sources is not None
    html = " ".join(_tail_html(sources, REPO / "styles", blanks=0, total=12, first_verso=False).split())
    assert "Подписано в печать 10.04.2025. Формат 60×84/8. Бумага офсетная." in html
    assert "Усл. печ. л. 1,40." in html


def test_a_table_is_numbered_at_the_start_of_its_caption(workshop_build: Path) -> None:
    """English puts «Table 1.» before the caption on one line; Russian and Kazakh (ГОСТ 2.105)
    put «Таблица 1» alone at the right above it."""
    pdf = workshop_build / "proceedings.pdf"
    page = next(n for n in range(1, pdfread.page_count(pdf) + 1) if "Table 1." in pdfread.text(pdf, n))
    words = pdfread.words(pdf, page)
    label = next(w for w in words if w.text == "Table")
    caption = next(w for w in words if w.text == "Markers" and abs(w.top - label.top) < 1)
    assert caption.x0 > label.x0
    body = next(w for w in words if w.text == "Discourse")
    assert label.x0 < body.x0  # flush left with the text block, not set to the right


def test_a_reference_does_not_start_with_a_word_alone_on_its_line(workshop_build: Path) -> None:
    """A reference has no indent for its last line to answer: «Marks.» may end it, rather
    than «Bringhurst,» standing alone above the rest."""
    lines = [line for page in _pages(workshop_build) for line in page.splitlines()]
    first = next(line for line in lines if "Bringhurst" in line)
    assert "(2004)" in first
