"""Kazakh hyphenation: rule function, generated pyphen patterns, WeasyPrint.

The expected divisions below were written by hand from the Kazakh *тасымал*
rules (see the docstring of ``proceedings.hyphenation``), not copied from the
function's output.
"""

from __future__ import annotations

import random

import pyphen
import pytest

from proceedings.hyphenation import (
    ALPHABET,
    CONSONANTS,
    DICTIONARY_PATH,
    SIGNS,
    VOWELS,
    break_positions,
    generate_patterns,
    hyphenate,
    register_kazakh,
    syllable_breaks,
)

# Required by the brief.
REQUIRED = [
    "қа-зақ-стан",
    "ақ-па-рат-тан-ды-ру",
    "мем-ле-кет",
    "қыл-мыс-тық",
]

# Everyday words, names of places and institutions.
COMMON = [
    "ба-ла",
    "қа-ла",
    "қа-ла-лық",
    "мек-теп",
    "ал-ма",
    "бі-лім",
    "жо-ға-ры",
    "ше-шім",
    "кө-лік",
    "же-ке",
    "ха-лық",
    "қо-ғам",
    "қо-ғам-дық",
    "ел-дің",
    "ор-ны",
    "орын-да-ры",
    "жы-лыс-та-ту",
    "ша-ра-ла-ры",
    "сөз-дер",
    "кі-ріс-пе",
    "қо-ры-тын-ды",
    "ұсы-ныс-тар",
    "ма-қа-ла",
    "ба-ян-да-ма",
    "зерт-теу",
    "зерт-теу-лер",
    "зерт-теу-ші",
    "нә-ти-же-сі",
    "тал-дау",
    "әдіс-те-ме-лік",
    "оқы-ту-шы",
    "ма-ман-дар",
    "да-яр-лау",
    "тә-жі-ри-бе-сі",
    "ын-ты-мақ-тас-тық",
    "се-рік-тес-тік",
    "ха-лы-қа-ра-лық",
    "бай-ла-ныс-ты",
    "жү-йе-лер",
    "тә-уел-сіз-дік",
    "еге-мен-дік",
    "әлеу-мет-тік",
    "мә-де-ни-ет",
    "са-я-сат",
    "са-я-си",
    "ау-дан-дық",
    "ау-мақ-тық",
    "об-лыс-тық",
    "бас-қар-ма-сы",
    "бө-лім-ше-сі",
    "жа-уап",
    "жа-уап-тар",
    "жа-уап-кер-ші-лік",
    "да-уыс",
    "қи-ын",
    "су-ық",
    "бу-ын",
    "ки-ім",
    "ті-зі-мі",
    "ұйым-дас-қан",
    "Бі-рік-кен",
    "Ұлт-тар",
    "Ас-та-на",
    "Ал-ма-ты",
    "Шым-кент",
    "Қа-ра-ған-ды",
    "Ақ-тө-бе",
    "Қа-зақ-стан-ның",
    "Қа-зақ-стан-дық",
    "Өз-бек-стан",
    "Қыр-ғыз-стан",
    "Түр-кі-мен-стан",
    "Ау-ған-стан",
    "Пә-кіс-тан",
    "Түр-кіс-тан",
    "Ре-сей",
    "Еу-ро-па",
    "Еу-ра-зия-лық",
    "Рес-пуб-ли-ка-сы",
    "Пре-зи-дент",
    "Пар-ла-мент",
    "Мә-жі-ліс",
    "ака-де-мия-сы-ның",
    "уни-вер-си-тет",
    "про-фес-сор",
    "до-цент",
    "ма-гис-трант",
    "ма-гис-тра-ту-ра",
    "дис-сер-та-ция",
    "әде-би-ет-тер",
    "ан-но-та-ция",
    "кон-фе-рен-ция",
    "прак-ти-ка-лық",
    "ғы-лы-ми",
    "био-ло-гия",
    "ком-пью-тер-лік",
    "объ-ек-тив-ті",
    "се-мья",
    "мо-дель-дер",
    "фильм-дер",
    "ин-фра-құ-ры-лым",
    "стра-те-гия-сы",
    "транс-порт",
    "экс-порт",
    "де-мок-ра-тия-лық",
    "эко-но-ми-ка-лық",
]

