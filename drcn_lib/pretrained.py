"""Weights the project trained itself with ``drcn train`` and ships as package data.

Each name maps to ``drcn_lib/weights/<name>.safetensors`` plus its JSON sidecar, which records
the exact command, preset, git commit, wall time, hardware and validation curve of the run that
produced it. ``make weights`` retrains them all; ``REGISTRY`` says how each one is trained.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from drcn_lib.engine.checkpoint import load_weights
from drcn_lib.errors import CheckpointError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class PretrainedSpec:
    """How a shipped model is trained: ``drcn train --preset P --scale S --recursions D``."""

    name: str
    arch: str
    scale: int
    recursions: int | None
    preset: str = "cpu"

    def train_args(self) -> list[str]:
        args = ["--preset", self.preset, "--scale", str(self.scale)]
        if self.arch == "srcnn":
            return [*args, "--arch", "srcnn"]
        return [*args, "--recursions", str(self.recursions)]


REGISTRY: dict[str, PretrainedSpec] = {
    spec.name: spec
    for spec in [
        PretrainedSpec("drcn-x3-d16", "drcn", 3, 16),
        PretrainedSpec("drcn-x3-d1", "drcn", 3, 1),
        PretrainedSpec("drcn-x3-d6", "drcn", 3, 6),
        PretrainedSpec("drcn-x3-d11", "drcn", 3, 11),
        PretrainedSpec("drcn-x2-d16", "drcn", 2, 16),
        PretrainedSpec("drcn-x4-d16", "drcn", 4, 16),
        PretrainedSpec("srcnn-x3", "srcnn", 3, None),
    ]
}


def weights_path(name: str) -> Path:
    """Path of the shipped weights ``name`` (which may not exist yet)."""
    if name not in REGISTRY:
        raise CheckpointError(f"unknown pretrained model {name!r}; known: {sorted(REGISTRY)}")
    return WEIGHTS_DIR / f"{name}.safetensors"


def available() -> list[str]:
    """Registry names whose weights are shipped in this copy of the course."""
    return [n for n in REGISTRY if weights_path(n).is_file()]


def pretrained(name: str, device: str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Load shipped weights by name: ``model, info = pretrained("drcn-x3-d16")``."""
    path = weights_path(name)
    if not path.is_file():
        spec = REGISTRY[name]
        raise CheckpointError(
            f"{name} is not shipped in this copy (shipped: {available() or 'none'}); train it "
            f"with: drcn train {' '.join(spec.train_args())} --out runs/{name}"
        )
    return load_weights(path, device=device)
