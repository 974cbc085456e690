"""The convolutions of one DRCN training step, each timed alone: how fast can the step be?

The FLOP-fraction goal compares our step with the matmul peak. A step is nothing but
convolutions plus a few cheap element-wise ops, so the time the same convolutions take when
timed alone (same shapes, batch, dtype, memory format, same gradients asked for) is what the
step would take with every other cost removed. That "kernel ceiling" tells two gaps apart:
the one our step could still close (ours / ceiling) and the one that lies in the convolution
kernels of the library (ceiling / peak), which a Python course cannot close.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from drcn_lib.engine.hardware import Runtime


def sync(device: torch.device) -> None:
    """Wait for the GPU, so that a timer reads the work and not its launch."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass(frozen=True)
class ConvCall:
    """One kind of 3x3 convolution call in a step: ``count`` calls of ``c_in -> c_out`` on
    ``batch_factor`` x the step's batch; ``input_grad`` when the backward needs dL/dinput."""

    name: str
    c_in: int
    c_out: int
    count: int
    batch_factor: int = 1
    input_grad: bool = True

    def macs_per_pixel(self) -> int:
        """Multiply-adds per pixel of the step's batch, all ``count`` calls together."""
        return 9 * self.c_in * self.c_out * self.count * self.batch_factor


def step_conv_calls(filters: int, recursions: int, channels: int = 1,
                    recon_strategy: str = "loop") -> list[ConvCall]:
    """The convolutions :class:`~drcn_lib.model.DRCN` runs in a step with recursive
    supervision, as its ``forward`` calls them ("loop": f3 once per H_d; "batched": once on
    the D maps stacked along the batch axis). The image needs no gradient, so f1's first
    convolution computes none for its input."""
    f, c, d = filters, channels, recursions
    recon = (d, 1) if recon_strategy == "loop" else (1, d)  # (count, batch factor)
    return [
        ConvCall("f1 conv1", c, f, 1, input_grad=False),
        ConvCall("f1 conv2", f, f, 1),
        ConvCall("f2 (shared)", f, f, d),
        ConvCall("f3 conv1", f, f, *recon),
        ConvCall("f3 conv2", f, c, *recon),
    ]


def time_conv_calls(call: ConvCall, batch: int, patch: int, runtime: Runtime,
                    warmup: int = 2, reps: int = 5) -> float:
    """Median seconds of the ``count`` calls of ``call``, forward and backward.

    As in the step, all of them run in one autocast region (the weights are cast once) and one
    backward pass (one start of the autograd engine; the weight gradients accumulate), so
    that the ceiling carries none of the per-call costs that the step does not pay.
    """
    dev = torch.device(runtime.device)
    fmt = torch.channels_last if runtime.channels_last else torch.contiguous_format
    conv = nn.Conv2d(call.c_in, call.c_out, 3, padding=1).to(device=dev, memory_format=fmt)
    x = torch.rand(batch * call.batch_factor, call.c_in, patch, patch, device=dev)
    x = x.to(memory_format=fmt).requires_grad_(call.input_grad)
    with runtime.autocast():
        grads = [torch.ones_like(conv(x))] * call.count  # dL/dy made once: no loss is timed
    times = []
    for i in range(warmup + reps):
        sync(dev)
        t0 = time.perf_counter()
        with runtime.autocast():
            ys = [conv(x) for _ in range(call.count)]
        torch.autograd.backward(ys, grads)
        sync(dev)
        if i >= warmup:
            times.append(time.perf_counter() - t0)
        del ys
    return statistics.median(times)


def kernel_ceiling(filters: int, recursions: int, batch: int, patch: int,
                   runtime: Runtime) -> dict[str, Any]:
    """Seconds the step's convolutions take timed alone, per kind of call and in all."""
    calls = step_conv_calls(filters, recursions, recon_strategy=runtime.recon_strategy)
    parts = []
    for call in calls:
        s = time_conv_calls(call, batch, patch, runtime)
        parts.append({"name": call.name, "c_in": call.c_in, "c_out": call.c_out,
                      "count": call.count, "batch": batch * call.batch_factor,
                      "seconds": s,
                      "flops": 3 * 2 * call.macs_per_pixel() * batch * patch * patch})
    return {"seconds": sum(p["seconds"] for p in parts), "calls": parts}
