"""Forms: how a paper writes what has one right form, and keeps to it.

- a year glued to its abbreviation («2019г.», «2021ж.»: ``year_marks`` of each language);
- a hyphen between spaced words where a dash is meant, and a dash between letters where
  a hyphen is meant;
- percentages written two ways in one paper («73,4 %» and «5,1%»);
- one word written two or three ways in one paper («алдынала», «алдын-ала», «алдын ала»);
- quotation marks of another language («…» in an English paper, “…” in a Russian one;
  ``quotes`` of each language).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.check.base import Check, Unit, strip_markup
from proceedings.check.spelling import Text, clean, languages, texts
from proceedings.diagnostics import Diagnostic, warning
from proceedings.load import display_path
from proceedings.locales import checker_table
from proceedings.messages import Message, language_name, listing, msg, msg_n

if TYPE_CHECKING:
    from proceedings.model import Sources

_L = r"[^\W\d_]"


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [Check("forms", display_path(Path(sources.root)), partial(_check_book, sources))]


def glued_year_re(lang: str) -> re.Pattern[str] | None:
    """A year and its abbreviation with no space between («2019г.»), for ``fix`` too."""
    marks = languages().get(lang, {}).get("year_marks", [])
    if not marks:
        return None
    alternatives = "|".join(sorted((re.escape(m) for m in marks), key=len, reverse=True))
    return re.compile(rf"(?<!\d)(\d{{4}})({alternatives})\.(?!{_L})")


_SPACED_HYPHEN_RE = re.compile(rf"(?<={_L}) - (?={_L})")
_DASH_IN_WORD_RE = re.compile(rf"(?<={_L})[–—](?={_L})")
_PERCENT_RE = re.compile(r"\d([ \u00a0\u202f]?)%")
_WORD_RE = re.compile(rf"{_L}+(?:-{_L}+)?")
_HYPHENATED_RE = re.compile(rf"{_L}+-{_L}+")


def _around(text: str, start: int, end: int, width: int = 15) -> str:
    return " ".join(text[max(0, start - width) : end + width].split())


def _check_book(sources: Sources) -> Iterator[Diagnostic]:
    by_path: dict[str, list[tuple[Text, Unit]]] = defaultdict(list)
    for text in texts(sources):
        for unit in text.units:
            by_path[unit.path].append((text, unit))
    # What the checker knows of each language: the book's locales (its own files too).
    table = checker_table(sources.locales) if sources.locales else languages()
    for path, units in by_path.items():
        yield from _check_file(path, units, table)


def _check_file(path: str, units: list[tuple[Text, Unit]],
                table: dict[str, dict[str, Any]]) -> Iterator[Diagnostic]:
    percents: dict[str, tuple[int, str]] = {}
    wrong: dict[str, tuple[list[int], set[str]]] = {}
    lines_read: list[tuple[int, str]] = []  # language → lines with others' quotes, the marks
    spellings: dict[str, dict[str, int]] = defaultdict(dict)  # joined form → form → first line
    for text, unit in units:
        year_re = glued_year_re(text.lang)
        quotes: list[str] = table.get(text.lang, {}).get("quotes", [])
        others = {q for spec in table.values() for q in spec.get("quotes", [])[:2]}
        foreign = sorted(others - set(quotes))
        for line, raw in unit.lines:
            plain = clean(strip_markup(raw))
            if year_re is not None:
                years = list(year_re.finditer(plain))
                if years:
                    shown = ", ".join(f"'{m[0]}'" for m in years)
                    yield warning(
                        path, line,
                        msg("the year is glued to its abbreviation in {shown}: write '{year} {abbr}.' "
                            "(with a no-break space between)", shown=shown, year=years[0][1],
                            abbr=years[0][2]), "glued-year")
            if unit.body:
                hyphen = _SPACED_HYPHEN_RE.search(plain)
                if hyphen:
                    shown = _around(plain, hyphen.start(), hyphen.end())
                    yield warning(path, line, msg("a hyphen between words in '{shown}': write a dash, '–'",
                                                  shown=shown), "dash")
                dash = _DASH_IN_WORD_RE.search(plain)
                if dash:
                    shown = _around(plain, dash.start(), dash.end())
                    yield warning(path, line, msg("a dash inside a word in '{shown}': write a hyphen, '-'",
                                                  shown=shown), "dash")
            for match in _PERCENT_RE.finditer(plain):
                style: Message = msg("with a space") if match[1] else msg("without a space")
                percents.setdefault(style, (line, _around(plain, match.start(), match.end(), 8)))
            seen = [q for q in foreign if q in plain]
            if seen and quotes:
                wrong.setdefault(text.lang, ([], set()))[0].append(line)
                wrong[text.lang][1].update(seen)
            lines_read.append((line, plain))
    # A word written several ways has a hyphenated form among them (the others alone are
    # two words that follow each other as often as not): only those are looked for.
    hyphenated = {m[0].casefold().replace("-", "") for _, plain in lines_read
                  for m in _HYPHENATED_RE.finditer(plain)}
    for line, plain in lines_read:
        words = list(_WORD_RE.finditer(plain))
        for k, match in enumerate(words):
            form = match[0].casefold()
            forms = [form]
            if k + 1 < len(words) and plain[match.end() : words[k + 1].start()] == " " \
                    and "-" not in form and "-" not in words[k + 1][0]:
                forms.append(f"{form} {words[k + 1][0].casefold()}")
            for form in forms:
                joined = form.replace("-", "").replace(" ", "")
                if len(joined) >= 6 and joined in hyphenated:
                    spellings[joined].setdefault(form, line)
    for lang, (lines, marks) in wrong.items():
        own: list[str] = table[lang]["quotes"]
        listed = ", ".join(str(n) for n in lines[:8]) + (", …" if len(lines) > 8 else "")
        name = language_name(lang, table[lang]["name"])
        marks_shown = " ".join(sorted(marks))
        if len(own) > 3:
            message = msg_n("quotation marks {marks} are not {language} ones (line {lines}): use "
                         "{open}…{close} (and {inner_open}…{inner_close} inside them)",
                         "quotation marks {marks} are not {language} ones (lines {lines}): use "
                         "{open}…{close} (and {inner_open}…{inner_close} inside them)", len(lines),
                         marks=marks_shown, language=name, lines=listed, open=own[0], close=own[1],
                         inner_open=own[2], inner_close=own[3])
        else:
            message = msg_n("quotation marks {marks} are not {language} ones (line {lines}): use "
                            "{open}…{close}",
                         "quotation marks {marks} are not {language} ones (lines {lines}): use "
                         "{open}…{close}", len(lines), marks=marks_shown, language=name, lines=listed,
                         open=own[0], close=own[1])
        yield warning(path, lines[0], message, "quotes-language")
    if len(percents) > 1:
        (first, (l1, s1)), (second, (l2, s2)) = sorted(percents.items(), key=lambda item: item[1][0])
        yield warning(
            path, l2,
            msg("percentages are written {first} ('{s1}', line {l1}) and {second} ('{s2}'): use one form "
                "throughout", first=first, s1=s1, l1=l1, second=second, s2=s2), "percent-style")
    yield from _variants(path, spellings, units[0][0].lang)


def _variants(path: str, spellings: dict[str, dict[str, int]], lang: str) -> Iterator[Diagnostic]:
    """A word written joined, hyphenated and apart in one paper. Two words that merely
    follow each other also join («мен ол» → «менол»): a joined form and a spaced one are
    compared only beside a hyphenated one. In a language whose compound adjectives take a
    hyphen that the same words apart do not («in-flight», «in flight»: ``hyphen_compounds``),
    a hyphenated form and a spaced one are not compared either."""
    apart_differs = bool(languages().get(lang, {}).get("hyphen_compounds"))
    for forms in spellings.values():
        hyphenated = [f for f in forms if "-" in f]
        spaced = [f for f in forms if " " in f]
        whole = [f for f in forms if "-" not in f and " " not in f]
        ways = len(hyphenated[:1]) + len(spaced[:1]) + len(whole[:1])
        if ways < 2 or not (hyphenated or whole):
            continue
        if not hyphenated and not (whole and spaced):
            continue
        listed = whole[:1] + hyphenated[:1] + spaced[:1]
        if spaced and not hyphenated:
            continue  # joined and apart: two words that follow each other as often as not
        if apart_differs and not whole:
            continue
        line = max(forms[f] for f in listed)
        shown = listing(msg("'{form}' (line {line})", form=f, line=forms[f]) for f in listed)
        yield warning(path, line, msg("one word written {n} ways: {shown}; write it one way", n=ways,
                                      shown=shown), "word-variants")
