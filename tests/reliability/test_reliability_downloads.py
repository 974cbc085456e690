"""Downloads: tampered archives are refused with nothing left; no archive writes outside.

A three-image set "Toy" is registered for the test (its pixel checksums computed here), so the
real download code runs end to end, from a local archive or from a throw-away HTTP server on
127.0.0.1. After every refusal the data folder must hold exactly what it held before (no set
folder, no hidden ``.Toy.partial-*`` staging folder), and a sentinel folder *beside* the data
folder, where ``../`` members would land, must still be empty.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from drcn_lib.data import registry
from drcn_lib.data.download import download_set
from drcn_lib.errors import DataError
from drcn_lib.protocol.image_io import save_image

FAMILY = "downloads"
FILES = ("a.png", "b.png", "c.png")


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, bytes]:
    """Register set "Toy" (3 PNGs) and return its files' bytes by name."""
    rng = np.random.default_rng(0)
    images = {"a.png": rng.integers(0, 256, (20, 24, 3), dtype=np.uint8),
              "b.png": rng.integers(0, 256, (17, 13), dtype=np.uint8),
              "c.png": rng.integers(0, 256, (9, 30, 3), dtype=np.uint8)}
    src = tmp_path / "src"
    src.mkdir()
    entries, payload = [], {}
    for name, img in images.items():
        save_image(src / name, img)
        payload[name] = (src / name).read_bytes()
        entries.append(registry.ImageEntry(name, registry.file_sha256(src / name),
                                           registry.pixel_sha256(img), img.shape))
    monkeypatch.setitem(registry.SETS, "Toy",
                        registry.SetInfo("Toy", "test", tuple(entries), "generated", "tests"))
    return payload


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """``tmp/box/data`` (the data root) and ``tmp/box/outside`` (where escapes would land)."""
    box = tmp_path / "box"
    data, outside = box / "data", box / "outside"
    data.mkdir(parents=True)
    outside.mkdir()
    (data / "Set5").mkdir()  # something the learner already has, which must survive
    (data / "Set5" / "keep.txt").write_text("mine")
    return {"box": box, "data": data, "outside": outside}


def _snapshot(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _assert_untouched(layout: dict[str, Path], before: list[str]) -> None:
    assert _snapshot(layout["data"]) == before, "the data folder changed"
    assert list(layout["outside"].iterdir()) == [], "something was written outside the data root"
    assert not list(layout["box"].glob("*.png")) and not list(layout["box"].glob("*.sh"))


def _tar_bytes(members: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info in extra:
            tar.addfile(info, io.BytesIO(b"x" * info.size) if info.isfile() else None)
    return buf.getvalue()


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data)
    return buf.getvalue()


@pytest.fixture
def serve() -> Iterator[Callable[[bytes, int | None], str]]:
    """``serve(body, content_length=None) -> url``: a one-file HTTP server on 127.0.0.1.

    ``content_length`` larger than ``len(body)`` imitates a connection cut mid-transfer.
    """
    servers = []

    def start(body: bytes, content_length: int | None = None) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self.send_response(200)
                self.send_header("Content-Length", str(content_length or len(body)))
                self.end_headers()
                self.wfile.write(body)
                self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}/toy.tar.gz"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


def test_good_archive_installs_so_the_refusals_below_mean_something(toy, layout, tally) -> None:
    with tally.case(FAMILY, "untampered archive with the right sha256 (control)"):
        archive = layout["box"].parent / "toy.tar.gz"
        archive.write_bytes(_tar_bytes({f"Toy/{k}": v for k, v in toy.items()}))
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        out = download_set("Toy", archive, data_root=layout["data"], sha256=digest, verbose=False)
        assert sorted(p.name for p in out.iterdir()) == list(FILES)
        assert registry.verify_set("Toy", layout["data"]) == []


def test_tampered_archive_with_wrong_checksum_is_refused(toy, layout, tally) -> None:
    with tally.case(FAMILY, "archive with one byte changed, sha256 given"):
        good = _tar_bytes({f"Toy/{k}": v for k, v in toy.items()})
        digest = hashlib.sha256(good).hexdigest()
        archive = layout["box"].parent / "toy.tar.gz"
        archive.write_bytes(good[:-10] + bytes([good[-10] ^ 1]) + good[-9:])
        before = _snapshot(layout["data"])
        with pytest.raises(DataError, match=f"expected {digest}.*nothing was extracted"):
            download_set("Toy", archive, data_root=layout["data"], sha256=digest)
        _assert_untouched(layout, before)


