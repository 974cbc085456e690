"""The playground's figure: DRCN's output at recursion d beside bicubic and the ground truth.

:func:`depth_figure` draws one output y_d of a prediction
(:func:`drcn_lib.course.playground.run_model`:
one forward pass holds y_1..y_D and the ensemble) in two rows: the whole images on top, the same
zoomed crop below (red box), and a difference map ``y_d - bicubic`` in grey levels, i.e. the
detail recursion d adds to the bicubic input. The colour range of that map is fixed per image
(from the ensemble), so moving a depth slider shows the added detail grow or shrink rather than
a rescaled picture. Colour pictures use the bicubic Cb/Cr (only Y is super-resolved and scored,
as in the paper). Returns a :class:`~matplotlib.figure.Figure` detached from pyplot.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from drcn_lib.course.playground import Problem, Psnrs, output, psnrs, to_rgb
from drcn_lib.engine.prediction import Prediction
from drcn_lib.viz.figures import hide_ticks, new_figure
from drcn_lib.viz.images import Box, crop, detail_box


def difference_limit(pred: Prediction, problem: Problem) -> float:
    """Colour range (+-grey levels) of the difference maps: the 99th percentile of
    |ensemble - bicubic|, at least 1, so every d of one image is drawn on one scale."""
    ref = np.asarray(pred.ensemble, dtype=np.float64) - problem.bicubic_y
    return max(float(np.percentile(np.abs(ref), 99)), 1.0)


def zoom_box(problem: Problem, size: int = 64) -> Box:
    """The zoom window: the most detailed ``size`` x ``size`` window of the bicubic input, at most
    a third of the image's shorter side (so the zoom really magnifies), at least 8 pixels."""
    side = max(min(size, min(problem.shape) // 3), 8)
    return detail_box(problem.bicubic_y, size=side, margin=min(4, min(problem.shape) // 8))


def _show(ax: Axes, img: np.ndarray, title: str, box: Box | None, zoomed: bool) -> None:
    kwargs: dict[str, Any] = {"interpolation": "nearest"} if zoomed else {}
    if img.ndim == 2:
        ax.imshow(img, cmap="gray", vmin=0, vmax=255, **kwargs)
    else:
        ax.imshow(img, **kwargs)
    if box is not None:
        top, left, h, w = box
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False, edgecolor="red",
                               linewidth=1.2))
    ax.set_title(title, fontsize=9)
    hide_ticks(ax)


def depth_figure(
    problem: Problem,
    pred: Prediction[np.ndarray],
    d: int,
    box: Box | None = None,
    scores: Psnrs | None = None,
    limit: float | None = None,
) -> Figure:
    """Bicubic | y_d | ground truth (mode "shrink" only) | y_d - bicubic, whole and zoomed.

    Args:
        problem: the image's :class:`~drcn_lib.course.playground.Problem`.
        pred: the ensemble and y_1..y_D (float64 HxW, [0, 255]), as ``run_model`` gives.
        d: which output to show, 1..D.
        box: the zoom window (top, left, height, width); default :func:`zoom_box`.
        scores: :func:`drcn_lib.course.playground.psnrs` when already computed.
        limit: colour range of the difference maps (default :func:`difference_limit`).
    """
    yd = np.asarray(output(pred, d), dtype=np.float64)
    scores = scores if scores is not None else psnrs(pred, problem)
    box = box if box is not None else zoom_box(problem)
    limit = limit if limit is not None else difference_limit(pred, problem)

    def dB(key: int | str) -> str:
        return f": {scores.at(key):.2f} dB" if scores else ""

    panels = [(f"bicubic x{problem.scale}{dB('bicubic')}", to_rgb(problem.bicubic_y, problem)),
              (f"DRCN y_{d}{dB(d)}", to_rgb(yd, problem))]
    if problem.hr_y is not None:
        panels.append(("ground truth (your image)", to_rgb(problem.hr_y, problem)))
    cols = len(panels) + 1
    fig, axes = new_figure(2, cols, size=(3.2 * cols, 6.6))
    for col, (title, img) in enumerate(panels):
        _show(axes[0, col], img, title, box, zoomed=False)
        _show(axes[1, col], crop(img, box), f"zoom {box[2]}x{box[3]} px", None, zoomed=True)
    diff = yd - problem.bicubic_y
    for row, (img, title) in enumerate([(diff, f"y_{d} - bicubic: detail added"),
                                        (crop(diff, box), "zoom: detail added")]):
        ax = axes[row, cols - 1]
        im = ax.imshow(img, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(title, fontsize=9)
        hide_ticks(ax)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="grey levels")
    h, w = problem.shape
    if scores:
        finding = f"y_{d} is {scores.at(d) - scores.bicubic:+.2f} dB from bicubic"
    else:
        finding = f"y_{d} changes bicubic by {np.sqrt(np.mean(diff ** 2)):.2f} grey levels RMS"
    fig.suptitle(f"{problem.name} x{problem.scale} ({w}x{h} px output): {finding}",
                 fontsize=11)
    fig.tight_layout()
    return fig


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (lossless)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def figure_jpeg(fig: Figure, dpi: int = 72, quality: int = 70) -> bytes:
    """The figure as JPEG bytes (what the playground's Image widget shows): a fifth of the PNG's
    size for these photos, so a notebook saved with its widget state stays light."""
    buf = io.BytesIO()
    fig.savefig(buf, format="jpeg", dpi=dpi, pil_kwargs={"quality": quality})
    return buf.getvalue()
