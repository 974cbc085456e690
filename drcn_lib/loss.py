"""DRCN's training objective (paper, Eq. 8-10) and the alpha schedule the paper leaves open.

    L = alpha * l1 + (1 - alpha) * l2 + beta * ||theta||^2
    l1 = 1/D sum_d 1/2 ||y - y_d||^2   (every intermediate prediction, recursive supervision)
    l2 =           1/2 ||y - y_hat||^2 (the weighted ensemble)

Squared errors are averaged over pixels and the batch (the paper's 1/(2N) sums per image, which
only rescales the learning rate). Early on alpha is near 1 so every recursion gets a direct
training signal; it then decays so the ensemble takes over. The paper says only that alpha
decays; the law below is our choice and the lessons say so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Literal, NamedTuple

import torch

from drcn_lib.model.outputs import SROutput

AlphaKind = Literal["linear", "cosine", "constant", "step"]
LossReduction = Literal["mean", "sum"]
LOSS_REDUCTIONS: tuple[str, ...] = ("mean", "sum")
ALPHA_KINDS: tuple[str, ...] = ("linear", "cosine", "constant", "step")


def alpha_schedule(
    progress: float,
    kind: AlphaKind = "linear",
    start: float = 1.0,
    end: float = 0.0,
    decay_fraction: float = 0.5,
) -> float:
    """alpha at training progress in [0, 1]: from ``start`` to ``end`` over ``decay_fraction``.

    "linear" and "cosine" move smoothly and then hold ``end``; "step" holds ``start`` until
    ``decay_fraction`` and then drops; "constant" always returns ``start``.
    """
    if kind not in ALPHA_KINDS:
        raise ValueError(f"alpha schedule {kind!r} is not one of {ALPHA_KINDS}")
    if not 0.0 < decay_fraction <= 1.0:
        raise ValueError(f"decay_fraction must be in (0, 1], got {decay_fraction}")
    t = min(max(progress / decay_fraction, 0.0), 1.0)
    if kind == "constant":
        return start
    if kind == "step":
        return start if t < 1.0 else end
    if kind == "cosine":
        t = 0.5 - 0.5 * math.cos(math.pi * t)
    return start + (end - start) * t


class LossTerms(NamedTuple):
    """The loss and its parts; ``total`` carries the gradient, the others are for logging."""

    total: torch.Tensor
    l1: torch.Tensor
    l2: torch.Tensor
    decay: torch.Tensor


def decay_parameters(model: torch.nn.Module) -> list[torch.nn.Parameter]:
    """theta of the beta term: the convolution weights (not biases, not the w_d)."""
    return [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() > 1]


def weight_norm_sq(params: Iterable[torch.Tensor]) -> torch.Tensor:
    """||theta||^2 in one fused call instead of a Python sum over parameters."""
    params = list(params)
    if not params:
        return torch.zeros(())
    return torch.stack(torch._foreach_norm(params)).pow(2).sum()


def drcn_loss(
    out: SROutput,
    target: torch.Tensor,
    alpha: float,
    beta: float = 0.0,
    params: Iterable[torch.Tensor] | None = None,
    reduction: LossReduction = "mean",
) -> LossTerms:
    """L for one batch; ``target`` is N x C x H x W, ``out.outputs`` D x N x C x H x W.

    ``reduction="mean"`` averages squared errors over pixels (any lr works the same for Adam);
    ``"sum"`` sums them per image and averages over the batch, as the paper's Caffe loss
    (1/2N sum_i ||y_i - f(x_i)||^2): its lr 0.01 and beta 1e-4 only mean what they meant there
    with this reduction (with "mean", a 41x41 patch makes the data term 1,681 times smaller).

    Pass ``params`` (see :func:`decay_parameters`) to include beta * ||theta||^2 in ``total``;
    the engine instead lets the optimiser apply the decay (same gradient, 2 * beta * theta)
    and passes no params, so ``decay`` is then only reported.
    """
    # Squared errors in float32 even under bf16 autocast: they are small differences of
    # values near 1, exactly what bf16's 8-bit mantissa loses.
    if reduction not in LOSS_REDUCTIONS:
        raise ValueError(f"loss reduction {reduction!r} is not one of {LOSS_REDUCTIONS}")
    target = target.float()
    per_image = float(target[0].numel()) if reduction == "sum" else 1.0
    l1 = 0.5 * per_image * (out.outputs.float() - target.unsqueeze(0)).pow(2).mean()
    l2 = 0.5 * per_image * (out.ensemble.float() - target).pow(2).mean()
    total = alpha * l1 + (1.0 - alpha) * l2
    if params is not None and beta:
        decay = weight_norm_sq(params)
        total = total + beta * decay
    else:
        decay = torch.zeros((), device=target.device)
    return LossTerms(total=total, l1=l1.detach(), l2=l2.detach(), decay=decay.detach())
