"""Import authors' Word manuscripts into the sources: ``proceedings import FILE.docx…``.

pandoc reads each manuscript (``manuscript``) into its JSON AST; this module maps that
structure onto the source format: the template's front (УДК, byline, title in capitals,
epigraphs, abstract and keywords) into the front matter, the body's paragraphs, lists,
tables, pictures and footnotes into the Markdown body, the list under the references
heading into the reference entries. What it had to guess is reported as notes pointing
into the files it wrote. Word's artefacts (soft hyphens, manual line breaks, bullets typed
in a symbol font, runs of spaces, empty paragraphs) are dropped; the author's words are
never changed. The words the import recognises are data (``data/import.yaml``).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from proceedings.diagnostics import Diagnostic, Diagnostics, error, note, warning
from proceedings.files import write_atomic
from proceedings.load import display_path, load_sources
from proceedings.manuscript import Manuscript, read_manuscript
from proceedings.markup import CITATION_RE
from proceedings.messages import Message, listing, msg, msg_n
from proceedings.model import Affiliation, Person, PersonName
from proceedings.namematch import append_people, fold, match_person, new_id, person_yaml
from proceedings.render import affiliation_text
from proceedings.yamlsrc import parse_yaml

Progress = Callable[[int, int, str], None]
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ORCID_RE = re.compile(r"(?:https?://orcid\.org/|ORCID:?\s*)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.I)
_UPPER_WORD = re.compile(r"^[^\W\d_a-zа-яёәғқңөұүһі]{2,}(?:-[^\W\d_]+)?$")
# «Е.М. Бимолданов» or «Бимолданов Е.М.», then a comma or the end.
_INITIAL = r"[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ]\.\s?"
_SURNAME = r"[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]+(?:-[A-ZА-ЯЁӘҒҚҢӨҰҮҺІ][a-zа-яёәғқңөұүһі]+)?"
_INITIALS_NAME_RE = re.compile(
    rf"^(?:(?P<given>(?:{_INITIAL}){{1,3}})\s*(?P<surname>{_SURNAME})"
    rf"|(?P<surname2>{_SURNAME})\s+(?P<given2>(?:{_INITIAL}){{1,3}}))(?=\s*(,|$))"
)
_CAPTION_RE = r"^\s*({labels})\.?\s*(\d+)?\s*[-–—.:]?\s*(.*)$"
# What a line may not start with unless it means it: a heading, a quote, a list item
# (1. 1) а) - +), a rule or a setext line (--- ===), a code fence (~~~), a directive
# (::), an attribute block ({.alpha}), a link definition ([x]: …).
_LINE_START_RE = re.compile(r"^(?:[#>+=~:{-]|\d{1,9}[.)](?:\s|$)|[^\W\d_]\)(?:\s|$)|\\\[[^\]]*\]:)")
# What the layout draws (WeasyPrint): Word's own metafiles (.emf, .wmf) it cannot.
_DRAWABLE = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp"}
_PRIVATE_USE = re.compile(r"[\ue000-\uf8ff]")


# --- what the import recognises ------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    letters: dict[str, str]
    abstract: dict[str, tuple[str, ...]]
    keywords: dict[str, tuple[str, ...]]
    references: dict[str, tuple[str, ...]]
    table: re.Pattern[str]
    figure: re.Pattern[str]
    udc: re.Pattern[str]
    degrees: re.Pattern[str]
    titles: frozenset[str]
    ranks: re.Pattern[str]
    patronymics: tuple[str, ...]
    bullets: str
    departments: tuple[str, ...]
    # A table's row label (casefolded) → the kind of footer row it begins: total, mean.
    footer: dict[str, str]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    text = resources.files("proceedings.data").joinpath("import.yaml").read_text(encoding="utf-8")
    data = parse_yaml(text).data
    langs = data["languages"]

    def words(key: str) -> dict[str, tuple[str, ...]]:
        return {lang: tuple(str(w) for w in table[key]) for lang, table in langs.items()}

    def labels(key: str) -> re.Pattern[str]:
        every = sorted({w for ws in words(key).values() for w in ws}, key=len, reverse=True)
        return re.compile(_CAPTION_RE.format(labels="|".join(map(re.escape, every))), re.I)

    return Vocabulary(
        letters={lang: str(table.get("letters") or "") for lang, table in langs.items()},
        abstract=words("abstract"), keywords=words("keywords"), references=words("references"),
        table=labels("table"), figure=labels("figure"),
        udc=re.compile(rf"^\s*({'|'.join(map(re.escape, data['udc']))})\s*[:.]?\s*(.+)$"),
        degrees=re.compile(rf"^({'|'.join(data['degrees'])})$", re.I),
        titles=frozenset(str(t).casefold() for t in data["academic_titles"]),
        ranks=re.compile(rf"^({'|'.join(data['ranks'])})$", re.I),
        patronymics=tuple(str(p) for p in data["patronymics"]),
        bullets=str(data["bullets"]),
        departments=tuple(str(d).casefold() for d in data["departments"]),
        footer={word.casefold(): kind for kind in ("total", "mean")
                for ws in words(kind).values() for word in ws},
    )


def _footer_kind(row: list[dict[str, Any]]) -> str | None:
    """``total`` or ``mean`` for a row whose label is one of the language data's words."""
    if not row:
        return None
    label = str(row[0].get("text", "")).strip().rstrip(":.").strip().casefold()
    return vocabulary().footer.get(label)


def _footer_row(row: list[dict[str, Any]]) -> Any:
    kind = _footer_kind(row)
    return row if kind is None else {"kind": kind, "cells": row}


# --- options and results ---------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    files: Sequence[Path]
    into: Path = Path("sources")
    id: str | None = None
    lang: str | None = None
    force: bool = False
    progress: Progress | None = None
    jobs: int | None = None


@dataclass(frozen=True)
class ImportResult:
    written: list[Path]
    sources: list[Path]  # the manuscript each paper of ``written`` came from
    people_added: list[str]
    diagnostics: Diagnostics
    seconds: float


# --- the AST, as Markdown and as plain text -------------------------------------------------


@dataclass
class Cleaned:
    """Word's artefacts dropped from one manuscript, counted for the report."""

    soft_hyphens: int = 0
    line_breaks: int = 0
    bullets: int = 0
    spaces: int = 0


# Stand-ins while a paragraph is assembled: an author's «[», and the marks of emphasis,
# which are written only where CommonMark will read them as marks (else the words would
# show stray asterisks).
_BRACKET = "\x00"
_MARKS = {"Emph": ("\x03", "\x04"), "Strong": ("\x05", "\x06")}
_MARK_TEXT = {"\x03": "*", "\x04": "*", "\x05": "**", "\x06": "**"}


def _finish(text: str) -> str:
    """Stand-ins resolved: «[» kept where it starts a citation, else escaped; a pair of
    emphasis marks kept where both can open and close there, else dropped."""
    seen = text.replace(_BRACKET, "[")
    for mark in _MARK_TEXT:
        seen = seen.replace(mark, "")
    out = list(text)
    plain_at = 0  # where in ``seen`` the characters of ``text`` have got to
    cited_until = -1  # a citation is read as it is typed: no marks inside it
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    inside: set[int] = set()
    for i, ch in enumerate(text):
        if ch == _BRACKET:
            citation = CITATION_RE.match(seen, plain_at)
            out[i] = "[" if citation else "\\["
            if citation:
                cited_until = citation.end()
        if ch in _MARK_TEXT and plain_at < cited_until:
            inside.add(i)
        if ch in ("\x03", "\x05"):
            stack.append(i)
        elif ch in ("\x04", "\x06"):
            pairs.append((stack.pop(), i))
        if ch not in _MARK_TEXT:
            plain_at += 1
    for start, end in pairs:
        keep = start not in inside and end not in inside and _can_open(text, start) and _can_close(text, end)
        out[start] = _MARK_TEXT[text[start]] if keep else ""
        out[end] = _MARK_TEXT[text[end]] if keep else ""
    return "".join(out)


