"""``reproduce``: trains and ships the registry models (SRCNN on d16's clock), then reports."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from study_fixtures import FAST as TRAIN_FAST
from study_fixtures import shrink_image_sets, use_data

from drcn_lib import cli
from drcn_lib.engine.presets import preset
from drcn_lib.errors import DRCNError
from drcn_lib.experiments import reproduce, studies
from drcn_lib.pretrained import REGISTRY
from drcn_lib.runs.study_models import ALL_NAMES, stand_in_models

FAST = {**TRAIN_FAST, "probe": False,
        "allow_fallback": True}  # a checkout without T91 still tests the code path


@pytest.fixture(autouse=True)
def data(monkeypatch, tmp_path_factory):
    use_data(monkeypatch, tmp_path_factory.getbasetemp() / "cache")


@pytest.fixture
def small_images(monkeypatch):
    """Studies on 48 x 48 crops of the first image: the whole pipeline, in a fraction of the
    time (and marked incomplete, as any subset is)."""
    shrink_image_sets(monkeypatch)


def test_train_config_follows_the_registry():
    for spec in REGISTRY.values():
        cfg = reproduce.train_config(spec)
        assert (cfg.arch, cfg.scale, cfg.name) == (spec.arch, spec.scale, "cpu")
        if spec.arch == "drcn":
            assert cfg.recursions == spec.recursions
        assert replace(cfg, arch="drcn", scale=3, recursions=16) == replace(
            preset("cpu"), recursions=16)  # nothing else of the preset changes


def test_srcnn_needs_the_d16_clock(tmp_path):
    with pytest.raises(DRCNError, match="--only drcn-x3-d16"):
        reproduce.budget_seconds(tmp_path / "runs", tmp_path / "weights")


def test_train_missing_ships_d16_then_srcnn_on_the_same_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(reproduce, "PROBE_STEPS", 3)
    runs, weights = tmp_path / "runs", tmp_path / "weights"
    base = replace(preset("smoke"), val_images=1)
    lines: list[str] = []
    shipped = reproduce.train_missing(["srcnn-x3", "drcn-x3-d16"], runs=runs,
                                      weights_dir=weights, base=base, log=lines.append,
                                      progress=False, **FAST)
    assert shipped == ["drcn-x3-d16", "srcnn-x3"]  # d16 first: it sets SRCNN's budget
    d16 = json.loads((weights / "drcn-x3-d16.json").read_text())
    srcnn = json.loads((weights / "srcnn-x3.json").read_text())
    assert (weights / "srcnn-x3.safetensors").is_file()
    assert d16["model_config"]["recursions"] == 16 and srcnn["model_config"]["arch"] == "srcnn"
    assert srcnn["preset"]["max_minutes"] == pytest.approx(d16["wall_seconds"] / 60)
    plan = json.loads((runs / "srcnn-x3" / "plan.json").read_text())
    assert srcnn["preset"]["steps"] == plan["steps"] >= 3
    assert "--only srcnn-x3" in srcnn["command"] and d16["git_commit"]
    assert d16["val_curve"] and "hardware" in d16
    assert not (runs / "srcnn-x3-probe").exists()
    # shipped now: nothing to do; --force reuses the finished run instead of training again
    assert reproduce.train_missing(["drcn-x3-d16"], runs=runs, weights_dir=weights, base=base,
                                   log=lines.append, **FAST) == []
    reproduce.train_missing(["drcn-x3-d16"], force=True, runs=runs, weights_dir=weights,
                            base=base, log=lines.append, **FAST)
    assert json.loads((weights / "drcn-x3-d16.json").read_text()) == d16
    # a finished run of another configuration is refused, not overwritten
    with pytest.raises(DRCNError, match="another configuration"):
        reproduce.train_missing(["drcn-x3-d16"], force=True, runs=runs, weights_dir=weights,
                                base=replace(base, lr=5e-4), log=lines.append, **FAST)


def test_srcnn_plan_is_not_timed_under_torchrun(tmp_path, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    cfg = reproduce.train_config(REGISTRY["srcnn-x3"])
    with pytest.raises(DRCNError, match="without torchrun"):
        reproduce.srcnn_plan(cfg, 60.0, tmp_path, log=lambda _m: None)


def test_unknown_names_and_unfinished_runs_are_errors(tmp_path):
    with pytest.raises(DRCNError, match="registry holds"):
        reproduce.train_missing(["drcn-x5-d16"], runs=tmp_path, weights_dir=tmp_path)
    with pytest.raises(DRCNError, match="has not finished"):
        reproduce.ship("drcn-x3-d1", tmp_path, tmp_path / "w")


def test_studies_write_the_report_with_labelled_paper_numbers(tmp_path, small_images):
    out = tmp_path / "results"
    rep = reproduce.run_studies(out, models=stand_in_models(ALL_NAMES), sets=["Set5"], limit=1,
                                fallback=True, log=lambda _m: None)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["RESULTS.md", "benchmark_x2.png", "benchmark_x3.png", "benchmark_x4.png",
                     "depth.png", "ensemble.png", "results.json"]
    text = (out / "RESULTS.md").read_text()
    assert "paper (Kim et al. 2016)" in text and "33.82" in text  # labelled paper column
    assert text.count("[NOT CHECKED]") == 5  # stand-ins on 1 image prove nothing
    assert "UNTRAINED stand-in models" in text
    results = json.loads((out / "results.json").read_text())
    assert [c["status"] for c in results["claims"]] == ["NOT CHECKED"] * 5
    assert rep.results["benchmark"]["sets"] == ["Set5"]
    back = studies.benchmark_from_results(out / "results.json")  # what lesson 11 reads
    assert back.rows and back.rows[0] == studies.BenchmarkRow(**rep.results["benchmark"]["rows"][0])
    assert studies.benchmark_from_results(tmp_path / "absent.json") is None


def test_cli_reproduce_passes_its_options_and_command(tmp_path, capsys, monkeypatch):
    seen = {}

    def fake(out, **kwargs):
        seen.update(kwargs, out=out)

    monkeypatch.setattr(reproduce, "run_studies", fake)
    assert cli.main(["reproduce", "--stand-ins", "--limit", "1", "--sets", "Set5", "B100",
                     "--out", str(tmp_path), "--no-cache"]) == 0
    assert seen["out"] == tmp_path and seen["sets"] == ["Set5", "B100"] and seen["limit"] == 1
    assert set(seen["models"]) == set(ALL_NAMES) and not seen["cache"].enabled
    assert seen["command"] == (f"drcn reproduce --out {tmp_path} --sets Set5 B100 --limit 1 "
                               "--stand-ins --no-cache")
    assert cli.main(["reproduce", "--only", "srcnn-x3"]) == 2
    assert "only apply with --train" in capsys.readouterr().err


def test_training_never_ships_into_the_package_unless_told(tmp_path, capsys, monkeypatch):
    """``--train`` needs --weights-dir (the library never writes into its own folder), and
    its runs go to DRCN_RUNS like every other run of the course."""
    assert cli.main(["reproduce", "--train"]) == 2
    assert "--weights-dir" in capsys.readouterr().err
    seen = {}
    monkeypatch.setattr(reproduce, "train_one",
                        lambda name, runs, weights_dir, *a, **k: seen.update(runs=runs))
    monkeypatch.setenv("DRCN_RUNS", str(tmp_path / "elsewhere"))
    assert cli.main(["reproduce", "--train", "--only", "drcn-x3-d1", "--force",
                     "--weights-dir", str(tmp_path / "w")]) == 0
    assert seen["runs"] == tmp_path / "elsewhere"


def test_the_cli_is_the_only_parser():
    from pathlib import Path

    package = Path(cli.__file__).parent
    parsers = [p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if "argparse" in p.read_text()]
    assert parsers == ["cli.py"]
