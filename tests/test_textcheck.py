"""Unit tests for the tricky parts of the editor's content checks."""

from __future__ import annotations

import os

import pytest

from proceedings.check.citations import CitedPart, locator_style, parse_citation
from proceedings.check.duplicates import near_duplicates, paragraph_words
from proceedings.check.images import printed_width_mm, text_block_mm
from proceedings.check.language import count_words, reads_as
from proceedings.check.people import rank_phrases, surname_key
from proceedings.check.programme import normalise_title
from proceedings.check.tables import parse_number, totals_problems
from proceedings.check.text import is_private_url, suggest_script_fix
from proceedings.model import Cell, Table, Totals


@pytest.mark.parametrize(
    ("word", "prefer", "expected"),
    [
        ("бiлiмдi", "", "білімді"),  # Latin i for Kazakh і
        ("cтарший", "", "старший"),  # Latin c for с
        ("CОVID", "", "COVID"),  # a Cyrillic О in a Latin word
        ("iсi", "cyrillic", "ісі"),  # mostly Latin letters, but in Cyrillic text
        ("iсi", "", "ici"),
        ("тартылудаp", "", "тартылудар"),
        ("старший", "", None),  # one script: nothing to fix
        ("COVID", "", None),
        ("Telegramда", "", ""),  # д has no Latin look-alike: no safe suggestion
    ],
)
def test_suggest_script_fix(word: str, prefer: str, expected: str | None) -> None:
    assert suggest_script_fix(word, prefer) == expected


def test_parse_citation_parts() -> None:
    assert parse_citation("5 с. 119") == [CitedPart(5, False, "с. 119")]
    assert parse_citation("1, 60-бет; 2, 40-бет") == [
        CitedPart(1, True, "60-бет"),
        CitedPart(2, True, "40-бет"),
    ]
    assert parse_citation("7-10") == [CitedPart(7, False, "")]
    assert parse_citation("17, p.") == [CitedPart(17, True, "p.")]


@pytest.mark.parametrize(
    ("rest", "style"),
    [
        ("с. 23", "с. N"),
        ("238 б.", "N б."),
        ("751 бет", "N бет"),
        ("22-бет", "N-бет"),
        ("74-112 ББ", "N ББ"),
        ("б. 28", "б. N"),
        ("p.349", "p. N"),
        ("c. 307", "c. N"),
        ("лат. Status", None),  # not a page locator
    ],
)
def test_locator_style(rest: str, style: str | None) -> None:
    assert locator_style(rest) == style


def _words(n: int, seed: str) -> list[str]:
    return [f"{seed}{i}" for i in range(n)]


def test_near_duplicates_exact_near_and_distinct() -> None:
    base = paragraph_words(" ".join(_words(30, "w")))
    near = list(base)
    near[10] = "changed"
    short = _words(10, "w")  # below the 20-word threshold: never compared
    other = _words(30, "x")
    found = near_duplicates([base, other, list(base), near, short, list(short)])
    assert (0, 2, 1.0) in found
    assert any(a == 0 and b == 3 and 0.9 <= r < 1.0 for a, b, r in found)
    assert all(1 not in (a, b) and 4 not in (a, b) for a, b, _ in found)


def test_a_paragraph_like_two_earlier_ones_is_paired_with_the_earliest() -> None:
    """Whatever order the shingles come in (it follows the process's hash seed), the
    finding names the earliest of the paragraphs a later one nearly repeats."""
    import subprocess
    import sys

    script = (
        "from proceedings.check.duplicates import near_duplicates\n"
        "first = [f'w{i}' for i in range(60)]\n"
        "second = [f'x{i}' if i in (5, 15, 25, 35, 45) else w for i, w in enumerate(first)]\n"
        # As like the first as a near repeat can be, and more like the second.
        "third = [*second[:52], 'y', *second[53:]]\n"
        "print(near_duplicates([first, second, third]))\n"
    )
    for seed in map(str, range(12)):
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        assert [(a, b) for a, b, _ in eval(out)] == [(0, 1), (0, 2)], (seed, out)


