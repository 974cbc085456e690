"""MATLAB-compatible bicubic resizing: how the 2014-2017 super-resolution papers made inputs.

The DRCN paper (like SRCNN, VDSR and A+) makes the low-resolution image with MATLAB's
``imresize(img, 1/s, 'bicubic')`` and the network's input with ``imresize(lr, s, 'bicubic')``.
PyTorch's ``interpolate(mode="bicubic")``, OpenCV and Pillow all differ from MATLAB (cubic
coefficient a = -0.75, no antialiasing when shrinking, other boundary rules) by enough to move
benchmark PSNRs by tenths of a dB, so this module re-implements MATLAB's algorithm in numpy:

* Keys' cubic kernel with a = -0.5 (``cubic``), 4 pixels wide;
* when shrinking by ``scale < 1`` the kernel is stretched to ``scale * cubic(scale * x)`` and
  its width to ``4 / scale`` (antialiasing), as MATLAB's ``contributions``;
* output pixel ``x`` (1-based) samples input position ``u = x / scale + 0.5 * (1 - 1 / scale)``;
* out-of-range taps are mirrored (``[1..n, n..1]`` repeated, i.e. symmetric padding);
* output size ``ceil(scale * size)``; the dimension with the smaller scale is resized first
  (MATLAB's ``dimensionOrder``; rows first on ties);
* uint8 input is rounded (half away from zero) and saturated after *each* 1-D pass, because
  MATLAB's ``imresizemex`` returns the input's class; float input gives float64.

Each 1-D pass is a dense (out x in) matrix product, which is exact and fast for images of a few
hundred pixels per side.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from drcn_lib.errors import ImageError

#: Width of the cubic kernel in input pixels before antialiasing stretches it (MATLAB: 4).
KERNEL_WIDTH = 4.0


def cubic(x: np.ndarray | float, a: float = -0.5) -> np.ndarray:
    """Keys' cubic convolution kernel, MATLAB's ``cubic`` (a = -0.5; PyTorch and OpenCV use -0.75).

    ``x`` is a distance in pixels (any shape); the kernel is 1 at 0, 0 at every other integer
    and 0 outside (-2, 2). Returns float64 of the same shape.
    """
    ax = np.abs(np.asarray(x, dtype=np.float64))
    ax2, ax3 = ax * ax, ax * ax * ax
    near = ((a + 2.0) * ax3 - (a + 3.0) * ax2 + 1.0) * (ax <= 1.0)
    far = (a * ax3 - 5.0 * a * ax2 + 8.0 * a * ax - 4.0 * a) * ((ax > 1.0) & (ax <= 2.0))
    return near + far


def contributions(
    in_length: int, out_length: int, scale: float, antialiasing: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Weights and 0-based input indices of every output pixel, as MATLAB's ``contributions``.

    Returns ``(weights, indices)``, both of shape (out_length, P) with P = ceil(width) + 2;
    each row of weights sums to 1, and indices were mirrored into ``[0, in_length)``.
    """
    if scale < 1.0 and antialiasing:
        width = KERNEL_WIDTH / scale

        def kernel(d: np.ndarray) -> np.ndarray:
            return scale * cubic(scale * d)
    else:
        width = KERNEL_WIDTH
        kernel = cubic
    x = np.arange(1, out_length + 1, dtype=np.float64)[:, None]  # 1-based output coordinates
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)  # their positions in 1-based input coordinates
    left = np.floor(u - width / 2.0)
    taps = int(math.ceil(width)) + 2
    indices = left + np.arange(taps, dtype=np.float64)[None, :]
    weights = kernel(u - indices)
    weights = weights / weights.sum(axis=1, keepdims=True)
    # Mirror: 1..n, n..1, 1..n, ... (MATLAB's `aux` vector), then switch to 0-based.
    mirror = np.concatenate([np.arange(in_length), np.arange(in_length - 1, -1, -1)])
    idx = mirror[np.mod(indices.astype(np.int64) - 1, mirror.size)]
    return weights, idx


def resize_matrix(
    in_length: int, out_length: int, scale: float, antialiasing: bool = True
) -> np.ndarray:
    """The (out_length x in_length) float64 matrix ``M`` with ``out = M @ in`` along one axis.

    Taps that mirror onto the same input pixel are summed, so the matrix is exactly MATLAB's
    1-D resize written as a linear map (each row sums to 1).
    """
    weights, indices = contributions(in_length, out_length, scale, antialiasing)
    matrix = np.zeros((out_length, in_length), dtype=np.float64)
    rows = np.broadcast_to(np.arange(out_length)[:, None], indices.shape)
    np.add.at(matrix, (rows, indices), weights)
    return matrix


def to_uint8(img: np.ndarray) -> np.ndarray:
    """Quantise to uint8 as MATLAB's ``uint8()``: saturate to [0, 255], round half away from 0.

    numpy's ``round`` rounds halves to even and ``astype`` wraps around, so neither is MATLAB's
    rule; for non-negative values, half-away-from-zero is ``floor(x + 0.5)``.
    """
    arr = np.asarray(img)
    if arr.dtype == np.uint8:
        return arr.copy()
    return np.floor(np.clip(arr.astype(np.float64), 0.0, 255.0) + 0.5).astype(np.uint8)


