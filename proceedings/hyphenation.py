"""Kazakh (``kk``) hyphenation for WeasyPrint, through pyphen.

pyphen ships no Kazakh dictionary (``pyphen.language_fallback("kk")`` is ``None``),
so WeasyPrint silently leaves ``lang="kk"`` text unhyphenated.  This module

* states the Kazakh syllable-division rules once, as plain Python
  (:func:`syllable_breaks`, :func:`break_positions`, :func:`hyphenate`): this is
  the *reference*;
* generates a Liang/Hunspell pattern file that reproduces those rules
  (:func:`generate_patterns`), committed as ``styles/locales/hyph_kk.dic``, which the Kazakh locale
  (``styles/locales/kk.yaml``) names as its ``hyphenation`` dictionary;
* registers that file with pyphen for ``kk`` and ``kk_KZ``
  (:func:`register_kazakh`), which is all WeasyPrint needs.

Regenerating the dictionary
---------------------------
After changing any rule or letter class below, run from the repository root::

    python -m proceedings.hyphenation            # rewrites styles/locales/hyph_kk.dic
    python -m proceedings.hyphenation --check    # exit status 1 if the file is stale

``tests/test_hyphenation_kk.py`` fails while the committed file differs from the
generator's output, and checks the patterns against the reference function.

The rules
---------
They follow the Kazakh orthography rules on *тасымал* (line-end division):
words are divided at syllable boundaries and a syllable never starts with a vowel
unless two vowels meet.

Letters.  Vowels: а ә е ё і о ө ұ ү ы э ю я, plus и and у.  Consonants:
б в г ғ д ж з й к қ л м н ң п р с т ф х һ ц ч ш щ (й is always a consonant).
ъ and ь are *signs*: they belong to the consonant before them and never start
a fragment.

1. **One consonant between vowels** goes to the next syllable: ба-ла, қа-ла,
   да-йын-дық, ке-йін (й is a consonant: "да-йындық, дай-ындық емес").
2. **Two consonants** are split between them: мек-теп, ақ-па-рат, мем-ле-кет,
   рес-пуб-ли-ка (also obstruent + р/л in loanwords: об-лыс, де-мок-ра-тия).
3. **Three or more consonants**: the official rule keeps all but the last
   consonant on the line ("құмырс-қа, күңгірт-теу, жаңғырт-ты" — *not*
   құмыр-сқа), so жұрт-шы-лық, айт-ты, есірт-кі, цифр-лан-ды-ру, транс-порт,
   фильм-дер, ми-нистр-лік.  Exception, for the clusters that occur in
   loanwords and in the ``-стан`` names: when the last two consonants form an
   onset that Russian and loanword spelling keep together (:data:`ONSETS`:
   obstruent + р/л, and ст) and a consonant precedes them, the break goes
   before that onset: Қа-зақ-стан, Өз-бек-стан, кон-сти-ту-ция, ин-сти-тут,
   элек-трон-дық, ин-фра-құ-ры-лым, экс-тре-мизм.  (Not for ст + vowel after a
   vowel, which is rule 2: Пә-кіс-тан, ста-тис-ти-ка.)
4. **и and у.**  у after a vowel letter is the consonant [w] and, like й, goes
   to the next syllable before a vowel (да-уыс, жа-уап, қа-уіп-сіз-дік) and
   closes the syllable before a consonant (сау-да, ау-дан, тер-геу).
   After a consonant, у and и stand for ұу/үу and ый/ій: they are vowels and
   the next syllable starts with the following vowel (су-ық, бу-ын, қи-ын,
   ки-ім, ку-ә-гер, си-ту-а-ция).  A word-initial у before a vowel
   (уақыт, уәде) is the consonant; it makes no difference to the breaks.
5. **Other vowel meetings** are divided (про-ект, по-э-ма, те-атр, мә-де-ни-ет,
   са-я-сат, ала-яқ-тық) except и + а/о/я/ю/ё (:data:`UNSPLIT_HIATUS`), which
   stay together: the -ия/-ция endings of loanwords keep their Kazakh suffixes
   on the far side (ар-мия-сы, ин-фор-ма-ция-лық, кри-ми-но-ло-гия), and био-,
   радио-, диа-, материал do not split inside (био-ло-гия, ма-те-риал-дық).
6. **Signs**: ь stays with its consonant (се-мья, ком-пью-тер, мо-дель-дер);
   after ъ the break goes after the sign (объ-ек-тив, субъ-ект).
7. **Word edges**: no one-letter fragment at either end (left and right
   minimum 2: "а-лақан емес, ала-қан", "арми-я емес, ар-мия"), and no break
   inside a word-initial consonant cluster (стра-те-гия).

Only words made of Kazakh Cyrillic letters are divided by the reference; for
anything else :func:`syllable_breaks` returns no breaks.

Patterns
--------
:func:`generate_patterns` writes these pattern families (levels in brackets):

* ``1cv`` for every consonant c and vowel v, and ``1cьv`` [1]: rules 1-3 default;
* ``v11v2`` for the divisible vowel pairs [1], ``ъ1v`` [1]: rules 5-6;
* ``x1у2v`` for a vowel letter x [1, 2]: у after a vowel is a consonant (rule 4);
* ``c3x2y`` for a consonant or sign c and an onset xy [3, 2], cancelled by
  ``4xyC`` / ``4xy.`` when a consonant or the word end follows the onset [4]:
  rule 3's exception applies only to the *last* two consonants of a cluster;
  ``x3yьv`` [3]: with a soft sign the pair is no onset, break before y;
* ``.x6``, ``6x.``, ``.xy6``, ``6ь``, ``6ъ`` [6]: rule 7 and the signs.

Patterns with the same letters are merged (pointwise maximum), as Liang's
algorithm itself would combine them.

Known limitations of the patterns (the reference is unaffected): a word whose
first vowel is preceded by four or more letters, or by three letters ending in
ъ (Russian взъ-), may get a break inside that initial cluster — no Kazakh word,
native or borrowed, starts like that; and words mixing Kazakh letters with
other characters (Latin letters, digits) may get breaks in their Kazakh part,
where the reference gives none.

pyphen reads but ignores the ``LEFTHYPHENMIN``/``RIGHTHYPHENMIN`` lines (they
are in its ``ignored`` prefixes; it uses its ``left``/``right`` arguments, which
WeasyPrint takes from ``hyphenate-limit-chars``); they are written for
libhyphen (LibreOffice) users of the file, and the minimum of 2 is also built
into the patterns so that ``hyphenate-limit-chars: auto 1 1`` cannot produce a
one-letter fragment.
"""

