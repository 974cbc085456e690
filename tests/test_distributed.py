"""Two CPU processes under torchrun (gloo on loopback) train like one process on the same
global batches: DistributedDataParallel averages the shard gradients into the batch gradient."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from safetensors.torch import load_file

from drcn_lib.settings import REPO_ROOT

ARGS = ["train", "--preset", "smoke", "--dtype", "float32", "--channels-last", "off",
        "--recon", "batched", "--no-progress", "--set", "steps=4", "--set", "augment=true"]


def _env(tmp_path) -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "DRCN_CACHE": str(tmp_path / "cache")}
    shared = REPO_ROOT.parent / "shared" / "data"
    if shared.is_dir():
        env["DRCN_DATA"] = str(shared)
    return env


@pytest.mark.slow
def test_two_processes_match_one(tmp_path):
    env = _env(tmp_path)
    one = subprocess.run([sys.executable, "-m", "drcn_lib.cli", *ARGS, "--out",
                          str(tmp_path / "one")], env=env, capture_output=True, text=True,
                         timeout=300)
    assert one.returncode == 0, one.stderr[-2000:]
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                          "--nproc_per_node", "2", "-m", "drcn_lib.cli", *ARGS, "--out",
                          str(tmp_path / "two")], env=env, capture_output=True, text=True,
                         timeout=300)
    assert two.returncode == 0, two.stderr[-2000:]
    a = load_file(str(tmp_path / "one" / "model.safetensors"))
    b = load_file(str(tmp_path / "two" / "model.safetensors"))
    assert a.keys() == b.keys()
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    assert worst < 1e-5, f"weights differ by {worst}"
    assert '"processes": 2' in (tmp_path / "two" / "model.json").read_text()
