"""Make an image set present: the one call lessons, ``drcn train`` and ``drcn eval`` make.

``dl.ensure_set("Set5")`` returns the set's image paths, in this order of preference:

1. the set on disk (``DRCN_DATA/Set5``), every image's pixel checksum verified; a wrong image
   is an error that names the file, never silently used nor silently replaced;
2. else the set downloaded from its pinned public URLs (:mod:`drcn_lib.data.pinned`), when
   the source can be reached within a few seconds and ``DRCN_OFFLINE`` is not set;
3. else, with ``fallback=True`` (the default), the scikit-image stand-ins of
   :mod:`drcn_lib.data.fallback`, with a loud banner and a :class:`FallbackDataWarning`
   saying why: a fresh machine without network still runs every lesson, and says so.
"""

from __future__ import annotations

from pathlib import Path

from drcn_lib.data.registry import _missing_message, find_set, get_set, set_status
from drcn_lib.data.sources import base_url, offline, read_timeout
from drcn_lib.errors import DataError

PROBE_SECONDS = 5.0
"""At most this long to find out that the download source cannot be reached."""


def _why_not_online() -> str:
    """"" when the download source looks reachable, else the reason in a few words."""
    from drcn_lib.data.fetch import reachable

    if offline():
        return "DRCN_OFFLINE is set"
    why = reachable(base_url(), min(read_timeout(), PROBE_SECONDS))
    return f"{base_url()} cannot be reached ({why})" if why else ""


def ensure_set(
    name: str,
    fallback: bool = True,
    download: bool = True,
    data_root: Path | None = None,
    verbose: bool = True,
) -> list[Path]:
    """The sorted image paths of set ``name``, fetched first if need be.

    Present on disk: verified (pixel sha256, cached by size and mtime) and returned; a file that
    fails raises :class:`DataError` naming it. Missing or incomplete: downloaded from the pinned
    URLs when ``download`` and the source answers; otherwise (or if that fails) the scikit-image
    stand-ins with a loud warning when ``fallback``, else a :class:`DataError` that says how to
    get the set. Never waits on a dead network for more than a few seconds.
    """
    info = get_set(name)
    status = set_status(info.name, data_root)
    if status.state == "present":
        return find_set(info.name, verify=True, data_root=data_root)
    reason = _missing_message(status).splitlines()[0]
    why = _why_not_online() if download else "not asked to download"
    if not why:
        from drcn_lib.data.pinned import download_pinned

        try:
            download_pinned(info.name, data_root=data_root, overwrite=True, verbose=verbose,
                            progress=verbose)
            return find_set(info.name, verify=True, data_root=data_root)
        except DataError as err:
            if not fallback:
                raise
            why = f"the download failed: {' '.join(str(err).split())}"
    if not fallback:
        raise DataError(f"{_missing_message(status)}\nNot downloaded: {why}.")
    from drcn_lib.data.fallback import fallback_set

    return fallback_set(info.role, data_root=data_root, reason=f"{reason} Not downloaded: {why}.")
