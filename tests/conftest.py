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
