"""Lay out: the jobs the cache lacks, in a pool of worker processes (or here).

Each part of the book is laid out as its own WeasyPrint document whose pages do not
depend on where the part lands: every page has the recto's margins, and running
heads and folios are left out (the assembler stamps them). Its PDF and page map go
to the cache under the job's digest. This module is what a worker runs: it imports
little, so that workers start fast.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import resource
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from proceedings.diagnostics import BuildError, Diagnostic, error, write_failed
from proceedings.files import WriteFailed, sealed_text, touch, unsealed, write_atomic
from proceedings.layout.cache import keep, stored
from proceedings.layout.records import Job, PartLayout, Progress
from proceedings.messages import msg

UNIT_COMPRESSION = 6  # zlib level of the parts' streams, kept as they are in the book


class PartTimeout(BaseException):
    """A job took longer to lay out than its time limit.

    A BaseException, like KeyboardInterrupt: WeasyPrint catches Exception in places
    and carries on, which would swallow the interruption.
    """


class PartOutOfMemory(BaseException):
    """A job needed more memory than its worker may take (``limit_memory``).

    A BaseException, as PartTimeout: WeasyPrint must not carry on after it.
    """


# The most memory the whole build may take by default, in MB; the main process's share
# of it (``MAIN_SHARE``) and the least a worker gets (``MIN_WORKER_MB``): fewer workers
# run when the rest is too little for one per core. Measured: building the 2024 book (35
# parts, 100 pages), the main process peaked at 91 MB of data and each worker at 96 MB;
# the longest paper a worker lays out in 600 MB has about 1,500 pages of plain text.
DEFAULT_MEMORY_MB = 1900
MAIN_SHARE = 3
MIN_WORKER_MB = 500


@dataclass(frozen=True)
class MemoryPlan:
    """How a build's memory limit is shared: the main process's budget, each worker's, and
    how many workers run."""

    main: int
    worker: int
    workers: int

    @classmethod
    def of(cls, limit: int, workers: int) -> MemoryPlan:
        main = limit // MAIN_SHARE
        rest = limit - main
        workers = max(1, min(workers, rest // MIN_WORKER_MB))
        return cls(main, rest // workers, workers)

    @classmethod
    def for_build(cls, limit: int | None, engine: str, jobs: int | None) -> MemoryPlan | None:
        """How a build's ``limit`` (MB; None: no limit) is shared. With the one-document
        engine the book is laid out in the main process, which then has the whole limit."""
        if not limit:
            return None
        if engine == "single":
            return cls(limit, 0, 0)
        return cls.of(limit, jobs or default_workers())


def limit_memory(megabytes: int | None, *, caller: bool = False) -> None:
    """Let this process take at most ``megabytes`` of data (its heap and private
    mappings: ``RLIMIT_DATA``); past it an allocation fails.

    Not ``RLIMIT_AS``: a process that has imported WeasyPrint maps four times the memory
    it uses (a worker holding 73 MB resident had 395 MB of address space and 90 MB of
    data), so an address-space limit would say little about the memory taken. Only the
    soft limit is lowered, so that a worker forked from this process may be given more.
    """
    if not megabytes or not hasattr(resource, "RLIMIT_DATA"):
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = megabytes * 1024 * 1024
    # The calling process (``caller``), when it already holds more than its share (a
    # program calling main() after much else, a test run), gets the share on top of what
    # it holds: below that, its next allocation, or thread, would fail at once and it
    # could not even report it. A worker's whole data is the build's.
    held = _data_held() if caller else 0
    if held >= wanted:
        wanted += held
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (wanted, hard))


def _data_held() -> int:
    """The bytes of data this process holds (Linux: VmData), else 0."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


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
    try:
        with _time_limit(job.time_limit):
            layout = _lay_out(job)
    except MemoryError:  # Python's own allocations; the C libraries' end the process
        raise PartOutOfMemory from None
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
    """A process pool that says how many workers it has, and how much memory each may take
    (MB; None: no limit)."""

    def __init__(self, workers: int | None = None, memory: int | None = None) -> None:
        self.workers = workers or default_workers()
        self.memory = memory
        super().__init__(self.workers, mp_context=_context(), initializer=_start_worker,
                         initargs=(os.getpid(), memory))


