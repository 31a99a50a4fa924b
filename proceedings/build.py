"""The whole pipeline, in order: load, check, render, lay out, write."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from proceedings.check import GATE, MODULES, Checked, FindingsCache, check_sources, check_task
from proceedings.diagnostics import Diagnostic, Diagnostics
from proceedings.load import load_sources
from proceedings.model import Sources
from proceedings.pdf import paginate, pdf_bytes, write_atomic
from proceedings.proofs import findings_key, read_findings, record_findings
from proceedings.render import participants, render_book
from proceedings.units import STYLESHEETS, Progress, worker_pool

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


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
    # "parts": units laid out separately, in parallel and cached; "single": the whole
    # book as one WeasyPrint document (the reference the parts engine is tested against).
    engine: Literal["parts", "single"] = "parts"
    jobs: int | None = None  # worker processes for the parts engine; None: one per core
    executor: Executor | None = None  # or any concurrent.futures.Executor, e.g. a cluster's
    time_limit: float | None = 300.0  # seconds one unit (a paper, say) may take to lay out
    progress: Progress | None = None  # told of each unit laid out


@dataclass
class BuildResult:
    sources: Sources | None = None
    pdf: Path | None = None
    manifest: dict[str, object] = field(default_factory=dict)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def check(sources_dir: Path) -> tuple[Sources | None, Diagnostics]:
    """Load and cross-check a sources folder; never raises for bad sources."""
    sources, diags = load_sources(sources_dir)
    if sources is not None:
        diags.extend(check_sources(sources))
    return sources, diags


def build(opts: BuildOptions) -> BuildResult:
    """Build ``proceedings.pdf`` and ``manifest.json`` from ``opts.sources``."""
    with _workers(opts) as executor:
        return _build(replace(opts, executor=executor))


@contextmanager
def _workers(opts: BuildOptions) -> Iterator[Executor | None]:
    """The caller's executor, or a process pool of this build's own.

    Made before the sources are read: the workers' server gets ready meanwhile.
    """
    if opts.executor is not None or opts.engine == "single":
        yield opts.executor
        return
    with worker_pool(opts.jobs) as pool:
        yield pool


def _build(opts: BuildOptions) -> BuildResult:
    findings_for = findings_key(opts.sources)  # taken first: an edit during the build misses
    sources, diags = load_sources(opts.sources)  # read: every problem, with file:line
    # Sources and code as they were at the last successful build: its findings stand.
    known = read_findings(opts.out, findings_for) if sources is not None else None
    # Strict builds check everything first; otherwise only what the layout relies on
    # (ids, files), and the content checks, which only warn, run during the layout.
    first = MODULES if opts.strict else GATE
    checked = FindingsCache(opts.out / ".cache" / "checks.json")
    if known is not None:
        diags.extend(known)
        first = MODULES
    elif sources is not None:
        diags.extend(check_sources(sources, first, checked))
    result = BuildResult(sources=sources, diagnostics=diags)
    diags.raise_if_failed(strict=opts.strict)  # gate: a broken book never reaches layout
    assert sources is not None

    rest = [m.__name__ for m in MODULES if m not in first]

    # The content checks only warn: they run beside the layout. On a worker the layout
    # leaves idle (an edit lays out one paper), which imports the checker once: in this
    # process they would hold the interpreter the assembler needs, and a large book's
    # checks take seconds. Otherwise on a thread started once layout starts (before
    # that, this process prepares it), on the core this process leaves free as it waits.
    with ThreadPoolExecutor(1, thread_name_prefix="check") as beside:
        checking: list[Future[Checked]] = []

        def start_checks(executor: Executor | None = None) -> None:
            if rest and not checking:
                checking.append((executor or beside).submit(check_task, sources, rest, str(checked.path)))

        book = typeset_book(sources, opts, start_checks)  # one document, or by units
        start_checks()  # if nothing had to be laid out
        if checking:
            try:
                rows, used = checking[0].result()
            except Exception:  # the workers failed (the layout says so): check here
                rows, used = check_task(sources, rest, str(checked.path))
            diags.extend(Diagnostic.from_row(row) for row in rows)
            checked.used.update(used)
    diags.extend(book.diagnostics)
    diags.raise_if_failed(strict=opts.strict)
    result.manifest = make_manifest(sources, book.spans, book.pages)
    result.pdf = opts.out / "proceedings.pdf"
    write_atomic(result.pdf, book.pdf)
    manifest_text = json.dumps(result.manifest, ensure_ascii=False, indent=1)
    write_atomic(opts.out / "manifest.json", manifest_text.encode())
    record_findings(opts.out, findings_for, diags)  # the proofs list them without checking again
    if known is None:
        checked.save()
    return result


@dataclass(frozen=True)
class TypesetBook:
    pdf: bytes
    spans: dict[str, tuple[int, int]]  # a part's or paper's anchor → first and last page
    pages: int
    diagnostics: list[Diagnostic]


def typeset_book(
    sources: Sources, opts: BuildOptions, started: Callable[[Executor | None], None] | None = None
) -> TypesetBook:
    """Lay out the book with the chosen engine; call ``started`` as layout starts, with
    the executor the units go to, if any.

    The parts engine lays out on ``opts.executor``, or here when there is none.
    """
    if opts.engine == "single":
        if started:
            started(None)
        return _typeset_single(sources, opts)
    from proceedings.assemble import page_numbers
    from proceedings.parallel import typeset

    done = typeset(sources, styles=opts.styles, fonts=opts.fonts, cache=opts.out / ".cache",
                   executor=opts.executor, progress=opts.progress, started=started,
                   time_limit=opts.time_limit)
    return TypesetBook(done.pdf, _spans(page_numbers(done.placements)), done.pages, done.diagnostics)


def _typeset_single(sources: Sources, opts: BuildOptions) -> TypesetBook:
    html = render_book(sources, opts.styles, fonts=opts.fonts)  # pure: models in, HTML out
    stylesheets = [opts.styles / "css" / name for name in STYLESHEETS]
    allowed = [Path(sources.root), opts.styles, opts.fonts]
    layout = paginate(html, styles=opts.styles, stylesheets=stylesheets, allowed=allowed)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    return TypesetBook(pdf_bytes(layout, identifier=identifier), _spans(layout.anchors),
                       layout.pages, layout.diagnostics)


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
