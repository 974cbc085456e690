"""``make bench``: how fast the course trains and how lean it upscales, on this machine.

Usage::

    python benchmarks/bench.py            # full: ~20 min on 2 CPU cores, writes results.json
    python benchmarks/bench.py --quick    # minutes, smaller settings, writes results-quick.json
    python benchmarks/bench.py --emulate-avx2 --only train   # an AVX2-only CPU, emulated here

One run prints one table and writes the JSON results (atomically): training throughput of our
step versus the public-code-style reference (``reference_drcn.py``) for the ``cpu`` preset model
and the paper's 256-filter model, achieved FLOP/s against the measured matmul peak, the runtime
chosen, inference time and peak memory tiled versus untiled, and the minutes the ``cpu`` preset
took to match SRCNN on Set5 x3. With CUDA present the training and inference rows are repeated
on the GPU. See ``benchmarks/README.md`` for what each number means.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from infer_memory import child_main, infer_case
from train_log import minutes_to_srcnn
from train_speed import apply_peaks, reference_matches, train_case

from drcn_lib.atomic import write_json
from drcn_lib.engine.presets import preset
from drcn_lib.engine.provenance import git_commit, hardware

HERE = Path(__file__).resolve().parent  # on sys.path when run as a script
FLOPS_GOAL = 0.85
TILED_MIB_GOAL = 4096
BUSY_LOAD = 1.0  # 1-minute load average at start above which timings are flagged
#: What ``--emulate-avx2`` sets before torch starts: ATen's vectorised kernels, oneDNN (the
#: convolutions) and MKL (the matmul peak) limited to AVX2, so bf16 is reported unsupported and
#: the engine's probe sees what it would see on an AVX2-only CPU. Clock, caches and memory stay
#: this machine's: an estimate of such a CPU, not a measurement of one.
AVX2_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
            "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def settings(args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """Batch sizes, step counts and image size for this mode and device."""
    cuda = device.type == "cuda"
    quick = args.quick
    s: dict[str, Any] = {
        "cpu_batch": preset("cpu").batch_size,  # the cpu preset's own batch
        # the paper's batch is 64; on a CPU one step of the reference would take a minute
        "paper_batch": args.paper_batch or (64 if cuda else (2 if quick else 16)),
        "warmup": 3 if cuda else 1,
        "steps": args.steps or (10 if cuda else (2 if quick else 4)),
        "peak_sizes": (4096, 8192) if cuda else ((2048,) if quick else (2048, 4096)),
        "infer_size": args.infer_size or ((510, 339) if quick else (2040, 1356)),
    }
    return s


def run_device(args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    st = settings(args, device)
    out: dict[str, Any] = {"device": str(device), "settings": st, "train": {}, "infer": None}
    if device.type == "cuda":
        out["gpu"] = {"name": torch.cuda.get_device_name(device),
                      "memory_gib": round(torch.cuda.get_device_properties(device).total_memory
                                          / 2**30, 1),
                      "capability": ".".join(map(str, torch.cuda.get_device_capability(device))),
                      "cuda": torch.version.cuda}
    if args.only in (None, "train"):
        peaks: dict[str, dict[str, Any]] = {}
        cpu = preset("cpu")
        paper = preset("paper")
        cases = [("cpu preset", cpu, st["cpu_batch"]), ("paper", paper, st["paper_batch"])]
        for key, cfg, batch in cases:
            out["train"][key] = train_case(key, cfg, batch, device, st["warmup"], st["steps"],
                                           peaks, st["peak_sizes"])
        for case in out["train"].values():  # against the best peak of the whole run
            apply_peaks(case, peaks)
        out["matmul_peaks"] = peaks
    if args.only in (None, "infer"):
        w, h = st["infer_size"]
        out["infer"] = infer_case(HERE / "bench.py", device, w, h, tile=args.tile,
                                  dtype=args.infer_dtype, force=args.force_untiled)
    return out


def keep_infer(res: dict[str, Any], earlier: Path) -> None:
    """Put the inference part of ``earlier`` (a results file of the same CPU model) into
    ``res``, each device's marked ``kept_from`` with that run's commit and date: inference
    runs the paper's model, so a change of the training presets leaves it as it was."""
    old = json.loads(earlier.read_text())
    then = {k: old.get("machine", {}).get(k) for k in ("cpu", "cpu_capability", "cores")}
    now = {k: res["machine"].get(k) for k in then}
    if then != now:
        raise SystemExit(f"{earlier} was measured on {then}, not on this {now}: run the "
                         "inference part here")
    for dev, part in res["devices"].items():
        inf = old.get("devices", {}).get(dev, {}).get("infer")
        if inf:  # a part that was itself kept names the run that measured it
            part["infer"] = {**inf, "kept_from": inf.get("kept_from") or {
                "file": earlier.name, "git_commit": old.get("git_commit"),
                "created": old.get("created")}}


