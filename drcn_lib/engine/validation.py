"""PSNR on a validation set during training, with the same protocol as the final evaluation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from drcn_lib.data.registry import find_set
from drcn_lib.engine.prediction import predict_y
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.metrics import score_psnr
from drcn_lib.protocol.pairs import SRPair, benchmark_pair


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
    def psnr(self, model: nn.Module, device: torch.device | str = "cpu",
             depth: int | None = None) -> dict[str, float]:
        """Mean PSNR (dB) of the ensemble and of the last intermediate output, with ``depth``
        recursions unfolded (None: all D; a run that grows the depth passes the current one)."""
        ens, last = [], []
        for pair in self.pairs:
            pred = predict_y(model, pair.bicubic_y, device=device, depth=depth)
            ens.append(score_psnr(pred.ensemble, pair))  # the benchmark's rule, as evaluate's
            last.append(score_psnr(pred.last, pair))
        return {"psnr": float(np.mean(ens)), "psnr_last": float(np.mean(last))}
