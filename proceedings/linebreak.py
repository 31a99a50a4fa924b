"""Paragraph line breaking over the whole paragraph (Knuth and Plass), imposed on WeasyPrint.

WeasyPrint breaks lines first fit: every line takes as much as a hyphen allows, so half
the lines of a Russian or Kazakh paper end in a hyphen, in runs of up to ten. This stage
chooses the lines of each running paragraph of a body (papers, resolutions) at once, by
total demerits as TeX does, with the widths WeasyPrint will measure (``shaping``: the
bundled fonts through the same HarfBuzz), and hands WeasyPrint a paragraph it can only
break there: every space but the chosen ones becomes a no-break space (WeasyPrint
stretches those too when it justifies a line), a soft hyphen stands at each chosen
division and nowhere else, and the paragraph is marked ``hyphens: manual`` by the
style. A line is chosen a safety margin short of the measure, so WeasyPrint, which
never shrinks a space, always fits it and stretches it to the measure.

What a press asks of a paragraph is built into the choice, not checked after it:

* no more than two hyphenated lines in a row (a third is not a candidate);
* no fragment of fewer than two letters before a hyphen or three after it;
* no division of a word that begins with a capital (a name, an abbreviation);
* spaces stretched to at most 0.75 em (twice the normal space, 0.5 em, is already
  costly), while a line of fewer spaces would need more;
* a last line at least as long as the first-line indent and a half.

A paragraph the breaker cannot read (markup other than emphasis, links and spans, or a
word wider than the measure) is left to WeasyPrint as it was.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import math
import re
import urllib.parse
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote, urlsplit

import pyphen
import tinycss2

from proceedings.hyphenation import register
from proceedings.shaping import face

__all__ = ["Longer", "Measure", "Settings", "Turn", "break_lines", "dictionary_target", "hyphenation_points",
           "longer_mark", "measure_from_styles", "set_abstract", "set_body", "set_marked", "set_reference",
           "turns_mark", "use_dictionaries"]

# The tuning of the breaker: demerits as TeX counts them (its defaults in comments).
@dataclass(frozen=True)
class Settings:
    line_penalty: float = 10.0  # \linepenalty 10
    hyphen_penalty: float = 1000.0  # \hyphenpenalty 50: a division costs more here
    explicit_penalty: float = 100.0  # \exhyphenpenalty 50: a line ending at a word's own hyphen
    double_hyphen_demerits: float = 8000.0  # \doublehyphendemerits 10000
    # \finalhyphendemerits 5000: a division before the last line leaves the paragraph
    # ending on a fragment («…measure of pro‐» over «gress.»): it costs a division more.
    final_hyphen_demerits: float = 1e6
    stretch: float = 0.5  # a space stretches by half its width at badness 100
    max_ratio: float = 4.0  # 0.25 em + 4 × 0.125 em = 0.75 em: the loosest space allowed
    loose_ratio: float = 2.0  # 0.5 em: a space looser than this is a loose line ...
    loose_demerits: float = 1e6  # ... which costs as much as a few hyphens
    max_run: int = 2  # hyphenated lines in a row
    track_penalty: float = 40.0  # a step of tracking (the style's .t1, .t-1 ...) costs this
    # A step of tracking more or less than the line before costs this, squared by the
    # steps (TeX's \adjdemerits for lines of unlike fitness): neighbours alike.
    track_change_penalty: float = 150.0
    safety: float = 0.6  # points a line is kept short of the measure
    last_line_indents: float = 1.5  # a last line at least this many indents long
    unindented_last: float = 0.5  # ... or this many, in a paragraph set without one
    left_min: int = 2  # letters before a hyphen
    right_min: int = 3  # letters after it


@dataclass(frozen=True)
class Measure:
    """The column a body paragraph is set in, and its fonts, as the style gives them."""

    width: float  # points
    indent: float  # points, the first line's text-indent
    size: float  # points
    word_spacing: float  # points added to a space of a set paragraph's line of class s (<= 0: its shrink)
    list_indent: float  # points a list item's paragraph is narrower by
    fonts: tuple[tuple[str, Path], ...]  # ("regular" | "bold" | "italic" | "bolditalic", file)
    tracking: float = 0.0  # points a character of a line of class t1 is wider by (t-1: narrower)
    max_track: int = 0  # the style's steps: t1 ... tN and t-1 ... t-N
    reference_indent: float = 0.0  # points a reference's text is narrower by (its number's box)
    reference_scale: float = 1.0  # the reference list's size, in the body's ems
    abstract_narrower: float = 0.0  # points the abstract's measure is narrower by (its margins)
    abstract_scale: float = 1.0  # its size, in the body's ems
    abstract_style: str = "regular"  # its face: "italic" when the style sets it so
    call_scale: float = 0.0  # a footnote call's size, in the body's ems (0: the style does not say)

    def font(self, style: str) -> Path:
        return dict(self.fonts).get(style) or dict(self.fonts)["regular"]


_UNITS: Final = {"pt": 1.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "in": 72.0, "px": 0.75}


def _points(length: str, em: float = 0.0) -> float:
    match = re.fullmatch(r"\s*(-?[\d.]+)\s*([a-z]+)\s*", length)
    if not match:
        msg = f"not a length: {length!r}"
        raise ValueError(msg)
    number, unit = float(match[1]), match[2]
    if unit == "em":
        return number * em
    return number * _UNITS[unit]


def _rules(stylesheet: str) -> dict[str, dict[str, str]]:
    """The declarations ``stylesheet`` writes for each selector, as written (a rule for
    several selectors counts for each; a later rule's declaration wins)."""
    found: dict[str, dict[str, str]] = {}
    for rule in tinycss2.parse_stylesheet(stylesheet, skip_comments=True, skip_whitespace=True):
        if rule.type != "qualified-rule":
            continue
        declarations = {declaration.lower_name: tinycss2.serialize(declaration.value).strip()
                        for declaration in tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                                           skip_whitespace=True)
                        if declaration.type == "declaration"}
        for selector in tinycss2.serialize(rule.prelude).split(","):
            found.setdefault(selector.strip(), {}).update(declarations)
    return found


def measure_from_styles(styles: Path, *, page_width: str, margin_inner: str, margin_outer: str,
                        font_size: str) -> Measure:
    """The body column of the book's style: the page's width less its margins, the
    indent of ``.paper-body p`` in ``book.css``, the faces of "Book Serif" in ``fonts.css``."""
    css = styles / "css"
    return _measure(css.resolve(), (css / "book.css").read_text(encoding="utf-8"),
                    (css / "fonts.css").read_text(encoding="utf-8"),
                    (page_width, margin_inner, margin_outer, font_size))


