"""People: one rank per person, one surname across languages, authors where the book wants them.

- ``rank-conflict``: a ``rank`` that holds two rank phrases in one language («полиция
  майоры полиция капитаны»), as a list that merged two records prints.
- ``name-conflict`` (a note): a person whose Cyrillic surnames in two languages differ
  by more than the Kazakh letters and their Russian counterparts. A note, not a
  warning: official Russian spellings of Kazakh names do differ (Есболатов /
  Есбулатов), so only the editor can tell a variant from a typo or a mix-up.
- ``author-not-in-programme`` / ``author-not-in-lists``: a paper author missing from
  the programme or from the participant lists (those book.yaml's ``require_authors_in``
  names; unset, both that the book has).
- ``author-inferred``: a note for each author taken from the programme because the paper
  printed no byline, for the editor to confirm.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from proceedings.check.base import Check, Unit, paper_digest
from proceedings.diagnostics import Diagnostic, note, warning
from proceedings.load import display_path
from proceedings.messages import Message, msg
from proceedings.model import Paper, Sources
from proceedings.render import participants

# --- ranks -------------------------------------------------------------------------------

# Special ranks (police, army, justice) as they are written in kk, ru and en; Russian
# case endings are allowed («полковника полиции»). A compound rank is one phrase:
# hyphenated (генерал-майор) or written as adjacent rank words (lieutenant colonel).
_RANK_WORD_RE = re.compile(
    r"(?:генерал|подполковник|полковник|майор|капитан|лейтенант|прапорщик|сержант|старшин)"
    r"(?:а|у|ом|е|ы)?"
    r"|генералы|подполковнигі|полковнигі|майоры|капитаны|лейтенанты|прапорщигі|сержанты|старшинасы"
    r"|general|colonel|major|captain|lieutenant|sergeant",
    re.IGNORECASE,
)
# Ranks of justice are two-word phrases: the title word alone is also a post («советник
# министра»), so it counts only with its service word.
_SERVICE_RANKS = (
    (re.compile(r"^советник(?:а|у|ом|е)?$", re.I), re.compile(r"^юстиции$", re.I)),
    (re.compile(r"^әділет$", re.I), re.compile(r"^кеңесшісі$", re.I)),
)
_TOKEN_RE = re.compile(r"[\w-]+")


def rank_phrases(text: str) -> list[str]:
    """The rank phrases in a ``rank`` field: ``полиция майоры полиция капитаны`` → 2."""
    tokens = _TOKEN_RE.findall(text)
    is_rank = [any(_RANK_WORD_RE.fullmatch(part) for part in token.split("-")) for token in tokens]
    for first, second in _SERVICE_RANKS:
        for k in range(len(tokens) - 1):
            if first.match(tokens[k]) and second.match(tokens[k + 1]):
                is_rank[k] = is_rank[k + 1] = True
    phrases: list[str] = []
    previous = False
    for token, rank in zip(tokens, is_rank, strict=True):
        if rank and previous:
            phrases[-1] += f" {token}"
        elif rank:
            phrases.append(token)
        previous = rank
    return phrases


def _check_ranks(sources: Sources) -> Iterator[Diagnostic]:
    path = display_path(Path(sources.root) / "people.yaml")
    for i, person in enumerate(sources.people.values()):
        for lang, name in person.names.items():
            if name.rank:
                line = sources.line_of(path, i, "names", lang, "rank")
                yield from _rank_finding(path, line, f"{person.id} ({lang})", name.rank)
    for paper in sources.papers:
        for i, author in enumerate(paper.authors):
            if author.affiliation is not None and author.affiliation.rank:
                line = sources.line_of(paper.path, "authors", i, "affiliation", "rank")
                yield from _rank_finding(paper.path, line, author.person, author.affiliation.rank)


def _rank_finding(path: str, line: int, who: str, rank: str) -> Iterator[Diagnostic]:
    phrases = rank_phrases(rank)
    if len(phrases) > 1:
        listed = ", ".join(f"'{p}'" for p in phrases)
        yield warning(path, line, msg(
            "{who} holds {n} ranks in '{rank}' ({listed}): a person holds one rank: keep the current "
            "one and delete the other", who=who, n=len(phrases), rank=rank, listed=listed), "rank-conflict")


# --- surnames across languages -----------------------------------------------------------

# The Kazakh letters and the Russian letters that stand for them in Russian spelling.
_KK_TO_RU = str.maketrans("әғқңөұүһіё", "агкноуухие")


def surname_key(surname: str) -> str:
    """A surname compared across kk and ru: case and the Kazakh letters folded."""
    return surname.casefold().translate(_KK_TO_RU)


def _is_cyrillic(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all("\u0400" <= ch <= "\u052f" for ch in letters)


def _check_surnames(sources: Sources) -> Iterator[Diagnostic]:
    path = display_path(Path(sources.root) / "people.yaml")
    for i, person in enumerate(sources.people.values()):
        # Latin forms (Smith / Смит) are transliterations, which this check does not judge.
        cyrillic = [(lang, n.surname) for lang, n in person.names.items() if _is_cyrillic(n.surname)]
        for (lang_a, a), (lang_b, b) in itertools.pairwise(cyrillic):
            if surname_key(a) != surname_key(b):
                yield note(path, sources.line_of(path, i, "names", lang_b, "surname"), msg(
                    "{id}: surname '{b}' ({lang_b}) differs from '{a}' ({lang_a}) by more than the "
                    "Kazakh letters (ә ғ қ ң ө ұ ү һ і for а г к н о у у х и): check that both spell "
                    "the same person", id=person.id, a=a, b=b, lang_a=lang_a, lang_b=lang_b), "name-conflict")


# --- authors in the programme and the lists ----------------------------------------------


def _programme_people(sources: Sources) -> set[str]:
    people: set[str] = set()
    if sources.programme is not None:
        for header in sources.programme.header.values():
            if header.moderator is not None:
                people.add(header.moderator.person)
        for _loc, session in sources.programme.sessions():
            people.update(session.chairs)
        for slot in sources.programme.all_slots():
            people.update(slot.people)
    return people


def _check_authors(sources: Sources, paper: Paper) -> Iterator[Diagnostic]:
    for i, author in enumerate(paper.authors):
        person = sources.people.get(author.person)
        if author.source == "programme" and person is not None:
            yield note(paper.path, sources.line_of(paper.path, "authors", i, "person"), msg(
                "author {id} ({surname}) is taken from the programme, as the paper prints no byline: "
                "confirm the authorship with the author", id=author.person,
                surname=person.name(paper.lang).surname), "author-inferred")
    required = sources.book.require_authors_in
    if required is None:  # unset: wherever the book lists people
        required = ["programme", "participants"] if sources.programme is not None else ["participants"]
    if not required:
        return
    places: list[tuple[str, set[str], str]] = []
    if "programme" in required:
        places.append(("programme", _programme_people(sources), "author-not-in-programme"))
    if "participants" in required:
        listed = {p.id for p in participants(sources)}
        places.append(("participant lists", listed, "author-not-in-lists"))
    for i, author in enumerate(paper.authors):
        person = sources.people.get(author.person)
        if person is None:
            continue  # an unknown id is an error of its own
        name = person.name(paper.lang)
        # One finding for an author missing from both: the lists restate the programme.
        missing = [(where, code) for where, people, code in places if author.person not in people]
        if missing:
            yield warning(paper.path, sources.line_of(paper.path, "authors", i, "person"), _not_listed(
                author.person, name.surname, [where for where, _ in missing]), missing[0][1])


def _not_listed(person: str, surname: str, missing: list[str]) -> Message:
    if len(missing) > 1:
        return msg("author {id} ({surname}) is not in the programme nor the participant lists: add them "
                   "there, or check the byline", id=person, surname=surname)
    if missing == ["programme"]:
        return msg("author {id} ({surname}) is not in the programme: add them there, or check the byline",
                   id=person, surname=surname)
    return msg("author {id} ({surname}) is not in the participant lists: add them there, or check the "
               "byline", id=person, surname=surname)


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    people_path = display_path(Path(sources.root) / "people.yaml")
    found = [
        Check("ranks", people_path, lambda: _check_ranks(sources)),
        Check("surnames", people_path, lambda: _check_surnames(sources)),
    ]
    found += [Check("authors", p.path, partial(_check_authors, sources, p), paper_digest(sources, p))
              for p in sources.papers]
    return found
