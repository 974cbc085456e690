"""Exercise of lesson 10 (single outputs versus the ensemble): find the best single output."""

from __future__ import annotations

from drcn_lib.experiments.studies import EnsembleStudy


def check_best_output(answer: object, study: EnsembleStudy, scale: int = 3) -> bool:
    """Q: which intermediate output d scores the highest PSNR on its own at ``scale``, in your
    study? Prints right or wrong and why (with the ensemble's margin); returns the verdict."""
    curve = study.curve(scale)
    if curve is None:
        print(f"Cannot check: the study has no x{scale} model (missing: "
              f"{', '.join(study.missing) or 'none'})")
        return False
    d, best = curve.best_single
    ok = isinstance(answer, int) and not isinstance(answer, bool) and answer == d
    why = (f"y_{d} scores {best:.2f} dB alone at x{scale}; the ensemble of all "
           f"{len(curve.single_psnr)} scores {curve.ensemble_psnr:.2f} dB "
           f"({curve.ensemble_psnr - best:+.2f} dB)")
    if curve.paper_single:
        paper_d = curve.paper_single.index(max(curve.paper_single)) + 1
        why += f". In the paper the best single output at x{scale} is y_{paper_d}"
    print(("Right: " if ok else f"Not quite ({answer!r}): ") + why)
    return ok
