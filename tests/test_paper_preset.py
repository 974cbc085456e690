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
from drcn_lib.errors import DRCNError


@pytest.mark.slow
def test_paper_preset_first_steps_are_finite(monkeypatch, tmp_path):
    if not (SHARED / "T91").is_dir():
        pytest.skip("needs the paper's T91 in ../shared/data")
    use_data(monkeypatch, tmp_path / "cache")
    cfg = preset("paper", steps=3, batch_size=2, val_every=1000, val_images=1)
    result = train(cfg, tmp_path / "run", progress=False, probe=False, **FAST)
    losses = [row["loss"] for row in result.history["train"]]
    assert losses and all(math.isfinite(v) for v in losses), losses


# --- the gpu preset: the paper's network for a GPU, refused on a CPU --------------------------


def test_gpu_preset_is_the_papers_architecture():
    cfg = preset("gpu")
    kw = cfg.model_kwargs()
    assert (kw["filters"], kw["recursions"], kw["skip"], kw["recursive_supervision"]) == (
        256, 16, True, True)
    assert cfg.recursions_start is None  # fixed D: a growing one recompiles at each depth
    assert cfg.compile == "cuda"


def test_gpu_preset_full_run_refused_without_cuda(monkeypatch, tmp_path):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DRCNError, match=r"needs a CUDA GPU.*--set steps=20"):
        train(preset("gpu"), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # refused before anything is written


def test_cli_gpu_preset_on_cpu_exits_2_with_one_line(monkeypatch, tmp_path, capsys):
    import torch

    from drcn_lib.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["train", "--preset", "gpu", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs a CUDA GPU" in err


def test_gpu_preset_short_run_on_cpu_trains(monkeypatch, tmp_path):
    """The code path of the gpu preset (compile="cuda" stays eager on the CPU), shrunk."""
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    use_data(monkeypatch, tmp_path / "cache")
    cfg = preset("gpu", steps=2, filters=4, recursions=2, batch_size=2, val_images=1,
                 warmup_steps=1)
    result = train(cfg, tmp_path / "run", progress=False, probe=False, **FAST)
    assert result.weights.is_file() and math.isfinite(result.final_psnr)
    assert result.sidecar["preset"]["name"] == "gpu"
