"""Equal short runs: fair by construction, cached, and snapshots that are the engine's own."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from study_fixtures import FAST, use_data

from drcn_lib.engine.checkpoint import load_weights
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import SMOKE
from drcn_lib.model.factory import build_model
from drcn_lib.runs.short_runs import (
    bicubic_val_psnr,
    check_equal_budget,
    compare_runs,
    final_psnrs,
    snapshot_steps,
    train_snapshots,
)


@pytest.fixture
def data_env(monkeypatch, tmp_path):
    """Real sets when ../shared/data is beside the checkout, scikit-image's otherwise."""
    use_data(monkeypatch, tmp_path / "cache")
    return tmp_path


def same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())


def test_unequal_budgets_are_refused_by_name():
    base = replace(SMOKE, name="a")
    check_equal_budget({"a": base, "b": replace(base, skip=False, name="b")})  # the switch
    with pytest.raises(ValueError, match=r"steps: \{'a': 6, 'b': 7\}"):
        check_equal_budget({"a": base, "b": replace(base, steps=7)})
    with pytest.raises(ValueError, match="seed"):
        check_equal_budget({"a": base, "b": replace(base, seed=1)})
    with pytest.raises(ValueError, match="at least one"):
        check_equal_budget({})


def test_snapshot_steps():
    assert snapshot_steps(10, 4) == [0, 4, 8, 10]
    assert snapshot_steps(6, 2) == [0, 2, 4, 6]
    assert snapshot_steps(5, 10) == [0, 5]
    with pytest.raises(ValueError, match="every"):
        snapshot_steps(5, 0)


def test_compare_runs_trains_each_once_then_reuses(data_env):
    base = replace(SMOKE, name="skip", steps=4, val_every=2)
    configs = {"skip": base, "no skip": replace(base, name="no-skip", skip=False)}
    lines: list[str] = []
    runs = compare_runs(configs, data_env / "runs", smoke=False, log=lines.append,
                        progress=False, **FAST)
    assert list(runs) == ["skip", "no skip"]
    assert [r.sidecar["model_config"]["skip"] for r in runs.values()] == [True, False]
    assert all([v["step"] for v in r.history["val"]] == [2, 4] for r in runs.values())
    psnrs = final_psnrs(runs)
    assert psnrs["skip"] == round(runs["skip"].history["val"][-1]["psnr"], 2)
    lines.clear()
    again = compare_runs(configs, data_env / "runs", smoke=False, log=lines.append,
                         progress=False, **FAST)
    assert all(line.startswith("Reusing") for line in lines) and len(lines) == 2
    assert again["no skip"].history == runs["no skip"].history


def test_snapshots_are_the_engines_own_weights(data_env):
    cfg = replace(SMOKE, name="snap", steps=6, val_every=3)
    run = train_snapshots("snap", cfg, every=2, out_dir=data_env / "runs", smoke=False,
                          log=lambda _: None, progress=False, **FAST)
    assert sorted(run.snapshots) == [0, 2, 4, 6]
    torch.manual_seed(cfg.seed)
    assert same_weights(run.snapshots[0], build_model(**cfg.model_kwargs()))
    assert not same_weights(run.snapshots[0], run.snapshots[2])
    # stopping and resuming changes nothing: the last snapshot is an uninterrupted run's result
    plain = train(cfg, data_env / "plain", progress=False, log=lambda _: None, **FAST)
    assert same_weights(run.snapshots[6], load_weights(plain.weights)[0])
    lines: list[str] = []
    again = train_snapshots("snap", cfg, every=2, out_dir=data_env / "runs", smoke=False,
                            log=lines.append, progress=False, **FAST)
    assert lines and lines[0].startswith("Reusing the snapshots")
    assert same_weights(again.snapshots[4], run.snapshots[4])


def test_bicubic_line_reproduces_the_paper(data_env):
    from drcn_lib.data.registry import set_status

    if set_status("Set5").state != "present":
        pytest.skip("Set5 not present")
    cfg = replace(SMOKE, scale=3, val_set="Set5", val_images=None)
    assert bicubic_val_psnr(cfg, smoke=False) == pytest.approx(30.39, abs=0.01)  # Table 2
