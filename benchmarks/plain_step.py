"""A plain fp32 NCHW DRCN step at 64 filters: how fast is this CPU next to an AVX2-only one?

One measurement was made on an AVX2-only 2-core AMD EPYC machine: a straightforward fp32
PyTorch DRCN training step (64 filters, D = 16, batch 32 of 41x41, NCHW) ran at about 9
patches/s. ``reference_drcn.py`` is such a step, so running it with the same settings here,
under ``bench.py --emulate-avx2``'s limits, gives the ratio that turns minutes measured on the
emulated AVX2 path into minutes on that machine.

Usage: ``python benchmarks/plain_step.py`` (add the AVX2 limits to the environment, as
``bench.py --emulate-avx2`` does, for the AVX2 path).
"""

from __future__ import annotations

import statistics

import torch
from reference_drcn import ReferenceDRCN, reference_step_fn
from train_speed import time_interleaved

AVX2_EPYC_PATCHES_PER_S = 9.0  # the AVX2-only 2-core AMD EPYC machine, fp32, NCHW
FILTERS, RECURSIONS, BATCH, PATCH = 64, 16, 32, 41


def patches_per_s(channels_last: bool, warmup: int = 2, steps: int = 6) -> float:
    """Median patches/s of the plain reference step at the settings measured on that machine."""
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
    print(f"  NCHW:          {nchw:.1f} patches/s ({nchw / AVX2_EPYC_PATCHES_PER_S:.2f}x the "
          f"AVX2-only AMD EPYC machine, {AVX2_EPYC_PATCHES_PER_S:g} patches/s)")
    print(f"  channels_last: {patches_per_s(channels_last=True):.1f} patches/s")


if __name__ == "__main__":
    main()
