"""Killed kernels and diverging runs: no lost work, no half-written files, same weights.

* A ``drcn train`` process is killed with SIGKILL at a random (seeded) step, twice, and resumed
  with ``--resume``; its final ``model.safetensors`` must be byte-for-byte the file of an
  uninterrupted run started at the same time (CPU, float32, fixed seed, one thread each).
* A process is killed *while* it writes a checkpoint or a weights file (its writer is made to
  stop half-way); the previous file must still load.
* NaN or Inf in the loss stops training with :class:`TrainingDiverged`, a message that names the
  step and the kept checkpoint, and that checkpoint loads and resumes.
* With no T91 on disk, training falls back to the scikit-image stand-ins, loudly.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from drcn_lib.data.fallback import FallbackDataWarning
from drcn_lib.data.patches import PatchSpec, load_or_build_patches
from drcn_lib.engine.batches import StepBatches
from drcn_lib.engine.checkpoint import load_checkpoint, load_weights
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import preset
from drcn_lib.errors import DataError, ImageError, TrainingDiverged
from drcn_lib.loss import alpha_schedule, drcn_loss
from drcn_lib.model import DRCN
from drcn_lib.model.factory import build_model

STEPS = 40
TRAIN_ARGS = ["--preset", "smoke", "--no-progress", "--device", "cpu", "--dtype", "float32",
              "--channels-last", "off", "--recon", "batched", "--checkpoint-every", "0",
              "--set", f"steps={STEPS}", "--set", "val_every=10"]
FAST = dict(device="cpu", dtype="float32", channels_last=False, recon_strategy="batched",
            progress=False, log=lambda _: None, checkpoint_every_s=0.0)


def _start(out: Path, env: dict[str, str], resume: bool = False) -> subprocess.Popen:
    """``nice -n 10 python -m drcn_lib.cli train ...`` with its log in ``out.log``."""
    cmd = ["nice", "-n", "10", sys.executable, "-m", "drcn_lib.cli", "train", *TRAIN_ARGS,
           "--out", str(out)] + (["--resume"] if resume else [])
    log = open(f"{out}.log", "a")  # noqa: SIM115 - the child owns it until it exits
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    finally:
        log.close()


def _trained_steps(out: Path) -> int:
    """Last step recorded in history.json (written right after each checkpoint), or 0."""
    try:
        history = json.loads((out / "history.json").read_text())
    except (OSError, ValueError):
        return 0
    steps = [r["step"] for r in history.get("train", [])]
    return max(steps, default=0)


def _kill_at(proc: subprocess.Popen, out: Path, step: int, timeout: float = 900.0) -> None:
    """Wait until the run has a checkpoint and logged progress to ``step``, then SIGKILL it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log = Path(f"{out}.log").read_text()[-2000:]
            raise AssertionError(f"training ended (rc {proc.returncode}) before step {step}:\n"
                                 f"{log}")
        if (out / "checkpoint.pt").exists() and _trained_steps(out) >= step:
            os.kill(proc.pid, signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
            return
        time.sleep(0.005)
    proc.kill()
    raise AssertionError(f"no progress to step {step} within {timeout} s")


@pytest.fixture(scope="module")
def patches_ready(reliability_dirs: dict[str, Path]) -> None:
    """Cut the smoke patches once in this process, so the children only load them."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DRCN_CACHE", str(reliability_dirs["cache"]))
    mp.setenv("DRCN_DATA", str(reliability_dirs["data"]))
    try:
        cfg = preset("smoke")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FallbackDataWarning)
            load_or_build_patches(PatchSpec(cfg.train_set, cfg.scale, cfg.patch, cfg.stride),
                                  verbose=False)
    finally:
        mp.undo()


@pytest.fixture
def children() -> Iterator[list[subprocess.Popen]]:
    """Child processes a test starts; any still running at the end are killed and reaped."""
    procs: list[subprocess.Popen] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_sigkill_at_random_steps_then_resume_is_bitwise_identical(
        tmp_path: Path, tally, child_env, patches_ready, children) -> None:
    rng = np.random.default_rng(20160627)  # seeded: the same kill points on every run
    first = int(rng.integers(2, 16))
    second = int(rng.integers(first + 4, 30))
    reference = _start(tmp_path / "uninterrupted", child_env)  # runs beside the victim
    children.append(reference)
    victim = tmp_path / "killed"
    for n, step in enumerate((first, second), start=1):
        with tally.case("interrupted training", f"SIGKILL #{n} at step >= {step} of {STEPS}"):
            children.append(_start(victim, child_env, resume=n > 1))
            _kill_at(children[-1], victim, step)
            state = load_checkpoint(victim / "checkpoint.pt")  # never half-written
            assert step <= state["step"] < STEPS
            assert not (victim / "model.safetensors").exists()
            assert not (victim / "model.json").exists()
    with tally.case("interrupted training", "resume after two kills, bitwise equal weights"):
        children.append(_start(victim, child_env, resume=True))
        assert children[-1].wait(timeout=900) == 0, Path(f"{victim}.log").read_text()[-3000:]
        assert reference.wait(timeout=900) == 0
        log = Path(f"{victim}.log").read_text()
        assert log.count("resumed ") == 2 and "at step" in log
        a = load_file(str(tmp_path / "uninterrupted" / "model.safetensors"))
        b = load_file(str(victim / "model.safetensors"))
        assert a.keys() == b.keys()
        for k in a:
            assert torch.equal(a[k], b[k]), f"{k} differs after resume"
        assert ((tmp_path / "uninterrupted" / "model.safetensors").read_bytes()
                == (victim / "model.safetensors").read_bytes())
        side_a = json.loads((tmp_path / "uninterrupted" / "model.json").read_text())
        side_b = json.loads((victim / "model.json").read_text())
        assert [r["psnr"] for r in side_a["val_curve"]] == [r["psnr"] for r in side_b["val_curve"]]


# A child that writes a good file, then starts replacing it with a writer that stops half-way
# and waits to be killed: the moment a real kill is most dangerous.
_HALF_WRITE = r"""
import io, sys, time
from pathlib import Path
import torch
from drcn_lib.engine import checkpoint as ck
from drcn_lib.model import DRCN

target, kind = Path(sys.argv[1]), sys.argv[2]
torch.manual_seed(0)
good, newer = DRCN(recursions=2, filters=4), DRCN(recursions=2, filters=4)
if kind == "checkpoint":
    ck.save_checkpoint(target, {"config": {}, "model": good.state_dict(), "optimizer": {},
                                "step": 1})
else:
    ck.save_weights(target, good, {"note": "good"})

def stall(write_full):
    def half(*args, **kwargs):
        path = Path(args[1] if len(args) > 1 else kwargs.get("filename", kwargs.get("f")))
        buf = io.BytesIO() if kind == "checkpoint" else None
        if kind == "checkpoint":
            write_full(args[0], buf)
            data = buf.getvalue()
        else:
            write_full(*args, **kwargs)
            data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        print("HALF", flush=True)
        time.sleep(120)
    return half

if kind == "checkpoint":
    torch.save = stall(torch.save)
    ck.save_checkpoint(target, {"config": {}, "model": newer.state_dict(), "optimizer": {},
                                "step": 2})
else:
    ck.save_file = stall(ck.save_file)
    ck.save_weights(target, newer, {"note": "newer"})
"""


@pytest.mark.parametrize("kind", ["checkpoint", "weights"])
def test_sigkill_in_the_middle_of_a_write_keeps_the_previous_file(
        kind: str, tmp_path: Path, tally, child_env, children) -> None:
    target = tmp_path / ("checkpoint.pt" if kind == "checkpoint" else "model.safetensors")
    with tally.case("interrupted training", f"SIGKILL half-way through writing {target.name}"):
        proc = subprocess.Popen([sys.executable, "-c", _HALF_WRITE, str(target), kind],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=child_env)
        children.append(proc)
        try:
            line = proc.stdout.readline()
            assert line.strip() == "HALF", proc.stderr.read()
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)  # reap it and close its pipes
        assert proc.returncode == -signal.SIGKILL
        torch.manual_seed(0)
        good = DRCN(recursions=2, filters=4).state_dict()
        if kind == "checkpoint":
            state = load_checkpoint(target)
            assert state["step"] == 1
            loaded = state["model"]
        else:
            model, side = load_weights(target)
            assert side["note"] == "good"
            loaded = model.state_dict()
        assert all(torch.equal(v, loaded[k]) for k, v in good.items())


def _poison(monkeypatch: pytest.MonkeyPatch, at_step: int, value: float):  # noqa: ANN202
    """Make batch ``at_step`` carry ``value`` (NaN or Inf), as corrupt data would; returns
    the real method, to put back."""
    real = StepBatches.batch

    def batch(self: StepBatches, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = real(self, step)
        if step == at_step:  # NaN in an input patch; Inf in a target (Inf inputs give NaN)
            x, y = x.clone(), y.clone()
            (x if math.isnan(value) else y)[0, 0, 0, 0] = value
        return x, y

    monkeypatch.setattr(StepBatches, "batch", batch)
    return real


@pytest.mark.parametrize("value", [math.nan, math.inf], ids=["nan", "inf"])
def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(
        value: float, tmp_path: Path, monkeypatch, tally, patches_ready) -> None:
    """Corrupt data at step 5: the run stops there, naming the step and the checkpoint; the
    checkpoint holds exactly the weights of a clean run at its step (5, or 4 if the loop only
    keeps weights whose next loss was seen to be finite), and resuming from it with clean data
    ends bitwise where a clean run ends."""
    at = 5
    cfg = replace(preset("smoke"), steps=12, val_every=4)
    with tally.case("divergence", f"{value} in the loss at step {at}"):
        real_batch = _poison(monkeypatch, at, value)
        out = tmp_path / "run"
        with pytest.raises(TrainingDiverged) as err:
            train(cfg, out, **FAST)
        monkeypatch.setattr(StepBatches, "batch", real_batch)
        msg = str(err.value)
        assert f"loss is {value}" in msg and f"step {at}" in msg
        assert str(out / "checkpoint.pt") in msg and "kept" in msg
        assert not (out / "model.safetensors").exists()
        state = load_checkpoint(out / "checkpoint.pt")
        assert at - 1 <= state["step"] <= at
        clean = train(cfg, tmp_path / "clean", stop_at_step=state["step"], **FAST)
        kept = load_checkpoint(clean.out_dir / "checkpoint.pt")
        for k, v in kept["model"].items():  # exactly the weights before the bad step
            assert torch.equal(v, state["model"][k]) and torch.isfinite(v).all(), k
        done = train(cfg, out, resume=True, **FAST)  # and the run can go on from there
        clean = train(cfg, clean.out_dir, resume=True, **FAST)
        assert done.weights.read_bytes() == clean.weights.read_bytes()


def test_exploding_learning_rate_keeps_a_checkpoint_whose_loss_is_finite(
        tmp_path: Path, tally, patches_ready) -> None:
    cfg = replace(preset("smoke"), steps=12, val_every=4, lr=1e9)
    out = tmp_path / "run"
    with tally.case("divergence", "lr=1e9 (the update explodes)"):
        with pytest.raises(TrainingDiverged, match="Lower the learning rate"):
            train(cfg, out, **FAST)
        state = load_checkpoint(out / "checkpoint.pt")
        model = _model_from_state(state["model"])
        batches = StepBatches(*_smoke_arrays(), cfg.batch_size, cfg.seed, cfg.augment)
        x, y = batches.batch(state["step"])
        alpha = alpha_schedule(state["step"] / cfg.steps, cfg.alpha_kind, cfg.alpha_start,
                               cfg.alpha_end, cfg.alpha_decay_fraction)
        with torch.no_grad():
            loss = drcn_loss(model(x), y, alpha).total.item()
        assert math.isfinite(loss), f"the kept checkpoint (step {state['step']}) gives loss {loss}"


def _model_from_state(state: dict[str, torch.Tensor]) -> torch.nn.Module:
    model = build_model(**preset("smoke").model_kwargs())
    model.load_state_dict(state)
    return model.eval()


def _smoke_arrays() -> tuple[np.ndarray, np.ndarray]:
    cfg = preset("smoke")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FallbackDataWarning)
        p = load_or_build_patches(PatchSpec(cfg.train_set, cfg.scale, cfg.patch, cfg.stride),
                                  verbose=False)
    return p.inputs, p.targets


def test_training_without_t91_falls_back_loudly(tmp_path: Path, monkeypatch, tally,
                                                capsys) -> None:
    """A fresh checkout with no data still trains (smoke), on the stand-ins, with the banner."""
    with tally.case("missing data", "no T91 on disk: smoke training on the stand-ins"):
        monkeypatch.setenv("DRCN_DATA", str(tmp_path / "empty"))
        monkeypatch.setenv("DRCN_CACHE", str(tmp_path / "cache"))
        with pytest.warns(FallbackDataWarning) as caught:
            result = train(replace(preset("smoke"), steps=2, val_every=2), tmp_path / "run",
                           **FAST)
        said = " | ".join(str(w.message) for w in caught)
        assert "training images (T91)" in said and "test images" in said  # train and validate
        assert result.weights.exists() and math.isfinite(result.final_psnr)
        assert "FALLBACK DATA" in capsys.readouterr().out
        assert (tmp_path / "empty" / "Fallback" / "train").is_dir()
        assert result.sidecar["data"]["train"]["fallback"] is True  # and the weights say so


def test_shipped_weight_training_refuses_the_stand_ins(tmp_path: Path, monkeypatch,
                                                       tally) -> None:
    """`drcn train --no-fallback` (and `drcn reproduce --train`) stops before any step when T91
    is missing, naming the command that gets it, and leaves no run folder behind."""
    with tally.case("missing data", "no T91 on disk, --no-fallback: refused"):
        monkeypatch.setenv("DRCN_DATA", str(tmp_path / "empty"))
        monkeypatch.setenv("DRCN_CACHE", str(tmp_path / "cache"))
        with pytest.raises(DataError, match="drcn download T91"):
            train(replace(preset("smoke"), steps=2, val_every=2), tmp_path / "run",
                  allow_fallback=False, **FAST)
        assert not (tmp_path / "run").exists()


def test_a_patch_no_image_can_hold_is_refused_before_any_step(tmp_path: Path, monkeypatch,
                                                              tally) -> None:
    """`patch=10000` with the timed probe on was killed by the kernel at 24 GB: the probe ran
    a training step on 10000x10000 patches before the data said no such patch fits. The data
    now answers first, and no output folder is made."""
    from drcn_lib.engine import run_setup

    def probe(*_a: object, **_k: object) -> None:
        raise AssertionError("the timed probe ran before the data check")

    with tally.case("bad settings", "patch=10000, probe on: refused before the probe"):
        monkeypatch.setattr(run_setup, "choose_runtime", probe)
        with pytest.raises(ImageError, match="no 10000x10000 patch fits"):
            train(replace(preset("smoke"), patch=10000), tmp_path / "run", progress=False,
                  log=lambda _: None)
        assert not (tmp_path / "run").exists()


def test_a_finite_but_exploded_run_ships_no_weights(tmp_path: Path, tally,
                                                    patches_ready) -> None:
    """lr 2: the loss stays finite (up to 1e19) and the model ends at 6.6 dB; it used to ship
    with exit code 0. Now no weights are written, and the message gives the remedy."""
    with tally.case("divergence", "lr=2: loss finite but exploded, no weights written"):
        with pytest.raises(TrainingDiverged, match=r"the run diverged.*--set lr=0\.2 --force"):
            train(replace(preset("smoke"), lr=2.0), tmp_path / "run", **FAST)
        assert not (tmp_path / "run" / "model.safetensors").exists()
        assert load_checkpoint(tmp_path / "run" / "checkpoint.pt")["step"] == 6
