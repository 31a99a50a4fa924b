"""Triage: the findings in the order an editor acts on them.

Every finding falls in one of three tiers, by its code:

- ``printing``: blocks printing: the book cannot go to press as it is (a paper without
  title or author, a citation with no reference, a wrong table total, a placeholder or
  a broken character that would print). Errors are always in this tier.
- ``content``: what the text says (spelling, repeats, missing references, another
  language);
- ``style``: how it is written (quotes, locators, spacing, dashes).

Findings are shown by tier (the command line and the report lead with the first), and
``book.yaml``'s ``strict`` can fail a run on the warnings of chosen tiers. Before they
are shown, findings of one code on neighbouring lines of a file (a paragraph, or
paragraphs one blank line apart: a pasted passage) are grouped into one with a list,
and a finding that only restates another on the same paper is folded into it.
"""

from __future__ import annotations

from collections.abc import Iterable

from proceedings.diagnostics import Diagnostic, Severity
from proceedings.messages import listing, msg, msg_n, translate

TIERS = ("printing", "content", "style")
NAMES = {"printing": msg("blocks printing"), "content": msg("content"), "style": msg("style")}

# Codes that block printing; codes of style; every other code is of content.
PRINTING = frozenset({
    "no-title", "no-author", "citation", "table-totals", "private-use", "control-char",
    "font-coverage", "footnote-orphan", "missing-translation", "missing-file", "image-resolution",
    "private-link", "check-failed", "image-unreadable", "image-too-large",
})
STYLE = frozenset({
    "quotes", "quotes-language", "odd-space", "citation-latin-c", "citation-locator-style",
    "citation-missing-comma", "citation-empty-locator", "citation-punctuation", "reference-style",
    "punctuation-space", "sentence-case", "dash", "glued-year", "percent-style", "word-variants",
    "stray-url", "title-mismatch",
})

# A finding of the first code on a file that also has one of the second says nothing
# new: a paper without an author has no talk in the programme to match.
FOLDED = {"paper-without-talk": "no-author"}

# Lines apart that still count as one passage: a paragraph's lines, or paragraphs with
# one blank line between them.
NEIGHBOURS = 2


def tier(diagnostic: Diagnostic) -> str:
    if diagnostic.severity is Severity.ERROR or diagnostic.code in PRINTING:
        return "printing"
    return "style" if diagnostic.code in STYLE else "content"


def triaged(found: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The findings folded, grouped and ordered by tier, then by file and line."""
    items = sorted(set(found), key=lambda d: (d.path, d.line, d.code, d.message))
    codes_of: dict[str, set[str]] = {}
    for d in items:
        codes_of.setdefault(d.path, set()).add(d.code)
    kept = [d for d in items if FOLDED.get(d.code) not in codes_of.get(d.path, set())]
    grouped = _grouped(kept)
    return sorted(grouped, key=lambda d: (TIERS.index(tier(d)), d.path, d.line, d.code, d.message))


def _grouped(items: list[Diagnostic]) -> list[Diagnostic]:
    runs: dict[tuple[str, str, Severity], list[list[Diagnostic]]] = {}
    out: list[Diagnostic] = []
    for d in items:
        if d.line <= 0:
            out.append(d)
            continue
        key = (d.path, d.code, d.severity)
        same = runs.setdefault(key, [])
        if same and d.line - same[-1][-1].line <= NEIGHBOURS:
            same[-1].append(d)
        else:
            same.append([d])
    for groups in runs.values():
        for group in groups:
            if len(group) < 3:  # two are read as easily apart
                out += group
                continue
            first, last = group[0], group[-1]
            if first.line == last.line:  # one line (a table's row): said once
                listed = listing((d.message for d in group), "; ")
                message = msg_n("{n} finding on line {line}: {listed}",
                                "{n} findings on line {line}: {listed}", len(group), line=first.line,
                                listed=listed)
            else:
                listed = listing((msg("line {line}: {message}", line=d.line, message=d.message)
                                  for d in group), "; ")
                message = msg_n("{n} finding on lines {first}-{last}: {listed}",
                                "{n} findings on lines {first}-{last}: {listed}", len(group),
                                first=first.line, last=last.line, listed=listed)
            out.append(Diagnostic(first.path, first.line, first.severity, message, first.code))
    return out


def counts(found: Iterable[Diagnostic]) -> dict[str, int]:
    """The findings of each tier (notes aside)."""
    result = dict.fromkeys(TIERS, 0)
    for d in found:
        if d.severity is not Severity.NOTE:
            result[tier(d)] += 1
    return result


def failed_tiers(found: Iterable[Diagnostic], strict: Iterable[str]) -> list[str]:
    """The tiers among ``strict`` (book.yaml's) that have a warning: they fail the run."""
    wanted = set(strict)
    return [t for t in TIERS if t in wanted and any(
        d.severity is Severity.WARNING and tier(d) == t for d in found)]


def detail(found: Iterable[Diagnostic], strict: Iterable[str] = ()) -> str:
    """The warnings of each tier, and the strict tiers that fail, for the summary line."""
    items = list(found)
    by_tier = counts(d for d in items if d.severity is Severity.WARNING)
    text = ", ".join(f"{translate(NAMES[t])} {n}" for t, n in by_tier.items() if n)
    failing = failed_tiers(items, strict)
    if failing:
        text += "; " + translate(msg("strict for {tiers}: its warnings are errors",
                                     tiers=listing(NAMES[t] for t in failing)))
    return text
