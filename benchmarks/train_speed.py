"""Training throughput of the course's step versus the public-code-style reference, and FLOP/s.

"Our step" is :func:`drcn_lib.engine.loop.train_step` itself, the function ``train`` calls once
per step, on a :class:`~drcn_lib.engine.run_setup.RunState` set up as ``setup_run`` does: the
runtime picked by :func:`drcn_lib.engine.hardware.choose_runtime` (dtype, memory format,
reconstruction strategy, by the same timed probe and the same cache), the model in that layout,
the optimiser of :func:`drcn_lib.engine.run_setup.make_optimizer`. It draws its batch from a
:class:`~drcn_lib.engine.batches.StepBatches` (with the preset's augmentation) over random
patches; validation, logging and checkpoints are not timed.

The reference (``reference_drcn.py``) starts from the same weights and takes the same batches
from its own ``StepBatches``; the two are timed in alternation (ours, reference, ours, ...) so
that a change of load on a shared machine hits both.
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch
from conv_ceiling import kernel_ceiling, sync
from flops import drcn_train_step_flops
from reference_drcn import ReferenceDRCN, reference_loss, reference_step_fn

from drcn_lib.engine.batches import StepBatches
from drcn_lib.engine.distributed import DistContext
from drcn_lib.engine.hardware import choose_runtime, pick_device
from drcn_lib.engine.loop import train_step
from drcn_lib.engine.presets import TrainConfig
from drcn_lib.engine.run_setup import RunState, make_optimizer
from drcn_lib.engine.schedules import Plateau
from drcn_lib.engine.unfolding import unfolded
from drcn_lib.loss import drcn_loss
from drcn_lib.model import DRCN
from drcn_lib.model.factory import build_model


def matmul_peak(
    dtype: torch.dtype, device: torch.device, sizes: tuple[int, ...], reps: int = 3
) -> dict[str, Any]:
    """Best FLOP/s of an n x n x n ``torch.mm`` (2 n^3 FLOPs) over ``sizes``, same threads.

    On CUDA in float32, matmuls are allowed TF32 exactly when cuDNN convolutions are (PyTorch's
    default lets convs use TF32 but not matmuls), so that the peak is in the arithmetic the
    convolutions actually use.
    """
    best: dict[str, Any] = {"flops_per_s": 0.0, "n": 0, "tf32": False}
    tf32 = device.type == "cuda" and dtype == torch.float32 and torch.backends.cudnn.allow_tf32
    old_tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = tf32
    try:
        for n in sizes:
            a = torch.randn(n, n, device=device).to(dtype)
            b = torch.randn(n, n, device=device).to(dtype)
            torch.mm(a, b)  # warm-up: library init, packing, clocks
            for _ in range(reps):
                sync(device)
                t0 = time.perf_counter()
                torch.mm(a, b)
                sync(device)
                rate = 2 * n**3 / (time.perf_counter() - t0)
                if rate > best["flops_per_s"]:
                    best = {"flops_per_s": rate, "n": n, "tf32": tf32}
            del a, b
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old_tf32
    return best


def reference_matches(filters: int, recursions: int, seed: int = 0) -> float:
    """Max |difference| of every y_d, the ensemble, the loss and f2's gradient, reference vs
    DRCN with copied weights (float32, a 2 x 1 x 13 x 11 input, beta = 0).

    A check that the two sides compute the same function and the same training signal (so the
    same convolution work, and the same trajectory for the same learning rate).
    """
    torch.manual_seed(seed)
    ours = DRCN(recursions=recursions, filters=filters)
    ref = ReferenceDRCN(recursions, filters)
    ref.copy_weights_from(ours)
    x = torch.rand(2, 1, 13, 11)
    y = (x + 0.05 * torch.randn_like(x)).clamp(0, 1)
    out = ours(x)
    preds, ens = ref(x)
    loss_ours = drcn_loss(out, y, alpha=0.3).total
    loss_ref = reference_loss(ref, preds, ens, y, alpha=0.3, beta=0.0)
    loss_ours.backward()
    loss_ref.backward()
    diffs = [(out.outputs[d] - p).abs().max().item() for d, p in enumerate(preds)]
    diffs += [(out.ensemble - ens).abs().max().item(), (loss_ours - loss_ref).abs().item(),
              (ours.infer.conv.weight.grad - ref.inference.weight.grad).abs().max().item()]
    return max(diffs)


def _our_step(run: RunState) -> Callable[[], float]:
    def step() -> float:
        loss, _ = train_step(run, alpha=0.5, lr=run.cfg.lr)
        run.step += 1
        return loss

    return step


def _batches(cfg: TrainConfig, batch: int) -> StepBatches:
    """Batches over 4 x ``batch`` random patches; targets = input + a small residual, so that
    losses stay small and finite as in real training."""
    gen = torch.Generator().manual_seed(cfg.seed)
    x = torch.rand(4 * batch, 1, cfg.patch, cfg.patch, generator=gen)
    y = (x + 0.05 * torch.randn(x.shape, generator=gen)).clamp(0, 1)
    return StepBatches(x.numpy(), y.numpy(), batch, cfg.seed, cfg.augment)


def _reference_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Same optimiser and lr as the preset, no weight decay (the reference puts it in its loss)."""
    if cfg.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=cfg.lr)
    return torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum)


