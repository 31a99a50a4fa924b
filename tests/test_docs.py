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


def test_the_readme_states_the_limits_the_code_has() -> None:
    from proceedings.check import images, limits
    from proceedings.load import MAX_PARAGRAPH_CHARS, MAX_SOURCE_BYTES

    stated = [
        f"| {MAX_SOURCE_BYTES // (1024 * 1024)} MB |",
        f"| {MAX_PARAGRAPH_CHARS:,} characters |",
        f"| {images.MAX_PIXELS // 1_000_000} megapixels",
        f"| {images.MAX_SVG_BYTES // 1_000_000} MB, and {images.MAX_SVG_ELEMENTS:,} elements",
        f"| {limits.MAX_FOOTNOTE_REFERENCES:,}, and {limits.MAX_FOOTNOTE_CHARS:,} characters",
        f"| {limits.MAX_SPAN} |",
        f"| {limits.MAX_TABLE_CELLS:,}, each",
        f"to a depth of {'three' if images.MAX_SVG_DEPTH == 3 else images.MAX_SVG_DEPTH} files",
    ]
    for text in stated:
        assert text in README, text


# What the loader fills in, not the editor: a record's source line and file, a paper's body.
LOADED = {"line", "path", "body", "body_line", "citations"}


def test_every_source_field_is_in_the_source_format() -> None:
    """Each field an editor may write (every field of the records in model.py but what the
    loader fills in) is shown in docs/sources.md: as a key of an example (``field:``) or
    named in backticks."""
    from pydantic import BaseModel

    from proceedings import model

    doc = (REPO / "docs" / "sources.md").read_text(encoding="utf-8")
    missing = []
    for name, record in vars(model).items():
        if not isinstance(record, type) or not issubclass(record, BaseModel):
            continue
        if record.__module__ != model.__name__:
            continue
        if name in {"Record", "Sources", "Citation"}:  # the whole book, and what a paper's text cites
            continue
        for field in set(record.model_fields) - LOADED:
            shown = rf"(^|\n)[ \t]*(- )?{field}:|[{{,] *{field}:|`{field}(:[^`]*)?`"
            if not re.search(shown, doc):
                missing.append(f"{name}.{field}")
    assert missing == []
