"""How the engine runs the library's DRCN while training: the same function as
:meth:`drcn_lib.model.DRCN.forward`, with two knobs that are about speed, not about the paper.

- ``depth``: how many recursions to unfold now. f2's weights are shared, so a run can start
  shallow, where steps are cheap, and unfold more recursions later (``engine/growth.py``);
  outputs past the depth are neither computed nor in the ensemble.
- ``recon_strategy``: how f3 is scheduled over the D maps H_d. ``"batched"`` runs f3 once on the
  D maps stacked along the batch axis (fewer, larger kernels, which wins on GPUs); ``"loop"``
  calls it D times (which measured faster on some CPUs). Both compute the same values, and
  ``"loop"`` is the very sequence of operations of ``DRCN.forward``; the engine picks one by a
  timed probe (``engine/hardware.py``).

:class:`UnfoldedDRCN` wraps the model (it owns no weights of its own), so the optimiser, the
checkpoint and the weights file see the plain model's parameters under their plain names.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.model.outputs import SROutput

ReconStrategy = Literal["batched", "loop"]
RECON_STRATEGIES: tuple[str, ...] = ("batched", "loop")


def check_strategy(value: str) -> ReconStrategy:
    if value not in RECON_STRATEGIES:
        raise ValueError(f"recon_strategy {value!r} is not one of {RECON_STRATEGIES}")
    return value  # type: ignore[return-value]


def reconstruct_all(f3: nn.Module, states: list[torch.Tensor], strategy: str) -> torch.Tensor:
    """f3 on every H_d, D x N x C x H x W, scheduled as ``strategy`` says."""
    if strategy == "batched":
        n = states[0].shape[0]
        res = f3(torch.cat(states, dim=0))
        return res.reshape(len(states), n, *res.shape[1:])
    return torch.stack([f3(h) for h in states])


class UnfoldedDRCN(nn.Module):
    """``DRCN`` unfolded to ``depth`` recursions (None: all D), f3 scheduled by strategy."""

    def __init__(self, model: DRCN, recon_strategy: str = "batched",
                 depth: int | None = None) -> None:
        super().__init__()
        self.model = model
        self.recon_strategy = check_strategy(recon_strategy)
        self.depth = depth

    def forward(self, x: torch.Tensor) -> SROutput:
        m = self.model
        states = m.infer(m.embed(x), self.depth)  # [H_1, ..., H_depth]
        if not m.recursive_supervision:
            y = m.reconstruct(states[-1])
            if m.skip:
                y = y + x
            return SROutput(outputs=y.unsqueeze(0), ensemble=y)
        outputs = reconstruct_all(m.reconstruct, states, self.recon_strategy)
        if m.skip:
            outputs = outputs + x.unsqueeze(0)
        w = m.ensemble_weights[: len(states)].to(outputs.dtype)
        w = w.view(-1, *([1] * (outputs.dim() - 1)))
        return SROutput(outputs=outputs, ensemble=(w * outputs).sum(dim=0))


def unfolded(model: nn.Module, recon_strategy: str = "batched") -> nn.Module:
    """What the engine calls for ``model``: the library's DRCN unfolded, any other model as is."""
    return UnfoldedDRCN(model, recon_strategy) if isinstance(model, DRCN) else model