def worker_pool(workers: int | None = None, memory: int | None = None) -> WorkerPool:
    """A process pool whose workers end with the process that made it, and take at most
    ``memory`` MB each.

    A build killed outright (SIGKILL: no cleanup runs) would otherwise leave its
    workers waiting for work forever. Workers start when work is first submitted.
    """
    start_workers()
    return WorkerPool(workers, memory)


def _start_worker(build: int, memory: int | None) -> None:
    _die_with_build(build)  # first: a thread's stack is memory too
    limit_memory(memory)


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
    from proceedings.pdf import paginate, pdf_bytes, upright

    with kept_lines(Path(job.lines) if job.lines else None):
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
                x, y = upright(page, x, y)  # a turned table's page is set upright
                result.anchors[name] = [index, x * px, y * px]
    # The CSS levels as written, not WeasyPrint's per-document normalised depths: a
    # paper's title is level 2 under the papers' level-1 entry in another part.
    result.bookmarks = [
        [level, label, index, upright(page, x, y)[1] * px]
        for index, page in enumerate(document.pages)
        for level, label, (x, y), _state in page.bookmarks
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


@contextmanager
def kept_lines(path: Path | None) -> Iterator[None]:
    """Lay out with the paragraphs the part's last layout set, kept in ``path`` (none:
    every paragraph set anew), and keep there those this layout sets
    (``linebreak.remembered``). The file is sealed as the cache's others are; one that is
    damaged, or not such a file, is set anew and written again (it only saves time)."""
    from proceedings.linebreak import remembered

    if path is None:
        yield
        return
    known: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):  # none yet, unreadable or not JSON
        loaded = json.loads(unsealed(path.read_bytes()) or b"null")
        known = loaded if isinstance(loaded, dict) else {}
    with remembered(known) as used:
        yield
    if used != known:
        write_atomic(path, sealed_text(json.dumps(used, ensure_ascii=False).encode()))
    else:
        touch(path)  # used: the cache's pruning keeps it


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
    alone: list[Job] = []  # jobs a worker died on, or that a broken pool could not take
    if executor is not None and todo:
        # Every worker first gets ready (imports, fonts) in parallel with the others,
        # so that no job waits for a worker that starts cold after the first one.
        try:
            _warm_ups(executor)
            futures = [executor.submit(lay_out, job) for job in todo]
        except BrokenProcessPool:  # a worker of this pool died in an earlier batch
            futures, alone = [], list(todo)
        workers = max(1, workers_of(executor))
        if started:
            # A worker these jobs leave idle can take other work; else it is done here.
            started(executor if futures and len(todo) < workers else None)
    elif started:
        started(None)
    memory = executor.memory if isinstance(executor, WorkerPool) else None
    failures: list[Diagnostic] = []
    for done, job in enumerate(todo if futures or executor is None else [], 1):
        try:
            layout = futures[done - 1].result() if futures else lay_out(job)
        except BrokenProcessPool:
            # A worker ended (its memory limit, or a crash), and with it the pool: which
            # job it was laying out is told by laying out each of them alone.
            alone.append(job)
            continue
        except (PartTimeout, PartOutOfMemory) as exc:
            failures.append(_failure(job, exc, memory))
            continue
        except WriteFailed as exc:  # the output folder's fault, the same for every part: once
            failure = write_failed(exc)
            if failure not in failures:
                failures.append(failure)
            continue
        except Exception as exc:  # a fault in layout must name the part, not end the run
            failures.append(_failure(job, exc, memory))
            continue
        if progress:
            progress(job.key, done, len(todo))
        results[job.key] = layout
    if alone:
        if isinstance(executor, WorkerPool):
            for job, outcome in _each_alone(alone, executor.workers, memory):
                if isinstance(outcome, PartLayout):
                    results[job.key] = outcome
                else:
                    failures.append(outcome)
        else:  # another kind of executor: say it once, with the usual cause
            failures.append(error("build", 0, _WORKERS_FAILED, "workers-failed"))
    if failures:
        raise BuildError(failures)
    return results


