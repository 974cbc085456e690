"""Exercise of lesson 10 (single outputs versus the ensemble): predict the best single output.

Asked before the study runs; the checker says whether the prediction is the best output,
too shallow or too deep, with a hint, and never names the best output itself.
"""

from __future__ import annotations

from drcn_lib.course.exercises.feedback import as_number, verdict
from drcn_lib.experiments.studies import EnsembleStudy


def check_best_output_prediction(prediction: object, study: EnsembleStudy,
                                 scale: int = 3) -> bool:
    """Q (asked before the study): which output d (1..16) of our x3 model will score the
    highest PSNR on its own? Prints right, or too shallow / too deep with a hint."""
    value = as_number(prediction)
    curve = study.curve(scale)
    if curve is None:
        return verdict(False, f"the study has no x{scale} model to compare with (missing: "
                       f"{', '.join(study.missing) or 'none'})")
    depth = len(curve.single_psnr)
    if value is None or value != int(value) or not 1 <= value <= depth:
        return verdict(False, f"write your prediction as a whole number d from 1 to {depth} in "
                       "`my_prediction`, then run this cell again")
    d, _best = curve.best_single
    if int(value) == d:
        return verdict(True, f"y_{d} is the best single output of our x{scale} model; the "
                       "ensemble's margin over it is in the table above")
    if value < d:
        return verdict(False, f"the best single output is deeper than y_{int(value)}. Hint: "
                       "each recursion refines H_d and widens its view by 2 pixels; where does "
                       "that stop paying in the table above?")
    return verdict(False, f"the best single output is shallower than y_{int(value)}. Hint: "
                   "no loss term asks y_D alone to be the best output; look where the curve "
                   "of single outputs turns down")
