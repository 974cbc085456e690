"""Training patches: the paper's windows, the benchmark's pair, the cache, resumable batches."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from drcn_lib.data import registry
from drcn_lib.data.patches import (
    PatchSpec,
    SkippedImageWarning,
    build_patches,
    load_or_build_patches,
)
from drcn_lib.errors import DataError, ImageError
from drcn_lib.protocol.image_io import save_image
from drcn_lib.protocol.pairs import benchmark_pair


def _image(h: int, w: int, seed: int = 0, grey: bool = False) -> np.ndarray:
    """A smooth random image (bicubic of smooth content stays near [0, 255])."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 128 + 60 * np.sin(x / 7.0 + seed) * np.cos(y / 5.0)
    img = base[..., None] + rng.normal(0, 20, (h, w, 1 if grey else 3))
    img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return img[..., 0] if grey else img


def test_spec_rejects_bad_values_and_names_them():
    with pytest.raises(DataError, match="scale must be an integer >= 2"):
        PatchSpec(scale=1)
    with pytest.raises(DataError, match="patch must be a positive integer"):
        PatchSpec(patch=0)
    with pytest.raises(DataError, match=r"downscales must lie in \(0, 1\)"):
        PatchSpec(downscales=(1.2,))
    assert PatchSpec(scale=(2, 3)).scales == (2, 3)
    assert PatchSpec().describe() == "T91-x3-p41-s21"


def test_windows_are_the_benchmark_pair_cut_at_stride_21():
    img = _image(100, 90)
    arrays = build_patches(PatchSpec(scale=3), [img])
    # modcrop to 99 x 90; windows start at 0, 21, 42 in both directions: 3 x 3 = 9
    assert arrays.inputs.shape == arrays.targets.shape == (9, 1, 41, 41)
    assert arrays.inputs.dtype == np.float32 and arrays.targets.dtype == np.float32
    pair = benchmark_pair(img, 3)
    for index, (r, c) in ((0, (0, 0)), (5, (21, 42)), (8, (42, 42))):
        np.testing.assert_array_equal(
            arrays.targets[index, 0], (pair.hr_y[r : r + 41, c : c + 41] / 255).astype(np.float32)
        )
        np.testing.assert_array_equal(
            arrays.inputs[index, 0],
            (pair.bicubic_y[r : r + 41, c : c + 41] / 255).astype(np.float32),
        )
    assert arrays.targets.min() >= 16 / 255 - 1e-6 and arrays.targets.max() <= 235 / 255 + 1e-6
    assert np.all(arrays.scales == 3)


def test_greyscale_images_and_paths_are_accepted(tmp_path):
    save_image(tmp_path / "g.png", _image(62, 62, grey=True))
    arrays = build_patches(PatchSpec(scale=2), [tmp_path / "g.png"])
    assert len(arrays) == 4  # 62: starts 0 and 21


def test_augmentation_holds_the_eight_flips_of_each_pair():
    img = _image(60, 60, seed=1)  # 60 = 20 + 4 * 10: the window grid is symmetric
    spec = PatchSpec(scale=3, patch=20, stride=10, augment=True)
    arrays = build_patches(spec, [img])
    assert len(arrays) == 8 * 25
    block = {k: slice(25 * k, 25 * (k + 1)) for k in range(8)}
    plain = arrays.targets[block[0], 0].reshape(5, 5, 20, 20)
    mirrored = arrays.targets[block[4], 0].reshape(5, 5, 20, 20)
    # mirroring the image mirrors each window and reverses the column order of windows
    np.testing.assert_array_equal(mirrored, plain[:, ::-1, :, ::-1])
    rotated_in = arrays.inputs[block[2], 0].reshape(5, 5, 20, 20)  # 180 degrees
    plain_in = arrays.inputs[block[0], 0].reshape(5, 5, 20, 20)
    np.testing.assert_allclose(rotated_in, plain_in[::-1, ::-1, ::-1, ::-1], atol=1e-6)


def test_downscaled_copies_add_their_own_patches():
    img = _image(90, 90)
    plain = build_patches(PatchSpec(scale=2), [img])
    both = build_patches(PatchSpec(scale=2, downscales=(0.5,)), [img])
    assert len(plain) == 9  # 90: starts 0, 21, 42
    assert len(both) == 9 + 1  # 45 x 45 shrunk copy: one window
    np.testing.assert_array_equal(both.targets[:9], plain.targets)


