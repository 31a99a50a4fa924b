"""The book's records: typed, frozen, and free of I/O.

Everything the loader reads ends up in one of these models; raw dicts never leave
``load.py``. Per-record rules (id syntax, ISBN and ORCID check digits, time
formats) live here; rules that relate records to each other live in ``proceedings.check``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from proceedings.locales import EditorsRole, Locale, PublicationKind
from proceedings.messages import msg

_T = TypeVar("_T")
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
# Text given once per language, e.g. {"kk": "Мазмұны", "ru": "Содержание"}.
Localized = dict[Lang, str]
# Where a record sits in its file, as a key path: ("days", 0, "sessions", 1, "slots", 2).
Loc = tuple[str | int, ...]

PartKind = Literal["title", "contents", "programme", "participants", "papers", "resolution", "index"]
DEFAULT_PARTS: tuple[PartKind, ...] = get_args(PartKind)  # every part, in the order above
TrimName = Literal["A4", "A5", "60x84/16"]


def _check_isbn(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"97[89]\d{10}", digits):
        raise ValueError(msg("not an ISBN-13 (13 digits starting 978 or 979): {value}", value=repr(value)))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits[:12]))
    expected = (10 - total % 10) % 10
    if int(digits[12]) != expected:
        raise ValueError(msg("ISBN-13 check digit of {value} should be {expected}", value=repr(value),
                             expected=expected))
    return value


def _check_orcid(value: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", value):
        raise ValueError(msg("not an ORCID (0000-0000-0000-000X): {value}", value=repr(value)))
    digits = value.replace("-", "")
    total = 0
    for d in digits[:15]:
        total = (total + int(d)) * 2
    check = (12 - total % 11) % 11
    expected = "X" if check == 10 else str(check)
    if digits[15] != expected:
        raise ValueError(msg("ORCID check digit of {value} should be {expected}", value=repr(value),
                             expected=expected))
    return value


def _parse_clock(value: str) -> str:
    # Programmes print times as 09.00 or 09:00; keep one canonical form.
    match = re.fullmatch(r"([01]?\d|2[0-3])[.:]([0-5]\d)", value.strip())
    if not match:
        raise ValueError(msg("not a time of day (HH.MM or HH:MM): {value}", value=repr(value)))
    return f"{int(match[1]):02d}:{match[2]}"


# A figure's width goes into the layout's CSS: only a number and one of these units may,
# so that nothing else written there (a url(), a second declaration) ever reaches it.
_CSS_LENGTH = re.compile(r"\s*(\d{1,4}(?:[.,]\d{1,3})?)\s*(mm|cm|in|pt|px|%)\s*", re.IGNORECASE)


def css_length(value: str) -> str | None:
    """A length as CSS may take it (``7.5cm``), or None when ``value`` is not one."""
    match = _CSS_LENGTH.fullmatch(value)
    return None if match is None else f"{match[1].replace(',', '.')}{match[2].lower()}"


def _check_css_length(value: str) -> str:
    if css_length(value) is None:
        raise ValueError(msg("not a width: give a number and one of mm, cm, in, pt, px or % (such as 60mm "
                             "or 80%)"))
    return value


def _keywords_shape(value: object) -> object:
    # One message for the likely slip, keywords written as a line of text, where the
    # union of a list and a mapping would give one per branch.
    lists = value.items() if isinstance(value, dict) else [(None, value)]
    for lang, words in lists:
        if isinstance(words, str):
            if lang:
                raise ValueError(msg("write the keywords in {lang} as a list, [{words}], with a comma "
                                     "between keywords, or per language as {{ru: [...], en: [...]}}",
                                     lang=repr(lang), words=words))
            raise ValueError(msg("write the keywords as a list, [{words}], with a comma between keywords, or "
                                 "per language as {{ru: [...], en: [...]}}", words=words))
    return value


Isbn = Annotated[str, AfterValidator(_check_isbn)]
Orcid = Annotated[str, AfterValidator(_check_orcid)]
Clock = Annotated[str, AfterValidator(_parse_clock)]
CssLength = Annotated[str, AfterValidator(_check_css_length)]


class Record(BaseModel):
    """Base of every source record: immutable, and unknown fields are typos."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


# --- book.yaml -------------------------------------------------------------------


class Venue(Record):
    name: Localized
    address: Localized = {}