@lru_cache(maxsize=16)
def _measure(css: Path, book: str, fonts_text: str, page: tuple[str, str, str, str]) -> Measure:
    page_width, margin_inner, margin_outer, font_size = page
    size = _points(font_size)
    rules = _rules(book)
    indent = rules.get(".paper-body p", {}).get("text-indent", "0pt")
    word_spacing = rules.get(".paper-body p.set .s", {}).get("word-spacing", "0pt")
    list_indent = rules.get(".paper-body ul", {}).get("padding-left", "0pt")
    fonts: dict[str, Path] = {}
    for rule in tinycss2.parse_stylesheet(fonts_text, skip_comments=True, skip_whitespace=True):
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        values = {d.lower_name: tinycss2.serialize(d.value).strip()
                  for d in tinycss2.parse_declaration_list(rule.content, skip_comments=True,
                                                           skip_whitespace=True)
                  if d.type == "declaration"}
        if values.get("font-family", "").strip("\"'") != "Book Serif":
            continue
        url = re.search(r"url\(\s*[\"']?([^\"')]+)", values.get("src", ""))
        if not url:
            continue
        bold = values.get("font-weight", "normal") in {"bold", "700"}
        italic = values.get("font-style", "normal") == "italic"
        key = ("bold" if bold else "") + ("italic" if italic else "") or "regular"
        fonts[key] = (css / url[1]).resolve()
    tracking = rules.get(".paper-body p.set .t1", {}).get("letter-spacing", "0pt")
    call = rules.get(".footnote::footnote-call", {}).get("font-size")
    call_scale = (_points(rules.get(".footnote", {}).get("font-size", "1em"), em=1.0) * _points(call, em=1.0)
                  if call else 0.0)
    reference_indent = rules.get(".reference-list li", {}).get("padding-left", "0pt")
    reference_size = rules.get(".reference-list", {}).get("font-size", "1em")
    abstract = rules.get(".abstract", {})
    margins = abstract.get("margin", "0pt").split() or ["0pt"]  # top, right, bottom, left, as CSS
    right = margins[1] if len(margins) > 1 else margins[0]
    left = margins[3] if len(margins) == 4 else right
    max_track = 0
    while all(rules.get(f".paper-body p.set .t{sign}{max_track + 1}", {}).get("letter-spacing")
              for sign in ("", "-")):
        max_track += 1
    return Measure(
        tracking=_points(tracking, em=size),
        max_track=max_track,
        reference_indent=_points(reference_indent, em=size),
        reference_scale=_points(reference_size, em=1.0),
        abstract_narrower=_points(left, em=size) + _points(right, em=size),
        abstract_scale=_points(abstract.get("font-size", "1em"), em=1.0),
        abstract_style="italic" if abstract.get("font-style") == "italic" else "regular",
        call_scale=call_scale,
        width=_points(page_width) - _points(margin_inner) - _points(margin_outer),
        indent=_points(indent, em=size),
        word_spacing=_points(word_spacing, em=size),
        list_indent=_points(list_indent, em=size),
        size=size,
        fonts=tuple(sorted(fonts.items())),
    )


# --- Hyphenation ---------------------------------------------------------------------------

_EXCEPTIONS_PATH: Final = Path(__file__).resolve().parent / "data" / "hyphenation-exceptions.txt"


@lru_cache(maxsize=1)
def _exceptions() -> dict[str, dict[str, tuple[int, ...]]]:
    """Words a language's patterns divide wrongly, as they should be divided
    (``data/hyphenation-exceptions.txt``: a language code, then words with hyphens)."""
    table: dict[str, dict[str, tuple[int, ...]]] = {}
    for raw in _EXCEPTIONS_PATH.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].split()
        if len(line) < 2:
            continue
        lang, words = line[0], line[1:]
        for word in words:
            points: list[int] = []
            for piece in word.split("-")[:-1]:
                points.append((points[-1] if points else 0) + len(piece))
            table.setdefault(lang, {})[word.replace("-", "").lower()] = tuple(points)
    return table


# The hyphenation dictionary of each language, as its locale names it (``hyphenation``:
# a pyphen code, or a pattern file registered with pyphen under the language's code).
# The book's HTML carries them (<meta name="hyphenation">, read by ``use_dictionaries`` as
# a part is laid out); a language it does not name takes its shipped locale's.
_CHOSEN: dict[str, str] = {}
_META_RE = re.compile(r'<meta name="hyphenation" content="([a-z]{2,3}) (\S+)(?: [0-9a-f]+)?">')


def use_dictionaries(html: str) -> None:
    """Hyphenate each language the HTML's head names with the dictionary it names:
    ``ru ru_RU`` (pyphen's), ``uz file:///…/hyph_uz.dic`` (a file)."""
    head = html[: max(html.find("</head>"), 0)]
    for lang, target in _META_RE.findall(head):
        _NAMED.add(lang)
        _choose(lang, target)


# The languages the HTML laid out named (every language the book has a locale for); a
# language no HTML named takes its shipped locale's dictionary (an HTML written
# without the book's locales, as a test's).
_NAMED: set[str] = set()


def _choose(lang: str, target: str) -> str:
    if target.startswith("file:"):
        register([lang], Path(unquote(urlsplit(target).path)))
        target = lang
    if _CHOSEN.get(lang) != target:
        _CHOSEN[lang] = target
        _CODES.clear()
    return target


# The dictionary of each language tag met, found once per choice of dictionaries.
_CODES: dict[str, str | None] = {}


def _dictionary_code(lang: str) -> str | None:
    """The pyphen dictionary of a language tag: the one its locale names, unless the tag
    names a region (en-GB) that pyphen has a dictionary for."""
    if lang in _CODES:
        return _CODES[lang]
    code = _CODES[lang] = _find_code(lang)
    return code


def _find_code(lang: str) -> str | None:
    tag = lang.replace("_", "-").lower()
    base = tag.split("-")[0]
    regional = pyphen.language_fallback(tag.replace("-", "_")) if "-" in tag else None
    if regional is not None and regional.lower() != base:
        return str(regional)
    if base not in _CHOSEN and not _NAMED:
        from proceedings.locales import SHIPPED, shipped  # pydantic: only when no HTML named them

        locale = shipped().get(base)
        if locale is not None and locale.hyphenation:
            _choose(base, dictionary_target(locale.hyphenation, SHIPPED))
    if base in _CHOSEN:
        return _CHOSEN[base]
    code: str | None = pyphen.language_fallback(tag.replace("-", "_"))
    return code


def dictionary_target(hyphenation: str, folder: Path) -> str:
    """What a locale's ``hyphenation`` names, as ``use_dictionaries`` reads it: a pyphen
    code as it is, a file (``hyph_uz.dic``) as the URI of the file beside the locale."""
    if hyphenation.endswith(".dic"):
        return (folder / hyphenation).resolve().as_uri()
    return hyphenation


@lru_cache(maxsize=64)
def _dictionary(code: str, left: int, right: int) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=code, left=left, right=right)