def _neighbour(text: str, i: int, step: int) -> str:
    """The nearest character of text (not a stand-in mark) before or after ``i``; " " at the ends."""
    i += step
    while 0 <= i < len(text) and text[i] in _MARK_TEXT:
        i += step
    return text[i] if 0 <= i < len(text) else " "


def _punct(ch: str) -> bool:
    return ch == _BRACKET or unicodedata.category(ch)[0] in "PS"


def _touches(text: str, i: int, step: int, kinds: tuple[str, ...]) -> bool:
    """Whether the marks next to ``i`` (one delimiter run with it) include one of ``kinds``."""
    i += step
    while 0 <= i < len(text) and text[i] in _MARK_TEXT:
        if text[i] in kinds:
            return True
        i += step
    return False


def _can_open(text: str, i: int) -> bool:
    """An opening mark CommonMark reads as one: left-flanking, at the start of a word
    (emphasis inside a word is left out: «*a***b**» has no one reading), and not in one
    run with a closing mark."""
    after, before = _neighbour(text, i, 1), _neighbour(text, i, -1)
    # Between two punctuation marks a run could close as well: that reading is not sure.
    return (not after.isspace() and (before.isspace() or _punct(before))
            and not (_punct(before) and _punct(after)) and not _touches(text, i, -1, ("\x04", "\x06")))


def _can_close(text: str, i: int) -> bool:
    """A closing mark CommonMark reads as one: right-flanking, at the end of a word."""
    before, after = _neighbour(text, i, -1), _neighbour(text, i, 1)
    return (not before.isspace() and (after.isspace() or _punct(after))
            and not (_punct(before) and _punct(after)) and not _touches(text, i, 1, ("\x03", "\x05")))


def _escape(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "\\*_`{":  # { after a mark would read as its attributes
            out.append("\\" + ch)
        elif ch == "[":
            out.append(_BRACKET)  # a citation, or escaped: told once the paragraph is whole
        elif ch == "&" and re.match(r"&(#\d+|#x[0-9a-f]+|\w+);", text[i:], re.I):
            out.append("\\&")
        elif ch == "<":
            out.append("\\<")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


class Inlines:
    """pandoc inlines → the body's Markdown, footnotes collected on the way."""

    def __init__(self, cleaned: Cleaned, notes: list[str]) -> None:
        self.cleaned = cleaned
        self.notes = notes
        self.keep_breaks = False
        self.lang = ""  # the paper's: a span in it is no span
        self.raw = False
        self.dropped_notes: list[str] = []  # footnotes in fields that cannot hold them

    def text(self, inlines: list[dict[str, Any]]) -> str:
        """Plain text, for the front matter's fields that are not Markdown (title, cells, references)."""
        self.raw = True
        try:
            return _tidy(self._md(inlines), self.cleaned).strip()
        finally:
            self.raw = False

    def md(self, inlines: list[dict[str, Any]]) -> str:
        """The Markdown of a paragraph, which reads back as exactly its text and marks."""
        text = _finish(_tidy(self._md(inlines), self.cleaned))
        # Word splits a phrase into runs: spans of one language next to each other are one.
        return _line_start(_ADJACENT_SPANS_RE.sub(r"\2", text))

    def _md(self, inlines: list[dict[str, Any]]) -> str:
        out: list[str] = []
        for node in inlines:
            kind, content = node.get("t"), node.get("c", [])
            if kind == "Str":
                out.append(self._str(content) if self.raw else _escape(self._str(content)))
            elif kind in {"Space", "SoftBreak"}:
                out.append(" ")
            elif kind == "LineBreak":
                if self.keep_breaks:
                    out.append("\n")
                else:
                    self.cleaned.line_breaks += 1
                    out.append(" ")
            elif kind in {"Emph", "Strong"}:
                opening, closing = ("", "") if self.raw else _MARKS[kind]
                inner = self._md(content)
                stripped = inner.strip()
                if not stripped:
                    out.append(inner)
                    continue
                lead = inner[: len(inner) - len(inner.lstrip())]
                trail = inner[len(inner.rstrip()):]
                out.append(f"{lead}{opening}{stripped}{closing}{trail}")
            elif kind in {"Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"}:
                out.append(self._md(content))
            elif kind == "Quoted":
                quote = "“" if content[0]["t"] == "DoubleQuote" else "‘"
                close = "”" if quote == "“" else "’"
                out.append(quote + self._md(content[1]) + close)
            elif kind == "Cite":
                out.append(self._md(content[1]))
            elif kind in {"Code", "Math"}:
                out.append(str(content[1]) if self.raw else _escape(str(content[1])))
            elif kind == "Link":
                out.append(self._md(content[1]))
            elif kind == "Span":
                attrs = dict(content[0][2])
                inner = self._md(content[1])
                lang = _span_lang(attrs)
                if self.raw or lang == self.lang or not _script_fits(lang, inner):
                    lang = None
                out.append(f"[{inner}]{{lang={lang}}}" if lang and inner.strip() else inner)
            elif kind == "Note" and self.raw:
                self.raw = False
                self.dropped_notes.append(self._note(content))
                self.raw = True
            elif kind == "Note":
                self.notes.append(self._note(content))
                out.append(f"[^{len(self.notes)}]")
            # Images are pictures of the body (see Body); RawInline is Word's field code.
        return "".join(out)

    def _str(self, text: str) -> str:
        if "\u00ad" in text:
            self.cleaned.soft_hyphens += text.count("\u00ad")
            text = text.replace("\u00ad", "")
        return text

    def _note(self, blocks: list[dict[str, Any]]) -> str:
        parts = [self.md(b["c"]) for b in _flat(blocks) if b.get("t") in {"Para", "Plain"}]
        return " ".join(p for p in parts if p.strip())


def _span_lang(attrs: dict[str, str]) -> str | None:
    lang = attrs.get("lang") or ""
    style = attrs.get("custom-style", "")
    if not lang and style.startswith("lang-"):
        lang = style.removeprefix("lang-")
    lang = lang.split("-")[0].lower()
    return lang if re.fullmatch(r"[a-z]{2,3}", lang) else None


_ADJACENT_SPANS_RE = re.compile(r"\]\{lang=(\w+)\}( ?)\[(?=[^\]]*\]\{lang=\1\})")
_LATIN_LANGS = {"en", "de", "fr", "la", "es", "it", "tr", "uz"}


def _script_fits(lang: str | None, text: str) -> bool:
    """Word marks runs with the keyboard's language: trust it only where the script agrees."""
    if lang is None:
        return False
    latin = any(ch.isascii() and ch.isalpha() for ch in text)
    cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in text)
    return latin and not cyrillic if lang in _LATIN_LANGS else cyrillic


