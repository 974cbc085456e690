"""Write the README's PSNR-versus-minutes figures from the committed recipe logs.

Usage: ``python benchmarks/plot_recipes.py [OUT_DIR]`` (default ``docs/``) writes
``psnr_minutes.png`` (recipes timed with the machine's own instruction set; the ``cpu``
preset's run there is the shipped ``drcn-x3-d16``'s recipe) and ``psnr_minutes_avx2.png``
(recipes timed on the AVX2 code path). Minutes of different instruction sets never share an
axis; lesson 08 draws the same two figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

from drcn_lib.experiments import training_report as tr
from drcn_lib.experiments.paper_numbers import SRCNN_SET5_X3
from drcn_lib.settings import REPO_ROOT
from drcn_lib.viz.training import psnr_minutes_figure


def main(out: Path) -> list[Path]:
    avx2, native = tr.split_recipes_by_isa("AVX2", REPO_ROOT / "benchmarks" / "recipes")
    written = []
    for runs, fname, title in (
            (native, "psnr_minutes.png", "Recipes timed on AVX-512 BF16 + AMX, 2 cores"),
            (avx2, "psnr_minutes_avx2.png", "Recipes timed on the AVX2 code path, 2 cores")):
        if runs:
            fig = psnr_minutes_figure(runs, reference=SRCNN_SET5_X3,
                                      reference_label="SRCNN, paper (Set5 x3)", title=title)
            out.mkdir(parents=True, exist_ok=True)
            fig.savefig(out / fname, dpi=110)
            written.append(out / fname)
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / "docs"):
        print(path)
