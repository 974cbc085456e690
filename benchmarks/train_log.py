"""Minutes a preset (``cpu`` unless told) took to match SRCNN on Set5 x3, from a training log.

The target is SRCNN's published Set5 x3 PSNR, 32.75 dB (DRCN paper, Table 2; see
``shared/PAPER_NUMBERS.md``). Logs are gathered from:

1. ``drcn_lib/weights/drcn-x3-d16.json``, the sidecar of the shipped weights;
2. ``benchmarks/recipes/*/``: the finished run's sidecar ``model.json`` (``preset``,
   ``val_curve``) or, for a run still going, ``history.json`` with the configuration from its
   ``checkpoint.pt``.

A log whose configuration equals the preset's (all fields but ``name`` and the ``max_minutes``
safety stop) is preferred, then the closest one (the fields that differ are reported). Minutes
are only comparable on one instruction set, so among equally close logs one timed on
``capability`` is preferred (the bench passes the running CPU's: ``AVX2`` under
``--emulate-avx2``), then a finished one. The log's instruction set is reported with it.

"Minutes" are the log's ``seconds`` (training wall time including validation) / 60 at the first
validation whose ensemble PSNR reaches the target.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from drcn_lib.engine.checkpoint import load_checkpoint
from drcn_lib.engine.presets import preset, with_defaults
from drcn_lib.errors import CheckpointError
from drcn_lib.experiments.training_report import first_reaching
from drcn_lib.settings import REPO_ROOT

SRCNN_SET5_X3_DB = 32.75


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _recipe_logs(recipes: Path) -> list[dict[str, Any]]:
    logs = []
    for run in sorted(p for p in recipes.glob("*") if p.is_dir()):
        side = _read_json(run / "model.json")
        if isinstance(side, dict) and "val_curve" in side:
            logs.append({"source": str(run / "model.json"), "config": side.get("preset", {}),
                         "curve": side["val_curve"], "finished": True,
                         "capability": _capability(side)})
            continue
        hist = _read_json(run / "history.json")
        if not isinstance(hist, dict) or not (run / "checkpoint.pt").is_file():
            continue
        try:
            state = load_checkpoint(run / "checkpoint.pt")
        except CheckpointError:
            continue
        logs.append({"source": str(run / "history.json"), "config": state.get("config", {}),
                     "curve": hist.get("val", []), "finished": False,
                     "capability": _capability(state)})
    return logs


def _capability(record: dict[str, Any]) -> str | None:
    """The instruction set a sidecar's or checkpoint's run used (``runtime.cpu_capability``)."""
    runtime = record.get("runtime") or {}
    return runtime.get("cpu_capability") if isinstance(runtime, dict) else None


#: Fields that do not change what a run computes until they stop it: not compared.
NOT_COMPARED = ("name", "max_minutes")


def minutes_to_srcnn(
    repo: Path = REPO_ROOT, target: float = SRCNN_SET5_X3_DB, capability: str | None = None,
    preset_name: str = "cpu",
) -> dict[str, Any]:
    """``{"minutes": float | None, "source": ..., "note": ..., "differs_from_preset": {...},
    "capability": ..., "preset": preset_name}``."""
    want = {k: v for k, v in preset(preset_name).as_dict().items() if k not in NOT_COMPARED}
    shipped = repo / "drcn_lib" / "weights" / "drcn-x3-d16.json"
    side = _read_json(shipped)
    logs: list[dict[str, Any]] = []
    if isinstance(side, dict) and "val_curve" in side:
        logs.append({"source": str(shipped), "config": side.get("preset", {}),
                     "curve": side["val_curve"], "finished": True,
                     "capability": _capability(side)})
    logs += _recipe_logs(repo / "benchmarks" / "recipes")
    if not logs:
        return {"minutes": None, "source": None, "preset": preset_name,
                "note": f"no training log: neither {shipped} nor a benchmarks/recipes/* run"}
    for lg in logs:
        config = with_defaults(lg["config"])
        lg["differs"] = {k: [config.get(k), v] for k, v in want.items() if config.get(k) != v}
    best = min(logs, key=lambda lg: (len(lg["differs"]),
                                     capability is not None and lg["capability"] != capability,
                                     not lg["finished"]))
    rel = str(Path(best["source"]).relative_to(repo)) if best["source"].startswith(str(repo)) \
        else best["source"]
    hit = first_reaching(best["curve"], target)
    differs = ", ".join(f"{k}={a!r} (preset {b!r})" for k, (a, b) in best["differs"].items())
    out: dict[str, Any] = {"minutes": None, "source": rel, "target_db": target,
                           "differs_from_preset": best["differs"],
                           "finished": best["finished"], "capability": best["capability"],
                           "preset": preset_name}
    if hit is None:
        top = max((r.get("psnr", float("-inf")) for r in best["curve"]), default=None)
        state = "finished" if best["finished"] else "still running"
        out["note"] = (f"never reached {target} dB in {len(best['curve'])} validations "
                       f"(best {top:.2f} dB; run {state})" if top is not None else
                       f"no validation in {rel} yet (run {state})")
        if differs:
            out["note"] += f"; log's config differs from the {preset_name} preset: {differs}"
        return out
    out["minutes"] = round(hit["seconds"] / 60, 2)
    out["at_step"] = hit["step"]
    out["psnr"] = hit["psnr"]
    if differs:
        out["note"] = f"log's config differs from the {preset_name} preset: {differs}"
    return out
