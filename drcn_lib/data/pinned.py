"""Download a set from its pinned public files (``drcn download Set5`` with no ``--from``).

Each image is fetched from the repository and commit that ``SOURCES.tsv`` names (see
:mod:`drcn_lib.data.sources`) with pooch, its file sha256 checked when the bytes are a plain
copy, then decoded and its **pixel** sha256 compared with ``PIXELS.tsv`` (T91's BMPs become PNGs
here, losslessly). The set is built in a staging folder and renamed into place only when every
image has passed, so a broken connection, a wrong file or a full disk leaves nothing behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from drcn_lib import settings
from drcn_lib.data.download import _check_candidate, _Member
from drcn_lib.data.fetch import Budget, fetch_file
from drcn_lib.data.registry import file_sha256, get_command, get_set
from drcn_lib.data.sources import (
    MAX_FILE_BYTES,
    MAX_TOTAL_BYTES,
    base_url,
    file_deadline,
    offline,
    pinned_sources,
    read_timeout,
)
from drcn_lib.data.staging import install, refuse_existing, staging
from drcn_lib.errors import DataError


def _keep_existing(target: Path, out_dir: Path, name: str) -> None:
    """Copy into ``out_dir`` what ``target`` already holds that can stay: registry images whose
    bytes are the registry's, and any file or folder that is not a registry image."""
    info = get_set(name)
    for p in sorted(target.iterdir()) if target.is_dir() else []:
        if p.is_dir():
            shutil.copytree(p, out_dir / p.name, symlinks=True)
        elif p.name not in info.files or file_sha256(p) == info.entry(p.name).sha256:
            shutil.copy2(p, out_dir / p.name, follow_symlinks=False)
        # else: a registry image with other bytes, fetched again


def download_pinned(
    name: str,
    data_root: Path | None = None,
    overwrite: bool = False,
    verbose: bool = True,
    progress: bool = True,
) -> Path:
    """Fetch set ``name`` from its pinned public URLs into ``data_root/<SetName>/``.

    Files already there that match the registry byte for byte are kept, not fetched again; an
    existing, non-empty set folder is replaced only with ``overwrite=True``. Raises
    :class:`DataError` (nothing installed) on the first file that cannot be fetched or verified.
    """
    from tqdm.auto import tqdm

    info = get_set(name)
    root = Path(data_root) if data_root is not None else settings.data_root()
    target = root / info.name
    refuse_existing(target, overwrite, f"check it with `drcn data` or replace it with "
                    f"`drcn download {info.name} --force`")
    if offline():
        raise DataError(f"{info.name}: not downloaded, DRCN_OFFLINE is set")
    sources = pinned_sources(info.name)
    budget = Budget(MAX_TOTAL_BYTES)
    timeout, deadline = read_timeout(), file_deadline()
    with staging(root, info.name) as stage:
        scratch, out_dir = stage / "scratch", stage / info.name
        scratch.mkdir()
        out_dir.mkdir()
        _keep_existing(target, out_dir, info.name)
        todo = [s for s in sources if not (out_dir / s.file).is_file()]
        bar = tqdm(todo, desc=f"{info.name} from {base_url()}", unit="img",
                   disable=not progress or not todo, leave=False)
        for src in bar:
            raw = scratch / f"{src.file[:-4]}{Path(src.path).suffix.lower()}"
            try:
                fetch_file(src.url, raw, src.sha256 or None, timeout=timeout,
                           deadline=deadline, cap=MAX_FILE_BYTES, budget=budget)
            except DataError as err:
                raise DataError(_failed(info.name, src.file, str(err))) from err
            member = _Member(src.path, raw.stat().st_size, raw.read_bytes)
            ok, why = _check_candidate(info, src.file, member, scratch)
            if ok is None:
                raise DataError(_failed(info.name, src.file, f"{src.url}: {why}"))
            ok.replace(out_dir / src.file)
            raw.unlink(missing_ok=True)
        bar.close()
        shutil.rmtree(scratch)
        install(out_dir, target, stage)
    if verbose:
        print(f"{info.name}: {len(sources)} images verified (pixel sha256) into {target}")
    return target


def _failed(name: str, file: str, why: str) -> str:
    return (
        f"{name}: {file} failed, nothing was installed ({why}). Without network, fetch the set "
        f"elsewhere and run:  {get_command(name)} --from DIR_OR_ARCHIVE"
    )
