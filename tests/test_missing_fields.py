"""Every template against a book missing each optional and each per-language field:
the checker warns where a translation is missing, and the book still builds."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from proceedings import printing
from proceedings.cli import main
from proceedings.load import load_sources
from proceedings.render import BookRenderer

from .conftest import MINIBOOK, REPO, make_case, without_layout

BOOK = yaml.safe_load((MINIBOOK / "book.yaml").read_text(encoding="utf-8"))
REQUIRED = {("languages",), ("title",), ("date",), ("venue", "name")}  # the schema requires them


def _removals(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every optional key path of book.yaml, down to each language of a per-language field."""
    found: list[tuple[Any, ...]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if (*path, key) not in REQUIRED:
                found.append((*path, key))
            found += _removals(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _removals(value, (*path, i))
    return found


REMOVALS = _removals(BOOK)


def _without(removal: tuple[Any, ...]) -> dict[str, Any]:
    data = copy.deepcopy(BOOK)
    parent = data
    for key in removal[:-1]:
        parent = parent[key]
    del parent[removal[-1]]
    return data


def test_the_removals_cover_each_language_of_the_title() -> None:
    assert ("title", "kk") in REMOVALS
    assert ("title", "ru") in REMOVALS
    assert ("organisers", 0, "kk") in REMOVALS
    assert ("venue", "name", "ru") in REMOVALS
    assert ("imprint", "annotation") in REMOVALS
    assert ("editors",) in REMOVALS
    assert ("title",) not in REMOVALS


@pytest.mark.parametrize("removal", REMOVALS, ids=lambda r: ".".join(map(str, r)))
def test_every_template_renders_without_the_field(removal: tuple[Any, ...], tmp_path: Path) -> None:
    sources_dir = make_case(tmp_path / "none", tmp_path)
    (sources_dir / "book.yaml").write_text(yaml.safe_dump(_without(removal), allow_unicode=True),
                                           encoding="utf-8")
    sources, diagnostics = load_sources(sources_dir)
    assert sources is not None, diagnostics
    assert [d for d in diagnostics if d.severity == "error"] == []
    styles, fonts = REPO / "styles", REPO / "fonts"
    renderer = BookRenderer(sources, styles, fonts=fonts)
    assert "<html" in renderer.render()
    for part in ("title", "contents", "index"):
        renderer.render(part)
    with_final = sources.model_copy(update={"book": sources.book.model_copy(update={
        "print": sources.book.print.model_copy(update={"final_imprint": True})})})
    assert "<html" in printing._tail_html(with_final, styles, blanks=1, total=10, first_verso=False)


LANGUAGES = {"kk", "ru", "en"}
OTHERS = {
    name: yaml.safe_load((MINIBOOK / name).read_text(encoding="utf-8"))
    for name in ("programme.yaml", "people.yaml", "participants.yaml")
}
# In the other files: every top-level field, and every language of a per-language field.
OTHER_REMOVALS = [
    (name, removal)
    for name, data in OTHERS.items()
    for removal in _removals(data)
    if len(removal) == 1 or removal[-1] in LANGUAGES
]


@pytest.mark.parametrize(("name", "removal"), OTHER_REMOVALS,
                         ids=lambda r: ".".join(map(str, r)) if isinstance(r, tuple) else r)
def test_every_template_renders_without_a_translation_elsewhere(
    name: str, removal: tuple[Any, ...], tmp_path: Path
) -> None:
    data = copy.deepcopy(OTHERS[name])
    parent = data
    for key in removal[:-1]:
        parent = parent[key]
    del parent[removal[-1]]
    sources_dir = make_case(tmp_path / "none", tmp_path)
    (sources_dir / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    sources, diagnostics = load_sources(sources_dir)
    if sources is None or any(d.severity == "error" for d in diagnostics):
        return  # a required field: an error of the check, the book is not laid out
    renderer = BookRenderer(sources, REPO / "styles", fonts=REPO / "fonts")
    assert "<html" in renderer.render()


def test_the_other_removals_cover_the_programme_and_the_names() -> None:
    assert ("programme.yaml", ("header", "ru")) in OTHER_REMOVALS
    assert ("programme.yaml", ("slots", 1, "title", "kk")) in OTHER_REMOVALS
    assert ("people.yaml", (1, "names", "kk")) in OTHER_REMOVALS


def test_a_title_missing_a_language_warns_and_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sources_dir = make_case(tmp_path / "none", tmp_path)
    book = sources_dir / "book.yaml"
    text = book.read_text(encoding="utf-8").replace("  ru: Правопорядок в цифровую эпоху\n", "", 1)
    book.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["check", "sources"]) == 0
    checked = capsys.readouterr().err
    assert main(["build", "sources", "--out", "out"]) == 0
    built = capsys.readouterr().err
    assert (tmp_path / "out" / "proceedings.pdf").is_file()
    warned = (
        "sources/book.yaml:2: warning: title has no text in 'ru', a language of the book: add "
        "title.ru [missing-translation]\nproceedings: 0 errors, 1 warning (blocks printing 1)\n"
    )
    assert checked == warned + "proceedings: wrote build/check-report.html\n"
    assert without_layout(built).startswith(warned)
    # The Russian title page prints the title in the language it has: no gap, no crash.
    html = BookRenderer(load_sources(tmp_path / "sources")[0], REPO / "styles", fonts=REPO / "fonts").render()
    russian = html.split('<div class="conference" lang="ru">', 1)[1].split("</div>", 1)[0]
    assert "«Цифрлық дәуірдегі құқық тәртібі»" in russian
