"""DRCN's structure, checked against the paper and against known re-implementation bugs."""

from __future__ import annotations

import json

import pytest
import torch

from drcn_lib.errors import CheckpointError
from drcn_lib.model import DRCN, SRCNN, InferenceNet, conv_parameter_count, model_from_config
from drcn_lib.model.subnets import identity_init_


def small(**kw) -> DRCN:
    torch.manual_seed(0)
    return DRCN(**{"recursions": 4, "filters": 8, **kw})


def test_shapes_of_every_output():
    out = small()(torch.rand(2, 1, 13, 17))
    assert out.outputs.shape == (4, 2, 1, 13, 17)
    assert out.ensemble.shape == (2, 1, 13, 17)


@pytest.mark.parametrize("d", [1, 6, 11, 16])
def test_conv_parameters_do_not_grow_with_depth(d):
    net = DRCN(recursions=d, filters=16)
    total = sum(p.numel() for p in net.parameters())
    assert total == conv_parameter_count(16) + d  # only the D ensemble weights w_d grow


def test_parameter_formula_matches_paper_scale():
    # by hand: f1 (9*256 + 256) + (256*9*256 + 256), f2 256*9*256 + 256,
    # f3 (256*9*256 + 256) + (256*9 + 1)
    assert conv_parameter_count(256) == 2_560 + 3 * 590_080 + 2_305


def test_recursion_shares_one_convolution():
    net = small(recursions=7)
    convs = [m for m in net.infer.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 1


def test_recursion_init_is_identity():
    conv = identity_init_(torch.nn.Conv2d(5, 5, 3, padding=1))
    h = torch.rand(1, 5, 9, 9)
    assert torch.equal(torch.relu(conv(h)), h)
    assert int((conv.weight != 0).sum()) == 5 and not conv.bias.any()


def test_every_recursion_returns_a_different_state():
    torch.manual_seed(0)
    f2 = InferenceNet(filters=8, recursions=5)
    torch.nn.init.normal_(f2.conv.weight, std=0.2)
    states = f2(torch.rand(1, 8, 10, 10))
    assert len(states) == 5
    for a, b in zip(states, states[1:], strict=False):
        assert not torch.equal(a, b)


def test_output_d_comes_from_state_d_plus_skip():
    net = small()
    torch.nn.init.normal_(net.infer.conv.weight, std=0.2)
    x = torch.rand(1, 1, 12, 12)
    states = net.infer(net.embed(x))
    out = net(x)
    for d in range(4):  # y_d = f3(H_d) + x, H_d after d + 1 applications (0-based d)
        torch.testing.assert_close(out.outputs[d], net.reconstruct(states[d]) + x)


def test_skip_added_to_every_output_not_only_the_sum():
    net, x = small(), torch.rand(1, 1, 12, 12)
    with_skip = net(x)
    net.skip = False
    without = net(x)
    for d in range(4):
        torch.testing.assert_close(with_skip.outputs[d] - without.outputs[d], x.expand_as(x))


def test_ensemble_is_weighted_sum_and_weights_learn():
    net, x = small(), torch.rand(2, 1, 10, 10)
    with torch.no_grad():
        net.ensemble_weights.copy_(torch.tensor([0.1, 0.2, 0.3, 0.4]))
    out = net(x)
    expected = sum(w * o for w, o in zip(net.ensemble_weights, out.outputs, strict=False))
    torch.testing.assert_close(out.ensemble, expected)
    out.ensemble.mean().backward()
    assert net.ensemble_weights.grad is not None and net.ensemble_weights.grad.abs().sum() > 0
    assert "ensemble_weights" in net.state_dict()  # saved with the weights


def test_basic_model_without_recursive_supervision_uses_last_state():
    net, x = small(recursive_supervision=False), torch.rand(1, 1, 9, 9)
    out = net(x)
    assert out.outputs.shape[0] == 1 and net.ensemble_weights is None
    torch.testing.assert_close(out.ensemble, net.reconstruct(net.infer(net.embed(x))[-1]) + x)


def test_reconstruction_is_linear_at_the_output():
    net = small()
    h = torch.full((1, 8, 6, 6), 1.0)
    with torch.no_grad():
        net.reconstruct.conv2.bias.fill_(-5.0)
    assert (net.reconstruct(h) < 0).any()  # no ReLU clamps the residual


def test_the_model_holds_only_the_papers_pieces():
    net = small()
    assert {n for n, _ in net.named_children()} == {"embed", "infer", "reconstruct"}
    assert [n for n, _ in net.named_parameters() if "." not in n] == ["ensemble_weights"]
    assert net.ensemble_weights.tolist() == pytest.approx([1 / 4] * 4)  # w_d start at 1/D


def test_srcnn_shape_and_config_round_trip():
    net = SRCNN()
    assert net(torch.rand(1, 1, 20, 20)).ensemble.shape == (1, 1, 20, 20)
    n_params = sum(p.numel() for p in net.parameters())
    assert n_params == 9 * 9 * 64 + 64 + 64 * 32 + 32 + 5 * 5 * 32 + 1
    assert isinstance(model_from_config(net.config()), SRCNN)
    assert model_from_config(small().config()).recursions == 4


@pytest.mark.parametrize("key, value", [("recursions", 1000), ("filters", 10**6),
                                        ("recursions", 0), ("filters", "256")])
def test_a_saved_config_asking_for_an_absurd_model_is_refused_before_building_it(
        tmp_path, key, value):
    """A hand-edited sidecar costs a few bytes; the model it names is built before any tensor
    is checked, so D = 1000 took gigabytes and minutes: refused at load, naming the field."""
    from drcn_lib.engine.checkpoint import load_weights, save_weights, sidecar_path

    weights = save_weights(tmp_path / "m.safetensors", DRCN(recursions=2, filters=4), {})
    side = json.loads(sidecar_path(weights).read_text())
    side["model_config"][key] = value
    sidecar_path(weights).write_text(json.dumps(side))
    with pytest.raises(CheckpointError, match=f"{key}={value!r}.*from 1 to"):
        load_weights(weights)
