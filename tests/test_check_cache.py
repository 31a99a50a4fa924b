"""Rebuilds check again only what changed, and find what a full check finds."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from proceedings.build import BuildOptions, build, check
from proceedings.check import people, references

from .conftest import MINIBOOK


def _edit(paper: Path, old: str, new: str) -> None:
    text = paper.read_text(encoding="utf-8")
    assert old in text
    paper.write_text(text.replace(old, new, 1), encoding="utf-8")


def _built_minibook(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the minibook, built once: (sources, out)."""
    sources, out = tmp_path / "sources", tmp_path / "out"
    shutil.copytree(MINIBOOK, sources)
    build(BuildOptions(sources=sources, out=out))
    return sources, out


def _papers_checked(monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str) -> list[str]:
    """The ids of the papers ``module.name(..., paper)`` is called on from now on."""
    checked: list[str] = []
    original = getattr(module, name)

    def counting(*args: Any) -> Any:
        checked.append(args[-1].id)
        return original(*args)

    monkeypatch.setattr(module, name, counting)
    return checked


def test_an_edit_checks_its_paper_again_and_finds_what_a_full_check_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources, out = _built_minibook(tmp_path)
    checked = _papers_checked(monkeypatch, references, "_check_paper")
    paper = sources / "papers" / "ru-fraud" / "paper.md"
    # A Latin "o" in a Cyrillic word: a finding in the edited paper only.
    _edit(paper, "латентность", "лaтентность")
    result = build(BuildOptions(sources=sources, out=out))
    assert checked == ["ru-fraud"]  # the other papers' reference lists were not read again
    found = {str(d) for d in result.diagnostics}
    assert any("mixed-script" in line and "ru-fraud/paper.md" in line for line in found)
    _sources, full = check(sources)
    assert found == {str(d) for d in full}


def test_a_change_to_shared_records_checks_every_paper_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paper's author check reads people.yaml: editing it must not leave stale findings."""
    sources, out = _built_minibook(tmp_path)
    checked = _papers_checked(monkeypatch, people, "_check_authors")
    registry = sources / "people.yaml"
    registry.write_text(registry.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    _edit(registry, "\n# edited\n", "\n")  # the same records, on the same lines
    build(BuildOptions(sources=sources, out=out))
    assert checked == []  # nothing the checks read changed
    text = registry.read_text(encoding="utf-8")
    registry.write_text("# a comment first: every line moves\n" + text, encoding="utf-8")
    result = build(BuildOptions(sources=sources, out=out))
    assert sorted(checked) == sorted(p.name for p in (sources / "papers").iterdir())
    _sources, full = check(sources)
    assert {str(d) for d in result.diagnostics} == {str(d) for d in full}


def test_a_damaged_checks_cache_is_checked_again(tmp_path: Path) -> None:
    import json

    sources, out = _built_minibook(tmp_path)
    kept = out / ".cache" / "checks.json"
    stored = json.loads(kept.read_text(encoding="utf-8"))
    assert stored["findings"]
    stored["findings"] = {key: [["only", "three", "fields"]] for key in stored["findings"]}
    kept.write_text(json.dumps(stored), encoding="utf-8")
    (sources / "people.yaml").write_text(  # a change, so that the build checks at all
        (sources / "people.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = build(BuildOptions(sources=sources, out=out))
    _sources, full = check(sources)
    assert {str(d) for d in result.diagnostics} == {str(d) for d in full}
