"""The package's structure: layers import only layers below them, no import circles, small modules.

The layers, bottom to top, are those of ARCHITECTURE.md. The test reads every module's imports
from its source (module level and inside functions alike; ``if TYPE_CHECKING:`` blocks excepted,
since they never run), so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "accessibility"

#: Rank of each layer: a module may import modules of its own rank or below, never above.
LAYER_RANK: dict[str, int] = {
    "foundation": 0,  # settings, exceptions, load reports, CRS helpers, layer marks
    "io": 1,
    "network": 2,
    "transit": 3,
    "coverage": 4,
    "planning": 5,
    "outputs": 6,
    "run": 7,
    "demo": 7,
    "cli": 8,
    "api": 9,  # accessibility/__init__.py: the public names, loaded on first use
}
#: Layers of equal rank that stay independent of each other.
SIBLINGS: set[frozenset[str]] = {frozenset({"run", "demo"})}

#: No module is longer than this (lines).
MAX_MODULE_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def layer_of(module: str) -> str:
    """The layer a module belongs to, from where it sits in the package."""
    parts = module.split(".")
    if len(parts) == 1:
        return "api"
    if len(parts) == 2 and parts[1] == "cli":
        return "cli"
    if parts[1] in LAYER_RANK:
        return parts[1]
    if len(parts) == 2:
        return "foundation"
    raise AssertionError(f"{module} is in no known layer; add its folder to LAYER_RANK")


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """Package modules that ``module`` imports (resolving relative imports and ``from x import mod``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "accessibility")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "accessibility":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in known else target)
    found.discard(module)
    return {m for m in found if m in known}


def import_graph() -> nx.DiGraph:
    modules = _modules()
    known = set(modules)
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for module, path in modules.items():
        for target in imports_of(module, path, known):
            graph.add_edge(module, target)
    return graph


def test_every_module_is_in_a_layer() -> None:
    for module in _modules():
        assert layer_of(module) in LAYER_RANK


def test_layers_import_only_layers_below_them() -> None:
    wrong = []
    for module, target in import_graph().edges:
        here, there = layer_of(module), layer_of(target)
        if there == "api" and module != "accessibility":
            wrong.append(f"{module} imports the package itself ({target}); import the module")
        elif LAYER_RANK[there] > LAYER_RANK[here]:
            wrong.append(f"{module} ({here}) imports {target} ({there}), a layer above it")
        elif here != there and frozenset({here, there}) in SIBLINGS:
            wrong.append(f"{module} ({here}) imports {target} ({there}), a sibling layer")
    assert not wrong, "\n".join(wrong)


def test_no_import_circles() -> None:
    graph = import_graph()
    # A package's __init__ re-exporting its own modules is not a circle between concerns.
    for module in list(graph.nodes):
        for target in list(graph.successors(module)):
            if target.startswith(module + "."):
                graph.remove_edge(module, target)
    circles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not circles, f"import circles: {circles}"


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The direction check is not vacuous: an io module importing coverage is reported."""
    source = tmp_path / "fake.py"
    source.write_text("from ..coverage import core\n", encoding="utf-8")
    known = {"accessibility.coverage", "accessibility.coverage.core", "accessibility.io.fake"}
    found = imports_of("accessibility.io.fake", source, known)
    assert found == {"accessibility.coverage.core"}
    assert (
        LAYER_RANK[layer_of("accessibility.coverage.core")]
        > LAYER_RANK[layer_of("accessibility.io.fake")]
    )


@pytest.mark.parametrize("module", sorted(_modules()))
def test_modules_stay_small(module: str) -> None:
    lines = len(_modules()[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{module} has {lines} lines (at most {MAX_MODULE_LINES})"


def _imported_after(code: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(result.stdout.split())


def test_import_loads_no_heavy_library() -> None:
    loaded = _imported_after("import accessibility")
    heavy = {"matplotlib", "folium", "networkx", "osmnx", "scipy", "geopandas", "highspy"}
    assert not heavy & loaded


def test_help_does_not_load_the_analysis_stack() -> None:
    code = (
        "from accessibility import cli\n"
        "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass"
    )
    loaded = _imported_after(code)
    stack = {"numpy", "pandas", "geopandas", "shapely", "pyproj", "scipy", "matplotlib"}
    assert not stack & loaded


def test_analysis_imports_no_plotting_or_web_map_library() -> None:
    loaded = _imported_after(
        "from accessibility import load_units, stop_rule, nearest, p_median, walk_network"
    )
    assert not {"matplotlib", "folium", "networkx", "osmnx"} & loaded


def test_public_names_resolve() -> None:
    import accessibility
    import accessibility.planning

    for name in accessibility.__all__:
        assert getattr(accessibility, name) is not None, name
    for name in accessibility.planning.__all__:
        assert getattr(accessibility.planning, name) is not None, name
    with pytest.raises(AttributeError):
        accessibility.no_such_name  # noqa: B018
