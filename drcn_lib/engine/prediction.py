"""Run a trained model on a whole image, tile by tile when it is large, into a :class:`Prediction`.

DRCN's receptive field is (D + 4) * 2 + 1 pixels wide (f1: 2 convs, f2: D, f3: 2, all 3x3), so a
tile that carries ``margin >= D + 4`` extra pixels on every side computes its centre exactly as
the untiled network does. Tiling bounds the memory: a 256-filter feature map of a 2K image is
~3 GB, and D of them would not fit a laptop. The ensemble y = sum_d w_d y_d is accumulated as
the y_d stream out of the network, so only the outputs the caller asks for are ever held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from numbers import Integral
from typing import Generic, TypeVar

import numpy as np
import torch
from torch import nn

from drcn_lib.errors import ImageError
from drcn_lib.model.drcn_arch import DRCN

T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True)
class Prediction(Generic[T]):
    """What a model predicts for one image, output by output, or one value per output.

    ``predict_y`` returns a ``Prediction[np.ndarray]``: float64 H x W Y planes in [0, 255] on
    the HR grid, unclipped and unrounded (quantising is the scoring's business,
    :func:`drcn_lib.protocol.metrics.score`). ``pred.map(f)`` gives the same shape of anything
    computed per output, e.g. a ``Prediction[float]`` of PSNRs.

    ``ensemble`` is the final prediction (DRCN's y = sum_d w_d y_d; y_D without recursive
    supervision; the only output of a single-output model or of the bicubic baseline).
    ``outputs`` holds y_1..y_D when they were asked for (``predict_y(intermediates=True)``) and
    is empty otherwise. ``name`` labels the final prediction in tables (``"ensemble"``,
    ``"bicubic"``).
    """

    ensemble: T
    outputs: tuple[T, ...] = ()
    name: str = "ensemble"

    @property
    def depth(self) -> int:
        """D, the number of intermediate outputs held (0 when they were not kept)."""
        return len(self.outputs)

    @property
    def depths(self) -> range:
        """1..D, the d of every output held."""
        return range(1, self.depth + 1)

    def at(self, d: int) -> T:
        """y_d, counted from 1 as in the paper (``at(depth)`` is y_D)."""
        if isinstance(d, bool) or not isinstance(d, Integral) or not 1 <= d <= self.depth:
            held = f"1..{self.depth}" if self.depth else "none (predicted with intermediates=False)"
            raise IndexError(f"no output y_{d}; this prediction holds y_d for d in {held}")
        return self.outputs[d - 1]

    @property
    def last(self) -> T:
        """y_D, the deepest output (the ensemble when no intermediate output is held)."""
        return self.outputs[-1] if self.outputs else self.ensemble

    def named(self) -> list[tuple[str | int, T]]:
        """``[(name, ensemble), (1, y_1), ..., (D, y_D)]``: the outputs as tables label them."""
        return [(self.name, self.ensemble), *((d, y) for d, y in enumerate(self.outputs, 1))]

    def map(self, fn: Callable[[T], U]) -> Prediction[U]:
        """``fn`` applied to every output: ``pred.map(lambda y: score(y, pair))``."""
        return Prediction(fn(self.ensemble), tuple(fn(y) for y in self.outputs), self.name)

    def without_outputs(self) -> Prediction[T]:
        """The final prediction alone (what ``intermediates=False`` would have given)."""
        return Prediction(self.ensemble, (), self.name)


def receptive_margin(model: nn.Module) -> int:
    """Pixels of context each output pixel depends on, on each side."""
    if isinstance(model, DRCN):
        return model.recursions + 4
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    return sum(m.kernel_size[0] // 2 for m in convs)


def stream_outputs(
    model: DRCN, x: torch.Tensor, depth: int | None = None
) -> Iterator[torch.Tensor]:
    """Yield y_1, y_2, ... one at a time, keeping only H_d alive (for memory-lean inference).

    The same values as ``model(x).outputs``, but the memory does not grow with D, which is what
    lets a 256-filter model upscale a 2K image. ``depth`` (default D) unfolds fewer recursions.
    Use under ``torch.no_grad()``.
    """
    h = model.embed(x)
    for _ in range(model.recursions if depth is None else depth):
        h = model.infer.conv(h).relu_()  # in place: one fewer full-size map alive
        y = model.reconstruct(h)
        yield y + x if model.skip else y


def accumulate(
    stream: Iterable[torch.Tensor], weights: torch.Tensor | None, keep: bool
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The ensemble sum_d w_d y_d of a stream of y_d, and the y_d themselves only if ``keep``.

    ``weights`` None: the ensemble is the last output (a model without recursive supervision).
    Only the running sum and the current y_d are alive at once unless ``keep``, so the memory
    of an ensemble-only prediction does not grow with D.
    """
    ensemble: torch.Tensor | None = None
    kept: list[torch.Tensor] = []
    for i, y in enumerate(stream):
        if weights is None:
            ensemble = y
        else:
            term = weights[i].to(y.dtype) * y
            ensemble = term if ensemble is None else ensemble + term
        if keep:
            kept.append(y)
    if ensemble is None:
        raise ValueError("the model produced no output (depth 0)")
    return ensemble, kept


