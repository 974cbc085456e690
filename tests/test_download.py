"""Verified download: folders, archives, Huang's names, tampering, unsafe archives, no network."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from drcn_lib.data import registry
from drcn_lib.data.download import _target_of, download_set
from drcn_lib.errors import DataError
from drcn_lib.protocol.image_io import load_image, save_image

SHARED = Path("/work/shared/data")
FILES = ("a.png", "b.png", "c.png")


def _toy_images() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "a.png": rng.integers(0, 256, (20, 24, 3), dtype=np.uint8),
        "b.png": rng.integers(0, 256, (17, 13), dtype=np.uint8),  # greyscale
        "c.png": rng.integers(0, 256, (9, 30, 3), dtype=np.uint8),
    }


@pytest.fixture
def toy(monkeypatch, tmp_path) -> Path:
    """Register a 3-image set "Toy" and write its PNGs to ``tmp_path/src/Toy``."""
    src = tmp_path / "src" / "Toy"
    src.mkdir(parents=True)
    entries = []
    for name, img in _toy_images().items():
        save_image(src / name, img)
        entries.append(registry.ImageEntry(
            name, registry.file_sha256(src / name), registry.pixel_sha256(img), img.shape
        ))
    info = registry.SetInfo("Toy", "test", tuple(entries), "generated", "tests")
    monkeypatch.setitem(registry.SETS, "Toy", info)
    return src


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if p.name.startswith(".")] if root.exists() else []


def _tar(path: Path, members: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info)
    return path


def _payload(src: Path, prefix: str = "") -> dict[str, bytes]:
    return {prefix + f: (src / f).read_bytes() for f in FILES}


def test_zip_archive_is_verified_and_copied_byte_for_byte(toy, tmp_path):
    archive = tmp_path / "toy.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in _payload(toy, "release/HR/").items():
            zf.writestr(name, data)
    root = tmp_path / "root"
    out = download_set("Toy", archive, data_root=root, verbose=False)
    assert out == root / "Toy"
    assert sorted(p.name for p in out.iterdir()) == list(FILES)
    assert all((out / f).read_bytes() == (toy / f).read_bytes() for f in FILES)
    assert _leftovers(root) == []


def test_tar_gz_archive_with_correct_sha256(toy, tmp_path):
    archive = _tar(tmp_path / "toy.tar.gz", _payload(toy, "Toy/"))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    out = download_set("Toy", archive, data_root=tmp_path / "root", sha256=digest, verbose=False)
    assert registry.verify_set("Toy", tmp_path / "root") == []
    assert out.is_dir()


def test_wrong_archive_sha256_is_refused(toy, tmp_path):
    archive = _tar(tmp_path / "toy.tgz", _payload(toy))
    with pytest.raises(DataError, match="expected 0000"):
        download_set("Toy", archive, data_root=tmp_path / "root", sha256="0" * 64)
    assert not (tmp_path / "root" / "Toy").exists()


def test_folder_of_bmps_is_reencoded_as_png_with_the_same_pixels(toy, tmp_path):
    bmps = tmp_path / "bmps"
    bmps.mkdir()
    for name, img in _toy_images().items():
        save_image(bmps / name.replace(".png", ".bmp"), img)
    out = download_set("Toy", bmps, data_root=tmp_path / "root", verbose=False)
    for name, img in _toy_images().items():
        assert (out / name).read_bytes()[:4] == b"\x89PNG"
        assert np.array_equal(load_image(out / name), img)


def test_tampered_image_is_refused_and_nothing_is_left(toy, tmp_path):
    img = load_image(toy / "b.png").copy()
    img[3, 4] ^= 0x10
    save_image(toy / "b.png", img)
    root = tmp_path / "root"
    with pytest.raises(DataError) as err:
        download_set("Toy", toy, data_root=root)
    msg = str(err.value)
    assert "1 of 3 images failed" in msg and "b.png" in msg and "pixels differ" in msg
    assert "a.png" not in msg  # only the failing file is listed
    assert not (root / "Toy").exists() and _leftovers(root) == []


def test_missing_and_wrongly_sized_images_are_each_explained(toy, tmp_path):
    (toy / "a.png").unlink()
    save_image(toy / "c.png", _toy_images()["c.png"][:-1])
    with pytest.raises(DataError) as err:
        download_set("Toy", toy, data_root=tmp_path / "root")
    msg = str(err.value)
    assert "a.png: not found" in msg
    assert "shape 8x30x3, expected 9x30x3" in msg


@pytest.mark.parametrize("evil", ["../evil.png", "/tmp/abs.png", "ok/../../evil.png"])
def test_tar_member_leaving_the_archive_is_refused(toy, tmp_path, evil):
    members = {**_payload(toy), evil: b"x"}
    archive = _tar(tmp_path / "evil.tar.gz", members)
    root = tmp_path / "root"
    with pytest.raises(DataError, match="refused archive") as err:
        download_set("Toy", archive, data_root=root)
    assert repr(evil) in str(err.value)
    assert not (root / "Toy").exists() and _leftovers(root) == []
    assert not (tmp_path / "evil.png").exists()


def test_zip_member_with_dotdot_or_absolute_path_is_refused(toy, tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, data in _payload(toy).items():
            zf.writestr(name, data)
        zf.writestr("../evil.png", b"x")
        zf.writestr("/abs.png", b"x")
    with pytest.raises(DataError, match="2 unsafe member") as err:
        download_set("Toy", archive, data_root=tmp_path / "root")
    assert "'../evil.png' (path with '..'" in str(err.value)
    assert "'/abs.png' (absolute path)" in str(err.value)


def test_links_out_of_the_archive_and_devices_are_refused(toy, tmp_path):
    link = tarfile.TarInfo("a_link.png")
    link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
    hard = tarfile.TarInfo("hard.png")
    hard.type, hard.linkname = tarfile.LNKTYPE, "/etc/passwd"
    dev = tarfile.TarInfo("dev.png")
    dev.type = tarfile.CHRTYPE
    archive = _tar(tmp_path / "links.tar.gz", _payload(toy), [link, hard, dev])
    with pytest.raises(DataError, match="3 unsafe member") as err:
        download_set("Toy", archive, data_root=tmp_path / "root")
    msg = str(err.value)
    assert "symbolic link" in msg and "hard link" in msg and "device" in msg


def test_harmless_inner_symlink_is_allowed(toy, tmp_path):
    link = tarfile.TarInfo("latest")
    link.type, link.linkname = tarfile.SYMTYPE, "Toy"
    archive = _tar(tmp_path / "ok.tar.gz", _payload(toy, "Toy/"), [link])
    assert download_set("Toy", archive, data_root=tmp_path / "root", verbose=False).is_dir()


def test_unreachable_url_says_no_network_and_suggests_from(toy, tmp_path):
    root = tmp_path / "root"
    with pytest.raises(DataError) as err:
        download_set("Toy", "http://127.0.0.1:9/toy.zip", data_root=root, timeout=5)
    msg = str(err.value)
    assert "no network" in msg and "drcn download Toy --from" in msg
    assert _leftovers(root) == []


def test_source_that_is_not_an_archive_or_is_missing(toy, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(DataError, match="neither a folder nor an archive"):
        download_set("Toy", text, data_root=tmp_path / "root")
    with pytest.raises(DataError, match="does not exist"):
        download_set("Toy", tmp_path / "nothing.zip", data_root=tmp_path / "root")


def test_existing_set_is_replaced_only_with_overwrite(toy, tmp_path):
    root = tmp_path / "root"
    download_set("Toy", toy, data_root=root, verbose=False)
    (root / "Toy" / "stale.txt").write_text("old")
    with pytest.raises(DataError, match="overwrite=True"):
        download_set("Toy", toy, data_root=root)
    download_set("Toy", toy, data_root=root, overwrite=True, verbose=False)
    assert not (root / "Toy" / "stale.txt").exists()
    assert registry.verify_set("Toy", root) == []
    assert _leftovers(root) == []


def test_huang_and_srcnn_names_map_to_registry_files():
    b100, set5 = registry.SETS["B100"], registry.SETS["Set5"]
    assert _target_of(b100, "BSD100/image_SRF_3/img_001_SRF_3_HR.png") == ("101085.png", 3)
    assert _target_of(b100, "BSD100/image_SRF_3/img_001_SRF_3_LR.png") is None
    assert _target_of(set5, "Set5/image_SRF_4/img_002_SRF_4_HR.png") == ("bird.png", 3)
    assert _target_of(set5, "Test/Set5/baby_GT.bmp") == ("baby.png", 2)
    assert _target_of(set5, "x/Baby.PNG") == ("baby.png", 0)
    assert _target_of(set5, "x/baby.txt") is None
    urban = registry.SETS["Urban100"]
    assert _target_of(urban, "data_4/img_084_SRF_4_HR.png") == ("img_084.png", 3)
    assert _target_of(registry.SETS["T91"], "Train/t1.bmp") == ("t1.png", 1)


@pytest.mark.skipif(not (SHARED / "Set5").is_dir(), reason="no shared/data copy")
def test_real_set5_from_a_folder_mirror(tmp_path):
    mirror = tmp_path / "mirror" / "CSet5"
    mirror.mkdir(parents=True)
    for f in registry.SETS["Set5"].files:
        (mirror / f).symlink_to(SHARED / "Set5" / f)
    out = download_set("Set5", tmp_path / "mirror", data_root=tmp_path / "root", verbose=False)
    assert registry.verify_set("Set5", tmp_path / "root") == []
    assert not (out / "baby.png").is_symlink()
    assert (out / "baby.png").read_bytes() == (SHARED / "Set5" / "baby.png").read_bytes()


def test_huang_copies_are_tried_until_the_pixels_match(toy, tmp_path):
    huang = tmp_path / "SelfExSR" / "data" / "Toy"
    for s in (2, 3):
        (huang / f"image_SRF_{s}").mkdir(parents=True)
    for name, img in _toy_images().items():
        stem = name[:-4]
        save_image(huang / "image_SRF_2" / f"{stem}_SRF_2_HR.png", img[:-1])  # cropped: wrong
        save_image(huang / "image_SRF_3" / f"{stem}_SRF_3_HR.png", img)
        save_image(huang / "image_SRF_3" / f"{stem}_SRF_3_LR.png", img[::3, ::3])
    out = download_set("Toy", tmp_path / "SelfExSR", data_root=tmp_path / "root", verbose=False)
    for name, img in _toy_images().items():
        assert np.array_equal(load_image(out / name), img)
