"""The build benchmark: one-document against parts engine, side by side, in one run.

For each synthetic volume (25, 40, 100 and 250 papers; ``BENCH_SIZES`` to choose):
cold builds of both engines, then with the parts engine a rebuild with nothing
changed, a one-paragraph edit and an edit that adds a page (each in a fresh process
and in a warm one, as ``proceedings watch`` keeps it), proofs, pages per second,
peak memory of the largest process, file size, and the layout audit's paragraph
figures (lines ending in a hyphen, the longest run of them, loose lines). Prints one table and writes
``build/bench.json``. Fresh-process figures are medians of ``BENCH_REPEAT`` runs.

First, the import of Word manuscripts: the 23 papers of the 2024 book written to .docx as
authors send them (as the round-trip test does) and imported into an empty sources folder
(``BENCH_SIZES=0`` for this figure alone).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from synth import make_volume  # noqa: E402

from proceedings.build import BuildOptions, build  # noqa: E402
from proceedings.layout.workers import start_all, worker_pool  # noqa: E402

OUT = REPO / "build" / "bench"
PY = sys.executable
EXTRA = " Дополнительный абзац, добавленный для проверки вёрстки: " + " ".join(
    ["статья выросла ровно настолько, чтобы её текст занял ещё одну страницу сборника."] * 70
)


def measured(*args: str) -> tuple[float, float]:
    """Run ``proceedings ARGS`` in a fresh process: (seconds, peak RSS of its largest process in MB)."""
    probe = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
    )
    done = subprocess.run(
        [PY, "-c", probe, PY, "-m", "proceedings", *args], check=True, capture_output=True, text=True
    )
    seconds, rss_kb, code = done.stdout.split()
    if int(code) != 0:
        raise RuntimeError(f"proceedings {' '.join(args)} exited {code}")
    return float(seconds), int(rss_kb) / 1024


def pages(out: Path) -> int:
    return int(json.loads((out / "manifest.json").read_text(encoding="utf-8"))["pages"])


class Editor:
    """Edits papers of the middle of a volume: a word changed, a page added or removed.

    Each page is added to the next paper along, so that every such edit gives the
    contents and the index page numbers no earlier edit gave (the layout cache would
    otherwise have them already).
    """

    def __init__(self, sources: Path) -> None:
        self.papers = sorted((sources / "papers").glob("*/paper.md"))
        self.paper = self.papers[len(self.papers) // 2]
        self.count = 0
        self.added = ""
        self.grown = self.paper

    def paragraph(self) -> None:
        text = self.paper.read_text(encoding="utf-8")
        self.count += 1
        # One word more in the first body paragraph: the page count does not change.
        text = re.sub(r"(\n\n## [^\n]*\n\n)", rf"\1правка{self.count} ", text, count=1)
        self.paper.write_text(text, encoding="utf-8")

    def add_page(self) -> None:
        self.count += 1
        self.grown = self.papers[(len(self.papers) // 2 + self.count) % len(self.papers)]
        self.added = f"\n\nДобавка{self.count}.{EXTRA}\n"
        self.grown.write_text(self.grown.read_text(encoding="utf-8").rstrip() + self.added,
                              encoding="utf-8")

    def remove_page(self) -> None:
        self.grown.write_text(self.grown.read_text(encoding="utf-8").replace(self.added, "\n"),
                              encoding="utf-8")


def median_of(repeat: int, before: Any, *args: str) -> float:
    times = []
    for _ in range(repeat):
        before()
        times.append(measured(*args)[0])
    return statistics.median(times)


def bench_volume(papers: int, repeat: int) -> dict[str, Any]:
    root = OUT / f"vol{papers}"
    shutil.rmtree(root, ignore_errors=True)
    sources = root / "sources"
    make_volume(sources, papers)
    single, parts = root / "single", root / "parts"
    row: dict[str, Any] = {"papers": papers}
    # Cold builds of both engines in turn, so that a slower spell of the machine falls
    # on both; medians (the largest volumes once: they take minutes).
    colds: dict[str, list[tuple[float, float]]] = {"single": [], "parts": []}
    for _ in range(repeat if papers <= 100 else 1):
        for engine, out in (("single", single), ("parts", parts)):
            shutil.rmtree(out, ignore_errors=True)
            colds[engine].append(measured("build", str(sources), "--out", str(out), "--engine", engine))
    row["single_cold_s"] = statistics.median(t for t, _ in colds["single"])
    row["parts_cold_s"] = statistics.median(t for t, _ in colds["parts"])
    row["peak_rss_single_mb"] = max(m for _, m in colds["single"])
    row["peak_rss_parts_mb"] = max(m for _, m in colds["parts"])
    row["pages"] = pages(parts)
    assert row["pages"] == pages(single)
    row["speedup_cold"] = row["single_cold_s"] / row["parts_cold_s"]
    row["pages_per_s_single"] = row["pages"] / row["single_cold_s"]
    row["pages_per_s_parts"] = row["pages"] / row["parts_cold_s"]
    row["size_single_mb"] = (single / "proceedings.pdf").stat().st_size / 2**20
    row["size_parts_mb"] = (parts / "proceedings.pdf").stat().st_size / 2**20
    row["size_ratio"] = row["size_parts_mb"] / row["size_single_mb"]
    row.update(audit_figures(sources, parts))
    args = ("build", str(sources), "--out", str(parts))
    row["nochange_fresh_s"] = median_of(repeat, lambda: None, *args)
    editor = Editor(sources)
    row["edit_paragraph_fresh_s"] = median_of(repeat, editor.paragraph, *args)
    before = pages(parts)
    gains, losses = [], []
    for _ in range(repeat):
        editor.add_page()
        gains.append(measured(*args)[0])
        row["page_added"] = pages(parts) - before
        editor.remove_page()
        losses.append(measured(*args)[0])
    row["edit_page_fresh_s"] = statistics.median(gains)
    row["edit_page_removed_fresh_s"] = statistics.median(losses)
    row.update(bench_warm(sources, parts, editor, repeat))
    proofs = ("proofs", str(sources), "--out", str(parts))
    row["proofs_first_s"] = measured(*proofs)[0]  # every cover laid out
    row["proofs_s"] = median_of(repeat, lambda: None, *proofs)  # the book and proofs current
    editor.paragraph()
    measured(*args)
    row["proofs_after_edit_s"] = measured(*proofs)[0]  # one paper's cover and files redone
    return row


def audit_figures(sources: Path, out: Path) -> dict[str, Any]:
    """The layout audit's paragraph figures of the volume built in ``out`` (all papers):
    a build with nothing to lay out gives them from the parts the cold build measured."""
    overall = build(BuildOptions(sources=sources, out=out)).figures[-1]
    return {"hyphen_share": overall.share, "longest_run": overall.longest_run, "runs3": overall.runs3,
            "loose_lines": overall.loose, "very_loose_lines": overall.very_loose,
            "recto_hyphen": overall.recto_hyphen}


def bench_warm(sources: Path, out: Path, editor: Editor, repeat: int) -> dict[str, float]:
    """The same edits in one warm process with a live pool, as ``proceedings watch`` runs them."""
    with worker_pool(2) as pool:  # as proceedings watch makes it
        start_all(pool)
        opts = BuildOptions(sources=sources, out=out, executor=pool)
        build(opts)
        found: dict[str, list[float]] = {"edit_paragraph_watch_s": [], "edit_page_watch_s": []}
        for _ in range(repeat):
            editor.paragraph()
            started = time.perf_counter()
            build(opts)
            found["edit_paragraph_watch_s"].append(time.perf_counter() - started)
            editor.add_page()
            started = time.perf_counter()
            build(opts)
            found["edit_page_watch_s"].append(time.perf_counter() - started)
            editor.remove_page()
            build(opts)
    return {key: statistics.median(values) for key, values in found.items()}


def bench_dask(papers: int) -> dict[str, Any]:
    """The parts engine on a Dask cluster's executor (a local one here), if Dask is installed."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        return {"skipped": "dask.distributed is not installed (pip install -e '.[bench]')"}
    sources = OUT / f"vol{papers}" / "sources"
    out = OUT / f"vol{papers}" / "dask"
    shutil.rmtree(out, ignore_errors=True)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    with cluster, Client(cluster) as client:
        executor: Executor = client.get_executor()
        started = time.perf_counter()
        build(BuildOptions(sources=sources, out=out, executor=executor))
        seconds = time.perf_counter() - started
    return {"papers": papers, "cold_s": seconds, "pages": pages(out)}