from __future__ import annotations

import argparse
import sys
from itertools import pairwise, product
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pyphen

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CONSONANTS",
    "DICTIONARY_PATH",
    "LANGUAGE_CODES",
    "ONSETS",
    "UNSPLIT_HIATUS",
    "VOWELS",
    "break_positions",
    "generate_patterns",
    "hyphenate",
    "main",
    "register",
    "register_kazakh",
    "syllable_breaks",
    "write_dictionary",
]

#: Letters that are always vowels.
PURE_VOWELS: Final = frozenset("аәеёіоөұүыэюя")
#: All letters that can be a syllable nucleus: и is always a vowel, у only
#: where it is not the consonant [w] (see rule 4 in the module docstring).
VOWELS: Final = PURE_VOWELS | {"и", "у"}
#: Letters that are always consonants (й included).
CONSONANTS: Final = frozenset("бвгғджзйкқлмнңпрстфхһцчшщ")
#: Hard and soft signs: they attach to the preceding consonant.
SIGNS: Final = frozenset("ъь")
#: The 42 letters of the Kazakh Cyrillic alphabet.
ALPHABET: Final = VOWELS | CONSONANTS | SIGNS

#: Two-consonant onsets kept together after another consonant (rule 3):
#: obstruent + р/л as in Russian and international words (элек-трон-дық,
#: ин-фра-құ-ры-лым, Ан-глия) and ст (Қа-зақ-стан, кон-сти-ту-ция).  сп and
#: ск are deliberately absent: the prefixes trans-/ex- want транс-порт,
#: экс-порт, экс-пер-ти-за rather than тран-спорт.
ONSETS: Final = frozenset(
    {
        "бр", "вр", "гр", "др", "кр", "пр", "тр", "фр", "хр",
        "бл", "гл", "кл", "пл", "фл",
        "ст",
    }
)  # fmt: skip

