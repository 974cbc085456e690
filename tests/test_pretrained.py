"""The registry of shipped weights: names, train commands, and loading what is shipped."""

from __future__ import annotations

import importlib

import pytest

from drcn_lib.errors import CheckpointError

# the package re-exports the *function* pretrained(), which shadows the module's attribute name
pt = importlib.import_module("drcn_lib.pretrained")

NAMES = {"drcn-x3-d1", "drcn-x3-d6", "drcn-x3-d11", "drcn-x3-d16", "drcn-x2-d16",
         "drcn-x4-d16", "srcnn-x3"}


def test_registry_names_are_the_ones_scripts_rely_on():
    assert set(pt.REGISTRY) == NAMES
    assert pt.REGISTRY["drcn-x3-d6"].train_args() == [
        "--preset", "cpu", "--scale", "3", "--recursions", "6"]
    assert "--arch" in pt.REGISTRY["srcnn-x3"].train_args()


def test_unknown_and_missing_names_say_what_to_do(monkeypatch, tmp_path):
    with pytest.raises(CheckpointError, match="known:"):
        pt.pretrained("drcn-x5")
    monkeypatch.setattr(pt, "WEIGHTS_DIR", tmp_path)
    with pytest.raises(CheckpointError, match="drcn train --preset cpu --scale 3"):
        pt.pretrained("drcn-x3-d16")


@pytest.mark.parametrize("name", sorted(NAMES))
def test_shipped_weights_load_with_their_provenance(name):
    if name not in pt.available():
        pytest.skip(f"{name} is not shipped in this copy")
    model, info = pt.pretrained(name)
    spec = pt.REGISTRY[name]
    assert info["preset"]["scale"] == spec.scale
    assert info["model_config"]["arch"] == spec.arch
    if spec.recursions:
        assert model.recursions == spec.recursions
    for key in ("command", "git_commit", "wall_seconds", "hardware", "val_curve"):
        assert info.get(key), f"{name} sidecar lacks {key}"
