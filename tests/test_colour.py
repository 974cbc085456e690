"""MATLAB rgb2ycbcr (BT.601 studio swing): known values, RGB order, round trip, grey handling."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import rgb2ycbcr

from drcn_lib.errors import ImageError
from drcn_lib.protocol.colour import rgb_to_ycbcr, to_y, ycbcr_to_rgb


def _pixel(r: int, g: int, b: int) -> np.ndarray:
    return np.array([[[r, g, b]]], dtype=np.uint8)


def test_white_and_black_map_to_studio_swing() -> None:
    assert to_y(_pixel(255, 255, 255))[0, 0] == pytest.approx(235.0)
    assert to_y(_pixel(0, 0, 0))[0, 0] == pytest.approx(16.0)
    np.testing.assert_allclose(rgb_to_ycbcr(_pixel(0, 0, 0))[0, 0], [16, 128, 128])


def test_channel_order_is_rgb_not_bgr() -> None:
    assert to_y(_pixel(255, 0, 0))[0, 0] == pytest.approx(16 + 65.481)  # red
    assert to_y(_pixel(0, 0, 255))[0, 0] == pytest.approx(16 + 24.966)  # blue
    assert to_y(_pixel(0, 255, 0))[0, 0] == pytest.approx(16 + 128.553)  # green


def test_matches_scikit_image_rgb2ycbcr() -> None:
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (5, 6, 3), dtype=np.uint8)
    np.testing.assert_allclose(rgb_to_ycbcr(img), rgb2ycbcr(img), atol=1e-9)


def test_round_trip() -> None:
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 255, (4, 5, 3))
    np.testing.assert_allclose(ycbcr_to_rgb(rgb_to_ycbcr(img)), img, atol=1e-9)


def test_uint8_and_float_in_0_255_agree() -> None:
    rng = np.random.default_rng(2)
    img = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
    np.testing.assert_allclose(to_y(img), to_y(img.astype(np.float64)))
    assert to_y(img).dtype == np.float64


def test_grey_images_keep_their_own_intensity() -> None:
    grey = np.array([[0, 128, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(to_y(grey), [[0.0, 128.0, 255.0]])
    np.testing.assert_array_equal(to_y(grey[:, :, None]), [[0.0, 128.0, 255.0]])


def test_input_not_mutated() -> None:
    img = np.full((2, 2, 3), 100.0)
    before = img.copy()
    to_y(img)
    ycbcr_to_rgb(rgb_to_ycbcr(img))
    np.testing.assert_array_equal(img, before)


def test_bad_shapes_raise() -> None:
    with pytest.raises(ImageError, match="HxWx3"):
        rgb_to_ycbcr(np.zeros((2, 2, 4)))
    with pytest.raises(ImageError, match="shape"):
        to_y(np.zeros((2, 2, 2)))
