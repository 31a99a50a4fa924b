"""The proofs stage: author proofs, offprints and the mail-merge list, cut from the book.

Every paper's pages are taken from the built book itself, so that authors see the
real folios, running heads and layout. A proof is a cover page (what the author must
confirm, and what the checker found) followed by the pages under a diagonal
watermark; an offprint is the same pages clean, with the paper's citation at the foot
of its first page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter

from proceedings.build import PACKAGE_ROOT, BuildOptions, build, check
from proceedings.diagnostics import Diagnostic, Diagnostics
from proceedings.model import Paper, Sources
from proceedings.pdf import paginate, write_atomic
from proceedings.pdfedit import as_form, retag_subsets, stamp, strip_annotations
from proceedings.render import Labels, PaperView, build_context, load_labels, make_environment

# Excel opens a UTF-8 CSV as UTF-8 only when it starts with a byte-order mark; without
# one it reads Cyrillic as the ANSI code page. LibreOffice and mail-merge tools skip it.
CSV_ENCODING = "utf-8-sig"
CSV_COLUMNS = ("id", "lang", "title", "authors", "emails", "pages", "file")
# The watermark runs from the lower left to the upper right, as a rubber stamp would.
WATERMARK_DEGREES = 50


@dataclass(frozen=True)
class ProofOptions:
    sources: Path
    out: Path = Path("build")
    styles: Path = PACKAGE_ROOT / "styles"
    fonts: Path = PACKAGE_ROOT / "fonts"
    # The date stamped on the proofs: the day they are made unless given.
    date: dt.date | None = None


@dataclass
class ProofResult:
    proofs: list[Path] = field(default_factory=list)
    offprints: list[Path] = field(default_factory=list)
    index: Path | None = None
    rebuilt: bool = False
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def is_stale(out: Path, *inputs: Path) -> bool:
    """Whether the book in ``out`` is missing or older than any file under ``inputs``."""
    built = [out / "proceedings.pdf", out / "manifest.json"]
    if not all(p.is_file() for p in built):
        return True
    oldest = min(p.stat().st_mtime for p in built)
    return any(f.stat().st_mtime > oldest
               for root in inputs for f in root.rglob("*") if f.is_file())


def make_proofs(opts: ProofOptions) -> ProofResult:
    """Write ``proofs/<id>.pdf``, ``proofs/index.csv`` and ``offprints/<id>.pdf`` under ``opts.out``."""
    sources, diags = check(opts.sources)
    result = ProofResult(diagnostics=diags)
    diags.raise_if_failed()
    assert sources is not None
    if is_stale(opts.out, opts.sources, opts.styles):
        build(BuildOptions(sources=opts.sources, out=opts.out, styles=opts.styles, fonts=opts.fonts))
        result.rebuilt = True
    manifest = json.loads((opts.out / "manifest.json").read_text(encoding="utf-8"))
    book = PdfReader(opts.out / "proceedings.pdf")
    box = book.pages[0].mediabox
    size = (float(box.width), float(box.height))
    labels = load_labels(opts.styles)
    views = {v.paper.id: v for v in build_context(sources, labels).papers}
    entries = [e for e in manifest["papers"] if e["id"] in views]
    date = opts.date or dt.date.today()
    stamps = _Stamps(opts, sources, size)
    watermarks = {lang: stamps.watermark(lang, date) for lang in {e["lang"] for e in entries}}
    covers = stamps.covers([(views[e["id"]], e, _findings(diags, views[e["id"]].paper)) for e in entries],
                           date)
    citations = stamps.citations({e["id"]: citation(sources, views[e["id"]], e, labels)
                                  for e in entries})
    rows = []
    for entry in entries:
        view = views[entry["id"]]
        first, last = entry["pdf_pages"]
        pages = range(first - 1, last)
        proof = PdfWriter()
        for page in covers[view.paper.id]:
            proof.add_page(page)
        for index in pages:
            proof.add_page(book.pages[index])
        watermark, words = watermarks[view.paper.lang]
        mark = as_form(proof, watermark, degrees=WATERMARK_DEGREES)
        for page in proof.pages:
            stamp(page, mark, "/ProofWatermark", actual_text=words)
        result.proofs.append(_write(proof, opts.out / "proofs" / f"{view.paper.id}.pdf"))
        offprint = PdfWriter()
        for index in pages:
            offprint.add_page(book.pages[index])
        stamp(offprint.pages[0], as_form(offprint, citations[view.paper.id]), "/OffprintCitation")
        result.offprints.append(_write(offprint, opts.out / "offprints" / f"{view.paper.id}.pdf"))
        rows.append({
            "id": view.paper.id,
            "lang": view.paper.lang,
            "title": view.paper.title or "",
            "authors": "; ".join(_full_name(a.name.surname, a.name.given) for a in view.authors),
            "emails": "; ".join(a.person.email for a in view.authors if a.person.email),
            "pages": folio_range(entry["folios"]),
            "file": f"{view.paper.id}.pdf",
        })
    result.index = opts.out / "proofs" / "index.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(result.index, text.getvalue().encode(CSV_ENCODING))
    return result


def folio_range(folios: list[str]) -> str:
    first, last = folios[0], folios[-1]
    return first if first == last else f"{first}–{last}"


def _full_name(surname: str, given: str | None) -> str:
    return f"{surname} {given}" if given else surname


def _findings(diags: Diagnostics, paper: Paper) -> list[Diagnostic]:
    """The findings in the paper's own folder: its text, tables and figures."""
    folder = os.path.dirname(paper.path) + os.sep
    return [d for d in diags if d.path == paper.path or d.path.startswith(folder)]


