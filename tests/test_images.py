"""Figures too large to lay out: found from the header, and a build never reaches layout."""

from __future__ import annotations

import base64
import io
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

from .conftest import FIXTURES, check_and_build, make_case

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


# --- every image the layout may load, told by its bytes ---------------------------------

PAPER = "sources/papers/en-aviation/paper.md"
BOMB = (20000, 8900)


def _figure_case(tmp_path: Path, file: str, files: dict[str, bytes], width: str | None = None) -> Path:
    """The case with its figure pointing at ``file``, and ``files`` beside paper.md."""
    sources_dir = make_case(CASE, tmp_path)
    folder = sources_dir / FIGURE.parent
    (sources_dir / FIGURE).unlink()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    paper = folder / "paper.md"
    text = paper.read_text(encoding="utf-8")
    line = f"    file: '{file}'\n" + (f"    width: '{width}'\n" if width else "")
    paper.write_text(text.replace("    file: poster.png\n", line), encoding="utf-8")
    return sources_dir


def _too_large(name: str) -> str:
    return (
        f"{PAPER}:7: error: figure f1: {name} is 20000×8900 px (178 megapixels), more than the 40 "
        "megapixels a figure may have: laying it out could exhaust the memory; scale it down (a "
        "whole A4 page at 600 dpi is 35 megapixels) and export it again [image-too-large]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def _svg(body: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="100" height="100">{body}</svg>'
    ).encode()


def test_a_png_named_svg_is_checked_as_the_png_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources_dir = _figure_case(tmp_path, "f.svg", {"f.svg": bilevel_png(*BOMB)})
    assert check_and_build(sources_dir, monkeypatch, capsys) == _too_large("'f.svg'")


