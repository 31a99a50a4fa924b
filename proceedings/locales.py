"""What a language decides, as data: one locale file per language.

Every word the book generates and every convention a language decides (its quotation
marks, what the checker knows of its spelling…) is read from ``styles/locales/<lang>.yaml``
(Kazakh, Russian and English are shipped), never written in code: a book in another
language needs a locale file, not a change here. A book may carry its own locale files,
``<sources>/locales/<lang>.yaml``: one for a shipped language changes only the keys it
gives (a label, the quotes); one for another language adds it, and must give every key
English gives. docs/locales.md describes every key.

Each file is read into a frozen ``Locale``; a broken one is reported as diagnostics with
``path:line``, all of them at once, as any source file is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from proceedings.diagnostics import Diagnostic, error
from proceedings.messages import Message, msg, verbatim
from proceedings.yamlsrc import Located, YamlError, parse_yaml

SHIPPED = Path(__file__).resolve().parent.parent / "styles" / "locales"
# The locale whose labels every other one must give too, and that a missing label falls back to.
REFERENCE = "en"

# A locale's hyphenation dictionary: a pyphen code (ru_RU), or a file's name (hyph_uz.dic).
HYPHENATION = r"^(?:[A-Za-z]{2,3}(?:_[A-Za-z]{2})?|hyph_[A-Za-z_]+\.dic)$"
# (an alias: inside Names, ``list`` is a field)
WorkplaceOrder = list[Literal["position", "department", "institution"]]
NameOrder = Literal["surname_first", "given_first"]
PublicationKind = Literal["proceedings", "materials", "workshop", "collection"]
EditorsRole = Literal["editor", "compiler"]
FinalField = Literal["signed", "format", "paper", "sheets", "print_run", "order", "printing_house"]


class _Data(BaseModel):
    # Unlike the sources' records, whitespace is kept: a label is printed as written.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Checker(_Data):
    """What the checker and ``proceedings fix`` know of a language (``checker:``)."""

    dictionary: str | None = None  # the hunspell dictionary's name (ru_RU)
    package: str | None = None  # the Debian package that installs it
    analyser: str | None = None  # a morphological dictionary besides (pymorphy3)
    stems_from: list[str] | None = None  # languages whose words take this one's endings
    evidence: bool = False  # report an unknown word only with evidence against it
    complete: bool = False  # the dictionaries are full enough to look slips up in
    glued: bool = False  # look for two words glued together
    alphabet: str = ""
    confusable: list[str] = []
    linking: str = ""  # the vowel that joins compounds («право-о-применитель»)
    voiceless: str = ""
    voiceless_endings: str = ""
    voiced_endings: str = ""
    endings: list[list[str]] = []
    prefixes: list[str] = []
    prefix_words: list[str] = []
    short_words: list[str] = []
    glued_part: int | None = None
    hyphen_compounds: bool = False
    abbreviations: list[str] = []
    year_marks: list[str] = []


def _template(*fields: str) -> AfterValidator:
    """A format string (``"{day} {month} {year} г."``) that may name only ``fields``: a
    misspelt field is reported when the locale is read, not when a page is rendered."""

    def check(value: str) -> str:
        try:
            parsed = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise ValueError(msg("not a format string ({problem}); write a brace as {{{{ or }}}}",
                                 problem=verbatim(str(exc)))) from None
        for _text, name, spec, _conversion in parsed:
            if name is None:
                continue
            if name not in fields:
                raise ValueError(msg("{{{name}}} is not one of {fields}", name=name,
                                     fields=", ".join("{" + f + "}" for f in fields)))
            if spec and not re.fullmatch(r"0?\d?", spec):
                raise ValueError(msg("{{{name}:{spec}}}: the only format is a width, as {{{name}:02}}",
                                     name=name, spec=spec))
        return value

    return AfterValidator(check)


class Plural(_Data):
    """A label that depends on a count: ``{one: Editor, other: Editors}``."""

    one: str
    other: str


class Names(_Data):
    """How a person's name is printed (``names:``)."""

    byline: NameOrder  # a paper's byline and a proof's cover
    list: NameOrder  # the programme and the participant list
    index: NameOrder  # the author index
    index_separator: str = " "  # between the surname and the given names in the index
    upper_surname: bool  # surnames in capitals in bylines and lists
    # The workplace chain of an affiliation in the language's word order.
    affiliation: WorkplaceOrder = Field(min_length=3, max_length=3)
    # Between the parts of that chain (a space where genitives make one phrase, a comma
    # in English), and before the degree, academic title and rank.
    affiliation_separator: str = Field(min_length=1)
    degree_separator: str = Field(min_length=1)
    # A byline's affiliations: one per line under each name (stacked), or numbered, the
    # names with superscript numbers and the places listed below (numbered); book.yaml's
    # byline.style wins.
    byline_style: Literal["stacked", "numbered"]
    # Between a name and what the person is, in the editorial board's list: «Иванов И.И. –
    # д.ю.н., профессор» (a dash, in Russian and Kazakh), «I. Ivanov, Professor» (English).
    role_separator: str = " \u2013 "


