"""The training loop: one screen of logic, plus the bookkeeping that makes it safe to kill.

``train(preset("cpu"), "runs/x3-d16")`` trains, validates on Set5 every ``val_every`` steps,
writes a resumable checkpoint every few minutes, and ends with ``model.safetensors`` plus its
JSON sidecar in the output folder. ``resume=True`` picks up where a killed run stopped and ends
with the same weights, bit for bit on CPU, as a run that was never interrupted. Under
``torchrun`` the same function trains with DistributedDataParallel (see ``distributed.py``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

from drcn_lib.engine.presets import TrainConfig
from drcn_lib.engine.run_setup import RunState, finish_run, save_run_checkpoint, setup_run
from drcn_lib.engine.schedules import lr_at, recursions_at
from drcn_lib.errors import TrainingDiverged
from drcn_lib.loss import alpha_schedule, drcn_loss


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
    allow_fallback: bool = True,
    model: torch.nn.Module | None = None,
    overwrite: bool = False,
) -> TrainResult:
    """Train ``cfg`` into ``out_dir``; see the module docstring. ``stop_at_step`` ends early
    (after a checkpoint), as an interruption would, for tests and demos. ``allow_fallback=False``
    refuses to train on the scikit-image stand-ins when T91 or the validation set is missing.
    ``model``: train this module (trained in place) instead of the one ``cfg`` describes, e.g.
    a learner's own DRCN; what it must provide is in :mod:`drcn_lib.engine.trainable`.

    Every setting, folder and device is checked before anything is allocated or written
    (:func:`~drcn_lib.engine.run_setup.check_run`). ``out_dir`` holding earlier weights or a
    checkpoint is refused unless ``resume`` (continue it; ``lr`` and ``grad_clip`` may change)
    or ``overwrite`` (start again, replacing them when the new run writes its own). A run whose
    loss ends far above its start raises :class:`TrainingDiverged` instead of shipping."""
    run = setup_run(cfg, Path(out_dir), resume, device, dtype, channels_last, recon_strategy,
                    probe, log, allow_fallback=allow_fallback, overwrite=overwrite,
                    user_model=model)
    bar = tqdm(total=cfg.steps, initial=run.step, desc=f"train {cfg.name}",
               disable=not progress or not run.dist.is_main)
    t_last = last_ckpt = time.perf_counter()
    growing = run.unfolded is not None and cfg.recursions_start is not None
    due = True  # a checkpoint is written inside the next step, once its loss is seen finite
    while run.step < cfg.steps:
        progress_frac = run.step / cfg.steps
        alpha = alpha_schedule(progress_frac, cfg.alpha_kind, cfg.alpha_start, cfg.alpha_end,
                               cfg.alpha_decay_fraction)
        lr = lr_at(cfg, run.step, run.plateau.factor)
        if growing:
            depth = recursions_at(cfg, run.step)
            if depth != run.unfolded.depth:
                log(f"step {run.step}: unfolding {depth} recursions")
            run.unfolded.depth = depth
        loss, terms = train_step(run, alpha, lr,
                                 before_update=(lambda: save_run_checkpoint(run)) if due else None)
        if run.ema is not None:
            run.ema.update(run.model)
        if due:
            due, last_ckpt = False, time.perf_counter()
        run.step += 1
        now = time.perf_counter()
        run.wall, t_last = run.wall + (now - t_last), now
        run.log_train(loss, terms, alpha, lr)
        stop = run.over_time() or run.step == stop_at_step
        if run.step % cfg.val_every == 0 or run.step == cfg.steps or stop:
            scores = run.validate(log if not progress else None, loss)
            bar.set_postfix(psnr=f"{scores['psnr']:.2f}")
            now = time.perf_counter()
            run.wall, t_last = run.wall + (now - t_last), now
        bar.update(1)
        if run.step == cfg.steps or stop:
            save_run_checkpoint(run)
        elif now - last_ckpt >= checkpoint_every_s:
            due = True
        if stop:
            break
    bar.close()
    if growing:
        run.unfolded.depth = None  # the final validation, if any, unfolds all D
    weights, sidecar = finish_run(run, command, log)
    run.dist.close()
    return TrainResult(run.out, weights, run.history, sidecar)


def train_step(
    run: RunState, alpha: float, lr: float, before_update: Callable[[], None] | None = None
) -> tuple[float, Any]:
    """One optimiser step on this process's share of batch ``run.step``; returns the loss of
    the whole (global) batch and its terms.

    ``before_update`` runs once the loss is known to be finite and before the weights change:
    the loop saves its checkpoints there, so a kept checkpoint never holds weights that an
    exploding update has already turned into NaN."""
    x, y = run.batch()
    for group in run.opt.param_groups:
        group["lr"] = lr
    with run.runtime.autocast():
        out = run.net(x)
    terms = drcn_loss(out, y, alpha, reduction=run.cfg.loss_reduction)
    loss = run.dist.mean(terms.total).item()
    if not math.isfinite(loss):
        raise TrainingDiverged(
            f"loss is {loss} at step {run.step} (lr {lr:g}); the last good checkpoint "
            f"{run.ckpt_path} is kept. Lower the learning rate or set grad_clip, and resume "
            f"from it (e.g. drcn train ... --set lr={run.cfg.lr / 10:g} --resume)"
        )
    if before_update is not None:
        before_update()
    run.opt.zero_grad(set_to_none=True)
    terms.total.backward()
    if run.cfg.grad_clip:
        torch.nn.utils.clip_grad_norm_(run.model.parameters(), run.cfg.grad_clip)
    run.opt.step()
    return loss, terms
