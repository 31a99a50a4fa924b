"""The print stage: the book as a print shop takes it.

Trim size with bleed and crop marks, PDF/X-4, every colour a grey, no links, the page
count padded to whole signatures, and an optional final imprint page. The checks
run strict: a warning stops the print unless the editor overrides it with a reason,
and the reason is recorded in the PDF.
"""

from __future__ import annotations

import hashlib
import io
import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from proceedings.build import PACKAGE_ROOT, check
from proceedings.diagnostics import Diagnostics, Severity
from proceedings.files import write_atomic
from proceedings.layout.plan import plan as plan_parts
from proceedings.layout.stamps import stamp_turned, turned_stamps
from proceedings.locales import shipped
from proceedings.model import Sources, TrimName
from proceedings.pdf import STYLESHEETS, Layout, paginate, set_upright, turned_pages
from proceedings.pdfedit import (
    Overlay,
    draw_over,
    drop_annotations,
    merge_metadata,
    page_form,
    retag_fonts,
    to_gray,
)
from proceedings.preflight import MM, SLUG_MM
from proceedings.render import (
    PAGE_GEOMETRY,
    BookRenderer,
    load_labels,
    locale_functions,
    make_environment,
    publication_date,
    translator,
)

PRINT_NAME = "proceedings-print.pdf"
PDF_VARIANT = "pdf/x-4"
OVERRIDE_KEY = "/ProceedingsOverride"
# The press sheet each trim is cut from, and how many pages one side of it holds.
# A4 is the eighth of a 60×84 cm sheet (300 × 210 mm before trimming); A5 and the
# traditional 145 × 215 mm format are its sixteenth.
PRESS_FORMAT: dict[TrimName, str] = {"A4": "60×84/8", "A5": "60×84/16", "60x84/16": "60×84/16"}
# The conventional printed sheet (усл. печ. л.) is one side of a 60×90 cm sheet.
CONVENTIONAL_SHEET_CM2 = 60 * 90
# Printing condition named in the OutputIntent. PDF/X-4 also wants its ICC profile
# embedded; the repository ships none, so the name is what the print shop reads.
OUTPUT_CONDITION = ("FOGRA39", "Coated FOGRA39 (ISO 12647-2:2004)")


@dataclass(frozen=True)
class PrintOptions:
    sources: Path
    out: Path = Path("build")
    styles: Path = PACKAGE_ROOT / "styles"
    fonts: Path = PACKAGE_ROOT / "fonts"
    # Why the editor prints despite warnings; None keeps the checks strict.
    override: str | None = None


@dataclass
class PrintResult:
    pdf: Path | None = None
    pages: int = 0
    blank_pages: int = 0
    overridden_warnings: int = 0
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


@dataclass(frozen=True)
class FinalImprint:
    """What the final imprint page states about the printed copy."""

    format: str
    sheets: float  # усл. печ. л.
    print_run: int | None


def conventional_sheets(pages: int, press_format: str) -> float:
    """Conventional printed sheets (усл. печ. л.) of ``pages`` pages in ``press_format``.

    "60×84/16" is a 60 × 84 cm sheet cut into 16 leaves, so one side of it, one
    physical printed sheet, holds 16 pages. Physical sheets are pages / 16; the
    conventional sheet is one side of a 60×90 sheet, so they are converted by the
    ratio of areas, 60·84 / 60·90 = 0.93:

        усл. печ. л. = pages / fraction × (width × height) / (60 × 90)

    rounded to hundredths, as imprints print it.
    """
    match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*/\s*(\d+)\s*", press_format)
    if match is None:
        raise ValueError(f"not a press format (60×84/16): {press_format!r}")
    width, height, fraction = (int(g) for g in match.groups())
    return round(pages / fraction * width * height / CONVENTIONAL_SHEET_CM2, 2)


