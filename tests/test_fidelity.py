"""The 2024 book against its seed, word by word.

For every part, the words of the seed's lines (line-end hyphenation rejoined) and the
words read back from that part's pages, in the order they are drawn, are compared as
multisets. Running heads and folios are cropped away; words the book generates itself
(labels, placeholders, bylines taken from the programme) are set aside before precision
is computed.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from proceedings.load import load_sources
from proceedings.render import affiliation_text, load_labels

from . import pdfread
from .conftest import REPO

SEED = REPO.parent / "shared" / "seed" / "000_447a5c2c08aa0cd3.txt"
SOURCES = REPO / "sources"

# Seed line ranges (1-based, inclusive) of each part, from the seed's map.
PAPER_LINES = {
    "p01": (1019, 1596), "p02": (1602, 1951), "p03": (1952, 2162), "p04": (2163, 2658),
    "p05": (2659, 2909), "p06": (2910, 3386), "p07": (3387, 3530), "p08": (3531, 3822),
    "p09": (3823, 4033), "p10": (4034, 4256), "p11": (4257, 4463), "p12": (4464, 4735),
    "p13": (4736, 5008), "p14": (5009, 5519), "p15": (5520, 5888), "p16": (5889, 6305),
    "p17": (6306, 6795), "p18": (6796, 7026), "p19": (7027, 7264), "p20": (7265, 7536),
    "p21": (7537, 7832), "p22": (7833, 8049), "p23": (8050, 8474),
}
PART_LINES = {
    ("programme", "kk"): (1, 374), ("programme", "ru"): (375, 747),
    ("participants", "kk"): (748, 884), ("participants", "ru"): (887, 1018),
    ("resolution", "kk"): (8475, 8555), ("resolution", "ru"): (8556, 8634),
}
# Stray hyperlink lines the extraction dumped into the text (not the authors' words).
ARTEFACT_LINES = {1593, *range(5170, 5177)}
# Narrow table cells that the extraction broke inside a word, without a hyphen.
SEED_BROKEN_CELLS = [
    ("интерне", "ттегі"), ("өнді", "рісте"), ("өндірі", "сте"), ("барл", "ығы"),
    ("барлы", "ғы"), ("жіберіл", "ді"),
]
WORD_RE = re.compile(r"\w+(?:[-‐]\w+)*")
MIN_RECALL = 0.99
MIN_PRECISION = 0.97

pytestmark = pytest.mark.skipif(not SEED.is_file(), reason="the seed is not beside the repository")


def words(text: str) -> Counter[str]:
    # The layout sets a range's hyphen as an en dash (09.00–09.05): the same words.
    text = re.sub(r"(?<=\d)–(?=\d)", "-", text)
    return Counter(w.replace("‐", "-") for w in WORD_RE.findall(text.casefold()))


def seed_words(first: int, last: int) -> Counter[str]:
    """The seed's words, with table cells broken mid-word joined again."""
    counted = words(seed_text(first, last))
    for head, tail in SEED_BROKEN_CELLS:
        pairs = min(counted[head], counted[tail])
        if pairs:
            counted -= Counter({head: pairs, tail: pairs})
            counted[head + tail] += pairs
    return counted


