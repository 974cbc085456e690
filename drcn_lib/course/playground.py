"""DRCN on a learner's own image: decode it, make the problem, run ONE forward pass, report.

Lesson 12 (the playground) and its widget (:mod:`drcn_lib.viz.playground_view`) call only this
module; the figures live in the widget module, so this one needs no matplotlib.

A photo can be read two ways, and the playground offers both, clearly labelled (:data:`MODES`):

* ``"shrink"``: the photo is the ground truth (HR). It is shrunk by the scale and enlarged back
  exactly as the benchmark does (:func:`drcn_lib.protocol.pairs.benchmark_pair`), so PSNR against
  the
  photo can be measured, as in the paper's tables;
* ``"enlarge"``: the photo is the low-resolution input. Its Y is enlarged ``scale`` times by
  MATLAB bicubic and DRCN restores detail on that grid. There is no ground truth, so no PSNR:
  this is what super-resolution is used for, and what cannot be scored.

All images are numpy arrays in [0, 255] units: uploads decode to uint8 HxW or HxWx3 RGB
(:func:`drcn_lib.protocol.image_io.load_image_bytes`, EXIF orientation applied); Y planes are
float64
HxW on the output (HR) grid. One forward pass of :func:`drcn_lib.engine.prediction.predict_y`
returns
every intermediate output y_1..y_D and the ensemble, so a depth slider needs no recomputation.
Large images are processed in tiles (exact, see :mod:`drcn_lib.engine.prediction`), and images whose
OUTPUT would exceed a pixel budget are centre-cropped first, with a message saying so: a CPU
runs DRCN (32 filters, D = 16) at very roughly 40-200 k output pixels per second.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image
from torch import nn

from drcn_lib.engine.prediction import Prediction, predict_y
from drcn_lib.errors import ImageError
from drcn_lib.pretrained import available, pretrained
from drcn_lib.protocol.colour import rgb_to_ycbcr, to_y, ycbcr_to_rgb
from drcn_lib.protocol.image_io import load_image_bytes
from drcn_lib.protocol.metrics import score_psnr
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.protocol.resize import imresize, to_uint8
from drcn_lib.runs.load_or_train import describe_run, load_or_train, stand_in_config

#: The two readings of a learner's image, with the label a learner sees.
MODES: dict[str, str] = {
    "shrink": "my image is the original: shrink it, then restore it (PSNR measurable)",
    "enlarge": "my image is the low-resolution input: enlarge it (no ground truth, no PSNR)",
}
#: The paper's scales.
SCALES: tuple[int, ...] = (2, 3, 4)
#: Set5 images offered as samples (lenna is never shown; see the notebook conventions).
SAMPLES: tuple[str, ...] = ("butterfly", "bird", "baby", "head", "woman")
#: Tile side for predict_y: bounds memory on large images at an exact result.
DEFAULT_TILE = 256
#: Uploads larger than this many pixels are refused before decoding (a 12 MP phone photo is fine).
MAX_UPLOAD_PIXELS = 50_000_000



@dataclass(frozen=True)
class Psnrs:
    """PSNR (dB) of every output of one prediction, and of the bicubic input, benchmark-scored
    (:func:`drcn_lib.protocol.metrics.score_psnr`)."""

    outputs: Prediction[float]
    bicubic: float

    def at(self, key: int | str) -> float:
        """The PSNR of y_d for an integer d, of ``"ensemble"`` or of ``"bicubic"``."""
        if key == "bicubic":
            return self.bicubic
        return self.outputs.ensemble if key == "ensemble" else self.outputs.at(key)


@dataclass(frozen=True, eq=False)
class Problem:
    """What the network gets and what it is judged against, for one image, scale and mode.

    Attributes:
        name: a label (file stem) used in titles and download names.
        scale: the factor s.
        mode: a key of :data:`MODES`.
        bicubic_y: the network's input, float64 HxW in [0, 255] (unrounded MATLAB bicubic).
        cbcr: bicubic chroma (float64 HxWx2, [0, 255]) to colour a Y prediction; None if grey.
        hr_y: ground-truth Y (float64 HxW, uint8-rounded values) in mode "shrink", else None.
        lr_shape: (height, width) of the low-resolution image.
        note: what was done to fit the budget (a crop), or "".
    """

    name: str
    scale: int
    mode: str
    bicubic_y: np.ndarray
    cbcr: np.ndarray | None
    hr_y: np.ndarray | None
    lr_shape: tuple[int, int]
    note: str = ""

    @property
    def has_truth(self) -> bool:
        return self.hr_y is not None

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) of the output grid."""
        h, w = self.bicubic_y.shape
        return int(h), int(w)


