"""Write manuscripts as authors send them: Word files made with python-docx.

A manuscript follows the organisers' template: an optional УДК line, the byline (SURNAME
and given names, then the affiliation), the title in capitals, the abstract and keywords,
the body (paragraphs, Word lists with their numbering, tables with merged cells, real
footnotes, pictures with a caption below, table labels above), then the reference list
under its heading. Word's own list numbering and footnotes are written into
numbering.xml and footnotes.xml, which python-docx does not make itself.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import docx
import docx.shared
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from markdown_it.token import Token
from PIL import Image

from proceedings.markup import _make_engine, prepare_source
from proceedings.model import Paper, Person, Table
from proceedings.render import affiliation_text

# The body's parser without the typesetter's rules (no-break spaces, quotes): an author types plain text.
_ENGINE = _make_engine()
_ENGINE.core.ruler.disable("typography")
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
ABSTRACT = {"kk": "Аңдатпа", "ru": "Аннотация", "en": "Abstract"}
KEYWORDS = {"kk": "Түйін сөздер", "ru": "Ключевые слова", "en": "Keywords"}
REFERENCES = {"kk": "Әдебиеттер", "ru": "Литература", "en": "References"}
TABLE = {"kk": "Кесте", "ru": "Таблица", "en": "Table"}
FIGURE = {"kk": "Сурет", "ru": "Рисунок", "en": "Figure"}

# A list kind → Word's numbering format and level text.
FORMATS = {"paren": ("decimal", "%{n})"), "dot": ("decimal", "%{n}."), "alpha": ("russianLower", "%{n})"),
           "alpha-latin": ("lowerLetter", "%{n})"), "bullet": ("bullet", "–")}


@dataclass
class Manuscript:
    """What one manuscript holds, in the template's order."""

    lang: str
    title: str
    byline: list[tuple[str, str, str]] = field(default_factory=list)  # (SURNAME, given, affiliation)
    udc: str | None = None
    abstract: str | None = None
    keywords: list[str] = field(default_factory=list)
    # Abstracts and keywords in other languages, each pair after the paper's own.
    other_abstracts: dict[str, str] = field(default_factory=dict)
    other_keywords: dict[str, list[str]] = field(default_factory=dict)
    epigraphs: list[tuple[str, str | None]] = field(default_factory=list)
    body: str = ""
    references: list[tuple[int | None, str]] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    figures: dict[str, str] = field(default_factory=dict)  # id → caption


