"""The typesetter's rules, applied to the text as it is set (the sources stay as written).

A press sets what authors type by rules of the language: a number range with an en
dash (1995–2000, с. 12–15), a hyphen between spaced words as the language's dash with a
no-break space before it, straight quotes as the language's («…» with „…“ inside),
no-break spaces where a line must not break (initials and surname, a number and its
unit or «г.», «№ 5», «т. 2», a short preposition and its word), and a number's hyphened
ending kept whole («(211-бап)»). What each language decides is data (``quotes``,
``dash`` and the word lists of the ``typography:`` section of its locale file); which rules a book applies,
``typography:`` in book.yaml. The checker still reports what the rules change, in the
source, where the editor can fix it.

The rules run on the text of a paragraph at once, with every piece of inline markup
(emphasis, a link, a citation) standing as one ``MARK`` character, so that a quote
before an emphasis opens and a range inside one is seen whole; and before the line
breaker (``linebreak``), which keeps every no-break space they set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from proceedings.model import Typography as Switches

__all__ = ["MARK", "Rules", "apply", "rules_for", "typeset_spaces"]

# Where inline markup stands in a paragraph's text (it is never changed by a rule).
MARK: Final = "\ufffc"
NBSP: Final = "\u00a0"
# After a range's dash or a number's hyphen: no line break there (Pango breaks after an
# en dash before a digit, and after a hyphen before a letter); it prints nothing.
WORD_JOINER: Final = "\u2060"

_UPPER = "А-ЯЁӘҒҚҢӨҰҮҺІA-Z"
_LOWER = "a-zа-яёәғқңөұүһі"
_INITIALS = rf"[{_UPPER}]\.(?:[ {NBSP}]?[{_UPPER}]\.)?"
_NBSP_RULES: Final = [
    # Initials stay together and with the surname: "А. Б. Сахаров", "Сахаров А.Б.".
    (re.compile(rf"(?<![\w.])([{_UPPER}]\.) (?=[{_UPPER}]\.)"), f"\\1{NBSP}"),
    (re.compile(rf"(?<![\w.])({_INITIALS}) (?=[{_UPPER}][{_LOWER}])"), f"\\1{NBSP}"),
    (re.compile(rf"([{_UPPER}][{_LOWER}]+) (?={_INITIALS}(?!\w))"), f"\\1{NBSP}"),
    # "им. М. Есбулатова": the abbreviation stays with the name it introduces.
    (re.compile(rf"(?<!\w)(им\.) (?=[{_UPPER}])"), f"\\1{NBSP}"),
    # Page abbreviations stay with their numbers: "с. 23", "б. 45", "p. 7", "45 б.".
    (re.compile(r"(?<![\w.])([сСбБpP]{1,2}\.) (?=\d)"), f"\\1{NBSP}"),
    (re.compile(r"(\d) (?=[сбp]\.)"), f"\\1{NBSP}"),
    # "№ 17"
    (re.compile(r"№ (?=\d)"), f"№{NBSP}"),
]


def typeset_spaces(text: str) -> str:
    """No-break spaces every language of the region wants: initials, «им.», pages, «№»."""
    for pattern, replacement in _NBSP_RULES:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Rules:
    """One language's rules, compiled from its data."""

    switches: Switches
    quotes: tuple[str, ...]  # outer open, outer close, inner open, inner close
    dash: str
    patterns: tuple[tuple[re.Pattern[str], Any], ...]  # the language's no-break spaces


