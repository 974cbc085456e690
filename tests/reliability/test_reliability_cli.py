"""`drcn train` and `drcn eval` against a hostile or clumsy user: one line, exit 2, nothing lost.

Each case runs the command in-process through :func:`drcn_lib.cli.main` (fast; stderr captured)
and asserts the exact exit code, that the message names the problem, and what is (not) left in
the output folder. A refused run must answer before anything allocates: the timed hardware
probe is made to fail the test if it is reached. Full disks are simulated with
``OSError(errno.ENOSPC)``; read-only folders with ``chmod`` (and, when the tests run as root,
whom permissions do not stop, with the ``os.access`` answer a read-only mount gives).
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from drcn_lib import cli
from drcn_lib.engine import run_setup
from drcn_lib.engine.batches import StepBatches
from drcn_lib.engine.checkpoint import save_weights
from drcn_lib.model import DRCN
from drcn_lib.protocol.image_io import save_image

FAMILY = "bad settings"
TRAIN = ["train", "--preset", "smoke", "--no-progress", "--device", "cpu", "--dtype", "float32",
         "--channels-last", "off", "--recon", "batched", "--checkpoint-every", "0"]


def drcn(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run ``drcn ARGS`` in this process; returns (exit code, stdout, stderr)."""
    rc = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def refused(capsys: pytest.CaptureFixture, *args: str, says: tuple[str, ...]) -> str:
    """``drcn ARGS`` must exit 2 with one line on stderr naming the problem (every ``says``)."""
    rc, _, err = drcn(capsys, *args)
    command = args[0]
    assert rc == 2, err
    assert err.startswith(f"drcn {command}: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for words in says:
        assert words in err, f"{words!r} not in {err!r}"
    return err


@pytest.fixture
def no_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reaching the timed probe (which runs training steps) means a check came too late."""
    def probe(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the hardware probe ran before the configuration was checked")

    monkeypatch.setattr(run_setup, "choose_runtime", probe)


def read_only(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` read-only for this process, as a read-only mount would be."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() == 0:  # root writes through permissions; a read-only mount still says no
        real = os.access

        def access(path: object, mode: int, *args: object, **kwargs: object) -> bool:
            if Path(str(path)).resolve() == folder.resolve() and mode & os.W_OK:
                return False
            return real(path, mode, *args, **kwargs)

        monkeypatch.setattr(os, "access", access)


@pytest.fixture(autouse=True)
def _restore_permissions(tmp_path: Path):  # noqa: ANN202
    yield
    for path in [tmp_path, *tmp_path.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)


# --- impossible values: refused before anything allocates, no folder made ---------------------

IMPOSSIBLE = {
    "--recursions 0": (["--recursions", "0"], ("recursions must be an integer >= 1, got 0",)),
    "--filters 0": (["--filters", "0"], ("filters must be an integer >= 1, got 0",)),
    "batch_size=0": (["--set", "batch_size=0"], ("batch_size must be an integer >= 1, got 0",)),
    "val_every=0": (["--set", "val_every=0"], ("val_every must be an integer >= 1, got 0",)),
    "--steps 0": (["--steps", "0"], ("steps must be an integer >= 1, got 0", "untrained")),
    "unknown optimizer": (["--set", "optimizer=rmsprop"],
                          ("optimizer 'rmsprop' is not one of ('adam', 'sgd')",)),
    "unknown dtype": (["--dtype", "float16"], ("dtype 'float16' is not one of",)),
    "unknown device name": (["--device", "gpu"], ("device 'gpu' is not a device name",)),
    "lr=nan": (["--set", "lr=nan"], ("lr must be a finite number", "got nan")),
    "lr=-0.001": (["--set", "lr=-0.001"], ("lr must be a finite number in (0, inf)",)),
    "grad_clip=0": (["--set", "grad_clip=0"], ("grad_clip must be a finite number",)),
    "val_images=abc": (["--set", "val_images=abc"], ("val_images needs an integer",)),
    "val_images=0": (["--set", "val_images=0"], ("val_images must be an integer >= 1, got 0",)),
    "scale=1": (["--set", "scale=1"], ("scale must be an integer >= 2, got 1",)),
    "skip=maybe": (["--set", "skip=maybe"], ("skip needs true or false",)),
    "unknown field": (["--set", "depth=3"], ("expected FIELD=VALUE", "'depth=3'")),
    # 8 filters x 4 maps x 1e8 patches of 21x21: a step needs terabytes; refused by a lower bound
    "batch_size=100000000": (["--set", "batch_size=100000000"],
                             ("one training step needs at least", "GiB free",
                              "lower batch_size")),
}


@pytest.mark.parametrize("name", list(IMPOSSIBLE))
def test_impossible_values_are_one_line_and_exit_2(
        name: str, tmp_path: Path, capsys, tally, no_probe) -> None:
    args, says = IMPOSSIBLE[name]
    with tally.case(FAMILY, f"drcn train {name}"):
        refused(capsys, *TRAIN, *args, "--out", tmp_path / "run", says=says)
        assert not (tmp_path / "run").exists()  # nothing half-made


def test_cuda_on_a_cpu_only_torch_is_refused(tmp_path: Path, capsys, tally, no_probe) -> None:
    if torch.cuda.is_available():
        pytest.skip("this torch sees a GPU")
    with tally.case(FAMILY, "drcn train --device cuda on a CPU-only torch"):
        refused(capsys, *TRAIN, "--device", "cuda", "--out", tmp_path / "run",
                says=("device 'cuda'", "usable here: ['auto', 'cpu'"))
    with tally.case(FAMILY, "drcn eval --device cuda on a CPU-only torch"):
        refused(capsys, "eval", "--pretrained", "drcn-x3-d16", "--device", "cuda",
                "--sets", "Set5", says=("device 'cuda'",))


def test_a_patch_larger_than_every_image_is_refused_before_the_probe(
        tmp_path: Path, capsys, tally, no_probe) -> None:
    """`--set patch=10000` once ran the timed probe on 10000x10000 patches (killed at 24 GB)
    before the check that no such patch fits; now the probe is never reached."""
    with tally.case(FAMILY, "drcn train --set patch=10000 (probe on)"):
        refused(capsys, "train", "--preset", "smoke", "--no-progress", "--set", "patch=10000",
                "--out", tmp_path / "run", says=("no 10000x10000 patch fits", "smaller patch"))
        assert not (tmp_path / "run").exists()


def test_val_every_0_leaves_nothing_that_blocks_the_corrected_rerun(
        tmp_path: Path, capsys, tally) -> None:
    with tally.case(FAMILY, "val_every=0, then the corrected command"):
        out = tmp_path / "run"
        refused(capsys, *TRAIN, "--set", "val_every=0", "--out", out, says=("val_every",))
        assert drcn(capsys, *TRAIN, "--set", "val_every=3", "--out", out)[0] == 0
        assert (out / "model.safetensors").is_file()


# --- folders: the output, the data and the cache ----------------------------------------------


def test_out_that_is_a_file_or_read_only_is_refused(
        tmp_path: Path, capsys, monkeypatch, tally, no_probe) -> None:
    with tally.case(FAMILY, "--out is a file"):
        (tmp_path / "file").write_text("precious")
        refused(capsys, *TRAIN, "--out", tmp_path / "file", says=("is a file, not a folder",))
        assert (tmp_path / "file").read_text() == "precious"
    with tally.case(FAMILY, "--out below a file"):
        refused(capsys, *TRAIN, "--out", tmp_path / "file" / "run",
                says=("cannot be created", "is a file"))
    with tally.case(FAMILY, "--out in a read-only folder"):
        read_only(monkeypatch, tmp_path / "ro")
        refused(capsys, *TRAIN, "--out", tmp_path / "ro" / "run",
                says=(str(tmp_path / "ro"), "is read-only"))
        assert not (tmp_path / "ro" / "run").exists()


@pytest.mark.parametrize("env", ["DRCN_DATA", "DRCN_CACHE"])
def test_data_or_cache_folder_that_is_a_file_is_refused(
        env: str, tmp_path: Path, capsys, monkeypatch, tally, no_probe) -> None:
    with tally.case(FAMILY, f"{env} is a file"):
        (tmp_path / "oops").write_text("not a folder")
        monkeypatch.setenv(env, str(tmp_path / "oops"))
        refused(capsys, *TRAIN, "--out", tmp_path / "run",
                says=(env, str(tmp_path / "oops"), "is a file"))
        assert not (tmp_path / "run").exists()


def test_read_only_cache_is_refused(tmp_path: Path, capsys, monkeypatch, tally, no_probe) -> None:
    with tally.case(FAMILY, "DRCN_CACHE is read-only"):
        read_only(monkeypatch, tmp_path / "cache")
        monkeypatch.setenv("DRCN_CACHE", str(tmp_path / "cache"))
        refused(capsys, *TRAIN, "--out", tmp_path / "run", says=("DRCN_CACHE", "read-only"))


def test_read_only_data_without_the_sets_is_refused(
        tmp_path: Path, capsys, monkeypatch, tally, no_probe) -> None:
    """With no sets, the stand-ins would be written into DRCN_DATA: read-only, that cannot be."""
    with tally.case(FAMILY, "DRCN_DATA is read-only and empty (stand-ins cannot be written)"):
        read_only(monkeypatch, tmp_path / "data")
        monkeypatch.setenv("DRCN_DATA", str(tmp_path / "data"))
        monkeypatch.setenv("DRCN_CACHE", str(tmp_path / "cache"))
        refused(capsys, *TRAIN, "--out", tmp_path / "run", says=("DRCN_DATA", "read-only"))


def _no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_at_the_first_checkpoint(tmp_path: Path, capsys, monkeypatch, tally) -> None:
    with tally.case(FAMILY, "disk full while writing checkpoint.pt"):
        monkeypatch.setattr(torch, "save", _no_space)
        out = tmp_path / "run"
        refused(capsys, *TRAIN, "--out", out,
                says=("could not write the checkpoint", "No space left on device", "--resume"))
        assert sorted(p.name for p in out.iterdir()) == []  # no temp file, no half checkpoint


def test_full_disk_at_the_weights_keeps_the_checkpoint_and_resume_writes_them(
        tmp_path: Path, capsys, monkeypatch, tally) -> None:
    with tally.case(FAMILY, "disk full while writing model.safetensors, then --resume"):
        from drcn_lib.engine import checkpoint

        real = checkpoint.save_file
        monkeypatch.setattr(checkpoint, "save_file", _no_space)
        out = tmp_path / "run"
        refused(capsys, *TRAIN, "--out", out,
                says=("could not write the weights", "No space left on device",
                      "--resume to write them without training again"))
        assert sorted(p.name for p in out.iterdir()) == ["checkpoint.pt", "history.json"]
        monkeypatch.setattr(checkpoint, "save_file", real)
        rc, stdout, _ = drcn(capsys, *TRAIN, "--out", out, "--resume")
        assert rc == 0 and "resumed" in stdout and (out / "model.safetensors").is_file()


def test_full_disk_while_cutting_patches(tmp_path: Path, capsys, monkeypatch, tally) -> None:
    with tally.case(FAMILY, "disk full while caching the training patches"):
        monkeypatch.setenv("DRCN_CACHE", str(tmp_path / "cache"))
        monkeypatch.setattr(np.lib.format, "open_memmap", _no_space)
        refused(capsys, *TRAIN, "--out", tmp_path / "run",
                says=("could not write the training patches", "No space left on device",
                      "DRCN_CACHE"))
        assert not (tmp_path / "run").exists()
        left = [p.name for p in (tmp_path / "cache" / "patches").iterdir()]
        assert left == [], f"partial patch cache left behind: {left}"


# --- earlier work: never overwritten silently -------------------------------------------------


def test_earlier_weights_are_not_overwritten_without_force(
        tmp_path: Path, capsys, tally) -> None:
    out = tmp_path / "run"
    with tally.case(FAMILY, "--out holds model.safetensors + sidecar, no checkpoint"):
        assert drcn(capsys, *TRAIN, "--out", out)[0] == 0
        (out / "checkpoint.pt").unlink()
        before = (out / "model.safetensors").read_bytes()
        refused(capsys, *TRAIN, "--set", "lr=5e-4", "--out", out,
                says=("already holds earlier weights", "model.safetensors", "--force"))
        assert (out / "model.safetensors").read_bytes() == before
    with tally.case(FAMILY, "same folder, --resume (no checkpoint to continue)"):
        refused(capsys, *TRAIN, "--out", out, "--resume", says=("earlier weights",))
        assert (out / "model.safetensors").read_bytes() == before
    with tally.case(FAMILY, "same folder with --force replaces them"):
        assert drcn(capsys, *TRAIN, "--set", "lr=5e-4", "--out", out, "--force")[0] == 0
        assert (out / "model.safetensors").read_bytes() != before
        assert json.loads((out / "model.json").read_text())["preset"]["lr"] == 5e-4


def test_a_checkpoint_is_not_restarted_without_resume_or_force(
        tmp_path: Path, capsys, tally) -> None:
    with tally.case(FAMILY, "--out holds a checkpoint, neither --resume nor --force"):
        out = tmp_path / "run"
        assert drcn(capsys, *TRAIN, "--out", out)[0] == 0
        refused(capsys, *TRAIN, "--out", out,
                says=("already holds a checkpoint", "--resume", "--force"))


def test_resume_without_a_checkpoint_says_it_starts_at_step_0(
        tmp_path: Path, capsys, tally) -> None:
    """`--resume` is also how reproduce's printed command trains from nothing, so it starts,
    but says so: a mistyped --out is seen at once."""
    with tally.case(FAMILY, "--resume with no checkpoint"):
        rc, out, _ = drcn(capsys, *TRAIN, "--out", tmp_path / "new", "--resume")
        assert rc == 0
        assert f"{tmp_path / 'new'} holds no checkpoint yet, so this run starts at step 0" in out


# --- diverged runs: the advice works, and nothing diverged ships ------------------------------


def test_after_a_nan_stop_its_advice_lower_lr_and_resume_is_accepted(
        tmp_path: Path, capsys, monkeypatch, tally) -> None:
    real = StepBatches.batch

    def poisoned(self: StepBatches, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = real(self, step)
        if step == 4:
            x = x.clone()
            x[0, 0, 0, 0] = math.nan
        return x, y

    out = tmp_path / "run"
    with tally.case("divergence", "NaN at step 4, then --set lr=1e-4 --resume (CLI)"):
        monkeypatch.setattr(StepBatches, "batch", poisoned)
        err = refused(capsys, *TRAIN, "--out", out,
                      says=("loss is nan at step 4", "Lower the learning rate",
                            "--set lr=0.0001 --resume"))
        assert "checkpoint.pt is kept" in err and not (out / "model.safetensors").exists()
        monkeypatch.setattr(StepBatches, "batch", real)
        rc, stdout, _ = drcn(capsys, *TRAIN, "--set", "lr=1e-4", "--out", out, "--resume")
        assert rc == 0
        assert "resumed with changed settings: lr 0.001 -> 0.0001" in stdout
        side = json.loads((out / "model.json").read_text())
        assert side["preset"]["lr"] == 1e-4 and side["resumed_with_changes"][0]["lr"] == [
            1e-3, 1e-4]
    with tally.case(FAMILY, "--resume with another batch size is still refused"):
        refused(capsys, *TRAIN, "--set", "batch_size=8", "--out", out, "--resume",
                says=("another configuration", "batch_size", "only ['lr', 'grad_clip']"))


@pytest.mark.parametrize("arch", ["drcn", "srcnn"])
def test_a_diverged_run_does_not_ship(arch: str, tmp_path: Path, capsys, tally) -> None:
    """lr 2: every loss stays finite but the model ends at 6.58 dB; it used to ship, rc 0."""
    with tally.case("divergence", f"--set lr=2 ({arch}): finite loss, no weights shipped"):
        out = tmp_path / "run"
        refused(capsys, *TRAIN, "--arch", arch, "--set", "lr=2", "--out", out,
                says=("the run diverged", "no weights were written", "--set lr=0.2 --force"))
        assert not (out / "model.safetensors").exists() and not (out / "model.json").exists()


# --- eval: weights and scales -----------------------------------------------------------------


@pytest.fixture
def tiny_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One 36x36 image as set "Tiny" (fast evaluation at x2, x3 and x4)."""
    import importlib

    ev = importlib.import_module("drcn_lib.evaluate")
    path = tmp_path / "a.png"
    save_image(path, np.random.default_rng(0).integers(0, 256, (36, 36, 3), dtype=np.uint8))
    monkeypatch.setattr(ev, "set_images", lambda name, data_root=None: [path])


@pytest.mark.parametrize("value", [math.nan, math.inf], ids=["nan", "inf"])
def test_eval_refuses_non_finite_weights(value: float, tmp_path: Path, capsys, tally,
                                         tiny_set) -> None:
    with tally.case("untrusted weights", f"drcn eval --weights with {value} in f2"):
        path = save_weights(tmp_path / "m.safetensors", DRCN(recursions=2, filters=4),
                            {"preset": {"scale": 3}})
        tensors = load_file(str(path))
        key = next(k for k in tensors if k.startswith("infer"))
        tensors[key][0] = value
        save_file(tensors, str(path), metadata={"model_config": json.dumps(
            DRCN(recursions=2, filters=4).config())})
        refused(capsys, "eval", "--weights", path, "--sets", "Tiny",
                says=("holds NaN or Inf", key))


def test_eval_warns_when_weights_meet_another_scale(tmp_path: Path, capsys, tally,
                                                    tiny_set) -> None:
    with tally.case(FAMILY, "x2 weights evaluated at --scales 3: warned"):
        path = save_weights(tmp_path / "m.safetensors", DRCN(recursions=2, filters=4),
                            {"preset": {"scale": 2}})
        rc, out, err = drcn(capsys, "eval", "--weights", path, "--sets", "Tiny", "--scales",
                            "3", "--json")
        assert rc == 0
        assert "warning: m was trained for x2; its scores at x3" in err
        assert {r["scale"] for r in json.loads(out)} == {3}


def test_eval_honours_explicit_scales_of_pretrained_weights(capsys, tally, tiny_set) -> None:
    from drcn_lib.pretrained import available

    if "drcn-x3-d16" not in available():
        pytest.skip("drcn-x3-d16 is not shipped in this copy")
    with tally.case(FAMILY, "drcn eval --pretrained drcn-x3-d16 --scales 2 3 4"):
        rc, out, err = drcn(capsys, "eval", "--pretrained", "drcn-x3-d16", "--sets", "Tiny",
                            "--scales", "2", "3", "4", "--json", "--ensemble-only")
        assert rc == 0
        assert [r["scale"] for r in json.loads(out)] == [2, 3, 4]
        assert "trained for x3; its scores at x2, x4" in err
    with tally.case(FAMILY, "drcn eval --pretrained drcn-x3-d16 (no --scales): x3 only"):
        rc, out, err = drcn(capsys, "eval", "--pretrained", "drcn-x3-d16", "--sets", "Tiny",
                            "--json", "--ensemble-only")
        assert rc == 0 and [r["scale"] for r in json.loads(out)] == [3]
        assert "warning" not in err
