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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup

from proceedings.locales import REFERENCE, Locale, Locales, hyphenation_target, labels_table, shipped
from proceedings.markup import Segment, render_body, render_inline, typeset_spaces
from proceedings.model import (
    Affiliation,
    AuthorRef,
    Book,
    Figure,
    Paper,
    Person,
    PersonName,
    Resolution,
    Session,
    Slot,
    Sources,
    Table,
    Typography,
    css_length,
)
from proceedings.typography import apply as apply_typography
from proceedings.typography import rules_for

Labels = dict[str, dict[str, str]]


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
    # Every affiliation printed for this byline, the first being ``affiliation``.
    affiliations: tuple[Affiliation, ...] = ()
    corresponding: bool = False
    # What the byline prints of the person's e-mail and ORCID (None: not printed).
    email: str | None = None
    orcid: str | None = None
    # In a numbered byline, the numbers of the author's affiliations in its list.
    marks: tuple[int, ...] = ()


@dataclass(frozen=True)
class FrontView:
    """A paper's abstract and keywords in one language."""

    lang: str
    abstract: Markup | None
    keywords: list[str]


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
    # Set on the first paper of a section of the volume (book.yaml's sections), which
    # opens with the section's heading; every paper of a section has ``in_section``.
    section: SectionView | None = None
    in_section: bool = False
    # "stacked" or "numbered" (see model.BylineSettings), and a numbered byline's list
    # of affiliations, each printed once.
    byline_style: str = "stacked"
    affiliation_list: tuple[str, ...] = ()
    # Abstracts and keywords by language, the paper's own first.
    front: tuple[FrontView, ...] = ()


@dataclass(frozen=True)
class SectionView:
    """A section of the volume: its anchor and its title in each of the book's languages."""

    anchor: str
    titles: list[tuple[str, str]]

    @property
    def joined(self) -> str:
        """The titles one after another, a title the languages share once."""
        return " / ".join(text for _lang, text in self.distinct)

    @property
    def distinct(self) -> list[tuple[str, str]]:
        """The titles, each text once (with the first language that has it)."""
        seen: dict[str, str] = {}
        for lang, text in self.titles:
            seen.setdefault(text, lang)
        return [(lang, text) for text, lang in seen.items()]


@dataclass(frozen=True)
class SlotView:
    slot: Slot
    speakers: list[tuple[Person, PersonName]]


@dataclass(frozen=True)
class SessionView:
    """A session of the programme in one language, its ids resolved."""

    session: Session
    title: str
    room: str
    chairs: list[PersonName]
    start: str
    end: str
    slots: list[SlotView]


@dataclass(frozen=True)
class DayView:
    date: dt.date
    title: str
    sessions: list[SessionView]


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


def load_labels(styles: Path, sources: Sources | None = None) -> Labels:
    """The generated words per language: the ``labels`` of the book's locales (the
    shipped ones with the book's own on top, read with the sources), else of the
    locales in ``styles/locales``."""
    return labels_table(sources.locales if sources is not None and sources.locales
                        else shipped(styles / "locales"))


def affiliation_text(affiliation: Affiliation, lang: str = "ru", locales: Locales | None = None) -> str:
    """The printed affiliation: the workplace chain, then degree, title and rank.

    The chain is one phrase whose word order is the language's own (its locale's
    ``names.affiliation``): Russian says "доцент кафедры … академии", Kazakh
    "академиясы … кафедрасының доценті"; its parts are joined as the language joins them
    (``names.affiliation_separator``: a space in Russian and Kazakh, whose genitives make
    one phrase; a comma in English, «Reader in Linguistics, Department of English,
    University of Leeds»), and the degree, title and rank follow after
    ``names.degree_separator``.
    """
    names = locale_of(locales or shipped(), lang).names
    chain = names.affiliation_separator.join(
        p for p in (getattr(affiliation, name) for name in names.affiliation) if p)
    rest = [p for p in (affiliation.degree, affiliation.academic_title, affiliation.rank) if p]
    # Initials stay with their surnames here too («им. М. Есбулатова»).
    return typeset_spaces(names.degree_separator.join([chain, *rest] if chain else rest))


