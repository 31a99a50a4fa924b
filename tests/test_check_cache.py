"""Rebuilds check again only what changed, and find what a full check finds."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pytest

from proceedings.audit import is_layout
from proceedings.build import BuildOptions, BuildResult, build, check
from proceedings.check import people, references
from proceedings.files import sealed_text, unsealed

from .conftest import FIXTURES, MINIBOOK, make_case


def _checked(result: BuildResult) -> set[str]:
    """What the checks of a build found: its findings but the layout audit's."""
    return {str(d) for d in result.diagnostics if not is_layout(d)}


def _edit(paper: Path, old: str, new: str) -> None:
    text = paper.read_text(encoding="utf-8")
    assert old in text
    paper.write_text(text.replace(old, new, 1), encoding="utf-8")


# With the one-document engine the content checks run in this process, where a test can
# count what they read; with the parts engine they run in a worker of the pool.
SINGLE: Literal["single"] = "single"


def _built_minibook(tmp_path: Path, engine: Literal["parts", "single"] = SINGLE) -> tuple[Path, Path]:
    """A copy of the minibook, built once: (sources, out)."""
    sources, out = tmp_path / "sources", tmp_path / "out"
    shutil.copytree(MINIBOOK, sources)
    build(BuildOptions(sources=sources, out=out, engine=engine))
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
    result = build(BuildOptions(sources=sources, out=out, engine=SINGLE))
    assert checked == ["ru-fraud"]  # the other papers' reference lists were not read again
    found = _checked(result)
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
    build(BuildOptions(sources=sources, out=out, engine=SINGLE))
    assert checked == []  # nothing the checks read changed
    text = registry.read_text(encoding="utf-8")
    registry.write_text("# a comment first: every line moves\n" + text, encoding="utf-8")
    result = build(BuildOptions(sources=sources, out=out, engine=SINGLE))
    assert sorted(checked) == sorted(p.name for p in (sources / "papers").iterdir())
    _sources, full = check(sources)
    assert _checked(result) == {str(d) for d in full}


def test_a_damaged_checks_cache_is_checked_again(tmp_path: Path) -> None:
    import json

    sources, out = _built_minibook(tmp_path)
    kept = out / ".cache" / "checks.json"
    text = unsealed(kept.read_bytes())
    assert text is not None
    stored = json.loads(text)
    assert stored["findings"]
    stored["findings"] = {key: [["only", "three", "fields"]] for key in stored["findings"]}
    kept.write_bytes(sealed_text(json.dumps(stored).encode()))  # intact, but not findings
    (sources / "people.yaml").write_text(  # a change, so that the build checks at all
        (sources / "people.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    result = build(BuildOptions(sources=sources, out=out))
    _sources, full = check(sources)
    assert _checked(result) == {str(d) for d in full}


@pytest.mark.parametrize("damage", ["emptied", "edited"])
def test_kept_findings_that_were_tampered_with_are_not_trusted(damage: str, tmp_path: Path) -> None:
    """The findings a build keeps are what the next build's gate reports without checking:
    a file that no longer holds what was kept (emptied, or a finding's message changed
    by hand) is not trusted, and the sources are checked again."""
    sources, out = make_case(FIXTURES / "broken" / "dangling-citation", tmp_path), tmp_path / "out"
    build(BuildOptions(sources=sources, out=out, engine=SINGLE))  # one warning
    [kept] = (out / ".cache").glob("findings-*.json")
    if damage == "emptied":
        kept.write_text("[]", encoding="utf-8")
    else:
        kept.write_bytes(kept.read_bytes().replace(b"warning", b"note"))
    checks = out / ".cache" / "checks.json"
    checks.write_bytes(checks.read_bytes().replace(b"warning", b"note"))
    result = build(BuildOptions(sources=sources, out=out))
    _sources, full = check(sources)
    assert full
    assert _checked(result) == {str(d) for d in full}


def test_checks_in_a_worker_find_and_keep_what_checks_here_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit lays out one paper: the content checks run on the worker it leaves idle.
    Their findings are a full check's, and the checks' cache keeps the same entries as
    when the checks run in this process."""
    import json

    sources, out = _built_minibook(tmp_path, engine="parts")
    checked_here = _papers_checked(monkeypatch, references, "_check_paper")
    _edit(sources / "papers" / "ru-fraud" / "paper.md", "латентность", "лaтентность")
    result = build(BuildOptions(sources=sources, out=out, engine="parts", jobs=2))
    assert checked_here == []  # the edited paper was checked, but not in this process
    _sources, full = check(sources)
    assert _checked(result) == {str(d) for d in full}
    assert any("mixed-script" in str(d) for d in result.diagnostics)
    here = tmp_path / "here"
    build(BuildOptions(sources=sources, out=here, engine=SINGLE))
    kept = json.loads(unsealed((out / ".cache" / "checks.json").read_bytes()) or b"")["findings"]
    kept_here = json.loads(unsealed((here / ".cache" / "checks.json").read_bytes()) or b"")["findings"]
    assert kept == kept_here
    assert any(key.startswith("mixed-script") for key in kept)
