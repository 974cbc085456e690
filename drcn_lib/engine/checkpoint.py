"""Files that survive a killed kernel and never run someone else's code.

- Resumable checkpoints (model, optimiser, schedule, step, curve) are written to a temporary
  file in the same folder and renamed over the old one, so a kill at any instant leaves either
  the previous complete checkpoint or the new complete one, never half of one. They are read
  with ``torch.load(weights_only=True)``, which refuses pickled code.
- Finished weights are safetensors (a plain tensor format, no pickle at all) with a JSON
  sidecar holding the model config and the provenance of the run (command, commit, wall time,
  hardware, validation curve).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from drcn_lib.atomic import atomic_write, write_json
from drcn_lib.errors import CheckpointError
from drcn_lib.model.factory import model_from_config


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Atomically save a resumable training state (tensors, numbers, strings, lists, dicts)."""
    atomic_write(path, lambda tmp: torch.save(state, tmp))


#: Keys every training state written by the engine holds; a dict without them is someone else's.
TRAINING_STATE_KEYS: tuple[str, ...] = ("config", "model", "optimizer", "step")


def load_checkpoint(
    path: Path, required: tuple[str, ...] = TRAINING_STATE_KEYS
) -> dict[str, Any]:
    """Load a training state without unpickling arbitrary objects.

    ``torch.load(weights_only=True)`` only rebuilds tensors, numbers, strings and containers, so
    a malicious pickle is refused before any of its code runs. A file that loads but lacks any
    of ``required`` (e.g. a bare ``state_dict`` saved by another project) is a
    :class:`CheckpointError` listing the missing keys, not a ``KeyError`` later in the loop.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError,
            AttributeError, ImportError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"refusing checkpoint {path}: it is corrupt or holds more than plain tensors "
            f"(torch.load weights_only=True said: {first})"
        ) from exc
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path} holds a {type(state).__name__}, not a dict")
    missing = [k for k in required if k not in state]
    if missing:
        raise CheckpointError(
            f"checkpoint {path} is not a training state of this course: it lacks {missing} "
            f"(it holds {sorted(map(str, state))[:10]}); resume only from an OUT/checkpoint.pt "
            "written by drcn train"
        )
    return state


def sidecar_path(weights: Path) -> Path:
    """``model.safetensors`` -> ``model.json``."""
    return Path(weights).with_suffix(".json")


def save_weights(
    weights: Path, model: nn.Module, sidecar: dict[str, Any],
    config: dict[str, Any] | None = None,
) -> Path:
    """Write ``weights`` (safetensors) and its JSON sidecar; the sidecar gets ``config``
    (default ``model.config()``, which the library's models have)."""
    weights = Path(weights)
    if weights.suffix != ".safetensors":
        raise CheckpointError(f"weights must be a .safetensors file, got {weights.name}")
    config = model.config() if config is None else config  # type: ignore[operator]
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    meta = {"model_config": json.dumps(config)}
    atomic_write(weights, lambda tmp: save_file(tensors, str(tmp), metadata=meta))
    write_json(sidecar_path(weights), {**sidecar, "model_config": config})
    return weights


def read_sidecar(weights: Path) -> dict[str, Any]:
    """The JSON sidecar of a weights file, or {} when there is none."""
    side = sidecar_path(weights)
    if not side.is_file():
        return {}
    try:
        return json.loads(side.read_text())
    except ValueError as exc:
        raise CheckpointError(f"sidecar {side} is not valid JSON: {exc}") from exc


def load_weights(
    weights: Path, expect: dict[str, Any] | None = None, device: str | torch.device = "cpu"
) -> tuple[nn.Module, dict[str, Any]]:
    """Build the model a safetensors file was saved from and load it; returns (model, sidecar).

    ``expect`` (e.g. ``{"recursions": 16}``) makes a mismatch between what the caller wants and
    what the file holds a clear :class:`CheckpointError` instead of a silent surprise; so does a
    tensor holding NaN or Inf (such a model scores ~6.5 dB and would otherwise pass as loaded).
    """
    weights = Path(weights)
    if not weights.is_file():
        raise CheckpointError(f"no weights file at {weights}")
    if weights.suffix != ".safetensors":
        raise CheckpointError(
            f"{weights.name}: only .safetensors weights are loaded (pickled .pt/.pth files can "
            "run code when read); convert trusted ones with safetensors.torch.save_file"
        )
    try:
        tensors = load_file(str(weights), device="cpu")
        with open(weights, "rb") as fh:
            header_len = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(header_len))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{weights} is not a readable safetensors file: {exc}") from exc
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise CheckpointError(
            f"{weights} holds NaN or Inf in {len(bad)} tensor(s) ({', '.join(bad[:3])}"
            f"{' ...' if len(bad) > 3 else ''}): the weights of a diverged or damaged run "
            "would only predict garbage; retrain or fetch a clean copy"
        )
    sidecar = read_sidecar(weights)
    config = _model_config(weights, sidecar, header)
    for key, want in (expect or {}).items():
        if config.get(key) != want:
            raise CheckpointError(
                f"{weights.name} holds a model with {key}={config.get(key)!r}, expected {want!r}"
            )
    try:
        model = model_from_config(config)
    except (TypeError, ValueError) as exc:  # e.g. filters=0: DRCN's own ValueError
        if isinstance(exc, CheckpointError):
            raise CheckpointError(f"{weights.name}: {exc}") from exc
        raise CheckpointError(f"{weights.name}: model config {config} is invalid: {exc}") from exc
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:  # torch lists each bad key on its own line after a title
        details = [ln.strip() for ln in str(exc).splitlines()[1:] if ln.strip()]
        shown = "; ".join(details[:3]) + (" ..." if len(details) > 3 else "")
        raise CheckpointError(
            f"{weights.name} does not fit its config {config}: {shown or str(exc)}"
        ) from exc
    return model.to(device).eval(), sidecar


def _model_config(
    weights: Path, sidecar: dict[str, Any], header: dict[str, Any]
) -> dict[str, Any]:
    """The model config of a weights file: the sidecar's, else the one in the safetensors header.

    Anything but a JSON object (a string, a list, invalid JSON in the header) is a
    :class:`CheckpointError` naming the file, so a foreign or hand-edited file never reaches
    ``build_model`` as an ``AttributeError``.
    """
    if not isinstance(sidecar, dict):
        raise CheckpointError(f"sidecar {sidecar_path(weights)} is not a JSON object")
    config: Any = sidecar.get("model_config")
    metadata = (header.get("__metadata__") or {}) if isinstance(header, dict) else {}
    if config is None and "model_config" in metadata:
        try:
            config = json.loads(metadata["model_config"])
        except ValueError as exc:
            raise CheckpointError(
                f"{weights}: the model_config in its safetensors header is not JSON: {exc}"
            ) from exc
    if config is None:
        raise CheckpointError(f"{weights} has no model config (sidecar {sidecar_path(weights)})")
    if not isinstance(config, dict):
        raise CheckpointError(
            f"{weights}: model_config must be a JSON object like {{\"arch\": \"drcn\", "
            f"\"recursions\": 16, ...}}, got {type(config).__name__} {config!r:.80}"
        )
    return config
