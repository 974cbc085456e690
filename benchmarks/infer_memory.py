"""Seconds and peak memory of upscaling one large image, tiled versus untiled.

Each case runs in its own child process (``python bench.py --infer-child SPEC``) so that its
peak resident memory (the child's own high-water mark, see :func:`_peak_rss_mib`) covers
everything torch allocates (tracemalloc sees only Python objects; one process would mix the
cases). The child loads
the same saved weights and input, calls :func:`drcn_lib.engine.prediction.predict_y` exactly as a
user
would (ensemble only, float32 weights), times it, saves the prediction and prints one JSON line.

The weights are random (He / identity init, seed 0): time and memory do not depend on their
values, and tiled-versus-untiled equality holds for any weights. The input is the bicubic x4
upscaling (:func:`drcn_lib.protocol.resize.imresize`) of a random low-resolution image, i.e. what
DRCN
receives when asked for a W x H output.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from drcn_lib.engine.prediction import predict_y, receptive_margin
from drcn_lib.model import DRCN
from drcn_lib.protocol.resize import imresize

MARKER = "BENCH_CHILD_RESULT "


def default_tile(width: int, height: int) -> int:
    """About a third of the long side, a multiple of 8: 680 for 2040 x 1356 (3 x 2 tiles).

    Few tiles keep the recomputed margins cheap (6 tiles of 720 x 720 with a 20-pixel margin are
    12% more pixels than the image) while one tile's 256-filter maps stay near 0.5 GB each.
    """
    return 8 * math.ceil(max(width, height) / 24)


def make_input(width: int, height: int, scale: int = 4, seed: int = 0) -> np.ndarray:
    """Bicubic-upscaled Y (height x width, float64 in [0, 255]) of a random LR image."""
    rng = np.random.default_rng(seed)
    lr = rng.integers(16, 236, size=(math.ceil(height / scale), math.ceil(width / scale)))
    return np.clip(imresize(lr.astype(np.float64), output_shape=(height, width)), 0, 255)


def estimate_mib(filters: int, pixels: int) -> float:
    """Rough peak RSS of one CPU run: ~5.5 float32 F-channel maps of the (tile) image at once
    (H_{d-1}, conv output, ReLU output, oneDNN's reordered copies; measured 5.1-5.6 on
    192x128 and 96x64) plus ~300 MiB of torch and weights."""
    return 5.5 * filters * 4 * pixels / 2**20 + 300


def available_mib() -> float | None:
    """MemAvailable of /proc/meminfo (None where there is none)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_rss_mib() -> float:
    """This process's peak resident memory, MiB.

    Linux: VmHWM of /proc/self/status, NOT ``ru_maxrss``: Linux carries ``ru_maxrss`` across
    fork + exec, so a child started by a parent that holds 1 GB would report at least 1 GB.
    Elsewhere ``ru_maxrss`` (bytes on macOS, KiB on the BSDs).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def child_main(spec_json: str) -> None:
    """Entry point of one child: ``spec`` names the files, device, tile, dtype and threads."""
    spec = json.loads(spec_json)
    torch.set_num_threads(spec["threads"])
    device = torch.device(spec["device"])
    if device.type == "cuda":
        # TF32 convolutions (PyTorch's default for cuDNN) round to 10 mantissa bits, and cuDNN
        # picks another algorithm for a 720-pixel tile than for the whole image: together they
        # moved the output by 0.017 (of 255) between tiled and untiled on an H100. Full float32
        # and deterministic algorithms leave only what tiling itself changes.
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    model = DRCN(recursions=spec["recursions"], filters=spec["filters"])
    model.load_state_dict(torch.load(spec["weights"], weights_only=True))
    model = model.to(device)
    img = np.load(spec["input"])
    rss_before = _peak_rss_mib()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16,
                              enabled=spec["dtype"] == "bfloat16")
    t0 = time.perf_counter()
    with autocast:
        out = predict_y(model, img, device=device, tile=spec["tile"], intermediates=False)
    seconds = time.perf_counter() - t0
    np.save(spec["output"], out.ensemble)
    result = {"seconds": seconds, "peak_rss_mib": _peak_rss_mib(), "rss_before_mib": rss_before}
    if device.type == "cuda":
        result["peak_cuda_mib"] = torch.cuda.max_memory_allocated(device) / 2**20
    print(MARKER + json.dumps(result), flush=True)


def _run_child(script: Path, spec: dict[str, Any], timeout_s: float | None) -> dict[str, Any]:
    cmd = [sys.executable, str(script), "--infer-child", json.dumps(spec)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout_s} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER):])
    why = "killed (out of memory?)" if proc.returncode in (-9, 137) else \
        f"exit code {proc.returncode}"
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"child {why}: {tail}"}


def infer_case(
    script: Path,
    device: torch.device,
    width: int,
    height: int,
    tile: int | None = None,
    dtype: str = "float32",
    filters: int = 256,
    recursions: int = 16,
    timeout_s: float | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Untiled then tiled upscaling in two children; seconds, peak MiB, max |tiled - untiled|.

    On a CPU a case whose estimated memory (:func:`estimate_mib`) exceeds what the machine has
    available is skipped rather than left to the kernel's OOM killer, unless ``force``.
    """
    tile = tile or default_tile(width, height)
    with tempfile.TemporaryDirectory(prefix="drcn-bench-") as tmp:
        tmpdir = Path(tmp)
        torch.manual_seed(0)
        model = DRCN(recursions=recursions, filters=filters)
        torch.save(model.state_dict(), tmpdir / "weights.pt")
        np.save(tmpdir / "input.npy", make_input(width, height))
        base = {"weights": str(tmpdir / "weights.pt"), "input": str(tmpdir / "input.npy"),
                "device": str(device), "dtype": dtype, "filters": filters,
                "recursions": recursions, "threads": torch.get_num_threads()}
        runs: dict[str, dict[str, Any]] = {}
        margin = receptive_margin(model)
        side = min(tile + 2 * margin, width) * min(tile + 2 * margin, height)
        for name, t, pixels in (("untiled", None, width * height), ("tiled", tile, side)):
            need, free = estimate_mib(filters, pixels), available_mib()
            if device.type == "cpu" and free is not None and need > free and not force:
                runs[name] = {"error": f"skipped: needs ~{need:,.0f} MiB, {free:,.0f} MiB "
                                       "available (--force-untiled to try anyway)"}
                continue
            spec = {**base, "tile": t, "output": str(tmpdir / f"{name}.npy")}
            runs[name] = _run_child(script, spec, timeout_s)
            runs[name]["estimated_mib"] = round(need)
        diff = None
        if all("error" not in r for r in runs.values()):
            a, b = np.load(tmpdir / "untiled.npy"), np.load(tmpdir / "tiled.npy")
            diff = float(np.abs(a - b).max())
    return {
        "size": f"{width}x{height}", "scale": 4, "filters": filters, "recursions": recursions,
        "tile": tile, "margin": margin, "dtype": dtype,
        "weights": "random (seed 0): time and memory do not depend on the values",
        "untiled": runs["untiled"], "tiled": runs["tiled"],
        "max_abs_diff_0_255": diff, "identical": diff == 0.0 if diff is not None else None,
    }
