"""Outputs only where asked: the guard that keeps the suite out of the working tree."""

from __future__ import annotations

from pathlib import Path

from .conftest import GUARDED, REPO, tree_changes, tree_state

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
