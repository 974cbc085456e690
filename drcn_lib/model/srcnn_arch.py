"""SRCNN 9-1-5 (Dong et al., ECCV 2014), the baseline the DRCN paper compares against.

Three convolutions (9x9 -> 64, 1x1 -> 32, 5x5 -> 1) predicting the HR Y image directly from the
bicubic input, with no skip. The original used 'valid' convolutions and scored the centre;
here the convolutions are zero-padded to keep the size, as public re-implementations do, so that
the same engine, loss and evaluation apply. It returns an :class:`SROutput` with D = 1.
"""

from __future__ import annotations

from torch import nn

from drcn_lib.model.outputs import SROutput
from drcn_lib.model.subnets import he_init_


class SRCNN(nn.Module):
    """SRCNN with n1 = 64, n2 = 32 filters and kernel sizes 9-1-5."""

    def __init__(self, channels: int = 1, n1: int = 64, n2: int = 32) -> None:
        super().__init__()
        self.channels = channels
        self.n1, self.n2 = n1, n2
        self.conv1 = he_init_(nn.Conv2d(channels, n1, 9, padding=4))
        self.conv2 = he_init_(nn.Conv2d(n1, n2, 1))
        self.conv3 = nn.Conv2d(n2, channels, 5, padding=2)
        nn.init.normal_(self.conv3.weight, std=1e-3)
        nn.init.zeros_(self.conv3.bias)

    def config(self) -> dict[str, object]:
        return {"arch": "srcnn", "channels": self.channels, "n1": self.n1, "n2": self.n2}

    def forward(self, x):  # noqa: ANN001, ANN201 - torch types as in nn.Module
        y = self.conv3(self.conv2(self.conv1(x).relu()).relu())
        return SROutput(outputs=y.unsqueeze(0), ensemble=y)
