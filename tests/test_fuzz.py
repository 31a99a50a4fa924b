"""Property-based tests: whatever an editor writes, the tool answers with diagnostics.

Random YAML trees, Unicode of every plane, very long strings, deep nesting and random
Markdown bodies are written into a copy of the minibook. ``check`` (and, for a few
examples, a whole build) must never raise anything but BuildError, every diagnostic
must read ``path:line: severity: message [code]``, and the command line must exit 0 or 1.
Images inside SVG (``<image>``, ``<use>``, ``data:`` URLs, ``url()`` and ``@import`` in its
styles), CSS smuggled into a figure's width, table spans and footnote references are drawn
at random around the limits: past one, check must fail.

``make test`` runs about 1,000 examples; ``make fuzz`` (the ``fuzz`` profile, registered
in conftest.py) runs FUZZ_EXAMPLES of them.
"""

from __future__ import annotations

import base64
import contextlib
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proceedings.build import PACKAGE_ROOT, BuildOptions, build, check
from proceedings.cli import main
from proceedings.diagnostics import BuildError, Diagnostics
from proceedings.load import split_front_matter
from proceedings.markup import render_body, render_inline
from proceedings.render import render_book

from .conftest import FIXTURES, MINIBOOK

# Under the "fuzz" profile (make fuzz) the budget is its max_examples, FUZZ_EXAMPLES.
FUZZING = settings.default.max_examples != settings.get_profile("default").max_examples
TOTAL = settings.default.max_examples if FUZZING else 1000


def _examples(share: float) -> Any:
    """Settings for a test that takes ``share`` of the example budget."""
    return settings(
        max_examples=max(1, int(TOTAL * share)),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# --- strategies -------------------------------------------------------------------------

# Every plane: surrogates cannot be written as UTF-8, everything else may appear.
CHARS = st.characters(exclude_categories=("Cs",))
TEXT = st.text(CHARS, max_size=30)
LONG = st.builds(lambda s, n: s * n, st.text(CHARS, min_size=1, max_size=8), st.integers(200, 1500))
FIELDS = [
    "languages", "title", "type", "subtitle", "short_title", "organisers", "date", "start_time",
    "city", "venue", "name", "address", "format", "editors", "editorial_board", "imprint", "udc",
    "isbn", "year", "print_run", "trim", "papers_start_recto", "parts", "papers", "id", "names",
    "surname", "given", "position", "email", "orcid", "lang", "authors", "person", "affiliation",
    "source", "abstract", "keywords", "epigraphs", "text", "attribution", "references", "number",
    "tables", "caption", "header", "rows", "footer", "totals", "row", "column", "colspan",
    "rowspan", "header_columns", "figures", "file", "note", "width", "alt", "kk", "ru", "en",
]
KEY = st.one_of(st.sampled_from(FIELDS), TEXT)
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
    st.dates(), TEXT, st.sampled_from(["kk", "ru", "en", "smith", "p01", "A4", "t1", "f1"]),
    LONG,
)
TREE = st.recursive(
    SCALAR,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEY, inner, max_size=4),
    max_leaves=20,
)


def _nest(depth: int, leaf: Any, kind: str) -> Any:
    for _ in range(depth):
        leaf = [leaf] if kind == "list" else {"k": leaf}
    return leaf


DEEP = st.builds(_nest, st.integers(1, 150), SCALAR, st.sampled_from(["list", "dict"]))
VALUE = st.one_of(TREE, TREE, TREE, DEEP)

YAML_BITS = [
    "&a ", "*a", "<<: ", "!!python/object:os.system ", "!!binary ", "!tag ", "{", "}", "[", "]",
    "- ", ": ", ", ", "? ", '"', "'", "|", ">-", "\t", "\n", "  ", "---\n", "...\n", "%YAML 1.1\n",
    "#", "~", "null", "yes", "no", "0x1F", "1e3", "2024-09-20", "09.00", "\\u0000", "\ufeff",
]
RAW_YAML = st.lists(st.one_of(st.sampled_from(YAML_BITS), TEXT), max_size=40).map("".join)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)


@st.composite
def mutated(draw: st.DrawFn, original: Any) -> str:
    """A YAML document: the original with random changes, random data, or random text."""
    how = draw(st.sampled_from(["mutate", "mutate", "mutate", "tree", "raw"]))
    if how == "raw":
        return draw(RAW_YAML)
    if how == "tree":
        return _dump(draw(VALUE))
    data = yaml.safe_load(_dump(original))
    for _ in range(draw(st.integers(1, 3))):
        data = _mutate(draw, data)
    return _dump(data)


