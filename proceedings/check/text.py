"""Characters, scripts, quotes and links: what the printed text is made of.

Homoglyphs from the other script, private-use, control and odd space characters,
unbalanced quotes, bare or private links. Every finding quotes the text and says how
to fix it.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, by_path, context, digest, quote, strip_markup
from proceedings.diagnostics import Diagnostic, note, warning
from proceedings.messages import Message, listing, msg, msg_n

if TYPE_CHECKING:
    from proceedings.model import Sources


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    # Each file's text on its own: these look at nothing else, so an edit to one
    # paper checks that paper again, and takes the others' findings as they were.
    found = []
    for path, own in by_path(units).items():
        depends = digest(own)
        found += [
            Check("mixed-script", path, partial(_check_mixed_script, own), depends),
            Check("characters", path, partial(_check_characters, own), depends),
            Check("quotes", path, partial(_check_quotes, own), depends),
            Check("links", path, partial(_check_links, own), depends),
        ]
    return found


# --- 1. mixed scripts ----------------------------------------------------------------

# Letters that look the same in both scripts. Kazakh і/І are the classic case: a Latin
# i typed for Kazakh і looks right in print but breaks search, hyphenation and sorting.
LATIN_TO_CYRILLIC = {
    "a": "а", "c": "с", "e": "е", "i": "і", "k": "к", "o": "о", "p": "р", "x": "х",
    "y": "у", "h": "һ", "A": "А", "B": "В", "C": "С", "E": "Е", "H": "Н", "I": "І",
    "K": "К", "M": "М", "O": "О", "P": "Р", "T": "Т", "X": "Х", "Y": "У",
}  # fmt: skip
CYRILLIC_TO_LATIN = {v: k for k, v in LATIN_TO_CYRILLIC.items()} | {"У": "Y", "у": "y"}
WORD_RE = re.compile(r"[^\W\d_]+")


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


# A Latin letter and a Cyrillic one in the same run of letters: most lines have none,
# and they are skipped without looking at their letters one by one.
_MIXED_RE = re.compile(
    r"[a-zA-Z\u00c0-\u024f][^\W\d_]*[\u0400-\u052f]|[\u0400-\u052f][^\W\d_]*[a-zA-Z\u00c0-\u024f]"
)


@lru_cache(maxsize=1 << 16)
def mixed_script_words(text: str) -> dict[str, str]:
    """The words of a line that mix scripts → each retyped in one script ("" if unsafe).

    Cached: a warm process (``proceedings watch``) checks the same lines again and
    again. Callers must not change the dictionary.
    """
    if not _MIXED_RE.search(text):
        return {}
    prefer = _line_script(text)
    fixes: dict[str, str] = {}
    for match in WORD_RE.finditer(text):
        word = match.group()
        fixed = suggest_script_fix(word, prefer)
        if fixed is None or word in fixes:
            continue
        if fixed or not _is_suffixed_loanword(word):
            fixes[word] = fixed
    return fixes


def _check_mixed_script(units: Iterable[Unit]) -> Iterator[Diagnostic]:
    # One finding per line, listing its words: a paper typed with Latin i for Kazakh і
    # has it in every other word, and one line per word would drown the other findings.
    for unit in units:
        for line, text in unit.lines:
            fixes = mixed_script_words(text)
            if not fixes:
                continue
            yield warning(unit.path, line, _mixed_message(fixes), "mixed-script")


SCRIPT_NAMES = {"latin": msg("Latin"), "cyrillic": msg("Cyrillic")}


def _mixed_message(fixes: dict[str, str]) -> Message:
    """Each word with its stray letters: which, where in the word, and their code points
    (a look-alike cannot be told by eye), and what to retype it as."""
    details = listing((_stray_letters(word, fixed) for word, fixed in fixes.items()), "; ")
    retyped = listing(f"'{fixed}'" for fixed in fixes.values())
    if len(fixes) == 1:
        fixed = next(iter(fixes.values()))
        if fixed:
            return msg("a word mixes Latin and Cyrillic letters: {detail}; retype it as {fixed}",
                       detail=details, fixed=retyped)
        return msg("a word mixes Latin and Cyrillic letters: {detail}; retype it in one script",
                   detail=details)
    if all(fixes.values()):
        return msg_n("{n} word mixes Latin and Cyrillic letters: {details}; retype them as {fixed}",
                     "{n} words mix Latin and Cyrillic letters: {details}; retype them as {fixed}",
                     len(fixes), details=details, fixed=retyped)
    return msg_n("{n} word mixes Latin and Cyrillic letters: {details}; retype each in one script",
                 "{n} words mix Latin and Cyrillic letters: {details}; retype each in one script",
                 len(fixes), details=details)


def _stray_letters(word: str, fixed: str) -> Message:
    """``'бiлiм' (Latin i U+0069, letters 2, 4)``: the letters a fix changes, or, with no
    safe fix, those of the word's lesser script."""
    scripts = [_script(ch) for ch in word]
    if fixed:
        stray = [i for i, (a, b) in enumerate(zip(word, fixed, strict=True)) if a != b]
    else:
        lesser = "latin" if scripts.count("latin") <= scripts.count("cyrillic") else "cyrillic"
        stray = [i for i, script in enumerate(scripts) if script == lesser]
    by_char: dict[str, list[int]] = {}
    for i in stray:
        by_char.setdefault(word[i], []).append(i + 1)
    letters = [msg_n("{script} {char} U+{code:04X}, letter {places}",
                     "{script} {char} U+{code:04X}, letters {places}", len(places),
                     script=SCRIPT_NAMES[_script(ch)], char=ch, code=ord(ch),
                     places=", ".join(map(str, places)))
               for ch, places in by_char.items()]
    return msg("'{word}' ({letters})", word=word, letters=listing(letters, "; "))


