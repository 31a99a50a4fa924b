"""A programme of days and sessions, and a volume grouped in sections: the conference
test book, built once, read back from its PDF."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from . import pdfread


def _manifest(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return data


def _flat(text: str) -> str:
    return " ".join(text.split())


def _part_text(out: Path, kind: str, lang: str | None) -> str:
    part = next(p for p in _manifest(out)["parts"] if p["kind"] == kind and p["lang"] == lang)
    first, last = part["pdf_pages"]
    return "".join(pdfread.text(out / "proceedings.pdf", n) for n in range(first, last + 1))


def _column_text(out: Path, lang: str, header: str) -> str:
    """The programme's text in the column whose head starts with ``header`` (the topics)."""
    part = next(p for p in _manifest(out)["parts"] if p["kind"] == "programme" and p["lang"] == lang)
    pdf = out / "proceedings.pdf"
    found = ""
    for number in range(part["pdf_pages"][0], part["pdf_pages"][1] + 1):
        width, height = pdfread.page_size(pdf, number)
        heads = [w for w in pdfread.words(pdf, number) if w.text == header]
        if heads:
            found += pdfread.text(pdf, number, (heads[0].x0 - 1, 0, width, height))
    return found


def _session_text(programme: str, title: str, following: str | None) -> str:
    """The part of a programme's text from a session's title to the next one's."""
    start = programme.index(title)
    end = programme.index(following, start) if following else len(programme)
    return programme[start:end]


def test_programme_prints_days_sessions_rooms_and_chairs(conference_build: Path) -> None:
    kk = _part_text(conference_build, "programme", "kk")
    ru = _part_text(conference_build, "programme", "ru")
    # Each day under its date, as the language writes it, with the day's title.
    assert "2025 ж. 16 қазан\n" in kk
    assert "2025 ж. 17 қазан\nСекциялық отырыстар\n" in kk
    assert "16 октября 2025 г.\n" in ru
    assert "17 октября 2025 г.\nРабота секций\n" in ru
    assert ru.index("16 октября 2025 г.") < ru.index("17 октября 2025 г.")
    # The plenary has no title in the sources: the language's name for it, with its
    # time from its first slot to its last; then its room and its two chairs.
    plenary = _session_text(ru, "Пленарное заседание", "17 октября 2025 г.")
    assert plenary.startswith("Пленарное заседание (10.00–11.30)\nАудитория: Актовый зал\n"
                              "Председатели: Е.Б. Нурланов, Г.А. Садыкова\n")
    assert "Пленарлық отырыс (10.00–11.30)\nАудитория: Мәжіліс залы\n" \
           "Төрағалар: Е.Б. Нұрланов, Г.А. Садықова\n" in kk
    # Two parallel sections on the second day, each with its room and chair(s).
    first = _session_text(ru, "Секция 1. Криминология", "Секция 2.")
    assert first.startswith("Секция 1. Криминология (10.00–10.40)\nАудитория: 204\n"
                            "Председатель: Д.С. Абенова\n")
    second = _session_text(ru, "Секция 2. Цифровая криминалистика", None)
    assert second.startswith("Секция 2. Цифровая криминалистика (10.00–10.50)\nАудитория: 310\n"
                             "Председатели: Б.М. Токенов, С.В. Ким\n")
    # Each session's talks under it: the talks of one are not printed under another.
    assert "Предупреждение интернет-мошенничества" in first
    assert "Предупреждение интернет-мошенничества" not in second + plenary
    assert "Фиксация электронных доказательств" in second


def test_programme_prints_breaks_two_speakers_and_talks_not_in_the_volume(conference_build: Path) -> None:
    ru = _part_text(conference_build, "programme", "ru")
    kk = _part_text(conference_build, "programme", "kk")
    # A break has no speaker: its title stands in the row beside its time.
    assert "10.50–11.10 Кофе-брейк\n" in ru
    assert "10.20–10.30 Перерыв\n" in ru
    assert "10.20–10.30 Үзіліс\n" in kk
    # A talk of two speakers: both names in the speaker's column of one row.
    row = ru[ru.index("10.30–10.50 ВОЛКОВ"):ru.index("10.50–11.10")]
    assert "Этические границы цифрового" in row
    assert "ИВАНОВА" in row
    # The talk not in the volume says so, in each language, after its title; the others do not.
    topics = {lang: _flat(_column_text(conference_build, lang, header))
              for lang, header in (("ru", "Тема"), ("kk", "Баяндама"))}
    assert topics["ru"].count("(не включён в сборник)") == 1
    assert "Новые методы судебной экспертизы (не включён в сборник)" in topics["ru"]
    assert "Сот сараптамасының жаңа әдістері (жинаққа енгізілмеген)" in topics["kk"]
    # The chairs are participants, whether or not they speak.
    assert "НУРЛАНОВ" in _part_text(conference_build, "participants", "ru").upper()


