"""Decoding uploaded bytes: the same arrays and the same clear errors as loading the file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from drcn_lib.errors import ImageError
from drcn_lib.protocol.image_io import load_image, load_image_bytes


def _rgb(h: int = 6, w: int = 8) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".gif", ".bmp", ".tif", ".webp"])
def test_bytes_decode_exactly_as_the_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"x{suffix}"
    Image.fromarray(_rgb(16, 12)).save(path)
    from_file = load_image(path)
    from_bytes = load_image_bytes(path.read_bytes(), name=path.name)
    assert from_bytes.dtype == np.uint8 and from_bytes.shape == from_file.shape
    np.testing.assert_array_equal(from_bytes, from_file)


def test_sixteen_bit_and_alpha_follow_the_file_rules(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 257 * 100, 65535]], dtype=np.uint16)).save(tmp_path / "16.png")
    np.testing.assert_array_equal(load_image_bytes((tmp_path / "16.png").read_bytes()),
                                  [[0, 100, 255]])
    px = np.array([[[10, 20, 30, 0]]], dtype=np.uint8)
    Image.fromarray(px, "RGBA").save(tmp_path / "a.png")
    np.testing.assert_array_equal(load_image_bytes((tmp_path / "a.png").read_bytes()),
                                  [[[255, 255, 255]]])  # transparent -> white


def test_exif_orientation_only_on_request(tmp_path: Path) -> None:
    img = _rgb(4, 8)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    Image.fromarray(img).save(tmp_path / "o.png", exif=exif)
    data = (tmp_path / "o.png").read_bytes()
    np.testing.assert_array_equal(load_image_bytes(data), img)  # stored grid by default
    upright = load_image_bytes(data, exif_transpose=True)
    np.testing.assert_array_equal(upright, np.rot90(img, k=-1))  # clockwise quarter turn


def test_broken_exif_keeps_a_good_image_readable(tmp_path: Path) -> None:
    img = _rgb(4, 8)
    exif = Image.Exif()
    exif[0x0112] = 99  # not an orientation
    Image.fromarray(img).save(tmp_path / "b.png", exif=exif)
    out = load_image_bytes((tmp_path / "b.png").read_bytes(), exif_transpose=True)
    np.testing.assert_array_equal(out, img)


def test_animated_gif_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("L", (4, 4), v) for v in (10, 200)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    out = load_image_bytes((tmp_path / "a.gif").read_bytes())
    assert out.shape[:2] == (4, 4) and int(np.asarray(out).max()) == 10


def test_bad_bytes_are_errors_that_name_the_upload(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"photo\.jpg: empty file"):
        load_image_bytes(b"", name="photo.jpg")
    with pytest.raises(ImageError, match=r"notes\.txt: not a readable image.*PNG, JPEG"):
        load_image_bytes(b"just some text\n", name="notes.txt")
    with pytest.raises(ImageError, match="expected the file's bytes, got str"):
        load_image_bytes("photo.jpg")  # type: ignore[arg-type]
    noisy = np.random.default_rng(3).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(tmp_path / "n.png")
    data = (tmp_path / "n.png").read_bytes()
    with pytest.raises(ImageError, match=r"cut\.png: corrupt or truncated"):
        load_image_bytes(data[: len(data) // 2], name="cut.png")
    with pytest.raises(ImageError, match="4096 pixels exceeds the limit of 4095"):
        load_image_bytes(memoryview(data), name="n.png", max_pixels=4095)
