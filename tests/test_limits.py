"""Sources that would make the layout exhaust the memory: refused by the check, before layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from proceedings.check import limits

from .conftest import check_and_build, make_case

PAPER = "sources/papers/en-aviation/paper.md"
FRONT = "---\nlang: en\nauthors:\n  - person: smith\ntitle: Flight safety\n"  # lines 1-5


def _paper(tmp_path: Path, front: str, body: str) -> Path:
    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    paper.write_text(f"{FRONT}{front}---\n{body}", encoding="utf-8")
    return sources


def test_one_huge_footnote_referred_to_thousands_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    note = "A long note. " * 7_000  # 91,000 characters: one paragraph, within its limit
    body = "Text" + " [^1]" * 16_000 + "\n\n[^1]: " + note + "\n"
    sources = _paper(tmp_path, "", body)
    assert check_and_build(sources, monkeypatch, capsys) == (
        f"{PAPER}:7: error: footnote [^1] makes the footnotes print more than 1,000,000 characters "
        "in all (each reference prints the whole footnote): laying them out could exhaust the "
        "memory; shorten the footnote or refer to it less often [too-large]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_too_many_footnote_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # 100 references a paragraph, each paragraph on one line, after a blank line.
    body = "\n\n".join(f"Text {n}" + " [^1]" * 100 for n in range(160)) + "\n\n[^1]: A short note.\n"
    sources = _paper(tmp_path, "", body)
    line = 7 + 2 * 10  # the 1,001st reference is the first of the 11th paragraph
    assert check_and_build(sources, monkeypatch, capsys) == (
        f"{PAPER}:{line}: error: more than 1,000 footnote references (this is one too many): laying "
        "them out could exhaust the memory; merge footnotes, or put the notes in the text [too-large]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_a_cell_spanning_a_hundred_million_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    front = "tables:\n  - id: t1\n    rows:\n      - [{text: a, colspan: 100000000}]\n"  # lines 6-9
    sources = _paper(tmp_path, front, "Text.\n\n::table t1\n")
    assert check_and_build(sources, monkeypatch, capsys) == (
        f"{PAPER}:9: error: table t1: the cell in row 'a', column 1 has colspan 100,000,000, more than "
        "the 100 a cell may span: laying it out could exhaust the memory [too-large]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_a_table_of_too_many_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    row = "      - [" + ", ".join(["'1'"] * 100) + "]\n"
    front = "tables:\n  - id: t1\n    rows:\n" + row * 201  # rows from line 9
    sources = _paper(tmp_path, front, "Text.\n\n::table t1\n")
    assert check_and_build(sources, monkeypatch, capsys) == (
        f"{PAPER}:{9 + 200}: error: table t1 has more than 20,000 cells (counting each as the columns "
        "times the rows it spans): laying it out could exhaust the memory; split the table [too-large]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_the_limits_let_a_large_real_paper_through() -> None:
    body = "\n\n".join(f"Paragraph {n} [^{n}]." for n in range(limits.MAX_FOOTNOTE_REFERENCES))
    body += "\n\n" + "\n".join(f"[^{n}]: Note {n}." for n in range(limits.MAX_FOOTNOTE_REFERENCES))
    assert list(limits._check_body("paper.md", body, 1)) == []


@pytest.mark.parametrize(
    ("body", "sizes"),
    [
        ("[^a]: one\ngoes on\n\n    indented\n\nnot in it\n", {"a": len("onegoes onindented") + 1}),
        ("[^a]:\n\n    only indented\n[^b]: b\n", {"a": len("only indented"), "b": 2}),
    ],
)
def test_a_footnote_is_its_lines_and_indented_paragraphs(body: str, sizes: dict[str, int]) -> None:
    assert limits._footnote_sizes(body.split("\n")) == sizes
