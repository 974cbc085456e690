"""The paper's network (256 filters, D = 16) on one GPU: screen, train, measure, ship.

One short, prepared run for a lent GPU (about 10 minutes in all, within a 10-minute command)::

    python benchmarks/gpu_paper_scale.py --out gpu_paper_scale.json --ship shipped/

Stages, each written to ``--out`` as soon as it ends (a run cut short keeps what it measured):

1. ``speed``: patches/s of the ``gpu`` preset's training step (bf16 autocast, channels_last),
   eager and under ``torch.compile``; its FLOP/s (``flops.py``'s count) as a fraction of the
   bf16 matmul peak measured on the same GPU (``train_speed.matmul_peak``).
2. ``screen``: the learning rates of ``SCREEN_LRS``, each a short run of the preset (cosine
   over its own steps), ranked by Set5 x3 PSNR at their end.
3. ``train``: the preset with the best lr, its steps sized from the measured step time to fill
   ``--train-minutes``; minutes to 32.75 dB (SRCNN's Set5 x3) and to 33.82 dB (the paper's
   DRCN), read off its validation curve (wall time, compilation included).
4. ``final``: Set5, Set14 and B100 x3 PSNR/SSIM of the trained model (the sets present);
   with ``--ship``, the weights in bf16 as ``drcn-x3-d16-f256.safetensors`` plus sidecar.

``--tiny`` shrinks everything (4 filters, D = 2, a few steps, one image per set) so the whole
script runs on a CPU in a minute: the test of the code path, never shipped weights.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from flops import drcn_train_step_flops  # noqa: E402
from train_speed import matmul_peak  # noqa: E402

from drcn_lib.engine.checkpoint import save_weights, write_json  # noqa: E402
from drcn_lib.engine.compile import compile_available  # noqa: E402
from drcn_lib.engine.hardware import Runtime, time_steps, training_step_fn  # noqa: E402
from drcn_lib.engine.loop import train  # noqa: E402
from drcn_lib.engine.presets import TrainConfig, preset  # noqa: E402
from drcn_lib.experiments.paper_numbers import SRCNN_SET5_X3, TABLE2  # noqa: E402
from drcn_lib.experiments.scores import load_image_set, score_model  # noqa: E402
from drcn_lib.model.factory import build_model  # noqa: E402

SCREEN_LRS = (2e-4, 5e-4, 1e-3)
TARGETS = {"srcnn": SRCNN_SET5_X3, "paper_drcn": TABLE2["Set5"][3]["DRCN"][0]}
SHIP_NAME = "drcn-x3-d16-f256"
FINAL_SETS = ("Set5", "Set14", "B100")


def config(tiny: bool, device: str) -> TrainConfig:
    """The ``gpu`` preset, or its tiny CPU form (``--tiny``)."""
    cfg = preset("gpu")
    if tiny:
        cfg = replace(cfg, filters=4, recursions=2, batch_size=2, patch=21, stride=21, steps=4,
                      warmup_steps=1, val_every=2, val_images=1, compile="off")
    if device != "cuda":
        cfg = replace(cfg, compile="off")
    return cfg


def measure_speed(cfg: TrainConfig, device: torch.device, reps: int) -> dict[str, Any]:
    """Patches/s of one training step, eager and compiled, and FLOP/s against the bf16 peak."""
    cuda = device.type == "cuda"
    runtime = Runtime(str(device), "bfloat16" if cuda else "float32", channels_last=cuda)
    flops = drcn_train_step_flops(cfg.batch_size, cfg.patch, cfg.patch, cfg.filters,
                                  cfg.recursions)
    peak = matmul_peak(torch.bfloat16 if cuda else torch.float32, device,
                       (4096, 8192) if cuda else (256,))
    modes = ["eager"] + ([] if not cuda or not compile_available()[0]
                         else ["default", "reduce-overhead"])
    out: dict[str, Any] = {"runtime": runtime.as_dict(), "flops_per_step": flops,
                           "peak_flops_per_s": peak["flops_per_s"], "modes": {}}
    for mode in modes:
        torch.manual_seed(0)
        model = build_model(**cfg.model_kwargs())
        if mode != "eager":
            model = torch.compile(model, mode=mode)
        step = training_step_fn(model, runtime, cfg.batch_size, cfg.patch, device)
        t0 = time.perf_counter()
        seconds = time_steps(step, steps=reps, warmup=3, device=device)
        out["modes"][mode] = {
            "s_per_step": seconds, "patches_per_s": cfg.batch_size / seconds,
            "flops_fraction_of_bf16_peak": flops / seconds / peak["flops_per_s"],
            "first_steps_s": round(time.perf_counter() - t0, 1)}  # compile time included
    out["best_mode"] = min(out["modes"], key=lambda m: out["modes"][m]["s_per_step"])
    return out


def crossing_minutes(val: list[dict[str, float]], target: float) -> float | None:
    """Wall minutes of the first validation at or above ``target`` dB; None if never."""
    hit = next((v for v in val if v["psnr"] >= target), None)
    return None if hit is None else round(hit["seconds"] / 60, 2)


def run_screen(cfg: TrainConfig, steps: int, runs: Path, device: str) -> dict[str, Any]:
    """Each lr of ``SCREEN_LRS`` for ``steps`` steps; the best by its final Set5 PSNR."""
    results = {}
    for lr in SCREEN_LRS:
        # eager: three compilations would cost more device time than the screen itself
        c = replace(cfg, lr=lr, steps=steps, warmup_steps=min(cfg.warmup_steps, steps // 4),
                    val_every=max(1, steps // 2), compile="off")
        res = train(c, runs / f"screen-lr{lr:g}", device=device, progress=False,
                    allow_fallback=True, log=lambda _m: None)
        results[f"{lr:g}"] = {"lr": lr, "steps": steps, "final_psnr": res.final_psnr,
                              "seconds": res.history["val"][-1]["seconds"]}
    best = max(results.values(), key=lambda r: r["final_psnr"])
    return {"runs": results, "best_lr": best["lr"]}


def final_scores(model: torch.nn.Module, device: str, limit: int | None) -> dict[str, Any]:
    """PSNR/SSIM of the ensemble at x3 on each set present (fallback images are marked)."""
    scores = {}
    for name in FINAL_SETS:
        try:
            images = load_image_set(name, limit, fallback=limit is not None)
        except Exception as exc:  # a set absent on the GPU machine: say so, go on
            scores[name] = {"error": str(exc).splitlines()[0]}
            continue
        psnr, ssim = score_model(model, images, 3, device, intermediates=False).ensemble
        scores[name] = {"psnr": psnr, "ssim": ssim, "images": len(images.images),
                        "complete": images.complete,
                        "paper_drcn": TABLE2[name][3]["DRCN"][0]}
    return scores


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="JSON file of the measurements")
    ap.add_argument("--runs", type=Path, default=Path("runs/gpu-paper-scale"))
    ap.add_argument("--ship", type=Path, default=None, help="folder for the bf16 weights")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--train-minutes", type=float, default=6.0)
    ap.add_argument("--screen-steps", type=int, default=600, help="steps of each screen run")
    ap.add_argument("--tiny", action="store_true", help="CPU test of the code path")
    args = ap.parse_args(argv)
    cfg = config(args.tiny, args.device)
    result: dict[str, Any] = {"device": args.device, "tiny": args.tiny,
                              "gpu": torch.cuda.get_device_name() if args.device == "cuda"
                              else None, "preset": cfg.as_dict(), "targets": TARGETS}

    def save(stage: str, value: Any) -> None:
        result[stage] = value
        write_json(args.out, result)
        print(f"{stage}: {json.dumps(value)[:400]}", flush=True)

    speed = measure_speed(cfg, torch.device(args.device), reps=3 if args.tiny else 20)
    save("speed", speed)
    compiled = speed["best_mode"] != "eager"
    cfg = replace(cfg, compile="cuda" if compiled else "off",
                  compile_mode=speed["best_mode"] if compiled else cfg.compile_mode)
    screen = run_screen(cfg, 2 if args.tiny else args.screen_steps, args.runs, args.device)
    save("screen", screen)
    step_s = speed["modes"][speed["best_mode"]]["s_per_step"]
    steps = cfg.steps if args.tiny else int(args.train_minutes * 60 / step_s * 0.9)
    cfg = replace(cfg, lr=screen["best_lr"], steps=steps)
    res = train(cfg, args.runs / "train", device=args.device, progress=False,
                allow_fallback=args.tiny)
    val = res.history["val"]
    save("train", {"steps": steps, "lr": cfg.lr, "final_set5_psnr": res.final_psnr,
                   "minutes": round(val[-1]["seconds"] / 60, 2) if val else None,
                   **{f"minutes_to_{k}": crossing_minutes(val, t) for k, t in TARGETS.items()},
                   "val": val, "weights": str(res.weights)})
    from drcn_lib.engine.checkpoint import load_weights

    model, sidecar = load_weights(res.weights, device=args.device)
    save("final", final_scores(model, args.device, 1 if args.tiny else None))
    if args.ship is not None and not args.tiny:
        args.ship.mkdir(parents=True, exist_ok=True)
        save_weights(args.ship / f"{SHIP_NAME}.safetensors", model.to(torch.bfloat16).cpu(),
                     sidecar)
        save("shipped", str(args.ship / f"{SHIP_NAME}.safetensors"))
    return result


if __name__ == "__main__":
    main()
