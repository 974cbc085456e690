"""The moving average of the weights: its arithmetic, that it leaves training alone and that it
is what a run validates and ships (that it survives an interruption: tests/test_engine.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from study_fixtures import FAST as QUICK
from study_fixtures import use_data

from drcn_lib.engine.averaging import WeightAverage
from drcn_lib.engine.checkpoint import load_checkpoint, load_weights
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import TrainConfig, preset

FAST = {**QUICK, "progress": False, "log": lambda _: None}


@pytest.fixture
def data(monkeypatch, tmp_path_factory):
    use_data(monkeypatch, tmp_path_factory.mktemp("cache"))


def test_average_follows_its_warmed_up_decay():
    net = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        net.weight.fill_(0.0)
    avg = WeightAverage(net, decay=0.5)
    expected = 0.0
    for n, value in enumerate((1.0, 2.0, 4.0), start=1):
        with torch.no_grad():
            net.weight.fill_(value)
        avg.update(net)
        d = min(0.5, (1 + n) / (10 + n))  # 2/11, 3/12, then capped at 0.5
        expected = d * expected + (1 - d) * value
        assert avg.model.weight[0, 0].item() == pytest.approx(expected)
    assert not avg.model.weight.requires_grad


@pytest.mark.parametrize("decay", [0.0, 1.0, 1.5])
def test_decay_outside_zero_one_is_refused(decay):
    with pytest.raises(ValueError, match="ema_decay"):
        TrainConfig(ema_decay=decay)


def test_average_is_shipped_and_training_is_unchanged(tmp_path, data):
    cfg = replace(preset("smoke"), steps=8, val_every=4)
    plain = train(cfg, tmp_path / "plain", **FAST)
    averaged = train(replace(cfg, ema_decay=0.9), tmp_path / "ema", **FAST)
    raw_plain = load_checkpoint(tmp_path / "plain" / "checkpoint.pt")["model"]
    state = load_checkpoint(tmp_path / "ema" / "checkpoint.pt")
    for k, v in raw_plain.items():  # the optimiser never saw the average
        assert torch.equal(v, state["model"][k]), k
    shipped, _ = load_weights(averaged.weights)
    kept, _ = load_weights(plain.weights)
    for k, v in shipped.state_dict().items():
        assert torch.equal(v, state["ema"]["model"][k]), k
    assert any(not torch.equal(v, kept.state_dict()[k]) for k, v in shipped.state_dict().items())
