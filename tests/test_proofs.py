"""Author proofs, offprints and index.csv, read back from the PDFs."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from proceedings.build import check
from proceedings.proofs import CSV_COLUMNS, ProofOptions, citation, folio_range, inert_cell, make_proofs

from . import pdfread
from .conftest import make_case

WORDS = {"kk": "ТҮЗЕТУ", "ru": "КОРРЕКТУРА", "en": "PROOF"}
DATES = {"kk": "01.04.2025", "ru": "01.04.2025", "en": "1 April 2025"}  # each language's compact date


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _text(path: Path, page: int) -> str:
    return pdfread.text(path, page)


def _band(path: Path, page: int, top: float, height: float = 60) -> str:
    """The text of a horizontal band of the page: the head or the foot margin."""
    width, _ = pdfread.page_size(path, page)
    return pdfread.text(path, page, (0, top, width, top + height)).strip()


def _papers(out: Path) -> list[dict[str, Any]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    papers: list[dict[str, Any]] = manifest["papers"]
    return papers


def _cover_pages(proof: PdfReader, paper: dict[str, Any]) -> int:
    first, last = paper["pdf_pages"]
    covers = len(proof.pages) - (last - first + 1)
    assert covers >= 1
    return covers


def test_every_proof_holds_exactly_its_papers_pages(minibook_proofs: Path) -> None:
    book = PdfReader(minibook_proofs / "proceedings.pdf")
    for paper in _papers(minibook_proofs):
        proof = PdfReader(minibook_proofs / "proofs" / f"{paper['id']}.pdf")
        covers = _cover_pages(proof, paper)
        first, last = paper["pdf_pages"]
        for offset, number in enumerate(range(first, last + 1)):
            cut = _norm(proof.pages[covers + offset].extract_text())
            own = _norm(book.pages[number - 1].extract_text())
            # The book page's text, then the watermark drawn over it.
            assert cut.startswith(own), (paper["id"], number)
            stamp = f"{WORDS[paper['lang']]}{DATES[paper['lang']]}".replace(" ", "")
            assert cut[len(own):].strip().replace(" ", "") == stamp


def test_proof_pages_carry_the_books_folios_and_heads(minibook_proofs: Path) -> None:
    book_pdf = minibook_proofs / "proceedings.pdf"
    height = float(PdfReader(book_pdf).pages[0].mediabox.height)
    for paper in _papers(minibook_proofs):
        path = minibook_proofs / "proofs" / f"{paper['id']}.pdf"
        covers = _cover_pages(PdfReader(path), paper)
        first, last = paper["pdf_pages"]
        for offset, number in enumerate(range(first, last + 1)):
            foot = _band(path, covers + offset + 1, height - 60)
            assert foot == _band(book_pdf, number, height - 60) == str(number)
            assert _band(path, covers + offset + 1, 0) == _band(book_pdf, number, 0)


def test_watermark_word_and_date_on_every_proof_page(minibook_proofs: Path) -> None:
    for paper in _papers(minibook_proofs):
        path = minibook_proofs / "proofs" / f"{paper['id']}.pdf"
        reader = PdfReader(path)
        for number in range(1, len(reader.pages) + 1):
            text = _text(path, number)
            assert f"{WORDS[paper['lang']]} {DATES[paper['lang']]}" in text, (paper["id"], number)
        assert all("/Annots" not in page for page in reader.pages)


def _gray(path: Path, page: int) -> Any:
    return pdfread.render(path, page, 20, grey=True)


def test_watermark_is_drawn_upright_and_diagonal_over_the_page(minibook_proofs: Path) -> None:
    """Rendered, the proof page is the book page plus the watermark: darker only along
    a band rising from the lower left to the upper right, across the middle."""
    from PIL import ImageChops

    book_pdf = minibook_proofs / "proceedings.pdf"
    for paper in _papers(minibook_proofs):
        path = minibook_proofs / "proofs" / f"{paper['id']}.pdf"
        covers = _cover_pages(PdfReader(path), paper)
        first, last = paper["pdf_pages"]
        for offset, number in enumerate(range(first, last + 1)):
            proof = _gray(path, covers + offset + 1)
            book = _gray(book_pdf, number)
            darker = ImageChops.subtract(book, proof)
            width, height = darker.size
            points = [(i % width, i // width) for i, v in enumerate(darker.tobytes()) if v > 12]
            assert len(points) > width * height // 100, (paper["id"], number)
            xs, ys = [x for x, _ in points], [y for _, y in points]
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            assert abs(mx - width / 2) < width / 8
            assert abs(my - height / 2) < height / 8
            # Image rows grow downwards: rising to the right is a negative correlation.
            cov = sum((x - mx) * (y - my) for x, y in points)
            var = (sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys)) ** 0.5
            assert cov / var < -0.5, (paper["id"], number, cov / var)


def test_cover_lists_the_papers_findings(minibook_proofs: Path) -> None:
    sources = minibook_proofs.parent / "sources"
    _, diags = check(sources)
    found = [d for d in diags if "en-aviation" in d.path]
    assert found
    assert all(d.code == "citation" for d in found)
    for paper in _papers(minibook_proofs):
        path = minibook_proofs / "proofs" / f"{paper['id']}.pdf"
        cover = _norm(" ".join(_text(path, n) for n in
                               range(1, _cover_pages(PdfReader(path), paper) + 1)))
        assert _norm(paper["title"]) in cover
        # In the order of the paper's language: «Петров Иван Сергеевич», «John Smith».
        assert all(part in cover for part in paper["authors"][0].split())
        assert folio_range(paper["folios"]) in cover
        if paper["id"] == "en-aviation":
            assert "Checker's findings" in cover
            for diag in found:
                assert f"Warning: {_norm(diag.message)}" in cover
            # The author is told what is wrong, not where the editor's files are.
            assert "paper.md" not in cover
            assert "[citation]" not in cover
            assert "No findings." not in cover
        else:
            assert "[citation]" not in cover
    ru_cover = _norm(_text(minibook_proofs / "proofs" / "ru-fraud.pdf", 1))
    assert "Замечаний нет." in ru_cover
    # The author's affiliations as printed in the byline (both), and the number of references.
    assert "доцент кафедры криминологии Московского юридического института, к.ю.н.; ведущий " \
           "научный сотрудник Института государства и права" in ru_cover
    assert "Источников в списке литературы 2" in ru_cover
    assert f"Дата корректуры: {DATES['ru']}" in ru_cover
    assert "Петров Иван Сергеевич" in ru_cover
    assert "John Smith" in _norm(_text(minibook_proofs / "proofs" / "en-aviation.pdf", 1))


def test_index_csv(minibook_proofs: Path) -> None:
    index = minibook_proofs / "proofs" / "index.csv"
    assert index.read_bytes().startswith(b"\xef\xbb\xbf")
    with index.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
        rows = list(reader)
    papers = _papers(minibook_proofs)
    assert [r["id"] for r in rows] == [p["id"] for p in papers]
    for row, paper in zip(rows, papers, strict=True):
        assert row["lang"] == paper["lang"]
        assert row["title"] == paper["title"]
        assert row["authors"] == "; ".join(paper["authors"])
        assert row["pages"] == folio_range(paper["folios"])
        assert row["file"] == f"{paper['id']}.pdf"
        assert (index.parent / row["file"]).is_file()
    emails = {r["id"]: r["emails"] for r in rows}
    assert emails == {"kk-digital": "", "ru-fraud": "petrov@example.kz", "en-aviation": ""}


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("+1+2", "'+1+2"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("Title = value", "Title = value"), ("12–14", "12–14"), ("", ""),
])
def test_a_cell_that_starts_like_a_formula_is_quoted(value: str, cell: str) -> None:
    assert inert_cell(value) == cell


def test_index_csv_holds_no_formula(tmp_path: Path) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    paper.write_text(text.replace("title: Криминологическая", "title: \"=1+2 Криминологическая", 1)
                     .replace("интернет-мошенничества\nabstract", "интернет-мошенничества\"\nabstract", 1),
                     encoding="utf-8")
    people = sources / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace(
        "  email: i.petrov@example.ru\n", "  email: \"@petrov@example.kz\"\n", 1), encoding="utf-8")
    out = tmp_path / "out"
    make_proofs(ProofOptions(sources=sources, out=out, date=dt.date(2025, 4, 1)))
    with (out / "proofs" / "index.csv").open(encoding="utf-8-sig", newline="") as handle:
        row = {r["id"]: r for r in csv.DictReader(handle)}["ru-fraud"]
    assert row["title"] == "'=1+2 Криминологическая характеристика интернет-мошенничества"
    assert row["emails"] == "'@petrov@example.kz"


def test_offprints_are_clean_pages_with_the_citation(minibook_proofs: Path) -> None:
    book = PdfReader(minibook_proofs / "proceedings.pdf")
    pages_word = {"kk": "– Б.", "ru": "– С.", "en": "pp."}
    for paper in _papers(minibook_proofs):
        path = minibook_proofs / "offprints" / f"{paper['id']}.pdf"
        reader = PdfReader(path)
        first, last = paper["pdf_pages"]
        assert len(reader.pages) == last - first + 1
        assert all("/Annots" not in page for page in reader.pages)
        text = "".join(_text(path, n) for n in range(1, len(reader.pages) + 1))
        assert not any(word in text for word in WORDS.values())
        head = _norm(_text(path, 1))
        line = f"{pages_word[paper['lang']]} {folio_range(paper['folios'])}."
        assert line in head, head[:300]
        assert (" // " in head) is (paper["lang"] != "en")  # the form of ГОСТ 7.0.100 in Russian and Kazakh
        # Below the citation, the page is the book's own.
        own = _norm(book.pages[first - 1].extract_text())
        assert _norm(reader.pages[0].extract_text()).startswith(own)
    ru = _norm(_text(minibook_proofs / "offprints" / "ru-fraud.pdf", 1))
    assert ru.startswith("Петров И.С. Криминологическая характеристика интернет-мошенничества // "
                         "Правопорядок в цифровую эпоху : материалы междунар. науч.-практ. конф. "
                         "(Алматы, 18 апреля 2025 г.). – Алматы, 2025. – С. 9.")
    en = _norm(_text(minibook_proofs / "offprints" / "en-aviation.pdf", 1))
    assert en.startswith("Smith J. Violation of flight safety rules in the Republic of Kazakhstan. In: "
                         "Цифрлық дәуірдегі құқық тәртібі: proceedings of the conference (Алматы, 18 April "
                         "2025). Алматы, 2025. pp. ")


def test_citation_gives_a_page_range_in_the_papers_language() -> None:
    from proceedings.render import build_context, load_labels

    from .conftest import MINIBOOK, REPO

    sources, _ = check(MINIBOOK)
    assert sources is not None
    labels = load_labels(REPO / "styles")
    views = {v.paper.id: v for v in build_context(sources, labels).papers}
    entry = {"folios": ["12", "17"]}
    assert citation(sources, views["ru-fraud"], entry, labels).endswith("– С. 12–17.")
    assert citation(sources, views["kk-digital"], entry, labels).endswith("– Б. 12–17.")
    kk = citation(sources, views["kk-digital"], entry, labels)
    assert kk.startswith("Ахметова Ә.Н. ")
    assert "2025\u00a0ж. 18 сәуір" in kk


def test_a_missing_book_or_one_built_from_other_inputs_is_stale(tmp_path: Path, minibook_build: Path) -> None:
    """Whether the sources changed is told by their content, not by their files' times."""
    import os
    import shutil

    from proceedings.files import Inputs
    from proceedings.proofs import is_stale

    from .conftest import MINIBOOK, REPO

    def inputs(sources: Path) -> Inputs:
        return Inputs.of(sources, REPO / "styles", REPO / "fonts")

    assert is_stale(tmp_path, inputs(MINIBOOK))
    assert not is_stale(minibook_build, inputs(MINIBOOK))
    copy = tmp_path / "sources"
    shutil.copytree(MINIBOOK, copy)
    book = copy / "book.yaml"
    os.utime(book)  # saved again, unchanged
    assert not is_stale(minibook_build, inputs(copy))
    book.write_text(book.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    assert is_stale(minibook_build, inputs(copy))


def _copy_of_proofs(minibook_proofs: Path, tmp_path: Path) -> tuple[Any, Path]:
    """The proofs fixture's sources and output copied (dates kept), and options to remake them."""
    import datetime as dt
    import shutil

    from proceedings.proofs import ProofOptions

    root = tmp_path / "copy"
    shutil.copytree(minibook_proofs.parent, root)
    return ProofOptions(sources=root / "sources", out=root / "out", date=dt.date(2025, 4, 1)), root / "out"


def _outputs(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for folder in ("proofs", "offprints") for p in sorted((out / folder).iterdir())}


def test_a_rerun_with_nothing_changed_lays_out_and_writes_nothing(minibook_proofs: Path,
                                                                   tmp_path: Path) -> None:
    import sys

    from proceedings.proofs import make_proofs

    opts, out = _copy_of_proofs(minibook_proofs, tmp_path)
    first = make_proofs(opts)  # in the new place, findings name other paths
    assert not first.rebuilt
    before = _outputs(out)
    again = make_proofs(opts)
    assert (again.rendered, again.written) == ([], [])
    assert again.proofs == first.proofs
    assert again.offprints == first.offprints
    assert list(again.diagnostics) == list(first.diagnostics)
    assert _outputs(out) == before
    # Without the record of the last run every stamp still comes from the cache: a fresh
    # process does not even load WeasyPrint.
    (out / ".cache" / "proofs.json").unlink()
    script = (
        "import datetime, sys; from pathlib import Path; from proceedings.proofs import ProofOptions, "
        "make_proofs; r = make_proofs(ProofOptions(sources=Path(sys.argv[1]), out=Path(sys.argv[2]), "
        "date=datetime.date(2025, 4, 1)))\n"
        "print(len(r.rendered), len(r.written), 'weasyprint' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", script, str(opts.sources), str(out)],
                         capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["0", "0", "False"]
    assert _outputs(out) == before


def test_an_edit_redoes_only_what_it_touches(minibook_proofs: Path, tmp_path: Path) -> None:
    """A new e-mail address shows on one cover and in index.csv, and nowhere in the book."""
    from proceedings.proofs import make_proofs

    opts, out = _copy_of_proofs(minibook_proofs, tmp_path)
    make_proofs(opts)
    before = _outputs(out)
    people = opts.sources / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("petrov@example.kz", "petrov@example.org"),
                      encoding="utf-8")
    result = make_proofs(opts)
    assert result.rebuilt
    assert result.rendered == ["cover:ru-fraud"]
    assert sorted(p.relative_to(out).as_posix() for p in result.written) == [
        "proofs/index.csv", "proofs/ru-fraud.pdf"]
    after = _outputs(out)
    assert {name for name in before if after[name] != before[name]} == {
        "proofs/index.csv", "proofs/ru-fraud.pdf"}
    assert "petrov@example.org" in _text(out / "proofs" / "ru-fraud.pdf", 1)


