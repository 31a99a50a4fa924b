"""The editor's content checks: the text itself, citations, programme and tables.

``check.py`` relates records by id; this module reads what the records *say*:
characters that do not belong in print (homoglyphs, private-use, control and odd
space characters), unbalanced quotes, malformed or inconsistent citations, reference
lists that do not match the text, a programme that does not match the papers,
repeated paragraphs, stray or private links, orphan footnote marks and tables whose
totals do not add up. Every finding is a warning (or a note) that quotes the text
and says how to fix it; ``check_text`` never raises.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from proceedings.diagnostics import Diagnostic, note, warning
from proceedings.load import display_path
from proceedings.markup import CITATION_RE

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from proceedings.model import Paper, Sources, Table

# --- text units --------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A paragraph-like piece of text with the source line of each of its lines."""

    path: str
    lines: tuple[tuple[int, str], ...]
    # True for Markdown body text; False for front-matter fields and programme titles,
    # where a URL (a reference's address) or a spacing habit is not a defect.
    body: bool = False

    @property
    def text(self) -> str:
        return " ".join(text for _, text in self.lines)


def _body_units(path: str, body: str, first_line: int) -> list[Unit]:
    """Blank-line separated blocks of a Markdown body; line numbers kept."""
    units: list[Unit] = []
    block: list[tuple[int, str]] = []
    # split("\n"), not splitlines(): the latter also splits at U+2028, \x0c and the like,
    # which would shift every later line number (and those are characters we report).
    for offset, raw in enumerate(body.split("\n")):
        text = raw.removesuffix("\r")
        if text.strip():
            block.append((first_line + offset, text))
        elif block:
            units.append(Unit(path, tuple(block), body=True))
            block = []
    if block:
        units.append(Unit(path, tuple(block), body=True))
    return units


def _front_units(sources: Sources, paper: Paper) -> list[Unit]:
    """The front-matter texts of a paper that get printed, each with its line."""
    path = paper.path
    units: list[Unit] = []

    def add(text: str | None, *loc: str | int) -> None:
        if text:
            line = sources.line_of(path, *loc)
            units.append(Unit(path, ((line, text),)))

    add(paper.title, "title")
    for i, author in enumerate(paper.authors):
        if author.affiliation is not None:
            for field, value in author.affiliation.model_dump().items():
                if isinstance(value, str):
                    add(value, "authors", i, "affiliation", field)
    add(paper.short_title, "short_title")
    add(paper.abstract, "abstract")
    for i, keyword in enumerate(paper.keywords):
        add(keyword, "keywords", i)
    for i, epigraph in enumerate(paper.epigraphs):
        add(epigraph.text.replace("\n", " "), "epigraphs", i, "text")
        add(epigraph.attribution, "epigraphs", i, "attribution")
    for i, ref in enumerate(paper.references):
        line = ref.line or sources.line_of(path, "references", i)
        units.append(Unit(path, ((line, ref.text),)))
    for t, table in enumerate(paper.tables):
        add(table.caption, "tables", t, "caption")
        for part in ("header", "rows", "footer"):
            for r, row in enumerate(getattr(table, part)):
                for c, cell in enumerate(row):
                    add(cell.text, "tables", t, part, r, c)
    for f, figure in enumerate(paper.figures):
        add(figure.caption, "figures", f, "caption")
        add(figure.note, "figures", f, "note")
    return units


def _programme_path(sources: Sources) -> str:
    return display_path(Path(sources.root) / "programme.yaml")


def _programme_units(sources: Sources) -> list[Unit]:
    programme = sources.programme
    if programme is None:
        return []
    path = _programme_path(sources)
    units = []
    for lang, header in programme.header.items():
        line = sources.line_of(path, "header", lang, "title")
        units.append(Unit(path, ((line, header.title),)))
    for i, slot in enumerate(programme.slots):
        for lang, title in slot.title.items():
            line = sources.line_of(path, "slots", i, "title", lang)
            units.append(Unit(path, tuple((line, t) for t in title.split("\n") if t.strip())))
    return units


def _people_units(sources: Sources) -> list[Unit]:
    """Names and affiliations in people.yaml: printed in the programme, lists and bylines."""
    path = display_path(Path(sources.root) / "people.yaml")
    units = []
    # people is a dict in file order, so the enumeration index is the list index.
    for i, person in enumerate(sources.people.values()):
        for lang, name in person.names.items():
            for field, value in name.model_dump().items():
                if isinstance(value, str) and value:
                    line = sources.line_of(path, i, "names", lang, field)
                    units.append(Unit(path, ((line, value),)))
    return units


