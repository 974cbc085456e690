"""DRCN: Deeply-Recursive Convolutional Network (Kim, Lee & Lee, CVPR 2016).

The network takes the bicubic-interpolated low-resolution Y channel x (N x 1 x H x W, [0, 1]) and
returns every intermediate prediction and their ensemble (Section 3.2, Figure 3):

    H_0 = f1(x);  H_d = g(H_{d-1}) for d = 1..D           (f2, one shared conv + ReLU)
    y_d = f3(H_d) + x                                      (f3 shared, skip added to EVERY y_d)
    y   = sum_d w_d * y_d                                  (w_d learned)

The paper says the w_d are learned and gives no starting value; here a new model starts them
at 1/D (the ensemble starts as the mean of the y_d). The shipped weights were trained with the
depth grown from 1 (``engine/growth.py``), which starts them at w_1 = 1 and every other w_d = 0.

Switches used by the ablation lessons: ``recursive_supervision=False`` gives the basic model
(y = y_D, no w_d), ``skip=False`` drops "+ x". The number of convolution parameters does not
depend on D (:func:`conv_parameter_count`); only the D scalars w_d do. How training schedules
this computation for speed (a grown depth, f3 batched over the d) is the engine's business
(``engine/unfolding.py``), not the model's.
"""

from __future__ import annotations

import torch
from torch import nn

from drcn_lib.model.outputs import SROutput
from drcn_lib.model.subnets import EmbeddingNet, InferenceNet, ReconstructionNet


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
    ) -> None:
        super().__init__()
        if filters < 1 or channels < 1:
            raise ValueError(f"filters and channels must be >= 1, got {filters}, {channels}")
        self.recursions = recursions
        self.filters = filters
        self.channels = channels
        self.skip = skip
        self.recursive_supervision = recursive_supervision
        self.embed = EmbeddingNet(channels, filters)  # f1
        self.infer = InferenceNet(filters, recursions)  # f2
        self.reconstruct = ReconstructionNet(filters, channels)  # f3
        if recursive_supervision:
            self.ensemble_weights = nn.Parameter(torch.full((recursions,), 1.0 / recursions))
        else:
            self.register_parameter("ensemble_weights", None)

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

    def forward(self, x: torch.Tensor) -> SROutput:
        states = self.infer(self.embed(x))  # H_0 = f1(x); [H_1, ..., H_D], H_d = g(H_{d-1})
        if not self.recursive_supervision:  # the basic model: y = f3(H_D) (+ x)
            y = self.reconstruct(states[-1])
            if self.skip:
                y = y + x
            return SROutput(outputs=y.unsqueeze(0), ensemble=y)
        outputs = torch.stack([self.reconstruct(h) for h in states])  # f3(H_d), D x N x C x H x W
        if self.skip:
            outputs = outputs + x.unsqueeze(0)  # y_d = f3(H_d) + x
        w = self.ensemble_weights.to(outputs.dtype).view(-1, *([1] * (outputs.dim() - 1)))
        return SROutput(outputs=outputs, ensemble=(w * outputs).sum(dim=0))  # y = sum w_d y_d
