"""The Markdown dialect of paper bodies: parsing, citations, and HTML segments.

Bodies are CommonMark plus footnotes, language spans (``[text]{lang=en}``),
lettered lists (``а)`` items, or a ``{.alpha}`` line before a ``1)`` list), numeric
citations as printed (``[12, с. 23; 14]``) and the block directives ``::table id``
and ``::figure id``. Raw HTML and Markdown images are switched off: every resource a
paper uses is declared in its front matter.

The HTML made here is the Markdown engine's own output; the parts that are the
book's design (tables, figures) are left as directives for the templates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.footnote import footnote_plugin

from proceedings.model import Citation
from proceedings.typography import MARK, typeset_spaces

__all__ = ["typeset_spaces"]  # the no-break spaces every language shares, for the templates

# A citation as authors print it: a number first, then numbers, ranges and locators.
CITATION_RE = re.compile(r"\[(\d{1,4}(?:[^\[\]\n]{0,120}?))\](?![({])")
_NUMBER_RE = re.compile(r"^\s*(\d{1,4})(?:\s*[-–]\s*(\d{1,4}))?(?=[^\d]|$)")
_DIRECTIVE_RE = re.compile(r"^::(table|figure)[ \t]+([A-Za-z0-9_-]+)[ \t]*$")
_ALPHA_MARK_RE = re.compile(r"^[ \t]*\{\.alpha\}[ \t]*$")
CYRILLIC_LETTERS = "абвгдежзиклмнопрстуфхцчшщэюя"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_LETTER_ITEM_RE = re.compile(
    rf"^([ \t]*)([{CYRILLIC_LETTERS}{LATIN_LETTERS}])\)([ \t]+)", re.IGNORECASE
)
_ALLOWED_ATTRS = {"lang", "class", "start"}
_ALLOWED_CLASSES = {"alpha"}
_SEGMENT_RE = re.compile(r"<!--directive:(table|figure):([A-Za-z0-9_-]+)-->")


def _typography_rule(state: Any) -> None:
    """The typesetter's rules (``env["typography"]``, a function of a paragraph's text;
    by default the no-break spaces every language shares) on each paragraph's text at once:
    a source line's break is a space of the text, each other piece of inline markup
    stands as one ``MARK``, which the rules keep."""
    apply: Callable[[str], str] = state.env.get("typography", typeset_spaces)
    for token in state.tokens:
        if not token.children:
            continue
        children: list[Token] = []
        for child in token.children:  # a source line's break joins the text around it
            if child.type == "softbreak":
                child = Token("text", "", 0, content="\n")
            if child.type == "text" and children and children[-1].type == "text":
                children[-1] = Token("text", "", 0, content=children[-1].content + child.content)
            else:
                children.append(child)
        joined = "".join(c.content if c.type == "text" else MARK for c in children)
        marks = joined.count(MARK)
        if marks != sum(c.type != "text" for c in children):
            continue  # the text has a MARK of its own: left as it is
        set_text = apply(joined)
        if set_text.count(MARK) != marks:
            continue
        pieces = set_text.split(MARK)
        result = [Token("text", "", 0, content=pieces[0])]
        markup = (c for c in children if c.type != "text")
        for piece in pieces[1:]:
            result += [next(markup), Token("text", "", 0, content=piece)]
        result = [c for c in result if c.type != "text" or c.content]
        token.children = result


def citation_numbers(inner: str) -> tuple[int, ...]:
    """The reference numbers a citation's inner text points at: ``7-10; 12`` → 7..10, 12."""
    numbers: list[int] = []
    for part in inner.split(";"):
        match = _NUMBER_RE.match(part)
        if not match:
            continue
        first = int(match[1])
        last = int(match[2]) if match[2] else first
        # "7-10" is a range; "15-127" after a comma never gets here (the locator
        # follows a comma), and an implausible span is read as two numbers.
        if first < last <= first + 50:
            numbers.extend(range(first, last + 1))
        else:
            numbers.extend(dict.fromkeys((first, last)))
    return tuple(numbers)


def find_citations(body: str, first_line: int) -> list[Citation]:
    """Every numeric citation in a body, with its line in the source file."""
    found = []
    for offset, text in enumerate(body.splitlines()):
        for match in CITATION_RE.finditer(text):
            numbers = citation_numbers(match[1])
            if numbers:
                found.append(Citation(raw=match[0], numbers=numbers, line=first_line + offset))
    return found


