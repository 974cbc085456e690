"""Figures that show exactly once in a notebook and never leak in scripts or tests.

A figure made with ``plt.subplots`` is shown by the inline backend at the end of the cell AND,
if the cell returns it, a second time by IPython's formatter. Every drawing function of
``drcn_lib.viz`` therefore builds its figure with pyplot (so the inline backend and its PNG
formatter are set up) and detaches it from pyplot at once: the notebook shows the figure the
cell returns, once; a test or script can ``savefig`` it; nothing stays open behind pyplot's back.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def new_figure(
    rows: int = 1, cols: int = 1, size: tuple[float, float] = (6.0, 4.0), **kwargs: object
) -> tuple[Figure, np.ndarray]:
    """``(fig, axes)`` like ``plt.subplots(rows, cols, squeeze=False)``, detached from pyplot.

    ``axes`` is always a 2-D object array (rows x cols) so callers index it the same way for
    any layout. Extra keyword arguments go to ``plt.subplots`` (e.g. ``gridspec_kw``).
    """
    fig, axes = plt.subplots(rows, cols, figsize=size, squeeze=False, **kwargs)  # type: ignore[arg-type]
    plt.close(fig)
    return fig, axes


def hide_ticks(ax: Axes) -> None:
    """Images have no meaningful tick labels; pixel axes are stated in titles instead."""
    ax.set_xticks([])
    ax.set_yticks([])
