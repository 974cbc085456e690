"""Run a trained model on a whole image, tile by tile when it is large.

DRCN's receptive field is (D + 4) * 2 + 1 pixels wide (f1: 2 convs, f2: D, f3: 2, all 3x3), so a
tile that carries ``margin >= D + 4`` extra pixels on every side computes its centre exactly as
the untiled network does. Tiling bounds the memory: a 256-filter feature map of a 2K image is
~3 GB, and D of them would not fit a laptop.
"""

from __future__ import annotations

from collections.abc import Iterator
from numbers import Integral

import numpy as np
import torch
from torch import nn

from drcn_lib.errors import ImageError
from drcn_lib.model.drcn_arch import DRCN


def receptive_margin(model: nn.Module) -> int:
    """Pixels of context each output pixel depends on, on each side."""
    if isinstance(model, DRCN):
        return model.recursions + 4
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    return sum(m.kernel_size[0] // 2 for m in convs)


def _iter_outputs(model: nn.Module, x: torch.Tensor) -> Iterator[torch.Tensor]:
    if isinstance(model, DRCN) and model.recursive_supervision:
        yield from model.iter_outputs(x)
    else:
        yield model(x).ensemble


@torch.no_grad()
def _predict_tensor(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Ensemble and every intermediate output for one N x 1 x H x W tensor, memory-lean."""
    outputs = list(_iter_outputs(model, x))
    if isinstance(model, DRCN) and model.recursive_supervision:
        w = model.ensemble_weights
        ensemble = sum(w[i].to(o.dtype) * o for i, o in enumerate(outputs))
    else:
        ensemble = outputs[-1]
    return ensemble, outputs


def _tiles(size: int, tile: int) -> list[tuple[int, int]]:
    starts = list(range(0, max(size - tile, 0) + 1, tile))
    if starts[-1] + tile < size:
        starts.append(size - tile)
    return [(s, min(s + tile, size)) for s in starts]


@torch.no_grad()
def predict_y(
    model: nn.Module,
    bicubic_y: np.ndarray,
    device: str | torch.device = "cpu",
    tile: int | None = None,
    margin: int | None = None,
    intermediates: bool = True,
) -> dict[str | int, np.ndarray]:
    """Predict HR Y from the bicubic-upscaled Y (H x W, float in [0, 255]).

    Returns ``{"ensemble": ..., 1: y_1, ..., D: y_D}`` as float64 arrays in [0, 255]
    (unclipped, unrounded: quantising is the evaluation's business). With ``tile`` set, the
    image is processed in ``tile`` x ``tile`` blocks with ``margin`` pixels of context
    (default: the receptive margin, which makes the tiled result equal the untiled one up to
    float32 rounding); ``tile`` None or 0 means one pass. A non-2-D input or a negative
    tile is an :class:`ImageError`.
    """
    src = np.asarray(bicubic_y)
    if src.ndim != 2 or src.size == 0:
        raise ImageError(
            f"predict_y expects the H x W Y channel of the bicubic input (SRPair.bicubic_y), got "
            f"shape {src.shape}; for an RGB image take its Y first (drcn_lib.protocol.colour.to_y)"
        )
    if not (np.issubdtype(src.dtype, np.floating) or np.issubdtype(src.dtype, np.integer)):
        raise ImageError(f"predict_y expects numbers in [0, 255], got dtype {src.dtype}")
    for label, value in (("tile", tile), ("margin", margin)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, Integral)
                                  or value < 0):
            raise ImageError(
                f"predict_y: {label} must be None or an integer >= 0 (tile 0: no tiling), "
                f"got {value!r}"
            )
    img = src.astype(np.float32) / 255.0
    model = model.eval()
    param = next(model.parameters())
    device = torch.device(device)
    h, w = img.shape
    margin = receptive_margin(model) if margin is None else margin
    tile = int(tile) if tile else max(h, w)
    margin = int(margin)
    results: dict[str | int, np.ndarray] = {}
    for y0, y1 in _tiles(h, tile):
        for x0, x1 in _tiles(w, tile):
            ty0, ty1 = max(y0 - margin, 0), min(y1 + margin, h)
            tx0, tx1 = max(x0 - margin, 0), min(x1 + margin, w)
            x = torch.from_numpy(np.ascontiguousarray(img[ty0:ty1, tx0:tx1]))
            x = x.to(device=device, dtype=param.dtype)[None, None]
            ens, outs = _predict_tensor(model, x)
            crop = (slice(y0 - ty0, y1 - ty0), slice(x0 - tx0, x1 - tx0))
            named: list[tuple[str | int, torch.Tensor]] = [("ensemble", ens)]
            if intermediates:
                named += [(d + 1, o) for d, o in enumerate(outs)]
            for key, t in named:
                arr = t[0, 0].float().cpu().numpy()[crop]
                if key not in results:
                    results[key] = np.empty((h, w), dtype=np.float64)
                results[key][y0:y1, x0:x1] = arr * 255.0
    return results
