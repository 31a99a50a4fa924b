"""The print PDF: boxes, signatures, the final imprint, fonts, no links, and the strict gate."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from proceedings.cli import main
from proceedings.printing import PRINT_NAME, conventional_sheets, padded

from . import pdfread
from .conftest import FIXTURES, MINIBOOK, make_case

MM = 72 / 25.4
BLEED_PT = 3 * MM  # 8.504 pt
SLUG_PT = 10 * MM
A4 = (595.276, 841.89)


def _trim(path: Path, page: int) -> tuple[float, float, float, float]:
    """The page's TrimBox (its MediaBox when it has none) as (x0, top, x1, bottom) from the
    MediaBox's top left corner, as pdfread's regions are given."""
    box = PdfReader(path).pages[page - 1]
    media = [float(v) for v in box.mediabox]
    trim = [float(v) for v in box.get("/TrimBox", box.mediabox)]
    return (trim[0] - media[0], media[3] - trim[3], trim[2] - media[0], media[3] - trim[1])


def _text(path: Path, page: int) -> str:
    """The text inside the trim: what the reader sees (not the slug's information line)."""
    return re.sub(r"\s+", " ", pdfread.text(path, page, _trim(path, page))).strip()


def _foot(path: Path, page: int) -> str:
    """The text of the page's foot margin, where the folio is."""
    x0, _, x1, bottom = _trim(path, page)
    return pdfread.text(path, page, (x0, bottom - 60, x1, bottom)).strip()


def test_trim_and_bleed_boxes(minibook_print: Path) -> None:
    reader = PdfReader(minibook_print / PRINT_NAME)
    for page in reader.pages:
        trim = [float(v) for v in page["/TrimBox"]]
        bleed = [float(v) for v in page["/BleedBox"]]
        assert trim[2] - trim[0] == pytest.approx(A4[0], abs=0.01)
        assert trim[3] - trim[1] == pytest.approx(A4[1], abs=0.01)
        for outer, inner, sign in zip(bleed, trim, (-1, -1, 1, 1), strict=True):
            assert outer - inner == pytest.approx(sign * BLEED_PT, abs=0.01)
        # Past the bleed, a slug of 10 mm or more holds the crop marks and the page's line.
        media = [float(v) for v in page.mediabox]
        for outer, inner, sign in zip(media, bleed, (-1, -1, 1, 1), strict=True):
            assert (outer - inner) * sign >= SLUG_PT - 0.01


def test_crop_marks_outside_the_bleed_and_the_page_line_in_the_slug(minibook_print: Path) -> None:
    """The marks start 3 mm or more from the trim (clear of the bleed); the slug names the
    file, the page and the date; preflight checks the boxes."""
    from proceedings.preflight import PreflightOptions, preflight

    pdf = minibook_print / PRINT_NAME
    pages = len(PdfReader(pdf).pages)
    width, height = pdfread.page_size(pdf, 1)
    x0, _, _, bottom = _trim(pdf, 1)
    image = pdfread.render(pdf, 1, 72, grey=True)
    scale = image.width / width

    def ink(x: float, y: float) -> bool:
        return bool(image.getpixel((int(x * scale), int(y * scale))) < 128)

    # Below the trim's bottom left corner: the vertical mark runs down from 3 mm past the
    # bleed to the slug's edge, and nothing is drawn in the bleed itself.
    column = [y for y in range(int(bottom), int(height)) if ink(x0, y) or ink(x0 - 0.5, y)]
    assert column
    assert min(column) >= bottom + BLEED_PT + 3 * MM - 1
    for number in (1, pages):
        slug = " ".join(pdfread.text(pdf, number, (0, bottom, width, height)).split())
        assert re.fullmatch(rf"{PRINT_NAME} · {number} / {pages} · \d{{4}}-\d{{2}}-\d{{2}}", slug), slug
    assert preflight(pdf, PreflightOptions(print=True)) == []


def test_preflight_refuses_a_slug_too_narrow_for_the_marks(minibook_print: Path, tmp_path: Path) -> None:
    import pikepdf

    from proceedings.preflight import PreflightOptions, preflight

    narrow = tmp_path / "narrow.pdf"
    with pikepdf.open(minibook_print / PRINT_NAME) as pdf:
        for page in pdf.pages:
            bleed = [float(v) for v in page.obj.BleedBox]
            page.obj.MediaBox = pikepdf.Array([bleed[0] - 5 * MM, bleed[1] - 5 * MM,
                                               bleed[2] + 5 * MM, bleed[3] + 5 * MM])
        pdf.save(narrow)
    found = preflight(narrow, PreflightOptions(print=True))
    assert found
    assert {d.code for d in found} == {"page-box"}
    assert "page 1: a slug of 5.0 mm past the bleed: crop marks need 10 mm" in [d.message for d in found]


def test_padded_to_the_signature_with_blanks_before_the_final_imprint(minibook_print: Path) -> None:
    pdf = minibook_print / PRINT_NAME
    manifest = json.loads((minibook_print / "screen" / "manifest.json").read_text(encoding="utf-8"))
    book_pages = manifest["pages"]
    total = len(PdfReader(pdf).pages)
    assert total % 8 == 0  # signature: 8 in PRINT_BLOCK
    assert total == padded(book_pages + 1, 8)
    # The book's own pages come first, unchanged in number; then blanks; the imprint last.
    for number in range(book_pages + 1, total):
        assert _text(pdf, number) == "", number
    last = _text(pdf, total)
    assert "Усл. печ. л." in last
    assert "Шартты баспа табағы" in last
    sheets = f"{conventional_sheets(total, '60×84/8'):.2f}".replace(".", ",")
    assert f"Усл. печ. л. {sheets}." in last
    assert "Тираж 100 экз." in last
    assert "Заказ № 17." in last
    assert "Типография «Алматы»" in last
    assert "Подписано в печать 10.04.2025" in last
    # No blank inside a paper: every paper page keeps its screen folio and has text.
    screen = minibook_print / "screen" / "proceedings.pdf"
    for paper in manifest["papers"]:
        first, last_page = paper["pdf_pages"]
        assert last_page <= book_pages
        for number in range(first, last_page + 1):
            assert _text(pdf, number)
            assert _foot(pdf, number) == _foot(screen, number) == str(number)


def test_default_signature_is_four_without_a_final_imprint(tmp_path: Path) -> None:
    from proceedings.printing import PrintOptions, print_book

    result = print_book(PrintOptions(sources=MINIBOOK, out=tmp_path))
    assert result.pdf is not None
    reader = PdfReader(result.pdf)
    assert len(reader.pages) == result.pages
    assert result.pages % 4 == 0
    assert result.blank_pages == result.pages - len(PdfReader(_screen(tmp_path)).pages)
    assert all(_text(result.pdf, n) == "" for n in range(result.pages - result.blank_pages + 1,
                                                         result.pages + 1))
    assert "/ProceedingsOverride" not in (reader.metadata or {})


def _screen(tmp_path: Path) -> Path:
    from proceedings.build import BuildOptions, build

    result = build(BuildOptions(sources=MINIBOOK, out=tmp_path / "screen"))
    assert result.pdf is not None
    return result.pdf


def test_fonts_embedded_and_no_annotations(minibook_print: Path) -> None:
    pdf = minibook_print / PRINT_NAME
    fonts = pdfread.fonts(pdf)
    assert fonts
    for font in fonts:
        assert font.embedded, font
    reader = PdfReader(pdf)
    assert all("/Annots" not in page for page in reader.pages)


def test_pdfx_output_intent_and_pure_black_text(minibook_print: Path) -> None:
    reader = PdfReader(minibook_print / PRINT_NAME)
    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0].get_object()["/S"] == "/GTS_PDFX"
    data = b"".join(page.get_contents().get_data() for page in reader.pages)
    assert b" rg" not in data
    assert b" RG" not in data
    assert b"0 g" in data


