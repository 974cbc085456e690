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


def check_folder(path: Path, what: str, writable: bool = False) -> None:
    """Refuse a folder the course cannot use, naming the setting that points at it.

    ``what`` is how the user set it (``"DRCN_DATA"``, ``"--out"``). A path that exists but is
    a file, or (``writable=True``) a folder, or the nearest folder above a missing one, that
    this process cannot write into (read-only mount, permissions), is a :class:`ConfigError`
    raised before any work starts, not an ``OSError`` half-way through a run.
    """
    from drcn_lib.errors import ConfigError

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {path} is a file, not a folder; point {what} at a folder")
    if not writable:
        return
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{what} {path} cannot be created: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == path else f" (its nearest existing folder {existing})"
        raise ConfigError(f"{what} {path}{where} is read-only; point {what} at a folder this "
                          "user can write to")