def place_text(affiliation: Affiliation, lang: str, locales: Locales) -> str:
    """A workplace as a numbered byline lists it: department and institution, in the
    language's order («Department of English, University of Leeds»); the position when
    neither is given. Degrees, titles and ranks are a person's, not a place's."""
    names = locale_of(locales, lang).names
    parts = [p for p in (getattr(affiliation, name) for name in names.affiliation if name != "position") if p]
    return typeset_spaces(names.affiliation_separator.join(
        parts or ([affiliation.position] if affiliation.position else [])))


def _author_view(sources: Sources, ref: AuthorRef, lang: str) -> AuthorView:
    person = sources.people[ref.person]
    name = person.name(lang)
    settings = sources.book.byline
    # An author without any affiliation keeps the (empty) one of the name, as ever.
    affiliations = tuple(ref.affiliations) or ((ref.affiliation,) if ref.affiliation else ()) \
        or tuple(name.all_affiliations()) or (name,)
    shows_email = settings.email == "all" or (settings.email == "corresponding" and ref.corresponding)
    return AuthorView(
        person, name, affiliations[0], ref.source == "programme",
        affiliations=affiliations,
        corresponding=ref.corresponding,
        email=person.email if shows_email else None,
        orcid=person.orcid if settings.orcid else None,
    )


def _numbered(authors: list[AuthorView], lang: str, locales: Locales) -> tuple[list[AuthorView], list[str]]:
    """The authors with the numbers of their affiliations, and the list of affiliations,
    each place once in order of first mention (Springer, ACL). One place for all gets no
    number."""
    places: dict[str, int] = {}
    marks = []
    for author in authors:
        texts = [place_text(a, lang, locales) for a in author.affiliations]
        marks.append(tuple(sorted(places.setdefault(text, len(places) + 1)
                                  for text in dict.fromkeys(texts) if text)))
    if len(places) <= 1:
        return authors, list(places)
    return [replace(a, marks=m) for a, m in zip(authors, marks, strict=True)], list(places)


def _front(sources: Sources, paper: Paper) -> tuple[FrontView, ...]:
    switches = sources.book.typography
    abstracts, keywords = paper.abstracts_by_lang(), paper.keywords_by_lang()
    return tuple(
        FrontView(lang, Markup(render_inline(abstracts[lang],
                                             typesetter(lang, switches, typesetting(sources, lang))))
                  if lang in abstracts else None,
                  keywords.get(lang, []))
        for lang in dict.fromkeys([*abstracts, *keywords])
    )


Typesetting = tuple[tuple[str, Any], ...]


def typesetting(sources: Sources | None, lang: str) -> Typesetting:
    """What the typesetter's rules read of ``lang``'s locale (the book's own file, else the
    shipped one): its quotes and its ``typography:`` section, as a key of caches."""
    locale = (sources.locales if sources is not None and sources.locales else shipped()).get(lang)
    if locale is None:
        return ()
    data = {"quotes": locale.quotes, **locale.typography.model_dump()}
    return tuple(sorted((key, tuple(value) if isinstance(value, list) else value)
                        for key, value in data.items()))


@lru_cache(maxsize=64)
def typesetter(lang: str, switches: Typography, data: Typesetting | None = None) -> Callable[[str], str]:
    """The typesetter's rules of ``lang`` that a book switches on, as a function of a text
    (``data``: ``typesetting``'s, by default of the shipped locale)."""
    rules = rules_for(lang, switches, {lang: dict(typesetting(None, lang) if data is None else data)})
    return lambda text: apply_typography(text, rules)