def hyphenation_points(word: str, lang: str, left: int = 2, right: int = 3) -> tuple[int, ...]:
    """Where a word of letters may be divided: its exceptions, else its patterns."""
    return _word_points(word, lang, _dictionary_code(lang), left, right)


@lru_cache(maxsize=65536)
def _word_points(word: str, lang: str, code: str | None, left: int, right: int) -> tuple[int, ...]:
    if code is None or len(word) < left + right:
        return ()
    lowered = word.lower()
    for table in (_exceptions().get(lang.lower(), {}), _exceptions().get(code, {})):
        if lowered in table:
            return tuple(p for p in table[lowered] if left <= p <= len(word) - right)
    return tuple(_dictionary(code, left, right).positions(lowered))


# --- Reading a paragraph -------------------------------------------------------------------

_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
_INLINE: Final = {"em": "italic", "i": "italic", "strong": "bold", "b": "bold", "a": None,
                  "span": None}
_SPACES: Final = " \t\n\r\f"
_LETTER_RE = re.compile(r"[^\W\d_]+")
_SOFT_HYPHEN: Final = "\u00ad"
_NBSP: Final = "\u00a0"
_HYPHEN_AFTER: Final = "-\u2013\u2014"  # where Pango breaks inside a word: after - – —
_HYPHEN_CHARACTER: Final = "\u2010"  # WeasyPrint's hyphenate-character


@dataclass
class _Char:
    char: str
    style: str
    lang: str


class Unreadable(ValueError):
    """Markup the breaker does not measure: the paragraph stays as it was."""


def _read(inner: str, lang: str, base: str = "regular") -> tuple[list[str | int], list[_Char]]:
    """The paragraph as output pieces (tags kept as text, characters as indices into
    the second list) and its characters with their style and language."""
    pieces: list[str | int] = []
    chars: list[_Char] = []
    stack: list[tuple[str, str | None, str]] = []  # tag, style, lang
    pos = 0

    def style_now() -> tuple[str, str]:
        bold = "bold" in base or any(s == "bold" for _, s, _ in stack)
        italic = "italic" in base or any(s == "italic" for _, s, _ in stack)
        style = ("bold" if bold else "") + ("italic" if italic else "") or "regular"
        return style, (stack[-1][2] if stack else lang)

    def text(raw: str) -> None:
        style, current = style_now()
        for char in html.unescape(raw):
            pieces.append(len(chars))
            chars.append(_Char(char, style, current))

    note_end = 0  # where the footnote being passed over ends
    for match in _TAG_RE.finditer(inner):
        if match.start() < note_end:
            continue
        text(inner[pos : match.start()])
        pos = match.end()
        closing, name, attrs = match[1], match[2].lower(), match[3]
        if name == "span" and "footnote" in attrs:
            # A footnote: its text goes to the foot of the page, and its call (its number,
            # ``::footnote-call``) stands in the line; it is kept whole, as written.
            call = _CALL_RE.search(attrs)
            note_end = _element_end(inner, match.end(), name)
            if call is None or note_end < 0:
                raise Unreadable(name)
            pieces.append(_Raw(inner[match.start() : note_end]))
            for digit in call[1]:
                pieces.append(len(chars))
                chars.append(_Char(digit, _CALL, lang))
            pos = note_end
            continue
        if name not in _INLINE:
            raise Unreadable(name)
        if closing:
            if not stack or stack[-1][0] != name:
                raise Unreadable(name)
            stack.pop()
        else:
            lang_attr = re.search(r'\blang="([^"]*)"', attrs)
            stack.append((name, _INLINE[name], lang_attr[1] if lang_attr else style_now()[1]))
        pieces.append(match[0])
    text(inner[pos:])
    if stack or "<" in inner[pos:]:
        raise Unreadable("unclosed")
    return pieces, chars


_CALL: Final = "call"  # a footnote call's characters: measured, but written by the style
_CALL_RE = re.compile(r'\bdata-call="(\d+)"')  # its number, as markup writes it


class _Raw(str):
    """A piece of a paragraph written out as it is (a footnote), not a tag to keep open."""


def _element_end(inner: str, start: int, name: str) -> int:
    """Where the element whose opening tag ends at ``start`` ends (past its closing tag,
    elements of its name inside it counted), or -1 when it is not closed."""
    depth = 1
    for match in re.finditer(rf"<(/?){name}\b[^>]*>", inner[start:]):
        depth += -1 if match[1] else 1
        if depth == 0:
            return start + match.end()
    return -1


# --- The breaker ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Breakpoint:
    """A place a line may end: after a space, at a division, after a word's own dash."""

    index: int  # into the paragraph's characters: the line ends before this character
    kind: str  # "space", "hyphen", "explicit", "end"
    width_before: float  # the paragraph's natural width up to here
    spaces_before: int
    width_after: float  # ... and where the next line starts (past a space)
    spaces_after: int
    extra: float  # the hyphen drawn at a division
    # The natural width from the paragraph's start to the next place after this one where
    # WeasyPrint may break whatever the breaker chooses (after a dash or a word's hyphen):
    # a line ending here must be too full to reach it, or WeasyPrint would go on to it.
    reach: float = math.inf


_DASHES: Final = "\u2013\u2014"
# Pango breaks lines by Unicode's rules (UAX #14), which allow no break before closing
# punctuation, a slash or a sign, even after a space (LB13: "// Российская юстиция",
# "[Текст] / А. Кибальник"), nor after an opening bracket (LB14); and the style wants
# no line to begin with a dash.
_NO_BREAK_BEFORE: Final = _DASHES + ")]}!?,.:;/"
_NO_BREAK_AFTER: Final = "([{"
_SPACE_RE = re.compile(" ")
_AFTER_DASH_RE = re.compile(f"[{_HYPHEN_AFTER}]")


def _intrinsic(text: str, index: int) -> bool:
    """Whether Pango breaks before ``text[index]`` whatever the spaces are: after a
    hyphen or a dash that a letter follows; after a hyphen or an en dash that a space
    follows, even a no-break one and even when a space comes before it (UAX #14 lets a
    line break after them before a no-break space: «всего\u00a0-\u00a0Казахстана»,
    tried on WeasyPrint); after an em dash that a space follows when none comes before."""
    if index < 2 or text[index - 1] not in _HYPHEN_AFTER:
        return False
    dash, following = text[index - 1], text[index]
    if following in " \u00a0":
        return dash != "\u2014" or text[index - 2] not in " \u00a0"
    return following.isalpha()