# Law-enforcement and legal vocabulary.
LEGAL = [
    "қыл-мыс",
    "қыл-мыс-кер-лер",
    "құ-қық",
    "құ-қық-тық",
    "құ-қық-бұ-зу-шы-лық",
    "бұ-зу-шы-лық",
    "құ-қық-та-ну-шы",
    "тер-геу",
    "тер-геу-ші-сі",
    "ақ-па-рат",
    "ақ-па-рат-тық",
    "цифр-лан-ды-ру",
    "цифр-лық",
    "ки-бер-қыл-мыс",
    "ки-бер-қыл-мыс-тар",
    "ки-бер-қа-уіп-сіз-дік",
    "ки-бер-ке-ңіс-тік",
    "ала-яқ-тық",
    "ала-яқ-тар",
    "заң-на-ма",
    "заң-на-ма-лық",
    "сы-бай-лас",
    "жем-қор-лық",
    "жем-қор-лық-қа",
    "қар-сы",
    "ан-ти-кор-руп-ция-лық",
    "агент-ті-гі",
    "мем-ле-кет-тік",
    "қыз-мет-кер-ле-рі",
    "ла-уа-зым-ды",
    "тұл-ға",
    "аза-мат-тар-дың",
    "қа-уіп-сіз-дік",
    "тәр-тіп",
    "ми-нистр-лі-гі",
    "ми-нистр-лік",
    "ми-нистр",
    "ар-мия",
    "де-пар-та-мен-ті",
    "по-ли-ция",
    "по-ли-ция-сы",
    "по-ли-цей-лер",
    "учас-ке-лік",
    "инс-пек-то-ры",
    "пат-руль-дік",
    "про-ку-ра-ту-ра",
    "про-ку-рор-лық",
    "қа-да-ға-лау",
    "кри-ми-но-ло-гия",
    "кри-ми-но-ло-гия-лық",
    "кри-ми-на-лис-ти-ка-лық",
    "дак-ти-лос-ко-пия-лық",
    "са-рап-та-ма-лық",
    "са-рап-шы",
    "ин-фор-ма-ция",
    "ин-фор-ма-ция-лық",
    "кон-сти-ту-ция",
    "кон-сти-ту-ция-лық",
    "элек-трон-дық",
    "транс-фор-ма-ция",
    "ста-тис-ти-ка",
    "ста-тис-ти-ка-лық",
    "тех-но-ло-гия",
    "тех-но-ло-гия-лар",
    "ин-сти-тут",
    "ре-гис-тра-ция",
    "экс-пер-ти-за",
    "экс-тра-ди-ция",
    "экс-тре-мизм",
    "экс-тре-мис-тік",
    "тер-ро-ризм",
    "тер-ро-ризм-ге",
    "тер-рор-шыл-дық",
    "ра-ди-ка-лизм",
    "ра-ди-кал-да-ну",
    "есірт-кі",
    "есірт-кі-лер",
    "кон-тра-бан-да",
    "сау-да-сы",
    "кә-ме-лет-ке",
    "тол-ма-ған-дар",
    "от-ба-сы-лық",
    "зор-лық",
    "зом-бы-лық",
    "ұр-лық",
    "ұр-лау",
    "то-нау",
    "қа-рақ-шы-лық",
    "өл-ті-ру",
    "мү-лік-тік",
    "мүл-кі",
    "тәр-кі-леу",
    "кон-фис-ка-ция",
    "қар-жы-лық",
    "мо-ни-то-ринг",
    "ин-тер-нет",
    "де-рек-тер-ді",
    "дер-бес",
    "қор-ғау",
    "қор-ғау-шы",
    "ха-кер-лік",
    "ша-бу-ыл-дар",
    "ви-рус",
    "боп-са-лау",
    "сәй-кес-тен-ді-ру",
    "био-мет-рия-лық",
    "жа-сан-ды",
    "ин-тел-лект",
    "бағ-дар-ла-ма-лық",
    "қам-та-ма-сыз",
    "ше-ка-ра-лық",
    "ке-ден-дік",
    "пре-кур-сор",
    "жа-рыл-ғыш",
    "ку-ә-гер-лер",
    "ку-ә-лан-ды-ру",
    "дә-лел-де-ме-лер",
    "ай-ғақ",
    "хат-та-ма-сы",
    "ұс-тал-ған",
    "қа-мау-ға",
    "қа-мау-да",
    "кү-зет-пен",
    "ке-піл-дік",
    "ра-қым-шы-лық",
    "ам-нис-тия",
    "шарт-ты",
    "мер-зі-мі-нен",
    "бо-са-ту",
    "про-ба-ция-лық",
    "бі-ле-зік",
    "ре-ци-див",
    "жә-бір-ле-ну-ші",
    "зар-дап",
    "өте-ма-қы",
    "за-лал",
    "мо-раль-дық",
    "ма-те-риал-дық",
    "ты-йым",
    "уа-қыт-ша",
    "изо-ля-то-ры",
    "ко-ло-ния-сы",
    "кі-нә-сіз-дік",
    "пре-зумп-ция",
    "айып-тау",
    "айып-та-лу-шы",
    "айып-пұл-дар",
    "се-зік-ті",
    "кү-дік-ті",
    "жа-сы-рын",
    "рес-ми",
    "ха-бар-ла-ма",
    "тір-кеу",
    "ті-зі-лім",
    "бі-рың-ғай",
    "де-йін-гі",
    "тек-се-ру",
    "про-цес-су-ал-дық",
    "про-цесс",
    "су-дья-лар",
    "су-дья-сы",
    "оты-ры-сы",
    "тал-қы-ла-уы",
    "шы-ға-рыл-ды",
    "ақ-тал-ды",
    "сот-ты-лық",
    "сот-тал-ған",
    "сот-та-лу-шы",
    "өтел-ген",
    "бос-тан-ды-ғы-нан",
    "айы-ру",
    "тү-зеу",
    "ме-ке-ме-сі",
    "пе-ни-тен-циар-лық",
    "әді-лет-ті-лік",
    "юс-ти-ция",
    "юве-нал-дық",
    "ал-қа-би-лер",
    "ша-ғым-да-ну",
    "апел-ля-ция-лық",
    "кас-са-ция-лық",
    "жар-лық",
    "ко-декс",
    "ко-дек-сі",
    "тар-мақ-ша",
    "тар-ма-ғы",
    "жа-за-ла-на-ды",
    "қол-да-ны-ла-ды",
    "нор-ма-тив-тік",
    "құ-зы-ре-ті",
    "өкі-лет-ті-гін",
    "пай-да-ла-ну",
    "ке-зек-ші",
    "бас-ты-ғы",
    "орын-ба-са-ры",
    "под-пол-ков-ник",
    "ма-йор",
    "ка-пи-тан",
    "лей-те-нант",
    "сер-жант",
    "кур-сант-тар",
    "ин-ди-ви-ду-ал-ды",
    "си-ту-а-ция",
    "ра-ти-фи-ка-ция-лау",
    "кон-вен-ция",
    "Ин-тер-пол",
    "Еу-ро-пол",
]

