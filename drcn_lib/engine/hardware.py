"""Where and how a run computes: device, dtype, memory format, reconstruction strategy.

The fastest path differs between machines, and guessing is wrong often enough to matter: on a
CPU with AVX-512 BF16, bf16 autocast doubles DRCN's training speed; on an AVX2-only CPU it is
about 13x SLOWER. So the engine first rules out what the hardware cannot do, then times a few
training steps of each remaining candidate (a "probe"), keeps the fastest, caches the answer per
machine and model shape, and says what it chose and why. Any choice can be forced by the caller.
"""

from __future__ import annotations

import contextlib
import json
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn

from drcn_lib.atomic import write_json
from drcn_lib.engine.trainable import model_record
from drcn_lib.engine.unfolding import unfolded
from drcn_lib.errors import ConfigError
from drcn_lib.settings import cache_root

DTYPES: dict[str, torch.dtype] = {"float32": torch.float32, "bfloat16": torch.bfloat16}


@dataclass(frozen=True)
class Runtime:
    """The execution choices of one run, and the reasons for them (printed at start)."""

    device: str
    dtype: str = "float32"
    channels_last: bool = False
    recon_strategy: str = "batched"
    cpu_capability: str = ""
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    def autocast(self) -> torch.autocast:
        """Autocast context for the forward pass; a no-op context in float32."""
        device_type = torch.device(self.device).type
        return torch.autocast(
            device_type, dtype=self.torch_dtype, enabled=self.dtype != "float32"
        )

    def describe(self) -> str:
        head = (
            f"Runtime: device={self.device} dtype={self.dtype} "
            f"channels_last={self.channels_last} recon={self.recon_strategy} "
            f"cpu={self.cpu_capability}"
        )
        return "\n".join([head, *(f"  - {r}" for r in self.reasons)])

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(requested: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU, unless a device is named.

    A named device this torch cannot use (``cuda`` on a CPU-only build, ``cuda:3`` on a machine
    with one GPU, ``gpu``) is a :class:`ConfigError` saying what is available, here and not as
    an ``AssertionError`` from deep inside the first ``.to(device)``.
    """
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if _mps_available() else torch.device("cpu")
    usable = ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else []) + (
        ["mps"] if _mps_available() else [])
    try:
        dev = torch.device(requested)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ConfigError(f"device {requested!r} is not a device name; usable here: "
                          f"{usable}") from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            why = ("this torch build has no CUDA" if torch.version.cuda is None
                   else "no CUDA GPU is visible")
            raise ConfigError(f"device {requested!r}: {why} (torch {torch.__version__}); "
                              f"usable here: {usable}")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ConfigError(f"device {requested!r}: only {torch.cuda.device_count()} CUDA "
                              "device(s) visible")
    elif dev.type == "mps" and not _mps_available():
        raise ConfigError(f"device {requested!r}: Apple MPS is not available here; usable "
                          f"here: {usable}")
    elif dev.type not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"device {requested!r} is not supported; usable here: {usable}")
    return dev


def check_runtime_args(
    device: str, dtype: str, channels_last: bool | str, recon_strategy: str
) -> None:
    """Refuse impossible runtime choices before a run allocates anything (see ``pick_device``)."""
    pick_device(device)
    if dtype != "auto" and dtype not in DTYPES:
        raise ConfigError(f"dtype {dtype!r} is not one of {sorted(DTYPES)} or 'auto'")
    if channels_last != "auto" and not isinstance(channels_last, bool):
        raise ConfigError(f"channels_last must be True, False or 'auto', got {channels_last!r}")
    if recon_strategy not in ("auto", "batched", "loop"):
        raise ConfigError(f"recon strategy {recon_strategy!r} is not one of "
                          "('auto', 'batched', 'loop')")


def available_memory(device: torch.device) -> int | None:
    """Bytes a run may still allocate on ``device``: the GPU's free memory, or Linux's
    ``MemAvailable`` for the CPU; None where this cannot be known (then nothing is refused)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    if device.type != "cpu":
        return None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def step_memory_floor(arch: str, filters: int, recursions: int, batch: int, patch: int) -> int:
    """A LOWER bound on the bytes one training step holds for its backward pass: the float32
    feature maps it cannot do without (DRCN: H_0..H_D, D + 1 maps of F channels; SRCNN: its
    64- and 32-channel maps), for ``batch`` patches of ``patch`` x ``patch``. Real use is
    higher (f1's and f3's hidden maps, gradients, the optimiser), so a run refused because
    this exceeds the free memory could never have run; one that passes may still not fit."""
    channels = 64 + 32 if arch == "srcnn" else (recursions + 1) * filters
    return 4 * channels * batch * patch * patch


def cpu_capability() -> str:
    """'AVX512', 'AVX2', 'DEFAULT', ... as PyTorch's dispatcher sees this CPU."""
    try:
        return str(torch.backends.cpu.get_cpu_capability())
    except Exception:  # pragma: no cover - very old torch
        return "unknown"


def bf16_supported(device: torch.device) -> bool:
    """Whether bf16 autocast has native kernels here (not whether it is faster: the probe says)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except Exception:
            return False
    return False


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_key(device: torch.device) -> str:
    """Identifies 'this machine' for the probe cache: CPU or GPU name, threads, torch version."""
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name()
    return f"{device.type}|{name}|{cpu_capability()}|threads={torch.get_num_threads()}|" \
        f"torch={torch.__version__}"


def time_steps(
    step: Callable[[], None], steps: int = 2, warmup: int = 1, device: torch.device | None = None
) -> float:
    """Median seconds of ``step()`` after ``warmup`` untimed calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        step()
        if device is not None and device.type == "cuda":
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def training_step_fn(
    model: nn.Module, runtime: Runtime, batch: int, patch: int, device: torch.device
) -> Callable[[], None]:
    """One forward+backward+SGD update on random data laid out as ``runtime`` says."""
    from drcn_lib.loss import drcn_loss

    fmt = torch.channels_last if runtime.channels_last else torch.contiguous_format
    model = model.to(device=device, memory_format=fmt)
    net = unfolded(model, runtime.recon_strategy)
    x = torch.rand(batch, 1, patch, patch, device=device).to(memory_format=fmt)
    y = torch.rand(batch, 1, patch, patch, device=device).to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        with runtime.autocast():
            out = net(x)
        drcn_loss(out, y, alpha=0.5).total.backward()
        opt.step()

    return step


def choose_runtime(
    build: Callable[[], nn.Module],
    batch: int,
    patch: int,
    device: str = "auto",
    dtype: str = "auto",
    channels_last: bool | str = "auto",
    recon_strategy: str = "auto",
    probe: bool = True,
    probe_batch: int = 8,
    cache_file: Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Runtime:
    """Pick the runtime: forced values first, then capabilities, then a timed probe (cached).

    The probe decides one knob at a time (dtype, then memory format, then reconstruction
    strategy), each with the best choice so far for the others: 2 + 1 + 1 short timings instead
    of all 8 combinations. With ``probe=False`` the safe defaults are used (float32, NCHW,
    batched), never a guess that could be 13x slower.
    """
    dev = pick_device(device)
    cap = cpu_capability()
    reasons: list[str] = [f"device {dev} ({'forced' if device != 'auto' else 'CUDA > MPS > CPU'})"]
    has_bf16 = bf16_supported(dev)
    dtype_opts = ["float32", "bfloat16"] if has_bf16 else ["float32"]
    if dtype != "auto":
        if dtype not in DTYPES:
            raise ConfigError(f"dtype {dtype!r} is not one of {sorted(DTYPES)} or 'auto'")
        dtype_opts = [dtype]
        reasons.append(f"dtype {dtype} forced")
    elif not has_bf16:
        reasons.append(f"float32: no native bf16 kernels on {dev.type} (capability {cap})")
    cl_opts = [False, True] if channels_last == "auto" else [bool(channels_last)]
    if channels_last != "auto":
        reasons.append(f"channels_last={bool(channels_last)} forced")
    rs_opts = ["batched", "loop"] if recon_strategy == "auto" else [recon_strategy]
    if recon_strategy != "auto":
        reasons.append(f"recon strategy {recon_strategy} forced")

    choice = Runtime(str(dev), dtype_opts[0], cl_opts[0], rs_opts[0], cap)
    needs_probe = len(dtype_opts) * len(cl_opts) * len(rs_opts) > 1
    if not needs_probe or not probe:
        if needs_probe:
            reasons.append("no probe: safe defaults (float32, NCHW, batched)")
        return Runtime(**{**asdict(choice), "reasons": tuple(reasons)})

    cache_file = cache_file or cache_root() / "runtime_probe.json"
    shape = build()
    shape_key = json.dumps(model_record(shape), sort_keys=True)
    key = f"{machine_key(dev)}|{shape_key}|batch={probe_batch}|patch={patch}|" + \
        f"opts={dtype_opts},{cl_opts},{rs_opts}"
    cached = _read_cache(cache_file).get(key)
    if cached is not None:
        reasons.append(f"from the probe cached in {cache_file}: {cached['timings']}")
        return Runtime(
            str(dev), cached["dtype"], cached["channels_last"], cached["recon_strategy"], cap,
            tuple(reasons),
        )

    timings: dict[str, float] = {}

    def measure(rt: Runtime) -> float:
        label = f"{rt.dtype}/{'cl' if rt.channels_last else 'nchw'}/{rt.recon_strategy}"
        if label not in timings:
            torch.manual_seed(0)
            fn = training_step_fn(build(), rt, probe_batch, patch, dev)
            timings[label] = round(time_steps(fn, steps=2, warmup=1, device=dev), 4)
            if log:
                log(f"  probe {label}: {timings[label]:.3f} s/step (batch {probe_batch})")
        return timings[label]

    for knob, opts in (("dtype", dtype_opts), ("channels_last", cl_opts),
                       ("recon_strategy", rs_opts)):
        if len(opts) > 1:
            cands = [Runtime(**{**asdict(choice), knob: o}) for o in opts]
            choice = min(cands, key=measure)
    reasons.append(f"timed probe (s/step at batch {probe_batch}): {timings}")
    _write_cache(cache_file, key, {**asdict(choice), "reasons": None, "timings": timings})
    return Runtime(**{**asdict(choice), "reasons": tuple(reasons)})


def _read_cache(path: Path) -> dict[str, dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _write_cache(path: Path, key: str, value: dict) -> None:
    data = _read_cache(path)
    data[key] = value
    with contextlib.suppress(OSError):  # a read-only cache only costs a re-probe next time
        write_json(path, data)
