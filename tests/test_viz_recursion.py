"""viz.recursion: the unfolded graph, the receptive-field figure and the state norms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drcn_lib.errors import DRCNError
from drcn_lib.model import InferenceNet
from drcn_lib.viz import recursion as vr


def _texts(fig) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def test_unfolded_graph_draws_one_g_per_recursion_and_one_shared_w() -> None:
    fig = vr.draw_unfolded(3)
    texts = _texts(fig)
    assert [t for t in texts if t.startswith("$g$")] == [f"$g$\n(d={d})" for d in (1, 2, 3)]
    assert sum("shared" in t for t in texts) == 1
    assert "7 conv layers" in fig.axes[0].get_title()


def test_long_unfolding_is_elided_but_keeps_the_last_recursion() -> None:
    fig = vr.draw_unfolded(16, max_shown=6)
    g_boxes = [t for t in _texts(fig) if t.startswith("$g$")]
    assert g_boxes[-1] == "$g$\n(d=16)" and len(g_boxes) == 5
    assert "..." in _texts(fig)
    assert "20 conv layers" in fig.axes[0].get_title()


def test_recursive_supervision_view_labels_every_output() -> None:
    texts = _texts(vr.draw_unfolded(3, outputs="all"))
    assert {"$y_{1}$", "$y_{2}$", "$y_{3}$"} <= set(texts)
    with pytest.raises(DRCNError, match="'last' or 'all'"):
        vr.draw_unfolded(3, outputs="some")


def test_receptive_field_figure_states_depth_view_and_parameters() -> None:
    img = np.random.default_rng(0).integers(0, 256, (70, 80, 3), dtype=np.uint8)
    fig = vr.receptive_field_figure(img, 16, filters=256)
    title = fig.get_suptitle()
    assert "20 conv layers" in title and "41x41" in title and "1,775,121" in title


def test_identity_recursion_keeps_every_state_equal_to_h0() -> None:
    torch.manual_seed(0)
    f2 = InferenceNet(filters=4, recursions=5)
    h0 = torch.rand(1, 4, 9, 9)
    trace = vr.state_trace(f2, h0)
    np.testing.assert_allclose(trace.norm, np.ones(5))
    np.testing.assert_array_equal(trace.drift, np.zeros(5))
    with torch.no_grad():
        f2.conv.weight.mul_(2.0)  # W = 2 I: H_d = 2^d H_0
    trace = vr.state_trace(f2, h0)
    np.testing.assert_allclose(trace.norm, 2.0 ** np.arange(1, 6), rtol=1e-5)
    np.testing.assert_allclose(trace.drift, 2.0 ** np.arange(1, 6) - 1, rtol=1e-5)
    fig = vr.state_trace_figure({"identity": trace})
    assert len(fig.axes) == 2
    with pytest.raises(DRCNError, match="all zeros"):
        vr.state_trace(f2, torch.zeros(1, 4, 9, 9))


def test_ensemble_weights_figure_states_the_largest_weight_and_the_sum() -> None:
    from drcn_lib.viz.recursion import ensemble_weights_figure

    fig = ensemble_weights_figure(torch.tensor([0.5, -0.2, 0.7]))
    title = fig.axes[0].get_title()
    assert "w_3 is the largest (0.70)" in title and "sum to 1.00" in title
    assert not any("1/D" in t.get_text() for t in fig.axes[0].texts)
