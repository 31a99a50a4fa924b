"""Cross-record checks: do the records of a book agree with each other?

Per-record validation is pydantic's job in ``load.py``; this module relates records:
ids that must exist, citations that must resolve, files that must be there. Its
findings are data; the package runs each of its checks in isolation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from proceedings.check.base import Check, Unit, programme_path
from proceedings.diagnostics import Diagnostic, error, warning
from proceedings.files import resolved
from proceedings.load import display_path
from proceedings.markup import directives
from proceedings.messages import Message, msg, msg_n
from proceedings.model import Paper, Sources


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    root = Path(sources.root)
    found = [
        Check("book", display_path(root / "book.yaml"), lambda: _check_book(sources, root)),
        Check("programme-ids", programme_path(sources), lambda: _check_programme(sources, root)),
    ]
    # Each aspect of a paper is a check of its own: one that fails hides no other's errors.
    for paper in sources.papers:
        found += [
            Check("paper", paper.path, partial(_check_paper, sources, paper)),
            Check("paper-citations", paper.path, partial(_check_citations, paper)),
            Check("paper-assets", paper.path, partial(_check_assets, paper, root)),
            Check("paper-files", paper.path, partial(_check_readable, paper)),
        ]
    return found


def _unknown_person(path: str, line: int, person: str, where: str | Message) -> Diagnostic:
    return error(path, line, msg("unknown person id '{id}' in {where}: add the person to people.yaml or "
                                 "correct the id", id=person, where=where), "unknown-person")


def _check_book(sources: Sources, root: Path) -> Iterator[Diagnostic]:
    path = display_path(root / "book.yaml")
    folders = {p.id for p in sources.papers}
    first: dict[str, int] = {}  # paper id → the line it is first listed on
    for i, paper_id in enumerate(sources.book.papers):
        line = sources.line_of(path, "papers", i)
        if paper_id in first:
            yield error(
                path,
                line,
                msg("paper id '{id}' is listed twice in papers (first on line {first}); "
                    "a paper is printed once: delete this entry", id=paper_id, first=first[paper_id]),
                "duplicate-paper",
            )
            continue
        first[paper_id] = line
        if paper_id not in folders:
            yield error(
                path,
                line,
                msg("unknown paper id '{id}' in papers: no folder papers/{id}", id=paper_id),
                "unknown-paper",
            )
    for paper_id in sorted(folders - set(sources.book.papers)):
        if sources.book.papers:
            yield warning(
                path,
                sources.line_of(path, "papers"),
                msg("paper '{id}' is not listed in papers; it is placed last: add it to papers in book.yaml "
                    "where it belongs", id=paper_id),
                "unlisted-paper",
            )
    for field in ("editors", "editorial_board"):
        for i, person in enumerate(getattr(sources.book, field)):
            if person not in sources.people:
                yield _unknown_person(path, sources.line_of(path, field, i), person, field)


def _check_programme(sources: Sources, root: Path) -> Iterator[Diagnostic]:
    programme = sources.programme
    path = display_path(root / "programme.yaml")
    papers = {p.id for p in sources.papers}
    if programme is not None:
        for lang, header in programme.header.items():
            if header.moderator and header.moderator.person not in sources.people:
                line = sources.line_of(path, "header", lang, "moderator", "person")
                yield _unknown_person(path, line, header.moderator.person, f"header.{lang}.moderator")
        for i, slot in enumerate(programme.slots):
            for j, person in enumerate(slot.people):
                if person not in sources.people:
                    line = sources.line_of(path, "slots", i, "people", j)
                    yield _unknown_person(path, line, person, msg("slot {n} ({start})", n=i + 1,
                                                                  start=slot.start))
            if slot.paper and slot.paper not in papers:
                yield error(
                    path, sources.line_of(path, "slots", i, "paper"),
                    msg("unknown paper id '{id}' in slot {n} ({start})", id=slot.paper, n=i + 1,
                        start=slot.start),
                    "unknown-paper",
                )
    if sources.participants and sources.participants.people:
        ppath = display_path(root / "participants.yaml")
        for i, person in enumerate(sources.participants.people):
            if person not in sources.people:
                line = sources.line_of(ppath, "people", i)
                yield _unknown_person(ppath, line, person, "people")


def _check_paper(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    for i, author in enumerate(paper.authors):
        if author.person not in sources.people:
            line = sources.line_of(paper.path, "authors", i, "person")
            yield _unknown_person(paper.path, line, author.person, "authors")
    if not paper.authors:
        yield warning(paper.path, 1, msg("the paper has no author (no byline): add authors: to its front "
                                         "matter, each with a person: from people.yaml"), "no-author")
    if not paper.title:
        yield warning(paper.path, 1, msg("the paper has no title: add title: to its front matter"),
                      "no-title")


def _check_citations(paper: Paper) -> Iterator[Diagnostic]:
    numbers = {r.number for r in paper.references if r.number is not None}
    if paper.citations and not paper.references:
        first = paper.citations[0]
        yield warning(
            paper.path, first.line,
            msg_n("the paper cites {n} time, first {first}, but has no reference list",
                  "the paper cites {n} times, first {first}, but has no reference list",
                  len(paper.citations), first=first.raw),
            "no-references",
        )
        return
    for citation in paper.citations:
        missing = [n for n in citation.numbers if n not in numbers]
        for n in missing:
            yield warning(
                paper.path, citation.line,
                msg("citation {citation} refers to reference {n}, which the list does not have",
                    citation=citation.raw, n=n),
                "citation",
            )


def _check_assets(paper: Paper, root: Path) -> Iterator[Diagnostic]:
    tables = {t.id for t in paper.tables}
    figures = {f.id: f for f in paper.figures}
    for kind, ref, line in directives(paper.body, paper.body_line):
        known = tables if kind == "table" else figures
        if ref not in known:
            text = (msg("unknown table id '{id}': the paper has no table of that id; correct the ::table "
                        "line "
                        "or add the table", id=ref) if kind == "table"
                    else msg("unknown figure id '{id}': the paper has no figure of that id; correct the "
                             "::figure line or add the figure", id=ref))
            yield error(paper.path, line, text, f"unknown-{kind}")
    folder = Path(paper.path).parent
    for figure in figures.values():
        target = resolved(folder / figure.file)
        if target is None:
            yield error(
                paper.path, figure.line,
                msg("figure file '{file}' is a symbolic link that leads back to itself (a loop "
                    "of links); put the image itself beside paper.md", file=figure.file),
                "missing-file",
            )
        # Only files inside the paper's own folder: no scheme, no "..", no symlink out.
        elif "://" in figure.file or not target.is_relative_to(folder.resolve()):
            yield error(
                paper.path, figure.line,
                msg("figure file '{file}' is outside the paper's folder; put the image beside paper.md",
                    file=figure.file),
                "refused-url",
            )
        elif not target.is_file():
            yield error(
                paper.path, figure.line, msg("figure file '{file}' not found beside paper.md",
                                             file=figure.file),
                "missing-file",
            )


def _check_readable(paper: Paper) -> Iterator[Diagnostic]:
    """Every file and folder in a paper's folder can be read: the build reads them all
    (a figure may be anywhere there, and the cache hashes what the layout may fetch)."""
    problems: list[OSError] = []
    for here, _dirs, names in os.walk(Path(paper.path).parent, onerror=problems.append):
        for name in names:
            path = Path(here, name)
            try:
                if path.is_file():  # not a pipe or a device, which opening could block on
                    with path.open("rb"):
                        pass
            except OSError as exc:
                problems.append(exc)
    for problem in problems:
        where = display_path(Path(problem.filename)) if problem.filename else paper.path
        yield error(where, 0, msg("cannot read: {reason}; the build reads every file in a paper's folder: "
                                  "make it readable, or move it out of the sources",
                                  reason=str(problem.strerror)), "io")
