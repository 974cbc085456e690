"""viz.images: the drawings every lesson reuses show what they claim (values, boxes, PSNRs)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.patches import Rectangle

from drcn_lib.errors import ImageError
from drcn_lib.protocol.colour import rgb_to_ycbcr
from drcn_lib.protocol.metrics import psnr_y
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.protocol.resize import to_uint8
from drcn_lib.viz import images as vi


def _photo(h: int = 48, w: int = 60, seed: int = 0) -> np.ndarray:
    """A smooth random colour image (bicubic does not destroy it entirely), uint8 HxWx3."""
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (h // 6 + 1, w // 6 + 1, 3))
    img = np.kron(coarse, np.ones((6, 6, 1)))[:h, :w]
    return to_uint8(img)


@pytest.fixture(autouse=True)
def _no_open_figures():
    yield
    assert plt.get_fignums() == [], "a viz function left a figure open in pyplot"


def test_to_display_rounds_half_away_and_saturates() -> None:
    out = vi.to_display(np.array([[-3.0, 0.5, 1.49, 254.5, 300.0]]))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, [[0, 1, 1, 255, 255]])


def test_y_to_rgb_inverts_the_colour_conversion() -> None:
    img = _photo()
    ycc = rgb_to_ycbcr(img)
    np.testing.assert_array_equal(vi.y_to_rgb(ycc[:, :, 0], ycc[:, :, 1:]), img)
    white = vi.y_to_rgb(np.full((2, 2), 235.0), np.full((2, 2, 2), 128.0))
    np.testing.assert_array_equal(white, np.full((2, 2, 3), 255))
    with pytest.raises(ImageError, match="same grid"):
        vi.y_to_rgb(np.zeros((4, 4)), np.zeros((4, 5, 2)))


def test_nearest_upsample_repeats_each_pixel_in_a_block() -> None:
    up = vi.nearest_upsample(np.array([[1, 2], [3, 4]]), 3)
    assert up.shape == (6, 6)
    np.testing.assert_array_equal(up[:3, 3:], 2)
    np.testing.assert_array_equal(up[3:, :3], 3)
    with pytest.raises(ImageError, match="positive integer"):
        vi.nearest_upsample(np.zeros((2, 2)), 0)


def test_crop_takes_top_left_height_width_and_refuses_outside() -> None:
    img = np.arange(100).reshape(10, 10)
    np.testing.assert_array_equal(vi.crop(img, (2, 3, 2, 4)), img[2:4, 3:7])
    with pytest.raises(ImageError, match="does not fit"):
        vi.crop(img, (8, 8, 4, 4))


def test_detail_box_finds_the_only_textured_square() -> None:
    img = np.full((80, 90), 120, dtype=np.uint8)
    rng = np.random.default_rng(1)
    img[30:46, 50:66] = rng.integers(0, 256, (16, 16))
    top, left, h, w = vi.detail_box(img, size=16)
    assert (h, w) == (16, 16)
    assert abs(top - 30) <= 1 and abs(left - 50) <= 1


def test_show_images_draws_each_image_and_its_zoom_with_a_red_box() -> None:
    img = _photo()
    fig = vi.show_images({"a": img, "b": img[:, :, 0]}, box=(4, 5, 10, 12), title="t")
    axes = fig.axes
    assert len(axes) == 4
    assert [ax.get_title() for ax in axes[:2]] == ["a", "b"]
    boxes = [p for p in axes[0].patches if isinstance(p, Rectangle)]
    assert len(boxes) == 1 and boxes[0].get_width() == 12 and boxes[0].get_height() == 10
    assert axes[2].images[0].get_array().shape[:2] == (10, 12)
    with pytest.raises(ImageError, match="one grid"):
        vi.show_images({"a": img, "b": img[:10]})


def test_pair_titles_carry_the_benchmark_psnr_and_lr_size() -> None:
    pair = benchmark_pair(_photo(), 3, name="toy")
    sr = pair.hr_y + 1.0  # a prediction 1 grey level off: 48.13 dB
    images = vi.pair_images(pair, {"model": sr})
    titles = list(images)
    bicubic = psnr_y(pair.bicubic_scored, pair.hr_y, crop=3)
    assert titles[1] == "LR x3 (16x20 px)"
    assert titles[2] == f"bicubic {bicubic:.2f} dB"
    assert titles[3] == "model 48.13 dB"
    assert all(v.shape[:2] == pair.hr_y.shape for v in images.values())
    with pytest.raises(ImageError, match="HR grid"):
        vi.pair_images(pair, {"bad": sr[:-1]})


def test_show_pair_in_grey_shows_y_planes() -> None:
    pair = benchmark_pair(_photo(), 2)
    fig = vi.show_pair(pair, colour=False, box=(0, 0, 8, 8))
    assert fig.axes[0].images[0].get_array().ndim == 2
    assert "x2" in fig.get_suptitle()


def test_difference_map_is_symmetric_and_marks_the_shaved_border() -> None:
    target = np.full((20, 24), 100.0)
    pred = target.copy()
    pred[5, 5] = 110.0
    fig = vi.difference_map(pred, target, crop=3)
    image = fig.axes[0].images[0]
    low, high = image.get_clim()
    assert low == -high
    np.testing.assert_array_equal(image.get_array(), pred - target)
    frames = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert len(frames) == 1 and frames[0].get_width() == 24 - 6
    with pytest.raises(ImageError, match="shape"):
        vi.difference_map(pred, target[:-1])


def test_show_ycbcr_draws_the_three_planes_of_the_conversion() -> None:
    img = _photo()
    fig = vi.show_ycbcr(img)
    ycc = rgb_to_ycbcr(img)
    for ax, k in zip(fig.axes, range(3), strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), to_uint8(ycc[:, :, k]))


def test_slider_callbacks_of_lessons_00_and_01_state_scale_and_psnr() -> None:
    img = _photo()
    img_before = img.copy()
    preview = vi.show_lr_preview(img, 4)
    assert "x4" in preview.get_suptitle() and "1/16 of the pixels" in preview.get_suptitle()
    fig = vi.bicubic_figure(img, 3, box=(0, 0, 8, 8))
    pair = benchmark_pair(img, 3)
    expected = psnr_y(pair.bicubic_scored, pair.hr_y, crop=3)
    assert f"{expected:.2f} dB" in fig.get_suptitle()
    np.testing.assert_array_equal(img, img_before)
