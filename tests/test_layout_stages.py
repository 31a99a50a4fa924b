"""The layout engine stage by stage, on small inputs: a failure here names the stage.

The whole-book behaviour (the parts engine against the one-document book, the cache
across builds) is tested in test_engines.py; here each stage of ``proceedings.layout``
is given hand-made records or a few lines of HTML laid out with the project's styles.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from proceedings import files
from proceedings.diagnostics import BuildError, Severity
from proceedings.layout import cache as layout_cache
from proceedings.layout import fonts as layout_fonts
from proceedings.layout import numbering, patches, stamps, workers
from proceedings.layout.assemble import Assembly
from proceedings.layout.cache import Fingerprint, prune, stored
from proceedings.layout.numbering import NumberTemplates
from proceedings.layout.plan import Jobs, moving, page_numbers, place, plan
from proceedings.layout.records import Job, Part, PartLayout, Placement
from proceedings.layout.stamps import FolioTemplates, Head, Sheets
from proceedings.load import load_sources
from proceedings.model import Sources
from proceedings.pdfedit import drawing, instruction_glyphs, page_fonts, parse_widths, read_pdf, text_runs

from . import pdfread
from .conftest import MINIBOOK, REPO

STYLES = REPO / "styles"
FONTS = REPO / "fonts"


# Shared inputs ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources() -> Sources:
    loaded, _diagnostics = load_sources(MINIBOOK)
    assert loaded is not None
    return loaded


@pytest.fixture(scope="module")
def jobs(sources: Sources, tmp_path_factory: pytest.TempPathFactory) -> Jobs:
    """The minibook's job maker, with a cache folder of this module's own."""
    return Jobs(sources, STYLES, FONTS, tmp_path_factory.mktemp("stage-cache"), None)


@pytest.fixture(scope="module")
def parts(sources: Sources, jobs: Jobs) -> list[Part]:
    return plan(sources, jobs.renderer)


def _html(body: str, lang: str = "ru") -> str:
    return f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"></head><body>{body}</body></html>'


def _laid_out(jobs: Jobs, job: Job) -> Path:
    """Lay ``job`` out here (from the cache if it was before); the path of its PDF."""
    layout = stored(jobs.cache, job.digest) or workers.lay_out(job)
    return jobs.cache / layout.pdf_name


def _text(pdf: Path, *, layout: bool = False) -> str:
    """The text of every page of ``pdf``, with the room between words kept if ``layout``."""
    read = pdfread.layout_text if layout else pdfread.text
    return "".join(read(pdf, page) for page in range(1, pdfread.page_count(pdf) + 1))


def _layout(key: str, pages: int, anchors: dict[str, int] | None = None) -> PartLayout:
    """A hand-made layout of ``pages`` pages with ``anchors`` (name → page index from 0)."""
    return PartLayout(key, f"digest-{key}", pages,
                      anchors={name: [index, 10.0, 20.0] for name, index in (anchors or {}).items()})


def _part(key: str, kind: str, lang: str | None = "ru", *, head: str = "", book_head: str = "",
          fixed: bool = False) -> Part:
    return Part(key, kind, lang, f"anchor-{key}", head, book_head, fixed=fixed)


# plan -------------------------------------------------------------------------------


def test_plan_gives_the_parts_in_book_order(parts: list[Part], sources: Sources) -> None:
    assert sources.book.parts == ["title", "contents", "programme", "participants", "papers",
                                  "resolution", "index"]
    assert [p.key for p in parts] == [
        "title", "contents", "programme:kk", "programme:ru", "participants:kk", "participants:ru",
        "paper:kk-digital", "paper:ru-fraud", "paper:en-aviation", "resolution:kk", "resolution:ru",
        "index",
    ]
    assert [p.kind for p in parts] == [
        "title", "contents", "programme", "programme", "participants", "participants",
        "papers", "papers", "papers", "resolution", "resolution", "index",
    ]
    assert [p.anchor for p in parts] == [
        "part-title", "part-contents", "programme-kk", "programme-ru", "participants-kk",
        "participants-ru", "paper-kk-digital", "paper-ru-fraud", "paper-en-aviation",
        "resolution-kk", "resolution-ru", "part-index",
    ]
    # Only the title pages keep the book's own page rules, and carry no heads.
    assert [p.key for p in parts if p.fixed] == ["title"]
    assert (parts[0].head, parts[0].book_head) == ("", "")
    assert all(p.head and p.book_head for p in parts[1:])
    # The papers in book.yaml's order, each in its own language.
    assert [p.key for p in parts if p.kind == "papers"] == [f"paper:{i}" for i in sources.book.papers]
    assert [p.lang for p in parts if p.kind == "papers"] == ["kk", "ru", "en"]


def test_a_paper_part_names_its_source_file(parts: list[Part]) -> None:
    by_key = {p.key: p for p in parts}
    for paper in ("kk-digital", "ru-fraud", "en-aviation"):
        source = Path(by_key[f"paper:{paper}"].source)
        assert source.parts[-3:] == ("papers", paper, "paper.md")
        assert (REPO / source).is_file()
    assert Path(by_key["resolution:ru"].source).parts[-2:] == ("resolution", "ru.md")
    assert by_key["contents"].source == by_key["index"].source == "build"


def test_plan_follows_the_parts_listed_in_book_yaml(sources: Sources, jobs: Jobs) -> None:
    book = sources.book.model_copy(update={"parts": ["papers", "contents", "title"]})
    reordered = plan(sources.model_copy(update={"book": book}), jobs.renderer)
    assert [p.key for p in reordered] == [
        "paper:kk-digital", "paper:ru-fraud", "paper:en-aviation", "contents", "title"]


def test_place_puts_a_blank_before_a_paper_that_would_start_on_a_verso() -> None:
    parts = [
        _part("title", "title", None, fixed=True), _part("contents", "contents", None),
        _part("paper:a", "papers"), _part("paper:b", "papers"), _part("resolution:ru", "resolution"),
    ]
    layouts = {"title": _layout("title", 2), "contents": _layout("contents", 1),
               "paper:a": _layout("paper:a", 2), "paper:b": _layout("paper:b", 1),
               "resolution:ru": _layout("resolution:ru", 1)}
    recto = place(parts, layouts, papers_on_recto=True)
    # paper:a would start on page 4, a verso: one blank, then 5-6; paper:b starts on 7,
    # a recto: no blank; the resolution starts on the verso 8: only papers get blanks.
    assert [(p.part.key, p.start, p.end, p.blanks_before) for p in recto] == [
        ("title", 1, 2, 0), ("contents", 3, 3, 0), ("paper:a", 5, 6, 1), ("paper:b", 7, 7, 0),
        ("resolution:ru", 8, 8, 0),
    ]
    assert all(p.layout is layouts[p.part.key] for p in recto)
    plain = place(parts, layouts, papers_on_recto=False)
    assert [(p.start, p.blanks_before) for p in plain] == [(1, 0), (3, 0), (4, 0), (6, 0), (7, 0)]


def test_page_numbers_map_anchors_to_book_pages() -> None:
    parts = [_part("title", "title", None, fixed=True), _part("contents", "contents", None),
             _part("paper:a", "papers"), _part("paper:b", "papers")]
    layouts = {
        "title": _layout("title", 2, {"part-title": 0, "imprint": 1}),
        "contents": _layout("contents", 1, {"part-contents": 0, "shared": 0}),
        "paper:a": _layout("paper:a", 3, {"paper-a": 0, "a-fig": 2}),
        "paper:b": _layout("paper:b", 1, {"paper-b": 0, "shared": 0}),
    }
    numbers = page_numbers(place(parts, layouts, papers_on_recto=True))
    # paper:a gets a blank (page 4) and starts on 5; paper:b follows on the verso 8,
    # then gets a blank: 9.
    assert numbers == {"part-title": 1, "imprint": 2, "part-contents": 3, "shared": 3,
                       "paper-a": 5, "a-fig": 7, "paper-b": 9}


def test_moving_is_the_numbered_parts_but_the_last(parts: list[Part]) -> None:
    # the index is last: its length moves nothing; the title (its catalogue line prints the
    # book's pages) is first
    assert moving(parts) == {"title", "contents"}
    assert moving([*parts[1:], parts[0]]) == {"contents", "index"}
    assert moving([p for p in parts if p.key not in ("contents", "index")] + [parts[1]]) == {"title"}


def test_jobs_digests_depend_on_the_html_and_tell_drafts_apart(jobs: Jobs, parts: list[Part]) -> None:
    paper = next(p for p in parts if p.key == "paper:ru-fraud")
    html = jobs.renderer.render(paper.key)
    job = jobs.job(paper.key, html, paper)
    assert job.digest == jobs.job(paper.key, html, paper).digest
    assert job.digest != jobs.job(paper.key, html + " ", paper).digest
    assert job.digest != jobs.job(paper.key, html, paper, draft=True).digest
    assert job.source == paper.source
    assert job.stylesheets == tuple(str(STYLES / "css" / n) for n in ("fonts.css", "page.css", "book.css"))
    assert Path(job.allowed[0]).resolve() == MINIBOOK.resolve()
    assert not job.draft
    assert jobs.job(paper.key, html, paper, draft=True).draft


# cache ------------------------------------------------------------------------------


@pytest.fixture
def style_tree(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Styles, fonts and sources folders of a few small files, for fingerprints."""
    styles, fonts, root = tmp_path / "styles", tmp_path / "fonts", tmp_path / "sources"
    (styles / "css").mkdir(parents=True)
    for name in ("fonts.css", "page.css", "book.css", "print.css"):
        (styles / "css" / name).write_text(f"/* {name} */\n", encoding="utf-8")
    fonts.mkdir()
    (fonts / "Serif.ttf").write_bytes(b"a font")
    (fonts / "LICENSE.txt").write_text("licence\n", encoding="utf-8")
    for paper in ("p1", "p2"):
        (root / "papers" / paper).mkdir(parents=True)
        (root / "papers" / paper / "paper.md").write_text(f"{paper}\n", encoding="utf-8")
        (root / "papers" / paper / "figure.png").write_bytes(b"pixels")
    return styles, fonts, root