def _mutate(draw: st.DrawFn, data: Any) -> Any:
    """Replace, delete or add one value somewhere inside ``data``."""
    if isinstance(data, dict) and data and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(data, key=str)))
        action = draw(st.sampled_from(["descend", "descend", "replace", "delete", "add"]))
        if action == "descend":
            data[key] = _mutate(draw, data[key])
        elif action == "replace":
            data[key] = draw(VALUE)
        elif action == "delete":
            del data[key]
        else:
            data[draw(KEY)] = draw(VALUE)
        return data
    if isinstance(data, list) and data and draw(st.integers(0, 3)):
        i = draw(st.integers(0, len(data) - 1))
        data[i] = _mutate(draw, data[i])
        return data
    return draw(VALUE)


INLINE = st.one_of(
    TEXT,
    st.builds("[{}]".format, st.integers(0, 99999)),
    st.builds("[{}, с. {}]".format, st.integers(0, 30), st.integers(0, 999)),
    st.builds("[{}-{}]".format, st.integers(0, 30), st.integers(0, 9999)),
    st.builds("[{}; {}; {}]".format, st.integers(0, 30), st.integers(0, 30), TEXT),
    st.builds("[^{}]".format, st.sampled_from(["1", "2", "x", ""])),
    st.builds("[{}]{{lang={}}}".format, TEXT, st.sampled_from(["en", "ru", "kk", "xx", ""])),
    st.builds("[{}]{{{}}}".format, TEXT, st.sampled_from([
        ".alpha", "#id", "onclick=evil", 'style="background:url(http://127.0.0.1:9/)"', ".x .y",
    ])),
    st.sampled_from([
        "**", "*", "_", "`", "\\*", "&nbsp;", "&#0;", "&#x10FFFF;", "\u00a0", "<b>", "</p>",
        "<script>alert(1)</script>", "<img src=http://127.0.0.1:9/>", "![i](http://127.0.0.1:9/)",
        "[l](javascript:alert(1))", "<http://127.0.0.1:9/>", "А.Б. Сахаров", "с. 23", "№ 17",
        "\t", "  \n", "\\", "[", "]", "{", "}", "<!--", "-->", "<!--directive:table:t1-->",
    ]),
)
LINE = st.lists(INLINE, max_size=8).map("".join)


def _items(marker: Callable[[int, str], str], extra: str = "") -> Any:
    """A list of 1-4 items, each line made by ``marker(index, text)``."""
    return st.lists(LINE, min_size=1, max_size=4).map(
        lambda ls: extra + "\n".join(marker(i, t) for i, t in enumerate(ls))
    )


BLOCK = st.one_of(
    LINE,
    _items(lambda i, t: f"{i + 1}) {t}"),
    _items(lambda i, t: f"{i + 1}. {t}"),
    _items(lambda i, t: f"1) {t}", extra="{.alpha}\n"),
    _items(lambda i, t: f"{'абвг'[i]}) {t}"),
    _items(lambda i, t: f"- {t}\n   - {t}"),
    LINE.map("> {}".format),
    LINE.map("## {}".format),
    st.builds("**{}.** {}".format, TEXT, LINE),
    st.builds("[^{}]: {}".format, st.sampled_from(["1", "2", "x"]), LINE),
    st.builds(
        "::{} {}".format,
        st.sampled_from(["table", "figure", "tabel"]), st.sampled_from(["t1", "f1", "x", "T-1_"]),
    ),
    st.builds("```\n{}\n```".format, LINE),
    st.builds("| {} | {} |\n|---|---|\n| {} | {} |".format, TEXT, TEXT, TEXT, TEXT),
    st.sampled_from(["---", "***", "1998\\. year", "    indented code", "<div>", "</div>", "\ufeff"]),
    LONG,
    st.integers(1, 100).map(lambda n: "> " * n + "deep"),
    st.integers(1, 60).map(lambda n: "".join("   " * i + "- x\n" for i in range(n))),
)
BODY = st.lists(st.tuples(BLOCK, st.sampled_from(["\n\n", "\n", "\n\n\n"])), max_size=12).map(
    lambda parts: "".join(b + sep for b, sep in parts)
)


# --- the sandbox ------------------------------------------------------------------------

DIAG = re.compile(r"^[^\n]+: (error|warning|note): [^\n]* \[[a-z0-9-]+\]$")


def assert_well_formed(diags: Diagnostics) -> None:
    for diag in diags:
        text = str(diag)
        assert DIAG.match(text), text
        where = f"{diag.path}:{diag.line}" if diag.line else diag.path
        assert text.startswith(f"{where}: {diag.severity}: ")
        assert diag.line >= 0