def breakpoints(text: str, advances: Sequence[float], divisions: Sequence[int], hyphen: float,
                right_min: int = 3) -> list[Breakpoint]:
    """Every place a line may end in ``text`` (collapsed: one space between words), with
    cumulative widths; ``divisions`` are the character indices a word may be divided before.

    No line ends before a dash (a dash between words stays with the word before it)."""
    points: list[Breakpoint] = []
    # The widths and counts of spaces before each character, summed in the order a
    # running total would (the same floats), and only the places a line may end visited.
    widths = list(itertools.accumulate(advances, initial=0.0))
    space_counts = list(itertools.accumulate((char in (" ", _NBSP) for char in text), initial=0))
    intrinsic = [widths[m.end()] for m in _AFTER_DASH_RE.finditer(text) if _intrinsic(text, m.end())]
    candidates = sorted({m.start() for m in _SPACE_RE.finditer(text)}.union(
        divisions, (m.end() for m in _AFTER_DASH_RE.finditer(text))))
    division_set = set(divisions)
    for index in candidates:
        if index >= len(text):
            continue
        char = text[index]
        width, spaces = widths[index], space_counts[index]
        if char == " ":
            if (text[index + 1 : index + 2] not in _NO_BREAK_BEFORE
                    and text[index - 1 : index] not in _NO_BREAK_AFTER):
                points.append(Breakpoint(index, "space", width, spaces, widths[index + 1],
                                         spaces + 1, 0.0))
        elif index in division_set:
            points.append(Breakpoint(index, "hyphen", width, spaces, width, spaces, hyphen))
        elif (index > 2 and text[index - 1] in _HYPHEN_AFTER and text[index - 3 : index - 1].isalpha()
              and text[index : index + right_min].isalpha()):
            points.append(Breakpoint(index, "explicit", width, spaces, width, spaces, 0.0))
    width, spaces = widths[-1], space_counts[-1]
    points.append(Breakpoint(len(text), "end", width, spaces, width, spaces, 0.0))
    if intrinsic:
        reached: list[Breakpoint] = []
        position = 0
        for point in points:
            while position < len(intrinsic) and intrinsic[position] <= point.width_after:
                position += 1
            if position < len(intrinsic):
                point = Breakpoint(point.index, point.kind, point.width_before,
                                   point.spaces_before, point.width_after, point.spaces_after,
                                   point.extra, intrinsic[position])
            reached.append(point)
        points = reached
    return points


@dataclass(slots=True)
class _Node:
    point: int  # index into breakpoints
    line: int
    run: int  # hyphenated lines in a row ending here
    demerits: float
    previous: _Node | None
    # Where the line after this node starts: its width, character and spaces before it,
    # and the measure it is set to (kept here: the search reads them for every point).
    width: float = 0.0
    start: int = 0
    spaces: int = 0
    measure: float = 0.0
    track: int = 0  # the tracking step of the line ending here (its class t1, t-1 ...)
    shrunk: bool = False  # whether that line fits only with the narrower spaces (its class s)


def break_lines(points: Sequence[Breakpoint], **options: Any) -> list[int] | None:
    """The indices of ``points`` that end the lines of the best paragraph (``_search``
    says how it is chosen, and what ``options`` it takes), or None when none fits."""
    chosen = _search(points, **options)
    return None if chosen is None else [node.point for node in chosen]


def _search(points: Sequence[Breakpoint], *, width: float, first_width: float,
                space: float, last_min: float, shrink: float = 0.0, tracking: float = 0.0,
                max_track: int = 0, settings: Settings = Settings(),
                max_ratio: float | None = None, initial_run: int = 0,
                unhyphenated: frozenset[int] = frozenset(), lines: int = 0,
                alone: bool = False) -> list[_Node] | None:
    """The nodes that end the lines of the best paragraph, first to last, or None when
    none fits (a word wider than the measure, or no line loose enough).

    ``space`` is a space's normal width, the points' widths count each space ``shrink``
    narrower (the style's negative word spacing, which justification stretches back);
    a line's letters may be tracked by up to ``max_track`` steps of ``tracking`` points.
    ``initial_run`` counts the hyphenated lines the paragraph follows (across a short
    last line: a reader sees them as one column of hyphens); the lines numbered (from 0)
    in ``unhyphenated`` do not end in a hyphen. With ``lines``, the paragraph has that
    many lines (TeX's looseness: the nodes are kept by their line too); with ``alone``,
    a short word may stand alone on a line. The nodes are TeX's active
    breakpoints, one per point and count of hyphenated lines in a row ending there
    (TeX's fitness classes are left out: the loose-line demerits already keep a loose
    line from standing next to a tight one, and they would triple the nodes)."""
    limit_ratio = settings.max_ratio if max_ratio is None else max_ratio
    safety = settings.safety
    line_penalty = settings.line_penalty
    hyphen_demerits = settings.hyphen_penalty**2
    explicit_demerits = settings.explicit_penalty**2
    track_demerits = settings.track_penalty**2
    change_demerits = settings.track_change_penalty**2
    loose_ratio, loose_demerits = settings.loose_ratio, settings.loose_demerits
    double_demerits, max_run = settings.double_hyphen_demerits, settings.max_run
    final_demerits = settings.final_hyphen_demerits
    alone_ratio = settings.max_ratio
    stretch = space * settings.stretch
    active: list[_Node] = [_Node(-1, 0, initial_run, 0.0, None, 0.0, 0, 0, first_width)]
    squeeze = max_track * tracking  # the most a character can be tightened by
    stretch_limit = space * settings.stretch * limit_ratio  # a space's most, untracked
    last = len(points) - 1
    for b, point in enumerate(points):
        best: dict[int | tuple[int, int], _Node] = {}
        kind = point.kind
        hyphen = kind == "hyphen"
        flagged = hyphen or kind == "explicit"
        penalty = hyphen_demerits if hyphen else explicit_demerits if flagged else 0.0
        end_width = point.width_before + point.extra
        end_chars = point.index + hyphen
        end_spaces = point.spaces_before
        reach = point.reach
        is_last = b == last
        # The active nodes are in the order of their points: the oldest give the longest
        # lines, and one too long now is too long for every later point; the newest give
        # the loosest, and once one is too loose even tracked, so are all after it.
        dropped = 0
        for node in active:
            if end_width - node.width - (end_chars - node.start) * squeeze > node.measure - safety:
                dropped += 1
                continue
            break
        survivors = active[dropped:] if dropped else active
        skip_to = 0
        for position, node in enumerate(survivors):
            if position < skip_to:
                continue
            measure = node.measure
            natural = end_width - node.width
            chars = end_chars - node.start
            spaces = end_spaces - node.spaces
            if (not is_last and spaces and measure - natural - spaces * shrink
                    > spaces * stretch_limit + chars * squeeze):
                # Only a word alone on its line may still come: the newest nodes.
                skip_to = len(survivors)
                while (skip_to > position + 1 and survivors[skip_to - 1].point >= 0
                       and end_spaces == survivors[skip_to - 1].spaces):
                    skip_to -= 1
                continue
            if natural - chars * squeeze > measure - safety:
                continue
            if reach - node.width <= measure:
                continue  # WeasyPrint would carry the line on to a dash of the next
            run = node.run + 1 if flagged else 0
            if run > max_run or (flagged and node.line in unhyphenated):
                continue
            if is_last:
                # The last line keeps normal spaces and letters (it is not justified):
                # it must fit so.
                ratio = 0.0
                track = 0
                shrunk = False  # it fits with normal spaces, as the test below makes sure
                if (natural < last_min and node.point >= 0) or natural + spaces * shrink > measure - safety:
                    continue
            else:
                # The line's fit: its letters are tracked (``tracking`` points a
                # character a step) only where the spaces alone would be looser than a
                # ratio of 1 or tighter than they can shrink.
                track = 0
                slack = measure - natural - spaces * shrink  # from the normal spaces
                if max_track and chars:
                    step = chars * tracking
                    if slack > spaces * stretch:
                        track = min(max_track, math.ceil((slack - spaces * stretch) / step))
                    elif slack < -spaces * shrink:
                        track = max(-max_track, math.floor((slack + spaces * shrink) / step))
                    slack -= track * step
                if natural + (track * chars * tracking) > measure - safety:
                    continue
                shrunk = slack < safety  # too full for normal spaces: its class s
                if spaces == 0:
                    # One word alone (a long one, a link): WeasyPrint cannot stretch it, so
                    # it is left short, which is allowed as the loosest line there may be;
                    # a short word only with ``alone``.
                    if slack >= 1.0 and natural < measure * _ALONE and not alone:
                        continue
                    ratio = 0.0 if slack < 1.0 else alone_ratio
                elif slack >= 0:
                    ratio = slack / (spaces * stretch)
                else:
                    ratio = max(slack / (spaces * max(shrink, 1e-9)), -1.0)
                if spaces and track:
                    # The letter-spacing of the letter before each space widens the gap
                    # a reader sees (and the layout audit measures) by as much.
                    ratio += track * tracking / stretch
                if ratio > limit_ratio:
                    continue
            badness = 100.0 * abs(ratio) ** 3
            demerits = (line_penalty + badness) ** 2 + penalty + track_demerits * track * track
            if node.point >= 0:
                demerits += change_demerits * (track - node.track) ** 2
            if ratio > loose_ratio:
                demerits += loose_demerits
            if flagged and node.run:
                demerits += double_demerits
            if is_last and node.point >= 0 and points[node.point].kind == "hyphen":
                demerits += final_demerits
            total = node.demerits + demerits
            key = (run, node.line) if lines else run
            if key not in best or total < best[key].demerits:
                best[key] = _Node(b, node.line + 1, run, total, node, point.width_after,
                                  point.index + (kind == "space"), point.spaces_after, width, track,
                                  shrunk)
        active = survivors + list(best.values()) if best else survivors
        if not active:
            return None
    finals = [n for n in active if n.point == last and (not lines or n.line == lines)]
    if not finals:
        return None
    chain: list[_Node] = []
    chosen: _Node | None = min(finals, key=lambda n: n.demerits)
    while chosen is not None and chosen.point >= 0:
        chain.append(chosen)
        chosen = chosen.previous
    return chain[::-1]


