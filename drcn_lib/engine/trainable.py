"""What ``train(cfg, out, model=...)`` accepts: the interface of a trainable DRCN, in one place.

A learner who builds DRCN by hand (lessons 02 to 07) trains it with the same engine as the
library's own model. The engine needs only this of it:

- it is a ``torch.nn.Module`` whose ``forward(x)`` takes the bicubic Y, float32 N x 1 x H x W
  in [0, 1], and returns an object with two tensors, as :class:`drcn_lib.model.SROutput`:
  ``outputs``, D x N x 1 x H x W, the predictions y_1..y_D (each already with the skip "+ x"),
  and ``ensemble``, N x 1 x H x W, the final prediction y = sum_d w_d y_d;
- it has an integer attribute ``recursions`` equal to D, which must equal the config's
  ``recursions`` (the loss, the sidecar and the schedules read D from the config).

The engine adds two speed-ups to the library's :class:`~drcn_lib.model.DRCN` only, because they
unfold its sub-networks (``engine/unfolding.py``): depth growth during training
(``recursions_start``; a user model is refused with a config that asks for it) and the timed
choice of how f3 is scheduled. Everything else (optimiser, alpha schedule, validation,
checkpoints, resume bit for bit, EMA, the weights file) is the same. The weights file of a
user model records ``"arch": "user"`` and its class: load it back into that class with
``model.load_state_dict(safetensors.torch.load_file(path))``.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from drcn_lib.engine.presets import TrainConfig
from drcn_lib.errors import DRCNError
from drcn_lib.model.drcn_arch import DRCN
from drcn_lib.model.srcnn_arch import SRCNN

#: ``model_source`` in a run's sidecar: the library built the model from the config, or the
#: caller passed its own module.
LIBRARY, USER = "library", "user"


def is_library_model(model: nn.Module) -> bool:
    """Whether ``model`` is one of the library's networks (which the engine may unfold)."""
    return isinstance(model, (DRCN, SRCNN))


def check_user_model(model: nn.Module, cfg: TrainConfig) -> None:
    """A clear :class:`DRCNError` when ``model`` cannot be trained with ``cfg``."""
    if not isinstance(model, nn.Module):
        raise DRCNError(
            f"train(model=...) needs a torch.nn.Module returning SROutput(outputs, ensemble), "
            f"got {type(model).__name__}")
    if is_library_model(model):
        return
    depth = getattr(model, "recursions", None)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth != cfg.recursions:
        raise DRCNError(
            f"train(model=...): {type(model).__name__}.recursions is {depth!r}, but the config "
            f"says recursions={cfg.recursions}; give the model an int attribute recursions = D "
            "and train it with replace(cfg, recursions=D)")
    if cfg.arch != "drcn":
        raise DRCNError(f"train(model=...) trains a DRCN-like model; the config says "
                        f"arch={cfg.arch!r}")
    if cfg.recursions_start is not None:
        raise DRCNError(
            f"growing the depth (recursions_start={cfg.recursions_start}) unfolds the library's "
            f"DRCN only; train {type(model).__name__} at its full depth with "
            "replace(cfg, recursions_start=None)")


def model_record(model: nn.Module) -> dict[str, Any]:
    """The ``model_config`` a weights sidecar stores: the library's config, or the user class."""
    if is_library_model(model):
        return model.config()
    cls = type(model)
    return {"arch": "user", "class": f"{cls.__module__}.{cls.__qualname__}",
            "recursions": int(model.recursions),
            "parameters": sum(p.numel() for p in model.parameters())}
