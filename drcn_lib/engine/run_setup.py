"""Everything around the training loop: building a run, resuming it, saving it, finishing it.

Kept apart from ``loop.py`` so the loop itself stays one screen long (STYLE.md, item 5).
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from torch import nn

from drcn_lib.atomic import write_json
from drcn_lib.data.fallback import fallback_dir
from drcn_lib.data.patches import PatchSpec, load_or_build_patches
from drcn_lib.data.registry import find_set, set_status
from drcn_lib.engine.averaging import WeightAverage
from drcn_lib.engine.batches import StepBatches
from drcn_lib.engine.checkpoint import load_checkpoint, save_checkpoint, save_weights
from drcn_lib.engine.compile import maybe_compile
from drcn_lib.engine.distributed import DistContext, init_distributed
from drcn_lib.engine.growth import start_growth
from drcn_lib.engine.hardware import (
    Runtime,
    available_memory,
    check_runtime_args,
    choose_runtime,
    pick_device,
    step_memory_floor,
)
from drcn_lib.engine.presets import TrainConfig, check_device, with_defaults
from drcn_lib.engine.provenance import command_line, git_commit, hardware
from drcn_lib.engine.schedules import Plateau
from drcn_lib.engine.trainable import LIBRARY, USER, check_user_model, model_record
from drcn_lib.engine.unfolding import UnfoldedDRCN, unfolded
from drcn_lib.engine.validation import Validator
from drcn_lib.errors import ConfigError, StorageError, TrainingDiverged
from drcn_lib.loss import decay_parameters
from drcn_lib.model.factory import build_model
from drcn_lib.settings import cache_root, data_root

CHECKPOINT = "checkpoint.pt"
HISTORY = "history.json"
WEIGHTS = "model.safetensors"
SIDECAR = "model.json"

#: Fields a resumed run may change: the two remedies a divergence message suggests. Any other
#: difference makes it another run, which must not continue this one's checkpoint.
RESUME_MAY_CHANGE: tuple[str, ...] = ("lr", "grad_clip")

#: A run whose last logged training loss is this many times its first one has diverged, even
#: when every loss stayed finite (lr 2 on the smoke preset: 0.028 -> 3.5e5, Set5 6.6 dB). An
#: honest run ends below its start (smoke: 0.028 -> 0.005).
DIVERGED_LOSS_RATIO = 10.0


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
    model_source: str = LIBRARY  # USER: the caller's own module (train(..., model=...))
    unfolded: UnfoldedDRCN | None = None  # the library's DRCN as trained: depth, f3 schedule
    ema: WeightAverage | None = None  # cfg.ema_decay: the averaged weights, validated and saved
    # settings changed on resume (RESUME_MAY_CHANGE): [{"step": 120, "lr": [0.01, 0.001]}]
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scored_model(self) -> nn.Module:
        """What validation scores and the weights file holds: the average when there is one."""
        return self.ema.model if self.ema is not None else self.model

    @property
    def depth(self) -> int | None:
        """Recursions unfolded now (None: all D, or a model the engine does not unfold)."""
        return self.unfolded.depth if self.unfolded is not None else None

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
        if self.step % every == 0 or self.step in (1, self.cfg.steps):  # 1: the untrained loss
            self.history["train"].append({
                "step": self.step, "seconds": round(self.wall, 2), "loss": loss,
                "l1": terms.l1.item(), "l2": terms.l2.item(), "alpha": alpha, "lr": lr})

    def validate(self, log: Callable[[str], None] | None, loss: float) -> dict[str, float]:
        """Rank 0 scores the validation set; every rank gets the scores (plateau decisions)."""
        scores = None
        if self.dist.is_main and self.validator is not None:
            scores = self.validator.psnr(self.scored_model, self.runtime.device, self.depth)
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


def check_folder(path: Path, what: str, writable: bool = False) -> None:
    """Refuse a folder the course cannot use, naming the setting that points at it.

    ``what`` is how the user set it (``"DRCN_DATA"``, ``"the output folder"``). A path that
    exists but is a file, or (``writable=True``) a folder, or the nearest folder above a
    missing one, that this process cannot write into (read-only mount, permissions), is a
    :class:`ConfigError` raised before any work starts, not an ``OSError`` half-way through.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {path} is a file, not a folder; point {what} at a folder")
    if not writable:
        return
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{what} {path} cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == path else f" (its nearest existing folder {existing})"
        raise ConfigError(f"{what} {path}{where} is read-only; point {what} at a folder this "
                          "user can write to")


