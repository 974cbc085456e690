"""Look at super-resolution results: HR, LR, bicubic and predictions side by side.

Every lesson compares images the same way, so the drawing lives here once:

* :func:`show_images`: a row of images with the same zoomed crop under each (red box above);
* :func:`show_pair`: one :class:`~drcn_lib.protocol.pairs.SRPair` as HR | LR | bicubic (+ any model
  predictions), each titled with its PSNR as the benchmark scores it;
* :func:`difference_map`: prediction minus target in grey levels, with the shaved border marked;
* :func:`show_ycbcr`: the Y, Cb, Cr planes of an RGB image (why DRCN works on Y);
* :func:`show_lr_preview` and :func:`bicubic_figure`: the slider callbacks of lessons 00 and 01.

Conventions (as the rest of the course): images are numpy arrays in [0, 255] units, uint8 or
float, HxW (a Y plane, drawn in grey with 0 black and 255 white) or HxWx3 RGB. A ``Box`` is
``(top, left, height, width)`` in pixels of the HR grid. Colour versions of a super-resolved Y
use the bicubic Cb/Cr, the display convention of SRCNN/DRCN papers (only Y is scored).
All functions return a :class:`matplotlib.figure.Figure` detached from pyplot
(:mod:`drcn_lib.viz.figures`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from drcn_lib.errors import ImageError
from drcn_lib.protocol.colour import rgb_to_ycbcr, to_y, ycbcr_to_rgb
from drcn_lib.protocol.metrics import score_psnr as scored_psnr  # the benchmark's PSNR
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.protocol.resize import imresize, to_uint8
from drcn_lib.viz.figures import hide_ticks, new_figure

Box = tuple[int, int, int, int]
"""(top, left, height, width) in pixels."""


def to_display(img: np.ndarray) -> np.ndarray:
    """uint8 for ``imshow``: float [0, 255] values rounded and clipped as MATLAB's ``uint8``."""
    return to_uint8(np.asarray(img))


def y_to_rgb(y: np.ndarray, cbcr: np.ndarray) -> np.ndarray:
    """Colour a Y plane (HxW, [0, 255]) with chroma planes (HxWx2, [0, 255]): uint8 HxWx3 RGB."""
    y_arr, c_arr = np.asarray(y, dtype=np.float64), np.asarray(cbcr, dtype=np.float64)
    if y_arr.ndim != 2 or c_arr.shape != (*y_arr.shape, 2):
        raise ImageError(
            f"y_to_rgb needs Y of shape HxW and CbCr of shape HxWx2 on the same grid; got "
            f"{y_arr.shape} and {c_arr.shape}"
        )
    return to_uint8(ycbcr_to_rgb(np.dstack([y_arr, c_arr])))


