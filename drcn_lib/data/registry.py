"""The image sets of the DRCN paper, what each must contain, and where to find them on disk.

DRCN (Kim, Lee & Lee, CVPR 2016) trains on the 91 images of Yang et al. (``T91``) and reports
PSNR/SSIM on ``Set5``, ``Set14``, ``B100`` and ``Urban100``. The expected file names and their
checksums come from the tables shipped as package data (``MANIFEST.tsv``, ``PIXELS.tsv`` and the
Urban100 pair, copies of ``shared/data``'s). Two checksums are kept per image:

* the file sha256 (of the PNG bytes): the fast check for an untouched copy;
* the **pixel** sha256: sha256 of the decoded ``uint8`` array, C order, ``H x W`` (grey) or
  ``H x W x 3`` (RGB). A PNG re-encoded elsewhere has new bytes but the same pixels, so the
  pixel checksum is what decides whether a copy is the paper's image.

Sets live in ``drcn_lib.settings.data_root() / <SetName> /``. :func:`find_set` is the one call the
rest of the course makes; when a set is missing it raises a :class:`DataError` that names the
folder, the missing files and the exact command that fetches them, or, if asked, falls back to
the scikit-image images of :mod:`drcn_lib.data.fallback` with a loud warning.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from drcn_lib import settings
from drcn_lib.errors import DataError, ImageError

Role = Literal["train", "test"]
State = Literal["present", "missing", "incomplete"]

# Where each set can be had; printed in the "missing" message. Only sources whose content was
# checked against these checksums (see shared/data/SOURCES.md) are named first.
_WHERE = {
    "T91": "the 91 BMPs of SRCNN's Train/ folder, e.g. a clone of "
    "github.com/tegg89/SRCNN-Tensorflow (folder Train/)",
    "Set5": "a clone of github.com/jbhuang0604/SelfExSR (data/Set5/image_SRF_2) or "
    "github.com/majedelhelou/denoising_datasets (CSet5/)",
    "Set14": "a clone of github.com/majedelhelou/denoising_datasets (CSet14/)",
    "B100": "a clone of github.com/jbhuang0604/SelfExSR (data/BSD100/image_SRF_3)",
    "Urban100": "a clone of github.com/jbhuang0604/SelfExSR (data/Urban100/image_SRF_4) or "
    "github.com/majedelhelou/denoising_datasets (CUrban100/)",
}
_CITATION = {
    "T91": "Yang, Wright, Huang & Ma, Image Super-Resolution via Sparse Representation, TIP 2010",
    "Set5": "Bevilacqua et al., BMVC 2012",
    "Set14": "Zeyde, Elad & Protter, Curves and Surfaces 2010",
    "B100": "Martin et al., ICCV 2001 (BSDS300 test split, Huang et al.'s copy)",
    "Urban100": "Huang, Singh & Ahuja, CVPR 2015",
}
_ALIASES = {"bsd100": "B100", "bsds100": "B100", "yang91": "T91", "91": "T91"}


@dataclass(frozen=True)
class ImageEntry:
    """One expected image: its file name, both checksums and its decoded shape (H, W[, 3])."""

    file: str
    sha256: str
    pixel_sha256: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class SetInfo:
    """A registered image set: name, role (``train`` or ``test``) and its expected images."""

    name: str
    role: Role
    entries: tuple[ImageEntry, ...]
    citation: str
    where: str

    @property
    def files(self) -> tuple[str, ...]:
        """The expected file names, sorted as strings (the order :func:`find_set` returns)."""
        return tuple(e.file for e in self.entries)

    def entry(self, file: str) -> ImageEntry:
        """The entry of ``file``; :class:`DataError` listing the valid names if unknown."""
        for e in self.entries:
            if e.file == file:
                return e
        raise DataError(
            f"{file!r} is not an image of {self.name}; it holds {', '.join(self.files)}"
        )


@dataclass(frozen=True)
class SetStatus:
    """What is on disk for one set: ``present`` (every file), ``missing`` (none) or
    ``incomplete``, with counts and the names of missing files (file presence only, no checksums;
    :func:`verify_set` checks the pixels)."""

    name: str
    folder: Path
    state: State
    found: int
    expected: int
    missing: tuple[str, ...]


def _read_tsv(name: str) -> list[dict[str, str]]:
    text = resources.files("drcn_lib.data").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


def _build_sets() -> dict[str, SetInfo]:
    rows = _read_tsv("MANIFEST.tsv") + _read_tsv("Urban100_MANIFEST.tsv")
    pixels = {(r["set"], r["file"]): r for r in _read_tsv("PIXELS.tsv")}
    pixels.update({(r["set"], r["file"]): r for r in _read_tsv("Urban100_PIXELS.tsv")})
    entries: dict[str, list[ImageEntry]] = {}
    for r in rows:
        p = pixels[(r["set"], r["file"])]
        shape = tuple(int(v) for v in p["shape"].split("x"))
        entry = ImageEntry(r["file"], r["sha256"], p["pixel_sha256"], shape)
        entries.setdefault(r["set"], []).append(entry)
    return {
        name: SetInfo(
            name=name,
            role="train" if name == "T91" else "test",
            entries=tuple(sorted(entries[name], key=lambda e: e.file)),
            citation=_CITATION[name],
            where=_WHERE[name],
        )
        for name in ("T91", "Set5", "Set14", "B100", "Urban100")
    }


SETS: dict[str, SetInfo] = _build_sets()
"""Every registered set by name: ``T91`` (train), ``Set5``, ``Set14``, ``B100``, ``Urban100``."""

TEST_SETS: tuple[str, ...] = ("Set5", "Set14", "B100", "Urban100")


@lru_cache(maxsize=1)
def b100_id_map() -> Mapping[str, str]:
    """Huang et al.'s B100 names (``img_001``) to our BSDS300-id file names (``101085.png``)."""
    return {r["selfexsr_name"]: r["file"] for r in _read_tsv("B100_ID_MAP.tsv")}


