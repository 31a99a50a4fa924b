"""A damaged cache never costs the book: every cached file is checked when read, a
damaged one is made again, and the book is checked before it replaces the last one."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

import pikepdf
import pytest

from proceedings.build import BuildOptions, build
from proceedings.diagnostics import BuildError, Diagnostic
from proceedings.layout import typeset as typeset_module

from . import pdfread
from .conftest import MINIBOOK


def _notes(diagnostics: Iterable[Diagnostic]) -> list[str]:
    return [str(d) for d in diagnostics if d.code == "cache-damaged"]


def _randomise(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


@pytest.fixture
def built(minibook_build: Path, tmp_path: Path) -> Path:
    """A copy of the minibook's output folder, cache and all."""
    out = tmp_path / "out"
    shutil.copytree(minibook_build, out)
    return out


def test_a_damaged_cached_book_is_assembled_again(built: Path) -> None:
    good = (built / "proceedings.pdf").read_bytes()
    [book] = (built / ".cache").glob("book-*.pdf")
    _randomise(book)
    result = build(BuildOptions(sources=MINIBOOK, out=built))
    assert _notes(result.diagnostics) == [
        f"{book}: note: the cached file was damaged; it is made again [cache-damaged]"]
    assert (built / "proceedings.pdf").read_bytes() == good
    assert book.read_bytes() == good  # kept again, under the same name


def test_a_damaged_font_subset_is_cut_again(built: Path) -> None:
    good = (built / "proceedings.pdf").read_bytes()
    cache = built / ".cache"
    for book in cache.glob("book-*.pdf"):
        book.unlink()  # so that the book is assembled, with the fonts
    fonts = sorted(cache.glob("font-*.ttf"))
    _randomise(fonts[0])
    result = build(BuildOptions(sources=MINIBOOK, out=built))
    assert _notes(result.diagnostics) == [
        f"{fonts[0]}: note: the cached file was damaged; it is made again [cache-damaged]"]
    assert (built / "proceedings.pdf").read_bytes() == good
    assert sorted(cache.glob("font-*.ttf")) == fonts


@pytest.mark.parametrize(("key", "book_kept"), [
    ("paper:ru-fraud", False),  # read when the book is assembled
    ("stamps:number-templates", True),  # read at every build, even when the book is kept
])
def test_a_garbage_part_is_laid_out_again(key: str, book_kept: bool, built: Path) -> None:
    from proceedings.layout.cache import stored

    good = (built / "proceedings.pdf").read_bytes()
    cache = built / ".cache"
    if not book_kept:
        for book in cache.glob("book-*.pdf"):
            book.unlink()
    [digest] = [meta.stem for meta in cache.glob("?" * 40 + ".json")
                if (layout := stored(cache, meta.stem, draft=True)) is not None and layout.key == key]
    part = cache / f"{digest}.pdf"
    part.write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    result = build(BuildOptions(sources=MINIBOOK, out=built))
    assert _notes(result.diagnostics) == [
        f"{part}: note: the cached part was damaged; it is made again [cache-damaged]"]
    assert (built / "proceedings.pdf").read_bytes() == good
    with pikepdf.open(part):  # laid out again
        pass


@pytest.mark.parametrize("kind", ["file", "broken link"])
def test_a_file_where_the_cache_goes_is_one_error(kind: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if kind == "file":
        (out / ".cache").write_bytes(b"not a folder")
    else:
        (out / ".cache").symlink_to(tmp_path / "gone")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(sources=MINIBOOK, out=out))
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{out / '.cache'}: error: is not a folder: the build keeps its cache in a folder of that "
        "name; move the file away [cache-not-folder]"]
    assert sorted(p.name for p in out.iterdir()) == [".cache"]


def test_a_file_where_the_book_goes_is_one_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_bytes(b"not a folder")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(sources=MINIBOOK, out=out))
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{out}: error: is not a folder: the book is written into a folder of that name; move the "
        "file away or give another --out [out-not-folder]"]
    assert out.read_bytes() == b"not a folder"


