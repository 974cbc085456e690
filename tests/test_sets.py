"""benchmark_pair: shapes on the modcropped grid, the rounding, grey and colour images."""

from __future__ import annotations

import numpy as np
import pytest

from drcn_lib.errors import ImageError
from drcn_lib.protocol.colour import to_y
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.protocol.resize import imresize, modcrop, to_uint8


def _rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_shapes_follow_modcrop() -> None:
    pair = benchmark_pair(_rgb(20, 31), 3)
    assert pair.hr.shape == (18, 30, 3)
    assert pair.hr_y.shape == pair.bicubic_y.shape == (18, 30)
    assert pair.lr_y.shape == (6, 10)
    assert pair.bicubic_cbcr is not None and pair.bicubic_cbcr.shape == (18, 30, 2)
    assert pair.scale == 3


def test_pipeline_is_rounded_y_then_double_bicubic_down_and_up() -> None:
    img = _rgb(24, 24, seed=1)
    pair = benchmark_pair(img, 2)
    y = to_uint8(to_y(modcrop(img, 2))).astype(np.float64)
    np.testing.assert_array_equal(pair.hr_y, y)
    np.testing.assert_allclose(pair.lr_y, imresize(y, 0.5))
    np.testing.assert_allclose(pair.bicubic_y, imresize(imresize(y, 0.5), 2))
    assert not np.allclose(pair.bicubic_y, np.round(pair.bicubic_y))  # input is not rounded
    np.testing.assert_array_equal(pair.bicubic_scored, np.round(pair.bicubic_scored))


def test_grey_image_is_scored_on_its_intensity() -> None:
    grey = np.full((16, 16), 200, dtype=np.uint8)
    pair = benchmark_pair(grey, 4)
    assert pair.bicubic_cbcr is None
    np.testing.assert_array_equal(pair.hr_y, 200.0)  # not mapped into [16, 235]
    np.testing.assert_allclose(pair.bicubic_y, 200.0, atol=1e-9)


def test_pair_is_read_only_and_input_untouched() -> None:
    img = _rgb(12, 12)
    before = img.copy()
    pair = benchmark_pair(img, 2)
    np.testing.assert_array_equal(img, before)
    with pytest.raises(ValueError, match="read-only"):
        pair.hr_y[0, 0] = 0
    with pytest.raises(AttributeError):
        pair.scale = 3  # type: ignore[misc]


def test_bad_inputs() -> None:
    with pytest.raises(ImageError, match="uint8"):
        benchmark_pair(np.zeros((12, 12)), 2)
    with pytest.raises(ImageError, match="at least 2"):
        benchmark_pair(_rgb(12, 12), 1)
    with pytest.raises(ImageError, match="too small"):
        benchmark_pair(_rgb(5, 12), 4)