@pytest.mark.parametrize("attribute", ["href", "xlink:href"])
def test_an_image_inside_an_svg_is_checked(
    attribute: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    svg = _svg(f'<image {attribute}="b.png" width="100" height="100"/>')
    sources_dir = _figure_case(tmp_path, "f.svg", {"f.svg": svg, "b.png": bilevel_png(*BOMB)})
    assert check_and_build(sources_dir, monkeypatch, capsys) == _too_large("'b.png' (in 'f.svg')")


def test_an_image_embedded_in_an_svg_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = base64.b64encode(bilevel_png(*BOMB)).decode()
    svg = _svg(f'<rect style="fill: url(data:image/png;base64,{data})" width="1" height="1"/>')
    sources_dir = _figure_case(tmp_path, "f.svg", {"f.svg": svg})
    assert check_and_build(sources_dir, monkeypatch, capsys) == _too_large("an image embedded in 'f.svg'")


def test_an_svg_may_not_refer_out_of_the_paper_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    svg = _svg('<style>@import "../../outside.css";</style>')
    sources_dir = _figure_case(tmp_path, "f.svg", {"f.svg": svg})
    assert check_and_build(sources_dir, monkeypatch, capsys) == (
        f"{PAPER}:7: error: figure f1: 'f.svg' refers to '../../outside.css', outside the paper's "
        "folder: the layout would refuse it; put the file beside paper.md [refused-url]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_what_an_svg_links_to_or_loads_besides_images_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link (``<a href>``) is never loaded, and a font or stylesheet beside the figure
    is no image to decode."""
    svg = _svg(
        '<style>@font-face { font-family: F; src: url(f.ttf) }</style>'
        '<a href="https://example.org/data"><rect width="1" height="1"/></a>'
        '<a xlink:href="#top"><use href="small.png#x"/></a><image href="small.png"/>'
    )
    small = io.BytesIO()
    Image.new("1", (20, 20)).save(small, "PNG")
    files = {"f.svg": svg, "f.ttf": b"\0\1\0\0 not an image", "small.png": small.getvalue()}
    sources_dir = _figure_case(tmp_path, "f.svg", files)
    sources, diagnostics = load_sources(sources_dir)
    assert sources is not None
    assert len(diagnostics) == 0
    assert check_sources(sources, [images]) == []


def test_css_in_a_figure_width_never_reaches_the_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = base64.b64encode(bilevel_png(*BOMB)).decode()
    width = f"50%; background-image: url(data:image/png;base64,{data})"
    sources_dir = _figure_case(tmp_path, "f.svg", {"f.svg": _svg("")}, width=width)
    assert check_and_build(sources_dir, monkeypatch, capsys) == (
        f"{PAPER}:9: error: figures[0].width: not a width: give a number and one of mm, cm, in, "
        f"pt, px or % (such as 60mm or 80%) (got {repr(width)[:57]}...) [type]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_a_percent_in_a_figure_name_is_part_of_the_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checker reads ``%62omb.png`` as named; the layout must load that file, not
    ``bomb.png``, which its URL would decode to. Here only the small one exists: a layout
    that decoded the name would fail to load the figure."""
    small = io.BytesIO()
    Image.new("1", (2400, 1200)).save(small, "PNG")
    sources_dir = _figure_case(tmp_path, "%62omb.png", {"%62omb.png": small.getvalue()})
    assert check_and_build(sources_dir, monkeypatch, capsys, code=0) == ""
    # And with the bomb beside it, the checker's verdict is the layout's: the name is quoted.
    (sources_dir / FIGURE.parent / "bomb.png").write_bytes(bilevel_png(*BOMB))
    loaded = _book_html(sources_dir)
    assert "/papers/en-aviation/%2562omb.png" in loaded
    assert "/bomb.png" not in loaded


def _book_html(sources_dir: Path) -> str:
    from proceedings.render import render_book

    sources, _ = load_sources(sources_dir)
    assert sources is not None
    root = Path(__file__).resolve().parents[1]
    return render_book(sources, root / "styles", fonts=root / "fonts")


def _use_bomb(levels: int, fan: int) -> bytes:
    """``levels`` groups, each drawing the one before ``fan`` times: fan**levels shapes."""
    defs = ['<rect id="g0" width="1" height="1"/>']
    for level in range(1, levels + 1):
        uses = "".join(f'<use href="#g{level - 1}"/>' for _ in range(fan))
        defs.append(f'<g id="g{level}">{uses}</g>')
    return _svg(f'<defs>{"".join(defs)}</defs><use href="#g{levels}"/>')


def test_an_svg_that_expands_past_the_limit_is_refused_before_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    svg = _use_bomb(10, 10)  # 10**10 rectangles
    assert len(svg) < 3000
    sources_dir = _figure_case(tmp_path, "bomb.svg", {"bomb.svg": svg})
    assert check_and_build(sources_dir, monkeypatch, capsys) == (
        f"{PAPER}:7: error: figure f1: 'bomb.svg' draws more than 200,000 elements once its <use> "
        "references are expanded: laying it out could take hours; simplify it, or export it as PNG "
        "[svg-too-complex]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


@pytest.mark.parametrize(
    ("svg", "elements"),
    [
        # svg, use (1 + g), g (1 + 2 rects)
        (_svg('<use href="#a"/><g id="a"><rect/><rect/></g>'), 1 + 4 + 3),
        # g0 = 1, g1 = 1 + 3 × (1 + 1) = 7, g2 = 1 + 3 × (1 + 7) = 25; svg, defs, the last use
        (_use_bomb(2, 3), 1 + (1 + 1 + 7 + 25) + (1 + 25)),
        (_use_bomb(4, 10), 46909),  # 10⁴ rectangles: below the limit
        (_svg('<g id="a"><use href="#b"/></g><g id="b"><use href="#a"/></g>'), None),  # a cycle
    ],
)
def test_svg_elements_are_counted_with_use_expanded(svg: bytes, elements: int | None) -> None:
    from xml.etree import ElementTree

    counted = images.expanded_elements(ElementTree.fromstring(svg), {})
    assert counted == (images.MAX_SVG_ELEMENTS + 1 if elements is None else elements)


def test_the_layout_refuses_what_the_checker_refuses(tmp_path: Path) -> None:
    """The layout's URL fetcher is a guard of its own: however an image is asked for (a
    file by any name, a data: URL), past the limits it is refused, with the reason."""
    from proceedings.pdf import FetchRefused, make_url_fetcher

    png = bilevel_png(*BOMB)
    (tmp_path / "f.svg").write_bytes(png)
    (tmp_path / "bomb.svg").write_bytes(_use_bomb(10, 10))
    small = io.BytesIO()
    Image.new("1", (20, 20)).save(small, "PNG")
    (tmp_path / "small.png").write_bytes(small.getvalue())
    (tmp_path / "ok.css").write_text("p { color: red }", encoding="utf-8")
    refused: list[str] = []
    too_large: list[tuple[str, str]] = []
    fetcher = make_url_fetcher([tmp_path], refused, too_large)
    data = "data:image/png;base64," + base64.b64encode(png).decode()
    for url in ((tmp_path / "f.svg").as_uri(), (tmp_path / "bomb.svg").as_uri(), data):
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    pixels = "an image of 20000×8900 px (178 megapixels), more than the 40 megapixels an image may have"
    assert too_large == [
        ((tmp_path / "f.svg").as_uri(), pixels),
        ((tmp_path / "bomb.svg").as_uri(),
         "an SVG that draws more than 200,000 elements once its <use> are expanded"),
        (data[:60] + "…", pixels),
    ]
    assert refused == []
    for name in ("small.png", "ok.css"):
        fetcher.fetch((tmp_path / name).as_uri()).close()
    assert len(too_large) == 3


def test_an_svg_of_nested_entities_is_not_expanded(tmp_path: Path) -> None:
    """XML's own bomb (entities of entities): the parser refuses to expand it, and the
    figure is reported as unreadable, quickly."""
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10)
    )
    svg = (f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
           '<svg xmlns="http://www.w3.org/2000/svg"><text>&a9;</text></svg>').encode()
    sources_dir = _figure_case(tmp_path, "f.svg", {"f.svg": svg})
    sources, _ = load_sources(sources_dir)
    assert sources is not None
    found = [(d.severity, d.code) for d in check_sources(sources, [images])]
    assert found == [(Severity.WARNING, "image-unreadable")]


def test_a_large_file_that_is_no_svg_is_unreadable_not_too_complex(tmp_path: Path) -> None:
    from proceedings.imagebounds import MAX_SVG_BYTES, layout_refusal

    big = tmp_path / "scan.pdf"
    with big.open("wb") as handle:
        handle.write(b"%PDF-1.7\n")
        handle.truncate(MAX_SVG_BYTES + 10)
    sources_dir = _figure_case(tmp_path, "scan.pdf", {"scan.pdf": big.read_bytes()})
    sources, _ = load_sources(sources_dir)
    assert sources is not None
    found = [(d.severity, d.code) for d in check_sources(sources, [images])]
    assert found == [(Severity.WARNING, "image-unreadable")]
    assert layout_refusal(big) is None
    svg = tmp_path / "huge.svg"
    svg.write_bytes(b"<svg>" + b" " * MAX_SVG_BYTES + b"</svg>")
    assert layout_refusal(svg) == "an SVG of more than 16 MB"
