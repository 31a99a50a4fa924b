"""Spelling: words the dictionary of their language does not know, and words glued together.

The dictionaries are hunspell's, as Debian packages them, read through Enchant
(pyenchant), and for Russian also pymorphy3's (OpenCorpora), which lists the inflected
forms the hunspell one lacks. The ``checker:`` section of each language's locale file
(``styles/locales/<lang>.yaml``) says what the language decides. A Cyrillic word is
looked up in the book's Kazakh and Russian dictionaries, a Latin one in its English one:
papers quote the other language often, and a word that is right in either is not a typo.

What is accepted besides the dictionaries (the book's own word list):

- the words of people's names in people.yaml;
- ``words.txt`` in the sources folder, one word a line (``proceedings check --accept``
  adds to it);
- words that recur: in two papers or more, or three times in the book. A typo is made
  once; a term the dictionary lacks is used again. So are stems that recur, with the
  endings of a language that has them («алқаби» in «алқабилердің»);
- a listed word with the endings (Kazakh) or behind the prefixes that
  its locale file gives, and Russian compounds with a linking «о».

Even so, the Kazakh dictionary lacks most forms, and both lack rare terms. In a language
marked ``evidence``, a word they do not know is reported only with evidence against it:
two words glued together («позащите», «үшінзаңнама»), or one slip of the hand from a
word the book uses twice or (``complete``) the dictionary lists: letters swapped
(«вяляется»), one confused with another («колжетімділік»), one left out or doubled.
The rest are let be: read by hand, the 2024 book's unknown words without such evidence
were nearly all right.

Capitalised words are not looked up: in these papers they are mostly names, of people,
places and laws, that no dictionary lists. Nor are words of fewer than three letters,
abbreviations in capitals, words with a digit, or words that mix scripts (the
``mixed-script`` check reports those).

Each distinct word is looked up once, whatever the number of its uses.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from proceedings.check.base import Check, Unit, body_units, keyword_locations, quote
from proceedings.check.text import URL_RE
from proceedings.diagnostics import Diagnostic, note, warning
from proceedings.load import display_path
from proceedings.locales import checker_table, shipped
from proceedings.markup import CITATION_RE
from proceedings.messages import language_name, listing, msg, msg_n

if TYPE_CHECKING:
    from proceedings.model import Sources

WORDS_FILE = "words.txt"
# A stem that recurs in the book accepts the words made of it when it is at least this
# long and no dictionary lists it (a term: «алқаби»); a shorter or a listed one would
# accept typos of its endings.
STEM_LETTERS = 5
# A word the dictionaries do not know is a slip of the hand for another when it has this
# many letters at least and differs from it in one letter before its last three.
SLIP_LETTERS = 8
ENDING_LETTERS = 3


@cache
def languages() -> dict[str, dict[str, Any]]:
    """What each language decides for the checker: the ``checker:`` section of its
    locale file (``styles/locales/<lang>.yaml``), with its name and quotes."""
    return checker_table(shipped())


def checks(sources: Sources, units: Sequence[Unit]) -> list[Check]:
    # One check for the book: what a word list accepts depends on every paper.
    return [Check("spelling", display_path(Path(sources.root)), partial(_check_book, sources))]


# --- the dictionaries ---------------------------------------------------------------------


class Dictionaries:
    """The spelling dictionaries of some languages, each word looked up once."""

    def __init__(self, langs: Iterable[str]) -> None:
        self.missing: list[str] = []  # languages whose dictionary is not installed
        self.checkers: dict[str, list[Callable[[str], bool]]] = {}
        self.unavailable = False  # Enchant itself is not installed
        self._known: dict[tuple[str, str], bool] = {}
        wanted = [lang for lang in langs if lang in languages()]
        try:
            import enchant  # the binding loads libenchant as it is imported
        except (ImportError, OSError):
            self.unavailable = True
            self.missing = wanted
            return
        for lang in wanted:
            spec = languages()[lang]
            try:
                self.checkers[lang] = [enchant.Dict(spec["dictionary"]).check]
            except enchant.errors.DictNotFoundError:
                self.missing.append(lang)
                continue
            if spec.get("analyser") == "pymorphy3":
                self.checkers[lang].append(_pymorphy3())

    def plain(self, lang: str, word: str) -> bool:
        """Whether a dictionary of ``lang`` lists ``word`` as it is."""
        key = (lang, word)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = any(check(word) for check in self.checkers[lang])
        return found

    def stem(self, lang: str, word: str) -> bool:
        """Whether ``word`` is listed in a dictionary a stem of ``lang`` may come from."""
        return any(self.plain(source, word) for source in languages()[lang].get("stems_from", [lang])
                   if source in self.checkers)

    def known(self, lang: str, word: str) -> bool:
        """Listed, or a listed word with the language's endings or behind one of its prefixes."""
        key = ("+" + lang, word)
        found = self._known.get(key)
        if found is None:
            spec = languages()[lang]
            found = (
                self.plain(lang, word)
                or any(partial(self.stem, lang)(stem) for stem in stems(word, lang))
                or any(word.startswith(p) and len(word) - len(p) >= 3 and self._bare(lang, word[len(p):])
                       for p in spec.get("prefixes", []))
                or self._compound(lang, word, spec.get("linking", ""))
            )
            self._known[key] = found
        return found


    def _compound(self, lang: str, word: str, linking: str) -> bool:
        """Two listed words joined by a linking vowel: «прав» + «о» + «применители»,
        «пациент» + «о» + «ориентированной»; the first of four letters at least, the second of
        five. Not an inflected word and another («российского» + «общества»): glued words."""
        if not linking:
            return False
        return any(word[i] in linking and self.plain(lang, word[:i]) and self.plain(lang, word[i + 1 :])
                   for i in range(4, len(word) - 5))

    def _bare(self, lang: str, word: str) -> bool:
        return self.plain(lang, word) or any(self.stem(lang, stem) for stem in stems(word, lang))