class Captions(_Data):
    """Where a table's number stands (``captions:``): alone at the right above its caption
    («Таблица 1», ГОСТ 2.105), or starting the caption's line («Table 1. Caption»)."""

    table_label: Literal["above_right", "inline"] = "above_right"


class Dates(_Data):
    """How dates and times are written (``dates:``)."""

    months: list[str] = Field(min_length=12, max_length=12)
    long: Annotated[str, _template("day", "month", "year")]
    compact: Annotated[str, _template("day", "month", "month_name", "year")]
    time: Annotated[str, _template("hour", "minute")]
    time_range: Annotated[str, _template("start", "end")]
    date_time: Annotated[str, _template("date", "time")]
    # A date abbreviated as a catalogue line writes it («20 сент. 2024 г.»); without
    # them, the months' names and the long form.
    months_short: list[str] | None = Field(default=None, min_length=12, max_length=12)
    short: Annotated[str, _template("day", "month", "year")] | None = None


class Numbers(_Data):
    decimal_separator: str = Field(min_length=1)


class KindWords(_Data):
    catalogue: str  # in the catalogue line: «материалы междунар. науч.-практ. конф.»
    citation: str  # in a citation: «материалы междунар. науч.-практ. конф.»
    # On the title page, in full (ГОСТ Р 7.0.4): «материалы международной научно-практической
    # конференции»; without it, the catalogue line's words.
    title: str | None = None


class Kinds(_Data):
    """The words for each kind of publication (book.yaml's ``kind``)."""

    proceedings: KindWords
    materials: KindWords
    workshop: KindWords
    collection: KindWords

    def of(self, kind: PublicationKind) -> KindWords:
        words: KindWords = getattr(self, kind)
        return words


class Roles(_Data):
    """The editors' role in a catalogue line's statement of responsibility (book.yaml's
    ``editors_role``): «ред.», «сост.»."""

    editor: str = ""
    compiler: str = ""


class Publication(_Data):
    """How the book is named by its kind of publication (``publication:``)."""

    catalogue: Annotated[str, _template("title", "publication", "place", "responsibility", "imprint",
                                        "extent")]
    # The catalogue line's elements after its title area, each with the punctuation before
    # it: left out, punctuation and all, when the book lacks what it says (no editors…).
    responsibility: Annotated[str, _template("role", "names")] = ""
    roles: Roles = Roles()
    imprint: Annotated[str, _template("imprint")] = ""
    extent: Annotated[str, _template("pages")] = ""
    citation: Annotated[str, _template("authors", "title", "book", "publication", "place", "imprint",
                                       "pages_label", "pages")]
    publisher: Annotated[str, _template("city", "publisher")]
    # ... and in the catalogue line, where it differs (ISBD's « : » where a citation's
    # style has «: »); "": as ``publisher``.
    catalogue_publisher: Annotated[str, _template("city", "publisher")] = ""
    kinds: Kinds


class Imprint(_Data):
    # The fields of the final imprint page that the language's tradition prints, in order.
    final: list[FinalField]


class Typesetting(_Data):
    """What the layout sets in place of what authors typed (``typography:``; see
    ``proceedings/typography.py``): the dash between words, and the words a no-break space
    keeps with what follows or precedes them."""

    dash: str = "\u2014"
    nbsp_after_words: list[str] = []  # short words (book.yaml's typography: short_words)
    nbsp_before_numbers: list[str] = []  # № 5, § 3, т. 2
    nbsp_after_numbers: list[str] = []  # 5 %, 20 г.
    nbsp_phrases: list[str] = []  # и т. д.: no break inside, nor before it


