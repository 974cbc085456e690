"""Exercises on the benchmark protocol (lessons 00 and 01): the test sets and PSNR.

``check_benchmark_image_count(answer)`` and ``check_psnr_of_offset(answer)`` print right or
wrong with the reasoning (see :mod:`drcn_lib.course.exercises.feedback`) and return a bool. The
expected
values are computed from the library (the set registry, the PSNR formula), never typed in.
"""

from __future__ import annotations

import math

import numpy as np

from drcn_lib.course.exercises.feedback import as_number, verdict
from drcn_lib.data.registry import SETS, TEST_SETS
from drcn_lib.protocol.metrics import DATA_RANGE, psnr_y


def benchmark_image_count() -> int:
    """Images scored at one scale in the paper's Table 2: Set5 + Set14 + B100 + Urban100."""
    return sum(len(SETS[name].files) for name in TEST_SETS)


def check_benchmark_image_count(answer: object) -> bool:
    """Lesson 00: how many test images does the paper score at each scale (all of Table 2)?"""
    expected = benchmark_image_count()
    sizes = ", ".join(f"{name} {len(SETS[name].files)}" for name in TEST_SETS)
    value = as_number(answer)
    if value == expected:
        return verdict(True, f"Table 2 scores {sizes}: {expected} images per scale.")
    if value is None:
        return verdict(False, f"answer with a number of images, e.g. 100 (got {answer!r}).")
    hint = "sum len(dl.SETS[name].files) over the test sets"
    if value == expected - len(SETS["Urban100"].files):
        hint = "Urban100 is in Table 2 too"
    elif value == expected + len(SETS["T91"].files):
        hint = "T91 is the training set; it is never scored"
    return verdict(False, f"{value:g} is not it: {hint}.")


def psnr_of_offset(offset: float) -> float:
    """PSNR (dB) of an image that is ``offset`` grey levels off everywhere, measured with
    :func:`drcn_lib.protocol.metrics.psnr_y` on a synthetic Y plane (equals 20 log10(255 /
    |offset|))."""
    target = np.full((16, 16), 100.0)
    return psnr_y(target + offset, target, crop=0)


def check_psnr_of_offset(answer: object, offset: float = 2.0) -> bool:
    """Lesson 01: a prediction ``offset`` grey levels too bright everywhere; what PSNR (dB)?

    Right within 0.01 dB.
    """
    expected = psnr_of_offset(offset)
    why = (f"the MSE is {offset:g}^2 = {offset * offset:g}, so PSNR = 10 log10(255^2 / "
           f"{offset * offset:g}) = {expected:.2f} dB, whatever the image.")
    value = as_number(answer)
    if value is not None and abs(value - expected) <= 0.01:
        return verdict(True, why)
    if value is None:
        return verdict(False, f"answer with a number of dB, e.g. 30.5 (got {answer!r}).")
    if abs(value - 10 * math.log10(DATA_RANGE / abs(offset))) <= 0.01:
        return verdict(False, "PSNR uses the SQUARED error: 10 log10(peak^2 / MSE).")
    return verdict(False, f"{value:g} dB is not it. Try dl.psnr_y(hr_y + {offset:g}, hr_y, "
                          "crop=3) on any image and compare with 10 log10(255^2 / MSE).")
