"""Shared fixtures: a copy of a sources tree per test, and builds cached per session.

Also the guard of the working tree: the suite writes only into temporary folders, and a
session after which anything differs under the repository's ``build/`` (the editor's
outputs), ``sources/``, ``styles/``, ``fonts/`` or ``tests/fixtures/`` (a file added,
removed or changed, a folder made) fails, naming what changed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from proceedings import messages
from proceedings.audit import CODES as LAYOUT_CODES

# --- messages in English ----------------------------------------------------------------------

# The suite asserts messages' exact English text: the environment of the machine that runs it
# (a Kazakh or Russian locale) must not choose another language, in this process or in the
# commands it starts. tests/test_messages.py asks for the others itself.
os.environ["LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _messages_in_english() -> None:
    """Each test starts with English messages, whatever the one before chose (--lang)."""
    messages.use("en")

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
MINIBOOK = FIXTURES / "minibook"
WORKSHOP = FIXTURES / "workshop"
KYRGYZ = FIXTURES / "kyrgyz"
CONFERENCE = FIXTURES / "conference"

# --- the guard of the working tree ------------------------------------------------------------

# The editor's outputs, the book's sources, what every book is typeset with, and the test
# books: no test may write there. (tests/golden is rewritten by `make golden`, on purpose.)
GUARDED = ("build", "sources", "styles", "fonts", "tests/fixtures")
# A path under the guarded folders → what is there: ("folder", 0, ""), ("file", size,
# sha256) or ("link", 0, target).
TreeState = dict[str, tuple[str, int, str]]


def tree_state(root: Path, folders: tuple[str, ...] = GUARDED) -> TreeState:
    """Every folder, file and link under ``root/<folder>``, by its path relative to ``root``."""
    state: TreeState = {}
    for folder in folders:
        top = root / folder
        if top.is_symlink() or not top.is_dir():
            if top.is_symlink() or top.exists():
                state[folder] = _entry(top)
            continue
        state[folder] = ("folder", 0, "")
        for here, dirs, files in os.walk(top):  # symbolic links to folders are not followed
            for name in [*dirs, *files]:
                path = Path(here) / name
                state[path.relative_to(root).as_posix()] = _entry(path)
    return state


def _entry(path: Path) -> tuple[str, int, str]:
    if path.is_symlink():
        return ("link", 0, os.readlink(path))
    if path.is_dir():
        return ("folder", 0, "")
    with path.open("rb") as file:
        digest = hashlib.file_digest(file, "sha256").hexdigest()
    return ("file", path.stat().st_size, digest)


def tree_changes(before: TreeState, after: TreeState) -> list[str]:
    """What differs between two states of a tree, one line per path, sorted."""
    changes = []
    for path in sorted(before.keys() | after.keys()):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        if old is None:
            assert new is not None
            changes.append(f"added {path}{_described(new)}")
        elif new is None:
            changes.append(f"removed {path}{_described(old)}")
        else:
            changes.append(f"changed {path}:{_described(old)} →{_described(new)}")
    return changes


def _described(entry: tuple[str, int, str]) -> str:
    kind, size, detail = entry
    if kind == "file":
        return f" ({size:,} bytes, sha256 {detail[:12]})"
    return f" (a link to {detail})" if kind == "link" else " (a folder)"


_BEFORE = pytest.StashKey[TreeState]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[_BEFORE] = tree_state(REPO)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the session if a test wrote into one of the GUARDED folders of the working tree."""
    before = session.stash.get(_BEFORE, None)
    if before is None:
        return
    changes = tree_changes(before, tree_state(REPO))
    if not changes:
        return
    lines = [f"the tests changed {REPO}'s {', '.join(f'{f}/' for f in GUARDED)}, where no test "
             "may write (a test writes into its temporary folder):", *changes]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")  # after the progress, on a line of its own
        reporter.write_sep("=", "working tree changed", red=True)
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print(*lines, sep="\n")
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def make_case(case: Path, workdir: Path) -> Path:
    """The minibook with a broken case's files laid over it, as ``workdir/sources``."""
    target = workdir / "sources"
    shutil.copytree(MINIBOOK, target)
    overlay = case / "sources"
    if overlay.is_dir():
        shutil.copytree(overlay, target, dirs_exist_ok=True)
    delete = case / "delete"
    if delete.is_file():
        for name in delete.read_text(encoding="utf-8").split():
            (workdir / name).unlink()
    return target


def check_and_build(sources_dir: Path, monkeypatch: pytest.MonkeyPatch,
                    capsys: pytest.CaptureFixture[str], code: int = 1) -> str:
    """Check and build; both exit ``code`` and report the same; with errors, nothing is
    laid out. The findings, without the lines that name what was written."""
    from proceedings.cli import main

    monkeypatch.chdir(sources_dir.parent)
    assert main(["check", "sources"]) == code
    checked = capsys.readouterr().err
    assert main(["build", "sources", "--out", "out"]) == code
    built = capsys.readouterr().err
    if code:
        assert not (sources_dir.parent / "out").exists() or not any((sources_dir.parent / "out").iterdir())

    def findings(err: str) -> str:
        return "".join(line for line in err.splitlines(keepends=True) if " wrote " not in line)

    # Only a build lays the book out, and audits it (the layout-* findings); only check
    # counts nothing found.
    built = without_layout(built, checked)
    if "proceedings: 0 errors, 0 warnings\n" not in built:
        checked = checked.replace("proceedings: 0 errors, 0 warnings\n", "")
    assert findings(checked) == findings(built)
    return findings(checked)


