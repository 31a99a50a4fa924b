"""Edits of finished PDFs, on small PDFs made here: overlays, greys, font tags."""

from __future__ import annotations

import io

import pikepdf

from proceedings.pdfedit import Overlay, draw_over, retag_fonts, to_gray


def _form(pdf: pikepdf.Pdf, drawing: bytes) -> pikepdf.Object:
    form = pikepdf.Stream(pdf, drawing)
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox = [0, 0, 100, 100]
    return pdf.make_indirect(form)


def _two_pages_one_resources() -> pikepdf.Pdf:
    """Two pages that share one resource dictionary, as the pages of one layout do."""
    pdf = pikepdf.new()
    image = _form(pdf, b"0 0 10 10 re f")
    resources = pdf.make_indirect(pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)))
    for _ in range(2):
        pdf.add_blank_page(page_size=(100, 100))
        pdf.pages[-1].obj.Resources = resources
        pdf.pages[-1].contents_add(b"1 0 0 -1 0 100 cm /Im0 Do", prepend=False)
    return pdf


def _drawing(page: pikepdf.Page) -> bytes:
    contents = page.obj.Contents
    parts = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    return b"".join(part.read_bytes() for part in parts)


def _saved(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def test_draw_over_lists_the_forms_on_their_page_only_under_fixed_names() -> None:
    made = []
    for _ in range(2):
        pdf = _two_pages_one_resources()
        folio, head = _form(pdf, b"0 g 0 0 5 5 re f"), _form(pdf, b"0 g 5 5 5 5 re f")
        draw_over(pdf.pages[0], [Overlay("StampFolio1", folio), Overlay("Mark", head, actual_text="Proof")])
        made.append(_saved(pdf))
    assert made[0] == made[1]
    pdf = pikepdf.open(io.BytesIO(made[0]))
    first, second = pdf.pages
    assert sorted(first.obj.Resources.XObject.keys()) == ["/Im0", "/Mark", "/StampFolio1"]
    assert sorted(second.obj.Resources.XObject.keys()) == ["/Im0"]
    drawing = _drawing(first)
    # The page's own drawing in a saved state, then each form in turn, in a state of its own.
    assert drawing.startswith(b"q\n")
    tail = drawing[drawing.index(b"/Im0 Do") + len(b"/Im0 Do"):]
    text = ("\ufeff" + "Proof").encode("utf-16-be").hex().upper().encode()
    assert tail == (b"\nQ\nq\n/StampFolio1 Do\nQ\n"
                    b"q\n/Span <</ActualText <" + text + b">>> BDC\n/Mark Do\nEMC\nQ\n")
    assert _drawing(second) == b"1 0 0 -1 0 100 cm /Im0 Do"


def test_draw_over_nothing_leaves_the_page_alone() -> None:
    pdf = _two_pages_one_resources()
    draw_over(pdf.pages[0], [])
    assert pdf.pages[0].obj.Resources.is_indirect
    assert _drawing(pdf.pages[0]) == b"1 0 0 -1 0 100 cm /Im0 Do"


def test_to_gray_rewrites_neutral_colours_in_pages_and_forms() -> None:
    pdf = pikepdf.new()
    form = _form(pdf, b"0.3 0.3 0.3 rg 0 0 5 5 re f 1 0 0 RG")
    form.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)
    for _ in range(2):  # one form drawn on two pages is rewritten once
        pdf.add_blank_page(page_size=(100, 100))
        page = pdf.pages[-1]
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))
        page.obj.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)
        page.contents_add(b"0.5 0.5 0.5 rg 0.2 0.2 0.2 RG 1 0 0 rg /Fm0 Do", prepend=False)
    to_gray(pdf)
    pdf = pikepdf.open(io.BytesIO(_saved(pdf)))
    for page in pdf.pages:
        assert _drawing(page) == b"0.5 g 0.2 G 1 0 0 rg /Fm0 Do"
        assert str(page.obj.Group.CS) == "/DeviceGray"
        form = page.obj.Resources.XObject.Fm0
        assert form.read_bytes() == b"0.3 g 0 0 5 5 re f 1 0 0 RG"
        assert str(form.Group.CS) == "/DeviceGray"


def test_retag_fonts_renames_subsets_only_and_by_the_salt() -> None:
    subset = pikepdf.Name("/ABCDEF+PTSerif-Regular")

    def names(salt: str) -> list[str]:
        pdf = pikepdf.new()
        descriptor = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.FontDescriptor, FontName=subset))
        font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, BaseFont=subset,
                                                    FontDescriptor=descriptor))
        whole = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, BaseFont=pikepdf.Name.Helvetica))
        retag_fonts(pdf, salt)
        return [str(font.BaseFont), str(descriptor.FontName), str(whole.BaseFont)]

    tail = names("tail")
    assert tail == names("tail")
    assert tail[0] == tail[1] != str(subset)
    assert tail[0].endswith("+PTSerif-Regular")
    assert len(tail[0]) == len(str(subset))
    assert tail[2] == "/Helvetica"
    assert names("other")[0] != tail[0]
