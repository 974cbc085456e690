"""Reading runs back: curves in minutes, recipes, preset differences, cost, same weights."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from drcn_lib.engine.checkpoint import save_weights
from drcn_lib.engine.presets import preset
from drcn_lib.errors import CheckpointError, DRCNError
from drcn_lib.experiments import training_report as tr
from drcn_lib.model import DRCN
from drcn_lib.settings import REPO_ROOT
from drcn_lib.viz.training import psnr_minutes_explorer, psnr_minutes_figure

RECIPES = REPO_ROOT / "benchmarks" / "recipes"  # the logged runs of a checkout

HISTORY = {"train": [], "val": [{"step": 10, "seconds": 30.0, "psnr": 30.0, "psnr_last": 29.0},
                                {"step": 20, "seconds": 120.0, "psnr": 31.0, "psnr_last": 30.}]}


def test_psnr_minutes_reads_histories_sidecars_and_rows():
    for run in (HISTORY, {"val_curve": HISTORY["val"]}, HISTORY["val"]):
        minutes, psnr = tr.psnr_minutes(run)
        assert minutes.tolist() == [0.5, 2.0] and psnr.tolist() == [30.0, 31.0]
    with pytest.raises(DRCNError, match="seconds"):
        tr.psnr_minutes({"val": [{"step": 1}]})


def test_minutes_to_psnr_and_the_runs_table():
    assert tr.minutes_to_psnr(HISTORY, 30.5) == 2.0
    assert tr.minutes_to_psnr(HISTORY, 30.0) == 0.5
    assert tr.minutes_to_psnr(HISTORY, 31.5) is None
    table = tr.runs_markdown({"a": HISTORY, "empty": {"val": []}}, 30.5).splitlines()
    assert table[2] == "| a | 31.00 | 2.0 | 2.0 |" and len(table) == 3
    assert "not reached" in tr.runs_markdown({"a": HISTORY}, 31.5)


def test_recipe_histories(tmp_path):
    for name, hist in (("b", HISTORY), ("a", HISTORY), ("empty", {"train": [], "val": []})):
        (tmp_path / name).mkdir()
        (tmp_path / name / "history.json").write_text(json.dumps(hist))
    assert list(tr.recipe_histories(tmp_path)) == ["a", "b"]  # sorted, empty ones left out
    (tmp_path / "a" / "history.json").write_text("{")
    with pytest.raises(DRCNError, match="a/history.json is not valid JSON"):
        tr.recipe_histories(tmp_path)


def test_recipe_machine_reads_the_sidecar(tmp_path):
    side = {"runtime": {"cpu_capability": "AVX2", "dtype": "float32"},
            "hardware": {"cpu_capability": "AVX2"}}
    for name, extra in (("plain", {}), ("emul", {"isa_limits": {"ONEDNN_MAX_CPU_ISA": "AVX2"}})):
        (tmp_path / name).mkdir()
        data = {**side, "hardware": {**side["hardware"], **extra}}
        (tmp_path / name / "model.json").write_text(json.dumps(data))
    assert tr.recipe_machine("plain", tmp_path) == "AVX2, float32"
    assert tr.recipe_machine("emul", tmp_path) == "AVX2 (emulated), float32"
    assert tr.recipe_machine("missing", tmp_path) == "no sidecar"
    for name in ("plain", "emul", "missing"):
        (tmp_path / name).mkdir(exist_ok=True)
        (tmp_path / name / "history.json").write_text(json.dumps(HISTORY))
    on, off = tr.split_recipes_by_isa("AVX2", tmp_path)
    assert list(on) == ["emul [AVX2 (emulated), float32]", "plain [AVX2, float32]"]
    assert list(off) == ["missing [no sidecar]"]
    _, off = tr.split_recipes_by_isa("AVX2", tmp_path, shipped=("drcn-x3-d16",))
    assert list(off) == ["missing [no sidecar]", "shipped drcn-x3-d16 [AVX512, bfloat16]"]


def test_recipe_config_reads_the_logged_run(tmp_path):
    cfg = tr.recipe_config("f64-adam5e-4-cosine-clip0.25-5000", RECIPES)
    assert (cfg.filters, cfg.batch_size, cfg.steps, cfg.recursions_start) == (64, 32, 5000, None)
    diff = tr.preset_differences(preset("cpu"), cfg)
    assert diff["filters"] == (32, 64) and diff["recursions_start"] == (1, None)
    with pytest.raises(DRCNError, match="did not finish"):
        tr.recipe_config("never-ran", tmp_path)


def test_shipped_recipes_are_readable():
    for name, hist in tr.recipe_histories(RECIPES).items():
        minutes, psnr = tr.psnr_minutes(hist)
        assert (minutes[1:] >= minutes[:-1]).all(), name  # wall time only grows
        assert ((psnr > 20) & (psnr < 45)).all(), name


def test_preset_differences_cpu_versus_paper():
    diff = tr.preset_differences(preset("cpu"), preset("paper"))
    assert diff["filters"] == (32, 256) and diff["optimizer"] == ("adam", "sgd")
    assert "name" not in diff and "recursions" not in diff  # both D = 16
    renamed = dataclasses.replace(preset("cpu"), name="other")
    assert tr.preset_differences(preset("cpu"), renamed) == {}


def test_same_weights(tmp_path):
    torch.manual_seed(0)
    a = DRCN(recursions=2, filters=4)
    save_weights(tmp_path / "a.safetensors", a, {})
    save_weights(tmp_path / "b.safetensors", a, {})
    with torch.no_grad():
        a.ensemble_weights[0] += 1e-7
    save_weights(tmp_path / "c.safetensors", a, {})
    assert tr.same_weights(tmp_path / "a.safetensors", tmp_path / "b.safetensors")
    assert not tr.same_weights(tmp_path / "a.safetensors", tmp_path / "c.safetensors")


def test_cost_table_is_measured_and_totalled():
    side = {"wall_seconds": 5400.0, "steps": 3000, "processes": 1, "final_val_psnr": 32.5,
            "val_set": "Set5", "hardware": {"cpu": "Xeon", "torch_threads": 2, "cores": 2}}
    rows = tr.cost_rows({"drcn-x3-d16": side, "srcnn-x3": side})
    assert rows[0].minutes == 90.0 and rows[0].hardware == "Xeon, 2 threads of 2 cores"
    text = tr.cost_markdown(rows)
    assert "| drcn-x3-d16 | 3000 | 90.0 min | Xeon, 2 threads of 2 cores | 1 | 32.50 dB" in text
    assert text.splitlines()[-1].startswith("| **total** | | **3.0 h**")
    assert "no shipped weights" in tr.cost_markdown([])
    with pytest.raises(CheckpointError, match="wall_seconds"):
        tr.cost_rows({"x": {}})


def test_psnr_minutes_figure_names_the_best_run():
    other = {"val": [{"step": 5, "seconds": 60.0, "psnr": 31.5}]}
    fig = psnr_minutes_figure({"slow": HISTORY, "fast": other}, reference=32.75,
                              reference_label="SRCNN x3, paper")
    assert fig.axes[0].get_title() == "Highest final PSNR: fast, 31.50 dB after 1 min"
    assert "SRCNN x3, paper" in fig.axes[0].get_legend_handles_labels()[1]
    with pytest.raises(DRCNError, match="not one of the runs"):
        psnr_minutes_figure({"slow": HISTORY}, highlight="nope")
    explorer = psnr_minutes_explorer({"slow": HISTORY, "fast": other})
    explorer.redraw("fast")
    assert explorer.last == "fast" and explorer.calls == 2


def test_plot_recipes_writes_one_figure_per_instruction_set(tmp_path):
    from study_fixtures import load_script

    written = load_script("benchmarks", "plot_recipes").main(tmp_path)
    assert [p.name for p in written] == ["psnr_minutes.png", "psnr_minutes_avx2.png"]
    assert all(p.stat().st_size > 10_000 for p in written)
