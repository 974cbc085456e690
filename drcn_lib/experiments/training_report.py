"""What a training run leaves behind, read back: curves against wall time, cost, provenance.

Lesson 08 and ``drcn reproduce`` read three kinds of records the engine writes
(:mod:`drcn_lib.engine.run_setup`):

* ``history.json`` of a run: ``{"train": [{step, seconds, loss, l1, l2, alpha, lr}],
  "val": [{step, seconds, psnr, psnr_last}]}`` (``seconds``: training wall time so far);
* the sidecar ``<weights>.json`` of finished weights, whose ``val_curve`` is the same ``val``
  list and which records the command, preset, commit, wall time and hardware;
* ``<folder>/<name>/history.json``: the candidate recipes timed for the ``cpu`` preset, which a
  checkout keeps in ``benchmarks/recipes/`` (``benchmarks/recipes.py``, ``RECIPES_DIR``). The
  library does not know that folder: every function that reads recipes takes it as argument.

PSNR in these curves is the engine's validation score (ensemble, Set5 unless the preset says
otherwise, possibly on ``val_images`` images only), in dB.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.torch import load_file

from drcn_lib.engine.checkpoint import read_sidecar
from drcn_lib.engine.presets import TrainConfig, with_defaults
from drcn_lib.errors import CheckpointError, DRCNError
from drcn_lib.pretrained import available, weights_path


def val_rows(run: Any) -> list[Mapping[str, float]]:
    """The validation rows of a history dict, a sidecar (``val_curve``), a ``TrainResult``
    (``.history``) or a plain list of rows; each row has ``step``, ``seconds`` and ``psnr``."""
    run = getattr(run, "history", run)
    rows = run.get("val", run.get("val_curve")) if isinstance(run, Mapping) else run
    if not isinstance(rows, list) or not all(
            isinstance(r, Mapping) and {"seconds", "psnr"} <= set(r) for r in rows):
        raise DRCNError("expected a history {'val': [...]}, a sidecar {'val_curve': [...]} or a "
                        "list of rows with 'seconds' and 'psnr'")
    return rows


def psnr_minutes(run: Any) -> tuple[np.ndarray, np.ndarray]:
    """(wall-clock minutes, validation PSNR dB) of a run, as two float64 arrays."""
    rows = val_rows(run)
    return (np.array([r["seconds"] / 60.0 for r in rows], dtype=np.float64),
            np.array([r["psnr"] for r in rows], dtype=np.float64))


def first_reaching(rows: list[Mapping[str, float]], target: float) -> Mapping[str, float] | None:
    """The first validation row with ``psnr >= target`` (None: never got there)."""
    return next((r for r in rows if r.get("psnr", float("-inf")) >= target), None)


def minutes_to_psnr(run: Any, target: float) -> float | None:
    """Training minutes at the first validation with PSNR >= ``target`` (None: never got
    there). Validations are every few hundred steps, so this is an upper bound by up to one
    validation interval."""
    hit = first_reaching(val_rows(run), target)
    return None if hit is None else hit["seconds"] / 60.0


def runs_markdown(runs: Mapping[str, Any], target: float) -> str:
    """A Markdown table of runs: final PSNR, minutes, and minutes to reach ``target`` dB."""
    lines = [f"| run | final PSNR (dB) | minutes | minutes to {target:.2f} dB |",
             "|---|---|---|---|"]
    for label, run in runs.items():
        minutes, psnr = psnr_minutes(run)
        if len(psnr) == 0:
            continue
        hit = minutes_to_psnr(run, target)
        lines.append(f"| {label} | {psnr[-1]:.2f} | {minutes[-1]:.1f} | "
                     + ("not reached" if hit is None else f"{hit:.1f}") + " |")
    return "\n".join(lines)


def recipe_histories(folder: Path) -> dict[str, dict[str, Any]]:
    """``{recipe name: history}`` for every ``<folder>/<name>/history.json``, sorted by name.

    A history that is not valid JSON is a :class:`DRCNError` naming the file (a half-written
    file cannot happen: the engine writes it atomically).
    """
    histories: dict[str, dict[str, Any]] = {}
    for path in sorted(Path(folder).glob("*/history.json")):
        try:
            history = json.loads(path.read_text())
        except ValueError as exc:
            raise DRCNError(f"{path} is not valid JSON: {exc}") from exc
        if history.get("val"):
            histories[path.parent.name] = history
    return histories


def _recipe_sidecar(name: str, folder: Path) -> dict[str, Any] | None:
    try:
        return json.loads((Path(folder) / name / "model.json").read_text())
    except (OSError, ValueError):
        return None


def recipe_machine(name: str, folder: Path) -> str:
    """Where recipe ``name`` was timed, from its sidecar: ``"AVX2 (emulated), float32"``,
    ``"AVX512, bfloat16"``, or ``"no sidecar"`` for a run that left none (stopped early).

    Minutes measured on different instruction sets must not share an axis unlabelled: the same
    step is about 5x slower on the AVX2 code path than with bf16 on AMX.
    """
    side = _recipe_sidecar(name, folder)
    return "no sidecar" if side is None else machine_label(side)


def recipe_config(name: str, folder: Path) -> TrainConfig:
    """The configuration recipe ``name`` ran with, read from its sidecar (fields added since
    take today's defaults), so that a lesson can compare a preset with a run that was logged
    rather than with a preset that has changed since."""
    side = _recipe_sidecar(name, folder)
    if side is None or "preset" not in side:
        raise DRCNError(f"recipe {name!r} left no sidecar in {folder}: it did not finish")
    return TrainConfig(**with_defaults(side["preset"]))


def _capability(side: Mapping[str, Any]) -> str:
    hw, rt = side.get("hardware", {}), side.get("runtime", {})
    return str(rt.get("cpu_capability", hw.get("cpu_capability", "?")))


def machine_label(side: Mapping[str, Any]) -> str:
    """The instruction set and dtype a sidecar's run used, e.g. ``"AVX512, bfloat16"``."""
    emulated = " (emulated)" if side.get("hardware", {}).get("isa_limits") else ""
    return f"{_capability(side)}{emulated}, {side.get('runtime', {}).get('dtype', '?')}"


def split_recipes_by_isa(
    isa: str, folder: Path, shipped: tuple[str, ...] = ()
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(runs timed on instruction set ``isa``, the other runs): the recipes' histories plus the
    sidecars of the ``shipped`` weights named, each labelled with its machine, so that every
    figure's minutes come from one code path.
    """
    on: dict[str, dict[str, Any]] = {}
    off: dict[str, dict[str, Any]] = {}
    runs = [(name, _recipe_sidecar(name, folder), history)
            for name, history in recipe_histories(folder).items()]
    runs += [(f"shipped {name}", side, side)
             for name, side in shipped_sidecars(list(shipped)).items()] if shipped else []
    for name, side, run in runs:
        label = f"{name} [{'no sidecar' if side is None else machine_label(side)}]"
        (on if side is not None and _capability(side) == isa else off)[label] = run
    return on, off


def shipped_sidecars(names: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The sidecars of the shipped weights (all of them, or those among ``names``)."""
    return {n: read_sidecar(weights_path(n)) for n in available() if names is None or n in names}


def preset_differences(a: TrainConfig, b: TrainConfig) -> dict[str, tuple[Any, Any]]:
    """``{field: (a's value, b's value)}`` for every field but ``name`` where they differ."""
    return {f.name: (getattr(a, f.name), getattr(b, f.name)) for f in fields(TrainConfig)
            if f.name != "name" and getattr(a, f.name) != getattr(b, f.name)}


def same_weights(a: str | Path, b: str | Path) -> bool:
    """True when two safetensors files hold the same tensor names with bit-identical values."""
    ta, tb = load_file(str(a)), load_file(str(b))
    return ta.keys() == tb.keys() and all(
        ta[k].dtype == tb[k].dtype and ta[k].shape == tb[k].shape and bool((ta[k] == tb[k]).all())
        for k in ta)


@dataclass(frozen=True)
class CostRow:
    """What one shipped model cost to train, from its sidecar."""

    name: str
    steps: int
    minutes: float
    hardware: str
    processes: int
    final_psnr: float | None
    val_set: str

    @classmethod
    def from_sidecar(cls, name: str, sidecar: Mapping[str, Any]) -> CostRow:
        if "wall_seconds" not in sidecar:
            raise CheckpointError(f"{name}: the sidecar records no wall_seconds (not a run of "
                                  "the engine?)")
        hw = sidecar.get("hardware") or {}
        where = hw.get("gpu") or (f"{hw.get('cpu', '?')}, {hw.get('torch_threads', '?')} "
                                  f"threads of {hw.get('cores', '?')} cores")
        return cls(name, int(sidecar.get("steps", 0)), float(sidecar["wall_seconds"]) / 60.0,
                   str(where), int(sidecar.get("processes", 1)), sidecar.get("final_val_psnr"),
                   str(sidecar.get("val_set", "Set5")))


def cost_rows(sidecars: Mapping[str, Mapping[str, Any]]) -> list[CostRow]:
    """One :class:`CostRow` per sidecar, in the given order."""
    return [CostRow.from_sidecar(n, s) for n, s in sidecars.items()]


def cost_markdown(rows: list[CostRow]) -> str:
    """The training-cost table (Markdown) with a total line; measured, never estimated."""
    if not rows:
        return "(no shipped weights, so no measured training time yet)"
    lines = ["| model | steps | wall time | hardware | processes | final val PSNR |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        psnr = "-" if r.final_psnr is None else f"{r.final_psnr:.2f} dB ({r.val_set})"
        lines.append(f"| {r.name} | {r.steps} | {r.minutes:.1f} min | {r.hardware} | "
                     f"{r.processes} | {psnr} |")
    total = sum(r.minutes for r in rows)
    lines.append(f"| **total** | | **{total / 60:.1f} h** | | | |")
    return "\n".join(lines)