# A word alone on a line is one at least this share of the measure long (a link, a
# compound): a shorter one shares a line with its neighbours.
_ALONE: Final = 0.5


# --- A paragraph, set --------------------------------------------------------------------

def _collapse(chars: list[_Char]) -> tuple[list[int], str]:
    """The characters WeasyPrint keeps (one space of each run, none at the ends, no soft
    hyphen): their indices and the collapsed text."""
    kept: list[int] = []
    previous_space = True
    for index, char in enumerate(chars):
        if char.char == _SOFT_HYPHEN:
            continue
        if char.char in _SPACES:
            if previous_space:
                continue
            previous_space = True
            char.char = " "
        else:
            previous_space = False
        kept.append(index)
    while kept and chars[kept[-1]].char == " ":
        kept.pop()
    return kept, "".join(chars[i].char for i in kept)


def _advances(chars: list[_Char], kept: list[int], measure: Measure) -> list[float]:
    """Each kept character's advance: runs of one style shaped as WeasyPrint's text boxes are."""
    result: list[float] = []
    run_start = 0
    for position in range(1, len(kept) + 1):
        if position < len(kept) and chars[kept[position]].style == chars[kept[run_start]].style:
            continue
        style = chars[kept[run_start]].style
        font = face(measure.font(style))
        text = "".join(chars[i].char for i in kept[run_start:position])
        scale = font.scale(measure.size * (measure.call_scale if style == _CALL else 1.0))
        result.extend(advance * scale + (measure.word_spacing if char in " \u00a0" else 0.0)
                      for advance, char in zip(font.advances(text), text, strict=True))
        run_start = position
    return result


def _divisions(text: str, chars: list[_Char], kept: list[int], settings: Settings) -> list[int]:
    divisions: list[int] = []
    for match in _LETTER_RE.finditer(text):
        word = match[0]
        if word[0].isupper() or len(word) < settings.left_min + settings.right_min:
            continue
        # Not next to a digit or another script's letter in the same word (Т-34, COVID-19).
        before = text[match.start() - 1 : match.start()]
        after = text[match.end() : match.end() + 1]
        if before.isdigit() or after.isdigit() or before == "." or after.isalnum():
            continue
        letters = [chars[kept[i]] for i in range(match.start(), match.end())]
        if len({(c.style, c.lang) for c in letters}) != 1:
            continue
        points = hyphenation_points(word, letters[0].lang, settings.left_min, settings.right_min)
        divisions.extend(match.start() + p for p in points)
    return divisions


@dataclass(frozen=True)
class Turn:
    """A line a first layout ended a recto with, in a broken word (``measure.recto_breaks``):
    its number in its paragraph (from 0), its last word and the next line's first word,
    as the layout printed them. The paragraph whose line it is is set again without a
    hyphen there."""

    line: int
    last: str
    following: str

    def key(self) -> tuple[int, str, str]:
        return (self.line, self.last.rstrip("".join(_TURN_HYPHENS)), self.following)


_TURN_HYPHENS: Final = (_SOFT_HYPHEN, _HYPHEN_CHARACTER, "-")
_TURNS_RE = re.compile(r"<!--turns ([^>]*)-->")


def turns_mark(turns: Sequence[Turn]) -> str:
    """The mark a part's HTML starts with to have ``turns`` avoided (``set_marked``)."""
    quote = partial(urllib.parse.quote, safe="")
    words = " ".join(f"{t.line}:{quote(t.last)}:{quote(t.following)}" for t in turns)
    return f"<!--turns {words}-->"


def _read_turns(html: str) -> tuple[Turn, ...]:
    turns = []
    for mark in _TURNS_RE.findall(html):
        for word in mark.split():
            line, last, following = word.split(":")
            turns.append(Turn(int(line), urllib.parse.unquote(last), urllib.parse.unquote(following)))
    return tuple(turns)


