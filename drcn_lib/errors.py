"""Exceptions that name the bad value and list what would have been valid.

They all derive from ``ValueError`` so that callers who already catch bad values keep working,
and from ``DRCNError`` so that the CLI and the notebooks can turn them into one readable line
instead of a traceback from deep inside numpy.
"""

from __future__ import annotations


class DRCNError(ValueError):
    """Base class of every error the course raises on purpose."""


class ImageError(DRCNError):
    """An image file that cannot be read, or is unusable for the requested scale or patch."""


class DataError(DRCNError):
    """A data set that is missing, incomplete, or fails its checksums."""


class CheckpointError(DRCNError):
    """A weights or checkpoint file that is corrupt, untrusted, or does not fit the model."""


class TrainingDiverged(DRCNError):
    """The loss became NaN or Inf, or ended far above where it started; no weights are shipped
    and the last good checkpoint is kept."""


class ConfigError(DRCNError):
    """A training setting, device, dtype or folder that cannot work, found before any work."""


class StorageError(DRCNError):
    """A file could not be written (disk full, read-only folder); the previous one is kept."""
