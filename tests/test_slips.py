"""Everyday slips of an editor and of the machine: each is one diagnostic naming its
cause, never a traceback, and never hides another finding."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from proceedings.check import check_sources
from proceedings.check.base import Check
from proceedings.diagnostics import error
from proceedings.load import load_sources

from .conftest import MINIBOOK, check_and_build, make_case

PAPER = "sources/papers/en-aviation/paper.md"


def _with_figure(sources: Path, name: str, *, author: str = "smith") -> Path:
    """The English paper showing figure ``name`` (a file beside it), by ``author``."""
    paper = sources / "papers" / "en-aviation" / "paper.md"
    text = paper.read_text(encoding="utf-8").replace(
        "authors:\n  - person: smith\n",
        f"authors:\n  - person: {author}\nfigures:\n  - id: f1\n    file: {name!r}\n", 1)
    paper.write_text(text.rstrip() + "\n\n::figure f1\n", encoding="utf-8")
    return paper.parent


def test_a_figure_that_is_a_loop_of_links_hides_no_other_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    folder = _with_figure(sources, "f.png", author="nobody")
    (folder / "f.png").symlink_to("f.png")
    assert check_and_build(sources, monkeypatch, capsys) == (
        f"{PAPER}:4: error: unknown person id 'nobody' in authors: add the person to people.yaml or correct "
        "the id [unknown-person]\n"
        f"{PAPER}:6: error: figure file 'f.png' is a symbolic link that leads back to itself (a loop "
        "of links); put the image itself beside paper.md [missing-file]\n"
        "proceedings: 2 errors, 0 warnings\n"
    )


def test_a_check_that_fails_keeps_what_it_found_and_the_others_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from proceedings.check import records

    def failing(sources: object, units: object) -> list[Check]:
        def run() -> object:
            yield error("here", 3, "found before the failure", "first")
            raise ValueError("boom")

        return [Check("failing", "here", run),
                Check("fine", "there", lambda: [error("there", 1, "found by another check", "second")])]

    sources, _ = load_sources(MINIBOOK)
    assert sources is not None
    monkeypatch.setattr(records, "checks", failing)
    found = check_sources(sources)
    assert error("here", 3, "found before the failure", "first") in found
    failed = [d for d in found if d.code == "check-failed"]
    assert [d.message for d in failed] == [
        "the 'failing' check failed (ValueError: boom); its findings from there on are missing: "
        "please report this as a bug of the checker"
    ]
    assert error("there", 1, "found by another check", "second") in found


def _as_an_editor(args: list[str]) -> list[str]:
    """``args`` run so that file modes apply: root reads any file (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH), so as root the command runs without those capabilities."""
    if os.geteuid() != 0:
        return args
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot be made to apply")
    return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", *args]


def _check_and_build_unreadable(workdir: Path) -> str:
    """Check and build the sources in ``workdir`` as an editor; both exit 1 and report the
    same, with no traceback and nothing written. The findings."""
    outputs = []
    for command in (["check", "sources", "--out", "report"], ["build", "sources", "--out", "out"]):
        done = subprocess.run(_as_an_editor([sys.executable, "-m", "proceedings", *command]),
                              cwd=workdir, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        outputs.append("".join(line + "\n" for line in done.stderr.splitlines() if " wrote " not in line))
    assert outputs[0] == outputs[1]
    assert not (workdir / "out" / "proceedings.pdf").exists()
    return outputs[0]


@pytest.mark.parametrize("what", ["file", "folder"])
def test_an_unreadable_file_in_a_paper_folder_is_one_error(what: str, tmp_path: Path) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    stray = sources / "papers" / "en-aviation" / "notes"
    if what == "file":
        stray.write_text("not for the book\n", encoding="utf-8")
    else:
        stray.mkdir()
    stray.chmod(0)
    assert _check_and_build_unreadable(tmp_path) == (
        "sources/papers/en-aviation/notes: error: cannot read: Permission denied; the build reads every "
        "file in a paper's folder: make it readable, or move it out of the sources [io]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_an_unreadable_papers_folder_is_one_error(tmp_path: Path) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    (sources / "papers").chmod(0)
    try:
        assert _check_and_build_unreadable(tmp_path) == (
            "sources/papers: error: cannot read the folder: Permission denied [io]\n"
            "proceedings: 1 error, 0 warnings\n"
        )
    finally:
        (sources / "papers").chmod(0o755)  # for the temporary folder's removal


def test_an_unreadable_people_file_is_one_error(tmp_path: Path) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    (sources / "people.yaml").chmod(0)
    assert _check_and_build_unreadable(tmp_path) == (
        "sources/people.yaml: error: cannot read: Permission denied [io]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def _build_cli(workdir: Path, out: str, *, editor: bool = False) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "proceedings", "build", "sources", "--out", out]
    return subprocess.run(_as_an_editor(args) if editor else args, cwd=workdir, capture_output=True,
                          text=True, timeout=300)


def _findings(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.endswith("]")]


def test_out_that_is_a_file_is_one_error(tmp_path: Path) -> None:
    make_case(tmp_path / "none", tmp_path)
    (tmp_path / "book.pdf").write_bytes(b"not a folder")
    done = _build_cli(tmp_path, "book.pdf")
    assert done.returncode == 1
    assert _findings(done.stderr) == [
        "book.pdf: error: is not a folder: the book is written into a folder of that name; move the "
        "file away or give another --out [out-not-folder]"
    ]
    assert (tmp_path / "book.pdf").read_bytes() == b"not a folder"


def test_a_read_only_output_folder_is_one_error(tmp_path: Path, minibook_build: Path) -> None:
    make_case(tmp_path / "none", tmp_path)
    out = tmp_path / "out"
    shutil.copytree(minibook_build, out, ignore=shutil.ignore_patterns(".cache"))
    before = (out / "proceedings.pdf").read_bytes()
    out.chmod(0o555)
    try:
        done = _build_cli(tmp_path, "out", editor=True)
    finally:
        out.chmod(0o755)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert _findings(done.stderr) == [
        "out/.cache: error: cannot write there: Permission denied; nothing written before is lost: make "
        "room on the disk or make the folder writable, or give another --out [write-failed]"
    ]
    assert (out / "proceedings.pdf").read_bytes() == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system of 2 MB of its own (a tmpfs), removed afterwards."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_is_one_error_and_the_previous_book_stays(tmp_path: Path, small_disk: Path) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    out = small_disk / "out"
    first = _build_cli(tmp_path, str(out))
    assert first.returncode == 0, first.stderr
    before = (out / "proceedings.pdf").read_bytes()
    # Noise does not compress: the paper's laid-out PDF takes more than the disk has left.
    folder = _with_figure(sources, "noise.png")
    Image.frombytes("RGB", (1000, 800), random.Random(1).randbytes(1000 * 800 * 3)).save(folder / "noise.png")
    done = _build_cli(tmp_path, str(out))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert [line for line in _findings(done.stderr) if "error:" in line] == [
        f"{out}/.cache: error: cannot write there: No space left on device; nothing written before is "
        "lost: make room on the disk or make the folder writable, or give another --out [write-failed]"
    ]
    assert (out / "proceedings.pdf").read_bytes() == before
    assert not [p.name for p in (out / ".cache").iterdir() if p.name.endswith(".tmp")]


ODD_NAMES = {"a#b.png": (230, 20, 20), "q?x.png": (20, 200, 20), "sp%20c.png": (20, 20, 230),
             "sl%2fx.png": (230, 200, 20), "nl\nx.png": (200, 20, 200), "a b;c'd.png": (20, 200, 200)}


def test_figures_with_odd_names_are_printed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name is a name, not a URL: '#', '?', '%20', '%2f', a newline or a quote in it
    reach the layout quoted, and each figure is printed (told by its colour on the pages)."""
    from . import pdfread

    sources = make_case(tmp_path / "none", tmp_path)
    folder = sources / "papers" / "en-aviation"
    paper = folder / "paper.md"
    figures = "".join(f"  - id: f{i}\n    file: {json.dumps(name)}\n" for i, name in enumerate(ODD_NAMES))
    text = paper.read_text(encoding="utf-8").replace(
        "authors:\n  - person: smith\n", f"authors:\n  - person: smith\nfigures:\n{figures}", 1)
    paper.write_text(text.rstrip() + "\n\n" + "\n\n".join(f"::figure f{i}" for i in range(len(ODD_NAMES)))
                     + "\n", encoding="utf-8")
    for name, colour in ODD_NAMES.items():
        Image.new("RGB", (2400, 1200), colour).save(folder / name, format="PNG")
    assert check_and_build(sources, monkeypatch, capsys, code=0) == ""
    pdf = tmp_path / "out" / "proceedings.pdf"
    seen: set[tuple[int, int, int]] = set()
    for page in range(1, pdfread.page_count(pdf) + 1):
        image = pdfread.render(pdf, page, 20).convert("RGB")
        seen.update(colour for _count, colour in image.getcolors(1 << 16) or [])
    for name, colour in ODD_NAMES.items():
        assert any(max(abs(a - b) for a, b in zip(colour, pixel, strict=True)) <= 3 for pixel in seen), name


