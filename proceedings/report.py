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
from proceedings.diagnostics import Diagnostic, Severity
from proceedings.files import write_atomic
from proceedings.load import MAX_SOURCE_BYTES
from proceedings.model import Sources
from proceedings.triage import NAMES, tier, triaged
from proceedings.triage import counts as tier_counts

STYLES = Path(__file__).resolve().parent.parent / "styles"
REPORT_NAME = "check-report.html"
CONTEXT_CHARS = 300

# One line per code: what it means. A code missing here is shown without explanation.
EXPLANATIONS = {
    "author-inferred": "an author taken from the programme because the paper prints no byline: to confirm",
    "author-not-in-lists": "a paper author is not in the participant lists",
    "author-not-in-programme": "a paper author is not in the programme",
    "check-failed": "a check of the checker itself failed; its findings from there on are missing "
                    "(a bug to report)",
    "citation": "a citation points to a reference the list does not have",
    "citation-empty-locator": "a citation has a comma or page label but no page",
    "citation-gap": "a paper without reference list skips a reference number in its citations",
    "citation-latin-c": "a page locator written with a Latin c instead of the Cyrillic с",
    "citation-locator-style": "one paper writes its page locators in several ways",
    "citation-missing-comma": "a citation lacks the comma between reference number and page",
    "citation-order": "a paper without reference list does not cite its references in order from 1",
    "citation-punctuation": "a full stop or semicolon inside a citation's brackets",
    "control-char": "an invisible control character in the text",
    "cyrillic-lookalike": "a Roman numeral or a Latin abbreviation typed in Cyrillic look-alike letters",
    "day-order": "the programme's days are not in order of their dates",
    "dash": "a hyphen where a dash is meant, or a dash where a hyphen is",
    "duplicate-id": "two records share an id",
    "duplicate-paragraph": "a paragraph repeats another, exactly or nearly",
    "duplicate-reference": "a reference list has the same entry twice",
    "empty-session": "a session of the programme without slots, or a day without sessions",
    "empty-front": "an abstract, a list of keywords or a keyword left empty",
    "font-coverage": "a character the bundled fonts cannot draw",
    "footnote-orphan": "a footnote call or printed mark without footnote text",
    "foreign-phrase": "a phrase in another language inside a paragraph, not marked with lang",
    "front-language": "an abstract or keywords in a language neither the book nor the checker has",
    "front-missing": "abstracts or keywords in other languages but no abstract in the paper's own",
    "glued-words": "two words written without the space between them",
    "glued-year": "a year glued to its abbreviation («2019г.»)",
    "image-resolution": "a raster figure below 300 dpi at its printed size",
    "image-too-large": "a raster figure of more than 40 megapixels, too large to lay out",
    "image-unreadable": "a figure file that cannot be decoded as an image",
    "language-mismatch": "a paragraph in another language than the one declared",
    "missing-field": "a required field is missing",
    "missing-file": "a file the sources refer to is not there",
    "missing-translation": "a field the book prints in every language is missing in one",
    "mixed-script": "a word mixes Latin and Cyrillic look-alike letters",
    "name-conflict": "a person's surname differs between languages beyond Kazakh letters",
    "no-author": "a paper without byline",
    "no-email": "the corresponding author has no e-mail for the byline",
    "no-references": "a paper cites but has no reference list",
    "no-title": "a paper without title",
    "odd-space": "an unusual space, a tab or several spaces in a row",
    "papers-and-sections": "book.yaml gives both papers and sections",
    "paper-without-talk": "no programme slot links to the paper",
    "paper-twice": "a paper linked from two talks of the programme",
    "percent-style": "percentages written with and without a space in one paper",
    "possible-paper": "a talk without paper looks like one of the unlinked papers",
    "programme-form": "the programme gives both flat slots and days of sessions",
    "private-link": "a link to a file or a private network",
    "private-use": "a private-use character (a font's own symbol, such as a Word bullet)",
    "punctuation-space": "no space after a comma, full stop or colon",
    "quotes": "unbalanced or mixed quotation marks",
    "quotes-language": "quotation marks of another language",
    "rank-conflict": "a person holds two ranks in one language",
    "reference-order": "reference numbering or order of first citation is off",
    "reference-style": "a reference entry departs from ГОСТ Р 7.0.100-2018 (URL and access date, "
    "page abbreviation, //, dashes, year, [Текст])",
    "refused-url": "a file or address outside the sources that the book may not read",
    "repeated-sentence": "a sentence said twice in a paper",
    "repeated-word": "a word repeated in a row",
    "same-opening": "two papers that open with the same passage",
    "section-session": "a paper in the section of one session whose talk is in another session",
    "sentence-case": "a sentence that starts in lowercase",
    "slot-order": "programme times out of order",
    "spelling": "a word the dictionaries do not know",
    "spelling-unchecked": "the spelling dictionaries are not installed",
    "stray-url": "a bare URL in the text",
    "table-totals": "a declared table total does not add up",
    "talk-without-paper": "a programme talk has no paper",
    "title-mismatch": "a talk and its paper have different titles",
    "too-large": "a file or paragraph beyond the size limits",
    "udc": "a paper's УДК that is not an index, or that repeats the label",
    "uncited-reference": "a reference that the text never cites",
    "unknown-field": "a key the format does not know (often a typo)",
    "unknown-figure": "a ::figure line names a figure the paper does not have",
    "unknown-paper": "an id names a paper that does not exist",
    "unknown-session": "a section of book.yaml names a session the programme does not have",
    "unknown-person": "an id names a person who is not in people.yaml",
    "unknown-table": "a ::table line names a table the paper does not have",
    "unlisted-paper": "a paper folder that book.yaml does not list",
    "word-variants": "one word written in several ways in one paper",
    "wrong-type": "a value of the wrong kind",
    "yaml-syntax": "the YAML cannot be read",
}
EXPLANATIONS.update({code: meaning for code, (_severity, meaning) in CODES.items()})


