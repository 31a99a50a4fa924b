"""The package's shape: no module imports one that imports it back, and the layout
engine's stages import only the stages before them."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

from .conftest import REPO

PACKAGE = REPO / "proceedings"
# The layout engine's modules in the order of its stages (see proceedings/layout/__init__.py).
LAYOUT_ORDER = ["records", "patches", "cache", "plan", "measure", "workers", "fonts", "numbering", "stamps",
                "assemble", "typeset"]


def _imports() -> dict[str, set[str]]:
    """Every module of the package and the package's modules it imports, at the top of
    the file or inside a function alike."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            found = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("proceedings"):
                found.append(node.module)
                found += [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            graph[name] |= {target for target in found if target in modules and target != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports, if there is one (a package importing its own modules is not one)."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph[node]):
            if target.startswith(node + "."):
                continue
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_module_imports_one_that_imports_it_back() -> None:
    assert _cycle(_imports()) is None


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "p": {"p.q"}, "p.q": {"p"}}
    assert _cycle(graph) == ["a", "b", "c", "a"]
    assert _cycle({"p": {"p.q"}, "p.q": {"p"}}) is None


def test_each_layout_stage_imports_only_the_stages_before_it() -> None:
    graph = _imports()
    on_disk = {p.stem for p in (PACKAGE / "layout").glob("*.py")}
    assert on_disk - {"__init__"} == set(LAYOUT_ORDER)
    # A worker imports the package and ``workers`` only: the package imports nothing.
    assert graph["proceedings.layout"] == set()
    for position, stage in enumerate(LAYOUT_ORDER):
        later = {f"proceedings.layout.{s}" for s in LAYOUT_ORDER[position + 1:]}
        found = graph[f"proceedings.layout.{stage}"] & later
        assert not found, f"{stage} imports a later stage: {sorted(found)}"


def test_a_worker_and_the_proofs_import_little() -> None:
    """What a worker process and a proofs run with nothing to do import: not the checker,
    the templates or the records' models (they cost a fresh process a quarter second)."""
    script = ("import sys; import proceedings.layout.workers, proceedings.proofs; "
              "print(sorted(m for m in sys.modules if m.startswith(('proceedings.check', 'jinja2', "
              "'pydantic', 'proceedings.render', 'proceedings.model'))))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_only_patches_touches_weasyprint_internals() -> None:
    """Replacing an attribute of another package's module or class happens in one place."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "patches.py":
            continue
        text = path.read_text(encoding="utf-8")
        if any(needle in text for needle in ("pydyf.zlib =", "Font.clean =", "._max_workers")):
            offenders.append(path.relative_to(REPO).as_posix())
    assert offenders == []


def test_the_readme_names_every_module_of_the_package_and_the_engine() -> None:
    """The architecture section of the README matches the tree: a module added, renamed
    or removed is said there too."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Architecture"):readme.index("## Layout of the repository")]
    named = set(re.findall(r"`([a-z_]+)(?:[`./(])", section))
    modules = {p.stem for p in PACKAGE.glob("*.py")} | {p.stem for p in (PACKAGE / "layout").glob("*.py")}
    modules -= {"__init__", "__main__"}
    assert sorted(modules - named) == []
    assert "`check/`" in section
