"""Exercise of lesson 12 (the playground): find the best single output y_d by moving the slider.

The expected answer is measured, not stored: it comes from the learner's own forward pass and
image (:func:`drcn_lib.course.playground.psnrs`), so it holds for any model and any image.
"""

from __future__ import annotations

import numpy as np

from drcn_lib.course.exercises.feedback import as_number, verdict
from drcn_lib.course.playground import Problem, depths, psnrs
from drcn_lib.engine.prediction import Prediction

#: Outputs within this many dB of the best count as right: the slider shows two decimals.
TIE_DB = 0.005


def check_best_recursion(answer: object, pred: Prediction, problem: Problem) -> bool:
    """Q: which single output y_d has the highest PSNR on this image? Answer with d.

    Any d within :data:`TIE_DB` of the best counts (the PSNR line shows two decimals). Prints
    right and why (the PSNRs of the best and the last output, and the ensemble's), or, for a
    wrong answer, the answered output's PSNR and how many outputs beat it, never which one is
    best; returns whether ``answer`` is right.
    """
    scores = psnrs(pred, problem)
    ds = depths(pred)
    if scores is None or not ds:
        return verdict(False, "this check needs a prediction with outputs y_d and ground truth "
                              "(mode 'shrink'); there is nothing to score here.")
    best = max(ds, key=scores.at)
    why = (f"y_{best} scores {scores.at(best):.2f} dB; the last output y_{ds[-1]} "
           f"{scores.at(ds[-1]):.2f} dB; the ensemble of all {len(ds)} "
           f"{scores.outputs.ensemble:.2f} dB "
           f"(bicubic {scores.bicubic:.2f} dB).")
    value = as_number(answer)
    if value is None or value != int(value):
        return verdict(False, f"answer with a whole number d from {ds[0]} to {ds[-1]} "
                              f"(got {answer!r}).")
    d = int(value)
    if d not in ds:
        return verdict(False, f"d={d} is not an output of this model; d runs from {ds[0]} to "
                              f"{ds[-1]}.")
    if np.isclose(scores.at(d), scores.at(best), atol=TIE_DB, rtol=0.0):
        return verdict(True, why)
    higher = sum(scores.at(k) > scores.at(d) + TIE_DB for k in ds)
    return verdict(False, f"y_{d} scores {scores.at(d):.2f} dB, and {higher} other output"
                          f"{'s score' if higher > 1 else ' scores'} higher. Move the slider "
                          "and read the PSNR line for each d, or look at "
                          "dl.course.playground.psnrs(...) for every d.")
