"""Training patches cut as the DRCN paper cuts them, cached on disk and served in resumable batches.

Kim, Lee & Lee (CVPR 2016) train on the 91 images of ``T91`` cut into 41 x 41
patches with stride 21. For each training image and scale ``s`` we call
:func:`drcn_lib.protocol.pairs.benchmark_pair` (so training inputs are made exactly like test
inputs:
modcrop, MATLAB bicubic down by ``1/s`` and back up, Y of MATLAB ``rgb2ycbcr``) and take the same
``P x P`` window from the bicubic-upsampled Y (the input ``x``) and the HR Y (the target ``y``).
Windows start at 0, stride, 2 stride, ... and must fit inside the image; nothing is padded.

Arrays are ``float32`` Y / 255, layout ``N x 1 x P x P``: targets lie in [16/255, 235/255] for
RGB images (MATLAB's Y range) and [0, 1] for grey ones; inputs are the benchmark's unclipped
bicubic, so cubic overshoot can leave them a little outside [0, 1] (up to 1.024 on T91), exactly
as the test inputs of :func:`benchmark_pair` are.

Optional augmentation, off by default since the paper describes none: the 8 flips and rotations
of each image (``augment=True``), and extra HR copies shrunk by ``downscales`` (e.g.
``(0.9, 0.8, 0.7, 0.6)``, as VDSR-style scripts do), both applied to the HR image *before* the
LR/bicubic pair is made.

Built once per configuration and stored under ``cache_root()/patches/`` as ``.npy`` files,
keyed by a hash of the images' file checksums, the :class:`PatchSpec` and the source code of the
protocol modules (so a fix to the resize invalidates old patches), written atomically and
memory-mapped on load. The engine draws batches from them as a pure function of (seed, step)
(:mod:`drcn_lib.engine.batches`), so training can resume bitwise at any step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drcn_lib import settings
from drcn_lib.data.registry import file_sha256, find_set
from drcn_lib.errors import DataError, ImageError

FORMAT_VERSION = 1


class SkippedImageWarning(UserWarning):
    """Some training images were too small to give a single patch and were left out."""


@dataclass(frozen=True)
class PatchSpec:
    """How to cut training patches (paper defaults: T91, 41 x 41, stride 21, no augmentation).

    ``scale`` is one factor (DRCN trains one model per scale) or a tuple of factors for a
    multi-scale training set. ``downscales`` lists extra HR shrink factors in (0, 1).
    ``max_images`` keeps only the first images (sorted by name), for smoke runs.
    """

    set_name: str = "T91"
    scale: int | tuple[int, ...] = 3
    patch: int = 41
    stride: int = 21
    augment: bool = False
    downscales: tuple[float, ...] = ()
    max_images: int | None = None

    def __post_init__(self) -> None:
        scales = self.scales
        if not scales or any(not isinstance(s, int) or isinstance(s, bool) or s < 2
                             for s in scales):
            raise DataError(f"scale must be an integer >= 2 or a tuple of them, got {self.scale!r}")
        for field, value in (("patch", self.patch), ("stride", self.stride)):
            if not isinstance(value, int) or value < 1:
                raise DataError(f"{field} must be a positive integer, got {value!r}")
        if any(not 0 < d < 1 for d in self.downscales):
            raise DataError(
                f"downscales must lie in (0, 1), e.g. (0.9, 0.8), got {self.downscales}"
            )
        if self.max_images is not None and self.max_images < 1:
            raise DataError(f"max_images must be None or >= 1, got {self.max_images!r}")

    @property
    def scales(self) -> tuple[int, ...]:
        """The scale factors as a tuple, whether one or several were given."""
        return (self.scale,) if isinstance(self.scale, int) else tuple(self.scale)

    def describe(self) -> str:
        """A short name used for cache folders: ``T91-x3-p41-s21``."""
        aug = "-aug8" if self.augment else ""
        ds = "-ds" + "_".join(f"{d:g}" for d in self.downscales) if self.downscales else ""
        n = f"-n{self.max_images}" if self.max_images else ""
        xs = "x" + "_".join(map(str, self.scales))
        return f"{self.set_name}-{xs}-p{self.patch}-s{self.stride}{aug}{ds}{n}"


@dataclass(frozen=True)
class PatchArrays:
    """Cut patches: ``inputs`` (bicubic Y) and ``targets`` (HR Y), both ``float32`` Y / 255
    (inputs unclipped, see the module doc), ``N x 1 x P x P`` (numpy, possibly memory-mapped
    read-only), and ``scales`` (``N``, int) saying which factor made each patch."""

    inputs: np.ndarray
    targets: np.ndarray
    scales: np.ndarray

    def __len__(self) -> int:
        return int(self.inputs.shape[0])


def _dihedral(img: np.ndarray, k: int) -> np.ndarray:
    """The k-th of the 8 flips/rotations (k in 0..7): rotate 90 k degrees, mirror if k >= 4."""
    out = np.rot90(img, k % 4, axes=(0, 1))
    return np.ascontiguousarray(out[:, ::-1] if k >= 4 else out)


def _count(length: int, patch: int, stride: int) -> int:
    return 0 if length < patch else (length - patch) // stride + 1


def _load(images: Sequence[Path | np.ndarray]) -> list[tuple[str, np.ndarray]]:
    from drcn_lib.protocol.image_io import load_image

    loaded = []
    for i, item in enumerate(images):
        if isinstance(item, np.ndarray):
            loaded.append((f"image[{i}]", item))
        else:
            loaded.append((Path(item).name, load_image(Path(item))))
    return loaded


def build_patches(
    spec: PatchSpec,
    images: Sequence[Path | np.ndarray] | None = None,
    out_dir: Path | None = None,
) -> PatchArrays:
    """Cut the patches of ``spec`` from ``images`` (paths or uint8 arrays; default: the set's
    files from :func:`find_set`). With ``out_dir`` the arrays are written there as ``.npy``
    memory maps instead of held in memory.

    Images too small for one patch at some scale are skipped with a :class:`SkippedImageWarning`
    naming them; if no patch at all can be cut, :class:`ImageError` says why.
    """
    from drcn_lib.protocol.pairs import benchmark_pair
    from drcn_lib.protocol.resize import imresize

    if images is None:
        images = find_set(spec.set_name)
    loaded = _load(list(images)[: spec.max_images])
    if not loaded:
        raise ImageError(f"no images given to cut {spec.describe()} patches from")
    p, stride = spec.patch, spec.stride
    plan: list[tuple[np.ndarray, int, int, int]] = []  # (HR variant, dihedral k, scale, count)
    skipped: list[str] = []
    for name, img in loaded:
        for ds in (1.0, *spec.downscales):
            hr = img if ds == 1.0 else imresize(img, scale=ds)
            for k in range(8) if spec.augment else (0,):
                h, w = hr.shape[:2] if k % 2 == 0 else hr.shape[1::-1]
                for s in spec.scales:
                    n = _count(h - h % s, p, stride) * _count(w - w % s, p, stride)
                    if n:
                        plan.append((hr, k, s, n))
                    elif k == 0:
                        skipped.append(f"{name} ({h}x{w}{f' shrunk x{ds:g}' if ds != 1 else ''},"
                                       f" x{s})")
    if skipped:
        warnings.warn(
            f"{len(skipped)} training image(s) smaller than a {p}x{p} patch after modcrop were "
            f"skipped: {', '.join(skipped)}",
            SkippedImageWarning,
            stacklevel=2,
        )
    total = sum(n for *_, n in plan)
    if total == 0:
        sizes = ", ".join(f"{name} {img.shape[0]}x{img.shape[1]}" for name, img in loaded[:5])
        raise ImageError(
            f"no {p}x{p} patch fits in any of the {len(loaded)} images at scale(s) "
            f"{spec.scales} ({sizes}); use larger images or a smaller patch"
        )
    shape = (total, 1, p, p)
    if out_dir is None:
        inputs = np.empty(shape, np.float32)
        targets = np.empty(shape, np.float32)
    else:
        inputs = np.lib.format.open_memmap(out_dir / "inputs.npy", "w+", np.float32, shape)
        targets = np.lib.format.open_memmap(out_dir / "targets.npy", "w+", np.float32, shape)
    scales = np.empty(total, np.int64)
    at = 0
    for hr, k, s, n in plan:
        pair = benchmark_pair(_dihedral(hr, k), s)
        for src, dst in ((pair.bicubic_y, inputs), (pair.hr_y, targets)):
            windows = np.lib.stride_tricks.sliding_window_view(src, (p, p))[::stride, ::stride]
            dst[at : at + n, 0] = windows.reshape(n, p, p) / 255.0
        scales[at : at + n] = s
        at += n
    if out_dir is not None:
        np.save(out_dir / "scales.npy", scales)
        inputs.flush()
        targets.flush()
    return PatchArrays(inputs, targets, scales)


def _protocol_fingerprint() -> str:
    """sha256 of the source of every module that decides what a patch holds."""
    import drcn_lib.protocol.colour
    import drcn_lib.protocol.pairs
    import drcn_lib.protocol.resize

    h = hashlib.sha256()
    for mod in (drcn_lib.protocol.resize, drcn_lib.protocol.colour, drcn_lib.protocol.pairs):
        h.update(Path(mod.__file__).read_bytes())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def cache_key(spec: PatchSpec, checksums: Sequence[tuple[str, str]]) -> str:
    """The cache key: sha256 of the format version, the spec, the protocol source and the
    ``(file name, file sha256)`` of every image used."""
    blob = json.dumps(
        {
            "format": FORMAT_VERSION,
            "spec": dataclasses.asdict(spec),
            "protocol": _protocol_fingerprint(),
            "images": [list(c) for c in checksums],
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def _open_cached(folder: Path) -> PatchArrays:
    meta = json.loads((folder / "meta.json").read_text())
    arrays = PatchArrays(
        np.load(folder / "inputs.npy", mmap_mode="r"),
        np.load(folder / "targets.npy", mmap_mode="r"),
        np.load(folder / "scales.npy"),
    )
    if len(arrays) != meta["count"] or arrays.targets.shape != arrays.inputs.shape:
        raise ValueError(f"patch cache {folder} is inconsistent with its meta.json")
    return arrays


def load_or_build_patches(
    spec: PatchSpec,
    data_root: Path | None = None,
    cache_root: Path | None = None,
    fallback: bool = True,
    verbose: bool = True,
) -> PatchArrays:
    """The patches of ``spec``, from the on-disk cache if built before, else built and cached.

    Images come from :func:`find_set`. When the set is missing, ``fallback=True`` (the default)
    cuts the patches from the scikit-image stand-ins instead, with their loud banner and
    :class:`~drcn_lib.data.fallback.FallbackDataWarning`, so that a fresh checkout with no
    data can still train (smoke runs, CI, a first lesson), as validation already falls back for
    Set5; ``fallback=False`` raises the :class:`DataError` that names the download command, for
    runs whose numbers must be the paper's (shipped weights). The cache folder is
    ``cache_root/patches/<describe>-<key[:16]>/``; it is written to a temporary folder and
    renamed, and a damaged cache is rebuilt.
    """
    paths = find_set(spec.set_name, fallback=fallback, data_root=data_root)
    paths = paths[: spec.max_images]
    key = cache_key(spec, [(p.name, file_sha256(p)) for p in paths])
    base = (Path(cache_root) if cache_root is not None else settings.cache_root()) / "patches"
    folder = base / f"{spec.describe()}-{key[:16]}"
    if (folder / "meta.json").is_file():
        try:
            arrays = _open_cached(folder)
        except (OSError, ValueError, KeyError) as err:
            warnings.warn(f"rebuilding damaged patch cache {folder}: {err}", stacklevel=2)
            shutil.rmtree(folder, ignore_errors=True)
        else:
            if verbose:
                print(f"Loaded {len(arrays)} {spec.describe()} patches from {folder}")
            return arrays
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=base))
    try:
        start = time.perf_counter()
        arrays = build_patches(spec, paths, out_dir=tmp)
        meta = {"count": len(arrays), "spec": dataclasses.asdict(spec), "key": key,
                "images": [p.name for p in paths], "seconds": time.perf_counter() - start}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        del arrays  # close the memory maps before the rename
        try:
            tmp.rename(folder)
        except OSError:  # another process built the same cache first; use theirs
            if not (folder / "meta.json").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    arrays = _open_cached(folder)
    if verbose:
        print(f"Built {len(arrays)} {spec.describe()} patches from {len(paths)} images in "
              f"{meta['seconds']:.1f} s, cached in {folder}")
    return arrays
