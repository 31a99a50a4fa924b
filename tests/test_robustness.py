"""Outputs are atomic and reproducible, sources are read-only, and oversized input is refused."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import pytest
from pypdf import PdfReader

from proceedings.build import BuildOptions, build
from proceedings.cli import main
from proceedings.diagnostics import Diagnostic
from proceedings.files import write_atomic
from proceedings.load import MAX_PARAGRAPH_CHARS, MAX_SOURCE_BYTES

from .conftest import MINIBOOK, REPO, make_case

SLOW_PARAGRAPHS = 40  # ~120 kB of body: several seconds of layout, enough to be killed in


def _run_build(sources: Path, out: Path, cwd: Path, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "proceedings", "build", str(sources), "--out", str(out)],
        cwd=cwd, env={**os.environ, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def _slow_book(tmp_path: Path) -> Path:
    """The minibook with one long paper: a build that takes seconds."""
    sources = make_case(tmp_path / "none", tmp_path / "slow")
    paper = sources / "papers" / "en-aviation" / "paper.md"
    words = " ".join(f"word{i} lorem ipsum dolor sit amet" for i in range(500))
    paper.write_text(
        paper.read_text(encoding="utf-8") + "\n" + "\n\n".join([words] * SLOW_PARAGRAPHS) + "\n",
        encoding="utf-8",
    )
    return sources


@pytest.mark.parametrize("delay", [0.4, 1.5])
def test_killed_build_leaves_the_previous_pdf(delay: float, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(sources=MINIBOOK, out=out))
    before = {name: (out / name).read_bytes() for name in ("proceedings.pdf", "manifest.json")}
    tag = uuid.uuid4().hex
    marker = f"PROCEEDINGS_TEST_BUILD={tag}"
    process = _run_build(_slow_book(tmp_path), out, tmp_path, PROCEEDINGS_TEST_BUILD=tag)
    try:
        time.sleep(delay)
        assert process.poll() is None, "the build ended before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    for name, data in before.items():
        assert (out / name).read_bytes() == data
    assert len(PdfReader(out / "proceedings.pdf").pages) > 0
    # Its workers (and the server they are forked from) end with it instead of
    # waiting for work forever: no process with its environment is left.
    assert _survivors(marker) == []
    # The unit cache is written file by file, atomically too; the report may be new.
    leftovers = {p.name for p in out.iterdir()} - set(before) - {".cache", "check-report.html"}
    assert all(n.startswith((".proceedings.pdf.", ".manifest.json.")) and n.endswith(".tmp")
               for n in leftovers), leftovers


def _survivors(marker: str, wait: float = 10.0) -> list[int]:
    """Processes whose environment holds ``marker``, once they have had ``wait`` s to end."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    if marker.encode() in (entry / "environ").read_bytes().split(b"\0"):
                        found.append(int(entry.name))
                except OSError:
                    continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "proceedings.pdf"
    write_atomic(target, b"old")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space"):
        write_atomic(target, b"new" * 1000)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["proceedings.pdf"]


def test_outputs_get_the_usual_file_mode(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "proceedings.pdf", b"%PDF")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "proceedings.pdf").stat().st_mode) == 0o644


