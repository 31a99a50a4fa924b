"""Models in, one HTML string out: the book as Jinja2 renders it.

Context builders resolve ids into the records the templates need (an author's
name and affiliation in the paper's language, a slot's speakers) and convert
Markdown once; every piece of markup comes from the templates in ``styles/``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from proceedings.markup import Segment, render_body, render_inline, typeset_spaces
from proceedings.model import (
    Affiliation,
    Book,
    Figure,
    Paper,
    Person,
    PersonName,
    Resolution,
    Slot,
    Sources,
    Table,
    Typography,
    css_length,
)
from proceedings.typography import apply as apply_typography
from proceedings.typography import rules_for
from proceedings.yamlsrc import parse_yaml

Labels = dict[str, dict[str, str]]
WORKPLACE_ORDER = {
    "ru": ("position", "department", "institution"),
    "en": ("position", "department", "institution"),
    "kk": ("institution", "department", "position"),
}


def millimetres(length: str) -> float:
    """A length of ``PAGE_GEOMETRY`` («25mm») as a number of millimetres."""
    return float(length.removesuffix("mm"))


@dataclass(frozen=True)
class PageGeometry:
    """Trim size, mirrored margins and body size of one book format."""

    width: str
    height: str
    margin_top: str
    margin_bottom: str
    margin_inner: str
    margin_outer: str
    font_size: str


PAGE_GEOMETRY = {
    "A4": PageGeometry("210mm", "297mm", "20mm", "22mm", "25mm", "20mm", "11.5pt"),
    "A5": PageGeometry("148mm", "210mm", "15mm", "17mm", "18mm", "14mm", "10pt"),
    # 60×84/16: the traditional format, trimmed to 145 × 215 mm.
    "60x84/16": PageGeometry("145mm", "215mm", "15mm", "17mm", "18mm", "14mm", "10pt"),
}


@dataclass(frozen=True)
class AuthorView:
    person: Person
    name: PersonName
    affiliation: Affiliation
    from_programme: bool


@dataclass(frozen=True)
class PaperView:
    paper: Paper
    authors: list[AuthorView]
    segments: list[Segment]
    abstract: Markup | None
    tables: dict[str, tuple[int, Table]]
    figures: dict[str, tuple[int, Figure]]
    anchor: str
    running_head: str


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    speakers: list[tuple[Person, PersonName]]


@dataclass(frozen=True)
class ResolutionView:
    resolution: Resolution
    segments: list[Segment]


@dataclass(frozen=True)
class IndexEntry:
    name: PersonName
    papers: list[str]
    # The same person's other name forms printed in the book, which this entry refers to.
    see_also: list[PersonName] = field(default_factory=list)


@dataclass
class Context:
    sources: Sources
    labels: Labels
    papers: list[PaperView] = field(default_factory=list)
    resolutions: list[ResolutionView] = field(default_factory=list)
    index: list[IndexEntry] = field(default_factory=list)


def load_labels(styles: Path) -> Labels:
    """The table of generated words per language, from ``styles/labels.yaml``."""
    data = parse_yaml((styles / "labels.yaml").read_text(encoding="utf-8")).data
    return {str(lang): {str(k): str(v or "") for k, v in table.items()} for lang, table in data.items()}


def affiliation_text(affiliation: Affiliation, lang: str = "ru") -> str:
    """The printed affiliation: the workplace chain, then degree, title and rank.

    The chain is one phrase whose word order is the language's own: Russian says
    "доцент кафедры … академии", Kazakh "академиясы … кафедрасының доценті".
    """
    order = WORKPLACE_ORDER.get(lang, WORKPLACE_ORDER["ru"])
    chain = " ".join(p for p in (getattr(affiliation, name) for name in order) if p)
    rest = [p for p in (affiliation.degree, affiliation.academic_title, affiliation.rank) if p]
    # Initials stay with their surnames here too («им. М. Есбулатова»).
    return typeset_spaces(", ".join([chain, *rest] if chain else rest))


def _author_view(sources: Sources, ref_person: str, lang: str, override: Affiliation | None,
                 from_programme: bool) -> AuthorView:
    person = sources.people[ref_person]
    name = person.name(lang)
    return AuthorView(person, name, override or name, from_programme)


@lru_cache(maxsize=64)
def typesetter(lang: str, switches: Typography) -> Callable[[str], str]:
    """The typesetter's rules of ``lang`` that a book switches on, as a function of a text."""
    # Imported here: the language data's loader is the checker's, and the checker's
    # modules import this one.
    from proceedings.check.spelling import languages

    rules = rules_for(lang, switches, languages())
    return lambda text: apply_typography(text, rules)


