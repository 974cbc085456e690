"""``torch.compile`` for the training forward pass, when the configuration asks for it.

Why it is optional: on a GPU the 32-filter DRCN step is bound by kernel launches (a few
microseconds of work per convolution), which compilation (fused kernels) and CUDA graphs
(``mode="reduce-overhead"``) remove; the 256-filter step is bound by the convolutions
themselves and gains less. On a CPU compiling costs minutes of C++ builds for little gain, so
``TrainConfig.compile = "cuda"`` (the ``gpu`` preset) compiles on CUDA devices only.

Only what the loop calls is compiled: validation and saving use the plain model, so images of
every size are scored without recompiling, and the saved weights have their usual names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch import nn

from drcn_lib.errors import DRCNError


@functools.cache
def compile_available() -> tuple[bool, str]:
    """``(True, "")`` when ``torch.compile`` can build a kernel here, else ``(False, why)``.

    Tries a one-line function once per process: inductor needs a C++ compiler on a CPU and
    Triton on a GPU, and some platforms (Windows, some Python versions) have neither."""
    if not hasattr(torch, "compile"):
        return False, f"torch {torch.__version__} has no torch.compile"
    try:
        fn = torch.compile(lambda t: torch.relu(t) * 2.0)
        fn(torch.ones(4))
    except Exception as exc:  # any backend failure means: not available here
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return False, f"torch.compile failed on a one-line function: {first[:200]}"
    return True, ""


def wants_compile(setting: str, device: str | torch.device) -> bool:
    """Whether ``TrainConfig.compile`` (``"off"``, ``"cuda"``, ``"on"``) applies on ``device``."""
    if setting == "off":
        return False
    if setting == "cuda":
        return torch.device(device).type == "cuda"
    if setting == "on":
        return True
    raise DRCNError(f"compile must be 'off', 'cuda' or 'on', got {setting!r}")


def maybe_compile(net: nn.Module, setting: str, mode: str, device: str | torch.device,
                  growing: bool = False, log: Callable[[str], None] = print) -> nn.Module:
    """``torch.compile(net, mode=mode)`` when ``setting`` applies on ``device``, else ``net``.

    A depth that grows during training changes the unrolled graph at each new D, and dynamo
    stops recompiling after 8 versions (silently falling back to eager): that combination is
    refused rather than left to run slower than asked."""
    if not wants_compile(setting, device):
        return net
    if growing:
        raise DRCNError("compile with a growing depth (recursions_start) recompiles at every "
                        "new D; set compile=off or recursions_start=None")
    ok, why = compile_available()
    if not ok:
        raise DRCNError(f"compile={setting!r} asked for torch.compile, which is not available "
                        f"here: {why}. Set compile=off")
    log(f"torch.compile: mode={mode} on {device} (the first steps include compiling)")
    return torch.compile(net, mode=mode)  # type: ignore[return-value]
