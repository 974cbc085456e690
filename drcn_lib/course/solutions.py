"""Reference solutions of the pieces learners write in lessons 02-06 (open it when stuck).

These are the classes of the contract in :mod:`drcn_lib.course.checkers`, written the way the
lessons ask: short, in the paper's symbols (Kim, Lee & Lee, CVPR 2016, Sec. 3), each checked
against the library by ``tests/test_course_checkers.py``. A later lesson that finds no piece of
the learner's own (``dl.course.keep.pieces``) uses these, and says so.
"""

from __future__ import annotations

import torch
from torch import nn

from drcn_lib.model import SROutput


class Embedding(nn.Module):
    """f1: two 3x3 convolutions with ReLU, 1 -> F -> F channels; H_0 = f1(x)."""

    def __init__(self, filters: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, filters, 3, padding=1)
        self.conv2 = nn.Conv2d(filters, filters, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.conv2(torch.relu(self.conv1(x))))


class Inference(nn.Module):
    """f2: ONE 3x3 convolution applied D times, H_d = max(0, W * H_{d-1} + b)."""

    def __init__(self, filters: int, recursions: int) -> None:
        super().__init__()
        self.recursions = recursions
        self.conv = nn.Conv2d(filters, filters, 3, padding=1)  # W and b, shared
        nn.init.dirac_(self.conv.weight)  # W starts as the identity (Sec. 4.1)
        nn.init.zeros_(self.conv.bias)

    def forward(self, h: torch.Tensor) -> list[torch.Tensor]:
        states = []
        for _ in range(self.recursions):
            h = torch.relu(self.conv(h))
            states.append(h)
        return states  # [H_1, ..., H_D]


class Reconstruction(nn.Module):
    """f3: a 3x3 convolution with ReLU, then a linear 3x3 convolution to one channel."""

    def __init__(self, filters: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(filters, filters, 3, padding=1)
        self.conv2 = nn.Conv2d(filters, 1, 3, padding=1)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.conv2(torch.relu(self.conv1(h)))  # no ReLU: may be negative


class BasicModel(nn.Module):
    """The basic model of Fig. 1: y = f3(f2(f1(x))), from the last state H_D only."""

    def __init__(self, recursions: int, filters: int) -> None:
        super().__init__()
        self.f1 = Embedding(filters)
        self.f2 = Inference(filters, recursions)
        self.f3 = Reconstruction(filters)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states = self.f2(self.f1(x))
        return self.f3(states[-1])


class SupervisedModel(nn.Module):
    """Recursive supervision (Fig. 3(a) without the skip): y_d = f3(H_d), y = sum_d w_d y_d."""

    def __init__(self, recursions: int, filters: int) -> None:
        super().__init__()
        self.f1 = Embedding(filters)
        self.f2 = Inference(filters, recursions)
        self.f3 = Reconstruction(filters)
        self.w = nn.Parameter(torch.full((recursions,), 1 / recursions))

    def forward(self, x: torch.Tensor) -> SROutput:
        states = self.f2(self.f1(x))
        ys = torch.stack([self.f3(h) for h in states])  # D x N x 1 x H x W
        y = (self.w.view(-1, 1, 1, 1, 1) * ys).sum(dim=0)
        return SROutput(outputs=ys, ensemble=y)


class MyDRCN(SupervisedModel):
    """DRCN (Fig. 3(a)): the same pieces with the skip, y_d = f3(H_d) + x for every d,
    y = sum_d w_d y_d."""

    def forward(self, x: torch.Tensor) -> SROutput:
        states = self.f2(self.f1(x))
        ys = torch.stack([self.f3(h) + x for h in states])  # the skip, on every y_d
        y = (self.w.view(-1, 1, 1, 1, 1) * ys).sum(dim=0)
        return SROutput(outputs=ys, ensemble=y)


# ---------------------------------------------------------------- worked answers of the exercises


def exercise_00() -> int:
    """Lesson 00: Table 2 scores Set5, Set14, B100 and Urban100 at every scale (T91 trains)."""
    from drcn_lib.data.registry import SETS

    return sum(len(SETS[name].files) for name in ("Set5", "Set14", "B100", "Urban100"))


def exercise_01(offset: float = 2.0) -> float:
    """Lesson 01: every pixel off by ``offset`` gives MSE = offset^2, whatever the image, so
    PSNR = 10 log10(255^2 / offset^2) = 20 log10(255 / offset) dB."""
    import math

    return 20 * math.log10(255 / abs(offset))


def exercise_02(filters: int = 32) -> int:
    """Lesson 02: conv1 has 1*9*F weights + F biases, conv2 F*9*F + F."""
    return (9 * filters + filters) + (9 * filters * filters + filters)


def exercise_03(filters: int = 64, recursions: int = 100) -> int:
    """Lesson 03: f2 is ONE F -> F 3x3 convolution, F*9*F weights + F biases, for any D."""
    del recursions  # the point of the exercise: D does not enter
    return 9 * filters * filters + filters


def exercise_04(gain: float = 0.9, recursions: int = 12) -> float:
    """Lesson 04: from H_{D-1} down to H_1 the gradient crosses W = g I (D - 2) times."""
    return gain ** (recursions - 2)


def exercise_05() -> str:
    """Lesson 05: the learned w_d were trained to make the ensemble good, so replacing them by
    1/D makes it worse: "lower" (the cell after the prediction measures by how much)."""
    return "lower"


def exercise_06(pair, threshold: float = 2.0) -> float:  # noqa: ANN001 - an SRPair
    """Lesson 06: the share of pixels whose residual |HR - bicubic| is below ``threshold``."""
    import numpy as np

    return float(np.mean(np.abs(pair.hr_y - pair.bicubic_y) < threshold))
