"""Which models a study uses: shipped ones loaded, missing ones named with their command."""

from __future__ import annotations

import importlib

import pytest

from drcn_lib.engine.checkpoint import save_weights
from drcn_lib.errors import CheckpointError
from drcn_lib.model import DRCN, SRCNN
from drcn_lib.runs import study_models as sm

pretrained = importlib.import_module("drcn_lib.pretrained")  # the package re-exports a function


def test_names_cover_the_registry():
    assert set(sm.DEPTH_NAMES) | set(sm.BENCHMARK_NAMES) == set(pretrained.REGISTRY)
    assert sm.DEPTH_NAMES == ("drcn-x3-d1", "drcn-x3-d6", "drcn-x3-d11", "drcn-x3-d16")


def test_how_to_train_names_both_commands():
    text = sm.how_to_train("srcnn-x3")
    assert "reproduce --train --only srcnn-x3" in text and "--arch srcnn" in text
    with pytest.raises(CheckpointError, match="known:"):
        sm.how_to_train("drcn-x5-d16")


def test_stand_ins_have_the_registry_shape():
    models = sm.stand_in_models(["drcn-x3-d6", "srcnn-x3", "drcn-x4-d16"])
    assert isinstance(models["drcn-x3-d6"][0], DRCN) and models["drcn-x3-d6"][0].recursions == 6
    assert isinstance(models["srcnn-x3"][0], SRCNN)
    assert sm.model_scale("drcn-x4-d16", models["drcn-x4-d16"][1]) == 4
    assert all(sm.is_stand_in(side) for _m, side in models.values())
    assert "untrained" in sm.describe_model(models["srcnn-x3"][1])


def test_study_models_loads_shipped_and_names_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "WEIGHTS_DIR", tmp_path)
    side = {"wall_seconds": 120.0, "steps": 10, "preset": {"scale": 3},
            "hardware": {"cpu": "TestCPU", "torch_threads": 2}}
    save_weights(tmp_path / "drcn-x3-d1.safetensors", DRCN(recursions=1, filters=4), side)
    lines: list[str] = []
    models = sm.study_models(["drcn-x3-d1", "drcn-x3-d6"], smoke=False, log=lines.append)
    assert list(models) == ["drcn-x3-d1"] and models["drcn-x3-d1"][0].recursions == 1
    assert lines[0] == "drcn-x3-d1: trained 2.0 min (10 steps) on TestCPU, 2 threads"
    assert lines[1].startswith("drcn-x3-d6: NOT SHIPPED") and "--only drcn-x3-d6" in lines[1]
    smoke = sm.study_models(["drcn-x3-d6"], smoke=True, log=None)
    assert sm.is_stand_in(smoke["drcn-x3-d6"][1])


def test_model_scale_needs_a_record():
    assert sm.model_scale("drcn-x2-d16", {}) == 2  # from the registry
    assert sm.model_scale("mine", {"preset": {"scale": 4}}) == 4
    with pytest.raises(CheckpointError, match="preset.scale"):
        sm.model_scale("mine", {})