def test_qpdf_check_is_clean(minibook_print: Path) -> None:
    assert pdfread.structure_problems(minibook_print / PRINT_NAME) == []


def test_print_refuses_warnings_and_records_an_override(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    sources = make_case(FIXTURES / "broken" / "dangling-citation", tmp_path)
    out = tmp_path / "out"
    assert main(["print", str(sources), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "[citation]" in err
    assert "--override-findings" in err
    assert not (out / PRINT_NAME).exists()
    reason = "the author confirmed the reference by telephone"
    assert main(["print", str(sources), "--out", str(out), "--override-findings", reason]) == 0
    err = capsys.readouterr().err
    assert "1 warnings overridden" in err
    assert "preflight passed" in err
    metadata = PdfReader(out / PRINT_NAME).metadata
    assert metadata is not None
    assert metadata["/ProceedingsOverride"] == reason
    assert metadata["/ProceedingsOverriddenWarnings"] == "1"


def test_override_never_covers_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources = make_case(FIXTURES / "broken" / "unknown-person", tmp_path)
    out = tmp_path / "out"
    assert main(["print", str(sources), "--out", str(out), "--override-findings", "anyway"]) == 1
    assert "[unknown-person]" in capsys.readouterr().err
    assert not (out / PRINT_NAME).exists()


def test_conventional_sheets() -> None:
    # 160 pages of 60×84/16: ten physical sheets, 9.33 conventional ones.
    assert conventional_sheets(160, "60×84/16") == 9.33
    assert conventional_sheets(16, "60x84/8") == 1.87
    with pytest.raises(ValueError, match="not a press format"):
        conventional_sheets(16, "A4")
    assert padded(13, 4) == 16
    assert padded(16, 8) == 16
    assert padded(17, 16) == 32