@lru_cache(maxsize=4096)
def _rendered(body: str, anchor_prefix: str, references: frozenset[int], first_line: int,
              lang: str, switches: Typography) -> list[Segment]:
    """A body converted once per process: a warm rebuild converts only what changed.

    Callers must not change the list.
    """
    return render_body(body, anchor_prefix=anchor_prefix, references=set(references), first_line=first_line,
                       typography=typesetter(lang, switches))


def _paper_view(sources: Sources, paper: Paper, labels: Labels) -> PaperView:
    authors = [
        _author_view(sources, a.person, paper.lang, a.affiliation, a.source == "programme")
        for a in paper.authors
        if a.person in sources.people
    ]
    numbers = {r.number for r in paper.references if r.number is not None}
    anchor = f"paper-{paper.id}"
    switches = sources.book.typography
    segments = _rendered(paper.body, f"{anchor}-ref", frozenset(numbers), paper.body_line, paper.lang,
                         switches)
    names = ", ".join(_initials(a.name) for a in authors)
    t = translator(labels)
    if paper.short_title:
        short = paper.short_title
    else:
        # What is left of the head's one line once the names are set; a paper without
        # a title shows its placeholder, as its first page does.
        room = _head_chars(PAGE_GEOMETRY[sources.book.trim]) - (_head_width(names) + 3 if names else 0)
        avoid = set(t("head_no_end", paper.lang).split())
        short = _shorten(paper.title or t("no_title", paper.lang), max(int(room), 20), avoid)
    return PaperView(
        paper=paper,
        authors=authors,
        segments=segments,
        abstract=(Markup(render_inline(paper.abstract, typesetter(paper.lang, switches)))
                  if paper.abstract else None),
        tables={t.id: (i, t) for i, t in enumerate(paper.tables, 1)},
        figures={f.id: (i, f) for i, f in enumerate(paper.figures, 1)},
        anchor=anchor,
        running_head=" · ".join(p for p in (names, short) if p),
    )


# Running heads are set in 9 pt roman (styles/css/page.css), whose characters average
# under 1.7 mm in the bundled faces, Cyrillic and Latin alike: a head of this many
# characters per millimetre of the measure stays on one line.
HEAD_CHARS_PER_MM = 1 / 1.75


def _head_chars(page: PageGeometry) -> int:
    measure = millimetres(page.width) - millimetres(page.margin_inner) - millimetres(page.margin_outer)
    return int(measure * HEAD_CHARS_PER_MM)


def _head_width(text: str) -> float:
    """A text's width in average characters: capitals are about a third wider."""
    return len(text) + 0.35 * sum(c.isupper() for c in text)


def _shorten(text: str, limit: int, avoid: set[str]) -> str:
    """Cut a title for a running head at a word boundary, marking the cut.

    A cut never leaves a preposition, conjunction or particle (the language's
    ``head_no_end`` words) at the end, where it would promise a word that is not there,
    nor a bracket or quote it opened without its close.
    """
    if _head_width(text) <= limit:
        return text
    words: list[str] = []
    for word in text.split():
        if _head_width(" ".join([*words, word])) + 1 > limit:
            break
        words.append(word)
    def unclosed(text: str) -> bool:  # a bracket or quote opened and not closed by the cut
        return text.count("(") > text.count(")") or text.count("«") > text.count("»")

    while len(words) > 1 and (words[-1].strip(",:;–-—«»\"()").lower() in avoid
                              or unclosed(" ".join(words))):
        words.pop()
    cut = " ".join(words).rstrip(" ,:;–-—")
    return f"{cut}…"


def _initials(name: PersonName) -> str:
    """«А.М. Тургунбаева», as bylines in the contents and heads print a name."""
    return f"{name.initials}\u00a0{name.surname}" if name.initials else name.surname


def collation_key(text: str) -> tuple[int, list[int]]:
    """Kazakh alphabetical order for Cyrillic names, then Latin."""
    order = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
    lowered = text.lower()
    script = 0 if any(c in order for c in lowered[:1]) else 1
    keys = [order.index(c) if c in order else 100 + ord(c) for c in lowered]
    return script, keys


def _index(papers: list[PaperView]) -> list[IndexEntry]:
    """One entry per name form printed in a byline, with the papers it is printed in;
    a person printed in two forms (Малаевич in Russian, Малайұлы in Kazakh) gets both,
    each referring to the other."""
    forms: dict[str, dict[tuple[str, str], tuple[PersonName, list[str]]]] = {}
    for view in papers:
        for author in view.authors:
            key = (author.name.surname, author.name.given or "")
            by_form = forms.setdefault(author.person.id, {})
            by_form.setdefault(key, (author.name, []))[1].append(view.anchor)
    entries = [
        IndexEntry(name, anchors, [other for other, _ in by_form.values() if other is not name])
        for by_form in forms.values() for name, anchors in by_form.values()
    ]
    return sorted(entries, key=lambda e: collation_key(f"{e.name.surname} {e.name.given or ''}"))


