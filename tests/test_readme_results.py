"""The README's table of shipped weights says what the weights' own sidecars say.

The numbers there are copied from measurements by hand when weights are retrained; this keeps a
stale or mistyped number (PSNR or minutes) from reaching readers.
"""

from __future__ import annotations

import re

import pytest

from drcn_lib.settings import REPO_ROOT
from drcn_lib.training_report import shipped_sidecars

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
