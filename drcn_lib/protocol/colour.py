"""Colour conversion as MATLAB's ``rgb2ycbcr``/``ycbcr2rgb``: the "Y" of "PSNR on Y".

DRCN, like SRCNN and VDSR, super-resolves and scores only the luminance Y of ITU-R BT.601 in
"studio swing": Y in [16, 235], Cb and Cr in [16, 240]. This is MATLAB's ``rgb2ycbcr``, which
equals scikit-image's ``skimage.color.rgb2ycbcr`` and BasicSR's ``rgb2ycbcr(y_only=True)``, and
differs from OpenCV's ``cvtColor(..., COLOR_RGB2YCrCb)`` (full swing, other channel order).

Convention: inputs are RGB (never BGR) in [0, 255], uint8 or float ("MATLAB double of a uint8
image"); outputs are float64 in the same [0, 255] units, unrounded. Quantising Y to uint8 is a
separate, explicit step (``drcn_lib.protocol.resize.to_uint8``) because the benchmark protocol
decides it.
"""

from __future__ import annotations

import numpy as np

from drcn_lib.errors import ImageError

#: BT.601 studio-swing matrix for RGB in [0, 1] -> YCbCr in [0, 255] (MATLAB's ``rgb2ycbcr``).
_RGB_TO_YCBCR = np.array(
    [
        [65.481, 128.553, 24.966],
        [-37.797, -74.203, 112.0],
        [112.0, -93.786, -18.214],
    ]
)
_OFFSET = np.array([16.0, 128.0, 128.0])


def _as_rgb(img: np.ndarray, what: str) -> np.ndarray:
    arr = np.asarray(img)
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ImageError(f"{what} expects an HxWx3 array; got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
        raise ImageError(f"{what} expects uint8 or float pixels in [0, 255]; got {arr.dtype}")
    return arr.astype(np.float64)  # a copy: the caller's array is never touched


def rgb_to_ycbcr(img: np.ndarray) -> np.ndarray:
    """RGB in [0, 255] (uint8 or float, HxWx3) -> float64 YCbCr, Y in [16, 235], CbCr in [16, 240].

    Matches MATLAB ``255 * rgb2ycbcr(double(img) / 255)`` and ``skimage.color.rgb2ycbcr``.
    White gives Y = 235, black Y = 16, pure red Y = 81.481, pure blue Y = 40.966.
    """
    rgb = _as_rgb(img, "rgb_to_ycbcr") / 255.0
    return rgb @ _RGB_TO_YCBCR.T + _OFFSET


def ycbcr_to_rgb(img: np.ndarray) -> np.ndarray:
    """Inverse of ``rgb_to_ycbcr``: float64 YCbCr in [0, 255] units -> float64 RGB in [0, 255].

    Not clipped: a super-resolved Y can leave [16, 235], and the caller decides whether to clip
    (``drcn_lib.protocol.resize.to_uint8`` does, for display). Matches MATLAB ``255 * ycbcr2rgb(x /
    255)``.
    """
    ycc = _as_rgb(img, "ycbcr_to_rgb")
    return (ycc - _OFFSET) @ np.linalg.inv(_RGB_TO_YCBCR).T * 255.0


def to_y(img: np.ndarray) -> np.ndarray:
    """The channel that DRCN super-resolves and scores, float64 HxW in [0, 255] units.

    * HxWx3 RGB (uint8 or float in [0, 255]): BT.601 Y in [16, 235], as ``rgb_to_ycbcr``.
    * HxW or HxWx1 greyscale: the intensity itself, unchanged. The MATLAB benchmark scripts
      skip ``rgb2ycbcr`` for single-channel files (Set14's ``bridge``), so they score the grey
      values directly rather than mapping them to [16, 235].
    """
    arr = np.asarray(img)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        if not np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_:
            raise ImageError(f"to_y expects uint8 or float pixels in [0, 255]; got {arr.dtype}")
        return arr.astype(np.float64)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return rgb_to_ycbcr(arr)[:, :, 0]
    raise ImageError(f"to_y expects HxW greyscale, HxWx1 or HxWx3 RGB; got shape {arr.shape}")
