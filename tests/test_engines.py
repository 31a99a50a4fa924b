"""The parts engine (units laid out separately, assembled) against the one-document book."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import ImageChops
from pypdf import PdfReader

from proceedings.build import BuildOptions, build

from . import pdfread
from .conftest import CONFERENCE, MINIBOOK, REPO, WORKSHOP


def _outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    found: list[tuple[int, str, int]] = []

    def walk(items: list[Any], depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return found


def _links(reader: PdfReader) -> list[tuple[int, list[int], object]]:
    found = []
    for index, page in enumerate(reader.pages):
        for annot in page.get("/Annots", []):
            annot = annot.get_object()
            rect = [round(float(v)) for v in annot["/Rect"]]
            if "/Dest" in annot:
                dest = reader.named_destinations[str(annot["/Dest"])]
                found.append((index, rect, reader.get_destination_page_number(dest)))
            else:
                found.append((index, rect, str(annot["/A"]["/URI"])))
    return sorted(found)


def _page_texts(pdf: Path, pages: int) -> list[str]:
    return [pdfread.layout_text(pdf, n) for n in range(1, pages + 1)]


def _same_book(single: Path, parts: Path, image_pages: list[int]) -> None:
    a, b = PdfReader(single / "proceedings.pdf"), PdfReader(parts / "proceedings.pdf")
    assert len(a.pages) == len(b.pages)
    assert (single / "manifest.json").read_text() == (parts / "manifest.json").read_text()
    assert _page_texts(single / "proceedings.pdf", len(a.pages)) == _page_texts(
        parts / "proceedings.pdf", len(b.pages)
    )
    assert _outline(a) == _outline(b)
    assert _links(a) == _links(b)
    assert a.metadata == b.metadata
    assert a.trailer["/Root"]["/Lang"] == b.trailer["/Root"]["/Lang"]
    for number in image_pages:
        images = [pdfread.render(folder / "proceedings.pdf", number, 40) for folder in (single, parts)]
        assert ImageChops.difference(*images).getbbox() is None, f"page {number} differs"


def _unit_pdfs(out: Path) -> set[str]:
    """The laid-out units in the cache (named by their digest), not the assembled book."""
    return {p.name for p in (out / ".cache").glob("*.pdf") if not p.name.startswith("book-")}


def test_minibook_parts_equal_single(tmp_path: Path) -> None:
    single, parts = tmp_path / "single", tmp_path / "parts"
    build(BuildOptions(sources=MINIBOOK, out=single, engine="single"))
    laid_out: list[str] = []
    build(BuildOptions(sources=MINIBOOK, out=parts, engine="parts", jobs=2,
                       progress=lambda key, done, total: laid_out.append(key)))
    pages = len(PdfReader(single / "proceedings.pdf").pages)
    _same_book(single, parts, list(range(1, pages + 1)))
    # Every folio was made from the template sheet: no page of folios was laid out.
    assert "stamps:folio-templates" in laid_out
    assert not [key for key in laid_out if key.startswith("stamps:folios")]


def test_each_paper_s_footnotes_are_numbered_from_one_in_both_engines(workshop_build: Path,
                                                                      tmp_path: Path) -> None:
    """The workshop's papers have two footnotes each: laid out as parts, each paper is a
    document of its own; as one document, the book's footnote counter starts again at
    each paper too (it ran on, 3 and 4 in the second paper)."""
    single = tmp_path / "single"
    build(BuildOptions(sources=WORKSHOP, out=single, engine="single"))
    pages = len(PdfReader(single / "proceedings.pdf").pages)
    notes = [" ".join(line.split()) for text in _page_texts(single / "proceedings.pdf", pages)
             for line in text.splitlines()
             if line.strip().startswith(("1. The essays", "2. The guidelines", "1. The recordings",
                                         "2. We asked", "1. Each reader", "2. Two readers"))]
    assert len(notes) == 6, notes
    _same_book(single, workshop_build, [])


def test_sections_and_sessions_equal_in_both_engines(tmp_path: Path) -> None:
    """The conference's section headings (in the contents, opening their first papers, in
    the bookmarks) and its programme of days and sessions, laid out as parts and as one
    document: the same pages, numbers, bookmarks and pixels."""
    import json

    single, parts = tmp_path / "single", tmp_path / "parts"
    build(BuildOptions(sources=CONFERENCE, out=single, engine="single"))
    laid_out: list[str] = []
    build(BuildOptions(sources=CONFERENCE, out=parts, engine="parts", jobs=2,
                       progress=lambda key, done, total: laid_out.append(key)))
    # The contents' draft and its layout with zeros, whose numbers (the sections' too)
    # are written in: not laid out a third time with its numbers.
    assert laid_out.count("contents") == 2
    manifest = json.loads((single / "manifest.json").read_text(encoding="utf-8"))
    contents = next(p for p in manifest["parts"] if p["kind"] == "contents")["pdf_pages"]
    programme = [n for p in manifest["parts"] if p["kind"] == "programme"
                 for n in range(p["pdf_pages"][0], p["pdf_pages"][1] + 1)]
    openings = [manifest["papers"][i]["pdf_pages"][0] for i in (0, 2, 4)]  # each section's first
    _same_book(single, parts, [*range(contents[0], contents[1] + 1), *programme, *openings])


def _unit_texts(out: Path, key: str) -> list[str]:
    """The text of every laid-out unit in the cache for ``key`` (drafts have no PDF)."""
    from proceedings.layout.cache import stored

    cache = out / ".cache"
    layouts = [stored(cache, meta.stem) for meta in sorted(cache.glob("?" * 40 + ".json"))]  # not findings
    return [
        "".join(_page_texts(cache / layout.pdf_name, pdfread.page_count(cache / layout.pdf_name)))
        for layout in layouts if layout is not None and layout.key == key
    ]


def test_kerned_folios_and_page_numbers_are_laid_out_in_full(tmp_path: Path) -> None:
    """A style whose folios and page numbers are kerned ("11" is, in Liberation Serif)
    cannot use the folio templates nor write numbers into the contents and the index:
    the parts engine lays the folios out in full and the numbers in the contents, and
    the book is still the one-document book."""
    import shutil

    styles, fonts = tmp_path / "styles", tmp_path / "fonts"
    shutil.copytree(REPO / "styles", styles)
    shutil.copytree(REPO / "fonts", fonts)  # where the stylesheets look for them
    for name, rule in (("page.css", " font-kerning: none;"),
                       ("book.css", ".toc a::after, .index-page::after { font-kerning: none; }")):
        css = styles / "css" / name
        text = css.read_text(encoding="utf-8")
        assert rule in text
        css.write_text(text.replace(rule, ""), encoding="utf-8")
    single, parts = tmp_path / "single", tmp_path / "parts"
    build(BuildOptions(sources=MINIBOOK, out=single, engine="single", styles=styles,
                       fonts=fonts))
    laid_out: list[str] = []
    build(BuildOptions(sources=MINIBOOK, out=parts, engine="parts", jobs=2, styles=styles, fonts=fonts,
                       progress=lambda key, done, total: laid_out.append(key)))
    assert "stamps:folios:0" in laid_out
    # The contents laid out with its numbers, not zeros to write them into.
    assert [" 11\n" in text for text in _unit_texts(parts, "contents")] == [True]
    pages = len(PdfReader(single / "proceedings.pdf").pages)
    _same_book(single, parts, list(range(1, pages + 1)))


@pytest.fixture(scope="module")
def single2024(tmp_path_factory: pytest.TempPathFactory) -> Path:
    single = tmp_path_factory.mktemp("single2024")
    build(BuildOptions(sources=REPO / "sources", out=single, engine="single"))
    return single


@pytest.mark.slow
def test_2024_book_parts_equal_single(book2024: Path, single2024: Path, tmp_path: Path) -> None:
    _same_book(single2024, book2024, [1, 3, 5, 15, 16, 17, 29, 78, 102, 103, 104])


def test_rebuild_uses_the_cache_and_gives_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(sources=MINIBOOK, out=out))
    first = (out / "proceedings.pdf").read_bytes()
    cached = {name: (out / ".cache" / name).stat().st_ino for name in _unit_pdfs(out)}
    build(BuildOptions(sources=MINIBOOK, out=out))
    assert (out / "proceedings.pdf").read_bytes() == first
    # No unit was laid out again: every cached unit PDF is the file written the first time
    # (a file is written anew and renamed into place, so a new one has a new inode).
    assert {name: (out / ".cache" / name).stat().st_ino for name in _unit_pdfs(out)} == cached


@pytest.mark.slow
def test_2024_book_size_is_close_to_the_one_document_book(book2024: Path, single2024: Path) -> None:
    ratio = (book2024 / "proceedings.pdf").stat().st_size / (single2024 / "proceedings.pdf").stat().st_size
    assert ratio <= 1.2
    names = [font.name for font in pdfread.fonts(book2024 / "proceedings.pdf")]
    assert names
    # One embedded font per face, but for a subset WeasyPrint gave extra glyphs to.
    assert len(names) <= len(set(names)) + 1


def test_watch_rebuilds_after_an_edit(tmp_path: Path) -> None:
    import shutil
    import threading
    import time

    from proceedings.diagnostics import BuildError
    from proceedings.watch import watch

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    builds: list[object] = []
    done = threading.Event()

    def on_build(outcome: object, seconds: float) -> None:
        builds.append(outcome)
        if len(builds) == 2:
            done.set()

    opts = BuildOptions(sources=sources, out=tmp_path / "out", jobs=1)
    thread = threading.Thread(
        target=watch, kwargs={"opts": opts, "on_build": on_build, "stop": done.is_set, "interval": 0.05}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not builds and time.monotonic() < deadline:
            time.sleep(0.05)
        paper = sources / "papers" / "ru-fraud" / "paper.md"
        paper.write_text(paper.read_text(encoding="utf-8").replace("латентность", "скрытность"),
                         encoding="utf-8")
        assert done.wait(timeout=60)
    finally:
        done.set()
        thread.join(timeout=60)
    assert not any(isinstance(b, BuildError) for b in builds)
    pdf = tmp_path / "out" / "proceedings.pdf"
    text = "".join(pdfread.text(pdf, page) for page in range(1, pdfread.page_count(pdf) + 1))
    assert "скрытность" in text


def test_an_edit_lays_out_only_its_unit(tmp_path: Path) -> None:
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    out = tmp_path / "out"
    build(BuildOptions(sources=sources, out=out))
    before = _unit_pdfs(out)
    paper = sources / "papers" / "kk-digital" / "paper.md"
    paper.write_text(paper.read_text(encoding="utf-8").replace("басты шарт", "негізгі шарт"),
                     encoding="utf-8")
    laid_out: list[str] = []
    build(BuildOptions(sources=sources, out=out, progress=lambda key, done, total: laid_out.append(key)))
    assert laid_out == ["paper:kk-digital"]
    assert len(_unit_pdfs(out) - before) == 1


def test_a_unit_over_its_time_limit_is_named(tmp_path: Path) -> None:
    import shutil

    from proceedings.diagnostics import BuildError

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    long_text = "\n\n".join(["Текст, который долго верстается. " * 100] * 40)
    paper.write_text(paper.read_text(encoding="utf-8") + "\n\n" + long_text + "\n", encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(sources=sources, out=tmp_path / "out", time_limit=0.2, jobs=1))
    lines = [str(d) for d in caught.value.diagnostics]
    assert any(
        line.endswith("[time-limit]") and "paper:ru-fraud" in line and "ru-fraud/paper.md" in line
        for line in lines
    ), lines
    assert not (tmp_path / "out" / "proceedings.pdf").exists()


def test_a_programme_edit_lays_out_only_the_programme(tmp_path: Path) -> None:
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    out = tmp_path / "out"
    build(BuildOptions(sources=sources, out=out))
    programme = sources / "programme.yaml"
    programme.write_text(programme.read_text(encoding="utf-8").replace("Кіріспе сөз", "Ашылу сөзі"),
                         encoding="utf-8")
    laid_out: list[str] = []
    build(BuildOptions(sources=sources, out=out, progress=lambda key, done, total: laid_out.append(key)))
    assert laid_out == ["programme:kk"]


def test_a_build_leaves_no_temporary_font_folders(tmp_path: Path) -> None:
    """Each process keeps its parsed stylesheets and their fonts for the whole build;
    the parent and every pool worker must still remove the fonts' temporary folders,
    and say nothing on the way out."""
    import os
    import sys

    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "proceedings", "build", str(MINIBOOK), "--out", str(tmp_path / "out"),
         "--jobs", "2"],
        capture_output=True, text=True, env={**os.environ, "TMPDIR": str(temporary)}, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    assert "Exception ignored" not in done.stderr
    assert list(temporary.iterdir()) == []


def test_a_character_the_bundled_fonts_lack_prints_as_in_the_one_document_book(tmp_path: Path) -> None:
    """The assembler replaces the parts' subsets of the bundled fonts by one per face; a
    font from the system (drawing ⊕, which the bundled fonts lack) must keep its own glyphs."""
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    paper.write_text(paper.read_text(encoding="utf-8").replace("латентность", "латентность ⊕ ∰", 1),
                     encoding="utf-8")
    single, parts = tmp_path / "single", tmp_path / "parts"
    build(BuildOptions(sources=sources, out=single, engine="single"))
    build(BuildOptions(sources=sources, out=parts, engine="parts", jobs=2))
    texts = _page_texts(single / "proceedings.pdf", len(PdfReader(single / "proceedings.pdf").pages))
    page = next(n for n, text in enumerate(texts, 1) if "латентность" in text)
    _same_book(single, parts, [page])


def _grow(paper: Path) -> None:
    """Give a paper one more page of text."""
    text = paper.read_text(encoding="utf-8")
    paragraph = "Меры профилактики должны учитывать особенности личности потерпевшего. " * 12
    paper.write_text(text.replace("[^lat]:", "\n\n".join([paragraph] * 6) + "\n\n[^lat]:"), encoding="utf-8")


def _contents_line(pdf: Path, page: int, title: str) -> str:
    text = _page_texts(pdf, page)[page - 1]
    return next(line for line in text.splitlines() if title in line)


def test_a_paper_that_gains_a_page_renumbers_the_contents_without_laying_it_out(tmp_path: Path) -> None:
    """The contents and the index are laid out with zeros for their page numbers and the
    numbers are written in: a paper that gains a page moves every number after it, and
    only the paper is laid out again. The book is the one a fresh build makes, byte for
    byte, and the one-document book page by page."""
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    out = tmp_path / "out"
    build(BuildOptions(sources=sources, out=out))
    before = _contents_line(out / "proceedings.pdf", 3, "Violation of flight safety")
    pages = len(PdfReader(out / "proceedings.pdf").pages)
    _grow(sources / "papers" / "ru-fraud" / "paper.md")
    laid_out: list[str] = []
    build(BuildOptions(sources=sources, out=out, progress=lambda key, done, total: laid_out.append(key)))
    assert set(laid_out) == {"paper:ru-fraud"}  # (twice, when its pass after numbering takes it)
    assert len(PdfReader(out / "proceedings.pdf").pages) == pages + 1
    after = _contents_line(out / "proceedings.pdf", 3, "Violation of flight safety")
    assert int(after.split()[-1]) == int(before.split()[-1]) + 1
    # The catalogue line's page count, written into the title, which was not laid out again.
    imprint = " ".join(pdfread.text(out / "proceedings.pdf", 2).split())
    assert f"– {pages + 1} б." in imprint
    assert f"– {pages + 1} с." in imprint
    fresh = tmp_path / "fresh"
    build(BuildOptions(sources=sources, out=fresh))
    assert (out / "proceedings.pdf").read_bytes() == (fresh / "proceedings.pdf").read_bytes()
    single = tmp_path / "single"
    build(BuildOptions(sources=sources, out=single, engine="single"))
    _same_book(single, out, [3, pages + 1])


def test_a_title_of_zeros_is_not_taken_for_a_page_number(tmp_path: Path) -> None:
    """A run of zeros in the contents that is not a number's place: the numbers cannot
    be written into the zeros unambiguously, so they are laid out, and the title stays."""
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    paper.write_text(text.replace(title, "title: '000'"), encoding="utf-8")
    single, parts = tmp_path / "single", tmp_path / "parts"
    build(BuildOptions(sources=sources, out=single, engine="single"))
    build(BuildOptions(sources=sources, out=parts))
    assert _contents_line(parts / "proceedings.pdf", 3, "000").split()[0] == "000"
    _same_book(single, parts, [3])


def test_page_numbers_in_a_font_not_bundled_are_laid_out(tmp_path: Path) -> None:
    """The assembler can only write digits into a font it rebuilds from a bundled file:
    numbers set in a system font are laid out, and the book is the one-document book."""
    import shutil

    styles, fonts = tmp_path / "styles", tmp_path / "fonts"
    shutil.copytree(REPO / "styles", styles)
    shutil.copytree(REPO / "fonts", fonts)
    book_css = styles / "css" / "book.css"
    book_css.write_text(book_css.read_text(encoding="utf-8") + (
        "\n.toc a::after, .index-page::after "
        "{ font-family: 'DejaVu Sans Mono', 'Liberation Mono', monospace; }\n"), encoding="utf-8")
    single, parts = tmp_path / "single", tmp_path / "parts"
    build(BuildOptions(sources=MINIBOOK, out=single, engine="single", styles=styles, fonts=fonts))
    build(BuildOptions(sources=MINIBOOK, out=parts, engine="parts", jobs=2, styles=styles, fonts=fonts))
    assert [" 11\n" in text for text in _unit_texts(parts, "contents")] == [True]
    _same_book(single, parts, [3, len(PdfReader(single / "proceedings.pdf").pages)])


def test_the_cache_keeps_in_bounds_and_keeps_what_the_book_uses(tmp_path: Path) -> None:
    """Layouts left by earlier edits go, the oldest first, once the cache holds more than
    four times what the book uses (and at least the floor); the book's own stay, and
    a layout the book no longer uses stays while there is room (an edit undone finds it)."""
    import os
    import shutil

    from proceedings.layout import cache as layout_cache

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    out = tmp_path / "out"
    build(BuildOptions(sources=sources, out=out))
    cache = out / ".cache"
    paper = sources / "papers" / "kk-digital" / "paper.md"
    original = paper.read_text(encoding="utf-8")
    paper.write_text(original.replace("басты шарт", "негізгі шарт"), encoding="utf-8")
    build(BuildOptions(sources=sources, out=out))
    paper.write_text(original, encoding="utf-8")
    laid_out: list[str] = []
    build(BuildOptions(sources=sources, out=out, progress=lambda key, done, total: laid_out.append(key)))
    assert laid_out == []  # the undone edit's layout was still there
    kept = {p.name for p in cache.iterdir()}
    # Layouts of long ago, and more of them than the floor allows.
    old = [cache / f"{n:040x}.pdf" for n in range(12)]
    for path in old:
        path.write_bytes(b"%PDF" + bytes(1024 * 1024))
        os.utime(path, (1_000_000_000, 1_000_000_000 + old.index(path)))
    floor = layout_cache.CACHE_FLOOR
    # Room for the book's files and some, not all, of the old ones.
    book_size = sum((cache / name).stat().st_size for name in kept)
    layout_cache.CACHE_FLOOR = 4 * book_size + 5 * 1024 * 1024
    try:
        build(BuildOptions(sources=sources, out=out, progress=lambda key, done, total: laid_out.append(key)))
    finally:
        layout_cache.CACHE_FLOOR = floor
    assert laid_out == []
    assert kept <= {p.name for p in cache.iterdir()}
    assert sum(p.stat().st_size for p in cache.iterdir() if p.name != "checks.json") <= (
        4 * book_size + 5 * 1024 * 1024)
    present = [path.exists() for path in old]
    assert 0 < sum(present) < len(old)
    assert present == sorted(present)  # the oldest went first


def _kept_lines(out: Path) -> dict[str, set[str]]:
    """The paragraphs each part's lines file keeps, by file name."""
    import json

    from proceedings.files import unsealed

    return {path.name: set(json.loads(unsealed(path.read_bytes()) or b"{}"))
            for path in (out / ".cache").glob("lines-*.json")}


