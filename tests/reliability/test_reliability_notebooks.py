"""Lessons re-run in the same kernel give the same results: no state that piles up.

A learner often runs "Run All" twice without restarting. Each lesson ``notebooks/NN_*.ipynb``
is executed top to bottom in smoke mode (``DRCN_SMOKE=1``), then again in the *same* kernel;
both runs must finish without an error (a second ``train()`` into the same folder, a list that
keeps growing, a seed set only once) and every cell tagged ``nbval-check-output`` must print
the same text both times. A synthetic notebook with a counter shows the check can fail.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from drcn_lib.settings import REPO_ROOT

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")


def _tool(name: str):  # noqa: ANN202 - a module
    """A module of ``tools/`` (not a package), loaded by path."""
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ipc_client = _tool("notebook_exec").ipc_client

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TAG = "nbval-check-output"  # nbval compares these cells' outputs, so they must not drift
CELL_TIMEOUT_S = 300


def _text(cell: nbformat.NotebookNode) -> str:
    """The text a reader sees from a cell: streams and text/plain results, addresses masked."""
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return re.sub(r"0x[0-9a-fA-F]+", "0x?", "".join(parts)).rstrip()


def run_twice(path: Path) -> list[tuple[int, str, str]]:
    """Execute ``path`` twice in one kernel; return ``(cell index, first, second)`` for every
    cell marked ``# NBVAL_CHECK_OUTPUT`` whose text differs. A cell error raises
    ``nbclient.exceptions.CellExecutionError`` naming the cell."""
    nb = nbformat.read(path, as_version=4)
    checked = [i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]
    runs: list[dict[int, str]] = []
    with ipc_client(nb, path.parent, CELL_TIMEOUT_S) as client, client.setup_kernel():
        for _ in range(2):
            for i, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    cell.outputs = []
                    client.execute_cell(cell, i)
            runs.append({i: _text(nb.cells[i]) for i in checked})
    return [(i, runs[0][i], runs[1][i]) for i in checked if runs[0][i] != runs[1][i]]


@pytest.fixture
def smoke_kernel_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels inherit the environment: smoke mode plus the suite's temporary folders."""
    monkeypatch.setenv("DRCN_SMOKE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")


def test_the_rerun_check_sees_state_that_piles_up(tmp_path: Path, smoke_kernel_env) -> None:
    """Control: a cell whose output depends on how often it ran is caught."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("seen = globals().get('seen', []) + [1]"),
        nbformat.v4.new_code_cell("len(seen)", metadata={"tags": [TAG]}),
        nbformat.v4.new_code_cell("import random\nrandom.seed(0)\nrandom.random()",
                                  metadata={"tags": [TAG]}),
    ]
    path = tmp_path / "counter.ipynb"
    nbformat.write(nb, path)
    diffs = run_twice(path)
    assert [(i, a, b) for i, a, b in diffs] == [(1, "1", "2")]


@pytest.mark.skipif(not NOTEBOOKS, reason="no lesson notebooks/NN_*.ipynb exist yet "
                                          "(they are being written); nothing to re-run")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_lesson_rerun_in_the_same_kernel_gives_the_same_outputs(path: Path, tally,
                                                                smoke_kernel_env) -> None:
    with tally.case("notebook re-runs", f"{path.name} run twice in one kernel (smoke)"):
        diffs = run_twice(path)
        assert not diffs, "\n".join(
            f"cell {i} changed on the second run:\n--- first\n{a}\n--- second\n{b}"
            for i, a, b in diffs)
