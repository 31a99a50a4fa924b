"""Lay out: the jobs the cache lacks, in a pool of worker processes (or here).

Each part of the book is laid out as its own WeasyPrint document whose pages do not
depend on where the part lands: every page has the recto's margins, and running
heads and folios are left out (the assembler stamps them). Its PDF and page map go
to the cache under the job's digest. This module is what a worker runs: it imports
little, so that workers start fast.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from proceedings.diagnostics import BuildError, Diagnostic, error
from proceedings.layout.cache import keep, stored
from proceedings.layout.records import Job, PartLayout, Progress

UNIT_COMPRESSION = 6  # zlib level of the parts' streams, kept as they are in the book


class PartTimeout(BaseException):
    """A job took longer to lay out than its time limit.

    A BaseException, like KeyboardInterrupt: WeasyPrint catches Exception in places
    and carries on, which would swallow the interruption.
    """


@contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """Raise PartTimeout in this process once ``seconds`` have passed.

    A signal can only be delivered to the main thread; elsewhere (a thread of a
    cluster's worker) the limit is not enforced here.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise PartTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def lay_out(job: Job) -> PartLayout:
    """Lay out one part and store its PDF in the cache (runs in a worker process)."""
    warm_up()  # outside the time limit: it counts the layout, not a new worker's start
    started = time.monotonic()
    with _time_limit(job.time_limit):
        layout = _lay_out(job)
    # The alarm can be lost where WeasyPrint calls back from C code; the clock cannot.
    if job.time_limit and time.monotonic() - started > job.time_limit:
        raise PartTimeout
    return layout


# What a worker needs, imported once by the process workers are forked from.
WORKER_MODULES = ["proceedings.layout.workers", "proceedings.layout.patches", "proceedings.pdf",
                  "proceedings.layout.measure", "proceedings.hyphenation", "proceedings.linebreak",
                  "pydyf", "weasyprint", "weasyprint.text.fonts"]


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


class WorkerPool(ProcessPoolExecutor):
    """A process pool that says how many workers it has."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or default_workers()
        super().__init__(self.workers, mp_context=_context(), initializer=_die_with_build,
                         initargs=(os.getpid(),))


def worker_pool(workers: int | None = None) -> WorkerPool:
    """A process pool whose workers end with the process that made it.

    A build killed outright (SIGKILL: no cleanup runs) would otherwise leave its
    workers waiting for work forever. Workers start when work is first submitted.
    """
    start_workers()
    return WorkerPool(workers)


def workers_of(executor: Executor) -> int:
    """How many workers ``executor`` has, if it says (0: another kind of executor)."""
    return executor.workers if isinstance(executor, WorkerPool) else 0


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


def start_all(pool: WorkerPool) -> None:
    """Start every worker of ``pool`` now and wait until each is ready to lay out.

    For a process that keeps its pool (``proceedings watch``): its first rebuild
    then finds the workers waiting instead of starting them.
    """
    for task in _warm_ups(pool):
        task.result()


def _warm_ups(executor: Executor) -> list[Future[None]]:
    """A warm-up task for each worker of a process pool (none for another executor),
    so that all of them get ready at once."""
    return [executor.submit(warm_up) for _ in range(workers_of(executor))]


@cache
def warm_up() -> None:
    """Import WeasyPrint and let fontconfig read its cache, once per process: the task
    that gets a fresh worker ready to lay out."""
    from weasyprint.text.fonts import FontConfiguration

    FontConfiguration()


def _lay_out(job: Job) -> PartLayout:
    from proceedings.layout.measure import measure
    from proceedings.layout.patches import compression_level
    from proceedings.pdf import paginate, pdf_bytes

    layout = paginate(
        job.html,
        styles=Path(job.styles),
        stylesheets=[Path(p) for p in job.stylesheets],
        allowed=[Path(p) for p in job.allowed],
    )
    document = layout.document
    result = PartLayout(job.key, job.digest, len(document.pages))
    px = 0.75  # CSS pixels to points
    for index, page in enumerate(document.pages):
        for name, (x, y, *_rest) in page.anchors.items():
            if name not in result.anchors and name not in job.ignore_anchors:
                result.anchors[name] = [index, x * px, y * px]
    # The CSS levels as written, not WeasyPrint's per-document normalised depths: a
    # paper's title is level 2 under the papers' level-1 entry in another part.
    result.bookmarks = [
        [level, label, index, y * px]
        for index, page in enumerate(document.pages)
        for level, label, (_x, y), _state in page.bookmarks
    ]
    result.diagnostics = [d.row() for d in layout.diagnostics]
    if job.measure and not job.draft:
        result.measured = measure(document.pages).rows()
    if job.draft:  # drawing the pages is half of a contents' layout (a box per leader dot)
        keep(Path(job.cache), result, None)
        return result
    # The parts' streams are compressed less than pydyf's own: the assembler keeps
    # them as they are, and a build compresses every page it lays out.
    with compression_level(UNIT_COMPRESSION):
        data = pdf_bytes(layout, identifier=job.digest.encode())
    keep(Path(job.cache), result, data)
    return result


def lay_out_all(
    jobs: list[Job],
    executor: Executor | None,
    progress: Progress | None = None,
    started: Callable[[Executor | None], None] | None = None,
) -> dict[str, PartLayout]:
    """Lay out the jobs that the cache lacks, ``first`` ones then the longest, on
    ``executor`` (or here).

    ``started`` is called as the layout starts, with the executor when the jobs go to
    it and leave one of its workers idle, else with None.
    A job that fails or runs out of time is reported, with the others, as a BuildError.
    """
    results: dict[str, PartLayout] = {}
    todo = []
    for job in jobs:
        hit = stored(Path(job.cache), job.digest, job.draft)
        if hit is not None:
            results[job.key] = hit
        else:
            todo.append(job)
    # The longest first: the batch ends with short jobs, and the workers together.
    todo.sort(key=lambda j: (not j.first, -len(j.html)))
    futures: list[Future[PartLayout]] = []
    if executor is not None and todo:
        # Every worker first gets ready (imports, fonts) in parallel with the others,
        # so that no job waits for a worker that starts cold after the first one.
        _warm_ups(executor)
        workers = max(1, workers_of(executor))
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
        except PartTimeout:
            failures.append(error(job.source, 0, f"laying out {job.key} took longer than "
                                  f"{job.time_limit:g} s; look for a huge table or paragraph "
                                  "there, or raise the limit (--time-limit)", "time-limit"))
            continue
        except BrokenProcessPool:
            # Not this job's fault, and the same for all: say it once, with the usual cause.
            failures.append(error("build", 0, "the worker processes ended before laying out the "
                                  "book (out of memory? a script that calls build() must do so "
                                  "under if __name__ == '__main__')", "workers-failed"))
            break
        except Exception as exc:  # a fault in layout must name the part, not end the run
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
