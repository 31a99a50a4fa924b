"""Every check of a loaded book, each run in isolation.

The modules of this package each look at one theme and return their checks as
:class:`~proceedings.check.base.Check` records:

- ``records``: ids that must exist, citations that must resolve, files that must be there;
- ``limits``: footnote references, table spans and cells the layout could not hold in memory;
- ``text``: characters, scripts, quotes and links;
- ``citations``: citation form, reference lists, footnotes;
- ``references``: reference entries against the book's bibliographic style;
- ``programme``: the programme against the papers;
- ``translations``: every field the book's languages require, in each of them;
- ``people``: ranks and names of a person, authors missing from the programme or lists;
- ``language``: paragraphs written in another language than their paper's;
- ``spelling``: words the dictionaries do not know, words glued together;
- ``sentences``: punctuation without its space, a lowercase sentence start, a word repeated;
- ``foreign``: a phrase in another language, Latin typed in Cyrillic look-alikes;
- ``forms``: years glued to «г.», hyphens and dashes, percentages, variant spellings, quotes;
- ``duplicates``, ``tables``, ``fonts``, ``images``.

``findings`` says when a build runs them (``BuildChecks``: the gate before the
layout, the rest beside it) and keeps what they found.

Failure policy: a check that raises loses only its own findings after the failure
(those it made before are kept); the others still run. The failure is not swallowed:
it becomes a ``check-failed`` warning that names the check and the exception, on
the file it was checking. A warning rather than an error, because the fault is the
tool's, not the book's: the editor can still build, ``--strict`` still stops, and
the line is there to be reported.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from proceedings.check import (
    citations,
    duplicates,
    fonts,
    foreign,
    forms,
    images,
    language,
    limits,
    people,
    programme,
    records,
    references,
    sentences,
    spelling,
    tables,
    text,
    translations,
)
from proceedings.check.base import Check, Unit, all_units
from proceedings.diagnostics import Diagnostic, warning
from proceedings.files import code_version, files_digest, sealed_text, unsealed, write_atomic
from proceedings.messages import msg
from proceedings.model import Sources

MODULES: tuple[ModuleType, ...] = (
    records,
    limits,
    text,
    citations,
    references,
    programme,
    translations,
    people,
    language,
    spelling,
    sentences,
    foreign,
    forms,
    duplicates,
    tables,
    fonts,
    images,
)

__all__ = ["GATE", "MODULES", "Check", "Checked", "FindingsCache", "check_sources", "check_task"]

T = TypeVar("T")


# The checks whose errors make a book impossible to lay out (unknown ids, missing
# files, a figure or a table too large to lay out in memory); the others only find defects of the
# content, so a build can run them while the book is being laid out.
GATE: tuple[ModuleType, ...] = (records, limits, images)


class FindingsCache:
    """The findings of checks that say what they read (``Check.depends``), kept in a
    file between builds: a rebuild after an edit to one paper checks that paper again
    and takes the other papers' findings from here."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kept: dict[str, list[list[Any]]] | None = None  # read when first asked
        self.used: dict[str, list[list[Any]]] = {}

    def get(self, key: str) -> list[Diagnostic] | None:
        if self.kept is None:
            self.kept = self._read()
        rows = self.kept.get(key)
        if rows is None:
            return None
        try:
            found = [Diagnostic.from_row(row) for row in rows]
        except (ValueError, TypeError):  # a damaged entry: check again
            return None
        self.used[key] = rows
        return found

    def _read(self) -> dict[str, list[list[Any]]]:
        try:
            text = unsealed(self.path.read_bytes())
            if text is None:  # damaged: check everything
                return {}
            stored = json.loads(text)
            if stored.get("stamp") == _code_stamp():
                return dict(stored["findings"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # none yet, or unreadable: check everything
        return {}

    def put(self, key: str, found: list[Diagnostic]) -> None:
        self.used[key] = [d.row() for d in found]

    def save(self) -> None:
        """Keep what this run used or found, and nothing older."""
        data = {"stamp": _code_stamp(), "findings": self.used}
        write_atomic(self.path, sealed_text(json.dumps(data, ensure_ascii=False).encode()))


@functools.cache
def _code_stamp() -> str:
    """The code, the fonts the checker reads, and the folder paths are relative to."""
    return hashlib.sha256(f"{code_version()} {files_digest(fonts.FONTS.glob('*'))} {os.getcwd()}".encode()
                          ).hexdigest()[:32]


def check_sources(
    sources: Sources, modules: Sequence[ModuleType] = MODULES, cache: FindingsCache | None = None
) -> list[Diagnostic]:
    """Every finding for a loaded book; a failing check is reported, never raised.

    With a ``cache``, checks whose inputs are as they were take their findings from it.
    """
    found: list[Diagnostic] = []
    units: Sequence[Unit] = _guarded(found, "text-units", sources.root, partial(all_units, sources)) or []
    for module in modules:
        name = module.__name__.rsplit(".", 1)[-1]
        listed: list[Check] = (
            _guarded(found, name, sources.root, partial(module.checks, sources, units)) or []
        )
        for check in listed:
            key = f"{check.name}\0{check.path}\0{check.depends}" if cache and check.depends else None
            kept = cache.get(key) if cache and key else None
            if kept is not None:
                found += kept
                continue
            result: list[Diagnostic] = []
            ran = _guarded(found, check.name, check.path, partial(_collect, check, result))
            if ran and cache and key:
                cache.put(key, result)
            found += result  # what a failing check found before it failed is kept
    return found


# What a check task returns: the findings as rows, and the checks' cache entries it used.
Checked = tuple[list[list[Any]], dict[str, list[list[Any]]]]


def check_task(sources: Sources, modules: Sequence[str], cache: str) -> Checked:
    """``check_sources`` as a task for a thread or a worker process (``modules`` by name,
    the cache by its file): what it found, and the cache entries for the build to keep."""
    from proceedings.pdf import release_memory

    kept = FindingsCache(Path(cache))
    found = check_sources(sources, [importlib.import_module(name) for name in modules], kept)
    release_memory()  # what the checks held, before the assembler or the next part needs it
    return [d.row() for d in found], kept.used


def _collect(check: Check, into: list[Diagnostic]) -> bool:
    """Run ``check``, appending each finding to ``into`` as it comes: a check that fails
    half-way keeps what it found before."""
    for diagnostic in check.run():
        into.append(diagnostic)
    return True


def _guarded(found: list[Diagnostic], name: str, path: str, run: Callable[[], T]) -> T | None:
    """``run()``, or None with a ``check-failed`` finding appended to ``found``."""
    try:
        return run()
    except Exception as exc:  # the policy above: report, and let the other checks run
        found.append(warning(path, 0, msg(
            "the '{name}' check failed ({error}: {reason}); its findings from there on are missing: "
            "please report this as a bug of the checker", name=name, error=type(exc).__name__,
            reason=_one_line(exc)), "check-failed"))
        return None


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:199] + "…"
