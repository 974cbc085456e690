"""How a benchmark image becomes a super-resolution problem: the one place that says so.

``benchmark_pair(hr, scale)`` reproduces the bicubic row of DRCN's Table 2 (Set5, Set14, B100 at
x2, x3, x4) to within 0.01 dB. The pipeline is that of SRCNN's public MATLAB demo (``demo_SR.m``),
whose bicubic numbers DRCN's table repeats:

1. ``modcrop`` the HR image to a multiple of ``scale`` (top-left kept, as Huang et al.'s copies);
2. Y of MATLAB ``rgb2ycbcr`` on the uint8 image, which MATLAB returns as **uint8** (so Y is
   rounded); greyscale files (Set14's ``bridge``) keep their own intensity (``if size(im,3)>1``);
3. ``lr_y = imresize(y / 255, 1/s, 'bicubic')`` and ``bicubic_y = imresize(lr_y, s, 'bicubic')``,
   both in floating point (the LR is not rounded); ``bicubic_y`` is the network's input;
4. the scored image is ``uint8(bicubic_y * 255)`` (rounded, clipped), likewise for the network's
   output; PSNR/SSIM on Y with a ``scale``-pixel border shaved, averaged over the set's images.

Why this one: measured against the paper. Mean PSNR/SSIM of the bicubic baseline (paper in
brackets):

=================  =====================  =====================  =====================
pipeline           Set5 x2                Set14 x3               B100 x2
=================  =====================  =====================  =====================
this one           33.661/0.9299          27.541/0.7736          29.558/0.8431
(paper)            (33.66/0.9299)         (27.55/0.7742)         (29.56/0.8431)
Y unrounded        33.690/0.9308          27.546/0.7743          29.570/0.8439
no final uint8     33.677/0.9304          27.544/0.7741          29.565/0.8436
RGB uint8 resize   33.673/0.9303          27.537/0.7745          29.560/0.8434
uint8 Y resize     33.637/0.9291          27.537/0.7734          29.547/0.8424
=================  =====================  =====================  =====================

("Y unrounded": ``rgb2ycbcr`` on doubles, as VDSR's test script; "RGB uint8 resize": imresize the
RGB image as uint8, then take Y; "uint8 Y resize": imresize the uint8 Y with MATLAB's per-pass
rounding.) Several candidates are within 0.02 dB on PSNR, but only this one is within 0.01 dB
on all nine rows (Set5 33.66/30.39/28.42, Set14 30.23/27.54/26.00, B100 29.56/27.21/25.96) and
also reproduces the paper's bicubic SSIMs on Set5 and B100 to 1e-4. On Set14 the paper's SSIMs
(0.8688/0.7742/0.7027) are up to 0.0008 above this pipeline's (0.8687/0.7736/0.7019), and no
candidate matched all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drcn_lib.errors import ImageError
from drcn_lib.protocol.colour import rgb_to_ycbcr, to_y
from drcn_lib.protocol.resize import imresize, modcrop, to_uint8


@dataclass(frozen=True, eq=False)
class SRPair:
    """One benchmark problem at one scale; all arrays are read-only, on the HR grid unless noted.

    Attributes:
        hr: the modcropped ground truth as loaded, uint8 HxW or HxWx3 RGB.
        hr_y: target Y, float64 HxW in [0, 255] units (uint8-rounded values, see module doc).
        lr_y: low-resolution Y, float64 (H/s)x(W/s), unrounded.
        bicubic_y: ``lr_y`` upsampled back to HxW by MATLAB bicubic, float64, unrounded: the
            network's input (divide by 255 for the [0, 1] tensors of ``drcn_lib.model``).
        scale: the integer factor s.
        bicubic_cbcr: for colour images, the Cb and Cr planes down- and up-sampled the same way
            (float64 HxWx2 in [0, 255] units) to colour a super-resolved Y for display; ``None``
            for greyscale images.
        name: an optional label such as the file stem, for reports.
    """

    hr: np.ndarray
    hr_y: np.ndarray
    lr_y: np.ndarray
    bicubic_y: np.ndarray
    scale: int
    bicubic_cbcr: np.ndarray | None = None
    name: str = ""

    @property
    def bicubic_scored(self) -> np.ndarray:
        """The bicubic baseline as the benchmark scores it: ``uint8(bicubic_y)`` as float64."""
        return to_uint8(self.bicubic_y).astype(np.float64)


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.setflags(write=False)
    return arr


def benchmark_pair(hr: np.ndarray, scale: int, name: str = "") -> SRPair:
    """Make the super-resolution problem for ``hr`` at ``scale`` exactly as the benchmark does.

    Args:
        hr: ground truth, uint8 HxW greyscale or HxWx3 RGB
        (``drcn_lib.protocol.image_io.load_image``).
            Never modified.
        scale: integer upscaling factor (2, 3 and 4 in the paper).
        name: optional label stored on the pair.
    """
    arr = np.asarray(hr)
    if arr.dtype != np.uint8:
        raise ImageError(
            f"benchmark_pair expects the uint8 image as loaded (load_image); got {arr.dtype}"
        )
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ImageError(f"benchmark_pair expects HxW or HxWx3; got shape {arr.shape}")
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise ImageError(
            f"scale must be an integer of at least 2 (the paper uses 2, 3, 4); got {scale!r}"
        )
    cropped = modcrop(arr, int(scale))
    if min(cropped.shape[:2]) < 2 * scale:
        raise ImageError(f"image of shape {arr.shape} is too small for scale {scale}")
    hr_y = to_uint8(to_y(cropped)).astype(np.float64)  # MATLAB rgb2ycbcr(uint8) -> uint8
    lr_y = imresize(hr_y, 1.0 / scale)
    bicubic_y = imresize(lr_y, float(scale))
    cbcr = None
    if cropped.ndim == 3:
        chroma = rgb_to_ycbcr(cropped)[:, :, 1:]
        cbcr = imresize(imresize(chroma, 1.0 / scale), float(scale))
    return SRPair(
        hr=_readonly(cropped),
        hr_y=_readonly(hr_y),
        lr_y=_readonly(lr_y),
        bicubic_y=_readonly(bicubic_y),
        scale=int(scale),
        bicubic_cbcr=None if cbcr is None else _readonly(cbcr),
        name=name,
    )
