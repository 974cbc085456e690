"""Curves of training: loss and validation PSNR, the alpha schedule, gradients per recursion.

Inputs are what the engine and :mod:`drcn_lib.course.diagnostics` produce:

* a run is a :class:`~drcn_lib.engine.loop.TrainResult` or its ``history`` dict
  ``{"train": [{"step", "loss", "l1", "l2", "alpha", ...}], "val": [{"step", "psnr", ...}]}``;
* a gradient profile is a :class:`~drcn_lib.course.diagnostics.GradientProfile` or an array of norms
  indexed by recursion d = 1..D.

Every function returns a :class:`matplotlib.figure.Figure` detached from pyplot
(:mod:`drcn_lib.viz.figures`); the ``*_explorer`` functions wrap one of them in a slider
(:mod:`drcn_lib.viz.widgets`), drawing the default view at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drcn_lib.course.diagnostics import GradientProfile, gradient_profile, set_recursive_init
from drcn_lib.errors import DRCNError
from drcn_lib.loss import ALPHA_KINDS, alpha_schedule
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.viz.figures import new_figure
from drcn_lib.viz.widgets import SliderExplorer, slider_explorer

History = Mapping[str, Sequence[Mapping[str, float]]]


def history_of(run: Any) -> History:
    """The ``history`` dict of a TrainResult, or the dict itself."""
    history = getattr(run, "history", run)
    if not isinstance(history, Mapping) or "train" not in history or "val" not in history:
        raise DRCNError(f"expected a TrainResult or a history dict with 'train' and 'val', "
                        f"got {type(run).__name__}")
    return history


def series(run: Any, part: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values) of ``key`` in the ``part`` ("train" or "val") of a run's history."""
    rows = history_of(run)[part]
    rows = [r for r in rows if key in r]
    return (np.array([r["step"] for r in rows], dtype=np.float64),
            np.array([r[key] for r in rows], dtype=np.float64))


def _style(label: str, highlight: str | None) -> dict[str, Any]:
    if highlight is None:
        return {"linewidth": 1.8, "alpha": 1.0}
    return {"linewidth": 2.6, "alpha": 1.0} if label == highlight else {
        "linewidth": 1.2, "alpha": 0.35}


