"""Language conventions as data: the locale files, their loader and its diagnostics."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from proceedings.cli import main
from proceedings.load import load_sources
from proceedings.locales import REFERENCE, SHIPPED, LocaleError, shipped
from proceedings.render import load_labels

from .conftest import MINIBOOK, REPO


def _book(tmp_path: Path, files: dict[str, str]) -> Path:
    """The minibook with ``files`` (name → text) in its ``locales/`` folder."""
    root = tmp_path / "sources"
    shutil.copytree(MINIBOOK, root)
    (root / "locales").mkdir()
    for name, text in files.items():
        (root / "locales" / name).write_text(text, encoding="utf-8")
    return root


def _errors(root: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(root.parent)
    _sources, diags = load_sources(Path("sources"))
    return [str(d) for d in diags]


def test_every_shipped_locale_gives_every_label_of_the_reference() -> None:
    locales = shipped()
    assert set(locales) >= {"kk", "ru", "en"}
    for lang, locale in locales.items():
        assert set(locale.labels) == set(locales[REFERENCE].labels), lang
        assert locale.path.endswith(f"styles/locales/{lang}.yaml")
        assert len(locale.quotes) == 4


def test_the_checker_reads_its_language_data_from_the_locales() -> None:
    from proceedings.check import spelling

    data = spelling.languages()
    assert data["ru"]["quotes"] == ["«", "»", "„", "“"]
    assert data["en"]["quotes"] == ["“", "”", "‘", "’"]
    assert data["kk"]["name"] == "Kazakh"
    assert "т.е" in data["ru"]["abbreviations"]
    assert data["ru"]["dictionary"] == "ru_RU"


def test_a_book_locale_changes_only_what_it_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _book(tmp_path, {"ru.yaml": "labels:\n  contents: Оглавление\n"})
    assert _errors(root, monkeypatch) == []
    sources, _ = load_sources(Path("sources"))
    assert sources is not None
    labels = load_labels(REPO / "styles", sources)
    assert labels["ru"]["contents"] == "Оглавление"
    assert labels["ru"]["references"] == "Литература"  # the shipped file's
    assert sources.locales["ru"].checker.dictionary == "ru_RU"
    assert sources.locales["ru"].path == "sources/locales/ru.yaml"


def test_a_locale_of_a_language_not_shipped_must_give_every_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _book(tmp_path, {"xx.yaml": 'name: Test\nquotes: ["<", ">", "(", ")"]\nlabels:\n  contents: C\n'})
    *missing, labels = _errors(root, monkeypatch)
    assert labels.startswith("sources/locales/xx.yaml:3: error: labels: missing ")
    assert "author_index" in labels
    assert labels.endswith("(every locale gives each label of the reference locale, en.yaml) [locale]")
    assert missing == [f"sources/locales/xx.yaml:1: error: missing key '{key}' [locale]"
                       for key in sorted(("names", "dates", "numbers", "publication", "imprint",
                                          "paper_title", "collation"))]


def test_broken_locale_files_are_reported_together_at_their_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _book(tmp_path, {
        "ru.yaml": "quotes: [«, »]\nlabels:\n  contents: [a list]\n",
        "kk.yaml": "name: Kazakh\nlabel:\n  contents: x\n",
        "en.yaml": "labels:\n  contents: Contents\n  - broken\n",
        "German.yaml": "name: German\n",
        "zz.yaml": "labels: {}\n",
    })
    errors = _errors(root, monkeypatch)
    # The YAML parser's own words are the loader's business: here, only where and what kind.
    syntax = errors.pop(1)
    assert syntax.startswith("sources/locales/en.yaml:3: error: ")
    assert syntax.endswith(" [yaml]")
    assert errors == [
        "sources/locales/German.yaml: error: a locale file is named by its language's code (de.yaml), "
        "not 'German.yaml' [locale]",
        "sources/locales/kk.yaml:2: error: unknown key 'label' (docs/locales.md lists the keys) [locale]",
        "sources/locales/ru.yaml:1: error: quotes: List should have at least 4 items after validation, "
        "not 2 (got ['«', '»']) [locale]",
        "sources/locales/ru.yaml:3: error: labels.contents: a label is a text, or {one: …, other: …} for one "
        "that depends on a count (got ['a list']) [locale]",
        "sources/locales/zz.yaml:1: error: labels: missing " + ", ".join(sorted(shipped()["en"].labels))
        + " (every locale gives each label of the reference locale, en.yaml) [locale]",
        *(f"sources/locales/zz.yaml:1: error: missing key '{key}' [locale]"
          for key in sorted(("name", "quotes", "names", "dates", "numbers", "publication", "imprint",
                             "paper_title", "collation"))),
    ]


def test_a_broken_locale_stops_check_and_build_with_its_diagnostic(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _book(tmp_path, {"ru.yaml": "quotes: «»\n"})
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources"]) == 1
    err = capsys.readouterr().err
    assert "sources/locales/ru.yaml:1: error: quotes: Input should be a valid list (got '«»') [locale]" in err
    assert main(["build", "sources", "--out", "out"]) == 1
    assert not (tmp_path / "out" / "proceedings.pdf").exists()


def test_a_broken_shipped_locale_is_a_diagnostic_not_a_traceback(tmp_path: Path) -> None:
    folder = tmp_path / "locales"
    shutil.copytree(SHIPPED, folder)
    text = (folder / "ru.yaml").read_text(encoding="utf-8")
    (folder / "ru.yaml").write_text(text.replace("  contents: Содержание\n", ""), encoding="utf-8")
    with pytest.raises(LocaleError) as caught:
        shipped(folder)
    (problem,) = caught.value.diagnostics
    assert str(problem).endswith("locales/ru.yaml:6: error: labels: missing contents (every locale gives "
                                 "each label of the reference locale, en.yaml) [locale]")


def test_the_checker_writes_numbers_with_the_papers_decimal_separator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from proceedings.build import check

    root = _book(tmp_path, {})
    paper = root / "papers" / "en-table"
    paper.mkdir()
    (paper / "paper.md").write_text(
        "---\nlang: en\nauthors:\n  - person: smith\ntitle: Shares\ntables:\n  - id: t1\n"
        "    caption: Shares\n    rows:\n      - [A, \"1.25\", \"2.5\", \"3.5\"]\n    totals: {column: 3}\n"
        "---\nThe shares are in the table.\n\n::table t1\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _sources, diags = check(Path("sources"))
    (found,) = [str(d) for d in diags if d.code == "table-totals"]
    assert "is '3.5' but the other cells of that row add up to 3.75: correct the figures" in found


def test_a_language_without_a_locale_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _book(tmp_path, {})
    book = (root / "book.yaml").read_text(encoding="utf-8")
    (root / "book.yaml").write_text(book.replace("languages: [kk, ru]", "languages: [kk, ru, de]"),
                                    encoding="utf-8")
    paper = root / "papers" / "en-aviation" / "paper.md"
    paper.write_text(paper.read_text(encoding="utf-8").replace("lang: en", "lang: fr"), encoding="utf-8")
    assert [e for e in _errors(root, monkeypatch) if "[locale]" in e] == [
        "sources/book.yaml:1: error: no locale says how to write 'de': add its locale file, locales/de.yaml "
        "beside book.yaml (docs/locales.md) [locale]",
        "sources/papers/en-aviation/paper.md:2: warning: no locale says how to write 'fr', the paper's "
        "language: add its locale file, locales/fr.yaml beside book.yaml (docs/locales.md) [locale]",
    ]


def test_the_months_abbreviated_follow_iso_832_in_every_shipped_locale() -> None:
    """The catalogue line's months (``months_short``) are abbreviated by ISO 832's general
    rules, which ГОСТ Р 7.0.12 applies to Russian, and which the Kazakh forms follow as
    no Kazakh list is shipped: the word's beginning and a full stop, at least two letters
    dropped (a word that would lose fewer is written whole, with no stop), and no two
    months alike."""
    checked = 0
    for lang, locale in shipped().items():
        short = locale.dates.months_short
        if short is None:
            continue
        for month, form in zip(locale.dates.months, short, strict=True):
            if form == month:
                continue
            assert form.endswith("."), (lang, form)
            assert month.startswith(form[:-1]), (lang, month, form)
            assert len(month) - len(form[:-1]) >= 2, (lang, month, form)
        assert len(set(short)) == 12, lang
        checked += 1
    assert checked >= 3
