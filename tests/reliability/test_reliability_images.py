"""Learners' own photos: every odd file gives a correct result or an error naming it and why.

Each case goes through the path a lesson takes: ``load_image`` (the one reader of the course),
then ``benchmark_pair`` (the problem at x3) and ``predict_y`` with a tiny DRCN (the super-resolved
Y), and separately the training path ``build_patches``. A case is handled when it either gives
the right pixels / shapes, or raises a :class:`~drcn_lib.errors.DRCNError` whose message names
the file and the reason. Any other exception (a numpy ``IndexError``, a Pillow ``OSError``) fails.
"""

from __future__ import annotations

import io
import re
import struct
import sys
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from drcn_lib.data.patches import PatchSpec, SkippedImageWarning, build_patches
from drcn_lib.engine.prediction import predict_y
from drcn_lib.errors import DRCNError, ImageError
from drcn_lib.model import DRCN
from drcn_lib.protocol.image_io import load_image
from drcn_lib.protocol.pairs import benchmark_pair

FAMILY = "bad images"
SCALE = 3


def _rgb(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A smooth colour image with some noise (JPEG keeps it within a few levels)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(x / 7.0 + seed)[..., None] * np.cos(y[..., None] / 5.0 + np.arange(3))
    return np.clip(np.rint(base + rng.normal(0, 8, (h, w, 3))), 0, 255).astype(np.uint8)


def _encode(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _png16(arr: np.ndarray) -> bytes:
    """A 16-bit PNG (grey HxW or RGB HxWx3) written by hand: Pillow cannot write 16-bit RGB."""
    h, w = arr.shape[:2]
    colour_type = 2 if arr.ndim == 3 else 0
    raw = b"".join(b"\x00" + arr[i].astype(">u2").tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def _png_header_only(w: int, h: int) -> bytes:
    """A PNG that declares w x h pixels but carries (almost) no data: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


RGB = _rgb(40, 50)
GREY16 = np.random.default_rng(1).integers(0, 65536, (40, 50)).astype(np.uint16)
RGB16 = np.random.default_rng(2).integers(0, 65536, (40, 50, 3)).astype(np.uint16)
ALPHA = np.random.default_rng(3).integers(0, 256, (40, 50), dtype=np.uint8)
_PNG = _encode(Image.fromarray(RGB), "PNG")
_JPEG = _encode(Image.fromarray(RGB), "JPEG", quality=95)


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def _palette_image() -> Image.Image:
    return Image.fromarray(RGB).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)


@dataclass(frozen=True)
class BadImage:
    """A file a learner might bring: its name, its bytes, and what the course must make of it.

    ``expect`` is ``None`` when the file must be refused (``reason`` is then a regex the message
    must match), else a function checking the decoded uint8 array.
    """

    name: str
    data: Callable[[], bytes]
    expect: Callable[[np.ndarray], None] | None = None
    reason: str = ""


def _equal(ref: np.ndarray) -> Callable[[np.ndarray], None]:
    def check(img: np.ndarray) -> None:
        np.testing.assert_array_equal(img, ref)

    return check


def _shape(shape: tuple[int, ...], within: np.ndarray | None = None, tol: int = 0):  # noqa: ANN202
    def check(img: np.ndarray) -> None:
        assert img.dtype == np.uint8 and img.shape == shape
        if within is not None:
            assert np.abs(img.astype(int) - within.astype(int)).max() <= tol

    return check


def _rgba_on_white(img: np.ndarray) -> None:
    a = ALPHA[..., None] / 255.0
    ref = RGB * a + 255 * (1 - a)  # composited on white, as image_io documents
    assert img.shape == RGB.shape and np.abs(img - ref).max() <= 1.0


CASES = [
    BadImage("truncated PNG (half the bytes)", lambda: _PNG[: len(_PNG) // 2],
             reason="corrupt or truncated"),
    BadImage("truncated JPEG (half the bytes)", lambda: _JPEG[: len(_JPEG) // 2],
             reason="corrupt or truncated"),
    BadImage("JPEG missing its last bytes", lambda: _JPEG[:-40], reason="corrupt or truncated"),
    BadImage("zero-byte .png", lambda: b"", reason="empty file"),
    BadImage("text file named .png", lambda: b"hello, this is not an image\n",
             reason="not a readable image"),
    BadImage("HTML error page saved as .png", lambda: b"<html><body>404</body></html>",
             reason="not a readable image"),
    BadImage("PNG with a flipped byte in its pixel data",
             lambda: _flip(_PNG, _PNG.index(b"IDAT") + 20),
             reason="corrupt or truncated|not a readable image"),
    BadImage("RGBA PNG", lambda: _encode(Image.fromarray(np.dstack([RGB, ALPHA]), "RGBA"), "PNG"),
             expect=_rgba_on_white),
    BadImage("palette PNG", lambda: _encode(_palette_image(), "PNG"),
             expect=_equal(np.asarray(_palette_image().convert("RGB")))),
    BadImage("16-bit greyscale PNG", lambda: _png16(GREY16),
             expect=_equal(np.round(GREY16 / 257).astype(np.uint8))),
    BadImage("16-bit RGB PNG", lambda: _png16(RGB16),
             expect=_shape((40, 50, 3), within=np.round(RGB16 / 257), tol=1)),
    BadImage("8-bit greyscale PNG", lambda: _encode(Image.fromarray(RGB[..., 1]), "PNG"),
             expect=_equal(RGB[..., 1])),
    BadImage("1-bit PNG", lambda: _encode(Image.fromarray(RGB[..., 0] > 127), "PNG"),
             expect=_equal(np.where(RGB[..., 0] > 127, 255, 0).astype(np.uint8))),
    BadImage("CMYK JPEG", lambda: _encode(Image.fromarray(RGB).convert("CMYK"), "JPEG"),
             expect=_shape((40, 50, 3), within=RGB, tol=40)),
    BadImage("JPEG named .png", lambda: _JPEG, expect=_shape((40, 50, 3), within=RGB, tol=40)),
    BadImage("1x1 PNG", lambda: _encode(Image.fromarray(RGB[:1, :1]), "PNG"),
             expect=_equal(RGB[:1, :1])),
    BadImage("5x5 PNG (smaller than 2 x scale)", lambda: _encode(Image.fromarray(RGB[:5, :5]),
                                                                 "PNG"),
             expect=_equal(RGB[:5, :5])),
    BadImage("40x40 PNG (smaller than a 41 px patch)",
             lambda: _encode(Image.fromarray(_rgb(40, 40)), "PNG"), expect=_equal(_rgb(40, 40))),
    BadImage("PNG declaring 20000x20000 pixels", lambda: _png_header_only(20000, 20000),
             reason="decompression bomb|too many pixels"),
]


@pytest.fixture(scope="module")
def tiny_drcn() -> DRCN:
    """A small DRCN with fixed random weights: enough to run the whole inference path."""
    torch.manual_seed(0)
    return DRCN(recursions=2, filters=4).eval()


def _assert_names_file_and_reason(err: DRCNError, path: Path, reason: str) -> None:
    msg = str(err)
    assert path.name in msg, f"error does not name the file: {msg}"
    assert reason and re.search(reason, msg), f"error does not say why: {msg}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_learner_photo_gives_a_result_or_a_named_error(case: BadImage, tmp_path: Path, tally,
                                                        tiny_drcn: DRCN) -> None:
    with tally.case(FAMILY, case.name):
        path = tmp_path / "my photo.png"
        path.write_bytes(case.data())
        if case.expect is None:
            with pytest.raises(ImageError) as err:
                load_image(path)
            _assert_names_file_and_reason(err.value, path, case.reason)
            return
        img = load_image(path)
        case.expect(img)
        assert img.dtype == np.uint8 and (img.ndim == 2 or img.shape[2] == 3)
        # the rest of a lesson: the x3 problem and the network's answer, or a clear "too small"
        if min(img.shape[:2]) < 2 * SCALE:
            with pytest.raises(ImageError, match=rf"shape \(.*\).*scale {SCALE}"):
                benchmark_pair(img, SCALE)
            return
        pair = benchmark_pair(img, SCALE, name=path.stem)
        out = predict_y(tiny_drcn, pair.bicubic_y, tile=16)
        assert out.ensemble.shape == pair.hr_y.shape and np.isfinite(out.ensemble).all()


SMALL = [(1, 1), (2, 2), (5, 5), (40, 40), (42, 42)]  # 42 at x4: modcrop to 40 < 41


@pytest.mark.parametrize("hw", SMALL, ids=[f"{h}x{w}" for h, w in SMALL])
def test_training_on_images_smaller_than_a_patch_names_them(hw: tuple[int, int], tmp_path: Path,
                                                            tally) -> None:
    """A training image too small for one 41x41 patch at its scale is named; if no image is
    left, the error names every file and its size."""
    h, w = hw
    scale = 4 if hw == (42, 42) else SCALE
    with tally.case(FAMILY, f"{h}x{w} training image at x{scale}, patch 41"):
        small = tmp_path / f"tiny_{h}x{w}.png"
        Image.fromarray(_rgb(h, w)).save(small)
        good = tmp_path / "big_enough.png"
        Image.fromarray(_rgb(60, 60, seed=5)).save(good)
        spec = PatchSpec(scale=scale, patch=41, stride=21)
        with pytest.warns(SkippedImageWarning, match=small.name):
            arrays = build_patches(spec, [small, good])
        assert len(arrays) == 1 and np.isfinite(arrays.inputs).all()
        with pytest.raises(ImageError, match=rf"{small.name} {h}x{w}"), warnings.catch_warnings():
            warnings.simplefilter("ignore", SkippedImageWarning)
            build_patches(spec, [small])


def test_broken_file_among_training_images_is_named(tmp_path: Path, tally) -> None:
    with tally.case(FAMILY, "truncated PNG among training images"):
        good = tmp_path / "good.png"
        Image.fromarray(_rgb(60, 60)).save(good)
        broken = tmp_path / "broken.png"
        broken.write_bytes(_PNG[:100])
        with pytest.raises(ImageError, match=r"broken\.png: corrupt or truncated"):
            build_patches(PatchSpec(scale=SCALE), [good, broken])


def test_too_small_image_in_an_evaluated_set_is_named(tmp_path: Path, monkeypatch, tally) -> None:
    """``evaluate`` names the file, not only the shape, when an image cannot be scored."""
    ev_module = sys.modules["drcn_lib.evaluate"]  # drcn_lib.evaluate is also a function name

    with tally.case(FAMILY, "2x2 image inside an evaluated set"):
        paths = [tmp_path / "fine.png", tmp_path / "speck.png"]
        Image.fromarray(_rgb(30, 30)).save(paths[0])
        Image.fromarray(_rgb(2, 2)).save(paths[1])
        monkeypatch.setattr(ev_module, "set_images", lambda name, data_root=None: list(paths))
        with pytest.raises(ImageError, match=r"speck\.png: .*scale 3"):
            ev_module.evaluate(ev_module.bicubic_predictor, ["Mine"], [3], "bicubic")


def test_large_image_tiled_inference_equals_untiled(tally) -> None:
    """The tiled path used for large photos computes what one pass computes.

    A 300 x 410 Y plane with a D = 5 model: tiles of 64 (and an awkward 97) with the default
    receptive margin (D + 4) agree with the untiled output to float32 rounding; with too small
    a margin they do not, which shows the test can see a wrong margin.
    """
    torch.manual_seed(1)
    model = DRCN(recursions=5, filters=8).eval()
    y = np.random.default_rng(0).uniform(16, 235, (300, 410))
    whole = predict_y(model, y)
    for tile in (64, 97):
        with tally.case(FAMILY, f"300x410 image, tiles of {tile} vs one pass"):
            tiled = predict_y(model, y, tile=tile)
            assert tiled.depth == whole.depth == 5
            for (_, a), (_, b) in zip(tiled.named(), whole.named(), strict=True):
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-3)
    cut = predict_y(model, y, tile=64, margin=2)
    assert np.abs(cut.ensemble - whole.ensemble).max() > 1e-2


def test_large_photo_end_to_end_on_the_tiled_path(tmp_path: Path, tally, tiny_drcn: DRCN) -> None:
    with tally.case(FAMILY, "900x1200 RGB photo through load, x3 pair and tiled DRCN"):
        big = np.random.default_rng(7).integers(0, 256, (900, 1200, 3), dtype=np.uint8)
        path = tmp_path / "holiday.jpg"
        Image.fromarray(big).save(path, quality=90)
        img = load_image(path)
        assert img.shape == (900, 1200, 3)
        pair = benchmark_pair(img, SCALE)
        out = predict_y(tiny_drcn, pair.bicubic_y, tile=256, intermediates=False)
        assert out.ensemble.shape == (900, 1200) and np.isfinite(out.ensemble).all()


def test_over_the_pixel_limit_is_refused_before_decoding(tmp_path: Path, tally) -> None:
    with tally.case(FAMILY, "3000x3000 PNG over a 1 MP max_pixels"):
        path = tmp_path / "huge.png"
        Image.new("L", (3000, 3000)).save(path)
        with pytest.raises(ImageError, match=r"huge\.png: 3000x3000 = 9000000 pixels exceeds"):
            load_image(path, max_pixels=1_000_000)


@pytest.mark.parametrize("bad", ["rgb", "empty", "tile"])
def test_wrong_inputs_to_predict_y_are_image_errors(bad: str, tally, tiny_drcn: DRCN) -> None:
    """Passing the RGB image, an empty array or a negative tile is a named error, not numpy's."""
    with tally.case(FAMILY, f"predict_y given {bad}"):
        arg = {"rgb": RGB.astype(float), "empty": np.zeros((0, 5))}.get(bad, np.ones((8, 8)))
        with pytest.raises(ImageError, match="predict_y"):
            predict_y(tiny_drcn, arg, tile=-1 if bad == "tile" else None)
