"""Every check of a loaded book, each run in isolation.

The modules of this package each look at one theme and return their checks as
:class:`~proceedings.check.base.Check` records:

- ``records``: ids that must exist, citations that must resolve, files that must be there;
- ``text``: characters, scripts, quotes and links;
- ``citations``: citation form, reference lists, footnotes;
- ``references``: reference entries against the book's bibliographic style;
- ``programme``: the programme against the papers;
- ``translations``: every field the book's languages require, in each of them;
- ``people``: ranks and names of a person, authors missing from the programme or lists;
- ``language``: paragraphs written in another language than their paper's;
- ``duplicates``, ``tables``, ``fonts``, ``images``.

Failure policy: a check that raises loses only its own findings; the others still
run. The failure is not swallowed: it becomes a ``check-failed`` warning that names
the check and the exception, on the file it was checking. A warning rather than an
error, because the fault is the tool's, not the book's: the editor can still build,
``--strict`` still stops, and the line is there to be reported.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from types import ModuleType
from typing import TypeVar

from proceedings.check import (
    citations,
    duplicates,
    fonts,
    images,
    language,
    people,
    programme,
    records,
    references,
    tables,
    text,
    translations,
)
from proceedings.check.base import Check, Unit, all_units
from proceedings.diagnostics import Diagnostic, warning
from proceedings.model import Sources

MODULES: tuple[ModuleType, ...] = (
    records,
    text,
    citations,
    references,
    programme,
    translations,
    people,
    language,
    duplicates,
    tables,
    fonts,
    images,
)

__all__ = ["GATE", "MODULES", "Check", "check_sources"]

T = TypeVar("T")


# The checks whose errors make a book impossible to lay out (unknown ids, missing
# files, a figure too large to decode in memory); the others only find defects of the
# content, so a build can run them while the book is being laid out.
GATE: tuple[ModuleType, ...] = (records, images)


def check_sources(
    sources: Sources, modules: Sequence[ModuleType] = MODULES
) -> list[Diagnostic]:
    """Every finding for a loaded book; a failing check is reported, never raised."""
    found: list[Diagnostic] = []
    units: Sequence[Unit] = _guarded(found, "text-units", sources.root, partial(all_units, sources)) or []
    for module in modules:
        name = module.__name__.rsplit(".", 1)[-1]
        listed: list[Check] = (
            _guarded(found, name, sources.root, partial(module.checks, sources, units)) or []
        )
        for check in listed:
            found += _guarded(found, check.name, check.path, partial(_collect, check)) or []
    return found


def _collect(check: Check) -> list[Diagnostic]:
    return list(check.run())


def _guarded(found: list[Diagnostic], name: str, path: str, run: Callable[[], T]) -> T | None:
    """``run()``, or None with a ``check-failed`` finding appended to ``found``."""
    try:
        return run()
    except Exception as exc:  # the policy above: report, and let the other checks run
        found.append(
            warning(
                path,
                0,
                f"the '{name}' check failed ({type(exc).__name__}: {_one_line(exc)}); its findings are "
                "missing: please report this as a bug of the checker",
                "check-failed",
            )
        )
        return None


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:199] + "…"