COLUMNS = [
    ("papers", "papers", "{:.0f}"), ("pages", "pages", "{:.0f}"),
    ("single_cold_s", "1-doc cold s", "{:.1f}"), ("parts_cold_s", "parts cold s", "{:.1f}"),
    ("speedup_cold", "speed-up", "{:.2f}×"), ("nochange_fresh_s", "no change s", "{:.2f}"),
    ("edit_paragraph_fresh_s", "¶ edit s", "{:.2f}"), ("edit_page_fresh_s", "+page s", "{:.2f}"),
    ("edit_paragraph_watch_s", "¶ watch s", "{:.2f}"), ("edit_page_watch_s", "+page watch s", "{:.2f}"),
    ("proofs_s", "proofs s", "{:.2f}"), ("proofs_after_edit_s", "proofs ¶ s", "{:.2f}"),
    ("pages_per_s_single", "1-doc p/s", "{:.1f}"),
    ("pages_per_s_parts", "parts p/s", "{:.1f}"), ("peak_rss_single_mb", "1-doc MB", "{:.0f}"),
    ("peak_rss_parts_mb", "parts MB", "{:.0f}"), ("size_ratio", "size ×", "{:.2f}"),
    ("hyphen_share", "hyph. lines", "{:.0%}"), ("longest_run", "hyph. run", "{:.0f}"),
    ("loose_lines", "loose", "{:.0f}"),
]


