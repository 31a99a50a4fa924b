"""Shared fixtures: a copy of a sources tree per test, and builds cached per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
REPO = TESTS.parent
MINIBOOK = FIXTURES / "minibook"


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


@pytest.fixture(scope="session")
def book2024(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2024 book in sources/ built once for the whole session; returns the output folder."""
    from proceedings.build import BuildOptions, build

    out = tmp_path_factory.mktemp("book2024")
    build(BuildOptions(sources=REPO / "sources", out=out))
    return out


@pytest.fixture(scope="session")
def minibook_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minibook built once for the whole session; returns the output folder."""
    from proceedings.build import BuildOptions, build

    out = tmp_path_factory.mktemp("minibook-build")
    build(BuildOptions(sources=MINIBOOK, out=out))
    return out


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
    and an e-mail for petrov, dated 2025-04-01; returns the output folder."""
    import datetime as dt

    from proceedings.proofs import ProofOptions, make_proofs

    root = tmp_path_factory.mktemp("minibook-proofs")
    sources = make_case(FIXTURES / "broken" / "dangling-citation", root)
    people = sources / "people.yaml"
    text = people.read_text(encoding="utf-8")
    people.write_text(text.replace("- id: petrov\n", "- id: petrov\n  email: petrov@example.kz\n", 1),
                      encoding="utf-8")
    out = root / "out"
    make_proofs(ProofOptions(sources=sources, out=out, date=dt.date(2025, 4, 1)))
    return out
