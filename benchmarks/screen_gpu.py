"""Screen variants of the `cpu` preset side by side on a GPU, several seeds each.

Why: on a CPU one 10,000-step run of the `cpu` preset takes 11 minutes with bf16 and over 45
on the AVX2 path, and the step at which a run first passes 32.75 dB moves by a validation or
two between seeds, so comparing recipes there one run at a time says little. On an H100 the
same run takes under a minute, and a dozen fit side by side. What carries over to a CPU is
the PSNR at each step, not the GPU's minutes: the minutes a step costs on a CPU are measured
there (benchmarks/NOTES.md) and applied to these curves.

Usage::

    python benchmarks/screen_gpu.py --out screen.json base:0,1,2 lr2e-3:0,1,2 b32:0,1

writes ``{"runs": [{"variant", "seed", "overrides", "val": [...]}, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Overrides of the `cpu` preset; each keeps the patches seen per validation (4000) and in all
#: (160,000) equal to the preset's, so that only the named choice moves.
VARIANTS: dict[str, dict[str, object]] = {
    "base": {},
    "lr2e-3": {"lr": 2e-3},
    "lr5e-4": {"lr": 5e-4},
    "b8": {"batch_size": 8, "steps": 20000, "val_every": 500},
    "b32": {"batch_size": 32, "steps": 5000, "val_every": 125},
    "p31": {"patch": 31, "stride": 16},
    "grow0.3": {"grow_fraction": 0.3},
    "noclip": {"grad_clip": None},
    "p31-lr2e-3": {"patch": 31, "stride": 16, "lr": 2e-3},
}


def command(variant: str, seed: int, out: Path, device: str, max_minutes: float) -> list[str]:
    cmd = [sys.executable, "-m", "drcn_lib.cli", "train", "--preset", "cpu", "--device", device,
           "--no-fallback", "--no-progress", "--out", str(out),
           "--set", f"seed={seed}", "--set", f"max_minutes={max_minutes}"]
    for key, value in VARIANTS[variant].items():
        cmd += ["--set", f"{key}={value}"]
    return cmd


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", help="VARIANT:SEED[,SEED...], VARIANT one of "
                    + ", ".join(VARIANTS))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--max-minutes", type=float, default=4.0, help="stop for each run")
    args = ap.parse_args(argv)
    todo = [(v, int(s)) for spec in args.runs for v, seeds in [spec.split(":")]
            for s in seeds.split(",")]
    unknown = sorted({v for v, _ in todo} - set(VARIANTS))
    if unknown:
        ap.error(f"unknown variants {unknown}")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="drcn-screen-") as tmp:
        procs = []
        for v, s in todo:
            out = Path(tmp) / f"{v}-{s}"
            log = open(Path(tmp) / f"{v}-{s}.log", "w")  # noqa: SIM115 - closed below
            procs.append((v, s, out, log, subprocess.Popen(
                command(v, s, out, args.device, args.max_minutes), stdout=log,
                stderr=subprocess.STDOUT, env=env)))
            time.sleep(2)  # the first one builds the patch cache for the others
        runs = []
        for v, s, out, log, proc in procs:
            rc = proc.wait()
            log.close()
            hist = out / "history.json"
            val = json.loads(hist.read_text())["val"] if hist.is_file() else []
            tail = (Path(tmp) / f"{v}-{s}.log").read_text().splitlines()[-3:]
            runs.append({"variant": v, "seed": s, "overrides": VARIANTS[v], "rc": rc,
                         "val": val, "log_tail": tail})
            best = max((r["psnr"] for r in val), default=float("nan"))
            print(f"{v} seed {s}: rc {rc}, {len(val)} validations, best {best:.3f} dB",
                  flush=True)
    args.out.write_text(json.dumps({"runs": runs}, indent=1) + "\n")


if __name__ == "__main__":
    main()
