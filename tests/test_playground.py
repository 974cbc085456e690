"""The playground: problems made as the benchmark makes them, one forward pass per image, a
slider that only redraws, and refusals that stay a message."""

from __future__ import annotations

import base64
import datetime
import io
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from drcn_lib.course import playground as play
from drcn_lib.engine.prediction import Prediction
from drcn_lib.errors import CheckpointError, ImageError
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.protocol.image_io import load_image_bytes
from drcn_lib.protocol.pairs import benchmark_pair
from drcn_lib.runs.load_or_train import stand_in_config
from drcn_lib.viz import playground_view as view
from drcn_lib.viz.images import scored_psnr
from drcn_lib.viz.playground_figure import depth_figure


def _photo(h: int = 30, w: int = 36, seed: int = 0) -> np.ndarray:
    """A smooth colour image with an edge: something bicubic blurs and DRCN can act on."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 120 + 60 * np.sin(xx / 3.0) * np.cos(yy / 4.0) + 50 * (xx > w // 2)
    img = np.dstack([base, base * 0.8 + 20, 255 - base]) + rng.normal(0, 3, (h, w, 3))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def _net(recursions: int = 3) -> DRCN:
    """A tiny DRCN whose outputs y_d differ (W is not the identity), deterministic."""
    torch.manual_seed(0)
    net = DRCN(recursions=recursions, filters=4)
    torch.nn.init.normal_(net.infer.conv.weight, std=0.2)
    return net.eval()


def _png(img: np.ndarray) -> bytes:
    return play.png_bytes(img)


# -- problems -----------------------------------------------------------------------------------

def test_shrink_is_the_benchmark_pair() -> None:
    img = _photo()
    problem = play.prepare(img, 3, "shrink", name="p")
    pair = benchmark_pair(img, 3)
    np.testing.assert_array_equal(problem.bicubic_y, pair.bicubic_y)
    np.testing.assert_array_equal(problem.hr_y, pair.hr_y)
    np.testing.assert_array_equal(problem.cbcr, pair.bicubic_cbcr)
    assert problem.lr_shape == (10, 12) and problem.has_truth and problem.note == ""


def test_enlarge_makes_an_s_times_larger_grid_and_keeps_flat_grey_flat() -> None:
    grey = np.full((5, 7, 3), 100, dtype=np.uint8)
    problem = play.prepare(grey, 4, "enlarge")
    assert problem.shape == (20, 28) and problem.lr_shape == (5, 7) and not problem.has_truth
    y100 = 16 + 100 * (65.481 + 128.553 + 24.966) / 255  # MATLAB rgb2ycbcr of grey 100
    np.testing.assert_allclose(problem.bicubic_y, round(y100), atol=1e-9)  # Y is uint8-rounded
    np.testing.assert_allclose(problem.cbcr, 128.0, atol=1e-9)
    assert play.to_rgb(problem.bicubic_y, problem).shape == (20, 28, 3)


def test_prepare_never_modifies_the_image_and_rejects_bad_choices() -> None:
    img = _photo()
    before = img.copy()
    play.prepare(img, 2, "enlarge", max_pixels=500)
    np.testing.assert_array_equal(img, before)
    with pytest.raises(ImageError, match=r"one of \(2, 3, 4\); got 1"):
        play.prepare(img, 1)
    with pytest.raises(ImageError, match=r"\['enlarge', 'shrink'\]; got 'zoom'"):
        play.prepare(img, 3, "zoom")
    with pytest.raises(ImageError, match="too small"):
        play.prepare(img[:3, :3], 2, "enlarge")
    with pytest.raises(ImageError, match="too small for scale 4"):
        play.prepare(img[:6, :6], 4, "shrink")


@pytest.mark.parametrize("mode, factor", [("shrink", 1), ("enlarge", 9)])
def test_fit_budget_centre_crops_to_the_output_budget(mode: str, factor: int) -> None:
    img = _photo(60, 80)
    out, note = play.fit_budget(img, 3, mode, max_pixels=1200 * factor)
    h, w = out.shape[:2]
    assert h * w * factor <= 1200 * factor and h * w > 0.9 * 1200  # close to the budget
    assert abs(h / w - 60 / 80) < 0.05  # the aspect ratio is kept
    top, left = (60 - h) // 2, (80 - w) // 2
    np.testing.assert_array_equal(out, img[top:top + h, left:left + w])
    assert "80x60" in note and "centre" in note
    same, none = play.fit_budget(img, 3, mode, max_pixels=60 * 80 * factor)
    assert same is img and none == ""


# -- one forward pass, scores, text ---------------------------------------------------------------

def test_one_pass_gives_every_depth_and_tiling_changes_nothing() -> None:
    problem = play.prepare(_photo(), 3)
    net = _net()
    whole = play.run_model(net, problem, tile=None)
    tiled = play.run_model(net, problem, tile=8)
    assert play.depths(whole) == [1, 2, 3] and whole.depth == 3
    for (_, a), (_, b) in zip(tiled.named(), whole.named(), strict=True):
        assert b.shape == problem.shape
        np.testing.assert_allclose(a, b, atol=1e-3)
    assert not np.allclose(whole.at(1), whole.at(3))  # the outputs really differ with d


def test_psnrs_are_benchmark_scored_and_absent_without_truth() -> None:
    img = _photo()
    problem = play.prepare(img, 3)
    pred = play.run_model(_net(), problem)
    scores = play.psnrs(pred, problem)
    pair = benchmark_pair(img, 3)
    assert scores is not None
    assert scores.bicubic == pytest.approx(scored_psnr(pair.bicubic_y, pair), abs=1e-12)
    assert scores.at(2) == pytest.approx(scored_psnr(pred.at(2), pair), abs=1e-12)
    enlarge = play.prepare(img, 3, "enlarge")
    assert play.psnrs(play.run_model(_net(), enlarge), enlarge) is None


def test_summary_reads_gain_best_depth_and_change() -> None:
    problem = play.prepare(_photo(), 2)
    truth = np.asarray(problem.hr_y)
    pred = Prediction(truth + 2.0, (problem.bicubic_y.copy(), truth + 1.0))
    text = play.summary(pred, problem, 1)
    assert "gain +0.00 dB" in text and "best single output y_2" in text
    assert "changes bicubic by 0.00 grey levels RMS" in text
    with pytest.raises(ImageError, match=r"valid d are \[1, 2\]"):
        play.summary(pred, problem, 5)
    blind = play.prepare(_photo(), 2, "enlarge")
    text = play.summary(Prediction(blind.bicubic_y, (blind.bicubic_y + 3.0,)), blind, 1)
    assert "No ground truth" in text and "3.00 grey levels" in text and "dB" not in text


def test_download_link_carries_the_png_of_the_prediction() -> None:
    problem = play.prepare(_photo(), 3, name='my photo "1"')
    pred = play.run_model(_net(), problem)
    rgb = play.to_rgb(pred.at(2), problem)
    name = play.download_name(problem, 2)
    assert name == "my-photo-1_drcn_x3_y2.png"
    assert play.download_name(problem, "ensemble") == "my-photo-1_drcn_x3_ensemble.png"
    link = play.download_link(play.png_bytes(rgb), name, "y_2 <best>")
    assert f'download="{name}"' in link and "&lt;best&gt;" in link
    data = base64.b64decode(re.search(r"base64,([^\"]+)\"", link).group(1))
    np.testing.assert_array_equal(load_image_bytes(data), rgb)  # lossless round trip


def test_grey_images_stay_grey() -> None:
    grey = _photo()[:, :, 0]
    problem = play.prepare(grey, 2)
    assert problem.cbcr is None
    out = play.to_rgb(problem.bicubic_y, problem)
    assert out.shape == problem.shape and out.dtype == np.uint8


def test_model_choice_prefers_exact_then_x3_then_a_stand_in(monkeypatch) -> None:
    net = _net()
    info = {"wall_seconds": 60.0, "steps": 10}
    monkeypatch.setattr(play, "pretrained", lambda name: (net, info))
    monkeypatch.setattr(play, "available", lambda: ["drcn-x3-d16", "drcn-x2-d16"])
    assert play.playground_model(2)[1].startswith("shipped weights drcn-x2-d16")
    monkeypatch.setattr(play, "available", lambda: ["drcn-x3-d16"])
    assert "no x4 model is shipped" in play.playground_model(4)[1]
    seen = {}

    def fake_load_or_train(name, cfg, **kwargs):
        seen.update(name=name, cfg=cfg)
        return net, info

    monkeypatch.setattr(play, "available", lambda: [])
    monkeypatch.setattr(play, "load_or_train", fake_load_or_train)
    model, about = play.playground_model(4)
    assert model is net and about.startswith("NO shipped weights")
    assert seen["name"] == "drcn-x4-d16" and seen["cfg"] == stand_in_config(scale=4)


# -- the figure ------------------------------------------------------------------------------------

def test_depth_figure_panels_and_titles() -> None:
    problem = play.prepare(_photo(), 3, name="p")
    pred = play.run_model(_net(), problem)
    fig = depth_figure(problem, pred, 2)
    titles = [ax.get_title() for ax in fig.axes]
    assert any(t.startswith("DRCN y_2: ") and t.endswith(" dB") for t in titles)
    assert "ground truth (your image)" in titles
    assert len([t for t in titles if t.startswith("zoom")]) == 4  # 3 pictures + the difference
    blind = play.prepare(_photo(), 3, "enlarge")
    fig = depth_figure(blind, play.run_model(_net(), blind), 1)
    assert "ground truth (your image)" not in [ax.get_title() for ax in fig.axes]
    assert "grey levels RMS" in fig._suptitle.get_text()
    with pytest.raises(ImageError, match=r"valid d are \[1, 2, 3\]"):
        depth_figure(problem, pred, 0)


# -- the widget ------------------------------------------------------------------------------------

@pytest.fixture
def samples(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for i, stem in enumerate(["butterfly", "bird"]):
        Image.fromarray(_photo(seed=i)).save(tmp_path / f"{stem}.png")
        out[stem] = tmp_path / f"{stem}.png"
    Image.fromarray(_photo(seed=5)).save(tmp_path / "lenna.png")
    return out


def _playground(samples: dict[str, Path], calls: list[int] | None = None) -> view.Playground:
    net = _net()

    def model_for(scale: int):
        if calls is not None:
            calls.append(scale)
        return net, "tiny test net"

    return view.playground(model_for, samples, max_pixels=10_000)


def test_sample_paths_pick_set5_samples_and_never_lenna(samples: dict[str, Path]) -> None:
    paths = [*samples.values(), samples["bird"].with_name("lenna.png")]
    assert list(view.sample_paths(paths)) == ["butterfly", "bird"]
    other = [Path("/x/astronaut.png"), Path("/x/lenna.png")]
    assert list(view.sample_paths(other)) == ["astronaut"]


def test_slider_redraws_from_one_forward_pass(samples: dict[str, Path]) -> None:
    pg = _playground(samples)
    assert pg.passes == 1 and pg.name == "butterfly"
    assert (pg.depth.min, pg.depth.max, pg.depth.value) == (1, 3, 3)
    text3, fig3, png3 = pg.psnr.value, pg.figure, pg.picture.value
    assert bytes(png3).startswith(b"\xff\xd8\xff")  # the figure as shown in the page (JPEG)
    assert text3.startswith("y_3: PSNR ") and "bicubic" in text3
    pg.depth.value = 1  # what moving the slider does
    assert pg.passes == 1  # no new forward pass
    assert pg.psnr.value.startswith("y_1: PSNR ") and pg.psnr.value != text3
    assert pg.figure is not fig3 and pg.picture.value != png3
    assert 'download="butterfly_drcn_x3_y1.png"' in pg.download.value
    assert 'download="butterfly_drcn_x3_ensemble.png"' in pg.download.value


def test_scale_mode_and_sample_each_run_one_pass_and_load_each_model_once(
        samples: dict[str, Path]) -> None:
    calls: list[int] = []
    pg = _playground(samples, calls)
    pg.depth.value = 2
    pg.scale.value = 2
    assert pg.passes == 2 and pg.problem.scale == 2 and pg.depth.value == 2  # d is kept
    pg.mode.value = "enlarge"
    assert pg.passes == 3 and pg.scores is None and "No ground truth" in pg.psnr.value
    pg.scale.value = 3
    pg.sample.value = "bird"
    assert pg.passes == 5 and pg.name == "bird"
    assert calls == [3, 2]  # one model per scale, loaded once


def test_uploads_good_and_bad(samples: dict[str, Path]) -> None:
    pg = _playground(samples)
    before = pg.pred
    pg.upload.value = ({"name": "notes.txt", "type": "text/plain", "size": 5,
                        "content": memoryview(b"hello"),
                        "last_modified": datetime.datetime.now(datetime.timezone.utc)},)
    assert pg.passes == 1 and pg.pred is before and pg.name == "butterfly"
    assert pg.upload.value == ()  # the bytes are not kept in the widget
    assert "notes.txt: not a readable image" in pg.status.value
    assert "Still showing butterfly" in pg.status.value
    pg.load_upload(b"", "empty.png")
    assert "empty.png: empty file" in pg.error
    pg.load_upload(_png(_photo(24, 24, seed=9)), "holiday photo.png")
    assert pg.passes == 2 and pg.name == "holiday photo" and pg.error == ""
    assert pg.sample.value is None  # the sample menu no longer claims a sample is shown


def test_errors_from_the_model_become_a_message_not_a_traceback(
        samples: dict[str, Path]) -> None:
    def broken(scale: int):
        raise CheckpointError("drcn-x3-d16.safetensors: checksum mismatch")

    pg = view.playground(broken, samples)
    assert pg.passes == 0 and "checksum mismatch" in pg.status.value
    pg.load_upload(_png(_photo(2, 2)), "tiny.png")  # too small for x3
    assert pg.error.startswith("tiny: ") and "smaller than the scale 3" in pg.error


def test_a_large_upload_is_cropped_to_the_budget_and_tiled(samples: dict[str, Path],
                                                           monkeypatch) -> None:
    tiles: list[int | None] = []
    real_run = play.run_model

    def spy(model, problem, device="cpu", tile=play.DEFAULT_TILE):
        tiles.append(tile)
        return real_run(model, problem, device=device, tile=tile)

    monkeypatch.setattr(play, "run_model", spy)
    pg = view.Playground(lambda s: (_net(), "tiny"), samples, max_pixels=4000, tile=32)
    big = np.tile(_photo(60, 90), (4, 4, 1))  # 240x360 photo, as a JPEG upload
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, format="JPEG", quality=90)
    pg.load_upload(buf.getvalue(), "big.jpg")
    h, w = pg.problem.shape
    assert h * w <= 4000 and "centre" in pg.problem.note and "360x240" in pg.problem.note
    assert "Note: the output of the whole 360x240 image" in pg.status.value
    assert tiles == [32] and max(h, w) > 32  # more than one tile