class Sandbox:
    """A copy of the minibook whose files are replaced per example and restored after."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.originals = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

    @contextlib.contextmanager
    def files(self, changes: dict[str, str]) -> Iterator[Path]:
        try:
            for name, text in changes.items():
                (self.root / name).write_text(text, encoding="utf-8")
            yield self.root
        finally:
            for path in list(self.root.rglob("*")):
                if path.is_file() and path not in self.originals:
                    path.unlink()
            for path, data in self.originals.items():
                path.write_bytes(data)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "sources"
        shutil.copytree(MINIBOOK, root)
        yield Sandbox(root)


def run_check(root: Path, *, cli: bool = True) -> Diagnostics:
    """check() never raises; its diagnostics are well formed; the CLI agrees on the exit code."""
    sources, diags = check(root)
    assert_well_formed(diags)
    assert sources is not None or diags.failed()
    if not cli:
        return diags
    err = io.StringIO()
    out = root.parent / "out"
    with contextlib.redirect_stderr(err):
        code = main(["check", str(root), "--out", str(out)])
    assert code == (1 if diags.failed() else 0)
    lines = err.getvalue().split("\n")[:-1]  # a diagnostic ends at "\\n" only
    assert lines.pop() == f"proceedings: wrote {out / 'check-report.html'}"
    if lines:
        assert lines[-1].startswith("proceedings: ")
        assert all(DIAG.match(line) for line in lines[:-1]), lines
    return diags


def _load_yaml(name: str) -> Any:
    return yaml.safe_load((MINIBOOK / name).read_text(encoding="utf-8"))


def _front(paper: str) -> tuple[Any, str]:
    parts = split_front_matter((MINIBOOK / "papers" / paper / "paper.md").read_text(encoding="utf-8"))
    assert parts is not None
    return yaml.safe_load(parts[0]), parts[1]


PAPERS = ["kk-digital", "ru-fraud", "en-aviation"]
CLI = st.integers(0, 4).map(lambda n: n == 0)  # one example in five also runs the CLI


# --- the properties ---------------------------------------------------------------------


@_examples(0.2)
@given(text=mutated(_load_yaml("book.yaml")), cli=CLI)
def test_fuzz_book_yaml(sandbox: Sandbox, text: str, cli: bool) -> None:
    with sandbox.files({"book.yaml": text}) as root:
        run_check(root, cli=cli)


@_examples(0.15)
@given(text=mutated(_load_yaml("people.yaml")), cli=CLI)
def test_fuzz_people_yaml(sandbox: Sandbox, text: str, cli: bool) -> None:
    with sandbox.files({"people.yaml": text}) as root:
        run_check(root, cli=cli)


@_examples(0.06)
@given(
    name=st.sampled_from(["programme.yaml", "participants.yaml"]),
    data=st.data(),
    cli=CLI,
)
def test_fuzz_programme_and_participants(
    sandbox: Sandbox, name: str, data: st.DataObject, cli: bool
) -> None:
    text = data.draw(mutated(_load_yaml(name)))
    with sandbox.files({name: text}) as root:
        run_check(root, cli=cli)


# A programme of days and sessions, and book.yaml's sections naming them (the minibook's people
# and papers): what the checker passes, the renderer prints.
_SESSIONS = FIXTURES / "broken" / "section-session" / "sources"


@_examples(0.04)
@given(data=st.data(), which=st.sampled_from(["programme.yaml", "book.yaml"]), cli=CLI)
def test_fuzz_sessions_and_sections(sandbox: Sandbox, data: st.DataObject, which: str, cli: bool) -> None:
    files = {name: (_SESSIONS / name).read_text(encoding="utf-8") for name in ("programme.yaml", "book.yaml")}
    files[which] = data.draw(mutated(yaml.safe_load(files[which])))
    with sandbox.files(files) as root:
        diags = run_check(root, cli=cli)
        if not diags.failed():
            sources, _ = check(root)
            assert sources is not None
            render_book(sources, PACKAGE_ROOT / "styles", fonts=PACKAGE_ROOT / "fonts")


@_examples(0.25)
@given(paper=st.sampled_from(PAPERS), data=st.data(), cli=CLI)
def test_fuzz_paper_front_matter(
    sandbox: Sandbox, paper: str, data: st.DataObject, cli: bool
) -> None:
    front, body = _front(paper)
    text = data.draw(mutated(front))
    with sandbox.files({f"papers/{paper}/paper.md": f"---\n{text}---\n{body}"}) as root:
        run_check(root, cli=cli)


@_examples(0.3)
@given(paper=st.sampled_from(PAPERS), body=BODY, render=st.integers(0, 4), cli=CLI)
def test_fuzz_paper_body(sandbox: Sandbox, paper: str, body: str, render: int, cli: bool) -> None:
    front, _ = _front(paper)
    front["tables"] = [{"id": "t1", "header": [["a", "b"]], "rows": [["1", "2"]]}]
    segments = render_body(body, anchor_prefix="ref", references={1, 2})
    assert all(s.kind in {"html", "table", "figure"} for s in segments)
    render_inline(body)
    with sandbox.files({f"papers/{paper}/paper.md": f"---\n{_dump(front)}---\n{body}"}) as root:
        diags = run_check(root, cli=cli)
        if render == 0 and not diags.failed():
            sources, _ = check(root)
            assert sources is not None
            html = render_book(sources, PACKAGE_ROOT / "styles", fonts=PACKAGE_ROOT / "fonts")
            assert "<script" not in html


BUILD_CHANGES: list[Callable[[st.DataObject], dict[str, str]]] = [
    lambda data: {"book.yaml": data.draw(mutated(_load_yaml("book.yaml")))},
    lambda data: {"papers/en-aviation/paper.md": "---\n" + _dump(_front("en-aviation")[0])
                  + "---\n" + data.draw(BODY)},
    lambda data: {"papers/ru-fraud/paper.md": "---\n" + data.draw(mutated(_front("ru-fraud")[0]))
                  + "---\n" + _front("ru-fraud")[1]},
]


@_examples(0.006)
@given(which=st.integers(0, len(BUILD_CHANGES) - 1), data=st.data())
def test_fuzz_build(sandbox: Sandbox, which: int, data: st.DataObject) -> None:
    changes = BUILD_CHANGES[which](data)
    with sandbox.files(changes) as root, tempfile.TemporaryDirectory() as out:
        try:
            result = build(BuildOptions(sources=root, out=Path(out)))
        except BuildError as exc:
            assert_well_formed(Diagnostics(exc.diagnostics))
            assert not (Path(out) / "proceedings.pdf").exists()
        else:
            assert_well_formed(result.diagnostics)
            assert result.pdf is not None
            assert result.pdf.stat().st_size > 0


# --- images inside SVG and CSS, spans and footnote references ------------------------------
#
# The limits of check/limits.py and check/images.py, attacked at random: whatever is drawn,
# check never raises, and an image past the pixel limit anywhere the layout could load it,
# a span past its limit or too many footnote references make check fail.


def png_header(width: int, height: int) -> bytes:
    """A PNG of ``width``×``height`` whose pixels stop short (a few rows): Pillow opens it as
    that size, and would decode it whole if asked for it, as the layout would."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


