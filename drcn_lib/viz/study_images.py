"""One image seen through the studies of lessons 09 and 10: depths side by side, error maps.

* :func:`depth_row_figure`: the same detail of one image restored by the models with
  D = 1, 6, 11, 16 (and the 256-filter ones, when present), in one row, PSNRs in the titles;
* :func:`error_maps_figure`: where single outputs y_d and the ensemble err, on one colour scale,
  and where the ensemble is the closer of the two.

Both draw a detail window (crops compress and read better than whole images at this size) and
state in the title what the numbers show, computed from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import DRCNError
from drcn_lib.protocol.pairs import SRPair
from drcn_lib.viz.figures import hide_ticks, new_figure
from drcn_lib.viz.images import crop, detail_box, pair_images, scored_psnr, show_images

ZOOM = 64  # side of the detail window, HR pixels


def depth_row_figure(pair: SRPair, predictions: Mapping[int, np.ndarray],
                     paper_scale: Mapping[int, np.ndarray] | None = None) -> Figure:
    """HR | bicubic | DRCN at each D of ``predictions`` (| F=256 at each D of ``paper_scale``),
    the same detail window of each, titled with the whole image's PSNR (Y, border shaved)."""
    named = {f"D={d}": p for d, p in sorted(predictions.items())}
    named.update({f"F=256 D={d}": p for d, p in sorted((paper_scale or {}).items())})
    images = pair_images(pair, named)
    images.pop(next(k for k in images if k.startswith("LR")))
    box = detail_box(pair.hr_y, size=min(ZOOM, *pair.hr_y.shape))
    crops = {name: crop(img, box) for name, img in images.items()}
    if len(predictions) >= 2:
        ds = sorted(predictions)
        gain = scored_psnr(predictions[ds[-1]], pair) - scored_psnr(predictions[ds[0]], pair)
        finding = f"D={ds[0]} to D={ds[-1]}: {gain:+.2f} dB on this image"
    else:
        finding = "fewer than two depths to compare"
    return show_images(crops, title=f"{pair.name} x{pair.scale}, a {box[2]}x{box[3]} detail: "
                       f"{finding}", size=2.1)


def _pick_outputs(outputs: Prediction, pair: SRPair) -> list[int]:
    """y_1, the best single output on this image, and y_D (each once)."""
    ds = list(outputs.depths)
    best = max(ds, key=lambda d: scored_psnr(outputs.at(d), pair))
    return sorted({ds[0], best, ds[-1]})


def error_maps_figure(pair: SRPair, outputs: Prediction | None,
                      ds: Sequence[int] | None = None) -> Figure:
    """Top row: |error| of y_d for each d of ``ds`` (default: y_1, the best one on this image,
    y_D) and of the ensemble, one grey scale. Bottom row: |error of y_d| - |error of the
    ensemble| (red: the ensemble is closer to the truth there, blue: y_d is)."""
    if outputs is None or not outputs.depth:
        raise DRCNError("no outputs to map: the 16-recursion model is not present")
    ds = list(ds) if ds is not None else _pick_outputs(outputs, pair)
    missing = [d for d in ds if d not in outputs.depths]
    if missing:
        raise DRCNError(f"no output y_d for d = {missing}; this model has y_1..y_{outputs.depth}")
    box = detail_box(pair.hr_y, size=min(ZOOM, *pair.hr_y.shape))
    truth = crop(pair.hr_y, box)

    def err(pred: np.ndarray) -> np.ndarray:
        return np.abs(crop(np.clip(np.round(np.asarray(pred, np.float64)), 0, 255), box) - truth)

    ens = err(outputs.ensemble)
    maps = {f"y_{d} alone": err(outputs.at(d)) for d in ds}
    top = max(float(np.percentile(np.concatenate([m.ravel() for m in [*maps.values(), ens]]),
                                  99)), 1.0)
    fig, axes = new_figure(2, len(ds) + 1, size=(2.4 * (len(ds) + 1), 5.6))
    wins = []
    for col, (name, m) in enumerate([*maps.items(), ("ensemble", ens)]):
        d = ds[col] if col < len(ds) else None
        pred = outputs.at(d) if d is not None else outputs.ensemble
        axes[0, col].imshow(m, cmap="gray_r", vmin=0, vmax=top)
        axes[0, col].set_title(f"|error| {name}\n{scored_psnr(pred, pair):.2f} dB", fontsize=8)
        hide_ticks(axes[0, col])
        if d is None:
            axes[1, col].axis("off")
            continue
        gap = m - ens
        axes[1, col].imshow(gap, cmap="RdBu_r", vmin=-top / 2, vmax=top / 2)
        closer, farther = float(np.mean(gap > 0)), float(np.mean(gap < 0))
        wins.append(closer > farther)
        axes[1, col].set_title(f"vs y_{d}: ensemble closer on\n{closer:.0%}, farther on "
                               f"{farther:.0%} of pixels", fontsize=8)
        hide_ticks(axes[1, col])
    finding = ("the ensemble is closer to the truth than each y_d on more pixels than it is "
               "farther" if all(wins) else "some y_d is closer than the ensemble on more pixels")
    fig.suptitle(f"{pair.name} x{pair.scale}, a {box[2]}x{box[3]} detail: {finding}",
                 fontsize=10)
    fig.tight_layout()
    return fig