@dataclass(frozen=True)
class Finding:
    diagnostic: Diagnostic
    context: str  # the source line it points at, or ""
    anchor: str


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
    explanation: str
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
) -> str:
    """The report page for ``diagnostics``; ``sources`` (when loaded) names the papers;
    ``figures``, the layout audit's paragraph figures of a built book. The findings that
    block printing lead, in a section of their own."""
    found = list(diagnostics)
    items = sorted(triaged(found), key=lambda d: (d.path, d.line, d.code, d.message))
    if root is None and sources is not None:
        root = Path(sources.root)
    lines = _Lines(root)
    findings = [Finding(d, lines.get(d.path, d.line, d.message), f"f{i}") for i, d in enumerate(items, 1)]
    papers, others = _by_paper(findings, sources)
    counts = Counter(d.code for d in items)
    by_code = [CodeGroup(code, counts[code], EXPLANATIONS.get(code, ""),
                         [f for f in findings if f.diagnostic.code == code]) for code in sorted(counts)]
    layout = [group for group in by_code if is_layout(group.findings[0].diagnostic)]
    severities = Counter(d.severity for d in items)
    env = Environment(loader=FileSystemLoader(styles / "templates"), autoescape=True,
                      undefined=StrictUndefined, keep_trailing_newline=True)
    template = env.get_template("check_report.html.j2")
    return template.render(
        blocking=[f for f in findings if tier(f.diagnostic) == "printing"],
        tiers=[(NAMES[name], count) for name, count in tier_counts(found).items()],  # as the summary line
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
            group = Group(paper.id, paper.title or "(no title)", ", ".join(authors))
            groups[paper.path] = group
            papers.append(group)
    others: dict[str, Group] = {}
    for finding in findings:
        path = finding.diagnostic.path
        group = groups.get(path) or others.setdefault(path, Group(path, path))
        group.findings.append(finding)
    return [g for g in papers if g.findings], list(others.values())


def write_report(
    out: Path, diagnostics: Iterable[Diagnostic], sources: Sources | None, *, root: Path | None = None,
    figures: list[Figures] | None = None,
) -> Path:
    """Write ``out/check-report.html`` atomically and return its path."""
    target = out / REPORT_NAME
    write_atomic(target, report_html(diagnostics, sources, root=root, figures=figures).encode("utf-8"))
    return target
