"""Gradient norms per recursion: checked against the closed form for W = g * I."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drcn_lib.course.diagnostics import gradient_profile, set_recursive_init, training_batch
from drcn_lib.model import DRCN, SRCNN


def basic(recursions: int = 6, filters: int = 8, **kw) -> DRCN:
    torch.manual_seed(0)
    return DRCN(recursions=recursions, filters=filters, recursive_supervision=False, **kw)


def batch(n: int = 3, size: int = 15) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(n, 1, size, size, generator=g)
    return x, (x + 0.1 * torch.rand(n, 1, size, size, generator=g)).clamp(0, 1)


@pytest.mark.parametrize("gain", [0.8, 1.0, 1.25])
def test_gain_is_raised_to_the_number_of_copies_of_w(gain):
    # W = g I on non-negative features: each copy of W multiplies the gradient by g, so
    # ||dL/dH_d|| = g^(D-1-d) ||dL/dH_(D-1)|| for d <= D - 1 (the ReLU mask acts only once).
    d_max = 7
    model = set_recursive_init(basic(d_max), "identity", gain)
    prof = gradient_profile(model, *batch())
    d = np.arange(1, d_max)
    np.testing.assert_allclose(prof.state[:-1] / prof.state[-2], gain ** (d_max - 1 - d),
                               rtol=1e-4)


def test_identity_init_gives_every_application_the_same_weight_gradient():
    prof = gradient_profile(basic(5), *batch())
    assert prof.recursions == 5 and len(prof.weight) == 5
    np.testing.assert_allclose(prof.weight, prof.weight[0], rtol=1e-4)


def test_single_application_part_is_the_whole_weight_gradient():
    model = basic(1)
    x, y = batch()
    prof = gradient_profile(model, x, y)
    model.zero_grad()
    out = model(x)
    (0.5 * (out.ensemble - y).pow(2).mean()).backward()
    assert prof.weight[0] == pytest.approx(float(model.infer.conv.weight.grad.norm()), rel=1e-5)


def test_recursive_supervision_feeds_every_state_directly():
    torch.manual_seed(0)
    model = DRCN(recursions=6, filters=8)
    prof = gradient_profile(model, *batch(), alpha=1.0)
    # each H_d gets its own y_d's gradient plus what comes back from above: it grows downwards
    assert np.all(np.diff(prof.state) < 0) and prof.ratio() > 1.0


def test_alpha_does_not_matter_for_the_basic_model():
    model = basic(4)
    a = gradient_profile(model, *batch(), alpha=0.0)
    b = gradient_profile(model, *batch(), alpha=1.0)
    np.testing.assert_allclose(a.state, b.state)
    assert a.loss == pytest.approx(b.loss)


def test_profile_leaves_gradients_and_mode_as_they_were():
    model = basic(3)
    model.eval()
    marker = torch.full_like(model.embed.conv1.weight, 7.0)
    model.embed.conv1.weight.grad = marker
    gradient_profile(model, *batch())
    assert model.embed.conv1.weight.grad is marker
    assert model.infer.conv.weight.grad is None
    assert not model.training


def test_profile_refuses_other_models_and_inits():
    with pytest.raises(TypeError, match="needs a DRCN"):
        gradient_profile(SRCNN(), *batch())
    with pytest.raises(ValueError, match="'identity', 'he'"):
        set_recursive_init(basic(2), "zeros")


def test_he_init_breaks_the_identity():
    model = set_recursive_init(basic(3), "he", seed=3)
    w = model.infer.conv.weight
    assert int((w != 0).sum()) > w.shape[0]
    again = set_recursive_init(basic(3), "he", seed=3)
    assert torch.equal(w, again.infer.conv.weight)


def test_training_batch_is_fixed_and_shaped(monkeypatch, tmp_path):
    from drcn_lib.settings import REPO_ROOT

    shared = REPO_ROOT.parent / "shared" / "data"
    if shared.is_dir():
        monkeypatch.setenv("DRCN_DATA", str(shared))
    monkeypatch.setenv("DRCN_CACHE", str(tmp_path))
    x, y = training_batch(n=5, patch=21, stride=21)
    x2, _ = training_batch(n=5, patch=21, stride=21)
    assert x.shape == y.shape == (5, 1, 21, 21) and x.dtype == torch.float32
    assert torch.equal(x, x2)
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0
