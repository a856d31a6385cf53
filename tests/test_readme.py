"""Every command block of README.md, run as written (real data where it needs it).

The blocks are read from the README itself, so a command changed there is tested as changed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from accessibility.run.study import study_from_dict

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"


def _blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def _block_with(language: str, needle: str) -> str:
    found = [b for b in _blocks(language) if needle in b]
    assert len(found) == 1, f"README has {len(found)} {language} blocks with {needle!r}"
    return found[0]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("MPLBACKEND", "Agg")
    env.update(extra)
    return env


def _bash(block: str, cwd: Path, env: dict[str, str], timeout: float = 1800) -> str:
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (
        f"{block}\nexit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout


def test_every_block_is_covered_here() -> None:
    """A new block in the README must get a test: the blocks are counted."""
    assert len(_blocks("bash")) == 4
    assert len(_blocks("python")) == 1
    assert len(_blocks("toml")) == 1


def test_test_command_is_what_ci_runs() -> None:
    """The test block is the one CI executes (running it here would run this suite again)."""
    block = _block_with("bash", "pytest")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in block.strip().splitlines()]
    assert lines == ['pip install -e ".[test]"', "ACCESSIBILITY_DATA=../shared/data pytest"]
    assert 'pip install --progress-bar off ".[test]"' in ci
    assert ci.rstrip().endswith("ACCESSIBILITY_DATA=../shared/data pytest")


@pytest.fixture(scope="module")
def fresh_checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's tracked files, as a new user would have it."""
    target = tmp_path_factory.mktemp("readme") / "accessibility"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout: copy the tree
        shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".git", ".venv", "*-output"))
        return target
    for name in listed.stdout.decode().split("\0"):
        if name and (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


@pytest.mark.slow
def test_set_up_and_demo_in_a_new_environment(fresh_checkout: Path) -> None:
    """The first command: a new virtual environment, ``pip install -e .`` only, the demo."""
    block = _block_with("bash", "accessibility demo")
    assert "pip install -e . " in block and "[test]" not in block
    _bash(block, fresh_checkout, _env())
    out = fresh_checkout / "demo-output"
    for name in ("report.html", "report.pdf", "map.html", "maps/plan.png", "maps/plan.pdf"):
        assert (out / name).is_file(), name
    # Only the package's own dependencies: none of the test extras came with it.
    python = fresh_checkout / ".venv" / "bin" / "python"
    for module in ("pytest", "playwright", "spopt", "pyrosm", "ipykernel"):
        probe = subprocess.run(
            [str(python), "-c", f"import {module}"], capture_output=True, check=False
        )
        assert probe.returncode != 0, f"{module} was installed by `pip install -e .`"


@pytest.mark.slow
def test_notebook_extra_installs_jupyterlab(fresh_checkout: Path) -> None:
    block = _block_with("bash", "[notebook]")
    venv = fresh_checkout / ".venv"
    if not venv.is_dir():  # this test run alone: make the environment of the first block
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    stdout = _bash(f". .venv/bin/activate\n{block}", fresh_checkout, _env())
    assert re.search(r"^\d+\.\d+", stdout.strip().splitlines()[-1])


@pytest.fixture
def beside_data(real_data: Path, tmp_path: Path) -> Path:
    """A working folder with the real data at ``../shared/data`` and the repository's ``data/``."""
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "data").symlink_to(real_data, target_is_directory=True)
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(REPO / "data", target_is_directory=True)
    return work


@pytest.mark.realdata
def test_python_api_example(beside_data: Path) -> None:
    block = _block_with("python", "import accessibility as acc")
    script = beside_data / "example.py"
    script.write_text(block, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=beside_data,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "of libraries are within 700 m walk of an intercity stop" in done.stdout
    assert "parish" in done.stdout and "state_city" in done.stdout


@pytest.mark.realdata
@pytest.mark.slow
def test_national_report_commands(beside_data: Path) -> None:
    block = _block_with("bash", "accessibility report")
    _bash(block, beside_data, _env())
    for folder in ("report-output", "latvia-2024", "rerun-output", "map-output"):
        assert (beside_data / folder / "map.html").is_file(), folder
    for folder in ("report-output", "latvia-2024", "rerun-output"):
        assert (beside_data / folder / "report.pdf").is_file(), folder
    # The study as run reruns to the same figures.
    first = beside_data / "report-output" / "tables"
    again = beside_data / "rerun-output" / "tables"
    for table in sorted(first.rglob("*.csv")):
        relative = table.relative_to(first)
        assert table.read_bytes() == (again / relative).read_bytes(), relative
    plan = (beside_data / "plan-output" / "tables" / "plan.csv").read_text(encoding="utf-8")
    assert len(plan.strip().splitlines()) == 1 + 587
    assert not (beside_data / "plan-output" / "maps").exists()


def test_study_file_example_is_a_valid_study() -> None:
    block = _block_with("toml", "[study]")
    table = tomllib.loads(block)["study"]
    study = study_from_dict(table, source="README")
    assert study.stop_distance == 700 and study.target_count == 587
    assert set(study.inputs) == {"libraries", "centres", "streets"}