# --- 2. characters -------------------------------------------------------------------

# Spaces an editor never wants: typographic fixed-width spaces, zero-width space, the
# ideographic space and stray BOMs. U+00A0 (no-break space) is the source format's own
# tool; U+202F (narrow no-break) and U+2009 (thin) are accepted between digits, where
# they group thousands as typographers do (``1 234``).
ODD_SPACES = {chr(c) for c in range(0x2000, 0x200C)} | {
    "\u2028",
    "\u2029",
    "\u3000",
    "\ufeff",
    "\u202f",
}
DIGIT_GROUPING = {"\u2009", "\u202f", "\u2008"}


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '(private use)')}"


def _check_characters(units: Iterable[Unit]) -> Iterator[Diagnostic]:
    for unit in units:
        for line, text in unit.lines:
            yield from _line_chars(unit.path, line, text, unit.body)


# Every character the loop below looks at; a line with none of them needs no loop.
_UNUSUAL_RE = re.compile(
    "[\ue000-\uf8ff\x00-\x08\x0a-\x1f\x7f-\x9f\u2000-\u200b\u2028\u2029\u3000\ufeff\u202f"
    "\u202a-\u202e\u2066-\u2069]"
)
# The controls of bidirectional text (embeddings, overrides, isolates): invisible in an
# editor, they reverse the text that follows in print; the layout leaves them out.
BIDI_CONTROLS = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


@lru_cache(maxsize=1 << 16)
def _line_chars(path: str, line: int, text: str, in_body: bool) -> tuple[Diagnostic, ...]:
    """The findings of one line, cached for a warm process's next build."""
    return tuple(_check_line_chars(path, line, text, in_body=in_body))


def _check_line_chars(path: str, line: int, text: str, *, in_body: bool) -> Iterator[Diagnostic]:
    reported: set[str] = set()
    unusual = _UNUSUAL_RE.search(text)
    first = unusual.start() if unusual else len(text)
    for pos, ch in enumerate(text[first:], first):
        code = ord(ch)
        where = context(text, pos, pos + 1)
        if 0xE000 <= code <= 0xF8FF and "private-use" not in reported:
            reported.add("private-use")
            yield warning(path, line, msg(
                "private-use character U+{code:04X} at {where}: it prints as a box or nothing in other "
                "fonts; replace it with the character it stands for (a bullet or dash becomes a "
                "Markdown list item)", code=code, where=where), "private-use")
        elif ch in BIDI_CONTROLS:
            if "control-char" not in reported:
                reported.add("control-char")
                yield warning(path, line, msg(
                    "bidirectional control {char} at {where}: delete it (it is invisible here, "
                    "would print the text after it reversed, and is left out of the book)",
                    char=_char_name(ch), where=where), "control-char")
        elif (code < 0x20 and ch != "\t") or 0x7F <= code <= 0x9F:
            if "control-char" not in reported:
                reported.add("control-char")
                yield warning(path, line, msg(
                    "control character U+{code:04X} at {where}: delete it (it is invisible and "
                    "breaks the typesetting)", code=code, where=where), "control-char")
        elif ch in ODD_SPACES and "odd-space" not in reported:
            between_digits = 0 < pos < len(text) - 1 and text[pos - 1].isdigit() and text[pos + 1].isdigit()
            if ch in DIGIT_GROUPING and between_digits:
                continue
            if ch == "\u202f":
                continue  # a narrow no-break space is deliberate typography anywhere
            reported.add("odd-space")
            yield warning(path, line, msg(
                "unusual space {char} at {where}: use a normal space, or U+00A0 where the words "
                "must not be split", char=_char_name(ch), where=where), "odd-space")
    if reported:
        return  # the space runs around a stray character are part of that finding
    # Leading whitespace and list markers are Markdown structure; a trailing pair of
    # spaces is a Markdown hard break. Only whitespace *between* words is a slip.
    inner = strip_markup(text).strip()
    tab = inner.find("\t")
    if tab >= 0:
        yield warning(path, line, msg("tab inside the text at {where}: replace it with one space",
                                      where=context(inner, tab, tab + 1)), "odd-space")
        return
    double = re.search(r"\S( {2,})\S", inner)
    if double and in_body:
        start, end = double.span(1)
        # A note, not a warning: HTML collapses runs of spaces, so nothing misprints,
        # but the source is worth tidying (and copies of it into Word would show them).
        yield note(path, line, msg_n(
            "{n} space in a row at {where}: use one space", "{n} spaces in a row at {where}: use one "
            "space", end - start, where=context(inner, start, end)), "odd-space")


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
    nested: tuple[int, str] | None = None  # a « opened inside another


