"""Outputs only where asked: a book's outputs go beside its sources (or to --out), and
the suite keeps out of the working tree."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from proceedings.build import default_out
from proceedings.cli import main
from proceedings.printing import PRINT_NAME

from .conftest import FIXTURES, GUARDED, MINIBOOK, REPO, make_case, tree_changes, tree_state

# --- where a command writes ------------------------------------------------------------------


def test_default_out_is_build_beside_the_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_out(Path("sources")) == Path("build")
    assert default_out(Path("other-book/sources")) == Path("other-book/build")
    assert default_out(Path("../other-book/sources/")) == Path("../other-book/build")
    assert default_out(Path("/srv/books/2025")) == Path("/srv/books/build")
    # Named "." or "..": the folder is made absolute, its build/ is beside it, not in it.
    root = tmp_path.resolve()  # as the current folder is named
    (root / "book" / "sources").mkdir(parents=True)
    monkeypatch.chdir(root / "book" / "sources")
    assert default_out(Path(".")) == root / "book" / "build"
    assert default_out(Path("..")) == root / "build"
    assert default_out(Path("../sources/..")) == root / "build"


@pytest.fixture
def two_books(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The minibook as ``other-book/sources``; the current folder is ``here``, whose
    ``build/`` holds the outputs of its own book. Returns ``tmp_path``, resolved."""
    root = tmp_path.resolve()
    shutil.copytree(MINIBOOK, root / "other-book" / "sources")
    (root / "here" / "build").mkdir(parents=True)
    (root / "here" / "build" / "check-report.html").write_text("this book's report", encoding="utf-8")
    monkeypatch.chdir(root / "here")
    return root


