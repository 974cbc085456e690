"""Equal short training runs for the ablation lessons, cached in the runs folder.

An ablation is only fair when the runs differ in the one switch being studied: same number of
steps, seed, batch, learning rate, patches and validation images. :func:`compare_runs` checks that
(:func:`check_equal_budget`), trains each configuration with :func:`drcn_lib.engine.train`, or
reuses a finished run of the same configuration, and returns the runs' histories and weights::

    runs = compare_runs({"skip": cfg, "no skip": replace(cfg, skip=False)})
    runs["skip"].history["val"]     # [{"step": 25, "psnr": ...}, ...]

:func:`train_snapshots` trains one configuration while keeping its weights at regular steps (it
stops and resumes the engine, which resumes bit for bit), for plots of how something changes
during training, such as the gradient reaching each recursion.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from drcn_lib.engine.checkpoint import load_checkpoint, load_weights, save_weights
from drcn_lib.engine.loop import TrainResult
from drcn_lib.engine.presets import TrainConfig
from drcn_lib.engine.run_setup import CHECKPOINT
from drcn_lib.engine.validation import Validator
from drcn_lib.model.factory import build_model
from drcn_lib.protocol.metrics import score_psnr
from drcn_lib.runs.load_or_train import finished_result, for_mode, run_dir, train_or_reuse

# Fields that must be equal across the runs of one comparison: the training budget and data.
EQUAL_FIELDS: tuple[str, ...] = (
    "steps", "seed", "batch_size", "optimizer", "lr", "momentum", "lr_schedule", "warmup_steps",
    "beta", "grad_clip", "scale", "train_set", "patch", "stride", "augment", "val_set",
    "val_every", "val_images",
)


def check_equal_budget(configs: Mapping[str, TrainConfig]) -> None:
    """Raise ``ValueError`` naming each :data:`EQUAL_FIELDS` field whose value differs."""
    if not configs:
        raise ValueError("compare_runs needs at least one configuration")
    items = list(configs.items())
    differ = {}
    for field in EQUAL_FIELDS:
        values = {label: getattr(cfg, field) for label, cfg in items}
        if len(set(map(repr, values.values()))) > 1:
            differ[field] = values
    if differ:
        detail = "; ".join(f"{f}: {v}" for f, v in differ.items())
        raise ValueError(f"runs to compare must share their training budget, but {detail}")


def compare_runs(
    configs: Mapping[str, TrainConfig],
    out_dir: str | Path | None = None,
    smoke: bool | None = None,
    log: Callable[[str], None] = print,
    progress: bool = True,
    **train_kwargs: Any,
) -> dict[str, TrainResult]:
    """Train (or reuse) one run per labelled configuration; results in the same order.

    In smoke mode each configuration is first shrunk by :func:`drcn_lib.runs.load_or_train.for_mode`
    (the compared switches survive). Folders: ``<runs>/<label>-<config hash>``.
    ``train_kwargs`` go to :func:`drcn_lib.engine.train` (``dtype``, ``probe``, ...).
    """
    check_equal_budget(configs)
    results: dict[str, TrainResult] = {}
    for label, cfg in configs.items():
        cfg = for_mode(cfg, smoke)
        results[label] = train_or_reuse(cfg, run_dir(label, cfg, out_dir), log=log,
                                        progress=progress, **train_kwargs)
    return results


def final_psnrs(results: Mapping[str, TrainResult], key: str = "psnr") -> dict[str, float]:
    """Last validation PSNR (dB) of each run, rounded to 0.01 dB: ``key="psnr"`` for the
    ensemble (the model's output), ``"psnr_last"`` for the last intermediate output y_D."""
    out = {}
    for label, r in results.items():
        val = r.history["val"]
        out[label] = round(float(val[-1][key]), 2) if val else float("nan")
    return out


def bicubic_val_psnr(cfg: TrainConfig, smoke: bool | None = None) -> float:
    """Mean PSNR (dB) of bicubic on the validation images ``cfg`` trains against, scored as
    the engine's validation scores the model (``uint8()`` first, ``scale`` pixels shaved):
    the line a run has to beat."""
    cfg = for_mode(cfg, smoke)
    validator = Validator.for_set(cfg.val_set, cfg.scale, cfg.val_images)
    return float(np.mean([score_psnr(p.bicubic_y, p) for p in validator.pairs]))


@dataclass
class SnapshotRun:
    """A finished run and its weights at the snapshot steps (``{step: model}``, eval mode)."""

    result: TrainResult
    snapshots: dict[int, nn.Module]


def snapshot_steps(steps: int, every: int) -> list[int]:
    """0, every, 2 every, ... and always the last: ``snapshot_steps(10, 4) == [0, 4, 8, 10]``."""
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    marks = list(range(0, steps, every))
    return [*marks, steps] if marks[-1] != steps else marks


def _snapshot_file(out: Path, step: int) -> Path:
    return out / "snapshots" / f"step_{step:06d}.safetensors"


def train_snapshots(
    name: str,
    cfg: TrainConfig,
    every: int,
    out_dir: str | Path | None = None,
    smoke: bool | None = None,
    log: Callable[[str], None] = print,
    progress: bool = True,
    **train_kwargs: Any,
) -> SnapshotRun:
    """Train ``cfg`` keeping its weights every ``every`` steps (and at 0 and the end).

    Step 0 is the initialisation the engine itself uses (``torch.manual_seed(cfg.seed)`` then
    the model); step s > 0 is the engine's checkpoint after s optimiser steps. Snapshots are
    saved as safetensors in ``<run>/snapshots/`` and reused on the next call.
    """
    cfg = for_mode(cfg, smoke)
    out = run_dir(name, cfg, out_dir)
    marks = snapshot_steps(cfg.steps, max(1, min(every, cfg.steps)))
    missing = [s for s in marks if not _snapshot_file(out, s).is_file()]
    if missing:
        reached = _reached_step(out, cfg)
        if reached > missing[0]:  # the steps we lack are behind us: start the run again
            log(f"{out.name}: snapshots missing for steps {missing}, training again")
            shutil.rmtree(out)
            missing = marks
        if 0 in missing:
            torch.manual_seed(cfg.seed)
            save_weights(_snapshot_file(out, 0), build_model(**cfg.model_kwargs()), {"step": 0})
        quiet = _first_only(log)
        todo = [s for s in missing if s > 0]
        for step in tqdm(todo, desc=f"snapshots of {cfg.name}", disable=not progress):
            train_or_reuse(cfg, out, log=quiet, progress=False, stop_at_step=step,
                           **train_kwargs)
            state = load_checkpoint(out / CHECKPOINT)
            model = build_model(**cfg.model_kwargs())
            model.load_state_dict({k: v.contiguous() for k, v in state["model"].items()})
            save_weights(_snapshot_file(out, step), model, {"step": state["step"]})
    result = finished_result(out)
    if result is None:  # pragma: no cover - the last mark is cfg.steps, which finishes the run
        raise RuntimeError(f"{out} did not finish")
    if not missing:
        log(f"Reusing the snapshots of {out.name} (steps {marks})")
    snaps = {s: load_weights(_snapshot_file(out, s))[0] for s in marks}
    return SnapshotRun(result, snaps)


def _reached_step(out: Path, cfg: TrainConfig) -> int:
    if finished_result(out) is not None:
        return cfg.steps
    if (out / CHECKPOINT).is_file():
        return int(load_checkpoint(out / CHECKPOINT)["step"])
    return 0


def _first_only(log: Callable[[str], None]) -> Callable[[str], None]:
    """A logger that passes on only the first line of each kind ("Training", "Resuming")."""
    seen: set[str] = set()

    def inner(line: str) -> None:
        kind = line.split(" ", 1)[0]
        if kind not in seen and kind != "Resuming":
            seen.add(kind)
            log(line)

    return inner
