"""viz.feature_maps: channel statistics and the drawings built on them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drcn_lib.errors import DRCNError
from drcn_lib.viz import feature_maps as fm


def _maps() -> torch.Tensor:
    maps = torch.zeros(1, 5, 10, 10)
    maps[0, 1] = 1.0  # always on, flat
    maps[0, 2, :, :3] = 2.0  # on at 30%, varied
    maps[0, 4] = torch.linspace(0, 1, 100).reshape(10, 10)  # on except one pixel, varied
    return maps


def test_as_maps_accepts_batched_and_unbatched() -> None:
    assert fm.as_maps(_maps()).shape == (5, 10, 10)
    assert fm.as_maps(_maps()[0].numpy()).shape == (5, 10, 10)
    with pytest.raises(DRCNError, match="C x H x W"):
        fm.as_maps(torch.zeros(2, 5, 10, 10))


def test_channel_activity_counts_pixels_above_zero() -> None:
    np.testing.assert_allclose(fm.channel_activity(_maps()), [0.0, 1.0, 0.3, 0.0, 0.99])


def test_most_varied_channels_skip_flat_ones() -> None:
    assert fm.most_varied_channels(_maps(), 2) == [2, 4]


def test_feature_grid_titles_state_activity() -> None:
    fig = fm.feature_grid(_maps(), channels=[1, 2], cols=2)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["c1: 100% on", "c2: 30% on"]
    with pytest.raises(DRCNError, match="0..4"):
        fm.feature_grid(_maps(), channels=[5])


def test_kernel_grid_uses_one_symmetric_scale() -> None:
    w = torch.zeros(4, 1, 3, 3)
    w[0, 0, 1, 1] = 2.0
    w[3, 0, 0, 0] = -0.5
    fig = fm.kernel_grid(w, count=4)
    clims = {ax.images[0].get_clim() for ax in fig.axes if ax.images}
    assert clims == {(-2.0, 2.0)}


def test_activity_figure_and_channel_figure() -> None:
    fig = fm.activity_figure(_maps())
    assert "2 on at < 5% of pixels, 2 at > 95%" in fig.axes[0].get_title()
    fig = fm.channel_figure(_maps(), 2, image=np.zeros((10, 10)))
    assert len(fig.axes) == 3  # input, channel, colour bar
    with pytest.raises(DRCNError, match="0..4"):
        fm.channel_figure(_maps(), 7)