def test_tampered_image_inside_an_archive_is_refused(toy, layout, tally) -> None:
    """No archive checksum given: the per-image pixel checksums still catch one changed pixel."""
    with tally.case(FAMILY, "archive with a re-encoded, one-pixel-changed image"):
        img = np.random.default_rng(0).integers(0, 256, (20, 24, 3), dtype=np.uint8)
        img[0, 0, 0] ^= 1
        tmp = layout["box"].parent / "a.png"
        save_image(tmp, img)
        members = {**{f"Toy/{k}": v for k, v in toy.items()}, "Toy/a.png": tmp.read_bytes()}
        archive = layout["box"].parent / "toy.zip"
        archive.write_bytes(_zip_bytes(members))
        before = _snapshot(layout["data"])
        with pytest.raises(DataError, match=r"a\.png: .*pixels differ.*|pixels differ"):
            download_set("Toy", archive, data_root=layout["data"])
        _assert_untouched(layout, before)


def test_failed_replacement_keeps_the_set_already_there(toy, layout, tally) -> None:
    with tally.case(FAMILY, "tampered archive over an installed set (--force)"):
        archive = layout["box"].parent / "toy.tar.gz"
        archive.write_bytes(_tar_bytes({f"Toy/{k}": v for k, v in toy.items()}))
        download_set("Toy", archive, data_root=layout["data"], verbose=False)
        before = _snapshot(layout["data"])
        bad = _tar_bytes({f"Toy/{k}": v[:-30] for k, v in toy.items()})  # truncated PNGs
        archive.write_bytes(bad)
        with pytest.raises(DataError, match="3 of 3 images failed"):
            download_set("Toy", archive, data_root=layout["data"], overwrite=True)
        _assert_untouched(layout, before)
        assert registry.verify_set("Toy", layout["data"]) == []


def test_tampered_archive_over_http_is_refused(toy, layout, serve, tally) -> None:
    with tally.case(FAMILY, "tampered archive over HTTP, sha256 given"):
        good = _tar_bytes({f"Toy/{k}": v for k, v in toy.items()})
        url = serve(good + b"appended junk", None)
        before = _snapshot(layout["data"])
        with pytest.raises(DataError, match="sha256"):
            download_set("Toy", url, data_root=layout["data"],
                         sha256=hashlib.sha256(good).hexdigest(), timeout=10)
        _assert_untouched(layout, before)