def _tree_digest(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under root: kind, mode, size, mtime and content hash."""
    found: dict[str, tuple[object, ...]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            info = path.lstat()
            key = str(path.relative_to(root))
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                found[key] = ("dir", info.st_mode)
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[key] = ("file", info.st_mode, info.st_size, info.st_mtime_ns, digest)
    return found


@pytest.mark.slow
def test_build_never_modifies_the_sources(tmp_path: Path) -> None:
    sources = REPO / "sources"
    before = _tree_digest(sources)
    assert len(before) > 20
    result = build(BuildOptions(sources=sources, out=tmp_path / "out"))
    assert result.pdf is not None
    assert result.pdf.is_file()
    assert _tree_digest(sources) == before


def test_builds_are_byte_identical(minibook_build: Path, tmp_path: Path) -> None:
    # Another process with another hash seed: no set or dict order may leak into the PDF.
    process = _run_build(MINIBOOK, tmp_path / "again", tmp_path, PYTHONHASHSEED="12345")
    assert process.wait(timeout=120) == 0
    for name in ("proceedings.pdf", "manifest.json"):
        assert (tmp_path / "again" / name).read_bytes() == (minibook_build / name).read_bytes()
    build(BuildOptions(sources=MINIBOOK, out=tmp_path / "third"))
    for name in ("proceedings.pdf", "manifest.json"):
        assert (tmp_path / "third" / name).read_bytes() == (minibook_build / name).read_bytes()


# --- limits ---------------------------------------------------------------------------


def _check_output(
    sources_parent: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    monkeypatch.chdir(sources_parent)
    assert main(["check", "sources"]) == 1
    checked, wrote = capsys.readouterr().err.rsplit("proceedings: wrote ", 1)
    assert wrote == "build/check-report.html\n"  # check's report; a failed build writes nothing
    assert main(["build", "sources", "--out", "out"]) == 1
    assert capsys.readouterr().err == checked
    assert not (sources_parent / "out").exists()
    return checked


BOMB = """\
lol1: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
lol2: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
lol3: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
lol4: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
lol5: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
lol6: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
lol7: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
lol8: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
lol9: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""
ALIAS = ("error: '&a' makes an anchor (&name), which sources do not use: if the value is text that "
         "starts with '&', put the whole value in quotes [yaml-alias]")
LIMIT = "error: the document is nested too deeply or is too large [yaml-limit]"


def test_billion_laughs_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    (sources / "book.yaml").write_text(BOMB, encoding="utf-8")
    assert _check_output(tmp_path, monkeypatch, capsys) == (
        f"sources/book.yaml:1: {ALIAS}\nproceedings: 1 error, 0 warnings\n"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[" * 100 + "]" * 100, 1),  # flow, over our depth limit
        ("[" * 5000 + "]" * 5000, 1),  # flow, over libyaml's own limit (was RecursionError)
        ("- " * 3000 + "x\n", 1),  # block sequences on one line
        ("".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n", 65),
        ("[" + ",".join(["x"] * 250_000) + "]", 1),  # wide: over the node limit
    ],
    ids=["flow-100", "flow-5000", "block-3000", "mapping-100", "wide-250k"],
)
def test_deep_or_huge_yaml_is_refused(
    text: str,
    line: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    (sources / "participants.yaml").write_text(text, encoding="utf-8")
    assert _check_output(tmp_path, monkeypatch, capsys) == (
        f"sources/participants.yaml:{line}: {LIMIT}\nproceedings: 1 error, 0 warnings\n"
    )


def test_deep_front_matter_is_refused_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    paper.write_text(text.replace("---\n", "---\nabstract: " + "[" * 2000 + "]" * 2000 + "\n", 1),
                     encoding="utf-8")
    assert _check_output(tmp_path, monkeypatch, capsys) == (
        f"sources/papers/en-aviation/paper.md:2: {LIMIT}\nproceedings: 1 error, 0 warnings\n"
    )


def test_file_over_20_mb_is_refused_without_reading_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    with (sources / "programme.yaml").open("r+b") as handle:
        handle.truncate(MAX_SOURCE_BYTES + 1)  # sparse: costs no disk or memory
    assert _check_output(tmp_path, monkeypatch, capsys) == (
        "sources/programme.yaml: error: file is larger than 20 MB [too-large]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def _with_paragraph(sources: Path, size: int) -> None:
    paper = sources / "papers" / "en-aviation" / "paper.md"
    word = "lorem ipsum "
    paragraph = (word * (size // len(word) + 1))[:size].rstrip()
    paragraph += "y" * (size - len(paragraph))  # exactly ``size`` characters
    paper.write_text(
        paper.read_text(encoding="utf-8") + "\nShort paragraph.\n\n" + paragraph + "\n\nEnd.\n",
        encoding="utf-8",
    )


def test_ten_megabyte_paragraph_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    _with_paragraph(sources, 10 * 1024 * 1024)
    assert _check_output(tmp_path, monkeypatch, capsys) == (
        "sources/papers/en-aviation/paper.md:16: error: paragraph of 10,485,760 characters; "
        "the limit is 100,000: split it with blank lines [too-large]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def test_paragraph_limit_is_exact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    at_limit = make_case(tmp_path / "none", tmp_path / "a")
    _with_paragraph(at_limit, MAX_PARAGRAPH_CHARS)
    assert main(["check", str(at_limit)]) == 0
    over = make_case(tmp_path / "none", tmp_path / "b")
    _with_paragraph(over, MAX_PARAGRAPH_CHARS + 1)
    assert main(["check", str(over)]) == 1
    assert "[too-large]" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder"])
def test_source_that_is_not_a_regular_file_is_refused(kind: str, tmp_path: Path) -> None:
    """A pipe used to block the check forever, and /dev/zero to fill the memory."""
    sources = make_case(tmp_path / "none", tmp_path)
    people = sources / "people.yaml"
    people.unlink()
    if kind == "fifo":
        os.mkfifo(people)
    elif kind == "dev-zero":
        people.symlink_to("/dev/zero")
    else:
        people.mkdir()
    # A subprocess with a timeout: a regression must fail here, not hang the suite.
    done = subprocess.run(
        [sys.executable, "-m", "proceedings", "check", "sources"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "sources/people.yaml: error: not a regular file (a folder, pipe or device) [io]\n"
        "proceedings: 1 error, 0 warnings\n"
        "proceedings: wrote build/check-report.html\n"
    )


def test_a_script_without_the_main_guard_is_told_why_the_workers_ended(tmp_path: Path) -> None:
    """Workers start from a server and import the calling script: one that calls build()
    at its top level breaks them, and must be told so, once, not with a fault per paper."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from pathlib import Path\n"
        "from proceedings.build import BuildOptions, build\n"
        "from proceedings.diagnostics import BuildError\n"
        "try:\n"
        f"    build(BuildOptions(sources=Path({str(MINIBOOK)!r}), out=Path({str(tmp_path / 'out')!r})))\n"
        "except BuildError as exc:\n"
        "    print(*exc.diagnostics, sep='\\n')\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    lines = [line for line in done.stdout.splitlines() if line.endswith("]")]
    assert lines == [
        "build: error: the worker processes ended before laying out the book (out of memory? "
        "a script that calls build() must do so under if __name__ == '__main__') [workers-failed]"
    ]


def test_a_byte_order_mark_before_the_front_matter_is_accepted(tmp_path: Path) -> None:
    from proceedings.build import check

    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    paper.write_bytes(b"\xef\xbb\xbf" + paper.read_bytes())
    (sources / "book.yaml").write_bytes(b"\xef\xbb\xbf" + (sources / "book.yaml").read_bytes())
    loaded, diags = check(sources)
    _, clean = check(make_case(tmp_path / "none", tmp_path / "clean"))

    def found(diagnostics: Iterable[Diagnostic]) -> list[tuple[str, int, str, str]]:
        return sorted((Path(d.path).name, d.line, d.code, d.message) for d in diagnostics
                      if "en-aviation" in d.path or d.path.endswith("book.yaml"))

    assert found(diags) == found(clean)  # as without the mark: no missing front matter, no odd space
    assert loaded is not None
    [aviation] = [p for p in loaded.papers if p.id == "en-aviation"]
    assert aviation.title == "Violation of flight safety rules in the Republic of Kazakhstan"
