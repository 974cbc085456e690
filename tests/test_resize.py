"""MATLAB bicubic imresize: hand-computed kernel values, MATLAB's size, boundary and dtype rules."""

from __future__ import annotations

import numpy as np
import pytest

from drcn_lib.errors import ImageError
from drcn_lib.protocol.resize import (
    contributions,
    cubic,
    imresize,
    modcrop,
    resize_matrix,
    to_uint8,
)


def test_cubic_kernel_is_keys_a_minus_half() -> None:
    # a = -0.5 (MATLAB); PyTorch/OpenCV's a = -0.75 would give -0.09375 at 1.5.
    assert cubic(1.5) == pytest.approx(-0.0625)
    assert cubic(0.5) == pytest.approx(0.5625)
    np.testing.assert_allclose(cubic(np.array([0.0, 1.0, 2.0, 2.5, -1.0])), [1, 0, 0, 0, 0])


def test_contribution_rows_sum_to_one_and_indices_are_in_range() -> None:
    weights, idx = contributions(7, 3, 1 / 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert idx.min() >= 0 and idx.max() <= 6


def _row(values: list[float]) -> np.ndarray:
    return np.array([values], dtype=np.float64)


def test_upsampling_an_impulse_by_two_gives_the_hand_computed_taps() -> None:
    # Output pixel x (1-based) samples u = x/2 + 1/4; an impulse of 64 at input 4 is seen at
    # distances 1.75, 1.25, 0.75, 0.25 -> 64 * cubic(d) = -1.5, -4.5, 14.5, 55.5.
    out = imresize(_row([0, 0, 0, 64, 0, 0, 0, 0]), 2)
    assert out.shape == (2, 16)
    np.testing.assert_allclose(out[0], out[1])  # the single row is copied exactly
    expected = [0, 0, 0, -1.5, -4.5, 14.5, 55.5, 55.5, 14.5, -4.5, -1.5, 0, 0, 0, 0, 0]
    np.testing.assert_allclose(out[0], expected, atol=1e-12)


def test_downsampling_stretches_the_kernel_for_antialiasing() -> None:
    # scale 1/2: h(d) = 0.5 * cubic(d / 2), width 8; output x samples u = 2x - 0.5.
    row = np.zeros(16)
    row[7] = 64  # 1-based position 8
    out = imresize(row[None, :], 0.5)
    assert out.shape == (1, 8)
    np.testing.assert_allclose(out[0], [0, 0, -2.25, 27.75, 7.25, -0.75, 0, 0], atol=1e-12)
    plain = imresize(row[None, :], 0.5, antialiasing=False)
    assert not np.allclose(plain, out)


def test_boundary_is_mirrored_as_matlab() -> None:
    # First output of x2 upsampling: taps at 1-based -1, 0, 1, 2 mirror to 2, 1, 1, 2, so
    # out = (0.2265625 + 0.8671875) a - (0.0234375 + 0.0703125) b = 1.09375 a - 0.09375 b.
    out = imresize(_row([32, 0, 0, 0]), 2)
    assert out[0, 0] == pytest.approx(35.0)  # clamping the indices would give 34.25


def test_scale_one_is_the_identity() -> None:
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (9, 7, 3))
    np.testing.assert_allclose(imresize(img, 1), img, atol=1e-12)
    u8 = rng.integers(0, 256, (9, 7), dtype=np.uint8)
    np.testing.assert_array_equal(imresize(u8, 1), u8)


@pytest.mark.parametrize("scale", [1 / 4, 1 / 3, 1 / 2, 2, 3, 4])
def test_constant_image_stays_constant(scale: float) -> None:
    img = np.full((12, 13), 77.25)
    np.testing.assert_allclose(imresize(img, scale), 77.25, atol=1e-9)
    u8 = np.full((12, 13, 3), 200, dtype=np.uint8)
    out = imresize(u8, scale)
    assert out.dtype == np.uint8
    assert np.all(out == 200)


