"""The paragraph figures of any PDF: ``proceedings audit FILE.pdf``.

The build measures its own lines from the layout (``audit``); a book set by another
typesetter has only its PDF. Its words and their boxes are read here with PDFium
(pypdfium2), grouped into lines, and counted with the same ``audit.figures``, so that
the same text set two ways can be compared. What a line is, as read from a PDF:

- the lines of a page are its words grouped by where they stand, each from left to
  right; the body's lines are those in the body's size (the size most of the text is
  set in, within 3 %): running heads, titles and footnotes drop out, and so does a
  line of a number alone (a folio);
- a **full-width** line is at least 85 % as wide as the widest body line of its page
  and longer than 30 characters;
- its **word gap** is the mean distance between its words' boxes, in em of its size.

With the build's ``manifest.json`` beside the PDF (or named), the figures are given
by the papers' languages, each paper a sequence of its own (a run of hyphenated lines
does not go on from one paper to the next); without it, for the whole file.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proceedings.audit import Figures, TextLine, figures, is_hyphenated

SAME_SIZE = 0.03  # a line within this share of the body's size is set in it
SAME_LINE = 0.5  # characters whose boxes overlap by this share of their height share a line
_BREAKS = frozenset(" \r\n\t\u00a0")


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float


@dataclass(frozen=True)
class Line:
    """A line of a page: its words from left to right."""

    page: int
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> float:
        return min(w.x0 for w in self.words)

    @property
    def x1(self) -> float:
        return max(w.x1 for w in self.words)

    @property
    def size(self) -> float:
        sizes = Counter(round(w.size, 1) for w in self.words for _ in w.text)
        return sizes.most_common(1)[0][0]

    def gap(self) -> float:
        """The mean room between its words, in em (0 for one word)."""
        gaps = [b.x0 - a.x1 for a, b in zip(self.words, self.words[1:], strict=False)]
        return sum(gaps) / len(gaps) / self.size if gaps and self.size else 0.0


def read_lines(pdf: Path) -> list[list[Line]]:
    """Every page's lines, from the top, as PDFium reads its characters."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return [_page_lines(document[index], index + 1) for index in range(len(document))]
    finally:
        document.close()


def _page_lines(page: Any, number: int) -> list[Line]:
    import pypdfium2.raw as pdfium_c

    _left, _bottom, _right, top = page.get_cropbox()
    textpage = page.get_textpage()
    lines: list[list[Word]] = []
    letters: list[tuple[str, float, float, float, float, float]] = []
    box = pdfium_c.FS_RECTF()
    matrix = pdfium_c.FS_MATRIX()

    def close_word() -> None:
        if not letters:
            return
        word = Word("".join(c[0] for c in letters), min(c[1] for c in letters), max(c[2] for c in letters),
                    min(c[3] for c in letters), max(c[4] for c in letters), letters[0][5])
        letters.clear()
        current = lines[-1] if lines else None
        if current is not None and _same_line(current[-1], word):
            current.append(word)
        else:
            lines.append([word])

    for index in range(textpage.count_chars()):
        char = chr(pdfium_c.FPDFText_GetUnicode(textpage, index))
        if char == "\x02":  # PDFium's reading of a hyphen that ends a line
            char = "-"
        elif char in _BREAKS or pdfium_c.FPDFText_IsGenerated(textpage, index):
            close_word()
            continue
        pdfium_c.FPDFText_GetLooseCharBox(textpage, index, box)
        pdfium_c.FPDFText_GetMatrix(textpage, index, matrix)
        size = pdfium_c.FPDFText_GetFontSize(textpage, index) * math.hypot(matrix.a, matrix.b)
        letter = (char, box.left, box.right, top - box.top, top - box.bottom, size)
        if letters and (box.left < letters[-1][1] - 1 or not _overlap(letters[-1][3:5], letter[3:5])):
            close_word()  # the text went back or down: a new line
        letters.append(letter)
    close_word()
    textpage.close()
    # What is drawn out of reading order (a list's markers, drawn after their items) joins
    # the line it stands on; the lines then go from the top down.
    merged: list[list[Word]] = []
    for words in lines:
        home = next((line for line in merged if _overlap(_span(line), _span(words))
                     and not any(a.x0 < b.x1 and b.x0 < a.x1 for a in line for b in words)), None)
        if home is None:
            merged.append(list(words))
        else:
            home.extend(words)
    merged.sort(key=lambda line: _span(line)[0])
    return [Line(number, tuple(sorted(words, key=lambda w: w.x0))) for words in merged]


def _span(words: list[Word]) -> tuple[float, float]:
    return min(w.top for w in words), max(w.bottom for w in words)


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    shared = min(a[1], b[1]) - max(a[0], b[0])
    return shared >= SAME_LINE * min(a[1] - a[0], b[1] - b[0])


def _same_line(before: Word, word: Word) -> bool:
    return word.x0 >= before.x1 - 1 and _overlap((before.top, before.bottom), (word.top, word.bottom))


def text_lines(pages: list[list[Line]]) -> list[TextLine]:
    """The body lines of ``pages`` as the figures count them."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page:
            sizes[line.size] += len(line.text)
    if not sizes:
        return []
    body = sizes.most_common(1)[0][0]
    found = []
    for page in pages:
        # A folio may be set in the body's size: a line of a number alone is none of the text.
        kept = [line for line in page if abs(line.size - body) <= SAME_SIZE * body
                and not line.text.replace(" ", "").isdigit()]
        widest = max((line.x1 - line.x0 for line in kept), default=0.0)
        for line in kept:
            text = line.text
            found.append(TextLine(line.page, (line.x1 - line.x0) / widest if widest else 0.0, len(text),
                                  len(line.words), line.gap(), is_hyphenated(text)))
    return found


def audit_pdf(pdf: Path, manifest: Path | None = None) -> list[Figures]:
    """The figures of a PDF: by the papers' languages when ``manifest`` (the build's
    manifest.json) says where the papers are, and overall."""
    pages = read_lines(pdf)
    papers = _papers(manifest, len(pages)) if manifest is not None else None
    if not papers:
        return [figures("all", [text_lines(pages)])]
    by_lang: dict[str, list[list[TextLine]]] = {}
    for lang, first, last in papers:
        by_lang.setdefault(lang, []).append(text_lines(pages[first - 1:last]))
    rows = [figures(lang, found) for lang, found in by_lang.items()]
    rows.append(figures("all", [paper for found in by_lang.values() for paper in found]))
    return rows


def _papers(manifest: Path, pages: int) -> list[tuple[str, int, int]]:
    """(language, first page, last page) of every paper the manifest lists within ``pages``."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        found = [(str(p.get("lang") or "?"), int(p["pdf_pages"][0]), int(p["pdf_pages"][1]))
                 for p in data.get("papers", [])]
    except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return []
    return [(lang, first, last) for lang, first, last in found if 1 <= first <= last <= pages]
