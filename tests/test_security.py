"""Hostile sources: nothing an author writes may read the editor's files or reach the network.

Every test that could cause a fetch listens on a loopback socket of its own and asserts
that no connection arrived there.
"""

from __future__ import annotations

import re
import select
import socket
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from proceedings.build import BuildOptions, build, check
from proceedings.cli import main
from proceedings.diagnostics import BuildError
from proceedings.markup import render_body, render_inline
from proceedings.pdf import FetchRefused, make_url_fetcher

from .conftest import FIXTURES, REPO, make_case

HOSTILE = FIXTURES / "hostile"
PAPER = Path("sources/papers/en-aviation/paper.md")
PASSWD = Path("/etc/passwd")


class Listener:
    """A loopback TCP listener that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)  # bounded accept: the thread re-checks its stop flag
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.peers: list[object] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.peers.append(peer)
            conn.close()

    def connections(self) -> list[object]:
        """Every connection so far, including any still waiting in the backlog."""
        readable, _, _ = select.select([self.sock], [], [], 0.05)
        if readable:
            self.peers.append("pending connection in backlog")
        return list(self.peers)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    try:
        yield server
    finally:
        server.close()


def _set_figure(sources: Path, file: str, *, width: str | None = None) -> None:
    """Point the hostile paper's figure at ``file`` (and give it a ``width``)."""
    paper = sources / "papers" / "en-aviation" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    line = f"    file: '{file}'\n" + (f"    width: '{width}'\n" if width else "")
    text = re.sub(r"    file: .*\n", lambda _: line, text, count=1)
    paper.write_text(text, encoding="utf-8")


