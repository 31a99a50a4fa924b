"""The check report: every finding as one readable HTML page, ``check-report.html``.

Findings are grouped by paper (with its title and authors) and by code (with a
count and what the code means), each with the source line it points at. The page is
rendered by ``styles/templates/check_report.html.j2`` with autoescape on: every
quoted line is text from the sources and is escaped by Jinja, never here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from proceedings.audit import CODES, Figures, is_layout
from proceedings.diagnostics import Diagnostic, Severity, severity_text
from proceedings.files import PACKAGE_ROOT, write_atomic
from proceedings.load import MAX_SOURCE_BYTES
from proceedings.messages import Message, current, msg, translate, translations
from proceedings.model import Sources
from proceedings.triage import NAMES, tier, triaged
from proceedings.triage import counts as tier_counts

STYLES = PACKAGE_ROOT / "styles"
REPORT_NAME = "check-report.html"
CONTEXT_CHARS = 300

# One line per code: what it means. A code missing here is shown without explanation.
EXPLANATIONS: dict[str, Message] = {
    "author-inferred": msg("an author taken from the programme because the paper prints no byline: to "
                           "confirm"),
    "author-not-in-lists": msg("a paper author is not in the participant lists"),
    "author-not-in-programme": msg("a paper author is not in the programme"),
    "check-failed": msg("a check of the checker itself failed; its findings from there on are missing (a bug "
                        "to report)"),
    "citation": msg("a citation points to a reference the list does not have"),
    "citation-empty-locator": msg("a citation has a comma or page label but no page"),
    "citation-gap": msg("a paper without reference list skips a reference number in its citations"),
    "citation-latin-c": msg("a page locator written with a Latin c instead of the Cyrillic с"),
    "citation-locator-style": msg("one paper writes its page locators in several ways"),
    "citation-missing-comma": msg("a citation lacks the comma between reference number and page"),
    "citation-order": msg("a paper without reference list does not cite its references in order from 1"),
    "citation-punctuation": msg("a full stop or semicolon inside a citation's brackets"),
    "control-char": msg("an invisible control character in the text"),
    "cyrillic-lookalike": msg("a Roman numeral or a Latin abbreviation typed in Cyrillic look-alike letters"),
    "dash": msg("a hyphen where a dash is meant, or a dash where a hyphen is"),
    "day-order": msg("the programme's days are not in order of their dates"),
    "duplicate-id": msg("two records share an id"),
    "duplicate-paragraph": msg("a paragraph repeats another, exactly or nearly"),
    "duplicate-reference": msg("a reference list has the same entry twice"),
    "empty-front": msg("an abstract, a list of keywords or a keyword left empty"),
    "empty-session": msg("a session of the programme without slots, or a day without sessions"),
    "font-coverage": msg("a character the bundled fonts cannot draw"),
    "footnote-orphan": msg("a footnote call or printed mark without footnote text"),
    "foreign-phrase": msg("a phrase in another language inside a paragraph, not marked with lang"),
    "front-language": msg("an abstract or keywords in a language neither the book nor the checker has"),
    "front-missing": msg("abstracts or keywords in other languages but no abstract in the paper's own"),
    "glued-words": msg("two words written without the space between them"),
    "glued-year": msg("a year glued to its abbreviation («2019г.»)"),
    "image-resolution": msg("a raster figure below 300 dpi at its printed size"),
    "image-too-large": msg("a raster figure of more than 40 megapixels, too large to lay out"),
    "image-unreadable": msg("a figure file that cannot be decoded as an image"),
    "language-mismatch": msg("a paragraph in another language than the one declared"),
    "missing-field": msg("a required field is missing"),
    "missing-file": msg("a file the sources refer to is not there"),
    "missing-translation": msg("a field the book prints in every language is missing in one"),
    "mixed-script": msg("a word mixes Latin and Cyrillic look-alike letters"),
    "name-conflict": msg("a person's surname differs between languages beyond Kazakh letters"),
    "no-author": msg("a paper without byline"),
    "no-email": msg("the corresponding author has no e-mail for the byline"),
    "no-references": msg("a paper cites but has no reference list"),
    "no-title": msg("a paper without title"),
    "odd-space": msg("an unusual space, a tab or several spaces in a row"),
    "paper-twice": msg("a paper linked from two talks of the programme"),
    "paper-without-talk": msg("no programme slot links to the paper"),
    "papers-and-sections": msg("book.yaml gives both papers and sections"),
    "percent-style": msg("percentages written with and without a space in one paper"),
    "possible-paper": msg("a talk without paper looks like one of the unlinked papers"),
    "private-link": msg("a link to a file or a private network"),
    "private-use": msg("a private-use character (a font's own symbol, such as a Word bullet)"),
    "programme-form": msg("the programme gives both flat slots and days of sessions"),
    "punctuation-space": msg("no space after a comma, full stop or colon"),
    "quotes": msg("unbalanced or mixed quotation marks"),
    "quotes-language": msg("quotation marks of another language"),
    "rank-conflict": msg("a person holds two ranks in one language"),
    "reference-order": msg("reference numbering or order of first citation is off"),
    "reference-style": msg("a reference entry departs from ГОСТ Р 7.0.100-2018 (URL and access date, page "
                           "abbreviation, //, dashes, year, [Текст])"),
    "refused-url": msg("a file or address outside the sources that the book may not read"),
    "repeated-sentence": msg("a sentence said twice in a paper"),
    "repeated-word": msg("a word repeated in a row"),
    "same-opening": msg("two papers that open with the same passage"),
    "section-session": msg("a paper in the section of one session whose talk is in another session"),
    "sentence-case": msg("a sentence that starts in lowercase"),
    "slot-order": msg("programme times out of order"),
    "spelling": msg("a word the dictionaries do not know"),
    "spelling-unchecked": msg("the spelling dictionaries are not installed"),
    "stray-url": msg("a bare URL in the text"),
    "table-totals": msg("a declared table total does not add up"),
    "talk-without-paper": msg("a programme talk has no paper"),
    "title-mismatch": msg("a talk and its paper have different titles"),
    "too-large": msg("a file or paragraph beyond the size limits"),
    "udc": msg("a paper's УДК that is not an index, or that repeats the label"),
    "uncited-reference": msg("a reference that the text never cites"),
    "unknown-field": msg("a key the format does not know (often a typo)"),
    "unknown-figure": msg("a ::figure line names a figure the paper does not have"),
    "unknown-paper": msg("an id names a paper that does not exist"),
    "unknown-person": msg("an id names a person who is not in people.yaml"),
    "unknown-session": msg("a section of book.yaml names a session the programme does not have"),
    "unknown-table": msg("a ::table line names a table the paper does not have"),
    "unlisted-paper": msg("a paper folder that book.yaml does not list"),
    "word-variants": msg("one word written in several ways in one paper"),
    "wrong-type": msg("a value of the wrong kind"),
    "yaml-syntax": msg("the YAML cannot be read"),
}
EXPLANATIONS.update({code: meaning for code, (_severity, meaning) in CODES.items()})


@dataclass(frozen=True)
class Finding:
    diagnostic: Diagnostic
    context: str  # the source line it points at, or ""
    anchor: str
    message: str = ""  # in the report's language
    severity: str = ""


@dataclass
class Group:
    key: str
    title: str
    subtitle: str = ""
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class CodeGroup:
    code: str
    count: int
    explanation: str  # in the report's language
    findings: list[Finding]


class _Lines:
    """Source lines read once per file, only from inside the sources folder."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None
        self.files: dict[str, list[str]] = {}

    def get(self, path: str, line: int, message: str = "") -> str:
        if line <= 0:
            return ""
        if path not in self.files:
            self.files[path] = self._read(Path(path))
        lines = self.files[path]
        text = lines[line - 1].strip() if line <= len(lines) else ""
        return excerpt(text, message)

    def _read(self, path: Path) -> list[str]:
        try:
            resolved = path.resolve()
            if (self.root is None or not resolved.is_relative_to(self.root) or not resolved.is_file()
                    or resolved.stat().st_size > MAX_SOURCE_BYTES):
                return []
            # The same line split as the loader's: only "\n" ends a line.
            return resolved.read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError:
            return []