def test_transfer_cut_short_is_refused_by_name(toy, layout, serve, tally) -> None:
    with tally.case(FAMILY, "HTTP transfer cut at half the declared length"):
        good = _tar_bytes({f"Toy/{k}": v for k, v in toy.items()})
        url = serve(good[: len(good) // 2], len(good))
        before = _snapshot(layout["data"])
        with pytest.raises(DataError, match=rf"stopped after {len(good) // 2} of {len(good)}"):
            download_set("Toy", url, data_root=layout["data"], timeout=10)
        _assert_untouched(layout, before)


def _symlink(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


UNSAFE_TARS: dict[str, Callable[[dict[str, bytes], Path], bytes]] = {
    "tar member ../outside/evil.png": lambda toy, out: _tar_bytes(
        {**toy, "../outside/evil.png": toy["a.png"]}),
    "tar member Toy/../../outside/evil.png": lambda toy, out: _tar_bytes(
        {**toy, "Toy/../../outside/evil.png": toy["a.png"]}),
    "tar member with an absolute path": lambda toy, out: _tar_bytes(
        {**toy, str(out / "abs.png"): toy["a.png"]}),
    "tar symlink to outside, then a file through it": lambda toy, out: _tar_bytes(
        {**toy, "escape/evil.png": toy["a.png"]}, [_symlink("escape", "../outside")]),
    "tar hard link to /etc/passwd": lambda toy, out: _tar_bytes(
        toy, [_symlink("passwd.png", "/etc/passwd", tarfile.LNKTYPE)]),
    "zip member ../outside/evil.png": lambda toy, out: _zip_bytes(
        {**toy, "../outside/evil.png": toy["a.png"]}),
    "zip member with an absolute path": lambda toy, out: _zip_bytes(
        {**toy, str(out / "abs.png"): toy["a.png"]}),
    "zip member ..\\outside\\evil.png (Windows separators)": lambda toy, out: _zip_bytes(
        {**toy, "..\\outside\\evil.png": toy["a.png"]}),
    "zip member C:/outside/evil.png (drive letter)": lambda toy, out: _zip_bytes(
        {**toy, "C:/outside/evil.png": toy["a.png"]}),
}


@pytest.mark.parametrize("name", list(UNSAFE_TARS))
def test_archive_that_would_write_outside_is_refused_whole(name: str, toy, layout, tally,
                                                           monkeypatch) -> None:
    """The valid images in the same archive are not installed either: all or nothing."""
    with tally.case(FAMILY, name):
        monkeypatch.chdir(layout["data"])  # relative escapes would resolve from here
        archive = layout["box"].parent / ("evil.zip" if name.startswith("zip") else "evil.tgz")
        archive.write_bytes(UNSAFE_TARS[name](toy, layout["outside"]))
        before = _snapshot(layout["data"])
        with pytest.raises(DataError, match=r"refused archive .*unsafe member.*nothing was "
                                            r"extracted"):
            download_set("Toy", archive, data_root=layout["data"])
        _assert_untouched(layout, before)


def test_cli_download_refusal_is_one_line_and_exit_2(toy, layout, tally, child_env) -> None:
    """The same refusal from a shell: ``drcn download`` prints one line, exits 2.

    The child registers "Toy" itself (the registry is per process), then runs the CLI's main.
    """
    with tally.case(FAMILY, "drcn download --sha256 WRONG (CLI)"):
        archive = layout["box"].parent / "toy.tar.gz"
        archive.write_bytes(_tar_bytes(toy))
        entries = [(e.file, e.sha256, e.pixel_sha256, e.shape) for e in
                   registry.SETS["Toy"].entries]
        code = (
            "import sys\n"
            "from drcn_lib.data import registry\n"
            f"entries = tuple(registry.ImageEntry(*e) for e in {entries!r})\n"
            "registry.SETS['Toy'] = registry.SetInfo('Toy', 'test', entries, '', '')\n"
            "from drcn_lib.cli import main\n"
            f"sys.exit(main(['download', 'Toy', '--from', {str(archive)!r}, '--sha256', "
            "'0' * 64]))\n"
        )
        before = _snapshot(layout["data"])
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**child_env, "DRCN_DATA": str(layout["data"])}, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert "drcn download: error: archive" in proc.stderr and "sha256" in proc.stderr
        _assert_untouched(layout, before)


# --- the pinned public URLs (drcn download SET, dl.ensure_set), through a loopback server ---


def _pinned_server_module():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "pinned_server.py"
    spec = importlib.util.spec_from_file_location("pinned_server", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PINNED_FAULTS = {
    "pinned URL: one file with a wrong sha256": ("corrupt", {}, r"sha256 does not match"),
    "pinned URL: connection dropped mid-file": ("drop", {}, r"stopped after \d+ of \d+ bytes"),
    "pinned URL: one byte every 0.3 s (deadline 1 s)": (
        "drip", {"DRCN_DOWNLOAD_DEADLINE": "1"}, r"longer than the 1 s deadline"),
    "pinned URL: a body without end (size cap)": ("huge", {}, r"cap for one file"),
    "pinned URL: disk full while writing": ("enospc", {}, r"disk holding .* is full"),
}


@pytest.mark.parametrize("name", list(PINNED_FAULTS))
def test_pinned_download_failures_leave_nothing(name: str, layout, tally, monkeypatch) -> None:
    """Set5 over a loopback server laid out as the pinned URLs; the learner's Set5/keep.txt
    stays, and neither a Set5 image nor a staging folder is left behind."""
    import errno

    from drcn_lib.data import fetch, pinned
    from drcn_lib.data.pinned import download_pinned

    shared = SHARED_DATA_FOR_PINNED
    if shared is None:
        pytest.skip("the paper's images are not here to serve")
    fault, env, message = PINNED_FAULTS[name]
    with tally.case(FAMILY, name), _pinned_server_module().pinned_server(shared) as srv:
        monkeypatch.setenv("DRCN_DATA_URL", srv.url)
        monkeypatch.setenv("DRCN_DOWNLOAD_TIMEOUT", "5")
        monkeypatch.delenv("DRCN_OFFLINE", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        if fault == "enospc":
            def full(self, data: bytes) -> int:
                raise OSError(errno.ENOSPC, "No space left on device")
            monkeypatch.setattr(fetch.CappedFile, "write", full)
        else:
            srv.fault, srv.fault_file, srv.huge_bytes = fault, "bird.png", 8 << 20
            monkeypatch.setattr(pinned, "MAX_FILE_BYTES", 2 << 20)
        before = _snapshot(layout["data"])
        with pytest.raises(DataError, match=message):
            download_pinned("Set5", data_root=layout["data"], overwrite=True, verbose=False,
                            progress=False)
        _assert_untouched(layout, before)


def _shared_for_pinned() -> Path | None:
    from drcn_lib.settings import REPO_ROOT

    for p in (REPO_ROOT.parent / "shared" / "data", Path("/work/shared/data")):
        if (p / "Set5").is_dir():
            return p
    return None


SHARED_DATA_FOR_PINNED = _shared_for_pinned()