def check_run(
    cfg: TrainConfig, out: Path, resume: bool, overwrite: bool, device: str, dtype: str,
    channels_last: bool | str, recon_strategy: str,
) -> None:
    """Every check that needs no data and writes nothing, run first: the configuration's
    values, the device and dtype, the data, cache and output folders, and what ``out`` already
    holds. A bad value answers here in a second, before any probe step or patch allocates."""
    cfg.validate()
    check_runtime_args(device, dtype, channels_last, recon_strategy)
    check_folder(data_root(), "DRCN_DATA")
    check_folder(cache_root(), "DRCN_CACHE", writable=True)
    check_folder(out, "the output folder", writable=True)
    ckpt, weights = out / CHECKPOINT, out / WEIGHTS
    if ckpt.exists() and not resume and not overwrite:
        raise ConfigError(
            f"{out} already holds a checkpoint; pass resume=True (--resume) to continue it, "
            "overwrite=True (--force) to start again there, or choose another output folder")
    earlier = [p.name for p in (weights, out / SIDECAR) if p.exists()]
    if earlier and not ckpt.exists() and not overwrite:
        raise ConfigError(
            f"{out} already holds earlier weights ({', '.join(earlier)}) and no checkpoint to "
            "continue; pass overwrite=True (--force) to replace them, or choose another "
            "output folder")


