"""Other libraries' bicubic resizes: where they equal MATLAB's and where they do not."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from drcn_lib.errors import ImageError
from drcn_lib.protocol.other_resizers import (
    RESIZERS,
    matlab_resize,
    round_trip,
    round_trip_predictor,
)
from drcn_lib.protocol.pairs import benchmark_pair


def _plane(h: int = 36, w: int = 42, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(16, 235, (h, w))


@pytest.mark.parametrize("name", list(RESIZERS))
def test_every_resizer_keeps_a_flat_image_flat(name: str) -> None:
    flat = np.full((12, 18), 77.0)
    for shape in [(4, 6), (36, 54)]:
        np.testing.assert_allclose(RESIZERS[name](flat, shape), 77.0, atol=1e-3)


@pytest.mark.parametrize("name", ["pillow", "pytorch-antialias"])
@pytest.mark.parametrize("factor", [3, 1 / 3])
def test_antialiased_a_half_resizers_equal_matlab_inside_the_image(name: str,
                                                                   factor: float) -> None:
    img = _plane()
    shape = (round(36 * factor), round(42 * factor))
    ours, theirs = matlab_resize(img, shape), RESIZERS[name](img, shape)
    m = 6 if factor > 1 else 3  # stay clear of the border, where the rules differ
    np.testing.assert_allclose(theirs[m:-m, m:-m], ours[m:-m, m:-m], atol=1e-3)
    assert np.abs(theirs - ours).max() > 1e-2  # ... and they do differ at the border


def test_plain_pytorch_bicubic_differs_from_matlab_everywhere() -> None:
    img = _plane()
    for shape in [(12, 14), (108, 126)]:
        diff = np.abs(RESIZERS["pytorch"](img, shape) - matlab_resize(img, shape))
        assert diff[4:-4, 4:-4].max() > 1.0  # a = -0.75 and no antialiasing: not a border effect


def test_round_trip_stays_on_the_grid_and_accepts_read_only_input() -> None:
    img = _plane(36, 42)
    img.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns on non-writable arrays
        for name in RESIZERS:
            assert round_trip(img, 3, name).shape == (36, 42)


def test_round_trip_refuses_bad_method_and_scale() -> None:
    with pytest.raises(ImageError, match="matlab, pytorch, pytorch-antialias, pillow"):
        round_trip(_plane(), 3, "opencv")
    with pytest.raises(ImageError, match="modcrop"):
        round_trip(_plane(35, 42), 3, "pillow")
    with pytest.raises(ImageError, match="HxW plane"):
        round_trip(np.zeros((6, 6, 3)), 3, "pillow")


def test_predictor_matlab_is_the_benchmark_input() -> None:
    hr = np.random.default_rng(1).integers(0, 256, (24, 30, 3), dtype=np.uint8)
    pair = benchmark_pair(hr, 3)
    out = round_trip_predictor(["matlab", "pillow"])(pair)
    assert out["matlab"] is pair.bicubic_y
    np.testing.assert_allclose(round_trip(pair.hr_y, 3, "matlab"), pair.bicubic_y, atol=1e-9)
    assert out["pillow"].shape == pair.hr_y.shape
