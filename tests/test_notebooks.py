"""The notebooks: stored without outputs, and executed top to bottom in a python3 kernel of this interpreter."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

import accessibility as acc

with warnings.catch_warnings():
    # jupyter_core 5.0 to 5.7 warn on import that their default folders move to platformdirs in
    # version 6. Those folders do not matter here (the kernel spec is ipykernel's, in sys.prefix),
    # and the warning is raised at import, where a test's filterwarnings mark does not reach.
    warnings.filterwarnings(
        "ignore", message="Jupyter is migrating its paths", category=DeprecationWarning
    )
    import nbformat
    from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: A cell appended to each notebook before running it (never stored): which interpreter and
#: which matplotlib backend the kernel used.
PROBE = "import sys, matplotlib\nprint('kernel:', sys.executable)\nprint('backend:', matplotlib.get_backend())"


def execute(name: str) -> nbformat.NotebookNode:
    """Run ``notebooks/<name>`` in a fresh kernel (working folder: notebooks/) and return it with outputs."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    # "python3" is ipykernel's spec; jupyter_client starts it with sys.executable, so the kernel
    # is this interpreter and sees the package under test. The probe cell checks that.
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    return notebook


def text_of(cell: nbformat.NotebookNode) -> str:
    """Printed text and plain-text results of a code cell."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and output.name == "stdout":
            parts.append(output.text)
        elif "data" in output and "text/plain" in output.data:
            parts.append(output.data["text/plain"])
    return "\n".join(parts)


def cell_with(notebook: nbformat.NotebookNode, snippet: str) -> nbformat.NotebookNode:
    """The one code cell whose source contains ``snippet``."""
    found = [c for c in notebook.cells if c.cell_type == "code" and snippet in c.source]
    assert len(found) == 1, f"{len(found)} cells contain {snippet!r}"
    return found[0]


def check_probe(notebook: nbformat.NotebookNode) -> None:
    probe = text_of(notebook.cells[-1])
    assert f"kernel: {sys.executable}\n" in probe
    # The notebooks ask for `%matplotlib inline`, which draws PNG images, no window.
    assert probe.splitlines()[-1] in (
        "backend: inline",
        "backend: module://matplotlib_inline.backend_inline",
    )


def images(notebook: nbformat.NotebookNode) -> int:
    """Number of PNG images the notebook displayed."""
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


@pytest.fixture
def kernel_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The kernel inherits this environment: matplotlib opens no window before `%matplotlib inline`."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return monkeypatch


@pytest.mark.parametrize("name", ["demo.ipynb", "latvia.ipynb"])
def test_notebooks_are_stored_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    for cell in code:
        assert cell.outputs == [], cell.source[:60]
        assert cell.execution_count is None, cell.source[:60]
    # Markdown explains the steps: at least one text cell for every two code cells.
    assert sum(cell.cell_type == "markdown" for cell in notebook.cells) * 2 >= len(code)


@pytest.mark.slow
def test_demo_notebook_runs(kernel_env: pytest.MonkeyPatch) -> None:
    notebook = execute("demo.ipynb")
    check_probe(notebook)
    assert images(notebook) == 1  # the coverage map
    region = acc.load_region()

    loaded = text_of(cell_with(notebook, "reports = {"))
    for name in ("units", "population", "stops", "libraries", "centres"):
        assert name in loaded
    rule = text_of(cell_with(notebook, "walked = acc.stop_rule"))
    assert (
        "libraries on foot" in rule and f"of {len(region['libraries'])} in a straight line" in rule
    )

    placed = text_of(cell_with(notebook, "weights=junctions"))
    total = int(region["population"]["population"].sum())
    for placement in ("by area", "by street junctions"):
        # Each placement's row shows every resident placed: its points add up to the total.
        row = next(line for line in placed.splitlines() if line.startswith(placement))
        assert f" {total} " in row, row
    summary = text_of(cell_with(notebook, "checked_centres = acc.stop_rule"))
    assert f"Of {total:,} people (placed by grid 500 m, area-weighted)" in summary

    models = text_of(cell_with(notebook, "p_median = acc.p_median"))
    assert models.count("optimal") == 2
    assert "Same sites as the exact p-median" in text_of(cell_with(notebook, "p_median_heuristic"))
    comparison = text_of(cell_with(notebook, "comparison = acc.compare"))
    for scenario in (
        "existing centres",
        "every library a centre",
        "one per unit",
        "p-median",
        "MCLP 700 m",
    ):
        assert scenario in comparison

    web = cell_with(notebook, "acc.interactive_map(")
    html = "".join(o.data.get("text/html", "") for o in web.outputs if "data" in o)
    assert "iframe" in html or "leaflet" in html.lower()


@pytest.mark.realdata
@pytest.mark.slow
def test_latvia_notebook_runs_on_the_real_data(
    real_data: Path, kernel_env: pytest.MonkeyPatch
) -> None:
    kernel_env.setenv("ACCESSIBILITY_DATA", str(real_data))
    notebook = execute("latvia.ipynb")
    check_probe(notebook)
    assert images(notebook) == 1  # the national map
    assert f"Real data folder: {real_data}" in text_of(notebook.cells[1])
    assert "592 territorial units in 43 municipalities; 2,041,552 residents in 2024." in text_of(
        cell_with(notebook, "units = acc.load_units")
    )
    assert "10,179 stops" in text_of(cell_with(notebook, "stops = acc.load_stops"))
    proxies = text_of(cell_with(notebook, "proxies = {"))
    assert "most-served stop" in proxies and "population centre" in proxies
    plan = text_of(cell_with(notebook, "plan = acc.plan_one_per_unit"))
    assert "587 centres for 592 units (target 587)" in plan
    assert "5 town-parish pairs share a centre" in plan


@pytest.mark.slow
def test_latvia_notebook_without_data_says_so_and_skips(
    tmp_path: Path, kernel_env: pytest.MonkeyPatch
) -> None:
    kernel_env.setenv("ACCESSIBILITY_DATA", str(tmp_path / "no-such-folder"))
    notebook = execute("latvia.ipynb")
    check_probe(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "was not found, so the rest of this notebook is skipped" in text_of(code[0])
    for cell in code[1:-1]:
        assert text_of(cell) == "", cell.source[:60]
    assert images(notebook) == 0