def decode_upload(content: bytes | bytearray | memoryview, name: str) -> np.ndarray:
    """A learner's uploaded file as uint8 HxW or HxWx3 RGB, upright (EXIF applied).

    Every failure is an :class:`ImageError` naming the file and the reason (empty, not an
    image, truncated, too many pixels, unsupported mode), for the widget to show as one line.
    """
    return load_image_bytes(content, name=name or "upload", max_pixels=MAX_UPLOAD_PIXELS,
                            exif_transpose=True)


def _check_choice(scale: int, mode: str) -> None:
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise ImageError(f"scale must be an integer of at least 2, e.g. one of {SCALES}; "
                         f"got {scale!r}")
    if mode not in MODES:
        raise ImageError(f"mode must be one of {sorted(MODES)}; got {mode!r}")


def output_pixels(shape: tuple[int, ...], scale: int, mode: str) -> int:
    """Pixels of the output grid for an image of ``shape`` (the network's cost grows with it)."""
    _check_choice(scale, mode)
    h, w = int(shape[0]), int(shape[1])
    return h * w * (scale * scale if mode == "enlarge" else 1)


def fit_budget(image: np.ndarray, scale: int, mode: str, max_pixels: int) -> tuple[np.ndarray, str]:
    """Centre-crop ``image`` so that the output has at most ``max_pixels`` pixels.

    Cropping (not shrinking) keeps the photo's own detail, which is what DRCN is about. Returns
    the (possibly unchanged, never copied) image and a sentence saying what was done, or "".
    """
    arr = np.asarray(image)
    if max_pixels < 1:
        raise ImageError(f"max_pixels must be a positive number of pixels; got {max_pixels!r}")
    total = output_pixels(arr.shape, scale, mode)
    if total <= max_pixels:
        return arr, ""
    h, w = arr.shape[:2]
    factor = math.sqrt(max_pixels / total)
    nh, nw = max(int(h * factor), 1), max(int(w * factor), 1)
    top, left = (h - nh) // 2, (w - nw) // 2
    out_h, out_w = (nh * scale, nw * scale) if mode == "enlarge" else (nh, nw)
    note = (f"the output of the whole {w}x{h} image would have {total / 1e6:.2f} MP, over the "
            f"budget of {max_pixels / 1e6:.2f} MP (max_megapixels); DRCN runs on its centre "
            f"{nw}x{nh} crop ({out_w}x{out_h} output)")
    return arr[top:top + nh, left:left + nw], note


