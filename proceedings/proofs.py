"""The proofs stage: author proofs, offprints and the mail-merge list, cut from the book.

Every paper's pages are taken from the built book itself, so that authors see the
real folios, running heads and layout. A proof is a cover page (what the author must
confirm, and what the checker found) followed by the pages under a diagonal
watermark; an offprint is the same pages clean, with the paper's citation in the head
margin of its first page.

Proofs are remade often, for one corrected paper at a time, so nothing is done
twice. The checker's findings are kept under the hash of the sources; every cover,
watermark and citation line is kept as its own PDF under the hash of its HTML, and
only the missing ones are laid out (WeasyPrint is not even imported otherwise); a
file whose bytes come out the same is left untouched; and a run whose inputs all
match the last run's, with its outputs still in place, ends after hashing them.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.diagnostics import Diagnostic, Diagnostics, findings_key, read_findings, record_findings
from proceedings.files import CACHE_FOLDER, PACKAGE_ROOT, Inputs, recorded_inputs, write_atomic
from proceedings.layout.cache import discarded

if TYPE_CHECKING:
    import pikepdf
    from jinja2 import Environment

    from proceedings.model import Paper, Sources
    from proceedings.render import Labels, PaperView

# Excel opens a UTF-8 CSV as UTF-8 only when it starts with a byte-order mark; without
# one it reads Cyrillic as the ANSI code page. LibreOffice and mail-merge tools skip it.
CSV_ENCODING = "utf-8-sig"
CSV_COLUMNS = ("id", "lang", "title", "authors", "emails", "pages", "file")
# The watermark runs from the lower left to the upper right, as a rubber stamp would.
WATERMARK_DEGREES = 50
# Bump when what is kept in the cache changes in a way the hashed inputs do not show.
CACHE_VERSION = "1"
STATE = "proofs.json"  # what the last run made, from what


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
    # What this run laid out ("cover:p01", "watermark:ru", "citation:p01") and the
    # files it replaced; both empty when nothing changed.
    rendered: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)


def is_stale(out: Path, inputs: Inputs) -> bool:
    """Whether the book in ``out`` is missing or was built from other inputs."""
    built = [out / "proceedings.pdf", out / "manifest.json"]
    return not all(p.is_file() for p in built) or recorded_inputs(out) != inputs.key


def make_proofs(opts: ProofOptions) -> ProofResult:
    """Write ``proofs/<id>.pdf``, ``proofs/index.csv`` and ``offprints/<id>.pdf`` under ``opts.out``."""
    cache = opts.out / CACHE_FOLDER
    date = opts.date or dt.date.today()
    inputs = Inputs.of(opts.sources, opts.styles, opts.fonts)
    stale = is_stale(opts.out, inputs)
    if not stale:
        done = _unchanged(opts, cache, _state_key(opts, inputs, date))
        if done is not None:
            return done
    key = findings_key(opts.sources, inputs)
    sources, found = _rebuild(opts) if stale else _checked(opts, key)
    if stale:
        record_findings(opts.out, key, found)
    diags = Diagnostics(found)
    result = ProofResult(rebuilt=stale, diagnostics=diags)
    diags.raise_if_failed()
    assert sources is not None
    _cut(opts, sources, diags, date, cache, inputs, result)
    diags.extend(discarded())  # stamps found damaged in the cache, and made again
    _record_state(opts, cache, _state_key(opts, inputs, date), result, key)
    return result


def _checked(opts: ProofOptions, key: str) -> tuple[Sources | None, list[Diagnostic]]:
    """The sources, and what ``build.check`` finds in them, from the cache when it has them."""
    from proceedings.load import load_sources

    sources, loaded = load_sources(opts.sources)
    found = read_findings(opts.out, key)
    if found is None:
        found = list(loaded)
        if sources is not None:
            from proceedings.check import check_sources

            found += check_sources(sources)
        record_findings(opts.out, key, found)
    return sources, found


def _rebuild(opts: ProofOptions) -> tuple[Sources | None, list[Diagnostic]]:
    """Build the book; its findings are the checker's, since a build runs every check
    (the layout audit's are the typesetter's business, not the authors')."""
    from proceedings.audit import is_layout
    from proceedings.build import BuildOptions, build, check
    from proceedings.diagnostics import BuildError

    try:
        built = build(BuildOptions(sources=opts.sources, out=opts.out, styles=opts.styles, fonts=opts.fonts))
    except BuildError:
        # A build stops at the first stage that fails; like `check`, the proofs report
        # every finding of broken sources, not only the ones that stopped the build.
        _, diags = check(opts.sources)
        diags.raise_if_failed()
        raise
    return built.sources, [d for d in built.diagnostics if not is_layout(d)]


def _cut(opts: ProofOptions, sources: Sources, diags: Diagnostics, date: dt.date, cache: Path,
         inputs: Inputs, result: ProofResult) -> None:
    """Cut every paper's proof and offprint from the book, and write index.csv."""
    import pikepdf

    from proceedings.locales import shipped
    from proceedings.pdfedit import Overlay, draw_over, drop_annotations, page_form
    from proceedings.render import build_context, load_labels, locale_of

    manifest = json.loads((opts.out / "manifest.json").read_text(encoding="utf-8"))
    labels = load_labels(opts.styles, sources)
    views = {v.paper.id: v for v in build_context(sources, labels).papers}
    entries = [e for e in manifest["papers"] if e["id"] in views]
    with contextlib.ExitStack() as stack:
        # pikepdf reads a copied page's streams from its source only when the copy is
        # saved: the book and the watermarks stay open until the last proof is written.
        def open_pdf(path: Path) -> pikepdf.Pdf:
            return stack.enter_context(pikepdf.open(path))

        book = open_pdf(opts.out / "proceedings.pdf")
        box = [float(v) for v in book.pages[0].mediabox]
        stamps = _Stamps(opts, sources, (box[2] - box[0], box[3] - box[1]), cache, labels, inputs)
        # The date as each language writes it in a list of facts (01.04.2025, 1 April 2025).
        locales = sources.locales or shipped()
        langs = sorted({e["lang"] for e in entries})
        shown = {lang: locale_of(locales, lang).date(date, "compact") for lang in langs}
        watermark_files = stamps.watermarks(langs, shown)
        cover_files = stamps.each("cover", "proof_cover.html.j2", "papers", {
            e["id"]: {"view": views[e["id"]], "pages": folio_range(e["folios"]),
                      "findings": _findings(diags, views[e["id"]].paper)}
            for e in entries}, book=sources.book, dates=shown)
        citation_files = _citations(stamps, opts.out / "proceedings.pdf", {
            e["id"]: {"id": e["id"], "lang": e["lang"], "text": citation(sources, views[e["id"]], e, labels)}
            for e in entries}, {e["id"]: e["pdf_pages"][0] - 1 for e in entries})
        result.rendered = stamps.rendered
        watermarks = {lang: (page_form(open_pdf(path), degrees=WATERMARK_DEGREES),
                             f"{stamps.t('proof_watermark', lang)} {shown[lang]}")
                      for lang, path in watermark_files.items()}
        rows = []
        for entry in entries:
            view = views[entry["id"]]
            paper_id = view.paper.id
            first, last = entry["pdf_pages"]
            pages = [book.pages[index] for index in range(first - 1, last)]
            for page in pages:
                drop_annotations(page)
            with pikepdf.open(cover_files[paper_id]) as cover, pikepdf.new() as proof:
                for page in cover.pages:
                    drop_annotations(page)
                proof.pages.extend(cover.pages)
                proof.pages.extend(pages)
                form, words = watermarks[view.paper.lang]
                mark = proof.copy_foreign(form)
                for page in proof.pages:
                    draw_over(page, [Overlay("ProofWatermark", mark, actual_text=words)])
                result.proofs.append(_write(proof, opts.out / "proofs" / f"{paper_id}.pdf", result))
            with pikepdf.open(citation_files[paper_id]) as line, pikepdf.new() as offprint:
                offprint.pages.extend(pages)
                citation_form = offprint.copy_foreign(page_form(line))
                draw_over(offprint.pages[0], [Overlay("OffprintCitation", citation_form)])
                result.offprints.append(_write(offprint, opts.out / "offprints" / f"{paper_id}.pdf", result))
            rows.append({
                "id": paper_id,
                "lang": view.paper.lang,
                "title": view.paper.title or "",
                "authors": "; ".join(a.name.full for a in view.authors),
                "emails": "; ".join(a.person.email for a in view.authors if a.person.email),
                "pages": folio_range(entry["folios"]),
                "file": f"{paper_id}.pdf",
            })
    result.index = opts.out / "proofs" / "index.csv"
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({column: inert_cell(value) for column, value in row.items()} for row in rows)
    _write_bytes(result.index, text.getvalue().encode(CSV_ENCODING), result)


# What makes a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: str) -> str:
    """``value`` as a cell a spreadsheet shows as text: one that starts like a formula
    (an author's title such as ``=HYPERLINK(…)``) is quoted with an apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def folio_range(folios: list[str]) -> str:
    first, last = folios[0], folios[-1]
    return first if first == last else f"{first}–{last}"


def _findings(diags: Diagnostics, paper: Paper) -> list[Diagnostic]:
    """The findings in the paper's own folder: its text, tables and figures."""
    folder = os.path.dirname(paper.path) + os.sep
    return [d for d in diags if d.path == paper.path or d.path.startswith(folder)]


def _write(pdf: pikepdf.Pdf, path: Path, result: ProofResult) -> Path:
    import pikepdf

    data = io.BytesIO()
    # A fixed identifier and object order: the same pages give the same bytes, so an
    # unchanged proof is recognised and left as it is.
    pdf.save(data, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    _write_bytes(path, data.getvalue(), result)
    return path


def _write_bytes(path: Path, data: bytes, result: ProofResult) -> None:
    # An unchanged file keeps its date, so the editor sees which proofs to send again.
    with contextlib.suppress(OSError):
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    write_atomic(path, data)
    result.written.append(path)


# The citation's sizes (pt) and distances from the top edge (mm), largest first: each
# offprint's takes the first that ends above its first page's text, whatever the trim (the
# head margin of an A5 page is 15 mm, of an A4 one 20 mm) and however long the title.
# The first is proof.css's. The clearance is kept below it.
CITATION_SIZES = ((8.0, 5.0), (7.5, 4.0), (7.0, 4.0), (6.5, 3.5), (6.0, 3.5), (5.5, 3.5))
CITATION_CLEARANCE = 1.5 * 72 / 25.4  # 1.5 mm


def _citations(stamps: _Stamps, book: Path, items: dict[str, dict[str, Any]],
               first_pages: dict[str, int]) -> dict[str, Path]:
    """Each paper's citation stamp, set as large as fits above its first page's text."""
    from proceedings.render import PAGE_GEOMETRY, millimetres

    geometry = PAGE_GEOMETRY[stamps.sources.book.trim]
    # As wide as the narrower margin lets it, so that it takes few lines (A4: 20 mm).
    side = f"{min(millimetres(geometry.margin_inner), millimetres(geometry.margin_outer)):g}mm"
    tops = {i: text_extent(book, page) for i, page in first_pages.items()}
    step = dict.fromkeys(items, 0)
    files: dict[str, Path] = {}
    pending = list(items)
    while pending:
        laid = stamps.each("citation", "offprint_citation.html.j2", "citations", {
            i: {**items[i], "size": CITATION_SIZES[step[i]] if step[i] else None} for i in pending
        }, side=side)
        files.update(laid)
        again = []
        for i in pending:
            page, stamp = tops[i], text_extent(laid[i], 0)
            if (page is not None and stamp is not None and stamp[1] > page[0] - CITATION_CLEARANCE
                    and step[i] + 1 < len(CITATION_SIZES)):
                step[i] += 1
                again.append(i)
        pending = again
    return files


def text_extent(pdf: Path, index: int) -> tuple[float, float] | None:
    """The top of a page's highest character and the bottom of its lowest, in points from
    the page's top edge (PDFium's loose boxes: ascenders and descenders included); None
    for a page without text."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[index]
        top = page.get_cropbox()[3]
        textpage = page.get_textpage()
        box = pdfium_c.FS_RECTF()
        high = low = None
        for char in range(textpage.count_chars()):
            if pdfium_c.FPDFText_IsGenerated(textpage, char) or chr(
                    pdfium_c.FPDFText_GetUnicode(textpage, char)).isspace():
                continue
            pdfium_c.FPDFText_GetLooseCharBox(textpage, char, box)
            high = top - box.top if high is None else min(high, top - box.top)
            low = top - box.bottom if low is None else max(low, top - box.bottom)
        textpage.close()
        return None if high is None or low is None else (high, low)
    finally:
        document.close()


def citation(sources: Sources, view: PaperView, entry: dict[str, Any], labels: Labels) -> str:
    """The paper's reference in its own language, in the form its locale gives
    (``publication.citation``; for Russian and Kazakh GOST 7.0.100's):

    Author I.O. Title // Book title : materials of the conf. (City, date). – City, year. – P. X–Y.
    """
    from proceedings.locales import shipped
    from proceedings.render import locale_of, translator

    lang = view.paper.lang
    t = translator(labels)
    book = sources.book
    first = book.languages[0]
    locale = locale_of(sources.locales or shipped(), lang)

    def local(values: dict[str, str]) -> str:
        return values.get(lang) or values.get(first) or next(iter(values.values()), "")

    authors = ", ".join(f"{a.name.surname} {a.name.initials}".rstrip() for a in view.authors)
    title = (view.paper.title or "").rstrip(".")
    held = locale.date(book.date)
    city = local(book.city)
    place = local(book.imprint.city) or city
    publisher = local(book.imprint.publisher)
    year = book.imprint.year or book.date.year
    where_when = ", ".join(p for p in (city, held) if p)
    published = locale.publication.publisher.format(city=place, publisher=publisher) if publisher else place
    imprint = ", ".join(p for p in (published, str(year)) if p)
    pages = folio_range(entry["folios"])
    text = locale.publication.citation.format(
        authors=authors, title=title, book=local(book.title),
        publication=locale.publication.kinds.of(book.kind).citation, place=where_when, imprint=imprint,
        pages_label=t("citation_pages", lang), pages=pages)
    # The full stop a form writes after the authors is the one their last initial ends with
    # («Smith J.»); a paper without authors starts with its title, without their punctuation.
    text = re.sub(r"(?<!\.)\.\.(?=\s)", ".", text)
    return text if authors else text.lstrip(" .,")


def _hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


# The last run's inputs and outputs: when nothing changed, nothing is read but them.


def _state_key(opts: ProofOptions, inputs: Inputs, date: dt.date) -> str:
    digest = hashlib.sha256()
    for name in ("proceedings.pdf", "manifest.json"):
        try:
            digest.update((opts.out / name).read_bytes())
        except OSError:
            digest.update(b"missing")
    book = digest.hexdigest()
    return _hash(CACHE_VERSION, "state", inputs.key, os.getcwd(),
                 *(str(p.resolve()) for p in (opts.sources, opts.styles, opts.fonts, opts.out)),
                 book, date.isoformat())


def _outputs_now(out: Path, names: Iterable[str]) -> dict[str, list[int]] | None:
    stats = {}
    for name in names:
        try:
            info = (out / name).stat()
        except OSError:
            return None
        stats[name] = [info.st_size, info.st_mtime_ns]
    return stats


def _unchanged(opts: ProofOptions, cache: Path, key: str) -> ProofResult | None:
    """The last run's result, if it had the same inputs and its outputs are untouched."""
    try:
        state = json.loads((cache / STATE).read_text(encoding="utf-8"))
        outputs: dict[str, list[int]] = state["outputs"]
        if state["key"] != key or _outputs_now(opts.out, outputs) != outputs:
            return None
        found = read_findings(opts.out, state["findings"])
        if found is None:
            return None
        return ProofResult(
            proofs=[opts.out / "proofs" / f"{i}.pdf" for i in state["ids"]],
            offprints=[opts.out / "offprints" / f"{i}.pdf" for i in state["ids"]],
            index=opts.out / "proofs" / "index.csv",
            diagnostics=Diagnostics(found),
        )
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _record_state(opts: ProofOptions, cache: Path, key: str, result: ProofResult, findings: str) -> None:
    names = [p.relative_to(opts.out).as_posix() for p in [*result.proofs, *result.offprints]]
    names.append("proofs/index.csv")
    outputs = _outputs_now(opts.out, names)
    if outputs is None:
        return
    state = {"key": key, "findings": findings, "ids": [p.stem for p in result.proofs], "outputs": outputs}
    write_atomic(cache / STATE, json.dumps(state).encode())


class _Stamps:
    """Pages laid out with WeasyPrint at the book's page size, to put onto the book's pages.

    Each stamp is kept in ``cache`` as a PDF of its own, named after the hash of the
    HTML it was laid out from alone and of everything else its layout depends on (the
    code, the styles, the fonts, the WeasyPrint version); those the cache lacks are
    laid out together, one document per kind, and cut apart at their anchors.
    """

    def __init__(self, opts: ProofOptions, sources: Sources, size: tuple[float, float], cache: Path,
                 labels: Labels, inputs: Inputs) -> None:
        from proceedings.layout.cache import sealed_names
        from proceedings.render import make_environment, translator

        self.opts = opts
        self.sources = sources
        self.size = size
        self.cache = cache
        self.t = translator(labels)
        self.env: Environment = make_environment(opts.styles / "templates")
        # The HTML holds everything else; the code turns it into the kept PDF.
        self.common = _hash(CACHE_VERSION, "stamps", inputs.code, inputs.style,
                            str(Path(sources.root).resolve()))
        self.rendered: list[str] = []
        # The stamps kept, listed once: a proof looks up a cover and a citation per paper.
        self.listed = sealed_names(cache)

    def _html(self, template: str, **context: Any) -> str:
        from proceedings.locales import shipped
        from proceedings.render import locale_functions, printable

        return printable(self.env.get_template(template).render(
            width=f"{self.size[0]:.3f}pt", height=f"{self.size[1]:.3f}pt", t=self.t, message=_message,
            **locale_functions(self.sources.locales or shipped()), **context))

    def _file(self, kind: str, html: str) -> tuple[str, Path | None]:
        """The name the stamp of ``html`` is kept under, and its file if the cache holds it
        intact (``layout.cache.sealed``)."""
        from proceedings.layout.cache import sealed

        stem = f"{kind}-{_hash(self.common, kind, html)}"
        found = sealed(self.cache, stem, ".pdf", self.listed)
        return stem, found[0] if found else None

    def _keep(self, stem: str, pdf: pikepdf.Pdf) -> Path:
        from proceedings.layout.cache import seal

        data = io.BytesIO()
        pdf.save(data)
        return seal(self.cache, stem, ".pdf", data.getvalue())

    def _lay_out(self, html: str, salt: str) -> tuple[pikepdf.Pdf, dict[str, int]]:
        import pikepdf

        from proceedings.pdf import paginate
        from proceedings.pdfedit import retag_fonts

        stylesheets = [self.opts.styles / "css" / name for name in ("fonts.css", "proof.css")]
        allowed = [Path(self.sources.root), self.opts.styles, self.opts.fonts]
        layout = paginate(html, styles=self.opts.styles, stylesheets=stylesheets, allowed=allowed)
        pdf = pikepdf.open(io.BytesIO(layout.document.write_pdf()))
        # The stamps' font subsets are merged onto pages that carry the book's subsets.
        retag_fonts(pdf, salt)
        return pdf, layout.anchors

    def each(self, kind: str, template: str, key: str, items: dict[str, dict[str, Any]],
             **context: Any) -> dict[str, Path]:
        """One stamp per item, the template given a list (``key``) of that item alone."""
        kept = {i: self._file(kind, self._html(template, **{key: [item]}, **context))
                for i, item in items.items()}
        files = {i: path for i, (_stem, path) in kept.items() if path is not None}
        missing = [i for i in items if i not in files]
        if not missing:
            return files
        import pikepdf

        pdf, anchors = self._lay_out(self._html(template, **{key: [items[i] for i in missing]}, **context),
                                     kind)
        with pdf:
            starts = [anchors[f"{kind}-{i}"] - 1 for i in missing] + [len(pdf.pages)]
            for n, i in enumerate(missing):
                part = pikepdf.new()
                part.pages.extend(pdf.pages[starts[n]:starts[n + 1]])
                files[i] = self._keep(kept[i][0], part)
                self.rendered.append(f"{kind}:{i}")
        return files

    def watermarks(self, langs: list[str], dates: dict[str, str]) -> dict[str, Path]:
        """The watermark page of each language, with the date as it writes it."""
        files = {}
        for lang in langs:
            html = self._html("proof_watermark.html.j2", lang=lang, date=dates[lang])
            stem, path = self._file("watermark", html)
            if path is None:
                pdf, _ = self._lay_out(html, f"watermark-{lang}")
                with pdf:
                    path = self._keep(stem, pdf)
                self.rendered.append(f"watermark:{lang}")
            files[lang] = path
        return files


def _message(diagnostic: Diagnostic, lang: str) -> str:
    """A finding as a proof's cover lists it: in the paper's language, as the cover's own
    words are (the author reads it), or in the run's when messages are not written in it."""
    from proceedings.messages import LANGUAGES

    return diagnostic.text(lang if lang in LANGUAGES else None)
