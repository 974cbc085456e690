"""The training loop: one screen of logic, plus the bookkeeping that makes it safe to kill.

``train(preset("cpu"), "runs/x3-d16")`` trains, validates on Set5 every ``val_every`` steps,
writes a resumable checkpoint every few minutes, and ends with ``model.safetensors`` plus its
JSON sidecar in the output folder. ``resume=True`` picks up where a killed run stopped and ends
with the same weights, bit for bit on CPU, as a run that was never interrupted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from drcn_lib.data.patches import PatchSpec, load_or_build_patches
from drcn_lib.engine.batches import StepBatches
from drcn_lib.engine.checkpoint import load_checkpoint, save_checkpoint, save_weights, write_json
from drcn_lib.engine.hardware import Runtime, choose_runtime
from drcn_lib.engine.presets import TrainConfig
from drcn_lib.engine.provenance import command_line, git_commit, hardware
from drcn_lib.engine.schedules import Plateau, lr_at
from drcn_lib.engine.validation import Validator
from drcn_lib.errors import DRCNError, TrainingDiverged
from drcn_lib.loss import alpha_schedule, decay_parameters, drcn_loss
from drcn_lib.model.factory import build_model

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"
WEIGHTS = "model.safetensors"


@dataclass
class TrainResult:
    """Where the run left its files, and its curves."""

    out_dir: Path
    weights: Path
    history: dict[str, list[dict[str, float]]]
    sidecar: dict[str, Any] = field(default_factory=dict)

    @property
    def final_psnr(self) -> float:
        return self.history["val"][-1]["psnr"] if self.history["val"] else float("nan")


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """beta * ||theta||^2 enters as weight decay 2 * beta on the conv weights only."""
    decay = decay_parameters(model)
    ids = {id(p) for p in decay}
    rest = [p for p in model.parameters() if id(p) not in ids]
    groups = [{"params": decay, "weight_decay": 2 * cfg.beta}, {"params": rest, "weight_decay": 0}]
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)
    raise ValueError(f"optimizer {cfg.optimizer!r} is not one of ('adam', 'sgd')")


def train(
    cfg: TrainConfig,
    out_dir: str | Path,
    resume: bool = False,
    device: str = "auto",
    dtype: str = "auto",
    channels_last: bool | str = "auto",
    recon_strategy: str = "auto",
    probe: bool = True,
    checkpoint_every_s: float = 180.0,
    progress: bool = True,
    log: Callable[[str], None] = print,
    command: str | None = None,
    stop_at_step: int | None = None,
) -> TrainResult:
    """Train ``cfg`` into ``out_dir``; see the module docstring. ``stop_at_step`` ends early
    (after a checkpoint) as an interruption would, for tests and demos."""
    out = Path(out_dir)
    ckpt_path = out / CHECKPOINT
    if ckpt_path.exists() and not resume:
        raise DRCNError(
            f"{out} already holds a checkpoint; pass resume=True (--resume) to continue it, "
            "or choose another output folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    log(cfg.describe())

    state = load_checkpoint(ckpt_path) if resume and ckpt_path.exists() else None
    if state is not None and state["config"] != cfg.as_dict():
        diff = {k: (v, cfg.as_dict().get(k)) for k, v in state["config"].items()
                if cfg.as_dict().get(k) != v}
        raise DRCNError(f"{ckpt_path} was written by another configuration: {diff}")

    torch.manual_seed(cfg.seed)
    model = build_model(**cfg.model_kwargs())
    if state is not None:
        runtime = Runtime(**{**state["runtime"], "reasons": ("as recorded in the checkpoint",)})
    else:
        runtime = choose_runtime(
            lambda: build_model(**cfg.model_kwargs()), cfg.batch_size, cfg.patch, device, dtype,
            channels_last, recon_strategy, probe=probe, probe_batch=cfg.batch_size, log=log,
        )
    log(runtime.describe())
    dev = torch.device(runtime.device)
    fmt = torch.channels_last if runtime.channels_last else torch.contiguous_format
    model = model.to(device=dev, memory_format=fmt)
    if hasattr(model, "recon_strategy"):
        model.recon_strategy = runtime.recon_strategy
    opt = make_optimizer(model, cfg)
    plateau = Plateau(cfg.plateau_patience)

    patches = load_or_build_patches(
        PatchSpec(set_name=cfg.train_set, scale=cfg.scale, patch=cfg.patch, stride=cfg.stride)
    )
    batches = StepBatches(patches.inputs, patches.targets, cfg.batch_size, cfg.seed, cfg.augment)
    validator = Validator.for_set(cfg.val_set, cfg.scale, cfg.val_images)
    log(f"{len(patches.inputs)} training patches from {cfg.train_set}, "
        f"{len(validator.pairs)} validation images from {cfg.val_set}")

    history: dict[str, list[dict[str, float]]] = {"train": [], "val": []}
    step, wall, started = 0, 0.0, datetime.now(timezone.utc).isoformat(timespec="seconds")
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        plateau = Plateau(**state["plateau"])
        step, wall, history, started = (
            state["step"], state["wall_seconds"], state["history"], state["started"])
        log(f"resumed {ckpt_path} at step {step} ({wall / 60:.1f} min already trained)")

    def checkpoint() -> None:
        save_checkpoint(ckpt_path, {
            "config": cfg.as_dict(), "runtime": {**runtime.as_dict(), "reasons": ()},
            "model": model.state_dict(), "optimizer": opt.state_dict(),
            "plateau": plateau.state(), "step": step, "wall_seconds": wall,
            "history": history, "started": started,
        })
        write_json(out / HISTORY, history)

    log_every = max(1, min(cfg.val_every // 5, 50))
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress, desc=f"train {cfg.name}")
    t_last, last_ckpt = time.perf_counter(), time.perf_counter()
    model.train()
    while step < cfg.steps:
        x, y = (t.to(dev, memory_format=fmt) for t in batches.batch(step))
        alpha = alpha_schedule(step / cfg.steps, cfg.alpha_kind, cfg.alpha_start, cfg.alpha_end,
                               cfg.alpha_decay_fraction)
        lr = lr_at(cfg, step, plateau.factor)
        for group in opt.param_groups:
            group["lr"] = lr
        with runtime.autocast():
            out_ = model(x)
        terms = drcn_loss(out_, y, alpha)
        if not math.isfinite(terms.total.item()):
            raise TrainingDiverged(
                f"loss is {terms.total.item()} at step {step} (lr {lr:g}); the last good "
                f"checkpoint {ckpt_path} is kept. Lower the learning rate or set grad_clip."
            )
        opt.zero_grad(set_to_none=True)
        terms.total.backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        now = time.perf_counter()
        wall, t_last = wall + (now - t_last), now
        if step % log_every == 0 or step == cfg.steps:
            history["train"].append({"step": step, "seconds": round(wall, 2),
                                     "loss": terms.total.item(), "l1": terms.l1.item(),
                                     "l2": terms.l2.item(), "alpha": alpha, "lr": lr})
        over_time = cfg.max_minutes is not None and wall >= cfg.max_minutes * 60
        if step % cfg.val_every == 0 or step == cfg.steps or over_time:
            scores = validator.psnr(model, dev)
            model.train()
            if cfg.lr_schedule == "plateau" and plateau.update(scores["psnr"]):
                log(f"step {step}: validation stalled, learning rate divided by 10")
            now = time.perf_counter()
            wall, t_last = wall + (now - t_last), now
            history["val"].append({"step": step, "seconds": round(wall, 2), **scores})
            bar.set_postfix(psnr=f"{scores['psnr']:.2f}")
            if not progress:
                log(f"step {step}/{cfg.steps} {wall / 60:.1f} min loss {terms.total.item():.5f} "
                    f"{cfg.val_set} PSNR {scores['psnr']:.2f} dB (y_D {scores['psnr_last']:.2f})")
        bar.update(1)
        if (now - last_ckpt >= checkpoint_every_s or step == cfg.steps or over_time
                or step == stop_at_step):
            checkpoint()
            last_ckpt = time.perf_counter()
        if over_time or step == stop_at_step:
            break
    bar.close()

    done = step >= cfg.steps or (cfg.max_minutes is not None and wall >= cfg.max_minutes * 60)
    weights = out / WEIGHTS
    sidecar: dict[str, Any] = {}
    if done:
        sidecar = {
            "command": command or command_line(), "preset": cfg.as_dict(),
            "runtime": runtime.as_dict(), "git_commit": git_commit(), "hardware": hardware(),
            "started": started,
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "steps": step, "wall_seconds": round(wall, 1),
            "final_val_psnr": history["val"][-1]["psnr"] if history["val"] else None,
            "val_set": cfg.val_set, "val_curve": history["val"],
        }
        save_weights(weights, model.float().to(memory_format=torch.contiguous_format), sidecar)
        log(f"done: {step} steps in {wall / 60:.1f} min, {cfg.val_set} x{cfg.scale} PSNR "
            f"{sidecar['final_val_psnr']} dB -> {weights}")
    return TrainResult(out, weights, history, sidecar)