def _tidy(text: str, cleaned: Cleaned) -> str:
    """Runs of spaces made one; tabs are spaces (the author's words stay as they are)."""
    text = text.replace("\t", " ")
    runs = len(re.findall(r"(?<=\S) {2,}(?=\S)", text))
    cleaned.spaces += runs
    text = re.sub(r"[ ]{2,}", " ", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def plain(inlines: list[dict[str, Any]]) -> str:
    """The text of inlines, without marks and notes."""
    out: list[str] = []
    for node in inlines:
        kind, content = node.get("t"), node.get("c", [])
        if kind == "Str":
            out.append(content.replace("\u00ad", ""))
        elif kind in {"Space", "SoftBreak", "LineBreak"}:
            out.append(" ")
        elif kind in {"Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"}:
            out.append(plain(content))
        elif kind in {"Link", "Span", "Cite", "Quoted"}:
            out.append(plain(content[1]))
        elif kind in {"Code", "Math"}:
            out.append(str(content[1]))
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _flat(blocks: list[dict[str, Any]], style: str = "") -> list[dict[str, Any]]:
    """Blocks with pandoc's style wrappers (Div custom-style) opened; each block keeps the
    name of its Word style under "style" (the template's Title, say)."""
    out: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("t") == "Div":
            attrs = dict(block["c"][0][2])
            out.extend(_flat(block["c"][1], str(attrs.get("custom-style", style))))
        else:
            if style:
                block.setdefault("style", style)
            out.append(block)
    return out


def _after_label(inlines: list[dict[str, Any]], length: int) -> list[dict[str, Any]]:
    """The inlines after the first ``length`` characters of their plain text (a label such
    as «Аннотация.»), the marks around the label dropped with it."""
    out: list[dict[str, Any]] = []
    for n, node in enumerate(inlines):
        if len(plain(inlines[: n + 1])) >= length or node.get("t") == "Note":
            rest = plain(inlines[: n + 1])[length:]
            if node.get("t") == "Str" and rest:
                out.append({"t": "Str", "c": node["c"][len(node["c"]) - len(rest):]})
            elif node.get("t") in {"Emph", "Strong"} and rest:
                out.append({"t": node["t"], "c": _after_label(node["c"], len(plain(node["c"])) - len(rest))})
            out.extend(inlines[n + 1:])
            return out
    return out


def _has_break(inlines: list[dict[str, Any]]) -> bool:
    for node in inlines:
        if node.get("t") == "LineBreak":
            return True
        content = node.get("c")
        if node.get("t") in {"Emph", "Strong", "Underline", "Span"} and isinstance(content, list) \
                and _has_break(content if node["t"] != "Span" else content[1]):
            return True
    return False


def _all_italic(inlines: list[dict[str, Any]]) -> bool:
    return all(node.get("t") in {"Emph", "Space", "SoftBreak", "LineBreak"} for node in inlines)


def _has_image(block: dict[str, Any]) -> str | None:
    if block.get("t") not in {"Para", "Plain"}:
        return None
    for node in block["c"]:
        if node.get("t") == "Image":
            return str(node["c"][2][0])
    return None


# --- one manuscript → one paper -------------------------------------------------------------


@dataclass
class Author:
    surname: str
    given: str
    affiliation: str = ""
    email: str | None = None
    orcid: str | None = None
    line: int = 0  # the manuscript's paragraph


@dataclass
class Draft:
    """A paper as the import understood it, before it is written."""

    lang: str
    title: str | None = None
    udc: str | None = None
    authors: list[Author] = field(default_factory=list)
    abstract: str | None = None
    keywords: list[str] = field(default_factory=list)
    # Abstracts and keywords in the template's other languages, by language.
    other_abstracts: dict[str, str] = field(default_factory=dict)
    other_keywords: dict[str, list[str]] = field(default_factory=dict)
    # What the source format cannot keep (a second abstract in one language): reported.
    dropped: list[Message] = field(default_factory=list)
    epigraphs: list[tuple[str, str | None]] = field(default_factory=list)
    body: list[str] = field(default_factory=list)
    references: list[tuple[int | None, str]] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)
    guesses: list[tuple[str, Message]] = field(default_factory=list)  # (what, message)
    cleaned: Cleaned = field(default_factory=Cleaned)
    notes: list[str] = field(default_factory=list)  # footnotes, [^1] first


def detect_lang(text: str, vocab: Vocabulary) -> str:
    """kk, ru or en, from the letters of the text."""
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if latin > cyrillic:
        return "en"
    for lang, letters in vocab.letters.items():
        if letters and sum(text.count(ch) for ch in letters) > 0.01 * max(cyrillic, 1):
            return lang
    return "ru"


def _label_of(text: str, table: dict[str, tuple[str, ...]], first: str = "") -> tuple[str, str] | None:
    """(language, the rest) when ``text`` starts with one of the labels (Аннотация. …).

    A label several languages share (Аннотация) is taken as the paper's language's, ``first``.
    """
    for lang, labels in sorted(table.items(), key=lambda item: item[0] != first):
        for label in sorted(labels, key=len, reverse=True):
            match = re.match(rf"^\s*{re.escape(label)}\s*[.:—–-]?\s*", text, re.I)
            if match and (match.end() == len(text) or not text[match.end() - 1].isalnum()):
                return lang, text[match.end():]
    return None


def _is_heading(text: str, table: dict[str, tuple[str, ...]]) -> bool:
    key = text.strip().rstrip(".:").strip().casefold()
    return any(key == label.casefold() for labels in table.values() for label in labels)


