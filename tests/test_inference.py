"""Whole-image inference: every output from one pass, and tiles that change nothing."""

from __future__ import annotations

import weakref

import numpy as np
import pytest
import torch

from drcn_lib.engine.prediction import Prediction, accumulate, predict_y, receptive_margin
from drcn_lib.model import DRCN, SRCNN


def _net(**kw) -> DRCN:
    torch.manual_seed(0)
    net = DRCN(recursions=3, filters=6, **kw)
    torch.nn.init.normal_(net.infer.conv.weight, std=0.1)
    return net


def test_all_outputs_match_forward():
    net, img = _net(), np.random.default_rng(0).uniform(0, 255, (23, 31))
    pred = predict_y(net, img)
    assert pred.depth == 3 and pred.name == "ensemble"
    with torch.no_grad():
        out = net(torch.from_numpy(img / 255.0).float()[None, None])
    np.testing.assert_allclose(pred.ensemble, out.ensemble[0, 0].numpy() * 255, atol=1e-3)
    np.testing.assert_allclose(pred.at(2), out.outputs[1, 0, 0].numpy() * 255, atol=1e-3)


def test_tiled_equals_untiled():
    net, img = _net(), np.random.default_rng(1).uniform(0, 255, (50, 37))
    full = predict_y(net, img)
    tiled = predict_y(net, img, tile=16)
    assert receptive_margin(net) == 7
    for (_, a), (_, b) in zip(tiled.named(), full.named(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-3)


def test_too_small_margin_would_differ():
    net, img = _net(), np.random.default_rng(2).uniform(0, 255, (40, 40))
    full = predict_y(net, img, intermediates=False)
    cut = predict_y(net, img, tile=10, margin=0, intermediates=False)
    assert np.abs(cut.ensemble - full.ensemble).max() > 1e-2  # the margin matters


def test_srcnn_and_basic_model_give_one_output():
    img = np.full((12, 12), 128.0)
    assert predict_y(SRCNN(), img).depth == 1
    assert predict_y(_net(recursive_supervision=False), img).depth == 1


def test_streamed_ensemble_is_the_forward_ensemble_bit_for_bit():
    net, img = _net(), np.random.default_rng(3).uniform(0, 255, (20, 20))
    lean = predict_y(net, img, intermediates=False)
    full = predict_y(net, img)
    assert lean.depth == 0 and full.depth == 3
    np.testing.assert_array_equal(lean.ensemble, full.ensemble)


def test_the_ensemble_never_holds_every_output():
    """sum_d w_d y_d is accumulated as the y_d stream: with keep=False at most one y_d is
    alive at a time, so an ensemble-only prediction's memory does not grow with D."""
    alive: list[weakref.ref] = []
    most = 0

    def stream():
        nonlocal most
        for d in range(40):
            y = torch.full((1, 1, 4, 4), float(d))
            alive.append(weakref.ref(y))
            most = max(most, sum(r() is not None for r in alive))
            yield y
            del y

    w = torch.full((40,), 0.5)
    ens, kept = accumulate(stream(), w, keep=False)
    assert kept == [] and most <= 2  # the current y_d and, at most, the one just summed
    assert float(ens[0, 0, 0, 0]) == 0.5 * sum(range(40))
    alive.clear()
    _, kept = accumulate(stream(), w, keep=True)
    assert len(kept) == 40 and most == 40  # keeping them is what costs D maps


def test_prediction_names_its_outputs_and_refuses_a_missing_d():
    a, b = np.zeros((2, 2)), np.ones((2, 2))
    pred = Prediction(b, (a, b))
    assert [k for k, _ in pred.named()] == ["ensemble", 1, 2] and pred.last is b
    assert pred.map(np.sum).outputs == (0.0, 4.0)
    with pytest.raises(IndexError, match="1..2"):
        pred.at(3)
    with pytest.raises(IndexError, match="intermediates=False"):
        Prediction(b).at(1)