def padded(pages: int, signature: int) -> int:
    """The smallest multiple of ``signature`` that holds ``pages`` pages."""
    return -(-pages // signature) * signature


def print_book(opts: PrintOptions) -> PrintResult:
    """Write ``proceedings-print.pdf``; raises BuildError on errors, or warnings not overridden."""
    sources, diags = check(opts.sources)
    result = PrintResult(diagnostics=diags)
    strict = opts.override is None
    diags.raise_if_failed(strict=strict)  # errors are never overridden
    assert sources is not None
    renderer = BookRenderer(sources, opts.styles, fonts=opts.fonts)
    html = renderer.render()
    env = make_environment(opts.styles / "templates")
    settings = sources.book.print
    page_css = env.get_template("print_page.css.j2").render(settings=settings, slug_mm=SLUG_MM)
    stylesheets = [opts.styles / "css" / name for name in (*STYLESHEETS, "print.css")]
    allowed = [Path(sources.root), opts.styles, opts.fonts]

    def lay_out(text: str) -> Layout:
        layout = paginate(text, styles=opts.styles, stylesheets=stylesheets, allowed=allowed,
                          css_strings=(page_css,))
        diags.extend(layout.diagnostics)
        diags.raise_if_failed(strict=strict)
        return layout

    book = lay_out(html)
    final = settings.final_imprint
    total = padded(book.pages + (1 if final else 0), settings.signature)
    blanks = total - book.pages - (1 if final else 0)
    identifier = hashlib.sha256((html + page_css).encode()).hexdigest()[:32].encode()
    body = book.document.write_pdf(identifier=identifier, pdf_variant=PDF_VARIANT)
    turned = turned_pages(book.document)
    if turned:  # a turned table's pages upright, with their heads and folios, as in the book
        stamp_css = env.get_template("print_page.css.j2").render(settings=settings, slug_mm=SLUG_MM,
                                                                 stamps=True)

        def sheet(text: str) -> tuple[bytes, dict[str, int]]:
            laid_out = paginate(text, styles=opts.styles, stylesheets=stylesheets, allowed=allowed,
                                css_strings=(stamp_css,))
            return laid_out.document.write_pdf(identifier=identifier), laid_out.anchors

        plan = turned_stamps(plan_parts(sources, renderer), book.anchors, [i + 1 for i in turned])
        body = stamp_turned(set_upright(body, turned), plan, renderer.render_template, sheet)
    with ExitStack() as stack:
        # pikepdf reads a copied page's streams from its source only when the copy is
        # saved: the tail stays open until the book is written.
        pdf = stack.enter_context(pikepdf.open(io.BytesIO(body)))
        for page in pdf.pages:
            drop_annotations(page)
        if blanks or final:
            tail = lay_out(_tail_html(sources, opts.styles, blanks=blanks, total=total,
                                      first_verso=book.pages % 2 == 1))
            tail_pdf = stack.enter_context(pikepdf.open(io.BytesIO(
                tail.document.write_pdf(identifier=identifier, pdf_variant=PDF_VARIANT))))
            # Laid out apart, the tail's font subsets carry the same names as the book's.
            retag_fonts(tail_pdf, salt="tail")
            for page in tail_pdf.pages:
                drop_annotations(page)
            pdf.pages.extend(tail_pdf.pages)
        if settings.marks:
            _slugs(pdf, sources, opts, allowed)
        to_gray(pdf)
        _add_output_intent(pdf)
        merge_metadata(pdf, renderer.metadata())
        result.overridden_warnings = diags.count(Severity.WARNING) if opts.override else 0
        if result.overridden_warnings:
            assert opts.override is not None
            pdf.docinfo[OVERRIDE_KEY] = opts.override
            pdf.docinfo["/ProceedingsOverriddenWarnings"] = str(result.overridden_warnings)
        data = io.BytesIO()
        # The second part of the file identifier from the content, not at random: the
        # same book gives the same bytes.
        pdf.save(data, deterministic_id=True)
    result.pdf = opts.out / PRINT_NAME
    write_atomic(result.pdf, data.getvalue())
    result.pages, result.blank_pages = total, blanks
    return result


def _tail_html(sources: Sources, styles: Path, *, blanks: int, total: int, first_verso: bool) -> str:
    env = make_environment(styles / "templates")
    book = sources.book
    t = translator(load_labels(styles, sources))
    final = None
    if book.print.final_imprint:
        press = book.print.format or PRESS_FORMAT[book.trim]
        final = FinalImprint(press, conventional_sheets(total, press),
                             book.print.print_run or book.imprint.print_run)

    return env.get_template("print_tail.html.j2").render(
        book=book, lang=book.languages[0], page=PAGE_GEOMETRY[book.trim], blanks=blanks,
        first_verso=first_verso, final=final, settings=book.print, t=t,
        **locale_functions(sources.locales or shipped(styles / "locales")))


def _slugs(pdf: pikepdf.Pdf, sources: Sources, opts: PrintOptions, allowed: list[Path]) -> None:
    """Set every page's BleedBox to the bleed alone (its MediaBox holds the slug too) and
    lay the page information line (file, page, date) over the slug."""
    bleed = sources.book.print.bleed_mm * MM
    trim = [float(v) for v in pdf.pages[0].trimbox]
    media = [float(v) for v in pdf.pages[0].mediabox]
    env = make_environment(opts.styles / "templates")
    html = env.get_template("print_slug.html.j2").render(
        lang=sources.book.languages[0], width=media[2] - media[0], height=media[3] - media[1],
        outside=trim[0] - media[0], pages=len(pdf.pages), name=PRINT_NAME,
        date=publication_date(sources.book).isoformat())
    # Laid out with the fonts alone: the book's page style would give the sheet folios.
    layout = paginate(html, styles=opts.styles, stylesheets=[opts.styles / "css" / "fonts.css"],
                      allowed=allowed)
    slugs = pikepdf.open(io.BytesIO(layout.document.write_pdf(pdf_variant=PDF_VARIANT)))
    retag_fonts(slugs, salt="slug")  # laid out apart, its font subsets carry the book's names
    for number, page in enumerate(pdf.pages):
        trim = [float(v) for v in page.trimbox]
        page.obj.BleedBox = pikepdf.Array([trim[0] - bleed, trim[1] - bleed,
                                           trim[2] + bleed, trim[3] + bleed])
        form = pdf.copy_foreign(page_form(slugs, number))
        origin = [float(v) for v in page.mediabox][:2]
        form.Matrix = pikepdf.Array([1, 0, 0, 1, *origin])
        draw_over(page, [Overlay("ProceedingsSlug", form)])
    slugs.close()


def _add_output_intent(pdf: pikepdf.Pdf) -> None:
    root = pdf.Root
    if "/OutputIntents" in root:
        return
    identifier, info = OUTPUT_CONDITION
    intent = pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=pikepdf.String(identifier),
        RegistryName=pikepdf.String("http://www.color.org"),
        Info=pikepdf.String(info),
    )
    root.OutputIntents = pikepdf.Array([intent])
