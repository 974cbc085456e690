"""Training: presets, hardware choices, the loop, checkpoints."""

from drcn_lib.engine.checkpoint import load_checkpoint, load_weights, save_weights
from drcn_lib.engine.hardware import Runtime, choose_runtime, pick_device
from drcn_lib.engine.loop import TrainResult, train
from drcn_lib.engine.presets import PRESETS, TrainConfig, preset

__all__ = [
    "PRESETS",
    "Runtime",
    "TrainConfig",
    "TrainResult",
    "choose_runtime",
    "load_checkpoint",
    "load_weights",
    "pick_device",
    "preset",
    "save_weights",
    "train",
]
