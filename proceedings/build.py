"""The whole pipeline, in order: load, check, lay out, write."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from proceedings.audit import Figures, audit_book, is_layout
from proceedings.check import check_sources
from proceedings.check.findings import BuildChecks
from proceedings.check.images import layout_findings
from proceedings.diagnostics import BuildError, Diagnostics, error, write_failed
from proceedings.files import PACKAGE_ROOT as PACKAGE_ROOT  # re-exported: printing.py takes it from here
from proceedings.files import Inputs, WriteFailed, record_inputs, write_atomic
from proceedings.layout.records import Progress
from proceedings.layout.typeset import Settings, Typeset, typeset, typeset_single
from proceedings.layout.workers import DEFAULT_MEMORY_MB, MemoryPlan, worker_pool
from proceedings.load import load_sources
from proceedings.messages import msg
from proceedings.model import Sources
from proceedings.pdfedit import pdf_problem
from proceedings.render import participants


def default_out(sources: Path) -> Path:
    """Where a book's outputs go unless told otherwise: ``build/`` beside its sources folder.

    ``sources`` gives ``build``, ``other-book/sources`` gives ``other-book/build``, so one
    book's outputs never replace another's. A sources folder named ``.`` or ``..`` is made
    absolute first: its ``build/`` is beside it, not inside it.
    """
    if sources.name in ("", ".."):
        sources = Path(os.path.abspath(sources))
    return sources.parent / "build"


@dataclass(frozen=True)
class BuildOptions:
    sources: Path
    out: Path = Path("build")
    styles: Path = PACKAGE_ROOT / "styles"
    fonts: Path = PACKAGE_ROOT / "fonts"
    strict: bool = False
    # "parts": parts laid out separately, in parallel and cached; "single": the whole
    # book as one WeasyPrint document (the reference the parts engine is tested against).
    engine: Literal["parts", "single"] = "parts"
    jobs: int | None = None  # worker processes for the parts engine; None: one per core
    executor: Executor | None = None  # or any concurrent.futures.Executor, e.g. a cluster's
    time_limit: float | None = 300.0  # seconds one part (a paper, say) may take to lay out
    # MB the whole build may take (``MemoryPlan.for_build``: the main process's share and each
    # worker's); None: no limit. The main process's own budget is set by the command line.
    memory_limit: int | None = DEFAULT_MEMORY_MB
    progress: Progress | None = None  # told of each part laid out


@dataclass
class BuildResult:
    sources: Sources | None = None
    pdf: Path | None = None
    manifest: dict[str, object] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    figures: list[Figures] = field(default_factory=list)  # the layout audit's, by language and overall


def check(sources_dir: Path) -> tuple[Sources | None, Diagnostics]:
    """Load and cross-check a sources folder; never raises for bad sources."""
    sources, diags = load_sources(sources_dir)
    if sources is not None:
        diags.extend(check_sources(sources))
    return sources, diags


def build(opts: BuildOptions) -> BuildResult:
    """Build ``proceedings.pdf`` and ``manifest.json`` from ``opts.sources``.

    A broken book stops at the first stage that finds it broken, with every problem
    that stage found (``BuildError``).
    """
    _cache_folder(opts.out)
    try:
        return _build(opts)
    except WriteFailed as exc:  # a read-only folder, a full disk: one error, whatever was written
        raise BuildError([write_failed(exc)]) from None


def _build(opts: BuildOptions) -> BuildResult:
    with _workers(opts) as executor:
        inputs = Inputs.of(opts.sources, opts.styles, opts.fonts)  # first: an edit during the build misses
        checks = BuildChecks(opts.sources, opts.out, inputs, strict=opts.strict)
        sources, diags = load_sources(opts.sources)  # load: every problem, with file:line
        if sources is not None:
            diags.extend(checks.gate(sources))  # check what the layout relies on
        tiers = sources.book.strict if sources is not None else []
        _stop_if_failed(diags, opts.strict, tiers)  # a broken book never reaches layout
        assert sources is not None
        with checks:  # the content checks, which only warn, run beside the layout
            book = _typeset(sources, replace(opts, executor=executor), checks.start)
        diags.extend(checks.findings)
        diags.extend(layout_findings(sources, book.diagnostics, diags))
        audit = audit_book(sources, book.measured)  # what a press would find on the pages
        diags.extend(audit.diagnostics)
        _stop_if_failed(diags, opts.strict, tiers, layout=sources.book.strict_layout)
        result = _write(opts, sources, book, diags)
        result.figures = audit.figures
        checks.keep(d for d in diags if not is_layout(d))  # the proofs' covers list the sources' findings
        record_inputs(opts.out, inputs)
        return result


def _stop_if_failed(diags: Diagnostics, strict: bool, tiers: Sequence[str], *, layout: bool = False) -> None:
    """Raise for an error, a warning under --strict, or one of book.yaml's strict tiers;
    the layout audit's warnings count only when book.yaml's ``strict_layout`` says so."""
    from proceedings.triage import failed_tiers

    diags.raise_if_failed(strict=strict, layout=layout)
    if failed_tiers((d for d in diags if layout or not is_layout(d)), tiers):
        raise BuildError(list(diags))


def _cache_folder(out: Path) -> None:
    """Stop with one error when the cache's place is taken by something not a folder."""
    cache = out / ".cache"
    if (cache.exists() or cache.is_symlink()) and not cache.is_dir():  # a file, or a broken link
        raise BuildError([error(str(cache), 0, msg("is not a folder: the build keeps its cache in a folder "
                                                   "of that name; move the file away"), "cache-not-folder")])
    if out.exists() and not out.is_dir():
        raise BuildError([error(str(out), 0, msg("is not a folder: the book is written into a folder of that "
                                                 "name; move the file away or give another --out"),
                                "out-not-folder")])