def _all_units(sources: Sources) -> list[Unit]:
    units: list[Unit] = _people_units(sources)
    for paper in sources.ordered_papers():
        units += _front_units(sources, paper)
        units += _body_units(paper.path, paper.body, paper.body_line)
    for resolution in sources.resolutions:
        for i, line in enumerate(resolution.heading):
            units.append(Unit(resolution.path, ((sources.line_of(resolution.path, "heading", i), line),)))
        units += _body_units(resolution.path, resolution.body, resolution.body_line)
    units += _programme_units(sources)
    return units


def _quote(text: str, limit: int = 60) -> str:
    """Text as a message quotes it: stripped and shortened to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _context(text: str, start: int, end: int, width: int = 20) -> str:
    """The words around ``text[start:end]``, for quoting an invisible character."""
    left = text[max(0, start - width) : start].lstrip()
    right = text[end : end + width].rstrip()
    return f"…{left}{{here}}{right}…"


# --- 1. mixed scripts ----------------------------------------------------------------

# Letters that look the same in both scripts. Kazakh і/І are the classic case: a Latin
# i typed for Kazakh і looks right in print but breaks search, hyphenation and sorting.
LATIN_TO_CYRILLIC = {
    "a": "а", "c": "с", "e": "е", "i": "і", "k": "к", "o": "о", "p": "р", "x": "х",
    "y": "у", "h": "һ", "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "I": "І",
    "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т", "X": "Х", "Y": "У",
}  # fmt: skip
CYRILLIC_TO_LATIN = {v: k for k, v in LATIN_TO_CYRILLIC.items()} | {"У": "Y", "у": "y"}
_WORD_RE = re.compile(r"[^\W\d_]+")


def _script(ch: str) -> str:
    """'latin', 'cyrillic' or '' for one letter."""
    if "a" <= ch.lower() <= "z" or "\u00c0" <= ch <= "\u024f":
        return "latin"
    if "\u0400" <= ch <= "\u052f":
        return "cyrillic"
    return ""


def suggest_script_fix(word: str, prefer: str = "") -> str | None:
    """The word retyped in one script, or None if it does not mix scripts.

    The word goes to its majority script, or to ``prefer`` (the script of the text
    around it) when every letter has a look-alike there. Returns ``""`` when the word
    mixes scripts but no safe suggestion exists.
    """
    scripts = [_script(ch) for ch in word]
    latin, cyrillic = scripts.count("latin"), scripts.count("cyrillic")
    if not latin or not cyrillic:
        return None
    # Ties go to Cyrillic: the books are Kazakh and Russian, and a short Cyrillic word
    # with one Latin look-alike (``cо``) is far likelier than the reverse.
    majority = "cyrillic" if cyrillic >= latin else "latin"
    order = [prefer, majority] if prefer and prefer != majority else [majority]
    for target in order:
        fixed = _retype(word, scripts, target)
        if fixed:
            return fixed
    return ""


def _retype(word: str, scripts: list[str], target: str) -> str:
    table = LATIN_TO_CYRILLIC if target == "cyrillic" else CYRILLIC_TO_LATIN
    out = []
    for ch, script in zip(word, scripts, strict=True):
        if script in ("", target):
            out.append(ch)
        elif ch in table:
            out.append(table[ch])
        else:
            return ""
    return "".join(out)


def _line_script(text: str) -> str:
    """The script most letters of a line are in: the context a stray letter sits in."""
    scripts = [_script(ch) for ch in text if ch.isalpha()]
    latin, cyrillic = scripts.count("latin"), scripts.count("cyrillic")
    if cyrillic > 2 * latin:
        return "cyrillic"
    if latin > 2 * cyrillic:
        return "latin"
    return ""


def _is_suffixed_loanword(word: str) -> bool:
    """``Telegramда``: a foreign word with a native suffix (or prefix), not a typo."""
    runs = [m.group() for m in re.finditer(r"[a-zA-Z\u00c0-\u024f]+|[\u0400-\u052f]+", word)]
    return len(runs) == 2 and min(len(runs[0]), len(runs[1])) >= 2


def _check_mixed_script(units: Iterable[Unit]) -> Iterator[Diagnostic]:
    # One finding per line, listing its words: a paper typed with Latin i for Kazakh і
    # has it in every other word, and one line per word would drown the other findings.
    for unit in units:
        for line, text in unit.lines:
            prefer = _line_script(text)
            fixes: dict[str, str] = {}
            for match in _WORD_RE.finditer(text):
                word = match.group()
                fixed = suggest_script_fix(word, prefer)
                if fixed is None or word in fixes:
                    continue
                if fixed or not _is_suffixed_loanword(word):
                    fixes[word] = fixed
            if not fixes:
                continue
            words = ", ".join(f"'{w}'" for w in fixes)
            if all(fixes.values()):
                hint = "retype " + ", ".join(f"'{w}' as '{f}'" for w, f in fixes.items())
            else:
                hint = "retype each word in one script"
            what = "mixes" if len(fixes) == 1 else "mix"
            yield warning(
                unit.path,
                line,
                f"{words} {what} Latin and Cyrillic letters; {hint}",
                "mixed-script",
            )


# --- 2. characters -------------------------------------------------------------------

# Spaces an editor never wants: typographic fixed-width spaces, zero-width space, the
# ideographic space and stray BOMs. U+00A0 (no-break space) is the source format's own
# tool; U+202F (narrow no-break) and U+2009 (thin) are accepted between digits, where
# they group thousands as typographers do (``1 234``).
_ODD_SPACES = {chr(c) for c in range(0x2000, 0x200C)} | {
    "\u2028",
    "\u2029",
    "\u3000",
    "\ufeff",
    "\u202f",
}
_DIGIT_GROUPING = {"\u2009", "\u202f", "\u2008"}


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '(private use)')}"


def _check_characters(units: Iterable[Unit]) -> Iterator[Diagnostic]:
    for unit in units:
        for line, text in unit.lines:
            yield from _check_line_chars(unit.path, line, text, in_body=unit.body)


def _check_line_chars(path: str, line: int, text: str, *, in_body: bool) -> Iterator[Diagnostic]:
    reported: set[str] = set()
    for pos, ch in enumerate(text):
        code = ord(ch)
        where = _context(text, pos, pos + 1)
        if 0xE000 <= code <= 0xF8FF and "private-use" not in reported:
            reported.add("private-use")
            yield warning(
                path,
                line,
                f"private-use character U+{code:04X} at {where}: it prints as a box or "
                "nothing in other fonts; replace it with the character it stands for (a bullet "
                "or dash becomes a Markdown list item)",
                "private-use",
            )
        elif (code < 0x20 and ch != "\t") or 0x7F <= code <= 0x9F:
            if "control-char" not in reported:
                reported.add("control-char")
                yield warning(
                    path,
                    line,
                    f"control character U+{code:04X} at {where}: delete it (it is invisible and "
                    "breaks the typesetting)",
                    "control-char",
                )
        elif ch in _ODD_SPACES and "odd-space" not in reported:
            between_digits = 0 < pos < len(text) - 1 and text[pos - 1].isdigit() and text[pos + 1].isdigit()
            if ch in _DIGIT_GROUPING and between_digits:
                continue
            if ch == "\u202f":
                continue  # a narrow no-break space is deliberate typography anywhere
            reported.add("odd-space")
            yield warning(
                path,
                line,
                f"unusual space {_char_name(ch)} at {where}: use a normal space, or U+00A0 "
                "where the words must not be split",
                "odd-space",
            )
    if reported:
        return  # the space runs around a stray character are part of that finding
    # Leading whitespace and list markers are Markdown structure; a trailing pair of
    # spaces is a Markdown hard break. Only whitespace *between* words is a slip.
    inner = _strip_markup(text).strip()
    tab = inner.find("\t")
    if tab >= 0:
        yield warning(
            path,
            line,
            f"tab inside the text at {_context(inner, tab, tab + 1)}: replace it with one space",
            "odd-space",
        )
        return
    double = re.search(r"\S( {2,})\S", inner)
    if double and in_body:
        start, end = double.span(1)
        # A note, not a warning: HTML collapses runs of spaces, so nothing misprints,
        # but the source is worth tidying (and copies of it into Word would show them).
        yield note(
            path,
            line,
            f"{end - start} spaces in a row at {_context(inner, start, end)}: use one space",
            "odd-space",
        )


# --- 3. quotes -----------------------------------------------------------------------

_ATTRS_RE = re.compile(r"\{[^{}\n]*\}")


# A quotation may run over several paragraphs (a quoted list): the « opens in one
# paragraph and the » closes in a later one. Up to this many paragraphs apart, an
# unclosed « and an unopened » are read as one such quotation.
QUOTE_SPAN = 15


@dataclass
class _QuoteState:
    opened: list[tuple[int, str]]
    extra_close: list[tuple[int, str]]
    straight: tuple[int, str] | None
    guillemets: bool


def _scan_quotes(unit: Unit) -> _QuoteState:
    state = _QuoteState([], [], None, guillemets=False)
    for line, raw in unit.lines:
        text = _ATTRS_RE.sub("", raw)  # {lang="en"} is markup, not a quotation
        for pos, ch in enumerate(text):
            if ch == "«":
                state.guillemets = True
                state.opened.append((line, text[pos : pos + 40]))
            elif ch == "»":
                state.guillemets = True
                if state.opened:
                    state.opened.pop()
                else:
                    state.extra_close.append((line, text[max(0, pos - 39) : pos + 1]))
            elif ch == '"' and state.straight is None:
                state.straight = (line, text[max(0, pos - 15) : pos + 25])
    return state


def _check_quotes(units: list[Unit]) -> Iterator[Diagnostic]:
    pending: list[tuple[int, Unit, tuple[int, str]]] = []  # (unit index, unit, the «)
    for k, unit in enumerate(units):
        alive = [p for p in pending if p[1].path == unit.path and k - p[0] <= QUOTE_SPAN]
        yield from _report_unclosed([p for p in pending if p not in alive])
        pending = alive
        state = _scan_quotes(unit)
        unmatched = []
        for close in state.extra_close:
            if pending and not state.opened:
                pending.pop()  # closes a quotation opened in an earlier paragraph
            else:
                unmatched.append(close)
        if unmatched:
            line, snippet = unmatched[0]
            yield warning(
                unit.path,
                line,
                f"closing » without an opening « in '{_quote(snippet, 50)}': add the "
                "missing « or delete the »",
                "quotes",
            )
        pending += [(k, unit, opened) for opened in state.opened]
        if state.guillemets and state.straight is not None:
            yield warning(
                unit.path,
                state.straight[0],
                f"straight quote \" in '{_quote(state.straight[1], 40)}' in a paragraph that "
                "uses «»: use « » (or „ “ inside them)",
                "quotes",
            )
    yield from _report_unclosed(pending)


def _report_unclosed(pending: list[tuple[int, Unit, tuple[int, str]]]) -> Iterator[Diagnostic]:
    """One finding per paragraph for the « that no later paragraph closed."""
    by_unit: dict[int, list[tuple[int, str]]] = defaultdict(list)
    owners: dict[int, Unit] = {}
    for index, unit, opened in pending:
        by_unit[index].append(opened)
        owners[index] = unit
    for index, opens in sorted(by_unit.items()):
        line, snippet = opens[-1]
        yield warning(
            owners[index].path,
            line,
            f"{len(opens)} « not closed in this paragraph, last at '{_quote(snippet, 40)}': "
            "add the missing » (nested quotes need their own »)",
            "quotes",
        )


# --- 4. citations --------------------------------------------------------------------

_PART_RE = re.compile(r"^\s*(\d{1,4})(?:\s*[-–]\s*\d{1,4})?\s*(,?)\s*(.*?)\s*$", re.DOTALL)
_LABEL_RE = re.compile(r"[^\W\d_]+\.?")
_LOCATOR_WORDS = {
    "с",
    "c",
    "б",
    "бет",
    "бб",
    "p",
    "pp",
    "s",
    "стр",
    "page",
    "pages",
    "л",
    "т",
    "v",
    "vol",
}


@dataclass(frozen=True)
class CitedPart:
    """One ``;``-separated part of a citation: a number and what follows it."""

    number: int
    comma: bool
    rest: str


def parse_citation(inner: str) -> list[CitedPart]:
    """The parts of a citation's inner text: ``5 с. 119; 6, б. 2`` → two parts."""
    parts = []
    for piece in inner.split(";"):
        match = _PART_RE.match(piece)
        if match:
            parts.append(CitedPart(int(match[1]), bool(match[2]), match[3]))
    return parts


