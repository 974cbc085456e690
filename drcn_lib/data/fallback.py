"""Stand-in images from scikit-image, for when the paper's sets are not on this machine.

The course must run on a fresh checkout with no network, so when ``T91`` or a test set is absent
:func:`drcn_lib.data.registry.find_set` (with ``fallback=True``) hands out a few photographs that
ship inside scikit-image (``skimage.data``, the ones bundled with the wheel, no download). They
are **not** the paper's images: PSNR/SSIM measured on them cannot be compared with DRCN's Table 2,
which is why every use warns twice, as a :class:`FallbackDataWarning` and as a printed banner.

The images are written once as PNG under ``data_root()/Fallback/{test,train}/`` so that the rest
of the course reads them exactly like a real set (paths,
:func:`drcn_lib.protocol.image_io.load_image`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from drcn_lib import settings
from drcn_lib.errors import DataError


class FallbackDataWarning(UserWarning):
    """The course is running on scikit-image stand-ins, not on the paper's image sets."""


def _motorcycle() -> np.ndarray:
    from skimage import data

    return data.stereo_motorcycle()[0]


def _loader(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from skimage import data

        return getattr(data, name)()

    return load


# Test stand-ins: five photographs like Set5, one grey (like Set14's bridge.png).
FALLBACK_TEST: dict[str, Callable[[], np.ndarray]] = {
    name: _loader(name) for name in ("astronaut", "camera", "chelsea", "coffee", "rocket")
}
# Training stand-ins: disjoint from the test ones; natural textures, text and a street scene.
FALLBACK_TRAIN: dict[str, Callable[[], np.ndarray]] = {
    **{name: _loader(name) for name in ("brick", "coins", "grass", "moon", "page", "text")},
    "immunohistochemistry": _loader("immunohistochemistry"),
    "motorcycle": _motorcycle,
}

BANNER = (
    "=" * 78 + "\n"
    "FALLBACK DATA: using scikit-image sample images, NOT the paper's {what}.\n"
    "Numbers measured on them are NOT comparable with the DRCN paper.\n"
    "Reason: {reason}\n"
    "Get the real sets with `drcn download SET` (no network: `--from DIR_OR_URL`; see\n"
    "`drcn data`).\n" + "=" * 78
)


def fallback_images(role: str = "test") -> dict[str, np.ndarray]:
    """The stand-in images for ``role`` (``"test"`` or ``"train"``) in memory, by name.

    Each is ``uint8``, ``H x W`` (grey) or ``H x W x 3`` RGB, as decoded by scikit-image.
    """
    table = _table(role)
    images = {}
    for name, load in table.items():
        img = np.asarray(load())
        if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
            raise DataError(
                f"scikit-image image {name!r} is {img.dtype} {img.shape}, expected uint8 HxW or "
                f"HxWx3; the fallback list needs updating for this scikit-image version"
            )
        images[name] = img
    return images


def _table(role: str) -> dict[str, Callable[[], np.ndarray]]:
    if role == "test":
        return FALLBACK_TEST
    if role == "train":
        return FALLBACK_TRAIN
    raise DataError(f"fallback role must be 'test' or 'train', got {role!r}")


def fallback_dir(role: str = "test", data_root: Path | None = None) -> Path:
    """``data_root / "Fallback" / role``, where the stand-in PNGs are kept."""
    _table(role)
    root = Path(data_root) if data_root is not None else settings.data_root()
    return root / "Fallback" / role


def fallback_set(
    role: str = "test", data_root: Path | None = None, reason: str = "", warn: bool = True
) -> list[Path]:
    """Sorted PNG paths of the stand-in set for ``role``, written on first use.

    Each PNG is written atomically by :func:`drcn_lib.protocol.image_io.save_image`. With
    ``warn=True``
    (the default) it warns with :class:`FallbackDataWarning` and prints
    a banner saying these are not the paper's images; ``reason`` says why the real set was not
    used.
    """
    folder = fallback_dir(role, data_root)
    names = sorted(_table(role))
    paths = [folder / f"{n}.png" for n in names]
    if not all(p.is_file() for p in paths):
        from drcn_lib.protocol.image_io import (
            save_image,  # writes atomically (temp name, then rename)
        )

        folder.mkdir(parents=True, exist_ok=True)
        for name, img in fallback_images(role).items():
            if not (folder / f"{name}.png").is_file():
                save_image(folder / f"{name}.png", img)
    if warn:
        what = "training images (T91)" if role == "train" else "test images (Set5/Set14/...)"
        why = reason or "the requested set is not on this machine"
        print(BANNER.format(what=what, reason=why), flush=True)
        warnings.warn(
            f"FALLBACK DATA in {folder}: scikit-image images stand in for the paper's {what}; "
            f"results are not comparable with the DRCN paper ({why})",
            FallbackDataWarning,
            stacklevel=2,
        )
    return paths
