"""Growing the recursion depth during training: the schedule, function preservation, resume."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from study_fixtures import use_data

from drcn_lib.engine.checkpoint import load_weights
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import TrainConfig, preset
from drcn_lib.engine.schedules import recursions_at
from drcn_lib.settings import REPO_ROOT

FAST = dict(device="cpu", dtype="float32", channels_last=False, recon_strategy="loop",
            progress=False)


@pytest.fixture
def data(monkeypatch, tmp_path_factory):
    use_data(monkeypatch, tmp_path_factory.mktemp("cache"))


def test_depth_grows_linearly_then_stays_full():
    cfg = TrainConfig(recursions=16, recursions_start=1, grow_fraction=0.5, steps=160)
    depths = [recursions_at(cfg, s) for s in range(160)]
    assert depths[0] == 1 and depths[79] == 16 and set(depths[80:]) == {16}
    assert all(b - a in (0, 1) for a, b in zip(depths[:-1], depths[1:], strict=True))
    counts = [depths[:80].count(d) for d in range(1, 17)]
    assert min(counts) >= 4 and max(counts) <= 6  # each depth gets its share of the growth
    assert {recursions_at(TrainConfig(recursions=16, steps=160), s) for s in range(160)} == {16}
    srcnn = TrainConfig(arch="srcnn", recursions=16, recursions_start=1, steps=160)
    assert recursions_at(srcnn, 0) == 16  # SRCNN ignores the depth fields


@pytest.mark.parametrize("bad", [dict(recursions_start=0), dict(recursions_start=17),
                                 dict(recursions_start=2, grow_fraction=0.0)])
def test_bad_growth_settings_are_refused(bad):
    with pytest.raises(ValueError):
        TrainConfig(recursions=16, **bad)


def test_growing_run_resumes_bit_for_bit_and_saves_the_full_depth(tmp_path, data):
    cfg = replace(preset("smoke"), recursions=4, recursions_start=1, grow_fraction=0.75,
                  steps=8, val_every=4)
    lines: list[str] = []
    full = train(cfg, tmp_path / "full", log=lines.append, **FAST)
    assert [recursions_at(cfg, s) for s in range(8)] == [1, 1, 2, 3, 3, 4, 4, 4]
    assert [ln for ln in lines if "unfolding" in ln] == [
        "step 2: unfolding 2 recursions", "step 3: unfolding 3 recursions",
        "step 5: unfolding 4 recursions"]
    train(cfg, tmp_path / "cut", stop_at_step=3, log=lambda _: None, **FAST)
    resumed = train(cfg, tmp_path / "cut", resume=True, log=lambda _: None, **FAST)
    a, _ = load_weights(full.weights)
    b, _ = load_weights(resumed.weights)
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    assert a.recursions == 4 and torch.count_nonzero(a.ensemble_weights) == 4
    side = json.loads((tmp_path / "full" / "model.json").read_text())
    assert side["preset"]["recursions_start"] == 1


def _recipes():
    from study_fixtures import load_script

    return load_script("benchmarks", "recipes")


def test_cpu_preset_is_a_recipe_that_was_measured():
    """The `cpu` preset must be one of the logged recipes (all fields but the name and the
    max_minutes safety stop), so that its numbers in the README come from a run of it."""
    cpu = replace(preset("cpu"), name="x", max_minutes=None)
    recipes = _recipes()
    logged = [n for n, cfg in recipes.RECIPES.items()
              if replace(cfg, name="x", max_minutes=None) == cpu
              and (recipes.RECIPES_DIR / n / "model.json").is_file()]
    assert logged, "no finished run in benchmarks/recipes/ has the cpu preset's settings"


def test_every_logged_recipe_is_the_config_its_name_says():
    """A recipe's name keeps meaning the run logged under it, whatever the presets become."""
    from drcn_lib.engine.presets import with_defaults
    recipes = _recipes()
    assert recipes.out_dir("f64-adam1e-3-cosine") == \
        REPO_ROOT / "benchmarks" / "recipes" / "f64-adam1e-3-cosine"
    checked = 0
    for name, cfg in {**recipes.RECIPES, **recipes.SCREENS}.items():
        sidecar = recipes.out_dir(name) / "model.json"
        if sidecar.is_file():
            assert with_defaults(json.loads(sidecar.read_text())["preset"]) == cfg.as_dict(), name
            checked += 1
    assert checked >= 5
    assert not set(recipes.RECIPES) & set(recipes.SCREENS)
