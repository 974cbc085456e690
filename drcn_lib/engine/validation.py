"""PSNR on a validation set during training, with the same protocol as the final evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from drcn_lib.data.registry import find_set
from drcn_lib.engine.prediction import predict_y
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.metrics import psnr_y
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.protocol.resize import to_uint8


@dataclass
class Validator:
    """Holds the prepared (LR, HR) pairs so each validation only runs the network."""

    pairs: list[SRPair]
    scale: int

    @classmethod
    def for_set(cls, name: str, scale: int, limit: int | None = None) -> Validator:
        paths = find_set(name, fallback=True)[:limit]
        return cls([benchmark_pair(load_image(p), scale) for p in paths], scale)

    @torch.no_grad()
    def psnr(self, model: nn.Module, device: torch.device | str = "cpu") -> dict[str, float]:
        """Mean PSNR (dB) of the ensemble and of the last intermediate output."""
        ens, last = [], []
        for pair in self.pairs:
            pred = predict_y(model, pair.bicubic_y, device=device)
            # scored as drcn_lib.evaluate does: quantised like MATLAB's uint8() first
            ens.append(psnr_y(to_uint8(pred.ensemble), pair.hr_y, crop=self.scale))
            last.append(psnr_y(to_uint8(pred.last), pair.hr_y, crop=self.scale))
        return {"psnr": float(np.mean(ens)), "psnr_last": float(np.mean(last))}
