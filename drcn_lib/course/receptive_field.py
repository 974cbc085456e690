"""How much of the input one output pixel of DRCN sees, as a function of the recursions D.

The paper (Section 4.1, Training Setup): "We use 16 recursions unless stated otherwise. When
unfolded, the longest chain from the input to the output passes 20 conv. layers (receptive
field of 41 by 41)." The 20 layers are every 3x3 convolution on the path x -> y_D:

    f1: 2 convs (the embedding net)  +  f2: D convs (one shared conv, unfolded)  +
    f3: 2 convs (the reconstruction net)  =  D + 4 convs,

and each 3x3 conv with stride 1 widens the view by 2 pixels, so the receptive field is
``2 * (D + 4) + 1`` pixels square: 41 x 41 at D = 16, 21 x 21 at D = 6, 11 x 11 at D = 1.
The skip connection (+ x) adds only the centre pixel, and the ensemble sees what y_D sees.

Formulas alone can be wrong, so :func:`measured_receptive_field` measures it: it back-propagates
ONE output pixel to the input and takes the bounding box of the non-zero gradient. To measure the
wiring rather than the current weights, it uses a copy whose convolutions all average their
inputs with positive weights (every ReLU open, no cancellations); with ``wiring=False`` it uses
the model's own weights, which shows that an identity-initialised f2 passes the signal through
unchanged and the freshly built network really looks at only 9 x 9 pixels (f1 and f3).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from drcn_lib.errors import DRCNError
from drcn_lib.model.drcn_arch import DRCN, conv_parameter_count

#: Kernel size of every DRCN convolution, and how many of them f1 and f3 hold.
KERNEL_SIZE = 3
EMBEDDING_CONVS = 2
RECONSTRUCTION_CONVS = 2


def _check_recursions(recursions: int) -> int:
    if isinstance(recursions, bool) or not isinstance(recursions, (int, np.integer)) \
            or recursions < 1:
        raise DRCNError(f"recursions D must be a positive integer (the paper uses 1..16); "
                        f"got {recursions!r}")
    return int(recursions)


def conv_depth(recursions: int) -> int:
    """3x3 convolutions on the longest input-to-output chain: D + 4 (20 at D = 16)."""
    return EMBEDDING_CONVS + _check_recursions(recursions) + RECONSTRUCTION_CONVS


def receptive_field(recursions: int, kernel_size: int = KERNEL_SIZE) -> int:
    """Side in pixels of the square one output pixel of y_D (and the ensemble) depends on.

    ``(kernel_size - 1) * (D + 4) + 1``: 41 for the paper's D = 16, as its Section 4.1 states.
    """
    return (kernel_size - 1) * conv_depth(recursions) + 1


def drcn_parameter_count(recursions: int, filters: int, channels: int = 1) -> int:
    """Parameters of ``DRCN(recursions, filters)`` with recursive supervision: the convs of f1,
    f2, f3 (independent of D) plus the D ensemble weights w_d."""
    return conv_parameter_count(filters, channels) + _check_recursions(recursions)


def plain_cnn_parameter_count(recursions: int, filters: int, channels: int = 1) -> int:
    """Parameters of a plain CNN as deep as DRCN (D + 4 distinct 3x3 convs, like VDSR's 20):
    the D convs of f2 each get their own weights instead of sharing one."""
    per_conv = filters * 9 * filters + filters
    return conv_parameter_count(filters, channels) + (_check_recursions(recursions) - 1) * per_conv


@dataclass(frozen=True)
class DepthSummary:
    """What D recursions buy and cost: depth, view and parameters (DRCN and a plain CNN)."""

    recursions: int
    conv_layers: int
    receptive_field: int
    parameters: int
    plain_parameters: int


def depth_summary(recursions: int, filters: int = 256, channels: int = 1) -> DepthSummary:
    """The :class:`DepthSummary` of a DRCN with ``recursions`` and ``filters``."""
    return DepthSummary(
        recursions=_check_recursions(recursions),
        conv_layers=conv_depth(recursions),
        receptive_field=receptive_field(recursions),
        parameters=drcn_parameter_count(recursions, filters, channels),
        plain_parameters=plain_cnn_parameter_count(recursions, filters, channels),
    )


def depth_table(depths: range | list[int], filters: int = 256) -> str:
    """A Markdown table of :func:`depth_summary` for each D (display with IPython's Markdown)."""
    lines = [
        "| D | conv layers | receptive field | DRCN parameters | plain CNN parameters |",
        "|---:|---:|---:|---:|---:|",
    ]
    for d in depths:
        s = depth_summary(d, filters)
        lines.append(f"| {s.recursions} | {s.conv_layers} | {s.receptive_field}x"
                     f"{s.receptive_field} | {s.parameters:,} | {s.plain_parameters:,} |")
    return "\n".join(lines)


def _wiring_copy(model: nn.Module) -> nn.Module:
    """A float64 copy whose convs average their inputs (weights 1/(k*k*C_in), bias 0) and whose
    ensemble weights are 1/D: every activation of a positive input is positive, so every ReLU is
    open and the gradient is non-zero exactly where the architecture connects."""
    probe = copy.deepcopy(model).double()
    with torch.no_grad():
        for m in probe.modules():
            if isinstance(m, nn.Conv2d):
                kh, kw = m.kernel_size
                m.weight.fill_(1.0 / (kh * kw * m.in_channels // m.groups))
                if m.bias is not None:
                    m.bias.zero_()
        w = getattr(probe, "ensemble_weights", None)
        if isinstance(w, torch.Tensor):
            w.fill_(1.0 / w.numel())
    return probe


def _default_size(model: nn.Module) -> int:
    if isinstance(model, DRCN):
        return receptive_field(model.recursions) + 10
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    return sum(m.kernel_size[0] - 1 for m in convs) + 11


def dependence_map(
    model: nn.Module,
    output: int | None = None,
    size: int | None = None,
    wiring: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """Which input pixels the centre output pixel depends on: bool ``size`` x ``size``.

    Args:
        model: any course model whose forward returns an ``SROutput`` (DRCN, SRCNN) on
            N x C x H x W input.
        output: ``None`` for the final prediction (the ensemble), ``d`` for y_d (1-based).
        size: side of the square test input (default: a margin larger than the receptive field,
            so zero padding at the border cannot hide anything).
        wiring: measure the architecture (positive averaging copy, see module doc) rather than
            the model's current weights.
        seed: seed of the random [0, 1] input used when ``wiring=False``.
    """
    size = _default_size(model) if size is None else int(size)
    probe = _wiring_copy(model) if wiring else copy.deepcopy(model).double()
    probe.eval()
    channels = next(m for m in probe.modules() if isinstance(m, nn.Conv2d)).in_channels
    if wiring:
        x = torch.ones(1, channels, size, size, dtype=torch.float64)
    else:
        gen = torch.Generator().manual_seed(seed)
        x = torch.rand(1, channels, size, size, generator=gen, dtype=torch.float64)
    x.requires_grad_(True)
    out = probe(x)
    if output is None:
        y = out.ensemble
    else:
        d_max = out.outputs.shape[0]
        if isinstance(output, bool) or not 1 <= int(output) <= d_max:
            raise DRCNError(f"output must be None (ensemble) or d in 1..{d_max}; got {output!r}")
        y = out.outputs[int(output) - 1]
    y[0, 0, size // 2, size // 2].backward()
    assert x.grad is not None
    return (x.grad[0].abs().sum(dim=0) > 0).numpy()


def measured_receptive_field(
    model: nn.Module, output: int | None = None, wiring: bool = True, seed: int = 0
) -> int:
    """Side of the bounding box of :func:`dependence_map`: the receptive field, measured."""
    mask = dependence_map(model, output=output, wiring=wiring, seed=seed)
    rows, cols = np.nonzero(mask)
    return int(max(rows.max() - rows.min(), cols.max() - cols.min()) + 1)
