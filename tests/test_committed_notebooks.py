"""The lessons are committed with the figures of a real-mode run, so readers see them on the web.

A run with the wrong matplotlib backend (``MPLBACKEND=Agg`` leaking into the kernel) stores
every figure as ``<Figure size ...>`` text; this catches such a commit.
"""

from __future__ import annotations

import nbformat
import pytest

from drcn_lib.settings import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_lesson_shows_its_figures(path) -> None:  # noqa: ANN001
    nb = nbformat.read(path, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    pictures = sum("image/png" in o.get("data", {}) for o in outputs)
    text_only = [o["data"]["text/plain"] for o in outputs
                 if "image/png" not in o.get("data", {})
                 and str(o.get("data", {}).get("text/plain", "")).startswith("<Figure size")]
    assert pictures >= 1, f"{path.name} is committed without any figure"
    assert not text_only, f"{path.name} stores figures as text: {text_only[:2]}"