def test_one_rule_makes_initials_for_bylines_and_citations() -> None:
    """The contents' byline («И.О. Фамилия») and the offprint's citation («Фамилия И.О.»)
    take their initials from the same rule; a hyphenated given name keeps its hyphen."""
    from proceedings.model import PersonName
    from proceedings.render import make_environment

    from .conftest import REPO

    initials = make_environment(REPO / "styles" / "templates").filters["initials"]
    name = PersonName(surname="Сартр", given="Жан-Поль Шарль")
    assert name.initials == "Ж.-П.Ш."
    assert initials(name) == "Ж.-П.Ш.\u00a0Сартр"
    assert initials(PersonName(surname="Петров")) == "Петров"
    assert PersonName(surname="Петров", given="Иван  Сергеевич").initials == "И.С."


def _citation_and_page(offprint: Path, book: Path,
                       page: int) -> tuple[list[pdfread.Word], list[pdfread.Word]]:
    """The words of the citation laid over an offprint's first page, and those of the book's page."""
    own = pdfread.words(book, page)
    drawn = {(w.text, round(w.x0, 1), round(w.top, 1)) for w in own}
    laid = [w for w in pdfread.words(offprint, 1) if (w.text, round(w.x0, 1), round(w.top, 1)) not in drawn]
    return laid, own