def slot_views(sources: Sources, lang: str) -> list[SlotView]:
    """The programme's slots with their speakers' names in ``lang``."""
    if sources.programme is None:
        return []
    return [
        SlotView(slot, [(sources.people[p], sources.people[p].name(lang)) for p in slot.people
                        if p in sources.people])
        for slot in sources.programme.slots
    ]


def participants(sources: Sources) -> list[Person]:
    """The participant list: as given, else everyone in the programme in order of appearance."""
    given = sources.participants.people if sources.participants else None
    if given is not None:
        return [sources.people[p] for p in given if p in sources.people]
    ids: dict[str, None] = {}
    if sources.programme:
        for slot in sources.programme.slots:
            ids.update(dict.fromkeys(slot.people))
    return [sources.people[p] for p in ids if p in sources.people]


def build_context(sources: Sources, labels: Labels) -> Context:
    """Everything the templates need, resolved and converted."""
    context = Context(sources=sources, labels=labels)
    context.papers = [_paper_view(sources, p, labels) for p in sources.ordered_papers()]
    langs = sources.book.languages
    by_lang = sorted(
        sources.resolutions,
        key=lambda r: langs.index(r.lang) if r.lang in langs else len(langs),
    )
    context.resolutions = [
        ResolutionView(r, _rendered(r.body, f"resolution-{r.lang}", frozenset(), r.body_line, r.lang,
                                    sources.book.typography))
        for r in by_lang
    ]
    context.index = _index(context.papers)
    return context


# Environments by templates folder and labels: a process that builds again
# (proceedings watch) compiles the templates once, and again only those edited
# since (Jinja looks at their modification times).
_ENVIRONMENTS: dict[tuple[str, str], Environment] = {}


def make_environment(templates: Path, labels: Labels | None = None) -> Environment:
    """The Jinja environment: strict about undefined names, escaping by default."""
    key = (str(templates.resolve()), json.dumps(labels, sort_keys=True, default=str))
    if key not in _ENVIRONMENTS:
        if len(_ENVIRONMENTS) >= 8:
            _ENVIRONMENTS.clear()
        _ENVIRONMENTS[key] = _environment(templates, labels)
    return _ENVIRONMENTS[key]