def test_a_fingerprint_changes_with_what_the_layout_reads_and_nothing_else(
    style_tree: tuple[Path, Path, Path],
) -> None:
    styles, fonts, root = style_tree
    paper = Part("paper:p1", "papers", "ru", "paper-p1", "head", "book head")
    contents = Part("contents", "contents", None, "part-contents", "head", "book head")
    html = "<p>text</p>"

    def digests() -> tuple[str, str, str]:
        fingerprint = Fingerprint(styles, fonts, root)
        return fingerprint.of(paper, html), fingerprint.of(contents, html), fingerprint.of_text(html)

    first = digests()
    assert len(set(first)) == 3
    assert digests() == first
    fingerprint = Fingerprint(styles, fonts, root)
    assert fingerprint.of(paper, html + " ") != first[0]
    assert fingerprint.of(contents, html + " ") != first[1]
    assert fingerprint.of_text(html + " ") != first[2]

    # Not read by the layout: a stylesheet that is not the book's, a file in the fonts
    # folder that is not a font, another paper's folder, a file touched but unchanged.
    (styles / "css" / "print.css").write_text("/* changed print.css */\n", encoding="utf-8")
    (fonts / "LICENSE.txt").write_text("another licence\n", encoding="utf-8")
    (root / "papers" / "p2" / "figure.png").write_bytes(b"other pixels")
    os.utime(root / "papers" / "p1" / "figure.png", (1_000_000_000, 1_000_000_000))
    assert digests() == first

    # Read by the layout: each changes every part's digest, or the paper's.
    (styles / "css" / "book.css").write_text("/* changed book.css */\n", encoding="utf-8")
    after_css = digests()
    assert all(a != b for a, b in zip(after_css, first, strict=True))
    (fonts / "Serif.ttf").write_bytes(b"another font")
    after_font = digests()
    assert all(a != b for a, b in zip(after_font, after_css, strict=True))
    (fonts / "Sans.ttf").write_bytes(b"a new font")
    after_new_font = digests()
    assert all(a != b for a, b in zip(after_new_font, after_font, strict=True))
    (root / "papers" / "p1" / "figure.png").write_bytes(b"new pixels!")
    after_image = digests()
    assert after_image[0] != after_new_font[0]
    assert after_image[1:] == after_new_font[1:]  # only the paper fetches its images
    (root / "papers" / "p1" / "figure2.png").write_bytes(b"a second figure")
    assert digests()[0] != after_image[0]


