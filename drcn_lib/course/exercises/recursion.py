"""Exercises on the sub-networks and their unfolding (lessons 02 and 03).

``check_embedding_parameters(answer, filters)`` and ``check_receptive_field(answer, recursions)``
print right or wrong with the reasoning and return a bool. Expected values come from the
library (a built :class:`~drcn_lib.model.EmbeddingNet`, :mod:`drcn_lib.course.receptive_field`).
"""

from __future__ import annotations

from drcn_lib.course.exercises.feedback import as_number, as_side, verdict
from drcn_lib.course.receptive_field import conv_depth, receptive_field
from drcn_lib.model.subnets import EmbeddingNet


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