# Too short or with a one-letter first or last syllable: never divided.
UNDIVIDED = [
    "заң",
    "сот",
    "бап",
    "іс",
    "ауыл",
    "адам",
    "үкім",
    "оқу",
    "алу",
    "ету",
    "атыс",
    "зиян",
    "текст",
    "жұрт",
]

EXPECTED = REQUIRED + COMMON + LEGAL + UNDIVIDED


@pytest.fixture(scope="module")
def kazakh() -> pyphen.Pyphen:
    """A pyphen dictionary for ``kk`` after registration."""
    register_kazakh()
    return pyphen.Pyphen(lang="kk")


def test_enough_distinct_words() -> None:
    words = [entry.replace("-", "").lower() for entry in EXPECTED]
    assert len(set(words)) == len(words), "duplicate test words"
    assert len(words) >= 150


@pytest.mark.parametrize("expected", EXPECTED)
def test_rule_function(expected: str) -> None:
    word = expected.replace("-", "")
    assert hyphenate(word) == expected


@pytest.mark.parametrize("expected", EXPECTED)
def test_pyphen_patterns(kazakh: pyphen.Pyphen, expected: str) -> None:
    word = expected.replace("-", "")
    assert kazakh.inserted(word) == expected


@pytest.mark.parametrize("expected", ["ҚА-ЗАҚ-СТАН", "Мем-ле-кет", "ҚЫЛ-МЫС-ТЫҚ"])
def test_case_is_preserved(kazakh: pyphen.Pyphen, expected: str) -> None:
    word = expected.replace("-", "")
    assert hyphenate(word) == expected
    assert kazakh.inserted(word) == expected


def test_break_positions_and_syllables() -> None:
    # Syllables include the one-letter ones; break positions drop them.
    assert syllable_breaks("ақпарат") == [2, 4]
    assert syllable_breaks("алақан") == [1, 3]
    assert break_positions("алақан") == [3]
    assert break_positions("армия") == [2]
    assert break_positions("мемлекет", left=4) == [5]
    # The minimum of 2 cannot be lowered.
    assert break_positions("алақан", left=1, right=1) == [3]
    # Anything but Kazakh Cyrillic letters is left alone.
    assert syllable_breaks("Kazakhstan") == []
    assert syllable_breaks("ҚР-дың") == []
    assert syllable_breaks("") == []