def _g(flops: float) -> str:
    return f"{flops / 1e9:,.0f} GFLOP/s" if flops < 1e12 else f"{flops / 1e12:,.1f} TFLOP/s"


def _finite_note(finite: dict[str, bool]) -> str:
    bad = [k for k, ok in finite.items() if not ok]
    return f"WARNING: loss became non-finite ({', '.join(bad)})" if bad else ""


def table_rows(res: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(device, measurement, value, goal / note) rows of the one printed table."""
    rows: list[tuple[str, str, str, str]] = []
    for dev_name, dev in res["devices"].items():
        for key, c in dev["train"].items():
            rt = c["runtime"]
            m = c["model"]
            what = f"train {key} (F={m['filters']} D={m['recursions']}, batch {c['batch']})"
            layout = "channels_last" if rt["channels_last"] else "NCHW"
            rows += [
                (dev_name, what + ": ours",
                 f"{c['patches_per_s']['ours']:.1f} patches/s",
                 f"{rt['dtype']}, {layout}, recon {rt['recon_strategy']}"),
                (dev_name, "  reference (fp32, NCHW, f3 in a loop)",
                 f"{c['patches_per_s']['reference']:.1f} patches/s", ""),
                (dev_name, "  speedup ours / reference", f"{c['speedup_vs_reference']:.2f}x",
                 _finite_note(c["losses_finite"])),
                (dev_name, f"  ours FLOP/s / {c['peak_dtype']} matmul peak",
                 f"{c['flops_fraction_of_peak']:.2f}",
                 f"{_g(c['flops_per_s']['ours'])} of {_g(c['peak_flops_per_s'])}; "
                 f"goal >= {FLOPS_GOAL}"),
                (dev_name, "  its convolutions timed alone / matmul peak",
                 f"{c['kernel_ceiling_fraction_of_peak']:.2f}",
                 f"the kernel ceiling; ours runs at "
                 f"{c['ours_fraction_of_kernel_ceiling']:.2f} of its speed"),
            ]
        inf = dev.get("infer")
        if inf:
            what = f"upscale {inf['size']} x4 (F=256 D=16, {inf['dtype']})"
            if "kept_from" in inf:
                kept = inf["kept_from"]
                what += f" [kept from {str(kept['git_commit'])[:7]}, {str(kept['created'])[:10]}]"
            for name in ("untiled", "tiled"):
                r = inf[name]
                label = f"{what}: {name}" if name == "untiled" else \
                    f"  tiled ({inf['tile']} px, margin {inf['margin']})"
                if "error" in r:
                    rows.append((dev_name, label, "failed", r["error"]))
                    continue
                mem = f"{r['peak_rss_mib']:,.0f} MiB RSS"
                if "peak_cuda_mib" in r:
                    mem += f", {r['peak_cuda_mib']:,.0f} MiB CUDA"
                goal = f"goal <= {TILED_MIB_GOAL} MiB" if name == "tiled" else ""
                rows.append((dev_name, label, f"{r['seconds']:.1f} s, {mem}", goal))
            diff = inf["max_abs_diff_0_255"]
            rows.append((dev_name, "  max |tiled - untiled| (0-255)",
                         "n/a" if diff is None else f"{diff:.3g}", "goal: 0 (identical)"))
    log = res.get("train_log")
    if log:
        rows.append(("-", "cpu preset: minutes to SRCNN Set5 x3 "
                          f"({log.get('target_db', 32.75)} dB)",
                     "n/a" if log["minutes"] is None else
                     f"{log['minutes']:.1f} min (a log timed on {log.get('capability') or '?'})",
                     log.get("note") or (log.get("source") or "")))
        if log.get("minutes_at_this_speed") is not None:
            rows.append(("-", f"  the same {log['at_step']} steps at this run's cpu-preset "
                              "speed", f"{log['minutes_at_this_speed']:.1f} min",
                         "estimate: compute only, no validation; every step at full depth"))
    return rows


def estimate_minutes_at_this_speed(res: dict[str, Any], primary: str) -> None:
    """Add to ``res["train_log"]`` the minutes the shipped run's steps up to 32.75 dB would take
    at the cpu-preset throughput measured in this run (compute only: no validation, no data
    loading). This is how the emulated AVX2 run turns a speed into minutes to quality."""
    log, case = res["train_log"], res["devices"][primary]["train"].get("cpu preset")
    if not case or log.get("at_step") is None:
        return
    pps = case["patches_per_s"]["ours"]
    log["minutes_at_this_speed"] = round(log["at_step"] * case["batch"] / pps / 60, 1)


def print_table(res: dict[str, Any]) -> None:
    m = res["machine"]
    gpu = f", GPU {m['gpu']}" if m.get("gpu") else ""
    emulated = " (EMULATED: torch, oneDNN and MKL limited to AVX2)" if m.get("emulated") else ""
    print(f"\nDRCN benchmark ({res['mode']}): {m['cpu']}, {m['cpu_capability']}{emulated}, "
          f"{m['torch_threads']} threads, torch {m['torch']}{gpu}; "
          f"load average at start {m['load_average_at_start']}")
    if m["load_average_at_start"][0] >= BUSY_LOAD:
        print(f"WARNING: the machine was busy when the run started (load average "
              f"{m['load_average_at_start'][0]} on {m['cores']} cores): other processes share "
              f"the CPU, so the speeds below are lower and noisier than this machine can do")
    rows = [("device", "measurement", "value", "goal / note"), *table_rows(res)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for i, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
        if i == 0:
            print("  ".join("-" * w for w in widths) + "  " + "-" * 11)


def summary(res: dict[str, Any], primary: str) -> dict[str, Any]:
    """The top-level keys of results.json (benchmarks/README.md), from the primary device's
    cpu-preset case."""
    dev = res["devices"][primary]
    machine = res["machine"]
    out: dict[str, Any] = {
        "primary_device": primary,
        "cpu_capability": machine["cpu_capability"],
        "machine_busy_at_start": machine["load_average_at_start"][0] >= BUSY_LOAD,
        "minutes_to_srcnn_set5_x3": res["train_log"]["minutes"],
        "minutes_to_srcnn_set5_x3_at_this_speed": res["train_log"].get("minutes_at_this_speed"),
        "minutes_to_srcnn_set5_x3_log_capability": res["train_log"].get("capability"),
    }
    if machine.get("emulated"):
        out["emulated_isa"] = machine["emulated"]["isa"]
    c = dev["train"].get("cpu preset")
    if c:
        out |= {"train_speedup_vs_reference": c["speedup_vs_reference"],
                "train_flops_fraction_of_peak": c["flops_fraction_of_peak"],
                "train_conv_kernels_fraction_of_peak": c["kernel_ceiling_fraction_of_peak"],
                "train_fraction_of_conv_kernels": c["ours_fraction_of_kernel_ceiling"],
                "train_dtype": c["runtime"]["dtype"],
                "train_channels_last": c["runtime"]["channels_last"],
                "train_recon_strategy": c["runtime"]["recon_strategy"],
                "train_patches_per_s": c["patches_per_s"]["ours"]}
    p = dev["train"].get("paper")
    if p:
        out |= {"train_speedup_vs_reference_paper_model": p["speedup_vs_reference"],
                "train_flops_fraction_of_peak_paper_model": p["flops_fraction_of_peak"],
                "train_conv_kernels_fraction_of_peak_paper_model":
                    p["kernel_ceiling_fraction_of_peak"],
                "train_dtype_paper_model": p["runtime"]["dtype"]}
    inf = dev.get("infer")
    if inf:
        out |= {"infer_size": inf["size"],
                "infer_peak_mib_tiled": inf["tiled"].get("peak_rss_mib"),
                "infer_peak_mib_untiled": inf["untiled"].get("peak_rss_mib"),
                "infer_seconds_tiled": inf["tiled"].get("seconds"),
                "infer_seconds_untiled": inf["untiled"].get("seconds"),
                "infer_tiled_identical": inf["identical"]}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="small settings (paper model batch 2, 510x339 image), a few minutes")
    ap.add_argument("--out", type=Path, default=None,
                    help="results file (default benchmarks/results.json, "
                         "results-quick.json with --quick)")
    ap.add_argument("--only", choices=("train", "infer"), default=None,
                    help="run only one part (the other is left out of the results)")
    ap.add_argument("--keep-infer", type=Path, default=None, metavar="RESULTS_JSON",
                    help="with --only train: copy the inference part of an earlier results "
                         "file of the same CPU (it does not depend on the presets), marked "
                         "with that run's commit and date")
    ap.add_argument("--paper-batch", type=int, default=None,
                    help="batch of the 256-filter model (default 64 on CUDA, 16 on CPU)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps per side")
    ap.add_argument("--infer-size", type=lambda s: tuple(int(v) for v in s.split("x")),
                    default=None, metavar="WxH", help="output image size (default 2040x1356)")
    ap.add_argument("--tile", type=int, default=None, help="tile size (default ~ long side / 3)")
    ap.add_argument("--infer-dtype", choices=("float32", "bfloat16"), default="float32",
                    help="float32 is what predict_y does; bfloat16 runs it under autocast")
    ap.add_argument("--force-untiled", action="store_true",
                    help="run the untiled case even if it looks larger than the free memory")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads (default: torch's own choice, as train() uses)")
    ap.add_argument("--device", choices=("all", "cpu", "cuda"), default="all",
                    help="which devices to measure (default: the CPU, and CUDA when present); "
                         "'cuda' skips the CPU part, which takes long on a GPU machine's CPU")
    ap.add_argument("--infer-child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--emulate-avx2", action="store_true",
                    help="limit torch, oneDNN and MKL to AVX2 (an AVX2-only CPU, emulated); "
                         "writes results-avx2-emulated.json by default")
    args = ap.parse_args(argv)
    if args.keep_infer and args.only != "train":
        ap.error("--keep-infer goes with --only train")
    if args.emulate_avx2 and any(os.environ.get(k) != v for k, v in AVX2_ENV.items()):
        # The limits act only when set before torch is loaded: start afresh with them.
        argv = sys.argv[1:] if argv is None else argv
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *argv],
                  {**os.environ, **AVX2_ENV})
    if args.infer_child:  # one inference case, started by infer_memory.infer_case
        child_main(args.infer_child)
        return {}
    if args.threads:
        torch.set_num_threads(args.threads)
    default_name = "results-avx2-emulated.json" if args.emulate_avx2 else \
        ("results-quick.json" if args.quick else "results.json")
    out_path = args.out or HERE / default_name

    machine = {**hardware(), "load_average_at_start": [round(v, 2) for v in os.getloadavg()]}
    if args.emulate_avx2:
        machine["emulated"] = {"isa": "AVX2", "env": AVX2_ENV,
                               "bf16_supported": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())}
    diff = reference_matches(filters=8, recursions=3)
    if diff > 1e-5:
        raise SystemExit(f"reference_drcn.py does not compute DRCN (max |diff| {diff}); fix it")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device here")
    devices = [torch.device("cpu")] if args.device in ("all", "cpu") else []
    if torch.cuda.is_available() and args.device in ("all", "cuda"):
        devices.append(torch.device("cuda"))
    res: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git_commit(), "machine": machine,
        "reference_matches_drcn_max_abs_diff": diff,
        "devices": {},
    }
    for dev in devices:
        print(f"== {dev} ==", flush=True)
        res["devices"][dev.type] = run_device(args, dev)
    primary = devices[-1].type  # what train() picks: CUDA when present
    if args.keep_infer:
        keep_infer(res, args.keep_infer)
    res["train_log"] = minutes_to_srcnn(capability=machine["cpu_capability"])
    estimate_minutes_at_this_speed(res, primary)
    machine["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    res = {**summary(res, primary), **res}
    write_json(out_path, res)
    print_table(res)
    print(f"\nwrote {out_path}")
    return res


if __name__ == "__main__":
    main()
