"""The book cut into units laid out separately, in parallel, and cached.

Each unit (the title pages, the contents, a programme, a paper, a resolution, the
index) is laid out as its own WeasyPrint document whose pages do not depend on
where the unit lands in the book: every page has the recto's margins, and running
heads and folios are left out. The assembler shifts versos and stamps heads and
folios afterwards, so an edit re-lays out only the unit it touches, and a unit
that gains a page moves the others without laying them out again.

A unit's PDF is cached under the hash of everything its layout depends on: its
HTML, the stylesheets, the fonts, the hyphenation dictionary and its images
(``parallel.Fingerprint``). This module is what a worker runs: it imports little,
so that workers start fast.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from proceedings.diagnostics import BuildError, Diagnostic, error

# Bump when the layout of units changes in a way their inputs do not show.
ENGINE_VERSION = "3"
STYLESHEETS = ("fonts.css", "page.css", "book.css")
UNIT_COMPRESSION = 6  # zlib level of the units' streams, kept as they are in the book


@dataclass(frozen=True)
class Unit:
    """One separately laid-out part of the book."""

    key: str  # "title", "contents", "programme:kk", "paper:p01", "index"
    kind: str  # the book.yaml part it belongs to
    lang: str | None
    anchor: str  # the id of its first element
    head: str  # the recto running head of its pages
    book_head: str  # the verso running head
    fixed: bool = False  # laid out with the book's own page rules (the title pages)
    source: str = "build"  # the file that a problem laying it out is reported on


@dataclass(frozen=True)
class Job:
    """What a worker needs to lay out one unit; everything in it pickles."""

    key: str
    digest: str
    html: str
    styles: str
    stylesheets: tuple[str, ...]
    allowed: tuple[str, ...]
    cache: str
    ignore_anchors: tuple[str, ...] = ()
    source: str = "build"  # the file a failure of this unit is reported on
    time_limit: float | None = None  # seconds this unit's layout may take
    fonts: str = ""  # the bundled fonts, embedded as stubs (the assembler merges them)
    # Laid out before the others, whatever their length: jobs that do not hold up the
    # units' page counts but would hold up the end of the batch if left until last.
    first: bool = False
    # Laid out for its length and anchors only: no PDF is drawn or kept.
    draft: bool = False


class UnitTimeout(BaseException):
    """A unit took longer to lay out than its time limit.

    A BaseException, like KeyboardInterrupt: WeasyPrint catches Exception in places
    and carries on, which would swallow the interruption.
    """


@dataclass
class UnitLayout:
    """A laid-out unit: its page count, anchors, links' targets and bookmarks."""

    key: str
    digest: str
    pages: int
    # anchor → [page index from 0, x, y] with x, y in points from the page's top left
    anchors: dict[str, list[float]] = field(default_factory=dict)
    # [level, label, page index, y in points from the top]
    bookmarks: list[list[Any]] = field(default_factory=list)
    diagnostics: list[list[Any]] = field(default_factory=list)

    @property
    def pdf_name(self) -> str:
        return f"{self.digest}.pdf"

    def diagnostic_objects(self) -> list[Diagnostic]:
        return [Diagnostic.from_row(row) for row in self.diagnostics]


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise UnitTimeout in this process once ``seconds`` have passed.

    A signal can only be delivered to the main thread; elsewhere (a thread of a
    cluster's worker) the limit is not enforced here.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise UnitTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def lay_out(job: Job) -> UnitLayout:
    """Lay out one unit and store its PDF in the cache (runs in a worker process)."""
    _warm_up()  # outside the time limit: it counts the layout, not a new worker's start
    started = time.monotonic()
    with _time_limit(job.time_limit):
        layout = _lay_out(job)
    # The alarm can be lost where WeasyPrint calls back from C code; the clock cannot.
    if job.time_limit and time.monotonic() - started > job.time_limit:
        raise UnitTimeout
    return layout


# What a worker needs, imported once by the process workers are forked from.
WORKER_MODULES = ["proceedings.units", "proceedings.pdf", "proceedings.hyphenation", "pydyf",
                  "weasyprint", "weasyprint.text.fonts"]


def _context() -> multiprocessing.context.BaseContext:
    """Workers forked from a server that has imported WeasyPrint, where there is one.

    Importing WeasyPrint takes about half a second: the server does it once, while
    the build reads and checks the sources, instead of every worker after it.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_MODULES)
    return context


def start_workers() -> None:
    """Have the server that workers are forked from start importing now (returns at once)."""
    if _context().get_start_method() == "forkserver":
        import multiprocessing.forkserver

        multiprocessing.forkserver.ensure_running()


def worker_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool whose workers end with the process that made it.

    A build killed outright (SIGKILL: no cleanup runs) would otherwise leave its
    workers waiting for work forever. Workers start when work is first submitted.
    """
    start_workers()
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=_die_with_build,
                               initargs=(os.getpid(),))


def _die_with_build(build: int) -> None:
    """End this worker as soon as the build that started it ends.

    A worker waits for work on a pipe it also holds the other end of, and the fork
    server waits for its workers: neither would notice a build killed outright.
    """
    try:
        handle: int | None = os.pidfd_open(build)
    except ProcessLookupError:  # the build ended already
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd here: look every second instead
        handle = None
    threading.Thread(target=_watch_build, args=(build, handle), daemon=True).start()


def _watch_build(build: int, handle: int | None) -> None:
    if handle is not None:
        select.select([handle], [], [])  # readable once the build has ended
        os._exit(1)
    while True:
        time.sleep(1)
        try:
            os.kill(build, 0)
        except ProcessLookupError:
            os._exit(1)