def test_near_duplicates_is_fast_on_many_paragraphs() -> None:
    import time

    paragraphs = [_words(60, f"p{k}_") for k in range(3000)]
    start = time.perf_counter()
    assert near_duplicates(paragraphs) == []
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize(
    ("text", "value"),
    [("1 234", 1234.0), ("12,5", 12.5), ("1\u00a0212,5", 1212.5), ("7", 7.0), ("12%", None),
     ("abc", None), ("", None), ("1 23", None)],
)  # fmt: skip
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def _table(rows: list[list[str]], totals: Totals) -> Table:
    return Table(id="t", rows=[[Cell(text=c) for c in row] for row in rows], totals=totals)


def test_totals_row_and_column() -> None:
    table = _table(
        [
            ["A", "1 200", "1 300", "2 500", "60%"],
            ["B", "12,5", "10", "22,5", "30%"],
            ["C", "", "7", "9", "10%"],
            ["Total", "1 212,5", "1 310", "2 531,5", "100%"],
        ],
        Totals(row=3, column=3),
    )
    problems = {
        (kind, r, c): (declared, computed)
        for kind, r, c, _, declared, computed in totals_problems(table)
    }
    assert problems == {
        ("column", 2, 3): (9.0, 7.0),
        ("row", 3, 2): (1310.0, 1317.0),
        ("column", 3, 3): (2531.5, 2522.5),
    }


def test_totals_that_add_up_and_text_columns() -> None:
    table = _table([["Total", "3", "x"], ["A", "1", "y"], ["B", "2", "z"]], Totals(row=0))
    assert totals_problems(table) == []


def _footed(rows: list[list[str]], footer: list[tuple[str, list[str]]],
            totals: Totals | None = None) -> Table:
    return Table.model_validate({
        "id": "t", "rows": [[{"text": c} for c in row] for row in rows], "totals": totals,
        "footer": [{"kind": kind, "cells": [{"text": c} for c in cells]} for kind, cells in footer],
    })


def test_a_mean_row_is_checked_as_a_mean() -> None:
    rows = [["A", "3", "10%"], ["B", "4", "20%"], ["C", "6", "40%"]]
    # The means, rounded as printed: no finding.
    assert totals_problems(_footed(rows, [("mean", ["Mean", "4,3", "23,3%"])])) == []
    assert totals_problems(_footed(rows, [("mean", ["Mean", "4", "23%"])])) == []
    # The same row taken for a total is wrong twice over; a wrong mean is found.
    assert [p[:3] for p in totals_problems(_footed(rows, [("total", ["Mean", "4,3", "23,3%"])]))] == [
        ("total", 0, 1)
    ]
    problems = totals_problems(_footed(rows, [("mean", ["Mean", "4,5", "25%"])]))
    assert [(kind, r, c, text) for kind, r, c, text, _, _ in problems] == [
        ("mean", 0, 1, "4,5"), ("mean", 0, 2, "25%")
    ]
    assert problems[0][5] == pytest.approx(13 / 3)


def test_footer_totals_and_free_text() -> None:
    rows = [["A", "1", "2", "3"], ["B", "4", "5", "9"]]
    good = _footed(rows, [("total", ["Total", "5", "7", "12"]), ("text", ["Source: x", "99", "", ""])],
                   Totals(column=3))
    assert totals_problems(good) == []
    bad = _footed(rows, [("total", ["Total", "5", "8", "12"])], Totals(column=3))
    assert [p[:4] for p in totals_problems(bad)] == [("total", 0, 2, "8"), ("column", 2, 3, "12")]


def test_spanned_cells_stand_in_their_columns() -> None:
    table = Table.model_validate({
        "id": "t",
        "rows": [[{"text": "A", "rowspan": 2}, {"text": "1"}, {"text": "2"}], [{"text": "3"}, {"text": "4"}],
                 [{"text": "B"}, {"text": "5", "colspan": 2}]],
        "footer": [{"kind": "total", "cells": [{"text": "Total"}, {"text": "4"}, {"text": "7"}]}],
    })
    # Column 1 holds 1 and 3 (a rowspan shifts the second row); the spanning 5 counts for neither.
    assert [p[:4] for p in totals_problems(table)] == [("total", 0, 2, "7")]