def _run(root: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    """Run the command line, which must succeed and change nothing in ``here/`` nor in
    the other book's sources; return what it printed on stderr, line by line."""
    before = tree_state(root, ("here", "other-book/sources"))
    capsys.readouterr()
    assert main(list(argv)) == 0
    assert tree_changes(before, tree_state(root, ("here", "other-book/sources"))) == []
    return capsys.readouterr().err.splitlines()


def test_check_writes_its_report_beside_the_book_it_checks(
    two_books: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = two_books / "other-book" / "build" / "check-report.html"
    # The minibook has no findings: their count, then where the report went.
    assert _run(two_books, capsys, "check", "../other-book/sources") == [
        "proceedings: 0 errors, 0 warnings", "proceedings: wrote ../other-book/build/check-report.html"
    ]
    assert report.is_file()
    report.unlink()
    assert _run(two_books, capsys, "check", str(two_books / "other-book" / "sources")) == [
        "proceedings: 0 errors, 0 warnings", f"proceedings: wrote {report}"
    ]
    assert report.is_file()
    report.unlink()
    os.chdir(two_books / "other-book" / "sources")  # restored by the fixture's monkeypatch
    assert _run(two_books, capsys, "check", ".") == [
        "proceedings: 0 errors, 0 warnings", f"proceedings: wrote {report}"
    ]
    assert report.is_file()
    assert not (two_books / "other-book" / "sources" / "build").exists()


def test_check_writes_where_out_says(two_books: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(two_books, capsys, "check", "../other-book/sources", "--out", "../reports") == [
        "proceedings: 0 errors, 0 warnings", "proceedings: wrote ../reports/check-report.html"
    ]
    assert (two_books / "reports" / "check-report.html").is_file()
    assert not (two_books / "other-book" / "build").exists()


def test_proofs_build_and_print_write_beside_the_book_and_say_what(
    two_books: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = two_books / "other-book" / "build"
    # Proofs of a book not built yet: it is built first, beside its sources.
    assert _run(two_books, capsys, "proofs", "../other-book/sources") == [
        "proceedings: the book was out of date and was rebuilt: wrote ../other-book/build/proceedings.pdf "
        "and ../other-book/build/manifest.json",
        "proceedings: wrote 3 proofs in ../other-book/build/proofs, 3 offprints in "
        "../other-book/build/offprints, and ../other-book/build/proofs/index.csv",
    ]
    assert {p.name for p in out.iterdir()} == {
        "proceedings.pdf", "manifest.json", ".cache", "proofs", "offprints"}
    assert len(list((out / "proofs").glob("*.pdf"))) == len(list((out / "offprints").glob("*.pdf"))) == 3

    err = _run(two_books, capsys, "build", "../other-book/sources")
    assert err[-2].startswith("proceedings: wrote ../other-book/build/proceedings.pdf (")
    assert err[-2].endswith(" pages) and ../other-book/build/manifest.json")
    assert err[-1] == "proceedings: wrote ../other-book/build/check-report.html"
    assert (out / "check-report.html").is_file()

    err = _run(two_books, capsys, "print", "../other-book/sources")
    assert err[-2].startswith(f"proceedings: wrote ../other-book/build/{PRINT_NAME} (")
    assert err[-1] == f"proceedings: preflight passed ../other-book/build/{PRINT_NAME}"
    assert (out / PRINT_NAME).is_file()
    assert sorted(p.name for p in two_books.iterdir()) == ["here", "other-book"]


def test_fix_names_the_files_it_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(FIXTURES / "broken" / "odd-space", tmp_path)
    before = tree_state(tmp_path, ("sources",))
    monkeypatch.chdir(tmp_path)
    assert main(["fix", "--codes", "odd-space", "sources"]) == 0
    assert capsys.readouterr().err.splitlines()[-1].startswith("proceedings: would fix ")
    assert tree_state(tmp_path, ("sources",)) == before
    assert main(["fix", "--codes", "odd-space", "sources", "--write"]) == 0
    last = capsys.readouterr().err.splitlines()[-1]
    changes = tree_changes(before, tree_state(tmp_path, ("sources",)))
    changed = [line.split(" ")[1].rstrip(":") for line in changes]
    assert changed
    files = "file" if len(changed) == 1 else "files"
    assert last == f"proceedings: fixed {len(changed)} {files} for odd-space: {', '.join(changed)}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources"]  # no report, no build/
    assert sources.is_dir()


# --- the guard of the working tree -----------------------------------------------------------


def _tree(root: Path) -> None:
    (root / "build" / ".cache").mkdir(parents=True)
    (root / "build" / "check-report.html").write_text("the 2024 book's report", encoding="utf-8")
    (root / "sources" / "papers").mkdir(parents=True)
    (root / "sources" / "book.yaml").write_text("title: x\n", encoding="utf-8")


def test_guard_sees_no_change_in_an_untouched_tree(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = tree_state(tmp_path, ("build", "sources"))
    (tmp_path / "elsewhere.txt").write_text("not guarded", encoding="utf-8")
    assert tree_changes(before, tree_state(tmp_path, ("build", "sources"))) == []


def test_guard_names_every_change(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = tree_state(tmp_path, ("build", "sources"))
    # A report replaced by one of the same size: only the digest tells.
    (tmp_path / "build" / "check-report.html").write_text("another book's report!", encoding="utf-8")
    (tmp_path / "build" / "proofs").mkdir()
    (tmp_path / "build" / "proofs" / "p01.pdf").write_bytes(b"%PDF")
    (tmp_path / "sources" / "book.yaml").unlink()
    (tmp_path / "sources" / "papers").rmdir()
    (tmp_path / "sources" / "people.yaml").symlink_to("/etc/hostname")
    changes = tree_changes(before, tree_state(tmp_path, ("build", "sources")))
    assert [line.split(" (")[0].split(":")[0] for line in changes] == [
        "changed build/check-report.html",
        "added build/proofs",
        "added build/proofs/p01.pdf",
        "removed sources/book.yaml",
        "removed sources/papers",
        "added sources/people.yaml",
    ]
    assert "changed build/check-report.html: (22 bytes, sha256 " in changes[0]
    assert changes[5] == "added sources/people.yaml (a link to /etc/hostname)"


def test_guard_sees_a_guarded_folder_appear(tmp_path: Path) -> None:
    before = tree_state(tmp_path, ("build",))
    assert before == {}
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "check-report.html").write_text("", encoding="utf-8")
    assert tree_changes(before, tree_state(tmp_path, ("build",))) == [
        "added build (a folder)",
        "added build/check-report.html (0 bytes, sha256 e3b0c44298fc)",
    ]


def test_guard_watches_the_editors_folders() -> None:
    assert {"build", "sources"} <= set(GUARDED)
    assert (REPO / "sources" / "book.yaml").is_file()
    assert "sources/book.yaml" in tree_state(REPO)
