"""Exercises on the sub-networks, their unfolding and their ensemble (lessons 02, 03, 05).

``check_embedding_parameters(answer, filters)`` and ``check_receptive_field(answer, recursions)``
print right or wrong with the reasoning and return a bool. Expected values come from the
library (a built :class:`~drcn_lib.model.EmbeddingNet`, :mod:`drcn_lib.course.receptive_field`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from drcn_lib.course.exercises.feedback import as_number, as_side, verdict
from drcn_lib.course.receptive_field import conv_depth, receptive_field
from drcn_lib.model.subnets import EmbeddingNet, InferenceNet
from drcn_lib.protocol.metrics import psnr_y
from drcn_lib.protocol.pairs import SRPair
from drcn_lib.protocol.resize import to_uint8


def embedding_parameters(filters: int, channels: int = 1) -> int:
    """Weights and biases of f1 with ``filters`` filters, counted on a built network."""
    return sum(p.numel() for p in EmbeddingNet(channels, filters).parameters())


def check_embedding_parameters(answer: object, filters: int = 64) -> bool:
    """Lesson 02: how many parameters does f1 (two 3x3 convs, one input channel) have?"""
    f = int(filters)
    expected = embedding_parameters(f)
    why = (f"conv1 has 1*9*{f} weights + {f} biases = {9 * f + f:,}; conv2 has {f}*9*{f} + {f} "
           f"= {9 * f * f + f:,}; together {expected:,}.")
    value = as_number(answer)
    if value == expected:
        return verdict(True, why)
    if value is None:
        return verdict(False, f"answer with a whole number of parameters (got {answer!r}).")
    if value == 9 * f + 9 * f * f:
        return verdict(False, "close: every filter also has a bias.")
    if value == 9 * f * f + f:
        return verdict(False, "that is conv2 alone; f1 has two convolutions.")
    return verdict(False, f"{value:g} is not it. Count weights (in * 3 * 3 * out) and biases "
                          f"(out) per conv, or sum p.numel() over dl.EmbeddingNet(filters={f})"
                          ".parameters().")


def check_receptive_field(answer: object, recursions: int = 6) -> bool:
    """Lesson 03: the side (pixels) of the receptive field of DRCN with D recursions.

    Accepts ``21``, ``"21x21"`` or ``(21, 21)``.
    """
    d = int(recursions)
    expected = receptive_field(d)
    layers = conv_depth(d)
    why = (f"f1 (2) + f2 ({d}) + f3 (2) = {layers} convs of 3x3, each widening the view by 2 "
           f"pixels: 2 * {layers} + 1 = {expected}, i.e. {expected}x{expected}.")
    side = as_side(answer)
    if side == expected:
        return verdict(True, why)
    if side is None:
        return verdict(False, f"answer with a side in pixels, e.g. 15 or '15x15' (got {answer!r}).")
    if side == 2 * d + 1:
        return verdict(False, "you counted f2 only; f1 and f3 add two 3x3 convs each.")
    if side == layers:
        return verdict(False, f"{layers} is the number of conv layers; each adds 2 pixels.")
    if side in (2 * layers, 2 * layers - 1):
        return verdict(False, "off by one: one 3x3 conv alone sees 3 pixels (2 * 1 + 1).")
    return verdict(False, f"{side} is not it. Count the 3x3 convs on the path from x to y_D.")


def inference_parameters(filters: int, recursions: int) -> int:
    """Weights and biases of f2 with ``filters`` filters, counted on a built network."""
    return sum(p.numel() for p in InferenceNet(filters, recursions).parameters())


def check_inference_parameters(answer: object, filters: int = 64, recursions: int = 100) -> bool:
    """Lesson 03: how many parameters does f2 hold with F filters and D recursions?

    A wrong answer gets a hint, never the expected number.
    """
    f, d = int(filters), int(recursions)
    expected = inference_parameters(f, d)
    value = as_number(answer)
    if value == expected:
        return verdict(True, f"f2 is ONE {f}x{f}x3x3 convolution and its {f} biases, "
                             f"{f}*9*{f} + {f} = {expected:,}, whatever D is: {d} recursions "
                             "reuse it.")
    if value is None:
        return verdict(False, f"answer with a whole number of parameters (got {answer!r}).")
    if value == expected * d or value == expected * (d + 4):
        return verdict(False, "you gave every recursion its own weights; in f2 all D passes "
                              "use the same convolution.")
    if value == 9 * f * f:
        return verdict(False, "close: the convolution also has one bias per filter.")
    return verdict(False, f"{value:g} is not it. f2 holds one convolution from F maps to F "
                          "maps: count its weights (in * 3 * 3 * out) and biases (out).")


def equal_weight_gain(outputs: Sequence[np.ndarray], weights: Sequence[float],
                      pair: SRPair) -> tuple[float, float]:
    """Benchmark PSNR (dB) of the learned ensemble sum_d w_d y_d and of the plain mean of the
    y_d (every w_d = 1/D), both rounded to 8 bits and scored with crop = scale."""
    ys = np.stack([np.asarray(y, dtype=np.float64) for y in outputs])
    w = np.asarray(weights, dtype=np.float64).reshape(-1, 1, 1)
    if len(w) != len(ys):
        raise ValueError(f"{len(w)} weights for {len(ys)} outputs")

    def score(y: np.ndarray) -> float:
        return psnr_y(to_uint8(y).astype(np.float64), pair.hr_y, crop=pair.scale)

    return score((w * ys).sum(axis=0)), score(ys.mean(axis=0))


def check_equal_weights_prediction(prediction: object, outputs: Sequence[np.ndarray],
                                   weights: Sequence[float], pair: SRPair) -> bool:
    """Lesson 05, predict then run: replacing the learned w_d by equal weights 1/D, is the
    image's PSNR ``"higher"`` or ``"lower"``?

    The measurement is printed only once the prediction is right: a wrong or missing one gets
    a hint, never the measured numbers.
    """
    answer = str(prediction).strip().lower() if isinstance(prediction, str) else None
    if answer not in ("higher", "lower"):
        return verdict(False, "write your prediction first: prediction = \"higher\" or "
                              f"\"lower\" (got {prediction!r}); the cell measures it then.")
    learned, mean = equal_weight_gain(outputs, weights, pair)
    measured = "higher" if mean > learned else "lower"
    if answer != measured:
        return verdict(False, "not what the measurement says. Think about what trained the "
                              "w_d, and on what; then look at the weights figure above again.")
    return verdict(True, f"with equal weights the PSNR is {mean:.2f} dB, with the learned "
                         f"w_d {learned:.2f} dB ({mean - learned:+.2f} dB).")
