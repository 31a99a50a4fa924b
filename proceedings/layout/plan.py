"""Plan: the book's parts in reading order, the jobs that lay them out, and, once
their lengths are known, where each part's pages land."""

from __future__ import annotations

import hashlib
from pathlib import Path

from proceedings.layout.cache import Fingerprint
from proceedings.layout.records import Job, Part, PartLayout, Placement
from proceedings.model import Sources
from proceedings.pdf import STYLESHEETS
from proceedings.render import BookRenderer, participants

# Parts whose text holds other parts' page numbers; the title's catalogue line prints the
# book's pages, the number of its last page (``LAST_PAGE``).
NUMBERED = ("title", "contents", "index")
LAST_PAGE = "book-last-page"


def plan(sources: Sources, renderer: BookRenderer) -> list[Part]:
    """The book's parts in reading order, exactly as the templates will print them."""
    book = sources.book
    t = renderer.common["t"]
    book_head = renderer.common["book_head"]
    first = book.languages[0]
    parts: list[Part] = []
    for kind in book.parts:
        if kind == "title":
            parts.append(Part("title", "title", None, "part-title", "", "", fixed=True))
        elif kind == "contents":
            parts.append(Part("contents", "contents", None, "part-contents", t("contents", first),
                              book_head(first)))
        elif kind == "programme" and sources.programme is not None:
            parts += [
                Part(f"programme:{lang}", "programme", lang, f"programme-{lang}",
                     t("programme", lang), book_head(lang))
                for lang in book.languages if lang in sources.programme.header
            ]
        elif kind == "participants" and participants(sources):
            parts += [
                Part(f"participants:{lang}", "participants", lang, f"participants-{lang}",
                     t("participants", lang), book_head(lang))
                for lang in book.languages
            ]
        elif kind == "papers":
            parts += [
                Part(f"paper:{view.paper.id}", "papers", view.paper.lang, view.anchor,
                     view.running_head, book_head(view.paper.lang), source=view.paper.path,
                     inner=(view.section.anchor,) if view.section else ())
                for view in renderer.context.papers
            ]
        elif kind == "resolution":
            parts += [
                Part(f"resolution:{rv.resolution.lang}", "resolution", rv.resolution.lang,
                     f"resolution-{rv.resolution.lang}", t("resolution", rv.resolution.lang),
                     book_head(rv.resolution.lang), source=rv.resolution.path)
                for rv in renderer.context.resolutions
            ]
        elif kind == "index" and renderer.context.index:
            parts.append(Part("index", "index", None, "part-index", t("author_index", first),
                              book_head(first)))
    return parts


def moving(parts: list[Part]) -> set[str]:
    """The numbered parts whose length moves other parts: all but the book's last."""
    return {p.key for p in parts[:-1] if p.key in NUMBERED}


class Jobs:
    """Makes the job that lays out a part's (or a stamp sheet's) HTML, under the digest
    of everything its layout depends on."""

    def __init__(self, sources: Sources, styles: Path, fonts: Path, cache: Path,
                 time_limit: float | None) -> None:
        self.renderer = BookRenderer(sources, styles, fonts=fonts)
        self.fingerprint = Fingerprint(styles, fonts, Path(sources.root))
        self.cache = cache
        self.time_limit = time_limit
        self.styles = styles
        self.stylesheets = tuple(str(styles / "css" / name) for name in STYLESHEETS)
        self.allowed = (str(Path(sources.root)), str(styles), str(fonts))

    def job(self, key: str, html: str, part: Part | None = None, ignore: tuple[str, ...] = (),
            draft: bool = False) -> Job:
        digest = self.fingerprint.of(part, html) if part else self.fingerprint.of_text(html)
        if draft:  # not the laid-out part of the same HTML, which has a PDF
            digest = hashlib.sha256(f"draft {digest}".encode()).hexdigest()[:40]
        lines = ""
        if part is not None and not draft:
            # A part's set paragraphs are kept by its key, not its HTML: the next layout of
            # an edited part finds those that did not change.
            name = hashlib.sha256(f"{self.fingerprint.common} {key}".encode()).hexdigest()[:40]
            lines = str(self.cache / f"lines-{name}.json")
        return Job(key, digest, html, str(self.styles), self.stylesheets, self.allowed,
                   str(self.cache), ignore, part.source if part else "build", self.time_limit,
                   draft=draft, measure=part is not None, lines=lines)

    def template(self, key: str, name: str, **values: object) -> Job:
        """The job for another template of the style (a stamp sheet)."""
        return self.job(key, self.renderer.render_template(name, **values))


def place(parts: list[Part], layouts: dict[str, PartLayout], *, papers_on_recto: bool) -> list[Placement]:
    """Give every part its pages, with a blank before a paper that must start on a recto."""
    placements = []
    page = 1
    for part in parts:
        blanks = 1 if papers_on_recto and part.kind == "papers" and page % 2 == 0 else 0
        page += blanks
        placements.append(Placement(part, layouts[part.key], page, blanks))
        page += layouts[part.key].pages
    return placements


def page_numbers(placements: list[Placement]) -> dict[str, int]:
    """The book page of every anchor of every part."""
    numbers: dict[str, int] = {}
    for placement in placements:
        for name, (index, _x, _y) in placement.layout.anchors.items():
            numbers.setdefault(name, placement.start + int(index))
    return numbers