class Imprint(Record):
    """Optional imprint data; empty fields are left out of the book."""

    udc: str | None = None
    bbk: str | None = None
    author_sign: str | None = None
    isbn: Isbn | None = None
    publisher: Localized = {}
    city: Localized = {}
    year: int | None = None
    print_run: int | None = Field(default=None, ge=1)
    annotation: Localized = {}
    copyright: Localized = {}


PressFormat = Annotated[str, StringConstraints(pattern=r"^\d+\s*[x×]\s*\d+\s*/\s*\d+$")]


def _as_int(value: object) -> object:
    # YAML scalars arrive as text; a Literal of ints does not coerce them by itself.
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


Signature = Annotated[Literal[4, 8, 16], BeforeValidator(_as_int)]


class PrintSettings(Record):
    """``print:`` in book.yaml: what the print-ready PDF needs beyond the screen book.

    The fields after ``marks`` fill the final imprint page; the page is printed only
    when at least one of them is given.
    """

    bleed_mm: float = Field(default=3, ge=0, le=10)
    signature: Signature = 4
    marks: bool = True
    # The sheet and its fraction, e.g. "60×84/8"; by default the one the trim is cut from.
    format: PressFormat | None = None
    paper: Localized = {}
    print_run: int | None = Field(default=None, ge=1)
    order: str | None = None
    printing_house: Localized = {}
    signed: dt.date | None = None

    @property
    def final_imprint(self) -> bool:
        return bool(self.format or self.paper or self.print_run or self.order
                    or self.printing_house or self.signed)


class BookSection(Record):
    """A section of the volume: a heading, then its papers in this order."""

    title: Localized = {}
    # A session of the programme whose title the section takes when it has none.
    session: Id | None = None
    papers: list[Id] = []


class BylineSettings(Record):
    """``byline:`` in book.yaml: how the papers' bylines are set.

    ``style`` None: each paper's language decides (its locale's ``names.byline_style``).
    """

    # stacked: each author's affiliations one per line under the name (ГОСТ Р 7.0.7);
    # numbered: superscript numbers after the names, the numbered affiliations below
    # (Springer, ACL).
    style: Literal["stacked", "numbered"] | None = None
    # Whose e-mail the byline prints: the corresponding author's (ГОСТ Р 7.0.7-2021), every
    # author's that people.yaml gives, or nobody's.
    email: Literal["corresponding", "all", "none"] = "corresponding"
    # Whether the byline prints an author's ORCID when people.yaml gives it.
    orcid: bool = True


class Typography(Record):
    """``typography:`` in book.yaml: the typesetter's rules the layout applies to the text
    (``proceedings/typography.py``; the sources stay as written). All on by default."""

    ranges: bool = True  # 1995-2000 → 1995–2000
    dashes: bool = True  # a spaced hyphen between words → the language's dash
    quotes: bool = True  # straight quotes → the language's
    spaces: bool = True  # no-break spaces: initials, numbers and units, abbreviations
    # A no-break space after the language's short words («в суде»). Off by default: each
    # takes a break from the line breaker (on the 2024 book, Russian papers: 20 more lines
    # ending in a hyphen, 7 more loose lines).
    short_words: bool = False


