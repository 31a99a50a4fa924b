"""A book in a language the tool does not ship (Kyrgyz, tests/fixtures/kyrgyz): built from
its own locale file (locales/ky.yaml) and, as pyphen has no Kyrgyz patterns, its own
hyphenation dictionary (locales/hyph_ky.dic). Nothing in the code or the shipped styles
names the language: every Kyrgyz word and convention in the book comes from those files."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from pathlib import Path

import pyphen

from proceedings.load import load_sources
from proceedings.locales import SHIPPED

from . import pdfread
from .conftest import KYRGYZ, REPO


def _locale():  # type: ignore[no-untyped-def]
    sources, diags = load_sources(KYRGYZ)
    assert sources is not None, [str(d) for d in diags]
    return sources, sources.locales["ky"]


def _text(out: Path, first: int, last: int) -> str:
    return "\n".join(pdfread.text(out / "proceedings.pdf", n) for n in range(first, last + 1))


def test_no_code_or_shipped_style_names_the_language() -> None:
    assert not (SHIPPED / "ky.yaml").exists()
    # pyphen has no Kyrgyz patterns of its own: the book brings them.
    assert not list((Path(pyphen.__file__).parent / "dictionaries").glob("hyph_ky*"))
    pattern = re.compile(r"kyrgyz|кыргыз|\bky\b|hyph_ky", re.IGNORECASE)
    for folder in ("proceedings", "styles"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".yaml", ".j2", ".css", ".txt", ".dic"}:
                assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_the_locale_is_the_books_own(kyrgyz_build: Path) -> None:
    _sources, ky = _locale()
    assert ky.path.endswith("kyrgyz/locales/ky.yaml")
    assert ky.hyphenation == "hyph_ky.dic"
    assert Path(ky.folder) == (KYRGYZ / "locales").resolve()


def test_labels_dates_and_quotes_come_from_the_locale_file(kyrgyz_build: Path) -> None:
    sources, ky = _locale()
    manifest = json.loads((kyrgyz_build / "manifest.json").read_text(encoding="utf-8"))
    book = sources.book
    front = " ".join(_text(kyrgyz_build, 1, 3).split())
    # The title in the language's quotes, the date as the locale writes it (2025-ж. 3-октябрь).
    assert f"{ky.quotes[0]}{book.title['ky']}{ky.quotes[1]}" in front
    assert ky.date(book.date) == "2025-ж. 3-октябрь"
    assert ky.date(book.date) in front
    # Two editors: the plural form of the label.
    assert f"{ky.label('editors', 2)}: Б.Ж. Асанов, А.М. Токонова" in front
    assert ky.label("contents") in front
    # The catalogue line in the locale's words for the kind of publication.
    assert ky.publication.kinds.proceedings.catalogue in front
    programme = next(p for p in manifest["parts"] if p["kind"] == "programme")
    text = " ".join(_text(kyrgyz_build, *programme["pdf_pages"]).split())
    assert "2025-ж. 3-октябрь, саат 10:00" in text  # dates.date_time
    assert "10:00–10:10" in text  # dates.time_range
    assert "АСАНОВ Бакыт Жумабекович" in text  # names: surname first, in capitals
    # The affiliation in the language's word order (institution, department, position).
    assert "Бишкек мамлекеттик университетинин кыргыз тили кафедрасынын профессору" in text
    index = " ".join(_text(kyrgyz_build, manifest["pages"], manifest["pages"]).split())
    assert index.startswith(ky.label("author_index"))


def test_words_are_divided_by_the_books_own_patterns(kyrgyz_build: Path) -> None:
    _sources, ky = _locale()
    patterns = pyphen.Pyphen(filename=str(Path(ky.folder) / "hyph_ky.dic"), left=2, right=2)
    manifest = json.loads((kyrgyz_build / "manifest.json").read_text(encoding="utf-8"))
    divided = []
    for paper in manifest["papers"]:
        first, last = paper["pdf_pages"]
        pdf = kyrgyz_build / "proceedings.pdf"
        rows = [line for n in range(first, last + 1) for line in pdfread.lines(pdf, n)]
        for line, following in itertools.pairwise(rows):
            end = line[-1].text
            if not end.endswith(("\u2010", "-", "\u00ad")) or len(end) < 3:
                continue
            head = end[:-1]
            word = re.sub(r"\W+$", "", head + following[0].text)
            divided.append((word, len(head)))
    assert len(divided) >= 3, divided
    for word, at in divided:
        assert at in patterns.positions(word.lower()), (word, at, patterns.inserted(word.lower()))


def test_fix_uses_the_quotes_of_the_books_own_locale(tmp_path: Path) -> None:
    from proceedings.fix import plan

    root = tmp_path / "sources"
    shutil.copytree(KYRGYZ, root)
    paper = root / "papers" / "til-resurstary" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    paper.write_text(text.replace("«тилдик корпус»", '"тилдик корпус"'), encoding="utf-8")
    fixes, diags = plan(root, ["quotes"])
    assert [d.code for d in diags if d.path.endswith("til-resurstary/paper.md")] == ["quotes"]
    (fixed,) = fixes
    assert fixed.after == text  # the straight quotes become the locale's «»


def test_the_typesetter_reads_the_books_own_locale() -> None:
    """Straight quotes and a spaced hyphen in a Kyrgyz paper are set as the book's ky.yaml
    says, though no shipped locale knows the language."""
    from proceedings.model import Typography
    from proceedings.render import typesetter, typesetting

    sources, _diags = load_sources(KYRGYZ)
    assert sources is not None
    typed = 'Бул "жаңы" ыкма - эң ылайыктуу.'
    assert typesetter("ky", Typography(), typesetting(sources, "ky"))(typed) == (
        "Бул «жаңы» ыкма\u00a0— эң ылайыктуу.")
    # The shipped locales alone do not know its quotes.
    assert '"жаңы"' in typesetter("ky", Typography())(typed)
