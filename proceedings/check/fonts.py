"""Characters in printed text that the bundled fonts cannot draw.

The book is set in the fonts of ``fonts/`` only (styles/css/fonts.css); a character
none of them has is drawn from whatever font the machine happens to have, or as a
box. The fonts' character maps are read with fontTools (a WeasyPrint dependency)
once per process and per font file version.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from fontTools.ttLib import TTFont

from proceedings.check.base import Check, Unit, by_path, context, digest, programme_path
from proceedings.diagnostics import Diagnostic, warning
from proceedings.load import display_path
from proceedings.messages import msg, msg_n
from proceedings.model import Sources

FONTS = Path(__file__).resolve().parents[2] / "fonts"
# Characters that are never drawn: controls, format characters (zero-width space, BOM,
# soft hyphen), line and paragraph separators, variation selectors. Those that are
# defects have checks of their own (control-char, odd-space).
_NOT_DRAWN = {"Cc", "Cf", "Zl", "Zp"}


def font_files(folder: Path = FONTS) -> tuple[Path, ...]:
    return tuple(sorted(p for p in folder.glob("*") if p.suffix.lower() in {".ttf", ".otf"}))


def coverage(files: tuple[Path, ...]) -> dict[str, frozenset[int]]:
    """Font file name → the code points its character map can draw."""
    return {f.name: _cmap(f, f.stat().st_mtime_ns) for f in files}


@functools.lru_cache(maxsize=64)
def _cmap(path: Path, mtime_ns: int) -> frozenset[int]:
    # mtime_ns is part of the cache key only: a replaced font file is read again.
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def _drawn(ch: str) -> bool:
    return not (ch.isspace() or unicodedata.category(ch) in _NOT_DRAWN or "\ufe00" <= ch <= "\ufe0f")


def _extra_units(sources: Sources) -> list[Unit]:
    """Printed texts the text checks do not read: book.yaml, list labels, programme header."""
    units: list[Unit] = []
    root = Path(sources.root)

    def add(path: str, value: object, *loc: str | int) -> None:
        if isinstance(value, str) and value:
            units.append(Unit(path, ((sources.line_of(path, *loc), value),)))
        elif isinstance(value, dict):
            for key, item in value.items():
                add(path, item, *loc, key)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                add(path, item, *loc, i)

    book = display_path(root / "book.yaml")
    for field, value in sources.book.model_dump(exclude={"papers", "parts", "languages"}).items():
        add(book, value, field)
    if sources.participants is not None:
        participants = display_path(root / "participants.yaml")
        add(participants, sources.participants.model_dump(exclude={"people"}))
    if sources.programme is not None:
        programme = programme_path(sources)
        for lang, header in sources.programme.header.items():
            add(programme, header.model_dump(exclude={"title"}), "header", lang)
        for d, day in enumerate(sources.programme.days):
            add(programme, day.title, "days", d, "title")
        for loc, session in sources.programme.sessions():
            add(programme, session.room, *loc, "room")
    for resolution in sources.resolutions:
        add(resolution.path, resolution.signature, "signature")
        add(resolution.path, resolution.place_date, "place_date")
    return units


def _check_coverage(units: Sequence[Unit], faces: dict[str, frozenset[int]]) -> Iterator[Diagnostic]:
    everywhere = frozenset.intersection(*faces.values())
    drawable = frozenset(map(chr, everywhere))
    # (path, character) → first line, the text around it there, and how often it occurs.
    seen: dict[tuple[str, str], tuple[int, str, int]] = {}
    for unit in units:
        for line, text in unit.lines:
            if drawable.issuperset(text):  # the usual line: one set operation, no loop
                continue
            for pos, ch in enumerate(text):
                if ord(ch) in everywhere or not _drawn(ch):
                    continue
                key = (unit.path, ch)
                first = seen.get(key)
                if first is None or line < first[0]:
                    where = context(text, pos, pos + 1)
                    seen[key] = (line, where, (first[2] if first else 0) + 1)
                else:
                    seen[key] = (first[0], first[1], first[2] + 1)
    for (path, ch), (line, where, count) in seen.items():
        lacking = [name for name, cmap in faces.items() if ord(ch) not in cmap]
        who = msg("the bundled fonts") if len(lacking) == len(faces) else ", ".join(lacking)
        yield warning(path, line, msg_n(
            "{fonts} cannot draw U+{code:04X} {name} (once in this file, first at {where}): it "
            "would print as a box or in another font; replace it with the character it stands for",
            "{fonts} cannot draw U+{code:04X} {name} ({n} times in this file, first at {where}): it "
            "would print as a box or in another font; replace it with the character it stands for",
            count, fonts=who, code=ord(ch), name=unicodedata.name(ch, "(private use)"),
            where=where), "font-coverage")


def _check_fonts(units: Sequence[Unit]) -> Iterator[Diagnostic]:
    files = font_files()
    if not files:
        return  # no bundled fonts here: the build reports that, not the checker
    yield from _check_coverage(units, coverage(files))


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    # File by file, as the findings are (one per character and file).
    return [
        Check("font-coverage", path, partial(_check_fonts, own), digest(own))
        for path, own in by_path([*units, *_extra_units(sources)]).items()
    ]
