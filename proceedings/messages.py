"""Messages in the editor's language: templates marked for gettext, translated on output.

A message is written once, in English, as a template with named placeholders::

    msg("unknown person '{id}'", id=person)
    msg_n("{n} error", "{n} errors", n)

``msg`` returns a :class:`Message`: a ``str`` (its English text, so that the code and
the tests that compare messages see plain text) that also keeps its template and
parameters. Only the output (the command line, the check report, ``fix``, the proof
covers) translates it, into the language chosen for the run: a finding is data, kept
in the caches as its template and parameters, and does not depend on the language.

Babel extracts the templates (``make messages``: ``msg``, ``msg_n``, and ``_``/``gettext``
in the templates of ``styles/``) into ``proceedings/locale/proceedings.pot`` and
updates the catalogues ``proceedings/locale/<lang>/LC_MESSAGES/proceedings.po``. English
is the source language and has no catalogue. The catalogues are read as ``.po`` when a
language first needs them, once a run, so nothing is compiled at install. A translation
that lacks a placeholder of its template, or names one it does not have, is not used
(the English text is), and a test says so.

The language of a run: ``--lang``, else the environment's (``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES``, ``LANG``, as gettext reads them), else the book's first language,
else English.
"""

from __future__ import annotations

import functools
import gettext
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "proceedings"
# What Babel extracts (make messages gives the same as -k options): msg() and msg_n() here,
# _(), gettext() and ngettext() in the templates of styles/.
KEYWORDS = {"msg": None, "msg_n": (1, 2), "_": None, "gettext": None, "ngettext": (1, 2)}
LANGUAGES = ("kk", "ru", "en")  # the languages messages are written in
SOURCE = "en"  # the language of the templates


class Message(str):
    """A message: its English text, with the template and parameters it was made from."""

    template: str
    plural: str | None
    params: dict[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any], plural: str | None = None) -> Message:
        values = dict(params)
        self = super().__new__(cls, _format(_chosen(template, plural, values), template, values, SOURCE))
        self.template = template
        self.plural = plural
        self.params = values
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # pickled as what it was made from
        return (Message, (self.template, self.params, self.plural))

    def data(self) -> dict[str, Any]:
        """The message as JSON data, for the caches that keep findings."""
        out: dict[str, Any] = {"t": self.template, "p": {k: v.data() if isinstance(v, Message) else v
                                                         for k, v in self.params.items()}}
        if self.plural is not None:
            out["n"] = self.plural
        return out

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Message:
        """A message kept by ``data``; raises ValueError, TypeError or KeyError if damaged."""
        params = {str(k): cls.from_data(v) if isinstance(v, dict) else _scalar(v)
                  for k, v in dict(data["p"]).items()}
        plural = data.get("n")
        return cls(str(data["t"]), params, None if plural is None else str(plural))

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the run's language)."""
        return translate(self, lang)


def _scalar(value: object) -> str | int | float:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(f"not a message parameter: {value!r}")
    return value


def msg(template: str, **params: object) -> Message:
    """A message from its English template (a literal, for Babel to extract) and the
    values of its placeholders: strings, numbers or other messages."""
    return Message(template, params)


def msg_n(singular: str, plural: str, n: int, **params: object) -> Message:
    """A message whose words follow the number ``n`` (``{n}`` in the templates); each
    language has its own forms (Russian has three)."""
    return Message(singular, {"n": n, **params}, plural)


def listing(items: Iterable[object], separator: str = ", ") -> Message:
    """Items (strings or messages) joined, each translated on its own: a list inside a
    message. Its template is not for translation: it is only the items' places."""
    values = {f"i{i}": item for i, item in enumerate(items)}
    template = separator.replace("{", "{{").replace("}", "}}").join("{" + k + "}" for k in values)
    return Message(template, values)


def _chosen(template: str, plural: str | None, params: Mapping[str, Any]) -> str:
    if plural is None:
        return template
    return template if params.get("n") == 1 else plural


def _format(text: str, template: str, params: Mapping[str, Any], lang: str) -> str:
    values = {k: translate(v, lang) if isinstance(v, Message) else v for k, v in params.items()}
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError):  # a broken translation: the English text
        if text is template:
            raise
        return template.format(**values)


def translate(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the run's language); a plain string as it is."""
    if not isinstance(message, Message):
        return message
    lang = lang or current()
    if lang == SOURCE:
        return str(message)
    catalogue = translations(lang)
    if message.plural is None:
        text = catalogue.gettext(message.template)
    else:
        text = catalogue.ngettext(message.template, message.plural, int(message.params.get("n", 0)))
    return _format(text, _chosen(message.template, message.plural, message.params), message.params, lang)


@functools.cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang``, read from its ``.po`` file (none for English, or for a
    language without one: the English text is used)."""
    path = LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == SOURCE or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as file:
        catalogue = read_po(file, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)  # fuzzy entries are left out, as msgfmt does
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# The language of this run: set once by the command line (``use``), read by the output.
_current = [SOURCE]


def use(lang: str) -> None:
    """Make ``lang`` the language messages are shown in."""
    if lang not in LANGUAGES:
        raise ValueError(f"messages are not written in {lang!r}")
    _current[0] = lang


def current() -> str:
    return _current[0]


ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def from_environment(environ: Mapping[str, str]) -> str | None:
    """The language the environment asks for, as gettext reads it: the first of
    ``LANGUAGE`` (a list, ``ru:en``), ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set;
    None when it is none of ours (``C``, ``POSIX``, ``de_DE``)."""
    for name in ENVIRONMENT:
        value = environ.get(name, "")
        if not value:
            continue
        for wanted in value.split(":") if name == "LANGUAGE" else [value]:
            lang = wanted.split(".")[0].split("@")[0].split("_")[0].lower()
            if lang in LANGUAGES:
                return lang
        if name != "LANGUAGE":
            return None  # the first locale variable set decides, as for setlocale
    return None


def choose(option: str | None, environ: Mapping[str, str], book: Sequence[str] = ()) -> str:
    """The run's language: ``--lang``, else the environment's, else the book's first
    language (when messages are written in it), else English."""
    if option:
        return option
    found = from_environment(environ)
    if found:
        return found
    for lang in book[:1]:
        if lang in LANGUAGES:
            return lang
    return SOURCE


# The names of the languages a book may be written in, as messages name them.
LANGUAGE_NAMES = {"kk": msg("Kazakh"), "ru": msg("Russian"), "en": msg("English")}


def language_name(lang: str, fallback: str = "") -> str:
    """``lang``'s name as a message parameter (``fallback``, or the code, for another)."""
    return LANGUAGE_NAMES.get(lang) or fallback or lang


def verbatim(text: str) -> Message:
    """Words of another program (a library's warning, the system's reason for an error),
    shown as they are: a message with nothing to translate."""
    return Message("{text}", {"text": text})
