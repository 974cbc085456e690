"""DRCN's predictions on one image: each y_d, the ensemble, the ground truth, and their errors.

Inputs: ``pred`` is the :class:`~drcn_lib.engine.prediction.Prediction` that
:func:`drcn_lib.engine.prediction.predict_y` returns for one image, ONE forward pass holding the
ensemble and y_1..y_D, float64 HxW Y planes in [0, 255] on the HR grid; ``pair`` is the image's
:class:`~drcn_lib.protocol.pairs.SRPair`. PSNRs are scored as the benchmark does
(:func:`drcn_lib.protocol.metrics.score_psnr`), so they match :func:`drcn_lib.evaluate.evaluate`.

Functions return a detached :class:`matplotlib.figure.Figure`; ``*_explorer`` / ``*_toggle``
wrap one in a widget (:mod:`drcn_lib.viz.widgets`) and draw the default view at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import DRCNError
from drcn_lib.protocol.metrics import score_psnr
from drcn_lib.protocol.pairs import SRPair
from drcn_lib.viz.curves import draw_val_psnr
from drcn_lib.viz.figures import hide_ticks, new_figure
from drcn_lib.viz.images import Box, crop, detail_box, scored_psnr, to_display
from drcn_lib.viz.widgets import SliderExplorer, slider_explorer


def recursion_keys(pred: Prediction) -> list[int]:
    """The intermediate outputs d = 1..D present in ``pred``, sorted."""
    return list(pred.depths)


def output_psnrs(pred: Prediction[np.ndarray], pair: SRPair) -> Prediction[float]:
    """PSNR (dB) of the ensemble and of every y_d in ``pred``, benchmark-scored."""
    return pred.map(lambda y: score_psnr(y, pair))


def mean_output_psnrs(model: Any, pairs: Sequence[SRPair], device: str = "cpu",
                      tile: int | None = 256) -> Prediction[float]:
    """Mean over ``pairs`` of :func:`output_psnrs`: each y_d and the ensemble, one forward pass
    per image; the same numbers as :func:`drcn_lib.evaluate.evaluate` gives for a set."""
    from drcn_lib.engine.prediction import predict_y

    if not pairs:
        raise DRCNError("mean_output_psnrs needs at least one image pair")
    scores = [output_psnrs(predict_y(model, p.bicubic_y, device=device, tile=tile), p)
              for p in pairs]
    first = scores[0]
    return Prediction(float(np.mean([s.ensemble for s in scores])),
                      tuple(float(np.mean([s.at(d) for s in scores])) for d in first.depths),
                      first.name)


def output_psnr_figure(
    psnrs: Prediction[float],
    bicubic: float | None = None,
    paper: Sequence[float] | None = None,
    paper_ensemble: float | None = None,
    title: str = "",
) -> Figure:
    """PSNR of each y_d (line) and of the ensemble (horizontal line), with references.

    ``paper`` / ``paper_ensemble``: the paper's per-d curve and ensemble for comparison, drawn
    dashed and LABELLED as the paper's (a different, fully trained 256-filter model on 5 images).
    """
    ds = list(psnrs.depths)
    if not ds:
        raise DRCNError("output_psnr_figure needs the PSNR of every y_d beside the ensemble's "
                        "(predict_y with intermediates=True)")
    fig, axes = new_figure(1, 1, size=(6.8, 3.9))
    ax = axes[0, 0]
    ax.plot(ds, list(psnrs.outputs), "o-", color="C0", label="ours: single output y_d")
    ax.axhline(psnrs.ensemble, color="C0", linewidth=2,
               label=f"ours: ensemble {psnrs.ensemble:.2f} dB")
    if bicubic is not None:
        ax.axhline(bicubic, color="grey", linestyle=":", label=f"bicubic {bicubic:.2f} dB")
    if paper is not None:
        ax.plot(range(1, len(paper) + 1), list(paper), "s--", color="C1", markersize=3,
                alpha=0.7, label="paper (256 filters, Set5 mean): y_d")
    if paper_ensemble is not None:
        ax.axhline(paper_ensemble, color="C1", linestyle="--", alpha=0.7,
                   label=f"paper: ensemble {paper_ensemble:.2f} dB")
    ax.set_xlabel("recursion d of the single output y_d")
    ax.set_ylabel("PSNR on Y (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    best = max(ds, key=psnrs.at)
    gap = psnrs.ensemble - psnrs.at(best)
    ax.set_title(title or (f"Ensemble vs best single output (d = {best}): {gap:+.2f} dB"),
                 fontsize=11)
    fig.tight_layout()
    return fig


def ensemble_weights_figure(weights: Sequence[float] | np.ndarray, title: str = "") -> Figure:
    """Bar chart of the learned ensemble weights w_d, with the initial 1/D as a line."""
    w = np.asarray(
        weights.detach().cpu().numpy() if hasattr(weights, "detach") else weights,
        dtype=np.float64)
    d = np.arange(1, len(w) + 1)
    fig, axes = new_figure(1, 1, size=(6.5, 3.4))
    ax = axes[0, 0]
    ax.bar(d, w, color="C2")
    ax.axhline(1.0 / len(w), color="black", linestyle=":", linewidth=1,
               label=f"initial value 1/D = {1 / len(w):.3f}")
    ax.set_xlabel("recursion d")
    ax.set_ylabel("learned weight w_d")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    ax.set_title(title or f"Learned ensemble weights (sum {w.sum():.2f})", fontsize=11)
    fig.tight_layout()
    return fig


def _image(ax: Axes, img: np.ndarray, title: str) -> None:
    ax.imshow(to_display(img), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    hide_ticks(ax)


def _error(ax: Axes, err: np.ndarray, limit: float, title: str) -> Any:
    im = ax.imshow(err, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_title(title, fontsize=9)
    hide_ticks(ax)
    return im


def prediction_figure(
    pred: Prediction[np.ndarray], pair: SRPair, d: int, box: Box | None = None,
    psnrs: Prediction[float] | None = None, limit: float = 20.0,
) -> Figure:
    """Top: y_d | ensemble | ground truth (zoomed to ``box``), PSNRs of the whole image in the
    titles. Bottom: their errors (prediction - ground truth, grey levels) and bicubic's."""
    ds = recursion_keys(pred)
    if d not in ds:
        raise DRCNError(f"output d={d!r} is not in the prediction; valid d are {ds}")
    psnrs = psnrs if psnrs is not None else output_psnrs(pred, pair)
    box = detail_box(pair.hr_y, size=72) if box is None else box
    hr = crop(pair.hr_y, box)
    yd, ens, bic = (crop(np.asarray(pred.at(d)), box), crop(np.asarray(pred.ensemble), box),
                    crop(pair.bicubic_y, box))
    fig, axes = new_figure(2, 3, size=(10.0, 7.0))
    _image(axes[0, 0], yd, f"single output y_{d}: {psnrs.at(d):.2f} dB")
    _image(axes[0, 1], ens, f"ensemble of all {len(ds)}: {psnrs.ensemble:.2f} dB")
    _image(axes[0, 2], hr, "ground truth (HR)")
    bic_psnr = scored_psnr(pair.bicubic_y, pair)
    _error(axes[1, 0], yd - hr, limit, f"error of y_{d}")
    _error(axes[1, 1], ens - hr, limit, "error of the ensemble")
    im = _error(axes[1, 2], bic - hr, limit, f"error of bicubic ({bic_psnr:.2f} dB)")
    fig.colorbar(im, ax=axes[1, :].tolist(), fraction=0.02, pad=0.02,
                 label="prediction - truth (grey levels)")
    top, left, h, w = box
    fig.suptitle(f"y_{d} vs the ensemble ({h}x{w} crop at ({top}, {left}); "
                 f"PSNR over the whole image)", fontsize=11)
    return fig


