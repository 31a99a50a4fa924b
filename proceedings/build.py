"""The whole pipeline, in order: load, check, render, lay out, write."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from proceedings.check import check_sources
from proceedings.diagnostics import Diagnostics
from proceedings.load import load_sources
from proceedings.model import Sources
from proceedings.pdf import Layout, paginate, pdf_bytes, write_atomic
from proceedings.render import participants, render_book

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class BuildOptions:
    sources: Path
    out: Path = Path("build")
    styles: Path = PACKAGE_ROOT / "styles"
    fonts: Path = PACKAGE_ROOT / "fonts"
    strict: bool = False


@dataclass
class BuildResult:
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
    sources, diags = check(opts.sources)  # read: every problem, with file:line
    result = BuildResult(diagnostics=diags)
    diags.raise_if_failed(strict=opts.strict)  # gate: a broken book never reaches layout
    assert sources is not None
    html = render_book(sources, opts.styles, fonts=opts.fonts)  # pure: models in, HTML out
    stylesheets = [opts.styles / "css" / name for name in ("fonts.css", "page.css", "book.css")]
    allowed = [Path(sources.root), opts.styles, opts.fonts]
    layout = paginate(html, styles=opts.styles, stylesheets=stylesheets, allowed=allowed)
    diags.extend(layout.diagnostics)
    diags.raise_if_failed(strict=opts.strict)
    result.manifest = make_manifest(sources, layout)
    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    result.pdf = opts.out / "proceedings.pdf"
    write_atomic(result.pdf, pdf_bytes(layout, identifier=identifier))
    manifest_text = json.dumps(result.manifest, ensure_ascii=False, indent=1)
    write_atomic(opts.out / "manifest.json", manifest_text.encode())
    return result


def _span(layout: Layout, anchor: str) -> list[int]:
    first = layout.anchors[anchor]
    return [first, layout.anchors.get(f"{anchor}-end", first)]


def make_manifest(sources: Sources, layout: Layout) -> dict[str, object]:
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
            if anchor in layout.anchors:
                parts.append({"kind": kind, "lang": lang, "pdf_pages": _span(layout, anchor)})
    papers: list[dict[str, object]] = []
    for paper in sources.ordered_papers():
        span = _span(layout, f"paper-{paper.id}")
        papers.append({
            "id": paper.id,
            "lang": paper.lang,
            "title": paper.title or "",
            "authors": [
                _full_name(sources, a.person, paper.lang)
                for a in paper.authors if a.person in sources.people
            ],
            "pdf_pages": span,
            "folios": [str(n) for n in span],
        })
    return {"pages": layout.pages, "parts": parts, "papers": papers}


def _full_name(sources: Sources, person: str, lang: str) -> str:
    name = sources.people[person].name(lang)
    return f"{name.surname} {name.given}" if name.given else name.surname