class Writer:
    def __init__(self) -> None:
        self.doc = docx.Document()
        self.numbering = self.doc.part.numbering_part.element
        self.next_num = 100
        self.footnotes = parse_xml(
            f'<w:footnotes xmlns:w="{W}">'
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/>'
            "</w:r></w:p></w:footnote></w:footnotes>"
        )
        self.next_note = 1
        self.figure_count = 0
        self.table_count = 0

    # --- numbering ---------------------------------------------------------------
    def new_list(self, kinds: Sequence[str]) -> int:
        """A numbering instance whose level i has the format kinds[i]."""
        self.next_num += 1
        num = self.next_num
        levels = []
        for i, kind in enumerate(kinds):
            fmt, text = FORMATS[kind]
            levels.append(
                f'<w:lvl w:ilvl="{i}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
                f'<w:lvlText w:val="{text.format(n=i + 1)}"/><w:lvlJc w:val="left"/>'
                f'<w:pPr><w:ind w:left="{720 * (i + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
            )
        abstract = parse_xml(f'<w:abstractNum xmlns:w="{W}" w:abstractNumId="{num}">'
                             f'<w:multiLevelType w:val="multilevel"/>{"".join(levels)}</w:abstractNum>')
        instance = parse_xml(f'<w:num xmlns:w="{W}" w:numId="{num}"><w:abstractNumId w:val="{num}"/></w:num>')
        first_num = self.numbering.find(qn("w:num"))
        if first_num is not None:
            first_num.addprevious(abstract)
        else:
            self.numbering.append(abstract)
        self.numbering.append(instance)
        return num

    @staticmethod
    def number(paragraph: Paragraph, num: int, level: int) -> None:
        ppr = paragraph._p.get_or_add_pPr()
        ppr.append(parse_xml(f'<w:numPr xmlns:w="{W}"><w:ilvl w:val="{level}"/>'
                             f'<w:numId w:val="{num}"/></w:numPr>'))

    # --- text ----------------------------------------------------------------------
    def para(self, text: str = "", *, bold: bool = False, center: bool = False,
             style: str | None = None) -> Paragraph:
        paragraph = self.doc.add_paragraph(style=style)
        if text:
            paragraph.add_run(text).bold = bold
        if center:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return paragraph

    def footnote(self, paragraph: Paragraph, text: str) -> None:
        note_id = self.next_note
        self.next_note += 1
        note = parse_xml(
            f'<w:footnote xmlns:w="{W}" w:id="{note_id}"><w:p><w:r><w:rPr><w:vertAlign w:val="superscript"/>'
            f'</w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> </w:t></w:r></w:p></w:footnote>'
        )
        run = note.find(qn("w:p")).makeelement(qn("w:r"), {})
        t = run.makeelement(qn("w:t"), {qn("xml:space"): "preserve"})
        t.text = text
        run.append(t)
        note.find(qn("w:p")).append(run)
        self.footnotes.append(note)
        ref = paragraph.add_run()._r
        ref.append(parse_xml(f'<w:rPr xmlns:w="{W}"><w:vertAlign w:val="superscript"/></w:rPr>'))
        ref.append(parse_xml(f'<w:footnoteReference xmlns:w="{W}" w:id="{note_id}"/>'))

    def inline(self, paragraph: Paragraph, children: Sequence[Token], notes: dict[int, str]) -> None:
        bold = italic = False
        lang: str | None = None
        for child in children:
            kind = child.type
            if kind == "strong_open":
                bold = True
            elif kind == "strong_close":
                bold = False
            elif kind == "em_open":
                italic = True
            elif kind == "em_close":
                italic = False
            elif kind == "span_open":
                lang = str(child.attrs.get("lang") or "") or None
            elif kind == "span_close":
                lang = None
            elif kind in {"text", "citation", "code_inline"}:
                run = paragraph.add_run(child.content)
                run.bold = bold or None
                run.italic = italic or None
                if lang:
                    rpr = run._r.get_or_add_rPr()
                    rpr.append(parse_xml(f'<w:lang xmlns:w="{W}" w:val="{LANG_TAGS[lang]}"/>'))
            elif kind in {"softbreak", "hardbreak"}:
                paragraph.add_run(" ")
            elif kind == "footnote_ref":
                self.footnote(paragraph, notes[child.meta["id"]])

    # --- tables and figures ---------------------------------------------------------
    def table(self, table: Table, lang: str) -> None:
        self.table_count += 1
        label = f"{TABLE[lang]} {self.table_count}"
        self.para(f"{label} – {table.caption}" if table.caption else label)
        grid = [row for _, rows in table.sections() for row in rows]
        width = max(sum(c.colspan for c in row) for row in grid) if grid else 1
        placed: list[list[tuple[int, int, str, int, int]]] = []
        taken: set[tuple[int, int]] = set()
        for r, row in enumerate(grid):
            col = 0
            cells = []
            for cell in row:
                while (r, col) in taken:
                    col += 1
                cells.append((r, col, cell.text, cell.colspan, cell.rowspan))
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        taken.add((r + dr, col + dc))
                col += cell.colspan
            placed.append(cells)
        word = self.doc.add_table(rows=len(grid), cols=width)
        word.style = "Table Grid"
        for row_index in range(len(table.header)):
            trpr = word.rows[row_index]._tr.get_or_add_trPr()
            trpr.append(parse_xml(f'<w:tblHeader xmlns:w="{W}"/>'))
        for cells in placed:
            for r, c, text, colspan, rowspan in cells:
                cell = word.cell(r, c)
                if colspan > 1 or rowspan > 1:
                    cell = cell.merge(word.cell(r + rowspan - 1, c + colspan - 1))
                cell.text = text

    def figure(self, caption: str, lang: str) -> None:
        self.figure_count += 1
        image = Image.new("RGB", (120, 80), (200, 200, 200))
        data = io.BytesIO()
        image.save(data, "PNG")
        data.seek(0)
        self.doc.add_picture(data)
        label = f"{FIGURE[lang]} {self.figure_count}"
        self.para(f"{label} – {caption}" if caption else label, center=True)

    # --- the whole manuscript --------------------------------------------------------
    def write(self, ms: Manuscript, path: Path) -> None:
        lang = ms.lang
        if ms.udc:
            self.para(f"УДК {ms.udc}")
        for surname, given, affiliation in ms.byline:
            paragraph = self.doc.add_paragraph()
            paragraph.add_run(surname.upper()).bold = True
            paragraph.add_run(f" {given}" if given else "")
            if affiliation:
                self.para(affiliation)
        self.para("")
        self.para(ms.title.upper(), bold=True, center=True)
        self.para("")
        for text, attribution in ms.epigraphs:
            paragraph = self.para(style=None)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            lines = text.split("\n")
            for i, line in enumerate(lines):
                run = paragraph.add_run(line)
                run.italic = True
                if i < len(lines) - 1:
                    run.add_break()
            if attribution:
                self.para(attribution).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        abstracts = ({lang: ms.abstract} if ms.abstract else {}) | ms.other_abstracts
        keywords = ({lang: ms.keywords} if ms.keywords else {}) | ms.other_keywords
        for each in dict.fromkeys([*abstracts, *keywords]):
            if each in abstracts:
                paragraph = self.doc.add_paragraph()
                paragraph.add_run(f"{ABSTRACT[each]}. ").bold = True
                paragraph.add_run(abstracts[each])
            if each in keywords:
                paragraph = self.doc.add_paragraph()
                paragraph.add_run(f"{KEYWORDS[each]}: ").bold = True
                paragraph.add_run(", ".join(keywords[each]))
        self.body(ms)
        if ms.references:
            self.para(REFERENCES[lang], bold=True, center=True)
            for number, text in ms.references:
                self.para(f"{number}. {text}" if number is not None else text)
        self._finish(path)

    def body(self, ms: Manuscript) -> None:
        source, alpha_lines = prepare_source(ms.body)
        tokens = _ENGINE.parse(source, {})
        notes = _footnote_texts(tokens)
        kinds: list[str] = []  # the kind of each open list, outermost first
        num = 0
        first_in_item = False
        for i, token in enumerate(tokens):
            kind = token.type
            if kind == "footnote_block_open":
                break
            if kind in {"ordered_list_open", "bullet_list_open"}:
                kinds.append(_list_kind(token, alpha_lines))
                if len(kinds) == 1:  # one Word list per top-level list, its levels the nested kinds
                    num = self.new_list(_level_kinds(tokens, i, alpha_lines))
            elif kind in {"ordered_list_close", "bullet_list_close"}:
                kinds.pop()
            elif kind == "list_item_open":
                first_in_item = True
            elif kind == "directive":
                if token.meta["kind"] == "table":
                    self.table(ms.tables[token.meta["ref"]], ms.lang)
                else:
                    self.figure(ms.figures[token.meta["ref"]], ms.lang)
            elif kind == "inline" and token.children is not None:
                paragraph = self.doc.add_paragraph()
                if kinds and first_in_item:
                    self.number(paragraph, num, len(kinds) - 1)
                elif kinds:  # a further paragraph of an item: indented, unnumbered
                    paragraph.paragraph_format.left_indent = docx.shared.Twips(720 * len(kinds))
                first_in_item = False
                self.inline(paragraph, token.children, notes)

    def _finish(self, path: Path) -> None:
        if self.next_note > 1:
            part = Part(PackURI("/word/footnotes.xml"),
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                        self.footnotes.xml.encode("utf-8") if hasattr(self.footnotes, "xml")
                        else b"", self.doc.part.package)
            from lxml import etree

            part._blob = etree.tostring(self.footnotes, xml_declaration=True, encoding="UTF-8",
                                        standalone=True)
            self.doc.part.relate_to(part, RT.FOOTNOTES)
        self.doc.save(str(path))


