"""The yardstick: DRCN written the way public PyTorch re-implementations usually are.

Written for this benchmark (not copied from any repository) in the common style of public
DRCN code, so that ``bench.py`` can say how much faster the course's training step is than the
code a learner would otherwise find:

- float32, NCHW, no autocast, no probe;
- the reconstruction net f3 is called once per recursion inside the Python loop;
- the ensemble is summed one weighted output at a time;
- the loss sums one MSE per recursion (halved, as the paper's 1/2 ||y - y_d||^2), and the
  weight-decay term beta * ||theta||^2 is added inside the loss as a Python sum over all
  parameters (biases and the w_d included, as such code does); the optimiser gets no decay.

It computes the same function as :class:`drcn_lib.DRCN` (``copy_weights_from`` proves it in
``bench.py``), so both do the same convolution work per step.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class ReferenceDRCN(nn.Module):
    """Embedding, one recursive conv, reconstruction; outputs (list of y_d, ensemble)."""

    def __init__(self, num_recursions: int = 16, num_filters: int = 256) -> None:
        super().__init__()
        self.num_recursions = num_recursions
        self.embedding = nn.Sequential(
            nn.Conv2d(1, num_filters, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(num_filters, num_filters, 3, padding=1),
            nn.ReLU(),
        )
        self.inference = nn.Conv2d(num_filters, num_filters, 3, padding=1)
        self.relu = nn.ReLU()
        self.reconstruction = nn.Sequential(
            nn.Conv2d(num_filters, num_filters, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(num_filters, 1, 3, padding=1),
        )
        self.w = nn.Parameter(torch.ones(num_recursions) / num_recursions)

    def forward(self, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        h = self.embedding(x)
        preds = []
        for _ in range(self.num_recursions):
            h = self.relu(self.inference(h))
            preds.append(self.reconstruction(h) + x)
        out = 0
        for d in range(self.num_recursions):
            out = out + self.w[d] * preds[d]
        return preds, out

    @torch.no_grad()
    def copy_weights_from(self, drcn: nn.Module) -> None:
        """Load the weights of a :class:`drcn_lib.DRCN` (recursive supervision, skip on)."""
        pairs = [
            (self.embedding[0], drcn.embed.conv1), (self.embedding[2], drcn.embed.conv2),
            (self.inference, drcn.infer.conv),
            (self.reconstruction[0], drcn.reconstruct.conv1),
            (self.reconstruction[2], drcn.reconstruct.conv2),
        ]
        for mine, theirs in pairs:
            mine.weight.copy_(theirs.weight)
            mine.bias.copy_(theirs.bias)
        self.w.copy_(drcn.ensemble_weights)


def reference_loss(
    model: ReferenceDRCN,
    preds: list[torch.Tensor],
    out: torch.Tensor,
    target: torch.Tensor,
    alpha: float,
    beta: float,
) -> torch.Tensor:
    """alpha * l1 + (1 - alpha) * l2 + beta * sum of squared params, l = 1/2 MSE (Eq. 8-10).

    The 1/2 of the paper's squared error is kept so that the same learning rate takes the same
    step as :func:`drcn_lib.drcn_loss` (without it, the paper preset's SGD lr 0.01 diverges).
    """
    mse = nn.MSELoss()
    loss1 = 0
    for pred in preds:
        loss1 = loss1 + 0.5 * mse(pred, target)
    loss1 = loss1 / len(preds)
    loss2 = 0.5 * mse(out, target)
    reg = 0
    for param in model.parameters():
        reg = reg + torch.sum(param ** 2)
    return alpha * loss1 + (1 - alpha) * loss2 + beta * reg


def reference_step_fn(
    model: ReferenceDRCN,
    optimizer: torch.optim.Optimizer,
    next_batch: Callable[[], tuple[torch.Tensor, torch.Tensor]],
    alpha: float,
    beta: float,
) -> Callable[[], float]:
    """One training step as such code writes it; returns the loss (``.item()``, as it logs).

    ``next_batch()`` gives the (input, target) pair of the step, already on the model's device.
    """

    def step() -> float:
        x, y = next_batch()
        optimizer.zero_grad()
        preds, out = model(x)
        loss = reference_loss(model, preds, out, y, alpha, beta)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step