def seed_text(first: int, last: int) -> str:
    """The seed's lines, page numbers and link dumps dropped, line-end hyphens rejoined."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    kept = [
        lines[n - 1].strip()
        for n in range(first, last + 1)
        if n not in ARTEFACT_LINES and lines[n - 1].strip() and not lines[n - 1].strip().isdigit()
    ]
    whole = SEED.read_text(encoding="utf-8").casefold()
    out = ""
    for line in kept:
        if out.endswith("-"):
            head = re.search(r"(\w+)-$", out)
            tail = re.match(r"\w+", line)
            # Keep a hyphen after a digit (ranges, "26-бет") and in compounds that the
            # seed also prints unbroken; otherwise it only broke the word.
            keep = bool(head and tail) and (
                head[1][-1].isdigit() or f"{head[1]}-{tail[0]}".casefold() in whole
            )
            out = out if keep else out[:-1]
        else:
            out += " "
        out += line
    return out


def pdf_text(pdf: Path, first: int, last: int) -> str:
    """Text of pages first..last without the running-head and folio bands."""
    band = 15 * 72 / 25.4  # 15 mm
    pages = []
    for page in range(first, last + 1):
        width, height = pdfread.page_size(pdf, page)
        pages.append(pdfread.raw_text(pdf, page, (0, band, width, height - band)))
    text = "\n".join(pages)
    # A break at U+2010 is the typesetter's hyphenation; a break after "-" is a real hyphen.
    text = re.sub(r"‐\s*\n\s*", "", text)
    return re.sub(r"-\s*\n\s*", "-", text)


@pytest.fixture(scope="module")
def book(book2024: Path) -> tuple[Path, dict[str, object]]:
    out = book2024
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return out / "proceedings.pdf", manifest


def generated_words(paper_id: str) -> Counter[str]:
    """Words the book adds to a paper: labels, placeholders, bylines from the programme."""
    sources, _ = load_sources(SOURCES)
    assert sources is not None
    labels = load_labels(REPO / "styles")
    paper = next(p for p in sources.papers if p.id == paper_id)
    table = labels[paper.lang]
    extra = Counter[str]()
    for key in ("references", "no_title", "no_author", "from_programme"):
        extra += words(table[key])
    extra += words(" ".join(f"{table['table']} {i}" for i in range(1, len(paper.tables) + 1)))
    extra += words(" ".join(f"{table['figure']} {i}" for i in range(1, len(paper.figures) + 1)))
    for figure in paper.figures:
        # Redrawn figures: their labels are the redrawing's, not the seed's text.
        svg = (SOURCES / "papers" / paper.id / figure.file).read_text(encoding="utf-8")
        extra += words(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)))
    for author in paper.authors:
        if author.source == "programme":
            name = sources.people[author.person].name(paper.lang)
            extra += words(f"{name.surname} {name.given or ''} {affiliation_text(name, paper.lang)}")
    return extra


def measure(seed: Counter[str], pdf: Counter[str], extra: Counter[str]) -> tuple[float, float]:
    found = sum((seed & pdf).values())
    recall = found / max(1, sum(seed.values()))
    own = pdf - extra
    precision = sum((own & seed).values()) / max(1, sum(own.values()))
    return recall, precision


@pytest.mark.slow
@pytest.mark.parametrize("paper_id", sorted(PAPER_LINES))
def test_paper_words_match_seed(paper_id: str, book: tuple[Path, dict[str, object]]) -> None:
    pdf, manifest = book
    entry = next(p for p in manifest["papers"] if p["id"] == paper_id)  # type: ignore[attr-defined]
    seed = seed_words(*PAPER_LINES[paper_id])
    text = words(pdf_text(pdf, *entry["pdf_pages"]))
    recall, precision = measure(seed, text, generated_words(paper_id))
    missing = list((seed - text).elements())[:15]
    assert recall >= MIN_RECALL, f"{paper_id}: recall {recall:.4f}, missing e.g. {missing}"
    surplus = list((text - seed).elements())[:15]
    assert precision >= MIN_PRECISION, f"{paper_id}: precision {precision:.4f}, extra e.g. {surplus}"


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "lang"), sorted(PART_LINES))
def test_part_words_match_seed(kind: str, lang: str, book: tuple[Path, dict[str, object]]) -> None:
    pdf, manifest = book
    part = next(
        p for p in manifest["parts"]  # type: ignore[attr-defined]
        if p["kind"] == kind and p["lang"] == lang
    )
    seed = seed_words(*PART_LINES[(kind, lang)])
    text = words(pdf_text(pdf, *part["pdf_pages"]))
    recall, precision = measure(seed, text, Counter())
    missing = list((seed - text).elements())[:15]
    assert recall >= MIN_RECALL, f"{kind}/{lang}: recall {recall:.4f}, missing e.g. {missing}"
    surplus = list((text - seed).elements())[:15]
    assert precision >= MIN_PRECISION, f"{kind}/{lang}: precision {precision:.4f}, extra {surplus}"


def test_manifest_lists_the_23_papers_in_seed_order(book: tuple[Path, dict[str, object]]) -> None:
    _, manifest = book
    papers = manifest["papers"]
    assert [p["id"] for p in papers] == sorted(PAPER_LINES)  # type: ignore[attr-defined]
    langs = Counter(p["lang"] for p in papers)  # type: ignore[attr-defined]
    assert langs == {"kk": 11, "ru": 11, "en": 1}
    kinds = {(p["kind"], p["lang"]) for p in manifest["parts"]}  # type: ignore[attr-defined]
    assert set(PART_LINES) <= kinds


def test_book_uses_only_bundled_fonts(book: tuple[Path, dict[str, object]]) -> None:
    pdf, _ = book
    fonts = pdfread.fonts(pdf)
    assert fonts
    for font in fonts:
        assert font.name.split("+")[-1].startswith("Book-"), font
        assert font.embedded, font
        assert font.subset, font