class Locale(_Data):
    """One language's locale file, read and checked."""

    lang: str
    path: str  # the file it was read from (the book's own, when it has one)
    folder: str  # the folder a hyphenation file is looked up in: of the file that names it
    name: str = Field(min_length=1)  # the language's name in English, for diagnostics
    quotes: list[str] = Field(min_length=4, max_length=4)  # outer pair, inner pair
    labels: dict[str, str | Plural]
    names: Names
    dates: Dates
    numbers: Numbers
    publication: Publication
    imprint: Imprint
    paper_title: Literal["upper", "as_written"]  # a paper's title on its first page
    collation: str = Field(min_length=1)  # the letters in the author index's order
    # A pyphen dictionary's code (ru_RU), or a file hyph_<lang>.dic beside the locale file.
    hyphenation: str | None = Field(default=None, pattern=HYPHENATION)
    checker: Checker = Checker()
    typography: Typesetting = Typesetting()
    captions: Captions = Captions()

    def label(self, key: str, count: int | None = None) -> str:
        """The label ``key``; of a plural one, the form for ``count`` (``one`` when 1 or no count)."""
        value = self.labels.get(key, "")
        if isinstance(value, Plural):
            return value.one if count is None or count == 1 else value.other
        return value

    def date(self, value: dt.date, form: str = "long") -> str:
        """A date as the language writes it: ``long`` in running text, ``compact`` in a list of
        facts, ``short`` (abbreviated) in a catalogue line."""
        name = self.dates.months[value.month - 1]
        if form == "short":
            short = self.dates.months_short[value.month - 1] if self.dates.months_short else name
            return (self.dates.short or self.dates.long).format(day=value.day, month=short, year=value.year)
        if form == "long":
            return self.dates.long.format(day=value.day, month=name, year=value.year)
        return self.dates.compact.format(day=value.day, month=value.month, month_name=name, year=value.year)

    def time(self, clock: str) -> str:
        """A time of day (``09:30``, as the sources' records keep it) as the language writes it."""
        hour, minute = clock.split(":")
        return self.dates.time.format(hour=int(hour), minute=int(minute))

    def time_range(self, start: str, end: str) -> str:
        return self.dates.time_range.format(start=self.time(start), end=self.time(end))

    def decimal(self, value: float, places: int = 2) -> str:
        return f"{value:.{places}f}".replace(".", self.numbers.decimal_separator)

    def quoted(self, text: str) -> str:
        """``text`` in the language's outer quotation marks."""
        return f"{self.quotes[0]}{text}{self.quotes[1]}"

    def collation_key(self, text: str) -> list[int]:
        """``text``'s place in the language's alphabetical order: its letters first, in order;
        any other character after them, by its code point."""
        order = self.collation
        return [order.index(c) if c in order else len(order) + ord(c) for c in text.lower()]


Locales = Mapping[str, Locale]


