"""Every field the book's languages require, present in each of them.

The title page, the programme, the participant lists and the resolution are printed
once per book language, so whatever they print must exist in each: book.yaml's title
(and its other localized fields, once given in one language), the programme's header
and slot titles, the names of everyone printed in the programme or the lists, the
list labels when given, and a resolution file per language. Paper-level fields are in
the paper's own language only and are not asked for per book language.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from proceedings.check.base import Check, Unit, programme_path
from proceedings.diagnostics import Diagnostic, warning
from proceedings.load import display_path
from proceedings.messages import msg
from proceedings.model import ParticipantsLabels, Sources, format_loc
from proceedings.render import participants


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    root = Path(sources.root)
    return [
        Check("book-translations", display_path(root / "book.yaml"), lambda: _check_book(sources)),
        Check("programme-translations", programme_path(sources), lambda: _check_programme(sources)),
        Check("people-translations", display_path(root / "people.yaml"), lambda: _check_people(sources)),
        Check("label-translations", display_path(root / "participants.yaml"),
              lambda: _check_participant_labels(sources)),
        Check("resolution-translations", sources.root, lambda: _check_resolutions(sources)),
    ]


def _check_programme(sources: Sources) -> Iterator[Diagnostic]:
    programme = sources.programme
    if programme is None:
        return
    path = programme_path(sources)
    for lang in sources.book.languages:
        if lang not in programme.header:
            yield warning(path, sources.line_of(path, "header"), msg(
                "the programme has no header in '{lang}', a language of the book: add header.{lang}",
                lang=lang), "missing-translation")
    for n, (loc, session) in enumerate(programme.sessions(), 1):
        # A plenary without a title prints the language's label for one.
        for lang in sources.book.languages if session.title or session.kind != "plenary" else ():
            if lang not in session.title:
                yield warning(path, sources.line_of(path, *loc, "title"), msg(
                    "session {n} has no title in '{lang}': add title.{lang}", n=n, lang=lang),
                    "missing-translation")
    for i, (loc, slot) in enumerate(programme.placed_slots()):
        for lang in sources.book.languages:
            if lang not in slot.title:
                yield warning(path, sources.line_of(path, *loc, "title"), msg(
                    "slot {n} ({start}) has no title in '{lang}': add title.{lang}", n=i + 1,
                    start=slot.start, lang=lang), "missing-translation")


# --- book.yaml ---------------------------------------------------------------------------

# Localized fields of book.yaml that, once given in one language, the title page and
# programme print in every language. ``title`` is required outright (see _check_book).
_WHEN_GIVEN: tuple[tuple[str, ...], ...] = (
    ("type",),
    ("subtitle",),
    ("short_title",),
    ("city",),
    ("format",),
    ("venue", "name"),
    ("venue", "address"),
)


def _check_book(sources: Sources) -> Iterator[Diagnostic]:
    book = sources.book
    path = display_path(Path(sources.root) / "book.yaml")
    fields: list[tuple[tuple[str | int, ...], dict[str, str], bool]] = [(("title",), book.title, True)]
    for keys in _WHEN_GIVEN:
        value: object = book
        for key in keys:
            value = getattr(value, key, None) if value is not None else None
        if isinstance(value, dict):
            fields.append((keys, value, False))
    for i, organiser in enumerate(book.organisers):
        fields.append((("organisers", i), organiser, False))
    for i, section in enumerate(book.sections):
        fields.append((("sections", i, "title"), section.title, False))
    for loc, texts, required in fields:
        if not texts and not required:
            continue
        name = format_loc(loc)
        for lang in book.languages:
            if not texts.get(lang):
                yield warning(path, sources.line_of(path, *loc), msg(
                    "{name} has no text in '{lang}', a language of the book: add {name}.{lang}",
                    name=name, lang=lang), "missing-translation")


# --- people printed in the programme and the participant lists --------------------------


def _printed_people(sources: Sources) -> dict[str, str]:
    """Person id → where it is printed once per book language (programme or lists)."""
    printed: dict[str, str] = {}
    parts = sources.book.parts
    if "participants" in parts:
        printed.update(dict.fromkeys((p.id for p in participants(sources)), "participant lists"))
    if "programme" in parts and sources.programme is not None:
        for header in sources.programme.header.values():
            if header.moderator is not None:
                printed[header.moderator.person] = "programme"
        for _loc, session in sources.programme.sessions():
            printed.update(dict.fromkeys(session.chairs, "programme"))
        for slot in sources.programme.all_slots():
            printed.update(dict.fromkeys(slot.people, "programme"))
    return printed


def _check_people(sources: Sources) -> Iterator[Diagnostic]:
    path = display_path(Path(sources.root) / "people.yaml")
    printed = _printed_people(sources)
    # people is a dict in file order, so the enumeration index is the list index.
    for i, person in enumerate(sources.people.values()):
        where = printed.get(person.id)
        if where is None:
            continue
        for lang in sources.book.languages:
            if lang not in person.names:
                yield warning(
                    path,
                    sources.line_of(path, i, "names"),
                    msg("{id} is printed in the programme, once per book language, but has no name in "
                        "'{lang}': add names.{lang}", id=person.id, lang=lang) if where == "programme" else
                    msg("{id} is printed in the participant lists, once per book language, but has no name "
                        "in '{lang}': add names.{lang}", id=person.id, lang=lang),
                    "missing-translation",
                )


def _check_participant_labels(sources: Sources) -> Iterator[Diagnostic]:
    if sources.participants is None or not sources.participants.labels:
        return
    labels = sources.participants.labels
    path = display_path(Path(sources.root) / "participants.yaml")
    given = [f for f in ParticipantsLabels.model_fields if any(getattr(v, f) for v in labels.values())]
    for lang in sources.book.languages:
        missing = [f for f in given if lang not in labels or not getattr(labels[lang], f)]
        if missing:
            fields = ", ".join(missing)
            yield warning(path, sources.line_of(path, "labels", lang), msg(
                "the list labels {fields} are given but not in '{lang}', a language of the book: add "
                "them to labels.{lang}", fields=fields, lang=lang), "missing-translation")


def _check_resolutions(sources: Sources) -> Iterator[Diagnostic]:
    if not sources.resolutions or "resolution" not in sources.book.parts:
        return
    have = {r.lang for r in sources.resolutions}
    first = sources.resolutions[0]
    for lang in sources.book.languages:
        if lang not in have:
            yield warning(first.path, 1, msg(
                "the resolution has no '{lang}' version, a language of the book: add "
                "resolution/{lang}.md", lang=lang), "missing-translation")
