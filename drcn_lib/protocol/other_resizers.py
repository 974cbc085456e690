"""The bicubic resizes of other libraries, to measure why the course uses MATLAB's.

Lesson 01 makes the benchmark's LR and bicubic images with each resizer and scores them exactly
as Table 2 (same HR Y, same ``uint8`` rounding, crop = scale). Measured facts the tests pin down:

* ``"pytorch"``: ``torch.nn.functional.interpolate(mode="bicubic", align_corners=False)``, the
  call most re-implementations write: cubic coefficient a = -0.75 and NO antialiasing when
  shrinking, so its LR image aliases and every number moves (on Set5 it scores about 0.7 dB
  above MATLAB at x2 and 0.8 dB below at x3 and x4);
* ``"pytorch-antialias"``: the same call with ``antialias=True``, which switches to a = -0.5 and
  a stretched kernel: identical to MATLAB away from the border (to 1e-9), different near it;
* ``"pillow"``: ``PIL.Image.resize(..., Image.BICUBIC)`` on a float ("F" mode) image: also
  a = -0.5 and antialiased, equal to MATLAB inside the image to float32 precision, but it
  renormalises the kernel at the border where MATLAB mirrors the image;
* ``"matlab"``: :func:`drcn_lib.protocol.resize.imresize`, the reference.

All take and return float64 HxW planes in [0, 255] units (values may overshoot: bicubic rings).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from drcn_lib.errors import ImageError
from drcn_lib.protocol.pairs import SRPair
from drcn_lib.protocol.resize import imresize

Resizer = Callable[[np.ndarray, tuple[int, int]], np.ndarray]


def _plane(img: np.ndarray) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim != 2 or arr.size == 0:
        raise ImageError(f"these resizers take one HxW plane (e.g. Y); got shape {arr.shape}")
    return np.array(arr, dtype=np.float64)  # a writable copy: torch warns on read-only arrays


def matlab_resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """MATLAB ``imresize(img, [rows cols], 'bicubic')``
    (:func:`drcn_lib.protocol.resize.imresize`)."""
    return imresize(_plane(img), output_shape=shape)


def _torch_resize(img: np.ndarray, shape: tuple[int, int], antialias: bool) -> np.ndarray:
    x = torch.from_numpy(_plane(img))[None, None]
    y = F.interpolate(x, size=tuple(int(s) for s in shape), mode="bicubic",
                      align_corners=False, antialias=antialias)
    return y[0, 0].numpy()


def pytorch_resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``F.interpolate(mode="bicubic", align_corners=False)``, float64: a = -0.75, no antialias."""
    return _torch_resize(img, shape, antialias=False)


def pytorch_antialias_resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``F.interpolate(mode="bicubic", align_corners=False, antialias=True)`` in float64."""
    return _torch_resize(img, shape, antialias=True)


def pillow_resize(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Pillow's ``resize(..., Image.BICUBIC)`` of the plane as a float32 "F" image."""
    plane = Image.fromarray(_plane(img).astype(np.float32), mode="F")
    out = plane.resize((int(shape[1]), int(shape[0])), Image.BICUBIC)
    return np.asarray(out, dtype=np.float64)


RESIZERS: dict[str, Resizer] = {
    "matlab": matlab_resize,
    "pytorch": pytorch_resize,
    "pytorch-antialias": pytorch_antialias_resize,
    "pillow": pillow_resize,
}
"""Every resizer by name, in the order lesson 01 shows them."""


def get_resizer(name: str) -> Resizer:
    """The resizer called ``name``; an :class:`ImageError` listing the valid names otherwise."""
    if name not in RESIZERS:
        raise ImageError(f"unknown resizer {name!r}; valid resizers are {', '.join(RESIZERS)}")
    return RESIZERS[name]


def round_trip(hr_y: np.ndarray, scale: int, method: str) -> np.ndarray:
    """Shrink ``hr_y`` by ``scale`` and enlarge it back with one resizer: the bicubic baseline
    that resizer would give. ``hr_y`` (HxW, [0, 255]) must be a multiple of ``scale`` in size
    (``modcrop``); the result is float64 on the same grid, unrounded."""
    resize = get_resizer(method)
    plane = _plane(hr_y)
    h, w = plane.shape
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2 \
            or h % scale or w % scale:
        raise ImageError(
            f"scale must be an integer >= 2 that divides the image size {h}x{w} "
            f"(modcrop first); got {scale!r}"
        )
    return resize(resize(plane, (h // scale, w // scale)), (h, w))


def round_trip_predictor(methods: Sequence[str]) -> Callable[[SRPair], dict[str, np.ndarray]]:
    """A predictor for :func:`drcn_lib.evaluate.evaluate`: ``{method: round trip of hr_y}``.

    ``"matlab"`` returns the pair's own ``bicubic_y`` (the benchmark's input, the same values).
    """
    for m in methods:
        get_resizer(m)

    def predict(pair: SRPair) -> dict[str, np.ndarray]:
        return {m: pair.bicubic_y if m == "matlab" else round_trip(pair.hr_y, pair.scale, m)
                for m in methods}

    return predict
