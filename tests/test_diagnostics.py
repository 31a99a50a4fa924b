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