def _write(writer: PdfWriter, path: Path) -> Path:
    # Links point into the whole book, which the cut-out pages no longer hold.
    strip_annotations(writer)
    data = io.BytesIO()
    writer.write(data)
    write_atomic(path, data.getvalue())
    return path


def _initials(surname: str, given: str | None) -> str:
    initials = "".join(f"{part[0]}." for part in (given or "").replace("-", " ").split() if part)
    return f"{surname} {initials}" if initials else surname


def citation(sources: Sources, view: PaperView, entry: dict[str, Any], labels: Labels) -> str:
    """The paper's reference in its own language, in the form of GOST 7.0.100:

    Author I.O. Title // Book title : materials of the conf. (City, date). – City, year. – P. X–Y.
    """
    lang = view.paper.lang
    table = {**labels.get("en", {}), **labels.get(lang, {})}
    book = sources.book
    first = book.languages[0]

    def local(values: dict[str, str]) -> str:
        return values.get(lang) or values.get(first) or next(iter(values.values()), "")

    authors = ", ".join(_initials(a.name.surname, a.name.given) for a in view.authors)
    title = (view.paper.title or "").rstrip(".")
    months = table["months"].split()
    held = table["citation_date"].format(day=book.date.day, month=months[book.date.month - 1],
                                         year=book.date.year)
    city = local(book.city)
    place = local(book.imprint.city) or city
    publisher = local(book.imprint.publisher)
    year = book.imprint.year or book.date.year
    where_when = ", ".join(p for p in (city, held) if p)
    conference = f"{local(book.title)} : {table['citation_materials']} ({where_when})"
    imprint = ", ".join(p for p in (f"{place} : {publisher}" if publisher else place, str(year)) if p)
    pages = folio_range(entry["folios"])
    head = f"{authors} {title}" if authors else title
    return f"{head} // {conference}. – {imprint}. – {table['citation_pages']} {pages}."


class _Stamps:
    """Pages laid out with WeasyPrint at the book's page size, to put onto the book's pages."""

    def __init__(self, opts: ProofOptions, sources: Sources, size: tuple[float, float]) -> None:
        self.opts = opts
        self.sources = sources
        self.size = size
        self.env = make_environment(opts.styles / "templates")
        self.labels = load_labels(opts.styles)

    def _t(self, key: str, lang: str) -> str:
        labels = self.labels
        return labels.get(lang, labels["en"]).get(key) or labels["en"].get(key, key)

    def _render(self, template: str, salt: str, **context: Any) -> tuple[list[PageObject], dict[str, int]]:
        html = self.env.get_template(template).render(
            width=f"{self.size[0]:.3f}pt", height=f"{self.size[1]:.3f}pt", t=self._t, **context)
        stylesheets = [self.opts.styles / "css" / name for name in ("fonts.css", "proof.css")]
        allowed = [Path(self.sources.root), self.opts.styles, self.opts.fonts]
        layout = paginate(html, styles=self.opts.styles, stylesheets=stylesheets, allowed=allowed)
        reader = PdfReader(io.BytesIO(layout.document.write_pdf()))
        pages = list(reader.pages)
        # The stamps' font subsets are merged onto pages that carry the book's subsets.
        retag_subsets(pages, salt)
        return pages, layout.anchors

    def watermark(self, lang: str, date: dt.date) -> tuple[PageObject, str]:
        """The watermark page, and the words it shows."""
        shown = date.strftime("%d.%m.%Y")
        pages, _ = self._render("proof_watermark.html.j2", f"watermark-{lang}", lang=lang, date=shown)
        return pages[0], f"{self._t('proof_watermark', lang)} {shown}"

    def covers(self, papers: list[tuple[PaperView, dict[str, Any], list[Diagnostic]]],
               date: dt.date) -> dict[str, list[PageObject]]:
        pages, anchors = self._render(
            "proof_cover.html.j2", "cover",
            papers=[{"view": view, "pages": folio_range(entry["folios"]), "findings": found}
                    for view, entry, found in papers],
            book=self.sources.book, date=date.strftime("%d.%m.%Y"))
        return _split(pages, anchors, [view.paper.id for view, _, _ in papers], "cover")

    def citations(self, texts: dict[str, str]) -> dict[str, PageObject]:
        ids = list(texts)
        pages, anchors = self._render("offprint_citation.html.j2", "citation",
                                      citations=[{"id": i, "lang": self._lang(i), "text": texts[i]}
                                                 for i in ids])
        return {i: found[0] for i, found in _split(pages, anchors, ids, "citation").items()}

    def _lang(self, paper_id: str) -> str:
        return next(p.lang for p in self.sources.papers if p.id == paper_id)


def _split(pages: list[PageObject], anchors: dict[str, int], ids: list[str],
           prefix: str) -> dict[str, list[PageObject]]:
    """One rendered document of many parts, cut at each part's anchor."""
    starts = [anchors[f"{prefix}-{i}"] for i in ids] + [len(pages) + 1]
    return {i: pages[starts[n] - 1:starts[n + 1] - 1] for n, i in enumerate(ids)}
