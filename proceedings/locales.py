"""What a language decides, as data: one locale file per language.

Every word the book generates and every convention a language decides (its quotation
marks, what the checker knows of its spelling…) is read from ``styles/locales/<lang>.yaml``
(Kazakh, Russian and English are shipped), never written in code: a book in another
language needs a locale file, not a change here. A book may carry its own locale files,
``<sources>/locales/<lang>.yaml``: one for a shipped language changes only the keys it
gives (a label, the quotes); one for another language adds it, and must give every key
English gives. docs/locales.md describes every key.

Each file is read into a frozen ``Locale``; a broken one is reported as diagnostics with
``path:line``, all of them at once, as any source file is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proceedings.diagnostics import Diagnostic, error
from proceedings.yamlsrc import Located, YamlError, parse_yaml

SHIPPED = Path(__file__).resolve().parent.parent / "styles" / "locales"
# The locale whose labels every other one must give too, and that a missing label falls back to.
REFERENCE = "en"


class _Data(BaseModel):
    # Unlike the sources' records, whitespace is kept: a label is printed as written.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Checker(_Data):
    """What the checker and ``proceedings fix`` know of a language (``checker:``)."""

    dictionary: str | None = None  # the hunspell dictionary's name (ru_RU)
    package: str | None = None  # the Debian package that installs it
    analyser: str | None = None  # a morphological dictionary besides (pymorphy3)
    stems_from: list[str] | None = None  # languages whose words take this one's endings
    evidence: bool = False  # report an unknown word only with evidence against it
    complete: bool = False  # the dictionaries are full enough to look slips up in
    glued: bool = False  # look for two words glued together
    alphabet: str = ""
    confusable: list[str] = []
    linking: str = ""  # the vowel that joins compounds («право-о-применитель»)
    voiceless: str = ""
    voiceless_endings: str = ""
    voiced_endings: str = ""
    endings: list[list[str]] = []
    prefixes: list[str] = []
    prefix_words: list[str] = []
    short_words: list[str] = []
    glued_part: int | None = None
    hyphen_compounds: bool = False
    abbreviations: list[str] = []
    year_marks: list[str] = []


class Locale(_Data):
    """One language's locale file, read and checked."""

    lang: str
    path: str  # the file it was read from (the book's own, when it has one)
    name: str = Field(min_length=1)  # the language's name in English, for diagnostics
    quotes: list[str] = Field(min_length=4, max_length=4)  # outer pair, inner pair
    labels: dict[str, str]
    checker: Checker = Checker()


Locales = Mapping[str, Locale]


class LocaleError(Exception):
    """A shipped locale file is broken: the tool cannot run until it is mended."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics


def read_locale(path: Path, text: str, lang: str, base: Locale | None,
                reference: Locale | None) -> tuple[Locale | None, list[Diagnostic]]:
    """The locale ``lang`` from the text of ``path``: on top of ``base`` (the shipped
    locale of that language) when there is one; else whole, with every label
    ``reference`` has. Problems come back as diagnostics at their lines."""
    shown = _display(path)
    try:
        located = parse_yaml(text)
    except YamlError as exc:
        return None, [error(shown, exc.line, exc.message, exc.code)]
    if located.data is None:
        located.data = {}
    if not isinstance(located.data, dict):
        return None, [error(shown, 1, f"{path.name} must be a mapping of keys (name, quotes, labels…)",
                            "locale")]
    data: dict[str, Any] = dict(located.data)
    if base is not None:
        data = _merged(base.model_dump(exclude={"lang", "path"}, exclude_unset=True), data)
    try:
        locale = Locale.model_validate({**data, "lang": lang, "path": shown})
    except ValidationError as exc:
        return None, _diagnostics(exc, shown, located)
    if base is None and reference is not None:
        missing = sorted(set(reference.labels) - set(locale.labels))
        if missing:
            line = located.line_of(("labels",))
            return None, [error(shown, line, f"labels: missing {', '.join(missing)} (every locale "
                                f"gives each label of the reference locale, {REFERENCE}.yaml)", "locale")]
    return locale, []


def _merged(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: mappings merged key by key, anything else replaced."""
    merged = dict(base)
    for key, value in over.items():
        old = merged.get(key)
        merged[key] = _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def _diagnostics(exc: ValidationError, shown: str, located: Located) -> list[Diagnostic]:
    found = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        where = ".".join(str(p) for p in loc) or "(document)"
        line = located.line_of(loc)
        if err["type"] == "missing":
            found.append(error(shown, line, f"missing key '{where}'", "locale"))
        elif err["type"] == "extra_forbidden":
            found.append(error(shown, line, f"unknown key '{where}' (docs/locales.md lists the keys)",
                               "locale"))
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            found.append(error(shown, line, f"{where}: {message} (got {err.get('input')!r})", "locale"))
    return found


def _display(path: Path) -> str:
    """A path as diagnostics show it (as ``load.display_path``, which reads a book's
    locales through this module): relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def read_folder(folder: Path, base: Locales) -> tuple[dict[str, Locale], list[Diagnostic]]:
    """Every ``<lang>.yaml`` of ``folder``, each on top of ``base``'s locale of its language."""
    found: dict[str, Locale] = {}
    problems: list[Diagnostic] = []
    for path in sorted(folder.glob("*.yaml")):
        lang = path.stem
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(error(_display(path), 0, f"cannot read: {exc}", "io"))
            continue
        locale, diags = read_locale(path, text, lang, base.get(lang), base.get(REFERENCE))
        problems += diags
        if locale is not None:
            found[lang] = locale
    return found, problems


@cache
def shipped(folder: Path = SHIPPED) -> dict[str, Locale]:
    """The locales a style ships (``styles/locales``); a broken one stops the tool."""
    reference_path = folder / f"{REFERENCE}.yaml"
    reference, problems = (None, []) if not reference_path.is_file() else read_locale(
        reference_path, reference_path.read_text(encoding="utf-8"), REFERENCE, None, None)
    if reference is None:
        problems = problems or [error(_display(reference_path), 0, "required file is missing", "locale")]
        raise LocaleError(problems)
    found, problems = read_folder(folder, {REFERENCE: reference})
    # The reference was read on top of itself above: read it alone again.
    found[REFERENCE] = reference
    if problems:
        raise LocaleError(problems)
    return found


def labels_table(locales: Locales) -> dict[str, dict[str, str]]:
    """The generated words of every language, ``{lang: {key: word}}``."""
    return {lang: dict(locale.labels) for lang, locale in locales.items()}


def checker_table(locales: Locales) -> dict[str, dict[str, Any]]:
    """What the checker knows of every language, as the checks read it: the keys the
    locale file gives under ``checker:``, its ``name`` and its ``quotes``."""
    return {lang: {**locale.checker.model_dump(exclude_unset=True), "name": locale.name,
                   "quotes": list(locale.quotes)}
            for lang, locale in locales.items()}
