"""Visual regression: chosen pages of the 2024 book against committed images.

Pages are rendered with PDFium (pypdfium2) and compared pixel by pixel within a tolerance.
On a mismatch the actual, expected and difference images go to tests/results/.
Regenerate the committed images with ``make golden`` after reviewing the change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from . import pdfread
from .conftest import TESTS

GOLDEN = TESTS / "golden" / "png"
RESULTS = TESTS / "results"
RESOLUTION = 40
# Mean difference per channel (0–255) and the share of pixels that may differ at all.
MAX_MEAN = 1.5
MAX_CHANGED = 0.01


def _pages(out: Path) -> dict[str, int]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    part = {(p["kind"], p["lang"]): p["pdf_pages"][0] for p in manifest["parts"]}
    papers = {p["id"]: p for p in manifest["papers"]}
    first_kk = next(p for p in manifest["papers"] if p["lang"] == "kk")
    p17_first, p17_last = papers["p17"]["pdf_pages"]
    pdf = out / "proceedings.pdf"
    table_page = next(
        page for page in range(p17_first, p17_last + 1) if "Кесте 1" in pdfread.text(pdf, page)
    )
    return {
        "title": part[("title", None)],
        "contents": part[("contents", None)],
        "programme-kk": part[("programme", "kk")],
        # The Russian programme's second page: the recto of a spread, its rows spaced out
        # to end with the verso (``pdf.fill_mark``).
        "programme-ru-recto": part[("programme", "ru")] + 1,
        "paper-kk-first": first_kk["pdf_pages"][0],
        "table": table_page,
        "index": part[("index", None)],
    }


def _render(pdf: Path, page: int, target: Path) -> Image.Image:
    image = pdfread.render(pdf, page, RESOLUTION)
    image.save(target)
    return image


@pytest.mark.visual
@pytest.mark.parametrize(
    "name", ["title", "contents", "programme-kk", "programme-ru-recto", "paper-kk-first", "table", "index"]
)
def test_page_looks_as_committed(name: str, book2024: Path, tmp_path: Path) -> None:
    page = _pages(book2024)[name]
    expected_path = GOLDEN / f"{name}.png"
    if os.environ.get("UPDATE_GOLDEN"):
        _render(book2024 / "proceedings.pdf", page, expected_path)
        pytest.skip("golden image written")
    actual = _render(book2024 / "proceedings.pdf", page, tmp_path / f"{name}.png")
    expected = Image.open(expected_path).convert("RGB")
    mismatch = actual.size != expected.size
    if not mismatch:
        diff = ImageChops.difference(actual, expected)
        histogram = diff.convert("L").histogram()
        changed = sum(histogram[33:]) / sum(histogram)
        mean = sum(ImageStat.Stat(diff).mean) / 3
        mismatch = mean > MAX_MEAN or changed > MAX_CHANGED
    if mismatch:
        RESULTS.mkdir(exist_ok=True)
        actual.save(RESULTS / f"{name}-actual.png")
        expected.save(RESULTS / f"{name}-expected.png")
        if actual.size == expected.size:
            ImageChops.difference(actual, expected).save(RESULTS / f"{name}-diff.png")
        pytest.fail(f"page {page} ({name}) differs from {expected_path}; see {RESULTS}")
