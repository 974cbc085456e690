"""Install a set all at once or not at all: a staging folder beside it, then one rename.

Every download (folder, archive, URL or pinned sources) builds the set in
``<data root>/.<Set>.partial-<pid>-<random>/`` and renames the finished, verified folder into
place, so a failure, an interrupt or a full disk never leaves a half-installed set. A process
killed outright leaves its staging folder behind; the next download of that set clears every
such folder whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from drcn_lib.data.fetch import is_disk_full
from drcn_lib.errors import DataError

_PARTIAL = re.compile(r"^\.(?P<set>.+)\.partial-(?:(?P<pid>\d+)-)?")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def clear_stale(root: Path, name: str) -> list[Path]:
    """Remove ``root/.<name>.partial-*`` folders whose process has ended; return them."""
    removed = []
    if not root.is_dir():
        return removed
    for p in root.glob(f".{name}.partial-*"):
        m = _PARTIAL.match(p.name)
        if m is None or m["set"] != name:
            continue
        if m["pid"] is not None and _alive(int(m["pid"])):
            continue  # another download of this set is running now
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def disk_full_message(root: Path, name: str, what: str) -> str:
    """One line for a full disk: where, how much is free, that nothing was installed."""
    try:
        free = f"{shutil.disk_usage(root).free / 2**20:.0f} MiB free"
    except OSError:
        free = "free space unknown"
    return (
        f"{name}: the disk holding {root} is full ({free}) while {what}; nothing was "
        f"installed. Free some space, or set DRCN_DATA to a folder on another disk."
    )


@contextlib.contextmanager
def staging(root: Path, name: str) -> Iterator[Path]:
    """A fresh staging folder in ``root`` for set ``name``, removed on exit whatever happens.

    Stale staging folders of ``name`` are cleared first. A full disk anywhere inside becomes a
    :class:`DataError` that says so; a data root that cannot be written likewise.
    """
    try:
        root.mkdir(parents=True, exist_ok=True)
        clear_stale(root, name)
        stage = Path(tempfile.mkdtemp(prefix=f".{name}.partial-{os.getpid()}-", dir=root))
    except OSError as err:
        if is_disk_full(err):
            raise DataError(disk_full_message(root, name, "preparing the download")) from err
        raise DataError(
            f"{name}: cannot write into the data folder {root} ({err.strerror or err}); set "
            f"DRCN_DATA to a folder you can write"
        ) from err
    try:
        yield stage
    except OSError as err:
        if is_disk_full(err):
            raise DataError(disk_full_message(root, name, "writing the images")) from err
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def install(built: Path, target: Path, stage: Path) -> None:
    """Put the finished folder ``built`` at ``target``; an old ``target`` is moved into
    ``stage`` (and deleted with it), and put back if the final rename fails."""
    old = stage / "previous"
    if target.exists():
        target.rename(old)
    try:
        built.rename(target)
    except OSError:
        if old.exists():
            old.rename(target)
        raise


def refuse_existing(target: Path, overwrite: bool, how: str) -> None:
    """A non-empty set folder is replaced only when asked (``overwrite``); ``how`` says how to
    check it or replace it."""
    if target.exists() and any(target.iterdir()) and not overwrite:
        raise DataError(f"{target} already exists; {how}")
