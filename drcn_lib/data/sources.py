"""Where each image of the paper's sets can be fetched: pinned public files, and the knobs.

``SOURCES.tsv`` (package data) names, for every registered image, the public GitHub repository,
the **commit** and the path it was taken from (``shared/data/SOURCE_FILES.tsv`` of the reference
copy; Urban100 from Huang et al.'s SelfExSR): Set5 and Set14 from
``majedelhelou/denoising_datasets`` (``CSet5/``, ``CSet14/``), B100 and Urban100 from
``jbhuang0604/SelfExSR`` (``image_SRF_3`` / ``image_SRF_4`` HR files), T91 from SRCNN's
``Train/*.bmp`` in ``tegg89/SRCNN-Tensorflow``. A commit, not a branch, so the bytes cannot
change under us. Where the file is copied byte for byte its sha256 is known in advance (the
``sha256`` column); the T91 BMPs are re-encoded as PNG, so only their pixels are checked.

The settings come from the environment so that a notebook, the CLI and CI agree:

* ``DRCN_DATA_URL``: a base URL replacing ``https://raw.githubusercontent.com``; the files are
  then fetched from ``BASE/<repo>/<commit>/<path>`` (a mirror, or a loopback server in tests).
* ``DRCN_OFFLINE``: any value but empty or ``0`` never tries the network.
* ``DRCN_DOWNLOAD_TIMEOUT``: seconds to connect and between two reads (default 20).
* ``DRCN_DOWNLOAD_DEADLINE``: seconds one file may take in all, however slowly the bytes come
  (default 300): a per-read timeout alone never ends a server that sends a byte every second.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from drcn_lib.errors import DataError

PINNED_BASE_URL = "https://raw.githubusercontent.com"
MAX_FILE_BYTES = 64 << 20
"""Largest single file accepted from a URL or an archive (the largest benchmark image is 3 MB)."""
MAX_TOTAL_BYTES = 1 << 30
"""Largest total accepted for one set (Urban100, the largest, is 130 MB of PNG)."""


@dataclass(frozen=True)
class SourceFile:
    """Where one registry image comes from: ``repo`` at ``commit``, file ``path`` in it.

    ``sha256`` is the expected sha256 of the fetched bytes, or ``""`` when the file is converted
    (T91's BMPs), in which case only the decoded pixels are checked.
    """

    set: str
    file: str
    repo: str
    commit: str
    path: str
    sha256: str
    conversion: str

    @property
    def url(self) -> str:
        """The pinned URL under :func:`base_url`: ``BASE/<repo>/<commit>/<path>``."""
        return f"{base_url()}/{self.repo}/{self.commit}/{self.path}"


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[SourceFile, ...]]:
    text = resources.files("drcn_lib.data").joinpath("SOURCES.tsv").read_text(encoding="utf-8")
    out: dict[str, list[SourceFile]] = {}
    for r in csv.DictReader(text.splitlines(), delimiter="\t"):
        out.setdefault(r["set"], []).append(SourceFile(**r))
    return {name: tuple(sorted(rows, key=lambda s: s.file)) for name, rows in out.items()}


def pinned_sources(name: str) -> tuple[SourceFile, ...]:
    """The :class:`SourceFile` of every image of set ``name`` (registry name), sorted by file."""
    table = _table()
    if name not in table:
        raise DataError(f"no pinned source for set {name!r}; sets with one: {', '.join(table)}")
    return table[name]


def base_url() -> str:
    """``DRCN_DATA_URL`` without a trailing slash, else ``https://raw.githubusercontent.com``."""
    return os.environ.get("DRCN_DATA_URL", "").strip().rstrip("/") or PINNED_BASE_URL


def offline() -> bool:
    """True when ``DRCN_OFFLINE`` forbids every network access."""
    return os.environ.get("DRCN_OFFLINE", "").strip() not in ("", "0", "false", "False")


def _seconds(var: str, default: float) -> float:
    raw = os.environ.get(var, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise DataError(f"{var}={raw!r}: expected a positive number of seconds")
    return value


def read_timeout() -> float:
    """Seconds to connect, and to wait for the next bytes (``DRCN_DOWNLOAD_TIMEOUT``, 20)."""
    return _seconds("DRCN_DOWNLOAD_TIMEOUT", 20.0)


def file_deadline() -> float:
    """Seconds one file may take in all (``DRCN_DOWNLOAD_DEADLINE``, 300)."""
    return _seconds("DRCN_DOWNLOAD_DEADLINE", 300.0)
