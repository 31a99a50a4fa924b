"""End to end: the minibook goes to a PDF whose pages agree with the manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pypdf import PdfReader

from .conftest import MINIBOOK


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).casefold().strip()


def test_manifest_lists_every_part_and_paper(minibook_build: Path) -> None:
    manifest = json.loads((minibook_build / "manifest.json").read_text(encoding="utf-8"))
    kinds = [(p["kind"], p["lang"]) for p in manifest["parts"]]
    assert kinds == [
        ("title", None), ("contents", None),
        ("programme", "kk"), ("programme", "ru"),
        ("participants", "kk"), ("participants", "ru"),
        ("resolution", "kk"), ("resolution", "ru"),
        ("index", None),
    ]
    assert [p["id"] for p in manifest["papers"]] == ["kk-digital", "ru-fraud", "en-aviation"]
    assert [p["lang"] for p in manifest["papers"]] == ["kk", "ru", "en"]
    reader = PdfReader(minibook_build / "proceedings.pdf")
    assert manifest["pages"] == len(reader.pages)


def test_each_paper_title_is_on_its_manifest_pages(minibook_build: Path) -> None:
    manifest = json.loads((minibook_build / "manifest.json").read_text(encoding="utf-8"))
    reader = PdfReader(minibook_build / "proceedings.pdf")
    for paper in manifest["papers"]:
        first, last = paper["pdf_pages"]
        assert first <= last
        first_text = _norm(reader.pages[first - 1].extract_text())
        assert _norm(paper["title"]) in first_text
        surname = _norm(paper["authors"][0]).split()[0]
        assert surname in first_text
    starts = [p["pdf_pages"][0] for p in manifest["papers"]]
    ends = [p["pdf_pages"][1] for p in manifest["papers"]]
    # Each paper starts on a page of its own.
    assert all(start > end for start, end in zip(starts[1:], ends, strict=False))


def test_contents_page_numbers_equal_manifest_pages(minibook_build: Path) -> None:
    manifest = json.loads((minibook_build / "manifest.json").read_text(encoding="utf-8"))
    reader = PdfReader(minibook_build / "proceedings.pdf")
    contents = next(p for p in manifest["parts"] if p["kind"] == "contents")
    first, last = contents["pdf_pages"]
    text = "\n".join(reader.pages[i - 1].extract_text() for i in range(first, last + 1))
    flat = _norm(text)
    for paper in manifest["papers"]:
        match = re.search(re.escape(_norm(paper["title"])) + r"[ .]*?(\d+)", flat)
        assert match, paper["title"]
        assert int(match[1]) == paper["pdf_pages"][0]
    for part in manifest["parts"]:
        if part["kind"] == "programme":
            label = {"kk": "бағдарлама", "ru": "программа"}[part["lang"]]
            match = re.search(label + r"[ .]*?(\d+)", flat)
            assert match
            assert int(match[1]) == part["pdf_pages"][0]


def test_parts_hold_their_content(minibook_build: Path) -> None:
    manifest = json.loads((minibook_build / "manifest.json").read_text(encoding="utf-8"))
    reader = PdfReader(minibook_build / "proceedings.pdf")

    def part_text(kind: str, lang: str | None) -> str:
        part = next(p for p in manifest["parts"] if p["kind"] == kind and p["lang"] == lang)
        first, last = part["pdf_pages"]
        return _norm(" ".join(reader.pages[i - 1].extract_text() for i in range(first, last + 1)))

    assert "конференцияның бағдарламасы" in part_text("programme", "kk")
    assert "10.25–10.40" in part_text("programme", "ru")
    assert "петров" in part_text("participants", "ru")
    assert "резолюция" in part_text("resolution", "ru")
    assert "қарары" in part_text("resolution", "kk")
    assert "ахметова" in part_text("index", None)
    assert "цифрлық дәуірдегі құқық тәртібі" in part_text("title", None)


def test_fonts_are_bundled_and_embedded(minibook_build: Path) -> None:
    reader = PdfReader(minibook_build / "proceedings.pdf")
    fonts: set[str] = set()
    for page in reader.pages:
        resources = page["/Resources"]
        for font in resources.get("/Font", {}).values():
            obj = font.get_object()
            fonts.add(str(obj["/BaseFont"]))
            descendant = obj.get("/DescendantFonts")
            descriptor = (descendant[0].get_object() if descendant else obj).get("/FontDescriptor")
            assert descriptor is not None
            descriptor = descriptor.get_object()
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts
    # Only the @font-face families of styles/css/fonts.css: no system font slipped in.
    assert all(name.split("+")[-1].startswith("Book-") for name in fonts), fonts


def test_build_does_not_modify_sources(tmp_path: Path) -> None:
    import hashlib
    import shutil

    from proceedings.build import BuildOptions, build

    copy = tmp_path / "sources"
    shutil.copytree(MINIBOOK, copy)

    def digest() -> dict[str, str]:
        return {
            str(p.relative_to(copy)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(copy.rglob("*")) if p.is_file()
        }

    before = digest()
    build(BuildOptions(sources=copy, out=tmp_path / "out"))
    assert digest() == before
    assert (tmp_path / "out" / "proceedings.pdf").stat().st_size > 0