def check_memory(cfg: TrainConfig, device: str, world: int) -> None:
    """Refuse a step whose feature maps alone exceed the free memory (a lower bound, see
    :func:`~drcn_lib.engine.hardware.step_memory_floor`), before the timed probe runs one: a
    batch or patch far too large would otherwise take the machine down, not fail."""
    dev = pick_device(device)
    batch = max(1, cfg.batch_size // world)  # each process holds its share
    need = step_memory_floor(cfg.arch, cfg.filters, cfg.recursions, batch, cfg.patch)
    free = available_memory(dev)
    if free is not None and need > free:
        raise ConfigError(
            f"one training step needs at least {need / 2**30:.1f} GiB for its feature maps "
            f"(batch_size {batch}, patch {cfg.patch}, {cfg.filters} filters, D={cfg.recursions})"
            f" but {dev} has {free / 2**30:.1f} GiB free; lower batch_size, patch or filters")


def _check_resume(cfg: TrainConfig, state: dict[str, Any], ckpt_path: Path) -> dict[str, Any]:
    """The settings ``cfg`` changes with respect to the checkpoint's run, ``{field: [old,
    new]}``; only :data:`RESUME_MAY_CHANGE` may differ (lowering lr after a divergence)."""
    saved, now = with_defaults(state["config"]), cfg.as_dict()
    diff = {k: [v, now.get(k)] for k, v in saved.items() if now.get(k) != v}
    other = {k: tuple(v) for k, v in diff.items() if k not in RESUME_MAY_CHANGE}
    if other:
        raise ConfigError(
            f"{ckpt_path} was written by another configuration: {other} (checkpoint, now); "
            f"only {list(RESUME_MAY_CHANGE)} may change on resume")
    return diff


@contextlib.contextmanager
def _folder_errors(what: str, folder: Path, hint: str) -> Iterator[None]:
    """Turn an ``OSError`` (disk full, read-only) while preparing ``what`` into one line."""
    try:
        yield
    except OSError as exc:
        raise StorageError(f"could not write {what} in {folder}: {exc.strerror or exc}"
                           f"{f' ({exc.filename})' if exc.filename else ''}; {hint}") from exc


def setup_run(
    cfg: TrainConfig, out: Path, resume: bool, device: str, dtype: str,
    channels_last: bool | str, recon_strategy: str, probe: bool, log: Callable[[str], None],
    allow_fallback: bool = True, overwrite: bool = False, user_model: nn.Module | None = None,
) -> RunState:
    """Build (or restore from ``out/checkpoint.pt``) everything a run needs. With
    ``allow_fallback=False`` a missing training or validation set is an error (naming the
    download command) instead of the scikit-image stand-ins: shipped weights are trained so.
    ``user_model`` is trained instead of the model the config describes (see trainable.py).

    Order: :func:`check_run` (values, folders), the checkpoint's config, then the data (which
    says whether a patch fits the images), :func:`check_memory`, and only then the output
    folder, the timed probe and the model. A run refused at any of these leaves no new folder
    behind."""
    check_run(cfg, out, resume, overwrite, device, dtype, channels_last, recon_strategy)
    check_device(cfg, pick_device(device).type)  # the gpu preset: no full run without CUDA
    if user_model is not None:
        check_user_model(user_model, cfg)
    data = data_record(cfg)
    for role, fallback_role in (("train", "train"), ("val", "test")):
        if not data[role]["fallback"]:
            continue
        if not allow_fallback:
            find_set(data[role]["set"])  # raises the DataError that says how to get it
        if not fallback_dir(fallback_role).is_dir():  # the stand-ins will be written there
            check_folder(data_root(), "DRCN_DATA", writable=True)
    ctx = init_distributed()
    if not ctx.is_main:
        log = lambda _msg: None  # noqa: E731 - only rank 0 talks
    ckpt_path = out / CHECKPOINT
    if cfg.batch_size % ctx.world:
        raise ConfigError(
            f"batch_size {cfg.batch_size} does not split over {ctx.world} processes")
    state = load_checkpoint(ckpt_path) if resume and ckpt_path.exists() else None
    changed = _check_resume(cfg, state, ckpt_path) if state is not None else {}
    if resume and state is None:
        log(f"nothing to resume: {out} holds no checkpoint yet, so this run starts at step 0")

    spec = PatchSpec(set_name=cfg.train_set, scale=cfg.scale, patch=cfg.patch, stride=cfg.stride)
    hint = "free some space or point DRCN_CACHE at another folder, then run again"
    with _folder_errors("the training patches", cache_root(), hint):
        if ctx.enabled and ctx.is_main:  # build the cache once, before the other ranks read it
            load_or_build_patches(spec)
        ctx.broadcast(None)
        patches = load_or_build_patches(spec)
    with _folder_errors("the validation images", data_root(), "point DRCN_DATA elsewhere"):
        validator = (Validator.for_set(cfg.val_set, cfg.scale, cfg.val_images)
                     if ctx.is_main else None)

    if user_model is None:  # a learner's own model need not have the config's F and D
        check_memory(cfg, ctx.device(device), ctx.world)

    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _build_run(cfg, out, state, changed, patches, validator, data, ctx, device,
                          dtype, channels_last, recon_strategy, probe, log, user_model)
    except BaseException:
        if created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # nothing half-made stays behind
        raise


def _build_run(
    cfg: TrainConfig, out: Path, state: dict[str, Any] | None, changed: dict[str, Any],
    patches: Any, validator: Validator | None, data: dict[str, Any], ctx: DistContext,
    device: str, dtype: str, channels_last: bool | str, recon_strategy: str, probe: bool,
    log: Callable[[str], None], user_model: nn.Module | None = None,
) -> RunState:
    """The model, runtime and optimiser of a checked run, restored from ``state`` if given."""
    ckpt_path = out / CHECKPOINT
    log(cfg.describe())
    torch.manual_seed(cfg.seed)
    model = build_model(**cfg.model_kwargs()) if user_model is None else user_model
    if user_model is None and cfg.arch == "drcn" and cfg.recursions_start is not None:
        start_growth(model, cfg.recursions_start)  # a checkpoint's weights replace these below
    if state is not None:
        runtime = Runtime(**{**state["runtime"], "reasons": ("as recorded in the checkpoint",)})
    else:
        runtime = None
        if ctx.is_main:
            runtime = choose_runtime(
                lambda: (build_model(**cfg.model_kwargs()) if user_model is None
                         else copy.deepcopy(user_model)), cfg.batch_size // ctx.world,
                cfg.patch, ctx.device(device), dtype, channels_last, recon_strategy,
                probe=probe, probe_batch=cfg.batch_size // ctx.world, log=log)
        runtime = ctx.broadcast(runtime)
        if ctx.enabled:  # each process keeps its own GPU
            runtime = Runtime(**{**runtime.as_dict(), "device": ctx.device(runtime.device)})
    log(runtime.describe())
    fmt = torch.channels_last if runtime.channels_last else torch.contiguous_format
    model = model.to(device=torch.device(runtime.device), memory_format=fmt)
    net = unfolded(model, runtime.recon_strategy)
    if isinstance(net, UnfoldedDRCN) and cfg.recursions_start is not None:
        net.depth = cfg.recursions_start  # the loop unfolds more as recursions_at says

    batches = StepBatches(patches.inputs, patches.targets, cfg.batch_size, cfg.seed, cfg.augment)
    log(f"{len(patches.inputs)} training patches from {cfg.train_set}"
        + (f", {len(validator.pairs)} validation images from {cfg.val_set}" if validator else ""))

    run = RunState(cfg, out, runtime, model, net, make_optimizer(model, cfg), batches,
                   validator, ctx, Plateau(cfg.plateau_patience),
                   started=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   data=data, model_source=USER if user_model is not None else LIBRARY,
                   unfolded=net if isinstance(net, UnfoldedDRCN) else None)
    if state is not None:
        model.load_state_dict(state["model"])
        run.opt.load_state_dict(state["optimizer"])
        run.plateau = Plateau(**state["plateau"])
        run.step, run.wall = state["step"], state["wall_seconds"]
        run.history, run.started = state["history"], state["started"]
        run.changes = list(state.get("changes") or [])
        log(f"resumed {ckpt_path} at step {run.step} ({run.wall / 60:.1f} min already trained)")
        if changed:
            run.changes.append({"step": run.step, **changed})
            log("resumed with changed settings: " + ", ".join(
                f"{k} {old!r} -> {new!r}" for k, (old, new) in changed.items()))
    if cfg.ema_decay is not None:
        run.ema = WeightAverage(model, cfg.ema_decay)
        if state is not None:
            run.ema.load(state["ema"])
    run.net = maybe_compile(ctx.wrap(net), cfg.compile, cfg.compile_mode, runtime.device,
                            growing=cfg.arch == "drcn" and cfg.recursions_start is not None,
                            log=log)
    return run


def save_run_checkpoint(run: RunState) -> None:
    """Rank 0 writes the resumable state and the curves (atomically)."""
    if not run.dist.is_main:
        return
    hint = ("the previous checkpoint is kept; free some space, then run the same command with "
            "--resume")
    with _folder_errors("the checkpoint", run.out, hint):
        save_checkpoint(run.ckpt_path, {
            "config": run.cfg.as_dict(), "runtime": {**run.runtime.as_dict(), "reasons": ()},
            "model": run.model.state_dict(), "optimizer": run.opt.state_dict(),
            "plateau": run.plateau.state(), "step": run.step, "wall_seconds": run.wall,
            "history": run.history, "started": run.started,
            "ema": run.ema.state() if run.ema is not None else None, "changes": run.changes,
        })
        write_json(run.out / HISTORY, run.history)


def divergence(run: RunState) -> str | None:
    """Why the run's weights must not ship although every loss was finite, or None.

    The loss was logged at step 1 (the untrained model) and at the end; a last loss
    :data:`DIVERGED_LOSS_RATIO` times the first means the updates threw the model away."""
    losses = [r["loss"] for r in run.history["train"]]
    if len(losses) < 2 or not losses[-1] > DIVERGED_LOSS_RATIO * losses[0]:
        return None
    lr = max(r.get("lr", run.cfg.lr) for r in run.history["train"])  # the lr it trained with
    return (f"the run diverged: its training loss ended at {losses[-1]:.3g}, "
            f"{losses[-1] / losses[0]:.3g}x its start ({losses[0]:.3g}) with lr {lr:g}; no "
            f"weights were written to {run.out / WEIGHTS}. Train again with a lower learning "
            f"rate, e.g. --set lr={lr / 10:g} --force (or set grad_clip)")


def finish_run(
    run: RunState, command: str | None, log: Callable[[str], None]
) -> tuple[Path, dict[str, Any]]:
    """When the run is complete, write the weights and their sidecar (rank 0)."""
    cfg, weights = run.cfg, run.out / WEIGHTS
    done = run.step >= cfg.steps or (
        cfg.max_minutes is not None and run.wall >= cfg.max_minutes * 60)
    diverged = divergence(run) if done else None  # every rank logged the same losses
    if diverged is not None:
        raise TrainingDiverged(diverged)
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
        "model_source": run.model_source,
    }
    if run.changes:
        sidecar["resumed_with_changes"] = run.changes
    model = run.scored_model.float().to(memory_format=torch.contiguous_format)
    try:
        save_weights(weights, model, sidecar, config=model_record(model))
    except OSError as exc:  # no half pair: the final checkpoint can write both again
        for path in (weights, run.out / SIDECAR):
            path.unlink(missing_ok=True)
        raise StorageError(
            f"could not write the weights {weights}: {exc.strerror or exc}; the final "
            f"checkpoint {run.ckpt_path} is kept: free some space, then run the same command "
            "with --resume to write them without training again") from exc
    log(f"done: {run.step} steps in {run.wall / 60:.1f} min, {cfg.val_set} x{cfg.scale} PSNR "
        f"{final} dB -> {weights}")
    return weights, sidecar