_QUOTE_CHARS = re.compile('[«»"]')


def _scan_quotes(unit: Unit) -> _QuoteState:
    state = _QuoteState([], [], None)
    for line, raw in unit.lines:
        text = _ATTRS_RE.sub("", raw)  # {lang="en"} is markup, not a quotation
        for match in _QUOTE_CHARS.finditer(text):
            pos, ch = match.start(), match.group()
            if ch == "«":
                if state.opened and state.nested is None:
                    start = max(0, pos - 20)
                    snippet = text[start : pos + 30]
                    state.nested = (line, strip_markup(snippet) if start == 0 else snippet)
                state.opened.append((line, text[pos : pos + 40]))
            elif ch == "»":
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
            yield warning(unit.path, line, msg(
                "closing » without an opening « in '{text}': add the missing « or delete the »",
                text=quote(snippet, 50)), "quotes")
        if state.nested is not None and not state.opened:
            # «…«…»» balances, but Kazakh and Russian quote inside a quotation with „…“.
            yield warning(unit.path, state.nested[0], msg(
                "a quotation inside a quotation in '{text}' uses « » again: write the inner one „…“",
                text=quote(state.nested[1], 50)), "quotes")
        elif state.nested is not None and len(state.opened) == 1:
            # «…«…» with one » for both: the inner quotation takes „…“ and the outer its ».
            line, snippet = state.nested
            yield warning(unit.path, line, msg(
                "a quotation inside a quotation in '{text}' shares one » with it: write the inner "
                "one „…“ and close the outer with »", text=quote(snippet, 50)), "quotes")
            state.opened.clear()
        pending += [(k, unit, opened) for opened in state.opened]
        if state.straight is not None and unit.body:
            yield warning(unit.path, state.straight[0], msg(
                "straight quote \" in '{text}': use the quotation marks of the paper's language",
                text=quote(state.straight[1], 40)), "quotes")
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
        yield warning(owners[index].path, line, msg_n(
            "{n} « not closed in this paragraph, last at '{text}': add the missing » (nested "
            "quotes need their own »)", "{n} « not closed in this paragraph, last at '{text}': add "
            "the missing » (nested quotes need their own »)", len(opens), text=quote(snippet, 40)), "quotes")




# --- 7. links and footnotes -----------------------------------------------------------

URL_RE = re.compile(r"(?:\b(?:https?|ftp|file)://|\bwww\.)[^\s<>«»\"]+", re.IGNORECASE)
_LINKED_RE = re.compile(r"\]\(\s*$|<$")
_UNITS = {"км", "см", "мм", "кв", "куб", "млн", "млрд", "тыс", "шаршы"}
# A printed footnote mark that lost its footnote: a Cyrillic word with one digit glued


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
            for match in URL_RE.finditer(text):
                url = match.group().rstrip(".,;:)]")
                if is_private_url(url):
                    yield warning(unit.path, line, msg(
                        "link '{url}' points to a file or a private network that readers cannot "
                        "reach: delete it or give a public address", url=quote(url, 70)), "private-link")
                elif unit.body and not _LINKED_RE.search(text[: match.start()]):
                    yield warning(unit.path, line, msg(
                        "bare URL '{url}' in the text: move it to the reference list and cite it, "
                        "or delete it if it is a stray link target", url=quote(url, 70)), "stray-url")
