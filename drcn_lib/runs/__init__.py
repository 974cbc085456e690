"""Where a trained model comes from: shipped weights, a cached run, or a run trained now."""

from drcn_lib.lazy import submodule_getattr

__getattr__ = submodule_getattr(__name__)