def test_a_fingerprint_sees_an_image_in_a_folder_of_the_papers_folder(
    style_tree: tuple[Path, Path, Path],
) -> None:
    """A figure may live in a folder inside the paper's (``file: img/fig.png``); the
    layout fetches it like any other, so a new image must lay the paper out again."""
    styles, fonts, root = style_tree
    paper = Part("paper:p1", "papers", "ru", "paper-p1", "head", "book head")
    image = root / "papers" / "p1" / "img" / "fig.png"
    image.parent.mkdir()
    image.write_bytes(b"red pixels")
    before = Fingerprint(styles, fonts, root).of(paper, "<p>text</p>")
    image.write_bytes(b"blue pixels, more")
    assert Fingerprint(styles, fonts, root).of(paper, "<p>text</p>") != before


def _sealed_map(fields: object) -> str:
    """A page map as the cache keeps it: its digest, then its JSON."""
    text = json.dumps(fields)
    return f"{hashlib.sha256(text.encode()).hexdigest()}\n{text}"


def test_stored_gives_a_complete_layout_or_none(tmp_path: Path) -> None:
    layout = PartLayout("paper:p1", "a" * 40, 3, anchors={"paper-p1": [0, 1.5, 2.5]},
                        bookmarks=[[2, "Title", 0, 2.5]], diagnostics=[["p.md", 0, "warning", "m", "c"]])
    meta, pdf = tmp_path / f"{'a' * 40}.json", tmp_path / f"{'a' * 40}.pdf"
    assert stored(tmp_path, "a" * 40) is None  # nothing there
    layout_cache.keep(tmp_path, layout, None)
    assert stored(tmp_path, "a" * 40) is None  # a layout's page map without its PDF
    assert stored(tmp_path, "a" * 40, draft=True) == layout  # a draft has none
    layout_cache.keep(tmp_path, layout, b"%PDF-1.7")
    assert pdf.read_bytes() == b"%PDF-1.7"
    assert stored(tmp_path, "a" * 40) == layout
    assert stored(tmp_path, "b" * 40) is None
    assert layout_cache.discarded() == []
    meta.write_text(_sealed_map({"key": "paper:p1", "pages": 3, "colour": "red"}), encoding="utf-8")
    assert stored(tmp_path, "a" * 40) is None  # fields of another record
    meta.write_text(_sealed_map({"key": "paper:p1", "digest": "x", "pages": "three"}), encoding="utf-8")
    assert stored(tmp_path, "a" * 40) is None  # the right fields, of the wrong kind
    meta.write_text(_sealed_map({"key": "paper:p1", "digest": "x", "pages": 3, "anchors": {"a": [0]}}),
                    encoding="utf-8")
    assert stored(tmp_path, "a" * 40) is None
    for damaged in (b'{"key": "paper:p1", "digest": "', b"\xff\xfe not text",
                    _sealed_map(asdict(layout)).replace('"pages": 3', '"pages": 4').encode()):
        meta.write_bytes(damaged)
        assert stored(tmp_path, "a" * 40) is None
        assert not meta.exists()  # removed, to be laid out again
    assert [str(d) for d in layout_cache.discarded()] == [
        f"{meta}: note: the cached page map was damaged; it is made again [cache-damaged]"] * 3


def test_a_part_whose_pdf_is_not_the_one_laid_out_is_not_read(tmp_path: Path) -> None:
    """A part's PDF is checked as it is read: a damaged one is removed with its page map,
    and the layout is told to look in the cache again."""
    layout = PartLayout("paper:p1", "a" * 40, 1)
    layout_cache.keep(tmp_path, layout, b"%PDF-1.7 the part")
    pdf, meta = tmp_path / f"{'a' * 40}.pdf", tmp_path / f"{'a' * 40}.json"
    assert layout_cache.intact(pdf)
    layout_cache.check_parts([pdf])
    pdf.write_bytes(os.urandom(len(b"%PDF-1.7 the part")))
    assert stored(tmp_path, "a" * 40) == layout  # found; checked when read
    with pytest.raises(layout_cache.DamagedPart):
        layout_cache.read_part(pdf, lambda document: len(document.pages))
    assert not pdf.exists()
    assert not meta.exists()
    assert stored(tmp_path, "a" * 40) is None
    assert [str(d) for d in layout_cache.discarded()] == [
        f"{pdf}: note: the cached part was damaged; it is made again [cache-damaged]"]


def test_prune_removes_the_oldest_beyond_the_limit_and_nothing_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(layout_cache, "CACHE_FLOOR", 3000)
    long_ago = 1_000_000_000
    old = [tmp_path / f"{n:040x}.pdf" for n in range(6)]
    for age, path in enumerate(old):  # 6000 bytes of layouts no build uses
        path.write_bytes(bytes(1000))
        os.utime(path, (long_ago + age, long_ago + age))
    used = "f" * 40  # the oldest of all, but the book uses it
    for suffix in (".pdf", ".json"):
        (tmp_path / f"{used}{suffix}").write_bytes(bytes(100))
        os.utime(tmp_path / f"{used}{suffix}", (long_ago - 10, long_ago - 10))
    since = time.time() - 1
    written = tmp_path / f"font-{'c' * 32}-{'c' * 16}.ttf"  # written during this build
    written.write_bytes(bytes(100))
    others = [tmp_path / "checks.json", tmp_path / "notes.txt"]  # not the engine's
    for path in others:
        path.write_bytes(bytes(5000))
        os.utime(path, (long_ago - 20, long_ago - 20))
    prune(tmp_path, {used}, since=since)
    # 6300 bytes in all, 300 of them used; the limit is the floor, 3000 (more than
    # 4 × 300): the four oldest unused layouts go.
    assert [path.exists() for path in old] == [False, False, False, False, True, True]
    assert (tmp_path / f"{used}.pdf").exists()
    assert (tmp_path / f"{used}.json").exists()
    assert (tmp_path / f"{used}.pdf").stat().st_mtime >= since  # marked as used
    assert written.exists()
    assert all(path.exists() for path in others)
    # Nothing more to do: within bounds.
    prune(tmp_path, {used}, since=since)
    assert [path.exists() for path in old] == [False, False, False, False, True, True]


def test_prune_keeps_four_times_what_the_book_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout_cache, "CACHE_FLOOR", 10)
    old = [tmp_path / f"{n:040x}.json" for n in range(5)]
    for age, path in enumerate(old):
        path.write_bytes(bytes(100))
        os.utime(path, (1_000_000_000 + age, 1_000_000_000 + age))
    book = tmp_path / f"book-{'d' * 40}-{'d' * 16}.pdf"
    book.write_bytes(bytes(100))  # the book this build assembled
    prune(tmp_path, set(), since=time.time() - 1)
    # 600 bytes, 100 in use: the limit is 400, so the two oldest go.
    assert [path.exists() for path in old] == [False, False, True, True, True]
    assert book.exists()


