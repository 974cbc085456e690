"""The transcribed paper numbers agree with ../shared/PAPER_NUMBERS.md where it is present."""

from __future__ import annotations

import re

import pytest

from drcn_lib.experiments import paper_numbers as pn
from drcn_lib.settings import REPO_ROOT

SOURCE = REPO_ROOT.parent / "shared" / "PAPER_NUMBERS.md"


NO_SOURCE = "../shared/PAPER_NUMBERS.md is not beside the repo"
SET_ROW = r"\| (Set5|Set14|B100|Urban100) \| [234] \|"


@pytest.mark.skipif(not SOURCE.is_file(), reason=NO_SOURCE)
def test_table2_matches_the_source():
    rows = [r for r in SOURCE.read_text().splitlines() if re.match(SET_ROW, r)]
    assert len(rows) == 12
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        name, scale = cells[0], int(cells[1])
        for method, cell in zip(pn.METHODS, cells[2:], strict=True):
            psnr, ssim = (float(v) for v in cell.split("/"))
            assert pn.TABLE2[name][scale][method] == (psnr, ssim), (name, scale, method)


def test_figures_are_consistent():
    assert pn.SRCNN_SET5_X3 == 32.75
    drcn_x3 = pn.TABLE2["Set5"][3]["DRCN"][0]
    assert pn.RECURSION_DEPTH_SET5_X3[16] == pn.ENSEMBLE_SET5[3] == drcn_x3
    for scale, values in pn.SINGLE_OUTPUTS_SET5.items():
        assert len(values) == 16 and max(values) < pn.ENSEMBLE_SET5[scale]
    assert pn.paper("Set5", 3, "Bicubic") == (30.39, 0.8682) and pn.paper("Set5", 5) is None
