"""The ``drcn`` command: eval output (table and pure JSON), data listing, one-line errors."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from drcn_lib import cli
from drcn_lib.protocol.image_io import save_image

ev = importlib.import_module("drcn_lib.evaluate")  # dl re-exports evaluate()


@pytest.fixture
def tiny_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.png"
    save_image(path, np.random.default_rng(0).integers(0, 256, (36, 36, 3), dtype=np.uint8))
    monkeypatch.setattr(ev, "set_images", lambda name, data_root=None: [path])


def test_eval_json_prints_only_the_records(tiny_set: None, capsys: pytest.CaptureFixture) -> None:
    assert (
        cli.main(["eval", "--model", "bicubic", "--sets", "Tiny", "--scales", "2", "3", "--json"])
        == 0
    )
    records = json.loads(capsys.readouterr().out)
    assert [(r["set"], r["scale"], r["output"]) for r in records] == [
        ("Tiny", 2, "bicubic"),
        ("Tiny", 3, "bicubic"),
    ]
    assert set(records[0]) == {"set", "scale", "model", "output", "psnr", "ssim"}


def test_eval_prints_a_table(tiny_set: None, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["eval", "--sets", "Tiny", "--scales", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| Set | Scale | bicubic PSNR/SSIM |")
    assert "| Tiny | x2 |" in out


def test_errors_are_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DRCN_DATA", str(tmp_path))
    assert cli.main(["eval", "--sets", "Set5", "--scales", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("drcn eval: error: Set5 is missing")
    assert err.count("\n") == 1


def test_missing_weights_and_contradictory_flags_are_one_line_errors(
    capsys: pytest.CaptureFixture,
) -> None:
    assert cli.main(["eval", "--weights", "w.safetensors", "--sets", "Set5"]) == 2
    assert "no weights file at w.safetensors" in capsys.readouterr().err
    assert cli.main(["eval", "--model", "bicubic", "--pretrained", "drcn-x3-d16"]) == 2


def test_trained_weights_give_every_output_and_the_ensemble(
    tiny_set: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from drcn_lib.engine.checkpoint import save_weights
    from drcn_lib.model import DRCN

    weights = save_weights(tmp_path / "m.safetensors", DRCN(recursions=2, filters=4),
                           {"preset": {"scale": 2}})
    assert cli.main(["eval", "--weights", str(weights), "--sets", "Tiny", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["output"] for r in records] == ["ensemble", 1, 2]
    assert {r["scale"] for r in records} == {2}  # the scale the sidecar says it was trained for


def test_a_sidecar_asking_for_1000_recursions_is_refused_before_any_work(
    tiny_set: None, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A 12 KB sidecar with recursions 1000 (and 1000 w_d in the file) once cost gigabytes and
    minutes even with --ensemble-only; it is now a one-line error at load."""
    import torch
    from safetensors.torch import load_file, save_file

    from drcn_lib.engine.checkpoint import save_weights, sidecar_path
    from drcn_lib.model import DRCN

    weights = save_weights(tmp_path / "m.safetensors", DRCN(recursions=2, filters=4),
                           {"preset": {"scale": 2}})
    tensors = load_file(str(weights))
    tensors["ensemble_weights"] = torch.full((1000,), 1e-3)
    save_file(tensors, str(weights))
    side = json.loads(sidecar_path(weights).read_text())
    side["model_config"]["recursions"] = 1000
    sidecar_path(weights).write_text(json.dumps(side))
    args = ["eval", "--weights", str(weights), "--sets", "Tiny", "--ensemble-only"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "recursions=1000" in err and "from 1 to 64" in err and err.count("\n") == 1


def test_data_lists_sets_with_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "Set5").mkdir()
    save_image(tmp_path / "Set5" / "baby.png", np.zeros((4, 4), dtype=np.uint8))
    (tmp_path / "Mine").mkdir()
    save_image(tmp_path / "Mine" / "x.png", np.zeros((4, 4), dtype=np.uint8))
    monkeypatch.setenv("DRCN_DATA", str(tmp_path))
    assert cli.main(["data"]) == 2  # that baby.png is not Set5's
    out, err = capsys.readouterr()
    assert "Set5" in out and "1/5" in out and "incomplete, 1 WRONG: baby.png" in out
    assert "Mine (1 images)" in out
    assert err.startswith("drcn data: error: 1 image(s) are not the paper's: ")
    assert "Set5/baby.png: shape 4x4, expected 512x512x3" in err and err.count("\n") == 1


