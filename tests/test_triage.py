"""Triage: tiers, their order, grouping, folding, and book.yaml's strict tiers."""

from __future__ import annotations

from pathlib import Path

import pytest

from proceedings.cli import main
from proceedings.diagnostics import Severity, error, note, warning
from proceedings.triage import tier, triaged

from .conftest import FIXTURES, make_case


def test_what_blocks_printing_leads() -> None:
    found = [
        warning("a.md", 3, "x", "quotes"),
        warning("a.md", 9, "y", "spelling"),
        warning("b.md", 1, "the paper has no title", "no-title"),
        error("c.yaml", 2, "z", "unknown-person"),
    ]
    assert [d.code for d in triaged(found)] == ["no-title", "unknown-person", "spelling", "quotes"]
    assert [tier(d) for d in triaged(found)] == ["printing", "printing", "content", "style"]


def test_findings_of_one_code_on_neighbouring_lines_are_one() -> None:
    found = [warning("a.md", line, f"'w{line}' mixes scripts", "mixed-script") for line in (10, 11, 13, 20)]
    found.append(note("a.md", 12, "n", "mixed-script"))  # another severity: apart
    shown = triaged(found)
    assert [str(d) for d in shown] == [
        "a.md:10: warning: 3 findings on lines 10-13: line 10: 'w10' mixes scripts; line 11: 'w11' "
        "mixes scripts; line 13: 'w13' mixes scripts [mixed-script]",
        "a.md:12: note: n [mixed-script]",
        "a.md:20: warning: 'w20' mixes scripts [mixed-script]",
    ]


def test_findings_of_one_line_name_it_once() -> None:
    found = [warning("a.md", 7, f"cell {c} is wrong", "table-totals") for c in (1, 2, 3)]
    assert [str(d) for d in triaged(found)] == [
        "a.md:7: warning: 3 findings on line 7: cell 1 is wrong; cell 2 is wrong; cell 3 is wrong "
        "[table-totals]"
    ]


def test_a_finding_that_restates_another_is_folded() -> None:
    found = [
        warning("p.md", 1, "no author", "no-author"),
        warning("p.md", 1, "no talk", "paper-without-talk"),
        warning("q.md", 1, "no talk", "paper-without-talk"),
    ]
    shown = [(d.path, d.code) for d in triaged(found)]
    assert shown == [("p.md", "no-author"), ("q.md", "paper-without-talk")]
    assert all(d.severity is Severity.WARNING for d in triaged(found))


@pytest.mark.parametrize(("tiers", "code"), [("[style]", 1), ("[printing, content]", 0)])
def test_book_yaml_makes_chosen_tiers_strict(
    tiers: str, code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(FIXTURES / "broken" / "forms", tmp_path)
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8") + f"strict: {tiers}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources"]) == code
    summary = capsys.readouterr().err.splitlines()[-2]
    failing = "; strict for style: its warnings are errors" if code else ""
    assert summary == f"proceedings: 0 errors, 8 warnings (style 8{failing})"