def prediction_explorer(pred: Prediction[np.ndarray], pair: SRPair, box: Box | None = None,
                        value: int | None = None) -> SliderExplorer:
    """A slider over d = 1..D redrawing :func:`prediction_figure` (no new forward pass)."""
    ds = recursion_keys(pred)
    psnrs = output_psnrs(pred, pair)
    box = detail_box(pair.hr_y, size=72) if box is None else box
    return slider_explorer(lambda d: prediction_figure(pred, pair, d, box, psnrs),
                           range(ds[0], ds[-1] + 1), value=value or ds[-1],
                           description="output d")


def residual_figure(pair: SRPair, box: Box | None = None, bins: int = 101) -> Figure:
    """What the skip connection leaves to learn: r = HR - bicubic (grey levels).

    Left: the residual image (zoom ``box`` outlined, default whole image). Right: histogram of
    r over all pixels (log counts), with the share of |r| < 5 grey levels in the title.
    """
    r = np.asarray(pair.hr_y, dtype=np.float64) - np.asarray(pair.bicubic_y, dtype=np.float64)
    limit = max(float(np.percentile(np.abs(r), 99)), 1.0)
    fig, axes = new_figure(1, 2, size=(11.0, 4.2), gridspec_kw={"width_ratios": [1, 1.2]})
    ax = axes[0, 0]
    im = ax.imshow(r, cmap="RdBu_r", vmin=-limit, vmax=limit)
    hide_ticks(ax)
    if box is not None:
        top, left, h, w = box
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), w, h, fill=False, edgecolor="black"))
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="HR - bicubic (grey levels)")
    ax.set_title(f"HR - bicubic of {pair.name or 'the image'} x{pair.scale}: "
                 f"non-zero near edges only", fontsize=10)
    ax = axes[0, 1]
    lim = float(np.abs(r).max())
    ax.hist(r.ravel(), bins=np.linspace(-lim, lim, bins), color="C0")
    ax.set_yscale("log")
    ax.set_xlabel("HR - bicubic (grey levels)")
    ax.set_ylabel("pixels (log scale)")
    small = float(np.mean(np.abs(r) < 5))
    ax.set_title(f"{small:.0%} of pixels need less than 5 grey levels of correction",
                 fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def ablation_figure(
    label: str, runs: Mapping[str, Any], preds: Mapping[str, np.ndarray], pair: SRPair,
    box: Box | None = None, bicubic: float | None = None,
) -> Figure:
    """Validation curves of all runs with ``label``'s highlighted, beside ``label``'s prediction
    (zoomed to ``box``) and its error. ``preds[label]`` is a Y plane on the HR grid."""
    if label not in runs or label not in preds:
        raise DRCNError(f"run {label!r} is not one of {sorted(runs)}")
    box = detail_box(pair.hr_y, size=72) if box is None else box
    fig, axes = new_figure(1, 3, size=(13.0, 3.9), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    draw_val_psnr(axes[0, 0], runs, highlight=label, bicubic=bicubic)
    axes[0, 0].set_title("Validation PSNR during training", fontsize=10)
    hr = crop(pair.hr_y, box)
    yp = crop(np.asarray(preds[label]), box)
    _image(axes[0, 1], yp, f"{label}: {scored_psnr(preds[label], pair):.2f} dB")
    im = _error(axes[0, 2], yp - hr, 20.0, f"{label}: error (grey levels)")
    fig.colorbar(im, ax=axes[0, 2], fraction=0.046, pad=0.04)
    fig.suptitle(f"Run '{label}' after {int(max(r['step'] for r in _val(runs[label])))} steps",
                 fontsize=11)
    fig.tight_layout()
    return fig


def _val(run: Any) -> Sequence[Mapping[str, float]]:
    history = getattr(run, "history", run)
    return history["val"] or [{"step": 0}]


def ablation_toggle(runs: Mapping[str, Any], preds: Mapping[str, np.ndarray], pair: SRPair,
                    box: Box | None = None, bicubic: float | None = None,
                    value: str | None = None) -> SliderExplorer:
    """Toggle buttons, one per run, redrawing :func:`ablation_figure`."""
    labels = list(runs)
    if not labels:
        raise DRCNError("ablation_toggle needs at least one run")
    box = detail_box(pair.hr_y, size=72) if box is None else box
    control = widgets.ToggleButtons(options=labels, value=value or labels[0],
                                    description="run")
    return SliderExplorer(control,
                          lambda lab: ablation_figure(lab, runs, preds, pair, box, bicubic))