SECTIONS = [
    ("Пленарлық отырыс / Пленарное заседание", ["plenary-data", "plenary-ethics"]),
    ("Секция 1. Криминология", ["crim-youth", "crim-fraud"]),
    ("Секция 2. Цифрлық криминалистика / Секция 2. Цифровая криминалистика",
     ["digital-evidence", "digital-forensics"]),
]


def test_papers_follow_the_sections_of_book_yaml(conference_build: Path) -> None:
    manifest = _manifest(conference_build)
    # book.yaml's order within each section, not the programme's (crim-fraud is
    # the first talk of section 1).
    assert [p["id"] for p in manifest["papers"]] == [paper for _title, ids in SECTIONS for paper in ids]


def test_contents_names_each_section_with_the_page_it_opens_on(conference_build: Path) -> None:
    out = conference_build
    manifest = _manifest(out)
    pdf = out / "proceedings.pdf"
    contents = _part_text(out, "contents", None)
    lines = contents.splitlines()
    papers = {p["id"]: p for p in manifest["papers"]}
    for title, ids in SECTIONS:
        # The section's line, its number set off by the leader's dots.
        line = next(line for line in lines if line.startswith(title + " ."))
        folio = re.fullmatch(re.escape(title) + r" \.+ (\d+)", line)
        assert folio, line
        first = papers[ids[0]]
        assert folio[1] == first["folios"][0]
        # The line comes right before the section's first paper's authors and title.
        at = lines.index(line)
        assert lines[at + 2].startswith(first["title"])
        # On that page, the section's heading opens the page, above the byline.
        page = pdfread.text(pdf, first["pdf_pages"][0]).splitlines()
        distinct = list(dict.fromkeys(title.split(" / ")))
        assert page[:len(distinct)] == distinct
        # The other papers of the section open without it.
        for other in ids[1:]:
            assert distinct[0] not in pdfread.text(pdf, papers[other]["pdf_pages"][0])


def test_section_headings_are_bookmarks_above_their_papers(conference_build: Path) -> None:
    from pypdf import PdfReader

    reader = PdfReader(conference_build / "proceedings.pdf")
    found: list[tuple[int, str]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title))

    walk(reader.outline, 0)
    sections = [(depth, title) for depth, title in found if title in {t for t, _ in SECTIONS}]
    assert [title for _depth, title in sections] == [title for title, _ids in SECTIONS]
    at = found.index(sections[0])
    # Under the part's bookmark, each section, and under it its papers.
    assert found[at + 1] == (sections[0][0] + 1, "Анализ данных правоохранительных органов")


def test_the_workshop_prints_its_two_sessions_chairs_and_coffee_break(workshop_build: Path) -> None:
    """The English workshop in the same form: its sessions' heads in English words and
    times, one chair and two, and the coffee break in the first session's table."""
    programme = _part_text(workshop_build, "programme", "en")
    first = _session_text(programme, "Session 1: Annotation and speech", "Session 2:")
    second = _session_text(programme, "Session 2: Reading and publishing", None)
    assert first.startswith("Session 1: Annotation and speech (09:30–11:00)\nRoom: Seminar Room B\n"
                            "Chair: H. Okafor\n")
    assert second.startswith("Session 2: Reading and publishing (11:00–12:30)\nRoom: Seminar Room B\n"
                             "Chairs: A. Tanaka, M. Rossi\n")
    assert "10:40–11:00 Coffee break\n" in first
    assert "12:00–12:30 General discussion\n" in second
    assert "Priya Raman" in second
    assert "Lars Nilsson" in second


def test_a_paper_prints_its_abstracts_and_keywords_in_three_languages(conference_build: Path) -> None:
    """ГОСТ Р 7.0.7: the paper's own language first, then the others as the paper gives them,
    each under its language's labels."""
    paper = next(p for p in _manifest(conference_build)["papers"] if p["id"] == "crim-fraud")
    text = _flat(pdfread.text(conference_build / "proceedings.pdf", paper["pdf_pages"][0]))
    expected = [
        "Аннотация. Рассматриваются способы предупреждения интернет-мошенничества",
        "Ключевые слова: мошенничество, интернет, профилактика",
        "Аңдатпа. Интернет-алаяқтықтың алдын алу тәсілдері",
        "Түйін сөздер: алаяқтық, интернет, алдын алу",
        "Abstract. The paper considers ways of preventing online fraud",
        "Keywords: fraud, internet, prevention",
    ]
    places = [text.find(line) for line in expected]
    assert -1 not in places, [line for line, place in zip(expected, places, strict=True) if place < 0]
    assert places == sorted(places)
    assert places[-1] < text.index("Интернет-мошенничество остаётся")