def _list_kind(token: Token, alpha_lines: set[int]) -> str:
    if token.type == "bullet_list_open":
        return "bullet"
    if token.map and token.map[0] in alpha_lines:
        return "alpha"
    return "paren" if token.markup == ")" else "dot"


def _level_kinds(tokens: list[Token], start: int, alpha_lines: set[int]) -> list[str]:
    """The kind of list at each depth of the list that opens at tokens[start]."""
    kinds: dict[int, str] = {}
    depth = 0
    for token in tokens[start:]:
        if token.type in {"ordered_list_open", "bullet_list_open"}:
            kinds.setdefault(depth, _list_kind(token, alpha_lines))
            depth += 1
        elif token.type in {"ordered_list_close", "bullet_list_close"}:
            depth -= 1
            if depth == 0:
                break
    return [kinds.get(d, "bullet") for d in range(max(len(kinds), 3))]


LANG_TAGS = {"kk": "kk-KZ", "ru": "ru-RU", "en": "en-US", "de": "de-DE", "fr": "fr-FR", "la": "la"}


def _footnote_texts(tokens: list[Token]) -> dict[int, str]:
    notes: dict[int, str] = {}
    current: int | None = None
    for token in tokens:
        if token.type == "footnote_open":
            current = token.meta["id"]
            notes[current] = ""
        elif token.type == "footnote_close":
            current = None
        elif current is not None and token.type == "inline":
            notes[current] += token.content
    return notes


def from_paper(paper: Paper, people: dict[str, Person]) -> Manuscript:
    """The manuscript its author would have sent for a paper of the sources."""
    byline = []
    for author in paper.authors:
        person = people[author.person]
        name = person.name(paper.lang)
        affiliation = affiliation_text(author.affiliation or name, paper.lang)
        byline.append((name.surname, name.given or "", affiliation))
    return Manuscript(
        lang=paper.lang,
        title=paper.title or "",
        byline=byline,
        udc=paper.udc,
        abstract=paper.abstracts_by_lang().get(paper.lang),
        keywords=paper.keywords_by_lang().get(paper.lang, []),
        other_abstracts={k: v for k, v in paper.abstracts_by_lang().items() if k != paper.lang},
        other_keywords={k: v for k, v in paper.keywords_by_lang().items() if k != paper.lang},
        epigraphs=[(e.text, e.attribution) for e in paper.epigraphs],
        body=paper.body,
        references=[(r.number, r.text) for r in paper.references],
        tables={t.id: t for t in paper.tables},
        figures={f.id: f.caption or "" for f in paper.figures},
    )


def write_docx(ms: Manuscript, path: Path) -> Path:
    Writer().write(ms, path)
    return path


__all__ = ["Manuscript", "copy", "from_paper", "write_docx"]
