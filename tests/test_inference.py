"""Whole-image inference: every output from one pass, and tiles that change nothing."""

from __future__ import annotations

import numpy as np
import torch

from drcn_lib.engine.prediction import predict_y, receptive_margin
from drcn_lib.model import DRCN, SRCNN


def _net(**kw) -> DRCN:
    torch.manual_seed(0)
    net = DRCN(recursions=3, filters=6, **kw)
    torch.nn.init.normal_(net.infer.conv.weight, std=0.1)
    return net


def test_all_outputs_match_forward():
    net, img = _net(), np.random.default_rng(0).uniform(0, 255, (23, 31))
    pred = predict_y(net, img)
    assert set(pred) == {"ensemble", 1, 2, 3}
    with torch.no_grad():
        out = net(torch.from_numpy(img / 255.0).float()[None, None])
    np.testing.assert_allclose(pred["ensemble"], out.ensemble[0, 0].numpy() * 255, atol=1e-3)
    np.testing.assert_allclose(pred[2], out.outputs[1, 0, 0].numpy() * 255, atol=1e-3)


def test_tiled_equals_untiled():
    net, img = _net(), np.random.default_rng(1).uniform(0, 255, (50, 37))
    full = predict_y(net, img)
    tiled = predict_y(net, img, tile=16)
    assert receptive_margin(net) == 7
    for key in full:
        np.testing.assert_allclose(tiled[key], full[key], atol=1e-3)


def test_too_small_margin_would_differ():
    net, img = _net(), np.random.default_rng(2).uniform(0, 255, (40, 40))
    full = predict_y(net, img, intermediates=False)
    cut = predict_y(net, img, tile=10, margin=0, intermediates=False)
    assert np.abs(cut["ensemble"] - full["ensemble"]).max() > 1e-2  # the margin matters


def test_srcnn_and_basic_model_give_one_output():
    img = np.full((12, 12), 128.0)
    assert set(predict_y(SRCNN(), img)) == {"ensemble", 1}
    assert set(predict_y(_net(recursive_supervision=False), img)) == {"ensemble", 1}