def test_private_urls() -> None:
    assert is_private_url("file://///192.168.0.14/TempD$/x.docx")
    assert is_private_url("http://10.0.0.5/intranet")
    assert is_private_url("http://127.0.0.1:8000/")
    assert is_private_url("http://localhost/x")
    assert is_private_url("http://[::1]/x")
    assert not is_private_url("http://www.ferghana.ru/article.php?id=4654")
    assert not is_private_url("https://8.8.8.8/")


def test_normalise_title() -> None:
    assert normalise_title("О  ЛИЧНОСТИ «интернет-мошенника».") == normalise_title(
        'О личности "интернет-мошенника"'
    )


# --- people, language, images ------------------------------------------------------------------



@pytest.mark.parametrize(
    ("rank", "phrases"),
    [
        ("полиция майоры полиция капитаны", ["майоры", "капитаны"]),
        ("майор полиции капитан полиции", ["майор", "капитан"]),
        ("полиция подполковнигі", ["подполковнигі"]),  # not полковнигі inside it
        ("отставкадағы полиция полковнигі", ["полковнигі"]),
        ("кіші әділет кеңесшісі", ["әділет кеңесшісі"]),
        ("младший советник юстиции", ["советник юстиции"]),
        ("генерал-майор полиции", ["генерал-майор"]),  # one compound rank
        ("lieutenant colonel", ["lieutenant colonel"]),
        ("старший лейтенант полиции", ["лейтенант"]),
        ("советник министра", []),  # a post, not a rank
    ],
)
def test_rank_phrases(rank: str, phrases: list[str]) -> None:
    assert rank_phrases(rank) == phrases


def test_surname_key_folds_only_kazakh_letters() -> None:
    assert surname_key("Әхметова") == surname_key("Ахметова")
    assert surname_key("Құрманғазы") == surname_key("КУРМАНГАЗЫ")
    assert surname_key("Тұрғынбаева") != surname_key("Тургунбаева")  # ы against у: a real difference


KK = ("Цифрлық дәлелдемелерді жинау, бекіту және бағалау тергеушіден арнайы білімді талап етеді, "
      "сондықтан оқу бағдарламаларын жетілдіру қажет.")
RU = ("Цифровые доказательства требуют особого внимания следователя, поскольку их легко изменить "
      "или уничтожить при неосторожном обращении.")
EN = "Online fraud remains one of the most widespread crimes in the field of information technology today."


def _language(text: str, declared: str) -> str | None:
    found = reads_as(count_words(text), declared)
    return found[0] if found else None


def test_language_of_paragraphs() -> None:
    assert reads_as(count_words(KK), "kk") is None
    assert reads_as(count_words(RU), "ru") is None
    assert reads_as(count_words(EN), "en") is None
    assert _language(RU, "kk") == "ru"
    assert _language(KK, "ru") == "kk"
    assert _language(EN, "ru") == "en"
    assert _language(RU, "en") == "ru"
    # A Kazakh paragraph quoting a Russian law title is still Kazakh.
    quoting = KK + " «О противодействии коррупции» Заңының талаптарына сәйкес жүргізіледі."
    assert reads_as(count_words(quoting), "kk") is None
    # A marked span does not count, and too short a paragraph is not judged.
    assert reads_as(count_words(f"[{RU}]{{lang=ru}} {KK}"), "kk") is None
    assert reads_as(count_words("Это короткий абзац."), "kk") is None
    # Kazakh typed with a Latin i for і is still Kazakh.
    assert reads_as(count_words(KK.replace("і", "i")), "kk") is None


def test_printed_width() -> None:
    assert text_block_mm("A4") == 165
    assert text_block_mm("A5") == 116
    assert text_block_mm("60x84/16") == 113
    assert printed_width_mm(None, 165)[0] == 165
    assert printed_width_mm("50%", 165)[0] == 82.5
    assert printed_width_mm("8cm", 165)[0] == 80
    assert printed_width_mm("96px", 165)[0] == pytest.approx(25.4)
    assert printed_width_mm("auto", 165)[0] == 165
