"""Cross-record checks: do the records of a book agree with each other?

Per-record validation is pydantic's, by the rules of ``model.py``; this module relates records:
ids that must exist, citations that must resolve, files that must be there. Its
findings are data; the package runs each of its checks in isolation.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from proceedings.check.base import Check, Unit, keyword_locations, programme_path
from proceedings.diagnostics import Diagnostic, error, warning
from proceedings.files import resolved
from proceedings.load import display_path
from proceedings.markup import directives
from proceedings.messages import Message, msg, msg_n
from proceedings.model import Paper, Sources, format_loc


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
    where = "sections" if sources.book.sections else "papers"
    for loc, paper_id in sources.book.listed_papers():
        line = sources.line_of(path, *loc)
        if paper_id in first:
            yield error(path, line, msg(
                "paper id '{id}' is listed twice in {where} (first on line {first}); "
                "a paper is printed once: delete this entry", id=paper_id, where=where,
                first=first[paper_id]), "duplicate-paper")
            continue
        first[paper_id] = line
        if paper_id not in folders:
            yield error(path, line, msg(
                "unknown paper id '{id}' in {where}: no folder papers/{id}", id=paper_id, where=where),
                "unknown-paper")
    for paper_id in sorted(folders - set(first)):
        if first:
            yield warning(
                path,
                sources.line_of(path, where),
                msg("paper '{id}' is not listed in sections; it is placed last, in no section: add it to the "
                    "section of book.yaml where it belongs", id=paper_id) if sources.book.sections else
                msg("paper '{id}' is not listed in papers; it is placed last: add it to papers in book.yaml "
                    "where it belongs", id=paper_id),
                "unlisted-paper",
            )
    yield from _check_sections(sources, path)
    for field in ("editors", "editorial_board"):
        for i, person in enumerate(getattr(sources.book, field)):
            if person not in sources.people:
                yield _unknown_person(path, sources.line_of(path, field, i), person, field)


def _check_sections(sources: Sources, path: str) -> Iterator[Diagnostic]:
    book = sources.book
    if book.sections and book.papers:
        yield error(path, sources.line_of(path, "papers"),
                    msg("book.yaml gives both papers and sections: with sections, the papers are printed in "
                        "the sections' order; delete papers"), "papers-and-sections")
    sessions = {} if sources.programme is None else {
        session.id: session for _loc, session in sources.programme.sessions() if session.id}
    for s, section in enumerate(book.sections):
        line = sources.line_of(path, "sections", s)
        if section.session is not None and section.session not in sessions:
            at = sources.line_of(path, "sections", s, "session")
            if sessions:
                yield error(path, at, msg("unknown session id '{id}' in section {n}: the programme's "
                                          "sessions are {known}", id=section.session, n=s + 1,
                                          known=", ".join(sorted(sessions))), "unknown-session")
            else:
                yield error(path, at, msg("unknown session id '{id}' in section {n}: no session of the "
                                          "programme has an id", id=section.session, n=s + 1),
                            "unknown-session")
        elif not section.title and section.session is None:
            yield error(path, line, msg("section {n} has no title: give title: {{{lang}: …}} or the id of "
                                        "its session in the programme (session: <id>)", n=s + 1,
                                        lang=book.languages[0]), "missing-field")
        if not section.papers:
            yield error(path, line, msg("section {n} has no papers: list them (papers: [id, …]) or delete "
                                        "the section", n=s + 1), "missing-field")
    # A section named after a session holds that session's papers: one whose talk is in
    # another session is most likely listed in the wrong section.
    talk_in = {slot.paper: session for session in sessions.values()
               for slot in session.slots if slot.paper}
    for s, section in enumerate(book.sections):
        if section.session not in sessions:
            continue
        for i, paper in enumerate(section.papers):
            other = talk_in.get(paper)
            if other is not None and other.id != section.session:
                yield warning(path, sources.line_of(path, "sections", s, "papers", i),
                              msg("paper '{id}' is in section {n} (session '{session}') but its talk is in "
                                  "session '{other}': move it to that session's section, or give this "
                                  "section a title of its own", id=paper, n=s + 1, session=section.session,
                                  other=other.id), "section-session")


def _check_programme(sources: Sources, root: Path) -> Iterator[Diagnostic]:
    programme = sources.programme
    path = display_path(root / "programme.yaml")
    papers = {p.id for p in sources.papers}
    if programme is not None:
        for lang, header in programme.header.items():
            if header.moderator and header.moderator.person not in sources.people:
                line = sources.line_of(path, "header", lang, "moderator", "person")
                yield _unknown_person(path, line, header.moderator.person, f"header.{lang}.moderator")
        for i, (loc, slot) in enumerate(programme.placed_slots()):
            for j, person in enumerate(slot.people):
                if person not in sources.people:
                    line = sources.line_of(path, *loc, "people", j)
                    yield _unknown_person(path, line, person, msg("slot {n} ({start})", n=i + 1,
                                                                  start=slot.start))
            if slot.paper and slot.paper not in papers:
                yield error(path, sources.line_of(path, *loc, "paper"), msg(
                    "unknown paper id '{id}' in slot {n} ({start})", id=slot.paper, n=i + 1,
                    start=slot.start), "unknown-paper")
        yield from _check_sessions(sources, path)
    if sources.participants and sources.participants.people:
        ppath = display_path(root / "participants.yaml")
        for i, person in enumerate(sources.participants.people):
            if person not in sources.people:
                line = sources.line_of(ppath, "people", i)
                yield _unknown_person(ppath, line, person, "people")


def _check_sessions(sources: Sources, path: str) -> Iterator[Diagnostic]:
    """The days-and-sessions form of the programme: what the book cannot be printed without."""
    programme = sources.programme
    assert programme is not None
    if programme.slots and programme.days:
        yield error(path, sources.line_of(path, "days"),
                    msg("the programme gives both slots and days: put the slots in the days' sessions (or, "
                        "for a programme of one session, delete days)"), "programme-form")
    ids: dict[str, int] = {}
    for n, (loc, session) in enumerate(programme.sessions(), 1):
        for j, person in enumerate(session.chairs):
            if person not in sources.people:
                line = sources.line_of(path, *loc, "chairs", j)
                yield _unknown_person(path, line, person, msg("the chairs of session {n}", n=n))
        if session.id is None:
            continue
        line = sources.line_of(path, *loc, "id")
        if session.id in ids:
            yield error(path, line, msg("session id '{id}' is used twice (first on line {first}): give each "
                                        "session its own", id=session.id, first=ids[session.id]),
                        "duplicate-id")
        ids.setdefault(session.id, line)


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
    yield from _check_front(sources, paper)


# A УДК index: digits first, then the signs of the classification (ГОСТ 7.90-2007).
_UDC_RE = re.compile(r"\d[\d\s.:+/()\[\]=\"'*\-–A-Za-zА-Яа-я]*")
_UDC_LABEL_RE = re.compile(r"(?i)^(УДК|ӘОЖ|UDC|UDK)\b\.?:?\s*")


def _check_front(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    """A paper's УДК, abstracts and keywords, and its corresponding author's e-mail."""
    path = paper.path
    if paper.udc is not None:
        line = sources.line_of(path, "udc")
        label = _UDC_LABEL_RE.match(paper.udc)
        if label:
            yield warning(path, line, msg("udc: write the index alone, '{index}': the book prints the label "
                                          "'{label}' itself", index=paper.udc[label.end():], label=label[1]),
                          "udc")
        elif not _UDC_RE.fullmatch(paper.udc):
            yield warning(path, line, msg("udc: '{udc}' is not a УДК index (digits and the signs of the "
                                          "classification, such as 343.98 or 004.056:343.3): correct it",
                                          udc=paper.udc), "udc")
    # A language the book's locales describe (their labels head the abstract and keywords).
    known = dict.fromkeys([*sources.book.languages, *(p.lang for p in sources.papers), *sources.locales])
    keywords = paper.keywords
    given: list[tuple[tuple[str | int, ...], str, bool]] = [  # key path, language, empty
        (("abstracts", lang), lang, not text) for lang, text in paper.abstracts.items()]
    if paper.abstract is not None and not paper.abstract:
        given.append((("abstract",), paper.lang, True))
    if isinstance(keywords, dict):
        given += [(("keywords", lang), lang, not words) for lang, words in keywords.items()]
    for loc, lang, empty in given:
        line = sources.line_of(path, *loc)
        where = ".".join(str(part) for part in loc)
        if lang not in known:
            yield warning(path, line, msg("{where}: no locale says how to write '{lang}' (the book has "
                                          "{known}): correct the language code, or add its locale file, "
                                          "locales/{lang}.yaml beside book.yaml (docs/locales.md)",
                                          where=where, lang=lang, known=", ".join(known)), "front-language")
        if empty and loc[0] != "keywords":
            yield warning(path, line, msg("{where} is empty: write the abstract or delete the line",
                                          where=where), "empty-front")
        elif empty:
            yield warning(path, line, msg("{where} is empty: write the list of keywords or delete the line",
                                          where=where), "empty-front")
    for loc, keyword in keyword_locations(paper):
        if not keyword:
            yield warning(path, sources.line_of(path, *loc), msg("{where} is an empty keyword: delete it",
                                                                 where=format_loc(loc)), "empty-front")
    others = [lang for lang in [*paper.abstracts_by_lang(), *paper.keywords_by_lang()] if lang != paper.lang]
    if others and paper.lang not in paper.abstracts_by_lang():
        yield warning(path, sources.line_of(path, "abstracts"),
                      msg("the paper has an abstract or keywords in '{other}' but no abstract in '{lang}', "
                          "its own language: add abstract", other=others[0], lang=paper.lang),
                      "front-missing")
    if sources.book.byline.email == "corresponding":
        for i, author in enumerate(paper.authors):
            person = sources.people.get(author.person)
            if author.corresponding and person is not None and not person.email:
                yield warning(path, sources.line_of(path, "authors", i, "corresponding"),
                              msg("{id} is the corresponding author, whose e-mail the byline prints, but "
                                  "people.yaml gives none: add email to the person", id=author.person),
                              "no-email")


def _check_citations(paper: Paper) -> Iterator[Diagnostic]:
    numbers = {r.number for r in paper.references if r.number is not None}
    if paper.citations and not paper.references:
        first = paper.citations[0]
        yield warning(paper.path, first.line, msg_n(
            "the paper cites {n} time, first {first}, but has no reference list",
            "the paper cites {n} times, first {first}, but has no reference list",
            len(paper.citations), first=first.raw), "no-references")
        return
    for citation in paper.citations:
        missing = [n for n in citation.numbers if n not in numbers]
        for n in missing:
            yield warning(paper.path, citation.line, msg(
                "citation {citation} refers to reference {n}, which the list does not have",
                citation=citation.raw, n=n), "citation")


def _check_assets(paper: Paper, root: Path) -> Iterator[Diagnostic]:
    tables = {t.id for t in paper.tables}
    figures = {f.id: f for f in paper.figures}
    for kind, ref, line in directives(paper.body, paper.body_line):
        known = tables if kind == "table" else figures
        if ref not in known:
            text = (msg("unknown table id '{id}': the paper has no table of that id; correct the ::table "
                        "line or add the table", id=ref) if kind == "table"
                    else msg("unknown figure id '{id}': the paper has no figure of that id; correct the "
                             "::figure line or add the figure", id=ref))
            yield error(paper.path, line, text, f"unknown-{kind}")
    folder = Path(paper.path).parent
    for figure in figures.values():
        target = resolved(folder / figure.file)
        if target is None:
            yield error(paper.path, figure.line, msg(
                "figure file '{file}' is a symbolic link that leads back to itself (a loop "
                "of links); put the image itself beside paper.md", file=figure.file), "missing-file")
        # Only files inside the paper's own folder: no scheme, no "..", no symlink out.
        elif "://" in figure.file or not target.is_relative_to(folder.resolve()):
            yield error(paper.path, figure.line, msg(
                "figure file '{file}' is outside the paper's folder; put the image beside paper.md",
                file=figure.file), "refused-url")
        elif not target.is_file():
            yield error(paper.path, figure.line, msg("figure file '{file}' not found beside paper.md",
                                                     file=figure.file), "missing-file")


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
