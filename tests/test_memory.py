"""Memory: a limit for the whole build, named when a paper exceeds it; a check whose
memory grows little with the sources.

Peak memory is sampled over the whole process tree (the build, the workers' server and
its workers) from /proc, as `ps` would show it.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from proceedings.build import BuildOptions, build
from proceedings.layout.workers import MemoryPlan

from .conftest import MINIBOOK

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")


def _children(pid: int) -> list[int]:
    found = [pid]
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return found
    for kid in kids:
        found += _children(int(kid))
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_sampled(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``args``; what it printed and the peak of its process tree's resident memory (bytes)."""
    with subprocess.Popen(args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as process:
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_rss(pid) for pid in _children(process.pid)))
            time.sleep(0.02)
        out, err = process.communicate()
    return subprocess.CompletedProcess(args, process.returncode, out, err), peak


MB = 1024 * 1024


def test_the_memory_limit_is_shared_between_the_main_process_and_the_workers() -> None:
    assert MemoryPlan.of(1900, 2) == MemoryPlan(main=633, worker=633, workers=2)
    # Too little for one worker per core: fewer workers, each with enough.
    assert MemoryPlan.of(1900, 8) == MemoryPlan(main=633, worker=633, workers=2)
    assert MemoryPlan.of(480, 1) == MemoryPlan(main=160, worker=320, workers=1)


def _book_with_a_large_image(tmp_path: Path) -> Path:
    """The minibook whose English paper shows a 6000×6000 image: within the pixel limit
    (36 of 40 megapixels), but writing it into the PDF takes more than 320 MB."""
    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    folder = sources / "papers" / "en-aviation"
    Image.new("RGB", (6000, 6000), (200, 30, 30)).save(folder / "large.png")
    paper = folder / "paper.md"
    text = paper.read_text(encoding="utf-8").replace(
        "authors:\n  - person: smith\n",
        "authors:\n  - person: smith\nfigures:\n  - id: f1\n    file: large.png\n", 1)
    paper.write_text(text.rstrip() + "\n\n::figure f1\n", encoding="utf-8")
    return sources