def test_an_unsound_book_never_replaces_the_last_one(
    built: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = (built / "proceedings.pdf").read_bytes()
    monkeypatch.setattr(typeset_module, "assembled", lambda *args: (b"%PDF-1.7 not a book", False))
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(sources=MINIBOOK, out=built))
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "book-unsound"
    assert str(diagnostic).startswith(
        f"{built / 'proceedings.pdf'}: error: the book laid out is not a sound PDF (it does not open: ")
    assert (built / "proceedings.pdf").read_bytes() == good


def test_a_damaged_proof_stamp_is_laid_out_again(minibook_proofs: Path, tmp_path: Path) -> None:
    import datetime as dt

    from proceedings.proofs import ProofOptions, make_proofs

    root = tmp_path / "copy"
    shutil.copytree(minibook_proofs.parent, root)
    out = root / "out"
    opts = ProofOptions(sources=root / "sources", out=out, date=dt.date(2025, 4, 1))
    before = set((out / ".cache").glob("cover-*.pdf"))
    make_proofs(opts)  # the stamps of the sources in their new place
    good = _proof_texts(out)
    cover = sorted(set((out / ".cache").glob("cover-*.pdf")) - before)[0]
    _randomise(cover)
    (out / ".cache" / "proofs.json").unlink()  # so that the proofs are cut again
    result = make_proofs(opts)
    assert _notes(result.diagnostics) == [
        f"{cover}: note: the cached file was damaged; it is made again [cache-damaged]"]
    assert [r.split(":")[0] for r in result.rendered] == ["cover"]
    # The cover laid out alone, not with the others: its font subset differs, and the
    # order text is read back in, not its lines.
    assert _proof_texts(out) == good


def _proof_texts(out: Path) -> dict[str, list[list[str]]]:
    return {path.name: [sorted(pdfread.text(path, page).splitlines())
                        for page in range(1, pdfread.page_count(path) + 1)]
            for path in sorted((out / "proofs").glob("*.pdf"))}


def test_a_cache_damaged_again_and_again_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parts found damaged at every attempt (a failing disk): the layout gives up after a
    few attempts, with the notes of what it removed and one error."""
    from proceedings.layout import cache as layout_cache
    from proceedings.layout.typeset import ATTEMPTS, Settings

    def damaged(*args: object) -> None:
        layout_cache.discard(tmp_path / "part.pdf", "part")
        raise layout_cache.DamagedPart

    monkeypatch.setattr(typeset_module, "_typeset", damaged)
    settings = Settings(styles=tmp_path, fonts=tmp_path, cache=tmp_path / ".cache")
    with pytest.raises(BuildError) as caught:
        typeset_module.typeset(None, settings)  # type: ignore[arg-type]
    notes = [f"{tmp_path / 'part.pdf'}: note: the cached part was damaged; it is made again [cache-damaged]"]
    assert [str(d) for d in caught.value.diagnostics] == notes * ATTEMPTS + [
        f"{tmp_path / '.cache'}: error: parts laid out were found damaged {ATTEMPTS} times over: "
        "look at the disk [cache-damaged]"]


def test_a_damaged_lines_file_is_set_anew(built: Path) -> None:
    """A part's kept paragraphs (``lines-*.json``) only save time: garbage there is set
    anew and written again, and the book is the same."""
    from proceedings.files import unsealed

    def book_text() -> list[str]:
        with pikepdf.open(built / "proceedings.pdf") as pdf:
            pages = len(pdf.pages)
        return [pdfread.text(built / "proceedings.pdf", page) for page in range(1, pages + 1)]

    good = book_text()
    cache = built / ".cache"
    for book in cache.glob("book-*.pdf"):
        book.unlink()
    kept = sorted(cache.glob("lines-*.json"))
    assert kept
    for path in kept:
        _randomise(path)
    # A part laid out again reads its damaged file: the parts' page maps go too.
    for meta in cache.glob("?" * 40 + ".json"):
        meta.unlink()
    build(BuildOptions(sources=MINIBOOK, out=built))
    assert book_text() == good
    assert all(unsealed(path.read_bytes()) for path in kept)
