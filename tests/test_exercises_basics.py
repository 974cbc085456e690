"""The check_ helpers of lessons 00-03: right answers pass, common mistakes get their hint."""

from __future__ import annotations

import math

import pytest

from drcn_lib.course.exercises.feedback import as_number, as_side
from drcn_lib.course.exercises.protocol import (
    benchmark_image_count,
    check_benchmark_image_count,
    check_psnr_of_offset,
    psnr_of_offset,
)
from drcn_lib.course.exercises.recursion import check_embedding_parameters, check_receptive_field


def test_answer_parsing() -> None:
    assert as_number(3) == 3.0 and as_number("2.5") == 2.5
    assert as_number(True) is None and as_number("x") is None and as_number(math.nan) is None
    assert as_side("41x41") == as_side("41 x 41") == as_side((41, 41)) == as_side(41.0) == 41
    assert as_side((41, 21)) is None and as_side("41x") == 41 and as_side(None) is None


def test_benchmark_image_count(capsys: pytest.CaptureFixture[str]) -> None:
    assert benchmark_image_count() == 5 + 14 + 100 + 100  # Set5, Set14, B100, Urban100
    assert check_benchmark_image_count(219) is True
    assert "Right" in capsys.readouterr().out
    assert check_benchmark_image_count(119) is False
    assert "Urban100" in capsys.readouterr().out
    assert check_benchmark_image_count(310) is False
    assert "training" in capsys.readouterr().out
    assert check_benchmark_image_count(None) is False


def test_psnr_of_offset(capsys: pytest.CaptureFixture[str]) -> None:
    assert psnr_of_offset(2.0) == pytest.approx(20 * math.log10(255 / 2))  # 42.11 dB
    assert psnr_of_offset(1.0) == pytest.approx(48.1308, abs=1e-4)
    assert check_psnr_of_offset(42.11) is True
    assert check_psnr_of_offset("42.1") is False
    capsys.readouterr()
    assert check_psnr_of_offset(10 * math.log10(255 / 2)) is False  # forgot the square
    assert "SQUARED" in capsys.readouterr().out
    assert check_psnr_of_offset(48.13, offset=1) is True
    assert check_psnr_of_offset("forty") is False


def test_embedding_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    f = 64
    assert check_embedding_parameters((9 * f + f) + (9 * f * f + f), filters=f) is True
    capsys.readouterr()
    assert check_embedding_parameters(9 * f + 9 * f * f, filters=f) is False
    assert "bias" in capsys.readouterr().out
    assert check_embedding_parameters(9 * f * f + f, filters=f) is False
    assert "conv2 alone" in capsys.readouterr().out
    assert check_embedding_parameters(592_640, filters=256) is True  # the paper's F = 256


def test_receptive_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_receptive_field(21, recursions=6) is True
    assert check_receptive_field("41x41", recursions=16) is True
    capsys.readouterr()
    assert check_receptive_field(13, recursions=6) is False
    assert "f2 only" in capsys.readouterr().out
    assert check_receptive_field(10, recursions=6) is False
    assert "number of conv layers" in capsys.readouterr().out
    assert check_receptive_field(20, recursions=6) is False
    assert "off by one" in capsys.readouterr().out
    assert check_receptive_field(None) is False


def test_inference_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    from drcn_lib.course.exercises.recursion import check_inference_parameters

    assert check_inference_parameters(36_928, filters=64, recursions=100) is True
    assert "whatever D is" in capsys.readouterr().out
    assert check_inference_parameters(36_928 * 100, filters=64, recursions=100) is False
    assert "its own weights" in capsys.readouterr().out
    assert check_inference_parameters(9 * 64 * 64, filters=64, recursions=100) is False
    assert "bias" in capsys.readouterr().out


WRONG_ANSWERS = [None, "forty", 7, 12345]


@pytest.mark.parametrize("wrong", WRONG_ANSWERS)
def test_checkers_hint_and_never_print_the_answer(wrong: object,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A missing or wrong answer gets a hint; the expected value is never in the message."""
    from drcn_lib.course import solutions
    from drcn_lib.course.exercises.recursion import check_inference_parameters

    cases = [
        (check_benchmark_image_count, {}, f"{solutions.exercise_00()}"),
        (check_psnr_of_offset, {"offset": 2}, f"{solutions.exercise_01(2):.2f}"),
        (check_embedding_parameters, {"filters": 32}, f"{solutions.exercise_02(32)}"),
        (check_inference_parameters, {"filters": 64, "recursions": 100},
         f"{solutions.exercise_03(64, 100)}"),
    ]
    for check, kwargs, expected in cases:
        assert check(wrong, **kwargs) is False
        out = capsys.readouterr().out.replace(",", "")
        assert out.startswith("Not yet:") and expected not in out, (check.__name__, out)


def test_worked_answers_pass() -> None:
    from drcn_lib.course import solutions
    from drcn_lib.course.exercises.recursion import check_inference_parameters

    assert check_benchmark_image_count(solutions.exercise_00())
    assert check_psnr_of_offset(solutions.exercise_01(2), offset=2)
    assert check_embedding_parameters(solutions.exercise_02(32), filters=32)
    assert check_inference_parameters(solutions.exercise_03(64, 100), filters=64, recursions=100)


def test_equal_weights_prediction(capsys: pytest.CaptureFixture[str]) -> None:
    """Predict then run: the measurement is printed only after a right prediction."""
    import numpy as np

    from drcn_lib.course.exercises.recursion import (
        check_equal_weights_prediction,
        equal_weight_gain,
    )
    from drcn_lib.protocol.pairs import benchmark_pair

    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (48, 48)).astype(np.uint8)
    pair = benchmark_pair(hr, 3)
    # y_1 is the truth, y_2 is off: the learned weights (1, 0) beat the mean.
    outputs = [pair.hr_y, pair.hr_y + 20.0]
    learned, mean = equal_weight_gain(outputs, [1.0, 0.0], pair)
    assert mean < learned
    for missing in (None, "maybe", 3):
        assert check_equal_weights_prediction(missing, outputs, [1.0, 0.0], pair) is False
        out = capsys.readouterr().out
        assert "write your prediction first" in out and "dB" not in out
    assert check_equal_weights_prediction("higher", outputs, [1.0, 0.0], pair) is False
    out = capsys.readouterr().out
    assert "Not yet" in out and "dB" not in out and f"{mean:.2f}" not in out
    assert check_equal_weights_prediction(" Lower", outputs, [1.0, 0.0], pair) is True
    assert f"{mean:.2f} dB" in capsys.readouterr().out
    # Equal weights win when the learned ones are the bad ones.
    assert check_equal_weights_prediction("higher", outputs, [0.0, 1.0], pair) is True
