"""What a super-resolution model of the course returns."""

from __future__ import annotations

from typing import NamedTuple

import torch


class SROutput(NamedTuple):
    """Predictions of one forward pass, in the input's value range (Y in [0, 1]).

    ``outputs`` stacks the D intermediate predictions y_1..y_D (D x N x C x H x W), each already
    including the skip connection; ``ensemble`` is the final prediction (N x C x H x W): the
    learned weighted sum of the outputs for DRCN with recursive supervision, y_D without it, and
    the only output for single-output models such as SRCNN (then D = 1).
    """

    outputs: torch.Tensor
    ensemble: torch.Tensor