SIDE = st.one_of(st.integers(1, 3000), st.integers(6400, 40000))


@st.composite
def svg_tree(draw: st.DrawFn) -> tuple[dict[str, bytes], bool]:
    """Files of a paper's folder, the first being ``figure.svg``, whose images refer to PNGs,
    other SVGs, ``data:`` URLs and CSS ``url()``; and whether any PNG is past the pixel limit."""
    from proceedings.imagebounds import MAX_PIXELS

    files: dict[str, bytes] = {}
    huge = False

    def png() -> str:
        nonlocal huge
        width, height = draw(SIDE), draw(SIDE)
        huge = huge or width * height > MAX_PIXELS
        name = f"i{len(files)}.{draw(st.sampled_from(['png', 'svg', 'jpg', 'dat']))}"  # any name
        files[name] = png_header(width, height)
        return name

    def data_url() -> str:
        nonlocal huge
        width, height = draw(SIDE), draw(SIDE)
        huge = huge or width * height > MAX_PIXELS
        return "data:image/png;base64," + base64.b64encode(png_header(width, height)).decode()

    def svg(depth: int) -> str:
        name = "figure.svg" if not files else f"s{len(files)}.svg"
        files[name] = b""  # reserved: a file of this tree refers to it only once
        parts = []
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["image", "data", "use", "style", "import", "attr", "svg"]))
            if kind == "image":
                parts.append(f'<image href="{png()}" width="10" height="10"/>')
            elif kind == "data":
                parts.append(f'<image xlink:href="{data_url()}" width="10" height="10"/>')
            elif kind == "attr":
                parts.append(f'<rect width="10" height="10" style="fill: url(\'{png()}\')"/>')
            elif kind == "style":
                parts.append(f"<style>rect {{ background: url({png()}) }}</style>")
            elif kind == "import":
                parts.append(f'<style>@import "{png()}";</style>')
            elif kind in {"svg", "use"} and depth < 4:
                inner = svg(depth + 1)
                parts.append(f'<use href="{inner}#a"/>' if kind == "use" else f'<image href="{inner}"/>')
        files[name] = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                       f'id="a" width="100" height="100">{"".join(parts)}</svg>').encode()
        return name

    svg(0)
    return files, huge