def test_one_pruning_policy_covers_the_proofs_stamps_and_kept_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every file named by a digest is one entry of the one cache, whatever made it; the
    indexes beside them (rewritten by each run) are never pruned."""
    monkeypatch.setattr(layout_cache, "CACHE_FLOOR", 10)
    digest = "e" * 40
    check = "e" * 16  # the digest of a stamp's content
    stale = [tmp_path / f"cover-{digest}-{check}.pdf", tmp_path / f"watermark-{digest}-{check}.pdf",
             tmp_path / f"citation-{digest}-{check}.pdf", tmp_path / f"findings-{digest}.json"]
    indexes = [tmp_path / name for name in ("checks.json", "proofs.json", "built.json")]
    for path in stale + indexes:
        path.write_bytes(bytes(100))
        os.utime(path, (1_000_000_000, 1_000_000_000))
    book = tmp_path / f"book-{'d' * 40}-{'d' * 16}.pdf"
    book.write_bytes(bytes(10))  # what this build uses
    prune(tmp_path, set(), since=time.time() - 1)
    assert [path.exists() for path in stale] == [False] * 4
    assert all(path.exists() for path in indexes)
    assert book.exists()


# workers ----------------------------------------------------------------------------


TINY = _html('<h2 id="first">Первая</h2><p>Немного текста.</p>'
             '<h2 id="second" style="break-before: page">Вторая</h2><p>Ещё.</p>')


@pytest.fixture(scope="module")
def tiny(jobs: Jobs) -> tuple[Job, PartLayout]:
    job = jobs.job("tiny", TINY)
    return job, workers.lay_out(job)


def test_lay_out_stores_the_pdf_and_the_page_map(jobs: Jobs, tiny: tuple[Job, PartLayout]) -> None:
    job, layout = tiny
    assert (layout.key, layout.digest, layout.pages) == ("tiny", job.digest, 2)
    assert [layout.anchors["first"][0], layout.anchors["second"][0]] == [0, 1]
    assert all(x > 0 and y > 0 for _page, x, y in layout.anchors.values())
    assert layout.diagnostics == []
    with pikepdf.open(jobs.cache / f"{job.digest}.pdf") as pdf:
        assert len(pdf.pages) == 2
    seal, text = (jobs.cache / f"{job.digest}.json").read_text(encoding="utf-8").split("\n", 1)
    assert json.loads(text)["pages"] == 2
    assert seal == hashlib.sha256(text.encode()).hexdigest()
    assert stored(jobs.cache, job.digest) == layout
    assert "Вторая" in _text(jobs.cache / f"{job.digest}.pdf")


def test_a_draft_keeps_its_page_map_only(jobs: Jobs, tiny: tuple[Job, PartLayout]) -> None:
    job = replace(tiny[0], key="tiny-draft", digest="d" * 40, draft=True, ignore_anchors=("second",))
    layout = workers.lay_out(job)
    assert layout.pages == 2
    assert list(layout.anchors) == ["first"]
    assert (jobs.cache / f"{'d' * 40}.json").is_file()
    assert not (jobs.cache / f"{'d' * 40}.pdf").exists()
    assert stored(jobs.cache, "d" * 40, draft=True) == layout


def test_lay_out_all_takes_a_stored_layout_without_laying_out(
    tiny: tuple[Job, PartLayout], monkeypatch: pytest.MonkeyPatch,
) -> None:
    job, layout = tiny

    def fail(job: Job) -> PartLayout:
        raise AssertionError(f"{job.key} laid out again")

    monkeypatch.setattr(workers, "lay_out", fail)
    told: list[tuple[str, int, int]] = []
    started: list[object] = []
    result = workers.lay_out_all([job], None, progress=lambda *args: told.append(args),
                                 started=started.append)
    assert result == {"tiny": layout}
    assert told == []
    assert started == [None]


def test_lay_out_all_lays_out_first_ones_then_the_longest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[str] = []

    def fake(job: Job) -> PartLayout:
        order.append(job.key)
        return PartLayout(job.key, job.digest, 1)

    monkeypatch.setattr(workers, "_lay_out", fake)
    base = Job("", "", "", "", (), (), str(tmp_path))
    batch = [replace(base, key=key, digest=f"{n:040x}", html=html, first=first)
             for n, (key, html, first) in enumerate([
                 ("short", "x", False), ("long", "x" * 100, False), ("sheet", "x" * 10, True),
                 ("middle", "x" * 50, False)])]
    told: list[tuple[str, int, int]] = []
    result = workers.lay_out_all(batch, None, progress=lambda *args: told.append(args))
    assert order == ["sheet", "long", "middle", "short"]
    assert told == [("sheet", 1, 4), ("long", 2, 4), ("middle", 3, 4), ("short", 4, 4)]
    assert set(result) == {"short", "long", "sheet", "middle"}


def test_a_failing_layout_is_reported_on_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(job: Job) -> PartLayout:
        if job.key == "paper:p2":
            raise ValueError("no such box")
        return PartLayout(job.key, job.digest, 1)

    monkeypatch.setattr(workers, "_lay_out", broken)
    base = Job("", "", "<p>x</p>", "", (), (), str(tmp_path))
    batch = [replace(base, key=f"paper:p{n}", digest=f"{n:040x}", source=f"papers/p{n}/paper.md")
             for n in (1, 2, 3)]
    told: list[str] = []
    with pytest.raises(BuildError) as caught:
        workers.lay_out_all(batch, None, progress=lambda key, done, total: told.append(key))
    [diagnostic] = caught.value.diagnostics
    assert diagnostic.code == "render-failed"
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.path == "papers/p2/paper.md"
    assert "paper:p2" in diagnostic.message
    assert "ValueError: no such box" in diagnostic.message
    assert sorted(told) == ["paper:p1", "paper:p3"]  # the others were still laid out


def test_a_real_layout_failure_is_reported(jobs: Jobs, tmp_path: Path) -> None:
    job = replace(jobs.job("paper:x", _html("<p>Не свёрстано.</p>")),
                  stylesheets=(str(tmp_path / "missing.css"),), source="papers/x/paper.md")
    with pytest.raises(BuildError) as caught:
        workers.lay_out_all([job], None)
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.path) == ("render-failed", "papers/x/paper.md")
    assert "laying out paper:x failed: FileNotFoundError" in diagnostic.message
    assert not list(jobs.cache.glob(f"{job.digest}.*"))


def test_a_layout_over_its_time_limit_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(job: Job) -> PartLayout:
        time.sleep(2)
        return PartLayout(job.key, job.digest, 1)

    monkeypatch.setattr(workers, "_lay_out", slow)
    job = Job("paper:p1", "1" * 40, "<p>x</p>", "", (), (), str(tmp_path), source="papers/p1/paper.md",
              time_limit=0.05)
    began = time.monotonic()
    with pytest.raises(BuildError) as caught:
        workers.lay_out_all([job], None)
    assert time.monotonic() - began < 1.5  # interrupted, not waited for
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.path) == ("time-limit", "papers/p1/paper.md")
    assert "paper:p1" in diagnostic.message
    assert "0.05 s" in diagnostic.message


def test_a_worker_pool_says_how_many_workers_it_has() -> None:
    with workers.WorkerPool(1) as pool:
        assert pool.workers == 1
        assert workers.workers_of(pool) == 1
    with workers.WorkerPool() as pool:
        assert workers.workers_of(pool) == workers.default_workers() >= 1
    with ThreadPoolExecutor(2) as threads:
        assert workers.workers_of(threads) == 0


# numbering --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def number_templates(jobs: Jobs) -> NumberTemplates | None:
    path = _laid_out(jobs, numbering.templates_job(jobs))
    return read_pdf(path, partial(NumberTemplates.read, fonts=FONTS))


def test_the_styles_page_numbers_can_be_written_in(number_templates: NumberTemplates | None) -> None:
    assert number_templates is not None
    [figures] = number_templates.faces.values()  # the contents and the index: one face
    assert sorted(figures.glyphs) == list("0123456789")
    assert len(set(figures.glyphs.values())) == 10
    assert figures.width > 0
    assert () in figures.prefixes  # the index's numbers stand alone


def test_number_templates_need_a_bundled_font(jobs: Jobs, tmp_path: Path) -> None:
    """Digits in a font the assembler cannot rebuild from a bundled file cannot be written in."""
    path = _laid_out(jobs, numbering.templates_job(jobs))
    (tmp_path / "fonts").mkdir()
    assert read_pdf(path, partial(NumberTemplates.read, fonts=tmp_path / "fonts")) is None


def _numbers_page(jobs: Jobs, numbers: tuple[str, ...]) -> Path:
    """A page that prints ``numbers`` as the contents and the index do."""
    return _laid_out(jobs, jobs.template(f"numbers:{'-'.join(numbers)}", "stamps.html.j2", heads=[],
                                         folios=[], numbers=numbers))


def test_slots_are_the_runs_of_zeros(jobs: Jobs, number_templates: NumberTemplates | None) -> None:
    assert number_templates is not None
    page = _numbers_page(jobs, ("000", "12", "00", "0000"))
    # Each number is printed twice, in a contents line and in the index's list; "12"
    # is a number, not a place for one.
    assert read_pdf(page, number_templates.slots) == [3, 2, 4, 3, 2, 4]
    assert read_pdf(_numbers_page(jobs, ("12", "345")), number_templates.slots) == []


def test_numbers_are_written_into_the_zeros(
    jobs: Jobs, number_templates: NumberTemplates | None, tmp_path: Path,
) -> None:
    assert number_templates is not None
    page = _numbers_page(jobs, ("000", "12", "00"))
    with pikepdf.open(page) as pdf, pytest.raises(ValueError, match="digits"):
        number_templates.write(pdf, list(pdf.pages), [1234, 56, 789, 10])
    with pikepdf.open(page) as pdf, pytest.raises(ValueError, match="more page numbers"):
        number_templates.write(pdf, list(pdf.pages), [123, 45, 678, 90, 1])
    with pikepdf.open(page) as pdf, pytest.raises(ValueError, match="fewer page numbers"):
        number_templates.write(pdf, list(pdf.pages), [123])
    with pikepdf.open(page) as pdf:
        number_templates.write(pdf, list(pdf.pages), [123, 45, 678, 90])
        pdf.save(tmp_path / "written.pdf")
    lines = [line.strip() for line in _text(tmp_path / "written.pdf", layout=True).splitlines()]
    # The contents' lines, then the index's list (a page's folio between them).
    assert [line.split()[-1] for line in lines if line.startswith("...")] == ["123", "12", "45"]
    assert "678, 12, 90" in lines
    assert read_pdf(tmp_path / "written.pdf", number_templates.slots) == []  # no zeros left
    with pikepdf.open(tmp_path / "written.pdf") as pdf:  # the digits are in the font's widths
        [font] = {f.objgen: f for p in pdf.pages for f in p.obj.Resources.Font.values()
                  if f.get("/DescendantFonts")}.values()
        widths = parse_widths(font.DescendantFonts[0].W)
        [figures] = number_templates.faces.values()
        assert all(widths[int.from_bytes(figures.glyphs[d], "big")] == figures.width for d in "0123456789")


def test_drafts_lay_out_the_contents_only_where_it_moves_other_parts(
    jobs: Jobs, parts: list[Part],
) -> None:
    title, draft = numbering.drafts(jobs, parts)
    assert title.key == "title"
    assert title.draft
    assert title.html.count('class="book-pages" data-page="000"') == 2  # the book's pages, kk and ru
    assert draft.key == "contents"
    assert draft.draft
    assert 'data-page="000"' in draft.html
    assert "part-contents" not in draft.ignore_anchors
    assert "paper-ru-fraud" in draft.ignore_anchors
    contents_last = [p for p in parts if p.key not in ("contents", "index")] + [parts[1]]
    assert [j.key for j in numbering.drafts(jobs, contents_last)] == ["title"]
    index_first = [parts[-1], *parts[:-1]]
    assert sorted(j.key for j in numbering.drafts(jobs, index_first)) == ["contents", "index", "title"]


def test_number_lays_the_contents_out_again_until_its_length_settles(
    jobs: Jobs, parts: list[Part],
) -> None:
    """The contents' draft had one page; laid out with the numbers it has two, which
    moves every part after it: it is laid out again with the moved numbers."""
    layouts = {p.key: _layout(p.key, 1, {p.anchor: 0}) for p in parts if p.key != "index"}
    batches: list[dict[str, Job]] = []

    def run(batch: list[Job]) -> dict[str, PartLayout]:
        batches.append({job.key: job for job in batch})
        return {job.key: _layout(job.key, 2 if job.key == "contents" else 1,
                                 {next(p.anchor for p in parts if p.key == job.key): 0}) for job in batch}

    done, numbers = numbering.number(jobs, parts, layouts, run, None, papers_on_recto=False)
    assert numbers == {}  # without templates the numbers are in the layout
    assert [sorted(b) for b in batches] == [["contents", "index", "title"], ["contents", "index", "title"]]
    assert done["contents"].pages == 2
    # The programme follows the contents: page 3, then 4 once the contents has two pages.
    first, second = (b["contents"].html for b in batches)
    assert 'href="#programme-kk" data-page="3"' in first
    assert 'href="#programme-kk" data-page="4"' in second
    # The title's catalogue line prints the book's pages: one a part, then one more.
    first, second = (b["title"].html for b in batches)
    assert f'class="book-pages" data-page="{len(parts)}"' in first
    assert f'class="book-pages" data-page="{len(parts) + 1}"' in second
    assert not any(job.draft for b in batches for job in b.values())


# stamps -----------------------------------------------------------------------------


def test_possible_heads_are_sorted_unique_and_skip_fixed_parts(parts: list[Part]) -> None:
    heads = stamps.possible_heads(parts)
    assert heads == sorted(set(heads), key=lambda h: (h.side, h.lang, h.text))
    assert len(heads) == len(set(heads))
    expected = {Head("recto", p.head, p.lang or "") for p in parts if not p.fixed}
    expected |= {Head("verso", p.book_head, p.lang or "") for p in parts if not p.fixed}
    assert set(heads) == expected
    assert Head("recto", "Мазмұны", "") in heads
    fixed = Part("title", "title", None, "part-title", "Title head", "Title book head", fixed=True)
    assert stamps.possible_heads([fixed]) == []
    assert stamps.possible_heads([replace(fixed, fixed=False)]) == [
        Head("recto", "Title head", ""), Head("verso", "Title book head", "")]


def test_stamp_plan_gives_folios_and_heads_as_the_book_does() -> None:
    parts = [
        _part("title", "title", None, head="t", book_head="tb", fixed=True),
        _part("contents", "contents", None, head="Contents", book_head="Book"),
        _part("paper:a", "papers", "kk", head="Author · Title", book_head="Кітап"),
        _part("paper:b", "papers", "ru", head="", book_head=""),
    ]
    layouts = {"title": _layout("title", 2), "contents": _layout("contents", 1),
               "paper:a": _layout("paper:a", 3), "paper:b": _layout("paper:b", 2)}
    placements = place(parts, layouts, papers_on_recto=True)
    assert [(p.start, p.end) for p in placements] == [(1, 2), (3, 3), (5, 7), (9, 10)]
    assert stamps.stamp_plan(placements) == {
        3: None,  # a part's first page: a folio, no head
        5: None,
        6: Head("verso", "Кітап", "kk"),  # versos: the book's head
        7: Head("recto", "Author · Title", "kk"),  # rectos: the part's
        9: None,
        10: None,  # a part without heads
    }  # the title pages (1, 2) and the blanks (4, 8) get nothing


@pytest.fixture(scope="module")
def folio_sheet(jobs: Jobs) -> Path:
    return _laid_out(jobs, stamps.sheet_jobs(jobs, [])[1])


def _run_of(form: Any) -> tuple[list[bytes] | None, float]:
    """The glyphs of a folio form's one text run, and the x of its text matrix."""
    instructions = list(pikepdf.parse_content_stream(form))
    [run] = [i for i in instructions if str(i.operator) in ("TJ", "Tj")]
    [matrix] = [i for i in instructions if str(i.operator) == "Tm"]
    return instruction_glyphs(run), float(matrix.operands[4])