def test_signs_never_start_a_fragment(kazakh: pyphen.Pyphen) -> None:
    for word in ["объективті", "компьютерлік", "моральдық", "судьялар", "фильмдер"]:
        for position in kazakh.positions(word):
            assert word[position] not in SIGNS
        for position in break_positions(word):
            assert word[position] not in SIGNS


def test_registration_is_idempotent_and_covers_kk_kz() -> None:
    assert register_kazakh() == register_kazakh() == DICTIONARY_PATH
    assert pyphen.language_fallback("kk") == "kk"
    assert pyphen.language_fallback("kk_KZ") == "kk_KZ"
    assert pyphen.language_fallback("kk-KZ") == "kk_KZ"
    assert pyphen.language_fallback("KK-kz") == "kk_KZ"
    assert pyphen.LANGUAGES["kk"] == pyphen.LANGUAGES["kk_KZ"] == DICTIONARY_PATH
    assert pyphen.Pyphen(lang="kk-KZ").inserted("мемлекет") == "мем-ле-кет"


def test_generated_file_is_up_to_date() -> None:
    assert DICTIONARY_PATH.read_text(encoding="utf-8") == generate_patterns(), (
        "run `python -m proceedings.hyphenation` to regenerate styles/locales/hyph_kk.dic"
    )


def test_generated_file_format() -> None:
    data = DICTIONARY_PATH.read_bytes()
    assert len(data) < 1_000_000
    lines = data.decode("utf-8").splitlines()
    assert lines[:3] == ["UTF-8", "LEFTHYPHENMIN 2", "RIGHTHYPHENMIN 2"]


def _random_word(rng: random.Random) -> str:
    """A random well-formed letter string: vowel groups separated by clusters.

    Signs only follow a consonant and ъ only precedes a vowel, as in real words;
    the first vowel comes within three letters (see the limitation documented
    in the module).
    """
    vowels, consonants = sorted(VOWELS), sorted(CONSONANTS)
    letters: list[str] = []
    for index in range(rng.randint(1, 5)):
        size = rng.choice([0, 0, 1, 1, 1, 2, 2, 3, 4]) if index else rng.choice([0, 1, 2])
        cluster = [rng.choice(consonants) for _ in range(size)]
        if cluster and rng.random() < 0.15:
            cluster.insert(rng.randint(1, len(cluster)), "ь")
        if index and cluster and rng.random() < 0.05:
            cluster.append("ъ")
        letters.extend(cluster)
        letters.extend(rng.choice(vowels) for _ in range(rng.choice([1, 1, 1, 2])))
    if rng.random() < 0.5:
        letters.extend(rng.choice(consonants) for _ in range(rng.randint(1, 3)))
    return "".join(letters)


def test_patterns_match_rule_function_on_random_words() -> None:
    register_kazakh()
    # left=right=1: the edge rule must come from the patterns themselves.
    patterns = pyphen.Pyphen(filename=DICTIONARY_PATH, left=1, right=1)
    rng = random.Random(20240611)
    for _ in range(20_000):
        word = _random_word(rng)
        assert set(word) <= ALPHABET
        assert [int(p) for p in patterns.positions(word)] == break_positions(word), word


def test_weasyprint_hyphenates_kazakh() -> None:
    weasyprint = pytest.importorskip("weasyprint")
    from weasyprint.formatting_structure import boxes

    register_kazakh()
    text = (
        "Қазақстан Республикасының құқық қорғау органдары ақпараттандыру, "
        "цифрландыру және киберқылмыстарға қарсы күрес мәселелерін "
        "халықаралық ынтымақтастық аясында талқылады."
    )
    html = (
        '<html><body><p lang="kk" style="hyphens: auto; width: 30mm; font-size: 11pt">'
        f"{text}</p></body></html>"
    )
    document = weasyprint.HTML(string=html).render()
    lines: list[str] = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, boxes.LineBox):
                lines.append(
                    "".join(
                        child.text
                        for child in box.descendants()
                        if isinstance(child, boxes.TextBox)
                    ).rstrip()
                )
    hyphenated = [line for line in lines if line.endswith(("\u2010", "-", "\xad"))]
    assert hyphenated, lines
    # Every hyphenated line must end where the Kazakh rules allow a break.
    allowed_starts = {
        word[:position]
        for word in text.replace(",", " ").replace(".", " ").split()
        for position in break_positions(word)
    }
    for line in hyphenated:
        last_fragment = line[:-1].split()[-1]
        assert last_fragment in allowed_starts, (line, lines)
