"""The programme against the papers: times in order, every talk with its paper, same titles."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from proceedings.check.base import Check, Unit, programme_path, quote
from proceedings.diagnostics import Diagnostic, note, warning
from proceedings.messages import Message, msg

if TYPE_CHECKING:
    from proceedings.model import Loc, Paper, Sources


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    return [Check("programme", programme_path(sources), lambda: _check_programme(sources))]


_QUOTES_RE = re.compile(r"[«»“”„\"'‘’]")


def normalise_title(text: str) -> str:
    """A title for comparison: case, spaces, quote marks and a final period ignored."""
    text = _QUOTES_RE.sub('"', text.casefold())
    return " ".join(text.split()).rstrip(" .")


def _minutes(clock: str) -> int:
    hours, _, minutes = clock.partition(":")
    return int(hours) * 60 + int(minutes)


def _check_programme(sources: Sources) -> Iterator[Diagnostic]:
    programme = sources.programme
    if programme is None:
        return
    path = programme_path(sources)
    papers = {p.id: p for p in sources.papers}
    linked = {slot.paper for slot in programme.all_slots() if slot.paper is not None}
    previous_end: tuple[int, str] | None = None
    session: Loc = ()
    for i, (loc, slot) in enumerate(programme.placed_slots()):
        line = sources.line_of(path, *loc)
        if loc[:-2] != session:  # times run in order within a session; parallel ones overlap
            session, previous_end = loc[:-2], None
        start, end = _minutes(slot.start), _minutes(slot.end)
        if end < start:
            yield warning(path, sources.line_of(path, *loc, "end"), msg(
                "slot {n} ends at {end}, before it starts at {start}: fix the times", n=i + 1,
                end=slot.end, start=slot.start), "slot-order")
        if previous_end is not None and start < previous_end[0]:
            yield warning(path, sources.line_of(path, *loc, "start"), msg(
                "slot {n} starts at {start}, before the previous slot ends at {end}: fix the times or "
                "the order", n=i + 1, start=slot.start, end=previous_end[1]), "slot-order")
        previous_end = (end, slot.end)
        if slot.role != "talk" or not slot.in_volume:
            continue
        if slot.paper is None:
            title = next(iter(slot.title.values()), "")
            yield warning(path, line, msg(
                "talk {n} ({start}) '{title}' has no paper: link it with 'paper: <id>' or mark it "
                "'in_volume: false'", n=i + 1, start=slot.start, title=quote(title)), "talk-without-paper")
            yield from _possible_paper(sources, path, line, i, slot.title, linked)
        elif slot.paper in papers:
            yield from _title_mismatch(sources, path, i, loc, slot.title, papers[slot.paper])
    yield from _check_days(sources, path)
    for paper in sources.ordered_papers():
        if paper.id not in linked:
            yield warning(paper.path, 1, msg(
                "no programme slot links to paper '{id}': add 'paper: {id}' to its talk in "
                "programme.yaml", id=paper.id), "paper-without-talk")


def _check_days(sources: Sources, path: str) -> Iterator[Diagnostic]:
    """Days in order, sessions with slots, and each paper in one talk only."""
    programme = sources.programme
    assert programme is not None
    for d, day in enumerate(programme.days):
        if d and day.date <= programme.days[d - 1].date:
            yield warning(path, sources.line_of(path, "days", d, "date"),
                          msg("day {n} ({date}) does not come after day {previous} ({previous_date}): fix "
                              "the date or the order", n=d + 1, date=day.date.isoformat(), previous=d,
                              previous_date=programme.days[d - 1].date.isoformat()),
                          "day-order")
        if not day.sessions:
            yield warning(path, sources.line_of(path, "days", d),
                          msg("day {n} ({date}) has no sessions: add them or delete the day", n=d + 1,
                              date=day.date.isoformat()), "empty-session")
    for n, (loc, session) in enumerate(programme.sessions(), 1):
        if not session.slots:
            title = next(iter(session.title.values()), session.kind)
            yield warning(path, sources.line_of(path, *loc),
                          msg("session {n} '{title}' has no slots: add its talks or delete it", n=n,
                              title=quote(title)),
                          "empty-session")
    talks: dict[str, tuple[int, int]] = {}  # paper → (line, session) of its first talk
    session_of = {loc: n for n, (loc, _session) in enumerate(programme.sessions(), 1)}
    for loc, slot in programme.placed_slots():
        if slot.paper is None:
            continue
        line = sources.line_of(path, *loc, "paper")
        here = session_of.get(loc[:-2], 0)
        if slot.paper in talks:
            first_line, first_session = talks[slot.paper]
            if not here:
                message = msg("paper '{id}' is linked from two talks (first on line {line}): a paper is the "
                              "text of one talk; unlink one of them", id=slot.paper, line=first_line)
            elif first_session != here:
                message = msg("paper '{id}' is linked from two talks (first on line {line}, in session "
                              "{session}): a paper is the text of one talk; unlink one of them",
                              id=slot.paper, line=first_line, session=first_session)
            else:
                message = msg("paper '{id}' is linked from two talks (first on line {line}, in the same "
                              "session): a paper is the text of one talk; unlink one of them",
                              id=slot.paper, line=first_line)
            yield warning(path, line, message, "paper-twice")
        else:
            talks[slot.paper] = (line, here)


def _title_mismatch(
    sources: Sources, path: str, i: int, loc: Loc, titles: dict[str, str], paper: Paper
) -> Iterator[Diagnostic]:
    talk = titles.get(paper.lang)
    if not talk or not paper.title:
        return
    a, b = normalise_title(talk), normalise_title(paper.title)
    if a == b:
        return
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    # Long titles are shortened in the message, so name the first words that differ.
    words_a, words_b = a.split(), b.split()
    differ: str | Message = ""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, words_a, words_b).get_opcodes():
        if tag != "equal":
            old, new = " ".join(words_a[i1:i2]) or "—", " ".join(words_b[j1:j2]) or "—"
            differ = msg("; first difference: '{old}' against '{new}'", old=old, new=new)
            break
    yield warning(path, sources.line_of(path, *loc, "title", paper.lang), msg(
        "talk {n} is titled '{talk}' but its paper {id} is titled '{title}' (similarity "
        "{ratio:.2f}{differ}): make the two titles agree", n=i + 1, talk=quote(talk, 80), id=paper.id,
        title=quote(paper.title, 80), ratio=ratio, differ=differ), "title-mismatch")


def _possible_paper(
    sources: Sources, path: str, line: int, i: int, titles: dict[str, str], linked: set[str]
) -> Iterator[Diagnostic]:
    best: tuple[float, Paper] | None = None
    for paper in sources.ordered_papers():
        if paper.id in linked or not paper.title:
            continue
        talk = titles.get(paper.lang)
        if not talk:
            continue
        ratio = difflib.SequenceMatcher(None, normalise_title(talk), normalise_title(paper.title)).ratio()
        if ratio > 0.8 and (best is None or ratio > best[0]):
            best = (ratio, paper)
    if best is not None:
        yield note(path, line, msg(
            "talk {n} may be paper {id} '{title}' (similarity {ratio:.2f}): if so, add 'paper: {id}'",
            n=i + 1, id=best[1].id, title=quote(best[1].title or "", 80), ratio=best[0]), "possible-paper")
