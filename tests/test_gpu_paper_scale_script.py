"""``benchmarks/gpu_paper_scale.py`` in its tiny CPU form: every stage runs and is recorded."""

from __future__ import annotations

import json

import pytest
from study_fixtures import load_script, use_data


@pytest.mark.slow
def test_tiny_run_records_every_stage(monkeypatch, tmp_path):
    use_data(monkeypatch, tmp_path / "cache")
    script = load_script("benchmarks", "gpu_paper_scale")
    out = tmp_path / "gpu.json"
    script.main(["--out", str(out), "--runs", str(tmp_path / "runs"), "--device", "cpu",
                 "--tiny", "--ship", str(tmp_path / "ship")])
    result = json.loads(out.read_text())
    assert {"speed", "screen", "train", "final"} <= set(result)
    eager = result["speed"]["modes"]["eager"]
    assert eager["patches_per_s"] > 0 and eager["flops_fraction_of_bf16_peak"] > 0
    assert set(result["screen"]["runs"]) == {"0.0002", "0.0005", "0.001"}
    assert result["train"]["lr"] == result["screen"]["best_lr"]
    assert set(result["train"]) >= {"minutes_to_srcnn", "minutes_to_paper_drcn"}
    assert set(result["final"]) == {"Set5", "Set14", "B100"}
    assert "shipped" not in result  # tiny weights are never shipped
    assert not (tmp_path / "ship").exists()


def test_crossing_minutes_reads_the_first_validation_at_target():
    script = load_script("benchmarks", "gpu_paper_scale")
    val = [{"psnr": 32.0, "seconds": 60}, {"psnr": 32.8, "seconds": 120},
           {"psnr": 33.9, "seconds": 180}]
    assert script.crossing_minutes(val, 32.75) == 2.0
    assert script.crossing_minutes(val, 34.0) is None
