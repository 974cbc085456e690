"""The three reproduction studies: right models, right protocol, paper numbers kept apart."""

from __future__ import annotations

import numpy as np
import pytest
from study_fixtures import SHARED, shrink_image_sets, use_data

from drcn_lib.data.registry import set_status
from drcn_lib.evaluate import evaluate, model_predictor
from drcn_lib.experiments import paper_numbers as paper
from drcn_lib.experiments import studies as st
from drcn_lib.experiments.scores import ScoreCache
from drcn_lib.model import DRCN
from drcn_lib.runs.study_models import BENCHMARK_NAMES, stand_in_models


@pytest.fixture(autouse=True)
def data(monkeypatch, tmp_path):
    """The paper's sets when ../shared/data is beside the checkout; a private cache."""
    use_data(monkeypatch, tmp_path / "cache")


@pytest.fixture
def small_images(monkeypatch):
    """48 x 48 crops of the first image: the code paths in a fraction of the time (marked
    incomplete, as any subset is)."""
    shrink_image_sets(monkeypatch)


needs_set5 = pytest.mark.skipif(not (SHARED / "Set5").is_dir(), reason="Set5 not present")


def _tiny(recursions: int, filters: int = 4, scale: int = 3, seed: int = 0):
    import torch

    torch.manual_seed(seed)
    return DRCN(recursions=recursions, filters=filters).eval(), {"preset": {"scale": scale}}


def test_depth_study_sorts_by_depth_and_lists_what_is_missing(tmp_path, small_images):
    models = stand_in_models(["drcn-x3-d6", "drcn-x3-d1"])
    study = st.recursion_depth_study(models, limit=1, fallback=True,
                                     cache=ScoreCache(tmp_path / "c.json"))
    assert [p.recursions for p in study.points] == [1, 6]
    assert [p.paper_psnr for p in study.points] == [32.55, 33.25]  # the paper's, labelled
    assert set(study.missing) == {"drcn-x3-d11", "drcn-x3-d16"}
    assert "--only drcn-x3-d11" in study.missing["drcn-x3-d11"]
    assert study.stand_in and not study.complete and study.images == 1
    assert all(np.isfinite(p.psnr) and 0 < p.ssim <= 1 for p in study.points)


def test_depth_study_ignores_models_of_another_scale(tmp_path, small_images):
    models = {"drcn-x3-d1": _tiny(1), "mine-x2": _tiny(2, scale=2)}
    study = st.recursion_depth_study(models, limit=1, fallback=True,
                                     cache=ScoreCache(enabled=False))
    assert [p.model for p in study.points] == ["drcn-x3-d1"]
    assert not study.stand_in  # plain models are not flagged as stand-ins


@needs_set5
def test_scores_are_those_of_drcn_lib_evaluate():
    model, side = _tiny(2)
    study = st.recursion_depth_study({"drcn-x3-d2": (model, side)},
                                     cache=ScoreCache(enabled=False))
    ref = {r.output: r for r in evaluate(model_predictor(model, tile=None), ["Set5"], [3], "m")}
    assert study.complete and study.images == 5
    assert study.points[0].psnr == pytest.approx(ref["ensemble"].psnr, abs=1e-9)
    assert study.points[0].ssim == pytest.approx(ref["ensemble"].ssim, abs=1e-9)


@needs_set5
def test_our_bicubic_row_is_the_papers_bicubic_row():
    study = st.benchmark_study({}, sets=["Set5"], scales=(2, 3), cache=ScoreCache(enabled=False))
    for scale in (2, 3):
        ours = study.get("Set5", scale, "Bicubic")
        ref = study.get("Set5", scale, "Bicubic", source="paper")
        assert ref.psnr == paper.TABLE2["Set5"][scale]["Bicubic"][0]
        assert ours.psnr == pytest.approx(ref.psnr, abs=0.01)
        assert ours.ssim == pytest.approx(ref.ssim, abs=2e-4)
    assert set(study.missing) == {"drcn-x2-d16", "drcn-x3-d16", "srcnn-x3"}
    assert study.get("Set5", 3, "DRCN") is None  # nothing invented for a missing model


def test_ensemble_study_gives_every_output_and_the_papers_curve(tmp_path, small_images):
    models = stand_in_models(["drcn-x3-d16"])
    study = st.ensemble_study(models, limit=1, fallback=True, cache=ScoreCache(enabled=False))
    (curve,) = study.curves
    assert curve.scale == 3 and len(curve.single_psnr) == 16 == len(curve.single_ssim)
    assert curve.paper_single == paper.SINGLE_OUTPUTS_SET5[3]
    assert curve.paper_ensemble == paper.ENSEMBLE_SET5[3]
    d, best = curve.best_single
    assert best == max(curve.single_psnr) and curve.single_psnr[d - 1] == best
    assert set(study.missing) == {"drcn-x2-d16", "drcn-x4-d16"}
    assert study.curve(2) is None


def test_benchmark_study_labels_ours_and_the_papers(tmp_path, small_images):
    models = stand_in_models(BENCHMARK_NAMES)
    study = st.benchmark_study(models, sets=["Set5"], scales=(2, 3), limit=1, fallback=True,
                               cache=ScoreCache(enabled=False))
    ours = {(r.scale, r.method) for r in study.rows if r.source == "ours"}
    assert ours == {(2, "Bicubic"), (2, "DRCN"), (3, "Bicubic"), (3, "SRCNN"), (3, "DRCN")}
    assert study.get("Set5", 3, "SRCNN").model == "srcnn-x3"
    p = study.get("Set5", 3, "DRCN", "paper")
    assert (p.psnr, p.ssim) == paper.TABLE2["Set5"][3]["DRCN"] and p.model is None
    assert study.missing == {} and study.stand_in
    assert study.set_images == {"Set5": 1} and study.set_complete == {"Set5": False}


def test_sample_pair_and_predictions():
    pair = st.sample_pair("Set5", "butterfly", scale=3)
    assert pair.scale == 3 and pair.hr_y.shape == pair.bicubic_y.shape
    models = {**stand_in_models(["drcn-x3-d1", "drcn-x3-d6", "drcn-x2-d16"])}
    preds = st.depth_predictions(models, pair)
    assert list(preds) == [1, 6]  # the x2 model is not one of the x3 depths
    assert preds[6].shape == pair.hr_y.shape
    outs = st.output_predictions(models, "drcn-x3-d6", pair)
    assert outs.depth == 6 and outs.at(6).shape == pair.hr_y.shape
    assert st.output_predictions(models, "drcn-x3-d16", pair) is None


def test_present_test_sets_matches_the_registry():
    assert st.present_test_sets() == [s for s in ("Set5", "Set14", "B100", "Urban100")
                                      if set_status(s).state == "present"]