def _resize_axis(img: np.ndarray, axis: int, matrix: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Apply one 1-D resize along ``axis`` and cast back as MATLAB's imresizemex would."""
    moved = np.moveaxis(img.astype(np.float64, copy=False), axis, 0)
    flat = moved.reshape(moved.shape[0], -1)
    out = (matrix @ flat).reshape((matrix.shape[0],) + moved.shape[1:])
    out = np.moveaxis(out, 0, axis)
    return to_uint8(out) if dtype == np.uint8 else out


def _scales_and_shape(
    shape: tuple[int, int],
    scale: float | Sequence[float] | None,
    output_shape: Sequence[int] | None,
) -> tuple[tuple[float, float], tuple[int, int]]:
    """Per-axis scales and output size, following MATLAB's ``fixupSizeAndScale``."""
    if (scale is None) == (output_shape is None):
        raise ImageError(
            "imresize needs exactly one of scale (e.g. 0.5 or 3) or output_shape (rows, cols); "
            f"got scale={scale!r}, output_shape={output_shape!r}"
        )
    if scale is not None:
        pair = (scale, scale) if np.isscalar(scale) else tuple(scale)  # type: ignore[arg-type]
        if len(pair) != 2 or not all(np.isfinite(s) and s > 0 for s in pair):
            raise ImageError(
                f"imresize scale must be one positive number or a (rows, cols) pair; got {scale!r}"
            )
        scales = (float(pair[0]), float(pair[1]))
        out = tuple(int(math.ceil(s * n)) for s, n in zip(scales, shape, strict=True))
        return scales, (out[0], out[1])
    assert output_shape is not None
    out_list = [int(v) for v in output_shape]
    if len(out_list) != 2 or min(out_list) < 1:
        raise ImageError(
            "imresize output_shape must be two positive integers (rows, cols); "
            f"got {output_shape!r}"
        )
    scales = (out_list[0] / shape[0], out_list[1] / shape[1])
    return scales, (out_list[0], out_list[1])


def imresize(
    img: np.ndarray,
    scale: float | Sequence[float] | None = None,
    output_shape: Sequence[int] | None = None,
    antialiasing: bool = True,
) -> np.ndarray:
    """MATLAB's ``imresize(img, scale, 'bicubic')`` (or ``imresize(img, [rows cols], 'bicubic')``).

    Args:
        img: HxW or HxWxC array, uint8 in [0, 255] or float (any range, e.g. [0, 255] or
            [0, 1]); channels are resized independently. Never modified.
        scale: one factor for both axes (``1/3`` shrinks, ``3`` enlarges) or a (rows, cols) pair;
            the output size is ``ceil(scale * size)`` as in MATLAB.
        output_shape: (rows, cols) instead of ``scale``; the scales are then ``out / in``.
        antialiasing: MATLAB's 'Antialiasing' option (true by default for bicubic).

    Returns:
        uint8 (rounded and saturated after each pass, as MATLAB) for uint8 input, float64 for
        everything else. Values may overshoot the input range (bicubic ringing).
    """
    arr = np.asarray(img)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ImageError(f"imresize expects a non-empty HxW or HxWxC array; got shape {arr.shape}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number):
        raise ImageError(f"imresize expects uint8 or float pixels; got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.integer) and arr.dtype != np.uint8:
        raise ImageError(
            f"imresize supports uint8 and float images; got {arr.dtype}. "
            "Convert first, e.g. img.astype(np.float64)."
        )
    out_dtype = np.dtype(np.uint8) if arr.dtype == np.uint8 else np.dtype(np.float64)
    scales, out_shape = _scales_and_shape((arr.shape[0], arr.shape[1]), scale, output_shape)
    result = arr
    for axis in np.argsort(scales, kind="stable"):  # MATLAB resizes the smallest scale first
        matrix = resize_matrix(arr.shape[axis], out_shape[axis], scales[axis], antialiasing)
        result = _resize_axis(result, int(axis), matrix, out_dtype)
    if result is arr:  # never hand back the caller's array
        result = arr.copy()
    return result.astype(out_dtype, copy=False)


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Crop H and W to multiples of ``scale``, keeping the top-left corner (MATLAB ``modcrop``).

    This is how Huang et al.'s benchmark copies (used by DRCN) were made, so that the bicubic
    down-and-up round trip lands exactly on the HR grid. Works on HxW and HxWxC; returns a copy.
    """
    arr = np.asarray(img)
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ImageError(
            f"modcrop scale must be a positive integer such as 2, 3 or 4; got {scale!r}"
        )
    if arr.ndim not in (2, 3):
        raise ImageError(f"modcrop expects an HxW or HxWxC array; got shape {arr.shape}")
    h, w = arr.shape[0] - arr.shape[0] % scale, arr.shape[1] - arr.shape[1] % scale
    if h == 0 or w == 0:
        raise ImageError(
            f"image of shape {arr.shape} is smaller than the scale {scale}; nothing is left "
            "after cropping to a multiple of it"
        )
    return arr[:h, :w].copy()
