"""Checkouts of the project side by side, in one run: the parts engine's rows of
``make bench`` for each, measured in turn on the same volume and the same edits.

    BENCH_SIZES=40 BENCH_REPEAT=3 python bench/compare.py main=. without-x=../other

Each checkout is run with its own ``.venv`` (else this Python) and from its own
folder, so each builds with its own code. Rows: cold build (median) and the peak
memory of its largest process, a rebuild with nothing changed, a one-paragraph edit
and an edit that adds a page (fresh process, and warm as ``proceedings watch``
keeps it), proofs with nothing changed. The measurements of one row alternate
between the checkouts, so a slower spell of the machine falls on all of them.
Prints one table and writes ``build/bench-compare.json``.

It is how a piece of machinery earns its place: the checkout without it is
measured beside the one with it, and it stays where it buys 5 % of a row.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from run import OUT, Editor, pages  # noqa: E402
from synth import make_volume  # noqa: E402

# One warm process with a live pool, as proceedings watch keeps it: each line read
# from standard input ("build") builds once and prints the seconds it took.
WARM = """
import sys, time
from proceedings.build import BuildOptions, build
try:
    from proceedings.layout.workers import start_all, worker_pool
except ImportError:
    from proceedings.units import start_all, worker_pool
from pathlib import Path
if __name__ == "__main__":
    with worker_pool(2) as pool:
        start_all(pool)
        opts = BuildOptions(sources=Path(sys.argv[1]), out=Path(sys.argv[2]), executor=pool)
        for line in sys.stdin:
            started = time.perf_counter()
            build(opts)
            print(time.perf_counter() - started, flush=True)
"""

PROBE = (
    "import resource, subprocess, sys, time; t = time.perf_counter(); "
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
)


class Checkout:
    def __init__(self, name: str, folder: Path) -> None:
        self.name = name
        self.folder = folder.resolve()
        venv = self.folder / ".venv" / "bin" / "python"
        self.python = str(venv) if venv.exists() else sys.executable

    def measured(self, *args: str) -> tuple[float, float]:
        """``proceedings ARGS`` in a fresh process: (seconds, peak RSS of its largest process in MB)."""
        done = subprocess.run([self.python, "-c", PROBE, self.python, "-m", "proceedings", *args],
                              check=True, capture_output=True, text=True, cwd=self.folder)
        seconds, rss_kb, code = done.stdout.split()
        if int(code) != 0:
            raise RuntimeError(f"{self.name}: proceedings {' '.join(args)} exited {code}")
        return float(seconds), int(rss_kb) / 1024

    def warm(self, sources: Path, out: Path) -> subprocess.Popen[str]:
        return subprocess.Popen([self.python, "-c", WARM, str(sources), str(out)], cwd=self.folder,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _warm_build(process: subprocess.Popen[str]) -> float:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write("build\n")
    process.stdin.flush()
    return float(process.stdout.readline())


def compare_volume(papers: int, repeat: int, checkouts: list[Checkout]) -> dict[str, dict[str, Any]]:
    root = OUT / f"compare{papers}"
    shutil.rmtree(root, ignore_errors=True)
    sources = root / "sources"
    make_volume(sources, papers)
    outs = {c.name: root / c.name for c in checkouts}
    runs: dict[str, dict[str, list[float]]] = {c.name: {} for c in checkouts}

    def record(checkout: Checkout, key: str, value: float) -> None:
        runs[checkout.name].setdefault(key, []).append(value)

    def each(key: str, args: list[str]) -> None:
        for c in checkouts:
            seconds, mb = c.measured(*args, "--out", str(outs[c.name]))
            record(c, key, seconds)
            record(c, key + "_mb", mb)

    for _ in range(repeat if papers <= 100 else 1):
        for c in checkouts:
            shutil.rmtree(outs[c.name], ignore_errors=True)
        each("cold_s", ["build", str(sources)])
    pages_of = {c.name: pages(outs[c.name]) for c in checkouts}
    for _ in range(repeat):
        each("nochange_s", ["build", str(sources)])
    editor = Editor(sources)
    for _ in range(repeat):
        editor.paragraph()
        each("paragraph_s", ["build", str(sources)])
    for _ in range(repeat):
        editor.add_page()
        each("page_s", ["build", str(sources)])
        editor.remove_page()
        each("page_removed_s", ["build", str(sources)])
    for _ in range(repeat):
        each("proofs_s", ["proofs", str(sources)])
    warm = {c.name: c.warm(sources, outs[c.name]) for c in checkouts}
    try:
        for c in checkouts:
            _warm_build(warm[c.name])
        for _ in range(repeat):
            editor.paragraph()
            for c in checkouts:
                record(c, "paragraph_watch_s", _warm_build(warm[c.name]))
            editor.add_page()
            for c in checkouts:
                record(c, "page_watch_s", _warm_build(warm[c.name]))
            editor.remove_page()
            for c in checkouts:
                _warm_build(warm[c.name])
    finally:
        for process in warm.values():
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=60)
    rows = {}
    for c in checkouts:
        found = runs[c.name]
        row: dict[str, Any] = {key: statistics.median(values) for key, values in found.items()
                               if not key.endswith("_mb")}
        row["cold_mb"] = max(found["cold_s_mb"])
        row["pages"] = pages_of[c.name]
        rows[c.name] = row
    return rows


COLUMNS = [
    ("pages", "pages", "{:.0f}"), ("cold_s", "cold s", "{:.2f}"), ("cold_mb", "peak MB", "{:.0f}"),
    ("nochange_s", "no change s", "{:.2f}"), ("paragraph_s", "¶ fresh s", "{:.2f}"),
    ("page_s", "+page fresh s", "{:.2f}"), ("paragraph_watch_s", "¶ watch s", "{:.2f}"),
    ("page_watch_s", "+page watch s", "{:.2f}"), ("proofs_s", "proofs s", "{:.2f}"),
]


def table(papers: int, rows: dict[str, dict[str, Any]], base: str) -> str:
    head = " | ".join([f"{papers} papers", *(title for _key, title, _fmt in COLUMNS)])
    lines = [head, "-" * len(head)]
    for name, row in rows.items():
        cells = []
        for key, _title, fmt in COLUMNS:
            cell = fmt.format(row[key])
            if name != base and key != "pages" and rows[base][key]:
                cell += f" ({(row[key] / rows[base][key] - 1) * 100:+.0f} %)"
            cells.append(cell)
        lines.append(" | ".join([name, *cells]))
    return "\n".join(lines)


def main() -> None:
    checkouts = [Checkout(name, Path(folder)) for name, _, folder in (a.partition("=") for a in sys.argv[1:])]
    if not checkouts:
        sys.exit("usage: python bench/compare.py NAME=CHECKOUT [NAME=CHECKOUT ...]")
    sizes = [int(n) for n in os.environ.get("BENCH_SIZES", "40").split(",")]
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    result = {}
    for papers in sizes:
        print(f"comparing at {papers} papers…", file=sys.stderr, flush=True)
        rows = compare_volume(papers, repeat, checkouts)
        result[papers] = rows
        print(table(papers, rows, checkouts[0].name), flush=True)
    (REPO / "build" / "bench-compare.json").write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
