"""What PyPI cannot give: the system libraries are checked, installed as root, or named."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from proceedings import system

PANGO = next(library for library in system.LIBRARIES if library.package == "libpango-1.0-0")
SUBSET = next(library for library in system.LIBRARIES if not library.needed)


def _run(absent: set[system.Library], *, root: bool, installs: bool = True) -> tuple[int, list[str]]:
    installed: list[str] = []

    def install(packages: Sequence[str]) -> bool:
        installed.extend(packages)
        if installs:
            absent.clear()
        return installs

    code = system.main(check=lambda library: library not in absent, installable=lambda: root,
                       install=install)
    return code, installed


def test_the_libraries_weasyprint_needs_load_here() -> None:
    # The suite lays books out, so they are here; the subsetter may be missing.
    assert [library.package for library in system.missing() if library.needed] == []


def test_nothing_missing_says_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(set(), root=True) == (0, [])
    assert capsys.readouterr().err == ""


def test_root_installs_what_is_missing(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run({PANGO, SUBSET}, root=True) == (0, ["libpango-1.0-0", "libharfbuzz-subset0"])
    assert capsys.readouterr().err == (
        "proceedings: installing libpango-1.0-0 libharfbuzz-subset0 with apt-get\n")


def test_without_root_a_missing_library_is_named_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run({PANGO, SUBSET}, root=False) == (3, [])
    assert capsys.readouterr().err == (
        "proceedings: the system libraries WeasyPrint needs (libpango-1.0-0) and, for faster font "
        "subsets, libharfbuzz-subset0 are missing; to install: sudo apt-get install libpango-1.0-0 "
        "libharfbuzz-subset0\n")


def test_an_optional_library_is_named_and_the_build_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run({SUBSET}, root=False) == (0, [])
    assert capsys.readouterr().err == (
        "proceedings: optional: libharfbuzz-subset0 (faster font subsets) is not installed; "
        "to install: sudo apt-get install libharfbuzz-subset0\n")


def test_a_failed_install_is_named_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run({PANGO}, root=True, installs=False) == (3, ["libpango-1.0-0"])
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "proceedings: installing libpango-1.0-0 with apt-get"
    assert lines[1].endswith("to install: sudo apt-get install libpango-1.0-0")
    assert len(lines) == 2


def test_the_spelling_dictionaries_are_named_as_optional(capsys: pytest.CaptureFixture[str]) -> None:
    spelling = [library for library in system.LIBRARIES if library.use == "spelling"]
    assert [library.package for library in spelling] == [
        "libenchant-2-2", "hunspell-kk", "hunspell-ru", "hunspell-en-us"]
    assert _run({SUBSET, *spelling[1:3]}, root=False) == (0, [])
    assert capsys.readouterr().err == (
        "proceedings: optional: libharfbuzz-subset0 (faster font subsets); hunspell-kk, hunspell-ru "
        "(spelling) are not installed; to install: sudo apt-get install libharfbuzz-subset0 hunspell-kk "
        "hunspell-ru\n")


def test_a_dictionary_is_found_by_its_file(tmp_path: Path) -> None:
    there = tmp_path / "xx_XX.dic"
    there.write_text("1\nword\n", encoding="utf-8")
    assert system.loads(system.Library((str(there),), "hunspell-xx", needed=False, use="spelling"))
    assert not system.loads(system.Library((str(tmp_path / "yy.dic"),), "hunspell-yy", needed=False))
