"""The ``paper`` preset trains: its first steps on T91 stay finite.

With the paper's loss (squared errors summed over each patch's pixels) and SGD at lr 0.01, the
256-filter model's loss is NaN at step 1 unless the gradient norm is clipped, as the preset
does (benchmarks/NOTES.md, "Does clipping help?"). Nothing else in the suite runs the
256-filter model's update.
"""

from __future__ import annotations

import math

import pytest
from study_fixtures import FAST, SHARED, use_data

from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import preset


@pytest.mark.slow
def test_paper_preset_first_steps_are_finite(monkeypatch, tmp_path):
    if not (SHARED / "T91").is_dir():
        pytest.skip("needs the paper's T91 in ../shared/data")
    use_data(monkeypatch, tmp_path / "cache")
    cfg = preset("paper", steps=3, batch_size=2, val_every=1000, val_images=1)
    result = train(cfg, tmp_path / "run", progress=False, probe=False, **FAST)
    losses = [row["loss"] for row in result.history["train"]]
    assert losses and all(math.isfinite(v) for v in losses), losses