def _environment(templates: Path, labels: Labels | None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(templates),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["affiliation"] = affiliation_text
    env.filters["initials"] = _initials
    env.filters["markup"] = Markup
    env.filters["typo"] = typeset_spaces
    env.filters["grouped"] = grouped_digits
    env.tests["number"] = is_number
    if labels is not None:
        translate = translator(labels)
        env.filters["t_label"] = lambda lang, key: translate(key, lang)
        # A date as the language writes it in running text («20 сентября 2024 г.»).
        env.filters["long_date"] = lambda value, lang: written_date(value, lang, translate)
    env.filters["clock"] = lambda value: str(value).replace(":", ".")
    env.filters["css_length"] = lambda value: css_length(str(value)) or ""
    env.globals["tr"] = translation
    return env


# A table cell that holds a number alone: «14220», «52,9%», «3.5», «−12», «14 220».
_NUMBER_RE = re.compile(r"^[-−–+]?(?:\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)(?:[.,]\d+)?\s?%?$")
_LONG_INTEGER_RE = re.compile(r"(?<![\d.,])\d{5,}")


def is_number(text: object) -> bool:
    """Whether a table cell holds a number alone (it is then set flush right)."""
    return bool(_NUMBER_RE.match(str(text).strip()))


def grouped_digits(text: str) -> str:
    """Integers of five digits or more grouped by threes with a narrow no-break space
    (14220 → 14 220), as a press sets figures in tables; four-digit ones (years) stay."""
    def group(digits: str) -> str:
        head = len(digits) % 3 or 3
        return "\u202f".join([digits[:head], *(digits[i:i + 3] for i in range(head, len(digits), 3))])

    return _LONG_INTEGER_RE.sub(lambda m: group(m[0]), text)


class BookRenderer:
    """Renders the book, or one part of it, from one set of records.

    A part is laid out on its own ("title", "contents", "programme:kk", "paper:p01",
    "resolution:ru", "index"); the book as one document is part None.
    """

    def __init__(self, sources: Sources, styles: Path, *, fonts: Path) -> None:
        self.sources = sources
        self.labels = load_labels(styles)
        self.context = build_context(sources, self.labels)
        self.env = make_environment(styles / "templates", self.labels)
        self._by_id: dict[str, PaperView] | None = None
        self.common: dict[str, Any] = {
            "ctx": self.context,
            "book": sources.book,
            "lang": sources.book.languages[0],
            "labels": self.labels,
            "slots": lambda lang: slot_views(sources, lang),
            "participants": participants(sources),
            "created": publication_date(sources.book).isoformat(),
            "styles_url": styles.resolve().as_uri(),
            "sources_url": Path(sources.root).resolve().as_uri(),
            "fonts_url": fonts.resolve().as_uri(),
            "t": translator(self.labels),
            "page": PAGE_GEOMETRY[sources.book.trim],
            "book_head": lambda lang: _book_head(sources, lang),
            # Authors' text as the typesetter sets it in a language (typography.py).
            "typeset": lambda text, lang: typesetter(lang, sources.book.typography)(str(text)),
        }

    def render(
        self,
        part: str | None = None,
        *,
        page_numbers: Mapping[str, int | str] | None = None,
        link_targets: tuple[str, ...] = (),
        written: list[str] | None = None,
    ) -> str:
        """The HTML of the whole book, or of one part with its page numbers written in.

        ``written`` gets the anchors whose numbers the part prints, in its order.
        """

        def page_attr(anchor: str) -> Markup:
            if page_numbers is None or anchor not in page_numbers:
                return Markup("")
            if written is not None:
                written.append(anchor)
            return Markup(' data-page="{}"').format(page_numbers[anchor])

        template = self.env.get_template("book.html.j2")
        return printable(template.render(
            **self.common,
            part_key=part,
            # A paper's part renders its own paper only, without walking all the others.
            part_papers=self._papers_of(part),
            # A part laid out alone: its heads and folios are stamped when it is assembled.
            part_mode=part is not None and part != "title",
            want=lambda key: part is None or part == key,
            page_attr=page_attr,
            link_targets=link_targets,
        ))

    def _papers_of(self, part: str | None) -> list[PaperView]:
        if part is None:
            return self.context.papers
        if not part.startswith("paper:"):
            return []
        if self._by_id is None:
            self._by_id = {view.paper.id: view for view in self.context.papers}
        view = self._by_id.get(part.removeprefix("paper:"))
        return [view] if view else []

    def metadata(self) -> str:
        """The book's XMP metadata: its title in every language, creators, languages, date."""
        book, first = self.sources.book, self.sources.book.languages[0]
        creators = [self.sources.people[e].name(first).full for e in book.editors if e in self.sources.people]
        creators = creators or [translation(o, first) for o in book.organisers]
        return self.render_template("xmp.xml.j2", creators=creators)

    def render_template(self, name: str, **values: Any) -> str:
        """Render another template of the style with the book's common values."""
        return printable(self.env.get_template(name).render(**self.common, **values))


# The controls of bidirectional text: one in an author's text reverses what follows it
# in print, unseen in the source (the checker reports them as control-char).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI_RE = re.compile(f"[{BIDI_CONTROLS}]")


def printable(html: str) -> str:
    """``html`` without the controls of bidirectional text."""
    # Looking for each is a quarter of the time of one pass of the expression (the
    # book is rendered at every build), and a book has none.
    if not any(ch in html for ch in BIDI_CONTROLS):
        return html
    return _BIDI_RE.sub("", html)


def written_date(value: dt.date, lang: str, t: Callable[[str, str], str]) -> str:
    """A date as the language writes it in running text («20 сентября 2024 г.»): the
    title page, the catalogue line and an offprint's citation alike."""
    month = t("months", lang).split()[value.month - 1]
    return t("citation_date", lang).format(day=value.day, month=month, year=value.year)


def publication_date(book: Book) -> dt.date:
    """The date a book's PDF says it was made: SOURCE_DATE_EPOCH when set (the
    reproducible-builds convention), else book.yaml's ``published``, else today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return book.published or dt.date.today()


def render_book(sources: Sources, styles: Path, *, fonts: Path) -> str:
    """Render the whole book to one HTML document."""
    return BookRenderer(sources, styles, fonts=fonts).render()


def translation(table: Mapping[str, str], lang: str) -> str:
    """A field given per language (``book.title``), in ``lang``; when it lacks that
    language (the checker warns, ``missing-translation``), in the first language it has,
    so that the book still builds and the gap shows; else empty."""
    if lang in table:
        return table[lang]
    return next(iter(table.values()), "")


def _book_head(sources: Sources, lang: str) -> str:
    """The verso running head: the short title in ``lang``, else in the book's first language."""
    book = sources.book
    for table in (book.short_title, book.title):
        if lang in table:
            return table[lang]
    first = book.languages[0]
    return book.short_title.get(first) or book.title.get(first, "")


def translator(labels: Labels) -> Callable[[str, str], str]:
    """``t(key, lang)``: the generated word ``key`` in ``lang``, else in English, else the key."""

    def t(key: str, lang: str) -> str:
        return labels.get(lang, labels["en"]).get(key) or labels["en"].get(key, key)

    return t