def locator_style(rest: str) -> str | None:
    """How a locator is spelled, with the page number as N: ``22-бет`` → ``N-бет``."""
    label = _LABEL_RE.search(rest)
    if label is None:
        return None
    word = label.group()
    if word.rstrip(".").lower() not in _LOCATOR_WORDS:
        return None
    before = rest[: label.start()]
    if re.search(r"\d", before):
        joiner = "-" if before.rstrip().endswith(("-", "–")) else " "
        return f"N{joiner}{word}"
    return f"{word} N"


def _citations(paper: Paper) -> Iterator[tuple[int, str, list[CitedPart]]]:
    for offset, text in enumerate(paper.body.split("\n")):
        for match in CITATION_RE.finditer(text):
            yield paper.body_line + offset, match[0], parse_citation(match[1])


def _check_citation_form(paper: Paper) -> Iterator[Diagnostic]:
    latin_ok = paper.lang not in {"ru", "kk"}
    styles: dict[str, tuple[int, str]] = {}
    for line, raw, parts in _citations(paper):
        for part in parts:
            rest = part.rest.strip()
            if not rest or rest == ".":
                if part.comma:
                    yield warning(
                        paper.path,
                        line,
                        f"citation {raw} has a comma but no page after it: give the page or delete the comma",
                        "citation-empty-locator",
                    )
                continue
            style = locator_style(rest)
            if style is None:
                continue
            if not re.search(r"\d", rest):
                yield warning(
                    paper.path,
                    line,
                    f"citation {raw} has the locator '{rest}' with no page number: add the page "
                    "or delete the locator",
                    "citation-empty-locator",
                )
                continue
            if not part.comma:
                yield warning(
                    paper.path,
                    line,
                    f"citation {raw} lacks the comma after the reference number: write "
                    f"[{part.number}, {rest}]",
                    "citation-missing-comma",
                )
            if style.replace("N", "").strip(" -.") == "c" and not latin_ok:
                yield warning(
                    paper.path,
                    line,
                    f"citation {raw} abbreviates the page with a Latin 'c': use the Cyrillic 'с'",
                    "citation-latin-c",
                )
                style = style.replace("c", "с")
            styles.setdefault(style, (line, raw))
    if len(styles) > 1:
        first_line = min(line for line, _ in styles.values())
        listed = ", ".join(f"'{s}' ({raw}, line {line})" for s, (line, raw) in styles.items())
        yield warning(
            paper.path,
            first_line,
            f"the page locator is written {len(styles)} ways: {listed}; use one form throughout",
            "citation-locator-style",
        )