class Book(Record):
    """``book.yaml``: the conference and the shape of the book."""

    languages: list[Lang] = Field(min_length=1)
    # The kind of publication: the catalogue line and an offprint's citation name it in
    # the words of each language's locale (``publication`` in docs/locales.md).
    kind: PublicationKind = "proceedings"
    title: Localized
    subtitle: Localized = {}
    type: Localized = {}
    short_title: Localized = {}
    organisers: list[Localized] = []
    date: dt.date
    # The book's publication date, for its metadata (the conference's date is not).
    published: dt.date | None = None
    start_time: Clock | None = None
    city: Localized = {}
    venue: Venue | None = None
    format: Localized = {}
    editors: list[Id] = []
    # What the editors did, for the catalogue line's «/ ред. …» or «/ сост. …».
    editors_role: EditorsRole = "editor"
    editorial_board: list[Id] = []
    imprint: Imprint = Imprint()
    trim: TrimName = "A4"
    papers_start_recto: bool = False
    print: PrintSettings = PrintSettings()
    parts: list[PartKind] = list(DEFAULT_PARTS)
    papers: list[Id] = []
    # The papers grouped in sections, each opened by its heading (in place of papers).
    sections: list[BookSection] = []
    # Where every paper author must also appear; the checker warns about those who do not.
    # Unset: the programme and the participant lists, those the book has; [] checks neither.
    require_authors_in: list[Literal["programme", "participants"]] | None = None
    # The tiers of findings (see triage) whose warnings fail a check or build, as --strict
    # fails on all of them.
    strict: list[Literal["printing", "content", "style"]] = []
    # Whether --strict fails on the layout audit's warnings too (overfull lines, hyphen runs…).
    strict_layout: bool = False
    byline: BylineSettings = BylineSettings()
    # Whether a paper's abstract and keywords are printed under their labels (Аннотация,
    # Ключевые слова, Abstract, Keywords: the labels of styles/locales/<lang>.yaml).
    front_labels: bool = True
    typography: Typography = Typography()

    def listed_papers(self) -> list[tuple[Loc, str]]:
        """The papers' ids in the book's order, with their key paths in book.yaml."""
        if not self.sections:
            return [(("papers", i), paper) for i, paper in enumerate(self.papers)]
        return [(("sections", s, "papers", i), paper)
                for s, section in enumerate(self.sections) for i, paper in enumerate(section.papers)]

    @property
    def paper_order(self) -> list[str]:
        return [paper for _loc, paper in self.listed_papers()]


# --- people.yaml -----------------------------------------------------------------


class Affiliation(Record):
    """Where a person works and what they hold, in one language."""

    position: str | None = None
    department: str | None = None
    institution: str | None = None
    degree: str | None = None
    academic_title: str | None = None
    rank: str | None = None


class PersonName(Affiliation):
    """A person's name and affiliation in one language."""

    surname: NonEmpty
    given: str | None = None
    # Further workplaces, each printed as an affiliation of its own after the one the
    # fields above give.
    affiliations: list[Affiliation] = []

    def all_affiliations(self) -> list[Affiliation]:
        """The affiliations in order: the one of the name's own fields (when it has any
        field), then the further ones."""
        own = Affiliation(**{f: getattr(self, f) for f in Affiliation.model_fields})
        return ([own] if any(own.model_dump().values()) else []) + list(self.affiliations)

    @property
    def full(self) -> str:
        """Surname and given names, as lists and manifests give them."""
        return f"{self.surname} {self.given}" if self.given else self.surname

    @property
    def initials(self) -> str:
        """The given names as initials: «А.М.» for «Алма Маратовна», «Ж.-П.» for «Жан-Поль»."""
        return "".join(
            "-".join(f"{piece[0]}." for piece in part.split("-") if piece)
            for part in (self.given or "").split()
        )


class Person(Record):
    id: Id
    names: dict[Lang, PersonName] = Field(min_length=1)
    email: str | None = None
    orcid: Orcid | None = None

    def name(self, lang: str) -> PersonName:
        """The name in ``lang``, or in the first language given."""
        return self.names.get(lang) or next(iter(self.names.values()))


# --- programme.yaml --------------------------------------------------------------


class HeaderField(Record):
    """One labelled line of a programme header; the value defaults from book.yaml."""

    label: str
    value: str | None = None


class ModeratorField(Record):
    label: str
    person: Id


class Columns(Record):
    time: str | None = None
    speaker: str | None = None
    topic: str | None = None


class ProgrammeHeader(Record):
    title: str
    date_time: HeaderField | None = None
    venue: HeaderField | None = None
    format: HeaderField | None = None
    moderator: ModeratorField | None = None
    section: str | None = None
    columns: Columns = Columns()


SlotRole = Literal[
    "opening", "welcome", "moderator", "talk", "discussion", "break", "closing", "other"
]


class Slot(Record):
    start: Clock
    end: Clock
    role: SlotRole = "talk"
    people: list[Id] = []
    title: Localized = {}
    paper: Id | None = None
    in_volume: bool = True


SessionKind = Literal["plenary", "section", "other"]


class Session(Record):
    """One session of a day: the plenary, a parallel section, a round table."""

    # Only needed when book.yaml's sections name the session.
    id: Id | None = None
    kind: SessionKind = "section"
    # A plenary without a title is printed with the language's label for one.
    title: Localized = {}
    # A room's name, the same in every language («305»), or one per language.
    room: str | Localized | None = None
    chairs: list[Id] = []
    slots: list[Slot] = []


