"""Why deep recursion is hard to train: the gradient reaching each recursion.

DRCN's inference net f2 applies ONE convolution W D times (H_d = ReLU(W * H_{d-1})). Back-
propagation multiplies the gradient by the same Jacobian at every step, so whatever gain W has
is raised to the power D: below 1 the gradient reaching the early recursions vanishes, above 1
it explodes (paper, Sec. 3.2; Bengio et al. 1994 for recurrent nets). Recursive supervision is
the paper's remedy: every H_d feeds its own prediction y_d, so every recursion receives a direct
gradient instead of one that travelled back through D - d copies of W.

:func:`gradient_profile` measures this on a DRCN for one batch, in float32, without touching the
model's weights or optimiser:

- ``state[d - 1]`` = ||dL/dH_d||, the gradient of the loss w.r.t. the feature map after
  recursion d (Frobenius norm over the batch);
- ``weight[d - 1]`` = ||dL/dW via application d||, the part of the shared weight's gradient that
  the d-th unrolled copy of the convolution contributes (the D parts sum to W's gradient).

L is :func:`drcn_lib.loss.drcn_loss` with the given alpha (for the basic model, which returns
only y_D, l1 and l2 coincide and alpha does not matter).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from drcn_lib.loss import drcn_loss
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.model.subnets import he_init_, identity_init_


@dataclass(frozen=True)
class GradientProfile:
    """Gradient norms per recursion d = 1..D (float64 arrays of length D) and the loss value."""

    state: np.ndarray
    weight: np.ndarray
    loss: float

    @property
    def recursions(self) -> int:
        return len(self.state)

    def ratio(self) -> float:
        """||dL/dH_1|| / ||dL/dH_D||: < 1 means the gradient shrinks on its way back."""
        return float(self.state[0] / self.state[-1]) if self.state[-1] > 0 else float("inf")


def gradient_profile(
    model: DRCN, x: torch.Tensor, y: torch.Tensor, alpha: float = 1.0
) -> GradientProfile:
    """Gradient norms reaching each recursion of ``model`` for the batch (x, y).

    Args:
        model: a :class:`DRCN` (basic or with recursive supervision), any device.
        x: bicubic input, float32 N x 1 x H x W in [0, 1].
        y: target HR Y, same shape and range.
        alpha: weight of the intermediate-output term l1 in the loss (paper, Eq. 10).

    The model's parameter gradients are left as they were (set to None before and after), so a
    profile can be taken in the middle of training.
    """
    if not isinstance(model, DRCN):
        raise TypeError(f"gradient_profile needs a DRCN, got {type(model).__name__}")
    param = next(model.parameters())
    x = x.to(device=param.device, dtype=torch.float32)
    y = y.to(device=param.device, dtype=torch.float32)
    states: list[torch.Tensor] = []
    applications: list[tuple[torch.Tensor, torch.Tensor]] = []

    def keep_states(_module: nn.Module, _inputs: tuple, output: list[torch.Tensor]) -> None:
        for h in output:
            h.retain_grad()
            states.append(h)

    def keep_application(_module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        output.retain_grad()
        applications.append((inputs[0].detach(), output))

    conv = model.infer.conv
    hooks = [model.infer.register_forward_hook(keep_states),
             conv.register_forward_hook(keep_application)]
    saved = [p.grad for p in model.parameters()]
    was_training = model.training
    try:
        model.zero_grad(set_to_none=True)
        model.train()
        with torch.enable_grad(), torch.autocast(param.device.type, enabled=False):
            loss = drcn_loss(model(x.float()), y, alpha).total
            loss.backward()
        state = [_norm(h.grad) for h in states]
        weight = []
        for inp, out in applications:
            grad_w = torch.nn.grad.conv2d_weight(
                inp, conv.weight.shape, out.grad, stride=conv.stride, padding=conv.padding,
                dilation=conv.dilation, groups=conv.groups)
            weight.append(float(grad_w.norm()))
    finally:
        for h in hooks:
            h.remove()
        for p, g in zip(model.parameters(), saved, strict=True):
            p.grad = g
        model.train(was_training)
    return GradientProfile(np.array(state, dtype=np.float64), np.array(weight, dtype=np.float64),
                           float(loss.detach()))


def _norm(grad: torch.Tensor | None) -> float:
    return 0.0 if grad is None else float(grad.norm())


def set_recursive_init(model: DRCN, kind: str = "identity", gain: float = 1.0,
                       seed: int = 0) -> DRCN:
    """Re-initialise the shared recursive conv W of ``model`` in place (for experiments).

    ``kind="identity"``: W = gain * I (the paper's choice when gain = 1: the signal passes
    unchanged through every recursion at the start). ``kind="he"``: He et al.'s random normal
    init times gain (what f1 and f3 use). Biases are zeroed. Returns ``model``.
    """
    conv = model.infer.conv
    if kind == "identity":
        identity_init_(conv)
    elif kind == "he":
        torch.manual_seed(seed)
        he_init_(conv)
    else:
        raise ValueError(f"recursive init {kind!r} is not one of ('identity', 'he')")
    with torch.no_grad():
        conv.weight.mul_(gain)
    return model


def training_batch(
    n: int = 16, scale: int = 3, patch: int = 41, stride: int = 21, seed: int = 0,
    train_set: str = "T91",
) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed batch of ``n`` training patches (x, y), float32 n x 1 x patch x patch in [0, 1].

    The same patches the engine trains on (:func:`drcn_lib.data.patches.load_or_build_patches`),
    drawn with a seeded generator so every profile of a lesson sees the same batch.
    """
    from drcn_lib.data.patches import PatchSpec, load_or_build_patches

    patches = load_or_build_patches(
        PatchSpec(set_name=train_set, scale=scale, patch=patch, stride=stride), verbose=False)
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(len(patches.inputs), generator=g)[:n].sort().values.numpy()
    x = torch.from_numpy(np.ascontiguousarray(patches.inputs[idx], dtype=np.float32))
    y = torch.from_numpy(np.ascontiguousarray(patches.targets[idx], dtype=np.float32))
    return x, y
