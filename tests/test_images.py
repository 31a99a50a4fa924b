"""Figures too large to lay out: found from the header, and a build never reaches layout."""

from __future__ import annotations

import struct
import subprocess
import sys
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image

from proceedings.build import BuildOptions, build
from proceedings.check import check_sources, images
from proceedings.diagnostics import BuildError, Severity
from proceedings.load import load_sources

from .conftest import FIXTURES, make_case

CASE = FIXTURES / "broken" / "image-too-large"
FIGURE = Path("papers/en-aviation/poster.png")


def bilevel_png(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG: the zero rows compress about a thousand to one."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\0" * (1 + (width + 7) // 8)  # the filter byte, then the pixels
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _image_findings(tmp_path: Path, width: int, height: int) -> list[tuple[Severity, str, str]]:
    sources_dir = make_case(CASE, tmp_path)
    (sources_dir / FIGURE).write_bytes(bilevel_png(width, height))
    sources, diags = load_sources(sources_dir)
    assert sources is not None
    assert len(diags) == 0
    return [(d.severity, d.code, d.message) for d in check_sources(sources, [images])]


def test_the_fixture_is_the_image_it_claims() -> None:
    png = (CASE / "sources" / FIGURE).read_bytes()
    assert len(png) < 64_000
    assert struct.unpack(">II", png[16:24]) == (20000, 20000)


@pytest.mark.parametrize(
    ("width", "height", "megapixels"),
    [
        (20000, 20000, 400),  # past Pillow's refusal (twice its limit of 89 Mpx)
        (12000, 8000, 96),  # past Pillow's warning, short of its refusal
        (8000, 6000, 48),  # below both, still too large to lay out
    ],
)
def test_too_large_from_the_header_without_a_warning(
    tmp_path: Path, width: int, height: int, megapixels: int
) -> None:
    limit = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning of Pillow fails the test
        found = _image_findings(tmp_path, width, height)
    assert limit == Image.MAX_IMAGE_PIXELS
    assert found == [
        (
            Severity.ERROR,
            "image-too-large",
            f"figure f1: 'poster.png' is {width}×{height} px ({megapixels} megapixels), more than the 40 "
            "megapixels a figure may have: laying it out could exhaust the memory; scale it down (a "
            "whole A4 page at 600 dpi is 35 megapixels) and export it again",
        )
    ]


def test_a_full_page_scan_is_not_too_large(tmp_path: Path) -> None:
    # An A4 page at 600 dpi: large, sharp, and allowed.
    assert _image_findings(tmp_path, 4961, 7016) == []


def test_build_refuses_before_layout_and_writes_nothing(tmp_path: Path) -> None:
    sources_dir = make_case(CASE, tmp_path)
    with pytest.raises(BuildError) as raised:
        build(BuildOptions(sources=sources_dir, out=tmp_path / "out"))
    assert [d.code for d in raised.value.diagnostics] == ["image-too-large"]
    assert not (tmp_path / "out").exists()


def test_build_stays_small_in_memory(tmp_path: Path) -> None:
    # In a process of its own, so that its peak is not the test session's. The peak is
    # VmHWM, which exec resets, not ru_maxrss, which a child inherits from its forker.
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc")
    sources_dir = make_case(CASE, tmp_path)
    # 48 megapixels: below Pillow's own limits, so nothing but the gate stops layout.
    (sources_dir / FIGURE).write_bytes(bilevel_png(8000, 6000))
    script = (
        "import re, sys\n"
        "from pathlib import Path\n"
        "from proceedings.cli import main\n"
        "code = main(['build', sys.argv[1], '--out', sys.argv[2]])\n"
        "peak = re.search(r'VmHWM:\\s*(\\d+) kB', Path('/proc/self/status').read_text())\n"
        "print(code, peak[1] if peak else 'none')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(sources_dir), str(tmp_path / "out")],
        capture_output=True, text=True, check=True,
    )
    code, peak_kib = map(int, done.stdout.split())
    assert code == 1
    assert "[image-too-large]" in done.stderr
    assert not (tmp_path / "out" / "proceedings.pdf").exists()
    # Decoded as RGBA, the figure alone would take 192 MB.
    assert peak_kib < 150_000