def _normalise_reference(text: str) -> str:
    text = re.sub(r"^\s*\d+\s*[.)]?\s*", "", text)
    return " ".join(text.casefold().split()).rstrip(" .")


def _check_reference_list(paper: Paper) -> Iterator[Diagnostic]:
    refs = paper.references
    if not refs:
        return
    first_cited: dict[int, tuple[int, str]] = {}
    for citation in paper.citations:
        for n in citation.numbers:
            first_cited.setdefault(n, (citation.line, citation.raw))
    for ref in refs:
        if ref.number is None:
            yield warning(
                paper.path,
                ref.line,
                f"reference '{_quote(ref.text, 50)}' has no number, so the text cannot cite it: "
                "number it or delete it",
                "uncited-reference",
            )
        elif ref.number not in first_cited:
            yield warning(
                paper.path,
                ref.line,
                f"reference {ref.number} '{_quote(ref.text, 50)}' is never cited in the text: "
                "cite it or delete it",
                "uncited-reference",
            )
    # Numbering: 1, 2, 3 … in list order.
    expected = 1
    for ref in refs:
        if ref.number is None:
            continue
        if ref.number != expected:
            problem = "does not start at 1" if expected == 1 else f"should be {expected} here"
            yield warning(
                paper.path,
                ref.line,
                f"reference numbering {problem}: entry '{_quote(ref.text, 40)}' is numbered "
                f"{ref.number}; renumber the list 1, 2, 3 …",
                "reference-order",
            )
        expected = ref.number + 1
    # Order of first citation: each newly cited number should be above all earlier ones.
    highest = 0
    highest_raw = ""
    for n, (line, raw) in first_cited.items():
        if n < highest:
            yield warning(
                paper.path,
                line,
                f"reference {n} is first cited by {raw}, after reference {highest} "
                f"({highest_raw}): number the list in the order of first citation",
                "reference-order",
            )
        elif n > highest:
            highest, highest_raw = n, raw
    seen: dict[str, int | None] = {}
    for ref in refs:
        key = _normalise_reference(ref.text)
        if key in seen:
            yield warning(
                paper.path,
                ref.line,
                f"reference {ref.number} '{_quote(ref.text, 50)}' repeats reference {seen[key]}: "
                "keep one entry and cite it",
                "duplicate-reference",
            )
        else:
            seen[key] = ref.number


