"""Figures and widgets: leaves of the library that nothing below imports."""

from drcn_lib.lazy import submodule_getattr

__getattr__ = submodule_getattr(__name__)
