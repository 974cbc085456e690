"""The loss of Eq. 8-10 and the alpha schedule."""

from __future__ import annotations

import pytest
import torch

from drcn_lib.loss import alpha_schedule, decay_parameters, drcn_loss, weight_norm_sq
from drcn_lib.model import DRCN, SROutput


def test_alpha_linear_goes_from_one_to_zero_then_holds():
    assert alpha_schedule(0.0) == 1.0
    assert alpha_schedule(0.25) == pytest.approx(0.5)
    assert alpha_schedule(0.5) == 0.0 and alpha_schedule(0.9) == 0.0


@pytest.mark.parametrize("kind", ["linear", "cosine", "step"])
def test_alpha_never_increases(kind):
    values = [alpha_schedule(i / 100, kind) for i in range(101)]
    assert all(b <= a for a, b in zip(values, values[1:], strict=False))
    assert values[0] == 1.0 and values[-1] == 0.0


def test_alpha_constant_and_bad_kind():
    assert alpha_schedule(0.7, "constant", start=0.3) == 0.3
    with pytest.raises(ValueError, match="not one of"):
        alpha_schedule(0.1, "exponential")


def test_loss_terms_by_hand():
    target = torch.zeros(1, 1, 2, 2)
    outputs = torch.stack([torch.full((1, 1, 2, 2), 1.0), torch.full((1, 1, 2, 2), 3.0)])
    out = SROutput(outputs=outputs, ensemble=torch.full((1, 1, 2, 2), 2.0))
    terms = drcn_loss(out, target, alpha=0.25)
    assert terms.l1.item() == pytest.approx(0.5 * (1 + 9) / 2)  # mean over d of 1/2 err^2
    assert terms.l2.item() == pytest.approx(0.5 * 4)
    assert terms.total.item() == pytest.approx(0.25 * 2.5 + 0.75 * 2.0)


def test_alpha_one_ignores_ensemble_and_zero_ignores_intermediates():
    net, x, y = DRCN(recursions=3, filters=4), torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8)
    drcn_loss(net(x), y, alpha=0.0).total.backward()
    assert net.ensemble_weights.grad.abs().sum() > 0
    net.zero_grad()
    drcn_loss(net(x), y, alpha=1.0).total.backward()
    assert net.ensemble_weights.grad is None or net.ensemble_weights.grad.abs().sum() == 0


def test_weight_decay_term_counts_conv_weights_only():
    net = DRCN(recursions=2, filters=4)
    params = decay_parameters(net)
    assert all(p.dim() == 4 for p in params) and len(params) == 5
    expected = sum((p**2).sum() for p in params)
    torch.testing.assert_close(weight_norm_sq(params), expected)
    x, y = torch.rand(1, 1, 6, 6), torch.rand(1, 1, 6, 6)
    plain = drcn_loss(net(x), y, 0.5).total
    decayed = drcn_loss(net(x), y, 0.5, beta=1e-2, params=params).total
    torch.testing.assert_close(decayed - plain, 1e-2 * expected)


def test_sum_reduction_is_the_papers_per_image_sum():
    """reduction="sum" is 1/2N sum_i ||y_i - f(x_i)||^2 (the paper's Caffe loss), i.e. the mean
    times the pixels of one image; the default mean is unchanged."""
    torch.manual_seed(0)
    target = torch.rand(3, 1, 5, 7)
    outputs = torch.rand(4, 3, 1, 5, 7)
    out = SROutput(outputs=outputs, ensemble=outputs.mean(0))
    mean = drcn_loss(out, target, alpha=0.3)
    summed = drcn_loss(out, target, alpha=0.3, reduction="sum")
    by_hand = 0.5 * ((out.ensemble - target) ** 2).sum(dim=(1, 2, 3)).mean()
    assert torch.allclose(summed.l2, by_hand)
    assert torch.allclose(summed.total, mean.total * 35)
    with pytest.raises(ValueError, match="reduction"):
        drcn_loss(out, target, alpha=0.3, reduction="max")


def test_paper_preset_uses_the_papers_loss_unit_and_old_configs_still_match():
    from drcn_lib.engine.presets import preset, with_defaults

    assert preset("paper").loss_reduction == "sum"
    assert preset("cpu").loss_reduction == "mean"
    saved = preset("cpu").as_dict()
    del saved["loss_reduction"]  # as written before the field existed
    assert with_defaults(saved) == preset("cpu").as_dict()