# --- 5. programme ↔ papers -----------------------------------------------------------

_QUOTES_RE = re.compile(r"[«»“”„\"'‘’]")


def normalise_title(text: str) -> str:
    """A title for comparison: case, spaces, quote marks and a final period ignored."""
    text = _QUOTES_RE.sub('"', text.casefold())
    return " ".join(text.split()).rstrip(" .")


def _minutes(clock: str) -> int:
    hours, _, minutes = clock.partition(":")
    return int(hours) * 60 + int(minutes)


def _check_programme(sources: Sources) -> Iterator[Diagnostic]:
    programme = sources.programme
    if programme is None:
        return
    path = _programme_path(sources)
    papers = {p.id: p for p in sources.papers}
    linked = {slot.paper for slot in programme.slots if slot.paper is not None}
    for lang in sources.book.languages:
        if lang not in programme.header:
            yield warning(
                path,
                sources.line_of(path, "header"),
                f"the programme has no header in '{lang}', a language of the book: add header.{lang}",
                "missing-translation",
            )
    previous_end: tuple[int, str] | None = None
    for i, slot in enumerate(programme.slots):
        line = sources.line_of(path, "slots", i)
        start, end = _minutes(slot.start), _minutes(slot.end)
        if end < start:
            yield warning(
                path,
                sources.line_of(path, "slots", i, "end"),
                f"slot {i + 1} ends at {slot.end}, before it starts at {slot.start}: fix the times",
                "slot-order",
            )
        if previous_end is not None and start < previous_end[0]:
            yield warning(
                path,
                sources.line_of(path, "slots", i, "start"),
                f"slot {i + 1} starts at {slot.start}, before the previous slot ends at "
                f"{previous_end[1]}: fix the times or the order",
                "slot-order",
            )
        previous_end = (end, slot.end)
        for lang in sources.book.languages:
            if lang not in slot.title:
                yield warning(
                    path,
                    sources.line_of(path, "slots", i, "title"),
                    f"slot {i + 1} ({slot.start}) has no title in '{lang}': add title.{lang}",
                    "missing-translation",
                )
        if slot.role != "talk" or not slot.in_volume:
            continue
        if slot.paper is None:
            title = next(iter(slot.title.values()), "")
            yield warning(
                path,
                line,
                f"talk {i + 1} ({slot.start}) '{_quote(title)}' has no paper: link it with "
                "'paper: <id>' or mark it 'in_volume: false'",
                "talk-without-paper",
            )
            yield from _possible_paper(sources, path, line, i, slot.title, linked)
        elif slot.paper in papers:
            yield from _title_mismatch(sources, path, i, slot.title, papers[slot.paper])
    for paper in sources.ordered_papers():
        if paper.id not in linked:
            yield warning(
                paper.path,
                1,
                f"no programme slot links to paper '{paper.id}': add 'paper: {paper.id}' to its "
                "talk in programme.yaml",
                "paper-without-talk",
            )


