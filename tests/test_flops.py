"""DRCN's multiply-add count: by hand, and against PyTorch's own FLOP counter."""

import pytest
import torch
from study_fixtures import load_script
from torch.utils.flop_counter import FlopCounterMode

from drcn_lib.engine.unfolding import UnfoldedDRCN
from drcn_lib.model import DRCN

_flops = load_script("benchmarks", "flops")
drcn_forward_flops = _flops.drcn_forward_flops
drcn_macs_per_pixel = _flops.drcn_macs_per_pixel
drcn_train_step_flops = _flops.drcn_train_step_flops


def test_hand_count_tiny_model():
    # F=2, C=1, D=1: f1 = 1*2*9 + 2*2*9 = 54, f2 = 36, f3 = 36 + 2*1*9 = 54
    assert drcn_macs_per_pixel(filters=2, recursions=1, channels=1) == 144


def test_paper_model_count():
    # 9*256*(1 + 256) for f1, 16*9*256^2 for f2, 16*(9*256^2 + 9*256) for f3
    assert drcn_macs_per_pixel(256, 16) == 19_503_360


def test_basic_model_reconstructs_once():
    f, d = 8, 5
    with_rs = drcn_macs_per_pixel(f, d)
    basic = drcn_macs_per_pixel(f, d, recursive_supervision=False)
    assert with_rs - basic == (d - 1) * (9 * f * f + 9 * f)


def test_step_is_three_forwards_of_two_flops_per_mac():
    macs = drcn_macs_per_pixel(16, 4)
    assert drcn_forward_flops(3, 5, 7, 16, 4) == 2 * macs * 3 * 5 * 7
    assert drcn_train_step_flops(3, 5, 7, 16, 4) == 3 * drcn_forward_flops(3, 5, 7, 16, 4)


@pytest.mark.parametrize("rs", [True, False])
@pytest.mark.parametrize("strategy", ["batched", "loop"])
def test_matches_torch_flop_counter(rs, strategy):
    f, d, n, h, w = 8, 3, 2, 10, 12
    torch.manual_seed(0)
    model = UnfoldedDRCN(DRCN(recursions=d, filters=f, recursive_supervision=rs), strategy)
    x = torch.rand(n, 1, h, w)
    with FlopCounterMode(display=False) as fwd:
        model(x)
    assert fwd.get_total_flops() == drcn_forward_flops(n, h, w, f, d, recursive_supervision=rs)

    with FlopCounterMode(display=False) as both:
        model(x).ensemble.sum().backward()
    # The exact backward skips one product: the gradient of the image itself (x needs none),
    # which is f1's first conv, 9*C*F MACs per pixel.
    skipped = 2 * 9 * 1 * f * n * h * w
    step = drcn_train_step_flops(n, h, w, f, d, recursive_supervision=rs)
    assert both.get_total_flops() == step - skipped


def test_rejects_nonsense_sizes():
    with pytest.raises(ValueError, match="filters, recursions and channels"):
        drcn_macs_per_pixel(filters=0)
