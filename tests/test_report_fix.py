"""The check report, ``proceedings fix``, and the policy for a failing check."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from proceedings import check as check_package
from proceedings.check import check_sources
from proceedings.check.base import Check
from proceedings.cli import main
from proceedings.diagnostics import escaped
from proceedings.fix import fix_private_use, fix_spaces, retype_words
from proceedings.load import load_sources

from .conftest import FIXTURES, REPO, make_case


def _codes(err: str, code: str) -> list[str]:
    return [line for line in err.splitlines() if line.endswith(f"[{code}]")]


# --- the report ------------------------------------------------------------------------------


def test_report_of_the_2024_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    main(["check", "sources", "--out", str(tmp_path)])
    capsys.readouterr()
    html = (tmp_path / "check-report.html").read_text(encoding="utf-8")
    section = html.split('id="paper-p14"', 1)[1].split("</section>", 1)[0]
    assert "К ВОПРОСУ СОВЕРШЕНСТВОВАНИЯ" in section  # the paper's title
    assert "Курманова Гульнара Сагиндыковна" in section  # its author
    assert "sources/papers/p14/paper.md:12" in section
    assert "[citation-missing-comma]" in section
    # The quoted source line: the text of line 12, escaped by the template.
    line12 = (REPO / "sources/papers/p14/paper.md").read_text(encoding="utf-8").split("\n")[11].strip()
    assert "[5 с. 119]" in line12
    assert re.search(r'<pre class="context">[^<]*\[5 с\. 119\]', section)
    # p14's findings are not under another paper.
    other = html.split('id="paper-p13"', 1)[1].split("</section>", 1)[0]
    assert "papers/p14/" not in other
    assert 'id="code-rank-conflict"' in html


def test_report_escapes_the_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(FIXTURES / "broken" / "odd-space", tmp_path)
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    paper.write_text(paper.read_text(encoding="utf-8").replace("поддельные", "<b>поддельные</b>"), "utf-8")
    monkeypatch.chdir(tmp_path)
    main(["check", "sources"])
    capsys.readouterr()
    html = (tmp_path / "build" / "check-report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;поддельные&lt;/b&gt;" in html
    assert "<b>поддельные" not in html


def test_clean_book_report_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_case(tmp_path / "none", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources", "--out", "out"]) == 0
    assert capsys.readouterr().err == (
        "proceedings: 0 errors, 0 warnings\nproceedings: wrote out/check-report.html\n"
    )
    assert "No findings" in (tmp_path / "out" / "check-report.html").read_text(encoding="utf-8")


# --- fix ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "code", "paper"),
    [
        ("mixed-script", "mixed-script", "ru-fraud"),
        ("private-use", "private-use", "ru-fraud"),
        ("odd-space", "odd-space", "ru-fraud"),
        ("forms", "glued-year", "ru-fraud"),
        ("sentences", "punctuation-space", "ru-fraud"),
    ],
)
def test_fix_prints_the_changed_words_and_writes_only_with_write(
    case: str,
    code: str,
    paper: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources = make_case(FIXTURES / "broken" / case, tmp_path)
    monkeypatch.chdir(tmp_path)
    files = sorted(sources.rglob("*"))
    before = {p: p.read_bytes() for p in files if p.is_file()}
    assert main(["check", "sources"]) in (0, 1)
    assert _codes(capsys.readouterr().err, code)

    assert main(["fix", "--codes", code, "sources"]) == 0
    shown = capsys.readouterr().out
    assert f"sources/papers/{paper}/paper.md:" in shown
    assert {p: p.read_bytes() for p in files if p.is_file()} == before  # nothing written

    assert main(["fix", "--codes", code, "sources", "--write"]) == 0
    capsys.readouterr()
    main(["check", "sources"])
    assert _codes(capsys.readouterr().err, code) == []
    # Only the lines the output named changed, and each named word as it showed.
    for path, old in before.items():
        new = path.read_bytes()
        if new == old:
            continue
        old_lines, new_lines = old.decode().split("\n"), new.decode().split("\n")
        assert len(old_lines) == len(new_lines)
        where = path.relative_to(tmp_path).as_posix()
        for number, (a, b) in enumerate(zip(old_lines, new_lines, strict=True), start=1):
            if a != b:
                listed = [line for line in shown.splitlines() if line.startswith(f"{where}:{number}: ")]
                assert listed
                for line in listed:
                    before_word, after_word = line.split(": ", 1)[1].rsplit(" (", 1)[0].split(" → ")
                    assert before_word in escaped(a)
                    assert after_word in escaped(b)


def test_fix_names_each_changed_word_and_its_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_case(FIXTURES / "broken" / "mixed-script", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["fix", "--codes", "mixed-script", "sources"]) == 0
    shown = capsys.readouterr().out
    assert "sources/papers/kk-digital/paper.md:12: бiлiмдi → білімді (U+0069 → U+0456)\n" in shown


def test_fix_turns_straight_quotes_into_the_languages_quotes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(FIXTURES / "broken" / "quotes", tmp_path)
    monkeypatch.chdir(tmp_path)
    paper = sources / "papers" / "kk-digital" / "paper.md"
    assert main(["fix", "--codes", "quotes", "sources", "--write"]) == 0
    assert capsys.readouterr().out == (
        'sources/papers/kk-digital/paper.md:20: "маңызды" → «маңызды» (U+0022 → U+00AB, U+0022 → U+00BB)\n')
    assert "«басты шарт» болып «маңызды» табылады" in paper.read_text(encoding="utf-8")
    main(["check", "sources"])
    assert not [line for line in _codes(capsys.readouterr().err, "quotes") if "straight" in line]


def test_fix_keeps_a_files_line_endings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paper saved with CRLF line endings stays so: its lines are fixed as the same
    paper's with LF, and nothing else changes."""
    fixed = {}
    for ending in (b"\n", b"\r\n"):
        root = tmp_path / ("crlf" if ending == b"\r\n" else "lf")
        sources = make_case(FIXTURES / "broken" / "odd-space", root)
        monkeypatch.chdir(root)
        paper = sources / "papers" / "ru-fraud" / "paper.md"
        text = paper.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", ending)
        paper.write_bytes(text)
        assert main(["fix", "--codes", "odd-space", "sources", "--write"]) == 0
        fixed[ending] = paper.read_bytes()
        assert fixed[ending] != text
        main(["check", "sources"])
        assert _codes(capsys.readouterr().err, "odd-space") == []
    assert fixed[b"\r\n"].count(b"\n") == fixed[b"\r\n"].count(b"\r\n")
    assert fixed[b"\r\n"] == fixed[b"\n"].replace(b"\n", b"\r\n")


