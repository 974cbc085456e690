"""Scores are cached by what was scored, and never returned stale."""

from __future__ import annotations

import json

import pytest
import torch
from study_fixtures import SHARED, use_data

from drcn_lib.experiments import scores as ss
from drcn_lib.model import DRCN


@pytest.fixture(autouse=True)
def data(monkeypatch, tmp_path):
    use_data(monkeypatch, tmp_path / "cache")


def _model(seed: int = 0) -> DRCN:
    torch.manual_seed(seed)
    return DRCN(recursions=2, filters=4).eval()


def test_model_digest_follows_the_weights():
    a, b = _model(0), _model(0)
    assert ss.model_digest(a) == ss.model_digest(b)
    with torch.no_grad():
        next(b.parameters()).view(-1)[0] += 1e-3
    assert ss.model_digest(a) != ss.model_digest(b)


def test_a_cache_hit_does_not_run_the_model(tmp_path, monkeypatch):
    images = ss.load_image_set("Set5", limit=1, fallback=True)
    cache = ss.ScoreCache(tmp_path / "scores.json")
    model = _model()
    first = ss.score_model(model, images, 3, cache=cache)
    assert first.name == "ensemble" and first.depth == 2

    def boom(*_a, **_k):
        raise AssertionError("the model ran although its scores were cached")

    monkeypatch.setattr(ss, "predict_y", boom)
    assert ss.score_model(model, images, 3, cache=cache) == first
    assert len(json.loads((tmp_path / "scores.json").read_text())) == 1


def test_changed_weights_or_scale_are_new_entries(tmp_path):
    images = ss.load_image_set("Set5", limit=1, fallback=True)
    cache = ss.ScoreCache(tmp_path / "scores.json")
    a = ss.score_model(_model(0), images, 3, cache=cache)
    b = ss.score_model(_model(1), images, 3, cache=cache)
    ss.score_model(_model(0), images, 2, cache=cache)
    assert a != b
    assert len(json.loads((tmp_path / "scores.json").read_text())) == 3


def test_a_damaged_cache_is_ignored(tmp_path):
    (tmp_path / "scores.json").write_text("{not json")
    cache = ss.ScoreCache(tmp_path / "scores.json")
    assert cache.get("anything") is None
    images = ss.load_image_set("Set5", limit=1, fallback=True)
    assert ss.score_model(None, images, 3, cache=cache).name == "bicubic"


def test_subset_and_fallback_are_not_complete(tmp_path):
    empty = tmp_path / "nodata"
    empty.mkdir()
    with pytest.warns(UserWarning):
        fb = ss.load_image_set("Set5", fallback=True, data_root=empty)
    assert fb.fallback and not fb.complete
    if (SHARED / "Set5").is_dir():
        assert ss.load_image_set("Set5").complete
        assert not ss.load_image_set("Set5", limit=2).complete