# --- a valid but different image under a registry name (found by evaluating Set5 x3 on it) ---

SHARED = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "data",
                           Path("/work/shared/data")) if (p / "Set5").is_dir()), None)
needs_images = pytest.mark.skipif(SHARED is None, reason="the paper's images are not here")


@pytest.fixture
def swapped_set5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Set5 with baby.png replaced by Set14's lenna.png (a valid PNG of the same size)."""
    import shutil

    shutil.copytree(SHARED / "Set5", tmp_path / "Set5")
    shutil.copy(SHARED / "Set14" / "lenna.png", tmp_path / "Set5" / "baby.png")
    monkeypatch.setenv("DRCN_DATA", str(tmp_path))
    monkeypatch.setenv("DRCN_OFFLINE", "1")
    return tmp_path


@needs_images
def test_eval_refuses_a_wrong_image_by_name(swapped_set5: Path, capsys) -> None:
    assert cli.main(["eval", "--model", "bicubic", "--sets", "Set5", "--scales", "3"]) == 2
    out, err = capsys.readouterr()
    assert "PSNR" not in out and err.count("\n") == 1
    assert "fails its checksums" in err and "Set5/baby.png: pixels differ" in err


@needs_images
def test_data_refuses_a_wrong_image_by_name(swapped_set5: Path, capsys) -> None:
    assert cli.main(["data"]) == 2
    out, err = capsys.readouterr()
    assert "5/5" in out and "1 WRONG: baby.png" in out and "present, verified" not in out
    assert "Set5/baby.png: pixels differ" in err


@needs_images
def test_data_says_verified_for_the_real_sets(monkeypatch, capsys) -> None:
    monkeypatch.setenv("DRCN_DATA", str(SHARED))
    assert cli.main(["data"]) == 0
    out = capsys.readouterr().out
    assert "Set5       test      5/5     present, verified" in out


# --- drcn download (pinned URLs through a loopback server) -----------------------------------


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from pinned_server import pinned_server

    from drcn_lib.data import registry

    monkeypatch.setenv("DRCN_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("DRCN_OFFLINE", raising=False)
    monkeypatch.setattr(registry, "SETS", {k: registry.SETS[k] for k in ("Set5", "Set14")})
    with pinned_server(SHARED) as srv:
        monkeypatch.setenv("DRCN_DATA_URL", srv.url)
        yield srv


@needs_images
def test_download_all_fetches_every_set_then_skips_them(served, tmp_path: Path, capsys) -> None:
    from drcn_lib.data import registry

    assert cli.main(["download", "all"]) == 0
    out = capsys.readouterr().out
    assert "Set5: verified and installed in" in out and "Set14: verified and installed" in out
    assert registry.verify_set("Set14", tmp_path / "data") == []
    n = len(served.requests)
    assert cli.main(["download", "Set5"]) == 0
    assert "Set5: already present and verified" in capsys.readouterr().out
    assert len(served.requests) == n


@needs_images
def test_download_failure_is_one_line_and_installs_nothing(served, tmp_path, capsys) -> None:
    served.fault, served.fault_file = "corrupt", "woman.png"
    assert cli.main(["download", "set5"]) == 2
    err = capsys.readouterr().err.split("\r")[-1]  # after the progress bar, which clears itself
    assert err.startswith("drcn download: error: Set5: woman.png failed, nothing was installed")
    assert err.count("\n") == 1
    assert not (tmp_path / "data" / "Set5").exists()


def test_download_unknown_set_lists_the_valid_ones(capsys) -> None:
    assert cli.main(["download", "Set6"]) == 2
    assert "valid sets are T91, Set5, Set14, B100, Urban100" in capsys.readouterr().err


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "drcn_lib.cli", "eval", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "--pretrained" in done.stdout and "--weights" in done.stdout