def bench_import(repeat: int) -> dict[str, Any]:
    """Seconds to import the 23 manuscripts of the 2024 book (median of ``repeat`` runs)."""
    from proceedings.importer import ImportOptions, import_manuscripts
    from proceedings.load import load_sources
    from tests.docxwriter import from_paper, write_docx
    from tests.test_import_roundtrip import empty_book

    root = OUT / "import"
    shutil.rmtree(root, ignore_errors=True)
    sources, _ = load_sources(REPO / "sources")
    assert sources is not None
    (root / "manuscripts").mkdir(parents=True)
    files = [write_docx(from_paper(p, sources.people), root / "manuscripts" / f"{p.id}.docx")
             for p in sources.papers]
    times = []
    for run in range(repeat):
        into = empty_book(REPO / "sources", root / f"sources{run}")
        started = time.perf_counter()
        result = import_manuscripts(ImportOptions(files=files, into=into))
        times.append(time.perf_counter() - started)
        assert len(result.written) == len(files), [str(d) for d in result.diagnostics]
    return {"manuscripts": len(files), "seconds": round(statistics.median(times), 2),
            "per_manuscript": round(statistics.median(times) / len(files), 3)}


def table(rows: list[dict[str, Any]]) -> str:
    head = " | ".join(title for _key, title, _fmt in COLUMNS)
    lines = [head, "-" * len(head)]
    for row in rows:
        lines.append(" | ".join(fmt.format(row[key]) for key, _title, fmt in COLUMNS))
    return "\n".join(lines)


def main() -> None:
    sizes = [int(n) for n in os.environ.get("BENCH_SIZES", "25,40,100,250").split(",") if int(n)]
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    print("benchmarking the import of 23 manuscripts…", file=sys.stderr, flush=True)
    imported = bench_import(repeat)
    print(f"import: {imported['manuscripts']} manuscripts in {imported['seconds']} s "
          f"({imported['per_manuscript']} s each)")
    if not sizes:
        OUT.mkdir(parents=True, exist_ok=True)
        figures = json.dumps({"import": imported}, indent=1)
        (REPO / "build" / "bench.json").write_text(figures, encoding="utf-8")
        return
    rows = []
    for papers in sizes:
        print(f"benchmarking {papers} papers…", file=sys.stderr, flush=True)
        rows.append(bench_volume(papers, repeat))
    dask = bench_dask(40 if 40 in sizes else sizes[0])
    headline = next((r for r in rows if r["papers"] == 40), rows[0])
    result = {**{k: v for k, v in headline.items() if k != "papers"}, "headline_papers": headline["papers"],
              "volumes": rows, "dask": dask, "import": imported, "repeat": repeat, "cores": os.cpu_count()}
    OUT.mkdir(parents=True, exist_ok=True)
    (REPO / "build" / "bench.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(table(rows))
    print(f"dask: {dask}")
    print(f"wrote {REPO / 'build' / 'bench.json'}")


if __name__ == "__main__":
    main()
