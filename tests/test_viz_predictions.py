"""Prediction figures: the PSNRs in titles are the benchmark's, the slider needs no new pass."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drcn_lib.course.exercises.recursive_training import small_residual_fraction
from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import DRCNError
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.viz import predictions


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:96, 0:96]
    img = 128 + 60 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + rng.normal(0, 3, (96, 96))
    return benchmark_pair(np.clip(img, 0, 255).astype(np.uint8), 3, name="waves")


@pytest.fixture(scope="module")
def pred(pair):
    # y_1 = bicubic, y_2 = truth + 1 grey level (PSNR exactly 48.13 dB), ensemble = truth + 2
    return Prediction(pair.hr_y + 2.0, (pair.bicubic_y, pair.hr_y + 1.0))


def test_output_psnrs_are_benchmark_scored(pair, pred):
    psnrs = predictions.output_psnrs(pred, pair)
    assert psnrs.at(2) == pytest.approx(10 * np.log10(255.0**2), abs=1e-9)  # MSE exactly 1
    assert psnrs.ensemble == pytest.approx(10 * np.log10(255.0**2 / 4), abs=1e-9)
    assert predictions.recursion_keys(pred) == [1, 2]


def test_output_psnr_figure_reads_the_gap(pair, pred):
    psnrs = predictions.output_psnrs(pred, pair)
    fig = predictions.output_psnr_figure(psnrs, bicubic=psnrs.at(1), paper=[30.0, 31.0],
                                         paper_ensemble=33.8)
    ax = fig.axes[0]
    gap = psnrs.ensemble - psnrs.at(2)
    assert ax.get_title() == f"Ensemble vs best single output (d = 2): {gap:+.2f} dB"
    assert any("paper" in t.get_text() for t in ax.get_legend().get_texts())
    with pytest.raises(DRCNError, match="every y_d"):
        predictions.output_psnr_figure(Prediction(30.0))


def test_ensemble_weights_figure_from_a_tensor():
    w = torch.tensor([0.1, 0.2, 0.7], requires_grad=True)
    fig = predictions.ensemble_weights_figure(w)
    heights = [p.get_height() for p in fig.axes[0].patches]
    np.testing.assert_allclose(heights, [0.1, 0.2, 0.7], rtol=1e-6)
    assert "sum 1.00" in fig.axes[0].get_title()


def test_prediction_figure_and_slider(pair, pred):
    fig = predictions.prediction_figure(pred, pair, 2, box=(10, 10, 30, 30))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0] == "single output y_2: 48.13 dB" and "ensemble of all 2" in titles[1]
    # the error panel of y_2 shows exactly +1 everywhere
    np.testing.assert_allclose(fig.axes[3].images[0].get_array(), 1.0)
    with pytest.raises(DRCNError, match=r"valid d are \[1, 2\]"):
        predictions.prediction_figure(pred, pair, 5)
    explorer = predictions.prediction_explorer(pred, pair)
    assert (explorer.control.min, explorer.control.max, explorer.last) == (1, 2, 2)
    explorer.redraw(1)
    assert explorer.last == 1


def test_residual_figure_reports_the_small_share(pair):
    fig = predictions.residual_figure(pair)
    share = small_residual_fraction(pair, 5.0)
    assert fig.axes[1].get_title().startswith(f"{share:.0%} of pixels")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), pair.hr_y - pair.bicubic_y)


def test_ablation_toggle_switches_runs(pair):
    hist = {"train": [], "val": [{"step": 5, "psnr": 30.0}, {"step": 10, "psnr": 31.0}]}
    runs = {"skip": hist, "no skip": {"train": [], "val": [{"step": 10, "psnr": 20.0}]}}
    preds = {"skip": pair.hr_y + 1.0, "no skip": pair.bicubic_y}
    fig = predictions.ablation_figure("skip", runs, preds, pair)
    assert fig.axes[1].get_title() == "skip: 48.13 dB"
    assert fig._suptitle.get_text() == "Run 'skip' after 10 steps"
    toggle = predictions.ablation_toggle(runs, preds, pair)
    assert list(toggle.control.options) == ["skip", "no skip"] and toggle.last == "skip"
    toggle.control.value = "no skip"  # what a click does
    assert toggle.last == "no skip" and toggle.calls == 2
    with pytest.raises(DRCNError, match="not one of"):
        predictions.ablation_figure("other", runs, preds, pair)


def test_mean_output_psnrs_match_evaluate(pair):
    from drcn_lib.evaluate import model_predictor, score_prediction
    from drcn_lib.model import DRCN

    torch.manual_seed(0)
    model = DRCN(recursions=2, filters=4)
    other = benchmark_pair(np.asarray(pair.hr)[::-1].copy(), 3)
    means = predictions.mean_output_psnrs(model, [pair, other])
    per = [dict(score_prediction(model_predictor(model)(p), p, "x").named())
           for p in (pair, other)]
    for key, mean in means.named():
        assert mean == pytest.approx(np.mean([s[key][0] for s in per]), abs=1e-9)
    assert means.depth == 2
    with pytest.raises(DRCNError, match="at least one"):
        predictions.mean_output_psnrs(model, [])
