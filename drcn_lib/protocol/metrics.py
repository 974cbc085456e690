"""PSNR and SSIM on the Y channel, with the border shaved: the numbers in DRCN's Table 2.

The protocol (SRCNN, VDSR and DRCN's MATLAB scripts): convert both images to Y
(``drcn_lib.protocol.colour.to_y``), drop ``crop`` = scale pixels on every side (bicubic and the
network
both see the image edge there), then

* PSNR = 10 log10(255^2 / MSE) on the remaining pixels, as a float in dB;
* SSIM as Wang et al. (IEEE TIP 2004, ``ssim_index.m``): Gaussian window sigma 1.5, 11x11,
  K1 = 0.01, K2 = 0.03, L = 255, population (not sample) covariances, mean over the window
  positions that fit inside the image (scikit-image's ``structural_similarity`` with these
  settings computes exactly that).

Inputs are arrays in [0, 255] units, uint8 or float; HxW Y planes, or HxWx3 RGB which is turned
into Y first. ``psnr_y``/``ssim_y`` neither clip nor round; :func:`score` is the whole
benchmark rule (quantise as MATLAB's ``uint8()``, crop = scale, PSNR and SSIM on Y), the one
every evaluation, validation, study and figure of the course calls.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from skimage.metrics import structural_similarity

from drcn_lib.errors import ImageError
from drcn_lib.protocol.colour import to_y
from drcn_lib.protocol.resize import to_uint8

#: Wang et al.'s SSIM constants and window, as used by the SR benchmark scripts.
SSIM_SIGMA = 1.5
SSIM_K1 = 0.01
SSIM_K2 = 0.03
DATA_RANGE = 255.0


def shave(img: np.ndarray, crop: int) -> np.ndarray:
    """Drop ``crop`` pixels from each side of H and W (a view; ``crop=0`` keeps everything)."""
    arr = np.asarray(img)
    if isinstance(crop, bool) or not isinstance(crop, (int, np.integer)) or crop < 0:
        raise ImageError(f"crop must be a non-negative integer (usually the scale); got {crop!r}")
    if arr.ndim < 2:
        raise ImageError(f"shave expects an HxW or HxWxC array; got shape {arr.shape}")
    if 2 * crop >= min(arr.shape[0], arr.shape[1]):
        raise ImageError(
            f"crop={crop} on every side leaves nothing of an image of shape {arr.shape}"
        )
    if crop == 0:
        return arr
    return arr[crop:-crop, crop:-crop]


def _y_pair(sr: np.ndarray, hr: np.ndarray, crop: int) -> tuple[np.ndarray, np.ndarray]:
    """Both images as float64 Y with the border shaved, after checking that they line up."""
    a, b = np.asarray(sr), np.asarray(hr)
    if a.shape != b.shape:
        raise ImageError(
            f"sr and hr must have the same shape; got sr {a.shape} and hr {b.shape} "
            "(crop both to a multiple of the scale with drcn_lib.protocol.resize.modcrop)"
        )
    return shave(to_y(a), crop), shave(to_y(b), crop)


def psnr_y(sr: np.ndarray, hr: np.ndarray, crop: int) -> float:
    """Peak signal-to-noise ratio in dB on Y, border ``crop`` shaved, peak 255.

    ``inf`` for identical images. Matches the ``compute_psnr`` of the SRCNN/VDSR MATLAB code
    (``20 log10(255 / rmse)``) when given the same arrays.
    """
    a, b = _y_pair(sr, hr, crop)
    mse = float(np.mean((a - b) ** 2))
    if mse == 0.0:
        return math.inf
    return 10.0 * math.log10(DATA_RANGE**2 / mse)


def ssim_y(sr: np.ndarray, hr: np.ndarray, crop: int) -> float:
    """Structural similarity (Wang et al. 2004) on Y, border ``crop`` shaved, in [-1, 1]."""
    a, b = _y_pair(sr, hr, crop)
    win = 2 * int(3.5 * SSIM_SIGMA + 0.5) + 1  # 11, the window scikit-image derives from sigma
    if min(a.shape) < win:
        raise ImageError(f"SSIM needs at least {win}x{win} pixels after the crop; got {a.shape}")
    return float(
        structural_similarity(
            a,
            b,
            data_range=DATA_RANGE,
            gaussian_weights=True,
            sigma=SSIM_SIGMA,
            use_sample_covariance=False,
            K1=SSIM_K1,
            K2=SSIM_K2,
        )
    )


class GroundTruth(Protocol):
    """What scoring needs of a problem: the HR Y plane and the scale (an ``SRPair`` has both)."""

    hr_y: np.ndarray
    scale: int


def _scored(prediction: np.ndarray, truth: GroundTruth) -> np.ndarray:
    arr = np.asarray(prediction)
    if arr.shape != np.shape(truth.hr_y):
        raise ImageError(
            f"a prediction of shape {arr.shape} is not on the HR grid {np.shape(truth.hr_y)}")
    return to_uint8(arr).astype(np.float64)  # the benchmark scripts' uint8(im_h)


def score(prediction: np.ndarray, pair: GroundTruth) -> tuple[float, float]:
    """(PSNR dB, SSIM) of a Y prediction as DRCN's Table 2 scores it: rounded and clipped to
    uint8 as MATLAB's ``uint8()`` (what reproduces the paper's bicubic row), ``crop = scale``
    pixels shaved, on Y. ``prediction``: float H x W in [0, 255] on the HR grid."""
    scored = _scored(prediction, pair)
    return psnr_y(scored, pair.hr_y, crop=pair.scale), ssim_y(scored, pair.hr_y, crop=pair.scale)


def score_psnr(prediction: np.ndarray, pair: GroundTruth) -> float:
    """The PSNR of :func:`score` alone (SSIM costs more than the prediction on small images)."""
    return psnr_y(_scored(prediction, pair), pair.hr_y, crop=pair.scale)