@lru_cache(maxsize=4096)
def _rendered(body: str, anchor_prefix: str, references: frozenset[int], first_line: int,
              lang: str, switches: Typography, data: Typesetting) -> list[Segment]:
    """A body converted once per process: a warm rebuild converts only what changed.

    Callers must not change the list.
    """
    return render_body(body, anchor_prefix=anchor_prefix, references=set(references), first_line=first_line,
                       typography=typesetter(lang, switches, data))


def _paper_view(sources: Sources, paper: Paper, labels: Labels) -> PaperView:
    authors = [_author_view(sources, a, paper.lang) for a in paper.authors if a.person in sources.people]
    t = translator(labels)
    locales = sources.locales or shipped()
    style = sources.book.byline.style or locale_of(locales, paper.lang).names.byline_style
    places: list[str] = []
    if style == "numbered":
        authors, places = _numbered(authors, paper.lang, locales)
    numbers = {r.number for r in paper.references if r.number is not None}
    anchor = f"paper-{paper.id}"
    switches = sources.book.typography
    segments = _rendered(paper.body, f"{anchor}-ref", frozenset(numbers), paper.body_line, paper.lang,
                         switches, typesetting(sources, paper.lang))
    names = ", ".join(_initials(a.name) for a in authors)
    if paper.short_title:
        short = paper.short_title
    else:
        # What is left of the head's one line once the names are set; a paper without
        # a title shows its placeholder, as its first page does.
        room = _head_chars(PAGE_GEOMETRY[sources.book.trim]) - (_head_width(names) + 3 if names else 0)
        avoid = set(t("head_no_end", paper.lang).split())
        short = _shorten(paper.title or t("no_title", paper.lang), max(int(room), 20), avoid,
                         locale_of(sources.locales or shipped(), paper.lang).quotes)
    return PaperView(
        paper=paper,
        authors=authors,
        segments=segments,
        abstract=(Markup(render_inline(paper.abstract,
                                       typesetter(paper.lang, switches, typesetting(sources, paper.lang))))
                  if paper.abstract else None),
        tables={t.id: (i, t) for i, t in enumerate(paper.tables, 1)},
        figures={f.id: (i, f) for i, f in enumerate(paper.figures, 1)},
        anchor=anchor,
        running_head=" · ".join(p for p in (names, short) if p),
        byline_style=style,
        affiliation_list=tuple(places),
        front=_front(sources, paper),
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


def _shorten(text: str, limit: int, avoid: set[str], quotes: Sequence[str] = ()) -> str:
    """Cut a title for a running head at a word boundary, marking the cut.

    A cut never leaves a preposition, conjunction or particle (the language's
    ``head_no_end`` words) at the end, where it would promise a word that is not there,
    nor a bracket or a quote (of the language's ``quotes``) it opened without its close.
    """
    pairs = [("(", ")"), *zip(quotes[::2], quotes[1::2], strict=True)]
    marks = ",:;–-—\"()" + "".join(quotes)
    if _head_width(text) <= limit:
        return text
    words: list[str] = []
    for word in text.split():
        if _head_width(" ".join([*words, word])) + 1 > limit:
            break
        words.append(word)
    def unclosed(text: str) -> bool:  # a bracket or quote opened and not closed by the cut
        return any(text.count(opening) > text.count(closing)
                   for opening, closing in pairs if opening != closing)

    while len(words) > 1 and (words[-1].strip(marks).lower() in avoid
                              or unclosed(" ".join(words))):
        words.pop()
    cut = " ".join(words).rstrip(" ,:;–-—")
    return f"{cut}…"


def _initials(name: PersonName) -> str:
    """«А.М. Тургунбаева», as bylines in the contents and heads print a name."""
    return f"{name.initials}\u00a0{name.surname}" if name.initials else name.surname


def collation_order(locales: Locales, langs: list[str]) -> str:
    """The letters of the author index in order: the alphabet of the book's first
    language (its locale's ``collation``), then the letters the others add, in theirs."""
    return "".join(dict.fromkeys("".join(locale_of(locales, lang).collation for lang in langs)))


def collation_key(text: str, order: str) -> list[int]:
    """``text``'s place in alphabetical ``order``; a character not in it after every
    letter of it, by its code point."""
    return [order.index(c) if c in order else len(order) + ord(c) for c in text.lower()]


def _index(papers: list[PaperView], order: str = "") -> list[IndexEntry]:
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
    return sorted(entries, key=lambda e: collation_key(f"{e.name.surname} {e.name.given or ''}", order))


def slot_views(sources: Sources, lang: str) -> list[SlotView]:
    """The programme's slots with their speakers' names in ``lang``."""
    if sources.programme is None:
        return []
    return [
        SlotView(slot, [(sources.people[p], sources.people[p].name(lang)) for p in slot.people
                        if p in sources.people])
        for slot in sources.programme.slots
    ]


def day_views(sources: Sources, lang: str, t: Callable[[str, str], str]) -> list[DayView]:
    """The programme's days and sessions with names, rooms and titles in ``lang``."""
    if sources.programme is None:
        return []
    people = sources.people
    days = []
    for day in sources.programme.days:
        sessions = []
        for session in day.sessions:
            room = session.room
            slots = [SlotView(slot, [(people[p], people[p].name(lang)) for p in slot.people if p in people])
                     for slot in session.slots]
            sessions.append(SessionView(
                session=session,
                title=session_title(session, lang, t),
                room=translation(room, lang) if isinstance(room, dict) else room or "",
                chairs=[people[p].name(lang) for p in session.chairs if p in people],
                start=min((slot.start for slot in session.slots), default=""),
                end=max((slot.end for slot in session.slots), default=""),
                slots=slots,
            ))
        days.append(DayView(day.date, translation(day.title, lang), sessions))
    return days


def session_title(session: Session, lang: str, t: Callable[[str, str], str]) -> str:
    """A session's title in ``lang``; a plenary without one is called what the language calls it."""
    if not session.title and session.kind == "plenary":
        return t("plenary_session", lang)
    return translation(session.title, lang)


def _sectioned(sources: Sources, views: list[PaperView], t: Callable[[str, str], str]) -> list[PaperView]:
    """The paper views with the sections of book.yaml: the first of each opens it."""
    sessions = {} if sources.programme is None else {
        s.id: s for _loc, s in sources.programme.sessions() if s.id}
    known = {view.paper.id for view in views}
    opening: dict[str, SectionView] = {}
    members: set[str] = set()
    for n, section in enumerate(sources.book.sections, 1):
        present = [paper for paper in section.papers if paper in known and paper not in members]
        members.update(present)
        session = sessions.get(section.session or "")
        titles = [(lang, translation(section.title, lang) if section.title or session is None
                   else session_title(session, lang, t)) for lang in sources.book.languages]
        if present:
            opening.setdefault(present[0], SectionView(f"section-{n}", titles))
    return [replace(view, section=opening.get(view.paper.id), in_section=view.paper.id in members)
            if view.paper.id in members else view for view in views]


def participants(sources: Sources) -> list[Person]:
    """The participant list: as given, else everyone in the programme in order of appearance."""
    given = sources.participants.people if sources.participants else None
    if given is not None:
        return [sources.people[p] for p in given if p in sources.people]
    ids: dict[str, None] = {}
    if sources.programme:
        for slot in sources.programme.slots:
            ids.update(dict.fromkeys(slot.people))
        for _loc, session in sources.programme.sessions():
            ids.update(dict.fromkeys(session.chairs))
            for slot in session.slots:
                ids.update(dict.fromkeys(slot.people))
    return [sources.people[p] for p in ids if p in sources.people]


def build_context(sources: Sources, labels: Labels) -> Context:
    """Everything the templates need, resolved and converted."""
    context = Context(sources=sources, labels=labels)
    context.papers = [_paper_view(sources, p, labels) for p in sources.ordered_papers()]
    if sources.book.sections:
        context.papers = _sectioned(sources, context.papers, translator(labels))
    langs = sources.book.languages
    by_lang = sorted(
        sources.resolutions,
        key=lambda r: langs.index(r.lang) if r.lang in langs else len(langs),
    )
    context.resolutions = [
        ResolutionView(r, _rendered(r.body, f"resolution-{r.lang}", frozenset(), r.body_line, r.lang,
                                    sources.book.typography, typesetting(sources, r.lang)))
        for r in by_lang
    ]
    context.index = _index(context.papers, collation_order(sources.locales or shipped(), langs))
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
    env.filters["affiliation"] = pass_context(
        lambda ctx, affiliation, lang: affiliation_text(affiliation, lang, ctx.get("locales")))
    env.filters["initials"] = _initials
    env.filters["markup"] = Markup
    env.filters["typo"] = typeset_spaces
    env.filters["grouped"] = grouped_digits
    env.tests["number"] = is_number
    if labels is not None:
        translate = translator(labels)
        env.filters["t_label"] = lambda lang, key: translate(key, lang)
    # A date as the language writes it in running text («20 сентября 2024 г.»), and a
    # time of day (10.00, 10:00): from the locale of ``lang`` (``loc`` of the context).
    env.filters["long_date"] = pass_context(
        lambda ctx, value, lang: written_date(value, lang, ctx["locales"]))
    env.filters["clock"] = pass_context(
        lambda ctx, value, lang=None: ctx["loc"](lang or ctx["lang"]).time(value))
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
        self.locales: Locales = sources.locales or shipped(styles / "locales")
        self.labels = load_labels(styles, sources)
        self.context = build_context(sources, self.labels)
        self.env = make_environment(styles / "templates", self.labels)
        self._by_id: dict[str, PaperView] | None = None
        self.common: dict[str, Any] = {
            "ctx": self.context,
            "book": sources.book,
            "lang": sources.book.languages[0],
            "labels": self.labels,
            "slots": lambda lang: slot_views(sources, lang),
            "days": lambda lang: day_views(sources, lang, translator(self.labels)),
            "participants": participants(sources),
            "created": publication_date(sources.book).isoformat(),
            "styles_url": styles.resolve().as_uri(),
            "sources_url": Path(sources.root).resolve().as_uri(),
            "fonts_url": fonts.resolve().as_uri(),
            "t": translator(self.labels),
            **locale_functions(self.locales),
            # The hyphenation dictionary of each language (<meta name="hyphenation">).
            "hyphenation": sorted((lang, target) for lang, locale in self.locales.items()
                                  if (target := hyphenation_target(locale))),
            "page": PAGE_GEOMETRY[sources.book.trim],
            "book_head": lambda lang: _book_head(sources, lang),
            # Authors' text as the typesetter sets it in a language (typography.py).
            "typeset": lambda text, lang: typesetter(lang, sources.book.typography,
                                                     typesetting(sources, lang))(str(text)),
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


def written_date(value: dt.date, lang: str, locales: Locales) -> str:
    """A date as the language writes it in running text («20 сентября 2024 г.»): the
    title page, the catalogue line and an offprint's citation alike."""
    return locale_of(locales, lang).date(value)


def locale_functions(locales: Locales) -> dict[str, Any]:
    """What a template reads a language's conventions with: ``loc(lang)``, its locale
    (names, dates, quotes…), and ``tn(key, lang, count)``, a label in the form for a count."""
    return {"locales": locales, "loc": partial(locale_of, locales),
            "tn": lambda key, lang, count: locale_of(locales, lang).label(key, count)}


def locale_of(locales: Locales, lang: str) -> Locale:
    """The locale of ``lang``; of a language without one, the reference locale's
    conventions (the checker reports a paper in a language the book has no locale for)."""
    return locales.get(lang) or locales[REFERENCE]


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
