"""The training engine: it learns, it resumes bit for bit, it refuses what it should."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from study_fixtures import use_data

from drcn_lib.engine.batches import StepBatches, dihedral
from drcn_lib.engine.checkpoint import load_checkpoint, load_weights, save_weights
from drcn_lib.engine.hardware import choose_runtime
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import PRESETS, preset
from drcn_lib.engine.schedules import Plateau, lr_at
from drcn_lib.engine.unfolding import UnfoldedDRCN
from drcn_lib.errors import CheckpointError, DRCNError
from drcn_lib.loss import drcn_loss
from drcn_lib.model import DRCN


@pytest.fixture
def shared_or_fallback_data(monkeypatch, tmp_path_factory):
    """Real sets when ../shared/data is beside the checkout, scikit-image's otherwise."""
    use_data(monkeypatch, tmp_path_factory.mktemp("cache"))


FAST = dict(device="cpu", dtype="float32", channels_last=False, recon_strategy="batched",
            progress=False, log=lambda _: None)


def test_presets_are_printed_and_paper_follows_the_paper():
    paper = PRESETS["paper"]
    assert (paper.filters, paper.recursions, paper.batch_size, paper.patch, paper.stride) == (
        256, 16, 64, 41, 21)
    assert (paper.optimizer, paper.lr, paper.momentum, paper.beta) == ("sgd", 0.01, 0.9, 1e-4)
    assert "filters" in preset("cpu").describe()
    with pytest.raises(ValueError, match="valid presets"):
        preset("turbo")


def test_overfit_one_batch_loss_falls():
    torch.manual_seed(0)
    net = DRCN(recursions=3, filters=8)
    x = torch.rand(4, 1, 16, 16)
    y = (x + 0.1 * torch.rand_like(x)).clamp(0, 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for _ in range(60):
        terms = drcn_loss(net(x), y, alpha=0.5)
        opt.zero_grad()
        terms.total.backward()
        opt.step()
        losses.append(terms.total.item())
    assert losses[-1] < 0.2 * losses[0]


def test_batches_are_a_function_of_the_step():
    inputs = torch.arange(20 * 9, dtype=torch.float32).reshape(20, 1, 3, 3).numpy()
    a = StepBatches(inputs, inputs, 4, seed=1, augment=True)
    b = StepBatches(inputs, inputs, 4, seed=1, augment=True)
    for step in [7, 3, 12, 0]:  # any order, same answer
        torch.testing.assert_close(a.batch(step)[0], b.batch(step)[0])
    assert not torch.equal(a.batch(0)[0], a.batch(1)[0])
    # one epoch covers every patch once
    seen = torch.cat([StepBatches(inputs, inputs, 4, seed=1).batch(s)[0] for s in range(5)])
    assert sorted(seen[:, 0, 0, 0].tolist()) == sorted(inputs[:, 0, 0, 0].tolist())


def test_dihedral_gives_eight_distinct_views():
    t = torch.arange(9.0).reshape(1, 1, 3, 3)
    views = {tuple(dihedral(t, k).flatten().tolist()) for k in range(8)}
    assert len(views) == 8


def test_lr_schedules():
    cfg = preset("cpu", steps=100, warmup_steps=10, lr=1.0, min_lr_fraction=0.0)
    assert lr_at(cfg, 0) == pytest.approx(0.1) and lr_at(cfg, 9) == pytest.approx(1.0)
    assert lr_at(cfg, 10) == pytest.approx(1.0) and lr_at(cfg, 100) == pytest.approx(0.0)
    p = Plateau(patience=2)
    assert [p.update(v) for v in [30.0, 31.0, 30.5, 30.9]] == [False, False, False, True]
    assert p.factor == pytest.approx(0.1)


def test_probe_chooses_among_candidates_and_caches(tmp_path):
    build = lambda: DRCN(recursions=2, filters=4)  # noqa: E731
    rt = choose_runtime(build, batch=2, patch=9, device="cpu", dtype="float32",
                        cache_file=tmp_path / "probe.json")
    assert rt.dtype == "float32" and rt.recon_strategy in ("batched", "loop")
    assert (tmp_path / "probe.json").exists()
    again = choose_runtime(build, batch=2, patch=9, device="cpu", dtype="float32",
                           cache_file=tmp_path / "probe.json")
    assert (again.channels_last, again.recon_strategy) == (rt.channels_last, rt.recon_strategy)
    assert any("cached" in r for r in again.reasons)
    forced = choose_runtime(build, 2, 9, device="cpu", dtype="float32", channels_last=True,
                            recon_strategy="loop", cache_file=tmp_path / "p2.json")
    assert (forced.channels_last, forced.recon_strategy) == (True, "loop")


@pytest.mark.parametrize("cl", [False, True])
def test_runtime_layouts_compute_the_same_gradients(cl):
    torch.manual_seed(0)
    ref, other = DRCN(recursions=3, filters=8), DRCN(recursions=3, filters=8)
    other.load_state_dict(ref.state_dict())
    fmt = torch.channels_last if cl else torch.contiguous_format
    other = other.to(memory_format=fmt)
    x, y = torch.rand(2, 1, 12, 12), torch.rand(2, 1, 12, 12)
    drcn_loss(UnfoldedDRCN(ref, "batched")(x), y, 0.5).total.backward()
    drcn_loss(UnfoldedDRCN(other, "loop")(x.to(memory_format=fmt)), y, 0.5).total.backward()
    for (name, a), b in zip(ref.named_parameters(), other.parameters(), strict=False):
        torch.testing.assert_close(a.grad, b.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_safetensors_round_trip_and_config_mismatch(tmp_path):
    net = DRCN(recursions=3, filters=4)
    path = save_weights(tmp_path / "m.safetensors", net, {"note": "test"})
    loaded, side = load_weights(path)
    assert side["note"] == "test" and side["model_config"]["recursions"] == 3
    for k, v in net.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k])
    with pytest.raises(CheckpointError, match="recursions=3, expected 16"):
        load_weights(path, expect={"recursions": 16})
    side_path = tmp_path / "m.json"
    bad = json.loads(side_path.read_text())
    bad["model_config"]["filters"] = 8
    side_path.write_text(json.dumps(bad))
    with pytest.raises(CheckpointError, match="does not fit"):
        load_weights(path)