def _update_peaks(
    peaks: dict[str, dict[str, Any]], dtypes: set[str], dev: torch.device,
    sizes: tuple[int, ...],
) -> None:
    """Keep, per dtype name, the best matmul peak measured so far in this run."""
    for name in sorted(dtypes):
        new = matmul_peak(getattr(torch, name), dev, sizes)
        old = peaks.get(name)
        if old is None or new["flops_per_s"] > old["flops_per_s"]:
            peaks[name] = {**new, "measurements": (old or {}).get("measurements", 0) + 1}
        else:
            old["measurements"] += 1


def time_interleaved(
    fns: dict[str, Callable[[], float]], warmup: int, steps: int, device: torch.device
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Seconds of each call, the functions taking turns; and each one's last returned loss."""
    last: dict[str, float] = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            last[name] = fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(steps):
        for name, fn in fns.items():
            sync(device)
            t0 = time.perf_counter()
            last[name] = fn()
            sync(device)
            times[name].append(time.perf_counter() - t0)
    return times, last


def train_case(
    label: str,
    cfg: TrainConfig,
    batch: int,
    device: torch.device,
    warmup: int,
    steps: int,
    peaks: dict[str, dict[str, Any]],
    peak_sizes: tuple[int, ...],
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Time our step and the reference on ``cfg``'s model at ``batch``; FLOP/s vs the mm peak.

    ``peaks`` holds the best matmul peak per dtype measured so far in the run (updated here).
    """
    cfg = replace(cfg, batch_size=batch)
    requested = "auto" if device == pick_device("auto") else str(device)
    runtime = choose_runtime(
        lambda: build_model(**cfg.model_kwargs()), batch, cfg.patch, device=requested,
        probe_batch=batch, log=log,
    )
    log(runtime.describe())
    dev = torch.device(runtime.device)
    fmt = torch.channels_last if runtime.channels_last else torch.contiguous_format

    torch.manual_seed(cfg.seed)
    ours = build_model(**cfg.model_kwargs())
    ref = ReferenceDRCN(cfg.recursions, cfg.filters)
    ref.copy_weights_from(ours)  # same starting point
    ours = ours.to(device=dev, memory_format=fmt)
    ref = ref.to(dev)
    run = RunState(cfg=cfg, out=Path(tempfile.gettempdir()), runtime=runtime, model=ours,
                   net=unfolded(ours, runtime.recon_strategy), opt=make_optimizer(ours, cfg),
                   batches=_batches(cfg, batch),
                   validator=None, dist=DistContext(), plateau=Plateau(cfg.plateau_patience))
    ref_batches, ref_step = _batches(cfg, batch), [0]

    def next_batch() -> tuple[torch.Tensor, torch.Tensor]:
        x, y = ref_batches.batch(ref_step[0])
        ref_step[0] += 1
        return x.to(dev), y.to(dev)

    fns = {
        "ours": _our_step(run),
        "reference": reference_step_fn(ref, _reference_optimizer(ref, cfg), next_batch,
                                       alpha=0.5, beta=cfg.beta),
    }
    # the peak is measured before and after the steps and the best kept, so that a burst of
    # load from another process during one measurement does not flatter the fraction
    _update_peaks(peaks, {runtime.dtype, "float32"}, dev, peak_sizes)
    log(f"timing {label}: {warmup} warm-up + {steps} timed steps each, alternating")
    times, last_loss = time_interleaved(fns, warmup, steps, dev)
    del fns, run, ours, ref

    log(f"timing {label}: each kind of convolution of the step alone (the kernel ceiling)")
    ceiling = kernel_ceiling(cfg.filters, cfg.recursions, batch, cfg.patch, runtime)
    flops = drcn_train_step_flops(batch, cfg.patch, cfg.patch, cfg.filters, cfg.recursions)
    s_ours = statistics.median(times["ours"])
    s_ref = statistics.median(times["reference"])
    _update_peaks(peaks, {runtime.dtype, "float32"}, dev, peak_sizes)
    case: dict[str, Any] = {
        "label": label,
        "model": {"filters": cfg.filters, "recursions": cfg.recursions, "patch": cfg.patch,
                  "optimizer": cfg.optimizer, "beta": cfg.beta},
        "batch": batch,
        "runtime": runtime.as_dict(),
        "steps_timed": steps,
        "seconds_per_step": {"ours": s_ours, "reference": s_ref},
        "step_times": times,
        "patches_per_s": {"ours": batch / s_ours, "reference": batch / s_ref},
        "speedup_vs_reference": s_ref / s_ours,
        "step_flops": flops,
        "flops_per_s": {"ours": flops / s_ours, "reference": flops / s_ref},
        "peak_dtype": runtime.dtype,
        "last_loss": last_loss,
        "losses_finite": {k: math.isfinite(v) for k, v in last_loss.items()},
        "kernel_ceiling": ceiling,
        "ours_fraction_of_kernel_ceiling": ceiling["seconds"] / s_ours,
    }
    apply_peaks(case, peaks)
    return case


def apply_peaks(case: dict[str, Any], peaks: dict[str, dict[str, Any]]) -> None:
    """(Re)compute a case's fractions of peak from the best peaks measured in the run."""
    peak = peaks[case["peak_dtype"]]["flops_per_s"]
    case["peak_flops_per_s"] = peak
    case["flops_fraction_of_peak"] = case["flops_per_s"]["ours"] / peak
    case["reference_fraction_of_float32_peak"] = (
        case["flops_per_s"]["reference"] / peaks["float32"]["flops_per_s"])
    case["kernel_ceiling_fraction_of_peak"] = (
        case["step_flops"] / case["kernel_ceiling"]["seconds"] / peak)