def _is_title(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    words = [w for w in text.split() if any(ch.isalpha() for ch in w)]
    return len(words) >= 2 and len(letters) >= 8 and sum(ch.isupper() for ch in letters) >= 0.9 * len(letters)


def _byline_name(text: str) -> tuple[str, str, str] | None:
    """(surname, given names, the rest) of a byline paragraph «СУРНАМЕ Given Names, …»."""
    words = text.split()
    if not words:
        return None
    initials = _INITIALS_NAME_RE.match(text)
    if initials:
        given = initials["given"] or initials["given2"]
        surname = initials["surname"] or initials["surname2"]
        return surname, re.sub(r"\s+", "", given), text[initials.end():].lstrip(" ,")
    first = words[0].rstrip(",")
    if _UPPER_WORD.match(first) and len(words) >= 1:
        given = []
        for word in words[1:4]:
            bare = word.rstrip(",")
            # A given name has small letters (Ержан), else it is initials with their stops (Е.М.).
            if bare[:1].isupper() and any(ch.islower() for ch in bare) and bare.replace(".", "").isalpha():
                given.append(bare)
                if word.endswith(","):
                    break
            elif re.fullmatch(r"(?:[^\W\d_]\.){1,3},?", word):  # initials
                given.append(bare)
            else:
                break
        if not given:
            return None
        rest = " ".join(words[1 + len(given):]).lstrip(", ")
        surname = "-".join(part.capitalize() for part in first.split("-"))
        return surname, " ".join(given), rest
    return None


class Converter:
    def __init__(self, manuscript: Manuscript, lang: str | None, vocab: Vocabulary) -> None:
        self.ms = manuscript
        self.vocab = vocab
        self.blocks = _flat(manuscript.ast["blocks"])
        paragraphs = [plain(b["c"]) for b in self.blocks if b.get("t") in {"Para", "Plain"}]
        # Not from abstracts and keywords, which a template asks for in other languages too.
        own = [t for t in paragraphs
               if _label_of(t, vocab.abstract) is None and _label_of(t, vocab.keywords) is None]
        self.draft = Draft(lang=lang or detect_lang(" ".join(own or paragraphs), vocab))
        if lang is None:
            self.draft.guesses.append(("lang", msg("language {lang} told from the letters of the text "
                                                   "(--lang says it)", lang=self.draft.lang)))
        self.inl = Inlines(self.draft.cleaned, self.draft.notes)
        self.inl.lang = self.draft.lang

    def convert(self) -> Draft:
        start = self._front()
        self._body(self.blocks[start:])
        return self.draft

    # --- the template's front ---------------------------------------------------------------
    def _front(self) -> int:
        """Read УДК, byline, title, epigraphs, abstracts and keywords; return where the body starts."""
        draft = self.draft
        title_at = None
        for i, block in enumerate(self.blocks[:40]):
            if block.get("t") in {"Para", "Plain", "Header"}:
                text = plain(block["c"] if block["t"] != "Header" else block["c"][2])
                if block.get("style") == "Title" and text:  # the template's Title style says it
                    title_at = i
                    break
                if _is_title(text) and not self.vocab.udc.match(text) and _byline_name(text) is None:
                    title_at = i
                    break
                if _is_title(text) and _byline_name(text) is not None and len(text.split()) > 4:
                    title_at = i
                    break
        if title_at is None:
            draft.guesses.append(("title", msg("no title in capitals (or in the Title style) at the top of "
                                               "the manuscript; the paper has none")))
            return self._abstracts(self._bare_byline())
        for i, block in enumerate(self.blocks[:title_at]):
            if block.get("t") not in {"Para", "Plain"}:
                continue
            text = plain(block["c"])
            udc = self.vocab.udc.match(text)
            if udc:
                draft.udc = udc[2].strip()
                continue
            self._byline(text, i + 1)
        # A title may run over two paragraphs in capitals.
        title_block = self.blocks[title_at]
        title = plain(title_block["c"] if title_block["t"] != "Header" else title_block["c"][2])
        end = title_at + 1
        while end < len(self.blocks) and self.blocks[end].get("t") in {"Para", "Plain"} \
                and _is_title(plain(self.blocks[end]["c"])) \
                and not _is_heading(plain(self.blocks[end]["c"]), self.vocab.references):
            title += " " + plain(self.blocks[end]["c"])
            end += 1
        draft.title = title
        if draft.authors:
            draft.guesses.append(("authors", msg("{authors} read from the byline, {paragraphs} of the "
                                                 "manuscript",
                                                 authors=_authors(len(draft.authors)),
                                                 paragraphs=_paragraphs(draft.authors[0].line, title_at))))
        return self._abstracts(self._epigraphs(end))

    def _bare_byline(self) -> int:
        """A byline with no title under it: names, each with an affiliation of a line or two."""
        i = 0
        while i < len(self.blocks) and self.blocks[i].get("t") in {"Para", "Plain"}:
            text = plain(self.blocks[i]["c"])
            udc = self.vocab.udc.match(text)
            # An affiliation is a line or two under its name, not a sentence.
            affiliation = bool(self.draft.authors) and len(text) < 400 \
                and not text.endswith((".", "!", "?", ":")) and i - self.draft.authors[-1].line < 2 \
                and not self._labelled(text)
            if udc:
                self.draft.udc = udc[2].strip()
            elif _byline_name(text) is not None or affiliation:
                self._byline(text, i + 1)
            else:
                break
            i += 1
        if self.draft.authors:
            self.draft.guesses.append(("authors", msg(
                "{authors} read from the byline, {paragraphs} of the manuscript (it has no title)",
                authors=_authors(len(self.draft.authors)),
                paragraphs=_paragraphs(self.draft.authors[0].line, i))))
        return i

    def _labelled(self, text: str) -> bool:
        """Whether a paragraph starts as the template's labelled parts do (caption, abstract, …)."""
        vocab = self.vocab
        return bool(vocab.table.match(text) or vocab.figure.match(text) or _label_of(text, vocab.abstract)
                    or _label_of(text, vocab.keywords) or _is_heading(text, vocab.references))

    def _byline(self, text: str, paragraph: int) -> None:
        authors = self.draft.authors
        found = _byline_name(text)
        if found is None and _UPPER_WORD.match(text):  # SURNAME alone, the given names below
            authors.append(Author("-".join(p.capitalize() for p in text.split("-")), "", line=paragraph))
            return
        if found is None and authors and not authors[-1].given and not authors[-1].affiliation \
                and re.fullmatch(r"(?:[^\W\d_][^\W\d_.]*\.?\s*){1,3}", text) and text[:1].isupper():
            authors[-1].given = text.strip()
            return
        if found is not None:
            surname, given, rest = found
            authors.append(Author(surname, given, line=paragraph))
            text = rest
        if not authors or not text:
            return
        author = authors[-1]
        email = _EMAIL_RE.search(text)
        if email:
            author.email = email[0]
            text = text.replace(email[0], "")
        orcid = _ORCID_RE.search(text)
        if orcid:
            author.orcid = orcid[1]
            text = text.replace(orcid[0], "")
        text = re.sub(r"\b(e-?mail|эл\.\s*почта)\s*:?", "", text, flags=re.I)
        text = re.sub(r"\s+", " ", text).strip(" ,;")
        if text:
            author.affiliation = f"{author.affiliation} {text}".strip()

    def _epigraphs(self, start: int) -> int:
        """Paragraphs of several lines right after the title, each with the line after it."""
        i = start
        while i < len(self.blocks):
            block = self.blocks[i]
            # Set apart in italics, in lines of their own: the body's first paragraph is neither.
            if block.get("t") not in {"Para", "Plain"} or not _has_break(block["c"]) \
                    or not _all_italic(block["c"]):
                break
            self.inl.keep_breaks = True
            text = self.inl.text(block["c"])
            self.inl.keep_breaks = False
            attribution = None
            nxt = self.blocks[i + 1] if i + 1 < len(self.blocks) else None
            if nxt is not None and nxt.get("t") in {"Para", "Plain"}:
                said = plain(nxt["c"])
                if 0 < len(said) <= 120 and not said.endswith(".") and not self._bullet(nxt["c"], said) \
                        and _label_of(said, self.vocab.abstract) is None:
                    attribution = said
                    i += 1
            self.draft.epigraphs.append((text, attribution))
            self.draft.guesses.append(("epigraphs", msg("an epigraph read from {paragraphs} of the "
                                                        "manuscript: lines in italics under the title",
                                                        paragraphs=_paragraphs(start + 1, i + 1))))
            i += 1
        return i

    def _abstracts(self, start: int) -> int:
        i = start
        while i < len(self.blocks):
            block = self.blocks[i]
            if block.get("t") not in {"Para", "Plain"}:
                break
            text = plain(block["c"])
            keywords = _label_of(text, self.vocab.keywords, self.draft.lang)
            abstract = None if keywords else _label_of(text, self.vocab.abstract, self.draft.lang)
            if keywords:
                lang, rest = keywords
                lang = self._told(text, rest, lang, self.vocab.keywords)
                words = [w.strip().rstrip(".") for w in re.split(r"[;,]", rest) if w.strip()]
                if lang == self.draft.lang and not self.draft.keywords:
                    self.draft.keywords = words
                elif lang != self.draft.lang and lang not in self.draft.other_keywords:
                    self.draft.other_keywords[lang] = words
                else:
                    self.draft.dropped.append(msg("keywords ({lang})", lang=lang))
            elif abstract:
                lang = self._told(text, abstract[1], abstract[0], self.vocab.abstract)
                body = self.inl.md(_after_label(block["c"], len(text) - len(abstract[1])))
                if lang == self.draft.lang and self.draft.abstract is None:
                    self.draft.abstract = body
                elif lang != self.draft.lang and lang not in self.draft.other_abstracts:
                    self.draft.other_abstracts[lang] = body
                else:
                    self.draft.dropped.append(msg("abstract ({lang})", lang=lang))
            else:
                break
            i += 1
        return i

    def _told(self, text: str, rest: str, lang: str, table: dict[str, tuple[str, ...]]) -> str:
        """The language of a labelled abstract or keywords: a label several languages share
        (Аннотация, in Kazakh and Russian templates alike) is told by the text after it."""
        label = text[: len(text) - len(rest)]
        sharing = [other for other, labels in table.items() if _label_of(label, {other: labels})]
        told = detect_lang(rest, self.vocab) if len(sharing) > 1 and rest.strip() else lang
        return told if told in sharing else lang

    # --- the body -----------------------------------------------------------------------------
    def _body(self, blocks: list[dict[str, Any]]) -> None:
        draft = self.draft
        in_references = False
        pending_figure: dict[str, str] | None = None
        i = 0
        while i < len(blocks):
            block = blocks[i]
            kind = block.get("t")
            if in_references:
                self._reference(block)
                i += 1
                continue
            if kind in {"Para", "Plain", "Header"}:
                inlines = block["c"] if kind != "Header" else block["c"][2]
                text = plain(inlines)
                image = _has_image(block)
                if image is not None:
                    pending_figure = self._figure(image)
                    i += 1
                    continue
                if not text:
                    i += 1
                    continue
                if _is_heading(text, self.vocab.references):
                    in_references = True
                    i += 1
                    continue
                caption = self.vocab.figure.match(text)
                if caption and pending_figure is not None:
                    pending_figure["caption"] = self._caption(inlines, self.vocab.figure)
                    pending_figure = None
                    i += 1
                    continue
                table_label = self.vocab.table.match(text)
                nxt = blocks[i + 1] if i + 1 < len(blocks) else None
                if table_label and nxt is not None and nxt.get("t") == "Table":
                    self._table(nxt, self._caption(inlines, self.vocab.table))
                    i += 2
                    continue
                pending_figure = None
                if kind == "Header":
                    draft.body.append(f"## {self.inl.md(inlines)}")
                elif self._bullet(inlines, text):
                    items = []
                    while i < len(blocks) and blocks[i].get("t") in {"Para", "Plain"} \
                            and self._bullet(blocks[i]["c"], plain(blocks[i]["c"])):
                        items.append(f"- {self._unbulleted(blocks[i]['c'])}")
                        i += 1
                    draft.body.append("\n".join(items))
                    continue
                else:
                    draft.body.append(self.inl.md(inlines))
            elif kind in {"OrderedList", "BulletList"}:
                block, i = _continued(blocks, i)
                draft.body.append(self._list(block, 0))
                continue
            elif kind == "Table":
                self._table(block, None)
            elif kind == "BlockQuote":
                for inner in _flat(block["c"]):
                    if inner.get("t") in {"Para", "Plain"} and plain(inner["c"]):
                        draft.body.append("> " + self.inl.md(inner["c"]))
            elif kind == "Figure":
                for inner in _flat(block["c"][2]):
                    image = _has_image(inner)
                    if image:
                        figure = self._figure(image)
                        said = [n for b in block["c"][1][1] for n in b.get("c", [])]
                        figure["caption"] = self._caption(said, self.vocab.figure)
            i += 1

    def _bullet(self, inlines: list[dict[str, Any]], text: str) -> bool:
        if not text:
            return False
        first = text[0]
        if _PRIVATE_USE.match(first) or first in "\u2022\u25aa\u25cf\u00b7":
            return True
        return first in self.vocab.bullets and len(text) > 1 and text[1] == " " and first in "–-"

    def _unbulleted(self, inlines: list[dict[str, Any]]) -> str:
        md = self.inl.md(inlines).lstrip()
        bullet = md[:1]
        if _PRIVATE_USE.match(bullet) or bullet in "\u2022\u25aa\u25cf\u00b7":
            self.draft.cleaned.bullets += 1
        return md[1:].lstrip()

    def _list(self, block: dict[str, Any], depth: int) -> str:
        kind = block["t"]
        pad = "   " * depth
        lines: list[str] = []
        if kind == "OrderedList":
            (start, style, delim), items = block["c"][0], block["c"][1]
            alpha = style["t"] in {"LowerAlpha", "UpperAlpha"}
            mark = ")" if delim["t"] in {"OneParen", "TwoParens"} or alpha else "."
            if alpha:
                lines.append(f"{pad}{{.alpha}}")
            number = int(start)
        else:
            items, mark, number = block["c"], "", 0
        for item in items:
            marker = f"{number}{mark} " if kind == "OrderedList" else "- "
            first = True
            for inner in _flat(item):
                if inner.get("t") in {"Para", "Plain"}:
                    text = self.inl.md(inner["c"])
                    if first and _PRIVATE_USE.match(text):  # a bullet typed after Word's own
                        text = text[1:].lstrip()
                        self.draft.cleaned.bullets += 1
                    if not text.strip():
                        continue
                    if first:
                        lines.append(f"{pad}{marker}{text}")
                        first = False
                    else:
                        lines.append("")
                        lines.append(f"{pad}   {text}")
                elif inner.get("t") in {"OrderedList", "BulletList"}:
                    if first:
                        lines.append(f"{pad}{marker}")
                        first = False
                    lines.append(self._list(inner, depth + 1))
            number += 1
        return "\n".join(lines)

    def _caption(self, inlines: list[dict[str, Any]], pattern: re.Pattern[str]) -> str:
        text = self.inl.text(inlines)
        match = pattern.match(text)
        return match[3].strip() if match else text

    def _figure(self, target: str) -> dict[str, str]:
        data = self.ms.media.get(target)
        number = len(self.draft.figures) + 1
        suffix = Path(target).suffix.lower() or ".png"
        name = f"figure{number}{suffix}"
        figure = {"id": f"f{number}", "file": name, "caption": ""}
        if data is not None:
            self.draft.images[name] = data
        self.draft.figures.append(figure)
        self.draft.body.append(f"::figure f{number}")
        return figure

    def _table(self, block: dict[str, Any], caption: str | None) -> None:
        _attr, _caption, _cols, head, bodies, foot = block["c"]
        number = len(self.draft.tables) + 1
        rows_of = self._rows
        body_rows = []
        for body in bodies:
            body_rows.extend(rows_of(body[2]))
            body_rows.extend(rows_of(body[3]))
        # The last rows that read «Барлығы», «Итого», «Mean»… are the footer's totals and
        # means (the checker then recomputes them), whether Word marked them or not.
        footer: list[Any] = [_footer_row(row) for row in rows_of(foot[1])]
        while body_rows and _footer_kind(body_rows[-1]) is not None:
            footer.insert(0, _footer_row(body_rows.pop()))
        table: dict[str, Any] = {"id": f"t{number}", "caption": caption, "header": rows_of(head[1]),
                                 "rows": body_rows, "footer": footer}
        self.draft.tables.append(table)
        self.draft.body.append(f"::table t{number}")

    def _rows(self, rows: list[Any]) -> list[list[dict[str, Any]]]:
        out = []
        for row in rows:
            cells = []
            for cell in row[1]:
                _attr, _align, rowspan, colspan, content = cell
                texts = [self.inl.text(b["c"]) for b in _flat(content) if b.get("t") in {"Para", "Plain"}]
                entry: dict[str, Any] = {"text": " ".join(t for t in texts if t)}
                if colspan > 1:
                    entry["colspan"] = colspan
                if rowspan > 1:
                    entry["rowspan"] = rowspan
                cells.append(entry)
            out.append(cells)
        return out

    def _reference(self, block: dict[str, Any]) -> None:
        kind = block.get("t")
        if kind in {"Para", "Plain"}:
            text = self.inl.text(block["c"])
            if not text.strip():
                return
            match = re.match(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})[.)])\s+(.*)$", text, re.S)
            if match:
                self.draft.references.append((int(match[1] or match[2]), match[3].strip()))
            else:
                self.draft.references.append((None, text.strip()))
        elif kind == "OrderedList":
            number = int(block["c"][0][0])
            for item in block["c"][1]:
                texts = [self.inl.text(b["c"]) for b in _flat(item) if b.get("t") in {"Para", "Plain"}]
                self.draft.references.append((number, " ".join(t for t in texts if t)))
                number += 1
        elif kind == "BulletList":
            for item in block["c"]:
                texts = [self.inl.text(b["c"]) for b in _flat(item) if b.get("t") in {"Para", "Plain"}]
                self.draft.references.append((None, " ".join(t for t in texts if t)))
        elif kind == "Div":
            for inner in _flat([block]):
                self._reference(inner)


