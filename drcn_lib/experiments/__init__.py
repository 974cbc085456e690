"""The paper's experiments: recursion depth, ensemble and benchmark studies, their claims checked
against measured numbers, the paper's own numbers (labelled as such), the report and
``reproduce``."""

from drcn_lib.lazy import submodule_getattr

__getattr__ = submodule_getattr(__name__)
