"""Diagnostics as data: every problem the tool finds, with its place and code, and
the findings a build keeps for the proofs."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from proceedings.files import CACHE_FOLDER, Inputs, sealed_text, touch, unsealed, write_atomic
from proceedings.messages import Message, msg, msg_n, translate

LAYOUT = "layout-"  # the codes of the layout audit, which --strict alone does not fail on


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


class ExitCode(IntEnum):
    OK = 0
    SOURCE_ERRORS = 1
    USAGE = 2
    MISSING_DEPENDENCY = 3
    RENDER_FAILED = 4


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding: ``path:line: severity: message [code]``. The message is a
    ``messages.Message`` (its English text, which sorts and compares), shown in the run's
    language; the code is never translated: it is the finding's stable name."""

    path: str
    line: int
    severity: Severity
    message: str
    code: str

    def __str__(self) -> str:
        # Messages quote authors' text, and paths name their folders: a control character
        # in either must not reach the editor's terminal as one (an escape sequence could
        # rewrite the screen, a newline forge another finding).
        path = escaped(self.path)
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {severity_text(self.severity)}: {escaped(self.text())} [{self.code}]"

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the run's language)."""
        return translate(self.message, lang)

    def row(self) -> list[Any]:
        """The finding as a JSON row, for the caches that keep findings between runs: the
        message as its template and parameters, so that any language can show it."""
        message = self.message.data() if isinstance(self.message, Message) else self.message
        return [self.path, self.line, str(self.severity), message, self.code]

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Diagnostic:
        """A finding kept by ``row``; raises ValueError or TypeError for a damaged one."""
        path, line, severity, message, code = row
        try:
            text = Message.from_data(message) if isinstance(message, dict) else str(message)
        except KeyError as exc:
            raise ValueError(f"damaged message: {exc}") from None
        return cls(str(path), int(line), Severity(severity), text, str(code))


# The severities as the editor reads them; the English word is the one the exit status,
# the report's classes and the tests go by.
SEVERITIES = {Severity.ERROR: msg("error"), Severity.WARNING: msg("warning"), Severity.NOTE: msg("note")}


def severity_text(severity: Severity, lang: str | None = None) -> str:
    return translate(SEVERITIES[severity], lang)


def escaped(text: str) -> str:
    """``text`` with every control character spelt out, as it may be printed."""
    return "".join(_printable(ch) for ch in text)


def _printable(ch: str) -> str:
    if ch.isprintable() or ch == " ":
        return ch
    return f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}"


def error(path: str, line: int, message: Message, code: str) -> Diagnostic:
    """An error: the book cannot be built until it is fixed."""
    return Diagnostic(path, line, Severity.ERROR, message, code)


def write_failed(exc: OSError) -> Diagnostic:
    """The one error of an output that could not be written (``files.WriteFailed``): it
    names the folder and the cause, never the part being written when it happened."""
    return error(str(exc.filename or "build"), 0, msg(
        "cannot write there: {reason}; nothing written before is lost: make room on the disk or make "
        "the folder writable, or give another --out", reason=str(exc.strerror)), "write-failed")


def warning(path: str, line: int, message: Message, code: str) -> Diagnostic:
    """A warning: a defect in the content; the book still builds."""
    return Diagnostic(path, line, Severity.WARNING, message, code)


def note(path: str, line: int, message: Message, code: str) -> Diagnostic:
    """A note: worth a look, never fails a build."""
    return Diagnostic(path, line, Severity.NOTE, message, code)


class Diagnostics:
    """An ordered, de-duplicated collection of findings."""

    def __init__(self, items: Iterable[Diagnostic] = ()) -> None:
        self._items: list[Diagnostic] = []
        self._seen: set[Diagnostic] = set()
        self.extend(items)

    def add(self, item: Diagnostic) -> None:
        if item not in self._seen:
            self._seen.add(item)
            self._items.append(item)

    def extend(self, items: Iterable[Diagnostic]) -> None:
        for item in items:
            self.add(item)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(sorted(self._items, key=_sort_key))

    def __len__(self) -> int:
        return len(self._items)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self._items if d.severity is severity)

    def failed(self, *, strict: bool = False, layout: bool = False) -> bool:
        """True when the run must stop: an error, or any warning under ``strict``; the
        layout audit's warnings (``layout-*``) only with ``layout`` too (book.yaml's
        ``strict_layout``)."""
        if self.count(Severity.ERROR) > 0:
            return True
        return strict and any(d.severity is Severity.WARNING and (layout or not d.code.startswith(LAYOUT))
                              for d in self._items)

    def raise_if_failed(self, *, strict: bool = False, layout: bool = False) -> None:
        if self.failed(strict=strict, layout=layout):
            raise BuildError(list(self))

    def summary(self, *, strict: bool = False, detail: str = "") -> str:
        """The counts; ``detail`` (the tiers, from ``triage``) follows them in brackets."""
        errors, warnings = self.count(Severity.ERROR), self.count(Severity.WARNING)
        text = ", ".join((translate(msg_n("{n} error", "{n} errors", errors)),
                          translate(msg_n("{n} warning", "{n} warnings", warnings))))
        notes = self.count(Severity.NOTE)
        if notes:  # notes never fail a run, but the editor is told how many to read
            text += ", " + translate(msg_n("{n} note", "{n} notes", notes))
        if detail:
            text += f" ({detail})"
        if strict and warnings:
            text += " " + translate(msg("(strict: warnings are errors)"))
        return text


def _sort_key(d: Diagnostic) -> tuple[str, int, str, str]:
    return (d.path, d.line, d.code, d.message)


class BuildError(Exception):
    """Raised by library code when the sources cannot be built; carries the findings."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{len(diagnostics)} problem(s)")
        self.diagnostics = diagnostics


# Findings kept between runs: a build keeps what it found, and the proofs list it
# without checking again.
CACHE_VERSION = "2"  # of the findings' file form: messages as templates and parameters


def findings_key(sources_dir: Path, inputs: Inputs) -> str:
    """The key under which the findings for ``sources_dir`` with ``inputs`` are kept.

    Take the inputs before reading the sources, so that an edit made while a build
    runs is not filed under the old text.
    """
    # Findings name files relative to the working folder, so it is part of the key.
    parts = (CACHE_VERSION, "findings", inputs.key, os.getcwd(), str(sources_dir.resolve()))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


def record_findings(out: Path, key: str, found: Iterable[Diagnostic]) -> None:
    """Keep what the checks found (loading included) for the proofs made in ``out``."""
    rows = json.dumps([d.row() for d in found], ensure_ascii=False)
    # Sealed: the build's gate trusts these findings, so a damaged file must not pass.
    write_atomic(out / CACHE_FOLDER / f"findings-{key}.json", sealed_text(rows.encode()))


def read_findings(out: Path, key: str) -> list[Diagnostic] | None:
    """The findings kept under ``key`` in ``out``, or None."""
    path = out / CACHE_FOLDER / f"findings-{key}.json"
    try:
        text = unsealed(path.read_bytes())
        if text is None:  # damaged: check again
            return None
        rows = json.loads(text)
        touch(path)  # used: the cache keeps what was used last
        return [Diagnostic.from_row(row) for row in rows]
    except (OSError, ValueError, TypeError):
        return None
