"""The three sub-networks of DRCN (Kim, Lee & Lee, CVPR 2016, Section 3.1, Figure 2).

Each is a separate ``nn.Module`` so that a lesson can build and inspect one idea at a time:

- f1, :class:`EmbeddingNet`: two 3x3 convolutions with ReLU that turn the interpolated input into
  the feature map H_0;
- f2, :class:`InferenceNet`: ONE 3x3 convolution + ReLU applied D times with shared weights,
  H_d = g(H_{d-1}); it returns every H_1..H_D because recursive supervision needs them all;
- f3, :class:`ReconstructionNet`: two 3x3 convolutions, the last one linear (no ReLU: the
  predicted residual may be negative), shared by all D recursions.

Tensors are float N x C x H x W; nothing here knows about images, data or training.
"""

from __future__ import annotations

import torch
from torch import nn


def he_init_(conv: nn.Conv2d) -> nn.Conv2d:
    """He et al. (2015) normal init for a conv followed by ReLU, biases zero (paper, Sec. 4.1)."""
    nn.init.kaiming_normal_(conv.weight, mode="fan_in", nonlinearity="relu")
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return conv


def identity_init_(conv: nn.Conv2d) -> nn.Conv2d:
    """Make a square 3x3 conv the identity map: each channel connects only to itself, centre tap 1.

    The paper initialises the recursive layer this way so that, at the start, unfolding it D
    times neither shrinks nor blows up the signal (for non-negative inputs ReLU(I h) = h).
    """
    if conv.in_channels != conv.out_channels:
        raise ValueError(
            f"identity init needs in_channels == out_channels, got "
            f"{conv.in_channels} -> {conv.out_channels}"
        )
    kh, kw = conv.kernel_size
    with torch.no_grad():
        conv.weight.zero_()
        idx = torch.arange(conv.out_channels)
        conv.weight[idx, idx, kh // 2, kw // 2] = 1.0
        if conv.bias is not None:
            conv.bias.zero_()
    return conv


class EmbeddingNet(nn.Module):
    """f1: input (N x channels x H x W) to H_0 (N x filters x H x W)."""

    def __init__(self, channels: int = 1, filters: int = 256) -> None:
        super().__init__()
        self.conv1 = he_init_(nn.Conv2d(channels, filters, 3, padding=1))
        self.conv2 = he_init_(nn.Conv2d(filters, filters, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv2(torch.relu(self.conv1(x))))


class InferenceNet(nn.Module):
    """f2: one shared conv + ReLU, unfolded ``recursions`` times.

    ``forward`` returns the list [H_1, ..., H_D]; H_d is the map after d applications, so
    ``forward(h0)[d - 1]`` feeds output d (an off-by-one here is a classic re-implementation bug).
    """

    def __init__(self, filters: int = 256, recursions: int = 16) -> None:
        super().__init__()
        if recursions < 1:
            raise ValueError(f"recursions must be >= 1, got {recursions}")
        self.recursions = recursions
        self.conv = identity_init_(nn.Conv2d(filters, filters, 3, padding=1))

    def forward(self, h0: torch.Tensor, recursions: int | None = None) -> list[torch.Tensor]:
        steps = self.recursions if recursions is None else recursions
        states: list[torch.Tensor] = []
        h = h0
        for _ in range(steps):
            h = torch.relu(self.conv(h))
            states.append(h)
        return states


class ReconstructionNet(nn.Module):
    """f3: H_d (N x filters x H x W) to a residual image (N x channels x H x W), linear output."""

    def __init__(self, filters: int = 256, channels: int = 1) -> None:
        super().__init__()
        self.conv1 = he_init_(nn.Conv2d(filters, filters, 3, padding=1))
        self.conv2 = nn.Conv2d(filters, channels, 3, padding=1)
        # The output layer has no ReLU after it, so He's gain for ReLU does not apply.
        nn.init.kaiming_normal_(self.conv2.weight, mode="fan_in", nonlinearity="linear")
        nn.init.zeros_(self.conv2.bias)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.conv2(torch.relu(self.conv1(h)))
