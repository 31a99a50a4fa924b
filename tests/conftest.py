"""Shared fixtures: a copy of a sources tree per test, and builds cached per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
def minibook_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minibook built once for the whole session; returns the output folder."""
    from proceedings.build import BuildOptions, build

    out = tmp_path_factory.mktemp("minibook-build")
    build(BuildOptions(sources=MINIBOOK, out=out))
    return out
