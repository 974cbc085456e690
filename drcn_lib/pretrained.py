"""Weights the project trained itself with ``drcn train`` and ships as package data.

Each name maps to ``drcn_lib/weights/<name>.safetensors`` plus its JSON sidecar, which records
the exact command, preset, git commit, wall time, hardware and validation curve of the run that
produced it. ``make weights`` retrains them all; ``REGISTRY`` says how each one is trained.

``PAPER_SCALE`` is an optional second family: the paper's own network (256 filters, the
``gpu`` preset), trained on a GPU only, named ``...-f256``. Where its weights are present
(shipped, or in the folder ``DRCN_WEIGHTS`` names), studies and lessons show them beside the
CPU models and the paper; where they are not, nothing about them appears.
"""

from __future__ import annotations

import os
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
        if self.preset == "gpu":
            args += ["--device", "cuda"]
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


# The paper's network (F = 256), GPU-trained with the gpu preset; optional: see the docstring.
PAPER_SCALE: dict[str, PretrainedSpec] = {
    spec.name: spec
    for spec in [PretrainedSpec(f"drcn-x3-d{d}-f256", "drcn", 3, d, preset="gpu")
                 for d in (16, 1, 6, 11)]
}
PAPER_SCALE_SUFFIX = "-f256"


def spec_of(name: str) -> PretrainedSpec:
    """The spec of ``name`` in either family; a clear error naming both when it is in neither."""
    spec = REGISTRY.get(name) or PAPER_SCALE.get(name)
    if spec is None:
        raise CheckpointError(f"unknown pretrained model {name!r}; known: {sorted(REGISTRY)} "
                              f"and, trained on a GPU, {sorted(PAPER_SCALE)}")
    return spec


def is_paper_scale(name: str) -> bool:
    """Whether ``name`` belongs to the 256-filter family (:data:`PAPER_SCALE`)."""
    return name in PAPER_SCALE


def weights_dirs() -> list[Path]:
    """Where weights are looked for: the folder ``DRCN_WEIGHTS`` names (first), then the
    package's own ``weights/``."""
    extra = os.environ.get("DRCN_WEIGHTS")
    return [*([Path(extra)] if extra else []), WEIGHTS_DIR]


def weights_path(name: str) -> Path:
    """Path of the weights ``name``: the first folder of :func:`weights_dirs` that holds them,
    else where the package would ship them (a path that may not exist yet)."""
    spec_of(name)
    for folder in weights_dirs():
        if (folder / f"{name}.safetensors").is_file():
            return folder / f"{name}.safetensors"
    return WEIGHTS_DIR / f"{name}.safetensors"


def available() -> list[str]:
    """Registry names (the CPU family) whose weights are present in this copy of the course."""
    return [n for n in REGISTRY if weights_path(n).is_file()]


def available_paper_scale() -> list[str]:
    """Names of the 256-filter family whose weights are present (often none)."""
    return [n for n in PAPER_SCALE if weights_path(n).is_file()]


def pretrained(name: str, device: str = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Load shipped weights by name: ``model, info = pretrained("drcn-x3-d16")``."""
    path = weights_path(name)
    if not path.is_file():
        spec = spec_of(name)
        raise CheckpointError(
            f"{name} is not shipped in this copy (shipped: {available() or 'none'}); train it "
            f"with: drcn train {' '.join(spec.train_args())} --out runs/{name}"
        )
    return load_weights(path, device=device)
