"""The English A5 workshop (tests/fixtures/workshop), built and read back: a book in
English conventions throughout, with none of the Russian or Kazakh ones."""

from __future__ import annotations

import json
from pathlib import Path

from . import pdfread


def _pages(out: Path) -> list[str]:
    pdf = out / "proceedings.pdf"
    return [pdfread.text(pdf, n) for n in range(1, pdfread.page_count(pdf) + 1)]


def test_the_workshop_builds_on_a5_with_its_parts(workshop_build: Path) -> None:
    pdf = workshop_build / "proceedings.pdf"
    width, height = pdfread.page_size(pdf, 1)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (148, 210)
    manifest = json.loads((workshop_build / "manifest.json").read_text(encoding="utf-8"))
    assert [p["id"] for p in manifest["papers"]] == ["discourse-markers", "speech-rate", "line-length",
                                                      "open-questions"]
    kinds = [part["kind"] for part in manifest["parts"]]
    assert "resolution" not in kinds
    assert {"programme", "participants"} <= set(kinds)


def test_the_workshop_speaks_english(workshop_build: Path) -> None:
    text = "\n".join(_pages(workshop_build))
    for label in ("Contents", "Workshop programme", "List of participants", "References", "Author index",
                  "Table 1", "Coffee break"):
        assert label in text
