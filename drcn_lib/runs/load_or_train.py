"""Train-or-load behind one call, with a message either way (STYLE.md, item 8).

``model, info = load_or_train("drcn-x3-d16", cfg)`` returns, in this order of preference:

1. the weights the project ships (:func:`drcn_lib.pretrained.pretrained`), saying which and how
   long they trained ("Found shipped weights drcn-x3-d16 (trained 38.0 min on ...)");
2. a finished earlier run of exactly ``cfg`` under the runs folder (git-ignored ``runs/``);
3. a new run of ``cfg`` with :func:`drcn_lib.engine.train` (resuming a killed one), with a
   progress bar.

Each configuration trains into its own folder ``runs/<name>-<hash of the config>``, so a run is
reused only for the very configuration that produced it. In smoke mode (``DRCN_SMOKE``) the
configuration is first shrunk to the ``smoke`` preset (:func:`smoke_variant`), keeping the
switches a lesson compares (skip, recursive supervision, the alpha schedule, scale).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import nn

from drcn_lib.engine.checkpoint import load_weights, read_sidecar
from drcn_lib.engine.loop import TrainResult, train
from drcn_lib.engine.presets import SMOKE, TrainConfig, preset
from drcn_lib.engine.run_setup import CHECKPOINT, HISTORY, WEIGHTS
from drcn_lib.pretrained import REGISTRY, pretrained, weights_path
from drcn_lib.settings import REPO_ROOT, smoke_mode

# What a smoke run keeps from the real configuration: what the lessons compare, not its size.
SMOKE_KEEPS: tuple[str, ...] = (
    "name", "arch", "scale", "skip", "recursive_supervision", "alpha_kind", "alpha_start",
    "alpha_end", "alpha_decay_fraction", "seed", "train_set", "val_set",
)
LOG_FILE = "train.log"


def stand_in_config(smoke: bool | None = None, scale: int = 3) -> TrainConfig:
    """THE stand-in: what the course trains in place of a missing shipped ``drcn-x{scale}-d16``
    (lessons 05 and 10, the playground): a run of the ``short`` preset (200 steps, or 6 in
    smoke mode; default ``DRCN_SMOKE``), the recipe of the lessons' committed short runs,
    validated once, at its end, on all of Set5. Trained once per configuration under
    :func:`runs_root` and reused after (:func:`load_or_train`)."""
    steps = 6 if (smoke_mode() if smoke is None else smoke) else 200
    return preset("short", steps=steps, val_every=steps, val_images=None, scale=int(scale))


def runs_root() -> Path:
    """Where runs go: ``DRCN_RUNS``, else ``<repo>/runs`` in a checkout, else ``./runs``."""
    env = os.environ.get("DRCN_RUNS", "").strip()
    if env:
        return Path(env).expanduser().resolve()
    if (REPO_ROOT / "pyproject.toml").is_file():
        return REPO_ROOT / "runs"
    return Path.cwd() / "runs"


def config_key(cfg: TrainConfig) -> str:
    """Ten hex digits of the sha256 of the config's sorted JSON: equal configs, equal keys."""
    blob = json.dumps(cfg.as_dict(), sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:10]


def slug(label: str) -> str:
    """A folder-safe version of a label: ``"no skip"`` -> ``"no-skip"``."""
    text = re.sub(r"[^A-Za-z0-9._]+", "-", label.strip()).strip("-.")
    return text or "run"


def run_dir(name: str, cfg: TrainConfig, root: str | Path | None = None) -> Path:
    """``root/<slug(name)>-<config_key(cfg)>``: one folder per (name, configuration)."""
    return Path(root if root is not None else runs_root()) / f"{slug(name)}-{config_key(cfg)}"


def smoke_variant(cfg: TrainConfig) -> TrainConfig:
    """The ``smoke`` preset with ``cfg``'s compared switches (:data:`SMOKE_KEEPS`)."""
    return replace(SMOKE, **{k: getattr(cfg, k) for k in SMOKE_KEEPS})


def for_mode(cfg: TrainConfig, smoke: bool | None = None) -> TrainConfig:
    """``cfg`` itself in real mode, :func:`smoke_variant` of it in smoke mode."""
    return smoke_variant(cfg) if (smoke_mode() if smoke is None else smoke) else cfg


def finished_result(out: Path) -> TrainResult | None:
    """The :class:`TrainResult` of a finished run in ``out`` (weights present), else None."""
    weights = out / WEIGHTS
    if not weights.is_file():
        return None
    history_file = out / HISTORY
    history = json.loads(history_file.read_text()) if history_file.is_file() else {
        "train": [], "val": []}
    return TrainResult(out, weights, history, read_sidecar(weights))


