"""Rebuild the book whenever a source or style file changes, in one warm process.

The process keeps WeasyPrint imported and its worker pool alive between builds,
so a rebuild costs only the parts that changed, their layout and the assembly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from proceedings.build import BuildOptions, BuildResult, build
from proceedings.diagnostics import BuildError
from proceedings.layout.workers import MemoryPlan, start_all, worker_pool

Snapshot = dict[str, tuple[int, int]]


def _files(folders: list[Path]) -> Iterator[Path]:
    for folder in folders:
        if folder.is_dir():
            yield from (p for p in folder.rglob("*") if p.is_file())


def snapshot(folders: list[Path]) -> Snapshot:
    """Size and modification time of every file under ``folders``."""
    found: Snapshot = {}
    for path in _files(folders):
        try:
            info = path.stat()
        except OSError:  # removed while being listed
            continue
        found[str(path)] = (info.st_size, info.st_mtime_ns)
    return found


def watch(
    opts: BuildOptions,
    *,
    on_build: Callable[[BuildResult | BuildError, float], None],
    stop: Callable[[], bool],
    interval: float = 0.3,
) -> None:
    """Build now, then again after every change, until ``stop()`` says so."""
    folders = [opts.sources, opts.styles]
    plan = MemoryPlan.for_build(opts.memory_limit, opts.engine, opts.jobs)
    with worker_pool(plan.workers if plan else opts.jobs, plan.worker if plan else None) as executor:
        start_all(executor)
        warm = replace(opts, executor=executor)
        seen: Snapshot | None = None
        while not stop():
            current = snapshot(folders)
            if current != seen:
                seen = current
                started = time.perf_counter()
                outcome: BuildResult | BuildError
                try:
                    outcome = build(warm)
                except BuildError as exc:
                    outcome = exc
                on_build(outcome, time.perf_counter() - started)
                # Files changed during the build are picked up by the next round.
                continue
            time.sleep(interval)
