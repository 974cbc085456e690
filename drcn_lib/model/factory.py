"""Build a model from the small config dict stored in every weights sidecar."""

from __future__ import annotations

from typing import Any

from torch import nn

from drcn_lib.errors import CheckpointError
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.model.srcnn_arch import SRCNN

ARCHS: tuple[str, ...] = ("drcn", "srcnn")

#: The largest sizes a weights file may ask for (the paper: D = 16, F = 256; SRCNN: 64 and 32).
#: A sidecar is a few bytes, but the model it names is built before its tensors are checked, so
#: without a bound a hand-edited ``recursions: 1000`` costs gigabytes and minutes of every
#: prediction before anything fails.
LOAD_LIMITS: dict[str, int] = {"recursions": 64, "filters": 1024, "channels": 3,
                               "n1": 1024, "n2": 1024}


def check_load_limits(config: dict[str, Any]) -> None:
    """A :class:`CheckpointError` naming the field when a saved config asks for an absurd model."""
    for key, limit in LOAD_LIMITS.items():
        value = config.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            raise CheckpointError(
                f"model config {config} is invalid: {key}={value!r}; a saved model may have "
                f"{key} from 1 to {limit} (the paper's DRCN: recursions 16, filters 256)")


def build_model(arch: str = "drcn", **kwargs: Any) -> nn.Module:
    """``build_model("drcn", recursions=16, filters=64)`` or ``build_model("srcnn")``."""
    if arch == "drcn":
        return DRCN(**kwargs)
    if arch == "srcnn":
        return SRCNN(**kwargs)
    raise ValueError(f"unknown model {arch!r}; valid models are {ARCHS}")


def model_from_config(config: dict[str, Any]) -> nn.Module:
    """Inverse of ``model.config()`` for a saved model; a bad, foreign or absurdly large config
    (see :data:`LOAD_LIMITS`) is a :class:`CheckpointError`."""
    cfg = dict(config)
    arch = cfg.pop("arch", None)
    if arch == "user":
        raise CheckpointError(
            f"these weights are of a user model, {cfg.get('class')}: build that model and load "
            "them with model.load_state_dict(safetensors.torch.load_file(path))")
    if arch not in ARCHS:
        raise CheckpointError(f"model config has arch={arch!r}; expected one of {ARCHS}")
    check_load_limits(cfg)
    try:
        return build_model(arch, **cfg)
    except TypeError as exc:
        raise CheckpointError(f"model config {config} does not fit {arch}: {exc}") from exc
