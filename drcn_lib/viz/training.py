"""Validation PSNR against wall-clock minutes: how recipes (and shipped runs) compare in time.

Lesson 08 asks which recipe reaches a given PSNR first on a laptop CPU, so the x axis is the
engine's training wall time (``seconds`` of each validation row, validation time included),
not the step. Runs are anything :func:`drcn_lib.experiments.training_report.val_rows` reads: a
history
dict, a sidecar with ``val_curve``, a ``TrainResult``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from matplotlib.figure import Figure

from drcn_lib.errors import DRCNError
from drcn_lib.experiments.training_report import psnr_minutes
from drcn_lib.viz.figures import new_figure
from drcn_lib.viz.widgets import SliderExplorer, slider_explorer


def psnr_minutes_figure(
    runs: Mapping[str, Any],
    highlight: str | None = None,
    reference: float | None = None,
    reference_label: str = "",
    title: str = "",
) -> Figure:
    """One line per run: validation PSNR (dB) against training minutes.

    ``highlight`` draws one run bold and the others faint; ``reference`` draws a labelled
    horizontal line (e.g. the paper's SRCNN on Set5 x3). The default title names the run with
    the highest final PSNR and when it got there.
    """
    if not runs:
        raise DRCNError("psnr_minutes_figure needs at least one run")
    if highlight is not None and highlight not in runs:
        raise DRCNError(f"highlight {highlight!r} is not one of the runs {list(runs)}")
    fig, axes = new_figure(1, 1, size=(7.5, 4.2))
    ax = axes[0, 0]
    finals = {}
    for label, run in runs.items():
        minutes, psnr = psnr_minutes(run)
        if len(psnr) == 0:
            continue
        finals[label] = (psnr[-1], minutes[-1])
        faint = highlight is not None and label != highlight
        ax.plot(minutes, psnr, "o-", markersize=3, label=label,
                linewidth=1.0 if faint else 2.2, alpha=0.3 if faint else 1.0)
    if reference is not None:
        ax.axhline(reference, color="black", linestyle="--", linewidth=1,
                   label=reference_label or f"reference {reference:.2f} dB")
    if not title and finals:
        best = max(finals, key=lambda k: finals[k][0])
        title = (f"Highest final PSNR: {best}, {finals[best][0]:.2f} dB "
                 f"after {finals[best][1]:.0f} min")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("training wall time (minutes)")
    ax.set_ylabel("validation PSNR (dB)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def psnr_minutes_explorer(
    runs: Mapping[str, Any], reference: float | None = None, reference_label: str = ""
) -> SliderExplorer:
    """A slider over the run names that redraws :func:`psnr_minutes_figure` with that run
    highlighted."""
    names = list(runs)
    return slider_explorer(
        lambda name: psnr_minutes_figure(runs, name, reference, reference_label),
        names, names[0], description="highlight")