def _title_mismatch(
    sources: Sources, path: str, i: int, titles: dict[str, str], paper: Paper
) -> Iterator[Diagnostic]:
    talk = titles.get(paper.lang)
    if not talk or not paper.title:
        return
    a, b = normalise_title(talk), normalise_title(paper.title)
    if a == b:
        return
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    # Long titles are shortened in the message, so name the first words that differ.
    words_a, words_b = a.split(), b.split()
    differ = ""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, words_a, words_b).get_opcodes():
        if tag != "equal":
            old, new = " ".join(words_a[i1:i2]) or "—", " ".join(words_b[j1:j2]) or "—"
            differ = f"; first difference: '{old}' against '{new}'"
            break
    yield warning(
        path,
        sources.line_of(path, "slots", i, "title", paper.lang),
        f"talk {i + 1} is titled '{_quote(talk, 80)}' but its paper {paper.id} is titled "
        f"'{_quote(paper.title, 80)}' (similarity {ratio:.2f}{differ}): make the two titles agree",
        "title-mismatch",
    )


def _possible_paper(
    sources: Sources, path: str, line: int, i: int, titles: dict[str, str], linked: set[str]
) -> Iterator[Diagnostic]:
    best: tuple[float, Paper] | None = None
    for paper in sources.ordered_papers():
        if paper.id in linked or not paper.title:
            continue
        talk = titles.get(paper.lang)
        if not talk:
            continue
        ratio = difflib.SequenceMatcher(None, normalise_title(talk), normalise_title(paper.title)).ratio()
        if ratio > 0.8 and (best is None or ratio > best[0]):
            best = (ratio, paper)
    if best is not None:
        yield note(
            path,
            line,
            f"talk {i + 1} may be paper {best[1].id} '{_quote(best[1].title or '', 80)}' "
            f"(similarity {best[0]:.2f}): if so, add 'paper: {best[1].id}'",
            "possible-paper",
        )


# --- 6. duplicate paragraphs ----------------------------------------------------------

MIN_WORDS = 20
NEAR_RATIO = 0.9
_SHINGLE = 4


def paragraph_words(text: str) -> list[str]:
    """The words of a paragraph for comparison: case folded, markup and digits kept."""
    return [w.casefold() for w in re.findall(r"\w+", text)]