def test_folio_templates_make_any_folio(folio_sheet: Path) -> None:
    with pikepdf.open(folio_sheet) as sheet:
        assert len(sheet.pages) == len(stamps.TEMPLATE_FOLIOS)
        templates = FolioTemplates.read(sheet)
        assert templates is not None
        glyphs = templates.glyphs
        assert sorted(glyphs) == list("0123456789")
        assert len(set(glyphs.values())) == 10
        recto = sheet.make_indirect(sheet.pages[0].as_form_xobject())
        verso = sheet.make_indirect(sheet.pages[1].as_form_xobject())
        one = _run_of(sheet.pages[0])
        assert one[0] == [glyphs["1"]]
        seven = _run_of(templates.form(sheet, recto, 7))
        assert seven[0] == [glyphs["7"]]
        wide = _run_of(templates.form(sheet, recto, 123))
        assert wide[0] == [glyphs["1"], glyphs["2"], glyphs["3"]]
        # A centred folio: the wider the number, the further left it starts.
        assert wide[1] < one[1]
        # The verso 10 made from the verso 1 is where the laid-out verso 10 is.
        ten = _run_of(templates.form(sheet, verso, 10))
        laid_out_ten = _run_of(sheet.pages[3])
        assert ten[0] == laid_out_ten[0] == [glyphs["1"], glyphs["0"]]
        assert ten[1] == pytest.approx(laid_out_ten[1], abs=0.01)
        form = templates.form(sheet, recto, 7)
        assert form.Subtype == "/Form"
        assert "/Resources" in form


