"""Everyday slips of an editor and of the machine: each is one diagnostic naming its
cause, never a traceback, and never hides another finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from proceedings.check import check_sources
from proceedings.check.base import Check
from proceedings.diagnostics import error
from proceedings.load import load_sources

from .conftest import MINIBOOK, check_and_build, make_case

PAPER = "sources/papers/en-aviation/paper.md"


def _with_figure(sources: Path, name: str, *, author: str = "smith") -> Path:
    """The English paper showing figure ``name`` (a file beside it), by ``author``."""
    paper = sources / "papers" / "en-aviation" / "paper.md"
    text = paper.read_text(encoding="utf-8").replace(
        "authors:\n  - person: smith\n",
        f"authors:\n  - person: {author}\nfigures:\n  - id: f1\n    file: {name!r}\n", 1)
    paper.write_text(text.rstrip() + "\n\n::figure f1\n", encoding="utf-8")
    return paper.parent


def test_a_figure_that_is_a_loop_of_links_hides_no_other_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    folder = _with_figure(sources, "f.png", author="nobody")
    (folder / "f.png").symlink_to("f.png")
    assert check_and_build(sources, monkeypatch, capsys) == (
        f"{PAPER}:4: error: unknown person id 'nobody' in authors [unknown-person]\n"
        f"{PAPER}:6: error: figure file 'f.png' is a symbolic link that leads back to itself (a loop "
        "of links); put the image itself beside paper.md [missing-file]\n"
        "proceedings: 2 errors, 0 warnings\n"
    )


def test_a_check_that_fails_keeps_what_it_found_and_the_others_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from proceedings.check import records

    def failing(sources: object, units: object) -> list[Check]:
        def run() -> object:
            yield error("here", 3, "found before the failure", "first")
            raise ValueError("boom")

        return [Check("failing", "here", run),
                Check("fine", "there", lambda: [error("there", 1, "found by another check", "second")])]

    sources, _ = load_sources(MINIBOOK)
    assert sources is not None
    monkeypatch.setattr(records, "checks", failing)
    found = check_sources(sources)
    assert error("here", 3, "found before the failure", "first") in found
    failed = [d for d in found if d.code == "check-failed"]
    assert [d.message for d in failed] == [
        "the 'failing' check failed (ValueError: boom); its findings from there on are missing: "
        "please report this as a bug of the checker"
    ]
    assert error("there", 1, "found by another check", "second") in found
