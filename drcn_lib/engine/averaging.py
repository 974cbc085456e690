"""An exponential moving average (EMA) of the weights, validated and shipped instead of them.

Why: a small net trained with Adam at batch 16 ends each step a little off the valley floor,
and Set5 PSNR jitters by a few hundredths of a dB from one validation to the next. Averaging
the recent weights removes most of that jitter for one extra multiply-add per weight per step,
which is why BasicSR keeps such an average for every SR model (``ema_decay: 0.999``). The
optimiser never sees it: training is exactly what it is without it.

The decay starts low and rises to ``decay`` as ``(1 + n) / (10 + n)`` after ``n`` updates (the
schedule of TensorFlow's ``ExponentialMovingAverage``), so the average is not dragged back to
the random start for the first thousand steps.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class WeightAverage:
    """The averaged copy of ``model``; call :meth:`update` after every optimiser step."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    def current_decay(self) -> float:
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards ``model``'s weights; buffers are copied as they are."""
        self.updates += 1
        d = self.current_decay()
        torch._foreach_lerp_(list(self.model.parameters()),
                             [p.detach() for p in model.parameters()], 1.0 - d)
        for mine, theirs in zip(self.model.buffers(), model.buffers(), strict=True):
            mine.copy_(theirs)


    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
