"""Fetch an image set from a folder, an archive or a URL, and keep it only if every pixel checks.

``download_set("Set5", source)`` looks inside ``source`` (a local folder, a ``.zip``/``.tar``/
``.tar.gz``/``.tgz`` archive, or an ``http(s)`` URL of one) for each image the registry expects,
by file name: ``baby.png``, the same stem in another lossless format (``t1.bmp`` from SRCNN's
``Train/``), SRCNN's ``baby_GT.bmp`` and Huang et al.'s ``<name>_SRF_<s>_HR.png`` (for B100
``img_NNN`` maps to the BSDS300 id via ``B100_ID_MAP.tsv``). Every candidate is decoded and its
**pixel** sha256 compared with ``PIXELS.tsv``; bytes may differ (re-encoded PNGs), pixels may not.
Huang's ``SRF_s`` copies are cropped to a multiple of ``s``, so some of them are refused.

Safety: archives are never extracted wholesale. Every member is checked first and the archive is
refused if any has an absolute path, a ``..`` component, a link pointing outside, or is a device
or FIFO; image members are then read into memory one at a time. Verified images are written in
a temporary folder inside the data root and renamed into place at the end, so a failure leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from drcn_lib import settings
from drcn_lib.data.registry import (
    SetInfo,
    b100_id_map,
    file_sha256,
    get_command,
    get_set,
    pixel_sha256,
)
from drcn_lib.data.sources import MAX_FILE_BYTES, MAX_TOTAL_BYTES
from drcn_lib.data.staging import install, refuse_existing, staging
from drcn_lib.errors import DataError, ImageError

IMAGE_SUFFIXES = (".png", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".jpg", ".jpeg")
MAX_MEMBER_BYTES = MAX_FILE_BYTES  # no benchmark image comes near this; refuses bombs
MAX_ARCHIVE_BYTES = 2 << 30  # Huang et al.'s Urban100 zip, the largest known, is 1.14 GB
ARCHIVE_DEADLINE_FACTOR = 12  # an archive may take 12 times one file's deadline (1 h by default)
_HUANG = re.compile(r"^(?P<stem>.+)_SRF_(?P<s>\d+)_HR$", re.IGNORECASE)
_TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


@dataclass(frozen=True)
class _Member:
    """One file inside a source: its path there (POSIX) and how to read its bytes."""

    name: str
    size: int
    read: Callable[[], bytes]


def _unsafe_name(name: str) -> str | None:
    """Why an archive member name is unsafe to honour, or None."""
    n = name.replace("\\", "/")
    if n.startswith("/") or re.match(r"^[A-Za-z]:", n):
        return "absolute path"
    if ".." in n.split("/"):
        return "path with '..' leaves the archive"
    return None


def _escapes(member_name: str, target: str) -> bool:
    """True if a link at ``member_name`` pointing to ``target`` leaves the archive root."""
    t = target.replace("\\", "/")
    if t.startswith("/") or re.match(r"^[A-Za-z]:", t):
        return True
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(member_name), t))
    return joined == ".." or joined.startswith("../")


def _tar_members(tar: tarfile.TarFile, label: str) -> list[_Member]:
    bad, members = [], []
    for m in tar.getmembers():
        why = _unsafe_name(m.name)
        if why is None and (m.ischr() or m.isblk() or m.isfifo() or m.isdev()):
            why = "device or FIFO"
        if why is None and m.issym() and _escapes(m.name, m.linkname):
            why = f"symbolic link to {m.linkname!r} outside the archive"
        if why is None and m.islnk() and (
            _unsafe_name(m.linkname) is not None or _escapes("", m.linkname)
        ):
            why = f"hard link to {m.linkname!r} outside the archive"
        if why:
            bad.append(f"{m.name!r} ({why})")
        elif m.isfile():
            members.append(_Member(m.name, m.size, _tar_reader(tar, m)))
    _refuse(bad, label)
    return members


def _tar_reader(tar: tarfile.TarFile, m: tarfile.TarInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        f = tar.extractfile(m)
        if f is None:
            raise DataError(f"cannot read {m.name!r} from the archive")
        return f.read()

    return read


def _zip_members(zf: zipfile.ZipFile, label: str) -> list[_Member]:
    bad, members = [], []
    for info in zf.infolist():
        mode = info.external_attr >> 16
        why = _unsafe_name(info.filename)
        if why is None and stat.S_ISLNK(mode):
            target = zf.read(info).decode("utf-8", "replace")
            if _escapes(info.filename, target):
                why = f"symbolic link to {target!r} outside the archive"
            else:
                continue  # a harmless in-archive link; we only read regular members
        if why is None and (stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)):
            why = "device or FIFO"
        if why:
            bad.append(f"{info.filename!r} ({why})")
        elif not info.is_dir():
            members.append(_Member(info.filename, info.file_size, _zip_reader(zf, info)))
    _refuse(bad, label)
    return members


def _zip_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return zf.read(info)
        except (RuntimeError, zipfile.BadZipFile, OSError) as err:
            raise DataError(f"cannot read {info.filename!r} from the archive: {err}") from err

    return read


def _refuse(bad: list[str], label: str) -> None:
    if bad:
        raise DataError(
            f"refused archive {label}: {len(bad)} unsafe member(s), nothing was extracted:\n  - "
            + "\n  - ".join(bad[:20])
            + ("\n  - ..." if len(bad) > 20 else "")
        )


def _folder_members(folder: Path) -> list[_Member]:
    members = []
    for dirpath, _dirs, files in os.walk(folder):  # does not descend into linked folders
        for f in files:
            p = Path(dirpath) / f
            if p.is_file():  # follows file symlinks: the folder is the user's own
                rel = p.relative_to(folder).as_posix()
                members.append(_Member(rel, p.stat().st_size, p.read_bytes))
    return members


def _fetch_url(url: str, dest_dir: Path, name: str, timeout: float) -> Path:
    """Download ``url`` into ``dest_dir`` with pooch (size cap, deadline); DataError saying what
    to do when there is no network."""
    from drcn_lib.data.fetch import Budget, fetch_file
    from drcn_lib.data.sources import file_deadline

    suffix = "".join(Path(url.split("?")[0]).suffixes[-2:]) or ".download"
    try:
        return fetch_file(
            url, dest_dir / f"download{suffix}", None, timeout=timeout,
            deadline=ARCHIVE_DEADLINE_FACTOR * file_deadline(), cap=MAX_ARCHIVE_BYTES,
            budget=Budget(MAX_ARCHIVE_BYTES),
        )
    except DataError as err:
        raise DataError(
            f"{err}\nIf this machine has no network, download it elsewhere and run:  "
            f"drcn download {name} --from /path/to/the/archive_or_folder"
        ) from err


@contextlib.contextmanager
def _open_source(
    source: str | Path, name: str, scratch: Path, sha256: str | None, timeout: float
) -> Iterator[list[_Member]]:
    """The members of ``source`` (folder, archive or URL); archives stay open while in use."""
    text = str(source)
    if re.match(r"^https?://", text, re.IGNORECASE):
        path = _fetch_url(text, scratch, name, timeout)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise DataError(
                f"source {path} does not exist; give a folder, a .zip/.tar/.tar.gz/.tgz archive "
                f"or an http(s) URL"
            )
    if path.is_dir():
        if sha256:
            raise DataError(f"sha256= checks an archive, but {path} is a folder")
        yield _folder_members(path)
        return
    if sha256:
        got = file_sha256(path)
        if got != sha256.strip().lower():
            raise DataError(
                f"archive {text} has sha256 {got}, expected {sha256}; it is corrupt or a "
                f"different release, nothing was extracted"
            )
    lower = path.name.lower()
    is_zip = lower.endswith(".zip") or (
        not lower.endswith(_TAR_SUFFIXES) and zipfile.is_zipfile(path)
    )
    try:
        if is_zip:
            with zipfile.ZipFile(path) as zf:
                yield _zip_members(zf, text)
        elif lower.endswith(_TAR_SUFFIXES) or tarfile.is_tarfile(path):
            with tarfile.open(path, "r:*") as tar:
                yield _tar_members(tar, text)
        else:
            raise DataError(
                f"source {text} is neither a folder nor an archive (.zip, .tar, .tar.gz, .tgz)"
            )
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as err:
        raise DataError(f"cannot read archive {text}: {err}") from err


def _target_of(info: SetInfo, member: str) -> tuple[str, int] | None:
    """Which registry file a member could be, with a priority (0 = exact name), or None."""
    base = posixpath.basename(member.replace("\\", "/"))
    stem, suffix = posixpath.splitext(base)
    if suffix.lower() not in IMAGE_SUFFIXES or base.startswith("._"):
        return None
    files = {f.lower(): f for f in info.files}
    if base.lower() in files:
        return files[base.lower()], 0
    candidates = [(stem, 1)]
    if stem.lower().endswith("_gt"):  # SRCNN's Test/Set5/baby_GT.bmp
        candidates.append((stem[:-3], 2))
    huang = _HUANG.match(stem)
    if huang:  # Huang et al.'s img_001_SRF_3_HR.png / baby_SRF_2_HR.png
        s = huang["stem"]
        mapped = b100_id_map().get(s) if info.name == "B100" else None
        index = re.fullmatch(r"img_(\d{3})", s)
        if mapped is None and index and info.name in ("Set5", "Set14"):
            # Huang numbers Set5/Set14 in alphabetical order (assumed; the pixels decide)
            i = int(index[1]) - 1
            mapped = info.files[i] if 0 <= i < len(info.files) else None
        candidates.append((mapped[:-4] if mapped else s, 3))
    for cand, prio in candidates:
        key = f"{cand}.png".lower()
        if key in files:
            return files[key], prio
    return None


def _check_candidate(info: SetInfo, file: str, member: _Member, scratch: Path) -> tuple[
    Path | None, str
]:
    """Write ``member`` to ``scratch``, decode it and compare with the registry.

    Returns (PNG path of a verified copy, "") or (None, why it was refused).
    """
    from drcn_lib.protocol.image_io import load_image, save_image

    if member.size > MAX_MEMBER_BYTES:
        return None, f"{member.name}: {member.size} bytes, too large for an image"
    entry = info.entry(file)
    suffix = posixpath.splitext(member.name)[1].lower()
    raw = scratch / f"candidate{suffix}"
    raw.write_bytes(member.read())
    try:
        img = load_image(raw)
    except ImageError as err:
        return None, f"{member.name}: cannot be decoded ({err})"
    if img.shape != entry.shape:
        got, want = ("x".join(map(str, s)) for s in (img.shape, entry.shape))
        return None, f"{member.name}: shape {got}, expected {want}"
    if pixel_sha256(img) != entry.pixel_sha256:
        return None, f"{member.name}: pixels differ from the registry (pixel sha256 mismatch)"
    out = scratch / f"verified-{file}"  # registry names all end in .png
    if suffix == ".png":
        raw.replace(out)  # keep the original bytes
    else:  # lossless re-encode, then prove the PNG decodes to the same pixels
        save_image(out.with_suffix(".png"), img)
        if pixel_sha256(load_image(out)) != entry.pixel_sha256:
            return None, f"{member.name}: re-encoding as PNG changed the pixels"
    return out, ""


def _refuse_oversized(by_file: dict[str, list[tuple[int, int, str, _Member]]], label: str) -> None:
    """Refuse a source whose candidate images add up to more than ``MAX_TOTAL_BYTES``: a
    decompression bomb, or a source that is not what it claims."""
    total = sum(c[3].size for cands in by_file.values() for c in cands)
    if total > MAX_TOTAL_BYTES:
        raise DataError(
            f"refused {label}: its candidate images add up to {total >> 20} MiB, more than the "
            f"{MAX_TOTAL_BYTES >> 20} MiB cap for one set; nothing was extracted"
        )


def download_set(
    name: str,
    source: str | Path,
    data_root: Path | None = None,
    sha256: str | None = None,
    overwrite: bool = False,
    timeout: float = 30.0,
    verbose: bool = True,
) -> Path:
    """Fetch set ``name`` from ``source`` into ``data_root/<SetName>/`` and return that folder.

    ``source``: a local folder, a local ``.zip``/``.tar``/``.tar.gz``/``.tgz`` archive, or an
    ``http(s)`` URL of one. ``sha256`` (optional) must match the archive's bytes. Every image must
    match its pixel sha256 in the registry, else :class:`DataError` lists each failing file and
    why, and nothing is written. An existing set folder is replaced only with ``overwrite=True``.
    """
    info = get_set(name)
    root = Path(data_root) if data_root is not None else settings.data_root()
    target = root / info.name
    refuse_existing(target, overwrite, f"check it with verify_set({info.name!r}) or replace "
                    f"it with overwrite=True (CLI: {get_command(info.name)} --force)")
    with staging(root, info.name) as stage:
        scratch = stage / "scratch"
        scratch.mkdir()
        out_dir = stage / info.name
        out_dir.mkdir()
        with _open_source(source, info.name, scratch, sha256, timeout) as members:
            by_file: dict[str, list[tuple[int, int, str, _Member]]] = {}
            words = (info.name.lower(), "bsd100") if info.name == "B100" else (info.name.lower(),)
            for m in members:
                hit = _target_of(info, m.name)
                if hit:
                    in_set_dir = 0 if any(w in m.name.lower() for w in words) else 1
                    by_file.setdefault(hit[0], []).append((in_set_dir, hit[1], m.name, m))
            _refuse_oversized(by_file, str(source))
            failures = []
            for file in info.files:
                reasons = []
                for *_, member in sorted(by_file.get(file, []), key=lambda c: c[:3]):
                    ok, why = _check_candidate(info, file, member, scratch)
                    if ok is not None:
                        ok.replace(out_dir / file)
                        break
                    reasons.append(why)
                else:
                    if not reasons:
                        stem = file[:-4]
                        reasons.append(f"not found (looked for {file}, {stem}.bmp, "
                                       f"{stem}_SRF_<s>_HR.png)")
                    failures.append(f"{file}: " + "; ".join(reasons))
        if failures:
            raise DataError(
                f"{info.name} from {source}: {len(failures)} of {len(info.files)} images failed "
                f"verification, nothing was written:\n  - " + "\n  - ".join(failures)
            )
        shutil.rmtree(scratch)
        install(out_dir, target, stage)
    if verbose:
        print(f"{info.name}: {len(info.files)} images verified (pixel sha256) into {target}")
    return target