def test_pickle_checkpoint_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    torch.save({"model": Evil()}, path)
    with pytest.raises(CheckpointError, match="refusing"):
        load_checkpoint(path)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="only .safetensors"):
        load_weights(path)


def test_smoke_training_writes_weights_and_sidecar(tmp_path, shared_or_fallback_data):
    result = train(preset("smoke"), tmp_path / "run", **FAST, command="test")
    side = json.loads((tmp_path / "run" / "model.json").read_text())
    assert result.weights.exists() and side["command"] == "test"
    assert side["steps"] == 6 and len(side["val_curve"]) == 2
    assert {"git_commit", "wall_seconds", "hardware", "preset", "runtime", "data"} <= set(side)
    with pytest.raises(DRCNError, match="already holds a checkpoint"):
        train(preset("smoke"), tmp_path / "run", **FAST)


@pytest.mark.parametrize("ema_decay", [None, 0.9])  # 0.9: the averaged weights survive too
def test_resume_gives_bitwise_the_same_weights(tmp_path, shared_or_fallback_data, ema_decay):
    cfg = replace(preset("smoke"), steps=8, val_every=4, augment=True, ema_decay=ema_decay)
    full = train(cfg, tmp_path / "full", **FAST)
    train(cfg, tmp_path / "cut", **FAST, stop_at_step=3)
    assert not (tmp_path / "cut" / "model.safetensors").exists()
    resumed = train(cfg, tmp_path / "cut", resume=True, **FAST)
    a, _ = load_weights(full.weights)
    b, _ = load_weights(resumed.weights)
    for k, v in a.state_dict().items():
        assert torch.equal(v, b.state_dict()[k]), k
    assert full.history["val"][-1]["psnr"] == resumed.history["val"][-1]["psnr"]


