"""The typesetter's rules applied in the layout: ranges, dashes, quotes, no-break spaces.

The rules are read back from the built PDF (the 2024 book, and the minibook with a paper
written for them), the sources are left as typed, and the checker still reports there
what the layout changed."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from proceedings.cli import main
from proceedings.load import load_sources
from proceedings.model import Typography
from proceedings.render import BookRenderer, typesetter

from . import pdfread
from .conftest import MINIBOOK, REPO

NBSP, WJ = "\u00a0", "\u2060"


@pytest.mark.parametrize(("lang", "typed", "set_as"), [
    # Ranges: both sides numbers, the second the larger; not an article's number or a Kazakh ending.
    ("ru", "в 1995-2000 гг., с. 12-15", f"в 1995–{WJ}2000{NBSP}гг., с.{NBSP}12–{WJ}15"),
    ("ru", "ст. 380-1 и 09.00-09.05", f"ст.{NBSP}380-1 и 09.00–{WJ}09.05"),
    ("kk", "26-бет, (211-бап), 2018-2021 жылдары", f"26-{WJ}бет, (211-{WJ}бап), 2018–{WJ}2021 жылдары"),
    ("ru", "тел. 8-701-555-12-12, ISBN 978-601-00", "тел. 8-701-555-12-12, ISBN 978-601-00"),
    # A spaced hyphen between words: the language's dash, a no-break space before it.
    ("ru", "Интернет - это сеть", f"Интернет{NBSP}— это сеть"),
    ("kk", "Заң – негіз", f"Заң{NBSP}— негіз"),
    ("en", "Law - a basis", f"Law{NBSP}– a basis"),
    ("ru", "5 - 3", "5 - 3"),
    # Straight quotes: the language's, the inner pair inside an open quote.
    ("ru", 'закон "о "связи" и праве"', "закон «о „связи“ и праве»"),
    ("kk", 'кодексіне "ақпараттандыру" деген', "кодексіне «ақпараттандыру» деген"),
    ("en", 'the "Chicago" text', "the “Chicago” text"),
    ("kk", '«процестерді" белгілеуге', "«процестерді» белгілеуге"),
    ("ru", 'лишняя" кавычка', 'лишняя" кавычка'),
    # No-break spaces: initials, numbers and units, abbreviations, «№», «§».
    ("ru", "А. Б. Сахаров и Сахаров А.Б.", f"А.{NBSP}Б.{NBSP}Сахаров и Сахаров{NBSP}А.Б."),
    ("ru", "5 %, 20 г., № 5, § 3, т. 2, ст. 211",
     f"5{NBSP}%, 20{NBSP}г., №{NBSP}5, §{NBSP}3, т.{NBSP}2, ст.{NBSP}211"),
    ("ru", "суды и т. д.", f"суды{NBSP}и{NBSP}т.{NBSP}д."),
    ("kk", "соттар т.б. 2024 ж.", f"соттар{NBSP}т.б. 2024{NBSP}ж."),
    ("en", "Smith et al. see p. 7", f"Smith{NBSP}et{NBSP}al. see p.{NBSP}7"),
    # A link written out is never changed.
    ("ru", "https://x.kz/a-b/1995-2000 - конец", f"https://x.kz/a-b/1995-2000{NBSP}— конец"),
])
def test_rules_by_language(lang: str, typed: str, set_as: str) -> None:
    assert typesetter(lang, Typography())(typed) == set_as


def test_each_rule_can_be_switched_off() -> None:
    text = 'А. Б. Сахаров - "закон" 1995-2000'
    assert typesetter("ru", Typography(ranges=False, dashes=False, quotes=False, spaces=False))(text) == text
    assert typesetter("ru", Typography(quotes=False))(text) == (
        f'А.{NBSP}Б.{NBSP}Сахаров{NBSP}— "закон" 1995–{WJ}2000')
    # Short words keep their line only when a book asks for it.
    assert typesetter("ru", Typography())("в суде") == "в суде"
    assert typesetter("ru", Typography(short_words=True))("в суде") == f"в{NBSP}суде"


def _paper_pages(out: Path, paper: str) -> range:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first, last = next(p["pdf_pages"] for p in manifest["papers"] if p["id"] == paper)
    return range(first, last + 1)


def _text(pdf: Path, pages: range) -> str:
    return " ".join(pdfread.text(pdf, page) for page in pages)


def test_the_2024_book_is_set_by_the_rules(book2024: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    pdf = book2024 / "proceedings.pdf"
    p17 = _text(pdf, _paper_pages(book2024, "p17"))
    assert "2018–2021" in p17
    assert "2018-2021" not in p17
    # «(211-бап)» is one word on one line of its table cell, not broken after its hyphen.
    words = [w.text for page in _paper_pages(book2024, "p17") for w in pdfread.words(pdf, page)]
    assert "(211-бап)" in words
    assert "(211-" not in words
    assert "1949–2004" in _text(pdf, _paper_pages(book2024, "p01"))
    # The Kazakh quotes where the author typed straight ones: the source keeps them, and
    # the checker still reports them there.
    p16 = _text(pdf, _paper_pages(book2024, "p16")).replace("\n", " ")
    assert "«ақпараттандыру және" in p16
    assert '"ақпараттандыру' not in p16
    source = (REPO / "sources" / "papers" / "p16" / "paper.md").read_text(encoding="utf-8")
    assert 'кодексіне "ақпараттандыру' in source
    main(["check", str(REPO / "sources"), "--out", str(tmp_path)])
    assert ("sources/papers/p16/paper.md:22: warning: straight quote \" in 'стық кодексіне \"ақпараттандыру"
            in capsys.readouterr().err)
    # The programme's times as a range.
    manifest = json.loads((book2024 / "manifest.json").read_text(encoding="utf-8"))
    programme = next(p["pdf_pages"] for p in manifest["parts"] if p["kind"] == "programme")
    assert "09.00–09.05" in pdfread.text(pdf, programme[0])


# A paper written for the rules: a no-break space after every short word, before every
# unit; the line breaker must keep them all.
_RU_BODY = " ".join(
    f"В суде {n} и в прокуратуре с {n} по {n + 5} % дел рассмотрены А. Б. Сахаровым "
    f"в {1990 + n}-{1995 + n} гг., "
    f"о чём сказано в ст. {200 + n} и т. д. - такова практика"
    for n in range(1, 40)
)


@pytest.fixture(scope="module")
def typeset_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from proceedings.build import BuildOptions, build

    root = tmp_path_factory.mktemp("typography")
    sources = root / "sources"
    shutil.copytree(MINIBOOK, sources)
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + "typography:\n  short_words: true\n", encoding="utf-8")
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    head, _, _ = paper.read_text(encoding="utf-8").partition("\n---\n")
    paper.write_text(f"{head}\n---\n{_RU_BODY}\n\n{_RU_BODY}\n", encoding="utf-8")
    build(BuildOptions(sources=sources, out=root / "out"))
    return root / "out"


def test_no_break_spaces_reach_the_line_breaker(typeset_book: Path) -> None:
    pdf = typeset_book / "proceedings.pdf"
    lines = [" ".join(w.text for w in line) for page in _paper_pages(typeset_book, "ru-fraud")
             for line in pdfread.lines(pdf, page)]
    body = [line for line in lines if "суде" in line or "гг." in line]
    assert len(body) > 20
    for line in body:
        last, first = line.split()[-1], line.split()[0]
        assert last.lower() not in {"в", "и", "с", "о"}, line
        assert not re.fullmatch(r"[А-Я]\.|ст\.|т\.", last), line
        assert first not in {"—", "%", "гг.", "д.", "Сахаровым"}, line
    text = " ".join(lines)
    assert "1991–1996 гг." in text
    assert "практика — такова" not in text
    assert "гг., о чём" in text
    assert " — такова практика" in text


def test_switched_off_the_text_is_as_typed(tmp_path: Path) -> None:
    sources_dir = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources_dir)
    book = sources_dir / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8")
                    + "typography: {ranges: false, dashes: false, quotes: false, spaces: false}\n",
                    encoding="utf-8")
    paper = sources_dir / "papers" / "ru-fraud" / "paper.md"
    head, _, _ = paper.read_text(encoding="utf-8").partition("\n---\n")
    paper.write_text(f'{head}\n---\nЗакон - "основа" 1995-2000.\n', encoding="utf-8")
    sources, diagnostics = load_sources(sources_dir)
    assert sources is not None, [str(d) for d in diagnostics]
    html = BookRenderer(sources, REPO / "styles", fonts=REPO / "fonts").render("paper:ru-fraud")
    assert "Закон - &#34;основа&#34; 1995-2000." in html or "Закон - &quot;основа&quot; 1995-2000." in html


def test_an_unknown_switch_is_reported(tmp_path: Path) -> None:
    sources_dir = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources_dir)
    book = sources_dir / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + "typography:\n  quote: false\n", encoding="utf-8")
    _, diagnostics = load_sources(sources_dir)
    found = [str(d) for d in diagnostics]
    assert any(d.startswith(f"{book.as_posix()}:") or "book.yaml:" in d for d in found), found
    assert any("quote" in d and "[unknown-field]" in d for d in found), found
