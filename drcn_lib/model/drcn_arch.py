"""DRCN: Deeply-Recursive Convolutional Network (Kim, Lee & Lee, CVPR 2016).

The network takes the bicubic-interpolated low-resolution Y channel x (N x 1 x H x W, [0, 1]) and
returns every intermediate prediction and their ensemble (Section 3.2, Figure 3):

    H_0 = f1(x);  H_d = g(H_{d-1}) for d = 1..D           (f2, one shared conv + ReLU)
    y_d = f3(H_d) + x                                      (f3 shared, skip added to EVERY y_d)
    y   = sum_d w_d * y_d                                  (w_d learned, initialised to 1/D)

Switches used by the ablation lessons: ``recursive_supervision=False`` gives the basic model
(y = y_D, no w_d), ``skip=False`` drops "+ x". The number of convolution parameters does not
depend on D (:func:`conv_parameter_count`); only the D scalars w_d do.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from drcn_lib.model.outputs import SROutput
from drcn_lib.model.subnets import EmbeddingNet, InferenceNet, ReconstructionNet

ReconStrategy = Literal["batched", "loop"]
RECON_STRATEGIES: tuple[str, ...] = ("batched", "loop")


def conv_parameter_count(filters: int, channels: int = 1) -> int:
    """Weights + biases of f1, f2 and f3 for F filters: independent of the recursion depth D.

    f1: (C*9*F + F) + (F*9*F + F); f2: F*9*F + F; f3: (F*9*F + F) + (F*9*C + C).
    """
    f, c = filters, channels
    f1 = (c * 9 * f + f) + (f * 9 * f + f)
    f2 = f * 9 * f + f
    f3 = (f * 9 * f + f) + (f * 9 * c + c)
    return f1 + f2 + f3


class DRCN(nn.Module):
    """DRCN with the paper's defaults: 256 filters, 16 recursions, one channel (Y)."""

    def __init__(
        self,
        recursions: int = 16,
        filters: int = 256,
        channels: int = 1,
        skip: bool = True,
        recursive_supervision: bool = True,
        recon_strategy: ReconStrategy = "batched",
    ) -> None:
        super().__init__()
        if filters < 1 or channels < 1:
            raise ValueError(f"filters and channels must be >= 1, got {filters}, {channels}")
        self.recursions = recursions
        self.filters = filters
        self.channels = channels
        self.skip = skip
        self.recursive_supervision = recursive_supervision
        self.recon_strategy = recon_strategy
        self.embed = EmbeddingNet(channels, filters)  # f1
        self.infer = InferenceNet(filters, recursions)  # f2
        self.reconstruct = ReconstructionNet(filters, channels)  # f3
        if recursive_supervision:
            self.ensemble_weights = nn.Parameter(torch.full((recursions,), 1.0 / recursions))
        else:
            self.register_parameter("ensemble_weights", None)

    @property
    def recon_strategy(self) -> ReconStrategy:
        return self._recon_strategy

    @recon_strategy.setter
    def recon_strategy(self, value: ReconStrategy) -> None:
        if value not in RECON_STRATEGIES:
            raise ValueError(f"recon_strategy {value!r} is not one of {RECON_STRATEGIES}")
        self._recon_strategy = value

    def config(self) -> dict[str, object]:
        """The constructor arguments that define the weights' shapes and meaning (for sidecars)."""
        return {
            "arch": "drcn",
            "recursions": self.recursions,
            "filters": self.filters,
            "channels": self.channels,
            "skip": self.skip,
            "recursive_supervision": self.recursive_supervision,
        }

    def reconstruct_all(self, states: list[torch.Tensor]) -> torch.Tensor:
        """f3 on every H_d, D x N x C x H x W.

        "batched" runs f3 once on the D maps stacked along the batch axis (fewer, larger kernels,
        which wins on GPUs); "loop" calls it D times (which measured faster on some CPUs).
        Both compute the same values; the engine picks one by a timed probe.
        """
        if self._recon_strategy == "batched":
            n = states[0].shape[0]
            stacked = torch.cat(states, dim=0)
            res = self.reconstruct(stacked)
            return res.reshape(len(states), n, *res.shape[1:])
        return torch.stack([self.reconstruct(h) for h in states])

    def iter_outputs(self, x: torch.Tensor, recursions: int | None = None):  # noqa: ANN201
        """Yield y_1, y_2, ... one at a time, keeping only H_d alive (for memory-lean inference).

        Same values as ``forward(x).outputs`` but the memory does not grow with D, which is what
        lets a 256-filter model upscale a 2K image. Use under ``torch.no_grad()``.
        """
        h = self.embed(x)
        for _ in range(self.recursions if recursions is None else recursions):
            h = self.infer.conv(h).relu_()  # in place: one fewer full-size map alive
            y = self.reconstruct(h)
            yield y + x if self.skip else y

    def forward(self, x: torch.Tensor) -> SROutput:
        states = self.infer(self.embed(x))  # [H_1, ..., H_D]
        if not self.recursive_supervision:
            y = self.reconstruct(states[-1])
            if self.skip:
                y = y + x
            return SROutput(outputs=y.unsqueeze(0), ensemble=y)
        outputs = self.reconstruct_all(states)
        if self.skip:
            outputs = outputs + x.unsqueeze(0)
        w = self.ensemble_weights.to(outputs.dtype).view(-1, *([1] * (outputs.dim() - 1)))
        ensemble = (w * outputs).sum(dim=0)
        return SROutput(outputs=outputs, ensemble=ensemble)
