"""The first cell of every lesson: which mode, which device, which data.

``course = dl.course_setup()`` reads ``DRCN_SMOKE`` once (Pyro's tutorials do the same with
``smoke_test``), picks the device, seeds the generators and prints one short report, so a learner
sees at a glance whether the lesson will run on the paper's images and on what hardware.
Lessons then write ``steps = 3 if course.smoke else 300``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from drcn_lib.engine.hardware import cpu_capability, pick_device
from drcn_lib.settings import data_root, smoke_mode


@dataclass(frozen=True)
class Course:
    """Mode and device of a lesson; ``pick(smoke_value, real_value)`` chooses by mode."""

    smoke: bool
    device: torch.device

    def pick(self, smoke_value, real_value):  # noqa: ANN001, ANN201 - any type
        return smoke_value if self.smoke else real_value


def data_summary() -> str:
    """One line: which of the paper's sets are present under DRCN_DATA."""
    from drcn_lib.data.registry import SETS, set_status

    parts = []
    for name in SETS:
        st = set_status(name)
        parts.append(f"{name} {'yes' if st.state == 'present' else st.state}")
    return ", ".join(parts)


def course_setup(seed: int = 0, verbose: bool = True) -> Course:
    """Read the mode, pick the device, seed torch and numpy, and say so."""
    torch.manual_seed(seed)
    np.random.seed(seed)
    course = Course(smoke=smoke_mode(), device=pick_device())
    if verbose:
        mode = "SMOKE (tiny data, few steps: CI)" if course.smoke else "real"
        print(f"mode: {mode} | device: {course.device} | CPU: {cpu_capability()} | "
              f"torch {torch.__version__}")
        print(f"data ({data_root()}): {data_summary()}")
    return course