def get_set(name: str) -> SetInfo:
    """The :class:`SetInfo` of ``name`` (case-insensitive; ``BSD100`` means ``B100``).

    Raises :class:`DataError` listing the valid names for anything else.
    """
    if name in SETS:
        return SETS[name]
    key = str(name).strip().lower()
    for valid in SETS:
        if valid.lower() == key:
            return SETS[valid]
    if key in _ALIASES:
        return SETS[_ALIASES[key]]
    raise DataError(f"unknown image set {name!r}; valid sets are {', '.join(SETS)}")


def set_dir(name: str, data_root: Path | None = None) -> Path:
    """The folder where set ``name`` lives: ``data_root / <SetName>`` (default root from
    ``DRCN_DATA``, see :func:`drcn_lib.settings.data_root`)."""
    root = Path(data_root) if data_root is not None else settings.data_root()
    return root / get_set(name).name


def pixel_sha256(img: np.ndarray) -> str:
    """sha256 of a decoded image's pixels: ``uint8`` bytes in C order, ``H x W`` or ``H x W x 3``.

    This is how ``PIXELS.tsv`` was made; it does not depend on how the PNG was compressed.
    """
    if img.dtype != np.uint8:
        raise ImageError(f"pixel checksums are defined on uint8 images, got dtype {img.dtype}")
    return hashlib.sha256(np.ascontiguousarray(img).tobytes()).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def set_status(name: str, data_root: Path | None = None) -> SetStatus:
    """Which of the set's files exist in its folder (no checksums; see :func:`verify_set`)."""
    info = get_set(name)
    folder = set_dir(info.name, data_root)
    missing = tuple(f for f in info.files if not (folder / f).is_file())
    found = len(info.files) - len(missing)
    state: State = "present" if not missing else ("missing" if found == 0 else "incomplete")
    return SetStatus(info.name, folder, state, found, len(info.files), missing)


def get_command(name: str) -> str:
    """The exact command that fetches and verifies set ``name`` from its pinned public URLs."""
    return f"drcn download {get_set(name).name}"


def _missing_message(status: SetStatus) -> str:
    info = SETS[status.name]
    if status.state == "missing":
        head = (
            f"{info.name} is missing: {status.folder} holds none of its {status.expected} images."
        )
    else:
        shown = ", ".join(status.missing[:10]) + (" ..." if len(status.missing) > 10 else "")
        head = (
            f"{info.name} is incomplete in {status.folder}: {status.found} of {status.expected} "
            f"images present, missing {shown}."
        )
    return (
        f"{head}\nGet it with:  {get_command(info.name)}  (from its pinned public URLs), or "
        f"without network:  {get_command(info.name)} --from DIR_OR_URL\n"
        f"  where DIR_OR_URL is a folder, a .zip/.tar/.tar.gz archive or an http(s) URL holding "
        f"{info.name}'s images (e.g. {', '.join(info.files[:3])}, ...); they are checked "
        f"against the pixel checksums in drcn_lib/data/PIXELS.tsv.\n"
        f"  {info.name} can be found in {info.where}.\n"
        f"Or set DRCN_DATA to a folder that already holds {info.name}/."
    )


