"""proceedings import: manuscripts made by the tests, one per feature, in kk, ru and en.

Each is imported into a copy of the minibook and compared with its expected paper.md;
hostile and wrong files get one diagnostic, no traceback, and nothing is written.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image

from proceedings.cli import main
from proceedings.importer import ImportOptions, import_manuscripts
from proceedings.load import load_sources
from tests.conftest import MINIBOOK
from tests.docxwriter import Manuscript, W, write_docx


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(MINIBOOK, tmp_path / "sources")
    return Path("sources")


def imported(book: Path, path: Path, **options: object) -> tuple[str, list[str]]:
    result = import_manuscripts(ImportOptions(files=[path], into=book, **options))  # type: ignore[arg-type]

    found = [str(d) for d in result.diagnostics]
    assert len(result.written) == 1, found
    return result.written[0].read_text(encoding="utf-8"), found


def test_ru_byline_title_abstracts_keywords_and_references(book: Path, tmp_path: Path) -> None:
    ms = Manuscript(
        lang="ru", udc="343.9", title="О мошенничестве в сети",
        byline=[("Петров", "Иван Сергеевич",
                 "доцент кафедры криминологии Московского юридического института, к.ю.н.")],
        abstract="Статья о мошенничестве.", keywords=["мошенничество", "интернет"],
        body="Текст со ссылкой [1, с. 5] и [2].",
        references=[(1, "Иванов И.И. Мошенничество [Текст]. – М., 2020. – 100 с."),
                    (2, "Сидоров С.С. Сеть.")],
    )
    text, found = imported(book, write_docx(ms, tmp_path / "Статья Петрова.docx"))
    assert text == (
        "---\nlang: ru\nauthors:\n  - person: petrov\n"
        'udc: "343.9"\n'
        'title: "О МОШЕННИЧЕСТВЕ В СЕТИ"\n'
        'abstract: "Статья о мошенничестве."\n'
        'keywords: ["мошенничество", "интернет"]\n'
        "references:\n"
        '  - "Иванов И.И. Мошенничество [Текст]. – М., 2020. – 100 с."\n'
        '  - "Сидоров С.С. Сеть."\n'
        "---\nТекст со ссылкой [1, с. 5] и [2].\n"
    )
    assert not [d for d in found if "[import-dropped]" in d]
    assert "sources/papers/p01/paper.md:3: note: 1 author read from the byline, paragraphs 2–3 of the " \
           "manuscript [import-guess]" in found
    assert "sources/papers/p01/paper.md:2: note: language ru told from the letters of the text " \
           "(--lang says it) [import-guess]" in found


def test_kk_lists_keep_their_styles_and_nesting(book: Path, tmp_path: Path) -> None:
    body = ("Кіріспе:\n\n1) бірінші;\n2) екінші:\n\n   {.alpha}\n   1) ішкі;\n   2) тағы;\n"
            "3) үшінші.\n\n- сызықша;\n- тағы бір.\n\n1. нүкте;\n2. екінші.")
    ms = Manuscript(lang="kk", title="ТІЗІМДЕР ТУРАЛЫ МАҚАЛА", body=body)
    text, _ = imported(book, write_docx(ms, tmp_path / "kk-lists.docx"))
    assert text.split("---\n", 2)[2] == (
        "Кіріспе:\n\n1) бірінші;\n2) екінші:\n   {.alpha}\n   1) ішкі;\n   2) тағы;\n3) үшінші.\n\n"
        "- сызықша;\n- тағы бір.\n\n1. нүкте;\n2. екінші.\n"
    )


def test_kk_table_with_merged_cells_and_its_label(book: Path, tmp_path: Path) -> None:
    from proceedings.model import Cell, Table

    table = Table(id="t1", caption="Тіркелген қылмыстар", header=[
        [Cell(text="Түрі", rowspan=2), Cell(text="Жылдар", colspan=2)],
        [Cell(text="2020"), Cell(text="2021")]],
        rows=[[Cell(text="Алаяқтық"), Cell(text="5"), Cell(text="7")]])
    ms = Manuscript(lang="kk", title="КЕСТЕЛЕР ТУРАЛЫ МАҚАЛА", body="Кесте төменде.\n\n::table t1",
                    tables={"t1": table})
    text, _ = imported(book, write_docx(ms, tmp_path / "kk-table.docx"))
    assert (
        'tables:\n  - id: t1\n    caption: "Тіркелген қылмыстар"\n    header:\n'
        '      - [{text: "Түрі", rowspan: 2}, {text: "Жылдар", colspan: 2}]\n'
        '      - [{text: "2020"}, {text: "2021"}]\n    rows:\n'
        '      - [{text: "Алаяқтық"}, {text: "5"}, {text: "7"}]\n    footer: []\n'
    ) in text
    assert text.endswith("---\nКесте төменде.\n\n::table t1\n")


@pytest.mark.parametrize(("lang", "total", "mean"), [
    ("kk", "Барлығы", "Орташа"), ("ru", "Итого:", "Среднее"), ("en", "Total", "Average"),
])
def test_a_tables_total_and_mean_rows_come_back_as_its_footer(
    lang: str, total: str, mean: str, book: Path, tmp_path: Path
) -> None:
    """The rows the manuscript ends its table with, read by their labels (per language,
    data/import.yaml), become footer rows of their kind, which the checker recomputes; a
    row of another label, even among them, stays in the body."""
    from proceedings.model import Cell, Table

    def row(*texts: str) -> list[Cell]:
        return [Cell(text=t) for t in texts]

    table = Table(id="t1", header=[row("", "2020", "2021")],
                  rows=[row("A", "5", "7"), row(total, "4", "4"), row("B", "3", "1"),
                        row(total, "8", "8"), row(mean, "4", "4")])
    ms = Manuscript(lang=lang, title="КЕСТЕ" if lang == "kk" else "TABLE", body="::table t1",
                    tables={"t1": table})
    text, _ = imported(book, write_docx(ms, tmp_path / f"{lang}-totals.docx"))
    assert (
        '    rows:\n      - [{text: "A"}, {text: "5"}, {text: "7"}]\n'
        f'      - [{{text: "{total}"}}, {{text: "4"}}, {{text: "4"}}]\n'
        '      - [{text: "B"}, {text: "3"}, {text: "1"}]\n    footer:\n'
        f'      - {{kind: total, cells: [{{text: "{total}"}}, {{text: "8"}}, {{text: "8"}}]}}\n'
        f'      - {{kind: mean, cells: [{{text: "{mean}"}}, {{text: "4"}}, {{text: "4"}}]}}\n'
    ) in text
    sources, diags = load_sources(book)
    assert sources is not None, [str(d) for d in diags]
    paper = next(p for p in sources.papers if p.tables)
    assert [r.kind for r in paper.tables[0].footer] == ["total", "mean"]


def test_en_footnotes_spans_bold_and_italic(book: Path, tmp_path: Path) -> None:
    ms = Manuscript(lang="en", title="ON FOOTNOTES AND SPANS",
                    body="A **bold** and *italic* text[^1] with [статус-кво]{lang=ru} in it.\n\n"
                         "[^1]: The note's text.")
    text, _ = imported(book, write_docx(ms, tmp_path / "en-notes.docx"))
    assert text.split("---\n", 2)[2] == (
        "A **bold** and *italic* text[^1] with [статус-кво]{lang=ru} in it.\n\n[^1]: The note's text.\n"
    )
    sources, diags = load_sources(book)
    assert sources is not None, [str(d) for d in diags]


def test_ru_figure_with_caption_is_extracted(book: Path, tmp_path: Path) -> None:
    ms = Manuscript(lang="ru", title="О РИСУНКАХ В СТАТЬЕ", body="Смотрите рисунок.\n\n::figure f1\n\nДалее.",
                    figures={"f1": "Рост числа преступлений"})
    text, _ = imported(book, write_docx(ms, tmp_path / "ru-figure.docx"))
    assert 'figures:\n  - id: f1\n    file: figure1.png\n    caption: "Рост числа преступлений"\n' in text
    assert text.endswith("---\nСмотрите рисунок.\n\n::figure f1\n\nДалее.\n")
    with Image.open(book / "papers" / "ru-figure" / "figure1.png") as image:
        assert image.size == (120, 80)


def test_word_artefacts_are_dropped_and_words_kept(book: Path, tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("О СЛЕДАХ WORD В ТЕКСТЕ")
    doc.add_paragraph("")
    para = doc.add_paragraph("Пере\u00adнос и  два   пробела,")
    para.add_run().add_break()
    para.add_run("разрыв строки.")
    doc.add_paragraph("")
    doc.add_paragraph("\uf0b7 первый пункт;")
    doc.add_paragraph("\uf0b7 второй пункт.")
    doc.add_paragraph("1998. Год начинает абзац.")
    doc.save(str(tmp_path / "ru-artefacts.docx"))
    text, found = imported(book, tmp_path / "ru-artefacts.docx")
    assert text.split("---\n", 2)[2] == (
        "Перенос и два пробела, разрыв строки.\n\n- первый пункт;\n- второй пункт.\n\n"
        "1998\\. Год начинает абзац.\n"
    )
    # pandoc reads a run of spaces as one space: nothing is left to count there.
    assert "sources/papers/ru-artefacts/paper.md:6: note: Word's artefacts dropped: 1 soft hyphen, " \
           "1 manual line break, 2 symbol-font bullets [import-cleaned]" in found


def test_authors_match_every_name_form_and_variant(book: Path, tmp_path: Path) -> None:
    people = (book / "people.yaml").read_text(encoding="utf-8")
    # Ахметова is Әсел Нұрланқызы in kk and Асель Нурлановна in ru; the byline mixes them,
    # with a Latin «і» typed inside the Cyrillic surname of the next author.
    ms = Manuscript(lang="kk", title="АВТОРЛАР ТУРАЛЫ МАҚАЛА", body="Мәтін.", byline=[
        ("Ахметова", "Асель Нұрланқызы", ""),
        ("Сейтқалi", "Бауыржан", "Алматы университетінің оқытушысы"),
        ("Петрова", "Иванна", "")])
    text, found = imported(book, write_docx(ms, tmp_path / "kk-authors.docx"))
    assert "authors:\n  - person: akhmetova\n  - person: seitkali\n  - person: petrova\n" in text
    after = (book / "people.yaml").read_text(encoding="utf-8")
    assert after.startswith(people)  # comments, order and entries kept: only added to
    assert after[len(people):] == (
        "\n# From the byline of kk-authors.docx (papers/kk-authors)\n- id: seitkali\n  names:\n    kk:\n"
        '      surname: "Сейтқалi"\n      given: "Бауыржан"\n      position: "оқытушысы"\n'
        '      institution: "Алматы университетінің"\n'
        "\n# From the byline of kk-authors.docx (papers/kk-authors)\n- id: petrova\n  names:\n    kk:\n"
        '      surname: "Петрова"\n      given: "Иванна"\n'
    )
    assert "sources/papers/kk-authors/paper.md:6: warning: byline «Петрова Иванна» is close to " \
           "people.yaml 'petrov' (Петров Иван Сергеевич) but not surely the same (a close but not equal " \
           "name); added as 'petrova': if it is the same person, write person: petrov here and delete " \
           "'petrova' from people.yaml [import-match]" in found
    sources, diags = load_sources(book)
    assert sources is not None, [str(d) for d in diags]
    assert "seitkali" in sources.people


def test_an_existing_paper_is_kept_without_force(book: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write_docx(Manuscript(lang="ru", title="ВТОРАЯ СТАТЬЯ ЗДЕСЬ", body="Текст."), tmp_path / "x.docx")
    before = (book / "papers" / "ru-fraud" / "paper.md").read_bytes()
    assert main(["import", str(path), "--into", "sources", "--id", "ru-fraud"]) == 1
    err = capsys.readouterr().err
    assert "sources/papers/ru-fraud/paper.md: error: paper ru-fraud exists; give --force to replace it, " \
           "or --id for another id [exists]" in err
    assert (book / "papers" / "ru-fraud" / "paper.md").read_bytes() == before
    assert main(["import", str(path), "--into", "sources", "--id", "ru-fraud", "--force"]) == 0
    assert "ВТОРАЯ СТАТЬЯ ЗДЕСЬ" in (book / "papers" / "ru-fraud" / "paper.md").read_text(encoding="utf-8")
    err = capsys.readouterr().err
    assert "proceedings: imported 1 paper(s)" in err
    assert f"proceedings: wrote sources/papers/ru-fraud/paper.md (from {path})" in err


# --- files that are not manuscripts, and hostile ones ---------------------------------------------


def _docx(tmp_path: Path) -> Path:
    path = tmp_path / "base.docx"
    write_docx(Manuscript(lang="ru", title="ОБЫЧНАЯ СТАТЬЯ АВТОРА", body="Текст."), path)
    return path


def _rezip(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, replace.pop(info.filename, old.read(info.filename)))
        for name, data in replace.items():
            new.writestr(name, data)
    return target


def _hostile(tmp_path: Path, kind: str) -> Path:
    base = _docx(tmp_path)
    target = tmp_path / f"{kind}.docx"
    if kind == "legacy-doc":
        target.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    elif kind == "pdf":
        target.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n")
    elif kind == "odt":
        with zipfile.ZipFile(target, "w") as odt:
            odt.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            odt.writestr("content.xml", "<office:document-content/>")
    elif kind == "damaged":
        target.write_bytes(base.read_bytes()[:2000])
    elif kind == "zip-bomb":
        _rezip(base, target, {"word/media/bomb.bin": b"\0" * 60_000_000})
    elif kind == "entity-bomb":
        doc = zipfile.ZipFile(base).read("word/document.xml").decode()
        # The billion laughs: each entity ten of the one before, eight deep.
        entities = "".join(f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
                           for p, c in zip("abcdefg", "bcdefgh", strict=True))
        bomb = f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY a "aaaaaaaaaa">{entities}]>'
        laughs = (bomb + doc.split("?>", 1)[1]).replace("Текст.", "&h;")
        _rezip(base, target, {"word/document.xml": laughs.encode()})
    elif kind == "macro":
        types = zipfile.ZipFile(base).read("[Content_Types].xml").replace(
            b"document.main+xml", b"document.macroEnabled.main+xml")
        _rezip(base, target, {"[Content_Types].xml": types, "word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    elif kind == "huge-image":
        image = Image.new("1", (9000, 9000))
        path = tmp_path / "huge.png"
        image.save(path)
        ms = docx.Document()
        ms.add_paragraph("ОГРОМНЫЙ РИСУНОК В СТАТЬЕ")
        ms.add_picture(str(path))
        ms.save(str(target))
    elif kind == "linked-image":
        rels = zipfile.ZipFile(base).read("word/_rels/document.xml.rels").replace(
            b"</Relationships>",
            b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/image" Target="file:///etc/passwd" TargetMode="External"/></Relationships>')
        _rezip(base, target, {"word/_rels/document.xml.rels": rels})
    return target


HOSTILE = {
    "legacy-doc": "error: a legacy Word document (.doc), not a .docx: convert it with LibreOffice, "
                  "`soffice --headless --convert-to docx legacy-doc.docx`, and import the .docx [not-docx]",
    "pdf": "error: a PDF, not a Word manuscript: ask the author for the .docx [not-docx]",
    "odt": "error: an OpenDocument text (.odt), not a .docx: convert it with LibreOffice, "
           "`soffice --headless --convert-to docx`, or save it from the editor as Word (.docx) [not-docx]",
    "damaged": "[damaged-docx]",
    "zip-bomb": "error: word/media/bomb.bin expands ",
    "entity-bomb": "error: word/document.xml declares a DTD or entities, which Word never writes "
                   "(an entity bomb?); refused [xml-entities]",
    "macro": "error: a macro-enabled Word document (.docm) named .docx: macros are never imported; "
             "ask the author to save it as a plain .docx [macro]",
    "huge-image": "error: image media/image1.png: ",
    "linked-image": "error: word/_rels/document.xml.rels: a picture or object linked from outside the file "
                    "(file:///etc/passwd); insert the picture itself [refused-url]",
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_wrong_and_hostile_files_get_a_diagnostic_and_nothing_is_written(
        kind: str, book: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _hostile(tmp_path, kind)
    people = (book / "people.yaml").read_bytes()
    papers = sorted(p.name for p in (book / "papers").iterdir())
    assert main(["import", str(path), "--into", "sources"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert HOSTILE[kind] in err, err
    assert sorted(p.name for p in (book / "papers").iterdir()) == papers
    assert (book / "people.yaml").read_bytes() == people
    assert "proceedings: imported 0 paper(s)" in err


def test_a_folder_is_imported_in_one_run_with_one_summary(book: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    for n in range(3):
        ms = Manuscript(lang="ru", title=f"СТАТЬЯ НОМЕР {n} СБОРНИКА", body="Текст.")
        write_docx(ms, folder / f"a{n}.docx")
    (folder / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    assert main(["import", str(folder), "--into", "sources"]) == 1
    err = capsys.readouterr().err
    assert "proceedings: read 4/4 old.doc" in err
    assert "proceedings: imported 3 paper(s)" in err
    assert "1 manuscript(s) not imported" in err
    assert {"a0", "a1", "a2"} <= {p.name for p in (book / "papers").iterdir()}
    assert W  # the namespace the writer uses for Word's XML


def test_ru_seed_style_byline_title_style_and_numbered_references(book: Path, tmp_path: Path) -> None:
    # SURNAME alone with the given names under it, a title in Word's Title style (not in
    # capitals), a second author by initials, the references as a Word numbered list.
    doc = docx.Document()
    doc.add_paragraph("ПЕТРОВ")
    doc.add_paragraph("Иван Сергеевич")
    doc.add_paragraph("доцент кафедры криминологии Московского юридического института, к.ю.н.")
    doc.add_paragraph("А.Н. Ахметова, профессор")
    doc.add_paragraph("Заголовок статьи о мошенничестве", style="Title")
    doc.add_paragraph("Текст [1] и [2].")
    doc.add_paragraph("Список литературы")
    doc.add_paragraph("Первый источник.", style="List Number")
    doc.add_paragraph("Второй источник.", style="List Number")
    doc.save(str(tmp_path / "ru-seed.docx"))
    text, found = imported(book, tmp_path / "ru-seed.docx")
    assert text == (
        "---\nlang: ru\nauthors:\n  - person: petrov\n  - person: akhmetova\n    affiliation:\n"
        '      academic_title: "профессор"\n'
        'title: "Заголовок статьи о мошенничестве"\n'
        'references:\n  - "Первый источник."\n  - "Второй источник."\n'
        "---\nТекст [1] и [2].\n"
    )
    assert not [f for f in found if "[import-match]" in f or "error" in f], found
    # The usual checks ran on the new paper: book.yaml does not list it yet.
    assert "sources/book.yaml:32: warning: paper 'ru-seed' is not listed in papers; it is placed last: " \
           "add it to papers in book.yaml where it belongs [unlisted-paper]" in found


def test_pandoc_is_bounded_in_time_and_its_absence_is_said(book: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from proceedings import manuscript

    path = _docx(tmp_path)
    monkeypatch.setattr(manuscript, "PANDOC_SECONDS", 0.001)
    assert main(["import", str(path), "--into", "sources"]) == 1
    assert "base.docx: error: pandoc did not finish in 0.001 s [pandoc]" in capsys.readouterr().err
    monkeypatch.setattr(manuscript, "pandoc_path", lambda: None)
    assert main(["import", str(path), "--into", "sources"]) == 1
    assert "base.docx: error: pandoc is not installed (pip install pypandoc-binary) [pandoc]" \
        in capsys.readouterr().err
    assert not (book / "papers" / "base").exists()


def test_a_windows_metafile_figure_is_extracted_and_flagged(book: Path, tmp_path: Path) -> None:
    base = _docx(tmp_path)
    with zipfile.ZipFile(base) as old:
        rels = old.read("word/_rels/document.xml.rels")
        document = old.read("word/document.xml").decode()
    picture = (
        '<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/'
        'wordprocessingDrawing"><wp:extent cx="914400" cy="914400"/><wp:docPr id="1" name="chart"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData '
        'uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://'
        'schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="1" name="c"/>'
        '<pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships" r:embed="rId77"/></pic:blipFill><pic:spPr/></pic:pic>'
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"
        "<w:p><w:r><w:t>Рисунок 1 – Диаграмма</w:t></w:r></w:p>"
    )
    target = _rezip(base, tmp_path / "emf.docx", {
        "word/document.xml": document.replace("<w:sectPr", picture + "<w:sectPr", 1).encode(),
        "word/_rels/document.xml.rels": rels.replace(b"</Relationships>", (
            b'<Relationship Id="rId77" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            b'relationships/image" Target="media/chart.emf"/></Relationships>')),
        "word/media/chart.emf": b"\x01\x00\x00\x00" + b"\0" * 200,
    })
    text, found = imported(book, target)
    assert 'figures:\n  - id: f1\n    file: figure1.emf\n    caption: "Диаграмма"\n' in text
    assert (book / "papers" / "emf" / "figure1.emf").read_bytes()[:4] == b"\x01\x00\x00\x00"
    assert any("figure f1: a .emf picture, which the book cannot print" in f for f in found), found


def test_en_headings_run_in_headings_and_block_quotes(book: Path, tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("ON THE SHAPE OF A PAPER")
    doc.add_heading("1. Introduction", level=1)
    para = doc.add_paragraph()
    para.add_run("Nature and Scope of the Study.").bold = True
    para.add_run(" The text goes on [3, p. 7].")
    doc.add_paragraph("A quoted passage of some length.", style="Quote")
    doc.save(str(tmp_path / "en-shape.docx"))
    text, _ = imported(book, tmp_path / "en-shape.docx")
    assert text.split("---\n", 2)[2] == (
        "## 1\\. Introduction\n\n**Nature and Scope of the Study.** The text goes on [3, p. 7].\n\n"
        "> A quoted passage of some length.\n"
    )


def test_en_byline_matches_a_person_known_only_in_cyrillic(book: Path, tmp_path: Path) -> None:
    ms = Manuscript(lang="en", title="ON NAMES IN TWO SCRIPTS", body="Text.",
                    byline=[("Petrov", "Ivan", ""), ("Akhmetova", "A.N.", "")])
    text, found = imported(book, write_docx(ms, tmp_path / "en-names.docx"))
    assert "authors:\n  - person: petrov\n  - person: akhmetova\n" in text
    assert "sources/papers/en-names/paper.md:4: note: people.yaml has no en name for 'petrov' (matched " \
           "by another language's); the byline gives «Petrov Ivan»: add it under names: en: " \
           "[import-person]" in found
    assert (book / "people.yaml").read_text(encoding="utf-8") == (MINIBOOK / "people.yaml").read_text(
        encoding="utf-8")


def test_a_footnote_where_the_format_has_none_is_reported(book: Path, tmp_path: Path) -> None:
    from tests.docxwriter import Writer

    writer = Writer()
    writer.para("СНОСКА В ЯЧЕЙКЕ ТАБЛИЦЫ")
    writer.para("Таблица 1 – Данные")
    table = writer.doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Год"
    writer.footnote(table.cell(0, 1).paragraphs[0], "Данные за девять месяцев.")
    writer._finish(tmp_path / "ru-cell-note.docx")
    text, found = imported(book, tmp_path / "ru-cell-note.docx")
    assert 'caption: "Данные"\n    header:\n      - [{text: "Год"}, {text: ""}]\n    rows: []\n' in text
    assert "sources/papers/ru-cell-note/paper.md:13: warning: a footnote in a title, caption, table cell " \
           "or reference, where the source format has none, is left out: «Данные за девять месяцев.» " \
           "[import-dropped]" in found


def test_kk_udc_abstracts_and_keywords_in_three_languages_are_stored(book: Path, tmp_path: Path) -> None:
    # «Аннотация» heads a Kazakh template's abstract as well as a Russian one: the text
    # after it tells which.
    ms = Manuscript(
        lang="kk", udc="343.98:004", title="ЦИФРЛЫҚ ДӘЛЕЛДЕМЕЛЕР ТУРАЛЫ",
        abstract="Мақалада цифрлық дәлелдемелер қарастырылады.", keywords=["дәлелдеме", "процесс"],
        other_abstracts={"ru": "В статье рассматриваются цифровые доказательства.",
                         "en": "The paper considers digital evidence."},
        other_keywords={"ru": ["доказательство", "процесс"], "en": ["evidence", "procedure"]},
        body="Қазіргі кезеңде ақпараттық технологиялардың дамуы қылмыстық процеске әсер етуде.",
    )
    text, found = imported(book, write_docx(ms, tmp_path / "kk-front.docx"))
    assert text.split("---\n")[1] == (
        "lang: kk\nauthors: []\n"
        'udc: "343.98:004"\n'
        'title: "ЦИФРЛЫҚ ДӘЛЕЛДЕМЕЛЕР ТУРАЛЫ"\n'
        'abstract: "Мақалада цифрлық дәлелдемелер қарастырылады."\n'
        "abstracts:\n"
        '  ru: "В статье рассматриваются цифровые доказательства."\n'
        '  en: "The paper considers digital evidence."\n'
        "keywords:\n"
        '  kk: ["дәлелдеме", "процесс"]\n'
        '  ru: ["доказательство", "процесс"]\n'
        '  en: ["evidence", "procedure"]\n'
    )
    assert "sources/papers/kk-front/paper.md:2: note: language kk told from the letters of the text " \
           "(--lang says it) [import-guess]" in found
    assert not [d for d in found if "[import-dropped]" in d]