def _turns_at(turn: Turn, text: str, points: Sequence[Breakpoint], ends: Sequence[int]) -> bool:
    """Whether the paragraph set with ``ends`` has the line of ``turn``: the same line
    ends in the same broken word, and the next begins with the same word."""
    if turn.line + 1 >= len(ends):
        return False
    point = points[ends[turn.line]]
    if point.kind not in ("hyphen", "explicit"):
        return False
    begin = points[ends[turn.line - 1]] if turn.line else None
    start = 0 if begin is None else begin.index + (begin.kind == "space")
    words = text[start : point.index].split()
    following = text[point.index : points[ends[turn.line + 1]].index].split()
    if not words or not following:
        return False
    _line, last, first = turn.key()
    return (words[-1].rstrip("".join(_TURN_HYPHENS)).endswith(last) and bool(last)
            and following[0][: len(first)] == first and bool(first))


@dataclass(frozen=True)
class Longer:
    """A page of a spread that a first layout ended higher than the page facing it
    (``measure.short_spreads``): ``lines`` of its ``paragraphs``, the cheapest, are set
    ``by`` lines longer (one line shorter when ``by`` is -1, which lets the next page's
    first paragraph come up). A paragraph is named by its source line, its first and
    last words and its lines, as the layout printed them. Of the remedies of one page
    (the same paragraphs), the first that all its lines can have is taken, else the
    last as far as it goes."""

    lines: int
    paragraphs: tuple[tuple[int, str, str, int], ...]
    by: int = 1


_LONGER_RE = re.compile(r"<!--longer ([^>]*)-->")


def longer_mark(pages: Sequence[Longer]) -> str:
    """The mark a part's HTML starts with to have ``pages`` filled (``set_marked``)."""
    quote = partial(urllib.parse.quote, safe="")
    groups = " ".join(
        f"{page.lines}:{page.by}=" + ",".join(f"{source}:{quote(head)}:{quote(tail)}:{lines}"
                                    for source, head, tail, lines in page.paragraphs)
        for page in pages)
    return f"<!--longer {groups}-->"


def _read_longer(html: str) -> tuple[Longer, ...]:
    pages = []
    for mark in _LONGER_RE.findall(html):
        for group in mark.split():
            counts, _, named = group.partition("=")
            lines, by = counts.split(":")
            paragraphs = []
            for name in named.split(","):
                source, head, tail, count = name.split(":")
                paragraphs.append((int(source), unquote(head), unquote(tail), int(count)))
            pages.append(Longer(int(lines), tuple(paragraphs), int(by)))
    return tuple(pages)


@dataclass(frozen=True)
class SetParagraph:
    html: str  # the paragraph's inner HTML, with its breaks imposed
    ends: tuple[str, ...]  # how each line ends: "space", "hyphen", "explicit", "end"
    trailing_run: int  # hyphenated lines that end it, when its last line is short
    cost: float = 0.0  # the demerits the lines more or fewer added (``longer``)


# The paragraphs a part's last layout set (``remembered``), by what they were set from,
# and those this layout has set.
_remembered: dict[str, Any] | None = None
_used: dict[str, Any] = {}
_KEPT_TYPES: Final = [str, list, int, float]  # a set paragraph as kept: html, ends, trailing run, cost


