"""Messages in the editor's language: every message has its Kazakh and Russian translation,
translations keep their placeholders, a broken book's findings read exactly in each of the
three languages, and the language is chosen by --lang, then the environment, then the book."""

from __future__ import annotations

import ast
import gettext
import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from proceedings import messages
from proceedings.audit import Figures
from proceedings.cli import main
from proceedings.diagnostics import Diagnostic, Severity, warning
from proceedings.messages import KEYWORDS, Message, choose, msg, msg_n, translate
from proceedings.report import report_html

from .conftest import FIXTURES, REPO, make_case

TRANSLATED = ("kk", "ru")


def _extracted() -> dict[str | tuple[str, str], str]:
    """Every message of the package and the templates, as `make messages` extracts it,
    with where it is."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as file:
        method_map, options_map = parse_mapping_cfg(file)
    found: dict[str | tuple[str, str], str] = {}
    for path, line, text, _comments, _context in extract_from_dir(
            REPO, method_map, options_map, keywords=KEYWORDS,
            directory_filter=lambda d: Path(d).name not in {".venv", "tests", "build", ".git"}):
        found.setdefault(text if isinstance(text, str) else (text[0], text[1]), f"{path}:{line}")
    return found


def _catalogue(lang: str) -> Catalog:
    with (messages.LOCALE / lang / "LC_MESSAGES" / f"{messages.DOMAIN}.po").open("rb") as file:
        return read_po(file, locale=lang, domain=messages.DOMAIN)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_translation(lang: str) -> None:
    catalogue = _catalogue(lang)
    missing = []
    for text, where in sorted(_extracted().items(), key=lambda item: item[1]):
        key = text if isinstance(text, str) else text[0]
        entry = catalogue.get(key)
        forms = [] if entry is None else [entry.string] if isinstance(entry.string, str) \
            else list(entry.string)
        if entry is None or entry.fuzzy or not forms or not all(forms):
            missing.append(f"  {where}: {key!r}")
    assert not missing, (
        f"{len(missing)} message(s) without a {lang} translation in "
        f"proceedings/locale/{lang}/LC_MESSAGES/proceedings.po (run `make messages`, then write "
        "each msgstr; see README, Messages in the editor's language):\n" + "\n".join(missing))


def _fields(text: str) -> set[str]:
    """The placeholders of a template with their format specs: {n}, {code:04X}, %(num)d."""
    found = {f"{{{name}:{spec}}}" for _, name, spec, _ in string.Formatter().parse(text)
             if name is not None}
    return found | set(re.findall(r"%\(\w+\)\w", text))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders(lang: str) -> None:
    wrong = []
    for entry in _catalogue(lang):
        if not entry.id:
            continue
        ids = [entry.id] if isinstance(entry.id, str) else list(entry.id)
        wanted = set().union(*(_fields(i) for i in ids))
        # A singular may leave the count out ("once"); a translation may name it in any form.
        counts = {f for f in wanted if f.startswith(("{n:", "%(num)"))}
        for form in [entry.string] if isinstance(entry.string, str) else entry.string:
            have = _fields(form)
            if form and not (wanted - counts <= have <= wanted):
                wrong.append(f"  {ids[0]!r}: {form!r}")
    assert not wrong, f"{lang} translations whose placeholders differ from the message's:\n" + \
        "\n".join(wrong)


def test_templates_are_literal_strings() -> None:
    """Babel extracts a template only when it is written out: msg(f"…") or msg(text) would
    never be translated."""
    found = []
    for path in (REPO / "proceedings").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id in {"msg", "msg_n"}:
                literal = node.args[: 2 if node.func.id == "msg_n" else 1]
                if not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in literal):
                    found.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not found, "msg()/msg_n() templates that are not string literals: " + ", ".join(found)


# --- a broken book in three languages ----------------------------------------------------------

EXPECTED = {
    "en": [
        "sources/papers/kk-digital/paper.md:16: warning: 3 findings on lines 16-17: line 16: "
        "table t1: the total of row 'Басқа' in column 'Барлығы' is '9' but the other cells of "
        "that row add up to 7: correct the figures; line 17: table t1: the total of column '2021' "
        "in row 'Барлығы' is '1 310' but the other rows of that column add up to 1317: correct "
        "the figures; line 17: table t1: the total of row 'Барлығы' in column 'Барлығы' is '2 "
        "531,5' but the other cells of that row add up to 2522,5: correct the figures "
        "[table-totals]",
        "sources/papers/kk-digital/paper.md:23: warning: a word mixes Latin and Cyrillic letters: "
        "'бiлiмдi' (Latin i U+0069, letters 2, 4, 7); retype it as 'білімді' [mixed-script]",
        "sources/papers/ru-fraud/paper.md:11: warning: a word mixes Latin and Cyrillic letters: "
        "'pаспространённых' (Latin p U+0070, letter 1); retype it as 'распространённых' "
        "[mixed-script]",
        "sources/papers/ru-fraud/paper.md:17: warning: a word mixes Latin and Cyrillic letters: "
        "'cотрудников' (Latin c U+0063, letter 1); retype it as 'сотрудников' [mixed-script]",
        "proceedings: 0 errors, 6 warnings (blocks printing 3, content 3)",
        "proceedings: wrote build/check-report.html",
    ],
    "ru": [
        "sources/papers/kk-digital/paper.md:16: предупреждение: 3 замечания в строках 16-17: "
        "строка 16: таблица t1: итог (строка 'Басқа', столбец 'Барлығы') равен '9', а сумма "
        "остальных ячеек этой строки — 7: исправьте числа; строка 17: таблица t1: итог (столбец "
        "'2021', строка 'Барлығы') равен '1 310', а сумма остальных строк этого столбца — 1317: "
        "исправьте числа; строка 17: таблица t1: итог (строка 'Барлығы', столбец 'Барлығы') равен "
        "'2 531,5', а сумма остальных ячеек этой строки — 2522,5: исправьте числа [table-totals]",
        "sources/papers/kk-digital/paper.md:23: предупреждение: в слове смешаны латинские и "
        "кириллические буквы: 'бiлiмдi' (латинская i U+0069, буквы 2, 4, 7); наберите его заново "
        "как 'білімді' [mixed-script]",
        "sources/papers/ru-fraud/paper.md:11: предупреждение: в слове смешаны латинские и "
        "кириллические буквы: 'pаспространённых' (латинская p U+0070, буква 1); наберите его "
        "заново как 'распространённых' [mixed-script]",
        "sources/papers/ru-fraud/paper.md:17: предупреждение: в слове смешаны латинские и "
        "кириллические буквы: 'cотрудников' (латинская c U+0063, буква 1); наберите его заново "
        "как 'сотрудников' [mixed-script]",
        "proceedings: 0 ошибок, 6 предупреждений (мешает печати 3, содержание 3)",
        "proceedings: записан build/check-report.html",
    ],
    "kk": [
        "sources/papers/kk-digital/paper.md:16: ескерту: 16-17 жолдарда 3 олқылық: 16-жол: t1 "
        "кестесі: 'Басқа' жолы, 'Барлығы' бағаны қорытындысы '9', бірақ сол жолдың басқа "
        "ұяшықтарының қосындысы 7: сандарды түзетіңіз; 17-жол: t1 кестесі: 'Барлығы' жолы, '2021' "
        "бағаны қорытындысы '1 310', бірақ сол бағанның басқа жолдарының қосындысы 1317: сандарды "
        "түзетіңіз; 17-жол: t1 кестесі: 'Барлығы' жолы, 'Барлығы' бағаны қорытындысы '2 531,5', "
        "бірақ сол жолдың басқа ұяшықтарының қосындысы 2522,5: сандарды түзетіңіз [table-totals]",
        "sources/papers/kk-digital/paper.md:23: ескерту: сөзде латын және кирилл әріптері аралас: "
        "'бiлiмдi' (латын i U+0069, 2, 4, 7-әріптер); оны 'білімді' деп қайта теріңіз "
        "[mixed-script]",
        "sources/papers/ru-fraud/paper.md:11: ескерту: сөзде латын және кирилл әріптері аралас: "
        "'pаспространённых' (латын p U+0070, 1-әріп); оны 'распространённых' деп қайта теріңіз "
        "[mixed-script]",
        "sources/papers/ru-fraud/paper.md:17: ескерту: сөзде латын және кирилл әріптері аралас: "
        "'cотрудников' (латын c U+0063, 1-әріп); оны 'сотрудников' деп қайта теріңіз "
        "[mixed-script]",
        "proceedings: 0 қате, 6 ескерту (басуға кедергі 3, мазмұн 3)",
        "proceedings: build/check-report.html жазылды",
    ],
}


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_broken_book_reads_in_each_language(lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    make_case(FIXTURES / "broken" / "i18n", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources", "--lang", lang]) == 0
    assert capsys.readouterr().err.splitlines() == EXPECTED[lang]
    report = (tmp_path / "build" / "check-report.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in report
    heading = {"en": "Check report", "ru": "Отчёт о проверке", "kk": "Тексеру есебі"}[lang]
    assert f"<h1>{heading}</h1>" in report
    homoglyph = EXPECTED[lang][1].split(": ", 3)[3].removesuffix(" [mixed-script]")
    assert homoglyph.replace("'", "&#39;") in report


# --- which language ---------------------------------------------------------------------------


@pytest.mark.parametrize(("environ", "book", "chosen"), [
    ({}, ["kk", "ru"], "kk"),
    ({}, ["ru", "kk"], "ru"),
    ({}, ["de"], "en"),
    ({"LANG": "ru_RU.UTF-8"}, ["kk", "ru"], "ru"),
    ({"LANG": "C.UTF-8"}, ["kk", "ru"], "kk"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "ru_RU.UTF-8"}, ["kk"], "en"),
    ({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, ["kk"], "kk"),  # LC_ALL decides, as for setlocale
    ({"LC_MESSAGES": "kk_KZ.UTF-8", "LANG": "en_US.UTF-8"}, ["ru"], "kk"),
    ({"LANGUAGE": "de:ru", "LANG": "en_US.UTF-8"}, ["kk"], "ru"),
    ({"LANGUAGE": "de", "LANG": "kk_KZ"}, ["ru"], "kk"),
])
def test_the_environment_then_the_book_choose(environ: dict[str, str], book: list[str], chosen: str) -> None:
    assert choose(None, environ, book) == chosen
    assert choose("en", environ, book) == "en"  # --lang first


def test_lang_then_environment_then_book_on_the_command_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    make_case(FIXTURES / "broken" / "slot-order", tmp_path)
    monkeypatch.chdir(tmp_path)
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)

    def summary(*args: str) -> str:
        main(["check", "sources", *args])
        return capsys.readouterr().err.splitlines()[-2]

    assert summary() == "proceedings: 0 қате, 2 ескерту (мазмұн 2)"  # the minibook's first language
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    assert summary() == "proceedings: 0 ошибок, 2 предупреждения (содержание 2)"
    assert summary("--lang", "en") == "proceedings: 0 errors, 2 warnings (content 2)"
    assert summary("--lang", "kk") == "proceedings: 0 қате, 2 ескерту (мазмұн 2)"
    assert main(["--lang", "en", "check", "sources"]) == 0  # before the command too
    assert capsys.readouterr().err.splitlines()[-2] == "proceedings: 0 errors, 2 warnings (content 2)"


# --- messages as data -------------------------------------------------------------------------

NO_TITLE = msg("the paper has no title: add title: to its front matter")


def test_a_kept_finding_is_shown_in_any_language() -> None:
    """The caches keep a finding's template and parameters, not its words: a finding kept by a
    run in one language reads in another."""
    listed = msg("line {line}: {message}", line=3, message=NO_TITLE)
    found = warning("p.md", 3, msg_n("{n} finding on lines {first}-{last}: {listed}",
                                     "{n} findings on lines {first}-{last}: {listed}", 5, first=3, last=9,
                                     listed=listed), "no-title")
    again = Diagnostic.from_row(found.row())
    assert again == found
    assert again.text("ru") == ("5 замечаний в строках 3-9: строка 3: у статьи нет названия: добавьте title: "
                                "в блок в начале файла")
    assert again.text("kk") == ("3-9 жолдарда 5 олқылық: 3-жол: мақаланың тақырыбы жоқ: басындағы блокқа "
                                "title: қосыңыз")
    assert str(again.message) == ("5 findings on lines 3-9: line 3: the paper has no title: add title: to "
                                  "its front matter")
    assert Diagnostic.from_row(["p.md", 1, "warning", "words of an older cache", "x"]).text("ru") == \
        "words of an older cache"
    import pickle

    assert pickle.loads(pickle.dumps(found.message)).text("kk") == found.text("kk")


def test_a_broken_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "{nothing} of the kind"

    monkeypatch.setattr(messages, "translations", lambda lang: Broken())
    assert translate(msg("unknown paper id '{id}' in papers: no folder papers/{id}", id="p1"), "ru") == \
        "unknown paper id 'p1' in papers: no folder papers/p1"


def test_severities_and_summaries_follow_the_language() -> None:
    d = Diagnostic("p.md", 2, Severity.ERROR, NO_TITLE, "no-title")
    messages.use("ru")
    assert str(d) == "p.md:2: ошибка: у статьи нет названия: добавьте title: в блок в начале файла " \
        "[no-title]"
    messages.use("kk")
    assert str(d) == "p.md:2: қате: мақаланың тақырыбы жоқ: басындағы блокқа title: қосыңыз [no-title]"
    assert isinstance(d.message, Message)
    assert d.message == NO_TITLE


def test_the_report_looks_up_only_translated_words(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every word the report template asks gettext for is in the catalogues (a %-sign or a
    changed string in the template would otherwise fall back to English unseen)."""
    from proceedings import report

    asked: list[str] = []
    russian = messages.translations("ru")

    class Recording(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            asked.append(message)
            return russian.gettext(message)

        def ngettext(self, singular: str, plural: str, n: int) -> str:
            asked.append(singular)
            return russian.ngettext(singular, plural, n)

    monkeypatch.setattr(report, "translations", lambda lang: Recording())
    found = [warning("p.md", 1, NO_TITLE, "no-title"),
             warning("p.md", 2, msg("a paragraph's first line alone at the foot of page {page}", page=3),
                     "layout-orphan")]
    figures = [Figures("all", 1, 10, 1, 1, 0, 0, 0, 0, 0)]
    html = report_html(found, None, lang="ru", figures=figures)
    catalogue = _catalogue("ru")
    assert "Check report" in asked
    assert "%(num)d finding" in asked
    assert "Full-width body lines" in asked  # the layout section's words too
    assert [a for a in asked if a not in catalogue] == []
    assert "<h1>Отчёт о проверке</h1>" in html
    assert "у статьи нет названия: добавьте title:" in html
    assert "Строки основного текста во всю ширину" in html


def test_fix_speaks_the_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    make_case(FIXTURES / "broken" / "private-use", tmp_path)
    monkeypatch.chdir(tmp_path)
    assert main(["fix", "--codes", "private-use", "sources", "--lang", "ru"]) == 0
    out, err = capsys.readouterr()
    assert "U+F02D удалён" in out  # the changed word, with what changed in it
    assert err.splitlines()[-1] == ("proceedings: по private-use был бы исправлен 1 файл (чтобы применить, "
                                    "запустите с --write)")


def test_a_proof_cover_lists_findings_in_the_papers_language() -> None:
    from proceedings.proofs import _message

    finding = warning("p.md", 1, NO_TITLE, "no-title")
    assert _message(finding, "kk") == "мақаланың тақырыбы жоқ: басындағы блокқа title: қосыңыз"
    assert _message(finding, "ru") == "у статьи нет названия: добавьте title: в блок в начале файла"
    messages.use("ru")
    # A language without messages: the run's.
    assert _message(finding, "de").startswith("у статьи нет названия")


def test_new_speaks_the_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "mybook", "--lang", "ru"]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("proceedings: записана папка mybook: book.yaml, ")
    assert lines[1] == ("proceedings: измените в файлах то, что говорят их комментарии, затем запустите: "
                        "proceedings check mybook")
    assert main(["--lang", "kk", "new", "mybook"]) == 1
    assert capsys.readouterr().err == (
        "proceedings: қате: mybook бос емес: жаңа не бос қалтаның атын беріңіз, сонда сіздің бірде-бір "
        "файлыңыз ауыстырылмайды (ештеңе жазылған жоқ)\n")


def test_a_footer_rows_total_reads_in_russian(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    make_case(FIXTURES / "broken" / "table-footer", tmp_path)
    monkeypatch.chdir(tmp_path)
    main(["check", "sources", "--lang", "ru"])
    lines = capsys.readouterr().err.splitlines()
    assert lines[1] == (
        "sources/papers/en-aviation/paper.md:33: предупреждение: таблица t2: среднее (столбец 'Hours', "
        "нижняя строка 'Mean') равно '580', а среднее строк выше — 579.23: исправьте числа [table-totals]")
    assert lines[0].startswith("sources/papers/en-aviation/paper.md:19: предупреждение: 3 замечания в строке "
                               "19: таблица t1: итог (столбец '2023', нижняя строка 'Total') равен '30', а "
                               "сумма строк выше — 31: исправьте числа; ")