def test_multi_scale_patches_record_their_scale():
    arrays = build_patches(PatchSpec(scale=(2, 4)), [_image(62, 62)])
    # x2 keeps 62 x 62 (windows at 0 and 21); x4 crops to 60 x 60 (one window)
    assert list(arrays.scales) == [2, 2, 2, 2, 4]


def test_too_small_images_are_skipped_by_name_and_none_left_is_an_error():
    with pytest.warns(SkippedImageWarning, match=r"image\[0\] \(40x60, x2\)"):
        arrays = build_patches(PatchSpec(scale=2), [_image(40, 60), _image(42, 42)])
    assert len(arrays) == 1  # only the 42 x 42 image gives a window
    with pytest.raises(ImageError, match="no 41x41 patch fits"), warnings.catch_warnings():
        warnings.simplefilter("ignore", SkippedImageWarning)
        build_patches(PatchSpec(scale=4), [_image(43, 43)])  # modcrop to 40 x 40


@pytest.fixture
def toy_train(monkeypatch, tmp_path) -> Path:
    """A 3-image training set "ToyTrain" registered and stored under ``tmp_path/data``."""
    folder = tmp_path / "data" / "ToyTrain"
    folder.mkdir(parents=True)
    entries = []
    for i in range(3):
        img = _image(70 + 10 * i, 64, seed=i)
        save_image(folder / f"im{i}.png", img)
        entries.append(registry.ImageEntry(
            f"im{i}.png", registry.file_sha256(folder / f"im{i}.png"),
            registry.pixel_sha256(img), img.shape,
        ))
    monkeypatch.setitem(
        registry.SETS, "ToyTrain", registry.SetInfo("ToyTrain", "train", tuple(entries), "", "")
    )
    return tmp_path


def test_cache_is_built_once_then_memory_mapped(toy_train, capsys):
    spec = PatchSpec(set_name="ToyTrain", scale=2)
    kwargs = {"data_root": toy_train / "data", "cache_root": toy_train / "cache"}
    built = load_or_build_patches(spec, **kwargs)
    assert "Built" in capsys.readouterr().out
    again = load_or_build_patches(spec, **kwargs)
    assert "Loaded" in capsys.readouterr().out
    assert isinstance(again.inputs, np.memmap) and not again.inputs.flags.writeable
    np.testing.assert_array_equal(again.inputs, built.inputs)
    np.testing.assert_array_equal(
        again.targets, build_patches(spec, sorted((toy_train / "data/ToyTrain").glob("*"))).targets
    )
    folders = list((toy_train / "cache" / "patches").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("ToyTrain-x2-p41-s21-")


def test_changed_image_or_spec_gets_a_new_cache(toy_train, monkeypatch):
    kwargs = {"data_root": toy_train / "data", "cache_root": toy_train / "cache", "verbose": False}
    first = load_or_build_patches(PatchSpec(set_name="ToyTrain", scale=2), **kwargs)
    load_or_build_patches(PatchSpec(set_name="ToyTrain", scale=3), **kwargs)
    new, path = _image(70, 64, seed=9), toy_train / "data/ToyTrain/im0.png"
    save_image(path, new)
    info = registry.SETS["ToyTrain"]  # a new release of the set: the registry changes with it
    entry = registry.ImageEntry("im0.png", registry.file_sha256(path),
                                registry.pixel_sha256(new), new.shape)
    monkeypatch.setitem(registry.SETS, "ToyTrain", registry.SetInfo(
        "ToyTrain", "train", (entry, *info.entries[1:]), "", ""))
    changed = load_or_build_patches(PatchSpec(set_name="ToyTrain", scale=2), **kwargs)
    assert changed.inputs.shape == first.inputs.shape
    assert not np.array_equal(changed.inputs, first.inputs)
    base = toy_train / "cache" / "patches"
    assert len(list(base.iterdir())) == 3
    assert not [p for p in base.iterdir() if p.name.startswith(".")]  # no partial builds left


def test_damaged_cache_is_rebuilt(toy_train):
    kwargs = {"data_root": toy_train / "data", "cache_root": toy_train / "cache", "verbose": False}
    spec = PatchSpec(set_name="ToyTrain", scale=2)
    good = np.array(load_or_build_patches(spec, **kwargs).inputs)
    (folder,) = (toy_train / "cache" / "patches").iterdir()
    (folder / "inputs.npy").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="rebuilding damaged patch cache"):
        rebuilt = load_or_build_patches(spec, **kwargs)
    np.testing.assert_array_equal(rebuilt.inputs, good)
