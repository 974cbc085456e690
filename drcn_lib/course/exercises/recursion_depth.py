"""Exercise of lesson 09 (recursion depth): read the gain of depth off your own study."""

from __future__ import annotations

from drcn_lib.experiments.studies import DepthStudy

TOLERANCE_DB = 0.05


def check_depth_gain(answer: object, study: DepthStudy) -> bool:
    """Q: by how many dB does the deepest model measured beat the shallowest one (PSNR of the
    deepest minus PSNR of the shallowest, from ``study``)? Within 0.05 dB counts as right.

    Prints right or wrong and why; returns whether ``answer`` is right.
    """
    got = study.psnr_by_depth()
    if len(got) < 2:
        print(f"Cannot check: the study measured {len(got)} depth(s); it needs two. Missing: "
              f"{', '.join(study.missing) or 'none'}")
        return False
    lo, hi = min(got), max(got)
    right = got[hi] - got[lo]
    try:
        ok = abs(float(answer) - right) <= TOLERANCE_DB  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ok = False
    why = (f"D={hi} scores {got[hi]:.2f} dB and D={lo} {got[lo]:.2f} dB on {study.set} "
           f"x{study.scale}, a difference of {right:+.2f} dB")
    if study.paper.get(hi) is not None and study.paper.get(lo) is not None:
        why += f" (the paper's: {study.paper[hi] - study.paper[lo]:+.2f} dB)"
    print(("Right: " if ok else f"Not quite ({answer!r}): ") + why)
    return ok
