"""Match a byline's names against people.yaml, and add new people to its text.

Names are compared by a folded form that forgives what differs between the name forms of
one person and between typists: case, ё/е, the Kazakh letters and their Russian
neighbours (Айгүл / Айгуль), soft and hard signs, a Latin letter typed inside a Cyrillic
word (a Latin і), and the patronymic's ending (Малайұлы / Малаевич). A match on the
folded surname and first given name is sure; a near one is only proposed.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from typing import Literal

from proceedings.model import Person, PersonName

_LATIN_TO_CYRILLIC = str.maketrans("aceiopxyACEIOPXYkmhtbKMHTB", "асеіорхуАСЕІОРХУкмһтвКМНТВ")
_FOLD = str.maketrans({"ё": "е", "ә": "а", "ғ": "г", "қ": "к", "ң": "н", "ө": "о", "ұ": "у", "ү": "у",
                       "һ": "х", "і": "и", "й": "и", "ы": "и", "ь": None, "ъ": None, "-": None, "'": None,
                       "’": None})
_TRANSLIT = {"а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
             "ж": "zh", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "k", "л": "l", "м": "m",
             "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
             "ұ": "u", "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh",
             "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya"}


def _cyrillic_word(word: str) -> str:
    """A word with its Latin look-alikes made Cyrillic, when most of its letters are."""
    cyrillic = sum(1 for ch in word if "\u0400" <= ch <= "\u04ff")
    latin = sum(1 for ch in word if ch.isascii() and ch.isalpha())
    return word.translate(_LATIN_TO_CYRILLIC) if cyrillic > latin else word


def fold(text: str) -> str:
    """A name as compared: one spelling, in Latin letters, for all its variants (Айгүл and
    Айгуль, Сейлханова and Seilkhanova)."""
    words = (_cyrillic_word(w).casefold().translate(_FOLD) for w in text.split())
    return " ".join("".join(_TRANSLIT.get(ch, ch) for ch in word) for word in words)


def _patronymic_stem(word: str, endings: tuple[str, ...]) -> str:
    for ending in endings:
        folded = fold(ending)
        if word.endswith(folded) and len(word) > len(folded) + 2:
            return word[: -len(folded)]
    return word


@dataclass(frozen=True)
class Match:
    person: str | None  # the id matched, or proposed
    sure: bool
    why: str


def _compatible(a: str, b: str, endings: tuple[str, ...]) -> Literal["same", "close", "no"]:
    """Given names (first name, then patronymic) compared after folding."""
    wa, wb = fold(a).split(), fold(b).split()
    if not wa or not wb:
        return "close"
    ia, ib = _initials(wa), _initials(wb)
    if ia is not None or ib is not None:
        # «Е.М.» against «Ержан Малаевич»: the same when every initial agrees.
        initials, words = (ia, wb) if ia is not None else (ib, wa)
        assert initials is not None
        if len(initials) == len(words) and all(w.startswith(i) for i, w in zip(initials, words, strict=True)):
            return "same"
        return "close" if words and words[0].startswith(initials[0]) else "no"
    first_a, first_b = wa[0].rstrip("."), wb[0].rstrip(".")
    if first_a != first_b:
        # Initials only (А.М.) against a full name.
        if (len(first_a) <= 2 or len(first_b) <= 2) and first_a[:1] == first_b[:1]:
            return "close"
        return "close" if difflib.SequenceMatcher(None, first_a, first_b).ratio() >= 0.8 else "no"
    if len(wa) > 1 and len(wb) > 1:
        pa, pb = _patronymic_stem(wa[1], endings), _patronymic_stem(wb[1], endings)
        if not (pa.startswith(pb[:4]) or pb.startswith(pa[:4])):
            return "close"
    return "same"


def _initials(words: list[str]) -> list[str] | None:
    """The letters of given names written as initials («е.м.», «е. м.»), else None."""
    parts = [p for w in words for p in w.split(".") if p]
    # Two Latin letters may be one Cyrillic initial (Ж. → zh.).
    if words and all(len(p) <= 2 for p in parts) and all(w.endswith(".") for w in words):
        return parts
    return None


def match_person(surname: str, given: str, people: dict[str, Person], endings: tuple[str, ...]) -> Match:
    """The person of people.yaml this byline names, by every name form of every person."""
    key = fold(surname)
    sure: list[str] = []
    close: list[tuple[float, str]] = []
    for person in people.values():
        best: Literal["same", "close", "no"] = "no"
        score = 0.0
        for name in person.names.values():
            ratio = difflib.SequenceMatcher(None, key, fold(name.surname)).ratio()
            if ratio == 1.0:
                verdict = _compatible(given, name.given or "", endings)
                if verdict == "same":
                    best, score = "same", 1.0
                    break
                if verdict == "close":
                    best, score = "close", max(score, 0.95)
            elif ratio >= 0.85 and _compatible(given, name.given or "", endings) != "no":
                best, score = "close", max(score, ratio)
        if best == "same":
            sure.append(person.id)
        elif best == "close":
            close.append((score, person.id))
    if len(sure) == 1:
        return Match(sure[0], True, "")
    if sure:
        return Match(sure[0], False, f"people.yaml has {len(sure)} people of this name: {', '.join(sure)}")
    if close:
        _, best_id = max(close)
        return Match(best_id, False, "a close but not equal name")
    return Match(None, False, "")


def new_id(surname: str, taken: set[str]) -> str:
    """An id for a new person: the surname in Latin letters, made unique."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in surname.casefold())
    base = re.sub(r"[^a-z0-9]+", "-", latin).strip("-") or "person"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def person_yaml(person_id: str, lang: str, name: PersonName, email: str | None, orcid: str | None,
                comment: str) -> str:
    """A people.yaml entry as text, in the order and indentation of the file's entries."""
    lines = [f"# {comment}", f"- id: {person_id}", "  names:", f"    {lang}:"]
    for field in ("surname", "given", "position", "department", "institution", "degree",
                  "academic_title", "rank"):
        value = getattr(name, field)
        if value:
            lines.append(f"      {field}: {_quoted(value)}")
    if email:
        lines.append(f"  email: {_quoted(email)}")
    if orcid:
        lines.append(f"  orcid: {orcid}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    """A YAML scalar that reads back as exactly ``text`` (a JSON string is YAML)."""
    return json.dumps(text, ensure_ascii=False)


def append_people(text: str, entries: list[str]) -> str:
    """people.yaml's text with new entries at its end; comments and order are kept."""
    if not entries:
        return text
    body = text if text.endswith("\n") or not text else text + "\n"
    if body.strip() in {"", "[]"}:
        body = ""
    return body + "".join(f"\n{entry}" for entry in entries)