#: Vowel pairs that are never divided (rule 5).
UNSPLIT_HIATUS: Final = frozenset({"иа", "ио", "ия", "ию", "иё"})

#: Smallest fragment allowed at the start and at the end of a word (rule 7).
LEFT_MIN: Final = 2
RIGHT_MIN: Final = 2

#: The generated pattern file, beside the Kazakh locale that names it.
DICTIONARY_PATH: Final = Path(__file__).resolve().parent.parent / "styles" / "locales" / "hyph_kk.dic"

#: pyphen language codes registered by :func:`register_kazakh`.
LANGUAGE_CODES: Final = ("kk", "kk_KZ")

# Pattern levels.  Odd levels allow a break, even ones forbid it, the highest
# value found at a position wins.
_BREAK: Final = 1  # default syllable boundary
_KEEP: Final = 2  # undoes a level-1 break (у as consonant, inside an onset)
_ONSET_BREAK: Final = 3  # break before an onset, beats the level-2 keep
_ONSET_CANCEL: Final = 4  # the onset is not the end of its cluster
_NEVER: Final = 6  # word edges, initial clusters, before ъ/ь: beats everything

_VOWEL, _CONSONANT, _SIGN = "V", "C", "S"


def _letter_classes(word: str) -> list[str]:
    """Classify each letter of a lower-case Kazakh word as vowel, consonant or sign.

    The only context-dependent letter is у: after any vowel letter (и and у
    included, which keeps the rule expressible in three-letter patterns) it is
    the consonant [w]; at the start of a word it is a consonant before a vowel
    other than у.
    """
    classes: list[str] = []
    for index, letter in enumerate(word):
        if letter in SIGNS:
            classes.append(_SIGN)
        elif letter in CONSONANTS:
            classes.append(_CONSONANT)
        elif letter == "у":
            if index:
                consonant = word[index - 1] in VOWELS
            else:
                consonant = word[1:2] in PURE_VOWELS or word[1:2] == "и"
            classes.append(_CONSONANT if consonant else _VOWEL)
        else:
            classes.append(_VOWEL)
    return classes


def _cluster_break(word: str, classes: Sequence[str], start: int, end: int) -> int | None:
    """Return where the consonant cluster ``word[start:end]`` between two vowels splits.

    ``None`` means no break (only possible for a malformed cluster of signs).
    """
    if word[end - 1] == "ъ":
        # Rule 6: объ-ект, субъ-ект — ъ closes the syllable.
        return end
    consonants = [i for i in range(start, end) if classes[i] == _CONSONANT]
    if not consonants:
        return None
    last = consonants[-1]
    if len(consonants) >= 3:
        first_of_onset = consonants[-2]
        plain_onset = first_of_onset + 1 == last and last + 1 == end
        if (
            plain_onset
            and word[first_of_onset : last + 1] in ONSETS
            # The letter before the onset must be a real consonant (or the sign
            # that ends one); у as [w] does not trigger the exception.
            and (word[first_of_onset - 1] in CONSONANTS or word[first_of_onset - 1] in SIGNS)
        ):
            return first_of_onset
    # Rules 1-3: one consonant goes to the next syllable, two are split, of
    # three or more only the last one is carried over.
    return last


def syllable_breaks(word: str) -> list[int]:
    """Return every syllable boundary of a Kazakh word, ignoring the edge minimums.

    Positions count letters from the start of the word: 2 means "between the
    second and the third letter".  Words containing anything but Kazakh Cyrillic
    letters get no breaks.
    """
    lowered = word.lower()
    if not lowered or any(letter not in ALPHABET for letter in lowered):
        return []
    classes = _letter_classes(lowered)
    nuclei = [index for index, kind in enumerate(classes) if kind == _VOWEL]
    breaks: list[int] = []
    for before, after in pairwise(nuclei):
        if after == before + 1:
            # Rule 5: two vowels meet.
            if lowered[before : after + 1] not in UNSPLIT_HIATUS:
                breaks.append(after)
            continue
        position = _cluster_break(lowered, classes, before + 1, after)
        if position is not None:
            breaks.append(position)
    return breaks


