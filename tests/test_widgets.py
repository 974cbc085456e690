"""Slider explorers redraw through a library callback; checked headless, without a browser."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from drcn_lib.errors import DRCNError
from drcn_lib.viz.feature_maps import channel_explorer
from drcn_lib.viz.figures import new_figure
from drcn_lib.viz.recursion import depth_explorer
from drcn_lib.viz.widgets import SliderExplorer, slider_explorer


def _recorder():
    seen: list[object] = []

    def draw(value: object):
        seen.append(value)
        fig, axes = new_figure(1, 1, size=(2, 2))
        axes[0, 0].set_title(f"value {value}")
        return fig

    return draw, seen


def test_int_range_gives_an_int_slider_that_redraws_on_change() -> None:
    draw, seen = _recorder()
    ex = slider_explorer(draw, range(1, 17), value=16, description="D")
    assert isinstance(ex, SliderExplorer) and isinstance(ex, widgets.VBox)
    assert isinstance(ex.control, widgets.IntSlider)
    assert (ex.control.min, ex.control.max, ex.control.value) == (1, 16, 16)
    assert ex.children == (ex.control, ex.output)
    assert seen == [16] and ex.calls == 1
    ex.control.value = 6
    assert seen == [16, 6] and ex.last == 6
    assert not ex.control.continuous_update  # slow figures redraw once, on release
    assert plt.get_fignums() == []


def test_other_values_give_a_selection_slider() -> None:
    draw, seen = _recorder()
    ex = slider_explorer(draw, [2, 3, 4], value=3, description="scale")
    assert isinstance(ex.control, widgets.SelectionSlider)
    assert list(ex.control.options) == [2, 3, 4]
    ex.control.value = 4
    assert seen == [3, 4]


def test_draw_now_false_waits_for_the_first_move() -> None:
    draw, seen = _recorder()
    ex = slider_explorer(draw, range(5), draw_now=False)
    assert seen == [] and ex.calls == 0
    ex.redraw(3)
    assert seen == [3]


def test_bad_slider_values_are_refused() -> None:
    draw, _ = _recorder()
    with pytest.raises(DRCNError, match="at least one"):
        slider_explorer(draw, [])
    with pytest.raises(DRCNError, match=r"not one of .*\[2, 3, 4\]"):
        slider_explorer(draw, [2, 3, 4], value=5)


def test_depth_explorer_redraws_the_receptive_field_for_the_new_depth() -> None:
    img = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    ex = depth_explorer(img, filters=8, max_recursions=16, value=16)
    assert ex.last == 16
    fig = ex.redraw(6)
    assert ex.last == 6 and ex.calls == 2
    assert "21x21" in fig.get_suptitle() and "D = 6" in fig.get_suptitle()


def test_channel_explorer_shows_the_chosen_channel() -> None:
    maps = torch.zeros(1, 4, 8, 8)
    maps[0, 2, :4] = 1.0
    ex = channel_explorer(maps)
    assert (ex.control.min, ex.control.max) == (0, 3)
    fig = ex.redraw(2)
    assert "channel 2: on at 50%" in fig.axes[0].get_title()