def _items(block: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return list(block["c"][1] if block["t"] == "OrderedList" else block["c"])


def _continues(block: dict[str, Any], after: dict[str, Any], count: int) -> bool:
    """Whether ``after`` is the same list going on after an interruption."""
    if after.get("t") != block["t"]:
        return False
    if block["t"] == "BulletList":
        return True
    (start, style, delim), (_start, first_style, first_delim) = after["c"][0], block["c"][0]
    return bool(start == count + 1 and style == first_style and delim == first_delim)


def _continued(blocks: list[dict[str, Any]], i: int) -> tuple[dict[str, Any], int]:
    """The list at blocks[i] with its items' further paragraphs, and the index after it.

    A further paragraph of an item is indented in Word, without a number, and pandoc reads
    it as a block quote that cuts the list in two: when the same list goes on after it,
    the paragraph is the last item's and the two lists are one.
    """
    block = blocks[i]
    items = [list(item) for item in _items(block)]
    i += 1
    while i + 1 < len(blocks) and blocks[i].get("t") == "BlockQuote" \
            and _continues(block, blocks[i + 1], len(items)):
        items[-1].extend(_flat(blocks[i]["c"]))
        items.extend(list(item) for item in _items(blocks[i + 1]))
        i += 2
    merged = {"t": block["t"], "c": [block["c"][0], items] if block["t"] == "OrderedList" else items}
    return merged, i


def _authors(n: int) -> Message:
    return msg_n("{n} author", "{n} authors", n)


def _paragraphs(first: int, last: int) -> Message:
    """Paragraphs of the manuscript as a reader counts them (pandoc drops the empty ones)."""
    return msg("paragraph {first}", first=first) if first >= last else \
        msg("paragraphs {first}–{last}", first=first, last=last)


def _line_start(text: str) -> str:
    """A paragraph that would read as Markdown syntax at its start, escaped."""
    if not _LINE_START_RE.match(text):
        return text
    marker = re.match(r"^(\d{1,9}|[^\W\d_])(?=[.)])", text)
    if marker:  # «1998. …», «а) …»: the backslash goes before the punctuation
        return f"{marker[1]}\\{text[len(marker[1]):]}"
    if text.startswith("\\["):
        return text  # its bracket is escaped already
    return "\\" + text


# --- affiliation ------------------------------------------------------------------------------


def parse_affiliation(text: str, lang: str, vocab: Vocabulary) -> Affiliation:
    """A byline's affiliation into its fields: the workplace, then degree, title and rank."""
    pieces = [p.strip() for p in re.split(r",\s*", text) if p.strip()]
    chain: list[str] = []
    degree: list[str] = []
    titles: list[str] = []
    ranks: list[str] = []
    for piece in pieces:
        if vocab.degrees.match(piece):
            degree.append(piece)
        elif piece.casefold() in vocab.titles:
            titles.append(piece)
        elif vocab.ranks.match(piece) and len(piece.split()) <= 5:
            ranks.append(piece)
        elif degree or titles or ranks:
            # After the degree nothing is workplace: keep the author's order in the rank.
            ranks.append(piece)
        else:
            chain.append(piece)
    workplace = ", ".join(chain)
    position, institution = _split_workplace(workplace, lang)
    department = ""
    if lang != "kk":
        words = position.split()
        at = next((i for i, w in enumerate(words) if i and w.casefold().startswith(vocab.departments)), None)
        if at is not None:
            position, department = " ".join(words[:at]), " ".join(words[at:])
    return Affiliation(position=position or None, department=department or None,
                       institution=institution or None,
                       degree=", ".join(degree) or None, academic_title=", ".join(titles) or None,
                       rank=", ".join(ranks) or None)


def _split_workplace(text: str, lang: str) -> tuple[str, str]:
    words = text.split()
    capital = [i for i, w in enumerate(words) if w[:1].isupper()]
    quoted = False
    for i, word in enumerate(words):  # a capital inside «…» names a department, not the institution
        if quoted and i in capital:
            capital.remove(i)
        quoted = (quoted or word.startswith("«")) and "»" not in word
    if not words or not capital:
        return text, ""
    if lang == "kk":
        # «… Алматы академиясы қылмыстық құқық кафедрасының доценті»: the institution ends
        # with the word after its last capitalised one.
        end = min(capital[-1] + 2, len(words))
        return " ".join(words[end:]), " ".join(words[:end])
    first = next((i for i in capital if i > 0), None)
    if first is None:
        return "", text
    return " ".join(words[:first]), " ".join(words[first:])


def _words(text: str) -> list[str]:
    return sorted(w for w in re.findall(r"\w+", fold(text)))


# --- writing -----------------------------------------------------------------------------------


def _q(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def _cells(row: list[dict[str, Any]]) -> str:
    parts = []
    for cell in row:
        fields = [f"text: {_q(cell['text'])}"]
        fields += [f"{k}: {cell[k]}" for k in ("colspan", "rowspan") if k in cell]
        parts.append("{" + ", ".join(fields) + "}")
    return "[" + ", ".join(parts) + "]"


@dataclass
class PaperText:
    text: str
    lines: dict[str, int]


def paper_markdown(draft: Draft, authors: list[tuple[str, Affiliation | None]]) -> PaperText:
    """paper.md in the source format, and the line of each front matter field."""
    out = ["---", f"lang: {draft.lang}"]
    lines: dict[str, int] = {}

    def mark(key: str) -> None:
        lines.setdefault(key, len(out) + 1)

    mark("authors")
    if authors:
        out.append("authors:")
        for index, (person, affiliation) in enumerate(authors):
            mark(f"author{index}")
            out.append(f"  - person: {person}")
            if affiliation is not None:
                out.append("    affiliation:")
                for key, value in affiliation.model_dump(exclude_none=True).items():
                    out.append(f"      {key}: {_q(value)}")
    else:
        out.append("authors: []")
    if draft.udc:
        mark("udc")
        out.append(f"udc: {_q(draft.udc)}")
    if draft.title:
        mark("title")
        out.append(f"title: {_q(draft.title)}")
    if draft.abstract:
        mark("abstract")
        out.append(f"abstract: {_q(draft.abstract)}")
    if draft.other_abstracts:
        mark("abstracts")
        out.append("abstracts:")
        out += [f"  {lang}: {_q(text)}" for lang, text in draft.other_abstracts.items()]
    if draft.keywords and not draft.other_keywords:
        mark("keywords")
        out.append(f"keywords: [{', '.join(_q(k) for k in draft.keywords)}]")
    elif draft.other_keywords:
        mark("keywords")
        out.append("keywords:")
        by_lang = ({draft.lang: draft.keywords} if draft.keywords else {}) | draft.other_keywords
        out += [f"  {lang}: [{', '.join(_q(k) for k in words)}]" for lang, words in by_lang.items()]
    if draft.epigraphs:
        mark("epigraphs")
        out.append("epigraphs:")
        for text, attribution in draft.epigraphs:
            out.append(f"  - text: {_q(text)}")
            if attribution:
                out.append(f"    attribution: {_q(attribution)}")
    if draft.references:
        mark("references")
        out.append("references:")
        expected = 1
        for number, text in draft.references:
            if number == expected:
                out.append(f"  - {_q(text)}")
            else:
                shown = "null" if number is None else str(number)
                out.append(f"  - {{number: {shown}, text: {_q(text)}}}")
            if number is not None:
                expected = number + 1
    if draft.tables:
        mark("tables")
        out.append("tables:")
        for table in draft.tables:
            out.append(f"  - id: {table['id']}")
            if table["caption"]:
                out.append(f"    caption: {_q(table['caption'])}")
            for part in ("header", "rows", "footer"):
                rows = table[part]
                if not rows:
                    out.append(f"    {part}: []")
                    continue
                out.append(f"    {part}:")
                out.extend(f"      - {{kind: {row['kind']}, cells: {_cells(row['cells'])}}}"
                           if isinstance(row, dict) else f"      - {_cells(row)}" for row in rows)
    if draft.figures:
        mark("figures")
        out.append("figures:")
        for figure in draft.figures:
            out.append(f"  - id: {figure['id']}")
            out.append(f"    file: {figure['file']}")
            if figure["caption"]:
                out.append(f"    caption: {_q(figure['caption'])}")
    out.append("---")
    lines["body"] = len(out) + 1
    body = "\n\n".join(b for b in draft.body if b.strip())
    notes = [f"[^{n}]: {text}" for n, text in enumerate(draft.notes, start=1)]
    text = "\n".join(out) + "\n" + body + "\n"
    if notes:
        text += "\n" + "\n\n".join(notes) + "\n"
    return PaperText(text, lines)


# --- the command ------------------------------------------------------------------------------------


@dataclass
class _Planned:
    source: Path
    paper_id: str
    folder: Path
    files: dict[str, bytes]
    found: list[Diagnostic]
    people: list[str]  # new people.yaml entries


def import_manuscripts(options: ImportOptions) -> ImportResult:
    """Import every file of ``options.files`` (a folder stands for its .docx files)."""
    started = time.perf_counter()
    diags = Diagnostics()
    root = options.into
    files = _expand(options.files, diags)
    if options.id is not None and len(files) != 1:
        diags.add(error(str(options.id), 0, msg("--id names one paper: give one manuscript with it"),
                        "usage"))
        return ImportResult([], [], [], diags, 0.0)
    if options.id is not None and not _ID_RE.match(options.id):
        diags.add(error(options.id, 0, msg("not a paper id (lower-case letters, digits, - and _)"),
                        "paper-id"))
        return ImportResult([], [], [], diags, 0.0)
    people_path = root / "people.yaml"
    sources, _ = load_sources(root) if (root / "book.yaml").exists() else (None, None)
    people = dict(sources.people) if sources is not None else _read_people(people_path, diags)
    vocab = vocabulary()
    read: dict[Path, tuple[Manuscript | None, list[Diagnostic]]] = {}
    total = len(files)
    done = 0

    def one(path: Path) -> tuple[Path, tuple[Manuscript | None, list[Diagnostic]]]:
        return path, read_manuscript(path, display_path(path))

    jobs = options.jobs or max(1, min(os.cpu_count() or 1, 4))
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # pandoc runs in its own processes
        for path, result in pool.map(one, files):
            read[path] = result
            done += 1
            if options.progress is not None:
                options.progress(done, total, path.name)
    taken_ids = _paper_ids(root)
    person_ids = set(people)
    planned: list[_Planned] = []
    for path in files:
        manuscript, found = read[path]
        if manuscript is None:
            diags.extend(found)
            continue
        paper_id = options.id or _paper_id(path, taken_ids)
        taken_ids.add(paper_id)
        folder = root / "papers" / paper_id
        if folder.exists() and not options.force:
            diags.add(error(display_path(folder / "paper.md"), 0, msg(
                "paper {id} exists; give --force to replace it, or --id for another id", id=paper_id),
                    "exists"))
            continue
        try:
            planned.append(_plan(manuscript, paper_id, folder, options.lang, people, person_ids, vocab))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            # pandoc's AST of a version this code does not know: one paper, not the run.
            diags.add(error(display_path(path), 0, msg("cannot map pandoc's document: {reason}",
                                                       reason=repr(exc)),
                            "import"))
    written: list[Path] = []
    came_from: list[Path] = []
    added: list[str] = []
    new_entries = [entry for plan in planned for entry in plan.people]
    if new_entries:
        try:
            before = people_path.read_text(encoding="utf-8") if people_path.exists() else ""
            text = append_people(before, new_entries)
            first_line = before.count("\n") + 2
            write_atomic(people_path, text.encode("utf-8"))
            added = [re.search(r"^- id: (\S+)", e, re.M)[1] for e in new_entries]  # type: ignore[index]
            line = first_line
            for entry in new_entries:
                person = re.search(r"^- id: (\S+)", entry, re.M)
                diags.add(note(display_path(people_path), line + 1,
                               msg("new person '{id}' added from a byline (check the name and the "
                                   "affiliation's fields)", id=person[1] if person else "?"),
                                       "import-person"))
                line += entry.count("\n") + 1
        except OSError as exc:
            diags.add(error(display_path(people_path), 0, msg("cannot write: {reason}",
                                                              reason=str(exc.strerror)),
                            "io"))
            planned = []
    for plan in planned:
        try:
            _write_folder(plan.folder, plan.files)
        except OSError as exc:
            diags.add(error(display_path(plan.folder), 0, msg("cannot write: {reason}",
                                                              reason=str(exc.strerror)),
                            "io"))
            continue
        written.append(plan.folder / "paper.md")
        came_from.append(plan.source)
        diags.extend(plan.found)
    if written and (root / "book.yaml").exists():
        diags.extend(_usual_checks(root, written))
    return ImportResult(written, came_from, added, diags, time.perf_counter() - started)


def _usual_checks(root: Path, written: list[Path]) -> list[Diagnostic]:
    """The checker's findings in the papers just written (citations against references, …)."""
    from proceedings.check import check_sources

    sources, found = load_sources(root)
    if sources is not None:
        found.extend(check_sources(sources))
    mine = {display_path(path) for path in written}
    # What other files say of the new papers too: book.yaml that does not list one yet.
    named = tuple(f"'{path.parent.name}'" for path in written)
    return [d for d in found if d.path in mine or any(n in d.message for n in named)]


def _expand(paths: Sequence[Path], diags: Diagnostics) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(("~$", ".")))
            files.extend(p for p in found if p.suffix.lower() in {".docx", ".doc", ".docm", ".odt",
                                                                  ".pdf", ".rtf"})
        else:
            files.append(path)
    return files


def _read_people(path: Path, diags: Diagnostics) -> dict[str, Person]:
    if not path.exists():
        return {}
    from proceedings.load import _load_people, _Reader

    reader = _Reader(path.parent)
    people = _load_people(reader, path)
    diags.extend(reader.diags)
    return people or {}


def _paper_ids(root: Path) -> set[str]:
    folder = root / "papers"
    return {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()


def _paper_id(path: Path, taken: set[str]) -> str:
    stem = path.stem.lower()
    if _ID_RE.match(stem):
        return stem
    numbers = [int(m[1]) for t in taken if (m := re.fullmatch(r"p(\d+)", t))]
    number = max(numbers, default=0) + 1
    while f"p{number:02d}" in taken:
        number += 1
    return f"p{number:02d}"


def _plan(manuscript: Manuscript, paper_id: str, folder: Path, lang: str | None,
          people: dict[str, Person], person_ids: set[str], vocab: Vocabulary) -> _Planned:
    converter = Converter(manuscript, lang, vocab)
    draft = converter.convert()
    shown = display_path(folder / "paper.md")
    source = manuscript.path.name
    found: list[Diagnostic] = []
    entries: list[str] = []
    authors: list[tuple[str, Affiliation | None]] = []
    unsure: list[tuple[int, Message]] = []  # (author's index, why) of matches only proposed
    unnamed: list[tuple[int, Message]] = []  # matched people without a name in the paper's language
    for author in draft.authors:
        parsed = parse_affiliation(author.affiliation, draft.lang, vocab) if author.affiliation else None
        match = match_person(author.surname, author.given, people, vocab.patronymics)
        full = f"{author.surname} {author.given}".strip()
        if match.sure and match.person is not None:
            person = people[match.person]
            known = person.names.get(draft.lang)
            override = None
            if parsed is not None and (known is None or _words(author.affiliation) != _words(
                    affiliation_text(known, draft.lang))):
                override = parsed
            authors.append((match.person, override))
            if known is None:
                unnamed.append((len(authors) - 1, msg("people.yaml has no {lang} name for '{id}' (matched by "
                                                      "another language's); the byline gives «{name}»: add "
                                                      "it under names: {lang}:", lang=draft.lang,
                                                      id=match.person, name=full)))
            continue
        pid = new_id(author.surname, person_ids)
        person_ids.add(pid)
        name = PersonName(surname=author.surname, given=author.given or None,
                          **(parsed.model_dump() if parsed else {}))
        people[pid] = Person(id=pid, names={draft.lang: name})
        entries.append(person_yaml(pid, draft.lang, name, author.email, author.orcid,
                                   f"From the byline of {source} (papers/{paper_id})"))
        authors.append((pid, None))
        if match.person is not None:
            other = people[match.person]
            other_name = other.name(draft.lang)
            shown_name = " ".join(filter(None, (other_name.surname, other_name.given)))
            unsure.append((len(authors) - 1, msg("byline «{name}» is close to people.yaml '{id}' ({known}) "
                                                 "but not surely the same ({why}); added as '{new}': if it "
                                                 "is the same person, write person: {id} here and delete "
                                                 "'{new}' from people.yaml", name=full, id=match.person,
                                                 known=shown_name, why=match.why, new=pid)))
    text = paper_markdown(draft, authors)
    for index, message in unsure:
        found.append(warning(shown, text.lines[f"author{index}"], message, "import-match"))
    for index, message in unnamed:
        found.append(note(shown, text.lines[f"author{index}"], message, "import-person"))
    for what, message in draft.guesses:
        line = text.lines.get(what, 2 if what == "lang" else text.lines["body"])
        found.append(note(shown, line, message, "import-guess"))
    for index, (person_id, override) in enumerate(authors):
        if override is not None:
            found.append(note(shown, text.lines[f"author{index}"], msg(
                "{id}: the byline's affiliation differs from people.yaml; kept here as this paper's "
                "affiliation",
                id=person_id), "import-guess"))
    for lost in converter.inl.dropped_notes:
        found.append(warning(shown, text.lines["body"], msg(
            "a footnote in a title, caption, table cell or reference, where the source format has none, is "
            "left out: «{note}»", note=lost), "import-dropped"))
    for what in draft.dropped:
        found.append(note(shown, text.lines.get("abstract", 2), msg(
            "a second {what} left out: the source format keeps one per language", what=what),
            "import-dropped"))
    cleaned = draft.cleaned
    artefacts = [what for n, what in (
        (cleaned.soft_hyphens, msg_n("{n} soft hyphen", "{n} soft hyphens", cleaned.soft_hyphens)),
        (cleaned.line_breaks, msg_n("{n} manual line break", "{n} manual line breaks", cleaned.line_breaks)),
        (cleaned.bullets, msg_n("{n} symbol-font bullet", "{n} symbol-font bullets", cleaned.bullets)),
        (cleaned.spaces, msg_n("{n} run of spaces", "{n} runs of spaces", cleaned.spaces))) if n]
    if artefacts:
        found.append(note(shown, text.lines["body"], msg("Word's artefacts dropped: {what}",
                                                         what=listing(artefacts)), "import-cleaned"))
    for figure in draft.figures:
        suffix = Path(figure["file"]).suffix.lower()
        if figure["file"] in draft.images and suffix not in _DRAWABLE:
            found.append(warning(shown, text.lines.get("figures", 2), msg(
                "figure {id}: a {suffix} picture, which the book cannot print: export it from the "
                "manuscript as PNG or SVG and name it in file:", id=figure["id"], suffix=suffix),
                "import-figure"))
        if figure["file"] not in draft.images:
            found.append(warning(shown, text.lines.get("figures", 2), msg(
                "figure {id}: the picture is not in the manuscript", id=figure["id"]), "import-figure"))
        if not figure["caption"]:
            found.append(note(shown, text.lines.get("figures", 2), msg(
                "figure {id} has no caption (a line «Figure N – …» under the picture)", id=figure["id"]),
                "import-guess"))
    files = {"paper.md": text.text.encode("utf-8"), **draft.images}
    return _Planned(manuscript.path, paper_id, folder, files, found, entries)


def _write_folder(folder: Path, files: dict[str, bytes]) -> None:
    """A paper's folder written whole beside its place, then renamed into it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for name, data in files.items():
            (temp / name).write_bytes(data)
        if folder.exists():
            old = folder.with_name(f".{folder.name}-replaced")
            if old.exists():
                shutil.rmtree(old)
            folder.rename(old)
            temp.rename(folder)
            shutil.rmtree(old)
        else:
            temp.rename(folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
