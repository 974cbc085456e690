"""Exercise of lesson 11 (benchmark): read DRCN's gain over bicubic off your own table."""

from __future__ import annotations

from drcn_lib.experiments.studies import BenchmarkStudy

TOLERANCE_DB = 0.05


def check_gain_over_bicubic(answer: object, study: BenchmarkStudy, set_name: str = "Set5",
                            scale: int = 3) -> bool:
    """Q: by how many dB does our DRCN beat bicubic on ``set_name`` at ``scale``
    (DRCN PSNR minus bicubic PSNR, both ours)? Within 0.05 dB counts as right.

    Prints right or wrong and why (with the paper's gain beside ours); returns the verdict.
    """
    drcn = study.get(set_name, scale, "DRCN")
    bic = study.get(set_name, scale, "Bicubic")
    if drcn is None or bic is None:
        print(f"Cannot check: no DRCN measurement on {set_name} x{scale} (missing: "
              f"{', '.join(study.missing) or 'none'})")
        return False
    right = drcn.psnr - bic.psnr
    try:
        ok = abs(float(answer) - right) <= TOLERANCE_DB  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ok = False
    why = f"DRCN {drcn.psnr:.2f} dB - bicubic {bic.psnr:.2f} dB = {right:+.2f} dB"
    p_drcn = study.get(set_name, scale, "DRCN", "paper")
    p_bic = study.get(set_name, scale, "Bicubic", "paper")
    if p_drcn and p_bic:
        why += f" (the paper's gain: {p_drcn.psnr - p_bic.psnr:+.2f} dB)"
    print(("Right: " if ok else f"Not quite ({answer!r}): ") + why)
    return ok