def test_a_sheet_of_several_runs_makes_no_folio_templates(jobs: Jobs) -> None:
    page = _laid_out(jobs, jobs.template("stamps:not-folios", "stamps.html.j2", heads=[], folios=[],
                                         numbers=("12", "34")))
    assert read_pdf(page, FolioTemplates.read) is None


def test_sheets_use_the_folio_templates_and_find_every_head(jobs: Jobs, parts: list[Part]) -> None:
    heads = stamps.possible_heads(parts)
    sheet_jobs = stamps.sheet_jobs(jobs, heads)
    layouts = {job.key: stored(jobs.cache, job.digest) or workers.lay_out(job) for job in sheet_jobs}

    def run(batch: list[Job]) -> dict[str, PartLayout]:
        raise AssertionError("folio sheets laid out")

    sheets, laid_out = stamps.sheets(jobs, heads, layouts, 250, run)
    assert laid_out == {}
    assert sheets.folio_templates == jobs.cache / layouts["stamps:folio-templates"].pdf_name
    assert sheets.folio_pdfs == []
    assert sheets.heads_pdf == jobs.cache / layouts["stamps:heads"].pdf_name
    assert set(sheets.head_pages) == set(heads)
    assert len(set(sheets.head_pages.values())) == len(heads)  # a page each
    # Recto heads on rectos (even indices from 0), verso heads on versos.
    assert all(index % 2 == (head.side == "verso") for head, index in sheets.head_pages.items())
    text = _text(sheets.heads_pdf)
    assert all(head.text.split()[0] in text for head in heads)


