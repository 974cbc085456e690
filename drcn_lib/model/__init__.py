"""The networks: DRCN's three sub-networks, DRCN itself and the SRCNN baseline."""

from drcn_lib.model.drcn_arch import DRCN, conv_parameter_count
from drcn_lib.model.factory import build_model, model_from_config
from drcn_lib.model.outputs import SROutput
from drcn_lib.model.srcnn_arch import SRCNN
from drcn_lib.model.subnets import EmbeddingNet, InferenceNet, ReconstructionNet

__all__ = [
    "DRCN",
    "SRCNN",
    "EmbeddingNet",
    "InferenceNet",
    "ReconstructionNet",
    "SROutput",
    "build_model",
    "conv_parameter_count",
    "model_from_config",
]
