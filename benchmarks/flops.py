"""How much arithmetic DRCN does: convolution multiply-adds, counted from the architecture.

Every convolution of DRCN is 3x3, stride 1, zero-padded to keep the size (paper, Sec. 3.1), so
each costs ``9 * C_in * C_out`` multiply-adds (MACs) per output pixel, whatever the image size.
Per pixel, with F filters, C channels and D recursions:

    f1 (embedding):       9*C*F + 9*F*F        two convs
    f2 (inference):       D * 9*F*F            ONE conv, applied D times
    f3 (reconstruction):  R * (9*F*F + 9*F*C)  two convs, applied R = D times with recursive
                                               supervision (every H_d), once without it

Walking ``model.modules()`` and adding up each ``nn.Conv2d`` once would miss the recursion (f2
and f3 are single modules run D times), which is why the count is written out here.
Biases, ReLUs, the skip additions and the ensemble sum are not counted (they are a few adds per
pixel against millions of MACs), the convention of ``torch.utils.flop_counter``.

FLOPs are 2 per MAC (one multiply, one add). A training step is counted as 3 forward passes
(forward, plus gradients with respect to the inputs and the weights), the usual convention; the
exact backward is slightly cheaper because f1's first conv needs no gradient for the image.
"""

from __future__ import annotations


def drcn_macs_per_pixel(
    filters: int = 256,
    recursions: int = 16,
    channels: int = 1,
    recursive_supervision: bool = True,
) -> int:
    """Convolution multiply-adds of one DRCN forward pass per output pixel (see module doc).

    The paper's model (F = 256, D = 16, C = 1) does 19,503,360 MACs per pixel.
    """
    if filters < 1 or recursions < 1 or channels < 1:
        raise ValueError(
            f"filters, recursions and channels must be >= 1, got {filters}, {recursions}, "
            f"{channels}"
        )
    f, d, c = filters, recursions, channels
    f1 = 9 * c * f + 9 * f * f
    f2 = d * 9 * f * f
    f3 = (d if recursive_supervision else 1) * (9 * f * f + 9 * f * c)
    return f1 + f2 + f3


def drcn_forward_flops(
    batch: int,
    height: int,
    width: int,
    filters: int = 256,
    recursions: int = 16,
    channels: int = 1,
    recursive_supervision: bool = True,
) -> int:
    """FLOPs (2 per MAC) of one forward pass on a batch x C x height x width input."""
    macs = drcn_macs_per_pixel(filters, recursions, channels, recursive_supervision)
    return 2 * macs * batch * height * width


def drcn_train_step_flops(
    batch: int,
    height: int,
    width: int,
    filters: int = 256,
    recursions: int = 16,
    channels: int = 1,
    recursive_supervision: bool = True,
) -> int:
    """FLOPs of one training step by the usual convention: 3 x the forward pass."""
    return 3 * drcn_forward_flops(
        batch, height, width, filters, recursions, channels, recursive_supervision
    )