class LocaleError(Exception):
    """A shipped locale file is broken: the tool cannot run until it is mended."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics


def read_locale(path: Path, text: str, lang: str, base: Locale | None,
                reference: Locale | None) -> tuple[Locale | None, list[Diagnostic]]:
    """The locale ``lang`` from the text of ``path``: on top of ``base`` (the shipped
    locale of that language) when there is one; else whole, with every label
    ``reference`` has. Problems come back as diagnostics at their lines."""
    shown = _display(path)
    try:
        located = parse_yaml(text)
    except YamlError as exc:
        return None, [error(shown, exc.line, exc.message, exc.code)]
    if located.data is None:
        located.data = {}
    if not isinstance(located.data, dict):
        return None, [error(shown, 1, msg("{file} must be a mapping of keys (name, quotes, labels…)",
                                          file=path.name), "locale")]
    data: dict[str, Any] = dict(located.data)
    for key in ("lang", "path", "folder"):
        if key in data:  # set by the loader, never by the file
            return None, [error(shown, located.line_of((key,)), msg("unknown key '{key}' (docs/locales.md "
                                                                    "lists the keys)", key=key), "locale")]
    # A hyphenation file is looked up beside the locale file that names it.
    folder = str(path.parent.resolve()) if base is None or "hyphenation" in data else base.folder
    if base is not None:
        data = _merged(base.model_dump(exclude={"lang", "path", "folder"}, exclude_unset=True), data)
    problems: list[Diagnostic] = []
    labels = data.get("labels")
    if base is None and reference is not None and isinstance(labels, dict):
        missing = sorted(set(reference.labels) - set(labels))
        if missing:
            problems.append(error(
                shown, located.line_of(("labels",)), msg("labels: missing {labels} (every locale gives each "
                                                         "label of the reference locale, {reference}.yaml)",
                                                         labels=", ".join(missing), reference=REFERENCE),
                "locale"))
    try:
        locale = Locale.model_validate({**data, "lang": lang, "path": shown, "folder": folder})
    except ValidationError as exc:
        return None, problems + _diagnostics(exc, shown, located)
    if problems:
        return None, problems
    if locale.hyphenation and locale.hyphenation.endswith(".dic") \
            and not (Path(folder) / locale.hyphenation).is_file():
        return None, [error(shown, located.line_of(("hyphenation",)), msg("hyphenation: no file {dic} beside "
                                                                          "{file}", dic=locale.hyphenation,
                                                                          file=path.name), "locale")]
    return locale, []


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merged key by key, anything else replaced."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        merged[key] = _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def _diagnostics(exc: ValidationError, shown: str, located: Located) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    labels_seen: set[str] = set()
    for err in exc.errors():
        # pydantic names the member of a union it tried (a label is a text or a Plural).
        loc = tuple(p for p in err["loc"] if p not in {"str", "Plural"})
        where = ".".join(str(p) for p in loc) or "(document)"
        line = located.line_of(loc)
        if len(loc) == 2 and loc[0] == "labels" and len(err["loc"]) > 2:
            if where not in labels_seen:
                labels_seen.add(where)
                found.append(error(shown, line, msg("{where}: a label is a text, or {{one: …, other: …}} for "
                                                    "one that depends on a count (got {value})", where=where,
                                                    value=repr(err.get("input"))), "locale"))
        elif err["type"] == "missing":
            found.append(error(shown, line, msg("missing key '{key}'", key=where), "locale"))
        elif err["type"] == "extra_forbidden":
            found.append(error(shown, line, msg("unknown key '{key}' (docs/locales.md lists the keys)",
                                                key=where), "locale"))
        else:
            original = (err.get("ctx") or {}).get("error")
            message = original.args[0] if isinstance(original, ValueError) and original.args \
                and isinstance(original.args[0], Message) \
                else verbatim(str(err["msg"]).removeprefix("Value error, "))
            found.append(error(shown, line, msg("{where}: {problem} (got {value})", where=where,
                                                problem=message, value=repr(err.get("input"))), "locale"))
    return found


def _display(path: Path) -> str:
    """A path as diagnostics show it (as ``load.display_path``, which reads a book's
    locales through this module): relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def read_folder(folder: Path, base: Locales) -> tuple[dict[str, Locale], list[Diagnostic]]:
    """Every ``<lang>.yaml`` of ``folder``, each on top of ``base``'s locale of its language."""
    found: dict[str, Locale] = {}
    problems: list[Diagnostic] = []
    for path in sorted(folder.glob("*.yaml")):
        lang = path.stem
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(error(_display(path), 0, msg("cannot read: {reason}", reason=str(exc)), "io"))
            continue
        locale, diags = read_locale(path, text, lang, base.get(lang), base.get(REFERENCE))
        problems += diags
        if locale is not None:
            found[lang] = locale
    return found, problems


@cache
def shipped(folder: Path = SHIPPED) -> dict[str, Locale]:
    """The locales a style ships (``styles/locales``); a broken one stops the tool."""
    reference_path = folder / f"{REFERENCE}.yaml"
    reference, problems = (None, []) if not reference_path.is_file() else read_locale(
        reference_path, reference_path.read_text(encoding="utf-8"), REFERENCE, None, None)
    if reference is None:
        problems = problems or [error(_display(reference_path), 0, msg("required file is missing"), "locale")]
        raise LocaleError(problems)
    found, problems = read_folder(folder, {REFERENCE: reference})
    # The reference was read on top of itself above: read it alone again.
    found[REFERENCE] = reference
    if problems:
        raise LocaleError(problems)
    return found


def labels_table(locales: Locales) -> dict[str, dict[str, str]]:
    """The generated words of every language, ``{lang: {key: word}}`` (of a plural
    label, its ``one`` form)."""
    return {lang: {key: locale.label(key) for key in locale.labels} for lang, locale in locales.items()}


def hyphenation_target(locale: Locale) -> str | None:
    """What the layout hyphenates the locale's language with: a pyphen code, or the URI
    of its pattern file followed by the file's digest (so that a changed dictionary lays
    the book out again)."""
    if not locale.hyphenation:
        return None
    if not locale.hyphenation.endswith(".dic"):
        return locale.hyphenation
    file = Path(locale.folder) / locale.hyphenation
    return f"{file.as_uri()} {hashlib.sha256(file.read_bytes()).hexdigest()}"


def checker_table(locales: Locales) -> dict[str, dict[str, Any]]:
    """What the checker knows of every language, as the checks read it: the keys the
    locale file gives under ``checker:``, its ``name`` and its ``quotes``."""
    return {lang: {**locale.checker.model_dump(exclude_unset=True), "name": locale.name,
                   "quotes": list(locale.quotes), **locale.typography.model_dump()}
            for lang, locale in locales.items()}
