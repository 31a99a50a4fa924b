"""The README tells the truth: every command and Make target is documented."""

from __future__ import annotations

import argparse
import re

import pytest

from proceedings.cli import _parser

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_subcommand_is_in_the_readme() -> None:
    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    for name in sub.choices:
        assert f"proceedings {name}" in README, name


def test_every_make_target_is_in_the_readme() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.MULTILINE)
    assert phony
    for target in phony[1].split():
        assert f"make {target}" in README, target


def test_the_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```")[1]
    assert "make pdf" in first_block
    assert "make test" in first_block


def test_version_answers(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from proceedings.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"proceedings {version('proceedings')}\n"
