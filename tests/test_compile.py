"""``TrainConfig.compile``: the compiled forward pass computes what the eager one does."""

from __future__ import annotations

import pytest
import torch

from drcn_lib.engine.compile import compile_available, maybe_compile, wants_compile
from drcn_lib.engine.presets import preset
from drcn_lib.errors import DRCNError
from drcn_lib.loss import drcn_loss
from drcn_lib.model.drcn_arch import DRCN


def test_compile_setting_per_device():
    assert not wants_compile("off", "cuda")
    assert wants_compile("cuda", "cuda") and not wants_compile("cuda", "cpu")
    assert wants_compile("on", "cpu")
    with pytest.raises(DRCNError, match="'off', 'cuda' or 'on'"):
        wants_compile("yes", "cpu")


def test_config_rejects_unknown_compile_setting():
    with pytest.raises(ValueError, match="compile must be one of"):
        preset("smoke", compile="always")


def test_default_is_eager_on_cpu():
    net = DRCN(recursions=2, filters=4)
    assert maybe_compile(net, preset("smoke").compile, "default", "cpu") is net
    assert maybe_compile(net, preset("gpu").compile, "default", "cpu") is net


def test_growing_depth_and_compile_are_refused():
    with pytest.raises(DRCNError, match="recompiles at every new D"):
        maybe_compile(DRCN(recursions=2, filters=4), "on", "default", "cpu", growing=True)


@pytest.mark.slow
def test_compiled_forward_and_loss_match_eager():
    ok, why = compile_available()
    if not ok:
        pytest.skip(f"torch.compile is not available on this platform: {why}")
    torch.manual_seed(0)
    net = DRCN(recursions=3, filters=4)
    compiled = maybe_compile(net, "on", "default", "cpu", log=lambda _m: None)
    x, y = torch.rand(2, 1, 13, 13), torch.rand(2, 1, 13, 13)
    eager_out, comp_out = net(x), compiled(x)
    torch.testing.assert_close(comp_out.ensemble, eager_out.ensemble, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(comp_out.outputs, eager_out.outputs, rtol=1e-4, atol=1e-5)
    eager_loss = drcn_loss(eager_out, y, 0.5).total
    comp_loss = drcn_loss(comp_out, y, 0.5).total
    torch.testing.assert_close(comp_loss, eager_loss, rtol=1e-4, atol=1e-6)
    g_eager = torch.autograd.grad(eager_loss, net.parameters())
    g_comp = torch.autograd.grad(comp_loss, net.parameters())
    for a, b in zip(g_comp, g_eager, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-6)
