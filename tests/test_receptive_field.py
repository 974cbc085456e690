"""The receptive field of DRCN: the paper's 41x41 at D = 16, measured by back-propagation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from drcn_lib.course.receptive_field import (
    conv_depth,
    dependence_map,
    depth_summary,
    depth_table,
    drcn_parameter_count,
    measured_receptive_field,
    plain_cnn_parameter_count,
    receptive_field,
)
from drcn_lib.errors import DRCNError
from drcn_lib.model import DRCN, SRCNN


def test_paper_statement_20_conv_layers_and_41_by_41_at_16_recursions() -> None:
    # DRCN, Sec. 4.1: "the longest chain ... passes 20 conv. layers (receptive field of 41 by 41)"
    assert conv_depth(16) == 20
    assert receptive_field(16) == 41


@pytest.mark.parametrize("d", [1, 2, 6, 11, 16])
def test_measured_receptive_field_equals_the_formula(d: int) -> None:
    net = DRCN(recursions=d, filters=2)
    assert measured_receptive_field(net) == receptive_field(d) == 2 * (d + 4) + 1


def test_intermediate_output_d_sees_what_d_recursions_see() -> None:
    net = DRCN(recursions=8, filters=2)
    assert [measured_receptive_field(net, output=d) for d in (1, 4, 8)] == [11, 17, 25]
    with pytest.raises(DRCNError, match="1..8"):
        measured_receptive_field(net, output=9)


def test_dependence_is_the_full_square_centred_on_the_pixel() -> None:
    mask = dependence_map(DRCN(recursions=3, filters=2), size=21)
    rows, cols = np.nonzero(mask)
    assert mask.sum() == 15 * 15  # every pixel of the 15x15 square, nothing outside
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (3, 17, 3, 17)


def test_identity_initialised_recursion_adds_no_view_until_trained() -> None:
    torch.manual_seed(0)
    net = DRCN(recursions=10, filters=16)  # f2 starts as the identity map
    assert measured_receptive_field(net, wiring=False) == 9  # f1 + f3: 4 convs
    with torch.no_grad():
        net.infer.conv.weight.add_(0.01)  # any non-identity W spreads the view
    assert measured_receptive_field(net, wiring=False) == receptive_field(10)


def test_srcnn_sees_13_by_13() -> None:
    assert measured_receptive_field(SRCNN()) == 9 + 1 + 5 - 2


def test_measuring_leaves_the_model_untouched() -> None:
    net = DRCN(recursions=2, filters=2)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    measured_receptive_field(net)
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert next(net.parameters()).dtype == torch.float32


@pytest.mark.parametrize("d", [1, 5, 16])
def test_parameter_counts_match_built_networks(d: int) -> None:
    f = 6
    built = sum(p.numel() for p in DRCN(recursions=d, filters=f).parameters())
    assert drcn_parameter_count(d, f) == built
    # a plain CNN of the same depth: 1 -> F, (D + 2) x F -> F, F -> 1, all 3x3 with bias
    plain = [nn.Conv2d(1, f, 3), *[nn.Conv2d(f, f, 3) for _ in range(d + 2)], nn.Conv2d(f, 1, 3)]
    assert plain_cnn_parameter_count(d, f) == sum(p.numel() for c in plain for p in c.parameters())


def test_summary_and_table() -> None:
    s = depth_summary(16, filters=256)
    assert (s.conv_layers, s.receptive_field, s.parameters) == (20, 41, 1_775_105 + 16)
    table = depth_table(range(1, 17)).splitlines()
    assert len(table) == 2 + 16
    assert table[-1].startswith("| 16 | 20 | 41x41 | 1,775,121 |")


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "16"])
def test_bad_recursions_are_refused_with_the_valid_range(bad: object) -> None:
    with pytest.raises(DRCNError, match="positive integer"):
        receptive_field(bad)  # type: ignore[arg-type]
