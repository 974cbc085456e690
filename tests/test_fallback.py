"""The scikit-image stand-ins: bundled, well-formed, written once, and never silent."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from drcn_lib.data import fallback
from drcn_lib.errors import DataError
from drcn_lib.protocol.image_io import load_image


def test_test_stand_ins_are_uint8_grey_or_rgb_and_disjoint_from_training():
    test = fallback.fallback_images("test")
    assert sorted(test) == ["astronaut", "camera", "chelsea", "coffee", "rocket"]
    assert test["camera"].shape == (512, 512)  # one greyscale image, like Set14's bridge
    assert test["astronaut"].shape == (512, 512, 3)
    assert all(img.dtype == np.uint8 for img in test.values())
    assert not set(test) & set(fallback.FALLBACK_TRAIN)


def test_training_stand_ins_are_large_enough_for_41px_patches_at_x4():
    for name, img in fallback.fallback_images("train").items():
        assert img.dtype == np.uint8 and img.ndim in (2, 3), name
        assert min(img.shape[:2]) >= 41 * 4, name


def test_fallback_set_writes_pngs_that_decode_to_the_same_pixels(tmp_path, capsys):
    with pytest.warns(fallback.FallbackDataWarning, match="NOT|not comparable"):
        paths = fallback.fallback_set("test", data_root=tmp_path, reason="Set5 is missing")
    assert [p.name for p in paths] == sorted(p.name for p in paths)
    images = fallback.fallback_images("test")
    for p in paths:
        assert p.parent == tmp_path / "Fallback" / "test"
        assert np.array_equal(load_image(p), images[p.stem])
    out = capsys.readouterr().out
    assert "NOT the paper's" in out and "NOT comparable" in out and "Set5 is missing" in out


def test_second_use_reuses_the_files_and_still_warns(tmp_path):
    with pytest.warns(fallback.FallbackDataWarning):
        first = fallback.fallback_set("test", data_root=tmp_path)
    stamps = [p.stat().st_mtime_ns for p in first]
    with pytest.warns(fallback.FallbackDataWarning):
        second = fallback.fallback_set("test", data_root=tmp_path)
    assert second == first and [p.stat().st_mtime_ns for p in second] == stamps


def test_warn_false_is_quiet_and_bad_role_is_an_error(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fallback.fallback_set("test", data_root=tmp_path, warn=False)
    assert capsys.readouterr().out == ""
    with pytest.raises(DataError, match="'test' or 'train'"):
        fallback.fallback_set("valid", data_root=tmp_path)