def _with_figure(front: Any, name: str, width: str | None = None) -> Any:
    front = dict(front)
    figure: dict[str, Any] = {"id": "f1", "file": name}
    if width is not None:
        figure["width"] = width
    front["figures"] = [figure]
    return front


@_examples(0.04)
@given(tree=svg_tree())
def test_fuzz_images_inside_svg_and_css(sandbox: Sandbox, tree: tuple[dict[str, bytes], bool]) -> None:
    files, huge = tree
    front, body = _front("en-aviation")
    text = f"---\n{_dump(_with_figure(front, 'figure.svg'))}---\n{body}\n\n::figure f1\n"
    with sandbox.files({"papers/en-aviation/paper.md": text}) as root:
        for name, data in files.items():
            (root / "papers" / "en-aviation" / name).write_bytes(data)
        diags = run_check(root, cli=False)
        if huge:
            assert diags.failed(), [str(d) for d in diags]


WIDTH = st.one_of(
    st.builds("{}{}".format, st.integers(0, 300), st.sampled_from(["mm", "cm", "in", "pt", "px", "%", ""])),
    st.builds("{}; background-image: url(data:image/png;base64,{})".format,
              st.sampled_from(["50%", "10mm"]),
              st.builds(lambda w, h: base64.b64encode(png_header(w, h)).decode(), SIDE, SIDE)),
    st.builds("{}; {}".format, st.sampled_from(["50%", "10mm"]),
              st.sampled_from(["position: fixed; top: 0", "content: 'x'", "background: url(i.png)"])),
    TEXT,
)


@_examples(0.03)
@given(width=WIDTH)
def test_fuzz_css_in_a_figure_width(sandbox: Sandbox, width: str) -> None:
    """A figure's width reaches the page's CSS only as a length: no url(), no other property."""
    front, body = _front("en-aviation")
    text = f"---\n{_dump(_with_figure(front, 'i.png', width))}---\n{body}\n\n::figure f1\n"
    with sandbox.files({"papers/en-aviation/paper.md": text}) as root:
        (root / "papers" / "en-aviation" / "i.png").write_bytes(png_header(20000, 8900))
        diags = run_check(root, cli=False)
        assert diags.failed()  # the image is past the limit, whatever the width says
        (root / "papers" / "en-aviation" / "i.png").write_bytes(png_header(3000, 2000))
        sources, diags = check(root)
        if sources is not None and not diags.failed():
            html = render_book(sources, PACKAGE_ROOT / "styles", fonts=PACKAGE_ROOT / "fonts")
            for style in re.findall(r'style="([^"]*)"', html):
                assert "url(" not in style, style
                assert "position" not in style, style


@st.composite
def spans_and_notes(draw: st.DrawFn) -> tuple[Any, str, bool]:
    """Front matter with a table of random spans and a body with random footnote references;
    and whether some limit is past."""
    from proceedings.check.limits import MAX_FOOTNOTE_REFERENCES, MAX_SPAN

    spans = draw(st.lists(st.tuples(st.one_of(st.integers(1, 4), st.integers(1, 10**9)),
                                    st.one_of(st.integers(1, 4), st.integers(1, 10**9))),
                          min_size=1, max_size=4))
    references = draw(st.one_of(st.integers(0, 50), st.integers(900, 1100)))
    note = draw(st.sampled_from(["Short.", "A longer note. " * 50]))
    past = references > MAX_FOOTNOTE_REFERENCES or any(max(c, r) > MAX_SPAN for c, r in spans)
    table = {"id": "t1", "header": [["a", "b"]],
             "rows": [[{"text": "x", "colspan": c, "rowspan": r}] for c, r in spans]}
    body = "Text" + " [^1]" * references + "\n\n::table t1\n\n[^1]: " + note + "\n"
    return table, body, past


@_examples(0.03)
@given(drawn=spans_and_notes())
def test_fuzz_spans_and_footnote_references(sandbox: Sandbox, drawn: tuple[Any, str, bool]) -> None:
    table, body, past = drawn
    front, _ = _front("en-aviation")
    front["tables"] = [table]
    with sandbox.files({"papers/en-aviation/paper.md": f"---\n{_dump(front)}---\n{body}"}) as root:
        diags = run_check(root, cli=False)
        if past:
            assert any(d.code == "too-large" for d in diags), [str(d) for d in diags]
