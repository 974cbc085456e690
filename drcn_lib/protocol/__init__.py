"""The super-resolution protocol of the paper's benchmarks, in numpy: how an image becomes a
problem (MATLAB bicubic, Y of MATLAB ``rgb2ycbcr``, modcrop) and how an answer is scored (PSNR and
SSIM on Y with a ``scale``-pixel border shaved). Knows nothing of networks or training."""

from drcn_lib.protocol.colour import rgb_to_ycbcr, to_y, ycbcr_to_rgb
from drcn_lib.protocol.image_io import load_image, save_image
from drcn_lib.protocol.metrics import psnr_y, shave, ssim_y
from drcn_lib.protocol.pairs import SRPair, benchmark_pair
from drcn_lib.protocol.resize import imresize, modcrop

__all__ = [
    "SRPair", "benchmark_pair", "imresize", "load_image", "modcrop", "psnr_y", "rgb_to_ycbcr",
    "save_image", "shave", "ssim_y", "to_y", "ycbcr_to_rgb",
]

from drcn_lib.lazy import submodule_getattr  # noqa: E402

__getattr__ = submodule_getattr(__name__)  # dl.protocol.other_resizers, imported on first use