@contextmanager
def remembered(known: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Paragraphs set as in ``known`` where they were set from the same inputs; yields
    what this layout sets (from ``known`` or not) for the next layout of the same part
    to find: a part laid out again (its pass after numbering, an edit) sets only the
    paragraphs that changed, which is most of its breaker's time saved."""
    global _remembered, _used
    _remembered, _used = known, {}
    try:
        yield _used
    finally:
        _remembered, _used = None, {}


def set_paragraph(inner: str, lang: str, measure: Measure, *, indent: bool = True,
                  narrower: float = 0.0, first_narrower: float = 0.0, initial_run: int = 0,
                  turns: tuple[Turn, ...] = (), style: str = "regular",
                  settings: Settings = Settings(), longer: int = 0) -> SetParagraph | None:
    """The inner HTML of a paragraph with its lines chosen, or None to leave it as it was;
    with ``longer``, set with that many lines more (fewer when negative), or None when
    no line could be loose enough or tight enough for it."""
    try:
        pieces, chars = _read(inner, lang, style)
    except Unreadable:
        return None
    kept, text = _collapse(chars)
    if not text or (not measure.call_scale and any(char.style == _CALL for char in chars)):
        return None  # (a footnote's call, whose size the style does not give)
    options = (indent, narrower, first_narrower, initial_run, settings, longer)
    if _remembered is None:
        return _set(pieces, chars, kept, text, measure, turns, *options)
    # A turn counts where its words are in the paragraph (``_turns_at`` can find it).
    near = tuple(t for t in turns if t.key()[1] in text and t.following in text)
    key = hashlib.sha256(repr((inner, lang, style, measure, near, options)).encode()).hexdigest()
    found = _remembered.get(key)
    if not (isinstance(found, list) and (found == [None] or list(map(type, found)) == _KEPT_TYPES)):
        done = _set(pieces, chars, kept, text, measure, near, *options)
        found = [None] if done is None else [done.html, list(done.ends), done.trailing_run, done.cost]
    _used[key] = found
    return None if found[0] is None else SetParagraph(found[0], tuple(found[1]), found[2], found[3])


def _set(pieces: list[str | int], chars: list[_Char], kept: list[int], text: str, measure: Measure,
         turns: tuple[Turn, ...], indent: bool, narrower: float, first_narrower: float, initial_run: int,
         settings: Settings, longer: int) -> SetParagraph | None:
    advances = _advances(chars, kept, measure)
    regular = face(measure.font("regular"))
    space = sum(regular.advances(" ")) * regular.scale(measure.size)
    hyphen = sum(regular.advances(_HYPHEN_CHARACTER)) * regular.scale(measure.size)
    points = breakpoints(text, advances, _divisions(text, chars, kept, settings), hyphen,
                         settings.right_min)
    width = measure.width - narrower
    first = width - (measure.indent if indent else 0.0) - first_narrower
    # A last line as long as the indent it answers; where there is no indent (a reference,
    # an abstract, a list item) a short word may end the paragraph, which is better than
    # a word alone at its start («Bringhurst,» over the rest of its reference).
    last_min = measure.indent * (settings.last_line_indents if indent else settings.unindented_last)
    chosen = None
    # Looser lines if need be, then a short last line: still better than first fit, which
    # takes both and more (a reference whose last dashes leave «С. 50-54.» alone).
    # A short word alone on a line only where every other break leaves a line looser
    # than the loosest allowed: it reads as the paragraph's end («По» over the rest of
    # its first sentence), and the layout audit names it (``layout-alone``).
    # (Without one, a hair tighter than the loosest: a line the breaker puts at 0.75 em
    # measures a hundredth more on the page, its letter-spacing around the spaces.)
    for ratio, shortest, alone in ((settings.max_ratio - 0.1, last_min, False), (None, last_min, True),
                                   (8.0, last_min, True), (8.0, 0.0, True)):
        chosen = _search(points, width=width, first_width=first, space=space,
                         last_min=shortest, shrink=-measure.word_spacing,
                         tracking=measure.tracking, max_track=measure.max_track,
                         settings=settings, max_ratio=ratio, initial_run=initial_run, alone=alone)
        if chosen is not None:
            break
    if chosen is None:
        return None
    ends = [node.point for node in chosen]
    # A word this paragraph broke across a page turn from a recto, in a first layout: its
    # line ends elsewhere (when it can), and so does the line before it, which ends the
    # recto instead when the paragraph set again is a line shorter and the next page
    # takes its last two lines (widows).
    unhyphenated = frozenset(line for turn in turns if _turns_at(turn, text, points, ends)
                             for line in (turn.line - 1, turn.line) if line >= 0)
    if unhyphenated:
        chosen = _search(points, width=width, first_width=first, space=space,
                         last_min=last_min, shrink=-measure.word_spacing,
                         tracking=measure.tracking, max_track=measure.max_track,
                         settings=settings, initial_run=initial_run,
                         unhyphenated=unhyphenated) or chosen
        ends = [node.point for node in chosen]
    cost = 0.0
    if longer:
        # A line more or fewer, for a spread whose pages end apart (``Longer``), and what
        # it costs, for the body to choose the cheapest: with no loose line if it can,
        # else with as few as it must (none past the loosest allowed), each costing as
        # much as a division: a spread that ends level is worth a loose line to a press.
        more = None
        for ratio in (settings.loose_ratio, None):
            more = _search(points, width=width, first_width=first, space=space,
                           last_min=last_min, shrink=-measure.word_spacing,
                           tracking=measure.tracking, max_track=measure.max_track,
                           settings=settings, max_ratio=ratio, initial_run=initial_run,
                           unhyphenated=unhyphenated, lines=len(chosen) + longer)
            if more is not None:
                break
        if more is None:
            return None
        cost = more[-1].demerits - chosen[-1].demerits
        chosen = more
        ends = [node.point for node in chosen]
    breaks = {points[e].index: points[e].kind for e in ends}
    # Each character's line's class: its tracking step, and "s" where the line's spaces
    # shrink (the style's narrower spaces, which justification stretches back): a line
    # that fits with normal spaces needs no class, since WeasyPrint stretches them to the
    # same gaps, and every element less is layout time saved. The last line, not
    # justified, always fits with normal spaces (``_search``).
    line_class: list[str] = []
    for node in chosen:
        point = points[node.point]
        name = " ".join([f"t{node.track}"] * bool(node.track) + ["s"] * node.shrunk)
        line_class.extend([name] * (point.index + (point.kind == "space") - len(line_class)))
    line_class.append("")
    output = [""] * len(chars)  # what each character becomes
    classes = [""] * len(chars)
    for position, index in enumerate(kept):
        char = chars[index].char
        kind = breaks.get(position)
        if chars[index].style == _CALL:
            char = ""  # the style writes the call
        elif char == " ":
            char = " " if kind == "space" else _NBSP
        elif kind == "hyphen":
            char = _SOFT_HYPHEN + char
        output[index] = char
        classes[index] = line_class[position]
    result: list[str] = []
    run: list[str] = []
    run_class = ""
    open_tags: list[tuple[str, str]] = []  # the inline elements the text is in: name, tag
    for piece in [*pieces, ""]:
        if isinstance(piece, int) and (not run or classes[piece] == run_class):
            run_class = classes[piece]
            run.append(output[piece])
            continue
        carried: list[str] = []
        if run:
            if isinstance(piece, int) and not open_tags and run[-1] == " ":
                # The space that ends a line opens the next line's run: WeasyPrint lays out
                # each run whole then, where a run that ends at the break makes it go back
                # and split the run again once the next word overflows (a third of a set
                # paragraph's layout time). Inside an element it ends its own run (below).
                carried = [run.pop()]
            text_run = _escape("".join(run))
            result.append(f'<span class="{run_class}">{text_run}</span>' if run_class and text_run
                          else text_run)
            if isinstance(piece, int) and open_tags and run[-1] == " ":
                # A line ends at a space inside an element («[10, c.» over «12]»), where the
                # next line's class begins: WeasyPrint finds no break at the end of a run
                # inside an element once the line overflows after it, so the elements are
                # closed after the space and opened again (without an id, which is once).
                result.extend(f"</{name}>" for name, _tag in reversed(open_tags))
                result.extend(_ID_RE.sub("", tag) for _name, tag in open_tags)
            run = carried
        if isinstance(piece, int):
            run_class = classes[piece]
            run.append(output[piece])
        elif isinstance(piece, _Raw):
            result.append(piece)
        else:
            result.append(piece)
            tag = _TAG_RE.match(piece)
            if tag and tag[1]:
                open_tags.pop()
            elif tag:
                open_tags.append((tag[2].lower(), piece))
    kinds = tuple(points[e].kind for e in ends)
    trailing = 0
    last_line = points[-1].width_before - (points[ends[-2]].width_after if len(ends) > 1 else 0.0)
    if last_line < _SHORT_LINE * width:
        for kind in reversed(kinds[:-1]):
            if kind == "space":
                break
            trailing += 1
        if len(kinds) == 1:
            trailing = initial_run
    return SetParagraph("".join(result), kinds, trailing, cost)


_ID_RE = re.compile(r'\s+id="[^"]*"')


# A line shorter than this share of the measure does not end a run of hyphenated lines
# to the eye (nor to the paragraph measure, which counts lines of 85 % and more).
_SHORT_LINE: Final = 0.85


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def set_reference(text_html: str, lang: str, measure: Measure, turns: tuple[Turn, ...] = ()) -> str | None:
    """A reference's text (after its number's box, which its hanging indent holds) with
    its lines chosen, in the reference list's smaller size; None to leave it as it was."""
    scale = measure.reference_scale
    scaled = replace(measure, size=measure.size * scale, word_spacing=measure.word_spacing * scale,
                     tracking=measure.tracking * scale)
    paragraph = set_paragraph(text_html, lang, scaled, indent=False,
                              narrower=measure.reference_indent, turns=turns)
    return paragraph.html if paragraph else None


def set_abstract(text_html: str, lang: str, measure: Measure, turns: tuple[Turn, ...] = ()) -> str | None:
    """An abstract's text with its lines chosen, in its own size, face and narrower
    measure, without a first-line indent; None to leave it as it was."""
    scale = measure.abstract_scale
    scaled = replace(measure, size=measure.size * scale, word_spacing=measure.word_spacing * scale,
                     tracking=measure.tracking * scale)
    paragraph = set_paragraph(text_html, lang, scaled, indent=False, narrower=measure.abstract_narrower,
                              turns=turns, style=measure.abstract_style)
    return paragraph.html if paragraph else None


# A paragraph keeps its attributes (data-line, the source line the layout audit names).
_BLOCK_RE = re.compile(r"<(/?)(li|blockquote|table|ul|ol)\b[^>]*>|<p(\s[^>]*)?>(.*?)</p>", re.DOTALL)


_DATA_LINE_RE = re.compile(r'data-line="(\d+)"')


_Name = tuple[int, str, str, int]  # a paragraph, as a ``Longer`` names it
_Change = tuple[_Name, int]  # a paragraph and the lines it is set longer by


def set_body(body_html: str, lang: str, measure: Measure, turns: tuple[Turn, ...] = (),
             longer: frozenset[_Change] = frozenset()) -> str:
    """A body's HTML with its running paragraphs set by the breaker and marked for the
    style: those of the body itself, and those of the items of a list in it (a list
    item's paragraph is narrower by the list's indent and has no first-line indent);
    not those of quotes, tables or lists in lists. The paragraphs named in ``longer``
    are set so many lines longer where they can be."""
    return _set_body(body_html, lang, measure, turns, longer, None)


def longer_costs(body_html: str, lang: str, measure: Measure, turns: tuple[Turn, ...],
                 names: frozenset[_Change]) -> dict[_Change, float]:
    """What setting each paragraph of a body named in ``names`` so many lines longer
    would cost (in demerits), for those that can be."""
    costs: dict[_Change, float] = {}
    _set_body(body_html, lang, measure, turns, names, costs)
    return costs


def _set_body(body_html: str, lang: str, measure: Measure, turns: tuple[Turn, ...],
              longer: frozenset[_Change], costs: dict[_Change, float] | None) -> str:
    result: list[str] = []
    pos = 0
    stack: list[str] = []
    run = 0
    for match in _BLOCK_RE.finditer(body_html):
        if match[2]:
            if match[1]:
                if stack and stack[-1] == match[2]:
                    stack.pop()
            else:
                stack.append(match[2])
            continue
        if not stack:
            setting = partial(set_paragraph, match[4], lang, measure, initial_run=run, turns=turns)
        elif len(stack) == 2 and stack[0] in ("ul", "ol") and stack[1] == "li":
            setting = partial(set_paragraph, match[4], lang, measure, indent=False,
                              narrower=measure.list_indent, initial_run=run, turns=turns)
        else:
            continue
        paragraph = setting()
        if paragraph is None:
            continue
        if longer:
            name = _name(body_html, match, len(paragraph.ends))
            for change in longer:
                if change[0] == name and (lengthened := setting(longer=change[1])) is not None:
                    if costs is None:
                        paragraph = lengthened
                        break
                    costs[change] = lengthened.cost
        run = paragraph.trailing_run
        result.append(body_html[pos : match.start()])
        attrs = match[3] or ""
        attrs = attrs.replace('class="', 'class="set ', 1) if 'class="' in attrs else f'{attrs} class="set"'
        result.append(f"<p{attrs}>{paragraph.html}</p>")
        pos = match.end()
    result.append(body_html[pos:])
    return "".join(result)


def _name(body_html: str, match: re.Match[str], lines: int) -> _Name:
    """A paragraph's name in a ``Longer``: its source line (its own, else the nearest
    before it, as the layout's measure reads it), its first and last words, its lines."""
    sources = _DATA_LINE_RE.findall(match[3] or "") or _DATA_LINE_RE.findall(body_html, 0, match.start())
    # Its words as the breaker reads them (it has set the paragraph, so it can): a
    # footnote as its call, as the layout prints it in the line («accident.11»).
    _pieces, chars = _read(match[4], "")
    words = "".join(char.char for char in chars).split()
    if not words:
        return (0, "", "", 0)
    return (int(sources[-1]) if sources else 0, words[0][:_NAME_CHARS], words[-1][-_NAME_CHARS:], lines)


_NAME_CHARS: Final = 24  # of a word, as the layout's measure keeps it (``measure.FRAGMENT_CHARS``)


# What the templates mark for the breaker: a body's HTML, or a reference's text, with the
# language and the page geometry of the book (the trim size's width and margins, the
# body's size), as the template has them.
_MARKED_RE = re.compile(
    r"<!--lines(-reference|-abstract)? (\S+) (\S+) (\S+) (\S+) (\S+)-->(.*?)<!--/lines-->", re.DOTALL
)


def set_marked(html: str, styles: Path) -> str:
    """The document with every region its templates marked set by the breaker, and the
    marks gone. It runs as a part is laid out: in the workers, in parallel, and only for
    the parts the cache lacks. The lines a first layout ended a recto with in a broken
    word are marked at its start (``turns_mark``): their paragraphs are set to avoid it."""
    turns = _read_turns(html) if "<!--turns" in html else ()
    if turns:
        html = _TURNS_RE.sub("", html)
    pages = _read_longer(html) if "<!--longer" in html else ()
    if pages:
        html = _LONGER_RE.sub("", html)
    if "<!--lines" not in html:
        return html
    measures: dict[tuple[str, ...], Measure] = {}

    def measure_of(match: re.Match[str]) -> Measure:
        key = match.group(3, 4, 5, 6)
        if key not in measures:
            width, inner, outer, size = key
            measures[key] = measure_from_styles(styles, page_width=width, margin_inner=inner,
                                                margin_outer=outer, font_size=size)
        return measures[key]

    # The paragraphs of each short page of a spread (``Longer``) that can be set a line
    # longer or shorter, by the body they are in: the cheapest are, wherever in the part.
    found: dict[int, dict[_Change, float]] = {}
    if pages:
        names = frozenset((name, page.by) for page in pages for name in page.paragraphs)
        for match in _MARKED_RE.finditer(html):
            if not match[1]:
                found[match.start()] = longer_costs(match[7], match[2], measure_of(match), turns, names)
    costs = {change: cost for body in found.values() for change, cost in body.items()}
    longer: set[_Change] = set()
    done: set[tuple[_Name, ...]] = set()
    for number, page in enumerate(pages):
        able = sorted(((name, page.by) for name in page.paragraphs if (name, page.by) in costs),
                      key=lambda change: costs[change])
        alternatives = any(later.paragraphs == page.paragraphs for later in pages[number + 1:])
        if page.paragraphs in done or not able or (len(able) < page.lines and alternatives):
            continue
        longer.update(able[: page.lines])
        done.add(page.paragraphs)

    def replaced(match: re.Match[str]) -> str:
        reference, lang, content = match[1], match[2], match[7]
        measure = measure_of(match)
        if reference == "-abstract":
            return set_abstract(content, lang, measure, turns) or content
        if reference:
            return set_reference(content, lang, measure, turns) or content
        here = frozenset(longer.intersection(found.get(match.start(), ())))
        return set_body(content, lang, measure, turns, here)

    return _MARKED_RE.sub(replaced, html)
