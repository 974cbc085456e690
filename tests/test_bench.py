"""benchmarks/bench.py's bookkeeping (never its speeds: no unit test asserts a speed)."""

from __future__ import annotations

import json
import sys
from collections import Counter

import pytest
from study_fixtures import load_script

from drcn_lib.settings import REPO_ROOT

MACHINE = {"cpu": "Some CPU", "cpu_capability": "AVX2", "cores": 2}


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    yield load_script("benchmarks", "bench")
    for name in ("infer_memory", "train_log", "train_speed", "reference_drcn", "conv_ceiling"):
        sys.modules.pop(name, None)


def test_keep_infer_copies_the_earlier_part_and_says_where_from(bench, tmp_path):
    earlier = tmp_path / "results.json"
    infer = {"size": "2040x1356", "tiled": {"peak_rss_mib": 1900.0}}
    earlier.write_text(json.dumps({"machine": MACHINE, "git_commit": "abc1234",
                                   "created": "2026-11-20", "devices": {"cpu": {"infer": infer}}}))
    res = {"machine": dict(MACHINE), "devices": {"cpu": {"train": {}, "infer": None}}}
    bench.keep_infer(res, earlier)
    kept = res["devices"]["cpu"]["infer"]
    assert kept["tiled"] == infer["tiled"]
    assert kept["kept_from"] == {"file": "results.json", "git_commit": "abc1234",
                                 "created": "2026-11-20"}


def test_keep_infer_refuses_another_machine(bench, tmp_path):
    earlier = tmp_path / "results.json"
    earlier.write_text(json.dumps({"machine": {**MACHINE, "cpu_capability": "AVX512"},
                                   "devices": {"cpu": {"infer": {}}}}))
    res = {"machine": dict(MACHINE), "devices": {"cpu": {"train": {}, "infer": None}}}
    with pytest.raises(SystemExit, match="run the inference part here"):
        bench.keep_infer(res, earlier)


def test_device_cuda_without_cuda_says_so(bench, monkeypatch):
    monkeypatch.setattr(bench.torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(bench, "reference_matches", lambda **_: 0.0)
    with pytest.raises(SystemExit, match="no CUDA device"):
        bench.main(["--device", "cuda", "--out", "unused.json"])


def test_every_screening_variant_is_a_valid_cpu_preset_override():
    """screen_gpu.py's variants reach `drcn train --set`: a misspelt field fails here, not on a
    lent GPU whose minutes are counted."""
    from drcn_lib.cli import _parse_override
    from drcn_lib.engine.presets import preset

    screen = load_script("benchmarks", "screen_gpu")
    base = preset("cpu").as_dict()
    for name in screen.VARIANTS:
        cmd = screen.command(name, 3, "out", "cpu", 1.0)
        assert cmd[:3] == [sys.executable, "-m", "drcn_lib.cli"], name
        sets = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--set"]
        cfg = preset("cpu", **dict(_parse_override(t, base) for t in sets))
        assert cfg.seed == 3 and cfg.max_minutes == 1.0, name
        assert cfg.batch_size * cfg.steps == 160_000, name  # the preset's patches in all


def test_keep_infer_twice_still_names_the_run_that_measured_it(bench, tmp_path):
    first = {"file": "results.json", "git_commit": "28aa049", "created": "2026-11-21"}
    earlier = tmp_path / "results.json"
    earlier.write_text(json.dumps({
        "machine": MACHINE, "git_commit": "a5b4462", "created": "2026-11-25",
        "devices": {"cpu": {"infer": {"size": "2040x1356", "kept_from": first}}}}))
    res = {"machine": dict(MACHINE), "devices": {"cpu": {"train": {}, "infer": None}}}
    bench.keep_infer(res, earlier)
    assert res["devices"]["cpu"]["infer"]["kept_from"] == first


@pytest.mark.parametrize("strategy", ["loop", "batched"])
def test_the_kernel_ceiling_times_the_convolutions_a_step_makes(strategy):
    """The ceiling is only a ceiling of *our* step if it holds the same calls: count the model's
    convolution calls (and the batch of each) with hooks, and the multiply-adds per pixel."""
    import torch
    from torch import nn

    drcn_macs_per_pixel = load_script("benchmarks", "flops").drcn_macs_per_pixel
    from drcn_lib.engine.unfolding import UnfoldedDRCN
    from drcn_lib.model import DRCN

    cc = load_script("benchmarks", "conv_ceiling")
    filters, depth, batch = 4, 3, 2
    model = UnfoldedDRCN(DRCN(recursions=depth, filters=filters), strategy)
    seen: Counter[tuple[int, int, int]] = Counter()
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(lambda mod, args, _out: seen.update(
                [(mod.in_channels, mod.out_channels, args[0].shape[0])]))
    model(torch.rand(batch, 1, 8, 8))
    calls = cc.step_conv_calls(filters, depth, recon_strategy=strategy)
    expected: Counter[tuple[int, int, int]] = Counter()
    for c in calls:
        expected[(c.c_in, c.c_out, batch * c.batch_factor)] += c.count
    assert seen == expected
    assert sum(c.macs_per_pixel() for c in calls) == drcn_macs_per_pixel(filters, depth)


def test_the_kernel_ceiling_adds_up_its_parts():
    from drcn_lib.engine.hardware import Runtime
    drcn_train_step_flops = load_script("benchmarks", "flops").drcn_train_step_flops

    cc = load_script("benchmarks", "conv_ceiling")
    runtime = Runtime("cpu", recon_strategy="loop")
    ceiling = cc.kernel_ceiling(4, 2, batch=2, patch=8, runtime=runtime)
    parts = ceiling["calls"]
    assert [p["count"] for p in parts] == [1, 1, 2, 2, 2]
    assert ceiling["seconds"] == pytest.approx(sum(p["seconds"] for p in parts))
    assert sum(p["flops"] for p in parts) == drcn_train_step_flops(2, 8, 8, 4, 2)


def test_plain_step_times_the_reference_at_the_avx2_machines_settings(monkeypatch):
    """The settings are those the AVX2-only machine's 9 patches/s was measured at; the timing
    runs (on a tiny model here: the number itself is never asserted)."""
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    step = load_script("benchmarks", "plain_step")
    assert (step.FILTERS, step.RECURSIONS, step.BATCH, step.PATCH) == (64, 16, 32, 41)
    monkeypatch.setattr(step, "FILTERS", 4)
    monkeypatch.setattr(step, "RECURSIONS", 2)
    monkeypatch.setattr(step, "BATCH", 2)
    monkeypatch.setattr(step, "PATCH", 9)
    assert step.patches_per_s(channels_last=True, warmup=1, steps=1) > 0
    for name in ("reference_drcn", "train_speed", "conv_ceiling"):
        sys.modules.pop(name, None)
