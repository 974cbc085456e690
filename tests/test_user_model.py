"""train(cfg, out, model=...) trains a hand-written DRCN-like module with the library's engine."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file
from study_fixtures import use_data
from torch import nn

from drcn_lib.engine.checkpoint import load_weights
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import preset
from drcn_lib.errors import CheckpointError, DRCNError
from drcn_lib.model import SROutput

FAST = dict(device="cpu", dtype="float32", channels_last=False, progress=False,
            log=lambda _: None)


class LearnerDRCN(nn.Module):
    """What a learner writes in lessons 02-07: f1, a shared f2, f3, the skip and w_d."""

    def __init__(self, recursions: int = 3, filters: int = 8) -> None:
        super().__init__()
        self.recursions = recursions
        self.f1 = nn.Sequential(nn.Conv2d(1, filters, 3, padding=1), nn.ReLU())
        self.f2 = nn.Conv2d(filters, filters, 3, padding=1)
        self.f3 = nn.Conv2d(filters, 1, 3, padding=1)
        self.w = nn.Parameter(torch.full((recursions,), 1.0 / recursions))

    def forward(self, x: torch.Tensor) -> SROutput:
        h, ys = self.f1(x), []
        for _ in range(self.recursions):
            h = torch.relu(self.f2(h))
            ys.append(self.f3(h) + x)
        outputs = torch.stack(ys)
        return SROutput(outputs, (self.w.view(-1, 1, 1, 1, 1) * outputs).sum(0))


@pytest.fixture
def data(monkeypatch, tmp_path_factory):
    use_data(monkeypatch, tmp_path_factory.mktemp("cache"))


def test_a_learners_module_trains_and_its_sidecar_says_so(tmp_path, data):
    cfg = preset("smoke", steps=30, val_every=30, lr=3e-3)
    torch.manual_seed(0)
    net = LearnerDRCN(recursions=cfg.recursions)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    result = train(cfg, tmp_path / "mine", model=net, **FAST)
    losses = [r["loss"] for r in result.history["train"]]
    assert sum(losses[-3:]) < sum(losses[:3])  # it learned
    assert any(not torch.equal(before[k], v) for k, v in net.state_dict().items())
    side = json.loads((tmp_path / "mine" / "model.json").read_text())
    assert side["model_source"] == "user"
    assert side["model_config"]["arch"] == "user"
    assert side["model_config"]["class"].endswith("LearnerDRCN")
    saved = load_file(str(result.weights))
    assert set(saved) == set(net.state_dict())  # loads back into the learner's class
    with pytest.raises(CheckpointError, match="LearnerDRCN"):
        load_weights(result.weights)


def test_a_user_model_resumes_bit_for_bit(tmp_path, data):
    cfg = preset("smoke", steps=6, val_every=3)
    torch.manual_seed(0)
    a = LearnerDRCN(cfg.recursions)
    b = LearnerDRCN(cfg.recursions)
    b.load_state_dict(a.state_dict())
    start = {k: v.clone() for k, v in a.state_dict().items()}
    train(cfg, tmp_path / "full", model=a, **FAST)
    train(cfg, tmp_path / "cut", model=b, stop_at_step=2, **FAST)
    c = LearnerDRCN(cfg.recursions)
    c.load_state_dict(start)  # a fresh kernel: the learner builds the model again
    train(cfg, tmp_path / "cut", model=c, resume=True, **FAST)
    for k, v in a.state_dict().items():
        assert torch.equal(v, c.state_dict()[k]), k


def test_the_library_model_is_still_recorded_as_such(tmp_path, data):
    result = train(preset("smoke", steps=2, val_every=2), tmp_path / "lib", **FAST)
    side = json.loads((tmp_path / "lib" / "model.json").read_text())
    assert result.sidecar["model_source"] == side["model_source"] == "library"
    assert side["model_config"]["arch"] == "drcn"


@pytest.mark.parametrize("bad, match", [
    (dict(recursions=5), "recursions"),
    (dict(recursions_start=1), "full depth"),
])
def test_a_user_model_that_does_not_fit_the_config_is_refused(tmp_path, bad, match):
    cfg = replace(preset("smoke"), **bad)
    with pytest.raises(DRCNError, match=match):
        train(cfg, tmp_path / "x", model=LearnerDRCN(3), **FAST)
    assert not (tmp_path / "x").exists()  # nothing half-written