def break_positions(word: str, left: int = LEFT_MIN, right: int = RIGHT_MIN) -> list[int]:
    """Return the allowed hyphenation positions of a Kazakh word (the reference).

    ``left`` and ``right`` are the smallest fragments allowed at the start and
    end of the word; values below 2 are raised to 2 (rule 7), which is also what
    the generated patterns enforce.
    """
    left, right = max(left, LEFT_MIN), max(right, RIGHT_MIN)
    return [p for p in syllable_breaks(word) if left <= p <= len(word) - right]


def hyphenate(word: str, hyphen: str = "-") -> str:
    """Return ``word`` with ``hyphen`` inserted at every allowed position.

    Same output format as ``pyphen.Pyphen.inserted``: ``hyphenate("мемлекет")``
    is ``"мем-ле-кет"``.
    """
    pieces: list[str] = []
    previous = 0
    for position in break_positions(word):
        pieces.append(word[previous:position])
        previous = position
    pieces.append(word[previous:])
    return hyphen.join(pieces)


class _PatternSet:
    """Patterns keyed by their letters, merged by pointwise maximum.

    pyphen (like libhyphen) keeps one entry per letter string, so two patterns
    with the same letters written on separate lines would silently replace one
    another; merging keeps the semantics of Liang's algorithm, which takes the
    maximum over all matching patterns anyway.
    """

    def __init__(self) -> None:
        self._levels: dict[str, list[int]] = {}
        self._family: dict[str, str] = {}
        self._families: list[str] = []

    def add(self, family: str, letters: str, levels: dict[int, int]) -> None:
        """Add ``letters`` with ``levels`` (gap index → level; gap i precedes letter i)."""
        if family not in self._families:
            self._families.append(family)
        current = self._levels.setdefault(letters, [0] * (len(letters) + 1))
        self._family.setdefault(letters, family)
        for gap, level in levels.items():
            current[gap] = max(current[gap], level)

    def lines(self) -> list[str]:
        """Render the patterns, grouped by the family that introduced them."""
        rendered: list[str] = []
        for family in self._families:
            rendered.append(f"% {family}")
            keys = sorted(key for key, owner in self._family.items() if owner == family)
            rendered.extend(self._render(key) for key in keys)
        return rendered

    def _render(self, letters: str) -> str:
        levels = self._levels[letters]
        parts = [str(levels[0]) if levels[0] else ""]
        for index, letter in enumerate(letters):
            parts.append(letter)
            if levels[index + 1]:
                parts.append(str(levels[index + 1]))
        return "".join(parts)