def _pymorphy3() -> Callable[[str], bool]:
    import pymorphy3

    return pymorphy3.MorphAnalyzer().word_is_known  # type: ignore[no-any-return]


@cache
def _ending_sets(lang: str) -> tuple[tuple[frozenset[str], tuple[int, ...]], ...]:
    """Each group of endings as a set, with the lengths of its endings."""
    groups = languages()[lang].get("endings", [])
    return tuple((frozenset(g), tuple(sorted({len(e) for e in g}))) for g in groups)


@cache
def stems(word: str, lang: str) -> frozenset[str]:
    """What ``word`` may be with endings of ``lang`` removed (outermost group first, each
    group at most once), each of three letters at least; not ``word`` itself.

    An ending that begins with a voiceless consonant follows only a voiceless sound, and
    one that begins with a voiced consonant never does (``жалғасады``, not ``жалғасаты``).
    """
    spec = languages()[lang]
    groups = _ending_sets(lang)
    voiceless = set(spec.get("voiceless", ""))
    after_voiceless = set(spec.get("voiceless_endings", ""))
    not_after_voiceless = set(spec.get("voiced_endings", ""))
    found: set[str] = set()
    seen: set[tuple[str, int]] = set()

    def strip(stem: str, start: int) -> None:
        for g in range(start, len(groups)):
            endings, lengths = groups[g]
            for n in lengths:
                if len(stem) - n < 3:
                    break
                ending = stem[-n:]
                if ending not in endings:
                    continue
                rest = stem[:-n]
                last = rest[-1] in voiceless
                if (ending[0] in after_voiceless and not last) or (ending[0] in not_after_voiceless and last):
                    continue
                found.add(rest)
                if (rest, g + 1) not in seen:
                    seen.add((rest, g + 1))
                    strip(rest, g + 1)

    strip(word, 0)
    return frozenset(found)


# --- the words of the book ---------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """Printed text in one language, as units."""

    lang: str
    units: list[Unit] = field(default_factory=list)


# The texts of the book being checked, made once for the checks that read them.
_texts_of: list[tuple[Sources, list[Text]]] = []


def texts(sources: Sources) -> list[Text]:
    """The text the spelling and sentence checks read: papers' titles, abstracts,
    keywords and bodies, the resolutions, and the programme's titles."""
    if _texts_of and _texts_of[0][0] is sources:
        return _texts_of[0][1]
    found = _texts(sources)
    _texts_of[:] = [(sources, found)]
    return found