def _failure(job: Job, exc: BaseException, memory: int | None) -> Diagnostic:
    """The diagnostic of a job that failed with ``exc``, on the part's file."""
    if isinstance(exc, PartTimeout):
        return error(job.source, 0, msg("laying out {part} took longer than {limit:g} s; look for a huge "
                                        "table "
                                        "or paragraph there, or raise the limit (--time-limit)", part=job.key,
                                        limit=job.time_limit), "time-limit")
    if isinstance(exc, PartOutOfMemory):
        if memory:
            text = msg("laying out {part} needed more than {limit:,} MB; look for a huge table, image or "
                       "paragraph there, or raise the limit (--memory-limit)", part=job.key,
                       limit=memory)
        else:
            text = msg("laying out {part} needed more memory than there is; look for a huge table, image or "
                       "paragraph there, or raise the limit (--memory-limit)", part=job.key)
        return error(job.source, 0, text, "memory-limit")
    return error(job.source, 0, msg("laying out {part} failed: {error}: {reason}", part=job.key,
                                    error=type(exc).__name__, reason=str(exc)), "render-failed")


_WORKERS_FAILED = msg("the worker processes ended before laying out the book (out of memory? a script that "
                      "calls build() must do so under if __name__ == '__main__')")


def _each_alone(
    jobs: list[Job], workers: int, memory: int | None
) -> Iterator[tuple[Job, PartLayout | Diagnostic]]:
    """Lay out each job in a process of its own, ``workers`` at a time: what each gave,
    or the diagnostic of its failure. A process that started the job and ended without
    an answer ran out of its memory (the C libraries end the process when an allocation
    fails: GLib with SIGTRAP); one that did not start says why once (``workers-failed``)."""
    context = _context()
    waiting = list(reversed(jobs))
    running: dict[Connection, tuple[Job, multiprocessing.process.BaseProcess]] = {}
    started: set[Connection] = set()
    told = False
    while waiting or running:
        while waiting and len(running) < workers:
            job = waiting.pop()
            receive, send = context.Pipe(duplex=False)
            process = context.Process(  # type: ignore[attr-defined]  # every context has it
                target=_lay_out_alone, args=(job, memory, os.getpid(), send), daemon=True)
            process.start()
            send.close()
            running[receive] = (job, process)
        for ready in wait(list(running)):  # readable: a message, or the process ended
            receive = next(r for r in running if r is ready)
            job, process = running[receive]
            try:
                answer = receive.recv()
            except (EOFError, OSError):  # ended without an answer
                answer = None
            if answer is True:  # the process is ready and lays the job out
                started.add(receive)
                continue
            del running[receive]
            process.join()
            receive.close()
            if isinstance(answer, PartLayout):
                yield job, answer
            elif isinstance(answer, BaseException):
                yield job, _failure(job, answer, memory)
            elif receive in started:
                yield job, _failure(job, PartOutOfMemory(), memory)
            elif not told:
                told = True
                yield job, error("build", 0, _WORKERS_FAILED, "workers-failed")


def _lay_out_alone(job: Job, memory: int | None, build: int, send: Connection) -> None:
    """A process's one job (see ``_each_alone``): its layout or its exception, sent back."""
    answer: object
    try:
        _start_worker(build, memory)
        send.send(True)
        answer = lay_out(job)
    except (PartTimeout, PartOutOfMemory) as exc:
        answer = exc
    except MemoryError:
        answer = PartOutOfMemory()
    except Exception as exc:
        answer = RuntimeError(f"{type(exc).__name__}: {exc}")
    with contextlib.suppress(MemoryError):  # sending it needs more: no answer says that
        send.send(answer)


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
