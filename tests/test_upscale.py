"""``drcn upscale``: colour in, colour out; every bad request refused with nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from drcn_lib import cli
from drcn_lib.pretrained import available, pretrained
from drcn_lib.protocol.colour import to_y
from drcn_lib.protocol.image_io import load_image, save_image
from drcn_lib.protocol.metrics import psnr_y
from drcn_lib.protocol.resize import imresize, modcrop, to_uint8
from drcn_lib.settings import REPO_ROOT
from drcn_lib.upscale import choose_model, min_input_side, upscale_image

SHARED = next((p for p in (REPO_ROOT.parent / "shared" / "data", Path("/work/shared/data"))
               if (p / "Set5").is_dir()), None)
needs_x3 = pytest.mark.skipif("drcn-x3-d16" not in available(), reason="drcn-x3-d16 not shipped")


def _photo(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """A smooth colour test image (gradients plus a little noise), uint8."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.dstack([xx * 255 / w, yy * 255 / h, (xx + yy) * 127 / (h + w) + 60])
    img = img + rng.normal(0, 4, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    return img if len(shape) == 3 else img[:, :, 0]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(["upscale", *argv, "--no-progress", "--device", "cpu"])
    out, err = capsys.readouterr()
    return code, out, err


@needs_x3
@pytest.mark.skipif(SHARED is None, reason="the paper's images are not here")
def test_colour_round_trip_beats_bicubic_on_butterfly(tmp_path: Path, capsys) -> None:
    hr = modcrop(load_image(SHARED / "Set5" / "butterfly.png"), 3)
    lr = imresize(hr, 1 / 3)  # uint8 in, uint8 out: a photo as a camera might store it
    save_image(tmp_path / "lr.png", lr)
    code, out, _ = _run(capsys, str(tmp_path / "lr.png"), "--scale", "3",
                        "-o", str(tmp_path / "sr.png"))
    assert code == 0 and "wrote" in out
    sr = load_image(tmp_path / "sr.png")
    assert sr.shape == hr.shape == (255, 255, 3)
    assert np.abs(sr[..., 0].astype(int) - sr[..., 2]).mean() > 10  # colour, not grey
    hr_y = to_uint8(to_y(hr)).astype(np.float64)
    bicubic_y = to_uint8(imresize(to_uint8(to_y(lr)).astype(np.float64), 3.0)).astype(float)
    gain = psnr_y(to_y(sr), hr_y, crop=3) - psnr_y(bicubic_y, hr_y, crop=3)
    assert gain > 1.0, f"DRCN's Y is only {gain:.2f} dB above bicubic's"


@needs_x3
def test_grey_stays_grey_and_bands_equal_one_pass() -> None:
    model, _ = pretrained("drcn-x3-d16")
    img = _photo((20, 17))
    whole = upscale_image(img, model, 3, band=10_000)
    banded = upscale_image(img, model, 3, band=40)  # 2 bands of rows, 2 tiles across
    assert whole.shape == (60, 51) and whole.dtype == np.uint8
    assert np.abs(whole.astype(int) - banded).max() <= 1  # float32 rounding only


@needs_x3
def test_a_folder_in_gives_a_folder_out(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in"
    src.mkdir()
    save_image(src / "a.png", _photo((20, 24, 3)))
    save_image(src / "b.bmp", _photo((18, 16), seed=1))
    (src / "notes.txt").write_text("not an image")
    code, out, _ = _run(capsys, str(src), "--scale", "3", "-o", str(tmp_path / "out"))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]
    assert load_image(tmp_path / "out" / "a.png").shape == (60, 72, 3)
    assert load_image(tmp_path / "out" / "b.png").shape == (54, 48)


def test_choose_model_lists_what_is_shipped() -> None:
    with pytest.raises(cli.DRCNError, match=r"no shipped model drcn-x5-d16 for --scale 5; "
                                            r"shipped: drcn-"):
        choose_model(5)
    if "drcn-x3-d16" in available():
        assert choose_model(3) == "drcn-x3-d16"
        with pytest.raises(cli.DRCNError, match=r"trained for x3, not x2"):
            choose_model(2, "drcn-x3-d16")


@needs_x3
def test_min_input_side_is_the_receptive_field_at_the_input() -> None:
    model, _ = pretrained("drcn-x3-d16")
    assert min_input_side(model, 3) == 14  # (2 * (16 + 4) + 1) / 3 = 13.7


REFUSALS = {
    "unreadable file": (lambda d: (d / "bad.png").write_text("not a png"),
                        ["bad.png", "--scale", "3", "-o", "o.png"], r"bad\.png: "),
    "missing file": (lambda d: None, ["nope.png", "--scale", "3", "-o", "o.png"],
                     r"nope\.png: no such file"),
    "scale with no model": (lambda d: save_image(d / "in.png", _photo((30, 30, 3))),
                            ["in.png", "--scale", "5", "-o", "o.png"],
                            r"no shipped model drcn-x5-d16 .*shipped: .*drcn-x3-d16"),
    "depth with no model": (lambda d: save_image(d / "in.png", _photo((30, 30, 3))),
                            ["in.png", "--scale", "3", "--depth", "7", "-o", "o.png"],
                            r"no shipped model drcn-x3-d7 .*shipped: "),
    "output exists": (lambda d: [save_image(d / "in.png", _photo((30, 30, 3))),
                                 (d / "o.png").write_bytes(b"precious")],
                      ["in.png", "--scale", "3", "-o", "o.png"], r"o\.png exists; add --force"),
    "image too small": (lambda d: save_image(d / "in.png", _photo((10, 40, 3))),
                        ["in.png", "--scale", "3", "-o", "o.png"],
                        r"in\.png: 40x10 pixels is too small .* at least 14x14"),
    "lossy output": (lambda d: save_image(d / "in.png", _photo((30, 30, 3))),
                     ["in.png", "--scale", "3", "-o", "o.jpg"], r"lossless format"),
}


@needs_x3
@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_requests_are_one_line_exit_2_and_write_nothing(case, tmp_path, capsys,
                                                            monkeypatch) -> None:
    make, argv, message = REFUSALS[case]
    monkeypatch.chdir(tmp_path)
    make(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    code, out, err = _run(capsys, *argv)
    assert code == 2, err
    assert err.startswith("drcn upscale: error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
