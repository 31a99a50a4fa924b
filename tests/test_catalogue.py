"""The imprint page's catalogue line (ГОСТ Р 7.0.100) and press details, read back from
the built books: each element the book has, in its language's words and punctuation,
the ones it lacks left out, and the book's real page count."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from proceedings.build import BuildOptions, build

from . import pdfread
from .conftest import MINIBOOK


def _imprint(out: Path) -> str:
    """The imprint page's text as one line: a line that ends in a hyphen goes on without a
    space (the page divides no word: hyphens are the text's own)."""
    text = pdfread.text(out / "proceedings.pdf", 2)
    return " ".join(re.sub(r"-\n", "-", text).split())


def _pages(out: Path) -> int:
    return pdfread.page_count(out / "proceedings.pdf")


def test_the_2024_book_has_no_editors_or_publisher_and_still_reads_right(book2024: Path) -> None:
    imprint, pages = _imprint(book2024), _pages(book2024)
    assert ("Қоғам мен мемлекетті ақпараттандыру және цифрландыру жағдайында қылмысқа қарсы іс-қимыл : "
            "халықаралық ғылыми-тәжірибелік конференциясының материалдары (Алматы, 2024 ж. 20 қыр.). "
            f"– Алматы, 2024. – {pages} б.") in imprint
    assert ("Противодействие преступности в условиях цифровизации и информатизации общества и "
            "государства : материалы междунар. науч.-практ. конф. (Алматы, 20 сент. 2024 г.). "
            f"– Алматы, 2024. – {pages} с.") in imprint
    assert " / " not in imprint  # no statement of responsibility without editors
    assert "Издатель" not in imprint
    assert "Тираж" not in imprint


def test_the_minibook_names_its_editor(minibook_build: Path) -> None:
    imprint, pages = _imprint(minibook_build), _pages(minibook_build)
    assert ("Цифрлық дәуірдегі құқық тәртібі : халықаралық ғылыми-тәжірибелік конференциясының материалдары "
            f"(Алматы, 2025 ж. 18 сәу.) / ред. Ә.Н. Ахметова. – Алматы, 2025. – {pages} б.") in imprint
    assert ("Правопорядок в цифровую эпоху : материалы междунар. науч.-практ. конф. "
            f"(Алматы, 18 апр. 2025 г.) / ред. А.Н. Ахметова. – Алматы, 2025. – {pages} с.") in imprint


def test_the_workshop_line_is_in_english_with_its_publisher_and_press(workshop_build: Path) -> None:
    imprint, pages = _imprint(workshop_build), _pages(workshop_build)
    assert ("Language Technology for Small Archives : proceedings of the workshop (Tromsø, 12 June 2025) "
            "/ edited by H. Okafor. — Tromsø : Northern Institute of Language Studies, 2025. "
            f"— {pages} p.") in imprint
    # book.yaml's publisher, print run and printing house; no sheet format (an English
    # imprint prints none, and the workshop gives none).
    assert ("Publisher: Northern Institute of Language Studies. Print run 60 copies. "
            "Printed by: Harbour Press.") in imprint


def test_compilers_a_sheet_format_and_a_publisher_in_russian_and_kazakh(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    book = sources / "book.yaml"
    text = book.read_text(encoding="utf-8")
    text = text.replace("editors: [akhmetova]", "editors: [akhmetova]\neditors_role: compiler")
    text = text.replace("imprint:\n", "imprint:\n  publisher: {kk: Заң баспасы, ru: Юридическое издательство}"
                        "\n  print_run: 100\n", 1)
    text += "print:\n  format: 60×84/16\n  printing_house: {kk: Баспахана «Дәуір», ru: Типография «Дәуір»}\n"
    book.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    build(BuildOptions(sources=sources, out=out))
    imprint, pages = _imprint(out), _pages(out)
    assert (f"(Алматы, 2025 ж. 18 сәу.) / құраст. Ә.Н. Ахметова. – Алматы : Заң баспасы, 2025. "
            f"– {pages} б.") in imprint
    assert (f"(Алматы, 18 апр. 2025 г.) / сост. А.Н. Ахметова. – Алматы : Юридическое издательство, 2025. "
            f"– {pages} с.") in imprint
    assert ("Издатель: Юридическое издательство. Формат 60×84/16. Тираж 100 экз. "
            "Типография: Типография «Дәуір».") in imprint
    assert "Баспа: Заң баспасы. Пішімі 60×84/16. Таралымы 100 дана. Баспахана: Баспахана «Дәуір»." in imprint


def _title_page(out: Path) -> str:
    return " ".join(pdfread.text(out / "proceedings.pdf", 1).split())


def test_a_book_that_names_its_kind_says_it_in_full_on_the_title_page(book2024: Path) -> None:
    """book.yaml's kind and no subtitle: ГОСТ Р 7.0.4's words under each title, in full
    where the catalogue line abbreviates them, in place of the event's type."""
    title = _title_page(book2024)
    assert "Халықаралық ғылыми-тәжірибелік конференциясының материалдары 2024 ж. 20 қыркүйек" in title
    assert "Материалы международной научно-практической конференции 20 сентября 2024 г." in title
    assert "международная научно-практическая конференция" not in title


def test_a_book_with_a_subtitle_keeps_its_type_and_subtitle(minibook_build: Path) -> None:
    title = _title_page(minibook_build)
    assert "международная научно-практическая конференция материалы" in title
    assert "Материалы международной" not in title
