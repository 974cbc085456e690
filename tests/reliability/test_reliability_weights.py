"""Untrusted weights: a pickle never runs, shipped weights are safetensors, mismatches explain.

Every malicious file below carries a payload that would create a marker file if it ran; each
case asserts the refusal *and* that the marker does not exist, so it fails if anything along
the way (``load_checkpoint``, ``load_weights``, ``train(resume=True)``, ``drcn eval``) unpickled
with ``weights_only=False``.
"""

from __future__ import annotations

import importlib
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from drcn_lib.engine.checkpoint import (
    load_checkpoint,
    load_weights,
    save_checkpoint,
    save_weights,
    sidecar_path,
)
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import preset
from drcn_lib.errors import CheckpointError
from drcn_lib.model import DRCN
from drcn_lib.pretrained import REGISTRY, WEIGHTS_DIR, weights_path
from drcn_lib.settings import REPO_ROOT

FAMILY = "untrusted weights"


class _Payload:
    """Unpickling this object calls ``open(marker, "w")``: a harmless stand-in for real code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (open, (str(self.marker), "w"))


def _evil_files(tmp: Path, marker: Path) -> dict[str, Path]:
    """Malicious files in the shapes people share weights in."""
    files = {}
    # 1. torch.save of a training-state dict with a payload inside (zip format)
    files["torch.save zip checkpoint"] = tmp / "evil_zip.pt"
    torch.save({"config": {}, "model": _Payload(marker), "optimizer": {}, "step": 0},
               files["torch.save zip checkpoint"])
    # 2. legacy (non-zip) torch serialisation
    files["legacy torch checkpoint"] = tmp / "evil_legacy.pth"
    torch.save({"model": _Payload(marker)}, files["legacy torch checkpoint"],
               _use_new_zipfile_serialization=False)
    # 3. a bare pickle (protocol 0 and 4), as ``pickle.dump`` writes
    files["raw pickle protocol 0"] = tmp / "evil0.pkl"
    files["raw pickle protocol 0"].write_bytes(pickle.dumps(_Payload(marker), protocol=0))
    files["raw pickle protocol 4"] = tmp / "evil4.bin"
    files["raw pickle protocol 4"].write_bytes(pickle.dumps({"w": _Payload(marker)}, protocol=4))
    return files


@pytest.mark.filterwarnings("ignore:Detected pickle protocol:UserWarning")
def test_malicious_pickles_are_refused_without_running(tmp_path: Path, tally) -> None:
    marker = tmp_path / "PWNED"
    for name, path in _evil_files(tmp_path, marker).items():
        with tally.case(FAMILY, f"{name} via load_checkpoint"):
            with pytest.raises(CheckpointError, match="refusing checkpoint"):
                load_checkpoint(path)
            assert not marker.exists(), f"{name}: the payload ran"
        with tally.case(FAMILY, f"{name} via load_weights"):
            with pytest.raises(CheckpointError, match=r"only \.safetensors"):
                load_weights(path)
            assert not marker.exists()
        with tally.case(FAMILY, f"{name} renamed .safetensors"):
            disguised = path.with_name(path.stem + "_disguised.safetensors")
            disguised.write_bytes(path.read_bytes())
            with pytest.raises(CheckpointError, match="not a readable safetensors"):
                load_weights(disguised)
            assert not marker.exists()


def test_pickle_as_the_resume_checkpoint_is_refused(tmp_path: Path, tally) -> None:
    """``--resume`` reads OUT/checkpoint.pt: a planted pickle there must not run."""
    marker = tmp_path / "PWNED"
    with tally.case(FAMILY, "planted checkpoint.pt, train(resume=True)"):
        out = tmp_path / "run"
        out.mkdir()
        torch.save({"config": preset("smoke").as_dict(), "model": _Payload(marker),
                    "optimizer": {}, "step": 1}, out / "checkpoint.pt")
        with pytest.raises(CheckpointError, match="refusing checkpoint"):
            train(preset("smoke"), out, resume=True, device="cpu", dtype="float32",
                  channels_last=False, recon_strategy="batched", progress=False,
                  log=lambda _: None)
        assert not marker.exists()


def test_cli_eval_with_a_pickle_is_one_line_and_exit_2(tmp_path: Path, tally, child_env) -> None:
    marker = tmp_path / "PWNED"
    path = _evil_files(tmp_path, marker)["torch.save zip checkpoint"]
    with tally.case(FAMILY, "drcn eval --weights evil.pt (CLI)"):
        proc = subprocess.run(
            [sys.executable, "-m", "drcn_lib.cli", "eval", "--weights", str(path), "--sets",
             "Set5", "--scales", "3"],
            capture_output=True, text=True, env=child_env, timeout=120, cwd=tmp_path,
        )
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "only .safetensors" in proc.stderr
        assert not marker.exists()


def test_a_foreign_state_dict_is_not_taken_for_a_training_state(tmp_path: Path, tally) -> None:
    """A plain, harmless ``state_dict`` from elsewhere: refused by name, not a KeyError."""
    with tally.case(FAMILY, "plain state_dict as checkpoint.pt"):
        path = tmp_path / "checkpoint.pt"
        torch.save(DRCN(recursions=2, filters=4).state_dict(), path)
        with pytest.raises(CheckpointError, match=r"lacks \['config', 'model', 'optimizer'"):
            load_checkpoint(path)


def test_shipped_weights_are_safetensors_with_a_config(tally) -> None:
    """Only .safetensors + .json are shipped, packaged or named; each file parses and fits."""
    with tally.case(FAMILY, "shipped weights folder holds no pickles"):
        pickles = [p.name for p in WEIGHTS_DIR.glob("*")
                   if p.suffix not in (".safetensors", ".json") and not p.name.startswith(".")]
        assert pickles == [], f"non-safetensors files shipped as weights: {pickles}"
        # (tomllib is Python >= 3.11 and the course supports 3.10: read the one line we need)
        toml = (REPO_ROOT / "pyproject.toml").read_text()
        weight_patterns = re.findall(r'"(weights/[^"]*)"', toml)
        assert weight_patterns and all(
            p.endswith((".safetensors", ".json")) for p in weight_patterns), weight_patterns
        assert all(weights_path(n).suffix == ".safetensors" for n in REGISTRY)
    shipped = sorted(WEIGHTS_DIR.glob("*.safetensors"))
    for path in shipped:
        with tally.case(FAMILY, f"shipped {path.name} loads as safetensors with its sidecar"):
            with safe_open(str(path), framework="pt") as f:
                assert f.keys()
            assert sidecar_path(path).is_file(), f"{path.name} has no JSON sidecar"
            model, side = load_weights(path)
            assert side["model_config"]["arch"] in ("drcn", "srcnn")


def _saved(tmp_path: Path) -> Path:
    return save_weights(tmp_path / "m.safetensors", DRCN(recursions=3, filters=4), {"note": "t"})


def _edit_sidecar(path: Path, **changes: object) -> None:
    side = sidecar_path(path)
    data = json.loads(side.read_text())
    data["model_config"].update(changes)
    side.write_text(json.dumps(data))


MISMATCHES = {
    "sidecar says D=16, tensors are D=3": (
        lambda p: _edit_sidecar(p, recursions=16), r"does not fit its config.*ensemble_weights"),
    "sidecar says 8 filters, tensors have 4": (
        lambda p: _edit_sidecar(p, filters=8), r"does not fit its config.*size mismatch"),
    "sidecar names an unknown architecture": (
        lambda p: _edit_sidecar(p, arch="edsr"), r"arch='edsr'; expected one of"),
    "sidecar has an unknown field": (
        lambda p: _edit_sidecar(p, depth=5), r"does not fit drcn"),
    "sidecar says 0 filters": (
        lambda p: _edit_sidecar(p, filters=0), r"m\.safetensors: model config .* is invalid"),
    "sidecar model_config is a string": (
        lambda p: sidecar_path(p).write_text(json.dumps({"model_config": "drcn-16"})),
        r"model_config must be a JSON object"),
    "sidecar is not JSON": (
        lambda p: sidecar_path(p).write_text("{oops"), r"sidecar .*m\.json is not valid JSON"),
    "no sidecar and no config in the header": (
        lambda p: (sidecar_path(p).unlink(),
                   save_file(DRCN(recursions=3, filters=4).state_dict(), str(p))),
        r"has no model config"),
    "header config is not JSON": (
        lambda p: (sidecar_path(p).unlink(),
                   save_file(DRCN(recursions=3, filters=4).state_dict(), str(p),
                             metadata={"model_config": "{not json"})),
        r"model_config in its safetensors header is not JSON"),
    "truncated safetensors file": (
        lambda p: p.write_bytes(p.read_bytes()[:200]), r"not a readable safetensors file"),
}


@pytest.mark.parametrize("name", list(MISMATCHES))
def test_weights_that_do_not_fit_give_a_clear_error(name: str, tmp_path: Path, tally) -> None:
    spoil, message = MISMATCHES[name]
    with tally.case(FAMILY, name):
        path = _saved(tmp_path)
        spoil(path)
        with pytest.raises(CheckpointError, match=message):
            load_weights(path)


def test_expected_config_mismatch_names_both_values(tmp_path: Path, tally) -> None:
    message = r"m\.safetensors holds a model with recursions=3, expected 16"
    with tally.case(FAMILY, "caller expects D=16, file holds D=3"), pytest.raises(
            CheckpointError, match=message):
        load_weights(_saved(tmp_path), expect={"recursions": 16})


def test_saved_checkpoint_round_trips_through_the_safe_loader(tmp_path: Path, tally) -> None:
    """The guard refuses pickles but must still load what the engine itself writes."""
    with tally.case(FAMILY, "engine's own checkpoint loads with weights_only=True"):
        net = DRCN(recursions=2, filters=4)
        opt = torch.optim.Adam(net.parameters())
        state = {"config": {"lr": 1e-3}, "model": net.state_dict(), "optimizer": opt.state_dict(),
                 "step": 7, "history": {"val": [{"step": 5, "psnr": 30.0}]}}
        save_checkpoint(tmp_path / "c.pt", state)
        back = load_checkpoint(tmp_path / "c.pt")
        assert back["step"] == 7 and back["history"] == state["history"]
        assert all(torch.equal(v, back["model"][k]) for k, v in net.state_dict().items())


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")],
                         ids=["nan", "inf", "-inf"])
def test_non_finite_weights_are_refused_at_load_time(value: float, tmp_path: Path, tally,
                                                     monkeypatch) -> None:
    """A diverged run's weights (NaN or Inf in a tensor) once loaded and scored 6.54 dB with
    exit code 0; they are a CheckpointError naming the tensor, by path and by registry name."""
    registry = importlib.import_module("drcn_lib.pretrained")  # dl.pretrained is the function

    with tally.case(FAMILY, f"{value} in ensemble_weights, load_weights and pretrained()"):
        path = _saved(tmp_path)
        tensors = {k: v.clone() for k, v in DRCN(recursions=3, filters=4).state_dict().items()}
        tensors["ensemble_weights"][1] = value
        save_file(tensors, str(path))
        with pytest.raises(CheckpointError, match=r"holds NaN or Inf in 1 tensor\(s\) "
                                                  r"\(ensemble_weights\)"):
            load_weights(path)
        shipped = tmp_path / "drcn-x3-d16.safetensors"
        path.rename(shipped)
        sidecar_path(path).rename(sidecar_path(shipped))
        monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path)
        with pytest.raises(CheckpointError, match="holds NaN or Inf"):
            registry.pretrained("drcn-x3-d16")