def _refused(file: str) -> str:
    return (
        f"{PAPER}:9: error: figure file '{file}' is outside the paper's folder; "
        "put the image beside paper.md [refused-url]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


def _check_and_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[str, str]:
    """Run ``check`` and ``build`` on tmp_path/sources; both must exit 1; return stderr,
    without the line where check says it wrote its report."""
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources"]) == 1
    checked, wrote = capsys.readouterr().err.rsplit("proceedings: wrote ", 1)
    assert wrote == "build/check-report.html\n"
    assert main(["build", "sources", "--out", "out"]) == 1
    built = capsys.readouterr().err
    assert not (tmp_path / "out" / "proceedings.pdf").exists()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    return checked, built


@pytest.mark.parametrize("name", sorted(p.name for p in HOSTILE.iterdir() if p.is_dir()))
def test_hostile_fixture(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_case(HOSTILE / name, tmp_path)
    checked, built = _check_and_build(tmp_path, monkeypatch, capsys)
    expected = (HOSTILE / name / "expected.txt").read_text(encoding="utf-8")
    assert checked == expected
    assert built == expected


def test_figure_symlink_out_of_the_tree_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(HOSTILE / "etc-passwd", tmp_path)
    (sources / "papers" / "en-aviation" / "f1.png").symlink_to(PASSWD)
    _set_figure(sources, "f1.png")
    checked, built = _check_and_build(tmp_path, monkeypatch, capsys)
    assert checked == built == _refused("f1.png")


def test_figure_symlink_to_a_folder_out_of_the_tree_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(HOSTILE / "etc-passwd", tmp_path)
    (sources / "papers" / "en-aviation" / "img").symlink_to("/etc")
    _set_figure(sources, "img/passwd")
    checked, built = _check_and_build(tmp_path, monkeypatch, capsys)
    assert checked == built == _refused("img/passwd")


@pytest.mark.parametrize(
    "url", ["{url}/x.png", "file:///etc/passwd", "//127.0.0.1:{port}/x.png", "data:,x"]
)
def test_figure_url_is_refused_and_never_fetched(
    url: str,
    listener: Listener,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources = make_case(HOSTILE / "etc-passwd", tmp_path)
    file = url.format(url=listener.url, port=listener.port)
    _set_figure(sources, file)
    checked, built = _check_and_build(tmp_path, monkeypatch, capsys)
    if "://" in file or file.startswith("/"):
        assert checked == built == _refused(file)
    else:  # no scheme the checker knows: a relative name that is not there
        assert "[missing-file]" in checked
        assert "[refused-url]" not in checked
    assert listener.connections() == []


def test_percent_encoded_name_is_the_file_the_checker_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder literally named ``%2e%2e``: the layout loads that very file inside the
    tree, the one the checker read, never what its name would decode to."""
    sources = make_case(HOSTILE / "etc-passwd", tmp_path)
    folder = sources / "papers" / "en-aviation"
    hops = len(folder.resolve().parts)
    relative = Path(*(["%2e%2e"] * hops), "etc", "passwd")
    (folder / relative).parent.mkdir(parents=True)
    (folder / relative).write_text("decoy inside the tree\n", encoding="utf-8")
    _set_figure(sources, relative.as_posix())
    monkeypatch.chdir(tmp_path)
    unreadable = (
        f"{PAPER}:9: warning: figure f1: '{relative.as_posix()}' cannot be read as an image "
        "(neither a raster image nor an SVG document): the book would print an empty frame; "
        "export it again as PNG, JPEG or SVG [image-unreadable]\n"
    )
    assert main(["check", "sources"]) == 0  # the file is inside the paper's folder
    assert capsys.readouterr().err.startswith(unreadable)
    assert main(["build", "sources", "--out", "out"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(unreadable)
    assert "[refused-url]" not in err
    # The layout asked for the file by its name, quoted: %2e%2e stays a folder's name. Its
    # complaint about that file is the checker's finding at the figure (told by the file it
    # names, so it names this one), not another one about a file elsewhere.
    assert err.count(": warning: ") == 1
    assert "cannot load the image" not in err


@pytest.mark.parametrize(
    "width", ["50%; background: url({url}/w.png)", "10%; position: fixed; top: 0", "calc(100% + 1mm)"]
)
def test_figure_width_reaches_css_only_as_a_length(
    width: str,
    listener: Listener,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``width`` is copied into a style attribute: anything but a number and a unit is an
    error of the check, and never reaches the layout."""
    sources = make_case(HOSTILE / "etc-passwd", tmp_path)
    folder = sources / "papers" / "en-aviation"
    (folder / "f1.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', encoding="utf-8"
    )
    value = width.format(url=listener.url)
    _set_figure(sources, "f1.svg", width=value)
    checked, built = _check_and_build(tmp_path, monkeypatch, capsys)
    assert listener.connections() == []
    assert checked == built == (
        f"{PAPER}:11: error: figures[0].width: not a width: give a number and one of mm, cm, in, "
        f"pt, px or % (such as 60mm or 80%) (got {value!r}) [type]\n"
        "proceedings: 1 error, 0 warnings\n"
    )


@pytest.mark.parametrize(
    ("width", "css"),
    [("80%", "80%"), (" 7,5 cm ", "7.5cm"), ("60MM", "60mm"), ("10%; top: 0", None), ("1e9px", None),
     ("url(x.png)", None), ("50% !important", None)],
)
def test_only_lengths_reach_the_style_attribute(width: str, css: str | None) -> None:
    from proceedings.model import css_length

    assert css_length(width) == css


# --- the URL fetcher itself ------------------------------------------------------------


def test_url_fetcher_refuses_and_records(listener: Listener, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "ok.css").write_text("p { color: red }", encoding="utf-8")
    (allowed / "out").symlink_to(PASSWD)
    refused: list[str] = []
    fetcher = make_url_fetcher([allowed], refused)
    hostile = [
        f"{listener.url}/x.png",
        f"https://127.0.0.1:{listener.port}/x.png",
        f"ftp://127.0.0.1:{listener.port}/x",
        "file:///etc/passwd",
        f"file://{allowed}/../../../../../../etc/passwd",
        f"file://{allowed}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"file://{allowed}/out",
        f"file://127.0.0.1:{listener.port}/etc/passwd",
        f"file://{allowed}",  # a folder, not a file
    ]
    for url in hostile:
        with pytest.raises(FetchRefused):
            fetcher.fetch(url)
    assert refused == hostile
    response = fetcher.fetch((allowed / "ok.css").as_uri())
    try:
        assert b"color: red" in response.read()
    finally:
        response.close()
    assert refused == hostile
    assert listener.connections() == []


def test_weasyprint_render_never_fetches_outside(listener: Listener, tmp_path: Path) -> None:
    from weasyprint import HTML

    allowed = tmp_path / "sources"
    allowed.mkdir()
    (tmp_path / "secret.css").write_text("body { background: red }", encoding="utf-8")
    html = f"""<!doctype html><html><head>
    <link rel="stylesheet" href="{listener.url}/style.css">
    <link rel="stylesheet" href="../secret.css">
    <link rel="stylesheet" href="file:///etc/passwd">
    <style>@import url("{listener.url}/import.css");
      p {{ background: url({listener.url}/bg.png) }}
      @font-face {{ font-family: X; src: url({listener.url}/font.woff) }}</style>
    </head><body>
    <p>text</p>
    <img src="{listener.url}/">
    <img src="file:///etc/passwd">
    <img src="../../../../../../../etc/group">
    <object data="{listener.url}/object"></object>
    <embed src="file:///etc/passwd">
    <iframe src="{listener.url}/iframe"></iframe>
    <svg xmlns="http://www.w3.org/2000/svg"><image href="{listener.url}/svg.png"
      width="5" height="5"/></svg>
    </body></html>"""
    refused: list[str] = []
    fetcher = make_url_fetcher([allowed], refused)
    pdf = HTML(string=html, base_url=str(allowed) + "/", url_fetcher=fetcher).write_pdf()
    assert listener.connections() == []
    assert any(url.startswith(listener.url) for url in refused)
    assert "file:///etc/passwd" in refused
    assert (tmp_path / "secret.css").as_uri() in refused
    assert refused.count("file:///etc/passwd") == 2  # <link> and <img>
    assert "file:///etc/group" in refused  # "../" as far as it goes
    assert all(not url.startswith(allowed.as_uri() + "/") for url in refused)
    secret = PASSWD.read_bytes()
    assert secret.split(b"\n")[0] not in pdf
    assert b"root:" not in pdf


# --- raw HTML in Markdown -------------------------------------------------------------

RAW = """<script>alert(1)</script>

<iframe src="{url}/iframe"></iframe>

Text <object data="{url}/object"></object> and <img src="{url}/img.png"> and
<link rel="stylesheet" href="{url}/style.css"> and <style>p {{ color: red }}</style>.

[x]{{onclick=evil style="background:url({url}/attr.png)" lang=en .alpha .evil #frag}}

![image]({url}/md.png) and [link](javascript:alert(1)) and <{url}/autolink>

<svg onload="alert(1)"><image href="{url}/svg.png"/></svg>
"""

SAFE_TAGS = {"p", "span", "a", "em", "strong", "ol", "ul", "li", "br", "code", "pre",
             "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
SAFE_ATTRS = {"lang", "class", "start", "href", "data-line"}


class _Elements(HTMLParser):
    """Every real element and attribute in an HTML fragment (escaped text is not one)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[tuple[str, str]] = set()
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update((name, value or "") for name, value in attrs)


def _assert_inert(html: str) -> None:
    found = _Elements(html)
    assert found.tags <= SAFE_TAGS, found.tags - SAFE_TAGS
    assert {name for name, _ in found.attrs} <= SAFE_ATTRS, found.attrs
    for name, value in found.attrs:
        if name == "href":
            assert value.startswith("#") or value.startswith("http"), value
        if name == "class":
            assert set(value.split()) <= {"alpha", "cite", "unresolved", "footnote", "paren", "dot"}
        if name == "data-line":  # the source line of a block, for the layout audit
            assert value.isdigit(), value


def test_raw_html_in_markdown_is_inert_text() -> None:
    body = RAW.format(url="http://127.0.0.1:9")
    html = "".join(s.html for s in render_body(body, anchor_prefix="p1-ref", references=set()))
    _assert_inert(html)
    # The tags are still there for the reader to see, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;iframe" in html
    assert "&lt;img src=" in html
    assert '<span lang="en" class="alpha">x</span>' in html
    for field in ('<b onclick="x">t</b>', "<script>x</script>", "[t]{style=color:red}"):
        _assert_inert(render_inline(field))


def test_raw_html_in_a_paper_builds_without_any_connection(
    listener: Listener, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    paper.write_text(
        paper.read_text(encoding="utf-8") + "\n" + RAW.format(url=listener.url), encoding="utf-8"
    )
    _, diags = check(sources)
    assert not diags.failed()
    try:
        result = build(BuildOptions(sources=sources, out=tmp_path / "out"))
    except BuildError as exc:  # pragma: no cover - shows the findings
        pytest.fail("\n".join(map(str, exc.diagnostics)))
    assert result.pdf is not None
    assert result.pdf.is_file()
    assert listener.connections() == []



@pytest.mark.parametrize("name", ["people.yaml", "papers/en-aviation/paper.md", "resolution/ru.md"])
def test_source_file_linked_out_of_the_tree_is_refused(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link in a shared sources folder must not put the editor's files into the book."""
    sources = make_case(tmp_path / "none", tmp_path)
    outside = tmp_path / "private" / Path(name).name
    outside.parent.mkdir()
    (sources / name).rename(outside)  # a valid file, so only the link itself is wrong
    (sources / name).symlink_to(outside)
    checked, built = _check_and_build(tmp_path, monkeypatch, capsys)
    assert checked == built == (
        f"sources/{name}: error: a symbolic link to a file outside the sources folder; "
        "copy the file in instead [refused-url]\nproceedings: 1 error, 0 warnings\n"
    )


def test_paper_folder_linked_out_of_the_tree_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = make_case(tmp_path / "none", tmp_path)
    folder = sources / "papers" / "en-aviation"
    folder.rename(tmp_path / "elsewhere")
    folder.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    checked, _ = _check_and_build(tmp_path, monkeypatch, capsys)
    assert "sources/papers/en-aviation/paper.md: error: a symbolic link" in checked


def test_diagnostics_never_print_terminal_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A source must not be able to clear or retitle the editor's terminal through a message."""
    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    with paper.open("a", encoding="utf-8") as handle:
        handle.write("Text \x1b]0;pwned\x07 and \x1b[2J more.\n")
    monkeypatch.chdir(tmp_path)
    main(["check", "sources"])
    err = capsys.readouterr().err
    assert "[control-char]" in err
    assert not any(ch in err for ch in "\x1b\x07")


BIDI_LINE = "Open \u202eexe.txt\u202c and \u2067isolated\u2069 now.\n"


def test_bidi_controls_are_a_control_char_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    with paper.open("a", encoding="utf-8") as handle:
        handle.write(BIDI_LINE)
    line = len(paper.read_text(encoding="utf-8").splitlines())
    _sources, diags = check(sources)
    found = [str(d) for d in diags if d.code == "control-char"]
    assert found == [
        f"sources/papers/en-aviation/paper.md:{line}: warning: bidirectional control U+202E "
        "RIGHT-TO-LEFT OVERRIDE at …Open {here}exe.txt\\u202c and \\u2067isolat…: delete it (it is invisible "
        "here, would print the text after it reversed, and is left out of the book) [control-char]"]


def test_bidi_controls_are_left_out_of_the_book(tmp_path: Path) -> None:
    from proceedings.render import render_book

    from . import pdfread

    sources = make_case(tmp_path / "none", tmp_path)
    paper = sources / "papers" / "en-aviation" / "paper.md"
    with paper.open("a", encoding="utf-8") as handle:
        handle.write(BIDI_LINE)
    loaded, _ = check(sources)
    assert loaded is not None
    html = render_book(loaded, REPO / "styles", fonts=REPO / "fonts")
    assert "Open exe.txt and isolated now." in html
    assert not any(ch in html for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    out = tmp_path / "out"
    result = build(BuildOptions(sources=sources, out=out))
    text = " ".join(pdfread.text(out / "proceedings.pdf", page)
                    for page in range(1, int(str(result.manifest["pages"])) + 1))
    assert "exe.txt" in text
    assert "txt.exe" not in text


def test_a_folder_name_never_prints_terminal_escapes_nor_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A paper folder named with a newline and an escape sequence: the path in the
    finding is spelt out, and no line of the output is forged."""
    sources = make_case(tmp_path / "none", tmp_path)
    (sources / "papers" / "en-aviation").rename(sources / "papers" / "en-av\n\x1b[2Jx")
    monkeypatch.chdir(tmp_path)
    main(["check", "sources"])
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "sources/papers/en-av\\x0a\\x1b[2Jx/paper.md: error: folder name 'en-av\\x0a\\x1b[2Jx' "
        "is not a valid paper id [paper-id]",
        "proceedings: 1 error, 0 warnings",
        "proceedings: wrote build/check-report.html",
    ]
