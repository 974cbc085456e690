"""Look inside the network: feature maps H (C channels of H x W) and 3x3 filters.

Used by lesson 02 on the embedding net f1 (H_0 = f1(x)) and reusable for any H_d.

* :func:`channel_activity`: the fraction of pixels each channel is "on" (> 0 after ReLU);
* :func:`feature_grid`: a grid of channels, each on its own colour scale;
* :func:`kernel_grid`: the 3x3 kernels of a first-layer convolution;
* :func:`activity_figure`: the histogram of channel activity (dead, sparse and always-on
  channels);
* :func:`channel_figure` and :func:`channel_explorer`: one channel large beside the input, and a
  slider over the channels.

Maps are accepted as a tensor or array of shape C x H x W or 1 x C x H x W (float, any range:
after a ReLU they are >= 0). Everything returns a detached :class:`~matplotlib.figure.Figure`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from drcn_lib.errors import DRCNError
from drcn_lib.viz.figures import hide_ticks, new_figure
from drcn_lib.viz.images import to_display
from drcn_lib.viz.widgets import SliderExplorer, slider_explorer


def as_maps(maps: torch.Tensor | np.ndarray) -> np.ndarray:
    """float64 C x H x W from a C x H x W or 1 x C x H x W tensor/array (detached, on CPU)."""
    arr = maps.detach().cpu().double().numpy() if isinstance(maps, torch.Tensor) \
        else np.asarray(maps, dtype=np.float64)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3:
        raise DRCNError(f"feature maps must be C x H x W or 1 x C x H x W; got shape {arr.shape}")
    return arr


def channel_activity(maps: torch.Tensor | np.ndarray) -> np.ndarray:
    """Fraction of pixels > 0 in each channel, float64 of length C, in [0, 1]."""
    arr = as_maps(maps)
    return (arr > 0).mean(axis=(1, 2))


def most_varied_channels(maps: torch.Tensor | np.ndarray, count: int = 16) -> list[int]:
    """The ``count`` channels with the largest spatial standard deviation, in channel order:
    the ones that respond to image content rather than being flat (dead or constant)."""
    arr = as_maps(maps)
    std = arr.reshape(arr.shape[0], -1).std(axis=1)
    best = np.argsort(-std, kind="stable")[: max(1, int(count))]
    return sorted(int(c) for c in best)


def feature_grid(
    maps: torch.Tensor | np.ndarray,
    channels: Sequence[int] | None = None,
    cols: int = 8,
    title: str = "",
    size: float = 1.5,
) -> Figure:
    """Channels of ``maps`` as a grid, each scaled to its own min..max (grey: 0 black).

    ``channels=None`` shows the first ``cols * 2`` channels. Each panel is titled with its
    channel index and the fraction of pixels that are on.
    """
    arr = as_maps(maps)
    chosen = list(range(min(2 * cols, arr.shape[0]))) if channels is None else list(channels)
    if not chosen or any(not 0 <= c < arr.shape[0] for c in chosen):
        raise DRCNError(f"channels must be indices in 0..{arr.shape[0] - 1}; got {chosen}")
    active = channel_activity(arr)
    cols = min(cols, len(chosen))
    rows = -(-len(chosen) // cols)
    fig, axes = new_figure(rows, cols, size=(size * cols, (size + 0.3) * rows + 0.5))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, c in zip(axes.ravel(), chosen, strict=False):
        ax.imshow(arr[c], cmap="gray")
        ax.set_title(f"c{c}: {100 * active[c]:.0f}% on", fontsize=7)
    fig.suptitle(title or f"{len(chosen)} of {arr.shape[0]} channels, each on its own scale",
                 fontsize=10)
    fig.tight_layout()
    return fig


def kernel_grid(weight: torch.Tensor | np.ndarray, count: int = 32, cols: int = 16,
                title: str = "") -> Figure:
    """The first ``count`` kernels of a conv weight (out x in x k x k; input channel 0 shown),
    on one symmetric colour scale (red > 0, blue < 0) so their strengths compare."""
    w = weight.detach().cpu().double().numpy() if isinstance(weight, torch.Tensor) \
        else np.asarray(weight, dtype=np.float64)
    if w.ndim != 4:
        raise DRCNError(f"a conv weight is out x in x k x k; got shape {w.shape}")
    kernels = w[: max(1, int(count)), 0]
    lim = float(np.abs(kernels).max()) or 1.0
    cols = min(cols, len(kernels))
    rows = -(-len(kernels) // cols)
    fig, axes = new_figure(rows, cols, size=(0.7 * cols + 1.0, 0.7 * rows + 0.7))
    for ax in axes.ravel():
        ax.axis("off")
    im = None
    for ax, k in zip(axes.ravel(), kernels, strict=False):
        im = ax.imshow(k, cmap="RdBu_r", vmin=-lim, vmax=lim)
    if im is not None:
        fig.colorbar(im, ax=list(axes.ravel()), fraction=0.02, pad=0.02, label="weight")
    fig.suptitle(title or f"{len(kernels)} of {w.shape[0]} kernels ({w.shape[2]}x{w.shape[3]})",
                 fontsize=10)
    return fig


def activity_figure(maps: torch.Tensor | np.ndarray, title: str = "") -> Figure:
    """Histogram of :func:`channel_activity`: how many channels are on how often."""
    active = channel_activity(maps)
    fig, axes = new_figure(1, 1, size=(6.0, 3.4))
    ax = axes[0, 0]
    ax.hist(100 * active, bins=np.linspace(0, 100, 21), color="#3465a4", edgecolor="white")
    ax.set_xlabel("pixels where the channel is on (%)")
    ax.set_ylabel("channels")
    rare = int((active < 0.05).sum())
    often = int((active > 0.95).sum())
    ax.set_title(title or f"{len(active)} channels: {rare} on at < 5% of pixels, {often} at "
                 "> 95%", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def channel_figure(
    maps: torch.Tensor | np.ndarray, channel: int, image: np.ndarray | None = None
) -> Figure:
    """One channel large (with a colour bar), beside the input ``image`` ([0, 255]) if given."""
    arr = as_maps(maps)
    if isinstance(channel, bool) or not 0 <= int(channel) < arr.shape[0]:
        raise DRCNError(f"channel must be in 0..{arr.shape[0] - 1}; got {channel!r}")
    c = int(channel)
    panels = 2 if image is not None else 1
    fig, axes = new_figure(1, panels, size=(4.4 * panels, 4.2))
    if image is not None:
        img = to_display(image)
        axes[0, 0].imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
        axes[0, 0].set_title("input", fontsize=9)
        hide_ticks(axes[0, 0])
    ax = axes[0, panels - 1]
    im = ax.imshow(arr[c], cmap="magma")
    hide_ticks(ax)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="activation")
    on = 100 * channel_activity(arr)[c]
    ax.set_title(f"channel {c}: on at {on:.0f}% of pixels, max {arr[c].max():.3g}", fontsize=9)
    fig.tight_layout()
    return fig


def channel_explorer(
    maps: torch.Tensor | np.ndarray, image: np.ndarray | None = None, value: int = 0
) -> SliderExplorer:
    """A channel slider that redraws :func:`channel_figure`."""
    arr = as_maps(maps)
    return slider_explorer(lambda c: channel_figure(arr, c, image), range(arr.shape[0]),
                           value=value, description="channel")
