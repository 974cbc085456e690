"""Exercises on training a deep recursion (lessons 04-07): the gradient through the recursion,
the ensemble of recursive supervision, the residual the skip connection leaves, the alpha
schedule.

Each ``check_...`` prints ``Right: ...`` or ``Not yet: ...`` with the reasoning and returns a
bool (:mod:`drcn_lib.course.exercises.feedback`). Expected values come from the library itself
(:func:`drcn_lib.loss.alpha_schedule`, the prediction of :func:`drcn_lib.predict_y`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from drcn_lib.course.exercises.feedback import as_number, verdict
from drcn_lib.engine.prediction import Prediction
from drcn_lib.loss import alpha_schedule
from drcn_lib.protocol.pairs import SRPair


def _close(value: float | None, expected: float, rel: float = 0.02, abs_: float = 1e-3) -> bool:
    return value is not None and math.isclose(value, expected, rel_tol=rel, abs_tol=abs_)


def check_gradient_factor(answer: object, gain: float = 0.8, recursions: int = 16) -> bool:
    """Lesson 04: W = gain * I; ||dL/dH_1|| / ||dL/dH_(D-1)|| in the basic model?

    From H_(D-1) back to H_1 the gradient passes D - 2 copies of W, each multiplying it by
    ``gain`` (ReLU passes it unchanged on the features that are already positive).
    """
    g, d = float(gain), int(recursions)
    expected = g ** (d - 2)
    why = (f"from H_{d - 1} back to H_1 the gradient crosses {d - 2} copies of W, each "
           f"multiplying it by {g:g}: {g:g}^{d - 2} = {expected:.3g}. The same W every time is "
           f"what makes a gain away from 1 vanish or explode with depth.")
    value = as_number(answer)
    if _close(value, expected):
        return verdict(True, why)
    if value is None:
        return verdict(False, f"answer with a number such as 0.5 (got {answer!r}).")
    if _close(value, 1 / expected):
        return verdict(False, "upside down: with a gain below 1 the gradient at H_1 is the "
                              "SMALLER one.")
    for k in (d - 1, d, d - 3):
        if _close(value, g ** k):
            return verdict(False, f"that is {g:g}^{k}: count the copies of W between H_1 and "
                                  f"H_{d - 1} again (H_d = W * H_(d-1)).")
    return verdict(False, f"{value:g} is not it. Each copy of W multiplies the gradient by "
                          f"{g:g}; how many copies lie between H_1 and H_{d - 1}?")


def check_ensemble(answer: object, pred: Prediction[np.ndarray],
                   weights: Sequence[float] | np.ndarray) -> bool:
    """Lesson 05: the ensemble y = sum_d w_d * y_d, computed by hand from ``pred`` and w_d.

    ``pred`` is what ``predict_y`` returns (``pred.ensemble``, y_d as ``pred.at(d)``),
    ``weights`` the model's ``ensemble_weights`` (tensor or array, w_1 first).
    """
    w = np.asarray(weights.detach().cpu().numpy() if hasattr(weights, "detach") else weights,
                   dtype=np.float64)
    ds = list(pred.depths)
    truth = np.asarray(pred.ensemble, dtype=np.float64)
    why = "y = sum over d of w_d * y_d: each output weighed by its learned weight."
    if answer is None:
        return verdict(False, "replace None with your ensemble image: the sum over d of "
                              "w[d - 1] * pred.at(d).")
    try:
        arr = np.asarray(answer, dtype=np.float64)
    except (TypeError, ValueError):
        return verdict(False, f"answer with an image (array), got {type(answer).__name__}.")
    if arr.shape != truth.shape:
        return verdict(False, f"your array has shape {arr.shape}; the ensemble is an image of "
                              f"shape {truth.shape} like each pred.at(d).")
    stack = np.stack([np.asarray(pred.at(d), dtype=np.float64) for d in ds])
    if np.allclose(arr, truth, atol=0.05):
        return verdict(True, why + " It matches the model's own ensemble.")
    if np.allclose(arr, stack.mean(axis=0), atol=0.05):
        return verdict(False, "that is the plain mean of the y_d; use the learned w_d.")
    if len(w) == len(ds) and np.allclose(arr, np.tensordot(w[::-1], stack, axes=1), atol=0.05):
        return verdict(False, "the weights are reversed: w[0] belongs to y_1 (pred.at(1)).")
    if np.allclose(arr, stack[-1], atol=0.05):
        return verdict(False, f"that is y_{ds[-1]} alone, the basic model's output.")
    err = float(np.abs(arr - truth).max())
    return verdict(False, f"off by up to {err:.2f} grey levels. " + why)


def small_residual_fraction(pair: SRPair, threshold: float = 5.0) -> float:
    """Share of pixels (0..1) where |HR - bicubic| < ``threshold`` grey levels (Y, [0, 255])."""
    r = np.asarray(pair.hr_y, dtype=np.float64) - np.asarray(pair.bicubic_y, dtype=np.float64)
    return float(np.mean(np.abs(r) < threshold))


def check_small_residual(answer: object, pair: SRPair, threshold: float = 2.0) -> bool:
    """Lesson 06: the share of pixels (0..1) whose residual |HR - bicubic| is below
    ``threshold`` grey levels: how sparse is what the network must learn?"""
    expected = small_residual_fraction(pair, threshold)
    why = (f"{expected:.1%} of the pixels need less than {threshold:g} grey levels of "
           f"correction: with the skip connection the network learns a mostly-zero image.")
    value = as_number(answer)
    if value is None:
        return verdict(False, f"answer with a fraction between 0 and 1 (got {answer!r}).")
    if _close(value, expected, rel=0.0, abs_=0.005):
        return verdict(True, why)
    if _close(value / 100, expected, rel=0.0, abs_=0.005):
        return verdict(False, "that looks like a percentage; give a fraction in 0..1.")
    if _close(value, 1 - expected, rel=0.0, abs_=0.005):
        return verdict(False, "that is the share of LARGE residuals; count |r| < threshold.")
    return verdict(False, f"{value:g} is not it. Try np.mean(np.abs(pair.hr_y - "
                          f"pair.bicubic_y) < {threshold:g}).")


def check_alpha(answer: object, progress: float = 0.3) -> bool:
    """Lesson 07: alpha at ``progress`` (0..1) of training under the course's schedule
    (linear from 1 to 0 over the first half, then 0: :func:`drcn_lib.loss.alpha_schedule`)."""
    p = float(progress)
    expected = alpha_schedule(p)
    why = (f"alpha falls linearly from 1 to 0 over the first half of training, so at "
           f"{p:.0%} it is 1 - {p:g} / 0.5 = {expected:g}" if p < 0.5 else
           f"alpha reached 0 at half of training, so at {p:.0%} it is {expected:g}")
    value = as_number(answer)
    if value is None:
        return verdict(False, f"answer with a number between 0 and 1 (got {answer!r}).")
    if _close(value, expected, rel=0.0, abs_=0.01):
        return verdict(True, why + ".")
    if _close(value, 1 - p, rel=0.0, abs_=0.01):
        return verdict(False, "that decays over the WHOLE run; ours reaches 0 at half "
                              "(alpha_decay_fraction = 0.5).")
    if _close(value, 1 - expected, rel=0.0, abs_=0.01):
        return verdict(False, "that is 1 - alpha, the weight of the ensemble term.")
    if _close(value, alpha_schedule(p, "cosine"), rel=0.0, abs_=0.01):
        return verdict(False, "that is the cosine schedule; the course uses the linear one.")
    return verdict(False, f"{value:g} is not it. Look at dl.alpha_schedule's default "
                          f"arguments or the plot above.")


def beta_for_mean(beta: float = 1e-4, patch: int = 41) -> float:
    """The beta that keeps the paper's balance between data terms and decay when the squared
    errors are averaged over a patch's pixels (``reduction="mean"``) instead of summed per image
    (the paper's unit, in which its beta = 1e-4 was set): the data terms shrink by patch^2."""
    return beta / (patch * patch)


def check_beta_for_mean(answer: object, beta: float = 1e-4, patch: int = 41) -> bool:
    """Lesson 07: the paper's beta is for losses summed over each patch's pixels; which beta
    keeps the same balance when they are averaged over the pixels instead? Right within 2%."""
    expected = beta_for_mean(beta, patch)
    value = as_number(answer)
    if value is None:
        return verdict(False, f"answer with a number such as 3e-5 (got {answer!r}).")
    if _close(value, expected, rel=0.02, abs_=0.0):
        return verdict(True, f"averaging over {patch}x{patch} = {patch * patch:,} pixels makes "
                             f"l1 and l2 {patch * patch:,} times smaller; beta ||theta||^2 keeps "
                             f"its size, so beta must shrink as much: {beta:g} / "
                             f"{patch * patch:,}.")
    if _close(value, beta, rel=0.02, abs_=0.0):
        return verdict(False, "that is the paper's beta, for summed errors. Does averaging "
                              "over the pixels change the size of l1 and l2? Of beta "
                              "||theta||^2?")
    if value > beta:
        return verdict(False, "upside down: averaging makes the data terms SMALLER, so the "
                              "decay would weigh more unless beta shrinks too.")
    if _close(value, beta / patch, rel=0.02, abs_=0.0):
        return verdict(False, "a patch has more pixels than one side: the mean divides by "
                              "all of them.")
    for side in (31, 21, 33):
        if side != patch and _close(value, beta / (side * side), rel=0.02, abs_=0.0):
            return verdict(False, f"the paper's beta was set for its own patches, "
                                  f"{patch}x{patch}, not {side}x{side}.")
    return verdict(False, f"{value:g} is not it. How many times smaller is a patch's mean "
                          "squared error than its sum? beta must shrink by the same factor.")
