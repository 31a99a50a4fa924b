"""The merged font subsets the assembler embeds, one per face."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from proceedings.layout import fonts as fontmerge

from .conftest import REPO

FONT = REPO / "fonts" / "LiberationSerif-Regular.ttf"


def _glyph_of(char: str) -> int:
    with TTFont(FONT) as font:
        return int(font.getGlyphID(font.getBestCmap()[ord(char)]))


@pytest.mark.parametrize("harfbuzz", [True, False])
def test_a_subset_keeps_the_chosen_glyphs_where_they_were(
    harfbuzz: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not harfbuzz:  # where the HarfBuzz libraries are missing, fontTools cuts the subset
        monkeypatch.setattr(fontmerge, "_harfbuzz", lambda: None)
    elif fontmerge._harfbuzz() is None:
        pytest.skip("libharfbuzz-subset0 is not installed (make installs it when run as root)")
    kept, dropped = _glyph_of("Ж"), _glyph_of("Q")
    program = fontmerge.subset_program(FONT, {kept}, tmp_path)
    with TTFont(io.BytesIO(program)) as font:
        glyf = font["glyf"]
        order = font.getGlyphOrder()
        assert dropped < kept
        assert font["maxp"].numGlyphs == kept + 1  # ids kept, up to the last one kept
        assert glyf[order[kept]].numberOfContours > 0
        assert glyf[order[dropped]].numberOfContours == 0
        assert "GSUB" not in font
        assert "GPOS" not in font
    # Cached by its inputs: the same request gives the same bytes without cutting again.
    assert list(tmp_path.glob("font-*.ttf"))
    assert fontmerge.subset_program(FONT, {kept}, tmp_path) == program
