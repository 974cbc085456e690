"""Checkers for the loss a learner writes in lesson 07 (paper, Sec. 3.3, Eq. 8-10).

    l1 = sum_d sum_i 1/(2DN) ||y_i - yhat_d,i||^2      (every intermediate prediction)
    l2 = sum_i 1/(2N) ||y_i - yhat_i||^2               (the ensemble yhat = sum_d w_d yhat_d)
    L  = alpha * l1 + (1 - alpha) * l2 + beta * ||theta||^2

Each ``check_...`` runs the learner's function and :func:`drcn_lib.loss.drcn_loss` (with
``reduction="sum"``, the paper's per-image sum) on the same outputs and says in words what
differs: which term, by which factor, and the usual cause (a missing 1/D, 1/N or 1/2, an
average over pixels, alpha on the wrong term, the decay on the biases). The checkers never print
the library's value: a learner who is told the number stops looking for the mistake.

The inputs are small made-up tensors whose sizes D = 3, N = 5 and H x W = 7 x 7 differ from
each other and from 2, so every wrong normaliser leaves a factor that names it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from drcn_lib.course.checkers import prepare, randomise_, report
from drcn_lib.loss import alpha_schedule, decay_parameters, drcn_loss, weight_norm_sq
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.model.outputs import SROutput

D, N, SIDE = 3, 5, 7
FILTERS = 4  # != D, so that the checkers' weight copy never pairs a bias with w_d
PIXELS = SIDE * SIDE
#: Known wrong factors between a learner's term and the library's, and what each one means.
L1_FACTORS: dict[float, str] = {
    D: "you did not divide by D: l1 averages over the D predictions (the D in 1/(2DN))",
    N: "you did not divide by N: the loss is a mean over the N images (the N in 1/(2DN))",
    D * N: "you divided by neither D nor N (the DN in 1/(2DN))",
    2: "the 1/2 in 1/(2DN) is missing",
    2 * D: "the 2 and the D of 1/(2DN) are both missing",
    1 / PIXELS: ("you averaged over the pixels too: the paper sums each image's squared "
                 "errors, ||y - yhat||^2, and divides only by 2DN"),
    1 / (D * PIXELS): "you averaged over pixels AND divided by D twice",
    1 / D: "you divided by D twice",
    1 / N: "you divided by N twice",
    1 / 2: "you halved twice: 1/(2DN) has one 2",
}
L2_FACTORS: dict[float, str] = {
    N: "you did not divide by N: the loss is a mean over the N images (1/(2N))",
    2: "the 1/2 in 1/(2N) is missing",
    2 * N: "the 2 and the N of 1/(2N) are both missing",
    1 / PIXELS: ("you averaged over the pixels too: the paper sums each image's squared "
                 "errors, ||y - yhat||^2, and divides only by 2N"),
    1 / D: "l2 has no D: it scores ONE image per input, the ensemble",
    1 / N: "you divided by N twice",
    1 / 2: "you halved twice: 1/(2N) has one 2",
}


def sample_outputs(seed: int = 0) -> tuple[SROutput, torch.Tensor]:
    """Made-up predictions (D x N x 1 x H x W and their ensemble) and a target, in [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    outputs = torch.rand(D, N, 1, SIDE, SIDE, generator=g)
    w = torch.rand(D, generator=g)
    ensemble = (w.view(-1, 1, 1, 1, 1) * outputs).sum(0) / w.sum()
    target = torch.rand(N, 1, SIDE, SIDE, generator=g)
    return SROutput(outputs=outputs, ensemble=ensemble), target


def sample_model(model: object = None) -> tuple[nn.Module, nn.Module, list[str]]:
    """(the model to pass to the learner's loss, the library's DRCN with the same weights,
    problems). Every parameter, biases and w_d included, is random and non-zero, so that a
    decay term over the wrong parameters shows. ``model`` is the learner's class of the
    contract in :mod:`drcn_lib.course.checkers` (``MyDRCN(recursions, filters)``), or None
    to pass the library's DRCN itself."""
    reference = randomise_(DRCN(recursions=D, filters=FILTERS))
    if model is None:
        return reference, reference, []
    mine, problems = prepare(model, reference, (D, FILTERS), "MyDRCN(recursions, filters)",
                             "your model")
    return (mine if mine is not None else reference), reference, problems


def compare_numbers(got: float, want: float, rtol: float = 1e-4, atol: float = 1e-9
                    ) -> tuple[bool, float]:
    return math.isclose(got, want, rel_tol=rtol, abs_tol=atol), got - want


def _call(fn: Callable[..., Any], what: str, *args: Any) -> float | str:
    """``fn(*args)`` as a float, or a sentence saying why it is not one number."""
    try:
        value = fn(*args)
    except Exception as err:  # noqa: BLE001 - any learner's mistake becomes a message
        return f"your {what} raised {type(err).__name__}: {err}"
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return (f"your {what} returned a tensor of shape {tuple(value.shape)}; a loss is "
                    "one number: sum the squared errors over everything")
        value = value.item()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"your {what} returned {type(value).__name__}, not a number"
    if not math.isfinite(number):
        return f"your {what} returned {number}"
    return number


def _term_message(name: str, got: float, want: float, factors: dict[float, str]) -> str:
    """Why ``got`` is not ``want``: a known factor's cause, else the factor itself."""
    if want != 0 and got != 0:
        ratio = got / want
        for factor, why in factors.items():
            if math.isclose(ratio, factor, rel_tol=1e-3):
                return f"your {name} is {_times(ratio)} the library's: {why}."
        return (f"your {name} is {_times(ratio)} the library's on the same outputs (D = {D}, "
                f"N = {N}, {SIDE}x{SIDE} pixels): compare your normaliser with the equation.")
    return f"your {name} is {got:.4g} where it should not be; compare it with the equation."


def _times(ratio: float) -> str:
    if ratio >= 1:
        return f"{ratio:.4g} times"
    return f"1/{1 / ratio:.4g} of"


def check_l1(l1: Callable[[torch.Tensor, torch.Tensor], Any]) -> bool:
    """``l1(y_hats, y)``: y_hats D x N x 1 x H x W (the D predictions), y N x 1 x H x W."""
    out, y = sample_outputs()
    want = drcn_loss(out, y, alpha=1.0, reduction="sum").l1.item()
    got = _call(l1, "l1", out.outputs, y)
    if isinstance(got, str):
        return report([got + "."], "")
    mean_first = ((y - out.outputs.mean(0)) ** 2).sum().item() / (2 * N)
    if math.isclose(got, mean_first, rel_tol=1e-4):
        return report(["you averaged the D predictions before squaring: l1 squares "
                             "each prediction's error, then averages over d."], "")
    ok, _ = compare_numbers(got, want)
    if ok:
        return report([], f"l1 matches dl.drcn_loss(..., reduction='sum').l1 on {D} "
                            f"predictions of {N} images.")
    return report([_term_message("l1", got, want, L1_FACTORS)], "")


def check_l2(l2: Callable[[torch.Tensor, torch.Tensor], Any]) -> bool:
    """``l2(y_hat, y)``: y_hat the ensemble N x 1 x H x W, y the target of the same shape."""
    out, y = sample_outputs()
    want = drcn_loss(out, y, alpha=0.0, reduction="sum").l2.item()
    got = _call(l2, "l2", out.ensemble, y)
    if isinstance(got, str):
        return report([got + "."], "")
    ok, _ = compare_numbers(got, want)
    if ok:
        return report([], f"l2 matches dl.drcn_loss(..., reduction='sum').l2 on the "
                            f"ensemble of {N} images.")
    return report([_term_message("l2", got, want, L2_FACTORS)], "")


def _decay_candidates(model: nn.Module) -> dict[str, float]:
    """||theta||^2 over wrong parameter sets, and what each one is."""
    named = dict(model.named_parameters())
    convs = [p for p in decay_parameters(model)]
    biases = [p for n, p in named.items() if n.endswith("bias")]
    w = [p for n, p in named.items() if n == "ensemble_weights"]
    sq = lambda ps: weight_norm_sq(ps).item()  # noqa: E731
    return {
        "the biases too": sq(convs + biases),
        "the ensemble weights w_d too": sq(convs + w),
        "every parameter (biases and w_d included)": sq(list(named.values())),
    }


def check_loss(loss: Callable[..., Any], model: object = None) -> bool:
    """``loss(out, y, alpha, beta, model)``: L = alpha l1 + (1 - alpha) l2 + beta ||theta||^2.

    ``out`` is the model's :class:`~drcn_lib.model.outputs.SROutput` (``out.outputs``, the D
    predictions; ``out.ensemble``), theta the convolution weights only (not the biases, not
    the w_d: :func:`drcn_lib.loss.decay_parameters`). Checked at several alpha and beta; the
    decay on ``model`` (your ``MyDRCN`` class) built tiny with the library's weights copied in,
    or on a tiny ``dl.DRCN`` when ``model`` is None.
    """
    out, y = sample_outputs()
    model, reference, problems = sample_model(model)
    if problems:
        return report(problems, "")
    lib = drcn_loss(out, y, alpha=1.0, reduction="sum")
    l1, l2 = lib.l1.item(), lib.l2.item()
    decay = weight_norm_sq(decay_parameters(reference)).item()
    got: dict[float, float] = {}
    for alpha in (0.0, 1.0, 0.3):
        value = _call(loss, "loss", out, y, alpha, 0.0, model)
        if isinstance(value, str):
            return report([value + "."], "")
        got[alpha] = value
    at_1, at_0, at_03 = got[1.0], got[0.0], got[0.3]
    if math.isclose(at_1, at_0, rel_tol=1e-4) and not math.isclose(l1, l2, rel_tol=1e-4):
        return report(["your loss does not change with alpha: weigh l1 by alpha and l2 "
                             "by 1 - alpha."], "")
    if math.isclose(at_1, l2, rel_tol=1e-4) and math.isclose(at_0, l1, rel_tol=1e-4):
        return report(["alpha and 1 - alpha are swapped: alpha weighs l1 (the "
                             "intermediate predictions), 1 - alpha the ensemble's l2."], "")
    if not compare_numbers(at_1, l1)[0]:
        return report(["with alpha = 1 (and beta = 0) the loss is l1 alone; "
                      + _term_message("loss at alpha = 1", at_1, l1, L1_FACTORS)], "")
    if not compare_numbers(at_0, l2)[0]:
        return report(["with alpha = 0 (and beta = 0) the loss is l2 alone; "
                      + _term_message("loss at alpha = 0", at_0, l2, L2_FACTORS)], "")
    if not compare_numbers(at_03, 0.3 * l1 + 0.7 * l2)[0]:
        return report(["your loss is right at alpha = 0 and 1 but not at alpha = 0.3: "
                             "mix the terms linearly, alpha * l1 + (1 - alpha) * l2."], "")
    return _check_decay(loss, out, y, model, reference, at_03, decay)


def _check_decay(loss: Callable[..., Any], out: SROutput, y: torch.Tensor, model: nn.Module,
                 reference: nn.Module, no_decay: float, decay: float) -> bool:
    beta = 0.01
    value = _call(loss, "loss", out, y, 0.3, beta, model)
    if isinstance(value, str):
        return report([value + "."], "")
    got = (value - no_decay) / beta
    if compare_numbers(got, decay)[0]:
        return report([], "L = alpha l1 + (1 - alpha) l2 + beta ||theta||^2 matches "
                            "dl.drcn_loss(..., reduction='sum') at every alpha and beta tried, "
                            "with theta the convolution weights.")
    if math.isclose(got, 0.0, abs_tol=1e-9):
        return report(["beta changes nothing in your loss: add beta * ||theta||^2, "
                             "the sum of the squared convolution weights."], "")
    for what, wrong in _decay_candidates(reference).items():
        if math.isclose(got, wrong, rel_tol=1e-3):
            return report([f"your weight decay covers {what}; theta here is the "
                                 "convolution weights only (dl.loss.decay_parameters(model))."], "")
    if math.isclose(got * got, decay, rel_tol=1e-3):
        return report(["your decay is ||theta||, not its square ||theta||^2."], "")
    return report([f"your beta term is {_times(got / decay)} beta * ||theta||^2 over "
                         "the convolution weights: sum the squares of every weight of f1, f2 "
                         "and f3 (not the biases, not w_d)."], "")


def check_alpha_schedule(alpha: Callable[[float], Any]) -> bool:
    """``alpha(t)`` for training progress t in [0, 1] under the course's schedule
    (:func:`drcn_lib.loss.alpha_schedule` with its defaults). The paper says only that alpha
    decays; the law is the course's choice (lesson 07 states it)."""
    for t in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0):
        got = _call(alpha, "alpha", t)
        if isinstance(got, str):
            return report([got + "."], "")
        want = alpha_schedule(t)
        if compare_numbers(got, want, atol=1e-6)[0]:
            continue
        if got < 0:
            return report([f"at t = {t:g} your alpha is negative ({got:.3g}); alpha "
                                 "never goes below 0: hold it there once it arrives."], "")
        if got > 1:
            return report([f"at t = {t:g} your alpha is above 1 ({got:.3g})."], "")
        if t == 0.0:
            return report([f"at the start (t = 0) your alpha is {got:.3g}: every "
                                 "recursion should get its full signal first."], "")
        if math.isclose(got, 1.0 - t, abs_tol=1e-6):
            return report(["your alpha decays over the whole run; the course's reaches "
                                 "0 at half of training."], "")
        return report([f"at t = {t:g} your alpha is {got:.3g}, off the course's "
                             "straight line; check its slope and where it stops."], "")
    return report([], "alpha(t) is the course's linear schedule at every t tried.")