def _alternatives(words: Sequence[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=64)
def _compiled(lang: str, switches: Switches, data: tuple[tuple[str, Any], ...]) -> Rules:
    spec = dict(data)
    patterns: list[tuple[re.Pattern[str], Any]] = []
    space = f"[ \n{NBSP}]"
    if switches.short_words and (spaces := spec.get("nbsp_after_words", ())):
        # A short preposition or conjunction never ends a line: «в суде», «и закон».
        patterns.append((re.compile(rf"(?<![\w.\-{MARK}])({_alternatives(spaces)}) (?=[\w«„\"(])",
                                    re.IGNORECASE), f"\\1{NBSP}"))
    if before := spec.get("nbsp_before_numbers", ()):
        # «т. 2», «ст. 211», «§ 3»: the abbreviation stays with its number.
        patterns.append((re.compile(rf"(?<![\w.])({_alternatives(before)}) (?=\d)"), f"\\1{NBSP}"))
    if after := spec.get("nbsp_after_numbers", ()):
        # «5 %», «20 г.», «100 тыс.»: the number stays with its unit.
        patterns.append((re.compile(rf"(\d) ({_alternatives(after)})(?![\w{MARK}])"), f"\\1{NBSP}\\2"))
    if phrases := spec.get("nbsp_phrases", ()):
        # «и т. д.», «т. б.»: an abbreviation of several words is never divided, nor begins a line.
        for phrase in phrases:
            pieces = [re.escape(p) for p in phrase.split()]
            body = f"{space}?".join(pieces)
            patterns.append((re.compile(rf"(?<=[\w,)\]{MARK}]){space}({body})(?!\w)"), f"{NBSP}\\1"))
            if len(pieces) > 1:
                patterns.append((re.compile(rf"(?<!\w)({body})(?!\w)"), _unbroken))
    return Rules(switches=switches, quotes=tuple(spec.get("quotes", ())),
                 dash=str(spec.get("dash", "\u2014")), patterns=tuple(patterns))


def _unbroken(match: re.Match[str]) -> str:
    return re.sub("[ \n]", NBSP, match[0])


def rules_for(lang: str, switches: Switches, languages: Mapping[str, Mapping[str, Any]]) -> Rules:
    """The rules of ``lang`` as its data in ``languages`` gives them (a language the data
    lacks gets the rules every language shares)."""
    spec = languages.get(lang, {})
    keys = ("quotes", "dash", "nbsp_after_words", "nbsp_before_numbers", "nbsp_after_numbers",
            "nbsp_phrases")
    data = tuple((k, tuple(spec[k]) if isinstance(spec[k], list) else spec[k]) for k in keys if k in spec)
    return _compiled(lang, switches, data)


# A link written out in the text: no rule changes it.
_URL_RE: Final = re.compile(r"(?:https?://|www\.)[^\s<>«»\"]+", re.IGNORECASE)
# A range: two numbers joined by a hyphen (or a dash typed without spaces), the second
# the larger («1995-2000», «50-54», «09.00-09.05», «99,7-99,8»), not an article's
# number («380-1») nor a Kazakh ending («26-бет»), nor part of a longer chain (a phone
# number, an ISBN, a date).
_RANGE_RE: Final = re.compile(
    r"(?<![\w\-–/.,])(?<!\d[.,])(\d+(?:[.,]\d+)?)[-–](\d+(?:[.,]\d+)?)(?!\d|[.,]\d|[-–/]\d)"
)
# A number's ending written with a hyphen («211-бап», «7-тарауы», «1990-х»): one word.
_ENDING_RE: Final = re.compile(r"(?<=\d)-(?=[^\W\d_])")
# A hyphen or dash with spaces around it, between words (not a list's or a line's first).
_SPACED_DASH_RE: Final = re.compile(rf"(?<=[^\s{NBSP}])[ {NBSP}]+[-–—][ \n]+(?=\S)")


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _outside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(s < end and start < e for s, e in spans)


def _substitute(text: str, pattern: re.Pattern[str], replace: Any) -> str:
    """``pattern.sub`` outside the links written out in ``text``."""
    spans = [m.span() for m in _URL_RE.finditer(text)]

    def keep_links(match: re.Match[str]) -> str:
        if not _outside(spans, *match.span()):
            return match[0]
        return replace(match) if callable(replace) else match.expand(replace)

    return pattern.sub(keep_links, text)


def _plain(text: str, pattern: re.Pattern[str], replace: Any) -> str:
    return pattern.sub(replace, text)


def _range(match: re.Match[str]) -> str:
    first, second = match[1], match[2]
    if _number(first) >= _number(second):
        return match[0]
    return f"{first}\u2013{WORD_JOINER}{second}"


def _dash(match: re.Match[str], dash: str) -> str:
    # Between two numbers a spaced hyphen may be a minus or a range typed loosely: left.
    text, start, end = match.string, match.start(), match.end()
    if text[start - 1].isdigit() and text[end : end + 1].isdigit():
        return match[0]
    return f"{NBSP}{dash} "


_OPENS_AFTER: Final = f" \t\n{NBSP}([{{«„“‘—–-/{MARK}"


def _quotes(text: str, quotes: Sequence[str]) -> str:
    """Straight double quotes as the language's: one after a space or an opening bracket
    opens (the outer pair, or the inner one inside an open quote), any other closes the
    quote open; one that closes nothing is left as typed (the checker reports it)."""
    if len(quotes) < 2 or '"' not in text:
        return text
    outer_open, outer_close = quotes[0], quotes[1]
    inner_open, inner_close = (quotes[2], quotes[3]) if len(quotes) >= 4 else (outer_open, outer_close)
    spans = [m.span() for m in _URL_RE.finditer(text)]
    out: list[str] = []
    stack: list[str] = []  # the closing mark of each quote open, innermost last
    for k, char in enumerate(text):
        if char == outer_open and outer_open != outer_close:
            stack.append(outer_close)
        elif char == outer_close and stack and stack[-1] == outer_close:
            stack.pop()
        if char != '"' or not _outside(spans, k, k + 1):
            out.append(char)
            continue
        before = text[k - 1] if k else " "
        after = text[k + 1] if k + 1 < len(text) else " "
        opening = before in _OPENS_AFTER and not (before == MARK and after in " \n.,;:!?)")
        if opening or (not stack and after not in " \n.,;:!?)]" + NBSP):
            inner = bool(stack)
            out.append(inner_open if inner else outer_open)
            stack.append(inner_close if inner else outer_close)
        elif stack:
            out.append(stack.pop())
        else:
            out.append(char)
    return "".join(out)


def apply(text: str, rules: Rules) -> str:
    """``text`` as the typesetter sets it by ``rules``. ``MARK`` characters stay where they are."""
    switches = rules.switches
    # Most texts have no link written out: their rules need not look for one each time
    # (none changes a link, nor makes one).
    substitute = _substitute if _URL_RE.search(text) else _plain
    if switches.ranges:
        text = substitute(text, _RANGE_RE, _range)
    if switches.dashes:
        text = substitute(text, _SPACED_DASH_RE, lambda m: _dash(m, rules.dash))
    if switches.spaces:
        text = substitute(text, _ENDING_RE, lambda m: f"-{WORD_JOINER}")
        for pattern, replacement in _NBSP_RULES:
            text = substitute(text, pattern, replacement)
        for pattern, replacement in rules.patterns:
            text = substitute(text, pattern, replacement)
    if switches.quotes:
        text = _quotes(text, rules.quotes)
    return text
