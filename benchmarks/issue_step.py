"""The performance issue's one AVX2 measurement, repeated here: how fast is this CPU next to it?

The issue measured a straightforward fp32 PyTorch DRCN step (64 filters, D = 16, batch 32 of
41x41) at about 9 patches/s on its AVX2-only 2-core machine. ``reference_drcn.py`` is such a
step, so running it with the same settings here, under ``--emulate-avx2``'s limits, gives the
ratio that turns minutes measured on the emulated AVX2 path into minutes on that machine.

Usage: ``python benchmarks/issue_step.py`` (add the AVX2 limits to the environment, as
``bench.py --emulate-avx2`` does, for the AVX2 path).
"""

from __future__ import annotations

import statistics

import torch
from reference_drcn import ReferenceDRCN, reference_step_fn
from train_speed import time_interleaved

ISSUE_PATCHES_PER_S = 9.0  # the issue's AVX2-only machine, fp32, NCHW
FILTERS, RECURSIONS, BATCH, PATCH = 64, 16, 32, 41


def patches_per_s(channels_last: bool, warmup: int = 2, steps: int = 6) -> float:
    """Median patches/s of the reference step at the issue's settings."""
    torch.manual_seed(0)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = ReferenceDRCN(RECURSIONS, FILTERS).to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    x = torch.rand(BATCH, 1, PATCH, PATCH).to(memory_format=fmt)
    y = (x + 0.05 * torch.randn_like(x)).clamp(0, 1)
    step = reference_step_fn(model, opt, lambda: (x, y), alpha=0.5, beta=0.0)
    times, _ = time_interleaved({"reference": step}, warmup, steps, torch.device("cpu"))
    return BATCH / statistics.median(times["reference"])


def main() -> None:
    cap = torch.backends.cpu.get_cpu_capability()
    nchw = patches_per_s(channels_last=False)
    print(f"reference step, F {FILTERS}, D {RECURSIONS}, batch {BATCH} of {PATCH}x{PATCH}, fp32, "
          f"{torch.get_num_threads()} threads, capability {cap}")
    print(f"  NCHW:          {nchw:.1f} patches/s ({nchw / ISSUE_PATCHES_PER_S:.2f}x the issue's "
          f"AVX2 machine, {ISSUE_PATCHES_PER_S:g} patches/s)")
    print(f"  channels_last: {patches_per_s(channels_last=True):.1f} patches/s")


if __name__ == "__main__":
    main()
