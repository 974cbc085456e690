"""Image loading: every mode becomes uint8 grey or RGB, every broken file a clear ImageError."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from drcn_lib.errors import ImageError
from drcn_lib.protocol.image_io import load_image, save_image


def _rgb(h: int = 6, w: int = 8) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_rgb_and_grey_round_trip(tmp_path: Path) -> None:
    rgb = _rgb()
    save_image(tmp_path / "c.png", rgb)
    out = load_image(tmp_path / "c.png")
    assert out.dtype == np.uint8 and out.shape == (6, 8, 3)
    np.testing.assert_array_equal(out, rgb)
    grey = rgb[:, :, 0]
    save_image(tmp_path / "g.png", grey)
    np.testing.assert_array_equal(load_image(tmp_path / "g.png"), grey)


def test_channel_order_is_rgb(tmp_path: Path) -> None:
    Image.new("RGB", (2, 2), (255, 0, 0)).save(tmp_path / "red.png")
    np.testing.assert_array_equal(load_image(tmp_path / "red.png")[0, 0], [255, 0, 0])


def test_rgba_is_composited_on_white(tmp_path: Path) -> None:
    px = np.array([[[10, 20, 30, 0], [10, 20, 30, 255], [0, 0, 0, 128]]], dtype=np.uint8)
    Image.fromarray(px, "RGBA").save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    assert out.shape == (1, 3, 3)
    np.testing.assert_array_equal(out[0, 0], [255, 255, 255])  # transparent -> white
    np.testing.assert_array_equal(out[0, 1], [10, 20, 30])  # opaque -> unchanged
    assert 120 <= out[0, 2, 0] <= 130  # half transparent black -> mid grey


def test_la_becomes_grey_on_white(tmp_path: Path) -> None:
    px = np.array([[[40, 0], [40, 255]]], dtype=np.uint8)
    Image.fromarray(px, "LA").save(tmp_path / "la.png")
    np.testing.assert_array_equal(load_image(tmp_path / "la.png"), [[255, 40]])


def test_palette_becomes_rgb(tmp_path: Path) -> None:
    img = Image.new("P", (3, 2))
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.putpixel((1, 0), 1)
    img.save(tmp_path / "p.png")
    out = load_image(tmp_path / "p.png")
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out[0, 0], [255, 0, 0])
    np.testing.assert_array_equal(out[0, 1], [0, 0, 255])


def test_sixteen_bit_grey_is_scaled_to_uint8(tmp_path: Path) -> None:
    px = np.array([[0, 257 * 100, 65535]], dtype=np.uint16)
    Image.fromarray(px).save(tmp_path / "16.png")
    with Image.open(tmp_path / "16.png") as probe:
        assert probe.mode.startswith("I")
    np.testing.assert_array_equal(load_image(tmp_path / "16.png"), [[0, 100, 255]])


def test_int32_and_float_modes(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 257 * 3]], dtype=np.int32), "I").save(tmp_path / "i.tif")
    np.testing.assert_array_equal(load_image(tmp_path / "i.tif"), [[0, 3]])
    Image.fromarray(np.array([[0.0, 0.5, 2.0]], dtype=np.float32), "F").save(tmp_path / "f.tif")
    np.testing.assert_array_equal(load_image(tmp_path / "f.tif"), [[0, 128, 255]])


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (8, 8), (0, 0, 0, 0)).save(tmp_path / "k.jpg")
    out = load_image(tmp_path / "k.jpg")
    assert out.shape == (8, 8, 3)
    assert out.min() >= 250  # no ink is white


def test_exif_orientation_is_ignored(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    Image.fromarray(_rgb(4, 8)).save(tmp_path / "o.png", exif=exif)
    assert load_image(tmp_path / "o.png").shape == (4, 8, 3)


def test_missing_empty_directory_and_text_files(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"nope\.png: no such file"):
        load_image(tmp_path / "nope.png")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageError, match=r"empty\.png: empty file"):
        load_image(tmp_path / "empty.png")
    with pytest.raises(ImageError, match="not a file"):
        load_image(tmp_path)
    (tmp_path / "text.png").write_text("this is not an image\n")
    with pytest.raises(ImageError, match=r"text\.png: not a readable image"):
        load_image(tmp_path / "text.png")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_files_are_errors_not_grey_padding(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(3)
    noisy = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)  # incompressible: long data
    full = tmp_path / f"full{suffix}"
    Image.fromarray(noisy).save(full)
    data = full.read_bytes()
    cut = tmp_path / f"cut{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match=rf"cut\{suffix}: corrupt or truncated"):
        load_image(cut)


def test_decompression_bomb_guard(tmp_path: Path) -> None:
    Image.new("L", (100, 100)).save(tmp_path / "big.png")
    with pytest.raises(ImageError, match="10000 pixels exceeds the limit of 9999"):
        load_image(tmp_path / "big.png", max_pixels=9999)
    assert load_image(tmp_path / "big.png", max_pixels=10000).shape == (100, 100)


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "out.png"
    save_image(target, _rgb())
    before = target.read_bytes()

    def broken_save(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_image(target, np.zeros((6, 8, 3), dtype=np.uint8))
    assert target.read_bytes() == before  # the old file survives a failed write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_save_rounds_floats_and_rejects_bad_input(tmp_path: Path) -> None:
    save_image(tmp_path / "f.png", np.array([[0.4, 0.5, 254.6, 300.0]]))
    np.testing.assert_array_equal(load_image(tmp_path / "f.png"), [[0, 1, 255, 255]])
    with pytest.raises(ImageError, match="'.jpg'"):
        save_image(tmp_path / "x.jpg", _rgb())
    with pytest.raises(ImageError, match="shape"):
        save_image(tmp_path / "x.png", np.zeros((2, 2, 4), dtype=np.uint8))
    with pytest.raises(ImageError, match="does not exist"):
        save_image(tmp_path / "no" / "x.png", _rgb())