def test_an_edited_part_sets_again_only_the_paragraph_that_changed(tmp_path: Path) -> None:
    """A part's paragraphs set by the line breaker are kept from one layout to the next:
    after an edit of one paragraph, the part's file keeps the others as they were and
    that one set anew, and the book is the one a build from nothing makes."""
    import shutil

    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    out = tmp_path / "out"
    build(BuildOptions(sources=sources, out=out))
    before = _kept_lines(out)
    assert len(before) >= 3
    assert sum(len(kept) > 3 for kept in before.values()) >= 3
    paper = sources / "papers" / "kk-digital" / "paper.md"
    paper.write_text(paper.read_text(encoding="utf-8").replace("басты шарт", "негізгі шарт"),
                     encoding="utf-8")
    build(BuildOptions(sources=sources, out=out))
    after = _kept_lines(out)
    assert after.keys() == before.keys()
    changed = [name for name in after if after[name] != before[name]]
    assert len(changed) == 1
    [name] = changed
    assert len(before[name] - after[name]) == 1
    assert len(after[name] - before[name]) == 1
    fresh = tmp_path / "fresh"
    build(BuildOptions(sources=sources, out=fresh))
    pages = len(PdfReader(fresh / "proceedings.pdf").pages)
    assert _page_texts(out / "proceedings.pdf", pages) == _page_texts(fresh / "proceedings.pdf", pages)