def prepare(
    image: np.ndarray,
    scale: int,
    mode: str = "shrink",
    name: str = "image",
    max_pixels: int | None = None,
) -> Problem:
    """Make the super-resolution problem for ``image`` (uint8 HxW or HxWx3 RGB, as decoded).

    ``"shrink"`` follows :func:`drcn_lib.protocol.pairs.benchmark_pair` (modcrop, Y of MATLAB
    ``rgb2ycbcr`` rounded to uint8, bicubic down and up); ``"enlarge"`` takes the uint8-rounded
    Y of ``image`` itself as the LR and enlarges it (and Cb, Cr) by MATLAB bicubic.
    ``max_pixels`` caps the output size (:func:`fit_budget`). Never modifies ``image``.
    """
    _check_choice(scale, mode)
    arr = np.asarray(image)
    if arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ImageError(f"{name}: expected a uint8 HxW or HxWx3 image as decoded; got "
                         f"{arr.dtype} of shape {arr.shape}")
    note = ""
    if max_pixels is not None:
        arr, note = fit_budget(arr, scale, mode, max_pixels)
    s = int(scale)
    if mode == "shrink":
        try:
            pair = benchmark_pair(arr, s, name=name)
        except ImageError as exc:
            raise ImageError(f"{name}: {exc}") from exc
        return Problem(name, s, mode, pair.bicubic_y, pair.bicubic_cbcr, pair.hr_y,
                       pair.lr_y.shape, note)
    if min(arr.shape[:2]) < 4:
        raise ImageError(f"{name}: an image of {arr.shape[1]}x{arr.shape[0]} pixels is too small "
                         "to enlarge; use at least 4x4")
    lr_y = to_uint8(to_y(arr)).astype(np.float64)
    cbcr = imresize(rgb_to_ycbcr(arr)[:, :, 1:], float(s)) if arr.ndim == 3 else None
    return Problem(name, s, mode, imresize(lr_y, float(s)), cbcr, None, lr_y.shape, note)


def depths(pred: Prediction) -> list[int]:
    """The intermediate outputs d = 1..D present in a prediction, sorted."""
    return list(pred.depths)


def run_model(model: nn.Module, problem: Problem, device: str = "cpu",
              tile: int | None = DEFAULT_TILE) -> Prediction[np.ndarray]:
    """ONE forward pass: the ensemble y and y_1..y_D (float64 HxW, [0, 255]).

    Tiled (``tile`` x ``tile`` blocks with the receptive margin, exact) when the image is larger
    than a tile. A model without recursive supervision gives y_D as its only output.
    """
    return predict_y(model, problem.bicubic_y, device=device, tile=tile)


def scored(y: np.ndarray, problem: Problem) -> float | None:
    """PSNR (dB) of a Y prediction as the benchmark scores it (``uint8()`` first, ``scale``
    pixels shaved); None without ground truth."""
    if problem.hr_y is None:
        return None
    return score_psnr(y, problem)  # type: ignore[arg-type]  # hr_y is set


def psnrs(pred: Prediction[np.ndarray], problem: Problem) -> Psnrs | None:
    """PSNR of every output and of the bicubic input; None in mode "enlarge" (no truth)."""
    if problem.hr_y is None:
        return None
    return Psnrs(pred.map(lambda y: score_psnr(y, problem)),  # type: ignore[arg-type]
                 score_psnr(problem.bicubic_y, problem))  # type: ignore[arg-type]


def change_rms(y: np.ndarray, problem: Problem) -> float:
    """RMS difference (grey levels) between a prediction and the bicubic input: how much DRCN
    changed, measurable with or without ground truth."""
    return float(np.sqrt(np.mean((np.asarray(y, dtype=np.float64) - problem.bicubic_y) ** 2)))


def output(pred: Prediction[np.ndarray], d: int) -> np.ndarray:
    """y_d of a prediction, or an :class:`ImageError` listing the valid d."""
    if d not in pred.depths:
        raise ImageError(f"output d={d!r} is not in the prediction; valid d are {depths(pred)}")
    return pred.at(d)


