"""Exercise of lesson 09 (recursion depth): predict the gain of depth, then measure it.

The learner writes a prediction BEFORE the study runs; the checker compares it with the study
and answers in words (too high, too low, close) with a hint, never with the measured number:
the table under the study is where the learner reads it.
"""

from __future__ import annotations

from drcn_lib.course.exercises.feedback import as_number, verdict
from drcn_lib.experiments.studies import DepthStudy

TOLERANCE_DB = 0.2


def check_depth_prediction(prediction: object, study: DepthStudy) -> bool:
    """Q (asked before the study): by how many dB will our D = 16 model beat our D = 1 model on
    Set5 x3 (PSNR at the deepest minus PSNR at the shallowest)? Within 0.2 dB counts as right.

    Prints ``Right: ...`` or ``Not yet: ...`` with a hint; returns whether it was right."""
    value = as_number(prediction)
    if value is None:
        return verdict(False, "write your prediction as a number of dB (for example 0.5) in "
                       "`my_prediction`, then run this cell again")
    got = study.psnr_by_depth()
    if len(got) < 2:
        return verdict(False, f"the study measured {len(got)} depth(s) and needs two to "
                       f"compare with; missing: {', '.join(study.missing) or 'none'}")
    gain = got[max(got)] - got[min(got)]
    if abs(value - gain) <= TOLERANCE_DB:
        return verdict(True, f"your {value:+.2f} dB is within {TOLERANCE_DB} dB of what our "
                       "models measured (the table above has the exact number)")
    if value > gain:
        return verdict(False, f"your {value:+.2f} dB is more than {TOLERANCE_DB} dB above what "
                       "our models gained. Hint: the paper's gain comes from 256 filters "
                       "trained for days; with 32 filters and minutes of training, how much "
                       "can a wider receptive field add when each layer sees so few features?")
    return verdict(False, f"your {value:+.2f} dB is more than {TOLERANCE_DB} dB below what our "
                   "models gained. Hint: each recursion widens the receptive field by 2 "
                   "pixels (lesson 03); from D = 1 to 16 that is 30 more pixels of context "
                   "for every output pixel, at no cost in parameters")