def without_layout(err: str, checked: str = "") -> str:
    """What a build printed but the layout audit's findings, which only a build reports
    (and the count of findings its notes alone called for, which ``checked`` lacks)."""
    layout = tuple(f"[{code}]" for code in LAYOUT_CODES)
    lines = [line for line in err.splitlines(keepends=True) if not line.rstrip().endswith(layout)]
    # The count line of a build whose findings were all the audit's notes (it counts notes).
    quiet = re.compile(r"proceedings: 0 errors, 0 warnings(, \d+ notes?)?\n")
    counts = [line for line in lines if quiet.fullmatch(line)]
    if counts and counts[0] not in checked and len(lines) < len(err.splitlines()):
        lines.remove(counts[0])
    return "".join(lines)


def _built(tmp_path_factory: pytest.TempPathFactory, name: str, sources: Path) -> Path:
    """``sources`` built into a new temporary folder named after ``name``; that folder."""
    from proceedings.build import BuildOptions, build

    out = tmp_path_factory.mktemp(name)
    build(BuildOptions(sources=sources, out=out))
    return out


@pytest.fixture(scope="session")
def book2024(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2024 book in sources/ built once for the whole session; returns the output folder."""
    return _built(tmp_path_factory, "book2024", REPO / "sources")


@pytest.fixture(scope="session")
def book2024_a5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2024 book's sources set at A5 (a copy whose book.yaml says ``trim: A5``) built
    once for the whole session; returns the output folder. The make-up tests that read
    the 2024 book read both."""
    sources = tmp_path_factory.mktemp("book2024-a5-sources") / "sources"
    shutil.copytree(REPO / "sources", sources)
    book = sources / "book.yaml"
    text, count = re.subn(r"(?m)^trim:.*$", "trim: A5", book.read_text(encoding="utf-8"))
    book.write_text(text if count else f"{text}trim: A5\n", encoding="utf-8")
    return _built(tmp_path_factory, "book2024-a5", sources)


@pytest.fixture(params=["book2024", "book2024_a5"])
def book2024_trims(request: pytest.FixtureRequest) -> Path:
    """The 2024 book built at A4 and at A5: a test that takes it runs on both."""
    out: Path = request.getfixturevalue(request.param)
    return out


@pytest.fixture(scope="session")
def minibook_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minibook built once for the whole session; returns the output folder."""
    return _built(tmp_path_factory, "minibook-build", MINIBOOK)


@pytest.fixture(scope="session")
def workshop_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The English A5 workshop built once for the whole session; returns the output folder."""
    return _built(tmp_path_factory, "workshop-build", WORKSHOP)


@pytest.fixture(scope="session")
def kyrgyz_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The book in Kyrgyz, a language the tool does not ship, built once for the whole
    session; returns the output folder."""
    return _built(tmp_path_factory, "kyrgyz-build", KYRGYZ)


@pytest.fixture(scope="session")
def conference_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two-day conference (sessions, papers by section) built once for the whole
    session; returns the output folder."""
    return _built(tmp_path_factory, "conference-build", CONFERENCE)


# `make fuzz`: tests/test_fuzz.py with FUZZ_EXAMPLES examples in all (default 20,000)
# instead of the 1,000 of `make test`.
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# The print: block of a book that has a final imprint page and prints in signatures of 8.
PRINT_BLOCK = """
print:
  signature: 8
  format: 60×84/8
  paper: {kk: офсеттік, ru: офсетная}
  print_run: 100
  order: "17"
  printing_house: {kk: Алматы баспаханасы, ru: Типография «Алматы»}
  signed: 2025-04-10
"""


@pytest.fixture(scope="session")
def minibook_print(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minibook with PRINT_BLOCK, printed and built once; returns the output folder.

    The folder holds proceedings-print.pdf, and the screen book with its manifest in
    ``screen/`` to compare the print pages with.
    """
    from proceedings.build import BuildOptions, build
    from proceedings.printing import PrintOptions, print_book

    root = tmp_path_factory.mktemp("minibook-print")
    sources = root / "sources"
    shutil.copytree(MINIBOOK, sources)
    with (sources / "book.yaml").open("a", encoding="utf-8") as book:
        book.write(PRINT_BLOCK)
    out = root / "out"
    print_book(PrintOptions(sources=sources, out=out))
    build(BuildOptions(sources=sources, out=out / "screen"))
    return out


@pytest.fixture(scope="session")
def minibook_proofs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Proofs of the minibook with one known warning (a dangling citation in en-aviation)
    and an e-mail for petrov that the byline does not print (he is not marked the
    corresponding author there), dated 2025-04-01; returns the output folder."""
    import datetime as dt

    from proceedings.proofs import ProofOptions, make_proofs

    root = tmp_path_factory.mktemp("minibook-proofs")
    sources = make_case(FIXTURES / "broken" / "dangling-citation", root)
    people = sources / "people.yaml"
    text = people.read_text(encoding="utf-8")
    assert "  email: i.petrov@example.ru\n" in text
    people.write_text(text.replace("  email: i.petrov@example.ru\n", "  email: petrov@example.kz\n"),
                      encoding="utf-8")
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    text = paper.read_text(encoding="utf-8")
    assert "    corresponding: true\n" in text
    paper.write_text(text.replace("    corresponding: true\n", ""), encoding="utf-8")
    out = root / "out"
    make_proofs(ProofOptions(sources=sources, out=out, date=dt.date(2025, 4, 1)))
    return out
