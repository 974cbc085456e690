"""Builders and environment helpers shared by the study, claim and training tests.

Not a test module (pytest collects only ``test_*.py``); tests import it as ``study_fixtures``
because ``tests/`` has no ``__init__.py`` and pytest puts it on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments import studies
from drcn_lib.experiments.scores import ImageSet
from drcn_lib.experiments.studies import (
    BenchmarkRow,
    BenchmarkStudy,
    DepthPoint,
    DepthStudy,
    EnsembleCurve,
)
from drcn_lib.settings import REPO_ROOT

SHARED: Path = REPO_ROOT.parent / "shared" / "data"
"""The paper's test sets, when ../shared/data is beside the checkout."""

FAST: dict[str, Any] = dict(device="cpu", dtype="float32", channels_last=False,
                            recon_strategy="batched")
"""Training keywords that keep a tiny run quick and deterministic on the CPU."""

BASE: dict[str, Any] = {"set": "Set5", "images": 5, "complete": True, "stand_in": False,
                        "models": {}, "missing": {}}
"""The fields every study shares: all of Set5 scored with trained models, nothing missing."""


def load_script(folder: str, name: str) -> types.ModuleType:
    """A script of ``benchmarks/`` or ``tools/`` (not packages) imported as a module by path."""
    folder_path = str(REPO_ROOT / folder)
    if folder_path not in sys.path:  # as running the script would: its siblings import by name
        sys.path.insert(0, folder_path)
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def use_data(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """Real sets when ../shared/data is there (else scikit-image's); ``cache`` spares the user's."""
    if SHARED.is_dir():
        monkeypatch.setenv("DRCN_DATA", str(SHARED))
    monkeypatch.setenv("DRCN_CACHE", str(cache))


def shrink_image_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Studies score 48x48 crops of a set's first image: all code paths, a fraction of the time."""
    real = studies.load_image_set

    def small(name: str, limit: int | None = None, fallback: bool = False,
              data_root: Path | None = None) -> ImageSet:
        full = real(name, 1, fallback, data_root)
        return ImageSet(full.name, [(s, img[:48, :48]) for s, img in full.images],
                        complete=False, fallback=full.fallback)  # a subset is never complete

    monkeypatch.setattr(studies, "load_image_set", small)


def depth_study(values: dict[int, float], *, paper_points: bool = True, **over: Any) -> DepthStudy:
    """Depth study for claim/figure tests: a drcn-x3-d{D} point (SSIM 0.9) per ``values`` entry."""
    points = [DepthPoint(d, f"drcn-x3-d{d}", v, 0.9,
                         paper.RECURSION_DEPTH_SET5_X3.get(d) if paper_points else None)
              for d, v in sorted(values.items())]
    return DepthStudy(**{**BASE, **over}, scale=3, points=points,
                      paper=dict(paper.RECURSION_DEPTH_SET5_X3))


def ensemble_curve(scale: int, singles: list[float], ensemble: float, *, model: str | None = None,
                   paper_values: bool = True) -> EnsembleCurve:
    """Outputs y_d and ensemble (SSIM 0.9) for the ensemble claim, figure and exercise tests."""
    return EnsembleCurve(scale, model or f"drcn-x{scale}-d16", singles, [0.9] * len(singles),
                         ensemble, 0.9,
                         paper.SINGLE_OUTPUTS_SET5[scale] if paper_values else None,
                         paper.ENSEMBLE_SET5[scale] if paper_values else None)


def benchmark_study(rows: list[BenchmarkRow], **over: Any) -> BenchmarkStudy:
    """Set5 x3 benchmark of ``rows`` over all 5 images, for the claim and table tests."""
    return BenchmarkStudy(**{**BASE, "sets": ["Set5"], "scales": [3], "rows": rows,
                             "set_images": {"Set5": 5}, "set_complete": {"Set5": True}, **over})
