"""Preflight: the good print PDF passes; each defect, added to a copy of it, is refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, NumberObject, StreamObject

from proceedings.cli import main
from proceedings.preflight import PreflightOptions, preflight
from proceedings.printing import PRINT_NAME

PRINT = PreflightOptions(signature=8, print=True)


def _codes(path: Path, opts: PreflightOptions = PRINT) -> set[str]:
    return {d.code for d in preflight(path, opts)}


def _broken(good: Path, dest: Path, change: Callable[[PdfWriter], None]) -> Path:
    writer = PdfWriter(clone_from=PdfReader(good))
    change(writer)
    writer.write(dest)
    return dest


def _append(page: object, data: bytes) -> None:
    contents = page.get_contents()  # type: ignore[attr-defined]
    stream = DecodedStreamObject()
    stream.set_data(contents.get_data() + b"\n" + data)
    page.replace_contents(stream)  # type: ignore[attr-defined]


def _image(writer: PdfWriter, page_index: int, pixels: int, points: float) -> None:
    """A grey image of ``pixels``² drawn ``points`` wide on the page."""
    image = StreamObject()
    image._data = bytes(pixels * pixels)
    image.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Image"),
        NameObject("/Width"): NumberObject(pixels),
        NameObject("/Height"): NumberObject(pixels),
        NameObject("/ColorSpace"): NameObject("/DeviceGray"),
        NameObject("/BitsPerComponent"): NumberObject(8),
    })
    page = writer.pages[page_index]
    resources = page["/Resources"].get_object()
    if "/XObject" not in resources:
        resources[NameObject("/XObject")] = DictionaryObject()
    resources["/XObject"].get_object()[NameObject("/ImTest")] = writer._add_object(image)
    _append(page, f"q {points} 0 0 {points} 100 100 cm /ImTest Do Q".encode())


@pytest.fixture
def good(minibook_print: Path) -> Path:
    return minibook_print / PRINT_NAME


def test_the_print_pdf_passes(good: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert preflight(good, PRINT) == []
    assert main(["preflight", str(good), "--print", "--signature", "8"]) == 0
    assert "preflight passed" in capsys.readouterr().err


def test_font_not_embedded(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def unembed(writer: PdfWriter) -> None:
        font = next(iter(writer.pages[0]["/Resources"]["/Font"].values())).get_object()
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        del descriptor["/FontFile2"]

    path = _broken(good, tmp_path / "font.pdf", unembed)
    assert _codes(path) == {"font-not-embedded"}
    # Fonts are checked for any PDF, not only print ones.
    assert _codes(path, PreflightOptions()) == {"font-not-embedded"}
    assert main(["preflight", str(path), "--print", "--signature", "8"]) == 1
    err = capsys.readouterr().err
    assert "is not embedded [font-not-embedded]" in err
    assert "preflight refused" in err


def test_missing_trim_box(good: Path, tmp_path: Path) -> None:
    def untrim(writer: PdfWriter) -> None:
        del writer.pages[2]["/TrimBox"]

    path = _broken(good, tmp_path / "trim.pdf", untrim)
    found = preflight(path, PRINT)
    assert {d.code for d in found} == {"page-box"}
    assert "page 3: no /TrimBox" in found[0].message
    # A screen PDF needs no boxes.
    assert _codes(path, PreflightOptions()) == set()


def test_page_count_not_a_multiple_of_the_signature(good: Path, tmp_path: Path) -> None:
    def drop(writer: PdfWriter) -> None:
        writer.remove_page(len(writer.pages) - 1)

    path = _broken(good, tmp_path / "odd.pdf", drop)
    assert len(PdfReader(path).pages) % 2 == 1
    assert _codes(path) == {"signature"}
    assert _codes(path, PreflightOptions(signature=4, print=True)) == {"signature"}


def test_rgb_text(good: Path, tmp_path: Path) -> None:
    def redden(writer: PdfWriter) -> None:
        page = writer.pages[0]
        data = page.get_contents().get_data()
        red, count = re.subn(rb"(?m)^0 g$", b"1 0 0 rg", data, count=1)
        assert count == 1
        stream = DecodedStreamObject()
        stream.set_data(red)
        page.replace_contents(stream)

    path = _broken(good, tmp_path / "rgb.pdf", redden)
    found = preflight(path, PRINT)
    assert {d.code for d in found} == {"rgb-colour"}
    assert "page 1: RGB colour (1 0 0 rg)" in found[0].message


def test_image_under_300_dpi(good: Path, tmp_path: Path) -> None:
    # 72 pixels over 72 points (one inch): 72 dpi.
    low = _broken(good, tmp_path / "low.pdf", lambda w: _image(w, 1, 72, 72))
    found = preflight(low, PRINT)
    assert {d.code for d in found} == {"image-resolution"}
    assert "printed at 72 dpi" in found[0].message
    # 300 pixels over the same inch pass.
    fine = _broken(good, tmp_path / "fine.pdf", lambda w: _image(w, 1, 300, 72))
    assert _codes(fine) == set()


def test_corrupt_file(good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = good.read_bytes()
    # A wrong cross-reference offset: readers recover, but qpdf's check reports the damage.
    start = data.rindex(b"startxref")
    broken = data[:start] + re.sub(rb"startxref\s+\d+", b"startxref\n17", data[start:])
    path = tmp_path / "corrupt.pdf"
    path.write_bytes(broken)
    assert "qpdf" in _codes(path)
    # The check is qpdf's library, not its program: a refusal (1), never a missing tool (3).
    assert main(["preflight", str(path)]) == 1
    assert f"{path}: error: qpdf --check: WARNING: file is damaged;" in capsys.readouterr().err
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 4)
    assert {"qpdf", "pdf-unreadable"} <= _codes(garbage)


def test_reasons_are_diagnostics(good: Path, tmp_path: Path) -> None:
    def drop(writer: PdfWriter) -> None:
        writer.remove_page(0)

    path = _broken(good, tmp_path / "odd.pdf", drop)
    line = str(preflight(path, PRINT)[0])
    assert line == (f"{path}: error: {len(PdfReader(path).pages)} pages is not a multiple "
                    "of the signature 8 [signature]")


@pytest.mark.parametrize("kind", ["device", "pipe", "folder"])
def test_preflight_refuses_what_is_not_a_file(kind: str, tmp_path: Path) -> None:
    """/dev/zero would fill the memory and a pipe block forever: both are refused at once."""
    import os
    import subprocess
    import sys

    target = {"device": Path("/dev/zero"), "pipe": tmp_path / "fifo", "folder": tmp_path}[kind]
    if kind == "pipe":
        os.mkfifo(target)
    done = subprocess.run([sys.executable, "-m", "proceedings", "preflight", str(target)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"{target}: error: not a regular file (a folder, pipe or device); give a PDF file [pdf-unreadable]",
        f"proceedings: preflight refused {target}: 1 problem",
    ]


@pytest.mark.parametrize(("argv", "message"), [
    (["build", "--jobs", "0"], "argument --jobs: '0' is not a whole number from 1 up"),
    (["watch", "--jobs", "-2"], "argument --jobs: '-2' is not a whole number from 1 up"),
    (["build", "--time-limit", "0"], "argument --time-limit: '0' is not a number of seconds above 0"),
    (["build", "--time-limit", "nan"], "argument --time-limit: 'nan' is not a number of seconds above 0"),
    (["watch", "--interval", "-1"], "argument --interval: '-1' is not a number of seconds above 0"),
    (["preflight", "x.pdf", "--signature", "0"], "argument --signature: '0' is not a whole number from 1 up"),
])
def test_counts_and_times_out_of_range_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"proceedings {argv[0]}: error: {message}"
