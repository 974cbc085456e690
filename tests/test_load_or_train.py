"""Train-or-load: shipped weights first, then a finished run of the same config, then train."""

from __future__ import annotations

import importlib
import json
from dataclasses import replace

import pytest
import torch
from study_fixtures import FAST, use_data

from drcn_lib.engine.checkpoint import save_weights
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import SMOKE, preset
from drcn_lib.model import DRCN
from drcn_lib.runs.load_or_train import (
    config_key,
    describe_run,
    for_mode,
    load_or_train,
    run_dir,
    runs_root,
    slug,
    smoke_variant,
)

# drcn_lib re-exports the function ``pretrained``, which hides the module of the same name
pretrained_mod = importlib.import_module("drcn_lib.pretrained")


@pytest.fixture
def data_env(monkeypatch, tmp_path):
    """Real sets when ../shared/data is beside the checkout, scikit-image's otherwise."""
    use_data(monkeypatch, tmp_path / "cache")
    monkeypatch.setattr(pretrained_mod, "WEIGHTS_DIR", tmp_path / "shipped")
    return tmp_path


def quiet_cfg(**kw):
    return replace(SMOKE, name="t", steps=4, val_every=2, **kw)


def test_config_key_follows_every_field():
    a = preset("cpu")
    assert config_key(a) == config_key(replace(a))
    assert config_key(a) != config_key(replace(a, skip=False))
    assert run_dir("no skip", a, "/r").name == f"no-skip-{config_key(a)}"
    assert slug("alpha 1 -> 0 (ours)") == "alpha-1-0-ours"


def test_smoke_variant_keeps_the_compared_switches_only():
    real = replace(preset("cpu"), skip=False, alpha_kind="constant", alpha_start=0.0,
                   recursive_supervision=False, filters=32, steps=500, scale=4, name="x")
    small = smoke_variant(real)
    assert (small.skip, small.alpha_kind, small.alpha_start, small.recursive_supervision,
            small.scale, small.name) == (False, "constant", 0.0, False, 4, "x")
    assert (small.filters, small.steps, small.recursions) == (SMOKE.filters, SMOKE.steps,
                                                               SMOKE.recursions)
    assert for_mode(real, smoke=False) is real and for_mode(real, smoke=True) == small


def test_runs_root_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DRCN_RUNS", str(tmp_path / "elsewhere"))
    assert runs_root() == (tmp_path / "elsewhere").resolve()


def test_trains_then_reuses_the_finished_run(data_env, capsys):
    cfg = quiet_cfg()
    model, info = load_or_train("lesson-x", cfg, data_env / "runs", smoke=False,
                                progress=False, **FAST)
    assert info["source"] == "trained" and info["steps"] == 4
    weights = run_dir("lesson-x", cfg, data_env / "runs") / "model.safetensors"
    assert info["weights"] == str(weights) and (weights.parent / "train.log").is_file()
    stamp = weights.stat().st_mtime_ns
    again, info2 = load_or_train("lesson-x", cfg, data_env / "runs", smoke=False,
                                 progress=False, **FAST)
    assert info2["source"] == "reused" and weights.stat().st_mtime_ns == stamp
    assert "Reusing the finished run" in capsys.readouterr().out
    for k, v in model.state_dict().items():
        assert torch.equal(v, again.state_dict()[k])
    # another configuration never reuses that run
    _, info3 = load_or_train("lesson-x", replace(cfg, seed=1), data_env / "runs", smoke=False,
                             progress=False, **FAST)
    assert info3["source"] == "trained" and info3["weights"] != info["weights"]


def test_smoke_mode_trains_the_smoke_variant(data_env):
    real = replace(preset("cpu"), name="big", filters=64, steps=3000, skip=False)
    model, info = load_or_train("lesson-y", real, data_env / "runs", smoke=True,
                                progress=False, log=lambda _: None, **FAST)
    assert info["steps"] == SMOKE.steps
    assert (model.filters, model.recursions, model.skip) == (SMOKE.filters, SMOKE.recursions,
                                                             False)


def test_a_killed_run_is_resumed(data_env, capsys):
    cfg = quiet_cfg()
    out = run_dir("lesson-z", cfg, data_env / "runs")
    train(cfg, out, stop_at_step=2, progress=False, log=lambda _: None, **FAST)
    _, info = load_or_train("lesson-z", cfg, data_env / "runs", smoke=False, progress=False,
                            **FAST)
    assert info["steps"] == 4 and "Resuming" in capsys.readouterr().out


def test_shipped_weights_win_and_say_how_long_they_trained(data_env, capsys):
    net = DRCN(recursions=16, filters=4)
    sidecar = {"wall_seconds": 2280.0, "steps": 3000, "final_val_psnr": 33.1, "val_set": "Set5",
               "hardware": {"cpu": "Test CPU", "torch_threads": 2}}
    save_weights(data_env / "shipped" / "drcn-x3-d16.safetensors", net, sidecar)
    model, info = load_or_train("drcn-x3-d16", quiet_cfg(), data_env / "runs", smoke=True)
    out = capsys.readouterr().out
    assert info["source"] == "shipped" and model.filters == 4
    assert "Found shipped weights drcn-x3-d16 (trained 38.0 min (3000 steps) on Test CPU" in out
    assert not (data_env / "runs").exists()  # nothing trained


def test_unshipped_registry_name_says_so(data_env, capsys):
    _, info = load_or_train("drcn-x3-d16", quiet_cfg(), data_env / "runs", smoke=False,
                            progress=False, **FAST)
    assert info["source"] == "trained"
    assert "not shipped in this copy" in capsys.readouterr().out


def test_describe_run_handles_partial_sidecars():
    assert describe_run({}) == "no training record"
    text = describe_run({"wall_seconds": 90, "steps": 10, "final_val_psnr": 30.123,
                         "val_set": "Set5", "preset": {"val_images": 2},
                         "hardware": {"gpu": "H100"}})
    assert text == "trained 1.5 min (10 steps) on H100; Set5 (2 images) PSNR 30.12 dB"
    assert json.dumps(text)  # plain text


def test_stand_in_config_is_the_lessons_short_run() -> None:
    from drcn_lib.engine.presets import preset
    from drcn_lib.runs.load_or_train import stand_in_config

    real = stand_in_config(smoke=False)
    assert real == preset("short", steps=200, val_every=200, val_images=None)
    assert real.recursions_start is None and real.grad_clip is None  # the lessons' recipe
    assert stand_in_config(smoke=True).steps == 6