@dataclass(frozen=True)
class Segment:
    """A piece of a rendered body: engine HTML, or a table/figure for the templates."""

    kind: str  # "html", "table" or "figure"
    html: str = ""
    ref: str = ""


def prepare_source(body: str) -> tuple[str, dict[int, str]]:
    """Turn lettered-list markers into numbered ones; return the lines that start lettered lists.

    Each such line maps to its list's class: ``alpha`` for Cyrillic letters (and a
    ``{.alpha}`` mark), ``latin`` for Latin ones, so the printed marker is the source's.
    Line count is kept, so that token line maps still point into the source file.
    """
    lines = body.split("\n")
    alpha_lines: dict[int, str] = {}
    pending_mark = False
    for i, line in enumerate(lines):
        if _ALPHA_MARK_RE.match(line):
            lines[i] = ""
            pending_mark = True
            continue
        match = _LETTER_ITEM_RE.match(line)
        if match:
            letter = match[2].lower()
            latin = letter not in CYRILLIC_LETTERS
            number = (LATIN_LETTERS if latin else CYRILLIC_LETTERS).index(letter) + 1
            lines[i] = f"{match[1]}{number}){match[3]}{line[match.end() :]}"
            alpha_lines[i] = "latin" if latin else "alpha"
        elif pending_mark and line.strip():
            alpha_lines[i] = "alpha"
        if line.strip():
            pending_mark = False
    return "\n".join(lines), alpha_lines


