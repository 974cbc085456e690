"""DRCN: Deeply-Recursive Convolutional Network (Kim, Lee & Lee, CVPR 2016).

The network takes the bicubic-interpolated low-resolution Y channel x (N x 1 x H x W, [0, 1]) and
returns every intermediate prediction and their ensemble (Section 3.2, Figure 3):

    H_0 = f1(x);  H_d = g(H_{d-1}) for d = 1..D           (f2, one shared conv + ReLU)
    y_d = f3(H_d) + x                                      (f3 shared, skip added to EVERY y_d)
    y   = sum_d w_d * y_d                                  (w_d learned, initialised to 1/D)

Training may grow the depth (``active_recursions``, set by the engine): f2's weights are shared,
so a run can start shallow, where steps are cheap, and unfold more recursions later; outputs past
the active depth are neither computed nor in the ensemble.

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
        self.active_recursions: int | None = None  # None: all D (see start_growth)
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

    def depth(self) -> int:
        """The number of recursions the forward pass unfolds now (D unless training grows it)."""
        return self.recursions if self.active_recursions is None else self.active_recursions

    def start_growth(self, start: int) -> None:
        """Prepare a fresh model to be trained from depth ``start`` up to D.

        The first ``start`` ensemble weights become 1/start and the others 0, so the ensemble of
        the active outputs is a mean at every depth. A weight past the active depth gets an exact
        zero gradient, so it is still 0 when its recursion is switched on: each growth step
        leaves the ensemble output unchanged (the network's function is preserved), and the
        new depth's weight is then learned from 0.
        """
        if not 1 <= start <= self.recursions:
            raise ValueError(f"start depth must be in 1..{self.recursions}, got {start}")
        if self.ensemble_weights is not None:
            with torch.no_grad():
                self.ensemble_weights.zero_()
                self.ensemble_weights[:start] = 1.0 / start
        self.active_recursions = start

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
        for _ in range(self.depth() if recursions is None else recursions):
            h = self.infer.conv(h).relu_()  # in place: one fewer full-size map alive
            y = self.reconstruct(h)
            yield y + x if self.skip else y

    def forward(self, x: torch.Tensor) -> SROutput:
        states = self.infer(self.embed(x), self.depth())  # [H_1, ..., H_D]
        if not self.recursive_supervision:
            y = self.reconstruct(states[-1])
            if self.skip:
                y = y + x
            return SROutput(outputs=y.unsqueeze(0), ensemble=y)
        outputs = self.reconstruct_all(states)
        if self.skip:
            outputs = outputs + x.unsqueeze(0)
        w = self.ensemble_weights[: len(states)].to(outputs.dtype)
        w = w.view(-1, *([1] * (outputs.dim() - 1)))
        ensemble = (w * outputs).sum(dim=0)
        return SROutput(outputs=outputs, ensemble=ensemble)
