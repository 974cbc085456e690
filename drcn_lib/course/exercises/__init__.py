"""Self-checking exercises: each lesson ends with one ``check_...`` call that says right or
wrong, and why. One module per topic; import them by module, e.g.
``from drcn_lib.course.exercises.recursion import check_receptive_field``."""

from drcn_lib.lazy import submodule_getattr

__getattr__ = submodule_getattr(__name__)
