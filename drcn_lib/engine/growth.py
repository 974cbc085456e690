"""Growing DRCN's depth during training (the ``cpu`` preset's ``recursions_start``).

f2's weights are shared by every recursion, so a run can start with few recursions, where a
step is cheap, and unfold more later (``schedules.recursions_at`` says how many at each step;
:class:`~drcn_lib.engine.unfolding.UnfoldedDRCN` unfolds them). This is our training choice, not
the paper's, which trains at the full D from the start.
"""

from __future__ import annotations

import torch

from drcn_lib.model.drcn_arch import DRCN


def start_growth(model: DRCN, start: int) -> None:
    """Prepare a fresh model to be trained from depth ``start`` up to D.

    The first ``start`` ensemble weights become 1/start and the others 0, so the ensemble of
    the active outputs is a mean at every depth. A weight past the active depth gets an exact
    zero gradient, so it is still 0 when its recursion is switched on: each growth step
    leaves the ensemble output unchanged (the network's function is preserved), and the
    new depth's weight is then learned from 0.
    """
    if not 1 <= start <= model.recursions:
        raise ValueError(f"start depth must be in 1..{model.recursions}, got {start}")
    if model.ensemble_weights is not None:
        with torch.no_grad():
            model.ensemble_weights.zero_()
            model.ensemble_weights[:start] = 1.0 / start