def _assert_citation_clear(out: Path) -> None:
    for paper in _papers(out):
        laid, own = _citation_and_page(out / "offprints" / f"{paper['id']}.pdf", out / "proceedings.pdf",
                                       paper["pdf_pages"][0])
        assert laid, paper["id"]
        assert " ".join(w.text for w in laid).endswith(f"{folio_range(paper['folios'])}."), paper["id"]
        box = (min(w.x0 for w in laid), min(w.top for w in laid), max(w.x1 for w in laid),
               max(w.bottom for w in laid))
        hit = [w.text for w in own
               if w.x0 < box[2] and box[0] < w.x1 and w.top < box[3] and box[1] < w.bottom]
        assert hit == [], (paper["id"], box, hit)
        assert min(w.size for w in laid) >= 5, paper["id"]  # still legible


def test_the_citation_clears_the_first_pages_text_on_a4(minibook_proofs: Path) -> None:
    _assert_citation_clear(minibook_proofs)


@pytest.mark.parametrize("trim", ["A5", "60x84/16"])
def test_the_citation_clears_the_first_pages_text_on_any_trim(trim: str, tmp_path: Path) -> None:
    """The head margin of these trims is 15 mm: a citation of three lines at the A4 size
    ran into the byline. A long title makes it longer still."""
    sources = make_case(tmp_path / "none", tmp_path)
    with (sources / "book.yaml").open("a", encoding="utf-8") as book:
        book.write(f"trim: {trim}\n")
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    title = re.search(r"^title: (.*)$", text, re.MULTILINE)
    assert title is not None
    longer = (f"{title[1]} в Республике Казахстан – уголовно-правовые и криминологические "
              "аспекты противодействия")
    paper.write_text(text.replace(title[0], f"title: {longer}", 1), encoding="utf-8")
    out = tmp_path / "out"
    make_proofs(ProofOptions(sources=sources, out=out, date=dt.date(2025, 4, 1)))
    _assert_citation_clear(out)
    ru = _norm(_text(out / "offprints" / "ru-fraud.pdf", 1))
    assert "уголовно-правовые и криминологические аспекты противодействия // Правопорядок" in ru
