"""The PDF's metadata: the title in every book language, creators, languages, and a date
that is the book's, not the conference's."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Literal
from xml.etree import ElementTree

import pikepdf
import pytest

from proceedings.build import BuildOptions, build
from proceedings.load import load_sources
from proceedings.render import publication_date

from .conftest import MINIBOOK, REPO

NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dc": "http://purl.org/dc/elements/1.1/",
      "xmp": "http://ns.adobe.com/xap/1.0/"}
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _xmp(pdf: Path) -> ElementTree.Element:
    with pikepdf.open(pdf) as document:
        packet = document.Root.Metadata.read_bytes().decode()
    return ElementTree.fromstring(packet[packet.index("<x:xmpmeta"): packet.rindex("</x:xmpmeta>") + 12])


def _items(xmp: ElementTree.Element, path: str) -> list[str]:
    return [li.text or "" for li in xmp.iterfind(path, NS)]


@pytest.mark.parametrize(("book", "sources"), [("minibook_build", MINIBOOK), ("book2024", REPO / "sources")])
def test_xmp_has_the_title_in_every_language(book: str, sources: Path,
                                             request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(book)
    loaded, _ = load_sources(sources)
    assert loaded is not None
    xmp = _xmp(out / "proceedings.pdf")
    titles = {li.get(LANG): li.text for li in xmp.iterfind(".//dc:title/rdf:Alt/rdf:li", NS)}
    first = loaded.book.languages[0]
    assert titles == {"x-default": loaded.book.title[first], **loaded.book.title}
    assert set(_items(xmp, ".//dc:language/rdf:Bag/rdf:li")) == set(loaded.book.languages)
    people = loaded.people
    editors = [people[e].name(first).full for e in loaded.book.editors]
    organisers = [o[first] for o in loaded.book.organisers]
    assert _items(xmp, ".//dc:creator/rdf:Seq/rdf:li") == (editors or organisers)
    # The date is not the conference's: the tests do not set one, so it is today's.
    today = dt.date.today()  # (or yesterday, for a book built before midnight)
    assert _items(xmp, ".//xmp:CreateDate")[0] in {today.isoformat(), (today - dt.timedelta(1)).isoformat()}
    assert loaded.book.date != dt.date.today()


def test_the_date_comes_from_source_date_epoch_then_published(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded, _ = load_sources(MINIBOOK)
    assert loaded is not None
    book = loaded.book
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert publication_date(book) == dt.date.today()
    published = book.model_copy(update={"published": dt.date(2025, 6, 1)})
    assert publication_date(published) == dt.date(2025, 6, 1)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    assert publication_date(published) == dt.date(2023, 11, 14)


@pytest.mark.parametrize("engine", ["parts", "single"])
def test_source_date_epoch_reaches_the_pdf(engine: Literal["parts", "single"], tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(MINIBOOK, sources)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(BuildOptions(sources=sources, out=tmp_path / "out", engine=engine))
    pdf = tmp_path / "out" / "proceedings.pdf"
    assert _items(_xmp(pdf), ".//xmp:CreateDate") == ["2023-11-14"]
    with pikepdf.open(pdf) as document:
        assert str(document.docinfo["/CreationDate"]).startswith("D:20231114")


def test_the_print_pdf_has_ours_merged_into_the_pdfx_metadata(minibook_print: Path) -> None:
    xmp = _xmp(minibook_print / "proceedings-print.pdf")
    loaded, _ = load_sources(MINIBOOK)
    assert loaded is not None
    titles = {li.get(LANG): li.text for li in xmp.iterfind(".//dc:title/rdf:Alt/rdf:li", NS)}
    assert titles == {"x-default": loaded.book.title["kk"], **loaded.book.title}
    assert _items(xmp, ".//dc:language/rdf:Bag/rdf:li") == loaded.book.languages
    assert _items(xmp, ".//dc:creator/rdf:Seq/rdf:li") == [loaded.people["akhmetova"].name("kk").full]
    # What PDF/X asks of the metadata stays, and each property is given once.
    pdfx = {"pdfxid": "http://www.npes.org/pdfx/ns/id/", "pdfx": "http://ns.adobe.com/pdfx/1.3/"}
    assert [e.text for e in xmp.iterfind(".//pdfxid:GTS_PDFXVersion", pdfx)] == ["PDF/X-4"]
    assert [e.text for e in xmp.iterfind(".//pdfx:GTS_PDFXConformance", pdfx)] == ["PDF/X-4"]
    for name in ("dc:title", "dc:creator", "dc:description", "xmp:CreateDate", "xmp:MetadataDate"):
        assert len(list(xmp.iterfind(f".//{name}", NS))) == 1, name