def nearest_upsample(img: np.ndarray, scale: int) -> np.ndarray:
    """Repeat every pixel ``scale`` x ``scale`` times: how an LR image looks on the HR grid."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ImageError(f"scale must be a positive integer such as 2, 3 or 4; got {scale!r}")
    arr = np.asarray(img)
    return np.repeat(np.repeat(arr, scale, axis=0), scale, axis=1)


def crop(img: np.ndarray, box: Box) -> np.ndarray:
    """The ``box`` = (top, left, height, width) of ``img``; an :class:`ImageError` if outside."""
    top, left, height, width = (int(v) for v in box)
    arr = np.asarray(img)
    if height < 1 or width < 1 or top < 0 or left < 0 or top + height > arr.shape[0] \
            or left + width > arr.shape[1]:
        raise ImageError(
            f"box (top={top}, left={left}, height={height}, width={width}) does not fit an "
            f"image of shape {arr.shape}"
        )
    return arr[top:top + height, left:left + width]


def detail_box(img: np.ndarray, size: int = 48, margin: int = 4) -> Box:
    """The ``size`` x ``size`` window with the most edge energy: where resizing loses most.

    Sums the squared finite differences of Y over every window (an integral image, so all
    windows cost one pass) and keeps the maximum, staying ``margin`` pixels off the border.
    Deterministic; ties go to the top-left-most window.
    """
    y = to_y(np.asarray(img))
    h, w = y.shape
    size = int(min(size, h - 2 * margin, w - 2 * margin))
    if size < 1:
        raise ImageError(f"image of shape {y.shape} is too small for a detail box")
    energy = np.zeros_like(y)
    energy[:, 1:] += np.diff(y, axis=1) ** 2
    energy[1:, :] += np.diff(y, axis=0) ** 2
    integral = np.pad(energy.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    sums = (integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size]
            + integral[:-size, :-size])
    sums = sums[margin:h - size - margin + 1, margin:w - size - margin + 1]
    top, left = np.unravel_index(int(np.argmax(sums)), sums.shape)
    return (int(top) + margin, int(left) + margin, size, size)


def _draw(ax: Axes, img: np.ndarray, title: str = "", zoomed: bool = False) -> None:
    arr = to_display(img)
    kwargs = {"interpolation": "nearest"} if zoomed else {}
    if arr.ndim == 2:
        ax.imshow(arr, cmap="gray", vmin=0, vmax=255, **kwargs)
    else:
        ax.imshow(arr, **kwargs)
    ax.set_title(title, fontsize=9)
    hide_ticks(ax)


def show_images(
    images: Mapping[str, np.ndarray],
    box: Box | None = None,
    title: str = "",
    size: float = 3.0,
) -> Figure:
    """One row of images (titles = keys), and under each the same ``box`` zoomed in.

    All images must share their height and width (the HR grid). ``box=None`` draws only the
    top row. Grey images use a fixed 0..255 scale, so equal values look equal across panels.
    """
    if not images:
        raise ImageError("show_images needs at least one image")
    shapes = {np.asarray(v).shape[:2] for v in images.values()}
    if len(shapes) != 1:
        raise ImageError(f"show_images needs images on one grid; got shapes {sorted(shapes)}")
    rows = 1 if box is None else 2
    fig, axes = new_figure(rows, len(images), size=(size * len(images), (size + 0.3) * rows + 0.4))
    for col, (name, img) in enumerate(images.items()):
        _draw(axes[0, col], img, name)
        if box is not None:
            top, left, height, width = box
            axes[0, col].add_patch(Rectangle((left - 0.5, top - 0.5), width, height,
                                             fill=False, edgecolor="red", linewidth=1.2))
            _draw(axes[1, col], crop(img, box), f"zoom {height}x{width} px", zoomed=True)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def pair_images(
    pair: SRPair,
    predictions: Mapping[str, np.ndarray] | None = None,
    colour: bool = True,
) -> dict[str, np.ndarray]:
    """HR, LR (nearest-enlarged to the HR grid) and bicubic, plus ``predictions`` (Y planes on
    the HR grid, [0, 255]), titled with their PSNR; colour when the pair has chroma."""
    s = pair.scale
    use_colour = colour and pair.bicubic_cbcr is not None
    lr_h, lr_w = pair.lr_y.shape
    if use_colour:
        lr_cbcr = imresize(rgb_to_ycbcr(pair.hr)[:, :, 1:], 1.0 / s)
        hr, lr = pair.hr, y_to_rgb(pair.lr_y, lr_cbcr)

        def paint(y: np.ndarray) -> np.ndarray:
            return y_to_rgb(y, pair.bicubic_cbcr)
    else:
        hr, lr = pair.hr_y, pair.lr_y

        def paint(y: np.ndarray) -> np.ndarray:
            return np.asarray(y)
    images = {
        "HR (ground truth)": hr,
        f"LR x{s} ({lr_h}x{lr_w} px)": nearest_upsample(lr, s),
        f"bicubic {scored_psnr(pair.bicubic_y, pair):.2f} dB": paint(pair.bicubic_y),
    }
    for name, pred in (predictions or {}).items():
        pred_arr = np.asarray(pred, dtype=np.float64)
        if pred_arr.shape != pair.hr_y.shape:
            raise ImageError(
                f"prediction {name!r} has shape {pred_arr.shape}; expected the HR grid "
                f"{pair.hr_y.shape}"
            )
        images[f"{name} {scored_psnr(pred_arr, pair):.2f} dB"] = paint(pred_arr)
    return images


def show_pair(
    pair: SRPair,
    predictions: Mapping[str, np.ndarray] | None = None,
    box: Box | None = None,
    colour: bool = True,
    title: str = "",
) -> Figure:
    """HR | LR | bicubic (| predictions) of one benchmark problem, with a zoomed detail row.

    PSNRs in the titles are on Y with ``scale`` pixels shaved (the paper's protocol).
    ``box=None`` picks the most detailed 48x48 window (:func:`detail_box`).
    """
    box = detail_box(pair.hr_y) if box is None else box
    name = f"{pair.name} " if pair.name else ""
    title = title or f"{name}x{pair.scale}: the LR image has 1/{pair.scale ** 2} of the pixels"
    return show_images(pair_images(pair, predictions, colour), box=box, title=title)


def difference_map(
    prediction: np.ndarray,
    target: np.ndarray,
    crop: int = 0,
    limit: float | None = None,
    title: str = "",
) -> Figure:
    """``prediction - target`` on Y in grey levels (red: too bright, blue: too dark).

    ``crop`` > 0 draws the border that PSNR shaves as a dashed frame. ``limit`` fixes the colour
    range to +-limit (default: the 99th percentile of |error|, so a few outliers do not wash it
    out). Inputs: HxW Y or HxWx3 RGB in [0, 255] of the same shape.
    """
    pred, tgt = to_y(np.asarray(prediction)), to_y(np.asarray(target))
    if pred.shape != tgt.shape:
        raise ImageError(f"prediction {pred.shape} and target {tgt.shape} differ in shape")
    diff = pred - tgt
    lim = float(limit) if limit is not None else max(float(np.percentile(np.abs(diff), 99)), 1.0)
    fig, axes = new_figure(1, 1, size=(5.0, 4.6))
    ax = axes[0, 0]
    im = ax.imshow(diff, cmap="RdBu_r", vmin=-lim, vmax=lim)
    hide_ticks(ax)
    if crop > 0:
        h, w = diff.shape
        ax.add_patch(Rectangle((crop - 0.5, crop - 0.5), w - 2 * crop, h - 2 * crop, fill=False,
                               edgecolor="black", linestyle="--", linewidth=1.0))
    rmse = float(np.sqrt(np.mean(diff**2)))
    ax.set_title(title or f"Error = prediction - target (RMSE {rmse:.2f} grey levels)",
                 fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="error (grey levels)")
    fig.tight_layout()
    return fig


def show_ycbcr(rgb: np.ndarray, title: str = "") -> Figure:
    """The Y, Cb and Cr planes of an RGB image ([0, 255]), each on the same 0..255 grey scale."""
    ycc = rgb_to_ycbcr(np.asarray(rgb))
    planes = {
        "Y (luminance): the detail": ycc[:, :, 0],
        "Cb (blue-difference)": ycc[:, :, 1],
        "Cr (red-difference)": ycc[:, :, 2],
    }
    return show_images(planes, title=title or "The detail lives in Y; Cb and Cr are smooth")


def show_lr_preview(hr: np.ndarray, scale: int) -> Figure:
    """HR beside its MATLAB-bicubic LR at ``scale``, the LR enlarged by repeating pixels.

    The slider callback of lesson 00: how little of the image the network gets at each scale.
    """
    pair = benchmark_pair(np.asarray(hr), int(scale))
    lr_h, lr_w = pair.lr_y.shape
    h, w = pair.hr_y.shape
    images = {
        f"HR {h}x{w} px": pair.hr_y,
        f"LR x{scale}: {lr_h}x{lr_w} px": nearest_upsample(pair.lr_y, pair.scale),
    }
    return show_images(images, title=f"x{scale}: the LR image has 1/{scale * scale} of the pixels")


def bicubic_figure(hr: np.ndarray, scale: int, box: Box | None = None) -> Figure:
    """HR, LR and bicubic at ``scale`` with the bicubic PSNR: the scale slider of lesson 01.

    Args:
        hr: uint8 HxWx3 or HxW image as loaded; never modified.
        scale: 2, 3 or 4 (any integer >= 2 works).
        box: the zoom window (default: the most detailed 48x48 window of the HR image).
    """
    pair = benchmark_pair(np.asarray(hr), int(scale))
    box = detail_box(pair.hr_y) if box is None else box
    psnr = scored_psnr(pair.bicubic_y, pair)
    return show_images(pair_images(pair), box=box,
                       title=f"x{scale}: bicubic reaches {psnr:.2f} dB; larger scale, more blur")