@torch.no_grad()
def _predict_tensor(
    model: nn.Module, x: torch.Tensor, keep: bool, depth: int | None
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Ensemble and (if ``keep``) every intermediate output for one N x 1 x H x W tensor."""
    if isinstance(model, DRCN) and model.recursive_supervision:
        return accumulate(stream_outputs(model, x, depth), model.ensemble_weights, keep)
    if isinstance(model, DRCN):  # the basic model: its one output is y_D
        y, _ = accumulate(stream_outputs(model, x, depth), None, keep=False)
        return y, [y] if keep else []
    out = model(x)
    return out.ensemble, list(out.outputs) if keep else []


def _tiles(size: int, tile: int) -> list[tuple[int, int]]:
    starts = list(range(0, max(size - tile, 0) + 1, tile))
    if starts[-1] + tile < size:
        starts.append(size - tile)
    return [(s, min(s + tile, size)) for s in starts]


def _check_inputs(src: np.ndarray, tile: int | None, margin: int | None) -> None:
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


@torch.no_grad()
def predict_y(
    model: nn.Module,
    bicubic_y: np.ndarray,
    device: str | torch.device = "cpu",
    tile: int | None = None,
    margin: int | None = None,
    intermediates: bool = True,
    depth: int | None = None,
) -> Prediction[np.ndarray]:
    """Predict HR Y from the bicubic-upscaled Y (H x W, float in [0, 255]).

    Returns a :class:`Prediction` (float64 planes in [0, 255]); ``intermediates=False`` keeps
    only the ensemble, and never holds more than one y_d at a time. With ``tile`` set, the
    image is processed in ``tile`` x ``tile`` blocks with ``margin`` pixels of context
    (default: the receptive margin, which makes the tiled result equal the untiled one up to
    float32 rounding); ``tile`` None or 0 means one pass. ``depth`` unfolds only the first
    ``depth`` recursions of the library's DRCN (validation while training grows D). A non-2-D
    input or a negative tile is an :class:`ImageError`.
    """
    src = np.asarray(bicubic_y)
    _check_inputs(src, tile, margin)
    img = src.astype(np.float32) / 255.0
    model = model.eval()
    param = next(model.parameters())
    device = torch.device(device)
    h, w = img.shape
    margin = int(receptive_margin(model) if margin is None else margin)
    tile = int(tile) if tile else max(h, w)
    ensemble = np.empty((h, w), dtype=np.float64)
    outputs: list[np.ndarray] = []
    for y0, y1 in _tiles(h, tile):
        for x0, x1 in _tiles(w, tile):
            ty0, ty1 = max(y0 - margin, 0), min(y1 + margin, h)
            tx0, tx1 = max(x0 - margin, 0), min(x1 + margin, w)
            x = torch.from_numpy(np.ascontiguousarray(img[ty0:ty1, tx0:tx1]))
            x = x.to(device=device, dtype=param.dtype)[None, None]
            ens, outs = _predict_tensor(model, x, intermediates, depth)
            crop = (slice(y0 - ty0, y1 - ty0), slice(x0 - tx0, x1 - tx0))
            if not outputs:
                outputs = [np.empty((h, w), dtype=np.float64) for _ in outs]
            for full, t in zip((ensemble, *outputs), (ens, *outs), strict=True):
                full[y0:y1, x0:x1] = t[0, 0].float().cpu().numpy()[crop] * 255.0
    return Prediction(ensemble, tuple(outputs))
