"""Sub-modules reached as attributes (``dl.viz.curves``), imported on first use.

One ``import drcn_lib as dl`` gives a lesson everything, as d2l's one import does, without making
every ``import drcn_lib`` pay for matplotlib and ipywidgets: a package's ``__getattr__`` (PEP 562)
imports ``package.name`` the first time ``package.name`` is read.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from types import ModuleType


def submodule_getattr(package: str) -> Callable[[str], ModuleType]:
    """A module ``__getattr__`` that imports ``package.<name>`` for each sub-module ``name``."""

    def __getattr__(name: str) -> ModuleType:
        found = {m.name for m in pkgutil.iter_modules(sys.modules[package].__path__)}
        if name in found:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
