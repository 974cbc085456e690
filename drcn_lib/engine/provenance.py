"""Who, what and where of a run, for the weights' sidecar."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import torch

from drcn_lib.engine.hardware import _cpu_name, cpu_capability
from drcn_lib.settings import REPO_ROOT

#: Tracked files that do not make a commit "+dirty": ``drcn reproduce
#: --train``
#: ships each model into them while the next one trains, and ``make bench`` rewrites its results
#: files, so a second bench run in one checkout would otherwise call the first one's output a
#: change of code; no training or timing reads them.
NOT_CODE = ("drcn_lib/weights", "benchmarks/results*.json")


def git_commit(repo: Path = REPO_ROOT) -> str:
    """HEAD's hash, with '+dirty' when tracked files other than :data:`NOT_CODE` differ from
    it; 'unknown' outside git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no", "--",
             ".", *(f":(exclude){path}" for path in NOT_CODE)],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


#: Environment variables that limit the instruction set torch, oneDNN and MKL use: set, they make
#: a CPU behave like an older one (``benchmarks/bench.py --emulate-avx2``), so a sidecar says so.
ISA_LIMIT_VARS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")


def hardware() -> dict[str, object]:
    """The machine, so that timings in a sidecar can be read against it."""
    info: dict[str, object] = {
        "cpu": _cpu_name(),
        "cpu_capability": cpu_capability(),
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    limits = {k: os.environ[k] for k in ISA_LIMIT_VARS if os.environ.get(k)}
    if limits:
        info["isa_limits"] = limits
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def command_line() -> str:
    """The command that started this process, as typed (best effort)."""
    prog = Path(sys.argv[0]).name if sys.argv else "python"
    return " ".join([prog, *sys.argv[1:]])
