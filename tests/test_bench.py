"""benchmarks/bench.py's bookkeeping (never its speeds: no unit test asserts a speed)."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from drcn_lib.settings import REPO_ROOT

MACHINE = {"cpu": "Some CPU", "cpu_capability": "AVX2", "cores": 2}


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO_ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("bench", REPO_ROOT / "benchmarks" / "bench.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    for name in ("infer_memory", "train_log", "train_speed", "reference_drcn"):
        sys.modules.pop(name, None)


def test_keep_infer_copies_the_earlier_part_and_says_where_from(bench, tmp_path):
    earlier = tmp_path / "results.json"
    infer = {"size": "2040x1356", "tiled": {"peak_rss_mib": 1900.0}}
    earlier.write_text(json.dumps({"machine": MACHINE, "git_commit": "abc1234",
                                   "created": "2026-11-20", "devices": {"cpu": {"infer": infer}}}))
    res = {"machine": dict(MACHINE), "devices": {"cpu": {"train": {}, "infer": None}}}
    bench.keep_infer(res, earlier)
    kept = res["devices"]["cpu"]["infer"]
    assert kept["tiled"] == infer["tiled"]
    assert kept["kept_from"] == {"file": "results.json", "git_commit": "abc1234",
                                 "created": "2026-11-20"}


def test_keep_infer_refuses_another_machine(bench, tmp_path):
    earlier = tmp_path / "results.json"
    earlier.write_text(json.dumps({"machine": {**MACHINE, "cpu_capability": "AVX512"},
                                   "devices": {"cpu": {"infer": {}}}}))
    res = {"machine": dict(MACHINE), "devices": {"cpu": {"train": {}, "infer": None}}}
    with pytest.raises(SystemExit, match="run the inference part here"):
        bench.keep_infer(res, earlier)