class Day(Record):
    date: dt.date
    title: Localized = {}
    sessions: list[Session] = []


class Programme(Record):
    """``programme.yaml``: one header per language, then either the shared ordered slots
    of a one-session programme, or days of sessions, each with its slots."""

    header: dict[Lang, ProgrammeHeader]
    slots: list[Slot] = []
    days: list[Day] = []

    def sessions(self) -> list[tuple[Loc, Session]]:
        """Every session with its key path, in order."""
        return [(("days", d, "sessions", s), session)
                for d, day in enumerate(self.days) for s, session in enumerate(day.sessions)]

    def placed_slots(self) -> list[tuple[Loc, Slot]]:
        """Every slot with its key path, in order: the flat slots, then the sessions' slots."""
        found: list[tuple[Loc, Slot]] = [(("slots", i), slot) for i, slot in enumerate(self.slots)]
        for loc, session in self.sessions():
            found += [((*loc, "slots", k), slot) for k, slot in enumerate(session.slots)]
        return found

    def all_slots(self) -> list[Slot]:
        return [slot for _loc, slot in self.placed_slots()]


# --- participants.yaml -----------------------------------------------------------


class ParticipantsLabels(Record):
    title: str | None = None
    name: str | None = None
    position: str | None = None


class Participants(Record):
    """``participants.yaml``: who took part; derived from the programme when absent."""

    people: list[Id] | None = None
    labels: dict[Lang, ParticipantsLabels] = {}


# --- papers/<id>/paper.md --------------------------------------------------------


class AuthorRef(Record):
    person: Id
    # "programme": the paper printed no byline and the author is the speaker whose talk
    # matches the paper; the mark keeps that inference visible to the editor.
    source: Literal["byline", "programme"] = "byline"
    affiliation: Affiliation | None = None
    # Several affiliations for this byline, in place of people.yaml's (not with ``affiliation``).
    affiliations: list[Affiliation] = []
    # The author to write to: marked in the byline, with the e-mail (ГОСТ Р 7.0.7-2021).
    corresponding: bool = False

    @model_validator(mode="after")
    def _one_override(self) -> AuthorRef:
        if self.affiliation is not None and self.affiliations:
            raise ValueError(msg("give either affiliation or affiliations, not both"))
        return self


class Epigraph(Record):
    text: NonEmpty
    attribution: str | None = None


class Reference(Record):
    text: NonEmpty
    # None: the author printed the entry without a number. Numbers are the author's
    # own, kept as written so that the checker can report gaps and duplicates.
    number: int | None
    line: int = 0


class Cell(Record):
    text: str = ""
    colspan: int = Field(default=1, ge=1)
    rowspan: int = Field(default=1, ge=1)


class Totals(Record):
    """Computed relations an author declares, so that the checker can recompute them."""

    row: int | None = None
    column: int | None = None


FooterKind = Literal["total", "mean", "text"]


class FooterRow(Record):
    """A row under a table's body: the sums or the means of the rows above, which the
    checker recomputes, or free text (a note, a share), which it leaves alone."""

    kind: FooterKind = "text"
    cells: list[Cell] = Field(min_length=1)


def _footer_row(value: object) -> object:
    # A bare list of cells is a row of free text, as footers were first written.
    return {"cells": value} if isinstance(value, list) else value


class Table(Record):
    id: Id
    caption: str | None = None
    header: list[list[Cell]] = []
    rows: list[list[Cell]] = []
    footer: list[Annotated[FooterRow, BeforeValidator(_footer_row)]] = []
    header_columns: int = Field(default=1, ge=0)
    totals: Totals | None = None
    # Set on a page of its own turned 90°, read by turning the book clockwise; the layout
    # turns a table too wide for the measure at its smallest size by itself.
    landscape: bool = False
    line: int = 0

    def sections(self) -> tuple[tuple[str, list[list[Cell]]], ...]:
        """The header's, the body's and the footer's rows of cells, each with its key."""
        return (("header", self.header), ("rows", self.rows), ("footer", [r.cells for r in self.footer]))


def cell_loc(section: str, row: int, column: int) -> tuple[str | int, ...]:
    """The key path of a table's cell below the table (a footer row keeps its cells in ``cells``)."""
    return (section, row, "cells", column) if section == "footer" else (section, row, column)


class Figure(Record):
    id: Id
    file: NonEmpty
    caption: str | None = None
    alt: str | None = None
    width: CssLength | None = None
    note: str | None = None
    line: int = 0


