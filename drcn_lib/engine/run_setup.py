"""Everything around the training loop: building a run, resuming it, saving it, finishing it.

Kept apart from ``loop.py`` so the loop itself stays one screen long (STYLE.md, item 5).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from drcn_lib.data.patches import PatchSpec, load_or_build_patches
from drcn_lib.data.registry import find_set, set_status
from drcn_lib.engine.averaging import WeightAverage
from drcn_lib.engine.batches import StepBatches
from drcn_lib.engine.checkpoint import load_checkpoint, save_checkpoint, save_weights, write_json
from drcn_lib.engine.compile import maybe_compile
from drcn_lib.engine.distributed import DistContext, init_distributed
from drcn_lib.engine.hardware import Runtime, choose_runtime, pick_device
from drcn_lib.engine.presets import TrainConfig, check_device, with_defaults
from drcn_lib.engine.provenance import command_line, git_commit, hardware
from drcn_lib.engine.schedules import Plateau
from drcn_lib.engine.validation import Validator
from drcn_lib.errors import DRCNError
from drcn_lib.loss import decay_parameters
from drcn_lib.model.factory import build_model

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"
WEIGHTS = "model.safetensors"


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
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


@dataclass
class RunState:
    """The live objects of one run and the counters a checkpoint must restore."""

    cfg: TrainConfig
    out: Path
    runtime: Runtime
    model: nn.Module  # the plain model (what is saved)
    net: nn.Module  # what is called: the model, or its DistributedDataParallel wrapper
    opt: torch.optim.Optimizer
    batches: StepBatches
    validator: Validator | None
    dist: DistContext
    plateau: Plateau
    step: int = 0
    wall: float = 0.0
    started: str = ""
    history: dict[str, list[dict[str, float]]] = field(
        default_factory=lambda: {"train": [], "val": []})
    data: dict[str, Any] = field(default_factory=dict)  # which images it saw (for the sidecar)
    ema: WeightAverage | None = None  # cfg.ema_decay: the averaged weights, validated and saved

    @property
    def scored_model(self) -> nn.Module:
        """What validation scores and the weights file holds: the average when there is one."""
        return self.ema.synced(self.model) if self.ema is not None else self.model

    @property
    def ckpt_path(self) -> Path:
        return self.out / CHECKPOINT

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.runtime.channels_last else torch.contiguous_format

    def batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """This process's share of global batch ``step`` on the run's device and layout."""
        x, y = self.batches.batch(self.step)
        if self.dist.enabled:
            x, y = x[self.dist.rank :: self.dist.world], y[self.dist.rank :: self.dist.world]
        dev = torch.device(self.runtime.device)
        return x.to(dev, memory_format=self.memory_format), y.to(
            dev, memory_format=self.memory_format)

    def over_time(self) -> bool:
        if self.cfg.max_minutes is None:
            return False
        return bool(self.dist.broadcast(self.wall >= self.cfg.max_minutes * 60))

    def log_train(self, loss: float, terms: Any, alpha: float, lr: float) -> None:
        every = max(1, min(self.cfg.val_every // 5, 50))
        if self.step % every == 0 or self.step == self.cfg.steps:
            self.history["train"].append({
                "step": self.step, "seconds": round(self.wall, 2), "loss": loss,
                "l1": terms.l1.item(), "l2": terms.l2.item(), "alpha": alpha, "lr": lr})

    def validate(self, log: Callable[[str], None] | None, loss: float) -> dict[str, float]:
        """Rank 0 scores the validation set; every rank gets the scores (plateau decisions)."""
        scores = None
        if self.dist.is_main and self.validator is not None:
            scores = self.validator.psnr(self.scored_model, self.runtime.device)
        scores = self.dist.broadcast(scores)
        self.model.train()
        if self.cfg.lr_schedule == "plateau" and self.plateau.update(scores["psnr"]) and log:
            log(f"step {self.step}: validation stalled, learning rate divided by 10")
        self.history["val"].append({"step": self.step, "seconds": round(self.wall, 2), **scores})
        if log is not None and self.dist.is_main:
            log(f"step {self.step}/{self.cfg.steps} {self.wall / 60:.1f} min loss {loss:.5f} "
                f"{self.cfg.val_set} PSNR {scores['psnr']:.2f} dB (y_D {scores['psnr_last']:.2f})")
        return scores


def data_record(cfg: TrainConfig) -> dict[str, Any]:
    """Where the training and validation images come from, and whether they are the
    scikit-image stand-ins: weights trained on those must never pass for T91 ones."""
    record: dict[str, Any] = {}
    for role, name in (("train", cfg.train_set), ("val", cfg.val_set)):
        status = set_status(name)
        record[role] = {"set": status.name, "folder": str(status.folder),
                        "images": status.found, "fallback": status.state != "present"}
    return record


def setup_run(
    cfg: TrainConfig, out: Path, resume: bool, device: str, dtype: str,
    channels_last: bool | str, recon_strategy: str, probe: bool, log: Callable[[str], None],
    allow_fallback: bool = True,
) -> RunState:
    """Build (or restore from ``out/checkpoint.pt``) everything a run needs. With
    ``allow_fallback=False`` a missing training or validation set is an error (naming the
    download command) instead of the scikit-image stand-ins: shipped weights are trained so."""
    check_device(cfg, pick_device(device).type)  # the gpu preset: no full run without CUDA
    data = data_record(cfg)
    if not allow_fallback:
        for role in ("train", "val"):
            if data[role]["fallback"]:
                find_set(data[role]["set"])  # raises the DataError that says how to get it
    ctx = init_distributed()
    if not ctx.is_main:
        log = lambda _msg: None  # noqa: E731 - only rank 0 talks
    ckpt_path = out / CHECKPOINT
    if ckpt_path.exists() and not resume:
        raise DRCNError(
            f"{out} already holds a checkpoint; pass resume=True (--resume) to continue it, "
            "or choose another output folder")
    if cfg.batch_size % ctx.world:
        raise DRCNError(f"batch_size {cfg.batch_size} does not split over {ctx.world} processes")
    out.mkdir(parents=True, exist_ok=True)
    log(cfg.describe())
    state = load_checkpoint(ckpt_path) if resume and ckpt_path.exists() else None
    if state is not None and with_defaults(state["config"]) != cfg.as_dict():
        diff = {k: (v, cfg.as_dict().get(k)) for k, v in with_defaults(state["config"]).items()
                if cfg.as_dict().get(k) != v}
        raise DRCNError(f"{ckpt_path} was written by another configuration: {diff}")

    torch.manual_seed(cfg.seed)
    model = build_model(**cfg.model_kwargs())
    if cfg.arch == "drcn" and cfg.recursions_start is not None:
        model.start_growth(cfg.recursions_start)  # a checkpoint's weights replace these below
    if state is not None:
        runtime = Runtime(**{**state["runtime"], "reasons": ("as recorded in the checkpoint",)})
    else:
        runtime = None
        if ctx.is_main:
            runtime = choose_runtime(
                lambda: build_model(**cfg.model_kwargs()), cfg.batch_size // ctx.world,
                cfg.patch, ctx.device(device), dtype, channels_last, recon_strategy,
                probe=probe, probe_batch=cfg.batch_size // ctx.world, log=log)
        runtime = ctx.broadcast(runtime)
        if ctx.enabled:  # each process keeps its own GPU
            runtime = Runtime(**{**runtime.as_dict(), "device": ctx.device(runtime.device)})
    log(runtime.describe())
    fmt = torch.channels_last if runtime.channels_last else torch.contiguous_format
    model = model.to(device=torch.device(runtime.device), memory_format=fmt)
    if hasattr(model, "recon_strategy"):
        model.recon_strategy = runtime.recon_strategy

    spec = PatchSpec(set_name=cfg.train_set, scale=cfg.scale, patch=cfg.patch, stride=cfg.stride)
    if ctx.enabled and ctx.is_main:  # build the cache once, before the other ranks read it
        load_or_build_patches(spec)
    ctx.broadcast(None)
    patches = load_or_build_patches(spec)
    batches = StepBatches(patches.inputs, patches.targets, cfg.batch_size, cfg.seed, cfg.augment)
    validator = Validator.for_set(cfg.val_set, cfg.scale, cfg.val_images) if ctx.is_main else None
    log(f"{len(patches.inputs)} training patches from {cfg.train_set}"
        + (f", {len(validator.pairs)} validation images from {cfg.val_set}" if validator else ""))

    run = RunState(cfg, out, runtime, model, model, make_optimizer(model, cfg), batches,
                   validator, ctx, Plateau(cfg.plateau_patience),
                   started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   data=data)
    if state is not None:
        model.load_state_dict(state["model"])
        run.opt.load_state_dict(state["optimizer"])
        run.plateau = Plateau(**state["plateau"])
        run.step, run.wall = state["step"], state["wall_seconds"]
        run.history, run.started = state["history"], state["started"]
        log(f"resumed {ckpt_path} at step {run.step} ({run.wall / 60:.1f} min already trained)")
    if cfg.ema_decay is not None:
        run.ema = WeightAverage(model, cfg.ema_decay)
        if state is not None:
            run.ema.load(state["ema"])
    run.net = maybe_compile(ctx.wrap(model), cfg.compile, cfg.compile_mode, runtime.device,
                            growing=cfg.arch == "drcn" and cfg.recursions_start is not None,
                            log=log)
    return run


def save_run_checkpoint(run: RunState) -> None:
    """Rank 0 writes the resumable state and the curves (atomically)."""
    if not run.dist.is_main:
        return
    save_checkpoint(run.ckpt_path, {
        "config": run.cfg.as_dict(), "runtime": {**run.runtime.as_dict(), "reasons": ()},
        "model": run.model.state_dict(), "optimizer": run.opt.state_dict(),
        "plateau": run.plateau.state(), "step": run.step, "wall_seconds": run.wall,
        "history": run.history, "started": run.started,
        "ema": run.ema.state() if run.ema is not None else None,
    })
    write_json(run.out / HISTORY, run.history)


def finish_run(
    run: RunState, command: str | None, log: Callable[[str], None]
) -> tuple[Path, dict[str, Any]]:
    """When the run is complete, write the weights and their sidecar (rank 0)."""
    cfg, weights = run.cfg, run.out / WEIGHTS
    done = run.step >= cfg.steps or (
        cfg.max_minutes is not None and run.wall >= cfg.max_minutes * 60)
    if not done or not run.dist.is_main:
        return weights, {}
    final = run.history["val"][-1]["psnr"] if run.history["val"] else None
    sidecar: dict[str, Any] = {
        "command": command or command_line(), "preset": cfg.as_dict(),
        "runtime": run.runtime.as_dict(), "processes": run.dist.world,
        "git_commit": git_commit(), "hardware": hardware(), "started": run.started,
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "steps": run.step, "wall_seconds": round(run.wall, 1), "final_val_psnr": final,
        "val_set": cfg.val_set, "val_curve": run.history["val"], "data": run.data,
    }
    model = run.scored_model.float().to(memory_format=torch.contiguous_format)
    save_weights(weights, model, sidecar)
    log(f"done: {run.step} steps in {run.wall / 60:.1f} min, {cfg.val_set} x{cfg.scale} PSNR "
        f"{final} dB -> {weights}")
    return weights, sidecar
