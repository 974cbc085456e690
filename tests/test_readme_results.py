"""The README's table of shipped weights says what the weights' own sidecars say.

The numbers there are copied from measurements by hand when weights are retrained; this keeps a
stale or mistyped number (PSNR or minutes) from reaching readers.
"""

from __future__ import annotations

import json
import re

import pytest

from drcn_lib.experiments.training_report import shipped_sidecars
from drcn_lib.settings import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
ROW = re.compile(r"^\| ((?:drcn|srcnn)-x\d[-\w]*) \| [^|]* \| \**([\d.]+)\** \| [^|]* \| "
                 r"([\d.]+) \|$", re.MULTILINE)
ROWS = {m.group(1): (m.group(2), m.group(3)) for m in ROW.finditer(README)}
SIDECARS = shipped_sidecars()


def test_every_shipped_model_has_a_row() -> None:
    assert SIDECARS, "no shipped weights found"
    assert sorted(ROWS) == sorted(SIDECARS)


@pytest.mark.parametrize("name", sorted(SIDECARS))
def test_row_matches_the_sidecar(name: str) -> None:
    psnr, minutes = ROWS[name]
    sidecar = SIDECARS[name]
    assert psnr == f"{sidecar['final_val_psnr']:.2f}", f"{name}: README {psnr} dB"
    assert minutes == f"{sidecar['wall_seconds'] / 60:.1f}", f"{name}: README {minutes} min"


BENCH_ROW = re.compile(r"^\| (Set5|Set14|B100) \| x(\d) \| ([\d.]+) \| \*\*([\d.]+)\*\* \| "
                       r"([\d.]+) \| ([\d.]+|-) \| ([\d.]+) \|$", re.MULTILINE)


def test_benchmark_headline_matches_results_json() -> None:
    """The README's benchmark rows are those `drcn reproduce` wrote to results/results.json."""
    rows = json.loads((REPO_ROOT / "results" / "results.json").read_text())["benchmark"]["rows"]
    psnr = {(r["set"], r["scale"], r["method"], r["source"]): f"{r['psnr']:.2f}" for r in rows}
    found = BENCH_ROW.findall(README)
    assert len(found) == 9, f"expected 9 benchmark rows in README.md, found {len(found)}"
    for name, scale, bicubic, ours, paper, srcnn, srcnn_paper in found:
        key = (name, int(scale))
        assert bicubic == psnr[(*key, "Bicubic", "ours")], key
        assert ours == psnr[(*key, "DRCN", "ours")], key
        assert paper == psnr[(*key, "DRCN", "paper")], key
        assert srcnn == psnr.get((*key, "SRCNN", "ours"), "-"), key
        assert srcnn_paper == psnr[(*key, "SRCNN", "paper")], key


def _total_minutes() -> int:
    return round(sum(s["wall_seconds"] for s in SIDECARS.values()) / 60)


def test_the_total_training_time_matches_the_sidecars() -> None:
    """The README's and `make help`'s time for all shipped models is the sum of their sidecars'."""
    said = re.search(r"All seven took\s+(\d+)\s+minutes", README)
    assert said, "README.md no longer says how long all seven models took"
    assert len(SIDECARS) == 7
    assert int(said.group(1)) == _total_minutes()
    makefile = (REPO_ROOT / "Makefile").read_text()
    help_line = re.search(r"make weights - .*?\((\d+) min in all", makefile)
    assert help_line, "the Makefile's help for `make weights` no longer states the time"
    assert int(help_line.group(1)) == _total_minutes()
