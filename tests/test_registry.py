"""The set registry: checksum tables, presence, verification, and the messages a learner sees."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

from drcn_lib.data import registry
from drcn_lib.data.fallback import FallbackDataWarning
from drcn_lib.errors import DataError, ImageError
from drcn_lib.protocol.image_io import load_image, save_image

SHARED = Path("/work/shared/data")
needs_shared = pytest.mark.skipif(not (SHARED / "Set5").is_dir(), reason="no shared/data copy")


def _mirror_set5(root: Path) -> Path:
    """A Set5 folder of symlinks to the shared copy, inside ``root`` (tmp only)."""
    (root / "Set5").mkdir(parents=True)
    for f in registry.SETS["Set5"].files:
        (root / "Set5" / f).symlink_to(SHARED / "Set5" / f)
    return root


def test_registry_holds_the_papers_five_sets_with_their_sizes():
    counts = {name: len(info.files) for name, info in registry.SETS.items()}
    assert counts == {"T91": 91, "Set5": 5, "Set14": 14, "B100": 100, "Urban100": 100}
    assert registry.SETS["T91"].role == "train"
    assert all(registry.SETS[n].role == "test" for n in registry.TEST_SETS)
    assert registry.SETS["Set5"].files == (
        "baby.png", "bird.png", "butterfly.png", "head.png", "woman.png"
    )


def test_entries_carry_both_checksums_and_shapes():
    bridge = registry.SETS["Set14"].entry("bridge.png")
    assert bridge.shape == (512, 512)  # the one greyscale file of Set14
    img1 = registry.SETS["Urban100"].entry("img_001.png")
    assert img1.shape == (644, 1024, 3)
    for info in registry.SETS.values():
        for e in info.entries:
            assert len(e.sha256) == 64 and len(e.pixel_sha256) == 64
            assert len(e.shape) in (2, 3)


def test_b100_id_map_covers_every_b100_file():
    mapped = set(registry.b100_id_map().values())
    assert mapped == set(registry.SETS["B100"].files)
    assert registry.b100_id_map()["img_001"] == "101085.png"


def test_pixel_sha256_is_sha_of_c_order_bytes_whatever_the_memory_layout():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    expected = hashlib.sha256(img.tobytes()).hexdigest()
    assert registry.pixel_sha256(img) == expected
    fortran = np.asfortranarray(img)
    assert registry.pixel_sha256(fortran) == expected
    with pytest.raises(ImageError, match="uint8"):
        registry.pixel_sha256(img.astype(np.float64))


@needs_shared
@pytest.mark.parametrize(("set_name", "file"), [("Set5", "baby.png"), ("Set14", "bridge.png")])
def test_pixel_sha256_of_a_shared_file_matches_the_table(set_name, file):
    img = load_image(SHARED / set_name / file)
    assert registry.pixel_sha256(img) == registry.SETS[set_name].entry(file).pixel_sha256


def test_get_set_is_case_insensitive_and_knows_bsd100():
    assert registry.get_set("set14").name == "Set14"
    assert registry.get_set("BSD100").name == "B100"
    with pytest.raises(DataError, match="valid sets are T91, Set5, Set14, B100, Urban100"):
        registry.get_set("Set6")
    with pytest.raises(DataError, match="not an image of Set5"):
        registry.SETS["Set5"].entry("lenna.png")


def test_missing_set_error_names_folder_files_and_command(tmp_path):
    assert registry.set_status("Set5", tmp_path).state == "missing"
    with pytest.raises(DataError) as err:
        registry.find_set("Set5", data_root=tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "Set5") in msg
    assert "drcn download Set5  (from its pinned public URLs)" in msg
    assert "drcn download Set5 --from DIR_OR_URL" in msg
    assert "baby.png" in msg


@needs_shared
def test_incomplete_set_lists_the_missing_files(tmp_path):
    _mirror_set5(tmp_path)
    (tmp_path / "Set5" / "head.png").unlink()
    status = registry.set_status("Set5", tmp_path)
    assert (status.state, status.found, status.expected) == ("incomplete", 4, 5)
    assert status.missing == ("head.png",)
    with pytest.raises(DataError, match=r"4 of 5 images present, missing head\.png"):
        registry.find_set("Set5", data_root=tmp_path)


@needs_shared
def test_present_set_gives_sorted_paths_and_verifies(tmp_path):
    _mirror_set5(tmp_path)
    paths = registry.find_set("Set5", verify=True, data_root=tmp_path)
    assert [p.name for p in paths] == list(registry.SETS["Set5"].files)
    assert registry.verify_set("Set5", tmp_path) == []


@needs_shared
def test_verify_accepts_reencoded_pixels_and_rejects_changed_ones(tmp_path):
    _mirror_set5(tmp_path)
    bird = tmp_path / "Set5" / "bird.png"
    img = load_image(bird)
    bird.unlink()
    save_image(bird, img)  # new PNG bytes, same pixels
    assert registry.file_sha256(bird) != registry.SETS["Set5"].entry("bird.png").sha256
    assert registry.verify_set("Set5", tmp_path) == []

    changed = img.copy()
    changed[0, 0, 0] ^= 1
    save_image(bird, changed)
    problems = registry.verify_set("Set5", tmp_path)
    assert len(problems) == 1 and "bird.png" in problems[0] and "pixel" in problems[0]
    with pytest.raises(DataError, match="fails its checksums"):
        registry.find_set("Set5", verify=True, data_root=tmp_path)

    save_image(bird, img[:-1])
    assert "shape 287x288x3, expected 288x288x3" in registry.verify_set("Set5", tmp_path)[0]


def test_missing_test_set_falls_back_loudly(tmp_path, capsys):
    with pytest.warns(FallbackDataWarning, match="not comparable"):
        paths = registry.find_set("Set14", fallback=True, data_root=tmp_path)
    assert paths and all(p.parent == tmp_path / "Fallback" / "test" for p in paths)
    assert all(p.is_file() for p in paths)
    out = capsys.readouterr().out
    assert "NOT the paper's" in out and "Set14 is missing" in out


def test_missing_training_set_falls_back_to_training_stand_ins(tmp_path, capsys):
    with pytest.warns(FallbackDataWarning):
        paths = registry.find_set("T91", fallback=True, data_root=tmp_path)
    assert all(p.parent == tmp_path / "Fallback" / "train" for p in paths)
    assert "training images" in capsys.readouterr().out


def test_failed_download_then_fallback_reports_why(tmp_path, capsys):
    with pytest.warns(FallbackDataWarning):
        registry.find_set(
            "Set5", fallback=True, data_root=tmp_path, download_from=tmp_path / "nowhere"
        )
    assert "download from" in capsys.readouterr().out
    with pytest.raises(DataError, match="does not exist"):
        registry.find_set("Set5", data_root=tmp_path, download_from=tmp_path / "nowhere")


@needs_shared
def test_find_set_can_download_first(tmp_path):
    source = _mirror_set5(tmp_path / "mirror")
    root = tmp_path / "root"
    with warnings.catch_warnings():
        warnings.simplefilter("error", FallbackDataWarning)  # must not fall back
        paths = registry.find_set("Set5", data_root=root, download_from=source / "Set5")
    assert len(paths) == 5 and paths[0] == root / "Set5" / "baby.png"
    assert registry.verify_set("Set5", root) == []
