"""PSNR/SSIM on Y with the border shaved: closed-form values and the protocol's conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from drcn_lib.errors import ImageError
from drcn_lib.protocol.colour import to_y
from drcn_lib.protocol.metrics import psnr_y, shave, ssim_y


def test_shave_drops_crop_pixels_per_side() -> None:
    img = np.arange(100).reshape(10, 10)
    out = shave(img, 3)
    assert out.shape == (4, 4)
    assert out[0, 0] == img[3, 3]
    assert shave(img, 0).shape == (10, 10)
    assert shave(np.zeros((10, 12, 3)), 2).shape == (6, 8, 3)
    with pytest.raises(ImageError, match="leaves nothing"):
        shave(img, 5)
    with pytest.raises(ImageError, match="non-negative"):
        shave(img, -1)


def test_psnr_of_a_unit_error_is_20_log10_255() -> None:
    hr = np.full((20, 20), 100.0)
    assert psnr_y(hr + 1.0, hr, crop=2) == pytest.approx(20 * math.log10(255))
    assert psnr_y(hr + 10.0, hr, crop=2) == pytest.approx(20 * math.log10(25.5))


def test_psnr_ignores_the_shaved_border() -> None:
    hr = np.full((20, 20), 50.0)
    sr = hr.copy()
    sr[:3, :] = 0  # errors only in the border
    sr[:, -3:] = 255
    assert psnr_y(sr, hr, crop=3) == math.inf
    assert psnr_y(sr, hr, crop=2) < 20


def test_psnr_on_rgb_is_psnr_on_its_y() -> None:
    rng = np.random.default_rng(0)
    hr = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    sr = np.clip(hr.astype(int) + rng.integers(-5, 6, hr.shape), 0, 255).astype(np.uint8)
    assert psnr_y(sr, hr, 2) == pytest.approx(psnr_y(to_y(sr), to_y(hr), 2))


def test_ssim_of_constant_images_is_the_luminance_term() -> None:
    # sigma = 0 everywhere, so SSIM = (2ab + C1) / (a^2 + b^2 + C1), C1 = (0.01 * 255)^2.
    a, b, c1 = 100.0, 110.0, (0.01 * 255) ** 2
    expected = (2 * a * b + c1) / (a * a + b * b + c1)
    assert ssim_y(np.full((30, 30), a), np.full((30, 30), b), crop=2) == pytest.approx(expected)


def test_ssim_identity_and_symmetry() -> None:
    rng = np.random.default_rng(1)
    hr = rng.uniform(0, 255, (32, 32))
    sr = hr + rng.normal(0, 10, hr.shape)
    assert ssim_y(hr, hr, 2) == pytest.approx(1.0)
    s = ssim_y(sr, hr, 2)
    assert 0 < s < 1
    assert ssim_y(hr, sr, 2) == pytest.approx(s)


def test_ssim_uses_population_covariance_and_gaussian_window() -> None:
    # Independent check of the statistic itself, written out with scipy's Gaussian filter.
    from scipy.ndimage import gaussian_filter

    rng = np.random.default_rng(2)
    x = rng.uniform(0, 255, (24, 24))
    y = x + rng.normal(0, 20, x.shape)

    def g(img: np.ndarray) -> np.ndarray:
        return gaussian_filter(img, 1.5, truncate=3.5)

    mx, my = g(x), g(y)
    vx, vy, cxy = g(x * x) - mx * mx, g(y * y) - my * my, g(x * y) - mx * my
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
    expected = s[5:-5, 5:-5].mean()  # only window positions that fit inside the image
    assert ssim_y(y, x, crop=0) == pytest.approx(expected, abs=1e-6)


def test_shape_mismatch_names_both_shapes() -> None:
    with pytest.raises(ImageError, match=r"\(10, 10\).*\(10, 12\)"):
        psnr_y(np.zeros((10, 10)), np.zeros((10, 12)), 1)
    with pytest.raises(ImageError, match="same shape"):
        ssim_y(np.zeros((20, 20)), np.zeros((21, 20)), 1)


def test_ssim_too_small_image_is_a_clear_error() -> None:
    with pytest.raises(ImageError, match="11x11"):
        ssim_y(np.zeros((14, 14)), np.zeros((14, 14)), crop=2)
