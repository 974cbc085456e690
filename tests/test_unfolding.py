"""The engine's forward of DRCN: the model's function, unfolded to a depth, f3 scheduled."""

from __future__ import annotations

import pytest
import torch

from drcn_lib.engine.growth import start_growth
from drcn_lib.engine.prediction import stream_outputs
from drcn_lib.engine.unfolding import UnfoldedDRCN, unfolded
from drcn_lib.loss import drcn_loss
from drcn_lib.model import DRCN, SRCNN


def small(**kw) -> DRCN:
    torch.manual_seed(0)
    return DRCN(**{"recursions": 4, "filters": 8, **kw})


@pytest.mark.parametrize("rs", [True, False])
def test_loop_is_the_models_own_forward_bit_for_bit(rs):
    net, x = small(recursive_supervision=rs), torch.rand(2, 1, 11, 11)
    a, b = net(x), UnfoldedDRCN(net, "loop")(x)
    assert torch.equal(a.outputs, b.outputs) and torch.equal(a.ensemble, b.ensemble)


@pytest.mark.parametrize("strategy", ["batched", "loop"])
def test_reconstruction_strategies_agree(strategy):
    ref, x = small(), torch.rand(2, 1, 11, 11, requires_grad=True)
    other = UnfoldedDRCN(small(), strategy)
    a, b = ref(x), other(x)
    torch.testing.assert_close(a.outputs, b.outputs)
    ga = torch.autograd.grad(a.ensemble.sum(), ref.infer.conv.weight)[0]
    gb = torch.autograd.grad(b.ensemble.sum(), other.model.infer.conv.weight)[0]
    torch.testing.assert_close(ga, gb, rtol=1e-4, atol=1e-6)


def test_the_wrapper_owns_no_weights_and_leaves_other_models_alone():
    net = small()
    wrapped = UnfoldedDRCN(net)
    assert list(wrapped.parameters()) == list(net.parameters())
    srcnn = SRCNN()
    assert unfolded(srcnn) is srcnn and isinstance(unfolded(net), UnfoldedDRCN)


def test_streamed_outputs_match_forward():
    net, x = small(), torch.rand(1, 1, 10, 10)
    with torch.no_grad():
        torch.testing.assert_close(torch.stack(list(stream_outputs(net, x))), net(x).outputs)
        assert len(list(stream_outputs(net, x, depth=2))) == 2


def test_bad_strategy_is_named():
    with pytest.raises(ValueError, match="recon_strategy 'fast'"):
        UnfoldedDRCN(small(), "fast")


def test_growing_preserves_the_function_and_unused_weights_stay_zero():
    torch.manual_seed(0)
    model = DRCN(recursions=5, filters=8)
    start_growth(model, 2)
    assert model.ensemble_weights.tolist() == pytest.approx([0.5, 0.5, 0, 0, 0])
    net = UnfoldedDRCN(model, depth=2)
    x = torch.rand(3, 1, 12, 12)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(5):
        out = net(x)
        assert out.outputs.shape[0] == 2
        opt.zero_grad()
        drcn_loss(out, x.flip(-1), alpha=0.5).total.backward()
        opt.step()
    assert torch.count_nonzero(model.ensemble_weights[2:]) == 0
    with torch.no_grad():
        before = net(x).ensemble
        net.depth = 3
        after = net(x)
    assert after.outputs.shape[0] == 3
    torch.testing.assert_close(after.ensemble, before)
    with torch.no_grad():
        assert model(x).outputs.shape[0] == 5  # the model itself always unfolds all D
    with pytest.raises(ValueError, match="1..5"):
        start_growth(model, 6)
