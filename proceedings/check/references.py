"""Reference entries against the book's bibliographic style, ГОСТ Р 7.0.100-2018.

``reference-style``: what an editor checks in a reference list of a Kazakh or Russian
paper without having to know the work cited, so that a well-formed entry of any
common type (book, article, law, web page, dissertation) gives nothing:

- an online address without ``URL:`` before it, or without the access date
  ``(дата обращения: ДД.ММ.ГГГГ)`` (ГОСТ Р 7.0.108-2022); ``doi.org`` links are
  identifiers, not addresses to visit, and are left alone;
- a page abbreviation written with a Latin ``c``/``C`` or as ``стр.``;
- an article (an issue ``– № 3`` or ``– Вып. 2``) without ``//`` before its journal;
- areas separated by a hyphen ``. - `` instead of the dash ``. – `` (en or em dash);
- no year of publication (an online resource is dated by its access date instead);
- the general material designation ``[Текст]``, ``[Электронный ресурс]``, which the
  2018 standard dropped: a note, since ГОСТ 7.1-2003, which still required it, is
  what many authors learnt and the entry is otherwise correct.

The findings of an entry make one line. A departure that at least ``LIST_WIDE``
entries of one list share is said once for the list, at its first entry, so that a
list typed consistently in an older style does not bury the other findings.
English papers follow other conventions and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, digest, quote
from proceedings.diagnostics import Diagnostic, Severity, note, warning
from proceedings.messages import Message, listing, msg, msg_n

if TYPE_CHECKING:
    from proceedings.model import Paper, Reference, Sources

CODE = "reference-style"
STANDARD = "ГОСТ Р 7.0.100-2018"
LANGUAGES = frozenset({"ru", "kk"})
# A departure shared by this many entries of a list is reported once for the list.
LIST_WIDE = 3

_URL_RE = re.compile(r"(?:https?|ftp)://[^\s<>«»\"]+|(?<![\w./@])www\.[^\s<>«»\"]+", re.IGNORECASE)
_DOI_HOST_RE = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/", re.IGNORECASE)
_URL_LABEL_RE = re.compile(r"URL\s*:\s*$")
_OLD_LABEL_RE = re.compile(r"Режим\s+доступа", re.IGNORECASE)
# The label of the access date in Russian, in Kazakh, and the forms seen in print.
_ACCESS_RE = re.compile(
    r"(?:дата\s+(?:обращения|доступа|посещения)|(?:қаралған|жүгінген|жүгіну|кірген|кіру)\s+"
    r"(?:күні|уақыты))\s*:?\s*([^)]*)",
    re.IGNORECASE,
)
_DATE_RE = re.compile(r"\s*(\d{2})\.(\d{2})\.(\d{4})(?!\d)")
# Page abbreviations: a Latin c before a page number (``– C. 12``) or after a page
# count (``250 c.``), and ``стр.``, which the standard does not use.
_LATIN_PAGE_RE = re.compile(r"(?<![\w.])[cC]\.\s?\d+(?:\s?[-–—]\s?\d+)?|(?<![\w.])\d+\s?c\.(?!\w)")
_STR_RE = re.compile(r"(?<!\w)[Сс]тр\.\s?\d*(?:\s?[-–—]\s?\d+)?")
# An issue as an article gives it: after an area dash, a year or a volume.
# ``Закон … от 27.07.2006 № 149-ФЗ`` has none of these before its number.
_ISSUE_RE = re.compile(r"(?:[–—-]\s*|(?<!\d)\d{4}\s*[.,]\s*|\bТ\.\s*\d+\s*,\s*)(№\s*\d+|[Вв]ып\.\s*\d+)")
_IN_SOURCE_RE = re.compile(r"(?<![:/])//")
# A page count (``– 200 с.``) describes a whole publication, such as an issue of a
# series described as a book (``– Вып. 5. – 200 с.``): no article, no ``//`` needed.
_PAGE_COUNT_RE = re.compile(r"(?<![\w.–—-])\d+\s?[сcбp]\.(?!\w)")
# Without spaces only after a word, not an initial: ``Сартр Ж.-П.`` is Jean-Paul.
_HYPHEN_AREA_RE = re.compile(r"[.\])](?: +-{1,2} *| *-{1,2} +)(?=\S)|(?<=\w\w)\.-{1,2}(?=\s*[^\W_])")
_YEAR_RE = re.compile(r"(?<!\d)(?:1[5-9]\d\d|20\d\d)(?!\d)")
# «б. г.» / «s. a.»: the author says the work has no year. An archival reference
# (``Ф. 1. Оп. 2. Д. 3``) and a repeated one (``Там же``, ``Указ. соч.``) have none either.
_NO_YEAR_MARK_RE = re.compile(
    r"б\.\s?г\.|б\.\s?ж\.|s\.\s?a\.|\bОп\.\s?\d|^\s*(?:Там\s+же|Бұл\s+да\s+сонда|Сонда|Ibid)\b|"
    r"Указ\.\s?соч\.|Op\.\s?cit\.",
    re.IGNORECASE,
)
_GMD_RE = re.compile(
    r"\[\s*(?:Текст|Электронный\s+ресурс|Электрондық\s+ресурс|Мәтін|Text|Electronic\s+resource)\s*\]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Problem:
    """One departure of an entry from the style: what is wrong, how to fix it."""

    kind: str
    severity: Severity
    text: str


def _urls(text: str) -> list[re.Match[str]]:
    return [m for m in _URL_RE.finditer(text) if not _DOI_HOST_RE.match(m[0])]


def _url_text(match: re.Match[str]) -> str:
    return match[0].rstrip(".,;:)]»")


def _snippet(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with the rest of the words it touches, as the author typed them."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return quote(text[start:end], 40)


def entry_problems(text: str, lang: str) -> list[Problem]:
    """The departures of one entry from the style, in a fixed order; [] for a good one."""
    problems: list[Problem] = []
    urls = _urls(text)
    # Addresses are not prose: their dots, hyphens and digits are not looked at below.
    plain = _URL_RE.sub(" ", text)
    for url in urls:
        if _URL_LABEL_RE.search(text[max(0, url.start() - 12) : url.start()]):
            continue
        address = quote(_url_text(url), 45)
        if _OLD_LABEL_RE.search(text[: url.start()]):
            fix = msg("'Режим доступа:' is the old form: write '– URL: {address}'", address=address)
        else:
            fix = msg("the address '{address}' has no 'URL:' before it: write '– URL: {address}'",
                      address=address)
        problems.append(Problem("url-label", Severity.WARNING, fix))
        break
    if urls:
        label = "қаралған күні" if lang == "kk" else "дата обращения"
        access = _ACCESS_RE.search(text)
        if access is None:
            problems.append(Problem("access-date", Severity.WARNING, msg(
                "the online resource has no access date: add '({label}: ДД.ММ.ГГГГ)' after the "
                "address", label=label)))
        elif not _valid_date(access[1]):
            problems.append(Problem("access-date", Severity.WARNING, msg(
                "the access date '{date}' is not a date written ДД.ММ.ГГГГ: write e.g. '({label}: "
                "12.03.2024)'", date=quote(access[1].strip(), 30), label=label)))
    pages = [m[0] for m in _LATIN_PAGE_RE.finditer(plain)] + [m[0] for m in _STR_RE.finditer(plain)]
    if pages:
        problems.append(Problem("page-abbreviation", Severity.WARNING, msg(
            "the pages are written '{pages}': use the Cyrillic 'С. 12–20' before page numbers and "
            "'с.' after a page count ('250 с.')", pages=pages[0])))
    issue = _ISSUE_RE.search(plain)
    if issue and not _IN_SOURCE_RE.search(plain) and not _PAGE_COUNT_RE.search(plain):
        problems.append(Problem("article-separator", Severity.WARNING, msg(
            "an article (issue '{issue}') needs '//' between its own title and the journal or "
            "collection: 'Title // Journal. – 2020. – № 3. – С. 12–20.'", issue=issue[1])))
    hyphen = _HYPHEN_AREA_RE.search(plain)
    if hyphen:
        problems.append(Problem("hyphen-separator", Severity.WARNING, msg(
            "the areas are separated by a hyphen ('{shown}'): use a dash, '. – '",
            shown=_snippet(plain, hyphen.start(), hyphen.end()))))
    if not urls and not _YEAR_RE.search(plain) and not _NO_YEAR_MARK_RE.search(plain):
        problems.append(Problem("no-year", Severity.WARNING, msg(
            "there is no year of publication: add it after the publisher, '– Алматы, 2020.'")))
    designations = list(dict.fromkeys(" ".join(m[0].split()) for m in _GMD_RE.finditer(text)))
    if designations:
        named = ", ".join(f"'{d}'" for d in designations)
        problems.append(Problem("material-designation", Severity.NOTE, msg_n(
            "{named} is a general material designation, which the 2018 standard dropped: delete it",
            "{named} are general material designations, which the 2018 standard dropped: delete "
            "them", len(designations), named=named)))
    return problems


def _valid_date(text: str) -> bool:
    match = _DATE_RE.match(text)
    if match is None:
        return False
    day, month, year = int(match[1]), int(match[2]), int(match[3])
    return 1 <= day <= 31 and 1 <= month <= 12 and 1990 <= year <= 2100


def _label(ref: Reference) -> Message:
    if ref.number is None:
        return msg("the unnumbered reference at line {line}", line=ref.line)
    return msg("reference {n}", n=ref.number)


def entry_labels(refs: Sequence[Reference]) -> str | Message:
    """``1–16, 18 and the unnumbered one at line 40``: the entries a list-wide line names."""
    runs: list[list[int]] = []
    for n in (r.number for r in refs if r.number is not None):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts: list[str | Message] = [str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs]
    unnumbered = [r.line for r in refs if r.number is None]
    if len(unnumbered) == 1:
        parts.append(msg("the unnumbered one at line {line}", line=unnumbered[0]))
    elif unnumbered:
        parts.append(msg("the unnumbered ones at lines {lines}", lines=", ".join(map(str, unnumbered))))
    if len(parts) == 1:
        return parts[0]
    return msg("{items} and {last}", items=listing(parts[:-1]), last=parts[-1])


def _finding(path: str, line: int, severity: Severity, message: Message) -> Diagnostic:
    make = note if severity is Severity.NOTE else warning
    return make(path, line, message, CODE)


def _check_paper(paper: Paper) -> Iterator[Diagnostic]:
    found = [(ref, entry_problems(ref.text, paper.lang)) for ref in paper.references]
    by_kind: dict[str, list[tuple[Reference, Problem]]] = {}
    for ref, problems in found:
        for problem in problems:
            by_kind.setdefault(problem.kind, []).append((ref, problem))
    list_wide = [kind for kind, hits in by_kind.items() if len(hits) >= LIST_WIDE]
    for kind in list_wide:
        hits = by_kind[kind]
        first, problem = hits[0]
        yield _finding(paper.path, first.line, problem.severity, msg(
            "references {labels} ({n} entries) depart from the book's reference style ({standard}) the "
            "same way, as in {first}: {problem}", labels=entry_labels([ref for ref, _ in hits]),
            n=len(hits), standard=STANDARD, first=_label(first), problem=problem.text))
    for ref, problems in found:
        own = [p for p in problems if p.kind not in list_wide]
        if not own:
            continue
        severity = Severity.WARNING if any(p.severity is Severity.WARNING for p in own) else Severity.NOTE
        yield _finding(paper.path, ref.line, severity, msg(
            "{label} '{text}' departs from the book's reference style ({standard}): {problems}",
            label=_label(ref), text=quote(ref.text, 50), standard=STANDARD,
            problems=listing((p.text for p in own), "; ")))


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [
        Check(CODE, paper.path, partial(_check_paper, paper), digest(paper))
        for paper in sources.papers
        if paper.lang in LANGUAGES and paper.references
    ]