def test_resume_with_another_config_is_refused(tmp_path, shared_or_fallback_data):
    cfg = preset("smoke")
    train(cfg, tmp_path / "run", **FAST, stop_at_step=2)
    with pytest.raises(DRCNError, match=r"another configuration: \{'batch_size': \(4, 8\)\}"):
        train(replace(cfg, batch_size=8), tmp_path / "run", resume=True, **FAST)


def test_resume_may_lower_the_learning_rate_and_says_so(tmp_path, shared_or_fallback_data):
    """The remedy a divergence message gives (a lower lr, then --resume) is accepted, printed,
    used from the resumed step on, and recorded in the shipped sidecar."""
    cfg = preset("smoke")
    train(cfg, tmp_path / "run", **FAST, stop_at_step=2)
    said: list[str] = []
    result = train(replace(cfg, lr=1e-4), tmp_path / "run", resume=True,
                   **{**FAST, "log": said.append})
    assert "resumed with changed settings: lr 0.001 -> 0.0001" in said
    assert [r["lr"] for r in result.history["train"] if r["step"] > 2] == [1e-4] * 4
    assert result.sidecar["resumed_with_changes"] == [{"step": 2, "lr": [1e-3, 1e-4]}]


def test_config_name_lists_agree_with_the_model_and_the_loss():
    from drcn_lib import loss
    from drcn_lib.engine import presets
    from drcn_lib.model import factory

    assert presets.ARCHS == factory.ARCHS
    assert presets.ALPHA_KINDS == loss.ALPHA_KINDS
    assert presets.LOSS_REDUCTIONS == loss.LOSS_REDUCTIONS


@pytest.mark.parametrize("field, value, message", [
    ("steps", 0, "steps must be an integer >= 1, got 0"),
    ("batch_size", 0, "batch_size must be an integer >= 1"),
    ("val_every", 0, "val_every must be an integer >= 1"),
    ("recursions", 0, "recursions must be an integer >= 1"),
    ("filters", 0, "filters must be an integer >= 1"),
    ("optimizer", "rmsprop", r"optimizer 'rmsprop' is not one of \('adam', 'sgd'\)"),
    ("lr", float("nan"), r"lr must be a finite number in \(0, inf\), got nan"),
    ("lr", -1e-3, r"lr must be a finite number in \(0, inf\)"),
    ("momentum", 1.0, r"momentum must be a finite number in \[0, 1\)"),
    ("val_images", 0, "val_images must be an integer >= 1"),
    ("skip", "yes", "skip must be true or false"),
    ("recursions_start", 5, r"recursions_start must be in 1..3"),
])
def test_impossible_settings_are_refused_when_the_config_is_made(field, value, message):
    from drcn_lib.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        preset("smoke", **{field: value})


def test_sidecar_hardware_names_instruction_set_limits(monkeypatch):
    from drcn_lib.engine.provenance import ISA_LIMIT_VARS, hardware

    for var in ISA_LIMIT_VARS:
        monkeypatch.delenv(var, raising=False)
    assert "isa_limits" not in hardware()
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert hardware()["isa_limits"] == {"ONEDNN_MAX_CPU_ISA": "AVX2"}


def test_git_commit_is_dirty_for_code_but_not_for_shipped_weights_or_bench_results(tmp_path):
    import subprocess

    from drcn_lib.engine.provenance import git_commit

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    (tmp_path / "drcn_lib" / "weights").mkdir(parents=True)
    (tmp_path / "drcn_lib" / "loss.py").write_text("a = 1\n")
    (tmp_path / "drcn_lib" / "weights" / "m.json").write_text("{}\n")
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "results-avx2-emulated.json").write_text("{}\n")
    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    head = git_commit(tmp_path)
    assert len(head) == 40
    (tmp_path / "drcn_lib" / "weights" / "m.json").write_text('{"shipped": 1}\n')
    (tmp_path / "benchmarks" / "results-avx2-emulated.json").write_text('{"bench": 1}\n')
    assert git_commit(tmp_path) == head
    (tmp_path / "drcn_lib" / "loss.py").write_text("a = 2\n")
    assert git_commit(tmp_path) == head + "+dirty"