def generate_patterns() -> str:
    """Return the text of ``hyph_kk.dic`` (UTF-8 Hunspell/libhyphen format)."""
    vowels = sorted(VOWELS)
    consonants = sorted(CONSONANTS)
    alphabet = sorted(ALPHABET)
    patterns = _PatternSet()

    # Rules 1-3 default: break before a consonant (with its sign) that starts
    # a syllable.  Inside longer clusters this leaves all but the last
    # consonant on the line, as the official rule demands.
    for consonant, vowel in product(consonants, vowels):
        patterns.add("break before consonant + vowel", consonant + vowel, {0: _BREAK})
        patterns.add("break before consonant + ь + vowel", consonant + "ь" + vowel, {0: _BREAK})
    for vowel in vowels:
        patterns.add("break after ъ", "ъ" + vowel, {1: _BREAK})

    # Rule 5: vowels meeting.  у after a vowel is a consonant, so it never
    # stands second in a pair of vowels.
    for first, second in product(vowels, vowels):
        pair = first + second
        if second != "у" and pair not in UNSPLIT_HIATUS:
            patterns.add("break between two vowels", pair, {1: _BREAK})

    # Rule 4: у after a vowel letter is [w]: it starts the next syllable and
    # must not be split from the vowel that follows it (да-уыс, not дау-ыс).
    for before, after in product(vowels, vowels):
        if after != "у":
            patterns.add(
                "у after a vowel is a consonant", before + "у" + after, {1: _BREAK, 2: _KEEP}
            )

    # Rule 3 exception: after a consonant, break before an onset and keep it
    # whole ...
    for preceding in [*consonants, *sorted(SIGNS)]:
        for onset in sorted(ONSETS):
            patterns.add(
                "break before an onset after a consonant",
                preceding + onset,
                {1: _ONSET_BREAK, 2: _KEEP},
            )
    # ... but only if the onset ends the cluster, i.e. a vowel follows it.
    for onset in sorted(ONSETS):
        for following in [*consonants, *sorted(SIGNS)]:
            patterns.add(
                "no onset break when a consonant follows", onset + following, {0: _ONSET_CANCEL}
            )
        patterns.add("no onset break when a consonant follows", onset + ".", {0: _ONSET_CANCEL})
        # A soft sign makes the pair an ordinary consonant + consonant: restore
        # the default break before the consonant carrying the sign.
        for vowel in vowels:
            patterns.add(
                "no onset break when a consonant follows", onset + "ь" + vowel, {1: _ONSET_BREAK}
            )

    # Rule 7: no one-letter fragment at either end of the word ...
    for letter in alphabet:
        patterns.add("no one-letter fragment at the start", "." + letter, {2: _NEVER})
        patterns.add("no one-letter fragment at the end", letter + ".", {0: _NEVER})
    # ... and nothing inside a word-initial consonant cluster (стра-те-гия).
    for first, second in product(consonants, [*consonants, *sorted(SIGNS)]):
        patterns.add("no break inside an initial cluster", "." + first + second, {3: _NEVER})
    # Rule 6: ъ and ь never start a fragment.
    for sign in sorted(SIGNS):
        patterns.add("never break before ъ or ь", sign, {0: _NEVER})

    header = [
        "UTF-8",
        f"LEFTHYPHENMIN {LEFT_MIN}",
        f"RIGHTHYPHENMIN {RIGHT_MIN}",
        "% Kazakh (kk) hyphenation patterns.",
        "% Generated by proceedings/hyphenation.py from its syllable rules:",
        "% do not edit, run `python -m proceedings.hyphenation` instead.",
    ]
    return "\n".join([*header, *patterns.lines()]) + "\n"


def write_dictionary(path: Path = DICTIONARY_PATH) -> Path:
    """Write the generated patterns to ``path`` (default: the packaged file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(generate_patterns(), encoding="utf-8", newline="\n")
    return path


def register_kazakh(path: Path | None = None) -> Path:
    """Make pyphen (and hence WeasyPrint) hyphenate ``kk`` and ``kk_KZ`` text.

    pyphen looks dictionaries up through ``language_fallback``, which searches
    the module-level ``LANGUAGES_LOWERCASE`` (lower-case code → code) and then
    ``LANGUAGES`` (code → path); WeasyPrint calls the same function for the
    ``lang`` of each box.  Both dictionaries are updated in place, because
    other modules hold references to them.  Calling this again is harmless.
    Returns the dictionary path in use.
    """
    dictionary = (path or DICTIONARY_PATH).resolve()
    if not dictionary.is_file():
        msg = f"{dictionary} is missing; run `python -m proceedings.hyphenation`"
        raise FileNotFoundError(msg)
    return register(LANGUAGE_CODES, dictionary)


def register(codes: Sequence[str], dictionary: Path) -> Path:
    """Make pyphen (and hence WeasyPrint) hyphenate text of ``codes`` with the pattern
    file ``dictionary`` (a locale's ``hyphenation`` file, hyph_<lang>.dic), as
    :func:`register_kazakh` does for Kazakh."""
    for code in codes:
        pyphen.LANGUAGES[code] = dictionary
        pyphen.LANGUAGES_LOWERCASE[code.lower()] = code
    return dictionary


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: regenerate (or ``--check``) the pattern file."""
    parser = argparse.ArgumentParser(
        prog="python -m proceedings.hyphenation",
        description="Generate the Kazakh hyphenation pattern file.",
    )
    parser.add_argument("output", nargs="?", type=Path, default=DICTIONARY_PATH)
    parser.add_argument(
        "--check", action="store_true", help="only report whether the file is up to date"
    )
    arguments = parser.parse_args(argv)
    output: Path = arguments.output
    if arguments.check:
        current = output.read_text(encoding="utf-8") if output.is_file() else None
        if current != generate_patterns():
            sys.stderr.write(f"{output} is out of date\n")
            return 1
        return 0
    write_dictionary(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