def _texts(sources: Sources) -> list[Text]:
    found: list[Text] = []
    for paper in sources.ordered_papers():
        front = []
        if paper.title:
            front.append(Unit(paper.path, ((sources.line_of(paper.path, "title"), paper.title),)))
        if paper.abstract:
            front.append(Unit(paper.path, ((sources.line_of(paper.path, "abstract"), paper.abstract),),
                              body=True))
        # Abstracts and keywords in other languages are spelled as those languages.
        other: dict[str, list[Unit]] = {}
        for lang, abstract in paper.abstracts.items():
            if abstract:
                line = sources.line_of(paper.path, "abstracts", lang)
                unit = Unit(paper.path, ((line, abstract),), body=True)
                (front if lang == paper.lang else other.setdefault(lang, [])).append(unit)
        for loc, keyword in keyword_locations(paper):
            lang = loc[1] if isinstance(loc[1], str) else paper.lang
            unit = Unit(paper.path, ((sources.line_of(paper.path, *loc), keyword),))
            (front if lang == paper.lang else other.setdefault(lang, [])).append(unit)
        found.append(Text(paper.lang, front + body_units(paper.path, paper.body, paper.body_line)))
        found += [Text(lang, units) for lang, units in other.items()]
    for resolution in sources.resolutions:
        heading = [Unit(resolution.path, ((sources.line_of(resolution.path, "heading", i), line),))
                   for i, line in enumerate(resolution.heading)]
        found.append(Text(resolution.lang, heading + body_units(resolution.path, resolution.body,
                                                                  resolution.body_line)))
    if sources.programme is not None:
        path = display_path(Path(sources.root) / "programme.yaml")
        by_lang: dict[str, list[Unit]] = defaultdict(list)
        for loc, slot in sources.programme.placed_slots():
            for lang, title in slot.title.items():
                line = sources.line_of(path, *loc, "title", lang)
                by_lang[lang].append(Unit(path, tuple((line, t) for t in title.split("\n") if t.strip())))
        found += [Text(lang, units) for lang, units in by_lang.items()]
    return found


# Markup and addresses, which are not words of the text: links' targets, attributes,
# citations, footnote calls, inline code, addresses of the web and of mail.
_NOT_TEXT_RE = re.compile(r"\]\([^)\s]*\)|\{[^{}\n]*\}|`[^`]*`|\[\^[^\]]*\]|\S+@\S+\.\w+")
WORD_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_CYRILLIC_RE = re.compile("[\u0400-\u052f]")
_LATIN_RE = re.compile("[a-zA-Z\u00c0-\u024f]")


# Caches of 4,096 lines: a book of this kind has fewer (the 2024 book's check takes as
# long as with 65,536), and a larger book's check does not hold a copy of all its lines.
@lru_cache(maxsize=1 << 12)
def clean(text: str) -> str:
    """A line without its markup, citations and addresses, each replaced by a space
    (cached: five checks read each line)."""
    text = URL_RE.sub(" ", _NOT_TEXT_RE.sub(" ", text))
    return CITATION_RE.sub(" ", text)


@lru_cache(maxsize=1 << 12)
def words_of(text: str) -> tuple[str, ...]:
    """The words of a line (cached: the spelling check reads each line twice)."""
    return tuple(WORD_RE.findall(clean(text)))


@dataclass(frozen=True)
class Vocabulary:
    """The book's own words, case-folded."""

    accepted: set[str]  # the word list: names, words.txt, words that recur
    stems: set[str]  # stems (of languages with endings) that recur
    words: set[str]  # every word used twice or more


def vocabulary(sources: Sources, found: Sequence[Text], known: Callable[[str], bool]) -> Vocabulary:
    """The book's own word list (see the module's docstring) and the words it uses.

    The stems are those of words ``known`` does not know: a stem that recurs only in
    words the dictionaries list is of no use, and looking for the stems of every word
    of a book would take most of the check's time."""
    accepted: set[str] = set()
    for person in sources.people.values():
        for name in person.names.values():
            for value in (name.surname, name.given):
                accepted.update(w.casefold() for w in WORD_RE.findall(value or ""))
    accepted |= read_word_list(Path(sources.root))
    uses: Counter[str] = Counter()
    papers: dict[str, set[str]] = defaultdict(set)
    for text in found:
        for unit in text.units:
            for _, line in unit.lines:
                for word in words_of(line):
                    word = word.casefold()
                    uses[word] += 1
                    papers[word].add(unit.path)
    accepted.update(w for w, n in uses.items() if n >= 3 or len(papers[w]) >= 2)
    stem_uses: Counter[str] = Counter()
    stem_papers: dict[str, set[str]] = defaultdict(set)
    for lang in [lang for lang, spec in languages().items() if spec.get("endings")]:
        for word, n in uses.items():
            if len(word) < STEM_LETTERS or not _CYRILLIC_RE.search(word) or word in accepted \
                    or _skipped(word) or known(word):
                continue
            for stem in stems(word, lang) | {word}:
                if len(stem) >= STEM_LETTERS:
                    stem_uses[stem] += n
                    stem_papers[stem] |= papers[word]
    recurring = {s for s, n in stem_uses.items() if n >= 3 or len(stem_papers[s]) >= 2}
    return Vocabulary(accepted, recurring, {w for w, n in uses.items() if n >= 2})


