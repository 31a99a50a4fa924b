"""Each broken fixture gives exactly its documented diagnostics and exit code 1.

A fixture whose findings are only notes (which never fail a run) says so with a file
``exit`` holding the expected exit code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from proceedings.cli import main

from .conftest import FIXTURES, make_case

CASES = sorted(p.name for p in (FIXTURES / "broken").iterdir() if p.is_dir())


@pytest.mark.parametrize("name", CASES)
def test_broken_fixture(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    case = FIXTURES / "broken" / name
    make_case(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    args_file = case / "args"
    extra = args_file.read_text(encoding="utf-8").split() if args_file.exists() else []
    code = main(["check", "sources", *extra])
    err = capsys.readouterr().err
    expected = (case / "expected.txt").read_text(encoding="utf-8")
    assert err == expected + "proceedings: wrote build/check-report.html\n"
    exit_file = case / "exit"
    assert code == (int(exit_file.read_text(encoding="utf-8")) if exit_file.exists() else 1)


def test_clean_minibook_has_no_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_case(tmp_path / "none", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources", "--strict"]) == 0
    # Nothing to report is said in a line of its own, not left to an empty output.
    assert capsys.readouterr().err == (
        "proceedings: 0 errors, 0 warnings\n"
        "proceedings: wrote build/check-report.html\n"
    )


def test_build_refuses_broken_sources_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_case(FIXTURES / "broken" / "unknown-person", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "sources", "--out", "out"]) == 1
    assert "unknown person id 'smyth'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# Each YAML mistake an editor makes, made in a copy of the minibook: the one line that
# says where to correct it and how. (file, text replaced, replacement, the diagnostic.)
YAML_MISTAKES = {
    "indent-less": (
        "book.yaml", "  ru: Правопорядок в цифровую эпоху\ntype:",
        "   ru: Правопорядок в цифровую эпоху\ntype:",
        "book.yaml:4: error: 'ru:' is indented more than 'kk:' on line 3, so it reads as more of the value "
        "of 'kk': indent it as far as 'kk' if it is a key of its own, or put the value of 'kk' in quotes "
        "if the colon is part of the text",
    ),
    "indent-more": (
        "book.yaml", "  bbk: \"67.408\"", "    bbk: \"67.408\"",
        "book.yaml:27: error: 'bbk: \"67.408\"' is indented 4 spaces, as no line above it is: indent it "
        "as far as 'udc' (2 spaces)",
    ),
    "colon-in-value": (
        "papers/en-aviation/paper.md", "title: Violation of flight safety rules",
        "title: Aviation: violation of flight safety rules",
        "papers/en-aviation/paper.md:5: error: the value of 'title' holds a colon and a space (': '), "
        "which would start a key: put the whole value in quotes: write title: \"Aviation: violation of "
        "flight safety rules in the Republic of Kazakhstan\"",
    ),
    "colon-in-a-reference": (
        "papers/ru-fraud/paper.md", '  - "Сидоров П.П. Криминология : учебник. – СПб., 2019. – 512 с."',
        "  - Сидоров П.П. Криминология : учебник. – СПб., 2019. – 512 с.",
        "papers/ru-fraud/paper.md:10: error: the text that starts 'Сидоров П.П. Криминология' holds a colon "
        "and a space (': '), which made it a key and a value: put the whole text in quotes",
    ),
    "colon-in-a-keyword": (
        "papers/ru-fraud/paper.md", "  ru: [интернет-мошенничество, профилактика, кибербезопасность]\n",
        "  ru:\n    - Мошенничество: виды\n",
        "papers/ru-fraud/paper.md:17: error: the text that starts 'Мошенничество' holds a colon and a space "
        "(': '), which made it a key and a value: put the whole text in quotes",
    ),
    "missing-colon": (
        "book.yaml", "date: 2025-04-18", "date 2025-04-18",
        "book.yaml:17: error: 'date 2025-04-18' is neither 'key: value' nor an item of a list ('- item'): "
        "is the colon after the key missing?",
    ),
    "no-space-after-colon": (
        "book.yaml", "date: 2025-04-18", "date:2025-04-18",
        "book.yaml:17: error: 'date:2025-04-18': a colon after a key must be followed by a space "
        "('key: value')",
    ),
    "leading-at": (
        "book.yaml", "  udc: \"343.9\"", "  udc: @343.9",
        "book.yaml:26: error: a value that starts with '@' must be put in quotes: write udc: \"@343.9\"",
    ),
    "leading-star": (
        "book.yaml", "  udc: \"343.9\"", "  udc: *343.9",
        "book.yaml:26: error: a value that starts with '*' must be put in quotes: write udc: \"*343.9\"",
    ),
    "alias": (
        "book.yaml", "  udc: \"343.9\"", "  udc: *bold",
        "book.yaml:26: error: '*bold' refers to an anchor (*name), which sources do not use: if the value "
        "is text that starts with '*', put the whole value in quotes",
    ),
    "leading-ampersand": (
        "book.yaml", "  udc: \"343.9\"", "  udc: &343 9",
        "book.yaml:26: error: '&343' makes an anchor (&name), which sources do not use: if the value is "
        "text that starts with '&', put the whole value in quotes",
    ),
    "leading-percent": (
        "book.yaml", "  udc: \"343.9\"", "  udc: %343.9",
        "book.yaml:26: error: a value that starts with '%' must be put in quotes: write udc: \"%343.9\"",
    ),
    "tab": (
        "book.yaml", "  bbk: \"67.408\"", "\tbbk: \"67.408\"",
        "book.yaml:27: error: a tab, where YAML takes only spaces (to indent, and after a colon): replace "
        "the tab with spaces",
    ),
    "unclosed-quote": (
        "book.yaml", "start_time: \"10.00\"", "start_time: \"10.00",
        "book.yaml:18: error: the value in quotes that starts here has no closing \": add it",
    ),
    "unclosed-bracket": (
        "book.yaml", "editors: [akhmetova]", "editors: [akhmetova",
        "book.yaml:24: error: the '[' opened here is not closed: end it with ']'",
    ),
    "text-after-quotes": (
        "book.yaml", "start_time: \"10.00\"", "start_time: \"10.00\" sharp",
        "book.yaml:18: error: the value of 'start_time' starts with \" and goes on after its closing one: "
        "put the whole value in quotes",
    ),
    "item-without-dash": (
        "book.yaml", "  - kk: Алматы заң академиясы", "  - kk: Алматы заң академиясы\n  ru: x",
        "book.yaml:16: error: 'ru: x' stands among the items of a list (line 15) but does not start with "
        "'- ': make it an item, or move it out of the list",
    ),
}


@pytest.mark.parametrize("name", sorted(YAML_MISTAKES))
def test_a_yaml_mistake_says_what_to_do_at_its_line(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    file, old, new, expected = YAML_MISTAKES[name]
    sources = make_case(tmp_path / "none", tmp_path)
    path = sources / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources"]) == 1
    code = "yaml-alias" if name in {"alias", "leading-ampersand"} else "yaml"
    assert capsys.readouterr().err.splitlines()[:2] == [
        f"sources/{expected} [{code}]", "proceedings: 1 error, 0 warnings"
    ]