@contextmanager
def _workers(opts: BuildOptions) -> Iterator[Executor | None]:
    """The caller's executor, or a process pool of this build's own.

    Made before the sources are read: the workers' server gets ready meanwhile.
    """
    if opts.executor is not None or opts.engine == "single":
        yield opts.executor
        return
    plan = MemoryPlan.for_build(opts.memory_limit, opts.engine, opts.jobs)
    with worker_pool(plan.workers if plan else opts.jobs, plan.worker if plan else None) as pool:
        yield pool


def _typeset(sources: Sources, opts: BuildOptions, started: Callable[[Executor | None], None]) -> Typeset:
    """Lay out the book with the chosen engine; ``started`` is told as layout starts."""
    settings = Settings(styles=opts.styles, fonts=opts.fonts, cache=opts.out / ".cache",
                        executor=opts.executor, progress=opts.progress, time_limit=opts.time_limit)
    if opts.engine == "single":
        started(None)
        return typeset_single(sources, settings)
    return typeset(sources, settings, started)


def _write(opts: BuildOptions, sources: Sources, book: Typeset, diags: Diagnostics) -> BuildResult:
    """Write the book and its manifest, each whole or not at all."""
    result = BuildResult(sources=sources, diagnostics=diags)
    result.manifest = make_manifest(sources, _spans(book.anchors), book.pages)
    result.pdf = opts.out / "proceedings.pdf"
    problem = None if book.sound else pdf_problem(book.pdf, book.pages)
    if problem:  # the book written before stays as it was
        unsound = msg("the book laid out is not a sound PDF ({problem}); it was not written", problem=problem)
        raise BuildError([error(str(result.pdf), 0, unsound, "book-unsound")])
    write_atomic(result.pdf, book.pdf)
    manifest_text = json.dumps(result.manifest, ensure_ascii=False, indent=1)
    write_atomic(opts.out / "manifest.json", manifest_text.encode())
    return result


def _spans(anchors: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Each part's first and last page, from its anchor and the anchor that closes it."""
    return {name: (page, anchors.get(f"{name}-end", page)) for name, page in anchors.items()}


def make_manifest(sources: Sources, spans: dict[str, tuple[int, int]], pages: int) -> dict[str, object]:
    """Where every part and paper lies in the PDF, read from the layout's anchors."""
    parts: list[dict[str, object]] = []
    langs = sources.book.languages
    for kind in sources.book.parts:
        if kind == "papers":
            continue
        anchors: list[tuple[str, str | None]] = []
        if kind == "programme" and sources.programme:
            anchors = [(f"programme-{lang}", lang) for lang in langs if lang in sources.programme.header]
        elif kind == "participants" and participants(sources):
            anchors = [(f"participants-{lang}", lang) for lang in langs]
        elif kind == "resolution":
            anchors = [(f"resolution-{r.lang}", r.lang) for r in sources.resolutions]
        elif kind in {"title", "contents", "index"}:
            anchors = [(f"part-{kind}", None)]
        for anchor, lang in anchors:
            if anchor in spans:
                parts.append({"kind": kind, "lang": lang, "pdf_pages": list(spans[anchor])})
    papers: list[dict[str, object]] = []
    for paper in sources.ordered_papers():
        span = list(spans[f"paper-{paper.id}"])
        papers.append({
            "id": paper.id,
            "lang": paper.lang,
            "title": paper.title or "",
            "authors": [
                sources.people[a.person].name(paper.lang).full
                for a in paper.authors if a.person in sources.people
            ],
            "pdf_pages": span,
            "folios": [str(n) for n in span],
        })
    return {"pages": pages, "parts": parts, "papers": papers}