def test_fix_refuses_other_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["fix", "--codes", "odd-space,spelling", "sources"])
    assert exc.value.code == 2
    assert "cannot fix spelling" in capsys.readouterr().err


def test_fix_on_the_2024_book_clears_its_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "sources", tmp_path / "sources")
    monkeypatch.chdir(tmp_path)
    main(["check", "sources"])
    before = capsys.readouterr().err.splitlines()
    codes = ("mixed-script", "private-use", "odd-space")
    assert main(["fix", "--codes", ",".join(codes), "sources", "--write"]) == 0
    capsys.readouterr()
    main(["check", "sources"])
    after = capsys.readouterr().err.splitlines()
    fixed = [line for line in before if line.endswith(tuple(f"[{c}]" for c in codes))]
    # Findings of one code on neighbouring lines are shown as one, which counts them.
    counted = [re.search(r": (\d+) findings on lines ", line) for line in fixed]
    assert sum(int(m[1]) if m else 1 for m in counted) > 40
    assert not any(line.endswith(tuple(f"[{c}]" for c in codes)) for line in after)
    # Everything else is found where it was, but the font finding of the private-use
    # bullets, and the spelling: a word retyped in one script joins the book's vocabulary,
    # where it may now recur (and so be accepted) or be the word another is one letter
    # away from. (A finding that quotes a retyped word quotes it retyped.)
    spelling = ("[spelling]", "[glued-words]")
    rest = [line for line in before if line not in fixed and "U+F02D" not in line]

    def others(lines: list[str]) -> list[tuple[str, str]]:
        return [(line.split(": ", 1)[0], line.rsplit(" ", 1)[-1]) for line in lines
                if not line.startswith("proceedings:") and not line.endswith(spelling)]

    assert others(after) == others(rest)


def test_line_fixers() -> None:
    assert fix_private_use("- \uf02d  проблемы") == "- проблемы"
    assert fix_private_use("  1) \uf0b7 пункт") == "  1) пункт"
    assert fix_private_use("текст \uf02d текст") == "текст \uf02d текст"  # not a list item: left
    assert fix_spaces("  - a\u2003b  c\t d  ", body=True) == "  - a b c d  "
    assert fix_spaces("key: a\u2003b  c", body=False) == "key: a b  c"  # no collapsing in YAML
    assert fix_spaces("1\u2009234 и сло\u200bво", body=True) == "1\u2009234 и слово"
    assert retype_words("iс iсi бiлiм", {"iс": "іс", "iсi": "ісі"}) == "іс ісі бiлiм"


# --- a failing check -------------------------------------------------------------------------------


def test_a_failing_check_is_reported_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, _ = load_sources(make_case(FIXTURES / "broken" / "rank-conflict", tmp_path))
    assert sources is not None

    def run() -> list[object]:
        raise ValueError("boom")

    def broken(*_args: object) -> list[Check]:
        return [Check("broken", "sources/x.md", run)]

    monkeypatch.setattr(check_package.duplicates, "checks", broken)
    found = check_sources(sources)
    failed = [d for d in found if d.code == "check-failed"]
    assert len(failed) == 1
    assert "'broken' check failed (ValueError: boom)" in failed[0].message
    assert failed[0].severity == "warning"
    assert any(d.code == "rank-conflict" for d in found)


def test_build_writes_the_report_beside_the_book(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_case(tmp_path / "none", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "sources", "--out", "out"]) == 0
    assert "wrote out/check-report.html" in capsys.readouterr().err
    assert (tmp_path / "out" / "proceedings.pdf").is_file()
    report = (tmp_path / "out" / "check-report.html").read_text(encoding="utf-8")
    # The sources are clean, and so is the layout (see test_layout_audit).
    assert "No findings: the sources are clean." in report
    assert "The layout audit found nothing." in report
    assert '<h2 id="layout">Layout</h2>' in report


def test_fix_s_help_names_every_code_it_fixes(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from proceedings.fix import FIXABLE

    monkeypatch.setenv("COLUMNS", "300")  # no code wrapped at its hyphen
    with pytest.raises(SystemExit):
        main(["fix", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert all(code in shown for code in FIXABLE), shown