# fonts ------------------------------------------------------------------------------


def _bundled_fonts(pdf: pikepdf.Pdf) -> dict[str, set[tuple[int, int]]]:
    """The Type 0 font objects the pages use, by face."""
    found: dict[str, set[tuple[int, int]]] = {}
    for page in pdf.pages:
        for font in page.obj.Resources.Font.values():
            if font.get("/Subtype") == "/Type0":
                found.setdefault(str(font.BaseFont).split("+")[-1], set()).add(font.objgen)
    return found


@pytest.fixture(scope="module")
def two_parts(jobs: Jobs) -> tuple[Path, Path]:
    first = jobs.job("fonts:a", _html("<p>Алма <b>жүзім</b></p>", "kk"))
    second = jobs.job("fonts:b", _html("<p>Quartz zebra <b>XYZ</b></p>", "en"))
    return _laid_out(jobs, first), _laid_out(jobs, second)


def _drawn_glyphs(pdf: pikepdf.Pdf) -> dict[str, set[int]]:
    """The glyph ids the pages draw, by face."""
    drawn: dict[str, set[int]] = {}
    for page in pdf.pages:
        faces = {name: str(font.BaseFont).split("+")[-1] for name, font in page_fonts(page).items()}
        for _span, name, run in text_runs(drawing(page)):
            for hexadecimal in re.findall(rb"<([0-9a-fA-F]*)>", run):
                ids = bytes.fromhex(hexadecimal.decode())
                drawn.setdefault(faces[name], set()).update(
                    int.from_bytes(ids[i:i + 2], "big") for i in range(0, len(ids), 2))
    return drawn


def test_unify_fonts_leaves_one_font_per_face(two_parts: tuple[Path, Path], tmp_path: Path) -> None:
    book = pikepdf.new()
    opened = [pikepdf.open(path) for path in two_parts]
    try:
        drawn = [_drawn_glyphs(pdf) for pdf in opened]
        for pdf in opened:
            book.pages.extend(pdf.pages)
        before = _bundled_fonts(book)
        assert set(before) == {"Book-Serif", "Book-Serif-Bold"}
        assert all(len(objects) == 2 for objects in before.values())  # one per part
        layout_fonts.unify_fonts(book, FONTS, tmp_path)
        after = _bundled_fonts(book)
        assert set(after) == set(before)
        assert all(len(objects) == 1 for objects in after.values())
        for face, objects in after.items():
            [font] = [book.get_object(objgen) for objgen in objects]
            both = drawn[0][face] | drawn[1][face]
            assert drawn[0][face] - drawn[1][face]
            assert drawn[1][face] - drawn[0][face]
            assert set(parse_widths(font.DescendantFonts[0].W)) >= both
            program = font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
            with TTFont(io.BytesIO(program)) as subset:  # a subset of the file, not a stub
                order = subset.getGlyphOrder()
                outlined = {g for g in both if subset["glyf"][order[g]].numberOfContours}
            assert outlined == both - {3}  # every glyph drawn but the space
        book.save(tmp_path / "book.pdf")
    finally:
        for pdf in opened:
            pdf.close()
    text = " ".join(_text(tmp_path / "book.pdf").split())
    assert "Алма жүзім" in text
    assert "Quartz zebra XYZ" in text
    assert list(tmp_path.glob("font-*.ttf"))  # the subsets are cached


def test_unify_fonts_leaves_fonts_not_bundled_alone(two_parts: tuple[Path, Path], tmp_path: Path) -> None:
    (tmp_path / "fonts").mkdir()
    book = pikepdf.new()
    with pikepdf.open(two_parts[0]) as first, pikepdf.open(two_parts[1]) as second:
        book.pages.extend(first.pages)
        book.pages.extend(second.pages)
        before = _bundled_fonts(book)
        layout_fonts.unify_fonts(book, tmp_path / "fonts", tmp_path)
        assert _bundled_fonts(book) == before
    assert not list(tmp_path.glob("font-*.ttf"))


# assemble ---------------------------------------------------------------------------


def _sheets(name: str = "heads.pdf") -> Sheets:
    return Sheets(Path(name), {Head("recto", "Head", "ru"): 0}, folio_templates=Path("folios.pdf"))


def test_an_assembly_recipe_changes_with_what_the_book_is_made_of() -> None:
    part = _part("paper:a", "papers")
    layout = _layout("paper:a", 3)

    def assembly(start: int = 1, numbers: dict[str, list[int]] | None = None, shift: float = 5.0,
                 sheets: Sheets | None = None, metadata: str = "<x:xmpmeta/>") -> Assembly:
        return Assembly([Placement(part, layout, start)], sheets or _sheets(), verso_shift=shift,
                        page_size=(595.0, 842.0), numbers=numbers or {"contents": [3, 7]},
                        number_templates=None, metadata=metadata)

    recipe = assembly().recipe("common")
    json.dumps(recipe)  # a recipe names the book's file through its JSON
    assert assembly().recipe("common") == recipe
    assert assembly(start=2).recipe("common") != recipe
    assert assembly(numbers={"contents": [3, 8]}).recipe("common") != recipe
    assert assembly(shift=4.0).recipe("common") != recipe
    assert assembly(sheets=_sheets("other-heads.pdf")).recipe("common") != recipe
    assert assembly(metadata="<x:xmpmeta>other</x:xmpmeta>").recipe("common") != recipe
    assert assembly().recipe("other") != recipe
    moved = Assembly([Placement(part, replace(layout, digest="other"), 1)], _sheets(), 5.0,
                     (595.0, 842.0), {"contents": [3, 7]}, None, "<x:xmpmeta/>")
    assert moved.recipe("common") != recipe


@pytest.fixture(scope="module")
def minibook_parts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Assembly, str]:
    """The minibook built once, with the Assembly and the style's digest it was assembled from."""
    from proceedings.build import BuildOptions, build
    from proceedings.layout.assemble import assembled

    out = tmp_path_factory.mktemp("stages-minibook")
    seen: list[tuple[Assembly, str]] = []

    def spy(assembly: Assembly, cache: Path, fonts: Path, common: str) -> tuple[bytes, bool]:
        seen.append((assembly, common))
        return assembled(assembly, cache, fonts, common)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("proceedings.layout.typeset.assembled", spy)
        build(BuildOptions(sources=MINIBOOK, out=out))
    [(assembly, common)] = seen
    return out, assembly, common