class Citation(Record):
    """A numeric citation such as ``[12, с. 23; 14]`` found in a paper's text."""

    raw: str
    numbers: tuple[int, ...]
    line: int


class PaperFront(Record):
    """The front matter of ``papers/<id>/paper.md``, as the editor writes it."""

    id: Id | None = None
    lang: Lang
    authors: list[AuthorRef] = []
    title: str | None = None
    short_title: str | None = None
    # The paper's УДК (universal decimal classification), printed above the byline.
    udc: str | None = None
    abstract: str | None = None
    # Abstracts in several languages (ГОСТ Р 7.0.7): {kk: …, ru: …, en: …}; ``abstract``
    # is the one in the paper's language. None: an empty entry, which the checker reports.
    abstracts: dict[Lang, str | None] = {}
    # Keywords in the paper's language, or per language: {ru: [...], en: [...]}.
    keywords: Annotated[list[str] | dict[Lang, list[str] | None], BeforeValidator(_keywords_shape)] = []
    epigraphs: list[Epigraph] = []
    references: list[Reference] = []
    tables: list[Table] = []
    figures: list[Figure] = []
    note: str | None = None

    @field_validator("abstracts")
    @classmethod
    def _one_abstract_per_language(cls, value: dict[str, str | None],
                                   info: ValidationInfo) -> dict[str, str | None]:
        lang = info.data.get("lang")
        if info.data.get("abstract") is not None and lang in value:
            raise ValueError(msg("abstract and abstracts.{lang} both give the abstract in '{lang}', the "
                                 "paper's language: keep one", lang=lang))
        return value

    def abstracts_by_lang(self) -> dict[str, str]:
        """The abstracts that have text, by language: the paper's own first."""
        found = {self.lang: self.abstract} if self.abstract else {}
        found.update((lang, text) for lang, text in self.abstracts.items() if text)
        return _own_first(found, self.lang)

    def keywords_by_lang(self) -> dict[str, list[str]]:
        """The keywords by language, the paper's own first; a bare list is in the paper's."""
        given = {self.lang: self.keywords} if isinstance(self.keywords, list) else self.keywords
        return _own_first({lang: [k for k in words if k] for lang, words in given.items() if words},
                          self.lang)


def _own_first(table: dict[str, _T], lang: str) -> dict[str, _T]:
    return {k: v for k, v in sorted(table.items(), key=lambda item: item[0] != lang) if v}


class Paper(PaperFront):
    """A paper with its Markdown body and the citations found in it."""

    id: Id
    path: str
    body: str = ""
    body_line: int = 1
    citations: list[Citation] = []


# --- resolution/<lang>.md --------------------------------------------------------


class Resolution(Record):
    lang: Lang
    path: str
    heading: list[str] = Field(min_length=1)
    body: str = ""
    body_line: int = 1
    signature: str | None = None
    place_date: str | None = None


def format_loc(loc: tuple[object, ...]) -> str:
    """A key path as diagnostics print it: ``authors[1].person``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


# --- the whole book --------------------------------------------------------------


class Sources(Record):
    """Everything read from a sources folder, cross-checked by ``proceedings.check``."""

    root: str
    book: Book
    people: dict[str, Person]
    programme: Programme | None = None
    participants: Participants | None = None
    papers: list[Paper] = []
    resolutions: list[Resolution] = []
    # file → key path ("slots[3].people[0]") → line, so that checks can point at lines.
    lines: dict[str, dict[str, int]] = {}
    # Every language's locale: the shipped ones with the book's own (sources/locales/) on top.
    locales: dict[str, Locale] = {}

    def line_of(self, path: str, *loc: str | int) -> int:
        """The line of a key path in a source file, or of its nearest ancestor."""
        table = self.lines.get(path, {})
        for end in range(len(loc), -1, -1):
            line = table.get(format_loc(loc[:end]))
            if line is not None:
                return line
        return 1

    def ordered_papers(self) -> list[Paper]:
        """Papers in book.yaml's order, then any others by id."""
        by_id = {p.id: p for p in self.papers}
        order = self.book.paper_order
        listed = [by_id[i] for i in dict.fromkeys(order) if i in by_id]  # each once
        rest = sorted((p for p in self.papers if p.id not in order), key=lambda p: p.id)
        return listed + rest
