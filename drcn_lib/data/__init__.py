"""The image sets: registry and checksums, verified download, scikit-image fallback, patches.

``ensure_set("Set5")`` makes a set present (verified on disk, else downloaded from its pinned
public URLs, else the scikit-image stand-ins, loudly) and gives its paths; ``find_set("Set5")``
gives the sorted image paths of a set (or a :class:`DataError` that says how
to get it); ``download_set("Set5", "path/or/url")`` fetches and verifies one;
``load_or_build_patches(PatchSpec(scale=3))`` gives the paper's 41 x 41 training patches.
"""

from drcn_lib.data.download import download_set
from drcn_lib.data.ensure import ensure_set
from drcn_lib.data.fallback import FallbackDataWarning, fallback_images, fallback_set
from drcn_lib.data.patches import (
    PatchArrays,
    PatchSpec,
    SkippedImageWarning,
    build_patches,
    load_or_build_patches,
)
from drcn_lib.data.pinned import download_pinned
from drcn_lib.data.registry import (
    SETS,
    TEST_SETS,
    SetInfo,
    SetStatus,
    find_set,
    get_set,
    pixel_sha256,
    set_status,
    verify_set,
)

__all__ = [
    "SETS",
    "TEST_SETS",
    "FallbackDataWarning",
    "PatchArrays",
    "PatchSpec",
    "SetInfo",
    "SetStatus",
    "SkippedImageWarning",
    "build_patches",
    "download_pinned",
    "download_set",
    "ensure_set",
    "fallback_images",
    "fallback_set",
    "find_set",
    "get_set",
    "load_or_build_patches",
    "pixel_sha256",
    "set_status",
    "verify_set",
]