def _directive_rule(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    pos = state.bMarks[start] + state.tShift[start]
    line = state.src[pos : state.eMarks[start]]
    match = _DIRECTIVE_RE.match(line)
    if not match:
        return False
    if silent:
        return True
    token = state.push("directive", "", 0)
    token.meta = {"kind": match[1], "ref": match[2]}
    token.map = [start, start + 1]
    state.line = start + 1
    return True


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    match = CITATION_RE.match(state.src, state.pos)
    if not match or not citation_numbers(match[1]):
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.content = match[0]
        token.meta = {"numbers": citation_numbers(match[1])}
    state.pos = match.end()
    return True


def _render_citation(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    text = escapeHtml(env.get("typography", str)(token.content))
    numbers = token.meta["numbers"]
    known = env.get("citable", set())
    prefix = env.get("anchor_prefix", "ref")
    # A citation with a number the list lacks is marked (styles/css/book.css), linked
    # still when its first number resolves.
    unresolved = "" if all(n in known for n in numbers) else " unresolved"
    if numbers and numbers[0] in known:
        return f'<a class="cite{unresolved}" href="#{prefix}-{numbers[0]}">{text}</a>'
    return f'<span class="cite unresolved">{text}</span>'


def _render_directive(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    meta = tokens[idx].meta
    return f"<!--directive:{meta['kind']}:{meta['ref']}-->\n"


def _render_footnote_ref(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # WeasyPrint places a footnote where its text stands (float: footnote), so the
    # note's text is rendered at the call instead of in a list at the end.
    # The call's number (``data-call``): the body's footnotes count from 1, as the style's
    # footnote counter does, and the line breaker measures the call by it.
    note_id = tokens[idx].meta["id"]
    inner = env.get("footnote_html", {}).get(note_id, "")
    env["footnote_calls"] = env.get("footnote_calls", 0) + 1
    return f'<span class="footnote" data-call="{env["footnote_calls"]}">{inner}</span>'


def _make_engine() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.use(footnote_plugin).use(attrs_plugin, spans=True).use(attrs_block_plugin)
    md.disable(["image", "html_inline", "html_block"])
    md.block.ruler.before("paragraph", "directive", _directive_rule)
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.core.ruler.push("typography", _typography_rule)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("directive", _render_directive)
    md.add_render_rule("footnote_ref", _render_footnote_ref)
    return md


_ENGINE = _make_engine()


def _sanitize(tokens: list[Token], alpha_lines: dict[int, str]) -> None:
    """Keep only the attributes the book's CSS knows; mark lettered and ")" lists."""
    for token in tokens:
        if token.children:
            _sanitize(token.children, alpha_lines)
        for name in list(token.attrs):
            if name not in _ALLOWED_ATTRS:
                del token.attrs[name]
        if "class" in token.attrs:
            classes = [c for c in str(token.attrs["class"]).split() if c in _ALLOWED_CLASSES]
            if classes:
                token.attrs["class"] = " ".join(classes)
            else:
                del token.attrs["class"]
        if token.type == "ordered_list_open":
            styles = set(str(token.attrs.get("class", "")).split()) - {""}
            if token.map and token.map[0] in alpha_lines:
                styles.add(alpha_lines[token.map[0]])
            styles.add("paren" if token.markup == ")" else "dot")
            token.attrs["class"] = " ".join(sorted(styles))


_LINE_MARKED = {"paragraph_open", "heading_open", "list_item_open", "blockquote_open"}


def _mark_lines(tokens: list[Token], first_line: int) -> None:
    """Give the blocks their source line (after ``_sanitize``, which drops unknown attributes)."""
    for token in tokens:
        if token.type in _LINE_MARKED and token.map and not token.hidden:
            token.attrs["data-line"] = str(first_line + token.map[0])


def _split_footnotes(md: MarkdownIt, tokens: list[Token], env: EnvType) -> list[Token]:
    """Render each footnote's text into env and drop the footnote block from the stream."""
    kept: list[Token] = []
    notes: dict[int, list[Token]] = {}
    current: int | None = None
    for token in tokens:
        if token.type == "footnote_open":
            current = token.meta["id"]
            notes[current] = []
        elif token.type == "footnote_close":
            current = None
        elif current is not None:
            if token.type not in {"paragraph_open", "paragraph_close", "footnote_anchor"}:
                notes[current].append(token)
        elif token.type not in {"footnote_block_open", "footnote_block_close"}:
            kept.append(token)
    env["footnote_html"] = {
        key: md.renderer.render(value, md.options, env).strip() for key, value in notes.items()
    }
    return kept


def _html(source: str, env: dict[str, Any], alpha_lines: dict[int, str],
          first_line: int | None = None) -> str:
    tokens = _ENGINE.parse(source, env)
    _sanitize(tokens, alpha_lines)
    if first_line is not None:
        _mark_lines(tokens, first_line)
    return str(_ENGINE.renderer.render(_split_footnotes(_ENGINE, tokens, env), _ENGINE.options, env))


def render_body(body: str, *, anchor_prefix: str, references: set[int], first_line: int = 1,
                typography: Callable[[str], str] | None = None) -> list[Segment]:
    """Render a paper or resolution body to HTML segments split at its directives.

    Each paragraph, heading, list item and quotation carries ``data-line``, its line in
    the source file (the body begins at ``first_line``): the layout audit reports a
    line laid out badly there. ``typography`` sets each paragraph's text and each
    citation's (``typography.apply`` with the paper language's rules).
    """
    source, alpha_lines = prepare_source(body)
    env: dict[str, Any] = {"anchor_prefix": anchor_prefix, "citable": references}
    if typography is not None:
        env["typography"] = typography
    return split_segments(_html(source, env, alpha_lines, first_line))


def render_inline(text: str, typography: Callable[[str], str] | None = None) -> str:
    """Render a one-paragraph field (an abstract, a caption) without the <p> wrapper."""
    html = _html(text, {"typography": typography} if typography else {}, {}).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html


def split_segments(html: str) -> list[Segment]:
    """Cut engine HTML at directive markers."""
    segments: list[Segment] = []
    pos = 0
    for match in _SEGMENT_RE.finditer(html):
        if html[pos : match.start()].strip():
            segments.append(Segment("html", html[pos : match.start()]))
        segments.append(Segment(match[1], ref=match[2]))
        pos = match.end()
    if html[pos:].strip():
        segments.append(Segment("html", html[pos:]))
    return segments


def directives(body: str, first_line: int) -> list[tuple[str, str, int]]:
    """The ``::table``/``::figure`` directives of a body: (kind, id, line)."""
    found = ((offset, _DIRECTIVE_RE.match(line.strip())) for offset, line in enumerate(body.splitlines()))
    return [(match[1], match[2], first_line + offset) for offset, match in found if match]
