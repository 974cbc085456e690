"""Learning-rate schedules as small functions of the step (and, for plateau, a tiny state)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from drcn_lib.engine.presets import TrainConfig


def lr_at(cfg: TrainConfig, step: int, plateau_factor: float = 1.0) -> float:
    """Learning rate of optimiser step ``step``: linear warm-up, then the configured law."""
    if cfg.warmup_steps and step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    if cfg.lr_schedule == "cosine":
        span = max(cfg.steps - cfg.warmup_steps, 1)
        t = min(max(step - cfg.warmup_steps, 0) / span, 1.0)
        floor = cfg.lr * cfg.min_lr_fraction
        return floor + (cfg.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * t))
    if cfg.lr_schedule == "plateau":
        return cfg.lr * plateau_factor
    return cfg.lr


def recursions_at(cfg: TrainConfig, step: int) -> int:
    """Depth unfolded at optimiser step ``step``: ``cfg.recursions`` unless the run grows it.

    Growth is linear in the step, from ``recursions_start`` at step 0 to the full D at
    ``grow_fraction`` of the run, so each depth gets about the same number of steps.
    """
    if cfg.arch != "drcn" or cfg.recursions_start is None or \
            cfg.recursions_start >= cfg.recursions:
        return cfg.recursions
    grow_steps = cfg.grow_fraction * cfg.steps
    if grow_steps <= 0 or step >= grow_steps:
        return cfg.recursions
    span = cfg.recursions - cfg.recursions_start + 1
    return min(cfg.recursions, cfg.recursions_start + int(span * step / grow_steps))


@dataclass
class Plateau:
    """Divide the learning rate by 10 after ``patience`` validations without improvement."""

    patience: int
    best: float = -math.inf
    bad: int = 0
    factor: float = 1.0

    def update(self, psnr: float) -> bool:
        """Record a validation PSNR; True when the learning rate was just divided."""
        if psnr > self.best + 1e-4:
            self.best, self.bad = psnr, 0
            return False
        self.bad += 1
        if self.bad >= self.patience:
            self.factor /= 10.0
            self.bad = 0
            return True
        return False

    def state(self) -> dict[str, float]:
        return asdict(self)
