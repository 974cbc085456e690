"""Build a model from the small config dict stored in every weights sidecar."""

from __future__ import annotations

from typing import Any

from torch import nn

from drcn_lib.errors import CheckpointError
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.model.srcnn_arch import SRCNN

ARCHS: tuple[str, ...] = ("drcn", "srcnn")


def build_model(arch: str = "drcn", **kwargs: Any) -> nn.Module:
    """``build_model("drcn", recursions=16, filters=64)`` or ``build_model("srcnn")``."""
    if arch == "drcn":
        return DRCN(**kwargs)
    if arch == "srcnn":
        return SRCNN(**kwargs)
    raise ValueError(f"unknown model {arch!r}; valid models are {ARCHS}")


def model_from_config(config: dict[str, Any]) -> nn.Module:
    """Inverse of ``model.config()``; a bad or foreign config is a :class:`CheckpointError`."""
    cfg = dict(config)
    arch = cfg.pop("arch", None)
    if arch not in ARCHS:
        raise CheckpointError(f"model config has arch={arch!r}; expected one of {ARCHS}")
    try:
        return build_model(arch, **cfg)
    except TypeError as exc:
        raise CheckpointError(f"model config {config} does not fit {arch}: {exc}") from exc