def excerpt(text: str, message: str, limit: int = CONTEXT_CHARS) -> str:
    """``text`` cut to ``limit`` characters around what ``message`` quotes from it, if it does."""
    if len(text) <= limit:
        return text
    start = 0
    # A long line is one paragraph: show the part the finding is about, found through
    # the words or citation the message quotes.
    for quoted in re.findall(r"'([^']{3,})'|(\[[^\]]{1,40}\])", message):
        needle = (quoted[0] or quoted[1]).rstrip("…")
        at = text.find(needle)
        if at >= 0:
            start = max(0, min(at - limit // 3, len(text) - limit))
            break
    cut = text[start : start + limit]
    return ("…" if start else "") + cut + ("…" if start + limit < len(text) else "")


def report_html(
    diagnostics: Iterable[Diagnostic],
    sources: Sources | None,
    *,
    root: Path | None = None,
    styles: Path = STYLES,
    figures: list[Figures] | None = None,
    lang: str | None = None,
) -> str:
    """The report page for ``diagnostics``; ``sources`` (when loaded) names the papers;
    ``figures``, the layout audit's paragraph figures of a built book. The findings that
    block printing lead, in a section of their own. In ``lang`` (default: the run's)."""
    lang = lang or current()
    found = list(diagnostics)
    items = sorted(triaged(found), key=lambda d: (d.path, d.line, d.code, d.message))
    if root is None and sources is not None:
        root = Path(sources.root)
    lines = _Lines(root)
    findings = [Finding(d, lines.get(d.path, d.line, d.message), f"f{i}", d.text(lang),
                        severity_text(d.severity, lang)) for i, d in enumerate(items, 1)]
    papers, others = _by_paper(findings, sources)
    counts = Counter(d.code for d in items)
    by_code = [CodeGroup(code, counts[code], translate(EXPLANATIONS.get(code, ""), lang),
                         [f for f in findings if f.diagnostic.code == code]) for code in sorted(counts)]
    layout = [group for group in by_code if is_layout(group.findings[0].diagnostic)]
    severities = Counter(d.severity for d in items)
    env = Environment(loader=FileSystemLoader(styles / "templates"), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True, extensions=["jinja2.ext.i18n"])
    # The template's own words, marked with _() and ngettext(), from the same catalogues.
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    template = env.get_template("check_report.html.j2")
    return template.render(
        lang=lang,
        blocking=[f for f in findings if tier(f.diagnostic) == "printing"],
        tiers=[(translate(NAMES[name], lang), count) for name, count in tier_counts(found).items()],
        papers=papers, others=others, by_code=by_code, total=len(items), errors=severities[Severity.ERROR],
        warnings=severities[Severity.WARNING], notes=severities[Severity.NOTE], layout=layout,
        figures=[f.row() for f in figures or []], root=str(root) if root is not None else "",
    )


def _by_paper(findings: list[Finding], sources: Sources | None) -> tuple[list[Group], list[Group]]:
    groups: dict[str, Group] = {}
    papers: list[Group] = []
    if sources is not None:
        for paper in sources.ordered_papers():
            authors = [sources.people[a.person].name(paper.lang).full
                       for a in paper.authors if a.person in sources.people]
            group = Group(paper.id, paper.title or translate(msg("(no title)")), ", ".join(authors))
            groups[paper.path] = group
            papers.append(group)
    others: dict[str, Group] = {}
    for finding in findings:
        path = finding.diagnostic.path
        group = groups.get(path) or others.setdefault(path, Group(path, path))
        group.findings.append(finding)
    return [g for g in papers if g.findings], list(others.values())


def write_report(out: Path, diagnostics: Iterable[Diagnostic], sources: Sources | None, *,
                 root: Path | None = None, figures: list[Figures] | None = None) -> Path:
    """Write ``out/check-report.html`` atomically, in the run's language, and return its path."""
    target = out / REPORT_NAME
    page = report_html(diagnostics, sources, root=root, figures=figures)
    write_atomic(target, page.encode("utf-8"))
    return target
