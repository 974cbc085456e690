"""Training curves, the alpha schedule and gradient plots draw what the numbers say."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drcn_lib.course.diagnostics import GradientProfile
from drcn_lib.errors import DRCNError
from drcn_lib.loss import ALPHA_KINDS, alpha_schedule
from drcn_lib.viz import curves


def history(psnrs, losses=None):
    steps = [10 * (i + 1) for i in range(len(psnrs))]
    losses = losses or [1.0 / s for s in steps]
    train = [{"step": s, "loss": v, "l1": 2 * v, "l2": v}
             for s, v in zip(steps, losses, strict=True)]
    val = [{"step": s, "psnr": p, "psnr_last": p - 0.1} for s, p in zip(steps, psnrs, strict=True)]
    return {"train": train, "val": val}


RUNS = {"skip": history([30.0, 31.0, 31.5]), "no skip": history([20.0, 24.0, 27.25])}


def test_series_and_history_of():
    steps, psnr = curves.series(RUNS["skip"], "val", "psnr")
    assert steps.tolist() == [10, 20, 30] and psnr.tolist() == [30.0, 31.0, 31.5]
    with pytest.raises(DRCNError, match="history dict"):
        curves.history_of({"val": []})


def test_training_curves_title_states_the_final_psnrs():
    fig = curves.training_curves(RUNS, bicubic=29.0)
    assert fig._suptitle.get_text() == (
        "Validation PSNR after 30 steps: skip: 31.50 dB; no skip: 27.25 dB")
    loss_ax, psnr_ax = fig.axes
    assert loss_ax.get_yscale() == "log"
    assert len(psnr_ax.lines) == 3  # two runs + the bicubic line
    np.testing.assert_allclose(psnr_ax.lines[1].get_ydata(), [20.0, 24.0, 27.25])
    with pytest.raises(DRCNError):
        curves.training_curves({})


def test_loss_terms_figure_plots_l1_and_l2():
    fig = curves.loss_terms_figure(RUNS)
    l1_ax, l2_ax = fig.axes
    np.testing.assert_allclose(l1_ax.lines[0].get_ydata(), [0.2, 0.1, 2 / 30])
    np.testing.assert_allclose(l2_ax.lines[0].get_ydata(), [0.1, 0.05, 1 / 30])


def test_alpha_schedule_lines_are_the_library_schedule():
    fig = curves.alpha_schedules_figure()
    ax = fig.axes[0]
    assert len(ax.lines) == len(ALPHA_KINDS) + 1  # + the end-of-decay marker
    linear = ax.lines[ALPHA_KINDS.index("linear")]
    x, y = linear.get_xdata(), linear.get_ydata()
    i = int(np.argmin(np.abs(x - 25.0)))
    assert y[i] == pytest.approx(alpha_schedule(x[i] / 100))
    assert "(ours)" in linear.get_label()


@pytest.mark.parametrize("progress", [0.0, 0.25, 0.6])
def test_loss_weights_sum_to_one(progress):
    alpha, per_output, ens = curves.loss_weights(progress, 16)
    assert alpha == pytest.approx(alpha_schedule(progress))
    assert per_output.shape == (16,) and per_output.sum() + ens == pytest.approx(1.0)


def test_loss_weights_figure_and_its_slider():
    fig = curves.loss_weights_figure(0.25, 8)
    assert "alpha = 0.50 at 25%" in fig.axes[0].get_title()
    assert "both terms weigh the same" in fig.axes[1].get_title()
    explorer = curves.loss_weights_explorer(8, value=0.3)
    assert explorer.last == 0.3 and explorer.calls == 1
    explorer.redraw(0.9)
    assert explorer.last == 0.9 and explorer.calls == 2


def test_gradient_norms_figure_normalises_at_d():
    profiles = {"a": np.array([0.25, 0.5, 1.0, 2.0]),
                "b": GradientProfile(np.array([4.0, 2.0, 1.0]), np.ones(3), 0.1)}
    fig = curves.gradient_norms_figure(profiles)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [0.125, 0.25, 0.5, 1.0])
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [4.0, 2.0, 1.0])
    assert ax.get_title() == "d = 1 gets 0.12x the gradient at D (a), 4x the gradient at D (b)"
    weight = curves.gradient_norms_figure({"b": profiles["b"]}, which="weight")
    np.testing.assert_allclose(weight.axes[0].lines[0].get_ydata(), [1.0, 1.0, 1.0])


def test_gain_figure_follows_the_closed_form():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 1, 11, 11, generator=g)
    y = x.clamp(0.1, 0.9)
    fig = curves.gain_figure(0.8, 6, x, y, filters=4)
    measured, predicted = fig.axes[0].lines[:2]
    np.testing.assert_allclose(measured.get_ydata()[:-1], predicted.get_ydata(), rtol=1e-4)
    assert "vanishes" in fig.axes[0].get_title()
    explorer = curves.gain_explorer(x, y, recursions=4, filters=4, value=1.0)
    explorer.redraw(1.2)
    assert explorer.last == 1.2


def test_profile_explorer_draws_the_chosen_snapshot_beside_the_reference():
    profiles = {f"step {s}": np.array([1.0 + s, 1.0]) for s in (0, 10, 20)}
    explorer = curves.profile_explorer(profiles)
    assert explorer.last == "step 20"
    fig = explorer.redraw("step 10")
    assert [line.get_label() for line in fig.axes[0].lines[:2]] == ["step 0", "step 10"]
    with pytest.raises(DRCNError, match="reference"):
        curves.profile_explorer(profiles, reference="step 5")