def read_word_list(root: Path) -> set[str]:
    """The words of ``words.txt`` in ``root``, case-folded; ``#`` starts a comment."""
    try:
        lines = (root / WORDS_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set()
    return {w.casefold() for line in lines for w in line.split("#", 1)[0].split()}


def accept(root: Path, words: Sequence[str]) -> list[str]:
    """Add ``words`` to ``words.txt`` in ``root`` (those not there yet); returns those added."""
    from proceedings.files import write_atomic

    path = root / WORDS_FILE
    listed = read_word_list(root)
    added = [w for w in dict.fromkeys(words) if w.casefold() not in listed]
    if added:
        try:
            old = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            old = ""
        if old and not old.endswith("\n"):
            old += "\n"
        write_atomic(path, (old + "".join(f"{w}\n" for w in added)).encode())
    return added


# --- the check ------------------------------------------------------------------------------


def _skipped(word: str) -> bool:
    """Words not looked up: short, capitalised (names), or in two scripts."""
    if len(word) < 3 or not word.islower():
        return True
    return bool(_CYRILLIC_RE.search(word)) and bool(_LATIN_RE.search(word))


def _langs_of(word: str, dictionaries: Dictionaries) -> list[str]:
    if _CYRILLIC_RE.search(word):
        return [lang for lang in ("kk", "ru") if lang in dictionaries.checkers]
    return ["en"] if "en" in dictionaries.checkers else []


def _known(word: str, dictionaries: Dictionaries) -> bool:
    langs = _langs_of(word, dictionaries)
    if not langs:
        return True  # no dictionary of its script: nothing to say
    # Listed as it is in any of them, first: the endings and prefixes cost more look-ups.
    if any(dictionaries.plain(lang, word) for lang in langs) or any(dictionaries.known(lang, word)
                                                                    for lang in langs):
        return True
    parts = re.split(r"[-'’]", word)
    prefixes = {p for lang in langs for p in languages()[lang].get("prefixes", [])}
    return len(parts) > 1 and all(
        len(p) < 3 or p in prefixes or any(dictionaries.known(lang, p) for lang in langs) for p in parts)


def glued(word: str, lang: str, dictionaries: Dictionaries) -> str | None:
    """``word`` as two words the dictionary of ``lang`` lists, split by a space, or None.

    Only for a language whose dictionaries list every form (``glued: true``): the Kazakh
    one would split the forms it lacks into a stem and a word («қатыс пау»).
    """
    spec = languages().get(lang, {})
    if "-" in word or len(word) < 5 or not spec.get("glued") or lang not in _langs_of(word, dictionaries):
        return None
    short = set(spec.get("short_words", []))
    prefixes = set(spec.get("prefix_words", []))
    least = spec.get("glued_part", 3)
    best: tuple[int, str] | None = None
    for i in range(1, len(word)):
        left, right = word[:i], word[i:]
        if (len(left) >= least or left in short) and (len(right) >= least or right in short) \
                and left not in prefixes and dictionaries.plain(lang, left) \
                and dictionaries.plain(lang, right):
            score = min(len(left), len(right)) + (10 if left in short or right in short else 0)
            if best is None or score > best[0]:
                best = (score, f"{left} {right}")
    return best[1] if best else None


def _check_book(sources: Sources) -> Iterator[Diagnostic]:
    found = texts(sources)
    langs = list(dict.fromkeys([*sources.book.languages, *(t.lang for t in found)]))
    dictionaries = dictionaries_for(tuple(langs))
    if dictionaries.missing:
        packages = " ".join(languages()[lang]["package"] for lang in dictionaries.missing)
        names = listing(language_name(lang, languages()[lang]["name"]) for lang in dictionaries.missing)
        if dictionaries.unavailable:
            packages = "libenchant-2-2 " + packages
            message = msg("spelling in {names} is not checked: Enchant and the hunspell dictionaries are not "
                          "installed; to install them: sudo apt-get install {packages} (make does it when "
                          "run as root)", names=names, packages=packages)
        else:
            message = msg("spelling in {names} is not checked: the hunspell dictionaries are not installed; "
                          "to install them: sudo apt-get install {packages} (make does it when run as "
                          "root)", names=names, packages=packages)
        yield note(display_path(Path(sources.root) / "book.yaml"), 0, message, "spelling-unchecked")
    if not dictionaries.checkers:
        return
    book = vocabulary(sources, found, partial(_known, dictionaries=dictionaries))
    # (word, language) → None (known), "" (misspelt) or the word split in two
    verdicts: dict[tuple[str, str], str | None] = {}
    words_file = display_path(Path(sources.root) / WORDS_FILE)
    for text in found:
        for unit in text.units:
            for line, raw in unit.lines:
                unknown: dict[str, str] = {}
                for word in words_of(raw):
                    if _skipped(word) or word.casefold() in book.accepted or word in unknown:
                        continue
                    key = (word, text.lang)
                    if key not in verdicts:
                        verdicts[key] = _verdict(word, text.lang, dictionaries, book)
                    verdict = verdicts[key]
                    if verdict is not None:
                        unknown[word] = verdict
                yield from _report(unit.path, line, unknown, words_file)


def _verdict(word: str, lang: str, dictionaries: Dictionaries, book: Vocabulary) -> str | None:
    """None for a known word; else the word split in two, or "" for a misspelt one."""
    if _known(word, dictionaries):
        return None
    folded = word.casefold()
    for source in _langs_of(word, dictionaries):
        for stem in stems(folded, source):
            if len(stem) >= STEM_LETTERS and stem in book.stems and not dictionaries.stem(source, stem):
                return None
    spec = languages().get(lang, {})
    if not spec.get("evidence") or lang not in _langs_of(word, dictionaries):
        return glued(word, lang, dictionaries) or ""
    # Only a word with evidence against it is reported: two words glued together, or a
    # slip of the hand for a word the book uses or the dictionary lists.
    split = glued(word, lang, dictionaries) or _split_in(folded, book.words.__contains__)
    if split:
        return split
    if len(folded) < SLIP_LETTERS:
        return None  # short words are one letter from too many others
    # Edits in the last letters would turn a word into another form of itself (the
    # ending is where forms differ): only the letters before them are changed.
    stem, ending = folded[:-ENDING_LETTERS], folded[-ENDING_LETTERS:]
    if any(near != stem and near + ending in book.words for near in _edits(stem, spec.get("alphabet", ""))):
        return ""
    if spec.get("complete"):
        listed = partial(dictionaries.plain, lang)
        if any(near != stem and listed(near + ending) for near in _slips(stem, spec.get("confusable", []))):
            return ""
    return None


def _split_in(word: str, listed: Callable[[str], bool]) -> str | None:
    """``word`` as two words that ``listed`` accepts, of four letters and five or more, or None."""
    splits = [i for i in range(4, len(word) - 4) if listed(word[:i]) and listed(word[i:])]
    if not splits:
        return None
    i = max(splits, key=lambda i: min(i, len(word) - i))
    return f"{word[:i]} {word[i:]}"


def _edits(word: str, alphabet: str) -> Iterator[str]:
    """Every word one edit away: a letter deleted, replaced or inserted, two swapped."""
    for i in range(len(word) + 1):
        left, right = word[:i], word[i:]
        if right:
            yield left + right[1:]
            if len(right) > 1:
                yield left + right[1] + right[0] + right[2:]
        for ch in alphabet:
            yield left + ch + right
            if right:
                yield left + ch + right[1:]


def _slips(word: str, confusable: Sequence[str]) -> Iterator[str]:
    """The words ``word`` may be a slip of the hand for, few enough to look up in a
    dictionary: a letter typed for one it is confused with (``к`` for ``қ``, ``в`` for
    ``ф``), two letters swapped, a letter left out of a pair or doubled, one too many."""
    alike = {ch: group for group in confusable for ch in group}
    for i, ch in enumerate(word):
        left, right = word[:i], word[i + 1 :]
        yield left + right  # one letter too many
        for other in alike.get(ch, ""):
            if other != ch:
                yield left + other + right
        if right:
            yield left + right[0] + ch + right[1:]
            if right[0] == ch:
                yield left + right  # a doubled letter typed twice
        yield left + ch + ch + right  # a doubled letter typed once


def _report(path: str, line: int, unknown: dict[str, str], words_file: str) -> Iterator[Diagnostic]:
    typos = [w for w, split in unknown.items() if not split]
    for word, split in unknown.items():
        if split:
            yield warning(path, line, msg("'{word}' reads as two words glued together: write '{split}'",
                                          word=word, split=split), "glued-words")
    if typos:
        listed = ", ".join(f"'{w}'" for w in typos)
        yield warning(path, line, msg_n(
            "{listed} is not in the dictionary: correct it, or, if right, accept it with 'proceedings "
            "check --accept {word}' (which adds to {file})",
            "{listed} are not in the dictionary: correct them, or, if right, accept them with "
            "'proceedings check --accept {word}' (which adds to {file})",
            len(typos), listed=listed, word=quote(typos[0], 30), file=words_file), "spelling")


@cache
def dictionaries_for(langs: tuple[str, ...]) -> Dictionaries:
    """Loaded once a process: a warm ``proceedings watch`` looks words up again."""
    return Dictionaries(langs)
