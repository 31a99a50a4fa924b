"""Property: whatever an author types, with whatever bold and italic, the import keeps the words.

Random paragraphs (Cyrillic, Kazakh and Latin letters, digits, and every character
Markdown gives a meaning to) are written into one manuscript with python-docx, imported,
and the body the book renders is compared with what was typed, paragraph by paragraph:
no character lost, none added (no stray asterisk or backslash), spaces aside.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path

import docx
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from proceedings.importer import ImportOptions, _is_heading, _label_of, import_manuscripts, vocabulary
from proceedings.load import load_sources
from proceedings.markup import render_body

from .conftest import MINIBOOK

ALPHABET = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЕКМНОРСТҚҒӘІҰҮӨҺқғәіұүөһabcxyzABCXYZ0123456789" \
           " .,;:!?«»\"'()[]{}*_\\#>-+=~`&<|^$%@/…–—"
RUN = st.tuples(st.text(ALPHABET, min_size=1, max_size=12), st.booleans(), st.booleans())
PARAGRAPH = st.lists(RUN, min_size=1, max_size=6)


def typed(runs: list[tuple[str, bool, bool]]) -> str:
    return re.sub(r"\s+", " ", "".join(text for text, _, _ in runs)).strip()


def fits(runs: list[tuple[str, bool, bool]]) -> bool:
    """A paragraph the import must take as a body paragraph (not a label, heading, caption or bullet)."""
    text = typed(runs)
    vocab = vocabulary()
    return bool(text) and not (
        (text[0] in vocab.bullets and text[1:2] == " ")
        or _label_of(text, vocab.abstract) or _label_of(text, vocab.keywords)
        or _is_heading(text, vocab.references) or vocab.table.match(text) or vocab.figure.match(text)
    )


def rendered(body: str) -> list[str]:
    markup = "".join(s.html for s in render_body(body, anchor_prefix="r", references=set()))
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", p))).strip()
            for p in re.findall(r"<p\b[^>]*>(.*?)</p>", markup, re.S)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PARAGRAPH, min_size=1, max_size=8))
def test_the_words_typed_are_the_words_rendered(paragraphs: list[list[tuple[str, bool, bool]]]) -> None:
    assume(all(fits(p) for p in paragraphs))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(MINIBOOK, work / "sources")
        manuscript = docx.Document()
        manuscript.add_paragraph("ТЕКСТ СТАТЬИ ДЛЯ ПРОВЕРКИ")
        for runs in paragraphs:
            paragraph = manuscript.add_paragraph()
            for text, bold, italic in runs:
                run = paragraph.add_run(text)
                run.bold, run.italic = bold or None, italic or None
        manuscript.save(str(work / "words.docx"))
        result = import_manuscripts(ImportOptions(files=[work / "words.docx"], into=work / "sources",
                                                  lang="ru"))
        assert result.written, [str(d) for d in result.diagnostics]
        sources, diags = load_sources(work / "sources")
        assert sources is not None, [str(d) for d in diags]
        paper = next(p for p in sources.papers if p.id == "words")
        got = [t.replace("\u00a0", " ") for t in rendered(paper.body)]
        assert got == [typed(p) for p in paragraphs], paper.body
