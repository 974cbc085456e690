"""The lesson 04-07 self-checks accept the right answer and explain the common wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from drcn_lib.course.exercises.recursive_training import (
    check_alpha,
    check_ensemble,
    check_gradient_factor,
    check_small_residual,
    small_residual_fraction,
)
from drcn_lib.engine.prediction import Prediction
from drcn_lib.protocol.pairs import benchmark_pair


def said(capsys) -> str:
    return capsys.readouterr().out


def test_gradient_factor(capsys):
    assert check_gradient_factor(0.8**14, gain=0.8, recursions=16)
    assert said(capsys).startswith("Right: from H_15 back to H_1 the gradient crosses 14")
    assert not check_gradient_factor(0.8**15)
    assert "count the copies" in said(capsys)
    assert not check_gradient_factor(1 / 0.8**14)
    assert "upside down" in said(capsys)
    assert not check_gradient_factor("a lot")
    assert "answer with a number" in said(capsys)
    assert check_gradient_factor("0.0440", gain=0.8, recursions=16)  # 0.8^14 = 0.04398


def test_ensemble(capsys):
    rng = np.random.default_rng(0)
    outs = {d: rng.uniform(0, 255, (6, 5)) for d in (1, 2, 3)}
    w = np.array([0.1, 0.3, 0.6])
    pred = Prediction(sum(w[d - 1] * outs[d] for d in outs), tuple(outs.values()))
    assert check_ensemble(sum(w[d - 1] * pred.at(d) for d in (1, 2, 3)), pred, w)
    assert not check_ensemble(np.mean([outs[d] for d in outs], axis=0), pred, w)
    assert "plain mean" in said(capsys).splitlines()[-1]
    assert not check_ensemble(sum(w[3 - d] * pred.at(d) for d in (1, 2, 3)), pred, w)
    assert "reversed" in said(capsys)
    assert not check_ensemble(outs[3], pred, w)
    assert "y_3 alone" in said(capsys)
    assert not check_ensemble(None, pred, w)
    assert "replace None" in said(capsys)
    assert not check_ensemble(np.zeros(3), pred, w)
    assert "shape (3,)" in said(capsys)


@pytest.fixture(scope="module")
def pair():
    yy, xx = np.mgrid[0:60, 0:60]
    img = (128 + 100 * (xx > 30) + 5 * np.sin(yy)).clip(0, 255).astype(np.uint8)
    return benchmark_pair(img, 3)


def test_small_residual(pair, capsys):
    share = small_residual_fraction(pair, 2.0)
    assert 0.0 < share < 1.0
    assert check_small_residual(round(share, 3), pair)
    assert not check_small_residual(100 * share, pair)
    assert "percentage" in said(capsys).splitlines()[-1]
    assert not check_small_residual(1 - share, pair)
    assert "LARGE" in said(capsys)


def test_alpha(capsys):
    assert check_alpha(0.4, progress=0.3)
    assert "1 - 0.3 / 0.5 = 0.4" in said(capsys)
    assert not check_alpha(0.7, progress=0.3)
    assert "WHOLE run" in said(capsys)
    assert not check_alpha(0.6, progress=0.3)
    assert "1 - alpha" in said(capsys)
    assert not check_alpha(0.3455, progress=0.3)
    assert "cosine" in said(capsys)
    assert check_alpha(0, progress=0.8)
    assert "reached 0" in said(capsys)


def test_beta_for_mean(capsys):
    from drcn_lib.course.exercises.recursive_training import beta_for_mean, check_beta_for_mean

    right = beta_for_mean(1e-4, 41)
    assert check_beta_for_mean(right) and check_beta_for_mean(f"{right:.3g}")
    assert said(capsys).startswith("Right:")
    for wrong, hint in [(1e-4, "paper's beta"), (1e-4 * 1681, "upside down"),
                        (1e-4 / 41, "more pixels than one side"), (1e-4 / 961, "not 31x31"),
                        (1e-9, "is not it"), (None, "answer with a number")]:
        assert not check_beta_for_mean(wrong)
        message = said(capsys)
        assert message.startswith("Not yet:") and hint in message
        for shown in (f"{right:.3g}", f"{right:.2e}", f"{right:.3e}", "5.95e-08", "5.9e-08"):
            assert shown not in message
