"""``drcn download SET`` from the pinned URLs, against a loopback server laid out like them.

Each case ends with the set complete and verified, or absent with a clear message: never a
half-installed set, never a hidden ``.Set5.partial-*`` folder left behind.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pinned_server import closed_port_url, pinned_server, silent_server

from drcn_lib.data import download, fetch, pinned, registry, sources, staging
from drcn_lib.data.fallback import FallbackDataWarning
from drcn_lib.data.pinned import download_pinned
from drcn_lib.errors import DataError
from drcn_lib.settings import REPO_ROOT

SHARED = next((p for p in (Path(os.environ.get("DRCN_DATA", "/nonexistent")),
                           REPO_ROOT.parent / "shared" / "data", Path("/work/shared/data"))
               if (p / "Set5").is_dir() and (p / "T91").is_dir()), None)
needs_images = pytest.mark.skipif(SHARED is None, reason="the paper's images are not here")


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    with pinned_server(SHARED) as srv:
        monkeypatch.setenv("DRCN_DATA_URL", srv.url)
        monkeypatch.delenv("DRCN_OFFLINE", raising=False)
        monkeypatch.setenv("DRCN_DOWNLOAD_TIMEOUT", "5")
        yield srv


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _absent(root: Path, name: str = "Set5") -> None:
    """Nothing of the set was installed and no staging folder was left."""
    assert not (root / name).exists()
    left = [p.name for p in root.iterdir()] if root.exists() else []
    assert not [n for n in left if ".partial-" in n], left


# --- the table of pinned sources ---------------------------------------------------------


def test_every_registry_image_has_one_pinned_source() -> None:
    for name, info in registry.SETS.items():
        assert [s.file for s in sources.pinned_sources(name)] == list(info.files), name


def test_urban100_sources_have_the_selfexsr_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """Urban100's images are not stored here: check each entry's URL and expected sha256."""
    monkeypatch.delenv("DRCN_DATA_URL", raising=False)
    rows = sources.pinned_sources("Urban100")
    assert len(rows) == 100
    form = re.compile(r"^https://raw\.githubusercontent\.com/jbhuang0604/SelfExSR/[0-9a-f]{40}/"
                      r"data/Urban100/image_SRF_4/img_(\d{3})_SRF_4_HR\.png$")
    for s in rows:
        m = form.match(s.url)
        assert m and s.file == f"img_{m[1]}.png", s.url
        assert s.sha256 == registry.SETS["Urban100"].entry(s.file).sha256  # byte copies


def test_base_url_setting_replaces_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRCN_DATA_URL", "http://mirror.example/sr/")
    s = sources.pinned_sources("T91")[0]
    assert s.url == f"http://mirror.example/sr/tegg89/SRCNN-Tensorflow/{s.commit}/Train/t1.bmp"
    assert s.sha256 == ""  # converted BMP -> PNG: only the pixels are checked


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_bad_timeout_setting_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DRCN_DOWNLOAD_DEADLINE", value)
    with pytest.raises(DataError, match=rf"DRCN_DOWNLOAD_DEADLINE='{re.escape(value)}'"):
        sources.file_deadline()


# --- downloads ---------------------------------------------------------------------------


@needs_images
def test_full_download_installs_the_verified_bytes(server, root: Path) -> None:
    out = download_pinned("Set5", data_root=root, verbose=False, progress=False)
    assert out == root / "Set5"
    for f in registry.SETS["Set5"].files:
        assert (out / f).read_bytes() == (SHARED / "Set5" / f).read_bytes()
    assert registry.verify_set("Set5", root) == []
    _absent(root, "Nothing")
    assert sorted(p.name for p in root.iterdir()) == ["Set5"]


@needs_images
def test_t91_bmps_become_png_with_the_same_pixels(server, root: Path) -> None:
    download_pinned("T91", data_root=root, verbose=False, progress=False)
    assert all(r.endswith(".bmp") for r in server.requests)
    assert registry.verify_set("T91", root) == []


@needs_images
def test_a_file_with_a_wrong_checksum_installs_nothing(server, root: Path) -> None:
    server.fault, server.fault_file = "corrupt", "butterfly.png"
    with pytest.raises(DataError, match=r"Set5: butterfly\.png failed, nothing was installed.*"
                                        r"sha256 does not match"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


@needs_images
def test_a_wrong_t91_bmp_is_caught_by_its_pixels(server, root: Path) -> None:
    server.fault, server.fault_file = "corrupt", "t10.png"
    with pytest.raises(DataError, match=r"t10\.png failed.*(pixels differ|cannot be decoded)"):
        download_pinned("T91", data_root=root, verbose=False, progress=False)
    _absent(root, "T91")


@needs_images
def test_a_connection_dropped_mid_file_installs_nothing(server, root: Path) -> None:
    server.fault, server.fault_file = "drop", "bird.png"
    size = (SHARED / "Set5" / "bird.png").stat().st_size
    with pytest.raises(DataError, match=rf"stopped after {size // 2} of {size} bytes"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


def test_a_server_that_never_answers_times_out_fast(monkeypatch, root: Path) -> None:
    monkeypatch.setenv("DRCN_DOWNLOAD_TIMEOUT", "0.5")
    with silent_server() as url:
        monkeypatch.setenv("DRCN_DATA_URL", url)
        start = time.monotonic()
        with pytest.raises(DataError, match=r"did not answer within 0\.5 s"):
            download_pinned("Set5", data_root=root, verbose=False, progress=False)
    assert time.monotonic() - start < 5
    _absent(root)


def test_no_connection_is_said_in_the_systems_words(monkeypatch, root: Path) -> None:
    monkeypatch.setenv("DRCN_DATA_URL", closed_port_url())
    monkeypatch.delenv("DRCN_OFFLINE", raising=False)
    with pytest.raises(DataError, match=r"no connection to 127\.0\.0\.1:\d+ \(Connection refused\)"
                                        r"\)\. Without network, .*--from DIR_OR_ARCHIVE"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


@needs_images
def test_a_server_that_drips_bytes_is_cut_by_the_deadline(server, monkeypatch, root) -> None:
    """One byte every 0.3 s never trips the 5 s per-read timeout; the 1 s deadline ends it."""
    server.fault, server.drip_s = "drip", 0.3
    monkeypatch.setenv("DRCN_DOWNLOAD_DEADLINE", "1")
    start = time.monotonic()
    with pytest.raises(DataError, match=r"longer than the 1 s deadline"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    assert time.monotonic() - start < 4
    _absent(root)


@needs_images
def test_stale_staging_folders_are_cleared_live_ones_kept(server, root: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(proc.stdout)
    root.mkdir()
    stale = [root / f".Set5.partial-{dead}-abcd", root / ".Set5.partial-x1y2"]  # old name form
    live = root / f".Set5.partial-{os.getppid()}-live"  # the process that started pytest
    for p in (*stale, live):
        (p / "Set5").mkdir(parents=True)
        (p / "Set5" / "baby.png").write_bytes(b"half")
    download_pinned("Set5", data_root=root, verbose=False, progress=False)
    assert not any(p.exists() for p in stale)
    assert live.exists()
    assert registry.verify_set("Set5", root) == []


@needs_images
@pytest.mark.parametrize("fault", ["", "no-length"])
def test_a_file_over_the_size_cap_is_refused(server, monkeypatch, root, fault: str) -> None:
    """Refused from its Content-Length, or while streaming when the server announces none."""
    server.fault = fault
    monkeypatch.setattr(pinned, "MAX_FILE_BYTES", 100_000)  # Set5's images are 60-360 kB
    with pytest.raises(DataError, match=r"(announces|more than) .*cap for one file"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


@needs_images
def test_an_endless_body_is_cut_at_the_cap(server, monkeypatch, root) -> None:
    server.fault, server.huge_bytes = "huge", 64 << 20
    monkeypatch.setattr(pinned, "MAX_FILE_BYTES", 1 << 20)
    with pytest.raises(DataError, match=r"more than 1 MiB, the cap for one file"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


@needs_images
def test_a_set_over_the_total_cap_is_refused(server, monkeypatch, root) -> None:
    monkeypatch.setattr(pinned, "MAX_TOTAL_BYTES", 300_000)  # Set5 is 0.8 MB in all
    with pytest.raises(DataError, match=r"total size cap"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


@needs_images
def test_a_full_disk_is_reported_as_a_full_disk(server, monkeypatch, root) -> None:
    def full(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fetch.CappedFile, "write", full)
    with pytest.raises(DataError, match=r"Set5: the disk holding .* is full \(\d+ MiB free\).*"
                                        r"nothing was installed"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


def test_an_archive_over_the_total_cap_is_refused(monkeypatch, tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "big.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in registry.SETS["Set5"].files:
            zf.writestr(f"Set5/{f}", bytes(200_000))  # zeros: 5 x 200 kB, compresses to little
    monkeypatch.setattr(download, "MAX_TOTAL_BYTES", 500_000)
    with pytest.raises(DataError, match=r"add up to 0 MiB, more than the 0 MiB cap|cap for one"):
        download.download_set("Set5", archive, data_root=tmp_path / "data", verbose=False)
    _absent(tmp_path / "data")


@needs_images
def test_an_existing_set_is_kept_without_overwrite(server, root: Path) -> None:
    (root / "Set5").mkdir(parents=True)
    (root / "Set5" / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match=r"already exists.*--force"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    assert [p.name for p in (root / "Set5").iterdir()] == ["notes.txt"]


@needs_images
def test_an_incomplete_set_keeps_its_good_files_and_the_learners(server, root: Path) -> None:
    (root / "Set5" / "mine").mkdir(parents=True)
    (root / "Set5" / "notes.txt").write_text("mine")
    (root / "Set5" / "mine" / "result.png").write_bytes(b"mine too")
    good = (SHARED / "Set5" / "baby.png").read_bytes()
    (root / "Set5" / "baby.png").write_bytes(good)
    download_pinned("Set5", data_root=root, overwrite=True, verbose=False, progress=False)
    assert not any("baby" in r for r in server.requests)
    assert (root / "Set5" / "notes.txt").read_text() == "mine"
    assert (root / "Set5" / "mine" / "result.png").read_bytes() == b"mine too"
    assert registry.verify_set("Set5", root) == []


def test_offline_setting_forbids_the_network(monkeypatch, root: Path) -> None:
    monkeypatch.setenv("DRCN_OFFLINE", "1")
    with pytest.raises(DataError, match="DRCN_OFFLINE is set"):
        download_pinned("Set5", data_root=root, verbose=False, progress=False)
    _absent(root)


def test_staging_names_a_data_root_that_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DataError, match=r"cannot write into the data folder .*DRCN_DATA"), \
            staging.staging(blocker / "data", "Set5"):
        pass


# --- ensure_set: the one call that makes a set present -----------------------------------


@needs_images
def test_ensure_set_downloads_a_missing_set(server, root: Path) -> None:
    from drcn_lib.data.ensure import ensure_set

    paths = ensure_set("Set5", data_root=root, verbose=False)
    assert paths == [root / "Set5" / f for f in registry.SETS["Set5"].files]
    assert registry.verify_set("Set5", root) == []


def test_ensure_set_falls_back_loudly_and_fast_when_unreachable(monkeypatch, root, capsys):
    from drcn_lib.data.ensure import ensure_set

    monkeypatch.delenv("DRCN_OFFLINE", raising=False)
    monkeypatch.setenv("DRCN_DATA_URL", closed_port_url())
    start = time.monotonic()
    with pytest.warns(FallbackDataWarning):
        paths = ensure_set("Set5", data_root=root)
    assert time.monotonic() - start < 10  # the stand-ins are written once: seconds, not a hang
    assert paths and all(p.parent == root / "Fallback" / "test" for p in paths)
    out = capsys.readouterr().out
    assert "FALLBACK DATA" in out and "cannot be reached" in out


def test_ensure_set_does_not_hang_on_a_silent_server(monkeypatch, root: Path) -> None:
    from drcn_lib.data.ensure import ensure_set

    monkeypatch.setenv("DRCN_DOWNLOAD_TIMEOUT", "0.5")
    with silent_server() as url:
        monkeypatch.setenv("DRCN_DATA_URL", url)
        start = time.monotonic()
        with pytest.raises(DataError, match=r"did not answer within 0\.5 s"):
            ensure_set("Set5", fallback=False, data_root=root, verbose=False)
    assert time.monotonic() - start < 5
    _absent(root)


def test_ensure_set_without_fallback_says_how_to_get_the_set(monkeypatch, root: Path) -> None:
    from drcn_lib.data.ensure import ensure_set

    monkeypatch.setenv("DRCN_OFFLINE", "1")
    with pytest.raises(DataError, match=r"(?s)Set5 is missing.*drcn download Set5.*"
                                        r"Not downloaded: DRCN_OFFLINE is set"):
        ensure_set("Set5", fallback=False, data_root=root)


@needs_images
def test_ensure_set_refuses_a_wrong_image_by_name(monkeypatch, root: Path) -> None:
    """Never silently scored, never silently replaced: the learner's file is named."""
    import shutil

    from drcn_lib.data.ensure import ensure_set

    monkeypatch.setenv("DRCN_OFFLINE", "1")
    shutil.copytree(SHARED / "Set5", root / "Set5")
    other = SHARED / "Set14" / "lenna.png"  # a valid image, same size, not Set5's baby
    shutil.copy(other, root / "Set5" / "baby.png")
    with pytest.raises(DataError, match=r"(?s)Set5 .* fails its checksums.*baby\.png: pixels"):
        ensure_set("Set5", data_root=root)
    assert (root / "Set5" / "baby.png").read_bytes() == other.read_bytes()


@needs_images
def test_drcn_eval_downloads_a_missing_set_first(server, root: Path) -> None:
    """``drcn eval`` scores the paper's images: fetched when missing, never the stand-ins."""
    from drcn_lib.evaluate import set_images

    assert set_images("Set5", data_root=root) == [root / "Set5" / f
                                                  for f in registry.SETS["Set5"].files]
    assert registry.verify_set("Set5", root) == []
