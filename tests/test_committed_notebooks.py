"""The lessons are committed with the figures of a real-mode run, so readers see them on the web.

A run with the wrong matplotlib backend (``MPLBACKEND=Agg`` leaking into the kernel) stores
every figure as ``<Figure size ...>`` text; this catches such a commit.
"""

from __future__ import annotations

import nbformat
import pytest

from drcn_lib.settings import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IMAGES = {"image/png", "image/jpeg"}  # photos may be stored as JPEG to keep a lesson light


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_lesson_shows_its_figures(path) -> None:  # noqa: ANN001
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    pictures = sum(bool(IMAGES & set(o.get("data", {}))) for o in outputs)
    text_only = [o["data"]["text/plain"] for o in outputs
                 if not IMAGES & set(o.get("data", {}))
                 and str(o.get("data", {}).get("text/plain", "")).startswith("<Figure size")]
    assert pictures >= 1, f"{path.name} is committed without any figure"
    assert not text_only, f"{path.name} stores figures as text: {text_only[:2]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_lesson_ran_every_cell_in_order(path) -> None:  # noqa: ANN001
    """Execution counts 1, 2, 3, ...: the whole lesson ran top to bottom in one kernel. (A cell
    inserted later with no count, as the Colab cell once was, also stalled JupyterLab's Run All
    in the browser test.)"""
    nb = nbformat.read(path, as_version=4)
    counts = [c.get("execution_count") for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{path.name}: execution counts {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_lesson_is_valid_nbformat(path) -> None:  # noqa: ANN001
    """A cell id in an nbformat 4.4 notebook (the Colab cell once had one) is invalid JSON to
    JupyterLab, which logs "Notebook JSON is invalid" on opening the lesson."""
    nbformat.validate(nbformat.read(path, as_version=4))