def _copy_cache(out: Path, tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    shutil.copytree(out / ".cache", cache)
    return cache


def _sheets_in(assembly: Assembly, cache: Path) -> Assembly:
    """``assembly`` with its stamp sheets in ``cache``."""
    sheets = assembly.sheets
    folios = sheets.folio_templates
    return replace(assembly, sheets=replace(
        sheets, heads_pdf=cache / sheets.heads_pdf.name,
        folio_templates=cache / folios.name if folios else None,
        folio_pdfs=[cache / p.name for p in sheets.folio_pdfs]))


def test_assemble_puts_the_cached_parts_together(
    minibook_parts: tuple[Path, Assembly, str], tmp_path: Path,
) -> None:
    from proceedings.layout.assemble import assemble

    out, assembly, _common = minibook_parts
    book = (out / "proceedings.pdf").read_bytes()
    cache = _copy_cache(out, tmp_path)
    again = assemble(_sheets_in(assembly, cache), cache, FONTS)
    assert again == book  # the same parts, places and stamps: the same bytes
    with pikepdf.open(out / "proceedings.pdf") as pdf:
        assert len(pdf.pages) == assembly.placements[-1].end
        names = pikepdf.NameTree(pdf.Root.Names.Dests)
        for placement in assembly.placements:  # every part's first anchor leads to its first page
            destination = names[placement.part.anchor]
            assert pdf.pages.index(pikepdf.Page(destination[0])) + 1 == placement.start


def test_assembled_takes_the_book_from_the_cache(
    minibook_parts: tuple[Path, Assembly, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from proceedings.layout import assemble as assemble_module

    out, assembly, common = minibook_parts
    book = (out / "proceedings.pdf").read_bytes()
    cache = _copy_cache(out, tmp_path)
    [stored_book] = cache.glob("book-*.pdf")

    def fail(*args: object) -> bytes:
        raise AssertionError("assembled again")

    monkeypatch.setattr(assemble_module, "assemble", fail)
    assert assemble_module.assembled(assembly, cache, FONTS, common) == (book, True)
    # Another recipe is assembled anew, and replaces the book kept before.
    another = _blank_pdf(assembly.placements[-1].end)
    monkeypatch.setattr(assemble_module, "assemble", lambda *args: another)
    moved = replace(assembly, verso_shift=assembly.verso_shift + 1)
    assert assemble_module.assembled(moved, cache, FONTS, common) == (another, True)
    [kept] = cache.glob("book-*.pdf")
    assert kept != stored_book
    assert kept.read_bytes() == another
    # A book that is not sound is given to the build to refuse, and not kept.
    monkeypatch.setattr(assemble_module, "assemble", lambda *args: _blank_pdf(1))
    unsound = replace(assembly, verso_shift=assembly.verso_shift + 2)
    assert assemble_module.assembled(unsound, cache, FONTS, common) == (_blank_pdf(1), False)
    assert list(cache.glob("book-*.pdf")) == [kept]


def _blank_pdf(pages: int) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    data = io.BytesIO()
    pdf.save(data, deterministic_id=True)
    return data.getvalue()


# patches ----------------------------------------------------------------------------


def test_the_pydyf_internals_the_engine_patches_are_there() -> None:
    missing = patches.check_internals()
    assert missing == [], "the installed pydyf lacks: " + "; ".join(missing)


@pytest.fixture(scope="module")
def small_layout(jobs: Jobs) -> Any:
    from proceedings.pdf import paginate

    return paginate(_html("<p>Алма жүзім</p>", "kk"), styles=STYLES,
                    stylesheets=[Path(p) for p in jobs.stylesheets], allowed=[STYLES, FONTS])


def test_compression_level_holds_in_its_context_only(small_layout: Any) -> None:
    from proceedings.pdf import pdf_bytes

    plain = pdf_bytes(small_layout, identifier=b"x")
    with patches.compression_level(0):
        stored_streams = pdf_bytes(small_layout, identifier=b"x")
    assert len(stored_streams) > len(plain)  # level 0 stores the streams as they are
    assert pdf_bytes(small_layout, identifier=b"x") == plain


def test_a_fingerprint_never_reads_outside_the_sources(
    style_tree: tuple[Path, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A link from a paper's folder to a file or folder outside the sources counts as
    where it points: what lies there is never read (the layout refuses it anyway)."""
    styles, fonts, root = style_tree
    paper = Part("paper:p1", "papers", "ru", "paper-p1", "head", "book head")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"the editor's own file")
    (root / "papers" / "p1" / "big.bin").symlink_to(outside / "big.bin")
    (root / "papers" / "p1" / "folder").symlink_to(outside)
    (root / "papers" / "p1" / "loop").symlink_to(root / "papers" / "p1" / "loop")
    (root / "papers" / "p2" / "shared.png").write_bytes(b"shared pixels")
    (root / "papers" / "p1" / "shared.png").symlink_to(root / "papers" / "p2" / "shared.png")
    read: list[Path] = []
    real_digest = layout_cache.file_digest

    def recording(path: Path) -> bytes:
        read.append(path)
        return real_digest(path)

    monkeypatch.setattr(layout_cache, "file_digest", recording)
    before = Fingerprint(styles, fonts, root).of(paper, "<p>text</p>")
    assert all(path.resolve().is_relative_to(root.resolve()) for path in read)
    assert root / "papers" / "p1" / "shared.png" in read  # a link inside the sources is followed
    (outside / "big.bin").write_bytes(b"changed, and never read")
    (outside / "new.bin").write_bytes(b"never read either")
    assert Fingerprint(styles, fonts, root).of(paper, "<p>text</p>") == before
    (root / "papers" / "p1" / "big.bin").unlink()
    (root / "papers" / "p1" / "big.bin").symlink_to(outside / "new.bin")
    assert Fingerprint(styles, fonts, root).of(paper, "<p>text</p>") != before


def test_digests_read_a_large_file_in_chunks(tmp_path: Path) -> None:
    """A stray large file in a paper's folder is hashed without being held in memory."""
    big = tmp_path / "folder" / "stray.bin"
    big.parent.mkdir()
    with big.open("wb") as handle:  # sparse: 256 MB of zeros that take no disk
        handle.truncate(256 * 1024 * 1024)
    tracemalloc.start()
    try:
        digest = files.file_digest(big)
        tree = files.tree_digest([big.parent])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024
    expected = hashlib.sha256()
    with big.open("rb") as handle:
        while chunk := handle.read(1 << 24):
            expected.update(chunk)
    assert digest == expected.digest()
    assert len(tree) == 64
