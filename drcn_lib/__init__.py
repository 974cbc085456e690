"""drcn_lib: the library behind the DRCN course (Kim, Lee & Lee, CVPR 2016).

Lessons read ``import drcn_lib as dl`` and then call the paper's pieces by name::

    course = dl.course_setup()                 # mode (DRCN_SMOKE), device, data present
    net = dl.DRCN(recursions=16, filters=64)   # f1, f2 (recursive), f3, skip, ensemble
    pair = dl.benchmark_pair(dl.load_image(path), scale=3)
    dl.psnr_y(sr, pair.hr_y, crop=3)

See docs/ARCHITECTURE.md for how the modules depend on each other.
"""

from drcn_lib.course import Course, course_setup
from drcn_lib.data.download import download_set
from drcn_lib.data.ensure import ensure_set
from drcn_lib.data.fallback import FallbackDataWarning
from drcn_lib.data.patches import PatchSpec, load_or_build_patches
from drcn_lib.data.registry import SETS, find_set, set_status
from drcn_lib.engine import (
    PRESETS,
    Runtime,
    TrainConfig,
    TrainResult,
    choose_runtime,
    load_weights,
    pick_device,
    preset,
    save_weights,
    train,
)
from drcn_lib.engine.prediction import Prediction, predict_y
from drcn_lib.errors import (
    CheckpointError,
    ConfigError,
    DataError,
    DRCNError,
    ImageError,
    StorageError,
    TrainingDiverged,
)
from drcn_lib.evaluate import EvalRecord, bicubic_predictor, evaluate, format_table, model_predictor
from drcn_lib.lazy import submodule_getattr
from drcn_lib.loss import alpha_schedule, drcn_loss
from drcn_lib.model import (
    DRCN,
    SRCNN,
    EmbeddingNet,
    InferenceNet,
    ReconstructionNet,
    SROutput,
    conv_parameter_count,
)
from drcn_lib.pretrained import available as available_pretrained
from drcn_lib.pretrained import pretrained
from drcn_lib.protocol.colour import rgb_to_ycbcr, to_y, ycbcr_to_rgb
from drcn_lib.protocol.image_io import load_image, save_image
from drcn_lib.protocol.metrics import psnr_y, score, shave, ssim_y
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.protocol.resize import imresize, modcrop
from drcn_lib.settings import data_root, smoke_mode

__version__ = "0.1.0"

#: The layers as attributes, imported on first use: ``dl.viz.curves``, ``dl.course.exercises``.
__getattr__ = submodule_getattr(__name__)

__all__ = [
    "CheckpointError", "ConfigError", "Course", "DRCN", "DRCNError", "DataError", "EmbeddingNet",
    "EvalRecord", "FallbackDataWarning", "ImageError", "InferenceNet", "PRESETS", "PatchSpec",
    "Prediction", "ReconstructionNet", "Runtime", "SETS", "SRCNN", "SROutput", "SRPair",
    "StorageError", "TrainConfig", "TrainResult", "TrainingDiverged", "alpha_schedule",
    "available_pretrained", "benchmark_pair", "bicubic_predictor", "choose_runtime",
    "conv_parameter_count", "course_setup", "data_root", "download_set", "drcn_loss", "ensure_set",
    "evaluate", "find_set", "format_table", "imresize", "load_image", "load_or_build_patches",
    "load_weights", "modcrop", "model_predictor", "pick_device", "predict_y", "preset",
    "pretrained", "psnr_y", "rgb_to_ycbcr", "save_image", "save_weights", "score", "set_status",
    "shave", "smoke_mode", "ssim_y", "to_y", "train", "ycbcr_to_rgb",
]