def test_a_yaml_key_with_half_a_surrogate_pair_is_reported_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key that no text can hold failed the whole document, at line 1 as '(document)'."""
    sources = make_case(tmp_path / "none", tmp_path)
    book = sources / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace(
        "date: 2025-04-18\n", 'date: 2025-04-18\n"\\x01date": 3\n"\\ud800": 4\n'), encoding="utf-8")
    assert check_and_build(sources, monkeypatch, capsys) == (
        "sources/book.yaml:19: error: '\\ud800' is half of a UTF-16 surrogate pair, not a character: "
        "write the character itself [encoding]\n"
        "proceedings: 1 error, 0 warnings\n"
    )
    book.write_text(book.read_text(encoding="utf-8").replace('"\\ud800": 4\n', ""), encoding="utf-8")
    assert check_and_build(sources, monkeypatch, capsys) == (
        "sources/book.yaml:18: error: unknown field '\\x01date'; did you mean 'date'? [unknown-field]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_an_svg_the_layout_cannot_load_is_one_finding_at_the_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """WeasyPrint's own complaint ('Failed to load image at …: ' with no reason, on no file)
    is the checker's finding at the figure's line: check and build say the same."""
    sources = make_case(tmp_path / "none", tmp_path)
    folder = _with_figure(sources, "broken.svg")
    (folder / "broken.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'><rect></svg>",
                                       encoding="utf-8")
    assert check_and_build(sources, monkeypatch, capsys, code=0) == (
        f"{PAPER}:6: warning: figure f1: 'broken.svg' cannot be read as an image (neither a raster "
        "image nor an SVG document): the book would print an empty frame; export it again as PNG, "
        "JPEG or SVG [image-unreadable]\n"
        "proceedings: 0 errors, 1 warning (blocks printing 1)\n"
    )


def test_the_layouts_complaint_of_a_figure_gets_its_line_and_a_reason() -> None:
    from proceedings.check.images import layout_findings
    from proceedings.diagnostics import warning
    from proceedings.model import Figure

    sources, _ = load_sources(MINIBOOK)
    assert sources is not None
    shown = Figure(id="f9", file="drawing.svg", line=7)
    paper = sources.papers[0].model_copy(update={"figures": [shown]})
    book = sources.model_copy(update={"papers": [paper, *sources.papers[1:]]})
    url = (Path(paper.path).parent / "drawing.svg").resolve().as_uri()
    found = layout_findings(book, [warning("styles", 0, f"Failed to load image at '{url}': ", "render"),
                                   warning("styles", 0, "Failed to load image at 'file:///x.svg': ",
                                           "render")], [])
    assert [str(d) for d in found] == [
        f"{paper.path}:7: warning: figure f9: 'drawing.svg' cannot be drawn (the layout could not read "
        "it): the book would print an empty frame; export it again as PNG, JPEG or SVG [image-unreadable]",
        "styles: warning: cannot load the image file:///x.svg (the layout could not read it) [render]",
    ]
