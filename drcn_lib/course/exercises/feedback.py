"""How every ``check_...`` helper answers: one printed line that says right or wrong, and why.

A learner types a number (or ``"41x41"``); the helper prints ``Right: ...`` or ``Not yet: ...``
with the reasoning or a hint, and returns the verdict as a bool so that a notebook test can
assert on it. Answers of the wrong kind (text where a number is due, ``True``) are wrong answers
with a hint, never a traceback.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np


def verdict(correct: bool, why: str) -> bool:
    """Print ``Right: why`` or ``Not yet: why`` and return ``correct``."""
    print(f"{'Right' if correct else 'Not yet'}: {why}")
    return bool(correct)


def as_number(answer: object) -> float | None:
    """The answer as a finite float (int, float, numpy scalar or numeric text), else ``None``."""
    if isinstance(answer, (bool, np.bool_)):
        return None
    if isinstance(answer, (int, float, np.integer, np.floating)):
        value = float(answer)
    elif isinstance(answer, str):
        try:
            value = float(answer.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def as_side(answer: object) -> int | None:
    """A square's side from ``41``, ``41.0``, ``"41"``, ``"41x41"``, ``"41 x 41"`` or ``(41, 41)``;
    ``None`` for anything else, including non-square answers such as ``(41, 21)``."""
    if isinstance(answer, str):
        parts = [p for p in re.split(r"\s*[x×*]\s*", answer.strip().lower()) if p]
        values = [as_number(p) for p in parts]
    elif isinstance(answer, Sequence) and not isinstance(answer, str):
        values = [as_number(p) for p in answer]
    else:
        values = [as_number(answer)]
    if not values or any(v is None or v != int(v) for v in values) or len(set(values)) != 1:
        return None
    return int(values[0])  # type: ignore[arg-type]