def draw_val_psnr(ax: Axes, runs: Mapping[str, Any], highlight: str | None = None,
                  bicubic: float | None = None) -> None:
    """Validation PSNR (dB) against optimiser step, one line per run."""
    for label, run in runs.items():
        steps, psnr = series(run, "val", "psnr")
        ax.plot(steps, psnr, "o-", markersize=3, label=label, **_style(label, highlight))
    if bicubic is not None:
        ax.axhline(bicubic, color="grey", linestyle=":", linewidth=1.2, label="bicubic")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel("validation PSNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def draw_train_loss(ax: Axes, runs: Mapping[str, Any], key: str = "loss",
                    highlight: str | None = None) -> None:
    """Training loss (log scale) against optimiser step, one line per run."""
    for label, run in runs.items():
        steps, loss = series(run, "train", key)
        ax.plot(steps, loss, label=label, **_style(label, highlight))
    ax.set_yscale("log")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel(f"training {key} (log scale)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)


def finding(runs: Mapping[str, Any], key: str = "psnr") -> str:
    """'Validation PSNR after 150 steps: skip: 31.92 dB; no skip: 27.10 dB' (last validation)."""
    parts, last_step = [], 0
    for label, run in runs.items():
        steps, values = series(run, "val", key)
        if len(values):
            parts.append(f"{label}: {values[-1]:.2f} dB")
            last_step = max(last_step, int(steps[-1]))
    return f"Validation PSNR after {last_step} steps: " + "; ".join(parts) if parts else ""


def training_curves(
    runs: Mapping[str, Any],
    title: str | None = None,
    highlight: str | None = None,
    bicubic: float | None = None,
    loss_key: str = "loss",
) -> Figure:
    """Two panels: training loss (log) and validation PSNR, against step, for each run.

    The default title states the finding: each run's last validation PSNR (:func:`finding`).
    """
    if not runs:
        raise DRCNError("training_curves needs at least one run")
    fig, axes = new_figure(1, 2, size=(11.0, 3.8))
    draw_train_loss(axes[0, 0], runs, loss_key, highlight)
    draw_val_psnr(axes[0, 1], runs, highlight, bicubic)
    title = finding(runs) if title is None else title
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def loss_terms_figure(runs: Mapping[str, Any], title: str | None = None) -> Figure:
    """Two panels: l1 (mean squared error of the y_d) and l2 (of the ensemble) during
    training, one line per run, log scale (both as logged by the engine, before alpha)."""
    if not runs:
        raise DRCNError("loss_terms_figure needs at least one run")
    fig, axes = new_figure(1, 2, size=(11.0, 3.8), sharey=True)
    for ax, key, what in ((axes[0, 0], "l1", "l1: the D intermediate outputs y_d"),
                          (axes[0, 1], "l2", "l2: the ensemble")):
        draw_train_loss(ax, runs, key)
        ax.set_title(what, fontsize=10)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def alpha_schedules_figure(
    kinds: Sequence[str] = ALPHA_KINDS, decay_fraction: float = 0.5, start: float = 1.0,
    end: float = 0.0, chosen: str = "linear",
) -> Figure:
    """alpha against training progress for each schedule kind; ``chosen`` drawn bold."""
    progress = np.linspace(0.0, 1.0, 401)
    fig, axes = new_figure(1, 1, size=(6.5, 3.6))
    ax = axes[0, 0]
    for kind in kinds:
        alpha = [alpha_schedule(p, kind, start, end, decay_fraction) for p in progress]
        bold = kind == chosen
        ax.plot(progress * 100, alpha, linewidth=2.8 if bold else 1.4,
                label=f"{kind} (ours)" if bold else kind, zorder=3 if bold else 2)
    ax.axvline(decay_fraction * 100, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("training progress (% of steps)")
    ax.set_ylabel("alpha (weight of the intermediate outputs)")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("alpha moves the loss from every y_d to the ensemble", fontsize=11)
    fig.tight_layout()
    return fig


def loss_weights(progress: float, recursions: int, kind: str = "linear", start: float = 1.0,
                 end: float = 0.0, decay_fraction: float = 0.5) -> tuple[float, np.ndarray, float]:
    """(alpha, weight of each y_d's squared error, weight of the ensemble's) at ``progress``.

    From L = alpha * 1/D sum_d l(y_d) + (1 - alpha) * l(ensemble): each y_d weighs alpha / D.
    """
    alpha = alpha_schedule(progress, kind, start, end, decay_fraction)
    return alpha, np.full(recursions, alpha / recursions), 1.0 - alpha


def loss_weights_figure(progress: float, recursions: int = 16, kind: str = "linear",
                        start: float = 1.0, end: float = 0.0,
                        decay_fraction: float = 0.5) -> Figure:
    """Left: alpha over training with a marker at ``progress``. Right: the weight each output's
    squared error has in the loss at that moment (y_1..y_D and the ensemble)."""
    alpha, per_output, ens = loss_weights(progress, recursions, kind, start, end, decay_fraction)
    fig, axes = new_figure(1, 2, size=(11.0, 3.6), gridspec_kw={"width_ratios": [1, 1.4]})
    ax = axes[0, 0]
    grid = np.linspace(0.0, 1.0, 201)
    ax.plot(grid * 100, [alpha_schedule(p, kind, start, end, decay_fraction) for p in grid])
    ax.plot([progress * 100], [alpha], "o", color="C3", markersize=8)
    ax.set_xlabel("training progress (% of steps)")
    ax.set_ylabel("alpha")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.set_title(f"{kind} schedule: alpha = {alpha:.2f} at {progress:.0%}", fontsize=11)
    ax = axes[0, 1]
    for d, w in enumerate(per_output):  # the l1 bar, split into its D equal shares
        ax.bar(0, w, bottom=d * w, color="C0", edgecolor="white", linewidth=0.5,
               label=f"l1: each y_d weighs alpha / D = {w:.3f}" if d == 0 else None)
    ax.bar(1, ens, color="C1", label=f"l2: the ensemble weighs 1 - alpha = {ens:.2f}")
    ax.set_xticks([0, 1], [f"y_1 .. y_{recursions} (l1)", "ensemble (l2)"])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("weight in the loss")
    ax.legend(fontsize=8, loc="upper center")
    ax.grid(alpha=0.3, axis="y")
    if alpha == 0.5:
        finding = "both terms weigh the same"
    else:
        finding = f"the loss is mostly about {'every y_d' if alpha > 0.5 else 'the ensemble'}"
    ax.set_title(f"At {progress:.0%} of training {finding}", fontsize=11)
    fig.tight_layout()
    return fig


def loss_weights_explorer(recursions: int = 16, kind: str = "linear", value: float = 0.25,
                          **schedule: float) -> SliderExplorer:
    """A training-progress slider (0..100 %) that redraws :func:`loss_weights_figure`."""
    values = [round(p, 2) for p in np.linspace(0.0, 1.0, 21)]
    value = min(values, key=lambda v: abs(v - value))
    return slider_explorer(lambda p: loss_weights_figure(p, recursions, kind, **schedule),
                           values, value=value, description="training progress")


def _norms(profile: GradientProfile | Sequence[float] | np.ndarray, which: str) -> np.ndarray:
    if isinstance(profile, GradientProfile):
        if which not in ("state", "weight"):
            raise DRCNError(f"which must be 'state' or 'weight', got {which!r}")
        return getattr(profile, which)
    return np.asarray(profile, dtype=np.float64)


def gradient_norms_figure(
    profiles: Mapping[str, GradientProfile | Sequence[float] | np.ndarray],
    which: str = "state",
    title: str | None = None,
    normalise: bool = True,
) -> Figure:
    """Gradient norm reaching each recursion d (log scale), one line per named profile.

    ``which="state"`` plots ||dL/dH_d||; ``"weight"`` the part of the shared weight's gradient
    from application d. With ``normalise`` each line is divided by its value at d = D, so lines
    of very different loss levels share one axis and 1 means "as strong as at the top".
    The default title gives, for the first and last profile, the ratio between d = 1 and D.
    """
    if not profiles:
        raise DRCNError("gradient_norms_figure needs at least one profile")
    fig, axes = new_figure(1, 1, size=(6.5, 3.8))
    ax = axes[0, 0]
    ratios = {}
    for label, prof in profiles.items():
        norms = _norms(prof, which)
        ratios[label] = norms[0] / norms[-1] if norms[-1] > 0 else float("inf")
        if normalise and norms[-1] > 0:
            norms = norms / norms[-1]
        ax.plot(np.arange(1, len(norms) + 1), norms, "o-", markersize=3, label=label)
    ax.set_yscale("log")
    if normalise:
        ax.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.set_xlabel("recursion d")
    what = "||dL/dH_d||" if which == "state" else "||dL/dW from application d||"
    ax.set_ylabel(f"{what}{' / value at d = D' if normalise else ''} (log)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    if title is None:
        shown = list(ratios.items())
        shown = shown if len(shown) <= 2 else [shown[0], shown[-1]]
        title = "d = 1 gets " + ", ".join(f"{r:.2g}x the gradient at D ({lab})"
                                           for lab, r in shown)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def profile_explorer(
    profiles: Mapping[str, GradientProfile | Sequence[float] | np.ndarray],
    reference: str | None = None,
    which: str = "state",
    value: str | None = None,
) -> SliderExplorer:
    """A slider over named profiles (e.g. training snapshots) redrawing
    :func:`gradient_norms_figure` for the chosen one beside ``reference`` (default: the first)."""
    labels = list(profiles)
    if not labels:
        raise DRCNError("profile_explorer needs at least one profile")
    ref = labels[0] if reference is None else reference
    if ref not in profiles:
        raise DRCNError(f"reference {ref!r} is not one of {labels}")

    def draw(label: str) -> Figure:
        shown = {ref: profiles[ref]} if label == ref else {ref: profiles[ref],
                                                          label: profiles[label]}
        return gradient_norms_figure(shown, which=which)

    return slider_explorer(draw, labels, value=value or labels[-1], description="snapshot")


def gain_profile(gain: float, recursions: int, x: torch.Tensor, y: torch.Tensor,
                 filters: int = 16, seed: int = 0) -> GradientProfile:
    """Profile of a fresh basic DRCN whose recursive conv is ``gain`` times the identity."""
    torch.manual_seed(seed)
    model = DRCN(recursions=recursions, filters=filters, recursive_supervision=False)
    set_recursive_init(model, "identity", gain)
    return gradient_profile(model, x, y)


def gain_figure(gain: float, recursions: int, x: torch.Tensor, y: torch.Tensor,
                filters: int = 16) -> Figure:
    """The slider callback of lesson 04: measured ||dL/dH_d|| for W = gain * I beside the
    prediction gain^(D - 1 - d) of the linear argument (normalised at d = D - 1)."""
    prof = gain_profile(gain, recursions, x, y, filters)
    d = np.arange(1, recursions + 1)
    norms = prof.state / prof.state[-2] if recursions > 1 else prof.state / prof.state[-1]
    fig, axes = new_figure(1, 1, size=(6.5, 3.8))
    ax = axes[0, 0]
    ax.plot(d, norms, "o-", markersize=4, label=f"measured, W = {gain:g} I")
    if recursions > 1:
        ax.plot(d[:-1], gain ** (recursions - 1 - d[:-1]), "k--", linewidth=1,
                label=f"{gain:g}^(D-1-d)")
    ax.set_yscale("log")
    ax.set_ylim(min(1e-3, norms.min() / 2), max(1e3, norms.max() * 2))
    ax.set_xlabel("recursion d")
    ax.set_ylabel("||dL/dH_d|| / ||dL/dH_(D-1)|| (log)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    trend = "vanishes" if gain < 1 else "explodes" if gain > 1 else "stays put"
    first = norms[0]
    ax.set_title(f"Gain {gain:g} over D = {recursions}: the gradient {trend} "
                 f"(H_1 gets {first:.2g}x)", fontsize=11)
    fig.tight_layout()
    return fig


def gain_explorer(x: torch.Tensor, y: torch.Tensor, recursions: int = 16, filters: int = 16,
                  gains: Sequence[float] = (0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3),
                  value: float = 0.9) -> SliderExplorer:
    """A gain slider that re-measures and redraws :func:`gain_figure` (about 0.1 s a move)."""
    return slider_explorer(lambda g: gain_figure(g, recursions, x, y, filters), list(gains),
                           value=value, description="gain g of W = g I")