_VERIFIED: dict[tuple[str, int, int], str] = {}
"""Files already verified in this process: (path, size, mtime_ns) -> the pixel sha256 matched.
A file rewritten in place changes its mtime (or size) and is checked again."""


def verify_set(name: str, data_root: Path | None = None) -> list[str]:
    """Check every image of set ``name`` on disk; return the problems (empty list: all good).

    A file whose bytes match ``MANIFEST.tsv`` passes at once; otherwise it is decoded and its
    shape and pixel sha256 are compared with ``PIXELS.tsv``, so a re-encoded PNG passes too.
    A pass is remembered by path, size and mtime, so checking again in the same process is
    free (Set5, Set14 and T91 take well under a second the first time: only sha256 of bytes).
    """
    from drcn_lib.protocol.image_io import load_image  # the one image reader of the course

    info = get_set(name)
    folder = set_dir(info.name, data_root)
    problems: list[str] = []
    for e in info.entries:
        path = folder / e.file
        try:
            st = path.stat()
        except OSError:
            st = None
        if st is None or not path.is_file():
            problems.append(f"{path}: missing")
            continue
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        if _VERIFIED.get(key) == e.pixel_sha256:
            continue
        if file_sha256(path) == e.sha256:
            _VERIFIED[key] = e.pixel_sha256
            continue
        try:
            img = load_image(path)
        except ImageError as err:
            problems.append(f"{path}: cannot be decoded ({err})")
            continue
        if img.shape != e.shape:
            problems.append(f"{path}: shape {_shape(img.shape)}, expected {_shape(e.shape)}")
        elif pixel_sha256(img) != e.pixel_sha256:
            problems.append(f"{path}: pixels differ from the registry (pixel sha256 mismatch): "
                            f"not {info.name}'s {e.file}")
        else:
            _VERIFIED[key] = e.pixel_sha256
    return problems


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(str(v) for v in shape)


def find_set(
    name: str,
    verify: bool = True,
    fallback: bool = False,
    data_root: Path | None = None,
    download_from: str | Path | None = None,
) -> list[Path]:
    """The sorted image paths of set ``name``, ready for
    :func:`drcn_lib.protocol.image_io.load_image`.

    Every image's pixel checksum is verified (:func:`verify_set`, cached), so a different image
    saved under a registry name is refused by name instead of scored; ``verify=False`` skips it.
    If ``download_from`` is given, a missing or incomplete set is fetched from there first
    (:func:`drcn_lib.data.download.download_set`). A set still missing raises a
    :class:`DataError` naming the folder, the missing files and the command that gets them.
    ``fallback=True`` hands over to :func:`drcn_lib.data.ensure.ensure_set`: download from the
    pinned URLs when online, else the scikit-image stand-ins with a loud warning.
    """
    info = get_set(name)
    status = set_status(info.name, data_root)
    if status.state != "present" and download_from is not None:
        from drcn_lib.data.download import download_set

        try:
            download_set(info.name, download_from, data_root=data_root, overwrite=True)
        except DataError as err:
            if not fallback:
                raise
            from drcn_lib.data.fallback import fallback_set

            reason = f"download from {download_from} failed: {err}"
            return fallback_set(info.role, data_root=data_root, reason=reason)
        status = set_status(info.name, data_root)
    if status.state != "present":
        if not fallback:
            raise DataError(_missing_message(status))
        from drcn_lib.data.ensure import ensure_set

        return ensure_set(info.name, fallback=True, data_root=data_root)
    if verify:
        problems = verify_set(info.name, data_root)
        if problems:
            raise DataError(
                f"{info.name} in {status.folder} fails its checksums ({len(problems)} of "
                f"{status.expected} images):\n  - " + "\n  - ".join(problems) + "\n"
                f"Fetch a clean copy with:  {get_command(info.name)} --force"
            )
    return [status.folder / f for f in info.files]
