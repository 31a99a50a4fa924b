"""Spelling: the dictionaries, the book's own word list, and a book without dictionaries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from proceedings.check import spelling
from proceedings.cli import main

from .conftest import FIXTURES, make_case


def test_kazakh_endings_follow_the_voicing_of_the_stem() -> None:
    assert "жалғас" in spelling.stems("жалғасады", "kk")
    assert "жалғас" not in spelling.stems("жалғасаты", "kk")  # т after a vowel
    assert "сайт" in spelling.stems("сайттарда", "kk")


def test_glued_words_and_known_forms() -> None:
    dictionaries = spelling.Dictionaries(["kk", "ru", "en"])
    assert spelling.glued("позащите", "ru", dictionaries) == "по защите"
    assert spelling.glued("identitytheft", "en", dictionaries) == "identity theft"
    assert spelling.glued("позащите", "kk", dictionaries) is None  # Kazakh forms are not split
    assert dictionaries.known("ru", "сервисов")  # a form the hunspell dictionary lacks
    assert dictionaries.known("kk", "судьяның")  # a listed word with its ending
    assert not dictionaries.known("ru", "вяляется")


def test_accept_adds_the_word_to_the_word_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(FIXTURES / "broken" / "spelling", tmp_path)
    monkeypatch.chdir(tmp_path)
    main(["check", "sources", "--accept", "вяляется", "--accept", "safty"])
    err = capsys.readouterr().err
    added, rest = err.split("\n", 1)
    assert added == "proceedings: added 'вяляется', 'safty' to sources/words.txt, the book's word list"
    assert "'вяляется'" not in rest
    assert "'safty'" not in rest
    assert "'позащите'" in rest
    assert (sources / "words.txt").read_text(encoding="utf-8") == "вяляется\nsafty\n"
    main(["check", "sources", "--accept", "Вяляется"])
    assert capsys.readouterr().err.startswith("proceedings: sources/words.txt already lists 'Вяляется'\n")
    assert (sources / "words.txt").read_text(encoding="utf-8") == "вяляется\nsafty\n"


def test_without_dictionaries_the_check_says_so_once_and_the_rest_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data: dict[str, dict[str, Any]] = {
        lang: {**spec, "dictionary": "zz_ZZ"}
        for lang, spec in spelling.languages().items()
    }
    monkeypatch.setattr(spelling, "languages", lambda: data)
    monkeypatch.setattr(spelling, "dictionaries_for", spelling.Dictionaries)
    make_case(FIXTURES / "broken" / "mixed-script", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources", "--strict"]) == 1
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.endswith("[spelling-unchecked]")]
    assert notes == [
        "sources/book.yaml: note: spelling in Kazakh, Russian, English is not checked: the hunspell "
        "dictionaries are not installed; to install them: sudo apt-get install hunspell-kk hunspell-ru "
        "hunspell-en-us (make does it when run as root) [spelling-unchecked]"
    ]
    assert "[mixed-script]" in err
