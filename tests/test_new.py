"""``proceedings new``: the starter book is written, checks clean, builds, and reads back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from proceedings.cli import main

from . import pdfread

FILES = [
    "book.yaml", "papers/p01/figure1.svg", "papers/p01/paper.md", "participants.yaml", "people.yaml",
    "programme.yaml", "resolution/en.md",
]


def test_new_book_checks_clean_builds_and_reads_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "mybook"]) == 0
    assert capsys.readouterr().err == (
        f"proceedings: wrote mybook: {', '.join(FILES)}\n"
        "proceedings: change what their comments say, then run: proceedings check mybook\n"
    )
    book = tmp_path / "mybook"
    # Every source file tells the editor what to change, in a comment at its top.
    for name in FILES:
        if name.endswith((".yaml", ".md")):
            text = (book / name).read_text(encoding="utf-8")
            first = text.removeprefix("---\n").splitlines()[0]
            assert first.startswith("# "), name
    front = (book / "papers" / "p01" / "paper.md").read_text(encoding="utf-8").split("---\n")[1]
    paper = yaml.safe_load(front)
    assert paper["tables"]
    assert paper["figures"]
    assert paper["references"]
    assert paper["tables"][0]["footer"][0]["kind"] == "total"

    assert main(["check", "mybook", "--strict"]) == 0
    assert capsys.readouterr().err == (
        "proceedings: 0 errors, 0 warnings\nproceedings: wrote build/check-report.html\n"
    )
    assert main(["build", "mybook", "--strict"]) == 0
    pdf = tmp_path / "build" / "proceedings.pdf"
    text = "".join(pdfread.text(pdf, n) for n in range(1, pdfread.page_count(pdf) + 1))
    for expected in ("Law and Order in the Digital Age", "Conference programme", "Reporting offences online",
                     "Table 1", "Reports of offences by channel", "Figure 1", "References",
                     "Baker T. Police statistics", "The online form was opened to every region in 2024.",
                     "RESOLUTION", "Author index"):
        assert expected in text, expected
    # An English book: its times as English writes them, no Russian quotes.
    assert "10:00" in text
    assert not re.search(r"\b\d{2}\.\d{2}\b", text)
    assert "«" not in text
    # The table's footer: its label set as the row labels above, its figures under theirs.
    page = next(n for n in range(1, pdfread.page_count(pdf) + 1) if "Online form" in pdfread.text(pdf, n))
    cells = {line[0].text: line for line in pdfread.lines(pdf, page)
             if line[0].text in {"Online", "In", "Total"}}
    assert set(cells) == {"Online", "In", "Total"}
    assert cells["Total"][0].x0 == pytest.approx(cells["Online"][0].x0, abs=0.5)
    assert [w.text for w in cells["Total"]] == ["Total", "420", "440"]
    assert cells["Total"][-1].x1 == pytest.approx(cells["In"][-1].x1, abs=0.5)


def test_new_refuses_a_folder_that_holds_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "file").write_text("mine", encoding="utf-8")
    assert main(["new", "book"]) == 1
    assert main(["new", "file"]) == 1
    assert main(["new", "nowhere/book"]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "proceedings: error: book is not empty: give the name of a new or empty folder, so that no file "
        "of yours is replaced (nothing was written)",
        "proceedings: error: file exists and is not a folder: give the name of a new folder",
        "proceedings: error: nowhere does not exist: create it first, or name a folder in one that does",
    ]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["book", "file", "notes.txt"]
    # An empty folder is taken.
    (tmp_path / "empty").mkdir()
    assert main(["new", "empty"]) == 0
    assert (tmp_path / "empty" / "book.yaml").is_file()