def warm_up() -> None:
    """A task for a fresh worker: get ready to lay out (cheap when already done)."""
    _warm_up()


def start_all(pool: ProcessPoolExecutor) -> None:
    """Start every worker of ``pool`` now and wait until each is ready to lay out.

    For a process that keeps its pool (``proceedings watch``): its first rebuild
    then finds the workers waiting instead of starting them.
    """
    for task in _warm_ups(pool):
        task.result()


def _warm_ups(executor: Executor) -> list[Future[None]]:
    """A warm-up task for each worker of a process pool (none for another executor),
    so that all of them get ready at once."""
    return [executor.submit(warm_up) for _ in range(getattr(executor, "_max_workers", 0))]


@cache
def _warm_up() -> None:
    """Import WeasyPrint and let fontconfig read its cache, once per process."""
    from weasyprint.text.fonts import FontConfiguration

    FontConfiguration()


def _lay_out(job: Job) -> UnitLayout:
    from proceedings.pdf import compression_level, font_stubs, paginate, pdf_bytes, write_atomic

    layout = paginate(
        job.html,
        styles=Path(job.styles),
        stylesheets=[Path(p) for p in job.stylesheets],
        allowed=[Path(p) for p in job.allowed],
    )
    document = layout.document
    result = UnitLayout(job.key, job.digest, len(document.pages))
    px = 0.75  # CSS pixels to points
    for index, page in enumerate(document.pages):
        for name, (x, y, *_rest) in page.anchors.items():
            if name not in result.anchors and name not in job.ignore_anchors:
                result.anchors[name] = [index, x * px, y * px]
    # The CSS levels as written, not WeasyPrint's per-document normalised depths: a
    # paper's title is level 2 under the papers' level-1 entry in another unit.
    result.bookmarks = [
        [level, label, index, y * px]
        for index, page in enumerate(document.pages)
        for level, label, (_x, y), _state in page.bookmarks
    ]
    result.diagnostics = [d.row() for d in layout.diagnostics]
    if job.draft:  # drawing the pages is half of a contents' layout (a box per leader dot)
        write_atomic(Path(job.cache) / f"{job.digest}.json", json.dumps(asdict(result)).encode())
        return result
    # Level 6 instead of pydyf's 9: a quarter of the time for 2 % larger streams,
    # and compressing is a tenth of a unit's layout.
    stubs = font_stubs(Path(job.fonts)) if job.fonts else nullcontext()
    with compression_level(UNIT_COMPRESSION), stubs:
        data = pdf_bytes(layout, identifier=job.digest.encode())
    write_atomic(Path(job.cache) / result.pdf_name, data)
    write_atomic(Path(job.cache) / f"{job.digest}.json", json.dumps(asdict(result)).encode())
    return result


def cached(cache: Path, digest: str, draft: bool = False) -> UnitLayout | None:
    """A unit laid out before with the same inputs, if its files are still there (a
    draft has no PDF)."""
    meta = cache / f"{digest}.json"
    if not (meta.is_file() and (draft or (cache / f"{digest}.pdf").is_file())):
        return None
    try:
        return UnitLayout(**json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # gone meanwhile (another build's pruning), or damaged
        return None


Progress = Callable[[str, int, int], None]  # (unit laid out, how many so far, how many in all)


def lay_out_all(
    jobs: list[Job],
    executor: Executor | None,
    progress: Progress | None = None,
    started: Callable[[Executor | None], None] | None = None,
) -> dict[str, UnitLayout]:
    """Lay out the jobs that the cache lacks, ``first`` ones then the longest, on
    ``executor`` (or here).

    ``started`` is called as the layout starts, with the executor when the jobs go to
    it and leave one of its workers idle, else with None.
    A unit that fails or runs out of time is reported, with the others, as a BuildError.
    """
    results: dict[str, UnitLayout] = {}
    todo = []
    for job in jobs:
        hit = cached(Path(job.cache), job.digest, job.draft)
        if hit is not None:
            results[job.key] = hit
        else:
            todo.append(job)
    # The longest first: the batch ends with short units, and the workers together.
    todo.sort(key=lambda j: (not j.first, -len(j.html)))
    futures: list[Future[UnitLayout]] = []
    if executor is not None and todo:
        # Every worker first gets ready (imports, fonts) in parallel with the others,
        # so that no job waits for a worker that starts cold after the first one.
        _warm_ups(executor)
        workers = max(1, getattr(executor, "_max_workers", 1))
        futures = [executor.submit(lay_out, job) for job in todo]
        if started:
            # A worker these jobs leave idle can take other work; else it is done here.
            started(executor if len(todo) < workers else None)
    elif started:
        started(None)
    failures: list[Diagnostic] = []
    for done, job in enumerate(todo, 1):
        try:
            layout = futures[done - 1].result() if futures else lay_out(job)
        except UnitTimeout:
            failures.append(error(job.source, 0, f"laying out {job.key} took longer than "
                                  f"{job.time_limit:g} s; look for a huge table or paragraph "
                                  "there, or raise the limit (--time-limit)", "time-limit"))
            continue
        except BrokenProcessPool:
            # Not this unit's fault, and the same for all: say it once, with the usual cause.
            failures.append(error("build", 0, "the worker processes ended before laying out the "
                                  "book (out of memory? a script that calls build() must do so "
                                  "under if __name__ == '__main__')", "workers-failed"))
            break
        except Exception as exc:  # a fault in layout must name the unit, not end the run
            failures.append(error(job.source, 0, f"laying out {job.key} failed: "
                                  f"{type(exc).__name__}: {exc}", "render-failed"))
            continue
        if progress:
            progress(job.key, done, len(todo))
        results[job.key] = layout
    if failures:
        raise BuildError(failures)
    return results


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