@pytest.mark.parametrize(
    ("shape", "scale", "expected"),
    [
        ((7, 7), 1 / 3, (3, 3)),
        ((7, 10), 1 / 2, (4, 5)),
        ((3, 5), 3, (9, 15)),
        ((6, 9), 1 / 3, (2, 3)),
    ],
)
def test_output_size_is_matlab_ceil(shape: tuple[int, int], scale: float, expected: tuple) -> None:
    assert imresize(np.zeros(shape), scale).shape == expected


def test_output_shape_argument_and_channels() -> None:
    out = imresize(np.zeros((10, 20, 3)), output_shape=(5, 7))
    assert out.shape == (5, 7, 3)


def test_dtypes_follow_matlab() -> None:
    rng = np.random.default_rng(1)
    u8 = rng.integers(0, 256, (1, 9), dtype=np.uint8)
    out = imresize(u8, 3)
    assert out.dtype == np.uint8
    # one row: the row pass copies, so the only rounding is MATLAB's on the column pass
    np.testing.assert_array_equal(out, to_uint8(imresize(u8.astype(np.float64), 3)))
    assert imresize(u8.astype(np.float32), 3).dtype == np.float64


def test_uint8_output_is_clipped_not_wrapped() -> None:
    u8 = np.array([[0, 0, 255, 255, 0, 0]], dtype=np.uint8)
    out = imresize(u8, 2)
    as_float = imresize(u8.astype(np.float64), 2)
    assert as_float.max() > 255 and as_float.min() < 0  # bicubic overshoots...
    assert out.max() == 255 and out.min() == 0  # ...and uint8 saturates


def test_smallest_scale_dimension_is_resized_first() -> None:
    rng = np.random.default_rng(2)
    u8 = rng.integers(0, 256, (8, 12), dtype=np.uint8)
    rows = resize_matrix(8, 16, 2.0)
    cols = resize_matrix(12, 6, 0.5)
    cols_first = to_uint8(rows @ to_uint8(u8 @ cols.T).astype(np.float64))
    rows_first = to_uint8(to_uint8(rows @ u8).astype(np.float64) @ cols.T)
    assert not np.array_equal(cols_first, rows_first)  # the test can tell the orders apart
    np.testing.assert_array_equal(imresize(u8, scale=(2, 0.5)), cols_first)


def test_to_uint8_rounds_half_away_from_zero_and_saturates() -> None:
    np.testing.assert_array_equal(
        to_uint8(np.array([0.5, 1.5, 2.5, -3.0, 254.5, 300.0])), [1, 2, 3, 0, 255, 255]
    )


def test_input_is_never_mutated_and_readonly_input_works() -> None:
    img = np.arange(48, dtype=np.float64).reshape(6, 8)
    img.setflags(write=False)
    before = img.copy()
    out = imresize(img, 1)
    out[0, 0] = -1
    np.testing.assert_array_equal(img, before)
    imresize(img, 1 / 2)
    np.testing.assert_array_equal(img, before)


def test_bad_arguments_raise_image_errors() -> None:
    with pytest.raises(ImageError, match="exactly one"):
        imresize(np.zeros((4, 4)))
    with pytest.raises(ImageError, match="positive"):
        imresize(np.zeros((4, 4)), -2)
    with pytest.raises(ImageError, match="shape"):
        imresize(np.zeros(4), 2)
    with pytest.raises(ImageError, match="uint16"):
        imresize(np.zeros((4, 4), dtype=np.uint16), 2)


def test_modcrop_keeps_top_left_and_copies() -> None:
    img = np.arange(7 * 10).reshape(7, 10)
    out = modcrop(img, 3)
    assert out.shape == (6, 9)
    np.testing.assert_array_equal(out, img[:6, :9])
    out[0, 0] = -1
    assert img[0, 0] == 0
    assert modcrop(np.zeros((8, 8, 3)), 4).shape == (8, 8, 3)
    with pytest.raises(ImageError, match="positive integer"):
        modcrop(img, 0)
    with pytest.raises(ImageError, match="smaller"):
        modcrop(np.zeros((2, 9)), 3)
