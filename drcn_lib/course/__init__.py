"""What only the lessons use: the first cell's set-up, the exercises and their checkers, the
measurements the lessons make on a network (receptive field, gradients) and the playground."""

from drcn_lib.course.setup import Course, course_setup

__all__ = ["Course", "course_setup"]

from drcn_lib.lazy import submodule_getattr

__getattr__ = submodule_getattr(__name__)
