"""Reproduce the paper's results with our own weights: train them, then measure and report.

    drcn reproduce --train --weights-dir drcn_lib/weights   # train every model not shipped yet
    drcn reproduce [--out results/]     # studies -> results/RESULTS.md + figures

(``drcn_lib/cli.py`` parses those options; this module is plain functions with keyword
arguments: :func:`reproduce`, :func:`train_missing`, :func:`run_studies`.)

``--train`` trains the models of :data:`drcn_lib.pretrained.REGISTRY` one at a time with the
``cpu`` preset (:func:`drcn_lib.engine.train`) into ``runs/<name>`` (``DRCN_RUNS`` moves it),
resuming a killed run, and ships each as ``<weights-dir>/<name>.safetensors`` + ``.json`` (the
engine's sidecar: command,
preset, git commit, wall time, hardware, validation curve). ``srcnn-x3`` gets the same wall-clock
budget as ``drcn-x3-d16`` (that sidecar's ``wall_seconds``, as the config's ``max_minutes``); so
that its cosine schedule ends when its time does, a short timed probe first sizes its ``steps``
(kept in ``runs/srcnn-x3/plan.json``). On the 2-core CPU that trained the shipped weights
(bf16 on AVX-512 + AMX) drcn-x3-d16 took 14 minutes with the 10,000-step ``cpu`` preset and
SRCNN the same; the seven models together took about 78 minutes there (each sidecar, and the
training-cost table of RESULTS.md, holds the measured time). On a GPU the same command trains
there by itself (``--device cuda`` to insist), and under ``torchrun --nproc_per_node N -m
drcn_lib.cli reproduce --train ...`` each DRCN model trains data-parallel (SRCNN's timing plan
is made on one process).

Without ``--train`` it runs the three studies of lessons 09-11
(:mod:`drcn_lib.experiments.studies`) on the
shipped weights, checks the claims (:mod:`drcn_lib.experiments.claims`) and writes into ``--out``:
``depth.png``, ``ensemble.png``, ``benchmark_x{2,3,4}.png``, ``results.json`` (every record) and
``RESULTS.md`` (our numbers beside the paper's, labelled). Missing weights are listed with the
command that trains them; nothing is faked.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from drcn_lib.atomic import atomic_write, write_json
from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import TrainConfig, preset, with_defaults
from drcn_lib.errors import DRCNError
from drcn_lib.pretrained import REGISTRY, WEIGHTS_DIR, PretrainedSpec
from drcn_lib.runs.load_or_train import finished_result, runs_root
from drcn_lib.settings import REPO_ROOT

RESULTS_DIR = REPO_ROOT / "results"  # the report committed with the checkout (lesson 11 reads it)
SRCNN_BUDGET_FROM = "drcn-x3-d16"
PLAN_FILE = "plan.json"
PROBE_STEPS = 50
Log = Callable[[str], None]


def train_config(spec: PretrainedSpec, base: TrainConfig | None = None) -> TrainConfig:
    """The configuration registry model ``spec`` trains with: its preset at its scale and D."""
    base = base if base is not None else preset(spec.preset)
    if spec.arch == "srcnn":
        return replace(base, arch="srcnn", scale=spec.scale)
    return replace(base, arch="drcn", scale=spec.scale, recursions=int(spec.recursions or 16))


def budget_seconds(runs: Path, weights_dir: Path) -> float:
    """Wall time (s) of ``drcn-x3-d16`` from its shipped sidecar, else from its finished run."""
    for sidecar in (weights_dir / f"{SRCNN_BUDGET_FROM}.json",
                    runs / SRCNN_BUDGET_FROM / "model.json"):
        if sidecar.is_file():
            data = json.loads(sidecar.read_text())
            if "wall_seconds" in data:
                return float(data["wall_seconds"])
    raise DRCNError(
        f"srcnn-x3 trains for the wall time of {SRCNN_BUDGET_FROM}, whose sidecar is in neither "
        f"{weights_dir} nor {runs / SRCNN_BUDGET_FROM}; train it first: drcn "
        f"reproduce --train --only {SRCNN_BUDGET_FROM}")


def srcnn_plan(cfg: TrainConfig, budget_s: float, runs: Path, log: Log,
               probe_steps: int | None = None, **train_kwargs: Any) -> dict[str, float]:
    """Steps and ``max_minutes`` for SRCNN to train ``budget_s`` seconds; made once, kept.

    A probe run of ``probe_steps`` steps (default :data:`PROBE_STEPS`; one validation
    included) measures seconds per step; ``steps = budget / that``, and ``max_minutes =
    budget / 60`` stops the run at the budget in any case. The plan is saved in
    ``runs/srcnn-x3/plan.json`` so a resumed run keeps it.
    """
    probe_steps = probe_steps or PROBE_STEPS
    plan_file = runs / "srcnn-x3" / PLAN_FILE
    if plan_file.is_file():
        return json.loads(plan_file.read_text())
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # each rank would time its own plan
        raise DRCNError("srcnn-x3's plan is timed on one process: run drcn reproduce --train "
                        "--only srcnn-x3 without torchrun")
    probe_dir = runs / "srcnn-x3-probe"
    shutil.rmtree(probe_dir, ignore_errors=True)
    probe_cfg = replace(cfg, steps=probe_steps, val_every=probe_steps, max_minutes=None)
    log(f"srcnn-x3: timing {probe_steps} probe steps to fit its schedule into "
        f"{budget_s / 60:.1f} min")
    result = train(probe_cfg, probe_dir, progress=False, log=lambda _m: None, **train_kwargs)
    per_step = result.history["val"][-1]["seconds"] / probe_steps
    shutil.rmtree(probe_dir, ignore_errors=True)
    plan = {"budget_seconds": budget_s, "probe_steps": probe_steps,
            "seconds_per_step": per_step, "steps": max(int(budget_s / per_step), probe_steps),
            "max_minutes": budget_s / 60.0}
    write_json(plan_file, plan)
    return plan


def ship(name: str, runs: Path, weights_dir: Path) -> Path:
    """Copy ``runs/<name>/`` ``model.safetensors``, ``model.json`` (the sidecar) and
    ``history.json`` (the training curve) to ``weights_dir/<name>.safetensors``, ``.json`` and
    ``.history.json``."""
    src = runs / name / "model.safetensors"
    if not src.is_file():
        raise DRCNError(f"{src} does not exist: the run of {name} has not finished")
    dst = weights_dir / f"{name}.safetensors"
    pairs = [(src, dst), (src.with_suffix(".json"), dst.with_suffix(".json"))]
    if (runs / name / "history.json").is_file():
        pairs.append((runs / name / "history.json", weights_dir / f"{name}.history.json"))
    for a, b in pairs:
        atomic_write(b, lambda tmp, a=a: shutil.copyfile(a, tmp))
    return dst


def _is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def train_one(name: str, runs: Path, weights_dir: Path, base: TrainConfig | None, log: Log,
              progress: bool, **train_kwargs: Any) -> Path:
    """Train (or resume, or reuse the finished run of) registry model ``name``, then ship it."""
    spec = REGISTRY[name]
    cfg = train_config(spec, base)
    if spec.arch == "srcnn":
        plan = srcnn_plan(cfg, budget_seconds(runs, weights_dir), runs, log, **train_kwargs)
        cfg = replace(cfg, steps=int(plan["steps"]), max_minutes=float(plan["max_minutes"]))
    out = runs / name
    finished = finished_result(out)
    done = finished.sidecar if finished is not None else {}
    if done and with_defaults(done.get("preset", {})) != cfg.as_dict():
        raise DRCNError(f"{out} holds a finished run of another configuration; move it away to "
                        f"retrain {name} (differences: {_diff(done.get('preset', {}), cfg)})")
    if not done:
        log(f"{name}: training ({cfg.steps} steps"
            + (f", at most {cfg.max_minutes:.1f} min" if cfg.max_minutes else "") + f") in {out}")
        command = (f"drcn reproduce --train --only {name}  (= drcn train "
                   f"{' '.join(spec.train_args())} --out runs/{name} --resume --no-fallback"
                   + (f" --steps {cfg.steps} --set max_minutes={cfg.max_minutes}"
                      if cfg.max_minutes else "") + ")")
        # shipped weights never train on the scikit-image stand-ins (tests may allow them)
        train(cfg, out, resume=True, progress=progress, log=log, command=command,
              **{"allow_fallback": False, **train_kwargs})
    if not _is_main():
        return weights_dir / f"{name}.safetensors"
    path = ship(name, runs, weights_dir)
    log(f"{name}: shipped {path}")
    return path


def _diff(recorded: dict[str, Any], cfg: TrainConfig) -> dict[str, Any]:
    now = cfg.as_dict()
    return {k: (recorded.get(k), v) for k, v in now.items() if recorded.get(k) != v}


def train_missing(
    names: Sequence[str] | None = None,
    force: bool = False,
    runs: Path | None = None,
    weights_dir: Path = WEIGHTS_DIR,
    base: TrainConfig | None = None,
    log: Log = print,
    progress: bool = True,
    **train_kwargs: Any,
) -> list[str]:
    """Train and ship, one at a time, every registry model (or those in ``names``) whose
    weights are not in ``weights_dir`` (all of them with ``force``); returns the names shipped.
    Runs go to ``runs/<name>`` (default :func:`drcn_lib.runs.load_or_train.runs_root`).

    ``base`` replaces each model's preset (tests pass ``preset("smoke")``); ``train_kwargs`` go
    to :func:`drcn_lib.engine.train` (``device``, ``dtype``, ...). ``drcn-x3-d16`` is trained
    before ``srcnn-x3``, whose budget it sets.
    """
    runs = Path(runs) if runs is not None else runs_root()
    names = list(names) if names else list(REGISTRY)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise DRCNError(f"unknown model(s) {unknown}; the registry holds {list(REGISTRY)}")
    order = [n for n in REGISTRY if n in names]  # registry order: d16 before srcnn
    todo = [n for n in order if force or not (weights_dir / f"{n}.safetensors").is_file()]
    for name in (n for n in order if n not in todo):
        log(f"{name}: already shipped ({weights_dir / name}.safetensors); --force retrains it")
    for name in todo:
        train_one(name, Path(runs), Path(weights_dir), base, log, progress, **train_kwargs)
    return todo


@dataclass
class Reproduction:
    """Everything ``reproduce`` measured, and where it wrote it."""

    out: Path
    results: dict[str, Any]
    markdown: str


def run_studies(
    out: Path,
    models: Any = None,
    sets: Sequence[str] | None = None,
    limit: int | None = None,
    fallback: bool = False,
    device: str = "cpu",
    cache: Any = None,
    log: Log = print,
    command: str = "drcn reproduce",
) -> Reproduction:
    """Run the depth, ensemble and benchmark studies, check the claims, write the report."""
    from drcn_lib.engine.provenance import git_commit, hardware
    from drcn_lib.experiments import claims
    from drcn_lib.experiments import studies as st
    from drcn_lib.experiments.report import results_markdown, save_figures
    from drcn_lib.runs.study_models import ALL_NAMES, shipped_models

    commit = git_commit()  # before this run rewrites the tracked files in results/ (no "+dirty")
    if models is None:  # the CPU family, and the 256-filter one where its weights are present
        models = {**shipped_models(ALL_NAMES, device=device),
                  **st.paper_scale_models(device=device, log=None)}
    common = {"limit": limit, "fallback": fallback, "device": device, "cache": cache,
              "progress": log}
    log("recursion depth study (Set5 x3) ...")
    depth = st.recursion_depth_study(models, **common)
    log("single outputs versus the ensemble (Set5 x2, x3, x4) ...")
    ens = st.ensemble_study(models, **common)
    log("benchmark study ...")
    bench = st.benchmark_study(models, sets=sets, **common)
    verdicts = claims.check_all(depth, ens, bench)
    out.mkdir(parents=True, exist_ok=True)
    figures = save_figures(out, depth, ens, bench)
    results = {
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": commit, "hardware": hardware(),
        "command": command,
        "depth": depth.as_dict(), "ensemble": ens.as_dict(), "benchmark": bench.as_dict(),
        "claims": [{"claim": v.claim, "status": v.status, "detail": v.detail}
                   for v in verdicts],
        "figures": figures,
    }
    write_json(out / "results.json", results)
    markdown = results_markdown(results, depth, ens, bench, verdicts, models)
    atomic_write(out / "RESULTS.md", lambda tmp: tmp.write_text(markdown))
    log(claims.verdict_lines(verdicts))
    log(f"wrote {out / 'RESULTS.md'}, results.json and {len(figures)} figures")
    return Reproduction(out, results, markdown)


def reproduce(
    train: bool = False,
    only: Sequence[str] | None = None,
    force: bool = False,
    runs: Path | None = None,
    weights_dir: Path | None = None,
    out: Path = Path("results"),
    device: str = "auto",
    sets: Sequence[str] | None = None,
    limit: int | None = None,
    fallback: bool = False,
    stand_ins: bool = False,
    cache: bool = True,
    log: Log = print,
    command: str = "drcn reproduce",
) -> int:
    """What ``drcn reproduce`` does (``command``: how it was invoked, for the report).

    ``train=True``: :func:`train_missing` (``only``, ``force``) into ``runs`` (default
    :func:`drcn_lib.runs.load_or_train.runs_root`), shipping into ``weights_dir``, which must be
    named: the library never writes into its own package folder (``make weights`` passes
    ``drcn_lib/weights`` of the checkout). Otherwise :func:`run_studies` into ``out`` on the
    shipped weights (``stand_ins``: tiny untrained models, to test the pipeline only).
    Returns the exit code (0).
    """
    from drcn_lib.engine.hardware import pick_device

    if train:
        if weights_dir is None:
            raise DRCNError("--train ships the weights it trains: name the folder with "
                            "--weights-dir (in a checkout: --weights-dir drcn_lib/weights)")
        train_missing(only, force=force, runs=runs, weights_dir=weights_dir, log=log,
                      device=device)
        log("done; now run: drcn reproduce   (studies and RESULTS.md)")
        return 0
    if only or force:
        raise DRCNError("--only and --force only apply with --train")
    from drcn_lib.experiments.scores import ScoreCache
    from drcn_lib.runs.study_models import ALL_NAMES, stand_in_models

    models = stand_in_models(ALL_NAMES) if stand_ins else None
    run_studies(Path(out), models=models, sets=sets, limit=limit, fallback=fallback,
                device=str(pick_device(device)), cache=ScoreCache(enabled=cache), log=log,
                command=command)
    return 0
