"""The 256-filter family (``...-f256``, GPU-trained): a third column beside ours and the paper's
wherever its weights are present, and nothing about it where they are not."""

from __future__ import annotations

import importlib
import json

import pytest
import torch
from study_fixtures import shrink_image_sets, use_data

from drcn_lib.engine.checkpoint import save_weights
from drcn_lib.errors import CheckpointError
from drcn_lib.experiments import reproduce
from drcn_lib.experiments import studies as st
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.runs.study_models import ALL_NAMES, stand_in_models
from drcn_lib.viz import studies as vs

pt = importlib.import_module("drcn_lib.pretrained")  # the module; dl.pretrained is its function


@pytest.fixture(autouse=True)
def data(monkeypatch, tmp_path_factory):
    use_data(monkeypatch, tmp_path_factory.getbasetemp() / "cache")
    shrink_image_sets(monkeypatch)


def fake_paper_scale(folder, depths=(1, 16)) -> list[str]:
    """Tiny untrained DRCNs saved under the -f256 names (the column's code path, no GPU)."""
    names = []
    for d in depths:
        name = f"drcn-x3-d{d}-f256"
        side = {"preset": {"name": "gpu", "scale": 3, "recursions": d, "filters": 256},
                "hardware": {"gpu": "test GPU"}, "wall_seconds": 60.0, "steps": 10}
        model = DRCN(recursions=d, filters=2).to(torch.bfloat16)  # shipped in bf16
        save_weights(folder / f"{name}.safetensors", model, side)
        names.append(name)
    return names


def report(tmp_path, models) -> str:
    out = tmp_path / "results"
    reproduce.run_studies(out, models=models, sets=["Set5"], limit=1, fallback=True,
                          log=lambda _m: None)
    return (out / "RESULTS.md").read_text()


def test_the_family_is_listed_apart_and_optional(monkeypatch, tmp_path):
    monkeypatch.setenv("DRCN_WEIGHTS", str(tmp_path))
    assert set(pt.PAPER_SCALE).isdisjoint(pt.REGISTRY)
    assert pt.available_paper_scale() == []
    assert "--preset gpu" in " ".join(pt.PAPER_SCALE["drcn-x3-d16-f256"].train_args())
    with pytest.raises(CheckpointError, match="drcn train --preset gpu"):
        pt.pretrained("drcn-x3-d16-f256")
    fake_paper_scale(tmp_path)
    assert sorted(pt.available_paper_scale()) == ["drcn-x3-d1-f256", "drcn-x3-d16-f256"]
    model, side = pt.pretrained("drcn-x3-d16-f256")  # bf16 on disk, float32 to compute
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    assert side["hardware"]["gpu"] == "test GPU"
    assert st.paper_scale_models(smoke=True) == {}  # never loaded in smoke mode


def test_column_appears_with_the_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("DRCN_WEIGHTS", str(tmp_path / "w"))
    (tmp_path / "w").mkdir()
    fake_paper_scale(tmp_path / "w")
    models = {**stand_in_models(ALL_NAMES), **st.paper_scale_models(log=None)}
    text = report(tmp_path, models)
    assert text.count(vs.BIG) >= 3  # depth, ensemble and benchmark tables
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert [p["recursions"] for p in results["depth"]["paper_scale"]] == [1, 16]
    assert [p["recursions"] for p in results["depth"]["points"]] == [1, 6, 11, 16]
    assert results["ensemble"]["paper_scale_curves"][0]["model"] == "drcn-x3-d16-f256"
    big = [r for r in results["benchmark"]["rows"] if r["source"] == st.PAPER_SCALE_SOURCE]
    assert [(r["set"], r["scale"], r["model"]) for r in big] == [
        ("Set5", 3, "drcn-x3-d16-f256")]


def test_no_column_without_the_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("DRCN_WEIGHTS", str(tmp_path))
    models = {**stand_in_models(ALL_NAMES), **st.paper_scale_models(log=None)}
    text = report(tmp_path, models)
    assert vs.BIG not in text and "f256" not in text


def test_depth_images_keep_the_families_apart(monkeypatch, tmp_path):
    monkeypatch.setenv("DRCN_WEIGHTS", str(tmp_path))
    fake_paper_scale(tmp_path, depths=(16,))
    models = {**stand_in_models(["drcn-x3-d16"]), **st.paper_scale_models(log=None)}
    import numpy as np

    pair = benchmark_pair(np.full((24, 24, 3), 128, np.uint8), 3)
    cpu = st.depth_predictions(models, pair)
    big = st.depth_predictions(models, pair, paper_scale=True)
    assert list(cpu) == [16] and list(big) == [16]
    assert not np.array_equal(cpu[16], big[16])  # two different models