def near_duplicates(paragraphs: list[list[str]], ratio: float = NEAR_RATIO) -> list[tuple[int, int, float]]:
    """Pairs (earlier, later, ratio) of paragraphs that are equal or nearly so.

    Candidates are found through shared word shingles, so the cost grows with the text,
    not with the square of the number of paragraphs; only candidates are compared with
    difflib.
    """
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    exact: dict[tuple[str, ...], int] = {}
    found: list[tuple[int, int, float]] = []
    for k, words in enumerate(paragraphs):
        if len(words) < MIN_WORDS:
            continue
        key = tuple(words)
        if key in exact:
            found.append((exact[key], k, 1.0))
            continue
        exact[key] = k
        shared: dict[int, int] = defaultdict(int)
        shingles = {tuple(words[j : j + _SHINGLE]) for j in range(len(words) - _SHINGLE + 1)}
        for shingle in shingles:
            postings = index[shingle]
            for other in postings:
                shared[other] += 1
            postings.append(k)
        # A 0.9 match shares most shingles; a quarter is a safe lower bound to compare.
        need = max(2, len(shingles) // 4)
        for other, count in shared.items():
            if count < need:
                continue
            a, b = paragraphs[other], words
            if min(len(a), len(b)) / max(len(a), len(b)) < ratio:
                continue
            matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
            if matcher.quick_ratio() >= ratio and (r := matcher.ratio()) >= ratio:
                found.append((other, k, r))
                break
    return found


def _strip_markup(text: str) -> str:
    """A line without its Markdown block marker (list item, quote, heading)."""
    return re.sub(r"^\s*(?:[-*+>]|\d+[.)]|[^\W\d_]\)|#+)\s+", "", text)


def _check_duplicate_paragraphs(sources: Sources) -> Iterator[Diagnostic]:
    units: list[Unit] = []
    for paper in sources.ordered_papers():
        units += _body_units(paper.path, paper.body, paper.body_line)
    words = [paragraph_words(" ".join(_strip_markup(t) for _, t in u.lines)) for u in units]
    for first, later, ratio in near_duplicates(words):
        original, copy = units[first], units[later]
        where = f"{original.path}:{original.lines[0][0]}"
        how = "repeats" if ratio == 1.0 else f"nearly repeats (similarity {ratio:.2f})"
        yield warning(
            copy.path,
            copy.lines[0][0],
            f"paragraph '{_quote(copy.text, 50)}' {how} the paragraph at {where}: delete one or rewrite it",
            "duplicate-paragraph",
        )


# --- 7. links and footnotes -----------------------------------------------------------

_URL_RE = re.compile(r"(?:\b(?:https?|ftp|file)://|\bwww\.)[^\s<>«»\"]+", re.IGNORECASE)
_LINKED_RE = re.compile(r"\]\(\s*$|<$")
_UNITS = {"км", "см", "мм", "кв", "куб", "млн", "млрд", "тыс", "шаршы"}
# A printed footnote mark that lost its footnote: a Cyrillic word with one digit glued
# to its end (``трапинг3``). Units with exponents (``км2``) are excluded below.
_ORPHAN_RE = re.compile(r"(?<![\w-])([а-яёәіңғүұқөһ]{4,})(\d)(?![\w.,]\d|\w)")


def _url_host(url: str) -> str:
    rest = re.sub(r"^[a-z]+://", "", url, flags=re.IGNORECASE)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    host = host.rsplit("@", 1)[-1]
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.split(":", 1)[0]


def is_private_url(url: str) -> bool:
    """A ``file:`` URL, or one whose host is a loopback, private or link-local address."""
    if url.lower().startswith("file:"):
        return True
    host = _url_host(url)
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local


def _check_links(units: Iterable[Unit]) -> Iterator[Diagnostic]:
    for unit in units:
        for line, text in unit.lines:
            for match in _URL_RE.finditer(text):
                url = match.group().rstrip(".,;:)]")
                if is_private_url(url):
                    yield warning(
                        unit.path,
                        line,
                        f"link '{_quote(url, 70)}' points to a file or a private network that "
                        "readers cannot reach: delete it or give a public address",
                        "private-link",
                    )
                elif unit.body and not _LINKED_RE.search(text[: match.start()]):
                    yield warning(
                        unit.path,
                        line,
                        f"bare URL '{_quote(url, 70)}' in the text: move it to the reference list "
                        "and cite it, or delete it if it is a stray link target",
                        "stray-url",
                    )


def _check_footnotes(paper: Paper) -> Iterator[Diagnostic]:
    lines = paper.body.split("\n")
    defined = {m[1] for text in lines for m in re.finditer(r"^\[\^([^\]\s]+)\]:", text)}
    for offset, text in enumerate(lines):
        line = paper.body_line + offset
        for match in re.finditer(r"\[\^([^\]\s]+)\](?!:)", text):
            if match[1] not in defined:
                yield warning(
                    paper.path,
                    line,
                    f"footnote call [^{match[1]}] has no footnote text: add a line "
                    f"'[^{match[1]}]: …' or delete the call",
                    "footnote-orphan",
                )
        for match in _ORPHAN_RE.finditer(text):
            if match[1] in _UNITS:
                continue
            word = text[match.start() : match.end()]
            yield warning(
                paper.path,
                line,
                f"'{word}' looks like a footnote mark printed as a digit, with no footnote: add "
                f"the footnote as '{word[:-1]}[^{match[2]}]' with its text, or delete the "
                f"'{match[2]}'",
                "footnote-orphan",
            )


# --- 8. table totals -------------------------------------------------------------------

_NUMBER_RE = re.compile(r"[+-−]?(?:\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+|\d+)(?:[.,]\d+)?")


def parse_number(text: str) -> float | None:
    """A table cell as a number (``1 234``, ``12,5``, ``−3``), or None if it is not one."""
    text = text.strip()
    if not _NUMBER_RE.fullmatch(text):
        return None
    text = re.sub(r"[ \u00a0\u202f\u2009]", "", text).replace(",", ".").replace("−", "-")
    return float(text)


def _number_text(value: float) -> str:
    """A computed sum as the book prints numbers: no ``.0``, a decimal comma."""
    return str(int(value)) if value == int(value) else f"{value:g}".replace(".", ",")


def _summable(texts: list[str]) -> list[float] | None:
    """The numbers of cells to add up; None when a cell is text (not a sum column)."""
    values = []
    for text in texts:
        text = text.strip()
        if not text or text in {"-", "–", "—"}:
            continue
        if "%" in text:
            continue  # a share, not a count: it is not part of the sum
        value = parse_number(text)
        if value is None:
            return None
        values.append(value)
    return values


def totals_problems(table: Table) -> list[tuple[str, int, int, str, float, float]]:
    """Each declared total that does not add up.

    Returns (kind, row, column, cell text, declared, computed) tuples; kind is "row"
    for a totals row and "column" for a totals column.
    """
    problems: list[tuple[str, int, int, str, float, float]] = []
    if table.totals is None:
        return problems
    rows = [[c.text for c in row] for row in table.rows]
    first = table.header_columns
    total_row = table.totals.row
    if total_row is not None and 0 <= total_row < len(rows):
        for col in range(first, len(rows[total_row])):
            declared = parse_number(rows[total_row][col])
            if declared is None:
                continue
            others = [row[col] for r, row in enumerate(rows) if r != total_row and col < len(row)]
            values = _summable(others)
            if values is not None and abs(sum(values) - declared) > 1e-6:
                problems.append(("row", total_row, col, rows[total_row][col], declared, sum(values)))
    total_col = table.totals.column
    if total_col is not None:
        for r, row in enumerate(rows):
            if total_col >= len(row):
                continue
            declared = parse_number(row[total_col])
            if declared is None:
                continue
            values = _summable([t for c, t in enumerate(row) if c >= first and c != total_col])
            if values is not None and abs(sum(values) - declared) > 1e-6:
                problems.append(("column", r, total_col, row[total_col], declared, sum(values)))
    return problems


def _check_tables(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    for t, table in enumerate(paper.tables):
        for kind, r, c, text, _declared, computed in totals_problems(table):
            line = sources.line_of(paper.path, "tables", t, "rows", r, c)
            if kind == "row":
                what = f"the total of column {c} (row {r})"
                parts = "the other rows of that column"
            else:
                what = f"the total of row {r} (column {c})"
                parts = "the other cells of that row"
            yield warning(
                paper.path,
                line,
                f"table {table.id}: {what} is '{text}' but "
                f"{parts} add up to {_number_text(computed)}: correct the figures",
                "table-totals",
            )


# --- entry point -------------------------------------------------------------------------


def check_text(sources: Sources) -> list[Diagnostic]:
    """Every content finding for a loaded book; never raises."""
    try:
        units = _all_units(sources)
    except Exception:  # a check must never stop the others
        units = []
    checks: list[Callable[[], Iterable[Diagnostic]]] = [
        lambda: _check_mixed_script(units),
        lambda: _check_characters(units),
        lambda: _check_quotes(units),
        lambda: _check_links(units),
        lambda: _check_programme(sources),
        lambda: _check_duplicate_paragraphs(sources),
    ]
    for paper in sources.papers:
        checks.append(partial(_check_citation_form, paper))
        checks.append(partial(_check_reference_list, paper))
        checks.append(partial(_check_footnotes, paper))
        checks.append(partial(_check_tables, sources, paper))
    found: list[Diagnostic] = []
    for run in checks:
        try:
            found += list(run())
        except Exception:  # one broken check must not hide the findings of the rest
            continue
    return found