def train_or_reuse(
    cfg: TrainConfig,
    out: Path,
    log: Callable[[str], None] = print,
    progress: bool = True,
    verbose: bool = False,
    **train_kwargs: Any,
) -> TrainResult:
    """Reuse the finished run in ``out``, or train ``cfg`` there (resuming a killed run).

    Unless ``verbose``, the engine's own report (configuration, runtime probe) goes to
    ``out/train.log`` instead of the notebook, and only one line is printed before and after.
    """
    done = finished_result(out)
    if done is not None:
        log(f"Reusing the finished run {cfg.name!r} ({describe_run(done.sidecar)})")
        return done
    resume = (out / CHECKPOINT).is_file()
    log(f"{'Resuming' if resume else 'Training'} {cfg.name!r} ({cfg.steps} steps, "
        f"D={cfg.recursions}, {cfg.filters} filters) in {_short(out.parent)}")
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    engine_log = log if verbose else lines.append
    # the data layer prints where it found the patches; in quiet mode that goes to the log too
    captured = io.StringIO()
    try:
        with contextlib.redirect_stdout(captured) if not verbose else contextlib.nullcontext():
            result = train(cfg, out, resume=True, progress=progress, log=engine_log,
                           **train_kwargs)
    finally:
        lines += captured.getvalue().splitlines()
        if lines:
            with open(out / LOG_FILE, "a") as fh:
                fh.write("\n".join(lines) + "\n")
    if result.sidecar:
        log(f"Finished: {describe_run(result.sidecar)}")
    # as read back from disk, so a new run and a reused one look the same (model_config etc.)
    return finished_result(out) or result


def describe_run(sidecar: dict[str, Any]) -> str:
    """'trained 2.4 min (200 steps) on <cpu>, 2 threads; Set5 PSNR 30.12 dB' from a sidecar."""
    parts = []
    if "wall_seconds" in sidecar:
        parts.append(f"trained {sidecar['wall_seconds'] / 60:.1f} min")
    if "steps" in sidecar:
        parts.append(f"({sidecar['steps']} steps)")
    hw = sidecar.get("hardware") or {}
    if hw.get("gpu"):
        parts.append(f"on {hw['gpu']}")
    elif hw.get("cpu"):
        parts.append(f"on {hw['cpu']}, {hw.get('torch_threads', '?')} threads")
    text = " ".join(parts) or "no training record"
    psnr = sidecar.get("final_val_psnr")
    if psnr is not None:
        preset = sidecar.get("preset") or {}
        n = preset.get("val_images")
        images = f" ({n} images)" if n else ""
        text += f"; {sidecar.get('val_set', 'val')}{images} PSNR {psnr:.2f} dB"
    return text


def load_or_train(
    name: str,
    cfg: TrainConfig,
    out_dir: str | Path | None = None,
    smoke: bool | None = None,
    device: str = "cpu",
    log: Callable[[str], None] = print,
    progress: bool = True,
    verbose: bool = False,
    **train_kwargs: Any,
) -> tuple[nn.Module, dict[str, Any]]:
    """Shipped weights ``name`` if present, else a finished run of ``cfg``, else train ``cfg``.

    Args:
        name: a :data:`drcn_lib.pretrained.REGISTRY` name (e.g. ``"drcn-x3-d16"``) or any label
            for a lesson's own run.
        cfg: what to train when nothing is shipped (shrunk to the smoke preset in smoke mode).
        out_dir: the runs folder (default :func:`runs_root`); the run goes to
            ``out_dir/<name>-<config hash>``.
        smoke: force the mode (default: ``DRCN_SMOKE``).
        device: where the returned model lives.
        train_kwargs: engine options for a new run (``dtype``, ``probe``, ...; see
            :func:`drcn_lib.engine.train`).

    Returns:
        ``(model, info)``: the model in eval mode and float32, and its sidecar (command, preset,
        wall time, hardware, validation curve) plus ``source`` ("shipped", "reused" or
        "trained") and ``weights`` (the file it came from).
    """
    if name in REGISTRY and weights_path(name).is_file():
        model, info = pretrained(name, device=device)
        log(f"Found shipped weights {name} ({describe_run(info)}), loading")
        return model, {**info, "source": "shipped", "weights": str(weights_path(name))}
    cfg = for_mode(cfg, smoke)
    out = run_dir(name, cfg, out_dir)
    if name in REGISTRY:
        log(f"{name} is not shipped in this copy: a short stand-in run takes its place")
    reused = finished_result(out) is not None
    result = train_or_reuse(cfg, out, log=log, progress=progress, verbose=verbose,
                            **train_kwargs)
    model, info = load_weights(result.weights, device=device)
    return model, {**info, "source": "reused" if reused else "trained",
                   "weights": str(result.weights), "history": result.history}


def _short(path: Path) -> str:
    """The path relative to the repo when inside it (shorter messages), else as is."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
