"""Exercise of lesson 11 (benchmark): predict our DRCN's gain over bicubic, then read the table.

Asked before the table is made; the checker compares the prediction with the study in words
(too high, too low, close) with a hint, never with the measured number.
"""

from __future__ import annotations

from drcn_lib.course.exercises.feedback import as_number, verdict
from drcn_lib.experiments.studies import BenchmarkStudy

TOLERANCE_DB = 0.3


def check_gain_prediction(prediction: object, study: BenchmarkStudy, set_name: str = "Set5",
                          scale: int = 3) -> bool:
    """Q (asked before the study): by how many dB will our DRCN beat bicubic on ``set_name``
    at ``scale`` (DRCN PSNR minus bicubic PSNR, both ours)? Within 0.3 dB counts as right."""
    value = as_number(prediction)
    if value is None:
        return verdict(False, "write your prediction as a number of dB (for example 1.5) in "
                       "`my_prediction`, then run this cell again")
    drcn = study.get(set_name, scale, "DRCN")
    bic = study.get(set_name, scale, "Bicubic")
    if drcn is None or bic is None:
        return verdict(False, f"the study has no DRCN measurement on {set_name} x{scale} to "
                       f"compare with (missing: {', '.join(study.missing) or 'none'})")
    gain = drcn.psnr - bic.psnr
    if abs(value - gain) <= TOLERANCE_DB:
        return verdict(True, f"your {value:+.2f} dB is within {TOLERANCE_DB} dB of our DRCN's "
                       f"gain over bicubic on {set_name} x{scale} (the table has it exactly)")
    if value > gain:
        return verdict(False, f"your {value:+.2f} dB is more than {TOLERANCE_DB} dB above our "
                       "gain. Hint: the paper's DRCN (256 filters, days on a GPU) gains about "
                       "3.4 dB on Set5 x3 and its SRCNN about 2.4; where would a 32-filter "
                       "model trained for minutes land?")
    return verdict(False, f"your {value:+.2f} dB is more than {TOLERANCE_DB} dB below our "
                   "gain. Hint: lesson 09's D = 1 model already beats bicubic by a wide "
                   "margin; a 16-recursion model does better still")
