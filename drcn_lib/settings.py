"""Where the course reads its data and whether it runs in smoke mode.

Both come from the environment so that a notebook, the CLI and CI agree without passing flags
around: ``DRCN_DATA`` (data root, default ``<repo>/data``) and ``DRCN_SMOKE`` (any value but
empty or ``0`` turns on the tiny, fast mode that CI uses).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_root() -> Path:
    """The folder that holds one sub-folder per image set (``Set5/``, ``T91/``, ...)."""
    env = os.environ.get("DRCN_DATA", "").strip()
    return Path(env).expanduser().resolve() if env else REPO_ROOT / "data"


def smoke_mode() -> bool:
    """True when ``DRCN_SMOKE`` asks for the tiny, seconds-long version of everything."""
    return os.environ.get("DRCN_SMOKE", "").strip() not in ("", "0", "false", "False")


def cache_root() -> Path:
    """Where derived artefacts (patch caches, probe results) are kept; never committed.

    ``DRCN_CACHE``, else ``$XDG_CACHE_HOME/drcn`` (``~/.cache/drcn``): not inside the data
    folder, which may be read-only (a shared copy of the sets, as in CI).
    """
    env = os.environ.get("DRCN_CACHE", "").strip()
    if env:
        return Path(env).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "drcn"
