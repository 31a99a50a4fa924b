"""The checks of a build: when they run, and what is kept of their findings.

A build checks first what its layout relies on (``GATE``: ids, files), which can stop
it; the content checks, which only warn, run beside the layout, on a worker the
layout leaves idle or else on a thread. A strict build checks everything first.
What a build found is kept under the key of its inputs (``diagnostics.findings_key``),
for the proofs and for the next build of the same sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

from proceedings.check import GATE, MODULES, Checked, FindingsCache, check_sources, check_task
from proceedings.diagnostics import Diagnostic, findings_key, read_findings, record_findings
from proceedings.files import Inputs
from proceedings.model import Sources


class BuildChecks:
    """The checks of one build of ``sources_dir`` into ``out``.

    ``gate`` runs before the layout; ``start`` starts the rest beside it (a context
    manager: leaving it waits for them); ``findings`` has what they found; ``keep``
    stores the build's findings for the proofs and the next build.
    """

    def __init__(self, sources_dir: Path, out: Path, inputs: Inputs, *, strict: bool) -> None:
        self.key = findings_key(sources_dir, inputs)
        self.out = out
        self.strict = strict
        self.cache = FindingsCache(out / ".cache" / "checks.json")
        self.known: list[Diagnostic] | None = None
        self.rest: list[str] = []
        self.findings: list[Diagnostic] = []
        self._sources: Sources | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._running: Future[Checked] | None = None

    def gate(self, sources: Sources) -> list[Diagnostic]:
        """What must be checked before the layout (everything, if strict), or everything
        the last build of the same sources and code found."""
        self._sources = sources
        self.known = read_findings(self.out, self.key)
        if self.known is not None:
            return self.known
        first = MODULES if self.strict else GATE
        self.rest = [m.__name__ for m in MODULES if m not in first]
        return check_sources(sources, first, self.cache)

    def __enter__(self) -> BuildChecks:
        # On a thread once the layout starts (before that, this process prepares it),
        # on the core this process leaves free as it waits.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="check")
        return self

    def start(self, executor: Executor | None = None) -> None:
        """Start the content checks: on ``executor`` (an idle worker of the layout) when
        given, which imports the checker once and leaves this process's interpreter to
        the assembler; else on this build's thread."""
        if self.rest and self._running is None and self._sources is not None and self._thread is not None:
            where: Executor = executor or self._thread
            self._running = where.submit(check_task, self._sources, self.rest, str(self.cache.path))

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        thread, self._thread = self._thread, None
        try:
            if kind is None and self._sources is not None:
                self.start()  # if nothing had to be laid out
                if self._running is not None:
                    try:
                        rows, used = self._running.result()
                    except Exception:  # the workers failed (the layout says so): check here
                        rows, used = check_task(self._sources, self.rest, str(self.cache.path))
                    self.findings = [Diagnostic.from_row(row) for row in rows]
                    self.cache.used.update(used)
        finally:
            if thread is not None:
                thread.shutdown()

    def keep(self, found: Iterable[Diagnostic]) -> None:
        """Store a successful build's findings."""
        record_findings(self.out, self.key, found)  # the proofs list them without checking again
        if self.known is None:
            self.cache.save()