def test_a_paper_past_the_memory_limit_is_named_and_the_previous_book_stays(tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(BuildOptions(sources=MINIBOOK, out=out))
    before = (out / "proceedings.pdf").read_bytes()
    _book_with_a_large_image(tmp_path)
    done, peak = run_sampled([sys.executable, "-m", "proceedings", "build", "sources", "--out", "out",
                              "--memory-limit", "480", "--jobs", "1"], cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    findings = [line for line in done.stderr.splitlines() if line.endswith("]")]
    assert findings == [
        "sources/papers/en-aviation/paper.md: error: laying out paper:en-aviation needed more than "
        "320 MB; look for a huge table, image or paragraph there, or raise the limit (--memory-limit) "
        "[memory-limit]"
    ]
    assert (out / "proceedings.pdf").read_bytes() == before
    assert peak < 480 * MB, f"the build took {peak / MB:.0f} MB"


def test_workers_that_die_of_the_limit_are_told_apart_by_part(tmp_path: Path) -> None:
    """A limit too small for WeasyPrint itself: GLib ends the worker (SIGTRAP) instead of
    raising, and the pool breaks. Each part is then laid out alone, and each is named."""
    script = tmp_path / "small.py"
    script.write_text(
        "from pathlib import Path\n"
        "from proceedings.build import BuildOptions, build\n"
        "from proceedings.diagnostics import BuildError\n"
        "if __name__ == '__main__':\n"
        "    try:\n"
        f"        build(BuildOptions(sources=Path({str(MINIBOOK)!r}), out=Path('out'), jobs=1,"
        " memory_limit=75))\n"
        "    except BuildError as exc:\n"
        "        print(*exc.diagnostics, sep='\\n')\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    papers = sorted(line for line in lines if "/papers/" in line)
    assert [line.rsplit("/papers/", 1)[1] for line in papers] == [
        f"{paper}/paper.md: error: laying out paper:{paper} needed more than 50 MB; look for a huge "
        "table, image or paragraph there, or raise the limit (--memory-limit) [memory-limit]"
        for paper in ("en-aviation", "kk-digital", "ru-fraud")
    ]
    assert all(line.endswith("[memory-limit]") for line in lines), lines
    assert not (tmp_path / "out" / "proceedings.pdf").exists()


def _large_sources(folder: Path, papers: int, paragraphs: int) -> int:
    """The minibook with ``papers`` more papers of ``paragraphs`` paragraphs of 32 random
    words each (none repeats another); the size of their text in bytes."""
    shutil.copytree(MINIBOOK, folder)
    rng = random.Random(7)
    vocabulary = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
                  for _ in range(5000)]
    ids, size = [], 0
    for n in range(papers):
        paper = f"p{n:03d}"
        ids.append(paper)
        body = "\n\n".join(" ".join(rng.choice(vocabulary) for _ in range(32)).capitalize() + "."
                           for _ in range(paragraphs))
        text = f"---\nlang: en\nauthors:\n  - person: smith\ntitle: Paper {n}\n---\n{body}\n"
        (folder / "papers" / paper).mkdir()
        (folder / "papers" / paper / "paper.md").write_text(text, encoding="utf-8")
        size += len(text.encode())
    book = folder / "book.yaml"
    book.write_text(book.read_text(encoding="utf-8").replace(
        "papers: [kk-digital, ru-fraud, en-aviation]",
        f"papers: [kk-digital, ru-fraud, en-aviation, {', '.join(ids)}]"), encoding="utf-8")
    return size


# What `proceedings check` may take: the interpreter, the checker and the spelling
# dictionaries (about 100 MB for the minibook), and at most 24 times the sources' size more
# (19 times measured on this random text: the spelling and foreign-phrase checks keep data
# per word and per line, in caches of bounded size). Measured: 100 papers of 2,000 such paragraphs (41 MB)
# peaked at 373 MB (2,920 MB before the duplicate check kept words as numbers); 20 of 1,000
# (4.2 MB) at 95 MB (318 MB before).
CHECK_BASE_MB = 130
CHECK_PER_SOURCE_BYTE = 24


def test_check_memory_grows_little_with_the_sources(tmp_path: Path) -> None:
    """What check holds beyond its fixed cost (the interpreter, the spelling dictionaries)
    grows with the sources by a small factor, measured against the minibook's check."""
    shutil.copytree(MINIBOOK, tmp_path / "small")
    done, base = run_sampled([sys.executable, "-m", "proceedings", "check", "small"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    size = _large_sources(tmp_path / "sources", papers=10, paragraphs=1000)
    assert size > 1.9 * MB
    done, peak = run_sampled([sys.executable, "-m", "proceedings", "check", "sources"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert base < CHECK_BASE_MB * MB, f"check of the minibook took {base / MB:.0f} MB"
    growth = peak - base
    assert growth < CHECK_PER_SOURCE_BYTE * size, (
        f"check of {size / MB:.1f} MB took {growth / MB:.0f} MB more than the minibook's")


def test_the_main_process_past_its_share_is_one_error(tmp_path: Path) -> None:
    shutil.copytree(MINIBOOK, tmp_path / "sources")
    done = subprocess.run([sys.executable, "-m", "proceedings", "build", "sources", "--out", "out",
                           "--memory-limit", "150"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if line.endswith("]")] == [
        "sources: error: the build needed more than 50 MB in its main process (its share of "
        "--memory-limit); raise the limit [memory-limit]"
    ]
    assert not (tmp_path / "out" / "proceedings.pdf").exists()


def test_the_command_line_gives_back_the_callers_memory_limit(tmp_path: Path) -> None:
    """main() holds its process to the main share while a build runs, and no longer: a
    program (this test run, say) that calls it keeps its own limit."""
    import resource

    from proceedings.cli import main

    before = resource.getrlimit(resource.RLIMIT_DATA)
    assert main(["build", str(tmp_path / "no-such-book"), "--out", str(tmp_path / "out")]) == 1
    assert resource.getrlimit(resource.RLIMIT_DATA) == before


def test_a_caller_holding_more_than_the_share_is_not_stopped_at_once(tmp_path: Path) -> None:
    """main() called by a program that already holds more data than the main process's
    share (a test run, say) gets the share on top of what it holds: held to the share
    itself, it could not even start a thread, and the build hung."""
    script = tmp_path / "caller.py"
    script.write_text(
        "from proceedings.cli import main\n"
        "if __name__ == '__main__':\n"
        "    held = bytearray(300 * 1024 * 1024)  # more than the 200 MB share below\n"
        f"    raise SystemExit(main(['build', {str(MINIBOOK)!r}, '--out', 'out',"
        " '--memory-limit', '600']))\n",
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300)
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "proceedings.pdf").is_file()
