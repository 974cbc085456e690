"""Which trained models the reproduction studies (lessons 09-11) need, and where they come from.

The studies compare models the project trains itself and ships by name
(:data:`drcn_lib.pretrained.REGISTRY`): ``drcn-x3-d1`` ... ``drcn-x3-d16`` for the recursion-depth
figure, ``drcn-x{2,3,4}-d16`` for single outputs versus the ensemble, and those plus
``srcnn-x3`` for the benchmark table. A study takes a plain dict ``{name: (model, sidecar)}``:

* :func:`shipped_models` loads whichever of the names are shipped (the real lessons, ``drcn
  reproduce``) and leaves the others out; a study then reports them as missing, with the command
  that trains them (:func:`how_to_train`);
* :func:`stand_in_models` builds tiny UNTRAINED models of the same kind (smoke mode, tests): they
  prove the code path, their numbers mean nothing, and their sidecar says so (``stand_in``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import torch
from torch import nn

from drcn_lib.engine.presets import SMOKE
from drcn_lib.errors import CheckpointError
from drcn_lib.model.factory import build_model
from drcn_lib.pretrained import REGISTRY, available, pretrained

Models = Mapping[str, tuple[nn.Module, dict[str, Any]]]
"""``{registry name: (model in eval mode, its sidecar dict)}``."""

DEPTHS: tuple[int, ...] = (1, 6, 11, 16)
SCALES: tuple[int, ...] = (2, 3, 4)
DEPTH_NAMES: tuple[str, ...] = tuple(f"drcn-x3-d{d}" for d in DEPTHS)
ENSEMBLE_NAMES: tuple[str, ...] = tuple(f"drcn-x{s}-d16" for s in SCALES)
SRCNN_NAME = "srcnn-x3"
BENCHMARK_NAMES: tuple[str, ...] = (*ENSEMBLE_NAMES, SRCNN_NAME)
ALL_NAMES: tuple[str, ...] = tuple(REGISTRY)
STAND_IN_FILTERS = SMOKE.filters  # untrained stand-ins have the smoke preset's width


def how_to_train(name: str) -> str:
    """The command that trains and ships registry model ``name`` (one line)."""
    if name not in REGISTRY:
        raise CheckpointError(f"unknown pretrained model {name!r}; known: {sorted(REGISTRY)}")
    spec = REGISTRY[name]
    return (f"drcn reproduce --train --only {name} --weights-dir drcn_lib/weights   "
            f"(= drcn train {' '.join(spec.train_args())} --out runs/{name})")


def shipped_models(names: Iterable[str], device: str = "cpu") -> dict[str, tuple[nn.Module, dict]]:
    """The shipped weights among ``names``, loaded; names that are not shipped are left out."""
    shipped = set(available())
    return {n: pretrained(n, device=device) for n in names if n in shipped}


def stand_in_models(
    names: Iterable[str], filters: int = STAND_IN_FILTERS, seed: int = 0
) -> dict[str, tuple[nn.Module, dict]]:
    """Tiny untrained models shaped like registry models ``names`` (same arch, scale, D).

    DRCN stand-ins keep their depth D but have ``filters`` filters; the SRCNN stand-in has 8/4
    filters. Their sidecar is ``{"stand_in": True, "preset": {"scale": s}}``. Untrained, a DRCN
    adds random structure to its bicubic input and an SRCNN outputs almost zero, so their PSNRs
    are far BELOW bicubic: numbers on stand-ins prove the code path and say nothing else.
    """
    models: dict[str, tuple[nn.Module, dict]] = {}
    for name in names:
        if name not in REGISTRY:
            raise CheckpointError(f"unknown pretrained model {name!r}; known: {sorted(REGISTRY)}")
        spec = REGISTRY[name]
        torch.manual_seed(seed)
        if spec.arch == "srcnn":
            model = build_model("srcnn", n1=filters, n2=max(filters // 2, 1))
        else:
            model = build_model("drcn", recursions=spec.recursions, filters=filters)
        models[name] = (model.eval(), {"stand_in": True, "preset": {"scale": spec.scale}})
    return models


def is_stand_in(sidecar: Mapping[str, Any]) -> bool:
    """True for the untrained models of :func:`stand_in_models`."""
    return bool(sidecar.get("stand_in", False))


def describe_model(sidecar: Mapping[str, Any]) -> str:
    """One phrase on where a model's weights come from, for study reports."""
    if is_stand_in(sidecar):
        return "untrained stand-in (smoke mode: its numbers mean nothing)"
    from drcn_lib.runs.load_or_train import describe_run

    return describe_run(dict(sidecar))


def study_models(
    names: Iterable[str],
    smoke: bool,
    device: str = "cpu",
    log: Callable[[str], None] | None = print,
) -> dict[str, tuple[nn.Module, dict]]:
    """Stand-ins in smoke mode, else the shipped weights among ``names``; one line per name.

    A lesson's first cell calls this, so the reader sees at once which models are real, which
    are stand-ins and which are missing (with the command that trains each missing one).
    """
    names = list(names)
    models = stand_in_models(names) if smoke else shipped_models(names, device=device)
    if log is not None:
        for name in names:
            if name in models:
                log(f"{name}: {describe_model(models[name][1])}")
            else:
                log(f"{name}: NOT SHIPPED in this copy; train it with: {how_to_train(name)}")
    return models


def model_depth(model: nn.Module) -> int:
    """D of a DRCN (its number of recursions); 1 for a model without recursions (SRCNN)."""
    return int(getattr(model, "recursions", 1))


def model_scale(name: str, sidecar: Mapping[str, Any]) -> int:
    """The scale a model was trained for: its sidecar's preset, else the registry's."""
    scale = (sidecar.get("preset") or {}).get("scale")
    if scale is None and name in REGISTRY:
        scale = REGISTRY[name].scale
    if scale is None:
        raise CheckpointError(f"{name}: the sidecar records no training scale (preset.scale)")
    return int(scale)