def summary(pred: Prediction[np.ndarray], problem: Problem, d: int,
            scores: Psnrs | None = None) -> str:
    """One line of plain text on output d: its PSNR against bicubic's (and the ensemble's and the
    best d's), or, without ground truth, how much it changed the bicubic image."""
    change = f"changes bicubic by {change_rms(output(pred, d), problem):.2f} grey levels RMS"
    scores = scores if scores is not None else psnrs(pred, problem)
    if scores is None:
        return (f"y_{d}: {change}. No ground truth (your image is the low-resolution input), so "
                "no PSNR: judge by eye.")
    gain = scores.at(d) - scores.bicubic
    best = max(pred.depths, key=scores.at)
    parts = [f"y_{d}: PSNR {scores.at(d):.2f} dB", f"bicubic {scores.bicubic:.2f} dB",
             f"gain {gain:+.2f} dB", f"ensemble {scores.outputs.ensemble:.2f} dB",
             f"best single output y_{best} ({scores.at(best):.2f} dB)"]
    return " | ".join(parts) + f"; y_{d} {change}."


def to_rgb(y: np.ndarray, problem: Problem) -> np.ndarray:
    """A Y prediction as the picture a learner downloads: uint8 HxWx3 RGB coloured with the
    bicubic Cb/Cr (the display convention of the SR papers), or uint8 HxW for a grey image."""
    arr = np.asarray(y, dtype=np.float64)
    if arr.shape != problem.shape:
        raise ImageError(f"prediction of shape {arr.shape} is not on the output grid "
                         f"{problem.shape}")
    if problem.cbcr is None:
        return to_uint8(arr)
    return to_uint8(ycbcr_to_rgb(np.dstack([arr, problem.cbcr])))


def png_bytes(img: np.ndarray) -> bytes:
    """Lossless PNG encoding of a uint8 HxW or HxWx3 image (what the download link carries)."""
    arr = np.asarray(img)
    if arr.dtype != np.uint8 or not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ImageError(f"png_bytes expects uint8 HxW or HxWx3; got {arr.dtype} {arr.shape}")
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def download_name(problem: Problem, key: int | str) -> str:
    """A file name that says what the file holds: ``butterfly_drcn_x3_y16.png``."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", problem.name).strip("-") or "image"
    what = f"y{key}" if isinstance(key, int) else str(key)
    return f"{stem}_drcn_x{problem.scale}_{what}.png"


def download_link(data: bytes, filename: str, label: str) -> str:
    """An HTML ``<a download>`` link carrying ``data`` as a base64 PNG data URI.

    Works in JupyterLab, Notebook 7, VS Code and Colab without a server round trip; the browser
    saves the file under ``filename``.
    """
    b64 = base64.b64encode(data).decode("ascii")
    return (f'<a download="{html.escape(filename, quote=True)}" '
            f'href="data:image/png;base64,{b64}">{html.escape(label)}</a>')


def playground_model(scale: int, log: Callable[[str], None] = print,
                     progress: bool = False) -> tuple[nn.Module, str]:
    """The model for ``scale``, with a sentence saying which one it is, in this order:

    1. the shipped ``drcn-x{scale}-d16`` (:func:`drcn_lib.pretrained.pretrained`);
    2. the shipped ``drcn-x3-d16`` applied at this scale (DRCN trains one model per scale, so
       expect a smaller gain than at x3);
    3. the course's stand-in run (:func:`drcn_lib.runs.load_or_train.stand_in_config`, 200
       steps of the ``short`` preset, a few minutes on a laptop CPU; 6 in smoke mode) trained
       or reused by :func:`drcn_lib.runs.load_or_train.load_or_train`.
    """
    shipped = available()
    exact = f"drcn-x{int(scale)}-d16"
    if exact in shipped:
        model, info = pretrained(exact)
        return model, f"shipped weights {exact} ({describe_run(info)})"
    if "drcn-x3-d16" in shipped:
        model, info = pretrained("drcn-x3-d16")
        return model, (f"no x{scale} model is shipped: the x3 model drcn-x3-d16 runs on the "
                       f"x{scale} input ({describe_run(info)}); DRCN trains one model per "
                       "scale, so expect less gain than at x3")
    model, info = load_or_train(exact, stand_in_config(scale=int(scale)), log=log,
                                progress=progress)
    return model, (f"NO shipped weights in this copy: a short stand-in run "
                   f"({describe_run(info)}), far from the paper's model")
